//! Security checks: secrets never show, never travel in clear text, never follow a redirect.
//!
//! * No API token, Global API key or user service key appears in the `Debug` of the client, its
//!   builder, credentials or errors, in any error's `Display`, or in anything logged — through
//!   `tracing` (every level, every span field, with a global subscriber so events from every
//!   thread count) or through the `log` crate (which reqwest logs to).
//! * Credentials are never sent over plain http to a non-loopback host: the builder refuses.
//! * Credentials are not forwarded on a redirect to another host: the client follows no
//!   redirect at all, so the other host gets no request, and the caller gets an error.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use cloudflare_ssl::{Client, ClientBuilder, Credentials, Error, RetryPolicy};
use serde_json::json;
use support::{Reply, TestServer, ZONE};

const TOKEN: &str = "tok-SECRET-a1b2c3";
const KEY: &str = "key-SECRET-d4e5f6";
const SERVICE_KEY: &str = "v1.0-SECRET-g7h8i9";
const EMAIL: &str = "me@example.com";
/// Every secret above contains this; nothing a person can read may.
const MARKER: &str = "SECRET";

fn credentials() -> [Credentials; 3] {
    [
        Credentials::api_token(TOKEN),
        Credentials::api_key(EMAIL, KEY),
        Credentials::user_service_key(SERVICE_KEY),
    ]
}

fn assert_hidden(what: &str, text: &str) {
    for secret in [TOKEN, KEY, SERVICE_KEY, MARKER] {
        assert!(!text.contains(secret), "{what} shows a secret: {text}");
    }
}

/// Debug output hides the account's email (half of a Global API key credential) as well.
fn assert_hidden_with_email(what: &str, text: &str) {
    assert_hidden(what, text);
    assert!(!text.contains(EMAIL), "{what} shows the email: {text}");
}

// ---------------------------------------------------------------------------------------------
// Capturing everything logged, once per test binary.

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

struct LogCapture(Buffer);

impl log::Log for LogCapture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let _ = writeln!(
            self.0.clone(),
            "log {} {}: {}",
            record.level(),
            record.target(),
            record.args()
        );
    }
    fn flush(&self) {}
}

/// The captured output of every test so far; installs the capture on first use.
fn captured() -> &'static Buffer {
    static CAPTURE: OnceLock<Buffer> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(buffer.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_target(true)
            // Every span's fields on every event, and span opens and closes.
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        log::set_boxed_logger(Box::new(LogCapture(buffer.clone()))).expect("one logger");
        log::set_max_level(log::LevelFilter::Trace);
        buffer
    })
}

fn captured_text() -> String {
    String::from_utf8_lossy(&captured().0.lock().unwrap()).into_owned()
}

fn client(server: &TestServer, credentials: Credentials) -> Client {
    Client::builder()
        .credentials(credentials)
        .base_url(&server.base_url)
        .retry(
            RetryPolicy::default()
                .initial_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(2))
                .max_retry_after(Duration::from_millis(2)),
        )
        .build()
        .expect("client")
}

// ---------------------------------------------------------------------------------------------
// Debug and Display.

#[test]
fn debug_of_credentials_builder_and_client_hides_secrets() {
    for c in credentials() {
        assert_hidden_with_email("Credentials", &format!("{c:?} {c:#?}"));
        let builder = Client::builder()
            .credentials(c)
            .base_url("https://api.example.com/client/v4");
        assert_hidden_with_email("ClientBuilder", &format!("{builder:?} {builder:#?}"));
        let client = builder.build().expect("client");
        assert_hidden_with_email("Client", &format!("{client:?} {client:#?}"));
        let zone = client.zone(ZONE).expect("zone");
        assert_hidden("Zone", &format!("{zone:?} {zone:#?}"));
        let packs = zone.certificate_packs();
        assert_hidden("CertificatePacks", &format!("{packs:?}"));
        assert_hidden("list", &format!("{:?}", packs.list()));
    }
    // The builder read from the environment, too.
    let builder = ClientBuilder::from_lookup(|name| match name {
        "CLOUDFLARE_API_KEY" => Some(KEY.into()),
        "CLOUDFLARE_EMAIL" => Some(EMAIL.into()),
        _ => None,
    })
    .expect("builder");
    assert_hidden_with_email("ClientBuilder::from_lookup", &format!("{builder:?}"));
}

#[test]
fn configuration_errors_hide_secrets() {
    // A secret with a character no header may hold: the error names the field, not the value.
    for c in [
        Credentials::api_token(format!("{TOKEN}\n")),
        Credentials::api_key(EMAIL, format!("{KEY}\r\n")),
        Credentials::user_service_key(format!("{SERVICE_KEY}\u{7f}")),
        Credentials::api_token(format!("{TOKEN}\0")),
    ] {
        let err = Client::builder()
            .credentials(c)
            .build()
            .expect_err("invalid header value");
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
        assert_hidden("InvalidInput", &format!("{err} {err:?}"));
    }
    // Plain http to a non-loopback host.
    for c in credentials() {
        let err = Client::builder()
            .credentials(c)
            .base_url("http://api.example.com/client/v4")
            .build()
            .expect_err("refused");
        assert_hidden("Config", &format!("{err} {err:?}"));
    }
    // A key without its email.
    let err = ClientBuilder::from_lookup(|n| (n == "CLOUDFLARE_API_KEY").then(|| KEY.to_owned()))
        .expect_err("no email");
    assert_hidden("Config", &format!("{err} {err:?}"));
}

/// Every path a call can end on — success, API error, retries, timeout, dropped connection,
/// refused connection, HTML page, wrongly shaped success — with every kind of credential: no
/// error's `Display` or `Debug`, and nothing traced or logged, shows a secret.
#[tokio::test]
async fn errors_and_traces_of_every_path_hide_secrets() {
    captured();
    for c in credentials() {
        let server = TestServer::start(|_| Reply::ok(json!({"advanced": {"allocated": 1}}))).await;
        let client = client(&server, c.clone());
        let zone = client.zone(ZONE).expect("zone");
        let packs = zone.certificate_packs();

        // Success.
        packs.quota().await.expect("success");
        // API error, with a cf-ray.
        server.script([Reply::error(403, 10000, "Authentication error")]);
        let err = packs.quota().await.expect_err("403");
        assert!(matches!(err, Error::Api(_)));
        assert_hidden("Api error", &format!("{err} {err:?}"));
        // Retries, then an error: 429 with Retry-After, then 503s.
        server.script([
            Reply::error(429, 971, "Too many requests").with_header("retry-after", "1"),
            Reply::error(503, 10002, "Internal"),
            Reply::error(503, 10002, "Internal"),
        ]);
        let err = packs.quota().await.expect_err("retries exhausted");
        assert_hidden("retried error", &format!("{err} {err:?}"));
        // Retries, then success.
        server.script([Reply::Drop, Reply::error(502, 10002, "Bad gateway")]);
        packs.quota().await.expect("recovers");
        // Timeout.
        server.script([Reply::Delay(
            Duration::from_millis(500),
            Box::new(Reply::ok(json!({}))),
        )]);
        let err = packs
            .quota()
            .timeout(Duration::from_millis(20))
            .retry(RetryPolicy::none())
            .await
            .expect_err("timeout");
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
        assert_hidden("Timeout", &format!("{err} {err:?}"));
        // Dropped connection.
        server.script([Reply::Drop, Reply::Drop, Reply::Drop]);
        let err = packs.quota().await.expect_err("dropped");
        assert!(matches!(err, Error::Transport { .. }), "{err:?}");
        assert_hidden("Transport", &format!("{err} {err:?}"));
        // HTML page.
        server.script([Reply::Raw(
            403,
            "text/html",
            "<html><body>Access denied</body></html>".into(),
        )]);
        let err = packs.quota().await.expect_err("html");
        assert!(matches!(err, Error::UnexpectedResponse { .. }), "{err:?}");
        assert_hidden("UnexpectedResponse", &format!("{err} {err:?}"));
        // A success of the wrong shape.
        server.script([Reply::ok(json!({"advanced": {"allocated": "ten"}}))]);
        let err = packs.quota().await.expect_err("decode");
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        assert_hidden("Decode", &format!("{err} {err:?}"));
        // Input rejected before sending.
        let err = packs.get("").await.expect_err("empty id");
        assert_hidden("InvalidInput", &format!("{err} {err:?}"));

        // Connection refused: a port nothing listens on.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr")
        };
        let refused = Client::builder()
            .credentials(c)
            .base_url(format!("http://{closed}/client/v4"))
            .retry(RetryPolicy::none())
            .build()
            .expect("client");
        let err = refused
            .zone(ZONE)
            .expect("zone")
            .certificate_packs()
            .quota()
            .await
            .expect_err("refused");
        assert!(matches!(err, Error::Connect { .. }), "{err:?}");
        assert_hidden("Connect", &format!("{err} {err:?}"));

        // The secrets did reach the server, in the headers they belong in.
        let sent = server.last();
        let on_wire = [
            sent.header("authorization"),
            sent.header("x-auth-key"),
            sent.header("x-auth-user-service-key"),
        ];
        assert!(on_wire.iter().flatten().any(|v| v.contains(MARKER)));
    }

    let text = captured_text();
    // The capture works, at every level the crate uses, including span fields.
    assert!(text.contains("cloudflare_ssl.request"), "{text}");
    assert!(text.contains("retrying"), "{text}");
    assert!(
        text.contains("operation=\"get_certificate_pack_quota\"")
            || text.contains("operation=get_certificate_pack_quota"),
        "{text}"
    );
    assert!(text.contains("request failed"), "{text}");
    // Dependencies' own output: hyper-util traces, reqwest logs through `log`.
    assert!(text.contains("hyper_util::client"), "{text}");
    assert!(text.contains("log DEBUG reqwest::connect"), "{text}");
    assert_hidden("the captured tracing and log output", &text);
}

// ---------------------------------------------------------------------------------------------
// Plain http.

#[test]
fn credentials_never_go_over_plain_http_to_another_host() {
    let refused = [
        "http://api.cloudflare.com/client/v4",
        "http://api.example.com",
        "http://10.0.0.1:8080/client/v4",
        "http://192.168.1.1/",
        "http://[2001:db8::1]/",
        "http://localhost.example.com/",
        // Userinfo that looks like a loopback host: the host is example.com.
        "http://127.0.0.1@example.com/",
        "HTTP://API.EXAMPLE.COM/",
    ];
    for url in refused {
        for c in credentials() {
            let err = Client::builder()
                .credentials(c)
                .base_url(url)
                .build()
                .expect_err(url);
            // A URL with userinfo is refused before its scheme is looked at.
            let expected = if url.contains('@') {
                "user name or password"
            } else {
                "plain http"
            };
            assert!(
                matches!(&err, Error::Config(m) if m.contains(expected)),
                "{url}: {err}"
            );
        }
        // Through the environment too.
        let err = ClientBuilder::from_lookup(|n| match n {
            "CLOUDFLARE_API_TOKEN" => Some(TOKEN.into()),
            "CLOUDFLARE_BASE_URL" => Some(url.into()),
            _ => None,
        })
        .expect("builder")
        .build()
        .expect_err(url);
        assert!(matches!(err, Error::Config(_)), "{url}: {err}");
    }
    for url in [
        "http://127.0.0.1:8787/client/v4",
        "http://127.10.0.1/",
        "http://localhost:1/",
        "http://[::1]:9/",
        "https://api.example.com/client/v4",
    ] {
        for c in credentials() {
            Client::builder()
                .credentials(c)
                .base_url(url)
                .build()
                .unwrap_or_else(|e| panic!("{url}: {e}"));
        }
    }
    // Other schemes are refused whatever the host.
    for url in ["ftp://127.0.0.1/", "ws://127.0.0.1/", "file:///tmp/x"] {
        assert!(
            Client::builder()
                .api_token(TOKEN)
                .base_url(url)
                .build()
                .is_err(),
            "{url}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Redirects.

fn credential_headers(r: &support::Recorded) -> Vec<String> {
    [
        "authorization",
        "x-auth-email",
        "x-auth-key",
        "x-auth-user-service-key",
    ]
    .into_iter()
    .filter(|h| r.headers.contains_key(*h))
    .map(str::to_owned)
    .collect()
}

#[tokio::test]
async fn credentials_do_not_follow_a_redirect_to_another_host() {
    let other = TestServer::start(|_| Reply::ok(json!({"advanced": {"allocated": 1}}))).await;
    let other_port = other
        .base_url
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .expect("port")
        .to_owned();
    // `localhost` is another host than `127.0.0.1` as far as redirects go; the same host on
    // another port is another origin.
    let targets = [
        format!("http://localhost:{other_port}/client/v4/zones/{ZONE}/ssl/certificate_packs/quota"),
        format!(
            "{}/zones/{ZONE}/ssl/certificate_packs/quota",
            other.base_url
        ),
    ];
    for status in [301, 302, 303, 307, 308] {
        for target in &targets {
            let location = target.clone();
            let first = TestServer::start(move |_| {
                Reply::Json(status, json!({}), vec![("location", location.clone())])
            })
            .await;
            for c in credentials() {
                let client = client(&first, c);
                let err = client
                    .zone(ZONE)
                    .expect("zone")
                    .certificate_packs()
                    .quota()
                    .await
                    .expect_err("a redirect is not a response of the API");
                match &err {
                    Error::UnexpectedResponse { status: got, .. } => assert_eq!(*got, status),
                    other => panic!("{status} -> {target}: {other:?}"),
                }
                assert_hidden("redirect error", &format!("{err} {err:?}"));
            }
            assert_eq!(
                first.count(),
                3,
                "one request per credential kind, no retry"
            );
            assert!(
                credential_headers(&first.last()).len() == 1
                    || credential_headers(&first.last()).len() == 2
            );
        }
    }
    assert_eq!(
        other.count(),
        0,
        "the redirect target got requests: {:?}",
        other
            .requests()
            .iter()
            .map(credential_headers)
            .collect::<Vec<_>>()
    );

    // Control: the same setup with a client that does follow redirects reaches the other
    // server, and (reqwest strips only `Authorization` across hosts) carries X-Auth-Key along:
    // exactly what disabling redirects prevents.
    let location = targets[0].clone();
    let first = TestServer::start(move |_| {
        Reply::Json(302, json!({}), vec![("location", location.clone())])
    })
    .await;
    let _ = cloudflare_ssl_mock::crypto_provider().install_default();
    let follower = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .expect("reqwest client");
    let response = follower
        .get(format!(
            "{}/zones/{ZONE}/ssl/certificate_packs/quota",
            first.base_url
        ))
        .header("x-auth-email", EMAIL)
        .header("x-auth-key", KEY)
        .send()
        .await
        .expect("followed");
    assert_eq!(response.status(), 200);
    assert_eq!(other.count(), 1, "the control reached the other host");
    assert_eq!(other.last().header("x-auth-key"), Some(KEY));
}
