//! User routes: endpoints outside the curated document that a test adds to the mock, each a
//! method, a path template and a canned answer.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Default cap on user routes added over `POST /__mock/routes`.
pub const DEFAULT_MAX_USER_ROUTES: usize = 100;

/// A route the mock answers although the document does not have it, so code that calls an
/// endpoint outside the document's operations (with `client.request`, say) can be tested against the
/// mock. Checked only for requests the document does not route; they still need credentials,
/// count under `user_route` and take faults (scope them with [`crate::Faults::path`]).
///
/// JSON form (`POST /__mock/routes`, `--routes FILE` with an array):
/// `{"method": "GET", "path": "/accounts/{account_id}/tokens/verify", "status": 200, "body": {...}}`.
///
/// ```no_run
/// # async fn demo() {
/// use cloudflare_ssl_mock::{MockServer, UserRoute};
/// let mock = MockServer::builder()
///     .route(UserRoute::new("GET", "/user/tokens/verify").body(serde_json::json!({
///         "success": true, "errors": [], "messages": [], "result": {"status": "active"}
///     })))
///     .start()
///     .await;
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct UserRoute {
    /// The HTTP method, e.g. `GET` (compared without regard to case).
    pub method: String,
    /// The path relative to the API base URL: segments, `*` or `{name}` for any one segment,
    /// e.g. `/accounts/{account_id}/tokens`.
    pub path: String,
    /// The status of the answer (default 200).
    #[serde(default = "ok_status")]
    pub status: u16,
    /// The JSON body of the answer, sent as given (default: Cloudflare's envelope with
    /// `result: null`, `success` true for a 2xx status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

fn ok_status() -> u16 {
    200
}

impl UserRoute {
    /// A route answering `200` with an empty success envelope.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> UserRoute {
        UserRoute {
            method: method.into(),
            path: path.into(),
            status: 200,
            body: None,
        }
    }

    /// Answers with this status.
    #[must_use]
    pub fn status(mut self, status: u16) -> UserRoute {
        self.status = status;
        self
    }

    /// Answers with this JSON body.
    #[must_use]
    pub fn body(mut self, body: Value) -> UserRoute {
        self.body = Some(body);
        self
    }

    /// `Err` naming the field, the value and the rule when the route cannot be served.
    ///
    /// # Errors
    /// A method that is not an HTTP token, a path that does not start with `/` or is longer than
    /// 1,000 bytes, a status outside 200–599.
    pub fn check(&self) -> Result<(), String> {
        if self.method.is_empty()
            || self.method.len() > 32
            || !self.method.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return Err(format!(
                "method: `{}` is not an HTTP method (letters only, at most 32)",
                crate::http::excerpt(&self.method)
            ));
        }
        if !self.path.starts_with('/') || self.path.len() > 1000 {
            return Err(format!(
                "path: `{}` must start with `/` and be at most 1000 bytes",
                crate::http::excerpt(&self.path)
            ));
        }
        if !(200..=599).contains(&self.status) {
            return Err(format!("status: {} is out of range (200-599)", self.status));
        }
        Ok(())
    }

    /// Whether this route answers `method` on `path` (relative to the API base).
    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        self.method.eq_ignore_ascii_case(method)
            && crate::faults::template_matches(&self.path, path)
    }

    /// The body to send.
    pub(crate) fn answer(&self) -> Value {
        match &self.body {
            Some(body) => body.clone(),
            None if (200..300).contains(&self.status) => crate::envelope::success(Value::Null),
            None => crate::envelope::ApiError::new(
                self.status,
                crate::envelope::CODE_NO_ROUTE,
                format!("user route {} {}", self.method, self.path),
            )
            .body(),
        }
    }
}
