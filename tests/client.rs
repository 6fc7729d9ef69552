//! The ergonomic client against an in-process HTTP server on 127.0.0.1: requests on the wire,
//! envelope unwrapping, every error variant, retries (virtual time), pagination and polling.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloudflare_ssl::types::{self, CertificatePackStatus as Status};
use cloudflare_ssl::{Client, Credentials, Error, OrderRequest, RetryPolicy, WaitOptions};
use futures::TryStreamExt;
use serde_json::{json, Value};
use support::{envelope, pack, Recorded, Reply, TestServer, PACK, ZONE};

fn client(server: &TestServer) -> Client {
    Client::builder()
        .api_token("test-token")
        .base_url(&server.base_url)
        .retry(RetryPolicy::default().jitter(0.0))
        .build()
        .expect("client")
}

/// Answers every documented operation with a plausible success.
fn api(req: &Recorded) -> Reply {
    let p = req.path.trim_start_matches("/client/v4");
    let zone = format!("/zones/{ZONE}");
    let rest = p.strip_prefix(&zone).unwrap_or(p);
    match (req.method.as_str(), rest) {
        ("POST", "/ssl/analyze") => Reply::ok(json!({"hosts": ["example.com"]})),
        ("GET", "/ssl/certificate_packs") => Reply::Json(
            200,
            json!({"success": true, "errors": [], "messages": [], "result": [pack(PACK, "active")],
                   "result_info": {"page": 1, "per_page": 20, "count": 1, "total_count": 1, "total_pages": 1}}),
            vec![],
        ),
        ("POST", "/ssl/certificate_packs/order") => Reply::ok(pack(PACK, "initializing")),
        ("GET", "/ssl/certificate_packs/quota") => {
            Reply::ok(json!({"advanced": {"allocated": 10, "used": 1}}))
        }
        ("GET" | "PATCH", r) if r.starts_with("/ssl/certificate_packs/") => {
            Reply::ok(pack(PACK, "pending_validation"))
        }
        ("DELETE", r) if r.starts_with("/ssl/certificate_packs/") => Reply::ok(json!({"id": PACK})),
        ("GET", "/ssl/recommendation") | ("GET" | "PATCH", "/settings/ssl_automatic_mode") => {
            Reply::Json(
                200,
                json!({"success": true, "errors": [], "messages": [], "result":
                   {"id": "ssl_automatic_mode", "editable": true, "modified_on": "2014-01-01T05:20:00.12345Z", "value": "auto"}}),
                vec![],
            )
        }
        ("GET" | "PATCH", "/ssl/universal/settings") => Reply::ok(json!({"enabled": true})),
        ("GET", "/ssl/verification") => Reply::Json(
            200,
            json!({"result": [{"certificate_status": "active", "cert_pack_uuid": PACK, "validation_method": "txt"}]}),
            vec![],
        ),
        ("PATCH", r) if r.starts_with("/ssl/verification/") => {
            Reply::ok(json!({"status": "pending_validation", "validation_method": "http"}))
        }
        _ => Reply::error(404, 7003, "No route for the URI"),
    }
}

fn order() -> OrderRequest {
    order_for(["example.com", "*.example.com"])
}

/// An order for `hosts` (Let's Encrypt, TXT, 90 days).
fn order_for(hosts: impl IntoIterator<Item = impl Into<String>>) -> OrderRequest {
    OrderRequest::new(
        hosts,
        types::CertificateAuthority::LetsEncrypt,
        types::CertificatePackValidationMethod::Txt,
        types::ValidityDays::Days90,
    )
}

#[tokio::test]
async fn every_operation_sends_the_documented_request() {
    let server = TestServer::start(api).await;
    let client = client(&server);
    let zone = client.zone(ZONE).expect("zone");
    let packs = zone.certificate_packs();
    let base = format!("/client/v4/zones/{ZONE}");

    // (what the call returned, method, path, query, body)
    let analysis = zone
        .analyze_certificate(
            "-----BEGIN CERTIFICATE-----",
            Some(types::BundleMethod::Force),
        )
        .await
        .expect("analyze");
    assert_eq!(analysis, json!({"hosts": ["example.com"]}));
    let r = server.last();
    assert_eq!(
        (r.method.as_str(), r.path.clone()),
        ("POST", format!("{base}/ssl/analyze"))
    );
    assert_eq!(
        r.json(),
        json!({"bundle_method": "force", "certificate": "-----BEGIN CERTIFICATE-----"})
    );
    assert_eq!(r.header("content-type"), Some("application/json"));

    let page = packs
        .list()
        .per_page(50)
        .page(2)
        .status(types::CertificatePackListStatus::All)
        .deploy(types::CertificatePackDeploy::Staging)
        .send()
        .await
        .expect("list");
    assert_eq!(page.items[0].status, Status::Active);
    let r = server.last();
    assert_eq!(
        (r.method.as_str(), r.path.clone()),
        ("GET", format!("{base}/ssl/certificate_packs"))
    );
    let mut query: Vec<&str> = r.query.as_deref().unwrap_or_default().split('&').collect();
    query.sort();
    assert_eq!(
        query,
        ["deploy=staging", "page=2", "per_page=50", "status=all"]
    );

    let ordered = packs
        .order(order().cloudflare_branding(true))
        .await
        .expect("order");
    assert_eq!(ordered.status, Status::Initializing);
    let r = server.last();
    assert_eq!(
        (r.method.as_str(), r.path.clone()),
        ("POST", format!("{base}/ssl/certificate_packs/order"))
    );
    assert_eq!(
        r.json(),
        json!({"certificate_authority": "lets_encrypt", "cloudflare_branding": true,
               "hosts": ["example.com", "*.example.com"], "type": "advanced",
               "validation_method": "txt", "validity_days": 90})
    );

    let quota = packs.quota().await.expect("quota");
    assert_eq!(quota.advanced.and_then(|a| a.allocated), Some(10));
    assert_eq!(
        server.last().path,
        format!("{base}/ssl/certificate_packs/quota")
    );

    let got = packs.get(PACK).await.expect("get");
    assert_eq!(got.id.as_str(), PACK);
    let r = server.last();
    assert_eq!(
        (r.method.as_str(), r.path.clone()),
        ("GET", format!("{base}/ssl/certificate_packs/{PACK}"))
    );

    packs.restart_validation(&got.id).await.expect("restart");
    let r = server.last();
    assert_eq!((r.method.as_str(), r.json()), ("PATCH", json!({})));
    packs
        .edit(
            PACK,
            types::EditCertificatePackRequest {
                cloudflare_branding: Some(true),
            },
        )
        .await
        .expect("edit");
    assert_eq!(server.last().json(), json!({"cloudflare_branding": true}));

    let deleted = packs.delete(PACK).await.expect("delete");
    assert_eq!(deleted.id.as_ref().map(|i| i.as_str()), Some(PACK));
    let r = server.last();
    assert_eq!(
        (r.method.as_str(), r.path.clone()),
        ("DELETE", format!("{base}/ssl/certificate_packs/{PACK}"))
    );

    let rec = zone.ssl_recommendation().await.expect("recommendation");
    assert_eq!(rec.value, types::AutomaticModeValue::Auto);
    assert_eq!(server.last().path, format!("{base}/ssl/recommendation"));

    zone.automatic_ssl().get().await.expect("auto get");
    assert_eq!(
        server.last().path,
        format!("{base}/settings/ssl_automatic_mode")
    );
    zone.automatic_ssl()
        .set(types::AutomaticModeUpdateValue::Custom)
        .await
        .expect("auto set");
    let r = server.last();
    assert_eq!(
        (r.method.as_str(), r.json()),
        ("PATCH", json!({"value": "custom"}))
    );

    let settings = zone.universal_ssl().get().await.expect("universal get");
    assert_eq!(settings.enabled, Some(true));
    assert_eq!(server.last().path, format!("{base}/ssl/universal/settings"));
    zone.universal_ssl()
        .set_enabled(false)
        .await
        .expect("universal set");
    let r = server.last();
    assert_eq!(
        (r.method.as_str(), r.json()),
        ("PATCH", json!({"enabled": false}))
    );

    let v = zone.verification().get().await.expect("verification");
    assert_eq!(
        v[0].certificate_status,
        Some(types::CertificateStatus::Active)
    );
    let r = server.last();
    assert_eq!(
        (r.path.clone(), r.query.clone()),
        (format!("{base}/ssl/verification"), None)
    );
    zone.verification()
        .get_and_retry()
        .await
        .expect("verification retry");
    assert_eq!(server.last().query.as_deref(), Some("retry=true"));

    let changed = zone
        .verification()
        .edit_method(
            "a77f8bd7-3b47-46b4-a6f1-75cf98109948",
            types::DesiredValidationMethod::Http,
        )
        .await
        .expect("edit method");
    assert_eq!(
        changed.validation_method,
        Some(types::DesiredValidationMethod::Http)
    );
    let r = server.last();
    assert_eq!(
        (r.method.as_str(), r.path.clone(), r.json()),
        (
            "PATCH",
            format!("{base}/ssl/verification/a77f8bd7-3b47-46b4-a6f1-75cf98109948"),
            json!({"validation_method": "http"})
        )
    );

    // Every request: token auth, our user agent, JSON accepted, no progenitor api-version.
    let all = server.requests();
    assert_eq!(all.len(), 16);
    for r in &all {
        assert_eq!(
            r.header("authorization"),
            Some("Bearer test-token"),
            "{}",
            r.path
        );
        assert!(r
            .header("user-agent")
            .unwrap_or_default()
            .starts_with("cloudflare-ssl/"));
        assert_eq!(r.header("accept"), Some("application/json"));
        assert_eq!(r.header("api-version"), None);
    }
}

#[tokio::test]
async fn each_auth_mode_sends_its_headers() {
    let server = TestServer::start(api).await;
    let modes = [
        (
            Credentials::api_token("tok"),
            vec![("authorization", "Bearer tok")],
        ),
        (
            Credentials::api_key("me@example.com", "global"),
            vec![("x-auth-email", "me@example.com"), ("x-auth-key", "global")],
        ),
        (
            Credentials::user_service_key("v1.0-svc"),
            vec![("x-auth-user-service-key", "v1.0-svc")],
        ),
    ];
    for (credentials, expected) in modes {
        let client = Client::builder()
            .credentials(credentials)
            .base_url(&server.base_url)
            .build()
            .expect("client");
        client
            .zone(ZONE)
            .unwrap()
            .universal_ssl()
            .get()
            .await
            .expect("call");
        let r = server.last();
        for (name, value) in &expected {
            assert_eq!(r.header(name), Some(*value));
        }
        let auth_headers = [
            "authorization",
            "x-auth-email",
            "x-auth-key",
            "x-auth-user-service-key",
        ];
        let sent = auth_headers
            .iter()
            .filter(|h| r.header(h).is_some())
            .count();
        assert_eq!(sent, expected.len(), "no other credential header is sent");
    }
}

#[tokio::test]
async fn with_response_exposes_envelope_and_metadata() {
    let server = TestServer::start(|_| {
        Reply::Json(
            200,
            json!({"success": true, "errors": [], "messages": [{"code": 1001, "message": "heads up"}],
                   "result": [], "result_info": {"page": 1, "per_page": 5, "count": 0, "total_count": 0, "total_pages": 0}}),
            vec![("cf-ray", "abc123-LHR".into())],
        )
    })
    .await;
    let zone = client(&server).zone(ZONE).unwrap();
    let page = zone
        .certificate_packs()
        .list()
        .per_page(5)
        .send()
        .await
        .expect("page");
    assert_eq!(page.total_pages(), Some(0));
    assert_eq!(page.meta.cf_ray(), Some("abc123-LHR"));
    let full = zone.universal_ssl().get().with_response().await;
    // `result: []` is not a settings object: a decode error naming the path.
    match full {
        Err(Error::Decode { path, status, .. }) => {
            assert_eq!((path.as_str(), status), ("result", 200))
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    let listed = zone
        .certificate_packs()
        .list()
        .per_page(5)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.meta.status, 200);
    assert_eq!(listed.meta.attempts, 1);
}

#[tokio::test]
async fn api_errors_carry_codes_status_and_ray() {
    let server = TestServer::start(|_| {
        Reply::Json(
            404,
            json!({"success": false, "errors": [{"code": 1404, "message": "Certificate pack not found",
                   "documentation_url": "https://developers.cloudflare.com", "source": {"pointer": "/certificate_pack_id"}}],
                   "messages": [], "result": null}),
            vec![("cf-ray", "8c0ffee-SJC".into())],
        )
    })
    .await;
    let err = client(&server)
        .zone(ZONE)
        .unwrap()
        .certificate_packs()
        .get(PACK)
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert!(!err.is_retryable());
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.error_codes(), vec![1404]);
    assert_eq!(err.cf_ray(), Some("8c0ffee-SJC"));
    let api = err.api_error().expect("api error");
    assert_eq!(
        api.errors[0].pointer.as_deref(),
        Some("/certificate_pack_id")
    );
    assert_eq!(
        err.to_string(),
        "Cloudflare API error on get_certificate_pack (HTTP 404): [1404] Certificate pack not found \
         (at /certificate_pack_id) (cf-ray 8c0ffee-SJC)"
    );
    assert_eq!(server.count(), 1, "404 is not retried");
}

#[tokio::test]
async fn wide_error_codes_and_success_false_inside_a_200() {
    let server = TestServer::start(|_| {
        Reply::Json(
            200,
            json!({"success": false, "errors": [{"code": 9_999_999_999_i64, "message": "odd"}], "messages": [], "result": null}),
            vec![],
        )
    })
    .await;
    let zone = client(&server).zone(ZONE).unwrap();
    // Recommendation's result is required: the body cannot decode, and is still read as a failure.
    for err in [
        zone.ssl_recommendation().await.unwrap_err(),
        zone.universal_ssl().get().await.unwrap_err(),
    ] {
        assert_eq!(err.status(), Some(200));
        assert_eq!(err.error_codes(), vec![9_999_999_999]);
        assert!(matches!(err, Error::Api(_)), "{err:?}");
    }
}

#[tokio::test]
async fn an_html_error_page_gives_status_and_excerpt() {
    let page = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body>cloudflare</body></html>";
    let server = TestServer::start(move |_| Reply::Raw(502, "text/html", page.into())).await;
    let client = Client::builder()
        .api_token("t")
        .base_url(&server.base_url)
        .max_retries(0)
        .build()
        .unwrap();
    let err = client
        .zone(ZONE)
        .unwrap()
        .certificate_packs()
        .quota()
        .await
        .unwrap_err();
    match &err {
        Error::UnexpectedResponse {
            status,
            excerpt,
            content_type,
            ..
        } => {
            assert_eq!(*status, 502);
            assert!(
                excerpt.starts_with("<!DOCTYPE html> <html><head><title>502 Bad Gateway"),
                "{excerpt}"
            );
            assert_eq!(content_type.as_deref(), Some("text/html"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_wrongly_shaped_success_names_the_serde_path() {
    let server = TestServer::start(|_| {
        let mut bad = pack(PACK, "active");
        bad["certificates"] = json!([{"id": "c", "hosts": "not-a-list", "status": "active"}]);
        Reply::ok(bad)
    })
    .await;
    let err = client(&server)
        .zone(ZONE)
        .unwrap()
        .certificate_packs()
        .get(PACK)
        .await
        .unwrap_err();
    match err {
        Error::Decode {
            path, operation, ..
        } => {
            assert_eq!(operation, "get_certificate_pack");
            assert_eq!(path, "result.certificates[0].hosts");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn timeouts_connection_failures_and_drops_are_distinct() {
    let server =
        TestServer::start(|_| Reply::Delay(Duration::from_secs(5), Box::new(Reply::ok(json!({})))))
            .await;
    let client = Client::builder()
        .api_token("t")
        .base_url(&server.base_url)
        .max_retries(0)
        .build()
        .unwrap();
    let zone = client.zone(ZONE).unwrap();
    let err = zone
        .universal_ssl()
        .get()
        .timeout(Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");

    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let closed = Client::builder()
        .api_token("t")
        .base_url(format!("http://127.0.0.1:{port}/client/v4"))
        .max_retries(0)
        .build()
        .unwrap();
    let err = closed
        .zone(ZONE)
        .unwrap()
        .universal_ssl()
        .get()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert!(err.is_retryable());

    let dropping = TestServer::start(|_| Reply::Drop).await;
    let client = Client::builder()
        .api_token("t")
        .base_url(&dropping.base_url)
        .max_retries(0)
        .build()
        .unwrap();
    let err = client
        .zone(ZONE)
        .unwrap()
        .universal_ssl()
        .get()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn invalid_input_is_rejected_before_sending() {
    let server = TestServer::start(api).await;
    let client = client(&server);
    let long = "x".repeat(33);
    let err = client.zone(&long).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("invalid input: `zone_id` = {long:?}: must be at most 32 characters, got 33")
    );
    assert!(client.zone("").is_err());
    let zone = client.zone(ZONE).unwrap();
    let packs = zone.certificate_packs();

    let cases: Vec<(Error, &str)> = vec![
        (
            packs.list().per_page(4).send().await.unwrap_err(),
            "`per_page` = \"4\": must be 5 to 50",
        ),
        (
            packs.list().per_page(51).send().await.unwrap_err(),
            "`per_page` = \"51\": must be 5 to 50",
        ),
        (
            packs.list().page(0).send().await.unwrap_err(),
            "`page` = \"0\": must be at least 1",
        ),
        (
            packs.get("").await.unwrap_err(),
            "`certificate_pack_id` = \"\": must not be empty",
        ),
        (
            packs
                .order(order_for((0..51).map(|i| format!("h{i}.example.com"))))
                .await
                .unwrap_err(),
            "`hosts`: must hold 1 to 50 hosts, got 51",
        ),
        (
            packs
                .order(order_for([
                    "example.com",
                    "WWW.example.com",
                    "www.example.com",
                ]))
                .await
                .unwrap_err(),
            "`hosts[2]` = \"www.example.com\": duplicates an earlier host",
        ),
        (
            packs
                .order(order_for(["example.com", " "]))
                .await
                .unwrap_err(),
            "`hosts[1]` = \" \": must not be empty",
        ),
        (
            zone.analyze_certificate("  ", None).await.unwrap_err(),
            "`certificate`: must not be empty",
        ),
    ];
    for (err, expected) in cases {
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
        assert_eq!(err.to_string(), format!("invalid input: {expected}"));
    }
    assert_eq!(server.count(), 0, "nothing was sent");

    // A pack id is issued by the server (a UUID, say): a stored copy of one goes back as it came,
    // although a zone id of that length is refused.
    let uuid = "a77f8bd7-3b47-46b4-a6f1-75cf98109948";
    assert!(client.zone(uuid).is_err());
    packs.get(uuid).await.expect("a stored pack UUID");
    let sent = server.requests();
    assert_eq!(sent.len(), 1);
    assert!(sent[0]
        .path
        .ends_with(&format!("/ssl/certificate_packs/{uuid}")));
    let too_long = "a".repeat(65);
    assert!(matches!(
        packs.get(too_long.as_str()).await,
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(server.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn retries_honour_retry_after_and_back_off() {
    let server = TestServer::start(api).await;
    let zone = client(&server).zone(ZONE).unwrap();

    server.script([Reply::error(429, 10429, "rate limited").with_header("retry-after", "3")]);
    let r = zone
        .universal_ssl()
        .get()
        .with_response()
        .await
        .expect("retried");
    assert_eq!(r.meta.attempts, 2);
    assert_eq!(r.meta.retry_delays, vec![Duration::from_secs(3)]);

    server.script([
        Reply::error(503, 10000, "unavailable"),
        Reply::error(502, 10000, "bad gateway"),
    ]);
    let start = tokio::time::Instant::now();
    let r = zone
        .universal_ssl()
        .get()
        .with_response()
        .await
        .expect("retried twice");
    assert_eq!(r.meta.attempts, 3);
    assert_eq!(
        r.meta.retry_delays,
        vec![Duration::from_millis(500), Duration::from_secs(1)]
    );
    assert!(start.elapsed() >= Duration::from_millis(1500));

    server.script([Reply::error(429, 10429, "slow").with_header("retry-after-ms", "250")]);
    let r = zone.universal_ssl().get().with_response().await.unwrap();
    assert_eq!(r.meta.retry_delays, vec![Duration::from_millis(250)]);

    // Exhausted: 1 + 2 retries, then the last error.
    let before = server.count();
    server.script(vec![Reply::error(500, 10000, "down"); 3]);
    let err = zone.universal_ssl().get().await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(server.count() - before, 3);

    // Dropped connections are retried for reads.
    let before = server.count();
    server.script([Reply::Drop]);
    zone.universal_ssl()
        .get()
        .await
        .expect("retried after a drop");
    assert_eq!(server.count() - before, 2);

    // Per-call policy: no retries.
    let before = server.count();
    server.script([Reply::error(503, 10000, "down")]);
    let err = zone
        .universal_ssl()
        .get()
        .retry(RetryPolicy::none())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.count() - before, 1);

    // Non-retryable statuses are not retried.
    let before = server.count();
    server.script([Reply::error(400, 1001, "bad request")]);
    zone.universal_ssl().get().await.unwrap_err();
    assert_eq!(server.count() - before, 1);
}

#[tokio::test(start_paused = true)]
async fn orders_are_never_blindly_retried() {
    let server = TestServer::start(api).await;
    let zone = client(&server).zone(ZONE).unwrap();
    let packs = zone.certificate_packs();

    for reply in [
        Reply::error(503, 10000, "unavailable"),
        Reply::error(429, 10429, "rate limited").with_header("retry-after", "1"),
        Reply::Drop,
    ] {
        let before = server.count();
        server.script([reply]);
        packs.order(order()).await.unwrap_err();
        assert_eq!(
            server.count() - before,
            1,
            "an order that may have reached the server is not retried"
        );
    }

    // The caller may opt in.
    let before = server.count();
    server.script([Reply::error(503, 10000, "unavailable")]);
    let pack = packs
        .order(order())
        .retry_orders(true)
        .await
        .expect("opted-in retry");
    assert_eq!(pack.status, Status::Initializing);
    assert_eq!(server.count() - before, 2);
}

/// Serves `total` packs, `per_page` at a time, with or without `result_info`.
fn paged(total: usize, with_info: bool) -> impl Fn(&Recorded) -> Reply {
    move |req| {
        let q: std::collections::HashMap<String, String> = req
            .query
            .as_deref()
            .unwrap_or_default()
            .split('&')
            .filter_map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
            })
            .collect();
        let page: usize = q.get("page").and_then(|v| v.parse().ok()).unwrap_or(1);
        let per_page: usize = q.get("per_page").and_then(|v| v.parse().ok()).unwrap_or(20);
        let items: Vec<Value> = (0..total)
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(|i| pack(&format!("{i:032}"), "active"))
            .collect();
        let mut body = envelope(json!(items));
        if with_info {
            body["result_info"] = json!({"page": page, "per_page": per_page, "count": items.len(),
                "total_count": total, "total_pages": total.div_ceil(per_page)});
        }
        Reply::Json(200, body, vec![])
    }
}

/// Walks every pack of the listing, `per_page` at a time, and counts them.
async fn count_items(zone: &cloudflare_ssl::Zone, per_page: u32) -> usize {
    let items: Vec<_> = zone
        .certificate_packs()
        .list()
        .per_page(per_page)
        .items()
        .try_collect()
        .await
        .expect("listing");
    items.len()
}

#[tokio::test]
async fn streams_stop_exactly_at_total_pages() {
    let server = TestServer::start(paged(23, true)).await;
    let zone = client(&server).zone(ZONE).unwrap();
    let items: Vec<_> = zone
        .certificate_packs()
        .list()
        .per_page(5)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 23);
    let ids: Vec<String> = items.iter().map(|p| p.id.to_string()).collect();
    let expected: Vec<String> = (0..23).map(|i| format!("{i:032}")).collect();
    assert_eq!(ids, expected, "every pack once, in order");
    let pages: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.query.clone())
        .collect();
    assert_eq!(pages.len(), 5, "5 pages, never a 6th: {pages:?}");

    // 20 packs = exactly 4 full pages: still no empty 5th page.
    let server = TestServer::start(paged(20, true)).await;
    let zone = client(&server).zone(ZONE).unwrap();
    let n = count_items(&zone, 5).await;
    assert_eq!((n, server.count()), (20, 4));

    // An empty listing: one request.
    let server = TestServer::start(paged(0, true)).await;
    let zone = client(&server).zone(ZONE).unwrap();
    let n = count_items(&zone, 20).await;
    assert_eq!((n, server.count()), (0, 1));
}

#[tokio::test]
async fn streams_tolerate_a_missing_result_info() {
    let server = TestServer::start(paged(12, false)).await;
    let zone = client(&server).zone(ZONE).unwrap();
    let n = count_items(&zone, 5).await;
    assert_eq!((n, server.count()), (12, 3), "the short third page ends it");
    // A multiple of per_page needs one empty page to know it is over.
    let server = TestServer::start(paged(10, false)).await;
    let zone = client(&server).zone(ZONE).unwrap();
    let n = count_items(&zone, 5).await;
    assert_eq!((n, server.count()), (10, 3));
}

#[tokio::test]
async fn prefetch_fetches_concurrently_and_keeps_order() {
    let server = TestServer::start(paged(47, true)).await;
    let zone = client(&server).zone(ZONE).unwrap();
    let items: Vec<_> = zone
        .certificate_packs()
        .list()
        .per_page(5)
        .prefetch(4)
        .items()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = items.iter().map(|p| p.id.to_string()).collect();
    assert_eq!(ids, (0..47).map(|i| format!("{i:032}")).collect::<Vec<_>>());
    assert_eq!(server.count(), 10);
}

#[tokio::test]
async fn a_failing_page_ends_the_stream_with_its_error() {
    let server = TestServer::start(paged(30, true)).await;
    let zone = client(&server).zone(ZONE).unwrap();
    server.script([Reply::ok(json!([pack(PACK, "active")])).with_header("x", "1")]);
    let mut stream = Box::pin(zone.certificate_packs().list().per_page(5).stream());
    // First page: the scripted one (no result_info, one item) ends the walk as a short page.
    let first = stream.try_next().await.unwrap().expect("page");
    assert_eq!(first.items.len(), 1);
    assert!(stream.try_next().await.unwrap().is_none());

    let server = TestServer::start(paged(30, true)).await;
    let zone = Client::builder()
        .api_token("t")
        .base_url(&server.base_url)
        .max_retries(0)
        .build()
        .unwrap()
        .zone(ZONE)
        .unwrap();
    let mut stream = Box::pin(zone.certificate_packs().list().per_page(5).stream());
    stream.try_next().await.unwrap().expect("page 1");
    server.script([Reply::error(500, 10000, "boom")]);
    assert!(stream.try_next().await.is_err());
    assert!(
        stream.try_next().await.unwrap().is_none(),
        "the stream ends after an error"
    );
}

/// Serves a pack whose status follows `statuses`, one per GET (the last repeats).
fn lifecycle(statuses: &'static [&'static str]) -> impl Fn(&Recorded) -> Reply {
    let n = Arc::new(Mutex::new(0usize));
    move |_| {
        let mut i = n.lock().unwrap();
        let status = statuses[(*i).min(statuses.len() - 1)];
        *i += 1;
        Reply::ok(pack(PACK, status))
    }
}

#[tokio::test(start_paused = true)]
async fn waiting_reports_each_transition_until_active() {
    let server = TestServer::start(lifecycle(&[
        "initializing",
        "pending_validation",
        "pending_validation",
        "pending_issuance",
        "pending_deployment",
        "active",
    ]))
    .await;
    let zone = client(&server).zone(ZONE).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let start = tokio::time::Instant::now();
    let pack = zone
        .certificate_packs()
        .wait_until_active(
            PACK,
            WaitOptions::default()
                .interval(Duration::from_secs(10))
                .backoff(1.0)
                .on_change(move |c| log.lock().unwrap().push((c.from.clone(), c.to.clone()))),
        )
        .await
        .expect("active");
    assert_eq!(pack.status, Status::Active);
    assert_eq!(server.count(), 6);
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(50),
        "5 waits of 10 s, virtual time"
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            (None, Status::Initializing),
            (Some(Status::Initializing), Status::PendingValidation),
            (Some(Status::PendingValidation), Status::PendingIssuance),
            (Some(Status::PendingIssuance), Status::PendingDeployment),
            (Some(Status::PendingDeployment), Status::Active),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn waiting_fails_on_a_terminal_status_or_the_deadline() {
    let server =
        TestServer::start(lifecycle(&["pending_validation", "validation_timed_out"])).await;
    let zone = client(&server).zone(ZONE).unwrap();
    let err = zone
        .certificate_packs()
        .wait_until_active(PACK, WaitOptions::default())
        .await
        .unwrap_err();
    match err {
        Error::PackFailed { status, .. } => assert_eq!(status, Status::ValidationTimedOut),
        other => panic!("{other:?}"),
    }

    let server = TestServer::start(lifecycle(&["pending_validation"])).await;
    let zone = client(&server).zone(ZONE).unwrap();
    let start = tokio::time::Instant::now();
    let err = zone
        .certificate_packs()
        .wait_until_active(
            PACK,
            WaitOptions::default()
                .interval(Duration::from_secs(5))
                .backoff(2.0)
                .max_interval(Duration::from_secs(20))
                .deadline(Duration::from_secs(60)),
        )
        .await
        .unwrap_err();
    match err {
        Error::WaitTimeout {
            last_status,
            waited,
            ..
        } => {
            assert_eq!(last_status, Status::PendingValidation);
            assert_eq!(waited, Duration::from_secs(60));
        }
        other => panic!("{other:?}"),
    }
    // Polls at 0, 5, 15, 35, 55 and the deadline, 60.
    assert_eq!(server.count(), 6);
    assert_eq!(start.elapsed(), Duration::from_secs(60));

    // An unknown (future) status keeps waiting; a custom predicate can stop on anything.
    let server = TestServer::start(lifecycle(&["pending_quantum", "pending_validation"])).await;
    let zone = client(&server).zone(ZONE).unwrap();
    let pack = zone
        .certificate_packs()
        .wait_for(PACK, WaitOptions::default(), |p| {
            p.status == Status::PendingValidation
        })
        .await
        .unwrap();
    assert_eq!(pack.status, Status::PendingValidation);
}

#[tokio::test(start_paused = true)]
async fn waiting_outlives_a_passing_outage_and_ends_by_its_deadline() {
    let server = TestServer::start(lifecycle(&["pending_validation", "active"])).await;
    let zone = client(&server).zone(ZONE).unwrap();
    // The first poll meets three 503s: its own retries give up, the wait polls again.
    server.script((0..3).map(|_| Reply::error(503, 10503, "busy")));
    let active = zone
        .certificate_packs()
        .wait_until_active(
            PACK,
            WaitOptions::default()
                .interval(Duration::from_secs(10))
                .backoff(1.0),
        )
        .await
        .expect("active after the outage");
    assert_eq!(active.status, Status::Active);
    assert_eq!(server.count(), 5, "3 failed attempts, then two polls");

    // A refusal is not passing: it ends the wait at once.
    let server = TestServer::start(lifecycle(&["pending_validation"])).await;
    let zone = client(&server).zone(ZONE).unwrap();
    server.script([Reply::error(403, 10000, "forbidden")]);
    let err = zone
        .certificate_packs()
        .wait_until_active(PACK, WaitOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err:?}");
    assert_eq!(server.count(), 1);

    // A poll that hangs is cut at the wait's deadline, not after the client's 120 s per call.
    let (err, took) = wait_20s_after([hung_poll()]).await;
    assert!(took <= Duration::from_secs(25), "{took:?}: {err:?}");
    assert!(matches!(err, Error::DeadlineExceeded { .. }), "{err:?}");

    // Once a poll has read the pack, a failed poll at the deadline ends the wait as documented.
    let (err, took) =
        wait_20s_after([Reply::ok(pack(PACK, "pending_validation")), hung_poll()]).await;
    assert!(took <= Duration::from_secs(25), "{took:?}: {err:?}");
    assert!(
        matches!(&err, Error::WaitTimeout { last_status, .. } if *last_status == Status::PendingValidation),
        "{err:?}"
    );
}

/// An answer that takes 1,000 s (virtual time).
fn hung_poll() -> Reply {
    Reply::Delay(
        Duration::from_secs(1000),
        Box::new(Reply::ok(pack(PACK, "pending_validation"))),
    )
}

/// Waits until active, polling every 10 s for at most 20 s, on a pack that stays
/// `pending_validation` once `script` is used up; the error it ends with and how long it took.
async fn wait_20s_after(script: impl IntoIterator<Item = Reply>) -> (Error, Duration) {
    let server = TestServer::start(lifecycle(&["pending_validation"])).await;
    let zone = client(&server).zone(ZONE).unwrap();
    server.script(script);
    let start = tokio::time::Instant::now();
    let err = zone
        .certificate_packs()
        .wait_until_active(
            PACK,
            WaitOptions::default()
                .interval(Duration::from_secs(10))
                .deadline(Duration::from_secs(20)),
        )
        .await
        .unwrap_err();
    (err, start.elapsed())
}

#[tokio::test]
async fn the_generated_client_stays_reachable_and_shares_the_transport() {
    let server = TestServer::start(api).await;
    let client = client(&server);
    let response = client
        .generated()
        .get_universal_ssl_settings()
        .zone_id(ZONE)
        .send()
        .await
        .expect("generated call");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.into_inner().result.and_then(|r| r.enabled),
        Some(true)
    );
    let r = server.last();
    assert_eq!(r.header("authorization"), Some("Bearer test-token"));
    assert_eq!(r.header("api-version"), None);
}

#[tokio::test]
async fn a_refused_connection_says_so_in_its_message() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener); // nothing listens there now
    let client = Client::builder()
        .api_token("t")
        .base_url(format!("http://127.0.0.1:{port}/client/v4"))
        .retry(cloudflare_ssl::RetryPolicy::none())
        .build()
        .expect("client");
    let err = client
        .zone("023e105f4ecef8ad9ca31a8372d0c353")
        .expect("zone")
        .universal_ssl()
        .get()
        .await
        .unwrap_err();
    let text = err.to_string().to_ascii_lowercase();
    assert!(text.contains("connection refused"), "{err}");
}

#[test]
fn a_password_in_the_base_url_is_refused_and_never_echoed() {
    for url in [
        "https://user:hunter2@api.example.com/client/v4",
        "https://hunter2@api.example.com/client/v4",
    ] {
        let err = Client::builder()
            .api_token("t")
            .base_url(url)
            .build()
            .expect_err("userinfo is refused");
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("user name or password"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
    let err = Client::builder()
        .base_url("https://user:hunter2@bad host/v4")
        .build()
        .expect_err("not a URL");
    assert!(!format!("{err} {err:?}").contains("hunter2"), "{err:?}");
}

#[tokio::test]
async fn undocumented_request_enum_values_are_refused_before_sending() {
    let server = TestServer::start(|_| Reply::ok(serde_json::json!({}))).await;
    let client = client(&server);
    let zone = client.zone(ZONE).expect("zone");
    let err = zone
        .analyze_certificate(
            "-----BEGIN CERTIFICATE-----",
            Some(types::BundleMethod::from_wire("fastest")),
        )
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, cloudflare_ssl::Error::InvalidInput(e) if e.field == "bundle_method"),
        "{err:?}"
    );
    let err = zone
        .certificate_packs()
        .list()
        .status(types::CertificatePackListStatus::from_wire("some"))
        .send()
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, cloudflare_ssl::Error::InvalidInput(e) if e.field == "status"),
        "{err:?}"
    );
    assert!(server.requests().is_empty(), "nothing was sent");
}
