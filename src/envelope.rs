//! Cloudflare's response envelope: unwrapping `result`, and turning every failure (an error
//! envelope, a non-JSON body, a body that does not decode, a transport failure) into [`Error`].

use progenitor_client::{Error as GenError, ResponseValue};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{AcceptedResponse, ApiError, ApiMessage, Error, Result};
use crate::retry::retry_after;
use crate::transport::{LocalFailure, ResponseMeta};
use crate::types;

/// What a generated operation method's future gives.
pub(crate) type GenResult<E> =
    std::result::Result<ResponseValue<E>, GenError<types::ErrorEnvelope>>;

/// A call's `result` together with the rest of the envelope and the HTTP metadata.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ApiResponse<T> {
    /// The unwrapped `result`.
    pub result: T,
    /// The envelope's `messages` (informational).
    pub messages: Vec<crate::ApiMessage>,
    /// The envelope's `errors` (normally empty on success).
    pub errors: Vec<crate::ApiMessage>,
    /// Pagination information, on lists.
    pub result_info: Option<types::ResultInfo>,
    /// HTTP status, headers and attempts.
    pub meta: ResponseMeta,
}

impl<T> ApiResponse<T> {
    /// The `cf-ray` header.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let full = client.zone(mock.zone_id())?.certificate_packs().quota().with_response().await?;
    /// let ray = full.cf_ray().expect("Cloudflare sends a cf-ray");
    /// println!("quote cf-ray {ray} to Cloudflare support");
    /// # assert!(!ray.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn cf_ray(&self) -> Option<&str> {
        self.meta.cf_ray()
    }
}

/// The parts of a Cloudflare response envelope.
#[doc(hidden)]
pub struct Parts<R> {
    pub(crate) success: Option<bool>,
    pub(crate) errors: Vec<types::ResponseInfo>,
    pub(crate) messages: Vec<types::ResponseInfo>,
    pub(crate) result: Option<R>,
    pub(crate) result_info: Option<types::ResultInfo>,
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

// The `Envelope` impl of every operation's `200` response type is generated from the document
// (`openapi/codegen.rs`, `apply_envelopes`): which parts a type has and what a missing `result`
// means come from its schema, so no list of response types is kept here.

fn messages(list: &[types::ResponseInfo]) -> Vec<ApiMessage> {
    list.iter().map(ApiMessage::from).collect()
}

/// What the error mapping needs to know about the call.
pub(crate) struct Facts {
    /// The operation's `operationId` (or `raw` for raw requests).
    pub(crate) operation: &'static str,
    /// Whether sending it twice has the effect of sending it once.
    pub(crate) idempotent: bool,
    /// Whether any attempt may have reached the server.
    pub(crate) sent: bool,
    /// The call's deadline, if it has passed.
    pub(crate) deadline_passed: Option<std::time::Duration>,
}

/// Unwraps a decoded envelope into the call's `result`.
pub(crate) fn unwrap<E: Envelope>(
    facts: &Facts,
    value: ResponseValue<E>,
    meta: Option<ResponseMeta>,
) -> Result<ApiResponse<E::Result>> {
    let operation = facts.operation;
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
            let error = Error::Decode {
                operation,
                status: meta.status,
                path: "result".into(),
                message: "a successful response without a `result`".into(),
            };
            return Err(if facts.idempotent {
                error
            } else {
                accepted(facts, &meta, b"", error)
            });
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

/// At most this much of an undecodable accepted response is kept in the error.
pub const ACCEPTED_BODY_LIMIT: usize = 64 * 1024;

/// The error for a 2xx answer to a non-idempotent request whose body does not decode: the
/// server accepted it, so it must not look like an ordinary failure that invites a retry.
pub(crate) fn accepted(facts: &Facts, meta: &ResponseMeta, body: &[u8], cause: Error) -> Error {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        result: Option<IdResult>,
    }
    #[derive(serde::Deserialize)]
    struct IdResult {
        id: Option<String>,
    }
    let resource_id = serde_json::from_slice::<IdOnly>(body)
        .ok()
        .and_then(|e| e.result)
        .and_then(|r| r.id);
    let kept = &body[..body.len().min(ACCEPTED_BODY_LIMIT)];
    Error::Accepted(Box::new(AcceptedResponse {
        operation: facts.operation,
        status: meta.status,
        cf_ray: meta.cf_ray().map(str::to_owned),
        body: String::from_utf8_lossy(kept).into_owned(),
        body_truncated: body.len() > ACCEPTED_BODY_LIMIT,
        resource_id,
        cause,
    }))
}

pub(crate) fn api_error(
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
pub(crate) fn lenient_failure(body: &[u8]) -> Option<(Vec<ApiMessage>, Vec<ApiMessage>)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let list = |key: &str| -> Vec<ApiMessage> {
        value
            .get(key)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|m| ApiMessage {
                        code: m.get("code").and_then(Value::as_i64),
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

/// An error answer (4xx, 5xx) to one of the document's operations is read up to this many bytes
/// and cut there (a cut body no longer decodes, so it is quoted); a raw request's JSON error body
/// longer than this is quoted without parsing. A hostile or broken server cannot make the error
/// path read megabytes or allocate a large `serde_json::Value`.
pub const ERROR_BODY_PARSE_LIMIT: usize = 256 * 1024;

/// A transport failure (no usable response), as the call sees it.
pub(crate) fn transport_error(facts: &Facts, e: reqwest::Error) -> Error {
    let operation = facts.operation;
    let error = match LocalFailure::find(&e) {
        Some(LocalFailure::TooLarge {
            status,
            limit,
            declared,
            headers,
        }) => Error::ResponseTooLarge {
            operation,
            status: *status,
            limit: *limit,
            declared: *declared,
            cf_ray: headers
                .get("cf-ray")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        },
        Some(LocalFailure::PathRefused { path, template, .. }) => {
            // Nothing was sent: the ids were checked, so this is a defect or a raw path.
            return Error::input(
                "path",
                Some(path.clone()),
                format!(
                    "does not match the operation's path template {template}; nothing was sent"
                ),
            );
        }
        Some(LocalFailure::RateLimiterDeadline) => Error::DeadlineExceeded {
            operation,
            deadline: facts.deadline_passed.unwrap_or_default(),
        },
        Some(LocalFailure::Body(_)) | None => match facts.deadline_passed {
            Some(deadline) if e.is_timeout() => Error::DeadlineExceeded {
                operation,
                deadline,
            },
            _ if e.is_timeout() => Error::Timeout {
                operation,
                source: e,
            },
            _ if e.is_connect() => Error::Connect {
                operation,
                source: e,
            },
            _ => Error::Transport {
                operation,
                source: e,
            },
        },
    };
    if facts.idempotent || !facts.sent {
        return error;
    }
    match error {
        // Nothing reached the server.
        Error::Connect { .. } => error,
        // The server answered, too much to read: a 2xx means it accepted the request (never an
        // ordinary failure that invites a resend), a 5xx or 408 leaves the outcome unknown, a
        // clear refusal stays as it is.
        Error::ResponseTooLarge {
            status, ref cf_ray, ..
        } if (200..300).contains(&status) => Error::Accepted(Box::new(AcceptedResponse {
            operation,
            status,
            cf_ray: cf_ray.clone(),
            body: String::new(),
            body_truncated: true,
            resource_id: None,
            cause: error,
        })),
        Error::ResponseTooLarge { .. } => ambiguous_if_unclear(facts, error),
        // A request that is not idempotent and may have reached the server: its outcome is
        // unknown.
        _ => Error::outcome_unknown(operation, error),
    }
}

/// Maps whatever the generated client reported into the crate's [`Error`]; for a request that
/// is not idempotent, an answer that does not clearly say "not done" (a 5xx, a 408, after the
/// request was sent) makes its outcome unknown.
pub(crate) async fn map_error<E: Envelope>(
    facts: &Facts,
    error: GenError<types::ErrorEnvelope>,
    meta: Option<ResponseMeta>,
) -> Error {
    ambiguous_if_unclear(facts, map_error_inner::<E>(facts, error, meta).await)
}

/// A server error or request timeout in answer to a request that is not idempotent does not say
/// whether it took effect (a pack can be created and the answer still be a 502 from a proxy on
/// the way back): such an error becomes [`Error::OutcomeUnknown`]. Clear refusals (4xx other
/// than 408, `success: false`) stay as they are.
pub(crate) fn ambiguous_if_unclear(facts: &Facts, error: Error) -> Error {
    let unclear = matches!(error.status(), Some(s) if s >= 500 || s == 408);
    if !facts.idempotent && facts.sent && unclear && !error.is_outcome_unknown() {
        Error::outcome_unknown(facts.operation, error)
    } else {
        error
    }
}

async fn map_error_inner<E: Envelope>(
    facts: &Facts,
    error: GenError<types::ErrorEnvelope>,
    meta: Option<ResponseMeta>,
) -> Error {
    let operation = facts.operation;
    let meta = meta.unwrap_or_default();
    match error {
        GenError::ErrorResponse(value) => {
            let meta = ResponseMeta {
                status: value.status().as_u16(),
                headers: value.headers().clone(),
                ..meta
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
            if bytes.len() <= ERROR_BODY_PARSE_LIMIT
                && let Some((errors, messages)) = lenient_failure(&bytes)
            {
                return api_error(operation, &meta, errors, messages);
            }
            let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok();
            if meta.status >= 400 || !is_json {
                let error = unexpected(operation, &meta, &bytes);
                return if !facts.idempotent && (200..300).contains(&meta.status) {
                    accepted(facts, &meta, &bytes, error)
                } else {
                    error
                };
            }
            // Valid JSON of the wrong shape: find where, with serde's path.
            let mut de = serde_json::Deserializer::from_slice(&bytes);
            let (path, message) = match serde_path_to_error::deserialize::<_, E>(&mut de) {
                Err(e) => (e.path().to_string(), e.inner().to_string()),
                Ok(_) => (".".to_owned(), serde_error.to_string()),
            };
            let error = Error::Decode {
                operation,
                status: meta.status,
                path,
                message,
            };
            if !facts.idempotent && (200..300).contains(&meta.status) {
                accepted(facts, &meta, &bytes, error)
            } else {
                error
            }
        }
        GenError::UnexpectedResponse(response) => {
            let meta = ResponseMeta {
                status: response.status().as_u16(),
                headers: response.headers().clone(),
                ..meta
            };
            match response.bytes().await {
                Ok(bytes) => {
                    let error = unexpected(operation, &meta, &bytes);
                    if !facts.idempotent && (200..300).contains(&meta.status) {
                        accepted(facts, &meta, &bytes, error)
                    } else {
                        error
                    }
                }
                Err(e) => transport_error(facts, e),
            }
        }
        GenError::CommunicationError(e)
        | GenError::ResponseBodyError(e)
        | GenError::InvalidUpgrade(e) => transport_error(facts, e),
        GenError::InvalidRequest(message) => Error::input("request", None, message),
        GenError::Custom(message) => Error::Config(message),
    }
}

pub(crate) fn unexpected(operation: &'static str, meta: &ResponseMeta, body: &[u8]) -> Error {
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
        assert_eq!(errors[0].code, Some(81057));
        assert_eq!(errors[0].pointer.as_deref(), Some("/hosts/0"));
        assert!(lenient_failure(br#"{"success":true,"result":{}}"#).is_none());
        assert!(lenient_failure(b"<html>").is_none());
        let (errors, _) = lenient_failure(br#"{"success":false}"#).expect("no errors listed");
        assert!(errors.is_empty());
    }
}
