//! The transport behind every request: [`Transport::execute`] sends one call's request and
//! returns an [`Exchange`] (a value: the reply or a typed [`Failure`], and whether anything may
//! have reached the server).
//!
//! For each request:
//! * its path is checked against its operation's path template under the base path (defence in
//!   depth behind the id checks of [`IntoIdentifier`](crate::IntoIdentifier));
//! * the `api-version` header progenitor adds is dropped; when the caller brought their own
//!   `reqwest::Client`, the credentials and `User-Agent` are added here (marked sensitive),
//!   otherwise they are default headers of the crate's own client;
//! * the client-side rate limiter and the server-advised pacing are consulted, the per-attempt
//!   timeout applied (never past the call's deadline);
//! * the response body is read **inside the attempt**, bounded by the body limit (checked on
//!   `Content-Length` before reading and while streaming), so that a body cut off mid-read can be
//!   retried like a connection error for idempotent operations;
//! * retryable outcomes ([`classify`](crate::retry::classify)) are retried by the
//!   [`RetryPolicy`], never sleeping past the deadline; a request that is not idempotent (a
//!   certificate pack order) is never resent once it may have reached the server;
//! * all inside one `tracing` span, which records no header and no body.
//!
//! The generated client reaches the transport through progenitor's `exec` hook, which must return
//! a `reqwest::Response`: that is confined to the adapter in `call.rs`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName};
use tokio::time::Instant;
use tracing::Instrument;

use crate::ratelimit::RateLimiter;
use crate::response::ResponseMeta;
use crate::retry::{classify, Class, RetryPolicy, Seen};

/// Header names used on every request, as constants (a `&str` name is parsed and hashed anew each
/// time).
const API_VERSION: HeaderName = HeaderName::from_static("api-version");
const CF_RAY: HeaderName = HeaderName::from_static("cf-ray");

/// The generated client's context (progenitor's "inner" value): the client's configuration and,
/// for a call of the ergonomic layer, that call's own scope (options, deadline, and where the
/// adapter leaves the call's `Exchange`). Opaque: it has no public fields or methods, and
/// appears in the public API only because the generated
/// [`generated::Client`](crate::generated::Client)'s constructors name it; get a configured
/// generated client from [`Client::generated`](crate::Client::generated).
pub struct Transport {
    pub(crate) config: Arc<Config>,
    /// The call this generated client was made for (`None` for [`Client::generated`](crate::Client::generated)).
    pub(crate) call: Option<CallScope>,
}

impl Clone for Transport {
    /// A clone shares the configuration, not the call: it is not that call.
    fn clone(&self) -> Self {
        Self {
            config: Arc::clone(&self.config),
            call: None,
        }
    }
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport").finish_non_exhaustive()
    }
}

/// The retry policy, limits and pacing every request of a [`Client`](crate::Client) goes through.
/// No `Debug`: `headers` can hold credentials.
pub(crate) struct Config {
    pub(crate) retry: RetryPolicy,
    pub(crate) limiter: Option<RateLimiter>,
    /// Server-advised pacing (`None` when turned off).
    pub(crate) pacer: Option<crate::pacing::Pacer>,
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

/// What one call asks of the transport: it is built by the call and passed down.
#[derive(Debug)]
pub(crate) struct CallSpec {
    /// The `operationId` (or `raw_request`).
    pub(crate) operation: &'static str,
    /// The operation's path template (`None` for raw requests: only "under the base path").
    pub(crate) template: Option<&'static str>,
    /// Whether sending it twice has the effect of sending it once.
    pub(crate) idempotent: bool,
    pub(crate) options: RequestOptions,
    /// When the whole call must be over, and the limit it came from.
    pub(crate) deadline: (Instant, Duration),
}

impl CallSpec {
    /// A call starting now, its deadline from `options` or else `config`'s.
    pub(crate) fn new(
        config: &Config,
        operation: &'static str,
        template: Option<&'static str>,
        idempotent: bool,
        options: RequestOptions,
    ) -> Self {
        let limit = options.deadline.unwrap_or(config.deadline);
        let at = Instant::now().checked_add(limit).unwrap_or_else(far_future);
        Self {
            operation,
            template,
            idempotent,
            options,
            deadline: (at, limit),
        }
    }
}

/// A call's scope inside its per-call generated client: what it asks, and where the adapter
/// leaves what the transport gave.
#[derive(Debug)]
pub(crate) struct CallScope {
    pub(crate) spec: CallSpec,
    pub(crate) parked: OnceLock<Exchange>,
}

/// An instant no deadline reaches (about 30 years away), for limits too large to add.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// What one call's request gave.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub(crate) outcome: Result<Reply, Failure>,
    /// Whether any attempt may have reached the server (a request was written).
    pub(crate) sent: bool,
}

/// The final response: its metadata and its body, read within the limits.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) meta: ResponseMeta,
    pub(crate) body: Bytes,
}

/// A failure the transport reports instead of a reply.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// The request path did not match the operation's path template under the base path.
    #[error("refused to send a request to {path:?}: it is not {template:?} under {base:?}")]
    PathRefused {
        path: String,
        template: &'static str,
        base: String,
    },
    /// The call's deadline passed (waiting for the rate limiter or pacing, or during an attempt).
    #[error("the call's deadline of {limit:?} passed")]
    Deadline { limit: Duration },
    /// The response body is larger than the client's limit.
    #[error("the response body exceeds the limit of {limit} bytes")]
    TooLarge {
        meta: ResponseMeta,
        limit: u64,
        /// The `Content-Length`, when the server declared one.
        declared: Option<u64>,
    },
    /// No usable response: connection, timeout, or the body failed mid-read.
    #[error(transparent)]
    Http(reqwest::Error),
}

/// An error answer (4xx, 5xx) to one of the document's operations is read up to this many bytes
/// and cut there (a cut body no longer decodes, so it is quoted); a raw request's JSON error body
/// longer than this is quoted without parsing. A hostile or broken server cannot make the error
/// path read megabytes or allocate a large `serde_json::Value`.
pub const ERROR_BODY_PARSE_LIMIT: usize = 256 * 1024;

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
        limit.min(ERROR_BODY_PARSE_LIMIT as u64)
    } else {
        if let Some(declared) = response.content_length().filter(|len| *len > limit) {
            return Body::TooLarge {
                declared: Some(declared),
            };
        }
        limit
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    // A body that arrives in one chunk (most answers here) is kept as it came, not copied.
    let mut first = Bytes::new();
    let mut rest = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit.saturating_sub(first.len() + rest.len());
                let chunk = if chunk.len() <= room {
                    chunk
                } else if cut {
                    chunk.slice(..room)
                } else {
                    return Body::TooLarge { declared: None };
                };
                let full = chunk.len() >= room;
                if first.is_empty() && rest.is_empty() {
                    first = chunk;
                } else {
                    if rest.is_empty() {
                        rest.extend_from_slice(&first);
                    }
                    rest.extend_from_slice(&chunk);
                }
                if full && cut {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => return Body::Failed(e),
        }
    }
    Body::Complete(if rest.is_empty() { first } else { rest.into() })
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

impl Config {
    /// Sends `request` for `call`, retrying as the policy allows, and returns what it gave.
    pub(crate) async fn execute(
        &self,
        http: &reqwest::Client,
        mut request: reqwest::Request,
        call: &CallSpec,
    ) -> Exchange {
        let options = &call.options;
        let (deadline, limit) = call.deadline;
        let policy = options.retry.as_ref().unwrap_or(&self.retry);
        let may_resend = call.idempotent || options.retry_orders;
        request.headers_mut().remove(API_VERSION);
        for (name, value) in &self.headers {
            if !request.headers().contains_key(name) {
                request.headers_mut().insert(name.clone(), value.clone());
            }
        }
        let path = request.url().path();
        let allowed = match call.template {
            Some(template) => path_matches(path, &self.base_path, template),
            None => raw_path_allowed(path, &self.base_path),
        };
        if !allowed {
            let failure = Failure::PathRefused {
                path: crate::error::truncate(path),
                template: call.template.unwrap_or("/…"),
                base: self.base_path.clone(),
            };
            tracing::warn!(operation = call.operation, "{failure}");
            return Exchange {
                outcome: Err(failure),
                sent: false,
            };
        }
        let attempt_timeout = options.timeout.unwrap_or(self.timeout);
        let span = tracing::info_span!(
            "cloudflare_ssl.request",
            operation = call.operation,
            method = %request.method(),
            path = call.template.unwrap_or("(raw)"),
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
            let mut sent = false;
            let deadline_failure = |sent| Exchange {
                outcome: Err(Failure::Deadline { limit }),
                sent,
            };
            loop {
                attempt += 1;
                recorder.record("attempt", attempt);
                // Keep a copy for a retry; bodies here are always in memory, so cloning works.
                let retry_copy = if attempt <= policy.max_retries {
                    request.try_clone()
                } else {
                    None
                };
                if let Some(limiter) = &self.limiter
                    && tokio::time::timeout_at(deadline, limiter.acquire())
                        .await
                        .is_err()
                {
                    // The deadline passed while waiting for the client-side rate limiter:
                    // nothing was sent by this attempt.
                    return deadline_failure(sent);
                }
                if let Some(pacer) = &self.pacer {
                    match pacer.reserve(Some(deadline.saturating_duration_since(Instant::now()))) {
                        Ok(wait) if wait.is_zero() => {}
                        Ok(wait) => {
                            tracing::debug!(?wait, "pacing to the server's rate-limit budget");
                            tokio::time::sleep(wait).await;
                        }
                        Err(wait) => {
                            tracing::debug!(?wait, "not sent: pacing would pass the deadline");
                            return deadline_failure(sent);
                        }
                    }
                }
                // Never let an attempt run past the call's deadline.
                let remaining = deadline
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(1));
                *request.timeout_mut() = Some(attempt_timeout.min(remaining));
                let outcome = match http.execute(request).await {
                    Ok(mut r) => {
                        let body =
                            read_limited(&mut r, self.max_body, call.template.is_some()).await;
                        Ok((r, body))
                    }
                    Err(e) => Err(e),
                };
                sent |= !matches!(&outcome, Err(e) if e.is_connect());
                let seen = match &outcome {
                    Err(e) if e.is_connect() => Seen::Connect,
                    Err(_) | Ok((_, Body::Failed(_))) => Seen::Lost,
                    Ok((r, Body::TooLarge { .. })) => Seen::Unusable(r.status().as_u16()),
                    Ok((r, Body::Complete(_))) => Seen::Answer(r.status().as_u16()),
                };
                if let Ok((r, _)) = &outcome {
                    if let Some(pacer) = &self.pacer {
                        pacer.observe(r.status().as_u16(), r.headers());
                    }
                    if !recorder.is_disabled() {
                        recorder.record("status", r.status().as_u16());
                        if let Some(ray) = r.headers().get(&CF_RAY).and_then(|v| v.to_str().ok()) {
                            recorder.record("cf_ray", ray);
                        }
                    }
                }
                if classify(seen, may_resend, sent) == Class::Retryable
                    && let Some(copy) = retry_copy
                {
                    let delay =
                        policy.delay(attempt, outcome.as_ref().ok().map(|(r, _)| r.headers()));
                    // A wait that would end past the deadline ends the call now, with what
                    // this attempt gave (e.g. the 429 and its Retry-After).
                    if Instant::now()
                        .checked_add(delay)
                        .is_some_and(|end| end < deadline)
                    {
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
                let (mut response, body) = match outcome {
                    Err(e) => {
                        tracing::debug!(error = %e, "request failed");
                        if e.is_timeout() && Instant::now() >= deadline {
                            return deadline_failure(sent);
                        }
                        return Exchange {
                            outcome: Err(Failure::Http(e)),
                            sent,
                        };
                    }
                    Ok(answer) => answer,
                };
                let status = response.status().as_u16();
                tracing::debug!(status, "response");
                let meta = ResponseMeta {
                    status,
                    headers: std::mem::take(response.headers_mut()),
                    attempts: attempt,
                    retry_delays,
                };
                let outcome = match body {
                    Body::Complete(body) => Ok(Reply { meta, body }),
                    Body::TooLarge { declared } => Err(Failure::TooLarge {
                        meta,
                        limit: self.max_body,
                        declared,
                    }),
                    Body::Failed(e) if e.is_timeout() && Instant::now() >= deadline => {
                        Err(Failure::Deadline { limit })
                    }
                    Body::Failed(e) => Err(Failure::Http(e)),
                };
                return Exchange { outcome, sent };
            }
        }
        .instrument(span)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_generated_client_reports_a_transport_failure_inside_reqwest_errors() {
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
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        let mut found = None;
        while let Some(e) = source {
            found = found.or(e.downcast_ref::<Failure>());
            source = e.source();
        }
        assert!(matches!(found, Some(Failure::TooLarge { limit: 16, .. })));
    }

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
