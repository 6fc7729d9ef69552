//! The per-request tracing span, in its own test binary: tracing caches each callsite's
//! interest process-wide, so a test that installs a subscriber must not share its process with
//! tests that run without one.

mod support;

use std::sync::{Arc, Mutex};

use cloudflare_ssl::Client;
use serde_json::json;
use support::{Reply, TestServer, ZONE};

/// Captures formatted tracing output.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_request_has_a_tracing_span_without_secrets() {
    let server = TestServer::start(|_| {
        Reply::ok(json!({"enabled": true})).with_header("cf-ray", "77a1b2c3d4e5-AMS")
    })
    .await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let client = Client::builder()
        .api_token("tok-VERY-SECRET")
        .base_url(&server.base_url)
        .build()
        .unwrap();
    server.script([Reply::error(503, 10000, "busy")]);
    client
        .zone(ZONE)
        .unwrap()
        .universal_ssl()
        .get()
        .await
        .expect("retried");

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("cloudflare_ssl.request{"), "{text}");
    assert!(
        text.contains("operation=\"get_universal_ssl_settings\"")
            || text.contains("operation=get_universal_ssl_settings"),
        "{text}"
    );
    assert!(text.contains("method=GET"), "{text}");
    assert!(
        text.contains("path=\"/zones/{zone_id}/ssl/universal/settings\"")
            || text.contains("path=/zones/{zone_id}/ssl/universal/settings"),
        "{text}"
    );
    assert!(text.contains("attempt=2"), "the retry is visible: {text}");
    assert!(text.contains("status=200"), "{text}");
    assert!(text.contains("77a1b2c3d4e5-AMS"), "cf-ray recorded: {text}");
    assert!(!text.contains("SECRET"), "no secret in traces: {text}");
}
