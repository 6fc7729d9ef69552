//! The transport behind every request: progenitor's `ClientHooks` for the generated client, and
//! the raw requests of [`Client::request`](crate::Client::request).
//!
//! Each request goes through [`Transport::execute`]:
//! * its path is checked against its operation's path template under the base path (defence in
//!   depth behind the id checks of [`IntoIdentifier`](crate::IntoIdentifier));
//! * the `api-version` header progenitor adds is dropped, the per-attempt timeout applied (never
//!   past the call's deadline), the client-side rate limiter consulted;
//! * the response body is read **inside the attempt**, bounded by the body limit (checked on
//!   `Content-Length` before reading and while streaming), so that a body cut off mid-read can be
//!   retried like a connection error for idempotent operations;
//! * retryable failures are retried by the [`RetryPolicy`], never sleeping past the deadline,
//!   and requests that are not idempotent (a certificate pack order) are never resent once they
//!   may have reached the server;
//! * all inside one `tracing` span. Credentials are default headers of the crate's own
//!   `reqwest::Client`, or added to each request when the caller brought their own client
//!   (marked sensitive either way); nothing here logs headers or bodies.
//!
//! Per-call options and the metadata of the last response travel through a task-local
//! [`CallContext`] that the ergonomic layer sets around each call. Failures the transport itself
//! decides (a body over the limit, a refused path) reach the generated client as a response whose
//! body fails to read with a [`LocalFailure`] as the error's source, which the ergonomic layer
//! turns into its own error variants.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{HeaderMap, HeaderName};
use tokio::time::Instant;
use tracing::Instrument;

use crate::generated::{Client as GeneratedClient, Operation};
use crate::ratelimit::RateLimiter;
use crate::retry::{is_retryable_status, RetryPolicy};

/// Header names used on every request, as constants (a `&str` name is parsed and hashed anew each
/// time).
const API_VERSION: HeaderName = HeaderName::from_static("api-version");
const CF_RAY: HeaderName = HeaderName::from_static("cf-ray");

/// The generated client's context (progenitor's "inner" value): the retry policy, limits and
/// pacing every request of a [`Client`](crate::Client) goes through. Opaque: it has no public
/// fields or methods, and appears in the public API only because the generated
/// [`generated::Client`](crate::generated::Client)'s constructors name it; get a configured
/// generated client from [`Client::generated`](crate::Client::generated).
#[derive(Clone, Debug)]
pub struct Transport {
    pub(crate) retry: RetryPolicy,
    pub(crate) limiter: Option<Arc<RateLimiter>>,
    /// Server-advised pacing (`None` when turned off).
    pub(crate) pacer: Option<Arc<crate::pacing::Pacer>>,
    /// Largest response body read, in bytes.
    pub(crate) max_body: u64,
    /// Default deadline of a whole call (every attempt and wait).
    pub(crate) deadline: Duration,
    /// The base URL's path (e.g. `/client/v4`), without a trailing slash.
    pub(crate) base_path: String,
    /// Default time for one attempt.
    pub(crate) timeout: Duration,
    /// Headers added to every request (credentials and `User-Agent` when the caller brought
    /// their own `reqwest::Client`; empty otherwise, as the crate's client has them as defaults).
    pub(crate) headers: HeaderMap,
}

/// Options for one call, overriding the client's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestOptions {
    /// Total time allowed for each attempt (connect, send, receive the whole body).
    pub timeout: Option<Duration>,
    /// Total time allowed for the whole call: every attempt and every wait between attempts.
    pub deadline: Option<Duration>,
    /// Retry policy for this call.
    pub retry: Option<RetryPolicy>,
    /// Allow resending a request that is not idempotent (a certificate pack order) even after it
    /// may have reached the server. Off by default: a resent order can create a second pack.
    pub retry_orders: bool,
}

/// HTTP metadata of the final response of a call.
#[derive(Clone, Debug, Default)]
pub struct ResponseMeta {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Attempts made (1 when the first succeeded).
    pub attempts: u32,
    /// The delay slept before each retry, in order.
    pub retry_delays: Vec<Duration>,
}

impl ResponseMeta {
    /// The `cf-ray` header: quote it to Cloudflare support.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let page = client.zone(mock.zone_id())?.certificate_packs().list().send().await?;
    /// println!("quote this to Cloudflare support: {:?}", page.meta.cf_ray());
    /// assert!(page.meta.cf_ray().is_some());
    /// # Ok(()) }
    /// ```
    pub fn cf_ray(&self) -> Option<&str> {
        self.headers.get(CF_RAY).and_then(|v| v.to_str().ok())
    }
}

/// What the ergonomic layer shares with the transport for one call.
#[derive(Debug, Default)]
pub(crate) struct CallContext {
    pub(crate) options: RequestOptions,
    /// When the whole call must be over, and the limit it came from; started by the call (an
    /// explicit deadline) or by the transport's first attempt (the client's default).
    pub(crate) deadline: std::sync::OnceLock<(Instant, Duration)>,
    /// For raw requests: whether the request is idempotent (known operations say it themselves).
    pub(crate) idempotent: Option<bool>,
    pub(crate) meta: Mutex<Option<ResponseMeta>>,
    /// Whether any attempt may have reached the server (a request was written).
    pub(crate) sent: std::sync::atomic::AtomicBool,
}

tokio::task_local! {
    pub(crate) static CALL: Arc<CallContext>;
}

impl CallContext {
    pub(crate) fn take_meta(&self) -> Option<ResponseMeta> {
        self.meta.lock().ok().and_then(|mut m| m.take())
    }

    /// Starts the deadline `limit` from now, unless it is already running; returns when it ends.
    pub(crate) fn start_deadline(&self, limit: Duration) -> Instant {
        self.deadline
            .get_or_init(|| {
                (
                    Instant::now().checked_add(limit).unwrap_or_else(far_future),
                    limit,
                )
            })
            .0
    }

    /// The deadline's limit, if the deadline has passed.
    pub(crate) fn deadline_passed(&self) -> Option<Duration> {
        self.deadline
            .get()
            .filter(|(at, _)| Instant::now() >= *at)
            .map(|(_, limit)| *limit)
    }

    pub(crate) fn may_have_sent(&self) -> bool {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// An instant no deadline reaches (about 30 years away), for limits too large to add.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// A failure the transport decided on its own, delivered as the source of the body-read error
/// of a synthetic response (progenitor's hook can only return `reqwest` values).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum LocalFailure {
    /// The response body is larger than the client's limit.
    #[error("the response body {} exceeds the limit of {limit} bytes", declared.map(|d| format!("({d} bytes declared)")).unwrap_or_else(|| "(streamed)".into()))]
    TooLarge {
        /// HTTP status of the response.
        status: u16,
        /// The limit, in bytes.
        limit: u64,
        /// The `Content-Length`, when the server declared one.
        declared: Option<u64>,
        /// The response headers (for `cf-ray`).
        headers: HeaderMap,
    },
    /// The request path did not match the operation's path template under the base path.
    #[error("refused to send a request to {path:?}: it is not {template:?} under {base:?}")]
    PathRefused {
        /// The path the request would have gone to (truncated).
        path: String,
        /// The operation's path template.
        template: String,
        /// The base path.
        base: String,
    },
    /// The call's deadline passed while waiting for the client-side rate limiter.
    #[error("the call's deadline passed while waiting for the client-side rate limiter")]
    RateLimiterDeadline,
    /// Reading the body failed after the headers arrived.
    #[error("reading the response body failed: {0}")]
    Body(#[source] reqwest::Error),
}

impl LocalFailure {
    /// The `LocalFailure` behind a `reqwest` error, if any (the test
    /// `tests::the_generated_client_reports_a_local_failure_inside_reqwest_errors` shows it).
    pub(crate) fn find<'e>(
        error: &'e (dyn std::error::Error + 'static),
    ) -> Option<&'e LocalFailure> {
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(e) = current {
            if let Some(found) = e.downcast_ref::<LocalFailure>() {
                return Some(found);
            }
            current = e.source();
        }
        None
    }
}

/// A body whose first read fails with the failure it holds.
struct FailingBody(Option<LocalFailure>);

impl http_body::Body for FailingBody {
    type Data = Bytes;
    type Error = LocalFailure;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, LocalFailure>>> {
        Poll::Ready(self.0.take().map(Err))
    }
}

/// A response with these parts and `body`.
fn response(
    status: reqwest::StatusCode,
    version: reqwest::Version,
    headers: HeaderMap,
    body: reqwest::Body,
) -> reqwest::Response {
    let mut r = http::Response::new(body);
    *r.status_mut() = status;
    *r.version_mut() = version;
    *r.headers_mut() = headers;
    reqwest::Response::from(r)
}

/// A response whose body read fails with `failure`.
fn failing(
    status: reqwest::StatusCode,
    headers: HeaderMap,
    failure: LocalFailure,
) -> reqwest::Response {
    response(
        status,
        reqwest::Version::HTTP_11,
        headers,
        reqwest::Body::wrap(FailingBody(Some(failure))),
    )
}

/// What reading a body gave.
enum Body {
    Complete(Bytes),
    TooLarge { declared: Option<u64> },
    Failed(reqwest::Error),
}

/// Reads the body, at most `limit` bytes: refused on `Content-Length` before reading, and as
/// soon as the streamed bytes pass the limit. An error answer (4xx, 5xx) to one of the
/// document's operations (`operation`) is read only up to
/// [`ERROR_BODY_PARSE_LIMIT`](crate::ERROR_BODY_PARSE_LIMIT) and cut there (the rest is left
/// unread): a longer one then fails to decode and is quoted, never parsed, and its status still
/// counts (a 503 is retried). A raw request's caller gets the whole body within `limit`, as
/// `RawResponse` documents.
async fn read_limited(response: &mut reqwest::Response, limit: u64, operation: bool) -> Body {
    let status = response.status();
    let cut = operation && (status.is_client_error() || status.is_server_error());
    let limit = if cut {
        limit.min(crate::envelope::ERROR_BODY_PARSE_LIMIT as u64)
    } else {
        if let Some(declared) = response.content_length().filter(|len| *len > limit) {
            return Body::TooLarge {
                declared: Some(declared),
            };
        }
        limit
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let capacity = response
        .content_length()
        .and_then(|len| usize::try_from(len).ok())
        .unwrap_or(0)
        .min(limit)
        .min(64 * 1024);
    let mut buffer = Vec::with_capacity(capacity);
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit.saturating_sub(buffer.len());
                if chunk.len() > room {
                    if !cut {
                        return Body::TooLarge { declared: None };
                    }
                    buffer.extend_from_slice(chunk.get(..room).unwrap_or_default());
                    return Body::Complete(Bytes::from(buffer));
                }
                buffer.extend_from_slice(&chunk);
            }
            Ok(None) => return Body::Complete(Bytes::from(buffer)),
            Err(e) => return Body::Failed(e),
        }
    }
}

/// Whether `path` is `template` under `base`, every `{parameter}` one segment of
/// `[A-Za-z0-9_-]`.
pub(crate) fn path_matches(path: &str, base: &str, template: &str) -> bool {
    let Some(rest) = path.strip_prefix(base) else {
        return false;
    };
    let mut actual = rest.split('/');
    let mut expected = template.split('/');
    loop {
        match (actual.next(), expected.next()) {
            (None, None) => return true,
            (Some(a), Some(t)) if t.starts_with('{') && t.ends_with('}') => {
                if a.is_empty()
                    || !a
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                {
                    return false;
                }
            }
            (Some(a), Some(t)) if a == t => {}
            _ => return false,
        }
    }
}

/// Whether a raw request's path stays under `base` (after the URL parser resolved dot segments).
pub(crate) fn raw_path_allowed(path: &str, base: &str) -> bool {
    path.strip_prefix(base)
        .is_some_and(|rest| rest.starts_with('/') && !rest.contains("/../") && !rest.contains('\\'))
}

/// One request's identity, as the transport needs it.
pub(crate) struct Target {
    pub(crate) operation_id: &'static str,
    pub(crate) template: Option<&'static str>,
    pub(crate) idempotent: bool,
}

impl Target {
    fn of(info: &OperationInfo, context: Option<&CallContext>) -> Self {
        let operation = Operation::from_operation_id(info.operation_id);
        Self {
            operation_id: info.operation_id,
            template: operation.map(Operation::path),
            // Unknown operations are not idempotent unless the call said so: never resent blindly.
            idempotent: operation.map_or_else(
                || context.and_then(|c| c.idempotent).unwrap_or(false),
                Operation::is_idempotent,
            ),
        }
    }
}

impl Transport {
    /// Sends `request`, retrying as the policy allows, and returns the response with its body
    /// already read (or failing with a [`LocalFailure`]).
    pub(crate) async fn execute(
        &self,
        http: &reqwest::Client,
        mut request: reqwest::Request,
        target: Target,
    ) -> reqwest::Result<reqwest::Response> {
        let context = CALL.try_with(Arc::clone).ok();
        let options = context
            .as_ref()
            .map(|c| c.options.clone())
            .unwrap_or_default();
        let deadline = context.as_ref().map(|c| c.start_deadline(self.deadline));
        let policy = options.retry.clone().unwrap_or_else(|| self.retry.clone());
        let may_resend = target.idempotent || options.retry_orders;
        request.headers_mut().remove(API_VERSION);
        for (name, value) in &self.headers {
            if !request.headers().contains_key(name) {
                request.headers_mut().insert(name.clone(), value.clone());
            }
        }

        let path = request.url().path();
        let allowed = match target.template {
            Some(template) => path_matches(path, &self.base_path, template),
            None => raw_path_allowed(path, &self.base_path),
        };
        if !allowed {
            let failure = LocalFailure::PathRefused {
                path: crate::error::truncate(path),
                template: target.template.unwrap_or("/…").to_owned(),
                base: self.base_path.clone(),
            };
            tracing::warn!(operation = target.operation_id, "{failure}");
            return Ok(failing(
                reqwest::StatusCode::BAD_REQUEST,
                HeaderMap::new(),
                failure,
            ));
        }
        let attempt_timeout = options.timeout.unwrap_or(self.timeout);

        let span = tracing::info_span!(
            "cloudflare_ssl.request",
            operation = target.operation_id,
            method = %request.method(),
            path = target.template.unwrap_or("(raw)"),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            cf_ray = tracing::field::Empty,
        );
        // The span itself rather than `Span::current()` (a thread-local lookup) for recording;
        // nothing to record when no subscriber wants it.
        let recorder = span.clone();
        async move {
            let mut attempt: u32 = 0;
            let mut retry_delays = Vec::new();
            loop {
                attempt += 1;
                recorder.record("attempt", attempt);
                // Keep a copy for a retry; bodies here are always in memory, so cloning works.
                let retry_copy = if attempt <= policy.max_retries {
                    request.try_clone()
                } else {
                    None
                };
                if let Some(limiter) = &self.limiter {
                    let acquired = match deadline {
                        Some(at) => tokio::time::timeout_at(at, limiter.acquire()).await.is_ok(),
                        None => {
                            limiter.acquire().await;
                            true
                        }
                    };
                    if !acquired {
                        // The deadline passed while waiting for the client-side rate limiter:
                        // nothing was sent by this attempt.
                        return Ok(failing(
                            reqwest::StatusCode::TOO_MANY_REQUESTS,
                            HeaderMap::new(),
                            LocalFailure::RateLimiterDeadline,
                        ));
                    }
                }
                if let Some(pacer) = &self.pacer {
                    let now = Instant::now();
                    let max_wait = deadline.map(|d| d.saturating_duration_since(now));
                    match pacer.reserve(max_wait) {
                        Ok(wait) if wait.is_zero() => {}
                        Ok(wait) => {
                            tracing::debug!(?wait, "pacing to the server's rate-limit budget");
                            tokio::time::sleep(wait).await;
                        }
                        Err(wait) => {
                            // The server's budget would not allow this request before the
                            // deadline: nothing is sent.
                            tracing::debug!(?wait, "not sent: pacing would pass the deadline");
                            return Ok(failing(
                                reqwest::StatusCode::TOO_MANY_REQUESTS,
                                HeaderMap::new(),
                                LocalFailure::RateLimiterDeadline,
                            ));
                        }
                    }
                }
                // Never let an attempt run past the call's deadline.
                let remaining = deadline.map(|d| {
                    d.saturating_duration_since(Instant::now())
                        .max(Duration::from_millis(1))
                });
                *request.timeout_mut() =
                    Some(remaining.map_or(attempt_timeout, |r| attempt_timeout.min(r)));
                let outcome = http.execute(request).await;
                let reached = match &outcome {
                    Ok(_) => true,
                    Err(e) => !e.is_connect(),
                };
                if reached && let Some(context) = &context {
                    context
                        .sent
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                }
                // Read the body inside the attempt.
                let outcome = match outcome {
                    Ok(mut r) => {
                        let body =
                            read_limited(&mut r, self.max_body, target.template.is_some()).await;
                        Ok((r, body))
                    }
                    Err(e) => Err(e),
                };
                if let (Ok((r, _)), Some(pacer)) = (&outcome, &self.pacer) {
                    pacer.observe(r.status().as_u16(), r.headers());
                }
                if let (Ok((r, _)), false) = (&outcome, recorder.is_disabled()) {
                    recorder.record("status", r.status().as_u16());
                    if let Some(ray) = r.headers().get(&CF_RAY).and_then(|v| v.to_str().ok()) {
                        recorder.record("cf_ray", ray);
                    }
                }
                let retry = match &outcome {
                    Err(e) if e.is_connect() => true,
                    Err(e) => may_resend && (e.is_timeout() || e.is_request() || e.is_body()),
                    Ok((_, Body::TooLarge { .. })) => false,
                    Ok((_, Body::Failed(_))) => may_resend,
                    Ok((r, Body::Complete(_))) => {
                        may_resend && is_retryable_status(r.status().as_u16())
                    }
                };
                if let (true, Some(copy)) = (retry, retry_copy) {
                    let delay =
                        policy.delay(attempt, outcome.as_ref().ok().map(|(r, _)| r.headers()));
                    // A wait that would end past the deadline ends the call now, with what
                    // this attempt gave (e.g. the 429 and its Retry-After).
                    let past_deadline = deadline.is_some_and(|d| {
                        Instant::now().checked_add(delay).is_none_or(|end| end >= d)
                    });
                    if !past_deadline {
                        match &outcome {
                            Ok((r, _)) => {
                                tracing::debug!(status = r.status().as_u16(), ?delay, "retrying")
                            }
                            Err(e) => tracing::debug!(error = %e, ?delay, "retrying"),
                        }
                        drop(outcome);
                        retry_delays.push(delay);
                        tokio::time::sleep(delay).await;
                        request = copy;
                        continue;
                    }
                    tracing::debug!(?delay, "not retrying: the wait would pass the deadline");
                }
                return match outcome {
                    Err(e) => {
                        tracing::debug!(error = %e, "request failed");
                        Err(e)
                    }
                    Ok((r, body)) => {
                        let status = r.status();
                        let version = r.version();
                        let headers = r.headers().clone();
                        tracing::debug!(status = status.as_u16(), "response");
                        if let Some(context) = &context
                            && let Ok(mut meta) = context.meta.lock()
                        {
                            *meta = Some(ResponseMeta {
                                status: status.as_u16(),
                                headers: headers.clone(),
                                attempts: attempt,
                                retry_delays: std::mem::take(&mut retry_delays),
                            });
                        }
                        Ok(match body {
                            Body::Complete(bytes) => {
                                response(status, version, headers, reqwest::Body::from(bytes))
                            }
                            Body::TooLarge { declared } => failing(
                                status,
                                headers.clone(),
                                LocalFailure::TooLarge {
                                    status: status.as_u16(),
                                    limit: self.max_body,
                                    declared,
                                    headers,
                                },
                            ),
                            Body::Failed(e) => failing(status, headers, LocalFailure::Body(e)),
                        })
                    }
                };
            }
        }
        .instrument(span)
        .await
    }
}

impl ClientHooks<Transport> for GeneratedClient {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        use progenitor_client::ClientInfo;
        let context = CALL.try_with(Arc::clone).ok();
        let target = Target::of(info, context.as_deref());
        self.inner().execute(self.client(), request, target).await
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_generated_client_reports_a_local_failure_inside_reqwest_errors() {
        let mock = cloudflare_ssl_mock::MockServer::start().await;
        let client = crate::Client::builder()
            .api_token(mock.token())
            .base_url(mock.base_url())
            .max_response_bytes(16)
            .build()
            .expect("client");
        let call = client
            .generated()
            .get_certificate_pack_quota()
            .zone_id(mock.zone_id());
        let err = call.send().await.expect_err("over the body limit");
        assert!(matches!(
            super::LocalFailure::find(&err),
            Some(super::LocalFailure::TooLarge { limit: 16, .. })
        ));
    }

    use super::*;

    #[test]
    fn paths_must_match_their_template() {
        let t = "/zones/{zone_id}/ssl/certificate_packs/{certificate_pack_id}";
        let base = "/client/v4";
        assert!(path_matches(
            "/client/v4/zones/abc/ssl/certificate_packs/def-1_2",
            base,
            t
        ));
        for bad in [
            "/client/v4/zones/abc/ssl/certificate_packs/",
            "/client/v4/zones/abc/ssl/certificate_packs",
            "/client/v4/zones/abc/ssl/certificate_packs/a/b",
            "/client/v4/zones/abc/user/tokens",
            "/client/v4/zones/abc/ssl/certificate_packs/%2e%2e",
            "/client/v4/zones/abc/ssl/certificate_packs/..",
            "/other/zones/abc/ssl/certificate_packs/def",
            "/client/v4zones/abc/ssl/certificate_packs/def",
        ] {
            assert!(!path_matches(bad, base, t), "{bad}");
        }
        assert!(raw_path_allowed("/client/v4/zones/x/dns_records", base));
        assert!(!raw_path_allowed("/client/v4", base));
        assert!(!raw_path_allowed("/user/tokens", base));
    }
}
