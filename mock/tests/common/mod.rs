//! What the mock's integration tests share: a started mock and a client that calls it,
//! checking every answer's envelope and that the mock's own response-schema check stayed clean.
#![allow(dead_code)] // each test crate uses its own part

use cloudflare_ssl_mock::{MockServer, DEFAULT_ZONE_ID};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// A mock started on the manual clock, and a client for it.
pub struct Api {
    pub mock: MockServer,
    pub http: reqwest::Client,
}

impl Api {
    /// Starts the mock (`MockServer::start_manual`).
    pub async fn start() -> Api {
        Api {
            mock: MockServer::start_manual().await,
            http: http_client(),
        }
    }

    /// Calls `path` (relative to `/zones/{zone}`) and returns status and JSON body; asserts the
    /// mock's own response-schema check stayed clean and the body is a success envelope (2xx) or
    /// a failure envelope ([`assert_failure`]).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_zone(DEFAULT_ZONE_ID, method, path, body).await
    }

    /// [`Api::call`] in `zone`.
    pub async fn call_zone(
        &self,
        zone: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = format!("{}/zones/{zone}{path}", self.mock.base_url());
        let mut request = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(self.mock.token());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request reaches the mock");
        let status = response.status();
        let body: Value = response.json().await.expect("a JSON body");
        assert_eq!(
            self.mock.schema_violations(),
            Vec::<String>::new(),
            "{method} {path}"
        );
        if status.is_success() {
            assert_eq!(body["success"], true, "{body}");
        } else {
            assert_failure(&body);
        }
        (status, body)
    }
}

/// A plain reqwest client (reqwest is built without a bundled TLS crypto provider: install ring,
/// as the crate's own client does, before building one).
pub fn http_client() -> reqwest::Client {
    let _ = cloudflare_ssl_mock::crypto_provider().install_default();
    reqwest::Client::new()
}

/// Asserts `body` is Cloudflare's failure envelope with at least one coded error.
pub fn assert_failure(body: &Value) {
    assert_eq!(body["success"], false, "{body}");
    assert!(body["result"].is_null(), "{body}");
    assert!(body["messages"].is_array(), "{body}");
    let errors = body["errors"].as_array().expect("errors array");
    assert!(!errors.is_empty(), "{body}");
    for e in errors {
        assert!(e["code"].is_i64(), "{body}");
        assert!(e["message"].is_string(), "{body}");
    }
}
