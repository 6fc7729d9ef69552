//! The programs the harness runs (cargo, the mock, the drivers of this crate, the raw floor and
//! the official SDKs, small tools), the CPUs they are pinned to, and the HTTP calls to the mock.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

use super::{DRIVER_TARGETS, MOCK_TARGET};
use crate::Error;

pub(super) fn run_status(cmd: &mut Command, what: &str) -> Result<(), Error> {
    let run = cmd.status();
    let status = run.map_err(|e| Error::Io(format!("{what}: cannot run: {e}")))?;
    match status.success() {
        true => Ok(()),
        false => Err(Error::Failed(format!("{what}: {status}"))),
    }
}

/// Runs a driver and parses the JSON object it prints last.
pub(super) fn run_json(cmd: &mut Command, what: &str) -> Result<Value, Error> {
    let run = cmd.stderr(Stdio::inherit()).output();
    let out = run.map_err(|e| Error::Io(format!("{what}: cannot run: {e}")))?;
    if !out.status.success() {
        return Err(Error::Failed(format!("{what}: {}", out.status)));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find(|l| l.starts_with('{'));
    serde_json::from_str(line.unwrap_or(""))
        .map_err(|e| Error::Failed(format!("{what}: unreadable output ({e}): {text}")))
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
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
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

/// `cmd`, run on its side's CPU (`taskset -c N …`) when pinning is possible; as it is otherwise.
pub(super) fn pinned(cmd: Command, cpu: Cpu) -> Command {
    let Some((server, client)) = pinning_cpus() else {
        return cmd;
    };
    let n = if cpu == Cpu::Server { server } else { client };
    let mut wrapped = Command::new("taskset");
    let program = [cmd.get_program()].into_iter().chain(cmd.get_args());
    wrapped.args(["-c", &n.to_string()]).args(program);
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => wrapped.env(key, v),
            None => wrapped.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    wrapped
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
    _stdout: BufReader<ChildStdout>,
    base_url: String,
    /// `http://127.0.0.1:PORT`, for the admin routes.
    pub(super) origin: String,
    pub(super) token: String,
    pub(super) zone: String,
}

impl Mock {
    /// Starts the mock seeded with `packs` active packs (its universal pack included) and waits
    /// until it lists them.
    pub(super) fn start(binary: &Path, packs: u32) -> Result<Mock, Error> {
        let mut command = Command::new(binary);
        let args = "--port 0 --no-rate-limit --manual-clock --packs";
        command.args(args.split(' ')).arg((packs - 1).to_string());
        let mut child = pinned(command, Cpu::Server)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Error::Io(format!("starting {}: {e}", binary.display())))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            return Err(Error::Io("the mock's standard output is not piped".into()));
        };
        let (mut stdout, mut line) = (BufReader::new(stdout), String::new());
        let mut vars = std::collections::HashMap::new();
        while !line.trim().starts_with("Press Ctrl-C") {
            line.clear();
            if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                let _ = child.kill();
                return Err(Error::Failed("the mock exited before it was ready".into()));
            }
            if let Some((key, value)) = line.trim().split_once('=') {
                vars.insert(key.to_owned(), value.to_owned());
            }
        }
        let mut var = |key: &str| vars.remove(key).unwrap_or_default();
        let base_url = var("CLOUDFLARE_BASE_URL");
        // `http://127.0.0.1:PORT/client/v4` → `http://127.0.0.1:PORT`.
        let host = base_url.trim_start_matches("http://").split('/').next();
        let mock = Mock {
            child,
            _stdout: stdout,
            origin: format!("http://{}", host.unwrap_or_default()),
            base_url,
            token: var("CLOUDFLARE_API_TOKEN"),
            zone: var("CLOUDFLARE_ZONE_ID"),
        };
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
    fn http(
        &self,
        method: &str,
        path: &str,
        auth: bool,
        body: Option<&Value>,
    ) -> Result<Value, Error> {
        let url = format!("{}{path}", self.origin);
        let io = |e: &dyn std::fmt::Display| Error::Io(format!("{method} {url}: {e}"));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        request = request.header("accept", "application/json");
        if auth {
            request = request.header("authorization", format!("Bearer {}", self.token));
        }
        let result = match (method, body) {
            ("GET" | "DELETE", None) => agent.run(request.body(()).map_err(|e| io(&e))?),
            ("POST", body) => {
                let body = body.map(Value::to_string).unwrap_or_default();
                let request = request.header("content-type", "application/json");
                agent.run(request.body(body).map_err(|e| io(&e))?)
            }
            _ => {
                return Err(io(
                    &"the harness only sends GET, DELETE, or POST with a JSON body",
                ))
            }
        };
        let mut response = result.map_err(|e| io(&e))?;
        let status = response.status();
        let text = response.body_mut().read_to_string();
        let text = text.map_err(|e| io(&format!("reading the body: {e}")))?;
        if !status.is_success() {
            return Err(Error::Failed(format!(
                "{method} {path}: HTTP {status}: {text}"
            )));
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text)
            .map_err(|e| Error::Failed(format!("{method} {path}: {e}: {text}")))
    }

    pub(super) fn list_page(&self, per_page: u32) -> Result<Value, Error> {
        let path = "ssl/certificate_packs?per_page=";
        let path = format!("/client/v4/zones/{}/{path}{per_page}", self.zone);
        self.http("GET", &path, true, None)
    }

    /// A call to the mock's admin route `/__mock/{route}`.
    pub(super) fn admin(
        &self,
        method: &str,
        route: &str,
        body: Option<&Value>,
    ) -> Result<Value, Error> {
        self.http(method, &format!("/__mock/{route}"), false, body)
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

/// Where the drivers and the mock are, and the SDKs found: the Python interpreter of the venv,
/// the npm prefix.
pub(super) struct Env {
    pub(super) root: PathBuf,
    pub(super) target: PathBuf,
    pub(super) mock: PathBuf,
    pub(super) python: Option<PathBuf>,
    pub(super) node: Option<PathBuf>,
}

impl Env {
    pub(super) fn clients(&self) -> Vec<Client> {
        let sdks = [(Client::Python, &self.python), (Client::Node, &self.node)];
        let sdks = sdks.into_iter().filter(|(_, sdk)| sdk.is_some());
        let rust = [Client::Crate, Client::Raw, Client::RawTyped];
        rust.into_iter().chain(sdks.map(|(c, _)| c)).collect()
    }

    /// The command that runs `client`'s driver in `mode` against `mock`, with `args`.
    pub(super) fn driver(&self, client: Client, mode: &str, mock: &Mock, args: &str) -> Command {
        let release = self.target.join("release/examples");
        let script = |name: &str| self.root.join("benches/e2e").join(name);
        let mut cmd = match (client, &self.python, &self.node) {
            (Client::Crate | Client::CratePrefetch, ..) => {
                Command::new(release.join("bench-crate"))
            }
            (Client::Raw | Client::RawTyped, ..) => Command::new(release.join("bench-raw")),
            (Client::Python, Some(python), _) => {
                let mut c = Command::new(python);
                c.arg(script("python_sdk.py"));
                c
            }
            (Client::Node, _, Some(prefix)) => {
                let mut c = Command::new("node");
                c.arg(script("ts_sdk.mjs"))
                    .env("CF_BENCH_NODE_PREFIX", prefix);
                c
            }
            // An SDK that is not installed is never among `clients()`.
            (Client::Python | Client::Node, ..) => Command::new("false"),
        };
        let (url, token, zone) = (&mock.base_url, &mock.token, &mock.zone);
        let common = format!("--base-url {url} --token {token} --zone {zone} {args}");
        cmd.arg(mode).args(common.split_whitespace());
        if client == Client::RawTyped {
            cmd.args(["--decode", "typed"]);
        }
        pinned(cmd, Cpu::Client)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Client {
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
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

/// `cargo`, run in `dir`.
pub(super) fn cargo(dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // `cargo run` sets these for the xtask binary; they must not leak into nested builds.
    for var in [
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_MANIFEST_DIR",
        "CARGO_PKG_NAME",
    ] {
        cmd.env_remove(var);
    }
    cmd.current_dir(dir);
    cmd
}

/// Builds the mock ([`MOCK_TARGET`]) and, with `drivers`, the drivers ([`DRIVER_TARGETS`]) in
/// release.
pub(super) fn build(root: &Path, drivers: bool) -> Result<(), Error> {
    let targets = [(MOCK_TARGET, "the mock"), (DRIVER_TARGETS, "the drivers")];
    let targets = &targets[..if drivers { 2 } else { 1 }];
    let whats: Vec<_> = targets.iter().map(|(_, what)| *what).collect();
    println!("building {} (release)", whats.join(" and "));
    for (targets, what) in targets {
        let mut cmd = cargo(root);
        cmd.args(["build", "--release"]).args(targets.split(' '));
        run_status(
            &mut cmd,
            &format!("cargo build --release {targets} ({what})"),
        )?;
    }
    Ok(())
}

/// Installs (or finds) the Python SDK in a venv under `dir`: the interpreter, the version.
pub(super) fn python_sdk(dir: &Path, version: &str) -> Result<(PathBuf, String), Error> {
    let venv = dir.join("venv");
    let python = venv.join("bin/python");
    let import = ["-c", "import cloudflare; print(cloudflare.__version__)"];
    let installed = || command_output(python.to_str().unwrap_or_default(), &import);
    if installed().as_deref() != Some(version) {
        println!(
            "installing the Python SDK cloudflare=={version} into {}",
            venv.display()
        );
        if !python.exists() {
            let mut venv_cmd = Command::new("python3");
            run_status(venv_cmd.args(["-m", "venv"]).arg(&venv), "python3 -m venv")?;
        }
        let mut pip = Command::new(&python);
        pip.args([
            "-m",
            "pip",
            "install",
            "--quiet",
            &format!("cloudflare=={version}"),
        ]);
        run_status(&mut pip, "pip install cloudflare")?;
    }
    let got = installed().ok_or_else(|| Error::Failed("the Python SDK does not import".into()))?;
    Ok((python, got))
}

/// Installs `package@version` (`what`: how to name it) into the npm prefix `dir`, unless that
/// version is there already.
pub(super) fn npm_install(
    dir: &Path,
    what: &str,
    package: &str,
    version: &str,
) -> Result<(), Error> {
    let manifest = dir.join("node_modules").join(package).join("package.json");
    let installed = || {
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest).ok()?).ok()?;
        manifest["version"].as_str().map(str::to_owned)
    };
    if installed().as_deref() == Some(version) {
        return Ok(());
    }
    println!(
        "installing {what}{package}@{version} into {}",
        dir.display()
    );
    let json = dir.join("package.json");
    // The folder's own package, named after the folder it is in (`bench-sdks`, `bench-tools`).
    let name = dir.parent().and_then(Path::file_name).unwrap_or_default();
    if !json.exists() {
        let text = format!("{{\"name\": \"{}\", \"private\": true}}\n", name.display());
        crate::write_text(&json, &text)?;
    }
    let mut npm = Command::new("npm");
    npm.args([
        "install",
        "--no-audit",
        "--no-fund",
        "--silent",
        "--save-exact",
        "--prefix",
    ]);
    npm.arg(dir).arg(format!("{package}@{version}"));
    run_status(&mut npm, &format!("npm install {package}"))?;
    match installed().as_deref() == Some(version) {
        true => Ok(()),
        false => Err(Error::Failed(format!(
            "{what}{package}@{version} is not installed under {}",
            dir.display()
        ))),
    }
}
