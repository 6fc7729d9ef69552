//! The binary's machine-readable start lines and its subcommands: `--json`, `--print-env`,
//! `proxy` and `replay`.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use cloudflare_ssl_mock::{MockServer, DEFAULT_ZONE_ID};
use serde_json::Value;

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_client() -> reqwest::Client {
    let _ = cloudflare_ssl_mock::crypto_provider().install_default();
    reqwest::Client::new()
}

/// Starts the binary and returns it with the first `n` lines of its stdout (30 s at most).
async fn start(args: &[&str], n: usize) -> (KillOnDrop, Vec<String>, BufReader<ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cloudflare-ssl-mock"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let child = KillOnDrop(child);
    let read = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stdout);
        let mut lines = Vec::new();
        for _ in 0..n {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            lines.push(line.trim_end().to_owned());
        }
        (lines, reader)
    });
    let (lines, reader) = tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("start lines within 30 s")
        .expect("reader thread");
    (child, lines, reader)
}

#[tokio::test]
async fn json_start_line_and_help_route_with_fault_kinds() {
    let (_child, lines, _) = start(&["--port", "0", "--json", "--preset", "demo"], 1).await;
    let info: Value = serde_json::from_str(&lines[0]).expect("one JSON object on the first line");
    assert_eq!(info["mode"], "serve");
    assert_eq!(info["zone_id"], DEFAULT_ZONE_ID);
    assert_eq!(info["preset"], "demo");
    let base = info["base_url"].as_str().expect("base_url");
    let http = http_client();
    let quota: Value = http
        .get(format!(
            "{base}/zones/{DEFAULT_ZONE_ID}/ssl/certificate_packs/quota"
        ))
        .bearer_auth(info["token"].as_str().expect("token"))
        .send()
        .await
        .expect("serves")
        .json()
        .await
        .expect("JSON");
    assert_eq!(quota["result"]["advanced"]["allocated"], 10);
    let help: Value = http
        .get(format!(
            "{}/",
            info["admin_url"].as_str().expect("admin_url")
        ))
        .send()
        .await
        .expect("admin")
        .json()
        .await
        .expect("JSON");
    let kinds: Vec<&str> = help["fault_kinds"]
        .as_array()
        .expect("fault kinds")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"rate_limited") && kinds.contains(&"set_field"),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn print_env_prints_only_export_lines() {
    let (mut child, lines, mut rest) = start(&["--port", "0", "--print-env"], 3).await;
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("export CLOUDFLARE_BASE_URL=http://127.0.0.1:"));
    assert!(lines[1].starts_with("export CLOUDFLARE_API_TOKEN="));
    assert_eq!(
        lines[2],
        format!("export CLOUDFLARE_ZONE_ID={DEFAULT_ZONE_ID}")
    );
    // Nothing else on stdout.
    let _ = child.0.kill();
    let _ = child.0.wait();
    let mut tail = String::new();
    let _ = rest.read_to_string(&mut tail);
    assert_eq!(tail, "");
}

#[tokio::test]
async fn proxy_and_replay_subcommands() {
    let mock = MockServer::start_manual().await;
    let dir = std::env::temp_dir();
    let stamp = format!("{}-{:?}", std::process::id(), std::time::Instant::now());
    let stamp: String = stamp.chars().filter(char::is_ascii_alphanumeric).collect();
    let report = dir.join(format!("cfmock-bin-report-{stamp}.jsonl"));
    let recording = dir.join(format!("cfmock-bin-session-{stamp}.jsonl"));
    let report_arg = report.display().to_string();
    let recording_arg = recording.display().to_string();
    let upstream = mock.base_url();
    let (proxy, lines, _) = start(
        &[
            "proxy",
            "--upstream",
            &upstream,
            "--port",
            "0",
            "--json",
            "--report",
            &report_arg,
            "--record",
            &recording_arg,
        ],
        1,
    )
    .await;
    let info: Value = serde_json::from_str(&lines[0]).expect("JSON start line");
    assert_eq!(info["mode"], "proxy");
    assert_eq!(info["upstream"], upstream.as_str());
    let base = info["base_url"].as_str().expect("base_url").to_owned();
    let http = http_client();
    let ok = http
        .get(format!(
            "{base}/zones/{DEFAULT_ZONE_ID}/ssl/certificate_packs/quota"
        ))
        .bearer_auth(mock.token())
        .send()
        .await
        .expect("through the proxy");
    assert_eq!(ok.status(), 200);
    let bad = http
        .get(format!(
            "{base}/zones/{DEFAULT_ZONE_ID}/ssl/certificate_packs?per_page=500"
        ))
        .bearer_auth(mock.token())
        .send()
        .await
        .expect("through the proxy");
    assert_eq!(bad.status(), 400);
    let violations: Value = http
        .get(format!(
            "{}/__mock/violations",
            base.trim_end_matches("/client/v4")
        ))
        .send()
        .await
        .expect("violations")
        .json()
        .await
        .expect("JSON");
    assert_eq!(violations.as_array().map(Vec::len), Some(1), "{violations}");
    assert_eq!(violations[0]["pointer"], "/per_page");
    drop(proxy);
    let report_text = std::fs::read_to_string(&report).unwrap_or_default();
    assert_eq!(report_text.lines().count(), 1, "{report_text}");
    assert!(!report_text.contains(mock.token()));
    let recorded = std::fs::read_to_string(&recording).unwrap_or_default();
    assert_eq!(recorded.lines().count(), 2);
    assert!(!recorded.contains(mock.token()));

    let (_replay, lines, _) = start(&["replay", &recording_arg, "--port", "0", "--json"], 1).await;
    let info: Value = serde_json::from_str(&lines[0]).expect("JSON start line");
    assert_eq!(info["mode"], "replay");
    assert_eq!(info["exchanges"], 2);
    assert_eq!(info["zone_id"], DEFAULT_ZONE_ID);
    let base = info["base_url"].as_str().expect("base_url");
    let quota: Value = http
        .get(format!(
            "{base}/zones/{DEFAULT_ZONE_ID}/ssl/certificate_packs/quota"
        ))
        .send()
        .await
        .expect("replayed")
        .json()
        .await
        .expect("JSON");
    assert_eq!(quota["result"]["advanced"]["allocated"], 10);
    let _ = std::fs::remove_file(&report);
    let _ = std::fs::remove_file(&recording);
}

#[test]
fn a_plain_http_remote_upstream_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_cloudflare-ssl-mock"))
        .args([
            "proxy",
            "--upstream",
            "http://api.cloudflare.com/client/v4",
            "--port",
            "0",
        ])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("loopback"), "{stderr}");
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cloudflare-ssl-mock"))
        .args(args)
        .env_remove("CLOUDFLARE_SSL_MOCK_ADMIN_TOKEN")
        .output()
        .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_per_command_short_usage_errors_and_no_open_admin_on_every_interface() {
    let (code, out, _) = run(&["proxy", "--help"]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("--upstream") && out.contains("--max-connections"),
        "{out}"
    );
    assert!(!out.contains("--preset"), "{out}");
    let (_, out, _) = run(&["replay", "--help"]);
    assert!(
        out.contains("--max-line") && !out.contains("--upstream"),
        "{out}"
    );
    let (_, out, _) = run(&["--help"]);
    assert!(
        out.contains("COMMAND --help") && out.lines().count() < 15,
        "{out}"
    );

    let (code, out, err) = run(&["proxy", "--packs", "3"]);
    assert_eq!(code, Some(2));
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 3, "{err}");
    assert!(
        err.contains("--packs") && err.contains("cloudflare-ssl-mock proxy --help"),
        "{err}"
    );

    // Refused before it binds: every interface with open admin routes.
    let (code, _, err) = run(&["--host", "0.0.0.0", "--port", "0"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("admin token") && err.contains("--no-admin"),
        "{err}"
    );
}
