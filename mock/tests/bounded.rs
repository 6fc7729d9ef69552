//! The proxy and the recordings stay bounded: violation reports quote excerpts, stored
//! violations are a ring with counts, large bodies are left out of recordings (length and
//! hash) and of validation, credentials an upstream echoes are redacted, and a torn or
//! over-long recording is handled line by line.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use cloudflare_ssl_mock::proxy::{Proxy, ProxyConfig};
use cloudflare_ssl_mock::record::{
    read_recording, read_recording_with, RecordOptions, Replay, ReplayConfig,
};
use cloudflare_ssl_mock::{MockServer, DEFAULT_ZONE_ID};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};

fn temp_file(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "cfmock-{name}-{}-{nanos}.jsonl",
        std::process::id()
    ))
}

fn http_client() -> reqwest::Client {
    let _ = cloudflare_ssl_mock::crypto_provider().install_default();
    reqwest::Client::new()
}

type Answer = dyn Fn(&Request<Incoming>) -> Vec<u8> + Send + Sync;

/// An upstream answering 200 with `answer(request)` (bounded: 64 connections).
async fn upstream(answer: Arc<Answer>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        for _ in 0..64 {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let answer = Arc::clone(&answer);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let body = answer(&req);
                    async move {
                        let mut response = Response::new(Full::new(Bytes::from(body)));
                        response
                            .headers_mut()
                            .insert("content-type", "application/json".parse().expect("h"));
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

fn quota_path() -> String {
    format!("/zones/{DEFAULT_ZONE_ID}/ssl/certificate_packs/quota")
}

fn list_path() -> String {
    format!("/zones/{DEFAULT_ZONE_ID}/ssl/certificate_packs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn violations_are_excerpts_in_a_bounded_ring_with_counts() {
    // A list whose 200 items each break the document: hundreds of violations per answer.
    let items: Vec<String> = (0..200)
        .map(|i| format!("{{\"id\":{i},\"hosts\":\"{}\"}}", "x".repeat(2000)))
        .collect();
    let body = format!(
        "{{\"success\":true,\"errors\":[],\"messages\":[],\"result\":[{}]}}",
        items.join(",")
    );
    let body = Arc::new(body.into_bytes());
    let addr = upstream(Arc::new(move |_: &Request<Incoming>| body.as_ref().clone())).await;
    let report = temp_file("ring-report");
    let proxy = Proxy::start(
        ProxyConfig::new(&format!("http://{addr}/client/v4"))
            .expect("config")
            .max_stored_violations(30)
            .report(&report),
    )
    .await
    .expect("proxy");
    let http = http_client();
    for _ in 0..5 {
        let r = http
            .get(format!("{}{}", proxy.base_url(), list_path()))
            .bearer_auth("t")
            .send()
            .await
            .expect("through");
        assert_eq!(r.status(), 200);
    }
    // At most 20 violations per value plus one line counting the rest: 21 per answer.
    assert_eq!(proxy.violations_total(), 5 * 21);
    let stored = proxy.violations();
    assert_eq!(stored.len(), 30);
    for v in &stored {
        let size = serde_json::to_string(v).map_or(usize::MAX, |s| s.len());
        assert!(size < 2048, "{size} bytes: {v}");
    }
    assert!(stored.iter().any(|v| v
        .message
        .contains("more violations of this value not listed")));
    let counts = proxy.violation_counts();
    assert!(counts.iter().all(|c| c.count % 5 == 0), "{counts:?}");
    assert_eq!(counts.iter().map(|c| c.count).sum::<u64>(), 5 * 21);
    // The report has every violation, each line bounded.
    let lines = std::fs::read_to_string(&report).expect("report");
    assert_eq!(lines.lines().count(), 5 * 21);
    assert!(lines.lines().all(|l| l.len() < 2048));
    let _ = std::fs::remove_file(&report);
    // Over HTTP too.
    let counted: serde_json::Value = http
        .get(format!("{}/violations/counts", proxy.admin_url()))
        .send()
        .await
        .expect("counts")
        .json()
        .await
        .expect("json");
    assert_eq!(counted.as_array().map(Vec::len), Some(counts.len()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_answer_is_passed_through_but_neither_parsed_nor_recorded_whole() {
    // 3 MiB of `[0,0,…]`: under the proxy's 8 MiB body limit.
    let zeros = {
        let mut b = Vec::with_capacity(3 << 20);
        b.push(b'[');
        while b.len() < (3 << 20) - 2 {
            b.extend_from_slice(b"0,");
        }
        b.extend_from_slice(b"0]");
        Arc::new(b)
    };
    let expected_len = zeros.len();
    let served = Arc::clone(&zeros);
    let addr = upstream(Arc::new(move |_: &Request<Incoming>| {
        served.as_ref().clone()
    }))
    .await;
    let recording = temp_file("large-recording");
    let report = temp_file("large-report");
    let proxy = Proxy::start(
        ProxyConfig::new(&format!("http://{addr}/client/v4"))
            .expect("config")
            .record(&recording)
            .record_options(RecordOptions::default().max_body(64 << 10))
            .report(&report),
    )
    .await
    .expect("proxy");
    let r = http_client()
        .get(format!("{}{}", proxy.base_url(), quota_path()))
        .bearer_auth("t")
        .send()
        .await
        .expect("through");
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.expect("body").len(), expected_len);
    let violations = proxy.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0].message.contains("not validated"),
        "{}",
        violations[0].message
    );
    let text = std::fs::read_to_string(&recording).expect("recording");
    assert!(text.len() < 4096, "a {}-byte recording", text.len());
    let back = read_recording(&recording).expect("read");
    let omitted = back[0].body_omitted.as_ref().expect("omitted");
    assert_eq!(omitted.length, expected_len as u64);
    assert_eq!(omitted.sha256.len(), 64);
    assert!(back[0].body.is_none());
    assert_eq!(proxy.body_bytes_in_flight(), 0);
    let _ = std::fs::remove_file(&recording);
    let _ = std::fs::remove_file(&report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_an_upstream_echoes_are_redacted_from_recordings() {
    // The upstream echoes the request's headers and query into its answer.
    let addr = upstream(Arc::new(|req: &Request<Incoming>| {
        let headers: serde_json::Map<String, serde_json::Value> = req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into()))
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "success": true, "errors": [], "messages": [],
            "result": {"advanced": {"allocated": 1, "used": 0}},
            "echo": {"headers": headers, "query": req.uri().query(), "note": "key was s3cr3t-global-key"},
        }))
        .unwrap_or_default()
    }))
    .await;
    let recording = temp_file("echo-recording");
    let har = temp_file("echo-har");
    let proxy = Proxy::start(
        ProxyConfig::new(&format!("http://{addr}/client/v4"))
            .expect("config")
            .record(&recording)
            .record_har(&har),
    )
    .await
    .expect("proxy");
    let http = http_client();
    let r = http
        .get(format!(
            "{}{}?api_token=q-secret-1&page=1",
            proxy.base_url(),
            quota_path()
        ))
        .bearer_auth("bearer-secret-token")
        .header("x-auth-email", "owner@example.org")
        .header("x-auth-key", "s3cr3t-global-key")
        .send()
        .await
        .expect("through");
    assert_eq!(r.status(), 200);
    // The client gets the answer unchanged...
    let passed = r.text().await.expect("body");
    assert!(passed.contains("bearer-secret-token"));
    // ...neither the recording nor its HAR export holds a credential.
    for file in [&recording, &har] {
        let text = std::fs::read_to_string(file).expect("recording");
        for secret in [
            "bearer-secret-token",
            "s3cr3t-global-key",
            "owner@example.org",
            "q-secret-1",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("[REDACTED]"));
        assert!(text.contains("page=1"), "{text}");
    }
    let _ = std::fs::remove_file(&recording);
    let _ = std::fs::remove_file(&har);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_last_line_is_skipped_and_an_over_long_line_refused_by_number() {
    let recording = temp_file("torn");
    let mock = MockServer::builder()
        .manual_clock()
        .record(&recording)
        .start()
        .await;
    let http = http_client();
    for _ in 0..3 {
        let r = http
            .get(format!("{}{}", mock.base_url(), quota_path()))
            .bearer_auth(mock.token())
            .send()
            .await
            .expect("mock");
        assert_eq!(r.status(), 200);
    }
    drop(mock);
    let whole = std::fs::read(&recording).expect("read");
    // What a crash mid-write leaves: part of a fourth line, no line feed.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&recording)
        .expect("open");
    let first_len = whole
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(whole.len());
    let torn_at = first_len / 2;
    file.write_all(&whole[..torn_at]).expect("append");
    drop(file);
    let read = read_recording_with(&recording, 1 << 20).expect("a torn last line is skipped");
    assert_eq!(read.exchanges.len(), 3);
    assert_eq!(read.warnings.len(), 1);
    assert!(read.warnings[0].contains(":4:"), "{}", read.warnings[0]);
    // The replay serves the whole lines.
    let replay = Replay::start(ReplayConfig::new(read.exchanges))
        .await
        .expect("replay");
    let r = http
        .get(format!("{}{}", replay.base_url(), quota_path()))
        .send()
        .await
        .expect("replay");
    assert_eq!(r.status(), 200);
    // A broken line that is not the last one is an error naming it.
    let mut broken = whole[..torn_at].to_vec();
    broken.push(b'\n');
    broken.extend_from_slice(&whole);
    std::fs::write(&recording, &broken).expect("write");
    let err = read_recording_with(&recording, 1 << 20).expect_err("refused");
    assert!(err.contains(":1:"), "{err}");
    // A line past the limit is refused by its number.
    let first_len = whole
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(whole.len());
    std::fs::write(&recording, &whole).expect("write");
    let err = read_recording_with(&recording, first_len - 1).expect_err("refused");
    assert!(
        err.contains(":1:") && err.contains(&format!("{}", first_len - 1)),
        "{err}"
    );
    let _ = std::fs::remove_file(&recording);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_har_archive_is_valid_after_every_exchange() {
    let har = temp_file("mock-har");
    let mock = MockServer::builder()
        .manual_clock()
        .record_har(&har)
        .start()
        .await;
    let http = http_client();
    let paths = [
        quota_path(),
        format!("{}?status=all&per_page=2", list_path()),
        format!("{}/0123456789abcdef0123456789abcdef", list_path()),
    ];
    for (i, path) in paths.iter().enumerate() {
        let r = http
            .get(format!("{}{path}", mock.base_url()))
            .bearer_auth(mock.token())
            .send()
            .await
            .expect("mock");
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.expect("json");
        let log: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&har).expect("har")).expect("whole HAR JSON");
        assert_eq!(log["log"]["version"], "1.2");
        let entries = log["log"]["entries"].as_array().expect("entries");
        assert_eq!(entries.len(), i + 1);
        let entry = &entries[i];
        assert_eq!(entry["request"]["method"], "GET");
        assert_eq!(
            entry["request"]["url"],
            format!("{}{path}", mock.base_url())
        );
        assert_eq!(entry["response"]["status"], status);
        let text = entry["response"]["content"]["text"].as_str().expect("text");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(text).expect("body"),
            body
        );
        assert_eq!(entry["response"]["content"]["mimeType"], "application/json");
        assert!(entry["time"].as_f64().is_some_and(|t| t >= 0.0));
        assert!(chrono::DateTime::parse_from_rfc3339(
            entry["startedDateTime"].as_str().unwrap_or("")
        )
        .is_ok());
        for key in ["send", "wait", "receive"] {
            assert!(entry["timings"][key].is_number(), "{key}");
        }
    }
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&har).expect("har")).expect("json");
    let names: Vec<&str> = log["log"]["entries"][1]["request"]["queryString"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|q| q["name"].as_str())
        .collect();
    assert_eq!(names, ["status", "per_page"]);
    assert_eq!(log["log"]["entries"][2]["response"]["status"], 404);
    assert!(!std::fs::read_to_string(&har)
        .unwrap_or_default()
        .contains(mock.token()));
    let _ = std::fs::remove_file(&har);
}
