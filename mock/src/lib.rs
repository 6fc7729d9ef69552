//! A stateful mock of Cloudflare's SSL/TLS API, for contract tests of code built on
//! [`cloudflare-ssl`](cloudflare_ssl) (or any other client), as a standalone server (the
//! `cloudflare-ssl-mock` binary), and a conformance proxy that checks the real API against the
//! same document ([`proxy`], [`record`]).
//!
//! [`MockServer::start`] serves real HTTP on `127.0.0.1` (a free port) under the same path prefix
//! as the real API, so any client — this crate's, or one written from Cloudflare's documentation
//! alone — works against it by swapping the base URL:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use cloudflare_ssl_mock::MockServer;
//!
//! // The manual clock: time moves only when the test says so.
//! let mock = MockServer::start_manual().await;
//! let client = cloudflare_ssl::Client::builder()
//!     .api_token(mock.token())
//!     .base_url(mock.base_url())
//!     .build()?;
//! let quota = client.zone(mock.zone_id())?.certificate_packs().quota().await?;
//! assert_eq!(quota.advanced.and_then(|a| a.allocated), Some(10));
//!
//! // Drive the lifecycle without sleeping, inject faults, read counters:
//! mock.settle();
//! assert!(mock.schema_violations().is_empty());
//! # Ok(()) }
//! ```
//!
//! Any HTTP client works too (with `curl`: `-H "Authorization: Bearer $TOKEN"`). A plain
//! `reqwest::Client` needs a rustls crypto provider installed first, as this crate builds
//! reqwest without one: `cloudflare_ssl_mock::crypto_provider().install_default()` (in a test
//! or a program of your own, never in a library).
//!
//! # Presets
//!
//! | preset | how to get it | clock | time in each status | `validation_records` right after an order |
//! |---|---|---|---|---|
//! | [`Preset::Demo`] | [`MockServer::start`], [`MockServer::builder`] | wall clock | 250 ms: a new pack is `active` ~1 s after the order, so `wait_until_active` finishes | `[]`, filled in 250 ms later |
//! | [`Preset::Realistic`] | the binary; [`MockServerBuilder::preset`] | wall clock | 10 s, 60 s, 30 s, 30 s | `[]`, filled in 10 s later |
//! | [`Preset::Manual`] | [`MockServer::start_manual`], [`MockServerBuilder::manual_clock`] | manual: [`MockServer::advance`], [`MockServer::tick`], [`MockServer::settle`] | 10 s, 60 s, 30 s, 30 s of mock time | present at once |
//!
//! "Filled in later" is exact: while a new pack is `initializing` the mock answers
//! `validation_records: []`; from its move to `pending_validation` (after
//! [`LifecycleTimings::initializing`]) on, the records are there, as the real API does
//! right after an order. [`MockServerBuilder::delayed_validation_records`] turns it on or off
//! in any preset.
//!
//! # What it does
//!
//! * **Every operation of the curated document (`Operation::ALL`: the seed's and `GET /zones`), stateful.** Two zones are seeded
//!   ([`DEFAULT_ZONE_ID`] `example.com`: a universal pack and 5 active advanced packs, quota 10;
//!   [`SECOND_ZONE_ID`] `example.net`: a universal pack, quota 1). `order` creates an advanced
//!   pack in `initializing` with DCV records for the chosen method (`txt` → `txt_name`/`txt_value`,
//!   `http` → `http_url`/`http_body`, `email` → `emails`). `delete` removes a pack and frees its
//!   quota. List honours `page`, `per_page`, `status=all` (otherwise only `active` packs) and
//!   `deploy`, with exact `result_info`. Verification shows one entry per pack; its PATCH
//!   changes the method (fresh records, back to `pending_validation`) or, with the method
//!   already in use, performs the "immediate validation check", which passes
//!   (`pending_issuance`). Universal SSL (disabling it removes the universal pack, re-enabling
//!   orders a new one) and automatic SSL/TLS mode persist. Analyze parses the PEM it is given
//!   (hosts from SAN, else CN; signature algorithm; expiry) and answers
//!   `{"hosts", "signature_algorithm", "expires_on", "issuer"}`.
//! * **A lifecycle on a clock.** New packs go `initializing` → `pending_validation` →
//!   `pending_issuance` → `pending_deployment` → `active` after the [`LifecycleTimings`] of the
//!   preset (above).
//! * **Wire fidelity.** Every answer uses Cloudflare's envelope (`success`, `errors`,
//!   `messages`, `result`, and `result_info` on lists; failures have `success: false`, at least
//!   one error and `result: null`), carries `cf-ray`, `Ratelimit` and `Ratelimit-Policy`
//!   headers, and needs credentials (`Authorization: Bearer`, `X-Auth-Email` + `X-Auth-Key`, or
//!   `X-Auth-User-Service-Key`; see [`DEFAULT_API_TOKEN`] and friends). A method the document
//!   does not declare on a known path is a 405 with an `Allow` header listing the path's
//!   methods. Every request is validated against the curated document (path, query, body;
//!   `format: int32`/`int64` bound integers): a violation is a 400 whose errors carry
//!   `source.pointer` (`/hosts`, `/validity_days`, `/page`, `""` for malformed JSON). Every
//!   response the mock builds is checked against the document too; mismatches are recorded
//!   ([`MockServer::schema_violations`]). The error codes are listed in [`envelope`].
//! * **Fault injection** ([`MockServer::faults`], [`Fault`]): per-operation latency, and the
//!   next N requests answered with 429 (+ `Retry-After`, or without), 5xx, malformed JSON,
//!   truncated JSON, a body cut off mid-stream, Cloudflare's HTML error page, a dropped
//!   connection, or contract drift (a field set to another value or type, or removed) —
//!   before the request is processed, or after ([`FaultStage`]), scoped to an operation, a zone
//!   or a path template ([`Faults::zone`], [`Faults::path`]). Counters
//!   ([`MockServer::counters`]) give requests per operation and orders created.
//! * **Recording** ([`MockServerBuilder::record`], [`MockServerBuilder::record_har`]): every
//!   exchange as a JSON line, to replay with [`record::Replay`], or as a HAR 1.2 archive.
//! * **Bounded** ([`ServerLimits`]): header and idle timeouts, a connection cap and a budget of
//!   request-body bytes in flight, for the mock, the proxy and the replay alike.
//!
//! # Business rules
//!
//! Requests that conform to the document but that the mock refuses in some state, as the real
//! API does ([`envelope::BUSINESS_RULES`]; also listed at `GET /__mock/`):
//!
//! | rule | operation | HTTP | code | when |
//! |---|---|---|---|---|
//! | `delete_universal_pack` | `delete_certificate_pack` | 400 | 1407 | the pack is not advanced (the Universal SSL pack): disable Universal SSL instead |
//! | `edit_universal_pack` | `edit_certificate_pack` | 400 | 1407 | the pack is not advanced |
//! | `restart_validation_not_timed_out` | `edit_certificate_pack` | 400 | 1409 | no `cloudflare_branding` in the body (a validation restart) and the pack is not `validation_timed_out` |
//! | `change_method_after_validation` | `edit_validation_method` | 400 | 1408 | another method while the pack is past validation (e.g. `active`); pointer `/validation_method`; the same method is a no-op 200 |
//! | `order_past_quota` | `order_certificate_pack` | 400 | 1405 | the zone already holds `quota.advanced.allocated` advanced packs |
//! | `order_hosts_outside_zone` | `order_certificate_pack` | 400 | 1400 | a host outside the zone, twice, or no apex; pointer `/hosts/N` (`/hosts` for the apex) |
//! | `analyze_empty_certificate` | `analyze_certificate` | 400 | 1410 | `certificate` empty or not a PEM certificate; pointer `/certificate` |
//! | `unknown_pack` | `get_certificate_pack` (and edit, delete, verification PATCH) | 404 | 1404 | no such pack in the zone; pointer `/certificate_pack_id` |
//! | `unknown_zone` | every operation | 404 | 7003 | a well-formed zone identifier the mock does not serve |
//!
//! # Admin routes
//!
//! Under `http://127.0.0.1:PORT/__mock/`, so tests in any language can drive the mock started by
//! the `cloudflare-ssl-mock` binary. Web pages cannot: the `Host` (and any `Origin`) must name
//! loopback, the address served or a [`MockServerBuilder::admin_host`]; `POST`/`PUT` need
//! `content-type: application/json`; an optional [`MockServerBuilder::admin_token`] (required on
//! a non-loopback address) must be presented; [`MockServerBuilder::admin_routes`] turns them
//! off. Fault rules and latencies set over HTTP are capped
//! ([`MockServerBuilder::max_fault_rules`], [`MockServerBuilder::max_latency`]).
//!
//! | route | effect |
//! |---|---|
//! | `GET /__mock/` | the routes, fault kinds (one example each, from [`Fault::examples`]), operations, business rules, and the info below |
//! | `GET /__mock/info` | base URL, credentials, zones, the mock's clock |
//! | `GET /__mock/counters` | [`Counters`] as JSON |
//! | `GET /__mock/violations` | response-schema violations recorded so far |
//! | `POST /__mock/faults` | `{"fault": {"kind": "rate_limited", "retry_after_secs": 2}, "times": 3, "operation": "order_certificate_pack", "stage": "after_handling"}` (`operation` and `stage` optional) |
//! | `DELETE /__mock/faults` | clears faults and latencies |
//! | `POST /__mock/latency` | `{"millis": 250, "operation": "list_certificate_packs"}` (`operation` optional) |
//! | `POST /__mock/clock/advance` | `{"seconds": 60}` |
//! | `POST /__mock/clock/tick` | to the next lifecycle transition |
//! | `POST /__mock/clock/settle` | until every pack has stopped moving |
//! | `PUT /__mock/zones/{zone}/certificate_packs/{pack}/status` | `{"status": "validation_timed_out"}` |
//! | `POST /__mock/reset` | back to the seeded state |
//! | `GET`, `POST`, `DELETE /__mock/routes` | user routes ([`UserRoute`]) outside the document |
//!
//! Fault kinds in JSON: `rate_limited` (`retry_after_secs`), `server_error` (`status`),
//! `malformed_json`, `truncated_json`, `truncated_body`, `html_error_page` (`status`),
//! `drop_connection`, `set_field` (`pointer`, `value`), `remove_field` (`pointer`).
//!
//! # Checking the real API
//!
//! [`proxy::Proxy`] (`cloudflare-ssl-mock proxy`) sits between a client and the real API,
//! passes every exchange through unchanged, and reports each difference from the curated
//! document with the operation, JSON pointer, expected and found values and the `cf-ray`
//! ([`ContractViolation`]). [`record`] writes exchanges as JSON lines and serves them back.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod admin;
mod config;
mod conformance;
mod custom;
pub mod envelope;
mod examples;
mod faults;
mod http;
mod operation;
mod pem;
pub mod proxy;
pub mod record;
mod routes;
mod server;
mod shared;
mod spec;
mod state;
mod sync;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The *ring* crypto provider the proxy's upstream client uses, for a test or program that wants
/// a plain `reqwest::Client` (`crypto_provider().install_default()`).
///
/// rustls 0.23.48 deprecates `ring::default_provider` (no post-quantum key exchange); the mock,
/// like the client crate, keeps *ring* (no CMake or NASM to build, already in the tree). The
/// allowance lives here only, so a move to the `rustls-ring` crate is one edit.
#[allow(deprecated)]
pub fn crypto_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// The body the mock answers `operation_id` with when it has no rule for it: the document's
/// example of the 200 response, else one built from its schema (every required property, and the
/// optional ones that have an example). `None` when the document has no such operation or no 200
/// JSON body. Tests derive bodies for every operation from it, so a new operation needs no
/// hand-written fixture.
pub fn document_answer(operation_id: &str) -> Option<serde_json::Value> {
    examples::answer(operation_id)
}

pub use config::{
    ClockMode, LifecycleTimings, Preset, RateLimitPolicy, ZoneSeed, DEFAULT_API_EMAIL,
    DEFAULT_API_KEY, DEFAULT_API_TOKEN, DEFAULT_MAX_FAULT_RULES, DEFAULT_MAX_LATENCY,
    DEFAULT_USER_SERVICE_KEY, DEFAULT_ZONE_ID, DEFAULT_ZONE_NAME, SECOND_ZONE_ID, SECOND_ZONE_NAME,
};
pub use conformance::{ContractViolation, Direction};
pub use custom::{UserRoute, DEFAULT_MAX_USER_ROUTES};
pub use faults::{Counters, Fault, FaultStage, Faults};
pub use http::{
    ServerLimits, DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_BODY_IN_FLIGHT,
    DEFAULT_MAX_CONNECTIONS,
};
pub use operation::{Operation, UnknownOperation};
pub use pem::SAMPLE_CERTIFICATE_PEM;
pub use spec::{Contract, Violation};

use config::{Credentials, MockConfig};
use shared::Shared;

/// An error of the mock's own API (not of the HTTP API it serves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockError(String);

impl std::fmt::Display for MockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MockError {}

/// A zone the mock serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockZone {
    /// The zone identifier (path parameter `zone_id`).
    pub id: String,
    /// The zone apex, e.g. `example.com`.
    pub name: String,
}

/// A running mock of the API. Dropping it stops the server.
pub struct MockServer {
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Configures a [`MockServer`] before starting it; from [`MockServer::builder`] (the
/// [`Preset::Demo`] preset) or [`MockServer::builder`]`.manual_clock()`.
#[derive(Debug, Clone, Default)]
pub struct MockServerBuilder {
    config: MockConfig,
}

impl MockServerBuilder {
    /// Listens on this port (default 0: any free port).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.config.port = port;
        self
    }

    /// Listens on this address (default `127.0.0.1`). `0.0.0.0` serves every interface, e.g.
    /// inside a container: anyone who can reach the port can then use the mock, so bind it only
    /// where that is acceptable; the admin routes then need an
    /// [`MockServerBuilder::admin_token`] (or [`MockServerBuilder::admin_routes`]`(false)`).
    /// The [`MockServer::base_url`] of an unspecified address uses loopback.
    #[must_use]
    pub fn host(mut self, host: IpAddr) -> Self {
        self.config.host = host;
        self
    }

    /// Applies a [`Preset`]: clock, lifecycle timings and delayed validation records together
    /// (default [`Preset::Demo`]). Later calls to [`MockServerBuilder::clock`],
    /// [`MockServerBuilder::timings`] or [`MockServerBuilder::delayed_validation_records`]
    /// override a part of it.
    #[must_use]
    pub fn preset(mut self, preset: Preset) -> Self {
        self.config.apply(preset);
        self
    }

    /// Shorthand for [`Preset::Manual`]: time moves only through [`MockServer::advance`],
    /// [`MockServer::tick`], [`MockServer::settle`] (or the admin routes), and new packs show
    /// their validation records at once. For deterministic tests.
    ///
    /// ```no_run
    /// # async fn demo() {
    /// let mock = cloudflare_ssl_mock::MockServer::builder().manual_clock().seed(7).start().await;
    /// # }
    /// ```
    #[must_use]
    pub fn manual_clock(self) -> Self {
        self.preset(Preset::Manual)
    }

    /// Whether a newly ordered pack answers `validation_records: []` while it is
    /// `initializing`, and its records only from its move to `pending_validation` on (after
    /// [`LifecycleTimings::initializing`]), as the real API does (default: on, except with
    /// [`Preset::Manual`]). Clients must poll for the records instead of reading them from the
    /// order's response.
    #[must_use]
    pub fn delayed_validation_records(mut self, delayed: bool) -> Self {
        self.config.delayed_records = delayed;
        self
    }

    /// Writes every API exchange (not the admin routes) to `path`, one JSON line each, in the
    /// format of [`record::Exchange`]; credentials are never written. Serve it back with
    /// [`record::Replay`] or `cloudflare-ssl-mock replay FILE`.
    #[must_use]
    pub fn record(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.config.record = Some(path.into());
        self
    }

    /// Writes every API exchange to `path` as a HAR 1.2 archive as well (or alone), which
    /// browser developer tools and other HTTP tools open; same redaction as
    /// [`MockServerBuilder::record`]. The file is whole after every exchange.
    #[must_use]
    pub fn record_har(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.config.record_har = Some(path.into());
        self
    }

    /// Options of the recording (e.g. [`record::RecordOptions::redact_ids`]).
    #[must_use]
    pub fn record_options(mut self, options: record::RecordOptions) -> Self {
        self.config.record_options = options;
        self
    }

    /// The API token accepted as `Authorization: Bearer <token>` (default [`DEFAULT_API_TOKEN`]).
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.config.credentials.token = token.into();
        self
    }

    /// The email and global API key accepted as `X-Auth-Email` + `X-Auth-Key`.
    #[must_use]
    pub fn global_api_key(mut self, email: impl Into<String>, key: impl Into<String>) -> Self {
        self.config.credentials.email = email.into();
        self.config.credentials.key = key.into();
        self
    }

    /// The key accepted as `X-Auth-User-Service-Key`.
    #[must_use]
    pub fn user_service_key(mut self, key: impl Into<String>) -> Self {
        self.config.credentials.user_service_key = key.into();
        self
    }

    /// Replaces the seeded zones (default [`ZoneSeed::defaults`]). The first one is
    /// [`MockServer::zone_id`].
    #[must_use]
    pub fn zones(mut self, zones: Vec<ZoneSeed>) -> Self {
        self.config.zones = zones;
        self
    }

    /// How the clock moves (default: the preset's, [`ClockMode::Realtime`] for
    /// [`Preset::Demo`]).
    #[must_use]
    pub fn clock(mut self, mode: ClockMode) -> Self {
        self.config.clock = mode;
        self
    }

    /// The mock's time at start (default: the wall clock, to the second), kept between 1970 and
    /// a century before the clock's limit (the start of the year 9000).
    #[must_use]
    pub fn start_time(mut self, at: DateTime<Utc>) -> Self {
        self.config.start_time = Some(at);
        self
    }

    /// How long new packs stay in each status (default: the preset's, 250 ms each for
    /// [`Preset::Demo`]).
    #[must_use]
    pub fn timings(mut self, timings: LifecycleTimings) -> Self {
        self.config.timings = timings;
        self
    }

    /// The rate limit per credential, on the mock's clock; `None` disables it (default
    /// [`RateLimitPolicy::default`]: 1,200 requests per 5 minutes).
    #[must_use]
    pub fn rate_limit(mut self, policy: Option<RateLimitPolicy>) -> Self {
        self.config.rate_limit = policy;
        self
    }

    /// Seed of the generator of pack identifiers and DCV tokens (same seed, same identifiers).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Serves the `/__mock/` admin routes (default `true`; the binary's `--no-admin` turns them
    /// off).
    #[must_use]
    pub fn admin_routes(mut self, enabled: bool) -> Self {
        self.config.admin_routes = enabled;
        self
    }

    /// Requires this token on every admin request (`Authorization: Bearer <token>` or
    /// `X-Mock-Admin-Token: <token>`; default: none). [`MockServerBuilder::try_start`] refuses a
    /// non-loopback [`MockServerBuilder::host`] with admin routes but no admin token. An empty
    /// token means none.
    #[must_use]
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.config.admin_token = (!token.is_empty()).then_some(http::Secret(token));
        self
    }

    /// Also accepts admin requests whose `Host` names `host` (e.g. a container's service name
    /// such as `mock`). By default only loopback names and addresses and the address served
    /// are accepted, so a web page cannot reach the admin routes through DNS rebinding.
    #[must_use]
    pub fn admin_host(mut self, host: impl Into<String>) -> Self {
        self.config.admin_hosts.push(host.into());
        self
    }

    /// Fault rules `POST /__mock/faults` may queue at once (default
    /// [`DEFAULT_MAX_FAULT_RULES`]); one more is refused with 400. Rules queued from Rust
    /// ([`Faults::next`]) are not capped.
    #[must_use]
    pub fn max_fault_rules(mut self, rules: usize) -> Self {
        self.config.max_fault_rules = rules;
        self
    }

    /// Largest latency `POST /__mock/latency` accepts (default [`DEFAULT_MAX_LATENCY`]).
    #[must_use]
    pub fn max_latency(mut self, latency: Duration) -> Self {
        self.config.max_latency = latency;
        self
    }

    /// Adds a route outside the document ([`UserRoute`]); an invalid one
    /// ([`UserRoute::check`]) makes [`MockServerBuilder::try_start`] fail.
    #[must_use]
    pub fn route(mut self, route: UserRoute) -> Self {
        self.config.user_routes.push(route);
        self
    }

    /// User routes `POST /__mock/routes` may hold at once (default
    /// [`DEFAULT_MAX_USER_ROUTES`]; routes given to [`MockServerBuilder::route`] count too).
    #[must_use]
    pub fn max_user_routes(mut self, routes: usize) -> Self {
        self.config.max_user_routes = routes;
        self
    }

    /// Connection bounds: header and idle timeouts, connection cap, body bytes in flight
    /// (default [`ServerLimits::default`]).
    #[must_use]
    pub fn limits(mut self, limits: ServerLimits) -> Self {
        self.config.limits = limits;
        self
    }

    /// Binds and starts serving on the current Tokio runtime.
    ///
    /// # Errors
    /// When the port cannot be bound, or (a defect of the crate) the embedded OpenAPI document
    /// does not compile.
    pub async fn try_start(self) -> std::io::Result<MockServer> {
        if self.config.admin_routes
            && self.config.admin_token.is_none()
            && !self.config.host.is_loopback()
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "host {}: admin routes on a non-loopback address need an admin token \
                     (admin_token, --admin-token) or no admin routes (admin_routes(false), --no-admin)",
                    self.config.host
                ),
            ));
        }
        for route in &self.config.user_routes {
            route.check().map_err(|e| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("user route: {e}"))
            })?;
        }
        let contract = Contract::shared().map_err(std::io::Error::other)?;
        let listener =
            TcpListener::bind(SocketAddr::new(self.config.host, self.config.port)).await?;
        let addr = listener.local_addr()?;
        let recorder = record::open_recorder(
            self.config.record.as_ref(),
            self.config.record_har.as_ref(),
            &format!("http://{}{}", record::advertised(addr), http::API_PREFIX),
            self.config.record_options,
        )?;
        let shared = Arc::new(Shared::new(self.config, contract, addr, recorder));
        let (shutdown, receiver) = watch::channel(false);
        let handler_shared = Arc::clone(&shared);
        let handler = Arc::new(move |req, kill| -> http::ResponseFuture<server::MockBody> {
            Box::pin(server::handle(Arc::clone(&handler_shared), req, kill))
        });
        tokio::spawn(http::serve(
            listener,
            Arc::clone(&shared.gate),
            handler,
            receiver,
        ));
        Ok(MockServer { shared, shutdown })
    }

    /// Binds and starts serving on the current Tokio runtime.
    ///
    /// # Panics
    /// When [`MockServerBuilder::try_start`] fails (the port is taken).
    pub async fn start(self) -> MockServer {
        match self.try_start().await {
            Ok(server) => server,
            Err(e) => panic!("cannot start the Cloudflare SSL mock: {e}"),
        }
    }
}

impl MockServer {
    /// Starts a mock with the default configuration ([`Preset::Demo`]: the clock moves on its
    /// own, a new pack is `active` about a second after it is ordered) on a free port of
    /// 127.0.0.1. For tests that drive the clock themselves, see [`MockServer::start_manual`].
    ///
    /// # Panics
    /// When no port can be bound; use [`MockServer::try_start`] to handle that.
    pub async fn start() -> MockServer {
        MockServer::builder().start().await
    }

    /// Starts a mock on the manual clock ([`Preset::Manual`]): time moves only with
    /// [`MockServer::advance`], [`MockServer::tick`] and [`MockServer::settle`], and new packs
    /// show their validation records at once. Deterministic, for tests.
    ///
    /// # Panics
    /// When no port can be bound.
    pub async fn start_manual() -> MockServer {
        MockServer::builder().manual_clock().start().await
    }

    /// Like [`MockServer::start`], returning the error instead of panicking.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn try_start() -> std::io::Result<MockServer> {
        MockServer::builder().try_start().await
    }

    /// A builder to configure the mock.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The API base URL, `http://127.0.0.1:PORT/client/v4` (no trailing slash).
    pub fn base_url(&self) -> String {
        self.shared.base_url()
    }

    /// The URL of the admin routes, `http://127.0.0.1:PORT/__mock`.
    pub fn admin_url(&self) -> String {
        format!("http://{}{}", self.shared.advertised(), http::ADMIN_PREFIX)
    }

    /// The socket address served.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    fn credentials(&self) -> &Credentials {
        &self.shared.config.credentials
    }

    /// The accepted API token (`Authorization: Bearer <token>`).
    pub fn token(&self) -> &str {
        &self.credentials().token
    }

    /// The accepted `X-Auth-Email`.
    pub fn api_email(&self) -> &str {
        &self.credentials().email
    }

    /// The accepted `X-Auth-Key` (global API key).
    pub fn api_key(&self) -> &str {
        &self.credentials().key
    }

    /// The accepted `X-Auth-User-Service-Key`.
    pub fn user_service_key(&self) -> &str {
        &self.credentials().user_service_key
    }

    /// The first seeded zone's identifier ([`DEFAULT_ZONE_ID`] by default); empty when the mock
    /// was configured without zones.
    pub fn zone_id(&self) -> &str {
        self.shared
            .config
            .zones
            .first()
            .map_or("", |z| z.id.as_str())
    }

    /// Every zone served.
    pub fn zones(&self) -> Vec<MockZone> {
        self.shared
            .state()
            .zones
            .iter()
            .map(|z| MockZone {
                id: z.id.clone(),
                name: z.name.clone(),
            })
            .collect()
    }

    /// Fault injection (all operations; narrow with [`Faults::on`]).
    pub fn faults(&self) -> Faults {
        Faults {
            plan: self.shared.fault_plan(),
            operation: None,
            stage: FaultStage::BeforeHandling,
            zone: None,
            path: None,
        }
    }

    /// A snapshot of the request counters.
    pub fn counters(&self) -> Counters {
        self.shared.state().counters.clone()
    }

    /// Certificate packs created by `order` so far.
    pub fn orders_created(&self) -> u64 {
        self.shared.state().counters.orders_created
    }

    /// The mock's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.state().now()
    }

    /// Moves the mock's clock forward and applies the lifecycle transitions that fall due. The
    /// clock stops at the start of the year 9000 (so every date it derives stays a four-digit
    /// RFC 3339 year); a longer advance moves it there.
    pub fn advance(&self, by: Duration) {
        let mut state = self.shared.state();
        if state.advance(by).is_err() {
            let rest = (state::clock_limit() - state.now())
                .to_std()
                .unwrap_or(Duration::ZERO);
            // Cannot pass the limit: `rest` ends at or before it.
            let _ = state.advance(rest);
        }
    }

    /// Moves the clock to the next lifecycle transition of any pack and applies it; `false`
    /// when no pack is moving.
    pub fn tick(&self) -> bool {
        self.shared.state().tick()
    }

    /// Ticks until no pack is moving (every new pack is `active`); returns the number of ticks.
    pub fn settle(&self) -> usize {
        self.shared.state().settle()
    }

    /// A certificate pack as the API would show it (`CertificatePack` JSON), if it exists.
    pub fn certificate_pack(&self, zone_id: &str, pack_id: &str) -> Option<serde_json::Value> {
        let mut state = self.shared.state();
        state.settle_lifecycle();
        let zone = state.zone(zone_id)?;
        let pack = zone.pack(pack_id)?.to_json(zone);
        // As `GET` answers it: with the properties the document added later (`x-source`).
        let mut body = serde_json::json!({ "result": pack });
        examples::fill_recorded(Operation::GetCertificatePack.operation_id(), &mut body);
        Some(body["result"].take())
    }

    /// Forces a pack into any status of the document (e.g. `validation_timed_out`), as of now.
    ///
    /// # Errors
    /// Unknown zone, pack or status.
    pub fn set_pack_status(
        &self,
        zone_id: &str,
        pack_id: &str,
        status: &str,
    ) -> Result<(), MockError> {
        self.shared
            .state()
            .set_pack_status(zone_id, pack_id, status)
            .map(|_| ())
            .map_err(MockError)
    }

    /// Responses the mock sent that do not conform to the curated document (should be empty;
    /// tests assert it). Fault-injected responses are not checked.
    pub fn schema_violations(&self) -> Vec<String> {
        self.shared.violations()
    }

    /// Connections open now (at most [`ServerLimits::max_connections`]).
    pub fn open_connections(&self) -> usize {
        self.shared.gate.open_connections()
    }

    /// Connections refused at [`ServerLimits::max_connections`] so far.
    pub fn refused_connections(&self) -> u64 {
        self.shared.gate.refused_connections()
    }

    /// Request-body bytes held in memory now (at most [`ServerLimits::max_body_in_flight`]).
    pub fn body_bytes_in_flight(&self) -> usize {
        self.shared.gate.body_bytes_in_flight()
    }

    /// Back to the seeded state: zones, packs, clock, counters, faults, recorded violations.
    pub fn reset(&self) {
        self.shared.reset();
    }
}
