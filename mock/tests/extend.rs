//! A mock others can extend: faults scoped to a zone or a path, and user routes for endpoints
//! outside the document (from Rust and over the admin routes).

use cloudflare_ssl_mock::{Fault, MockServer, UserRoute, DEFAULT_ZONE_ID, SECOND_ZONE_ID};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn http_client() -> reqwest::Client {
    let _ = cloudflare_ssl_mock::crypto_provider().install_default();
    reqwest::Client::new()
}

async fn get(http: &reqwest::Client, mock: &MockServer, path: &str) -> (StatusCode, Value) {
    let r = http
        .get(format!("{}{path}", mock.base_url()))
        .bearer_auth(mock.token())
        .send()
        .await
        .expect("mock");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn admin(
    http: &reqwest::Client,
    mock: &MockServer,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = http
        .request(method, format!("{}{path}", mock.admin_url()))
        .json(&body)
        .send()
        .await
        .expect("admin");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn faults_strike_only_their_zone_or_path() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    mock.faults()
        .zone(SECOND_ZONE_ID)
        .next(1, Fault::ServerError { status: 503 });
    let first = format!("/zones/{DEFAULT_ZONE_ID}/ssl/verification");
    let second = format!("/zones/{SECOND_ZONE_ID}/ssl/verification");
    assert_eq!(get(&http, &mock, &first).await.0, StatusCode::OK);
    assert_eq!(
        get(&http, &mock, &second).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(get(&http, &mock, &second).await.0, StatusCode::OK);

    // Over HTTP: by path template, on one zone's quota only.
    let (status, body) = admin(
        &http,
        &mock,
        reqwest::Method::POST,
        "/faults",
        json!({"fault": {"kind": "server_error", "status": 502}, "path": "/zones/{zone}/ssl/certificate_packs/quota", "zone": DEFAULT_ZONE_ID, "times": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(get(&http, &mock, &first).await.0, StatusCode::OK);
    let second_quota = format!("/zones/{SECOND_ZONE_ID}/ssl/certificate_packs/quota");
    assert_eq!(get(&http, &mock, &second_quota).await.0, StatusCode::OK);
    let quota = format!("/zones/{DEFAULT_ZONE_ID}/ssl/certificate_packs/quota");
    assert_eq!(get(&http, &mock, &quota).await.0, StatusCode::BAD_GATEWAY);
    assert_eq!(get(&http, &mock, &quota).await.0, StatusCode::BAD_GATEWAY);
    assert_eq!(get(&http, &mock, &quota).await.0, StatusCode::OK);
    // A misspelt field is refused, naming the valid ones.
    let (status, body) = admin(
        &http,
        &mock,
        reqwest::Method::POST,
        "/faults",
        json!({"fault": {"kind": "drop_connection"}, "zon": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.contains("zon") && m.contains("zone")),
        "{body}"
    );
}

#[tokio::test]
async fn user_routes_answer_endpoints_outside_the_document() {
    let mock = MockServer::builder()
        .manual_clock()
        .route(UserRoute::new("GET", "/user/tokens/verify").body(json!({
            "success": true, "errors": [], "messages": [], "result": {"status": "active"}
        })))
        .max_user_routes(2)
        .start()
        .await;
    let http = http_client();
    let (status, body) = get(&http, &mock, "/user/tokens/verify").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"]["status"], "active");
    // Credentials are still required.
    let r = http
        .get(format!("{}/user/tokens/verify", mock.base_url()))
        .send()
        .await
        .expect("mock");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Without a route: the mock's 404.
    let (status, _) = get(&http, &mock, "/accounts/a1/tokens").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = admin(
        &http,
        &mock,
        reqwest::Method::POST,
        "/routes",
        json!({"method": "get", "path": "/accounts/{account_id}/tokens", "status": 202}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = get(&http, &mock, "/accounts/a1/tokens").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body["success"], true);
    assert_eq!(mock.counters().by_operation.get("user_route"), Some(&3));
    // Faults reach user routes by path.
    mock.faults()
        .path("/accounts/*/tokens")
        .next(1, Fault::HtmlErrorPage { status: 502 });
    assert_eq!(
        get(&http, &mock, "/accounts/a2/tokens").await.0,
        StatusCode::BAD_GATEWAY
    );
    // Caps and checks.
    let (status, body) = admin(
        &http,
        &mock,
        reqwest::Method::POST,
        "/routes",
        json!({"method": "GET", "path": "/x"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.contains("limit is 2")),
        "{body}"
    );
    admin(&http, &mock, reqwest::Method::DELETE, "/routes", json!({})).await;
    let (status, body) = admin(
        &http,
        &mock,
        reqwest::Method::POST,
        "/routes",
        json!({"method": "GET", "path": "x", "status": 200}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.starts_with("path:")),
        "{body}"
    );
    let (status, _) = admin(
        &http,
        &mock,
        reqwest::Method::POST,
        "/routes",
        json!({"method": "GET", "path": "/x", "status": 99}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Reset brings back the configured routes only.
    admin(&http, &mock, reqwest::Method::POST, "/reset", json!({})).await;
    assert_eq!(
        get(&http, &mock, "/user/tokens/verify").await.0,
        StatusCode::OK
    );
    assert_eq!(
        get(&http, &mock, "/accounts/a1/tokens").await.0,
        StatusCode::NOT_FOUND
    );
    // Only the configured route is listed after the reset.
    let (_, listed) = admin(&http, &mock, reqwest::Method::GET, "/routes", json!({})).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
}
