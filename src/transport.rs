//! The transport behind every request: progenitor's `ClientHooks` for the generated client.
//!
//! Each request goes through [`Transport::execute`]: the `api-version` header progenitor adds is
//! dropped, the per-request timeout applied, the client-side rate limiter consulted, and retryable
//! failures retried by the [`RetryPolicy`], all inside one `tracing` span. Credentials are default
//! headers of the `reqwest::Client` (marked sensitive); nothing here logs headers or bodies.
//!
//! Per-call options (timeout, retries) and the metadata of the last response travel through a
//! task-local [`CallContext`] that the ergonomic layer sets around each call.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{HeaderMap, HeaderName};
use tracing::Instrument;

use crate::generated::{Client as GeneratedClient, Operation};
use crate::ratelimit::RateLimiter;
use crate::retry::{is_retryable_status, RetryPolicy};

/// Header names used on every request, as constants (a `&str` name is parsed and hashed anew each
/// time).
const API_VERSION: HeaderName = HeaderName::from_static("api-version");
const CF_RAY: HeaderName = HeaderName::from_static("cf-ray");

/// Settings shared by every request of a client; the generated client's "inner" value.
#[derive(Clone, Debug)]
pub struct Transport {
    pub(crate) retry: RetryPolicy,
    pub(crate) limiter: Option<Arc<RateLimiter>>,
}

/// Options for one call, overriding the client's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestOptions {
    /// Total time allowed for each attempt (connect, send, receive).
    pub timeout: Option<Duration>,
    /// Retry policy for this call.
    pub retry: Option<RetryPolicy>,
    /// Allow retrying a certificate pack order even after it may have reached the server.
    /// Off by default: a retried order can create a second pack.
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
    pub fn cf_ray(&self) -> Option<&str> {
        self.headers.get("cf-ray").and_then(|v| v.to_str().ok())
    }
}

/// What the ergonomic layer shares with the transport for one call.
#[derive(Debug, Default)]
pub(crate) struct CallContext {
    pub(crate) options: RequestOptions,
    pub(crate) meta: Mutex<Option<ResponseMeta>>,
}

tokio::task_local! {
    pub(crate) static CALL: Arc<CallContext>;
}

impl CallContext {
    pub(crate) fn take_meta(&self) -> Option<ResponseMeta> {
        self.meta.lock().ok().and_then(|mut m| m.take())
    }
}

/// Why an attempt's outcome is (not) retried.
fn retry_decision(
    outcome: &reqwest::Result<reqwest::Response>,
    is_order: bool,
    retry_orders: bool,
) -> bool {
    // An order may create a pack as soon as the server sees it: retry it only when the
    // connection was never established, unless the caller opted in.
    let may_have_reached_server = match outcome {
        Err(e) => !e.is_connect(),
        Ok(_) => true,
    };
    if is_order && may_have_reached_server && !retry_orders {
        return false;
    }
    match outcome {
        Ok(response) => is_retryable_status(response.status().as_u16()),
        Err(e) => e.is_connect() || e.is_timeout() || e.is_request() || e.is_body(),
    }
}

impl Transport {
    async fn execute(
        &self,
        http: &reqwest::Client,
        mut request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let context = CALL.try_with(Arc::clone).ok();
        let options = context
            .as_ref()
            .map(|c| c.options.clone())
            .unwrap_or_default();
        let policy = options.retry.clone().unwrap_or_else(|| self.retry.clone());
        let operation = Operation::from_operation_id(info.operation_id);
        // Unknown operations are treated as not idempotent: never resent blindly.
        let is_order = !operation.is_some_and(Operation::is_idempotent);
        request.headers_mut().remove(API_VERSION);
        if let Some(timeout) = options.timeout {
            *request.timeout_mut() = Some(timeout);
        }

        let span = tracing::info_span!(
            "cloudflare_ssl.request",
            operation = info.operation_id,
            method = %request.method(),
            // Evaluated only when the span is enabled.
            path = operation.map_or("?", Operation::path),
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
                    limiter.acquire().await;
                }
                let outcome = http.execute(request).await;
                if let (Ok(response), false) = (&outcome, recorder.is_disabled()) {
                    recorder.record("status", response.status().as_u16());
                    if let Some(ray) = response
                        .headers()
                        .get(&CF_RAY)
                        .and_then(|v| v.to_str().ok())
                    {
                        recorder.record("cf_ray", ray);
                    }
                }
                let retry = retry_decision(&outcome, is_order, options.retry_orders);
                match (retry, retry_copy) {
                    (true, Some(copy)) => {
                        let delay =
                            policy.delay(attempt, outcome.as_ref().ok().map(|r| r.headers()));
                        match &outcome {
                            Ok(r) => {
                                tracing::debug!(status = r.status().as_u16(), ?delay, "retrying")
                            }
                            Err(e) => tracing::debug!(error = %e, ?delay, "retrying"),
                        }
                        drop(outcome);
                        retry_delays.push(delay);
                        tokio::time::sleep(delay).await;
                        request = copy;
                    }
                    _ => {
                        if let Some(context) = &context {
                            if let (Ok(r), Ok(mut meta)) = (&outcome, context.meta.lock()) {
                                *meta = Some(ResponseMeta {
                                    status: r.status().as_u16(),
                                    headers: r.headers().clone(),
                                    attempts: attempt,
                                    retry_delays: std::mem::take(&mut retry_delays),
                                });
                            }
                        }
                        match &outcome {
                            Ok(r) => tracing::debug!(status = r.status().as_u16(), "response"),
                            Err(e) => tracing::debug!(error = %e, "request failed"),
                        }
                        return outcome;
                    }
                }
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
        self.inner().execute(self.client(), request, info).await
    }
}
