//! A hostile server on loopback: crafted ids, huge and endless bodies, hostile pagination,
//! servers that never answer, tokens that are not tokens. Each attack must end in a typed
//! error within a bound (time, bytes, requests), not just "no panic".

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cloudflare_ssl::types::{self, DesiredValidationMethod, Identifier};
use cloudflare_ssl::{Client, Error, RetryPolicy};
use futures::{StreamExt, TryStreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const PACK: &str = "0123456789abcdef0123456789abcdef";

/// Builds a JSON answer (status, body) from the request line.
type Answer = Arc<dyn Fn(&str) -> (u16, Value) + Send + Sync>;

/// What the raw server does with each request it reads.
#[derive(Clone)]
enum Behaviour {
    /// Answer with these bytes (a whole HTTP/1.1 response), then close.
    Bytes(Vec<u8>),
    /// Headers, then a chunked body of zeros that never ends.
    Endless,
    /// Read the request and never answer.
    Silent,
    /// Answer with the JSON the function builds from the request line.
    Json(Answer),
}

/// A raw HTTP/1.1 server on 127.0.0.1:0 counting requests and body bytes written.
struct Hostile {
    base_url: String,
    requests: Arc<AtomicUsize>,
    written: Arc<AtomicU64>,
    paths: Arc<Mutex<Vec<String>>>,
    /// Signalled (one permit per connection) when a connection's handler has returned.
    finished: Arc<tokio::sync::Notify>,
}

impl Hostile {
    async fn start(behaviour: Behaviour) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests = Arc::new(AtomicUsize::new(0));
        let written = Arc::new(AtomicU64::new(0));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let finished = Arc::new(tokio::sync::Notify::new());
        let (r, w, p, f) = (
            requests.clone(),
            written.clone(),
            paths.clone(),
            finished.clone(),
        );
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (behaviour, r, w, p, f) = (
                    behaviour.clone(),
                    r.clone(),
                    w.clone(),
                    p.clone(),
                    f.clone(),
                );
                tokio::spawn(async move {
                    serve(stream, behaviour, r, w, p).await;
                    f.notify_one();
                });
            }
        });
        Hostile {
            base_url: format!("http://{addr}/client/v4"),
            requests,
            written,
            paths,
            finished,
        }
    }

    fn client(&self) -> Client {
        Client::builder()
            .api_token("t")
            .base_url(&self.base_url)
            .retry(RetryPolicy::none())
            .build()
            .expect("client")
    }
}

async fn serve(
    mut stream: TcpStream,
    behaviour: Behaviour,
    requests: Arc<AtomicUsize>,
    written: Arc<AtomicU64>,
    paths: Arc<Mutex<Vec<String>>>,
) {
    // Requests here have small bodies: read until the end of the headers plus what is there.
    let mut buffer = vec![0u8; 64 * 1024];
    let Ok(n) = stream.read(&mut buffer).await else {
        return;
    };
    let head = String::from_utf8_lossy(&buffer[..n]).into_owned();
    let line = head.lines().next().unwrap_or_default().to_owned();
    if let Some(path) = line.split(' ').nth(1) {
        paths.lock().expect("lock").push(path.to_owned());
    }
    requests.fetch_add(1, Ordering::SeqCst);
    match behaviour {
        Behaviour::Bytes(bytes) => {
            let _ = stream.write_all(&bytes).await;
        }
        Behaviour::Silent => {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        Behaviour::Endless => {
            let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
            if stream.write_all(head).await.is_err() {
                return;
            }
            let chunk = format!("{:x}\r\n{}\r\n", 16 * 1024, "0".repeat(16 * 1024));
            // Bounded in time: the client must have given up long before.
            let until = Instant::now() + Duration::from_secs(20);
            while Instant::now() < until {
                if stream.write_all(chunk.as_bytes()).await.is_err() {
                    return;
                }
                written.fetch_add(16 * 1024, Ordering::SeqCst);
            }
        }
        Behaviour::Json(build) => {
            let (status, body) = build(&line);
            let body = body.to_string();
            let response = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        }
    }
}

fn response(status: u16, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn pack(id: &str) -> Value {
    json!({"id": id, "type": "advanced", "hosts": ["example.com"], "status": "active", "certificates": []})
}

#[tokio::test]
async fn ids_that_would_leave_their_path_are_refused_before_sending() {
    let server = Hostile::start(Behaviour::Bytes(response(200, "", "{}"))).await;
    let client = server.client();
    let hostile = [
        "..",
        ".",
        "..\\..\\user\\tokens",
        "..\\..",
        "../../user/tokens",
        "%2e%2e",
        "%2E%2E%2F",
        "\u{ff0e}\u{ff0e}",
        "\u{2025}",
        "a b",
        "x?y=1",
        "",
    ];
    for id in hostile {
        let err = client.zone(id).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(e) if e.field == "zone_id"),
            "zone {id:?}: {err:?}"
        );
        let zone = client.zone(ZONE).expect("zone");
        let packs = zone.certificate_packs();
        for err in [
            packs.get(id).await.unwrap_err(),
            packs.delete(id).await.unwrap_err(),
            packs.restart_validation(id).await.unwrap_err(),
            packs
                .set_validation_method(id, DesiredValidationMethod::Txt)
                .await
                .unwrap_err(),
            zone.verification()
                .edit_method(id, DesiredValidationMethod::Http)
                .await
                .unwrap_err(),
        ] {
            assert!(
                matches!(&err, Error::InvalidInput(e) if e.field == "certificate_pack_id"),
                "pack {id:?}: {err:?}"
            );
        }
    }
    // An id *from the server* is checked the same way before it goes back into a path.
    let from_server: Identifier =
        serde_json::from_str(r#""..\\..\\user\\tokens""#).expect("lenient");
    let zone = client.zone(ZONE).expect("zone");
    let err = zone
        .certificate_packs()
        .delete(&from_server)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        0,
        "nothing was sent"
    );

    // A 100,000-character id: the error quotes a bounded prefix.
    let huge = format!("{}\\", "a".repeat(100_000));
    let message = client.zone(huge.as_str()).unwrap_err().to_string();
    assert!(
        message.len() < 300,
        "{} bytes: {message:.200}",
        message.len()
    );
}

#[tokio::test]
async fn a_declared_huge_body_is_refused_without_reading_it() {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2147483648\r\ncf-ray: 1-SJC\r\n\r\n";
    let server = Hostile::start(Behaviour::Bytes(head.as_bytes().to_vec())).await;
    let err = server
        .client()
        .zone(ZONE)
        .unwrap()
        .certificate_packs()
        .quota()
        .await
        .unwrap_err();
    match &err {
        Error::ResponseTooLarge {
            declared,
            limit,
            status,
            cf_ray,
            ..
        } => {
            assert_eq!(*declared, Some(2_147_483_648));
            assert_eq!(*limit, cloudflare_ssl::DEFAULT_MAX_RESPONSE_BYTES);
            assert_eq!(*status, 200);
            assert_eq!(cf_ray.as_deref(), Some("1-SJC"));
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_endless_body_stops_at_the_limit() {
    let server = Hostile::start(Behaviour::Endless).await;
    let client = Client::builder()
        .api_token("t")
        .base_url(&server.base_url)
        .max_response_bytes(256 * 1024)
        .build()
        .expect("client");
    let started = Instant::now();
    let err = client
        .zone(ZONE)
        .unwrap()
        .certificate_packs()
        .get(PACK)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseTooLarge {
                declared: None,
                limit: 262_144,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // The client stopped reading at the limit: once the server's writer has seen the closed
    // connection (its handler returned), what it pushed is the limit plus what the sockets
    // buffer, far from the endless body.
    tokio::time::timeout(Duration::from_secs(20), server.finished.notified())
        .await
        .expect("the server's writer stops once the client has closed the connection");
    let written = server.written.load(Ordering::SeqCst);
    assert!(written < 32 * 1024 * 1024, "{written} bytes written");
    assert_eq!(server.requests.load(Ordering::SeqCst), 1, "not retried");
}

#[tokio::test]
async fn a_huge_error_body_is_quoted_not_parsed() {
    // 1 MiB of `[0,0,…]` with a 500: over the error path's parse limit, so no envelope parse.
    let body = format!("[{}0]", "0,".repeat(512 * 1024));
    let server = Hostile::start(Behaviour::Bytes(response(500, "", &body))).await;
    let err = server
        .client()
        .zone(ZONE)
        .unwrap()
        .universal_ssl()
        .get()
        .await
        .unwrap_err();
    match &err {
        Error::UnexpectedResponse {
            status, excerpt, ..
        } => {
            assert_eq!(*status, 500);
            assert!(
                excerpt.len() <= 210 && excerpt.starts_with("[0,0"),
                "{excerpt:.100}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_huge_well_formed_error_envelope_is_quoted_not_parsed() {
    // 1 MiB of a valid envelope (a 503 with its codes, then a long unknown member): read only up
    // to the error path's limit, so quoted; its status still counts, so it is retried.
    let body = format!(
        r#"{{"success":false,"errors":[{{"code":10503,"message":"busy"}}],"messages":[],"result":null,"padding":[{}0]}}"#,
        "0,".repeat(512 * 1024)
    );
    let server = Hostile::start(Behaviour::Bytes(response(503, "", &body))).await;
    let client = Client::builder()
        .api_token("t")
        .base_url(&server.base_url)
        .retry(
            RetryPolicy::default()
                .initial_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(1)),
        )
        .build()
        .expect("client");
    let err = client
        .zone(ZONE)
        .unwrap()
        .universal_ssl()
        .get()
        .await
        .unwrap_err();
    match &err {
        Error::UnexpectedResponse {
            status, excerpt, ..
        } => {
            assert_eq!(*status, 503);
            assert!(excerpt.starts_with(r#"{"success":false"#), "{excerpt:.100}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        3,
        "a 503 is retried whatever its size"
    );
}

#[tokio::test]
async fn raw_requests_get_long_error_bodies_whole_as_bytes_and_quoted_as_json() {
    let body = format!(
        r#"{{"success":false,"errors":[],"messages":[],"result":null,"padding":"{}"}}"#,
        "x".repeat(300 * 1024)
    );
    let server = Hostile::start(Behaviour::Bytes(response(500, "", &body))).await;
    let client = server.client();
    let raw = client
        .request(cloudflare_ssl::Method::GET, "/zones/z/anything")
        .send_bytes()
        .await
        .expect("a raw answer is not an error");
    assert_eq!(raw.status, 500);
    assert_eq!(
        raw.body.len(),
        body.len(),
        "the whole body, within the client's limit"
    );
    let err = client
        .request(cloudflare_ssl::Method::GET, "/zones/z/anything")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedResponse { status: 500, .. }),
        "{err:?}"
    );
}

/// A listing server built from the requested page number.
fn listing(build: impl Fn(u32) -> Value + Send + Sync + 'static) -> Behaviour {
    Behaviour::Json(Arc::new(move |line: &str| {
        let page = line
            .split(['?', '&', ' '])
            .find_map(|p| p.strip_prefix("page="))
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        (200, build(page))
    }))
}

fn full_page(page: u32, per_page: u32) -> Vec<Value> {
    (0..per_page)
        .map(|i| pack(&format!("p{page}x{i}")))
        .collect()
}

#[tokio::test]
async fn hostile_pagination_always_ends() {
    // total_pages in the billions with full pages: stops at the page cap.
    let server = Hostile::start(listing(|page| {
        json!({"success": true, "errors": [], "messages": [], "result": full_page(page, 5),
               "result_info": {"page": page, "per_page": 5, "total_pages": 1e9, "count": 5}})
    }))
    .await;
    let packs = server.client().zone(ZONE).unwrap().certificate_packs();
    for prefetch in [1, 3] {
        let before = server.requests.load(Ordering::SeqCst);
        let got: Vec<_> = packs
            .list()
            .per_page(5)
            .max_pages(4)
            .prefetch(prefetch)
            .items()
            .take(1_000)
            .collect::<Vec<_>>()
            .await;
        let last = got.last().expect("items");
        assert!(
            matches!(last, Err(Error::Pagination { problem }) if problem.contains("more than 4 pages")),
            "prefetch {prefetch}: {last:?}"
        );
        assert_eq!(got.iter().filter(|r| r.is_ok()).count(), 20, "4 pages of 5");
        assert_eq!(
            server.requests.load(Ordering::SeqCst) - before,
            4,
            "prefetch {prefetch}"
        );
    }

    // A server that ignores `page`: it answers page 1 every time.
    let server = Hostile::start(listing(|_| {
        json!({"success": true, "errors": [], "messages": [], "result": full_page(1, 5),
               "result_info": {"page": 1, "per_page": 5, "total_pages": 10, "total_count": 50}})
    }))
    .await;
    let packs = server.client().zone(ZONE).unwrap().certificate_packs();
    let err = packs
        .list()
        .per_page(5)
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Pagination { problem } if problem.contains("page 2")),
        "{err:?}"
    );
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);

    // ... and without result_info: the repeated page is noticed.
    let server = Hostile::start(listing(
        |_| json!({"success": true, "errors": [], "messages": [], "result": full_page(1, 5)}),
    ))
    .await;
    let packs = server.client().zone(ZONE).unwrap().certificate_packs();
    let err = packs
        .list()
        .per_page(5)
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Pagination { problem } if problem.contains("repeats")),
        "{err:?}"
    );
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);

    // Empty pages with a huge total_pages: one request, no hot loop.
    let server = Hostile::start(listing(|page| {
        json!({"success": true, "errors": [], "messages": [], "result": [],
               "result_info": {"page": page, "per_page": 5, "total_pages": 1e9}})
    }))
    .await;
    let packs = server.client().zone(ZONE).unwrap().certificate_packs();
    let all: Vec<_> = packs
        .list()
        .per_page(5)
        .prefetch(8)
        .items()
        .try_collect()
        .await
        .expect("empty");
    assert!(all.is_empty());
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);

    // A total_pages that total_count and per_page cannot explain.
    let server = Hostile::start(listing(|page| {
        json!({"success": true, "errors": [], "messages": [], "result": full_page(page, 5),
               "result_info": {"page": page, "per_page": 5, "total_pages": 900, "total_count": 12}})
    }))
    .await;
    let packs = server.client().zone(ZONE).unwrap().certificate_packs();
    let err = packs
        .list()
        .per_page(5)
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Pagination { problem } if problem.contains("total_count 12")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_silent_server_costs_one_deadline_not_three_timeouts() {
    let server = Hostile::start(Behaviour::Silent).await;
    let client = Client::builder()
        .api_token("t")
        .base_url(&server.base_url)
        .deadline(Duration::from_millis(600))
        .build()
        .expect("client");
    let started = Instant::now();
    let err = client
        .zone(ZONE)
        .unwrap()
        .universal_ssl()
        .get()
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(err, Error::DeadlineExceeded { .. }), "{err:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert!(err.is_retryable(), "a GET may be tried again later");

    // Per call; and an order that timed out after sending is not retryable.
    let started = Instant::now();
    let order = cloudflare_ssl::OrderRequest::new(
        ["example.com"],
        types::CertificateAuthority::LetsEncrypt,
        types::CertificatePackValidationMethod::Txt,
        types::ValidityDays::Days90,
    );
    let err = client
        .zone(ZONE)
        .unwrap()
        .certificate_packs()
        .order(order)
        // "Sent" is decided from the attempt's own result, never by an outer timer that could
        // cancel the attempt first: anything but a connect error may have reached the server,
        // and a timeout while connecting is the attempt's timeout (≤ the 2 s deadline, before
        // the 5 s connect timeout), so this holds however loaded the machine is. The silent
        // server never answers: the call ends by the deadline.
        .deadline(Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(&err, Error::OutcomeUnknown { source, .. } if matches!(**source, Error::DeadlineExceeded { .. })),
        "{err:?}"
    );
    assert!(!err.is_retryable() && err.is_outcome_unknown());
}

#[tokio::test]
async fn a_retry_after_past_the_deadline_ends_the_call_at_once() {
    let body = json!({"success": false, "errors": [{"code": 971, "message": "slow down"}], "messages": [], "result": null});
    let server = Hostile::start(Behaviour::Bytes(response(
        429,
        "retry-after: 60\r\n",
        &body.to_string(),
    )))
    .await;
    let client = Client::builder()
        .api_token("t")
        .base_url(&server.base_url)
        .retry(
            RetryPolicy::default()
                .max_retries(5)
                .max_retry_after(Duration::from_secs(60)),
        )
        .deadline(Duration::from_secs(10))
        .build()
        .expect("client");
    let started = Instant::now();
    let err = client
        .zone(ZONE)
        .unwrap()
        .certificate_packs()
        .quota()
        .await
        .unwrap_err();
    assert!(err.is_rate_limited(), "{err:?}");
    assert_eq!(
        err.api_error().and_then(|a| a.retry_after),
        Some(Duration::from_secs(60))
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn credentials_must_be_visible_ascii() {
    for (token, field) in [
        ("", "api_token"),
        ("tök", "api_token"),
        ("a b", "api_token"),
        ("a\tb", "api_token"),
    ] {
        let err = Client::builder()
            .api_token(token)
            .base_url("http://127.0.0.1:9/client/v4")
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(e) if e.field == field && e.value.is_none()),
            "{token:?}: {err:?}"
        );
        assert!(
            !err.to_string().contains(token) || token.is_empty(),
            "{err}"
        );
    }
    let err = Client::builder()
        .credentials(cloudflare_ssl::Credentials::api_key(
            "ops@example.com",
            "kéy",
        ))
        .base_url("http://127.0.0.1:9/client/v4")
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(e) if e.field == "api_key"),
        "{err:?}"
    );
}

#[tokio::test]
async fn paths_sent_always_match_their_template() {
    let server = Hostile::start(listing(|page| {
        json!({"success": true, "errors": [], "messages": [], "result": full_page(page, 5),
               "result_info": {"page": page, "per_page": 5, "total_pages": 1}})
    }))
    .await;
    let client = server.client();
    let zone = client.zone(ZONE).unwrap();
    let _ = zone
        .certificate_packs()
        .list()
        .per_page(5)
        .send()
        .await
        .expect("list");
    let _ = zone.certificate_packs().get(PACK).await;
    let _ = zone.universal_ssl().get().await;
    let paths: Vec<String> = server
        .paths
        .lock()
        .expect("lock")
        .iter()
        .map(|p| p.split('?').next().unwrap_or_default().to_owned())
        .collect();
    // Exactly the templates, filled with the ids given: nothing added, dropped or re-encoded.
    assert_eq!(
        paths,
        [
            format!("/client/v4/zones/{ZONE}/ssl/certificate_packs"),
            format!("/client/v4/zones/{ZONE}/ssl/certificate_packs/{PACK}"),
            format!("/client/v4/zones/{ZONE}/ssl/universal/settings"),
        ]
    );
}

/// Every id made of up to three pieces of a hostile alphabet: either refused before sending, or
/// sent to exactly the operation's template with the id as one segment.
#[tokio::test]
async fn no_crafted_id_leaves_its_segment() {
    let server = Hostile::start(Behaviour::Bytes(response(404, "", "{}"))).await;
    let client = server.client();
    let zone = client.zone(ZONE).expect("zone");
    let packs = zone.certificate_packs();
    let alphabet = [
        "..", ".", "\\", "/", "%2e", "%2F", "\u{ff0e}", "\u{3002}", "\u{2024}", "?", "#", ";", " ",
        "\t", "\0", "a", "0", "-", "_",
    ];
    let mut ids = Vec::new();
    for a in alphabet {
        ids.push(a.to_owned());
        for b in alphabet {
            ids.push(format!("{a}{b}"));
            for c in alphabet {
                ids.push(format!("{a}{b}{c}"));
            }
        }
    }
    let mut sent = Vec::new();
    for id in &ids {
        match packs.get(id.as_str()).await {
            Err(Error::InvalidInput(e)) => assert_eq!(e.field, "certificate_pack_id", "{id:?}"),
            _ => sent.push(id.clone()),
        }
    }
    // Only ids of the grammar were sent, each to its own segment.
    let paths = server.paths.lock().expect("lock").clone();
    assert_eq!(paths.len(), sent.len());
    for (id, path) in sent.iter().zip(&paths) {
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{id:?} was sent"
        );
        assert_eq!(
            path,
            &format!("/client/v4/zones/{ZONE}/ssl/certificate_packs/{id}")
        );
    }
    assert!(
        sent.len() >= 4 && sent.len() < ids.len() / 10,
        "{} of {}",
        sent.len(),
        ids.len()
    );
}

/// Limits set near `Duration::MAX` (a rate limit of one request per forever, a retry delay of
/// forever) end the call at its deadline: no overflow, no sleep past the deadline.
#[tokio::test]
async fn limits_near_duration_max_end_at_the_deadline() {
    use cloudflare_ssl::RateLimit;
    use cloudflare_ssl_mock::{Fault, MockServer, Operation};
    let mock = MockServer::start_manual().await;
    let client = Client::builder()
        .api_token(mock.token())
        .base_url(mock.base_url())
        .rate_limit(RateLimit::new(1, Duration::MAX))
        .retry(
            RetryPolicy::default()
                .initial_delay(Duration::MAX)
                .max_delay(Duration::MAX),
        )
        .deadline(Duration::from_millis(300))
        .build()
        .expect("client");
    let settings = client.zone(mock.zone_id()).expect("zone").universal_ssl();
    mock.faults()
        .on(Operation::GetUniversalSslSettings)
        .next(1, Fault::ServerError { status: 503 });
    let started = Instant::now();
    // A retry delay past the deadline: the 503 is the answer, at once.
    let err = settings.get().await.unwrap_err();
    assert_eq!(err.status(), Some(503), "{err:?}");
    // The rate limiter would wait "forever" for the next slot: the deadline ends the call.
    let err = settings.get().await.unwrap_err();
    assert!(matches!(err, Error::DeadlineExceeded { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(mock.counters().total, 1);
}
