//! The open HTTP layer: a caller's own `reqwest::Client`, the raw escape hatch (auth, retries,
//! idempotency), and owned, spawnable handles.

mod support;

use std::future::IntoFuture;
use std::time::Duration;

use cloudflare_ssl::{Client, Error, RetryPolicy};
use reqwest::Method;
use serde_json::json;
use support::{envelope, Reply, TestServer, ZONE};

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(2)
        .initial_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(2))
}

#[tokio::test]
async fn a_callers_reqwest_client_carries_the_requests() {
    let server = TestServer::start(|_| Reply::ok(json!({"enabled": true}))).await;
    let mut marker = reqwest::header::HeaderMap::new();
    marker.insert("x-from-caller", "1".parse().expect("header"));
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(cloudflare_ssl::tls_config().expect("tls"))
        .default_headers(marker)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http");
    let client = Client::builder()
        .api_token("tok")
        .base_url(&server.base_url)
        .http_client(http)
        .build()
        .expect("client");
    let settings = client
        .zone(ZONE)
        .unwrap()
        .universal_ssl()
        .get()
        .await
        .expect("get");
    assert_eq!(settings.enabled, Some(true));
    let r = server.last();
    // The caller's client sent it; the crate still added credentials and its User-Agent.
    assert_eq!(r.header("x-from-caller"), Some("1"));
    assert_eq!(r.header("authorization"), Some("Bearer tok"));
    assert!(r
        .header("user-agent")
        .is_some_and(|ua| ua.starts_with("cloudflare-ssl/")));
}

#[tokio::test]
async fn the_raw_hatch_reaches_any_path_with_auth_and_retries() {
    let server = TestServer::start(|_| {
        Reply::ok(json!([{"id": "r1", "type": "TXT", "name": "_acme-challenge.example.com"}]))
    })
    .await;
    let client = Client::builder()
        .api_token("tok")
        .base_url(&server.base_url)
        .retry(quick_retries())
        .build()
        .expect("client");
    // A path outside the document's operations, with a query; one 503 first, retried (GET).
    server.script([Reply::error(503, 10002, "busy")]);
    let records = client
        .request(Method::GET, format!("/zones/{ZONE}/dns_records"))
        .query("type", "TXT")
        .send()
        .with_response()
        .await
        .expect("records");
    assert_eq!(records.result[0]["id"], "r1");
    assert_eq!(records.meta.attempts, 2);
    let r = server.last();
    assert_eq!(r.path, format!("/client/v4/zones/{ZONE}/dns_records"));
    assert_eq!(r.query.as_deref(), Some("type=TXT"));
    assert_eq!(r.header("authorization"), Some("Bearer tok"));

    // A POST is not idempotent: a 503 is not retried unless the caller says so.
    server.script([Reply::error(503, 10002, "busy")]);
    let before = server.count();
    let err = client
        .request(Method::POST, format!("/zones/{ZONE}/dns_records"))
        .json(&json!({"type": "TXT"}))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.count() - before, 1);
    assert_eq!(server.last().json(), json!({"type": "TXT"}));

    server.script([Reply::error(503, 10002, "busy")]);
    let before = server.count();
    client
        .request(Method::POST, format!("/zones/{ZONE}/dns_records"))
        .idempotent(true)
        .send()
        .await
        .expect("retried");
    assert_eq!(server.count() - before, 2);

    // Typed results, and the raw bytes whatever the status.
    #[derive(serde::Deserialize)]
    struct Record {
        id: String,
    }
    let typed: Vec<Record> = client
        .request(Method::GET, format!("/zones/{ZONE}/dns_records"))
        .send_json()
        .await
        .expect("typed");
    assert_eq!(typed[0].id, "r1");
    server.script([Reply::Raw(418, "text/plain", "teapot".into())]);
    let raw = client
        .request(Method::GET, "/anything")
        .retry(RetryPolicy::none())
        .send_bytes()
        .await
        .expect("bytes");
    assert_eq!((raw.status, &raw.body[..]), (418, &b"teapot"[..]));

    // Paths that would leave their place are refused before sending.
    let before = server.count();
    for bad in ["/zones/../user/tokens", "zones", "/a\\b", "/x?y"] {
        let err = client.request(Method::GET, bad).send().await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(e) if e.field == "path"),
            "{bad}: {err:?}"
        );
    }
    assert_eq!(server.count(), before);
}

#[tokio::test]
async fn handles_and_calls_are_owned_and_spawnable() {
    let server =
        TestServer::start(|_| Reply::Json(200, envelope(json!({"enabled": false})), vec![])).await;
    let client = Client::builder()
        .api_token("tok")
        .base_url(&server.base_url)
        .build()
        .expect("client");
    struct Holder {
        universal: cloudflare_ssl::UniversalSsl,
    }
    let holder = Holder {
        universal: client.zone(ZONE).unwrap().universal_ssl(),
    };
    drop(client);
    let task = tokio::spawn(holder.universal.get().into_future());
    let settings = task.await.expect("join").expect("get");
    assert_eq!(settings.enabled, Some(false));
}
