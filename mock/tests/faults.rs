//! Fault injection, counters and the admin routes of the mock, plus the standalone binary.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cloudflare_ssl_mock::{Fault, MockServer, Operation, DEFAULT_ZONE_ID};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn http_client() -> reqwest::Client {
    let _ = cloudflare_ssl_mock::crypto_provider().install_default();
    reqwest::Client::new()
}

fn url(mock: &MockServer, path: &str) -> String {
    format!("{}/zones/{DEFAULT_ZONE_ID}{path}", mock.base_url())
}

async fn get(mock: &MockServer, http: &reqwest::Client, path: &str) -> reqwest::Response {
    http.get(url(mock, path))
        .bearer_auth(mock.token())
        .send()
        .await
        .expect("a response")
}

const ORDER: &str = r#"{"certificate_authority":"lets_encrypt","hosts":["example.com"],"type":"advanced","validation_method":"txt","validity_days":90}"#;

async fn order(mock: &MockServer, http: &reqwest::Client) -> reqwest::Result<reqwest::Response> {
    http.post(url(mock, "/ssl/certificate_packs/order"))
        .bearer_auth(mock.token())
        .header("content-type", "application/json")
        .body(ORDER)
        .send()
        .await
}

async fn quota_used(mock: &MockServer, http: &reqwest::Client) -> i64 {
    let body: Value = get(mock, http, "/ssl/certificate_packs/quota")
        .await
        .json()
        .await
        .expect("json");
    body["result"]["advanced"]["used"].as_i64().expect("used")
}

#[tokio::test]
async fn rate_limited_with_and_without_retry_after() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    mock.faults().next(
        2,
        Fault::RateLimited {
            retry_after_secs: Some(7),
        },
    );
    mock.faults().next(
        1,
        Fault::RateLimited {
            retry_after_secs: None,
        },
    );
    assert_eq!(mock.faults().pending(), 3);
    for _ in 0..2 {
        let r = get(&mock, &http, "/ssl/verification").await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()["retry-after"], "7");
        assert_eq!(r.headers()["ratelimit"], "\"default\";r=0;t=7");
        assert!(r.headers().contains_key("cf-ray"));
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["success"], false);
        assert_eq!(body["errors"][0]["code"], 971);
        assert_eq!(body["result"], Value::Null);
    }
    let r = get(&mock, &http, "/ssl/verification").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(!r.headers().contains_key("retry-after"));
    let r = get(&mock, &http, "/ssl/verification").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(mock.faults().pending(), 0);
    let counters = mock.counters();
    assert_eq!(counters.faults_injected, 3);
    assert_eq!(counters.requests(Operation::GetSslVerification), 4);
}

#[tokio::test]
async fn server_errors_keep_the_envelope() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    mock.faults()
        .next(1, Fault::ServerError { status: 503 })
        .next(1, Fault::ServerError { status: 200 });
    let r = get(&mock, &http, "/ssl/universal/settings").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["success"], false);
    assert_eq!(body["errors"][0]["code"], 10002);
    let r = get(&mock, &http, "/ssl/universal/settings").await;
    assert_eq!(
        r.status(),
        StatusCode::INTERNAL_SERVER_ERROR,
        "out of range → 500"
    );
}

#[tokio::test]
async fn malformed_and_truncated_bodies() {
    let mock = MockServer::start_manual().await;
    let http = http_client();

    mock.faults().next(1, Fault::MalformedJson);
    let r = get(&mock, &http, "/ssl/certificate_packs").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/json");
    let text = r.text().await.expect("complete body");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    mock.faults().after_handling().next(1, Fault::TruncatedJson);
    let r = get(&mock, &http, "/ssl/certificate_packs").await;
    assert_eq!(r.status(), StatusCode::OK);
    let declared: usize = r.headers()["content-length"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("content-length");
    let text = r.text().await.expect("complete (but cut) body");
    assert_eq!(text.len(), declared);
    assert!(text.starts_with("{\""));
    assert!(serde_json::from_str::<Value>(&text).is_err());

    mock.faults().after_handling().next(1, Fault::TruncatedBody);
    let r = get(&mock, &http, "/ssl/certificate_packs").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.is_err(), "the body is cut mid-stream");

    // Afterwards, business as usual.
    let r = get(&mock, &http, "/ssl/certificate_packs").await;
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["success"], true);
}

#[tokio::test]
async fn html_error_page() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    mock.faults().next(1, Fault::HtmlErrorPage { status: 502 });
    let r = get(&mock, &http, "/ssl/certificate_packs/quota").await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert!(r.headers()["content-type"]
        .to_str()
        .is_ok_and(|v| v.starts_with("text/html")));
    assert!(r.headers().contains_key("cf-ray"));
    let text = r.text().await.expect("page");
    assert!(text.starts_with("<!DOCTYPE html>"));
    assert!(text.contains("502") && text.contains("Cloudflare"));
}

#[tokio::test]
async fn dropped_connection_before_handling_places_no_order() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    mock.faults()
        .on(Operation::OrderCertificatePack)
        .next(1, Fault::DropConnection);
    // Scoped: other operations are unaffected.
    assert_eq!(quota_used(&mock, &http).await, 5);
    let err = order(&mock, &http).await.expect_err("no response");
    assert!(!err.is_status());
    assert_eq!(mock.orders_created(), 0);
    assert_eq!(quota_used(&mock, &http).await, 5);
    // The next order goes through.
    let r = order(&mock, &http).await.expect("a response");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(mock.orders_created(), 1);
    assert_eq!(mock.counters().requests(Operation::OrderCertificatePack), 2);
}

#[tokio::test]
async fn faults_after_handling_lose_the_response_but_keep_the_effect() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    let faults = mock
        .faults()
        .on(Operation::OrderCertificatePack)
        .after_handling();
    faults.next(1, Fault::DropConnection);
    faults.next(1, Fault::ServerError { status: 502 });
    assert!(order(&mock, &http).await.is_err());
    assert_eq!(mock.orders_created(), 1, "the order was placed");
    let r = order(&mock, &http).await.expect("a response");
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        mock.orders_created(),
        2,
        "placed again: a blind retry duplicates"
    );
    assert_eq!(quota_used(&mock, &http).await, 7);
}

#[tokio::test]
async fn latency_per_operation() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    mock.faults()
        .on(Operation::GetSslVerification)
        .latency(Duration::from_millis(150));
    // The latency is counted, not timed: a loaded machine makes any request slow, so only the
    // lower bound (the delay itself) is a timing fact.
    let started = Instant::now();
    get(&mock, &http, "/ssl/verification").await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(mock.counters().delayed, 1);

    get(&mock, &http, "/ssl/certificate_packs/quota").await;
    assert_eq!(
        mock.counters().delayed,
        1,
        "another operation is not delayed"
    );

    mock.faults().clear();
    get(&mock, &http, "/ssl/verification").await;
    assert_eq!(mock.counters().delayed, 1, "cleared: not delayed");
}

#[tokio::test]
async fn counters_per_operation() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    get(&mock, &http, "/ssl/verification").await;
    get(&mock, &http, "/ssl/verification").await;
    get(&mock, &http, "/ssl/certificate_packs").await;
    get(&mock, &http, "/nowhere").await;
    http.get(url(&mock, "/ssl/verification"))
        .send()
        .await
        .expect("a 401");
    let c = mock.counters();
    assert_eq!(c.total, 5);
    assert_eq!(c.requests(Operation::GetSslVerification), 3);
    assert_eq!(c.requests(Operation::ListCertificatePacks), 1);
    assert_eq!(c.by_operation.get("unmatched"), Some(&1));
    assert_eq!(c.orders_created, 0);
}

async fn admin(
    http: &reqwest::Client,
    mock: &MockServer,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http
        .request(method, format!("{}{path}", mock.admin_url()))
        .header("content-type", "application/json");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await.expect("admin response");
    let status = r.status();
    (status, r.json().await.expect("admin json"))
}

#[tokio::test]
async fn admin_routes_drive_faults_clock_and_state() {
    let mock = MockServer::start_manual().await;
    let http = http_client();

    let (status, index) = admin(&http, &mock, Method::GET, "/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(index["routes"].as_array().is_some_and(|r| r.len() > 5));
    let (_, info) = admin(&http, &mock, Method::GET, "/info", None).await;
    assert_eq!(info["base_url"], mock.base_url());
    assert_eq!(info["token"], mock.token());
    assert_eq!(info["zones"][0]["id"], DEFAULT_ZONE_ID);

    // Faults over HTTP.
    let (status, pending) = admin(
        &http,
        &mock,
        Method::POST,
        "/faults",
        Some(json!({
            "fault": {"kind": "server_error", "status": 504},
            "times": 2,
            "operation": "get_certificate_pack_quota",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pending, json!({"pending": 2}));
    assert_eq!(
        get(&mock, &http, "/ssl/certificate_packs/quota")
            .await
            .status(),
        StatusCode::GATEWAY_TIMEOUT
    );
    assert_eq!(
        get(&mock, &http, "/ssl/verification").await.status(),
        StatusCode::OK
    );
    let (_, cleared) = admin(&http, &mock, Method::DELETE, "/faults", None).await;
    assert_eq!(cleared["pending"], 0);
    assert_eq!(
        get(&mock, &http, "/ssl/certificate_packs/quota")
            .await
            .status(),
        StatusCode::OK
    );
    admin(
        &http,
        &mock,
        Method::POST,
        "/faults",
        Some(
            json!({"fault": {"kind": "drop_connection"}, "stage": "after_handling",
                    "operation": "order_certificate_pack"}),
        ),
    )
    .await;
    assert!(order(&mock, &http).await.is_err());
    assert_eq!(mock.orders_created(), 1);

    // Bad admin requests.
    let (status, e) = admin(
        &http,
        &mock,
        Method::POST,
        "/faults",
        Some(json!({"fault": {"kind": "gremlins"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e["error"].is_string());
    let (status, _) = admin(
        &http,
        &mock,
        Method::POST,
        "/faults",
        Some(json!({"fault": {"kind": "malformed_json"}, "operation": "nope"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = admin(&http, &mock, Method::GET, "/nothing", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Latency over HTTP.
    admin(
        &http,
        &mock,
        Method::POST,
        "/latency",
        Some(json!({"millis": 120, "operation": "get_ssl_verification"})),
    )
    .await;
    let started = Instant::now();
    get(&mock, &http, "/ssl/verification").await;
    assert!(started.elapsed() >= Duration::from_millis(120));
    admin(&http, &mock, Method::DELETE, "/faults", None).await;

    // Clock and status over HTTP.
    let (_, counters) = admin(&http, &mock, Method::GET, "/counters", None).await;
    assert_eq!(counters["orders_created"], 1);
    let packs: Value = get(
        &mock,
        &http,
        "/ssl/certificate_packs?status=all&per_page=50",
    )
    .await
    .json()
    .await
    .expect("json");
    let new_pack = packs["result"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["status"] == "initializing"))
        .and_then(|p| p["id"].as_str())
        .expect("the ordered pack")
        .to_owned();
    let (_, ticked) = admin(&http, &mock, Method::POST, "/clock/tick", None).await;
    assert_eq!(ticked["advanced"], true);
    assert_eq!(
        mock.certificate_pack(DEFAULT_ZONE_ID, &new_pack)
            .expect("pack")["status"],
        "pending_validation"
    );
    let before = mock.now();
    let (status, _) = admin(
        &http,
        &mock,
        Method::POST,
        "/clock/advance",
        Some(json!({"seconds": 60})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mock.now() - before, chrono::TimeDelta::seconds(60));
    assert_eq!(
        mock.certificate_pack(DEFAULT_ZONE_ID, &new_pack)
            .expect("pack")["status"],
        "pending_issuance"
    );
    // An advance past the clock's limit is refused and moves nothing; the mock keeps serving.
    let before = mock.now();
    for seconds in [1e13, 1e300] {
        let (status, answer) = admin(
            &http,
            &mock,
            Method::POST,
            "/clock/advance",
            Some(json!({ "seconds": seconds })),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|e| e.contains("limit")),
            "{answer}"
        );
    }
    assert_eq!(mock.now(), before);
    assert_eq!(
        get(&mock, &http, "/ssl/certificate_packs/quota")
            .await
            .status(),
        StatusCode::OK
    );
    let (_, settled) = admin(&http, &mock, Method::POST, "/clock/settle", None).await;
    assert_eq!(settled["ticks"], 2);
    assert_eq!(settled["next_transition"], Value::Null);
    let (status, pack) = admin(
        &http,
        &mock,
        Method::PUT,
        &format!("/zones/{DEFAULT_ZONE_ID}/certificate_packs/{new_pack}/status"),
        Some(json!({"status": "validation_timed_out"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pack["status"], "validation_timed_out");
    let (status, _) = admin(
        &http,
        &mock,
        Method::PUT,
        &format!("/zones/{DEFAULT_ZONE_ID}/certificate_packs/{new_pack}/status"),
        Some(json!({"status": "bogus"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, violations) = admin(&http, &mock, Method::GET, "/violations", None).await;
    assert_eq!(violations, json!([]));

    // Reset.
    admin(&http, &mock, Method::POST, "/reset", None).await;
    assert_eq!(mock.orders_created(), 0);
    assert!(mock.certificate_pack(DEFAULT_ZONE_ID, &new_pack).is_none());
}

#[tokio::test]
async fn admin_routes_can_be_disabled() {
    let mock = MockServer::builder()
        .manual_clock()
        .admin_routes(false)
        .start()
        .await;
    let http = http_client();
    let r = http
        .get(format!("{}/info", mock.admin_url()))
        .send()
        .await
        .expect("response");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_base_url_and_token_and_serves() {
    let child = Command::new(env!("CARGO_BIN_EXE_cloudflare-ssl-mock"))
        .args(["--port", "0", "--step-secs", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().expect("stdout");
    let lines = tokio::task::spawn_blocking(move || {
        let mut base = None;
        let mut token = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("utf-8 line");
            if let Some(v) = line.trim().strip_prefix("CLOUDFLARE_BASE_URL=") {
                base = Some(v.to_owned());
            }
            if let Some(v) = line.trim().strip_prefix("CLOUDFLARE_API_TOKEN=") {
                token = Some(v.to_owned());
            }
            if line.contains("Ctrl-C") {
                break;
            }
        }
        (base, token)
    });
    let (base, token) = tokio::time::timeout(Duration::from_secs(30), lines)
        .await
        .expect("the banner within 30 s")
        .expect("reader thread");
    let base = base.expect("base URL printed");
    let token = token.expect("token printed");
    assert!(base.starts_with("http://127.0.0.1:") && base.ends_with("/client/v4"));

    let http = http_client();
    let r = http
        .get(format!(
            "{base}/zones/{DEFAULT_ZONE_ID}/ssl/certificate_packs/quota"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("the binary serves");
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["result"]["advanced"]["allocated"], 10);
}

#[tokio::test]
async fn the_clock_stops_at_its_limit_and_the_mock_keeps_serving() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    assert_eq!(order(&mock, &http).await.expect("order").status(), 200);
    mock.advance(Duration::MAX);
    let limit = mock.now();
    assert_eq!(limit.to_rfc3339(), "9000-01-01T00:00:00+00:00");
    mock.advance(Duration::from_secs(1));
    assert_eq!(mock.now(), limit);
    let listed = get(&mock, &http, "/ssl/certificate_packs?status=all").await;
    assert_eq!(listed.status(), StatusCode::OK);
    assert!(
        mock.schema_violations().is_empty(),
        "{:?}",
        mock.schema_violations()
    );
}
