//! The programs the harness runs: cargo builds, the mock binary, the benchmark drivers (this
//! crate, the raw floor, the official SDKs) and how to run them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::host::{command_output, pinned, Cpu};
use super::mock::Mock;
use super::{DRIVER_TARGETS, MOCK_TARGET};
use crate::Error;

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
