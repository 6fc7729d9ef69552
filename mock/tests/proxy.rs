//! The conformance proxy and record/replay, proven both ways: the client through the proxy to
//! the mock sees no violation; an upstream that drifts is reported drift by drift, with the
//! bytes passed through unchanged; a recorded session replays to the same results.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
use cloudflare_ssl::{Client, OrderRequest};
use cloudflare_ssl_mock::proxy::{Proxy, ProxyConfig};
use cloudflare_ssl_mock::record::{read_recording, RecordOptions, Replay, ReplayConfig};
use cloudflare_ssl_mock::{Direction, Fault, MockServer, Operation, DEFAULT_ZONE_ID};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{json, Value};

fn temp_file(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "cfmock-{name}-{}-{nanos}.jsonl",
        std::process::id()
    ))
}

fn client(base_url: &str, token: &str) -> Client {
    Client::builder()
        .api_token(token)
        .base_url(base_url)
        .build()
        .expect("client")
}

fn http_client() -> reqwest::Client {
    let _ = cloudflare_ssl_mock::crypto_provider().install_default();
    reqwest::Client::new()
}

fn order_request() -> OrderRequest {
    OrderRequest::new(
        ["example.com", "*.example.com"],
        CertificateAuthority::LetsEncrypt,
        CertificatePackValidationMethod::Txt,
        ValidityDays::Days90,
    )
}

#[tokio::test]
async fn client_through_the_proxy_to_the_mock_sees_no_violation() {
    let mock = MockServer::start_manual().await;
    let report = temp_file("clean-report");
    let proxy = Proxy::start(
        ProxyConfig::new(&mock.base_url())
            .expect("config")
            .report(&report),
    )
    .await
    .expect("proxy");
    let zone = client(&proxy.base_url(), mock.token())
        .zone(mock.zone_id())
        .expect("zone");
    let packs = zone.certificate_packs();
    let quota = packs.quota().await.expect("quota");
    assert_eq!(quota.advanced.and_then(|a| a.allocated), Some(10));
    let page = packs.list().send().await.expect("list");
    assert_eq!(page.items.len(), 6);
    let ordered = packs.order(order_request()).await.expect("order");
    let got = packs.get(&ordered.id).await.expect("get");
    assert_eq!(got.id, ordered.id);
    zone.universal_ssl()
        .get()
        .await
        .expect("universal settings");
    zone.verification().get().await.expect("verification");
    assert_eq!(
        mock.counters().total,
        6,
        "every call went through to the mock"
    );
    assert_eq!(proxy.exchanges(), 6);
    assert_eq!(proxy.violations(), []);
    assert!(mock.schema_violations().is_empty());
    let written = std::fs::read_to_string(&report).unwrap_or_default();
    assert_eq!(written, "", "no violation, empty report");

    // A request that breaks the document is reported as such (and the mock's 400 passes).
    let http = http_client();
    let response = http
        .get(format!(
            "{}/zones/{DEFAULT_ZONE_ID}/ssl/certificate_packs?per_page=1",
            proxy.base_url()
        ))
        .bearer_auth(mock.token())
        .send()
        .await
        .expect("through the proxy");
    assert_eq!(response.status(), 400);
    let violations = proxy.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].direction, Direction::Request);
    assert_eq!(violations[0].pointer, "/per_page");
    assert_eq!(violations[0].found, Some(json!(1)));
    assert_eq!(
        violations[0].operation.as_deref(),
        Some("list_certificate_packs")
    );
    let lines = std::fs::read_to_string(&report).unwrap_or_default();
    assert_eq!(lines.lines().count(), 1);
    let _ = std::fs::remove_file(&report);
}

#[tokio::test]
async fn drift_is_reported_once_with_pointer_and_operation() {
    let mock = MockServer::start_manual().await;
    let report = temp_file("drift-report");
    let proxy = Proxy::start(
        ProxyConfig::new(&mock.base_url())
            .expect("config")
            .report(&report),
    )
    .await
    .expect("proxy");
    let zone = client(&proxy.base_url(), mock.token())
        .zone(mock.zone_id())
        .expect("zone");
    let packs = zone.certificate_packs();
    let pack_id = packs.list().send().await.expect("list").items[1].id.clone();
    assert_eq!(proxy.violations(), []);

    // A field's type changes.
    mock.faults()
        .on(Operation::GetCertificatePackQuota)
        .after_handling()
        .next(
            1,
            Fault::SetField {
                pointer: "/result/advanced/allocated".into(),
                value: json!("ten"),
            },
        );
    let _ = packs.quota().await; // the client may reject it: the point is the report
                                 // A required field disappears.
    mock.faults()
        .on(Operation::GetCertificatePack)
        .after_handling()
        .next(
            1,
            Fault::RemoveField {
                pointer: "/result/hosts".into(),
            },
        );
    let _ = packs.get(&pack_id).await;
    // An enum gains a value the document does not know.
    mock.faults()
        .on(Operation::ListCertificatePacks)
        .after_handling()
        .next(
            1,
            Fault::SetField {
                pointer: "/result/0/status".into(),
                value: json!("quantum_superposition"),
            },
        );
    let _ = packs.list().send().await;

    let violations = proxy.violations();
    let summary: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert_eq!(violations.len(), 3, "{summary:#?}");
    let find = |op: &str| {
        violations
            .iter()
            .find(|v| v.operation.as_deref() == Some(op))
            .unwrap_or_else(|| panic!("no violation for {op}: {summary:#?}"))
    };
    let quota = find("get_certificate_pack_quota");
    assert_eq!(quota.pointer, "/result/advanced/allocated");
    assert_eq!(quota.direction, Direction::Response);
    assert_eq!(quota.status, Some(200));
    assert_eq!(quota.found, Some(json!("ten")));
    assert!(quota.expected.contains("integer"), "{}", quota.expected);
    assert!(quota.cf_ray.as_deref().is_some_and(|r| r.ends_with("-SJC")));
    let get = find("get_certificate_pack");
    assert_eq!(get.pointer, "/result/hosts");
    assert_eq!(get.found, None);
    assert!(get.expected.contains("required"), "{}", get.expected);
    let list = find("list_certificate_packs");
    assert_eq!(list.pointer, "/result/0/status");
    assert_eq!(list.found, Some(json!("quantum_superposition")));
    assert!(list.expected.starts_with("one of"), "{}", list.expected);

    // The same three lines in the JSONL report.
    let lines: Vec<Value> = std::fs::read_to_string(&report)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(lines
        .iter()
        .any(|l| l["pointer"] == "/result/hosts" && l["operation"] == "get_certificate_pack"));
    let _ = std::fs::remove_file(&report);
}

/// A canned upstream: answers every request with the same bytes and headers, and remembers the
/// `Authorization` header it received.
async fn canned_upstream(
    status: u16,
    body: &'static [u8],
) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_in = Arc::clone(&seen);
    tokio::spawn(async move {
        // Bounded: the test makes a handful of requests.
        for _ in 0..16 {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let seen = Arc::clone(&seen_in);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let seen = Arc::clone(&seen);
                    async move {
                        if let Some(auth) = req
                            .headers()
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                        {
                            seen.lock().map(|mut s| s.push(auth.to_owned())).ok();
                        }
                        let mut response = Response::new(Full::new(Bytes::from_static(body)));
                        *response.status_mut() =
                            hyper::StatusCode::from_u16(status).expect("status");
                        let h = response.headers_mut();
                        h.insert(
                            "content-type",
                            "application/json; charset=utf-8".parse().expect("h"),
                        );
                        h.insert("cf-ray", "8a1b2c3d4e5f6071-LHR".parse().expect("h"));
                        h.insert("x-upstream-only", "kept".parse().expect("h"));
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, seen)
}

const DRIFTED_QUOTA: &[u8] = b"{\n  \"success\" : true, \"errors\": [], \"messages\": [],\n  \"result\": {\"advanced\": {\"allocated\": \"10\", \"used\": 5}}, \"extra\": 1.50\n}\n";

#[tokio::test]
async fn responses_pass_through_byte_for_byte_and_secrets_stay_out_of_reports() {
    let (addr, seen) = canned_upstream(200, DRIFTED_QUOTA).await;
    let report = temp_file("bytes-report");
    let recording = temp_file("bytes-recording");
    let proxy = Proxy::start(
        ProxyConfig::new(&format!("http://{addr}/client/v4"))
            .expect("config")
            .report(&report)
            .record(&recording),
    )
    .await
    .expect("proxy");
    let secret = "secret-token-0123456789";
    let response = http_client()
        .get(format!(
            "{}/zones/{DEFAULT_ZONE_ID}/ssl/certificate_packs/quota",
            proxy.base_url()
        ))
        .bearer_auth(secret)
        .header("x-auth-email", "someone@example.com")
        .send()
        .await
        .expect("through the proxy");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-upstream-only"], "kept");
    assert_eq!(response.headers()["cf-ray"], "8a1b2c3d4e5f6071-LHR");
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let bytes = response.bytes().await.expect("body");
    assert_eq!(
        &bytes[..],
        DRIFTED_QUOTA,
        "the body is passed through unchanged"
    );
    // Credentials reached the upstream untouched...
    assert_eq!(
        seen.lock().map(|s| s.clone()).unwrap_or_default(),
        [format!("Bearer {secret}")]
    );
    // ...and nowhere else.
    let violations = proxy.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(
        violations[0].cf_ray.as_deref(),
        Some("8a1b2c3d4e5f6071-LHR")
    );
    assert_eq!(violations[0].pointer, "/result/advanced/allocated");
    // A path outside the document (a token's creation, whose answer would hold the new secret)
    // is forwarded but never recorded.
    let other = http_client()
        .post(format!("{}/user/tokens", proxy.base_url()))
        .bearer_auth(secret)
        .body("{}")
        .send()
        .await
        .expect("through the proxy");
    assert_eq!(other.status(), 200, "forwarded");
    assert_eq!(seen.lock().map(|s| s.len()).unwrap_or_default(), 2);
    let recorded = read_recording(&recording).expect("recording");
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(
        recorded[0].operation.as_deref(),
        Some("get_certificate_pack_quota")
    );
    for file in [&report, &recording] {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        assert!(!text.is_empty(), "{} written", file.display());
        assert!(!text.contains(secret), "{} leaks the token", file.display());
        assert!(
            !text.contains("someone@example.com"),
            "{} leaks the email",
            file.display()
        );
    }
    let _ = std::fs::remove_file(&report);
    let _ = std::fs::remove_file(&recording);
}

#[tokio::test]
async fn bodies_over_the_limit_are_a_clear_502_or_413() {
    let (addr, _) = canned_upstream(200, DRIFTED_QUOTA).await;
    let proxy = Proxy::start(
        ProxyConfig::new(&format!("http://{addr}/client/v4"))
            .expect("config")
            .max_body(64),
    )
    .await
    .expect("proxy");
    let http = http_client();
    let url = format!(
        "{}/zones/{DEFAULT_ZONE_ID}/ssl/certificate_packs/quota",
        proxy.base_url()
    );
    let response = http
        .get(&url)
        .bearer_auth("t")
        .send()
        .await
        .expect("proxy answers");
    assert_eq!(response.status(), 502);
    assert_eq!(response.headers()["x-proxy-error"], "true");
    let body: Value = response.json().await.expect("envelope");
    assert_eq!(body["success"], false);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("64 bytes")),
        "{body}"
    );

    let response = http
        .post(format!(
            "{}/zones/{DEFAULT_ZONE_ID}/ssl/analyze",
            proxy.base_url()
        ))
        .bearer_auth("t")
        .body(vec![b' '; 65])
        .send()
        .await
        .expect("proxy answers");
    assert_eq!(response.status(), 413);

    // An upstream that is not there: 502, quickly.
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let proxy = Proxy::start(
        ProxyConfig::new(&format!("http://{gone}/client/v4"))
            .expect("config")
            .timeout(Duration::from_secs(5)),
    )
    .await
    .expect("proxy");
    let response = http
        .get(format!(
            "{}/zones/{DEFAULT_ZONE_ID}/ssl/verification",
            proxy.base_url()
        ))
        .bearer_auth("t")
        .send()
        .await
        .expect("proxy answers");
    assert_eq!(response.status(), 502);
}

#[test]
fn plain_http_upstreams_only_on_loopback() {
    for ok in [
        "https://api.cloudflare.com/client/v4",
        "http://127.0.0.1:8787/client/v4",
        "http://127.1.2.3/client/v4",
        "http://localhost:8787/client/v4",
        "http://[::1]:8787/client/v4",
    ] {
        assert!(ProxyConfig::new(ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://api.cloudflare.com/client/v4",
        "http://10.0.0.1/client/v4",
        "http://localhost.example.com/client/v4",
        "ftp://127.0.0.1/",
        "https://user:pass@api.cloudflare.com/client/v4",
        "not a url",
    ] {
        assert!(ProxyConfig::new(bad).is_err(), "{bad}");
    }
}

/// The same session of client calls, as Debug text of each result.
async fn session(base_url: &str, token: &str, zone_id: &str) -> Vec<String> {
    let zone = client(base_url, token).zone(zone_id).expect("zone");
    let packs = zone.certificate_packs();
    let mut out = Vec::new();
    out.push(format!("{:?}", packs.quota().await));
    let page = packs.list().send().await.expect("list");
    out.push(format!("{:?}", page.items));
    let ordered = packs.order(order_request()).await.expect("order");
    out.push(format!("{ordered:?}"));
    out.push(format!("{:?}", packs.get(&ordered.id).await));
    out.push(format!("{:?}", packs.quota().await));
    out.push(format!("{:?}", zone.universal_ssl().get().await));
    out
}

#[tokio::test]
async fn a_recorded_session_replays_to_the_same_results() {
    let mock = MockServer::start_manual().await;
    let recording = temp_file("session");
    let proxy = Proxy::start(
        ProxyConfig::new(&mock.base_url())
            .expect("config")
            .record(&recording),
    )
    .await
    .expect("proxy");
    let live = session(&proxy.base_url(), mock.token(), mock.zone_id()).await;
    assert_eq!(proxy.violations(), []);
    drop(proxy);
    drop(mock);

    let exchanges = read_recording(&recording).expect("recording");
    assert_eq!(exchanges.len(), 6);
    assert_eq!(
        exchanges[2].operation.as_deref(),
        Some("order_certificate_pack")
    );
    let replay = Replay::start(ReplayConfig::from_file(&recording).expect("recording"))
        .await
        .expect("replay");
    // Any token: the recording has none.
    let replayed = session(&replay.base_url(), "whatever", DEFAULT_ZONE_ID).await;
    assert_eq!(replayed, live);
    assert_eq!(replay.remaining(), 0);
    assert_eq!(replay.violations(), []);

    // Nothing left for a seventh call: a clear miss.
    let response = http_client()
        .get(format!(
            "{}/zones/{DEFAULT_ZONE_ID}/ssl/certificate_packs/quota",
            replay.base_url()
        ))
        .send()
        .await
        .expect("replay answers");
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["x-replay-miss"], "true");
    let body: Value = response.json().await.expect("envelope");
    assert_eq!(body["errors"][0]["code"], 7000);
    assert!(body["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("replay miss: no recorded exchange left for GET /zones/")));
    assert_eq!(replay.misses().len(), 1);
    let _ = std::fs::remove_file(&recording);
}

#[tokio::test]
async fn a_violating_response_is_flagged_when_recorded_and_when_replayed() {
    let recording = temp_file("mock-recording");
    let mock = MockServer::builder()
        .manual_clock()
        .record(&recording)
        .record_options(RecordOptions::default().redact_ids(true))
        .start()
        .await;
    mock.faults()
        .on(Operation::GetCertificatePackQuota)
        .after_handling()
        .next(
            1,
            Fault::SetField {
                pointer: "/result/advanced/used".into(),
                value: json!(-1.5),
            },
        );
    let zone = client(&mock.base_url(), mock.token())
        .zone(mock.zone_id())
        .expect("zone");
    let _ = zone.certificate_packs().quota().await;
    zone.universal_ssl().get().await.expect("settings");
    // An id inside a message ("Certificate pack … not found") is redacted too.
    let missing = "0123456789abcdef0123456789abcdef";
    let err = zone.certificate_packs().get(missing).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    drop(mock);

    let text = std::fs::read_to_string(&recording).unwrap_or_default();
    assert!(!text.contains(DEFAULT_ZONE_ID), "ids redacted: {text}");
    assert!(!text.contains(missing), "ids in messages redacted: {text}");
    assert!(!text.contains(cloudflare_ssl_mock::DEFAULT_API_TOKEN));
    let exchanges = read_recording(&recording).expect("recording");
    assert_eq!(exchanges.len(), 3);
    assert!(
        exchanges[2]
            .body
            .as_ref()
            .is_some_and(|b| b.to_string().contains(&format!("{:032x}", 2))),
        "the same stand-in scheme in messages: {:?}",
        exchanges[2].body
    );
    assert_eq!(exchanges[0].violations.len(), 1, "flagged when recorded");
    assert_eq!(exchanges[0].violations[0].pointer, "/result/advanced/used");
    assert!(exchanges[1].violations.is_empty());

    let replay = Replay::start(ReplayConfig::from_file(&recording).expect("recording"))
        .await
        .expect("replay");
    let stand_in = format!("{:032x}", 1);
    let http = http_client();
    let quota = http
        .get(format!(
            "{}/zones/{stand_in}/ssl/certificate_packs/quota",
            replay.base_url()
        ))
        .send()
        .await
        .expect("replayed");
    assert_eq!(quota.status(), 200);
    assert_eq!(
        quota.headers()["x-contract-violations"],
        "1",
        "flagged when replayed"
    );
    let settings = http
        .get(format!(
            "{}/zones/{stand_in}/ssl/universal/settings",
            replay.base_url()
        ))
        .send()
        .await
        .expect("replayed");
    assert_eq!(settings.status(), 200);
    assert!(settings.headers().get("x-contract-violations").is_none());
    let violations = replay.violations();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].pointer, "/result/advanced/used");
    let _ = std::fs::remove_file(&recording);
}
