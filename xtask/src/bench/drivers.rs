//! The programs the harness runs: cargo builds, the mock binary, the benchmark drivers (this
//! crate, the raw floor, the official SDKs) and how to run them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::mock::Mock;
use super::{DRIVER_TARGETS, MOCK_TARGET};
use crate::Error;

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
    /// The mock server.
    Server,
    /// The client driver.
    Client,
}

/// Whether commands are pinned to CPUs: `taskset` is there and this process may use two CPUs.
pub(super) fn pinning() -> bool {
    pinning_cpus().is_some()
}

/// The CPUs of the mock and of the drivers (the first two this process may use), found once;
/// `None` when `taskset` is missing or fewer than two CPUs are allowed.
fn pinning_cpus() -> Option<(usize, usize)> {
    static CPUS: std::sync::OnceLock<Option<(usize, usize)>> = std::sync::OnceLock::new();
    *CPUS.get_or_init(|| {
        let cpus = allowed_cpus();
        let (&server, &client) = (cpus.first()?, cpus.get(1)?);
        command_output("taskset", &["-c", &server.to_string(), "true"])?;
        Some((server, client))
    })
}

/// `cmd`, run on its side's CPU (`taskset -c N …`) when [`pinning`] is possible; as it is
/// otherwise.
pub(super) fn pinned(cmd: Command, cpu: Cpu) -> Command {
    let Some((server, client)) = pinning_cpus() else {
        return cmd;
    };
    let n = match cpu {
        Cpu::Server => server,
        Cpu::Client => client,
    };
    let mut wrapped = Command::new("taskset");
    wrapped
        .args(["-c", &n.to_string()])
        .arg(cmd.get_program())
        .args(cmd.get_args());
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

/// The CPUs this process may run on (`Cpus_allowed_list` of `/proc/self/status`).
fn allowed_cpus() -> Vec<usize> {
    let list = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_default();
    parse_cpu_list(&list)
}

/// `0-1,4` → `[0, 1, 4]` (ranges capped at 4,096 CPUs).
fn parse_cpu_list(list: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (from, to) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(from), Ok(to)) = (from.parse::<usize>(), to.parse::<usize>()) {
            cpus.extend((from..=to.min(from + 4096)).take(4096));
        }
    }
    cpus
}

pub(super) fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

pub(super) fn run_status(cmd: &mut Command, what: &str) -> Result<(), Error> {
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
pub(super) fn run_json(cmd: &mut Command, what: &str) -> Result<Value, Error> {
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

pub(super) struct Env {
    pub(super) root: PathBuf,
    pub(super) target: PathBuf,
    pub(super) mock: PathBuf,
    pub(super) crate_driver: PathBuf,
    pub(super) raw_driver: PathBuf,
    pub(super) python: Option<(PathBuf, String)>,
    pub(super) node: Option<(PathBuf, String)>,
    pub(super) notes: Vec<String>,
}

impl Env {
    pub(super) fn clients(&self) -> Vec<Client> {
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
    pub(super) fn driver(
        &self,
        client: Client,
        mode: &str,
        mock: &Mock,
        extra: &[String],
    ) -> Command {
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

pub(super) fn cargo() -> Command {
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

/// Builds the mock ([`MOCK_TARGET`]) and the drivers ([`DRIVER_TARGETS`]) in release.
pub(super) fn build(root: &Path) -> Result<(), Error> {
    println!("building the mock and the drivers (release)");
    for (targets, what) in [(MOCK_TARGET, "the mock"), (DRIVER_TARGETS, "the drivers")] {
        run_status(
            cargo()
                .current_dir(root)
                .args(["build", "--release"])
                .args(targets),
            &format!("cargo build --release {} ({what})", targets.join(" ")),
        )?;
    }
    Ok(())
}

/// Installs (or finds) the Python SDK in a venv under target/bench-sdks/.
pub(super) fn python_sdk(dir: &Path, version: &str) -> Result<(PathBuf, String), Error> {
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
pub(super) fn node_sdk(dir: &Path, version: &str) -> Result<(PathBuf, String), Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_parse() {
        assert_eq!(parse_cpu_list("0-1"), [0, 1]);
        assert_eq!(parse_cpu_list("0,2-3, 7"), [0, 2, 3, 7]);
        assert_eq!(parse_cpu_list(""), Vec::<usize>::new());
        assert_eq!(parse_cpu_list("x,3-1"), Vec::<usize>::new());
    }

    #[test]
    fn pinned_commands_keep_program_args_and_env() {
        let mut cmd = Command::new("driver");
        cmd.args(["get", "--n", "5"])
            .env("A", "1")
            .env_remove("B")
            .current_dir("/tmp");
        let wrapped = pinned(cmd, Cpu::Client);
        let args: Vec<_> = wrapped
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        if let Some((_, client)) = pinning_cpus() {
            assert_eq!(wrapped.get_program(), "taskset");
            assert_eq!(args[..2], ["-c".to_owned(), client.to_string()]);
            assert_eq!(args[2..], ["driver", "get", "--n", "5"]);
        } else {
            assert_eq!(wrapped.get_program(), "driver");
            assert_eq!(args, ["get", "--n", "5"]);
        }
        assert!(wrapped
            .get_envs()
            .any(|(k, v)| k == "A" && v == Some("1".as_ref())));
        assert!(wrapped.get_envs().any(|(k, v)| k == "B" && v.is_none()));
        assert_eq!(wrapped.get_current_dir(), Some(Path::new("/tmp")));
    }
}
