//! Schema-accurate, ergonomic access to Cloudflare's SSL/TLS API: certificate packs (list, get,
//! order, edit, delete, quota), certificate analysis, the SSL/TLS Recommender, Automatic SSL/TLS,
//! Universal SSL settings and SSL verification.
//!
//! ```
//! use cloudflare_ssl::{Client, OrderRequest, WaitOptions};
//! use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> cloudflare_ssl::Result<()> {
//! # let mock = cloudflare_ssl_mock::MockServer::start().await;
//! # let lookup = |name: &str| match name {
//! #     "CLOUDFLARE_API_TOKEN" => Some(mock.token().to_owned()),
//! #     "CLOUDFLARE_BASE_URL" => Some(mock.base_url()),
//! #     _ => None,
//! # };
//! # let client = cloudflare_ssl::ClientBuilder::from_lookup(lookup)?.build()?;
//! # let zone_id = mock.zone_id();
//! // let client = Client::from_env()?; // CLOUDFLARE_API_TOKEN, ...
//! let zone = client.zone(zone_id)?;
//! let packs = zone.certificate_packs();
//! let pack = packs
//!     .order(OrderRequest::new(
//!         ["example.com", "*.example.com"],
//!         CertificateAuthority::LetsEncrypt,
//!         CertificatePackValidationMethod::Txt,
//!         ValidityDays::Days90,
//!     ))
//!     .await?;
//! // DCV records can arrive after the order: poll for them (every 2 s here).
//! let every = WaitOptions::every(std::time::Duration::from_secs(2));
//! let pack = packs.wait_for_validation_records(&pack.id, every).await?;
//! for record in &pack.validation_records {
//!     println!("TXT {:?} = {:?}", record.txt_name, record.txt_value);
//! }
//! # Ok(()) }
//! ```
//!
//! # Crate organization
//!
//! The curated OpenAPI document `openapi/cloudflare-ssl.yaml` is turned into [`generated`]
//! (progenitor's client, the [`types`], open enums, the [`Operation`] enum) at build time by
//! `build.rs` through `openapi/codegen.rs`. Nothing generated is edited by hand. Beside it, the
//! handwritten layer, one concern per file:
//!
//! | file | what users touch |
//! |---|---|
//! | `client.rs` | [`Client`], [`ClientBuilder`]: credentials, base URL, timeouts, limits, your own `reqwest::Client` |
//! | `zone.rs` | [`Zone`], from [`Client::zone`] |
//! | `certificate_packs/mod.rs` | [`CertificatePacks`]: get, edit, delete, quota, validation method |
//! | `certificate_packs/list.rs` | [`ListCertificatePacks`], [`Page`]: pages and streams that always end |
//! | `certificate_packs/order.rs` | [`OrderRequest`], [`OrderCall`], [`CertificatePacks::ensure`] |
//! | `certificate_packs/wait.rs` | [`WaitOptions`], [`StatusChange`], waiting and watching |
//! | `settings.rs` | [`UniversalSsl`], [`AutomaticSsl`], the recommendation |
//! | `verification.rs` | [`Verification`] |
//! | `analyze.rs` | [`Zone::analyze_certificate`] |
//! | `raw.rs` | [`Client::request`], [`RawRequest`]: any v4 path |
//! | `call.rs` | [`Call`], [`RequestOptions`]: per-call options, `.await` |
//! | `response.rs` | [`ApiResponse`], [`ResponseMeta`], [`RawResponse`]: what a call gives back |
//! | `error.rs` | [`Error`], [`ApiError`], [`InputError`] |
//! | `ids.rs` | [`IntoIdentifier`]: ids that cannot leave their path segment |
//!
//! Mechanisms, beside them: `transport.rs` (every request: path check, headers, rate limit and
//! pacing, attempts and retries, deadline, bounded body, tracing), `envelope.rs` ([`ApiResponse`];
//! the one envelope decoder and the one classification of outcomes), `retry.rs`
//! ([`RetryPolicy`]), `ratelimit.rs` ([`RateLimit`]), `auth.rs` ([`Credentials`]), `tls.rs` (this
//! client's TLS, no global provider), `strict.rs` (no undocumented enum value in a request),
//! `lists.rs` (iterating the generated list types), `tolerant.rs` (the field helpers of the
//! tolerant reader below). The macros the generator calls with data from the document, each
//! written and tested once: `operation.rs` ([`Operation`]), `envelope_impl.rs` (each response's
//! envelope), `open_enum.rs` and `lenient_string.rs` (open enums, length-limited strings). The
//! mock of the API is the separate crate `cloudflare-ssl-mock`.
//!
//! # The call path
//!
//! A call owns its options and passes them down; every step gets what it needs as an argument
//! and returns a value (no task-local, no shared slot but the one noted):
//!
//! ```text
//! zone.certificate_packs().get(id)             client.request(method, path)
//!   │ Call::new(client, Operation, builder)      │ RawRequest
//!   ▼                                            │
//! Call<T> ── .timeout() .deadline() .retry()     │
//!   │ .await: CallSpec { operation, template, idempotent, options, deadline }
//!   ▼                                            │
//! per-call generated::Client                     │
//!   inner: Transport { config, call: CallScope } │
//!   │ progenitor builder .send() → pre hook      │
//!   ▼ (the adapter, call.rs)                     ▼
//! Config::execute(http, request, &CallSpec) ──► attempts: limiter, pacing, timeout ≤ deadline,
//!   │                                           bounded body read, retry if classify() says so
//!   ▼
//! Exchange { outcome: Ok(Reply { meta, body }) | Err(Failure), sent }
//!   │ (the adapter parks it in the CallScope; the call takes it back when send() returns)
//!   ▼
//! envelope::finish::<E>(&spec, exchange)        E: the generated envelope, or Parts<T> (raw)
//!   decode(): the one envelope decoder (typed, raw and failure bodies)
//!   classify(): ok | API error | retryable | unknown | accepted
//!   ▼
//! Result<ApiResponse<T>>  (RawRequest::send_bytes: the Reply itself as a RawResponse)
//! ```
//!
//! For a call, the adapter sends the request from progenitor's `pre` hook, keeps the transport's
//! `Exchange` in the per-call client, which the call owns, and stops the generated code there
//! (it reads nothing). Only [`Client::generated`] (no call) goes on to the `exec` hook, which
//! hands the generated code a response rebuilt from the reply.
//!
//! # Tolerant reader, strict writer
//!
//! Responses are read leniently, so that a field or value Cloudflare adds, or a reply from an
//! older or Go-written service, does not fail a call; requests are written strictly.
//!
//! * A field the document does not list is kept in the struct's `extra`, and re-encoded.
//! * An enum in a response is *open*: an undocumented value decodes as `Unknown(..)` and
//!   re-encodes as it came.
//! * An optional list that is `null` or absent decodes as an empty `Vec` (re-encoded as `[]`:
//!   the one normalisation of lists).
//! * An integer accepts an integral float (`10.0`, not `10.5`); a certificate's date accepts RFC
//!   3339 and the two layouts Go services print (re-encoded as RFC 3339).
//! * A property the document marks required may be `null` or absent only where the document
//!   says why (`x-lenient`, shown as *Lenient* in the field's docs). Such a field is an
//!   `Option` (or, for a list, an empty `Vec`): the reader never invents a value, and
//!   re-encoding gives back what came in (`null` re-encodes as absent). Anywhere else a missing
//!   or `null` required value is a decode error naming its JSON path: a pack without an `id` or
//!   `status` cannot be acted on.
//! * In requests, only documented enum values are sent: an `Unknown(..)` value is an
//!   [`InputError`] naming the field.
//!
//! # Limits
//!
//! Every call is bounded: [`DEFAULT_TIMEOUT`] per attempt, [`DEFAULT_DEADLINE`] for the whole
//! call, [`DEFAULT_MAX_RESPONSE_BYTES`] per response body, [`DEFAULT_MAX_PAGES`] per listing
//! stream, [`DEFAULT_WAIT_DEADLINE`] per wait. All are configurable.
//!
//! # Features
//!
//! * `gzip` (off): accept gzip-compressed responses.
//! * `http2` (off): negotiate HTTP/2. Both are off because this API's answers are small and a
//!   keep-alive HTTP/1.1 pool serves it well; each adds crates to every build.
//!
//! Proxies are taken from the environment (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`) as
//! `reqwest` does; bring your own `reqwest::Client` ([`ClientBuilder::http_client`]) for
//! anything else.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod analyze;
mod auth;
mod call;
mod certificate_packs;
mod client;
mod envelope;
mod envelope_impl;
mod error;
pub mod generated;
mod ids;
mod lenient_string;
mod lists;
mod open_enum;
mod operation;
mod pacing;
mod ratelimit;
mod raw;
mod response;
mod retry;
mod settings;
mod strict;
mod tls;
// The workspace's OpenAPI toolkit (`openapi/toolkit.rs`, shared with `build.rs` and xtask):
// `$ref` resolution and the OpenAPI 3.0 → JSON Schema conversion the mock validates with. Not
// part of the crate's API (hidden); documented by its own `//!`.
mod tolerant;
#[doc(hidden)]
#[path = "../openapi/toolkit.rs"]
pub mod toolkit;
mod transport;
mod verification;
mod zone;
mod zones;

pub use auth::{Credentials, Secret};
pub use call::Call;
pub use certificate_packs::converge::{
    Converge, ConvergeError, ConvergeEvent, ConvergeOptions, DnsError, DnsHook,
};
pub use certificate_packs::expiry::ExpiringPack;
pub use certificate_packs::list::{
    ListCertificatePacks, Page, DEFAULT_MAX_PAGES, DEFAULT_PER_PAGE, PER_PAGE_RANGE,
};
pub use certificate_packs::order::{Ensured, OrderCall, OrderRequest, MAX_HOSTS};
pub use certificate_packs::wait::{
    is_terminal_failure, StatusChange, WaitOptions, DEFAULT_WAIT_DEADLINE,
};
pub use certificate_packs::CertificatePacks;
pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, USER_AGENT,
};
pub use envelope::ACCEPTED_BODY_LIMIT;
pub use error::{AcceptedResponse, ApiError, ApiMessage, Error, InputError, Result};
pub use generated::{Operation, RequestVisitor, ResponseVisitor, UnknownOperation};
pub use ids::{IntoIdentifier, MAX_IDENTIFIER_LENGTH, MAX_SERVER_ID_LENGTH};
pub use pacing::ServerBudget;
pub use ratelimit::RateLimit;
pub use raw::RawRequest;
pub use response::{ApiResponse, RawResponse, ResponseMeta};
pub use retry::{is_retryable_status, retry_after, RetryPolicy};
pub use settings::{AutomaticSsl, UniversalSsl};
pub use tls::{http_client_builder, tls_config};
pub use transport::ERROR_BODY_PARSE_LIMIT;
pub use transport::{RequestOptions, Transport};
pub use verification::Verification;
pub use zone::Zone;
pub use zones::MAX_ZONE_NAME_LENGTH;

/// The HTTP client crate this one is built on, for [`ClientBuilder::http_client`] and
/// [`Client::request`] (the same version, so its types fit). It is built with rustls but no
/// crypto provider: build your client from [`http_client_builder`] (a plain
/// `reqwest::Client::new()` panics unless the program installs a process-wide provider).
pub use reqwest;
/// HTTP methods, for [`Client::request`].
pub use reqwest::Method;

/// Every request and response type of the API, generated from the curated OpenAPI document.
///
/// Enums that appear in responses are *open* (see [`generated::open`]): unknown values decode
/// into `Unknown(..)` instead of failing.
pub mod types {
    #[doc(inline)]
    pub use crate::generated::open::*;
    #[doc(inline)]
    pub use crate::generated::types::*;
}

/// The curated OpenAPI document this crate is generated from, as JSON.
pub const OPENAPI_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/cloudflare-ssl.json"));

/// The README's examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[cfg(test)]
mod readme {
    /// The README's Rust examples are complete programs as a reader sees them: no lines that
    /// rustdoc hides (`# `), which every Markdown renderer shows and which make a pasted example
    /// fail. `ReadmeDoctests` compiles them (and runs those not marked `no_run`).
    #[test]
    fn rust_examples_are_whole_programs_without_hidden_lines() {
        let readme = include_str!("../README.md");
        let mut blocks = 0;
        let mut rest = readme;
        while let Some(start) = rest.find("```rust") {
            let body = &rest[start..];
            let open_end = body.find('\n').unwrap_or(body.len());
            let close = body[open_end..]
                .find("\n```")
                .map_or(body.len(), |c| open_end + c);
            let code = &body[open_end..close];
            assert!(
                !code
                    .lines()
                    .any(|l| l.trim_start() == "#" || l.trim_start().starts_with("# ")),
                "a README example has rustdoc-hidden lines:\n{code}"
            );
            assert!(code.contains("fn main()"), "not a whole program:\n{code}");
            blocks += 1;
            rest = &body[close..];
        }
        assert!(blocks >= 2, "the README's examples were not found");
    }
}
