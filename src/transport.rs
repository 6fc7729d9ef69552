//! The transport behind every request: [`Config::execute`] sends one call's request (path
//! check, headers, rate limit and pacing, attempts and retries within the deadline, bounded body
//! read, one `tracing` span without headers or bodies) and returns an [`Exchange`]: the reply or
//! a typed [`Failure`], and whether anything may have reached the server. A request that is not
//! idempotent is never resent once it may have reached the server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName};
use tokio::time::Instant;
use tracing::Instrument;

use crate::generated::Operation;
use crate::ratelimit::RateLimiter;
use crate::response::ResponseMeta;
use crate::retry::{classify, Class, RetryPolicy, Seen};

const API_VERSION: HeaderName = HeaderName::from_static("api-version");
const CF_RAY: HeaderName = HeaderName::from_static("cf-ray");

/// The generated client's context (progenitor's "inner" value). Opaque: public only because the
/// [`generated::Client`](crate::generated::Client)'s constructors name it; get a configured
/// generated client from [`Client::generated`](crate::Client::generated).
pub struct Transport {
    pub(crate) config: Arc<Config>,
    /// The call this generated client was made for (`None` for `Client::generated`).
    pub(crate) call: Option<CallScope>,
}

impl Clone for Transport {
    /// Shares the configuration, not the call.
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
    /// The `reqwest::Client`'s own timeout (the crate's client has `timeout`): an attempt with
    /// that timeout needs no per-request one.
    pub(crate) client_timeout: Option<Duration>,
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

/// What one call asks of the transport.
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
    /// Whether the path is made of ids already checked (`ids.rs`; a [`Call`](crate::Call)'s):
    /// checked against the template again in debug builds only.
    pub(crate) ids_checked: bool,
}

impl CallSpec {
    /// A call of `operation` (`id`; `None` for raw requests) starting now, its deadline from
    /// `options` or else `config`'s.
    pub(crate) fn new(
        config: &Config,
        id: &'static str,
        operation: Option<Operation>,
        options: RequestOptions,
    ) -> Self {
        let limit = options.deadline.unwrap_or(config.deadline);
        // A limit too large to add: about 30 years, which no deadline reaches.
        let far = || Instant::now() + Duration::from_secs(86_400 * 365 * 30);
        let at = Instant::now().checked_add(limit).unwrap_or_else(far);
        Self {
            operation: id,
            template: operation.map(Operation::path),
            idempotent: operation.is_some_and(Operation::is_idempotent),
            options,
            deadline: (at, limit),
            ids_checked: false,
        }
    }
}

/// A call's scope in its generated client: its spec, and where the adapter parks the exchange.
#[derive(Debug)]
pub(crate) struct CallScope {
    pub(crate) spec: CallSpec,
    pub(crate) parked: Mutex<Option<Exchange>>,
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

impl Failure {
    /// What this failure is to [`classify`]: an unusable answer, no connection, or lost.
    pub(crate) fn seen(&self) -> Seen {
        match self {
            Failure::TooLarge { meta, .. } => Seen::Unusable(meta.status),
            Failure::Http(e) if e.is_connect() => Seen::Connect,
            _ => Seen::Lost,
        }
    }
}

/// An error answer to one of the document's operations is cut at this many bytes (a cut body no
/// longer decodes, so it is quoted); a raw request's longer JSON error body is quoted unparsed.
pub const ERROR_BODY_PARSE_LIMIT: usize = 256 * 1024;

/// Reads the body of the answer `meta` describes, at most `limit` bytes: refused on
/// `Content-Length` before reading, and as soon as the streamed bytes pass the limit. An error
/// answer (4xx, 5xx) to one of the document's operations (`operation`) is cut at
/// [`ERROR_BODY_PARSE_LIMIT`] instead (its status still counts: a 503 is retried); a raw request
/// gets the whole body within `limit`.
async fn read_limited(
    response: &mut reqwest::Response,
    meta: ResponseMeta,
    limit: u64,
    operation: bool,
) -> Result<Reply, Failure> {
    let status = response.status();
    let cut = operation && (status.is_client_error() || status.is_server_error());
    #[allow(clippy::result_large_err)] // at most once per attempt
    let too_large = |meta, declared| {
        Err(Failure::TooLarge {
            meta,
            limit,
            declared,
        })
    };
    let declared = response.content_length().filter(|len| *len > limit);
    if declared.is_some() && !cut {
        return too_large(meta, declared);
    }
    let cap = if cut {
        ERROR_BODY_PARSE_LIMIT
    } else {
        usize::MAX
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX).min(cap);
    // A body that arrives in one chunk (most answers here) is kept as it came, not copied.
    let (mut first, mut rest) = (Bytes::new(), Vec::new());
    loop {
        let mut chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => return Err(Failure::Http(e)),
        };
        // `rest`, once used, holds `first` too.
        let room = limit.saturating_sub(first.len().max(rest.len()));
        if chunk.len() > room && !cut {
            return too_large(meta, None);
        }
        chunk.truncate(room);
        if first.is_empty() {
            first = chunk;
        } else {
            if rest.is_empty() {
                rest.extend_from_slice(&first);
            }
            rest.extend_from_slice(&chunk);
        }
        if cut && first.len().max(rest.len()) == limit {
            break;
        }
    }
    let body = if rest.is_empty() { first } else { rest.into() };
    Ok(Reply { meta, body })
}

/// The response metadata an attempt's outcome carries, if it got an answer.
fn meta_of(outcome: &mut Result<Reply, Failure>) -> Option<&mut ResponseMeta> {
    match outcome {
        Ok(Reply { meta, .. }) | Err(Failure::TooLarge { meta, .. }) => Some(meta),
        Err(_) => None,
    }
}

/// Whether `path` is `template` under `base`, every `{parameter}` one segment of
/// `[A-Za-z0-9_-]`.
pub(crate) fn path_matches(path: &str, base: &str, template: &str) -> bool {
    let valid = |b| u8::is_ascii_alphanumeric(&b) || b == b'_' || b == b'-';
    let parameter = |s: &str| !s.is_empty() && s.bytes().all(valid);
    let Some(rest) = path.strip_prefix(base) else {
        return false;
    };
    let (have, want) = (rest.split('/'), template.split('/'));
    have.clone().count() == want.clone().count()
        && have.zip(want).all(|(h, w)| match w.starts_with('{') {
            true => parameter(h),
            false => h == w,
        })
}

/// Whether a raw request's path stays under `base` (after the URL parser resolved dot segments).
pub(crate) fn raw_path_allowed(path: &str, base: &str) -> bool {
    path.strip_prefix(base)
        .is_some_and(|rest| rest.starts_with('/') && !rest.contains("/../") && !rest.contains('\\'))
}

/// A copy of `request` for a retry; without a body, not `try_clone`, which also makes and drops an
/// extension map (the timeout, the one extension used here, is set after the copy is made).
fn retry_copy(request: &reqwest::Request) -> Option<reqwest::Request> {
    if request.body().is_some() {
        return request.try_clone();
    }
    let mut copy = reqwest::Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    Some(copy)
}

impl Config {
    /// Sends `request` for `call`, retrying as the policy allows, and returns what it gave.
    pub(crate) async fn execute(
        &self,
        http: &reqwest::Client,
        mut request: reqwest::Request,
        call: &CallSpec,
    ) -> Exchange {
        let headers = request.headers_mut();
        headers.remove(API_VERSION);
        for (name, value) in &self.headers {
            headers.entry(name).or_insert_with(|| value.clone());
        }
        let path = request.url().path();
        let allowed = match call.template {
            Some(_) if call.ids_checked && !cfg!(debug_assertions) => true,
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
            let (outcome, sent) = (Err(failure), false);
            return Exchange { outcome, sent };
        }
        let span = tracing::info_span!(
            "cloudflare_ssl.request",
            operation = call.operation,
            method = %request.method(),
            path = call.template.unwrap_or("(raw)"),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            cf_ray = tracing::field::Empty,
        );
        // No `Instrumented` wrapper (entered on every poll) for a span no subscriber wants.
        if span.is_disabled() {
            self.attempts(http, request, call, &span).await
        } else {
            let attempts = self.attempts(http, request, call, &span);
            attempts.instrument(span.clone()).await
        }
    }

    /// The attempts of `call` within its deadline, recorded on `span` (not `Span::current()`).
    async fn attempts(
        &self,
        http: &reqwest::Client,
        mut request: reqwest::Request,
        call: &CallSpec,
        span: &tracing::Span,
    ) -> Exchange {
        let options = &call.options;
        let (deadline, limit) = call.deadline;
        let policy = options.retry.as_ref().unwrap_or(&self.retry);
        let may_resend = call.idempotent || options.retry_orders;
        let attempt_timeout = options.timeout.unwrap_or(self.timeout);
        let (mut attempt, mut retry_delays, mut sent) = (0, Vec::new(), false);
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            // Bodies here are always in memory, so a copy for a retry can always be made.
            let spare = (attempt <= policy.max_retries)
                .then(|| retry_copy(&request))
                .flatten();
            if !self.admit(deadline).await {
                let outcome = Err(Failure::Deadline { limit });
                return Exchange { outcome, sent };
            }
            let remaining = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1));
            let timeout = attempt_timeout.min(remaining);
            if Some(timeout) != self.client_timeout {
                *request.timeout_mut() = Some(timeout);
            }
            let failure = |e: reqwest::Error| match e.is_timeout() && Instant::now() >= deadline {
                true => Failure::Deadline { limit },
                false => Failure::Http(e),
            };
            let mut outcome = match http.execute(request).await {
                Err(e) => {
                    sent |= !e.is_connect();
                    Err(failure(e))
                }
                Ok(mut r) => {
                    sent = true;
                    let status = r.status().as_u16();
                    if let Some(pacer) = &self.pacer {
                        pacer.observe(status, r.headers());
                    }
                    if !span.is_disabled() {
                        span.record("status", status);
                        if let Some(ray) = r.headers().get(&CF_RAY).and_then(|v| v.to_str().ok()) {
                            span.record("cf_ray", ray);
                        }
                    }
                    let meta = ResponseMeta {
                        status,
                        headers: std::mem::take(r.headers_mut()),
                        attempts: attempt,
                        ..ResponseMeta::default()
                    };
                    let operation = call.template.is_some();
                    match read_limited(&mut r, meta, self.max_body, operation).await {
                        Err(Failure::Http(e)) => Err(failure(e)),
                        read => read,
                    }
                }
            };
            let seen = outcome
                .as_ref()
                .map_or_else(Failure::seen, |r| Seen::Answer(r.meta.status));
            tracing::debug!(?seen, "attempt");
            if classify(seen, may_resend, sent) == Class::Retryable
                && let Some(copy) = spare
            {
                let delay = policy.delay(attempt, meta_of(&mut outcome).map(|m| &m.headers));
                // A wait that would end past the deadline ends the call now, with what this
                // attempt gave (e.g. the 429 and its Retry-After).
                if Instant::now()
                    .checked_add(delay)
                    .is_some_and(|end| end < deadline)
                {
                    tracing::debug!(?delay, "retrying");
                    retry_delays.push(delay);
                    drop(outcome);
                    tokio::time::sleep(delay).await;
                    request = copy;
                    continue;
                }
                tracing::debug!(?delay, "not retrying: the wait would pass the deadline");
            }
            if let Err(failure) = &outcome {
                tracing::debug!(%failure, "request failed");
            }
            if let Some(meta) = meta_of(&mut outcome) {
                meta.retry_delays = retry_delays;
            }
            return Exchange { outcome, sent };
        }
    }

    /// Waits for the rate limiter and the server-advised pacing; `false` when that would pass
    /// `deadline` (nothing is sent then).
    async fn admit(&self, deadline: Instant) -> bool {
        if let Some(limiter) = &self.limiter
            && tokio::time::timeout_at(deadline, limiter.acquire())
                .await
                .is_err()
        {
            return false;
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
                    return false;
                }
            }
        }
        true
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
        let top: &(dyn std::error::Error + 'static) = &err;
        let mut chain = std::iter::successors(Some(top), |e| e.source());
        let found = chain.find_map(|e| e.downcast_ref::<Failure>());
        assert!(matches!(found, Some(Failure::TooLarge { limit: 16, .. })));
    }

    #[tokio::test]
    async fn a_body_in_chunks_counts_each_byte_once() {
        let chunked = || {
            let chunks = ["0123456789", "0123456789", "01234"].map(Ok::<_, std::io::Error>);
            let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
            reqwest::Response::from(http::Response::new(body))
        };
        // 25 bytes in three chunks: within a limit of 25 (the first chunk once), over one of 24.
        let read = |limit| async move {
            read_limited(&mut chunked(), ResponseMeta::default(), limit, true).await
        };
        let whole = read(25).await.expect("within the limit").body;
        assert_eq!(whole.as_ref(), b"0123456789012345678901234");
        let over = read(24).await;
        assert!(matches!(
            over,
            Err(Failure::TooLarge {
                limit: 24,
                declared: None,
                ..
            })
        ));
    }

    #[test]
    fn paths_must_match_their_template() {
        let t = "/zones/{zone_id}/ssl/certificate_packs/{certificate_pack_id}";
        let base = "/client/v4";
        let good = "/client/v4/zones/abc/ssl/certificate_packs/def-1_2";
        assert!(path_matches(good, base, t));
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
