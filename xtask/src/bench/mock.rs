//! A running mock (`cloudflare-ssl-mock` on 127.0.0.1) and the HTTP calls the harness makes to
//! it (admin routes, one listing page), through `ureq`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::host::{pinned, Cpu};
use crate::Error;

/// One HTTP call to the mock: `ureq` (blocking, no TLS: loopback only) with a 60 s limit. A
/// non-2xx status is an error carrying the body; an empty body is `null`.
pub(super) fn http(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<Value, Error> {
    let url = format!("{base}{path}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let auth = token.map(|t| format!("Bearer {t}"));
    let with_auth = |headers: Vec<(&'static str, String)>| {
        let mut h = headers;
        h.push(("accept", "application/json".to_owned()));
        if let Some(a) = &auth {
            h.push(("authorization", a.clone()));
        }
        h
    };
    let result = match (method, body) {
        ("GET", None) => {
            let mut req = agent.get(&url);
            for (k, v) in with_auth(Vec::new()) {
                req = req.header(k, v);
            }
            req.call()
        }
        ("DELETE", None) => {
            let mut req = agent.delete(&url);
            for (k, v) in with_auth(Vec::new()) {
                req = req.header(k, v);
            }
            req.call()
        }
        ("POST", body) => {
            let mut req = agent.post(&url);
            for (k, v) in with_auth(vec![("content-type", "application/json".to_owned())]) {
                req = req.header(k, v);
            }
            req.send(body.map(Value::to_string).unwrap_or_default())
        }
        _ => {
            return Err(Error::Io(format!(
                "{method} {url}: the harness only sends GET, DELETE, or POST with a JSON body"
            )))
        }
    };
    let mut response = result.map_err(|e| Error::Io(format!("{method} {url}: {e}")))?;
    let status = response.status();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| Error::Io(format!("{method} {url}: reading the body: {e}")))?;
    if !status.is_success() {
        return Err(Error::Failed(format!(
            "{method} {path}: HTTP {status}: {text}"
        )));
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).map_err(|e| Error::Failed(format!("{method} {path}: {e}: {text}")))
}

/// A running `cloudflare-ssl-mock`; killed on drop.
pub(super) struct Mock {
    pub(super) child: Child,
    pub(super) _stdout: BufReader<ChildStdout>,
    pub(super) base_url: String,
    /// `http://127.0.0.1:PORT`.
    pub(super) origin: String,
    pub(super) token: String,
    pub(super) zone: String,
}

impl Mock {
    pub(super) fn start(binary: &Path, packs: u32) -> Result<Mock, Error> {
        let mut command = Command::new(binary);
        let args = "--port 0 --no-rate-limit --manual-clock --packs";
        command.args(args.split(' ')).arg((packs - 1).to_string()); // plus the zone's universal pack
        let mut child = pinned(command, Cpu::Server)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Error::Io(format!("starting {}: {e}", binary.display())))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            return Err(Error::Io("the mock's standard output is not piped".into()));
        };
        let mut stdout = BufReader::new(stdout);
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
        // `http://127.0.0.1:PORT/client/v4` → `http://127.0.0.1:PORT`, for the admin routes.
        let host = base_url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default();
        let origin = format!("http://{host}");
        let mock = Mock {
            child,
            _stdout: stdout,
            base_url,
            origin,
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

    pub(super) fn list_page(&self, per_page: u32) -> Result<Value, Error> {
        http(
            &self.origin,
            "GET",
            &format!(
                "/client/v4/zones/{}/ssl/certificate_packs?per_page={per_page}",
                self.zone
            ),
            Some(&self.token),
            None,
        )
    }

    pub(super) fn admin(
        &self,
        method: &str,
        route: &str,
        body: Option<&Value>,
    ) -> Result<Value, Error> {
        http(
            &self.origin,
            method,
            &format!("/__mock/{route}"),
            None,
            body,
        )
    }

    pub(super) fn requests(&self, operation: &str) -> Result<u64, Error> {
        Ok(
            self.admin("GET", "counters", None)?["by_operation"][operation]
                .as_u64()
                .unwrap_or(0),
        )
    }

    pub(super) fn common_args(&self) -> Vec<String> {
        let (url, token, zone) = (&self.base_url, &self.token, &self.zone);
        let args = format!("--base-url {url} --token {token} --zone {zone}");
        args.split(' ').map(str::to_owned).collect()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
