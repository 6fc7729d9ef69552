//! The machine the harness runs on: the CPUs the mock and the drivers are pinned to, the load,
//! and the output of small commands (tool versions, `taskset`).

use std::process::Command;

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
        assert_eq!(
            wrapped.get_current_dir(),
            Some(std::path::Path::new("/tmp"))
        );
    }
}
