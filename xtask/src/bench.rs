//! `cargo xtask bench`: the end-to-end benchmark harness (issue #6).
//!
//! One run, all against the crate's mock (`cloudflare-ssl-mock`, a separate process on
//! 127.0.0.1), measuring:
//!
//! * **micro**: the criterion benchmarks of `benches/micro.rs` (decode, envelope, request);
//! * **(a) per-request overhead**: N sequential `GET` of one certificate pack with this crate,
//!   with a bare reqwest + serde_json program (the floor), with Cloudflare's official Python SDK
//!   and with the official TypeScript SDK, in interleaved rounds;
//! * **(b) listing 2,000 packs** (40 pages of 50) with 20 ms of latency injected by the mock on
//!   every list request: this crate sequential and with prefetch, the floor, and the SDKs'
//!   auto-pagination;
//! * **(c) peak memory** (`VmHWM`) of a process walking 2,000 and 10,000 packs, streaming vs
//!   collecting;
//! * **(d) build times**: a clean build of the crate (in a scratch target directory), a no-op
//!   rebuild (which must not rerun `build.rs`), and the crate alone after `cargo clean -p`.
//!
//! The SDKs are installed under `target/bench-sdks/` (a Python venv and an npm prefix) by the
//! harness itself. The results go between markers in `BENCHMARKS.md` (the analysis around them
//! is kept) and into an SVG chart of the ratios.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Error;
use serde_json::{json, Value};

const BEGIN: &str =
    "<!-- bench:begin (written by `cargo xtask bench`; edit outside the markers) -->";
const END: &str = "<!-- bench:end -->";
const LIST_PACKS: u32 = 2_000;
const BIG_PACKS: u32 = 10_000;
const LIST_LATENCY_MS: u64 = 20;

/// Options of `cargo xtask bench`.
struct Options {
    quick: bool,
    requests: u32,
    rounds: u32,
    prefetch: u32,
    sdks: bool,
    micro: bool,
    build_time: bool,
    release_build: bool,
    python_sdk: String,
    ts_sdk: String,
    out: PathBuf,
    chart: PathBuf,
}

fn parse(root: &Path, args: &[String]) -> Result<Options, Error> {
    let mut o = Options {
        quick: false,
        requests: 250,
        rounds: 20,
        prefetch: 8,
        sdks: true,
        micro: true,
        build_time: true,
        release_build: false,
        python_sdk: "5.9.0".into(),
        ts_sdk: "7.3.0".into(),
        out: root.join("BENCHMARKS.md"),
        chart: root.join("benches/ratios.svg"),
    };
    let mut explicit = (false, false);
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| iter.next().cloned())
                .ok_or_else(|| Error::Usage(format!("`{name}` needs a value")))
        };
        let number = |v: String| {
            v.parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| Error::Usage(format!("`{name}`: `{v}` is not a positive number")))
        };
        match name {
            "--quick" => o.quick = true,
            "--requests" => {
                o.requests = number(value()?)?;
                explicit.0 = true;
            }
            "--rounds" => {
                o.rounds = number(value()?)?;
                explicit.1 = true;
            }
            "--prefetch" => o.prefetch = number(value()?)?,
            "--no-sdks" => o.sdks = false,
            "--no-micro" => o.micro = false,
            "--no-build-time" => o.build_time = false,
            "--build-profile" => match value()?.as_str() {
                "dev" | "debug" => o.release_build = false,
                "release" => o.release_build = true,
                other => {
                    return Err(Error::Usage(format!(
                        "`--build-profile`: `{other}` is not dev or release"
                    )))
                }
            },
            "--python-sdk" => o.python_sdk = value()?,
            "--ts-sdk" => o.ts_sdk = value()?,
            "--out" => o.out = root.join(value()?),
            "--chart" => o.chart = root.join(value()?),
            _ => return Err(Error::Usage(format!("`bench` does not take `{arg}`"))),
        }
    }
    if o.quick {
        if !explicit.0 {
            o.requests = 100;
        }
        if !explicit.1 {
            o.rounds = 3;
        }
    }
    Ok(o)
}

// ---------------------------------------------------------------------------------------------
// Statistics

fn median(values: &[f64]) -> f64 {
    percentile(values, 0.5)
}

/// Linear-interpolated percentile (`q` in 0..=1); NaN for no values.
fn percentile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// Spread of per-round medians relative to their median: (max - min) / median.
fn spread(round_medians: &[f64]) -> f64 {
    let lo = round_medians.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = round_medians
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    (hi - lo) / median(round_medians)
}

/// The headline latency of a client: the median of its per-round medians, so one disturbed round
/// (the machine is shared) moves it less than a pooled median.
fn headline(g: &GetResult) -> f64 {
    median(&g.round_medians)
}

fn nanos(v: &Value, key: &str) -> Result<Vec<f64>, Error> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .ok_or_else(|| Error::Failed(format!("driver output without `{key}`: {v}")))
}

// ---------------------------------------------------------------------------------------------
// Processes and HTTP

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn run_status(cmd: &mut Command, what: &str) -> Result<(), Error> {
    let status = cmd
        .status()
        .map_err(|e| Error::Io(format!("{what}: cannot run: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Failed(format!("{what}: {status}")))
    }
}

/// Runs a driver and parses the JSON object it prints last.
fn run_json(cmd: &mut Command, what: &str) -> Result<Value, Error> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error::Io(format!("{what}: cannot run: {e}")))?;
    if !out.status.success() {
        return Err(Error::Failed(format!("{what}: {}", out.status)));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or("");
    serde_json::from_str(line)
        .map_err(|e| Error::Failed(format!("{what}: unreadable output ({e}): {text}")))
}

/// A tiny HTTP/1.1 client for the mock (admin routes, one listing page): no extra dependency.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<Value, Error> {
    let io = |e: std::io::Error| Error::Io(format!("{method} http://{addr}{path}: {e}"));
    let mut stream = TcpStream::connect(addr).map_err(io)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(io)?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    if let Some(t) = token {
        let _ = write!(request, "Authorization: Bearer {t}\r\n");
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).map_err(io)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(io)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).unwrap_or("?");
    if !status.starts_with('2') {
        return Err(Error::Failed(format!(
            "{method} {path}: HTTP {status}: {body}"
        )));
    }
    if body.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(body).map_err(|e| Error::Failed(format!("{method} {path}: {e}: {body}")))
}

/// A running `cloudflare-ssl-mock`; killed on drop.
struct Mock {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    base_url: String,
    addr: String,
    token: String,
    zone: String,
}

impl Mock {
    fn start(binary: &Path, packs: u32) -> Result<Mock, Error> {
        let mut child = Command::new(binary)
            .args([
                "--port",
                "0",
                "--no-rate-limit",
                "--manual-clock",
                "--packs",
            ])
            .arg((packs - 1).to_string()) // plus the zone's universal pack
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Error::Io(format!("starting {}: {e}", binary.display())))?;
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let (mut base_url, mut token, mut zone) = (String::new(), String::new(), String::new());
        let mut line = String::new();
        loop {
            line.clear();
            if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                let _ = child.kill();
                return Err(Error::Failed("the mock exited before it was ready".into()));
            }
            let l = line.trim();
            if let Some(v) = l.strip_prefix("CLOUDFLARE_BASE_URL=") {
                base_url = v.to_owned();
            } else if let Some(v) = l.strip_prefix("CLOUDFLARE_API_TOKEN=") {
                token = v.to_owned();
            } else if let Some(v) = l.strip_prefix("CLOUDFLARE_ZONE_ID=") {
                zone = v.to_owned();
            } else if l.starts_with("Press Ctrl-C") {
                break;
            }
        }
        let addr = base_url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let mock = Mock {
            child,
            _stdout: stdout,
            base_url,
            addr,
            token,
            zone,
        };
        let page = mock.list_page(5)?;
        let total = page["result_info"]["total_count"].as_u64().unwrap_or(0);
        if total != u64::from(packs) {
            return Err(Error::Failed(format!(
                "the mock lists {total} packs, not {packs}"
            )));
        }
        Ok(mock)
    }

    fn list_page(&self, per_page: u32) -> Result<Value, Error> {
        http(
            &self.addr,
            "GET",
            &format!(
                "/client/v4/zones/{}/ssl/certificate_packs?per_page={per_page}",
                self.zone
            ),
            Some(&self.token),
            None,
        )
    }

    fn admin(&self, method: &str, route: &str, body: Option<&Value>) -> Result<Value, Error> {
        http(&self.addr, method, &format!("/__mock/{route}"), None, body)
    }

    fn requests(&self, operation: &str) -> Result<u64, Error> {
        Ok(
            self.admin("GET", "counters", None)?["by_operation"][operation]
                .as_u64()
                .unwrap_or(0),
        )
    }

    fn common_args(&self) -> Vec<String> {
        vec![
            "--base-url".into(),
            self.base_url.clone(),
            "--token".into(),
            self.token.clone(),
            "--zone".into(),
            self.zone.clone(),
        ]
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Setup

struct Env {
    root: PathBuf,
    target: PathBuf,
    mock: PathBuf,
    crate_driver: PathBuf,
    raw_driver: PathBuf,
    python: Option<(PathBuf, String)>,
    node: Option<(PathBuf, String)>,
    notes: Vec<String>,
}

impl Env {
    fn clients(&self) -> Vec<Client> {
        let mut clients = vec![Client::Crate, Client::Raw, Client::RawTyped];
        if self.python.is_some() {
            clients.push(Client::Python);
        }
        if self.node.is_some() {
            clients.push(Client::Node);
        }
        clients
    }

    /// The command that runs `client`'s driver in `mode`.
    fn driver(&self, client: Client, mode: &str, mock: &Mock, extra: &[String]) -> Command {
        let mut cmd = match client {
            Client::Crate | Client::CratePrefetch => Command::new(&self.crate_driver),
            Client::Raw | Client::RawTyped => Command::new(&self.raw_driver),
            Client::Python => {
                let (python, _) = self.python.as_ref().expect("python SDK installed");
                let mut c = Command::new(python);
                c.arg(self.root.join("benches/e2e/python_sdk.py"));
                c
            }
            Client::Node => {
                let (prefix, _) = self.node.as_ref().expect("TypeScript SDK installed");
                let mut c = Command::new("node");
                c.arg(self.root.join("benches/e2e/ts_sdk.mjs"))
                    .env("CF_BENCH_NODE_PREFIX", prefix);
                c
            }
        };
        cmd.arg(mode).args(mock.common_args()).args(extra);
        if client == Client::RawTyped {
            cmd.args(["--decode", "typed"]);
        }
        cmd
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Client {
    Crate,
    CratePrefetch,
    Raw,
    RawTyped,
    Python,
    Node,
}

impl Client {
    fn label(self, prefetch: u32) -> String {
        match self {
            Client::Crate => "cloudflare-ssl (this crate)".into(),
            Client::CratePrefetch => format!("cloudflare-ssl, `.prefetch({prefetch})`"),
            Client::Raw => "raw reqwest + serde_json (floor)".into(),
            Client::RawTyped => "raw reqwest + the crate's typed decode".into(),
            Client::Python => "official Python SDK".into(),
            Client::Node => "official TypeScript SDK".into(),
        }
    }
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // `cargo run` sets these for the xtask binary; they must not leak into nested builds.
    for var in [
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_MANIFEST_DIR",
        "CARGO_PKG_NAME",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn build(root: &Path) -> Result<(), Error> {
    println!("building the mock and the drivers (release)");
    run_status(
        cargo().current_dir(root).args([
            "build",
            "--release",
            "--package",
            "cloudflare-ssl",
            "--features",
            "mock",
            "--bin",
            "cloudflare-ssl-mock",
            "--example",
            "bench-crate",
            "--example",
            "bench-raw",
        ]),
        "cargo build --release (mock, drivers)",
    )
}

/// Installs (or finds) the Python SDK in a venv under target/bench-sdks/.
fn python_sdk(dir: &Path, version: &str) -> Result<(PathBuf, String), Error> {
    let venv = dir.join("venv");
    let python = venv.join("bin/python");
    let installed = |python: &Path| {
        command_output(
            python.to_str().unwrap_or_default(),
            &["-c", "import cloudflare; print(cloudflare.__version__)"],
        )
    };
    if installed(&python).as_deref() != Some(version) {
        println!(
            "installing the Python SDK cloudflare=={version} into {}",
            venv.display()
        );
        if !python.exists() {
            run_status(
                Command::new("python3").args(["-m", "venv"]).arg(&venv),
                "python3 -m venv",
            )?;
        }
        run_status(
            Command::new(&python).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                &format!("cloudflare=={version}"),
            ]),
            "pip install cloudflare",
        )?;
    }
    let got =
        installed(&python).ok_or_else(|| Error::Failed("the Python SDK does not import".into()))?;
    Ok((python, got))
}

/// Installs (or finds) the TypeScript SDK in an npm prefix under target/bench-sdks/.
fn node_sdk(dir: &Path, version: &str) -> Result<(PathBuf, String), Error> {
    let prefix = dir.join("node");
    let manifest = prefix.join("node_modules/cloudflare/package.json");
    let installed = || {
        std::fs::read_to_string(&manifest)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v["version"].as_str().map(str::to_owned))
    };
    if installed().as_deref() != Some(version) {
        println!(
            "installing the TypeScript SDK cloudflare@{version} into {}",
            prefix.display()
        );
        std::fs::create_dir_all(&prefix).map_err(|e| Error::io("creating", &prefix, e))?;
        let package = prefix.join("package.json");
        if !package.exists() {
            crate::write_text(&package, "{\"name\": \"bench-sdks\", \"private\": true}\n")?;
        }
        run_status(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(&prefix)
                .arg(format!("cloudflare@{version}")),
            "npm install cloudflare",
        )?;
    }
    let got =
        installed().ok_or_else(|| Error::Failed("the TypeScript SDK is not installed".into()))?;
    if command_output("node", &["--version"]).is_none() {
        return Err(Error::Failed("node is not on PATH".into()));
    }
    Ok((prefix, got))
}

// ---------------------------------------------------------------------------------------------
// The measurements

struct Micro {
    /// (group/bench, median ns)
    rows: Vec<(String, f64)>,
    /// Size of the 50-pack page fixture.
    page_bytes: u64,
}

impl Micro {
    fn get(&self, name: &str) -> f64 {
        self.rows
            .iter()
            .find(|(n, _)| n == name)
            .map_or(f64::NAN, |(_, v)| *v)
    }
}

fn micro(env: &Env, quick: bool) -> Result<Micro, Error> {
    println!("\n== micro-benchmarks: cargo bench --bench micro");
    let mut cmd = cargo();
    cmd.current_dir(&env.root).args([
        "bench",
        "--package",
        "cloudflare-ssl",
        "--bench",
        "micro",
        "--",
    ]);
    if quick {
        cmd.args(["--warm-up-time", "1", "--measurement-time", "2"]);
    }
    run_status(&mut cmd, "cargo bench --bench micro")?;
    let names = [
        "decode/typed",
        "decode/value",
        "decode/typed_without_extra",
        "decode/lex_only",
        "envelope/list_page",
        "envelope/get_pack",
        "envelope/get_pack_raw_value",
        "request/build_and_sign",
        "request/raw",
        "request/crate_call",
    ];
    let mut rows = Vec::new();
    for name in names {
        let path = env
            .target
            .join("criterion")
            .join(name)
            .join("new/estimates.json");
        let estimates: Value = serde_json::from_str(&crate::read_text(&path)?)
            .map_err(|e| Error::io("parsing", &path, e))?;
        let median = estimates["median"]["point_estimate"]
            .as_f64()
            .ok_or_else(|| Error::Failed(format!("{}: no median", path.display())))?;
        rows.push((name.to_owned(), median));
    }
    let fixture = env
        .root
        .join("benches/assets/certificate_packs_page50.json");
    let page_bytes = std::fs::metadata(&fixture)
        .map_err(|e| Error::io("reading", &fixture, e))?
        .len();
    Ok(Micro { rows, page_bytes })
}

struct GetResult {
    client: Client,
    /// Every request's latency, all rounds, ns.
    samples: Vec<f64>,
    round_medians: Vec<f64>,
    /// Requests per second: requests / total time, all rounds.
    rps: f64,
    /// The client process's own CPU time per request (ns), all rounds.
    cpu_per_request: f64,
    cpu_total: f64,
}

fn get_overhead(env: &Env, mock: &Mock, o: &Options) -> Result<Vec<GetResult>, Error> {
    println!(
        "\n== (a) per-request overhead: {} rounds x {} sequential GETs per client",
        o.rounds, o.requests
    );
    let page = mock.list_page(5)?;
    let pack = page["result"][1]["id"]
        .as_str()
        .ok_or_else(|| Error::Failed(format!("no pack in {page}")))?
        .to_owned();
    let clients = env.clients();
    let mut results: Vec<GetResult> = clients
        .iter()
        .map(|c| GetResult {
            client: *c,
            samples: Vec::new(),
            round_medians: Vec::new(),
            rps: 0.0,
            cpu_per_request: 0.0,
            cpu_total: 0.0,
        })
        .collect();
    let warmup = (o.requests / 10).clamp(20, 50);
    let extra = [
        "--pack".to_owned(),
        pack,
        "--n".into(),
        o.requests.to_string(),
        "--warmup".into(),
        warmup.to_string(),
    ];
    for round in 0..o.rounds {
        // Rotate the order so no client always runs first (or right after the slowest).
        for i in 0..clients.len() {
            let index = (i + round as usize) % clients.len();
            let client = clients[index];
            let out = run_json(
                &mut env.driver(client, "get", mock, &extra),
                &format!("{client:?} get"),
            )?;
            let samples = nanos(&out, "samples_ns")?;
            let r = &mut results[index];
            r.cpu_total += out["cpu_ns"].as_f64().unwrap_or(f64::NAN);
            r.round_medians.push(median(&samples));
            r.samples.extend(samples);
            println!(
                "  round {}: {:<34} median {:>8.1} µs",
                round + 1,
                client.label(o.prefetch),
                r.round_medians.last().copied().unwrap_or(f64::NAN) / 1e3
            );
        }
    }
    for r in &mut results {
        let total: f64 = r.samples.iter().sum();
        r.rps = r.samples.len() as f64 / (total / 1e9);
        r.cpu_per_request = r.cpu_total / r.samples.len() as f64;
    }
    Ok(results)
}

struct ListResult {
    client: Client,
    walks: Vec<f64>,
    items: u64,
    requests_per_walk: f64,
}

fn listing(env: &Env, mock: &Mock, o: &Options) -> Result<Vec<ListResult>, Error> {
    let repeat = if o.quick { 2 } else { 3 };
    let rounds = o.rounds.clamp(1, 4);
    println!(
        "\n== (b) listing {LIST_PACKS} packs, per_page 50, {LIST_LATENCY_MS} ms latency per list request: {rounds} rounds x {repeat} walks per client"
    );
    mock.admin(
        "POST",
        "latency",
        Some(&json!({"millis": LIST_LATENCY_MS, "operation": "list_certificate_packs"})),
    )?;
    let mut clients = vec![Client::Crate, Client::CratePrefetch, Client::Raw];
    clients.extend(
        env.clients()
            .into_iter()
            .filter(|c| matches!(c, Client::Python | Client::Node)),
    );
    let mut results: Vec<ListResult> = clients
        .iter()
        .map(|c| ListResult {
            client: *c,
            walks: Vec::new(),
            items: 0,
            requests_per_walk: 0.0,
        })
        .collect();
    for round in 0..rounds {
        for i in 0..clients.len() {
            let index = (i + round as usize) % clients.len();
            let client = clients[index];
            let prefetch = if client == Client::CratePrefetch {
                o.prefetch
            } else {
                1
            };
            let extra = [
                "--per-page".to_owned(),
                "50".into(),
                "--prefetch".into(),
                prefetch.to_string(),
                "--repeat".into(),
                repeat.to_string(),
            ];
            let before = mock.requests("list_certificate_packs")?;
            let out = run_json(
                &mut env.driver(client, "list", mock, &extra),
                &format!("{client:?} list"),
            )?;
            let after = mock.requests("list_certificate_packs")?;
            let walks = nanos(&out, "walks_ns")?;
            let r = &mut results[index];
            r.items = out["items"].as_u64().unwrap_or(0);
            // One warm-up request per process.
            r.requests_per_walk = (after - before).saturating_sub(1) as f64 / walks.len() as f64;
            println!(
                "  round {}: {:<34} median {:>7.1} ms  ({} items, {} requests per walk)",
                round + 1,
                client.label(o.prefetch),
                median(&walks) / 1e6,
                r.items,
                r.requests_per_walk
            );
            r.walks.extend(walks);
            if r.items != u64::from(LIST_PACKS) {
                return Err(Error::Failed(format!(
                    "{client:?} listed {} packs, not {LIST_PACKS}",
                    r.items
                )));
            }
        }
    }
    mock.admin("DELETE", "faults", None)?;
    Ok(results)
}

struct MemResult {
    packs: u32,
    label: String,
    baseline_kib: f64,
    peak_kib: f64,
}

fn memory(env: &Env, mock: &Mock, packs: u32, o: &Options) -> Result<Vec<MemResult>, Error> {
    println!("\n== (c) peak memory walking {packs} packs");
    let runs = if o.quick { 1 } else { 3 };
    let modes = [
        ("streaming `.items()`".to_owned(), 1, 0),
        (
            format!("streaming `.prefetch({})`", o.prefetch),
            o.prefetch,
            0,
        ),
        ("collecting into a `Vec`".to_owned(), 1, 1),
    ];
    let mut results = Vec::new();
    for (label, prefetch, collect) in modes {
        let (mut base, mut peak) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let extra = [
                "--per-page".to_owned(),
                "50".into(),
                "--prefetch".into(),
                prefetch.to_string(),
                "--collect".into(),
                collect.to_string(),
            ];
            let out = run_json(
                &mut env.driver(Client::Crate, "mem", mock, &extra),
                "crate mem",
            )?;
            if out["items"].as_u64() != Some(u64::from(packs)) {
                return Err(Error::Failed(format!("mem run saw {out}")));
            }
            base.push(out["baseline_kib"].as_f64().unwrap_or(f64::NAN));
            peak.push(out["peak_kib"].as_f64().unwrap_or(f64::NAN));
        }
        let r = MemResult {
            packs,
            label,
            baseline_kib: median(&base),
            peak_kib: median(&peak),
        };
        println!(
            "  {:<30} peak {:>8.0} KiB (baseline {:.0} KiB)",
            r.label, r.peak_kib, r.baseline_kib
        );
        results.push(r);
    }
    Ok(results)
}

struct BuildTimes {
    profile: &'static str,
    clean: Duration,
    noop: Duration,
    noop_fresh: bool,
    noop_ran_build_script: bool,
    crate_only: Duration,
}

fn build_times(env: &Env, release: bool) -> Result<BuildTimes, Error> {
    let profile = if release { "release" } else { "dev" };
    println!("\n== (d) build times ({profile} profile, scratch target directory)");
    let dir = env.target.join("bench-build");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io("removing", &dir, e))?;
    }
    run_status(
        cargo().current_dir(&env.root).args(["fetch", "--quiet"]),
        "cargo fetch",
    )?;
    let build = |extra: &[&str]| {
        let mut cmd = cargo();
        cmd.current_dir(&env.root)
            .env("CARGO_TARGET_DIR", &dir)
            .args(["build", "--package", "cloudflare-ssl", "--lib"])
            .args(extra);
        if release {
            cmd.arg("--release");
        }
        cmd
    };
    let start = Instant::now();
    run_status(&mut build(&["--quiet"]), "clean cargo build")?;
    let clean = start.elapsed();
    println!("  clean build: {:.1} s", clean.as_secs_f64());

    let start = Instant::now();
    let out = build(&["-vv"])
        .output()
        .map_err(|e| Error::Io(format!("cargo build -vv: {e}")))?;
    let noop = start.elapsed();
    if !out.status.success() {
        return Err(Error::Failed("no-op cargo build -vv failed".into()));
    }
    let log = String::from_utf8_lossy(&out.stderr);
    let noop_fresh = log
        .lines()
        .any(|l| l.trim().starts_with("Fresh cloudflare-ssl"));
    let noop_ran_build_script = log.lines().any(|l| {
        l.trim().starts_with("Running")
            && l.contains("build-script-build")
            && l.contains("cloudflare-ssl")
    }) || log.lines().any(|l| l.starts_with("[cloudflare-ssl "));
    println!(
        "  no-op rebuild: {:.2} s (fresh: {noop_fresh}, build.rs rerun: {noop_ran_build_script})",
        noop.as_secs_f64()
    );

    let mut clean_crate = cargo();
    clean_crate
        .current_dir(&env.root)
        .env("CARGO_TARGET_DIR", &dir)
        .args(["clean", "--quiet", "--package", "cloudflare-ssl"]);
    if release {
        clean_crate.arg("--release");
    }
    run_status(&mut clean_crate, "cargo clean -p cloudflare-ssl")?;
    let start = Instant::now();
    run_status(&mut build(&["--quiet"]), "crate-only cargo build")?;
    let crate_only = start.elapsed();
    println!(
        "  the crate alone (build.rs + codegen + rustc): {:.1} s",
        crate_only.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(BuildTimes {
        profile,
        clean,
        noop,
        noop_fresh,
        noop_ran_build_script,
        crate_only,
    })
}

// ---------------------------------------------------------------------------------------------
// Report

struct Target {
    name: String,
    ratio: f64,
    goal: String,
    met: bool,
    detail: String,
}

fn fmt_us(ns: f64) -> String {
    format!("{:.1} µs", ns / 1e3)
}

fn fmt_ms(ns: f64) -> String {
    format!("{:.0} ms", ns / 1e6)
}

fn fmt_mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

struct Report {
    date: String,
    machine: Vec<(String, String)>,
    loads: Vec<(String, String)>,
    micro: Option<Micro>,
    gets: Vec<GetResult>,
    lists: Vec<ListResult>,
    mem: Vec<MemResult>,
    build: Option<BuildTimes>,
    targets: Vec<Target>,
    command: String,
    prefetch: u32,
    requests: u32,
    rounds: u32,
    notes: Vec<String>,
}

fn targets(r: &Report) -> Vec<Target> {
    let mut t = Vec::new();
    let get = |c: Client| r.gets.iter().find(|g| g.client == c);
    if let (Some(c), Some(raw)) = (get(Client::Crate), get(Client::Raw)) {
        let ratio = headline(c) / headline(raw);
        t.push(Target {
            name: "per-request overhead vs raw floor".into(),
            ratio,
            goal: "≤ 1.10×".into(),
            met: ratio <= 1.10,
            detail: format!(
                "median {} vs {} (+{}); client CPU {} vs {} per request",
                fmt_us(headline(c)),
                fmt_us(headline(raw)),
                fmt_us(headline(c) - headline(raw)),
                fmt_us(c.cpu_per_request),
                fmt_us(raw.cpu_per_request)
            ),
        });
    }
    if let (Some(c), Some(py)) = (get(Client::Crate), get(Client::Python)) {
        let ratio = c.rps / py.rps;
        t.push(Target {
            name: "requests/s vs Python SDK".into(),
            ratio,
            goal: "≥ 5×".into(),
            met: ratio >= 5.0,
            detail: format!("{:.0} vs {:.0} requests/s", c.rps, py.rps),
        });
    }
    let list = |c: Client| r.lists.iter().find(|l| l.client == c);
    if let (Some(seq), Some(pre)) = (list(Client::Crate), list(Client::CratePrefetch)) {
        let ratio = median(&pre.walks) / median(&seq.walks);
        t.push(Target {
            name: format!("2,000-pack listing, prefetch({}) vs sequential", r.prefetch),
            ratio,
            goal: "≤ 0.25×".into(),
            met: ratio <= 0.25,
            detail: format!(
                "{} vs {}",
                fmt_ms(median(&pre.walks)),
                fmt_ms(median(&seq.walks))
            ),
        });
    }
    if let Some(m) = &r.micro {
        let ratio = m.get("decode/typed") / m.get("decode/value");
        t.push(Target {
            name: "decode 50-pack page, typed vs `Value`".into(),
            ratio,
            goal: "≤ 1.5×".into(),
            met: ratio <= 1.5,
            detail: format!(
                "{} vs {}",
                fmt_us(m.get("decode/typed")),
                fmt_us(m.get("decode/value"))
            ),
        });
    }
    let stream = |packs: u32| {
        r.mem
            .iter()
            .find(|m| m.packs == packs && m.label.starts_with("streaming `.items()`"))
    };
    if let (Some(small), Some(big)) = (stream(LIST_PACKS), stream(BIG_PACKS)) {
        let ratio = big.peak_kib / small.peak_kib;
        t.push(Target {
            name: "streaming peak RSS, 10,000 vs 2,000 packs".into(),
            ratio,
            goal: "flat (≤ 1.10×)".into(),
            met: ratio <= 1.10,
            detail: format!("{} vs {}", fmt_mib(big.peak_kib), fmt_mib(small.peak_kib)),
        });
    }
    t
}

fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(w, "{BEGIN}\n");
    let _ = writeln!(w, "## Results of {}\n", r.date);
    let _ = writeln!(w, "Command: `{}`\n", r.command);
    let _ = writeln!(w, "| machine | |\n|---|---|");
    for (k, v) in &r.machine {
        let _ = writeln!(w, "| {k} | {v} |");
    }
    let _ = writeln!(
        w,
        "\nLoad average (1/5/15 min) when each part started — the machine is shared (2 cores, \
         other builds and fuzzers running), so the noise is real:\n"
    );
    let _ = writeln!(w, "| part | load average |\n|---|---|");
    for (k, v) in &r.loads {
        let _ = writeln!(w, "| {k} | {v} |");
    }

    let _ = writeln!(w, "\n### Targets\n");
    let _ = writeln!(
        w,
        "| target | goal | measured | | detail |\n|---|---|---|---|---|"
    );
    for t in &r.targets {
        let _ = writeln!(
            w,
            "| {} | {} | {:.2}× | {} | {} |",
            t.name,
            t.goal,
            t.ratio,
            if t.met { "✅ met" } else { "❌ missed" },
            t.detail
        );
    }
    let _ = writeln!(
        w,
        "\nChart of these ratios: [`benches/ratios.svg`](benches/ratios.svg)."
    );

    if let Some(m) = &r.micro {
        let _ = writeln!(
            w,
            "\n### Micro-benchmarks (criterion, median)\n\n`cargo bench --bench micro`; the 50-pack \
             page is {} KB.\n",
            m.page_bytes / 1000
        );
        let _ = writeln!(w, "| benchmark | median | vs |\n|---|---|---|");
        let rel = |a: &str, b: &str| format!("{:.2}× `{b}`", m.get(a) / m.get(b));
        let rows: [(&str, Option<String>); 10] = [
            ("decode/typed", Some(rel("decode/typed", "decode/value"))),
            ("decode/value", None),
            (
                "decode/typed_without_extra",
                Some(rel("decode/typed_without_extra", "decode/value")),
            ),
            (
                "decode/lex_only",
                Some(rel("decode/lex_only", "decode/value")),
            ),
            (
                "envelope/list_page",
                Some(rel("envelope/list_page", "decode/typed")),
            ),
            (
                "envelope/get_pack",
                Some(rel("envelope/get_pack", "envelope/get_pack_raw_value")),
            ),
            ("envelope/get_pack_raw_value", None),
            (
                "request/build_and_sign",
                Some(rel("request/build_and_sign", "request/raw")),
            ),
            ("request/raw", None),
            ("request/crate_call", None),
        ];
        for (name, vs) in rows {
            let _ = writeln!(
                w,
                "| `{name}` | {} | {} |",
                fmt_us(m.get(name)),
                vs.unwrap_or_default()
            );
        }
        let flatten = m.get("decode/typed") - m.get("decode/typed_without_extra");
        let _ = writeln!(
            w,
            "\nCost of the `#[serde(flatten)] extra` maps that keep unknown fields: {} per page \
             ({:.0}% of the typed decode; typed without them is {:.2}× `Value`).",
            fmt_us(flatten),
            100.0 * flatten / m.get("decode/typed"),
            m.get("decode/typed_without_extra") / m.get("decode/value")
        );
    }

    if !r.gets.is_empty() {
        let _ = writeln!(
            w,
            "\n### (a) Per-request overhead: sequential `GET` of one certificate pack\n\n{} rounds \
             × {} requests per client (after a warm-up), interleaved; one process per client and \
             round, one connection kept alive. Client CPU: the driver's own CPU time per request \
             (Rust: its one thread, `/proc/thread-self/schedstat`; Python: `process_time`; Node: \
             `process.cpuUsage`, all of its threads).\n",
            r.rounds, r.requests
        );
        let floor = r
            .gets
            .iter()
            .find(|g| g.client == Client::Raw)
            .map(headline);
        let crate_rps = r
            .gets
            .iter()
            .find(|g| g.client == Client::Crate)
            .map(|g| g.rps);
        let _ = writeln!(
            w,
            "| client | median (of round medians) | p90 (all requests) | round-to-round spread | vs floor (median) | requests/s | this crate's requests/s ÷ theirs | client CPU per request |\n|---|---|---|---|---|---|---|---|"
        );
        for g in &r.gets {
            let med = headline(g);
            let _ = writeln!(
                w,
                "| {} | {} | {} | {:.0}% | {} | {:.0} | {} | {} |",
                g.client.label(r.prefetch),
                fmt_us(med),
                fmt_us(percentile(&g.samples, 0.9)),
                100.0 * spread(&g.round_medians),
                floor.map_or("".into(), |f| format!("{:.2}×", med / f)),
                g.rps,
                crate_rps.map_or("".into(), |c| format!("{:.2}×", c / g.rps)),
                fmt_us(g.cpu_per_request),
            );
        }
        let find = |c: Client| r.gets.iter().find(|g| g.client == c);
        if let (Some(c), Some(raw), Some(typed)) = (
            find(Client::Crate),
            find(Client::Raw),
            find(Client::RawTyped),
        ) {
            let _ = writeln!(
                w,
                "\nWhere this crate's overhead goes (client CPU per request, which is less noisy \
                 than latency): {} in all over the floor; decoding into the generated types \
                 instead of `Value` accounts for {}, the rest of the crate (generated builder, \
                 transport with retries and tracing, envelope unwrapping) for {}.",
                fmt_us(c.cpu_per_request - raw.cpu_per_request),
                fmt_us(typed.cpu_per_request - raw.cpu_per_request),
                fmt_us(c.cpu_per_request - typed.cpu_per_request),
            );
        }
    }

    if !r.lists.is_empty() {
        let _ = writeln!(
            w,
            "\n### (b) Listing {LIST_PACKS} packs (40 pages of 50), {LIST_LATENCY_MS} ms injected \
             latency per list request\n\nMedian of every walk (each process opens its connection \
             with one untimed request first).\n"
        );
        let seq = r
            .lists
            .iter()
            .find(|l| l.client == Client::Crate)
            .map(|l| median(&l.walks));
        let _ = writeln!(
            w,
            "| client | walks | median | min | max | requests per walk | vs this crate sequential |\n|---|---|---|---|---|---|---|"
        );
        for l in &r.lists {
            let med = median(&l.walks);
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {:.0} | {} |",
                l.client.label(r.prefetch),
                l.walks.len(),
                fmt_ms(med),
                fmt_ms(percentile(&l.walks, 0.0)),
                fmt_ms(percentile(&l.walks, 1.0)),
                l.requests_per_walk,
                seq.map_or("".into(), |s| format!("{:.2}×", med / s)),
            );
        }
    }

    if !r.mem.is_empty() {
        let _ = writeln!(
            w,
            "\n### (c) Peak memory of a process walking the listing\n\n`VmHWM` of the \
             `bench-crate mem` process (this crate, per_page 50), median of runs; the baseline is \
             `VmHWM` after building the runtime and the client, before the first request.\n"
        );
        let _ = writeln!(
            w,
            "| packs | mode | peak RSS | baseline | peak − baseline |\n|---|---|---|---|---|"
        );
        for m in &r.mem {
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} |",
                m.packs,
                m.label,
                fmt_mib(m.peak_kib),
                fmt_mib(m.baseline_kib),
                fmt_mib(m.peak_kib - m.baseline_kib)
            );
        }
    }

    if let Some(b) = &r.build {
        let _ = writeln!(
            w,
            "\n### (d) Build times\n\n`cargo build --package cloudflare-ssl --lib` ({} profile) \
             in a fresh scratch `CARGO_TARGET_DIR`, dependencies already downloaded.\n",
            b.profile
        );
        let _ = writeln!(w, "| build | time | |\n|---|---|---|");
        let _ = writeln!(
            w,
            "| clean (all dependencies + build.rs + the crate) | {:.1} s | |",
            b.clean.as_secs_f64()
        );
        let _ = writeln!(
            w,
            "| no-op rebuild, nothing touched | {:.2} s | {} |",
            b.noop.as_secs_f64(),
            match (b.noop_fresh, b.noop_ran_build_script) {
                (true, false) => "✅ `Fresh cloudflare-ssl`, build.rs not rerun (`-vv` log)",
                (_, true) => "❌ build.rs reran",
                (false, false) => "❌ the crate was recompiled",
            }
        );
        let _ = writeln!(
            w,
            "| the crate alone after `cargo clean -p cloudflare-ssl` (build.rs compiled and run, \
             codegen, rustc) | {:.1} s | |",
            b.crate_only.as_secs_f64()
        );
    }
    if !r.notes.is_empty() {
        let _ = writeln!(w, "\nNotes from this run:\n");
        for n in &r.notes {
            let _ = writeln!(w, "- {n}");
        }
    }
    let _ = writeln!(w, "\n{END}");
    s
}

/// Ratios shown in the chart without a goal (grey): how far ahead of the SDKs the crate is.
fn comparisons(r: &Report) -> Vec<Target> {
    let mut rows = Vec::new();
    let get = |c: Client| r.gets.iter().find(|g| g.client == c);
    if let (Some(c), Some(ts)) = (get(Client::Crate), get(Client::Node)) {
        rows.push(("requests/s vs TypeScript SDK".to_owned(), c.rps / ts.rps));
    }
    let list = |c: Client| {
        r.lists
            .iter()
            .find(|l| l.client == c)
            .map(|l| median(&l.walks))
    };
    if let Some(pre) = list(Client::CratePrefetch) {
        for (client, name) in [(Client::Python, "Python"), (Client::Node, "TypeScript")] {
            if let Some(theirs) = list(client) {
                rows.push((format!("listing: {name} SDK time ÷ prefetch"), theirs / pre));
            }
        }
    }
    rows.into_iter()
        .map(|(name, ratio)| Target {
            name,
            ratio,
            goal: String::new(),
            met: true,
            detail: String::new(),
        })
        .collect()
}

/// A horizontal bar chart of the target ratios on a log scale, with each goal marked, then the
/// comparisons with the SDKs in grey.
fn svg(r: &Report) -> String {
    let extra = comparisons(r);
    let rows: Vec<&Target> = r.targets.iter().chain(extra.iter()).collect();
    let (width, left, right, row_h, top) = (860.0, 330.0, 40.0, 46.0, 64.0);
    let height = top + row_h * rows.len() as f64 + 56.0;
    let (lo, hi) = (0.05f64, 50.0f64);
    let x = |v: f64| {
        let v = v.clamp(lo, hi);
        left + (v.ln() - lo.ln()) / (hi.ln() - lo.ln()) * (width - left - right)
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="24" font-size="16" font-weight="bold">cloudflare-ssl benchmark ratios ({})</text>"#,
        16,
        xml(&r.date)
    );
    let _ = writeln!(
        s,
        r##"<text x="16" y="44" fill="#555">log scale; bar = measured ratio from 1×; dashed line = goal; green met, red missed; grey: comparisons without a goal</text>"##
    );
    for tick in [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0] {
        let tx = x(tick);
        let _ = writeln!(
            s,
            r##"<line x1="{tx:.1}" y1="{top}" x2="{tx:.1}" y2="{:.1}" stroke="#ddd"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle" fill="#555">{tick}×</text>"##,
            height - 40.0,
            height - 24.0
        );
    }
    for (i, t) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let color = if t.goal.is_empty() {
            "#777"
        } else if t.met {
            "#2e9e44"
        } else {
            "#d43f3a"
        };
        let (a, b) = (x(1.0), x(t.ratio));
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 10.0,
            y + 22.0,
            xml(&t.name)
        );
        let _ = writeln!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="20" fill="{color}"/>"#,
            a.min(b),
            y + 8.0,
            (a - b).abs().max(2.0)
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" fill="{color}" font-weight="bold" text-anchor="{}">{:.2}×</text>"#,
            // Below 1× the bar grows leftwards: label on its left, clear of the goal marks.
            if t.ratio < 1.0 {
                a.min(b) - 6.0
            } else {
                a.max(b) + 6.0
            },
            y + 23.0,
            if t.ratio < 1.0 { "end" } else { "start" },
            t.ratio
        );
        if t.goal.is_empty() {
            continue;
        }
        let goal: f64 = t
            .goal
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '.')
            .collect::<String>()
            .parse()
            .unwrap_or(1.0);
        let gx = x(goal);
        let _ = writeln!(
            s,
            r##"<line x1="{gx:.1}" y1="{:.1}" x2="{gx:.1}" y2="{:.1}" stroke="#222" stroke-width="2" stroke-dasharray="4,3"/><text x="{gx:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#222">{}</text>"##,
            y + 2.0,
            y + 34.0,
            y + 44.0,
            xml(&t.goal)
        );
    }
    let _ = writeln!(s, "</svg>");
    s
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('`', "")
}

fn write_markdown(path: &Path, section: &str) -> Result<(), Error> {
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let text = match (existing.find(BEGIN), existing.find(END)) {
        (Some(a), Some(b)) if a < b => format!(
            "{}{}{}",
            &existing[..a],
            section.trim_end(),
            &existing[b + END.len()..]
        ),
        _ if existing.is_empty() => format!(
            "# Benchmarks\n\nProduced by `cargo xtask bench` (see `xtask/src/bench.rs`).\n\n{section}"
        ),
        _ => format!("{}\n\n{section}", existing.trim_end()),
    };
    crate::write_text(path, &text)?;
    Ok(())
}

fn machine() -> Vec<(String, String)> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "?".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or("?".into(), |kib| {
            format!("{:.0} GiB", kib / 1024.0 / 1024.0)
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    vec![
        ("CPU".into(), format!("{cpu}, {cores} cores available")),
        ("memory".into(), mem),
        ("OS".into(), format!("Linux {kernel}")),
        (
            "rustc".into(),
            command_output("rustc", &["-V"]).unwrap_or_default(),
        ),
    ]
}

/// Entry point of `cargo xtask bench`.
pub fn run(root: &Path, args: &[String]) -> Result<u8, Error> {
    let o = parse(root, args)?;
    let target = target_dir(root);
    let command = std::iter::once("cargo xtask bench".to_owned())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let date = command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default();
    let mut loads = vec![("start".to_owned(), load_average())];

    build(root)?;
    let mut env = Env {
        root: root.to_path_buf(),
        mock: target.join("release/cloudflare-ssl-mock"),
        crate_driver: target.join("release/examples/bench-crate"),
        raw_driver: target.join("release/examples/bench-raw"),
        target: target.clone(),
        python: None,
        node: None,
        notes: Vec::new(),
    };
    let mut machine = machine();
    if o.sdks {
        let dir = target.join("bench-sdks");
        match python_sdk(&dir, &o.python_sdk) {
            Ok(p) => {
                machine.push((
                    "Python SDK".into(),
                    format!(
                        "`cloudflare` {} on {} (httpx; max_retries=0)",
                        p.1,
                        command_output(p.0.to_str().unwrap_or_default(), &["--version"])
                            .unwrap_or_default()
                    ),
                ));
                env.python = Some(p);
            }
            Err(e) => env.notes.push(format!("Python SDK unavailable: {e}")),
        }
        match node_sdk(&dir, &o.ts_sdk) {
            Ok(p) => {
                machine.push((
                    "TypeScript SDK".into(),
                    format!(
                        "`cloudflare` {} on Node {} (built-in fetch; maxRetries: 0)",
                        p.1,
                        command_output("node", &["--version"]).unwrap_or_default()
                    ),
                ));
                env.node = Some(p);
            }
            Err(e) => env.notes.push(format!("TypeScript SDK unavailable: {e}")),
        }
    } else {
        env.notes.push("SDKs skipped (--no-sdks)".into());
    }
    for note in &env.notes {
        eprintln!("note: {note}");
    }

    let micro = if o.micro {
        loads.push(("micro-benchmarks".into(), load_average()));
        Some(micro(&env, o.quick)?)
    } else {
        env.notes
            .push("micro-benchmarks skipped (--no-micro)".into());
        None
    };

    let (gets, lists, mut mem) = {
        let mock = Mock::start(&env.mock, LIST_PACKS)?;
        loads.push(("(a) GET overhead".into(), load_average()));
        let gets = get_overhead(&env, &mock, &o)?;
        loads.push(("(c) memory, 2,000 packs".into(), load_average()));
        let mem = memory(&env, &mock, LIST_PACKS, &o)?;
        loads.push(("(b) listing".into(), load_average()));
        let lists = listing(&env, &mock, &o)?;
        (gets, lists, mem)
    };
    {
        let mock = Mock::start(&env.mock, BIG_PACKS)?;
        loads.push(("(c) memory, 10,000 packs".into(), load_average()));
        mem.extend(memory(&env, &mock, BIG_PACKS, &o)?);
    }
    let build = if o.build_time {
        loads.push(("(d) build times".into(), load_average()));
        Some(build_times(&env, o.release_build)?)
    } else {
        env.notes
            .push("build times skipped (--no-build-time)".into());
        None
    };
    loads.push(("end".into(), load_average()));
    if o.quick {
        env.notes
            .push("--quick: fewer requests and rounds, short criterion runs".into());
    }

    let mut report = Report {
        date,
        machine,
        loads,
        micro,
        gets,
        lists,
        mem,
        build,
        targets: Vec::new(),
        command,
        prefetch: o.prefetch,
        requests: o.requests,
        rounds: o.rounds,
        notes: env.notes.clone(),
    };
    report.targets = targets(&report);
    println!("\n== targets");
    for t in &report.targets {
        println!(
            "  {:<55} {:>6.2}×  goal {:<15} {}  ({})",
            t.name,
            t.ratio,
            t.goal,
            if t.met { "met" } else { "MISSED" },
            t.detail
        );
    }
    write_markdown(&o.out, &markdown(&report))?;
    crate::write_text(&o.chart, &svg(&report))?;
    println!("\nwrote {} and {}", o.out.display(), o.chart.display());
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[1.0, 2.0, 3.0, 4.0]), 2.5);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.0), 1.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 1.0), 5.0);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn markdown_section_is_replaced_between_markers() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));
        let path = dir.join("BENCHMARKS.md");
        write_markdown(&path, &format!("{BEGIN}\none\n{END}\n")).unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        let edited = first.replace("# Benchmarks", "# Benchmarks\n\nAnalysis kept.");
        std::fs::write(&path, &edited).unwrap();
        write_markdown(&path, &format!("{BEGIN}\ntwo\n{END}\n")).unwrap();
        let second = std::fs::read_to_string(&path).unwrap();
        assert!(second.contains("Analysis kept.") && second.contains("two"));
        assert!(!second.contains("one"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
