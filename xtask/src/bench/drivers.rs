//! The programs the harness runs (cargo, the mock, the drivers of this crate, the raw floor and
//! the official SDKs, small tools), the CPUs they are pinned to, and the HTTP calls to the mock.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

use super::{DRIVER_TARGETS, MOCK_TARGET};
use crate::tasks::cargo;
use crate::Error;

/// The JSON a driver printed or the mock answered, or why there is none.
pub(super) type Json = Result<Value, Error>;

pub(super) fn run_status(cmd: &mut Command, what: &str) -> Result<(), Error> {
    let status = cmd.status();
    let status = status.map_err(|e| Error::Io(format!("{what}: cannot run: {e}")))?;
    match status.success() {
        true => Ok(()),
        false => Err(Error::Failed(format!("{what}: {status}"))),
    }
}

/// The standard output of a command that must succeed (its standard error shown).
pub(super) fn run_output(mut cmd: Command, what: &str) -> Result<String, Error> {
    let out = cmd.stderr(Stdio::inherit()).output();
    let out = out.map_err(|e| Error::Io(format!("{what}: cannot run: {e}")))?;
    match out.status.success() {
        true => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        false => Err(Error::Failed(format!("{what}: {}", out.status))),
    }
}

/// Runs a driver and parses the JSON object it prints last.
pub(super) fn run_json(cmd: Command, what: &str) -> Json {
    let text = run_output(cmd, what)?;
    let line = text.lines().rev().find(|l| l.starts_with('{'));
    let json = serde_json::from_str(line.unwrap_or(""));
    json.map_err(|e| Error::Failed(format!("{what}: unreadable output ({e}): {text}")))
}

/// The trimmed standard output of a command that succeeded.
pub(super) fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    out.status.success().then_some(text)
}

/// What follows the `:` on the first line of `/proc/{file}` that starts with `key`, trimmed.
pub(super) fn proc_field(file: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{file}")).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    Some(line.split_once(':')?.1.trim().to_owned())
}

pub(super) fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg");
    let load = text.map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    load.unwrap_or_else(|_| "?".into())
}

/// Which CPU each side of a loopback measurement runs on: the mock on one, the client driver
/// on another, so the scheduler cannot put them on one core in some rounds and on two in
/// others (seen here: round medians of 40 µs and of 100 µs for the same client in one run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cpu {
    Server,
    Client,
}

/// The CPUs of the mock and of the drivers (the first two this process may use, from
/// `Cpus_allowed_list`), found once; `None` when `taskset` is missing or fewer than two CPUs are
/// allowed.
pub(super) fn pinning_cpus() -> Option<(usize, usize)> {
    static CPUS: OnceLock<Option<(usize, usize)>> = OnceLock::new();
    *CPUS.get_or_init(|| {
        let cpus = parse_cpu_list(&proc_field("self/status", "Cpus_allowed_list:")?);
        let (&server, &client) = (cpus.first()?, cpus.get(1)?);
        command_output("taskset", &["-c", &server.to_string(), "true"])?;
        Some((server, client))
    })
}

/// A command running `program` on its side's CPU (`taskset -c N program`) when pinning is
/// possible, else `program` as it is.
pub(super) fn pinned(program: impl AsRef<OsStr>, cpu: Cpu) -> Command {
    let Some((server, client)) = pinning_cpus() else {
        return Command::new(program);
    };
    let n = if cpu == Cpu::Server { server } else { client };
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", &n.to_string()]).arg(program);
    cmd
}

/// `0-1,4` → `[0, 1, 4]` (ranges capped at 4,096 CPUs).
pub(super) fn parse_cpu_list(list: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (from, to) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(from), Ok(to)) = (from.parse::<usize>(), to.parse::<usize>()) {
            cpus.extend((from..=to.min(from + 4096)).take(4096));
        }
    }
    cpus
}

/// A running `cloudflare-ssl-mock` on 127.0.0.1; killed on drop.
pub(super) struct Mock {
    child: Child,
    /// Kept open: the mock may still write to it.
    _stdout: Option<BufReader<ChildStdout>>,
    base_url: String,
    /// `http://127.0.0.1:PORT`, for the admin routes.
    pub(super) origin: String,
    pub(super) token: String,
    pub(super) zone: String,
}

impl Mock {
    /// Starts the mock seeded with `packs` active packs (its universal pack included), reads
    /// where it listens from its `--json` start line, and waits until it lists the packs.
    pub(super) fn start(binary: &Path, packs: u32) -> Result<Mock, Error> {
        let (mut cmd, seeded) = (pinned(binary, Cpu::Server), packs - 1);
        let args = format!("--port 0 --no-rate-limit --manual-clock --json --packs {seeded}");
        let child = cmd.args(args.split(' ')).stdout(Stdio::piped()).spawn();
        let binary = binary.display();
        let mut child = child.map_err(|e| Error::Io(format!("starting {binary}: {e}")))?;
        let (mut stdout, mut line) = (child.stdout.take().map(BufReader::new), String::new());
        if let Some(stdout) = &mut stdout {
            let _ = stdout.read_line(&mut line);
        }
        let start: Value = serde_json::from_str(&line).unwrap_or_default();
        let text = |key: &str| start[key].as_str().unwrap_or_default().to_owned();
        let mock = Mock {
            child,
            _stdout: stdout,
            base_url: text("base_url"),
            origin: format!("http://{}", text("addr")),
            token: text("token"),
            zone: text("zone_id"),
        };
        if mock.base_url.is_empty() {
            let e = format!("{binary} exited before it was ready (it printed {line:?})");
            return Err(Error::Failed(e));
        }
        let page = mock.list_page(5)?;
        let total = page["result_info"]["total_count"].as_u64().unwrap_or(0);
        if total != u64::from(packs) {
            let e = format!("the mock lists {total} packs, not {packs}");
            return Err(Error::Failed(e));
        }
        Ok(mock)
    }

    /// One HTTP call (`ureq`, blocking, no TLS: loopback only) with a 60 s limit: GET or DELETE,
    /// or POST with a JSON body. A non-2xx status is an error carrying the body; an empty body
    /// is `null`.
    fn http(&self, method: &str, path: &str, body: Option<&Value>) -> Json {
        let url = format!("{}{path}", self.origin);
        let io = |e: String| Error::Io(format!("{method} {url}: {e}"));
        let timeout = Some(Duration::from_secs(60));
        let config = ureq::Agent::config_builder().http_status_as_error(false);
        let agent: ureq::Agent = config.timeout_global(timeout).build().into();
        let request = ureq::http::Request::builder().method(method).uri(&url);
        let mut request = request.header("accept", "application/json");
        if path.starts_with("/client/v4/") {
            request = request.header("authorization", format!("Bearer {}", self.token));
        }
        let only = "the harness only sends GET, DELETE, or POST with a JSON body";
        let body = match (method, body) {
            ("GET" | "DELETE", None) => String::new(),
            ("POST", body) => body.map_or(String::new(), Value::to_string),
            _ => return Err(io(only.into())),
        };
        if method == "POST" {
            request = request.header("content-type", "application/json");
        }
        let request = request.body(body).map_err(|e| io(e.to_string()))?;
        let mut response = agent.run(request).map_err(|e| io(e.to_string()))?;
        let text = response.body_mut().read_to_string();
        let text = text.map_err(|e| io(format!("reading the body: {e}")))?;
        let failed = |e: String| Error::Failed(format!("{method} {path}: {e}{text}"));
        match response.status() {
            status if !status.is_success() => Err(failed(format!("HTTP {status}: "))),
            _ if text.trim().is_empty() => Ok(Value::Null),
            _ => serde_json::from_str(&text).map_err(|e| failed(format!("{e}: "))),
        }
    }

    pub(super) fn list_page(&self, per_page: u32) -> Json {
        let path = format!("/client/v4/zones/{}/ssl/certificate_packs", self.zone);
        self.http("GET", &format!("{path}?per_page={per_page}"), None)
    }

    /// A call to the mock's admin route `/__mock/{route}`.
    pub(super) fn admin(&self, method: &str, route: &str, body: Option<&Value>) -> Json {
        self.http(method, &format!("/__mock/{route}"), body)
    }

    /// The requests the mock has counted for `operation`.
    pub(super) fn requests(&self, operation: &str) -> Result<u64, Error> {
        let counters = self.admin("GET", "counters", None)?;
        Ok(counters["by_operation"][operation].as_u64().unwrap_or(0))
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the measurements use: where the repository and the target folder are, the SDKs found
/// (the venv's Python, the npm prefix of the TypeScript SDK), and the numbers of the run with the
/// defaults that depend on `--quick` resolved.
#[derive(Default)]
pub(super) struct Env {
    pub(super) root: PathBuf,
    pub(super) target: PathBuf,
    pub(super) sdks: Vec<(Client, PathBuf)>,
    pub(super) quick: bool,
    /// Part (d) builds in the release profile.
    pub(super) release: bool,
    pub(super) requests: u32,
    pub(super) rounds: u32,
    pub(super) prefetch: u32,
}

impl Env {
    /// The clients of a part: its `rust` drivers, then the SDKs found.
    pub(super) fn clients(&self, rust: &[Client]) -> Vec<Client> {
        let sdks = self.sdks.iter().map(|(client, _)| *client);
        rust.iter().copied().chain(sdks).collect()
    }

    /// Runs `client`'s driver in `mode` against `mock`, with `args`; its JSON output.
    pub(super) fn driver(&self, client: Client, mode: &str, mock: &Mock, args: &str) -> Json {
        let examples = self.target.join("release/examples");
        let script = |name: &str| Some(self.root.join("benches/e2e").join(name));
        let sdk = self.sdks.iter().find(|(c, _)| *c == client);
        let sdk = sdk.map(|(_, path)| path);
        let (program, script) = match client {
            Client::Crate | Client::CratePrefetch => (examples.join("bench-crate"), None),
            Client::Raw | Client::RawTyped => (examples.join("bench-raw"), None),
            Client::Python => (sdk.cloned().unwrap_or_default(), script("python_sdk.py")),
            Client::Node => (PathBuf::from("node"), script("ts_sdk.mjs")),
        };
        let mut cmd = pinned(program, Cpu::Client);
        if let (Client::Node, Some(prefix)) = (client, sdk) {
            cmd.env("CF_BENCH_NODE_PREFIX", prefix);
        }
        let (url, token, zone) = (&mock.base_url, &mock.token, &mock.zone);
        let common = format!("--base-url {url} --token {token} --zone {zone} {args}");
        cmd.args(script).arg(mode).args(common.split_whitespace());
        if client == Client::RawTyped {
            cmd.args(["--decode", "typed"]);
        }
        run_json(cmd, &format!("{client:?} {mode}"))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(super) enum Client {
    #[default]
    Crate,
    CratePrefetch,
    Raw,
    RawTyped,
    Python,
    Node,
}

impl Client {
    pub(super) fn label(self, prefetch: u32) -> String {
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

pub(super) fn target_dir(root: &Path) -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR").map(|p| root.join(p));
    dir.unwrap_or_else(|| root.join("target"))
}

/// Builds the mock ([`MOCK_TARGET`]) and, with `drivers`, the drivers ([`DRIVER_TARGETS`]) in
/// release.
pub(super) fn build(root: &Path, drivers: bool) -> Result<(), Error> {
    let targets = [(MOCK_TARGET, "the mock"), (DRIVER_TARGETS, "the drivers")];
    let targets = &targets[..if drivers { 2 } else { 1 }];
    let whats: Vec<_> = targets.iter().map(|(_, what)| *what).collect();
    println!("building {} (release)", whats.join(" and "));
    for (targets, what) in targets {
        let args = format!("build --release {targets}");
        run_status(&mut cargo(root, &args), &format!("cargo {args} ({what})"))?;
    }
    Ok(())
}

/// Installs (or finds) the Python SDK in a venv under `dir`: the interpreter, and what it is.
pub(super) fn python_sdk(dir: &Path, version: &str) -> Result<(PathBuf, String), Error> {
    let venv = dir.join("venv");
    let python = venv.join("bin/python");
    let python_name = python.to_str().unwrap_or_default();
    let import = ["-c", "import cloudflare; print(cloudflare.__version__)"];
    let installed = || command_output(python_name, &import);
    if installed().as_deref() != Some(version) {
        let (spec, into) = (format!("cloudflare=={version}"), venv.display());
        println!("installing the Python SDK {spec} into {into}");
        if !python.exists() {
            let mut venv_cmd = Command::new("python3");
            run_status(venv_cmd.args(["-m", "venv"]).arg(&venv), "python3 -m venv")?;
        }
        let mut pip = Command::new(&python);
        pip.args(["-m", "pip", "install", "--quiet", &spec]);
        run_status(&mut pip, "pip install cloudflare")?;
    }
    let got = installed().ok_or_else(|| Error::Failed("the Python SDK does not import".into()))?;
    let on = command_output(python_name, &["--version"]).unwrap_or_default();
    let sdk = format!("`cloudflare` {got} on {on} (httpx; max_retries=0)");
    Ok((python, sdk))
}

/// Installs (or finds) the TypeScript SDK in an npm prefix under `dir`: the prefix, and what it
/// is.
pub(super) fn node_sdk(dir: &Path, version: &str) -> Result<(PathBuf, String), Error> {
    let prefix = dir.join("node");
    let spec = format!("cloudflare@{version}");
    npm_install(&prefix, "the TypeScript SDK ", &spec)?;
    let node = command_output("node", &["--version"]);
    let node = node.ok_or_else(|| Error::Failed("node is not on PATH".into()))?;
    let sdk = format!("`cloudflare` {version} on Node {node} (built-in fetch; maxRetries: 0)");
    Ok((prefix, sdk))
}

/// Installs `spec` (`package@version`; `what`: how to name it) into the npm prefix `dir`, unless
/// that version is there already.
pub(super) fn npm_install(dir: &Path, what: &str, spec: &str) -> Result<(), Error> {
    let (package, version) = spec.rsplit_once('@').unwrap_or((spec, ""));
    let manifest = dir.join("node_modules").join(package).join("package.json");
    let installed = || {
        let text = std::fs::read_to_string(&manifest).ok()?;
        let manifest: Value = serde_json::from_str(&text).ok()?;
        manifest["version"].as_str().map(str::to_owned)
    };
    if installed().as_deref() == Some(version) {
        return Ok(());
    }
    let dir_name = dir.display();
    println!("installing {what}{spec} into {dir_name}");
    let json = dir.join("package.json");
    // The folder's own package, named after the folder it is in (`bench-sdks`, `bench-tools`).
    let name = dir.parent().and_then(Path::file_name).unwrap_or_default();
    if !json.exists() {
        let text = format!("{{\"name\": \"{}\", \"private\": true}}\n", name.display());
        crate::write_text(&json, &text)?;
    }
    let mut npm = Command::new("npm");
    npm.args("install --no-audit --no-fund --silent --save-exact --prefix".split(' '));
    run_status(npm.arg(dir).arg(spec), &format!("npm install {package}"))?;
    if installed().as_deref() != Some(version) {
        let e = format!("{what}{spec} is not installed under {dir_name}");
        return Err(Error::Failed(e));
    }
    Ok(())
}
