//! One API call: per-call options, envelope unwrapping, and error mapping.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::{Error as GenError, ResponseValue};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, ApiMessage, Error, Result};
use crate::retry::{retry_after, RetryPolicy};
use crate::transport::{CallContext, RequestOptions, ResponseMeta, CALL};
use crate::types;

type GenResult<E> = std::result::Result<ResponseValue<E>, GenError<types::ErrorEnvelope>>;
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The parts of a Cloudflare response envelope.
#[doc(hidden)]
pub struct Parts<R> {
    success: Option<bool>,
    errors: Vec<types::ResponseInfo>,
    messages: Vec<types::ResponseInfo>,
    result: Option<R>,
    result_info: Option<types::ResultInfo>,
}

/// A generated response type that is a Cloudflare envelope around a `result`.
#[doc(hidden)]
pub trait Envelope: DeserializeOwned + Send + 'static {
    /// The type of `result`.
    type Result: Send;
    /// Splits the envelope.
    fn into_parts(self) -> Parts<Self::Result>;
    /// What a success without `result` means, if it is not an error.
    fn missing_result() -> Option<Self::Result> {
        None
    }
}

macro_rules! envelope {
    ($t:ident => $r:ty, result: optional) => {
        impl Envelope for types::$t {
            type Result = $r;
            fn into_parts(self) -> Parts<$r> {
                Parts {
                    success: Some(self.success),
                    errors: self.errors,
                    messages: self.messages,
                    result: self.result,
                    result_info: None,
                }
            }
        }
    };
    ($t:ident => $r:ty, result: list_with_info) => {
        impl Envelope for types::$t {
            type Result = $r;
            fn into_parts(self) -> Parts<$r> {
                Parts {
                    success: Some(self.success),
                    errors: self.errors,
                    messages: self.messages,
                    // An absent list decodes as empty.
                    result: Some(self.result),
                    result_info: self.result_info,
                }
            }
        }
    };
    ($t:ident => $r:ty, result: required) => {
        impl Envelope for types::$t {
            type Result = $r;
            fn into_parts(self) -> Parts<$r> {
                Parts {
                    success: Some(self.success),
                    errors: self.errors,
                    messages: self.messages,
                    result: Some(self.result),
                    result_info: None,
                }
            }
        }
    };
}

envelope!(CertificatePackListResponse => Vec<types::CertificatePack>, result: list_with_info);
envelope!(CertificatePackResponse => types::CertificatePack, result: optional);
envelope!(CertificatePackDeleteResponse => types::CertificatePackDeleteResult, result: optional);
envelope!(QuotaResponse => types::Quota, result: optional);
envelope!(UniversalSslSettingsResponse => types::UniversalSslSettings, result: optional);
envelope!(ValidationMethodUpdateResponse => types::ValidationMethodUpdateResult, result: optional);
envelope!(RecommendationResponse => types::AutomaticModeSetting, result: required);
envelope!(AutomaticModeResponse => types::AutomaticModeSetting, result: required);

impl Envelope for types::AnalyzeCertificateResponse {
    type Result = Value;
    fn into_parts(self) -> Parts<Value> {
        Parts {
            success: Some(self.success),
            errors: self.errors,
            messages: self.messages,
            result: self.result,
            result_info: None,
        }
    }
    /// The analysis is untyped; a missing one is `null`.
    fn missing_result() -> Option<Value> {
        Some(Value::Null)
    }
}

impl Envelope for types::VerificationResponse {
    type Result = Vec<types::Verification>;
    fn into_parts(self) -> Parts<Self::Result> {
        Parts {
            success: None,
            errors: Vec::new(),
            messages: Vec::new(),
            result: Some(self.result),
            result_info: None,
        }
    }
}

/// A call's `result` together with the rest of the envelope and the HTTP metadata.
#[derive(Clone, Debug)]
pub struct ApiResponse<T> {
    /// The unwrapped `result`.
    pub result: T,
    /// The envelope's `messages` (informational).
    pub messages: Vec<ApiMessage>,
    /// The envelope's `errors` (normally empty on success).
    pub errors: Vec<ApiMessage>,
    /// Pagination information, on lists.
    pub result_info: Option<types::ResultInfo>,
    /// HTTP status, headers and attempts.
    pub meta: ResponseMeta,
}

impl<T> ApiResponse<T> {
    /// The `cf-ray` header.
    pub fn cf_ray(&self) -> Option<&str> {
        self.meta.cf_ray()
    }
}

/// A pending API call. `.await` it for the unwrapped `result`, or call
/// [`with_response`](Call::with_response) for the whole envelope and HTTP metadata.
/// Options set here override the client's for this call only.
///
/// ```no_run
/// # async fn demo(zone: cloudflare_ssl::Zone) -> cloudflare_ssl::Result<()> {
/// use std::time::Duration;
/// let settings = zone.universal_ssl().get().timeout(Duration::from_secs(5)).await?;
/// let full = zone.universal_ssl().get().with_response().await?;
/// println!("{:?} (cf-ray {:?})", settings.enabled, full.cf_ray());
/// # Ok(()) }
/// ```
#[must_use = "a call does nothing until awaited"]
pub struct Call<'a, E: Envelope> {
    operation: &'static str,
    options: RequestOptions,
    future: Result<BoxFuture<'a, GenResult<E>>>,
}

impl<'a, E: Envelope> Call<'a, E> {
    pub(crate) fn new(
        operation: &'static str,
        future: impl Future<Output = GenResult<E>> + Send + 'a,
    ) -> Self {
        Self {
            operation,
            options: RequestOptions::default(),
            future: Ok(Box::pin(future)),
        }
    }

    /// A call that fails with `error` without sending anything (invalid input).
    pub(crate) fn fail(operation: &'static str, error: Error) -> Self {
        Self {
            operation,
            options: RequestOptions::default(),
            future: Err(error),
        }
    }

    /// Timeout for each attempt of this call (default: the client's, 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Retry policy for this call (default: the client's).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = Some(policy);
        self
    }

    /// Replaces all per-call options.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// The operation this call runs (its `operationId`).
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    pub(crate) fn set_retry_orders(mut self, allow: bool) -> Self {
        self.options.retry_orders = allow;
        self
    }

    /// Runs the call and returns the `result` with the envelope and HTTP metadata.
    pub async fn with_response(self) -> Result<ApiResponse<E::Result>> {
        let operation = self.operation;
        let future = self.future?;
        let context = Arc::new(CallContext {
            options: self.options,
            ..Default::default()
        });
        let outcome = CALL.scope(Arc::clone(&context), future).await;
        let meta = context.take_meta();
        match outcome {
            Ok(value) => unwrap_envelope::<E>(operation, value, meta),
            // Boxed: the error path (which may read a body) would otherwise make every call's
            // future larger; the success path allocates and copies less.
            Err(e) => Err(Box::pin(map_error::<E>(operation, e, meta)).await),
        }
    }
}

impl<'a, E: Envelope> IntoFuture for Call<'a, E> {
    type Output = Result<E::Result>;
    type IntoFuture = BoxFuture<'a, Result<E::Result>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.with_response().await.map(|r| r.result) })
    }
}

fn messages(list: &[types::ResponseInfo]) -> Vec<ApiMessage> {
    list.iter().map(ApiMessage::from).collect()
}

fn unwrap_envelope<E: Envelope>(
    operation: &'static str,
    value: ResponseValue<E>,
    meta: Option<ResponseMeta>,
) -> Result<ApiResponse<E::Result>> {
    let meta = meta.unwrap_or_else(|| ResponseMeta {
        status: value.status().as_u16(),
        headers: value.headers().clone(),
        attempts: 1,
        retry_delays: Vec::new(),
    });
    let parts = value.into_inner().into_parts();
    if parts.success == Some(false) {
        return Err(api_error(
            operation,
            &meta,
            messages(&parts.errors),
            messages(&parts.messages),
        ));
    }
    let result = match parts.result.or_else(E::missing_result) {
        Some(result) => result,
        None => {
            return Err(Error::Decode {
                operation,
                status: meta.status,
                path: "result".into(),
                message: "a successful response without a `result`".into(),
            })
        }
    };
    Ok(ApiResponse {
        result,
        messages: messages(&parts.messages),
        errors: messages(&parts.errors),
        result_info: parts.result_info,
        meta,
    })
}

fn api_error(
    operation: &'static str,
    meta: &ResponseMeta,
    errors: Vec<ApiMessage>,
    messages: Vec<ApiMessage>,
) -> Error {
    Error::Api(Box::new(ApiError {
        operation,
        status: meta.status,
        errors,
        messages,
        cf_ray: meta.cf_ray().map(str::to_owned),
        retry_after: retry_after(&meta.headers, std::time::SystemTime::now()),
    }))
}

/// The start of a body, for error messages: at most 200 characters, whitespace collapsed.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let head = &body[..body.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
        None => collapsed,
    }
}

/// Reads Cloudflare's failure envelope leniently from any JSON: `(success, errors, messages)`.
fn lenient_failure(body: &[u8]) -> Option<(Vec<ApiMessage>, Vec<ApiMessage>)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let list = |key: &str| -> Vec<ApiMessage> {
        value
            .get(key)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|m| ApiMessage {
                        code: m.get("code").and_then(Value::as_i64).unwrap_or(0),
                        message: m
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        documentation_url: m
                            .get("documentation_url")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        pointer: m
                            .pointer("/source/pointer")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let errors = list("errors");
    let failed = value.get("success").and_then(Value::as_bool) == Some(false);
    (failed || !errors.is_empty()).then(|| (errors, list("messages")))
}

fn transport_error(operation: &'static str, e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout {
            operation,
            source: e,
        }
    } else if e.is_connect() {
        Error::Connect {
            operation,
            source: e,
        }
    } else {
        Error::Transport {
            operation,
            source: e,
        }
    }
}

async fn map_error<E: Envelope>(
    operation: &'static str,
    error: GenError<types::ErrorEnvelope>,
    meta: Option<ResponseMeta>,
) -> Error {
    match error {
        GenError::ErrorResponse(value) => {
            let meta = ResponseMeta {
                status: value.status().as_u16(),
                headers: value.headers().clone(),
                ..meta.unwrap_or_default()
            };
            let body = value.into_inner();
            api_error(
                operation,
                &meta,
                messages(&body.errors),
                messages(&body.messages),
            )
        }
        GenError::InvalidResponsePayload(bytes, serde_error) => {
            let meta = meta.unwrap_or_default();
            if let Some((errors, messages)) = lenient_failure(&bytes) {
                return api_error(operation, &meta, errors, messages);
            }
            let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok();
            if meta.status >= 400 || !is_json {
                return unexpected(operation, &meta, &bytes);
            }
            // Valid JSON of the wrong shape: find where, with serde's path.
            let mut de = serde_json::Deserializer::from_slice(&bytes);
            let (path, message) = match serde_path_to_error::deserialize::<_, E>(&mut de) {
                Err(e) => (e.path().to_string(), e.inner().to_string()),
                Ok(_) => (".".to_owned(), serde_error.to_string()),
            };
            Error::Decode {
                operation,
                status: meta.status,
                path,
                message,
            }
        }
        GenError::UnexpectedResponse(response) => {
            let meta = ResponseMeta {
                status: response.status().as_u16(),
                headers: response.headers().clone(),
                ..meta.unwrap_or_default()
            };
            match response.bytes().await {
                Ok(bytes) => unexpected(operation, &meta, &bytes),
                Err(e) => transport_error(operation, e),
            }
        }
        GenError::CommunicationError(e)
        | GenError::ResponseBodyError(e)
        | GenError::InvalidUpgrade(e) => transport_error(operation, e),
        GenError::InvalidRequest(message) => Error::input("request", None, message),
        GenError::Custom(message) => Error::Config(message),
    }
}

fn unexpected(operation: &'static str, meta: &ResponseMeta, body: &[u8]) -> Error {
    Error::UnexpectedResponse {
        operation,
        status: meta.status,
        content_type: meta
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        excerpt: excerpt(body),
        cf_ray: meta.cf_ray().map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_short_and_collapsed() {
        let html = format!("<html>\n  <body>{}</body></html>", "x".repeat(500));
        let e = excerpt(html.as_bytes());
        assert!(e.starts_with("<html> <body>xxx"), "{e}");
        assert_eq!(e.chars().count(), 201);
        assert_eq!(excerpt(b""), "");
        assert_eq!(excerpt(&[0xff, 0xfe, b'a']), "\u{fffd}\u{fffd}a");
    }

    #[test]
    fn lenient_failure_reads_odd_envelopes() {
        let (errors, _) = lenient_failure(
            br#"{"success":false,"errors":[{"code":81057,"message":"exists","source":{"pointer":"/hosts/0"}}]}"#,
        )
        .expect("failure");
        assert_eq!(errors[0].code, 81057);
        assert_eq!(errors[0].pointer.as_deref(), Some("/hosts/0"));
        assert!(lenient_failure(br#"{"success":true,"result":{}}"#).is_none());
        assert!(lenient_failure(b"<html>").is_none());
        let (errors, _) = lenient_failure(br#"{"success":false}"#).expect("no errors listed");
        assert!(errors.is_empty());
    }
}
