//! Cloudflare's response envelope and the error codes the mock answers with.
//!
//! | situation | HTTP | code | message |
//! |---|---|---|---|
//! | no credentials | 401 | 10000 | `Authentication error` |
//! | wrong credentials | 403 | 10000 | `Authentication error` |
//! | unknown path | 404 | 7000 | `No route for that URI` |
//! | known path, method the document does not declare there | 405 | 7001 | `Method … not allowed for this route` (with an `Allow` header listing the path's methods) |
//! | malformed identifier in the path | 400 | 7003 | `Could not route to …, perhaps your object identifier is invalid?` |
//! | unknown zone | 404 | 7003 | `Could not route to …, perhaps your object identifier is invalid?` |
//! | request breaks the document (body, query) or malformed JSON | 400 | 1400 | `Invalid request: …` (one error per problem, each with `source.pointer`) |
//! | unknown certificate pack | 404 | 1404 | `Certificate pack not found` |
//! | order over the advanced quota | 400 | 1405 | `Quota exceeded …` |
//! | edit/delete of a non-advanced pack | 400 | 1407 | `Only advanced certificate packs can be …` |
//! | validation method change after validation | 400 | 1408 | `The validation method can only be changed …` |
//! | restart of a pack not in `validation_timed_out` | 400 | 1409 | `Validation can only be restarted …` |
//! | analyze: not a PEM certificate | 400 | 1410 | `The certificate could not be parsed: …` |
//! | request body too large | 413 | 1411 | `Request body too large` |
//! | over the rate limit (1,200 requests per 5 minutes per credential by default) | 429 | 971 | `Please wait and consider throttling your request speed` |
//! | injected 5xx ([`super::Fault::ServerError`]) | 5xx | 10002 | `Internal server error` |
//! | operation of the document the mock does not implement | 501 | 7000 | `… is not implemented by the mock` |
//! | conformance proxy: upstream unreachable or body over the limit | 502 / 413 | 10502 | `upstream …` (header `x-proxy-error: true`; [`crate::proxy::CODE_PROXY_ERROR`]) |
//! | replay: no recorded exchange left | 404 | 7000 | `replay miss: …` (header `x-replay-miss: true`) |
//!
//! The business rules (valid requests refused in some state) are listed in [`BUSINESS_RULES`].

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::spec::Violation;

/// A business rule of the mock: a request that conforms to the document but that the mock
/// (like the real API) refuses in some state. Listed by [`BUSINESS_RULES`], in the crate
/// documentation and at `GET /__mock/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BusinessRule {
    /// A short name, e.g. `delete_universal_pack`.
    pub name: &'static str,
    /// The `operationId` concerned.
    pub operation: &'static str,
    /// When the mock refuses.
    pub when: &'static str,
    /// The HTTP status of the refusal.
    pub status: u16,
    /// The envelope's error code.
    pub code: i64,
    /// The error's `source.pointer`, when it has one.
    pub pointer: Option<&'static str>,
}

/// Every business rule the mock enforces (valid requests it rejects in some state).
pub const BUSINESS_RULES: &[BusinessRule] = &[
    BusinessRule {
        name: "delete_universal_pack",
        operation: "delete_certificate_pack",
        when: "the pack is not an advanced pack (e.g. the zone's Universal SSL pack): disable Universal SSL instead",
        status: 400,
        code: CODE_NOT_ADVANCED,
        pointer: None,
    },
    BusinessRule {
        name: "edit_universal_pack",
        operation: "edit_certificate_pack",
        when: "the pack is not an advanced pack",
        status: 400,
        code: CODE_NOT_ADVANCED,
        pointer: None,
    },
    BusinessRule {
        name: "restart_validation_not_timed_out",
        operation: "edit_certificate_pack",
        when: "the body has no `cloudflare_branding` (a validation restart) and the pack is not in `validation_timed_out`",
        status: 400,
        code: CODE_RESTART_NOT_ALLOWED,
        pointer: None,
    },
    BusinessRule {
        name: "change_method_after_validation",
        operation: "edit_validation_method",
        when: "the method differs from the pack's and the pack is past validation (not `initializing`, `pending_validation` or `validation_timed_out`, e.g. `active`); the same method is accepted and changes nothing",
        status: 400,
        code: CODE_VALIDATION_METHOD_LOCKED,
        pointer: Some("/validation_method"),
    },
    BusinessRule {
        name: "order_past_quota",
        operation: "order_certificate_pack",
        when: "the zone already holds `quota.advanced.allocated` advanced packs (deleting one frees its slot)",
        status: 400,
        code: CODE_QUOTA_EXCEEDED,
        pointer: None,
    },
    BusinessRule {
        name: "order_hosts_outside_zone",
        operation: "order_certificate_pack",
        when: "a host is not the zone apex or below it, is listed twice, or the apex is missing (pointer `/hosts/N`, or `/hosts` for the apex)",
        status: 400,
        code: CODE_INVALID_REQUEST,
        pointer: Some("/hosts/1"),
    },
    BusinessRule {
        name: "analyze_empty_certificate",
        operation: "analyze_certificate",
        when: "`certificate` is empty or not a PEM X.509 certificate",
        status: 400,
        code: CODE_CERTIFICATE_UNPARSABLE,
        pointer: Some("/certificate"),
    },
    BusinessRule {
        name: "unknown_pack",
        operation: "get_certificate_pack",
        when: "no pack of the zone has that identifier (also for edit, delete and the verification PATCH)",
        status: 404,
        code: CODE_PACK_NOT_FOUND,
        pointer: Some("/certificate_pack_id"),
    },
    BusinessRule {
        name: "unknown_zone",
        operation: "list_certificate_packs",
        when: "the zone identifier is well formed but not one of the mock's zones (every operation)",
        status: 404,
        code: CODE_INVALID_IDENTIFIER,
        pointer: None,
    },
];

/// Authentication failed (missing or wrong credentials).
pub const CODE_AUTHENTICATION: i64 = 10000;
/// No route for the URI.
pub const CODE_NO_ROUTE: i64 = 7000;
/// Method not allowed on a known path.
pub const CODE_METHOD_NOT_ALLOWED: i64 = 7001;
/// Unknown or malformed object identifier (zone).
pub const CODE_INVALID_IDENTIFIER: i64 = 7003;
/// The request does not conform to the API document (or is not JSON).
pub const CODE_INVALID_REQUEST: i64 = 1400;
/// Certificate pack not found.
pub const CODE_PACK_NOT_FOUND: i64 = 1404;
/// Advanced certificate pack quota exceeded.
pub const CODE_QUOTA_EXCEEDED: i64 = 1405;
/// The operation only applies to advanced certificate packs.
pub const CODE_NOT_ADVANCED: i64 = 1407;
/// The validation method cannot be changed in the pack's current status.
pub const CODE_VALIDATION_METHOD_LOCKED: i64 = 1408;
/// Validation can only be restarted for a timed-out pack.
pub const CODE_RESTART_NOT_ALLOWED: i64 = 1409;
/// The certificate given to analyze could not be parsed.
pub const CODE_CERTIFICATE_UNPARSABLE: i64 = 1410;
/// The request body exceeds the mock's limit.
pub const CODE_BODY_TOO_LARGE: i64 = 1411;
/// Rate limited.
pub const CODE_RATE_LIMITED: i64 = 971;
/// Internal server error (injected).
pub const CODE_INTERNAL: i64 = 10002;

/// One entry of the envelope's `errors` array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ErrorItem {
    pub(crate) code: i64,
    pub(crate) message: String,
    pub(crate) pointer: Option<String>,
}

/// A failed call: an HTTP status and at least one error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) errors: Vec<ErrorItem>,
}

impl ApiError {
    pub(crate) fn new(status: u16, code: i64, message: impl Into<String>) -> Self {
        ApiError {
            status,
            errors: vec![ErrorItem {
                code,
                message: message.into(),
                pointer: None,
            }],
        }
    }

    pub(crate) fn at(status: u16, code: i64, message: impl Into<String>, pointer: &str) -> Self {
        ApiError {
            status,
            errors: vec![ErrorItem {
                code,
                message: message.into(),
                pointer: Some(pointer.to_owned()),
            }],
        }
    }

    /// A 400 with one error per violation.
    pub(crate) fn invalid(violations: Vec<Violation>) -> Self {
        let mut errors: Vec<ErrorItem> = violations
            .into_iter()
            .map(|v| ErrorItem {
                code: CODE_INVALID_REQUEST,
                message: format!("Invalid request: {}", v.message),
                pointer: Some(v.pointer),
            })
            .collect();
        if errors.is_empty() {
            errors.push(ErrorItem {
                code: CODE_INVALID_REQUEST,
                message: "Invalid request".into(),
                pointer: Some(String::new()),
            });
        }
        ApiError {
            status: 400,
            errors,
        }
    }

    pub(crate) fn unknown_object(path: &str, status: u16, pointer: Option<&str>) -> Self {
        let message =
            format!("Could not route to {path}, perhaps your object identifier is invalid?");
        match pointer {
            Some(p) => ApiError::at(status, CODE_INVALID_IDENTIFIER, message, p),
            None => ApiError::new(status, CODE_INVALID_IDENTIFIER, message),
        }
    }

    pub(crate) fn pack_not_found(pack_id: &str) -> Self {
        ApiError::at(
            404,
            CODE_PACK_NOT_FOUND,
            format!("Certificate pack {pack_id} not found"),
            "/certificate_pack_id",
        )
    }

    /// The failure envelope: `success: false`, the errors, no messages, `result: null`.
    pub(crate) fn body(&self) -> Value {
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|e| {
                let mut item = json!({ "code": e.code, "message": e.message });
                if let (Some(pointer), Value::Object(map)) = (&e.pointer, &mut item) {
                    map.insert("source".into(), json!({ "pointer": pointer }));
                }
                item
            })
            .collect();
        json!({ "success": false, "errors": errors, "messages": [], "result": null })
    }
}

/// The success envelope around `result`.
pub(crate) fn success(result: Value) -> Value {
    // Built by hand: `json!` would copy `result` through its serializer (a deep copy of every
    // answer), where moving it costs nothing. Same keys, same order.
    let mut map = success_fields();
    map.insert("result".into(), result);
    Value::Object(map)
}

/// `success`, `errors` and `messages` of a success envelope, in the order `json!` writes them.
fn success_fields() -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("success".into(), Value::Bool(true));
    map.insert("errors".into(), Value::Array(Vec::new()));
    map.insert("messages".into(), Value::Array(Vec::new()));
    map
}

/// The success envelope without `result`: the part of a one-pack answer validated per answer
/// (`routes::compose` writes the pack after it).
pub(crate) fn success_without_result() -> Value {
    Value::Object(success_fields())
}

/// The success envelope of a list, with `result_info`.
pub(crate) fn success_list(result: Vec<Value>, info: Value) -> Value {
    let mut map = success_fields();
    map.insert("result".into(), Value::Array(result));
    map.insert("result_info".into(), info);
    Value::Object(map)
}
