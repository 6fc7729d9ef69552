//! Wire fidelity of the mock: envelope, headers, authentication, routing errors, request
//! validation against the curated document (with `source.pointer`), the rate limit, and — for
//! every operation, success and failure — responses that validate against the document and
//! decode into the generated types.

use std::collections::BTreeSet;
use std::time::Duration;

use cloudflare_ssl::types;
use cloudflare_ssl_mock::{
    Contract, MockServer, Operation, RateLimitPolicy, DEFAULT_ZONE_ID, SAMPLE_CERTIFICATE_PEM,
};
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};

fn http_client() -> reqwest::Client {
    let _ = cloudflare_ssl_mock::crypto_provider().install_default();
    reqwest::Client::new()
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

async fn send(request: RequestBuilder) -> Reply {
    let response = request.send().await.expect("request reaches the mock");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    Reply {
        status,
        headers,
        body,
    }
}

fn url(mock: &MockServer, path: &str) -> String {
    format!("{}/zones/{DEFAULT_ZONE_ID}{path}", mock.base_url())
}

fn authed(mock: &MockServer, http: &reqwest::Client, method: Method, path: &str) -> RequestBuilder {
    http.request(method, url(mock, path))
        .bearer_auth(mock.token())
}

fn assert_failure(reply: &Reply, status: u16, code: i64) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.body);
    assert_eq!(reply.body["success"], false);
    assert_eq!(reply.body["result"], Value::Null);
    assert!(
        reply.body.get("result").is_some(),
        "result: null is present"
    );
    assert_eq!(reply.body["messages"], json!([]));
    let errors = reply.body["errors"].as_array().expect("errors");
    assert!(!errors.is_empty());
    assert_eq!(errors[0]["code"], code, "{}", reply.body);
    assert!(errors[0]["message"].as_str().is_some_and(|m| !m.is_empty()));
}

fn pointers(reply: &Reply) -> Vec<String> {
    reply.body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["source"]["pointer"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn success_envelope_and_headers() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    let first = send(authed(
        &mock,
        &http,
        Method::GET,
        "/ssl/certificate_packs/quota",
    ))
    .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["success"], true);
    assert_eq!(first.body["errors"], json!([]));
    assert_eq!(first.body["messages"], json!([]));
    assert!(first.body["result"].is_object());
    assert_eq!(
        first.headers["content-type"].to_str().ok(),
        Some("application/json")
    );
    let ray = first.headers["cf-ray"].to_str().expect("cf-ray");
    let (hex, colo) = ray.split_once('-').expect("id-colo");
    assert_eq!(hex.len(), 16);
    assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(colo.len(), 3);
    assert_eq!(
        first.headers["ratelimit-policy"].to_str().ok(),
        Some("\"default\";q=1200;w=300")
    );
    assert_eq!(
        first.headers["ratelimit"].to_str().ok(),
        Some("\"default\";r=1199;t=300")
    );

    let second = send(authed(
        &mock,
        &http,
        Method::GET,
        "/ssl/certificate_packs/quota",
    ))
    .await;
    assert_eq!(
        second.headers["ratelimit"].to_str().ok(),
        Some("\"default\";r=1198;t=300")
    );
    assert_ne!(second.headers["cf-ray"], first.headers["cf-ray"]);

    // Failures carry the same headers.
    let failure = send(http.get(url(&mock, "/ssl/certificate_packs/quota"))).await;
    assert!(failure.headers.contains_key("cf-ray"));
    assert!(failure.headers.contains_key("ratelimit"));
    assert!(failure.headers.contains_key("ratelimit-policy"));

    // List responses have result_info.
    let list = send(authed(&mock, &http, Method::GET, "/ssl/certificate_packs")).await;
    assert!(list.body["result_info"].is_object());
}

#[tokio::test]
async fn authentication_is_required() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    let path = "/ssl/universal/settings";

    let missing = send(http.get(url(&mock, path))).await;
    assert_failure(&missing, 401, 10000);
    let wrong = send(http.get(url(&mock, path)).bearer_auth("not-the-token")).await;
    assert_failure(&wrong, 403, 10000);
    let half = send(
        http.get(url(&mock, path))
            .header("X-Auth-Key", mock.api_key()),
    )
    .await;
    assert_failure(&half, 401, 10000);
    let wrong_key = send(
        http.get(url(&mock, path))
            .header("X-Auth-Email", mock.api_email())
            .header("X-Auth-Key", "0000"),
    )
    .await;
    assert_failure(&wrong_key, 403, 10000);

    let global = send(
        http.get(url(&mock, path))
            .header("X-Auth-Email", mock.api_email())
            .header("X-Auth-Key", mock.api_key()),
    )
    .await;
    assert_eq!(global.status, StatusCode::OK);
    let service = send(
        http.get(url(&mock, path))
            .header("X-Auth-User-Service-Key", mock.user_service_key()),
    )
    .await;
    assert_eq!(service.status, StatusCode::OK);

    // Custom credentials.
    let custom = MockServer::builder()
        .manual_clock()
        .token("s3cret")
        .start()
        .await;
    let ok = send(
        http.get(format!(
            "{}/zones/{DEFAULT_ZONE_ID}{path}",
            custom.base_url()
        ))
        .bearer_auth("s3cret"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn routing_errors() {
    let mock = MockServer::start_manual().await;
    let http = http_client();

    let no_route = send(authed(&mock, &http, Method::GET, "/ssl/nothing")).await;
    assert_failure(&no_route, 404, 7000);
    let outside = send(
        http.get(format!("http://{}/v3/zones", mock.addr()))
            .bearer_auth(mock.token()),
    )
    .await;
    assert_failure(&outside, 404, 7000);
    let method = send(authed(&mock, &http, Method::PUT, "/ssl/verification")).await;
    assert_failure(&method, 405, 7001);

    let unknown_zone = send(
        http.get(format!(
            "{}/zones/ffffffffffffffffffffffffffffffff/ssl/universal/settings",
            mock.base_url()
        ))
        .bearer_auth(mock.token()),
    )
    .await;
    assert_failure(&unknown_zone, 404, 7003);

    let malformed_zone = send(
        http.get(format!(
            "{}/zones/{}/ssl/certificate_packs",
            mock.base_url(),
            "a".repeat(33)
        ))
        .bearer_auth(mock.token()),
    )
    .await;
    assert_failure(&malformed_zone, 400, 7003);
    assert_eq!(pointers(&malformed_zone), ["/zone_id"]);
}

/// Every path template of the document, with its declared methods (upper case).
fn document_paths() -> Vec<(String, BTreeSet<String>)> {
    let doc: Value = serde_json::from_str(cloudflare_ssl::OPENAPI_JSON).expect("document");
    doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .map(|(template, item)| {
            let methods = item
                .as_object()
                .expect("path item")
                .keys()
                .filter(|k| {
                    [
                        "get", "put", "post", "delete", "patch", "head", "options", "trace",
                    ]
                    .contains(&k.as_str())
                })
                .map(|k| k.to_ascii_uppercase())
                .collect();
            (template.clone(), methods)
        })
        .collect()
}

#[tokio::test]
async fn undeclared_methods_get_405_with_allow_on_every_path() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    let paths = document_paths();
    assert!(paths.len() >= 8, "{paths:?}");
    let mut checked = 0;
    for (template, declared) in &paths {
        let path = template
            .replace("{zone_id}", DEFAULT_ZONE_ID)
            .replace("{certificate_pack_id}", "0123456789abcdef0123456789abcdef");
        let url = format!("{}{path}", mock.base_url());
        for method in ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "TRACE"] {
            if declared.contains(method) {
                continue;
            }
            let m = Method::from_bytes(method.as_bytes()).expect("method");
            let reply = send(http.request(m, &url).bearer_auth(mock.token())).await;
            assert_failure(&reply, 405, 7001);
            let allow = reply
                .headers
                .get("allow")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_else(|| panic!("{method} {template}: no Allow header"));
            let listed: BTreeSet<String> = allow.split(',').map(|m| m.trim().to_owned()).collect();
            assert_eq!(&listed, declared, "{method} {template}: Allow: {allow}");
            checked += 1;
        }
    }
    assert!(
        checked >= 40,
        "{checked} undeclared method/path pairs checked"
    );
}

#[tokio::test]
async fn integer_formats_bound_query_parameters() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    for (query, pointer) in [
        ("page=2147483648", "/page"),
        ("page=9223372036854775807", "/page"),
        ("page=99999999999999999999", "/page"),
        ("per_page=2147483648", "/per_page"),
    ] {
        let reply = send(authed(
            &mock,
            &http,
            Method::GET,
            &format!("/ssl/certificate_packs?{query}"),
        ))
        .await;
        assert_failure(&reply, 400, 1400);
        assert_eq!(pointers(&reply), [pointer], "{query}");
    }
    // The largest int32 is a valid (empty) page.
    let last = send(authed(
        &mock,
        &http,
        Method::GET,
        "/ssl/certificate_packs?page=2147483647",
    ))
    .await;
    assert_eq!(last.status, StatusCode::OK, "{}", last.body);
    assert_eq!(last.body["result"], json!([]));
    assert!(
        mock.schema_violations().is_empty(),
        "{:?}",
        mock.schema_violations()
    );
}

#[tokio::test]
async fn query_parameters_are_validated_with_pointers() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    for (query, pointer) in [
        ("per_page=4", "/per_page"),
        ("per_page=51", "/per_page"),
        ("per_page=abc", "/per_page"),
        ("page=0", "/page"),
        ("status=active", "/status"),
        ("deploy=preview", "/deploy"),
    ] {
        let reply = send(authed(
            &mock,
            &http,
            Method::GET,
            &format!("/ssl/certificate_packs?{query}"),
        ))
        .await;
        assert_failure(&reply, 400, 1400);
        assert_eq!(pointers(&reply), [pointer], "{query}");
    }
    let retry = send(authed(
        &mock,
        &http,
        Method::GET,
        "/ssl/verification?retry=false",
    ))
    .await;
    assert_failure(&retry, 400, 1400);
    assert_eq!(pointers(&retry), ["/retry"]);

    // Several problems at once: one error each.
    let both = send(authed(
        &mock,
        &http,
        Method::GET,
        "/ssl/certificate_packs?per_page=1&status=some",
    ))
    .await;
    let found: BTreeSet<String> = pointers(&both).into_iter().collect();
    assert_eq!(
        found,
        ["/per_page", "/status"]
            .map(str::to_owned)
            .into_iter()
            .collect()
    );

    // In range: fine, including the bounds.
    for query in [
        "per_page=5",
        "per_page=50",
        "page=2&per_page=5",
        "status=all&deploy=staging",
    ] {
        let reply = send(authed(
            &mock,
            &http,
            Method::GET,
            &format!("/ssl/certificate_packs?{query}"),
        ))
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{query}");
    }
}

#[tokio::test]
async fn request_bodies_are_validated_with_pointers() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    let valid = json!({
        "certificate_authority": "lets_encrypt",
        "hosts": ["example.com"],
        "type": "advanced",
        "validation_method": "txt",
        "validity_days": 90,
    });
    let with = |key: &str, value: Value| {
        let mut body = valid.clone();
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = valid.clone();
        if let Some(map) = body.as_object_mut() {
            map.remove(key);
        }
        body
    };
    let cases = [
        (with("hosts", json!([])), "/hosts"),
        (with("hosts", json!("example.com")), "/hosts"),
        (with("hosts", json!(["example.com", 7])), "/hosts/1"),
        (with("validity_days", json!(15)), "/validity_days"),
        (
            with("certificate_authority", json!("digicert")),
            "/certificate_authority",
        ),
        (
            with("validation_method", json!("cname")),
            "/validation_method",
        ),
        (with("type", json!("universal")), "/type"),
        (
            with("cloudflare_branding", json!("yes")),
            "/cloudflare_branding",
        ),
        (without("type"), "/type"),
        (without("hosts"), "/hosts"),
    ];
    for (body, pointer) in cases {
        let reply =
            send(authed(&mock, &http, Method::POST, "/ssl/certificate_packs/order").json(&body))
                .await;
        assert_failure(&reply, 400, 1400);
        assert_eq!(pointers(&reply), [pointer], "{body}");
    }
    let many_hosts: Vec<String> = (0..51).map(|i| format!("h{i}.example.com")).collect();
    let reply = send(
        authed(&mock, &http, Method::POST, "/ssl/certificate_packs/order")
            .json(&with("hosts", json!(many_hosts))),
    )
    .await;
    assert_eq!(pointers(&reply), ["/hosts"]);

    // Malformed JSON, and a missing required body: the pointer is the document root.
    for raw in ["{\"hosts\": [", "", "not json"] {
        let reply = send(
            authed(&mock, &http, Method::POST, "/ssl/certificate_packs/order")
                .header("content-type", "application/json")
                .body(raw),
        )
        .await;
        assert_failure(&reply, 400, 1400);
        assert_eq!(pointers(&reply), [""], "{raw:?}");
    }

    // Other operations' bodies.
    for (method, path, body, pointer) in [
        (
            Method::PATCH,
            "/settings/ssl_automatic_mode",
            json!({"value": "on"}),
            "/value",
        ),
        (
            Method::PATCH,
            "/settings/ssl_automatic_mode",
            json!({}),
            "/value",
        ),
        (
            Method::PATCH,
            "/ssl/universal/settings",
            json!({"enabled": "no"}),
            "/enabled",
        ),
        (
            Method::POST,
            "/ssl/analyze",
            json!({"bundle_method": "best"}),
            "/bundle_method",
        ),
        (
            Method::PATCH,
            "/ssl/verification/abc",
            json!({"validation_method": "dns"}),
            "/validation_method",
        ),
    ] {
        let reply = send(authed(&mock, &http, method, path).json(&body)).await;
        assert_failure(&reply, 400, 1400);
        assert_eq!(pointers(&reply), [pointer], "{path} {body}");
    }
    assert_eq!(mock.orders_created(), 0);
    assert_eq!(mock.schema_violations(), Vec::<String>::new());
}

#[tokio::test]
async fn rate_limit_on_the_mock_clock() {
    let mock = MockServer::builder()
        .manual_clock()
        .manual_clock()
        .rate_limit(Some(RateLimitPolicy {
            limit: 3,
            window: Duration::from_secs(60),
        }))
        .start()
        .await;
    let http = http_client();
    for remaining in [2, 1, 0] {
        let reply = send(authed(&mock, &http, Method::GET, "/ssl/verification")).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(
            reply.headers["ratelimit"].to_str().ok(),
            Some(format!("\"default\";r={remaining};t=60").as_str())
        );
    }
    let limited = send(authed(&mock, &http, Method::GET, "/ssl/verification")).await;
    assert_failure(&limited, 429, 971);
    assert_eq!(limited.headers["retry-after"].to_str().ok(), Some("60"));
    assert_eq!(
        limited.headers["ratelimit"].to_str().ok(),
        Some("\"default\";r=0;t=60")
    );

    mock.advance(Duration::from_secs(45));
    let still = send(authed(&mock, &http, Method::GET, "/ssl/verification")).await;
    assert_eq!(still.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(still.headers["retry-after"].to_str().ok(), Some("15"));

    mock.advance(Duration::from_secs(15));
    let again = send(authed(&mock, &http, Method::GET, "/ssl/verification")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(mock.counters().rate_limited, 2);

    // Without a limit: no Ratelimit headers.
    let unlimited = MockServer::builder()
        .manual_clock()
        .rate_limit(None)
        .start()
        .await;
    let reply = send(
        http.get(format!(
            "{}/zones/{DEFAULT_ZONE_ID}/ssl/verification",
            unlimited.base_url()
        ))
        .bearer_auth(unlimited.token()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(!reply.headers.contains_key("ratelimit"));
}

/// One call per operation that succeeds, and one that fails, for every operation.
async fn exercise_every_operation(
    mock: &MockServer,
    http: &reqwest::Client,
) -> Vec<(Operation, Reply)> {
    let mut out = Vec::new();
    let order = json!({
        "certificate_authority": "google",
        "hosts": ["example.com", "*.example.com"],
        "type": "advanced",
        "validation_method": "txt",
        "validity_days": 90,
    });
    let ordered =
        send(authed(mock, http, Method::POST, "/ssl/certificate_packs/order").json(&order)).await;
    let id = ordered.body["result"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    out.push((Operation::OrderCertificatePack, ordered));
    let pack = format!("/ssl/certificate_packs/{id}");
    let missing = "/ssl/certificate_packs/ffffffffffffffffffffffffffffffff";
    let calls: Vec<(Operation, Method, String, Option<Value>)> = vec![
        (
            Operation::AnalyzeCertificate,
            Method::POST,
            "/ssl/analyze".into(),
            Some(json!({"certificate": SAMPLE_CERTIFICATE_PEM})),
        ),
        (
            Operation::AnalyzeCertificate,
            Method::POST,
            "/ssl/analyze".into(),
            Some(json!({"certificate": "junk"})),
        ),
        (
            Operation::ListCertificatePacks,
            Method::GET,
            "/ssl/certificate_packs?status=all&per_page=5".into(),
            None,
        ),
        (
            Operation::ListCertificatePacks,
            Method::GET,
            "/ssl/certificate_packs?per_page=500".into(),
            None,
        ),
        (
            Operation::OrderCertificatePack,
            Method::POST,
            "/ssl/certificate_packs/order".into(),
            Some(json!({"hosts": []})),
        ),
        (
            Operation::GetCertificatePackQuota,
            Method::GET,
            "/ssl/certificate_packs/quota".into(),
            None,
        ),
        (
            Operation::GetCertificatePack,
            Method::GET,
            pack.clone(),
            None,
        ),
        (
            Operation::GetCertificatePack,
            Method::GET,
            missing.into(),
            None,
        ),
        (
            Operation::EditCertificatePack,
            Method::PATCH,
            pack.clone(),
            Some(json!({"cloudflare_branding": true})),
        ),
        (
            Operation::EditCertificatePack,
            Method::PATCH,
            pack.clone(),
            Some(json!({})),
        ),
        (
            Operation::GetSslRecommendation,
            Method::GET,
            "/ssl/recommendation".into(),
            None,
        ),
        (
            Operation::GetAutomaticSslMode,
            Method::GET,
            "/settings/ssl_automatic_mode".into(),
            None,
        ),
        (
            Operation::EditAutomaticSslMode,
            Method::PATCH,
            "/settings/ssl_automatic_mode".into(),
            Some(json!({"value": "custom"})),
        ),
        (
            Operation::EditAutomaticSslMode,
            Method::PATCH,
            "/settings/ssl_automatic_mode".into(),
            Some(json!({"value": 1})),
        ),
        (
            Operation::GetUniversalSslSettings,
            Method::GET,
            "/ssl/universal/settings".into(),
            None,
        ),
        (
            Operation::EditUniversalSslSettings,
            Method::PATCH,
            "/ssl/universal/settings".into(),
            Some(json!({"enabled": false})),
        ),
        (
            Operation::EditUniversalSslSettings,
            Method::PATCH,
            "/ssl/universal/settings".into(),
            Some(json!([])),
        ),
        (
            Operation::GetSslVerification,
            Method::GET,
            "/ssl/verification".into(),
            None,
        ),
        (
            Operation::GetSslVerification,
            Method::GET,
            "/ssl/verification?retry=yes".into(),
            None,
        ),
        (
            Operation::EditValidationMethod,
            Method::PATCH,
            format!("/ssl/verification/{id}"),
            Some(json!({"validation_method": "http"})),
        ),
        (
            Operation::EditValidationMethod,
            Method::PATCH,
            format!("/ssl/verification/{id}"),
            Some(json!({})),
        ),
        (
            Operation::DeleteCertificatePack,
            Method::DELETE,
            pack.clone(),
            None,
        ),
        (
            Operation::DeleteCertificatePack,
            Method::DELETE,
            pack.clone(),
            None,
        ),
    ];
    for (op, method, path, body) in calls {
        let mut request = authed(mock, http, method, &path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        out.push((op, send(request).await));
    }
    out.extend(exercise_from_the_document(mock, http).await);
    // GET /zones lives outside the zone: one lookup by name, one with a name too long.
    for query in ["name=example.com", &format!("name={}", "a".repeat(254))] {
        let request = http
            .get(format!("{}/zones?{query}", mock.base_url()))
            .bearer_auth(mock.token());
        out.push((Operation::ListZones, send(request).await));
    }
    // Unknown zone.
    for (op, path) in [
        (Operation::GetSslRecommendation, "/ssl/recommendation"),
        (
            Operation::GetAutomaticSslMode,
            "/settings/ssl_automatic_mode",
        ),
        (
            Operation::GetUniversalSslSettings,
            "/ssl/universal/settings",
        ),
    ] {
        let url = format!(
            "{}/zones/ffffffffffffffffffffffffffffffff{path}",
            mock.base_url()
        );
        out.push((op, send(http.get(url).bearer_auth(mock.token())).await));
    }
    // Authentication failures, on a couple of operations.
    out.push((
        Operation::GetCertificatePackQuota,
        send(http.get(url(mock, "/ssl/certificate_packs/quota"))).await,
    ));
    out.push((
        Operation::ListCertificatePacks,
        send(
            http.get(url(mock, "/ssl/certificate_packs"))
                .bearer_auth("wrong"),
        )
        .await,
    ));
    out
}

/// The document's request example of `op`, if it has one.
fn request_example(document: &Value, op: Operation) -> Option<Value> {
    let pointer = format!(
        "/paths/{}/{}/requestBody/content/application~1json/example",
        op.path().replace('~', "~0").replace('/', "~1"),
        op.method().to_ascii_lowercase()
    );
    document.pointer(&pointer).cloned()
}

/// Every operation of `Operation::ALL` called as the document describes it, whether or not a
/// call above covers it: the raw request of its path template (on the default zone and a fresh
/// pack) with the document's request example as its body, and the same without credentials,
/// which must fail. Reads must succeed; a write may meet the mock's state rules (restarting
/// validation needs a timed-out pack), and `every_response_validates_against_the_document`
/// still requires a success of every operation from some call. So an operation added to the
/// document is exercised with no edit here.
async fn exercise_from_the_document(
    mock: &MockServer,
    http: &reqwest::Client,
) -> Vec<(Operation, Reply)> {
    let document: Value = serde_json::from_str(cloudflare_ssl::OPENAPI_JSON).expect("document");
    let order = request_example(&document, Operation::OrderCertificatePack).expect("example");
    let ordered =
        send(authed(mock, http, Method::POST, "/ssl/certificate_packs/order").json(&order)).await;
    let pack = ordered.body["result"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // The pack is deleted last, so the operations on it find it.
    let mut operations = Operation::ALL.to_vec();
    operations.sort_by_key(|op| op.method() == "DELETE");
    let mut out = Vec::new();
    for op in operations {
        let path = op
            .path()
            .replace("{zone_id}", DEFAULT_ZONE_ID)
            .replace("{certificate_pack_id}", &pack);
        let url = format!("{}{path}", mock.base_url());
        let method = Method::from_bytes(op.method().as_bytes()).expect("method");
        let body = request_example(&document, op);
        let with_body = |request: RequestBuilder| match &body {
            Some(body) => request.json(body),
            None => request,
        };
        let reply = send(with_body(
            http.request(method.clone(), &url).bearer_auth(mock.token()),
        ))
        .await;
        assert!(
            reply.status.is_success() || op.method() != "GET",
            "{op} {} with the document's example: {}",
            reply.status,
            reply.body
        );
        out.push((op, reply));
        let unauthenticated = send(with_body(http.request(method, &url))).await;
        assert_failure(&unauthenticated, 401, 10000);
        out.push((op, unauthenticated));
    }
    out
}

#[tokio::test]
async fn every_response_validates_against_the_document() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    let contract = Contract::shared().expect("the document compiles");
    let replies = exercise_every_operation(&mock, &http).await;

    let mut successes = BTreeSet::new();
    let mut failures = BTreeSet::new();
    for (op, reply) in &replies {
        if let Err(violations) =
            contract.validate_response(op.operation_id(), reply.status.as_u16(), &reply.body)
        {
            panic!(
                "{op} {} does not validate: {violations:?}\n{}",
                reply.status, reply.body
            );
        }
        if reply.status.is_success() {
            successes.insert(*op);
        } else {
            assert_eq!(reply.body["success"], false);
            failures.insert(*op);
        }
    }
    for &op in Operation::ALL {
        assert!(successes.contains(&op), "no successful call of {op}");
        assert!(failures.contains(&op), "no failed call of {op}");
    }
    assert_eq!(mock.schema_violations(), Vec::<String>::new());

    // The check is not vacuous: a broken body is caught.
    let broken = json!({"success": true, "errors": [], "messages": [], "result": {"id": 5}});
    assert!(contract
        .validate_response("get_certificate_pack", 200, &broken)
        .is_err());
    let no_result = json!({"success": false, "errors": [], "messages": []});
    assert!(contract
        .validate_response("get_certificate_pack", 404, &no_result)
        .is_err());
}

#[tokio::test]
async fn success_bodies_decode_into_the_generated_types() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    let replies = exercise_every_operation(&mock, &http).await;
    for (op, reply) in replies {
        let body = reply.body.clone();
        let decoded: Result<(), serde_json::Error> = if reply.status.is_success() {
            // The operation's 200 response type, through the generated dispatch.
            op.visit_response(Decode(body))
        } else {
            serde_json::from_value::<types::ErrorEnvelope>(body).map(drop)
        };
        if let Err(e) = decoded {
            panic!("{op} {}: {e}\n{}", reply.status, reply.body);
        }
    }
}

/// Decodes a JSON value as the visited type.
struct Decode(Value);

impl cloudflare_ssl::ResponseVisitor for Decode {
    type Output = Result<(), serde_json::Error>;
    fn visit<T: serde::de::DeserializeOwned>(self) -> Self::Output {
        serde_json::from_value::<T>(self.0).map(drop)
    }
}
