//! Part (g): the mock against Stoplight's Prism mock (`prism mock`), both serving the curated
//! document, under the same `wrk` load: requests per second per operation.
//!
//! Both servers run on the server CPU, `wrk` on the client CPU (when pinning is possible), with
//! the same threads, connections and duration; the rounds interleave the two servers and the
//! table shows the median of the rounds. Prism is installed with npm, at a pinned version, under
//! `target/bench-tools/prism/`. The part is skipped with a note (never an error) when `wrk`,
//! `node` or `npm` is missing or Prism does not start.
//!
//! What is comparable: the mock answers from its state and validates every answer against the
//! document; Prism validates each request against the document and answers the document's
//! example for the operation (`--errors`: a request that breaks the document is answered as an
//! error). So for the list pages Prism serves its one-pack example whatever `per_page` says,
//! while the mock serves 5 or 50 real packs; the byte columns show what each sent.

use std::fmt::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::drivers::{command_output, npm_install, pinned, Cpu, Mock};
use super::measure::median;
use crate::Error;

/// The Prism version measured (`@stoplight/prism-cli` on npm), pinned exactly.
pub const PRISM_VERSION: &str = "5.16.0";
/// `wrk` threads: one (the client CPU).
const WRK_THREADS: u32 = 1;
/// `wrk` connections, the same for both servers. At most 5: the order-and-delete case keeps up
/// to one extra pack per connection, and the mock's default zone has 5 free quota slots.
pub const WRK_CONNECTIONS: u32 = 4;
/// Packs seeded in the mock that serves the list pages (a 50-pack page needs 50 active packs);
/// the other cases run against the default seeding (6 packs).
const READ_PACKS: u32 = 60;

/// One measured request shape.
struct Case {
    /// The row's name.
    name: &'static str,
    /// The operations it exercises (`operationId`s).
    operations: &'static str,
    method: &'static str,
    /// Relative to the API root; `{zone}` and `{pack}` are replaced.
    path: &'static str,
    body: Option<String>,
    /// Alternate an order with the deletion of the pack it created.
    order_delete: bool,
    /// Whether the mock seeds 60 packs (a 50-pack page needs 50 active packs) instead of its
    /// default seeding (6 packs, 5 free quota slots for the orders).
    big_zone: bool,
}

/// One row of the comparison.
#[derive(Debug, Clone)]
pub(super) struct PrismRow {
    pub(super) name: String,
    pub(super) operations: String,
    /// Median requests per second of the rounds: the mock, then Prism.
    pub(super) ours: f64,
    pub(super) prism: f64,
    /// Bytes per response (transfer ÷ requests, headers included).
    pub(super) ours_bytes: f64,
    pub(super) prism_bytes: f64,
    /// Answers that were not 2xx/3xx, summed over the rounds.
    pub(super) ours_non2xx: u64,
    pub(super) prism_non2xx: u64,
}

impl PrismRow {
    pub(super) fn ratio(&self) -> f64 {
        if self.prism > 0.0 {
            self.ours / self.prism
        } else {
            0.0
        }
    }
}

/// How the comparison ran, for the report.
#[derive(Debug, Clone)]
pub(super) struct PrismRun {
    pub(super) rows: Vec<PrismRow>,
    pub(super) wrk: String,
    pub(super) node: String,
    pub(super) seconds: u32,
    pub(super) rounds: u32,
}

/// What is missing for the comparison, if anything: `wrk`, `node` or `npm`.
pub(super) fn missing_tools() -> Option<String> {
    let missing: Vec<&str> = [
        ("wrk", &["--version"][..]),
        ("node", &["--version"][..]),
        ("npm", &["--version"][..]),
    ]
    .iter()
    .filter(|(tool, args)| {
        // `wrk --version` prints its version and exits 1: only "cannot run" counts as missing.
        Command::new(tool)
            .args(*args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_err()
    })
    .map(|(tool, _)| *tool)
    .collect();
    (!missing.is_empty()).then(|| format!("{} not found on PATH", missing.join(", ")))
}

/// Installs (or finds) Prism under `dir` (an npm prefix); its entry point.
pub(super) fn prism_cli(dir: &Path) -> Result<PathBuf, Error> {
    npm_install(dir, "", &format!("@stoplight/prism-cli@{PRISM_VERSION}"))?;
    Ok(dir.join("node_modules/@stoplight/prism-cli/dist/index.js"))
}

/// A running Prism; killed on drop.
struct Prism {
    child: Child,
    origin: String,
}

impl Prism {
    fn start(cli: &Path, spec: &Path) -> Result<Prism, Error> {
        let port = free_port()?;
        let mut command = pinned("node", Cpu::Server);
        command
            .arg(cli)
            .args(["mock", "--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--errors",
                "true",
                "--dynamic",
                "false",
                "--verboseLevel",
                "warn",
            ])
            .arg(spec);
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Error::Io(format!("starting prism: {e}")))?;
        let prism = Prism {
            child,
            origin: format!("http://127.0.0.1:{port}"),
        };
        // Ready when it accepts connections (it reads and compiles the document first).
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(60) {
                return Err(Error::Failed("prism did not listen within 60 s".into()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(prism)
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, Error> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| Error::Io(format!("a free port: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::Io(format!("a free port: {e}")))
}

/// The request body the document gives as the example of `operation_id`'s request, from the
/// YAML source.
fn request_example(doc: &Value, operation_id: &str) -> Option<String> {
    let paths = doc.get("paths")?.as_object()?;
    paths
        .values()
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .find(|op| op.get("operationId").and_then(Value::as_str) == Some(operation_id))?
        .pointer("/requestBody/content/application~1json/example")
        .map(Value::to_string)
}

fn cases(doc: &Value) -> Vec<Case> {
    let case = |name, operations, method, path| Case {
        name,
        operations,
        method,
        path,
        body: None,
        order_delete: false,
        big_zone: false,
    };
    let with_body = |mut c: Case, body: &str| {
        c.body = Some(body.to_owned());
        c
    };
    let analyze = request_example(doc, "analyze_certificate").unwrap_or_default();
    vec![
        case(
            "zones by name",
            "list_zones",
            "GET",
            "/zones?name=example.com",
        ),
        case(
            "quota",
            "get_certificate_pack_quota",
            "GET",
            "/zones/{zone}/ssl/certificate_packs/quota",
        ),
        case(
            "one pack",
            "get_certificate_pack",
            "GET",
            "/zones/{zone}/ssl/certificate_packs/{pack}",
        ),
        Case {
            big_zone: true,
            ..case(
                "5-pack page",
                "list_certificate_packs",
                "GET",
                "/zones/{zone}/ssl/certificate_packs?per_page=5",
            )
        },
        Case {
            big_zone: true,
            ..case(
                "50-pack page",
                "list_certificate_packs",
                "GET",
                "/zones/{zone}/ssl/certificate_packs?per_page=50",
            )
        },
        with_body(
            case(
                "edit a pack (branding)",
                "edit_certificate_pack",
                "PATCH",
                "/zones/{zone}/ssl/certificate_packs/{pack}",
            ),
            r#"{"cloudflare_branding":false}"#,
        ),
        Case {
            order_delete: true,
            ..with_body(
                case(
                    "order, then delete it",
                    "order_certificate_pack, delete_certificate_pack",
                    "POST",
                    "/zones/{zone}/ssl/certificate_packs/order",
                ),
                r#"{"type":"advanced","hosts":["example.com","bench.example.com"],"validation_method":"txt","validity_days":90,"certificate_authority":"lets_encrypt"}"#,
            )
        },
        with_body(
            case(
                "analyze a certificate",
                "analyze_certificate",
                "POST",
                "/zones/{zone}/ssl/analyze",
            ),
            &analyze,
        ),
        case(
            "recommendation",
            "get_ssl_recommendation",
            "GET",
            "/zones/{zone}/ssl/recommendation",
        ),
        case(
            "automatic mode",
            "get_automatic_ssl_mode",
            "GET",
            "/zones/{zone}/settings/ssl_automatic_mode",
        ),
        with_body(
            case(
                "set automatic mode",
                "edit_automatic_ssl_mode",
                "PATCH",
                "/zones/{zone}/settings/ssl_automatic_mode",
            ),
            r#"{"value":"auto"}"#,
        ),
        case(
            "Universal SSL setting",
            "get_universal_ssl_settings",
            "GET",
            "/zones/{zone}/ssl/universal/settings",
        ),
        with_body(
            case(
                "set Universal SSL",
                "edit_universal_ssl_settings",
                "PATCH",
                "/zones/{zone}/ssl/universal/settings",
            ),
            r#"{"enabled":true}"#,
        ),
        case(
            "verification",
            "get_ssl_verification",
            "GET",
            "/zones/{zone}/ssl/verification",
        ),
        with_body(
            case(
                "set validation method",
                "edit_validation_method",
                "PATCH",
                "/zones/{zone}/ssl/verification/{pack}",
            ),
            r#"{"validation_method":"txt"}"#,
        ),
    ]
}

/// The `wrk` script of one case against one server: `prefix` is the API root's path (`/client/v4`
/// for the mock, empty for Prism, which serves the document's paths at its root).
fn lua_script(case: &Case, prefix: &str, zone: &str, pack: &str, token: &str) -> String {
    let path = format!(
        "{prefix}{}",
        case.path.replace("{zone}", zone).replace("{pack}", pack)
    );
    let mut s = String::new();
    let _ = writeln!(s, "wrk.method = \"{}\"", case.method);
    let _ = writeln!(s, "wrk.path = [==[{path}]==]");
    let _ = writeln!(s, "wrk.headers[\"Authorization\"] = \"Bearer {token}\"");
    let _ = writeln!(s, "wrk.headers[\"Accept\"] = \"application/json\"");
    if let Some(body) = &case.body {
        let _ = writeln!(s, "wrk.headers[\"Content-Type\"] = \"application/json\"");
        let _ = writeln!(s, "wrk.body = [==[{body}]==]");
    }
    if case.order_delete {
        // Each created pack is deleted by the next request of the thread: at most one extra pack
        // per connection exists at a time.
        let packs = format!("{prefix}/zones/{zone}/ssl/certificate_packs/");
        let _ = write!(
            s,
            r#"local created = {{}}
local delete_headers = {{ ["Authorization"] = "Bearer {token}", ["Accept"] = "application/json" }}
request = function()
  local id = table.remove(created)
  if id then
    return wrk.format("DELETE", [==[{packs}]==] .. id, delete_headers, "")
  end
  return wrk.format(nil, nil, nil, nil)
end
response = function(status, headers, body)
  if status == 200 and body:find('"hosts"', 1, true) then
    local id = body:match('"result"%s*:%s*{{%s*"id"%s*:%s*"([%w%-]+)"')
    if id then table.insert(created, id) end
  end
end
"#
        );
    }
    s
}

/// What one `wrk` run measured.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct WrkResult {
    requests_per_sec: f64,
    bytes_per_request: f64,
    non2xx: u64,
}

/// Reads `Requests/sec`, `Transfer/sec` and `Non-2xx or 3xx responses` from `wrk`'s output.
fn parse_wrk(out: &str) -> Option<WrkResult> {
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_owned()))
    };
    let requests_per_sec: f64 = field("Requests/sec:")?.parse().ok()?;
    let transfer = field("Transfer/sec:").unwrap_or_default();
    let split = transfer
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(transfer.len());
    let (number, unit) = transfer.split_at(split);
    let scale = match unit {
        "KB" => 1024.0,
        "MB" => 1024.0 * 1024.0,
        "GB" => 1024.0 * 1024.0 * 1024.0,
        _ => 1.0,
    };
    let bytes_per_sec = number.parse::<f64>().unwrap_or(0.0) * scale;
    let non2xx = field("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Some(WrkResult {
        requests_per_sec,
        bytes_per_request: if requests_per_sec > 0.0 {
            bytes_per_sec / requests_per_sec
        } else {
            0.0
        },
        non2xx,
    })
}

fn wrk(script: &Path, origin: &str, seconds: u32) -> Result<WrkResult, Error> {
    let mut command = pinned("wrk", Cpu::Client);
    command
        .arg(format!("-t{WRK_THREADS}"))
        .arg(format!("-c{WRK_CONNECTIONS}"))
        .arg(format!("-d{seconds}s"))
        .arg("-s")
        .arg(script)
        .arg(origin);
    let out = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error::Io(format!("wrk: cannot run: {e}")))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_wrk(&text).ok_or_else(|| Error::Failed(format!("wrk printed no Requests/sec: {text}")))
}

/// Runs the comparison: `rounds` interleaved rounds of `seconds` per case and server.
pub(super) fn compare(
    root: &Path,
    target: &Path,
    mock_binary: &Path,
    seconds: u32,
    rounds: u32,
) -> Result<PrismRun, Error> {
    let cli = prism_cli(&target.join("bench-tools/prism"))?;
    let spec = root.join("openapi/cloudflare-ssl.yaml");
    let text = std::fs::read_to_string(&spec).map_err(|e| Error::io("reading", &spec, e))?;
    let doc: Value = serde_norway::from_str(&text)
        .map_err(|e| Error::Failed(format!("{}: {e}", spec.display())))?;
    let scripts = target.join("bench-tools/wrk");
    std::fs::create_dir_all(&scripts).map_err(|e| Error::io("creating", &scripts, e))?;
    let prism = Prism::start(&cli, &spec)?;
    let mut rows = Vec::new();
    for case in cases(&doc) {
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        let (mut ours_bytes, mut prism_bytes) = (0.0, 0.0);
        let (mut ours_non2xx, mut prism_non2xx) = (0, 0);
        // A mock per case: mutations of one case (orders, settings) do not reach the next.
        let mock = Mock::start(mock_binary, if case.big_zone { READ_PACKS } else { 6 })?;
        let pack = first_advanced_pack(&mock)?;
        let our_script = scripts.join(format!("{}-mock.lua", slug(case.name)));
        let prism_script = scripts.join(format!("{}-prism.lua", slug(case.name)));
        crate::write_text(
            &our_script,
            &lua_script(&case, "/client/v4", &mock.zone, &pack, &mock.token),
        )?;
        crate::write_text(
            &prism_script,
            &lua_script(&case, "", &mock.zone, &pack, &mock.token),
        )?;
        println!(
            "  (g) {}: {} round(s) of {seconds} s per server",
            case.name, rounds
        );
        // A short warm-up of each (connections, JIT, caches), not counted.
        wrk(&our_script, &mock.origin, 1)?;
        if case.order_delete {
            mock.admin("POST", "reset", None)?;
        }
        wrk(&prism_script, &prism.origin, 1)?;
        for round in 0..rounds {
            let order: [bool; 2] = if round % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            };
            for is_ours in order {
                if is_ours {
                    if case.order_delete {
                        // Back to the seeded packs: a run stops with up to one ordered pack per
                        // connection not yet deleted, which would fill the quota over runs.
                        mock.admin("POST", "reset", None)?;
                    }
                    let r = wrk(&our_script, &mock.origin, seconds)?;
                    ours.push(r.requests_per_sec);
                    ours_bytes = r.bytes_per_request;
                    ours_non2xx += r.non2xx;
                } else {
                    let r = wrk(&prism_script, &prism.origin, seconds)?;
                    theirs.push(r.requests_per_sec);
                    prism_bytes = r.bytes_per_request;
                    prism_non2xx += r.non2xx;
                }
            }
        }
        let violations = mock.admin("GET", "violations", None)?;
        if violations.as_array().is_some_and(|v| !v.is_empty()) {
            return Err(Error::Failed(format!(
                "the mock reported violations of its own answers during {}: {violations}",
                case.name
            )));
        }
        rows.push(PrismRow {
            name: case.name.to_owned(),
            operations: case.operations.to_owned(),
            ours: median(&ours),
            prism: median(&theirs),
            ours_bytes,
            prism_bytes,
            ours_non2xx,
            prism_non2xx,
        });
    }
    drop(prism);
    Ok(PrismRun {
        rows,
        wrk: command_output("sh", &["-c", "wrk --version 2>&1 | head -n 1"]).unwrap_or_default(),
        node: command_output("node", &["--version"]).unwrap_or_default(),
        seconds,
        rounds,
    })
}

/// The identifier of the zone's first advanced pack (an active `txt` pack on the apex and
/// `*.example.com`): the target of the pack reads and edits.
fn first_advanced_pack(mock: &Mock) -> Result<String, Error> {
    let page = mock.list_page(5)?;
    page["result"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["type"] == "advanced")
        .and_then(|p| p["id"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| Error::Failed("the mock lists no advanced pack".into()))
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The Markdown section of part (g).
pub(super) fn prism_table(run: &PrismRun) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n### (g) The mock against Prism, requests per second\n\n\
         `wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{}s` ({}), {} interleaved round(s) per case, \
         median; each server on the server CPU, wrk on the client CPU. The mock: release binary, \
         `--no-rate-limit --manual-clock`, every answer validated against the document (no \
         violation reported). Prism: `@stoplight/prism-cli` {PRISM_VERSION} on Node {}, \
         `prism mock --errors true --dynamic false --verboseLevel warn openapi/cloudflare-ssl.yaml` \
         (requests and its answers validated, no log line per request, the document's examples served: its list pages hold one pack whatever \
         `per_page` asks). Goal: ≥ 10× Prism on every row.\n",
        run.seconds, run.wrk, run.rounds, run.node
    );
    let _ = writeln!(
        s,
        "| request | operations | mock req/s | Prism req/s | mock ÷ Prism | bytes per answer (mock / Prism) | non-2xx (mock / Prism) |\n|---|---|---|---|---|---|---|"
    );
    for r in &run.rows {
        let _ = writeln!(
            s,
            "| {} | `{}` | {:.0} | {:.0} | {:.1}× {} | {:.0} / {:.0} | {} / {} |",
            r.name,
            r.operations.replace(", ", "`, `"),
            r.ours,
            r.prism,
            r.ratio(),
            if r.ratio() >= 10.0 { "✅" } else { "❌" },
            r.ours_bytes,
            r.prism_bytes,
            r.ours_non2xx,
            r.prism_non2xx
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_parses() {
        let out = "Running 5s test @ http://127.0.0.1:1\n  1 threads and 4 connections\n\
                   16 requests in 5.00s, 1.00MB read\n  Non-2xx or 3xx responses: 3\n\
                   Requests/sec:   1024.50\nTransfer/sec:      2.00MB\n";
        let r = parse_wrk(out).expect("parses");
        assert!((r.requests_per_sec - 1024.5).abs() < 1e-9);
        assert_eq!(r.non2xx, 3);
        assert!((r.bytes_per_request - 2.0 * 1024.0 * 1024.0 / 1024.5).abs() < 1e-6);
        assert!(parse_wrk("no numbers").is_none());
    }

    #[test]
    fn scripts_name_the_server_paths_and_delete_what_they_order() {
        let doc = serde_json::json!({});
        let all = cases(&doc);
        let order = all.iter().find(|c| c.order_delete).expect("an order case");
        let s = lua_script(order, "/client/v4", "z1", "p1", "t");
        assert!(s.contains("wrk.path = [==[/client/v4/zones/z1/ssl/certificate_packs/order]==]"));
        assert!(s.contains("\"DELETE\", [==[/client/v4/zones/z1/ssl/certificate_packs/]==] .. id"));
        let get = all
            .iter()
            .find(|c| c.name == "one pack")
            .expect("a get case");
        let s = lua_script(get, "", "z1", "p1", "t");
        assert!(
            s.contains("wrk.path = [==[/zones/z1/ssl/certificate_packs/p1]==]"),
            "{s}"
        );
        assert!(!s.contains("request = function"));
    }

    #[test]
    fn the_table_flags_rows_under_ten_times() {
        let row = |name: &str, ours, prism| PrismRow {
            name: name.into(),
            operations: "a, b".into(),
            ours,
            prism,
            ours_bytes: 100.0,
            prism_bytes: 200.0,
            ours_non2xx: 0,
            prism_non2xx: 0,
        };
        let t = prism_table(&PrismRun {
            rows: vec![
                row("fast", 30_000.0, 2_000.0),
                row("slow", 5_000.0, 2_000.0),
            ],
            wrk: "wrk 4.1.0".into(),
            node: "v20".into(),
            seconds: 5,
            rounds: 3,
        });
        assert!(
            t.contains("| fast | `a`, `b` | 30000 | 2000 | 15.0× ✅ |"),
            "{t}"
        );
        assert!(
            t.contains("| slow | `a`, `b` | 5000 | 2000 | 2.5× ❌ |"),
            "{t}"
        );
    }
}
