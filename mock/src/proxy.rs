//! The conformance proxy: forwards requests to the real API (or any upstream) unchanged and
//! checks every exchange against the curated document with the mock's own validator.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use cloudflare_ssl_mock::proxy::{Proxy, ProxyConfig};
//!
//! let proxy = Proxy::start(
//!     ProxyConfig::new("https://api.cloudflare.com/client/v4")?
//!         .report("violations.jsonl")
//!         .record("session.jsonl"),
//! )
//! .await?;
//! // Point any client at the proxy; its credentials go to the upstream untouched.
//! let client = cloudflare_ssl::Client::builder()
//!     .api_token(std::env::var("CLOUDFLARE_API_TOKEN")?)
//!     .base_url(proxy.base_url())
//!     .build()?;
//! let zone = client.zone(std::env::var("CLOUDFLARE_ZONE_ID")?)?;
//! zone.certificate_packs().quota().await?;
//! for violation in proxy.violations() {
//!     eprintln!("{violation}");
//! }
//! # Ok(()) }
//! ```
//!
//! * The proxy serves `http://127.0.0.1:PORT/client/v4/…` and forwards to `{upstream}/…`
//!   with the method, query, body and headers as sent (hop-by-hop headers and
//!   `Accept-Encoding` excepted, so the body can be read), without following redirects.
//! * The response goes back as received: status, headers and body bytes.
//! * Each exchange is checked: the request (path parameters, query, body) and the response
//!   (status documented, body against its schema). Every violation is reported with the
//!   operation, JSON pointer, expected and found value (an excerpt of at most 256 bytes) and the
//!   `cf-ray`: on stderr, in a JSONL report ([`ProxyConfig::report`]), and in memory for
//!   `GET /__mock/violations` — the newest [`ProxyConfig::max_stored_violations`], with counts
//!   per `(operation, pointer)` at `GET /__mock/violations/counts`. At most 20 are listed per
//!   response, and a response over [`ProxyConfig::max_validate_body`] is not parsed (one report
//!   says so), so memory per request stays close to the bodies' size.
//! * Bodies are buffered up to [`ProxyConfig::max_body`] (8 MiB): a larger request is
//!   answered 413, a larger response 502, both with a Cloudflare-style envelope and
//!   `x-proxy-error: true`. An unreachable upstream is a 502 too.
//! * Credentials are forwarded and never written anywhere: reports carry no headers but
//!   `cf-ray`, and recordings ([`ProxyConfig::record`], [`ProxyConfig::record_har`]) no request
//!   headers at all, with the request's credentials redacted wherever the answer echoes them.
//! * Connections are bounded like the mock's ([`ProxyConfig::limits`]).
//! * TLS to the upstream uses rustls with the ring provider, trusting the Mozilla roots of
//!   `webpki-roots` and the system's roots, configured for this client only. A plain
//!   `http://` upstream is accepted only on a loopback host (e.g. the mock).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{HeaderMap, Request, Response, StatusCode};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::conformance::{self, ContractViolation, ExchangeRef, Sink};
use crate::envelope::ApiError;
use crate::http::{ADMIN_PREFIX, API_PREFIX};
use crate::record::{Exchange, RecordOptions, Recorder};
use crate::spec::Contract;

/// The real API's base URL, the proxy's default upstream.
pub const DEFAULT_UPSTREAM: &str = "https://api.cloudflare.com/client/v4";
/// Largest body the proxy buffers by default (8 MiB).
pub const DEFAULT_MAX_BODY: usize = 8 << 20;
/// Largest response body the proxy parses and validates by default (1 MiB); a larger one is
/// passed through and reported once as not validated.
pub const DEFAULT_MAX_VALIDATE_BODY: usize = 1 << 20;
pub use crate::conformance::{ViolationCount, DEFAULT_MAX_STORED_VIOLATIONS};
/// Envelope error code of the proxy's own failures (upstream unreachable, body too large).
pub const CODE_PROXY_ERROR: i64 = 10502;

/// An invalid [`ProxyConfig`] or a proxy that could not start.
#[derive(Debug)]
pub struct ProxyError(String);

impl std::fmt::Display for ProxyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProxyError {}

/// Configuration of a [`Proxy`].
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    upstream: String,
    host: IpAddr,
    port: u16,
    report: Option<PathBuf>,
    record: Option<PathBuf>,
    record_options: RecordOptions,
    max_body: usize,
    stderr: bool,
    timeout: Duration,
    limits: crate::http::ServerLimits,
    admin_token: Option<crate::http::Secret>,
    admin_hosts: Vec<String>,
    max_validate_body: usize,
    max_stored_violations: usize,
    record_har: Option<PathBuf>,
}

impl ProxyConfig {
    /// A proxy to `upstream` (a base URL such as [`DEFAULT_UPSTREAM`]; `http://` only for a
    /// loopback host).
    ///
    /// # Errors
    /// When the URL does not parse, has another scheme, or is plain HTTP to a non-loopback
    /// host.
    pub fn new(upstream: &str) -> Result<ProxyConfig, ProxyError> {
        let url = reqwest::Url::parse(upstream)
            .map_err(|e| ProxyError(format!("invalid upstream URL `{upstream}`: {e}")))?;
        let host = url.host_str().unwrap_or_default();
        match url.scheme() {
            "https" => {}
            "http" if crate::http::is_loopback_host(host) => {}
            "http" => {
                return Err(ProxyError(format!(
                    "refusing plain http:// to `{host}`: credentials would cross the network \
                     unencrypted (http:// is accepted only for loopback hosts)"
                )))
            }
            other => return Err(ProxyError(format!("unsupported upstream scheme `{other}`"))),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ProxyError(
                "the upstream URL must not carry credentials".into(),
            ));
        }
        Ok(ProxyConfig {
            upstream: upstream.trim_end_matches('/').to_owned(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            report: None,
            record: None,
            record_options: RecordOptions::default(),
            max_body: DEFAULT_MAX_BODY,
            stderr: false,
            timeout: Duration::from_secs(60),
            limits: crate::http::ServerLimits::default(),
            admin_token: None,
            admin_hosts: Vec::new(),
            max_validate_body: DEFAULT_MAX_VALIDATE_BODY,
            max_stored_violations: DEFAULT_MAX_STORED_VIOLATIONS,
            record_har: None,
        })
    }

    /// Listens on this address (default 127.0.0.1; the proxy forwards credentials, so keep it on
    /// loopback).
    #[must_use]
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// Listens on this port (default 0: any free port).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Appends each violation as a JSON line ([`ContractViolation`]) to this file.
    #[must_use]
    pub fn report(mut self, path: impl Into<PathBuf>) -> Self {
        self.report = Some(path.into());
        self
    }

    /// Records every exchange to this file (see [`crate::record`]).
    #[must_use]
    pub fn record(mut self, path: impl Into<PathBuf>) -> Self {
        self.record = Some(path.into());
        self
    }

    /// Also (or only) records every exchange of the document's operations to this HAR 1.2 file
    /// (URLs of the upstream), with the same redaction.
    #[must_use]
    pub fn record_har(mut self, path: impl Into<PathBuf>) -> Self {
        self.record_har = Some(path.into());
        self
    }

    /// Options of the recording (e.g. [`RecordOptions::redact_ids`]).
    #[must_use]
    pub fn record_options(mut self, options: RecordOptions) -> Self {
        self.record_options = options;
        self
    }

    /// Largest request or response body buffered (default [`DEFAULT_MAX_BODY`]).
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Prints each violation on stderr as well (default off; the binary turns it on).
    #[must_use]
    pub fn stderr(mut self, on: bool) -> Self {
        self.stderr = on;
        self
    }

    /// Connection bounds (default [`crate::ServerLimits::default`]). Upstream response bytes
    /// count towards [`crate::ServerLimits::max_body_in_flight`] too.
    #[must_use]
    pub fn limits(mut self, limits: crate::ServerLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Requires this token on the proxy's `/__mock/` routes (`Authorization: Bearer <token>` or
    /// `X-Mock-Admin-Token`; default none; empty means none). On a non-loopback
    /// [`ProxyConfig::host`] the routes answer 403 without one.
    #[must_use]
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.admin_token = (!token.is_empty()).then_some(crate::http::Secret(token));
        self
    }

    /// Also accepts `/__mock/` requests whose `Host` names `host` (default: loopback and the
    /// address served only).
    #[must_use]
    pub fn admin_host(mut self, host: impl Into<String>) -> Self {
        self.admin_hosts.push(host.into());
        self
    }

    /// Largest response body parsed and validated (default [`DEFAULT_MAX_VALIDATE_BODY`]); a
    /// larger one is forwarded unchanged and reported once as not validated, so memory per
    /// request stays close to the body's size.
    #[must_use]
    pub fn max_validate_body(mut self, bytes: usize) -> Self {
        self.max_validate_body = bytes;
        self
    }

    /// Violations kept in memory for [`Proxy::violations`] and `GET /__mock/violations`, the
    /// newest (default [`DEFAULT_MAX_STORED_VIOLATIONS`]); every one is still counted
    /// ([`Proxy::violation_counts`]) and written to the report.
    #[must_use]
    pub fn max_stored_violations(mut self, violations: usize) -> Self {
        self.max_stored_violations = violations;
        self
    }

    /// Timeout of one upstream exchange (default 60 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

struct ProxyShared {
    config: ProxyConfig,
    contract: Arc<Contract>,
    client: reqwest::Client,
    sink: Arc<Sink>,
    recorder: Option<Arc<Recorder>>,
    exchanges: AtomicU64,
    gate: Arc<crate::http::Gate>,
    admin_access: crate::http::AdminAccess,
}

/// A running conformance proxy. Dropping it stops the server.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<ProxyShared>,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("addr", &self.addr)
            .field("upstream", &self.shared.config.upstream)
            .finish_non_exhaustive()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// The TLS configuration of the upstream client: ring, Mozilla's roots and the system's.
fn tls_config() -> Result<rustls::ClientConfig, ProxyError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = roots.add(cert);
    }
    let provider = Arc::new(crate::crypto_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ProxyError(format!("TLS configuration: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

impl Proxy {
    /// Binds and starts serving on the current Tokio runtime.
    ///
    /// # Errors
    /// When the address cannot be bound, the report or recording file cannot be created, or
    /// the HTTP client cannot be built.
    pub async fn start(config: ProxyConfig) -> Result<Proxy, ProxyError> {
        let contract = Contract::shared().map_err(ProxyError)?;
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout);
        let loopback = reqwest::Url::parse(&config.upstream)
            .ok()
            .and_then(|u| u.host_str().map(crate::http::is_loopback_host))
            .unwrap_or(false);
        if loopback {
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|e| ProxyError(format!("cannot build the upstream client: {e}")))?;
        let sink = Sink::with_capacity(
            "proxy",
            config.stderr,
            config.report.as_deref(),
            config.max_stored_violations,
        )
        .map_err(|e| ProxyError(format!("cannot open the report file: {e}")))?;
        let recorder = crate::record::open_recorder(
            config.record.as_ref(),
            config.record_har.as_ref(),
            &config.upstream,
            config.record_options,
        )
        .map_err(|e| ProxyError(format!("cannot create the recording: {e}")))?;
        let listener = TcpListener::bind(SocketAddr::new(config.host, config.port))
            .await
            .map_err(|e| {
                ProxyError(format!(
                    "cannot listen on {}:{}: {e}",
                    config.host, config.port
                ))
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| ProxyError(e.to_string()))?;
        let gate = crate::http::Gate::new(config.limits);
        let admin_access = crate::http::AdminAccess {
            token: config.admin_token.clone(),
            bound: addr.ip(),
            hosts: config.admin_hosts.clone(),
        };
        let shared = Arc::new(ProxyShared {
            gate,
            admin_access,
            config,
            contract,
            client,
            sink,
            recorder,
            exchanges: AtomicU64::new(0),
        });
        let (shutdown, receiver) = watch::channel(false);
        let handler_shared = Arc::clone(&shared);
        let handler = Arc::new(
            move |req: Request<Incoming>, _close| -> crate::http::ResponseFuture {
                let shared = Arc::clone(&handler_shared);
                Box::pin(async move { forward(&shared, req).await })
            },
        );
        tokio::spawn(crate::http::serve(
            listener,
            Arc::clone(&shared.gate),
            handler,
            receiver,
        ));
        Ok(Proxy {
            addr,
            shared,
            shutdown,
        })
    }

    /// The base URL to give clients, `http://127.0.0.1:PORT/client/v4`.
    pub fn base_url(&self) -> String {
        format!(
            "http://{}{API_PREFIX}",
            crate::record::advertised(self.addr)
        )
    }

    /// The URL of the proxy's admin routes (`…/__mock`).
    pub fn admin_url(&self) -> String {
        format!(
            "http://{}{ADMIN_PREFIX}",
            crate::record::advertised(self.addr)
        )
    }

    /// The socket address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The upstream base URL.
    pub fn upstream(&self) -> &str {
        &self.shared.config.upstream
    }

    /// The newest violations reported (at most [`ProxyConfig::max_stored_violations`]), oldest
    /// first.
    pub fn violations(&self) -> Vec<ContractViolation> {
        self.shared.sink.all()
    }

    /// Violations reported so far, kept in memory or not.
    pub fn violations_total(&self) -> u64 {
        self.shared.sink.total()
    }

    /// How many violations each `(operation, pointer)` pair had (at most 1,000 pairs; more
    /// count under the pointer `(other)`).
    pub fn violation_counts(&self) -> Vec<ViolationCount> {
        self.shared.sink.counts()
    }

    /// Request and response body bytes held in memory now (at most
    /// [`crate::ServerLimits::max_body_in_flight`]).
    pub fn body_bytes_in_flight(&self) -> usize {
        self.shared.gate.body_bytes_in_flight()
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.shared.gate.open_connections()
    }

    /// Exchanges forwarded so far.
    pub fn exchanges(&self) -> u64 {
        self.shared.exchanges.load(Ordering::Relaxed)
    }
}

const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

fn proxy_error(status: u16, message: String) -> Response<Full<Bytes>> {
    let mut response = crate::http::json(
        status,
        &ApiError::new(status, CODE_PROXY_ERROR, message).body(),
    );
    response.headers_mut().insert(
        HeaderName::from_static("x-proxy-error"),
        HeaderValue::from_static("true"),
    );
    response
}

fn admin(shared: &ProxyShared, method: &str, path: &str) -> Response<Full<Bytes>> {
    let rest = path.trim_start_matches(ADMIN_PREFIX).trim_matches('/');
    match (method, rest) {
        ("GET", "") => crate::http::json(
            200,
            &json!({
                "mode": "proxy",
                "upstream": shared.config.upstream,
                "exchanges": shared.exchanges.load(Ordering::Relaxed),
                "violations": shared.sink.total(),
                "violations_stored": shared.sink.stored(),
                "routes": ["GET /__mock/violations", "GET /__mock/violations/counts"],
            }),
        ),
        ("GET", "violations") => crate::http::json(200, &json!(shared.sink.all())),
        ("GET", "violations/counts") => crate::http::json(200, &json!(shared.sink.counts())),
        _ => crate::http::json(
            404,
            &json!({"error": format!("no admin route {method} {path}")}),
        ),
    }
}

async fn forward(shared: &ProxyShared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().clone();
    let full_path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    if full_path == ADMIN_PREFIX || full_path.starts_with(&format!("{ADMIN_PREFIX}/")) {
        if let Err((status, message)) = shared.admin_access.check(&method, req.headers()) {
            return crate::http::json(status, &json!({ "error": message }));
        }
        return admin(shared, method.as_str(), &full_path);
    }
    let Some(path) = full_path
        .strip_prefix(API_PREFIX)
        .filter(|r| r.is_empty() || r.starts_with('/'))
        .map(str::to_owned)
    else {
        return proxy_error(
            404,
            format!("the proxy serves the API under {API_PREFIX}/ only"),
        );
    };
    let headers = req.headers().clone();
    let held = match crate::http::read_body(
        &shared.gate,
        &headers,
        req.into_body(),
        shared.config.max_body,
    )
    .await
    {
        Ok(held) => held,
        Err(e) => return proxy_error(e.status(), format!("proxy: {}", e.message())),
    };
    let body = held.bytes.clone();
    shared.exchanges.fetch_add(1, Ordering::Relaxed);

    let mut url = format!("{}{path}", shared.config.upstream);
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    let mut outgoing = HeaderMap::new();
    for (name, value) in &headers {
        let n = name.as_str();
        if HOP_BY_HOP.contains(&n) || n == "host" || n == "content-length" || n == "accept-encoding"
        {
            continue;
        }
        outgoing.append(name.clone(), value.clone());
    }
    let started_at = chrono::Utc::now();
    let started = std::time::Instant::now();
    let sent = shared
        .client
        .request(method.clone(), &url)
        .headers(outgoing)
        .body(body.clone())
        .send()
        .await;
    let mut upstream = match sent {
        Ok(r) => r,
        Err(e) => {
            let reason = if e.is_timeout() {
                "timed out".to_owned()
            } else if e.is_connect() {
                "connection failed".to_owned()
            } else {
                "request failed".to_owned()
            };
            return proxy_error(
                502,
                format!(
                    "upstream {} {reason}: {}",
                    shared.config.upstream,
                    error_chain(&e)
                ),
            );
        }
    };
    let status = upstream.status();
    let response_headers = upstream.headers().clone();
    let mut buffered: Vec<u8> = Vec::new();
    let mut _response_permit = crate::http::Gate::empty_permit();
    loop {
        match upstream.chunk().await {
            Ok(Some(chunk)) => {
                if buffered.len().saturating_add(chunk.len()) > shared.config.max_body {
                    return proxy_error(
                        502,
                        format!(
                            "upstream response body larger than the proxy's limit of {} bytes \
                             (--max-body)",
                            shared.config.max_body
                        ),
                    );
                }
                let Some(permit) = shared.gate.reserve(chunk.len()) else {
                    return proxy_error(
                        503,
                        format!(
                            "proxy busy: bodies in flight would exceed max_body_in_flight ({} \
                             bytes); retry later",
                            shared.gate.limits.max_body_in_flight
                        ),
                    );
                };
                _response_permit.merge(permit);
                buffered.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                return proxy_error(
                    502,
                    format!("reading the upstream response failed: {}", error_chain(&e)),
                )
            }
        }
    }
    let cf_ray = response_headers
        .get("cf-ray")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let violations = conformance::check(
        &shared.contract,
        &ExchangeRef {
            method: method.as_str(),
            path: &path,
            query: &query,
            request_body: Some(&body),
            status: status.as_u16(),
            response_body: &buffered,
            cf_ray: cf_ray.as_deref(),
            validate_limit: shared.config.max_validate_body,
        },
    );
    shared.sink.report(&violations);
    // Only the document's operations are recorded: other answers (a new API token's value, say)
    // may hold secrets, and the recording is for replaying the operations.
    let recording = shared.recorder.as_ref().and_then(|recorder| {
        conformance::operation_of(&shared.contract, method.as_str(), &path)
            .map(|operation| (recorder, operation))
    });
    if let Some((recorder, operation)) = recording {
        let content_type = response_headers
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let mut exchange = Exchange::new(
            method.as_str(),
            &path,
            &query,
            status.as_u16(),
            content_type,
            &buffered,
            recorder.options().max_body,
        );
        exchange.operation = Some(operation);
        exchange.violations = violations
            .into_iter()
            .filter(|v| v.direction == conformance::Direction::Response)
            .collect();
        recorder.record_redacting(
            exchange,
            &crate::record::request_secrets(&headers),
            Some(crate::record::Timing::since(started_at, started)),
        );
    }

    let mut response = Response::new(Full::new(Bytes::from(buffered)));
    *response.status_mut() =
        StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    for (name, value) in &response_headers {
        let n = name.as_str();
        if HOP_BY_HOP.contains(&n) || n == "content-length" {
            continue;
        }
        response.headers_mut().append(name.clone(), value.clone());
    }
    response
}

/// An error and its sources, without the URL's query (no secrets are in URLs of this API, but
/// keep reports short).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
