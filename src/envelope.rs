//! Cloudflare's response envelope, and a call's result from the transport's exchange: [`decode`]
//! is the one envelope decoder (the generated types, raw requests and failure bodies alike), and
//! [`settle`] applies [`classify`](crate::retry::classify) to an error (is it of unknown outcome,
//! or accepted?), as the transport applies it to an attempt (retry it?).

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::{AcceptedResponse, ApiError, ApiMessage, Error, Result};
use crate::response::{ApiResponse, ResponseMeta};
use crate::retry::{classify, retry_after, Class, Seen};
use crate::transport::{CallSpec, Exchange, Failure, Reply, ERROR_BODY_PARSE_LIMIT};
use crate::types;

/// The parts of a Cloudflare response envelope; decoded itself, Cloudflare's envelope around any
/// `R` read leniently (raw requests, failure bodies): a field of the wrong type is absent, a
/// message that is not an object has no code and an empty text.
#[doc(hidden)]
#[derive(Deserialize)]
#[serde(bound = "R: DeserializeOwned")]
pub struct Parts<R> {
    #[serde(default, deserialize_with = "loose")]
    pub(crate) success: Option<bool>,
    #[serde(default, deserialize_with = "loose_messages")]
    pub(crate) errors: Vec<types::ResponseInfo>,
    #[serde(default, deserialize_with = "loose_messages")]
    pub(crate) messages: Vec<types::ResponseInfo>,
    #[serde(default)]
    pub(crate) result: Option<R>,
    #[serde(default, deserialize_with = "loose")]
    pub(crate) result_info: Option<types::ResultInfo>,
}

/// A Cloudflare envelope around a `result`: every operation's `200` type (generated from the
/// document by `openapi/codegen.rs`), and `Parts` (raw requests).
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

impl<T: DeserializeOwned + Send + 'static> Envelope for Parts<T> {
    type Result = T;
    fn into_parts(self) -> Self {
        self
    }
    /// `T = Value` (or any type that accepts null) takes an absent `result` as null.
    fn missing_result() -> Option<T> {
        serde_json::from_value(Value::Null).ok()
    }
}

/// `Some(value)` if it decodes as `T`, else `None`.
fn loose<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    de: D,
) -> std::result::Result<Option<T>, D::Error> {
    Ok(serde_json::from_value(Value::deserialize(de)?).ok())
}

fn loose_messages<'de, D: Deserializer<'de>>(
    de: D,
) -> std::result::Result<Vec<types::ResponseInfo>, D::Error> {
    let Value::Array(items) = Value::deserialize(de)? else {
        return Ok(Vec::new());
    };
    let text = |m: &Value, key: &str| m.get(key).and_then(Value::as_str).map(str::to_owned);
    Ok(items
        .iter()
        .map(|m| types::ResponseInfo {
            code: m.get("code").and_then(Value::as_i64),
            message: text(m, "message").unwrap_or_default(),
            documentation_url: text(m, "documentation_url"),
            source: m
                .pointer("/source/pointer")
                .and_then(Value::as_str)
                .map(|p| types::ResponseInfoSource {
                    pointer: Some(p.to_owned()),
                    extra: Default::default(),
                }),
            extra: Default::default(),
        })
        .collect())
}

/// The envelope's messages as this crate reports them.
fn api_messages(list: Vec<types::ResponseInfo>) -> Vec<ApiMessage> {
    list.into_iter()
        .map(|m| ApiMessage {
            code: m.code,
            message: m.message,
            documentation_url: m.documentation_url,
            pointer: m.source.and_then(|s| s.pointer),
        })
        .collect()
}

/// Applies [`classify`] to a call's `error`: of unknown outcome, accepted, or as it is.
fn settle(call: &CallSpec, seen: Seen, sent: bool, error: Error, reply: Option<&Reply>) -> Error {
    match classify(seen, call.idempotent, sent) {
        Class::Unknown if !error.is_outcome_unknown() => {
            Error::outcome_unknown(call.operation, error)
        }
        Class::Accepted => accepted(call.operation, reply, error),
        _ => error,
    }
}

/// A call's result from its exchange: the envelope `E` decoded, or the error it amounts to.
pub(crate) fn finish<E: Envelope>(
    call: &CallSpec,
    exchange: Exchange,
) -> Result<ApiResponse<E::Result>> {
    let sent = exchange.sent;
    let reply = exchange.outcome.map_err(|f| failed(call, f, sent))?;
    match decode::<E>(call.operation, &reply) {
        Ok(response) => Ok(ApiResponse {
            meta: reply.meta,
            ..response
        }),
        Err((error, seen)) => Err(settle(call, seen, sent, error, Some(&reply))),
    }
}

/// The error a transport [`Failure`] amounts to.
pub(crate) fn failed(call: &CallSpec, failure: Failure, sent: bool) -> Error {
    let (operation, seen) = (call.operation, failure.seen());
    let error = match failure {
        Failure::PathRefused { path, template, .. } => {
            // Nothing was sent: the ids were checked, so this is a defect or a raw path.
            let problem = format!("does not match the operation's path template {template}");
            return Error::input("path", Some(path), problem + "; nothing was sent");
        }
        Failure::Deadline { limit } => Error::DeadlineExceeded {
            operation,
            deadline: limit,
        },
        Failure::TooLarge {
            meta,
            limit,
            declared,
        } => Error::ResponseTooLarge {
            operation,
            status: meta.status,
            limit,
            declared,
            cf_ray: meta.cf_ray().map(str::to_owned),
        },
        Failure::Http(source) if source.is_connect() => Error::Connect { operation, source },
        Failure::Http(source) if source.is_timeout() => Error::Timeout { operation, source },
        Failure::Http(source) => Error::Transport { operation, source },
    };
    settle(call, seen, sent, error, None)
}

/// Decodes `reply` as the envelope `E` (its `meta` left empty), or the error and what it means
/// to [`classify`]: an answer, or a body that could not be read as one.
fn decode<E: Envelope>(
    operation: &'static str,
    reply: &Reply,
) -> std::result::Result<ApiResponse<E::Result>, (Error, Seen)> {
    let (meta, body) = (&reply.meta, &reply.body[..]);
    let (answer, unusable) = (Seen::Answer(meta.status), Seen::Unusable(meta.status));
    let failure = || {
        let envelope = (body.len() <= ERROR_BODY_PARSE_LIMIT)
            .then(|| serde_json::from_slice::<Parts<IgnoredAny>>(body).ok())
            .flatten()?;
        (envelope.success == Some(false) || !envelope.errors.is_empty())
            .then(|| api_error(operation, meta, envelope.errors, envelope.messages))
    };
    let undecodable = |path: String, message: String| {
        let status = meta.status;
        let error = Error::Decode {
            operation,
            status,
            path,
            message,
        };
        Err((error, unusable))
    };
    if !(200..300).contains(&meta.status) {
        let error = failure().unwrap_or_else(|| unexpected(operation, meta, body));
        return Err((error, answer));
    }
    let parts = match serde_json::from_slice::<E>(body) {
        Ok(envelope) => envelope.into_parts(),
        Err(e) => {
            if let Some(error) = failure() {
                return Err((error, answer));
            }
            if serde_json::from_slice::<IgnoredAny>(body).is_err() {
                return Err((unexpected(operation, meta, body), unusable));
            }
            // Valid JSON of the wrong shape: find where, with serde's path.
            let mut de = serde_json::Deserializer::from_slice(body);
            return match serde_path_to_error::deserialize::<_, E>(&mut de) {
                Err(e) => undecodable(e.path().to_string(), e.inner().to_string()),
                Ok(_) => undecodable(".".to_owned(), e.to_string()),
            };
        }
    };
    if parts.success == Some(false) {
        let error = api_error(operation, meta, parts.errors, parts.messages);
        return Err((error, answer));
    }
    match parts.result.or_else(E::missing_result) {
        Some(result) => Ok(ApiResponse {
            result,
            messages: api_messages(parts.messages),
            errors: api_messages(parts.errors),
            result_info: parts.result_info,
            meta: ResponseMeta::default(),
        }),
        None => undecodable(
            "result".into(),
            "a successful response without a `result`".into(),
        ),
    }
}

/// At most this much of an undecodable accepted response is kept in the error.
pub const ACCEPTED_BODY_LIMIT: usize = 64 * 1024;

/// The error for a 2xx answer to a non-idempotent request whose body cannot be used: the
/// server accepted it, so it must not look like an ordinary failure that invites a retry.
fn accepted(operation: &'static str, reply: Option<&Reply>, cause: Error) -> Error {
    let body = reply.map_or(&[][..], |r| &r.body[..]);
    let result = serde_json::from_slice::<Parts<Value>>(body)
        .ok()
        .and_then(|e| e.result);
    let resource_id = result.and_then(|r| r.get("id")?.as_str().map(str::to_owned));
    let kept = body
        .get(..body.len().min(ACCEPTED_BODY_LIMIT))
        .unwrap_or_default();
    let (status, cf_ray) = match (&cause, reply) {
        (_, Some(r)) => (r.meta.status, r.meta.cf_ray().map(str::to_owned)),
        (Error::ResponseTooLarge { status, cf_ray, .. }, None) => (*status, cf_ray.clone()),
        _ => (cause.status().unwrap_or_default(), None),
    };
    Error::Accepted(Box::new(AcceptedResponse {
        operation,
        status,
        cf_ray,
        body: String::from_utf8_lossy(kept).into_owned(),
        // A body too large to read is not kept at all.
        body_truncated: reply.is_none() || body.len() > ACCEPTED_BODY_LIMIT,
        resource_id,
        cause,
    }))
}

fn api_error(
    operation: &'static str,
    meta: &ResponseMeta,
    errors: Vec<types::ResponseInfo>,
    messages: Vec<types::ResponseInfo>,
) -> Error {
    Error::Api(Box::new(ApiError {
        operation,
        status: meta.status,
        errors: api_messages(errors),
        messages: api_messages(messages),
        cf_ray: meta.cf_ray().map(str::to_owned),
        retry_after: retry_after(&meta.headers, std::time::SystemTime::now()),
    }))
}

/// The start of a body, for error messages: at most 200 characters, whitespace collapsed.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let head = body.get(..body.len().min(4096)).unwrap_or_default();
    let text = String::from_utf8_lossy(head);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", collapsed.get(..cut).unwrap_or_default()),
        None => collapsed,
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

    /// The failure envelope as `decode` reads it from an error body.
    fn lenient_failure(body: &[u8]) -> Option<(Vec<ApiMessage>, Vec<ApiMessage>)> {
        let e = serde_json::from_slice::<Parts<IgnoredAny>>(body).ok()?;
        (e.success == Some(false) || !e.errors.is_empty())
            .then(|| (api_messages(e.errors), api_messages(e.messages)))
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
