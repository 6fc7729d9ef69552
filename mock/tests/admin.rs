//! The admin routes cannot be reached by a web page: foreign `Host` or `Origin`, form and
//! text bodies are refused; an admin token, when set, is required; caps on fault rules and
//! latency; unknown names answered with the valid ones.

use std::net::SocketAddr;
use std::time::Duration;

use cloudflare_ssl_mock::proxy::{Proxy, ProxyConfig};
use cloudflare_ssl_mock::MockServer;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One raw HTTP/1.1 exchange (`connection: close`); returns the status and the body.
async fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut request = format!("{method} {path} HTTP/1.1\r\nconnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        request.push_str(&format!("host: {addr}\r\n"));
    }
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut out))
        .await
        .expect("answered in time")
        .expect("read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test]
async fn a_web_page_cannot_reach_the_admin_routes() {
    let mock = MockServer::start_manual().await;
    let addr = mock.addr();
    // DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends its own name as Host.
    let (status, body) = raw(
        addr,
        "GET",
        "/__mock/info",
        &[("host", "evil.example:8787")],
        "",
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("evil.example:8787") && !body.contains(mock.token()),
        "{body}"
    );
    // A missing Host is refused too.
    let (status, _) = raw(addr, "GET", "/__mock/info", &[("host", "")], "").await;
    assert_eq!(status, 403);
    // Loopback names and the address served are accepted.
    for host in ["localhost:1", "127.0.0.1", "[::1]:9", &addr.to_string()] {
        let (status, body) = raw(addr, "GET", "/__mock/info", &[("host", host)], "").await;
        assert_eq!(status, 200, "{host}: {body}");
    }
    // Form and text bodies (what a page can send without a preflight) are refused, and change
    // nothing.
    for content_type in [
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
    ] {
        let (status, body) = raw(
            addr,
            "POST",
            "/__mock/faults",
            &[("content-type", content_type)],
            r#"{"fault":{"kind":"drop_connection"},"times":5}"#,
        )
        .await;
        assert_eq!(status, 415, "{content_type}: {body}");
        assert!(body.contains("application/json"), "{body}");
    }
    // A POST without any content type (fetch with no body, mode no-cors) is refused as well.
    let (status, _) = raw(addr, "POST", "/__mock/reset", &[], "").await;
    assert_eq!(status, 415);
    assert_eq!(mock.faults().pending(), 0);
    // A page's Origin is refused even with a loopback Host.
    let (status, body) = raw(
        addr,
        "POST",
        "/__mock/reset",
        &[JSON, ("origin", "https://evil.example")],
        "",
    )
    .await;
    assert_eq!(status, 403, "{body}");
    // A JSON POST from a program works.
    let (status, body) = raw(addr, "POST", "/__mock/clock/tick", &[JSON], "").await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = raw(
        addr,
        "POST",
        "/__mock/reset",
        &[JSON, ("origin", &format!("http://{addr}"))],
        "",
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_admin_token_is_required_when_set_and_never_shown() {
    let mock = MockServer::builder()
        .admin_token("s3cret-admin")
        .admin_host("mock")
        .start()
        .await;
    let addr = mock.addr();
    let (status, body) = raw(addr, "GET", "/__mock/info", &[], "").await;
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains("s3cret-admin"));
    let (status, _) = raw(
        addr,
        "GET",
        "/__mock/info",
        &[("authorization", "Bearer wrong")],
        "",
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = raw(
        addr,
        "GET",
        "/__mock/info",
        &[("authorization", "Bearer s3cret-admin")],
        "",
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = raw(
        addr,
        "GET",
        "/__mock/info",
        &[
            ("x-mock-admin-token", "s3cret-admin"),
            ("host", "mock:8787"),
        ],
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert!(!format!("{mock:?}").contains("s3cret-admin"));
    assert!(
        !format!("{:?}", MockServer::builder().admin_token("s3cret-admin"))
            .contains("s3cret-admin")
    );

    // A non-loopback address needs a token, or no admin routes.
    let refused = MockServer::builder()
        .host("0.0.0.0".parse().expect("ip"))
        .try_start()
        .await;
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("admin token"), "{message}");
    // (Refused before binding: this test listens on loopback only.)
    let off = MockServer::builder().admin_routes(false).start().await;
    let (status, _) = raw(
        off.addr(),
        "GET",
        "/__mock/info",
        &[("host", "127.0.0.1")],
        "",
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn caps_and_names_are_enforced_with_clear_errors() {
    let mock = MockServer::builder()
        .max_fault_rules(3)
        .max_latency(Duration::from_secs(2))
        .start()
        .await;
    let addr = mock.addr();
    let fault = r#"{"fault":{"kind":"server_error","status":503},"times":1,"operation":"get_certificate_pack_quota"}"#;
    for _ in 0..3 {
        let (status, body) = raw(addr, "POST", "/__mock/faults", &[JSON], fault).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = raw(addr, "POST", "/__mock/faults", &[JSON], fault).await;
    assert_eq!(status, 400);
    assert!(body.contains("limit is 3"), "{body}");
    assert_eq!(mock.faults().pending(), 3);

    let (status, body) = raw(
        addr,
        "POST",
        "/__mock/latency",
        &[JSON],
        r#"{"millis": 18446744073709551615}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("millis") && body.contains("18446744073709551615") && body.contains("2000"),
        "{body}"
    );
    let (status, _) = raw(
        addr,
        "POST",
        "/__mock/latency",
        &[JSON],
        r#"{"millis": 2000}"#,
    )
    .await;
    assert_eq!(status, 200);

    let (status, body) = raw(
        addr,
        "POST",
        "/__mock/faults",
        &[JSON],
        r#"{"fault":{"kind":"server_error","status":200}}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("fault.status") && body.contains("200") && body.contains("500-599"),
        "{body}"
    );

    let (status, body) = raw(
        addr,
        "POST",
        "/__mock/faults",
        &[JSON],
        r#"{"fault":{"kind":"drop_connection"},"operation":"get_quota"}"#,
    )
    .await;
    assert_eq!(status, 400);
    let v: Value = serde_json::from_str(&body).expect("json");
    let message = v["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("get_quota") && message.contains("get_certificate_pack_quota"),
        "{message}"
    );

    let (status, body) = raw(
        addr,
        "POST",
        "/__mock/faults",
        &[JSON],
        r#"{"fault":{"kind":"explode"}}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("rate_limited") && body.contains("explode"),
        "{body}"
    );

    let (status, body) = raw(addr, "GET", "/__mock/nothing", &[], "").await;
    assert_eq!(status, 404);
    assert!(body.contains("/__mock/faults"), "{body}");
}

#[tokio::test]
async fn the_proxy_admin_routes_refuse_a_foreign_host() {
    let mock = MockServer::start_manual().await;
    let proxy = Proxy::start(ProxyConfig::new(&mock.base_url()).expect("config"))
        .await
        .expect("proxy");
    let (status, _) = raw(
        proxy.addr(),
        "GET",
        "/__mock/violations",
        &[("host", "evil.example")],
        "",
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = raw(proxy.addr(), "GET", "/__mock/violations", &[], "").await;
    assert_eq!(status, 200);
}
