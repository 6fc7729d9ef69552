//! Command-line parsing shared by the end-to-end benchmark drivers (`--name value` pairs).

use std::collections::HashMap;

/// `MODE --key value ...` parsed into the mode and a map.
pub struct Args {
    pub mode: String,
    values: HashMap<String, String>,
}

impl Args {
    pub fn parse() -> Args {
        let mut iter = std::env::args().skip(1);
        let mode = iter.next().unwrap_or_default();
        let mut values = HashMap::new();
        while let Some(flag) = iter.next() {
            let key = flag.trim_start_matches("--").to_owned();
            let value = iter
                .next()
                .unwrap_or_else(|| panic!("`{flag}` needs a value"));
            values.insert(key, value);
        }
        Args { mode, values }
    }

    pub fn str(&self, key: &str) -> &str {
        self.values
            .get(key)
            .unwrap_or_else(|| panic!("missing --{key}"))
    }

    pub fn opt(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    pub fn num(&self, key: &str, default: u64) -> u64 {
        self.values.get(key).map_or(default, |v| {
            v.parse()
                .unwrap_or_else(|_| panic!("--{key}: `{v}` is not a number"))
        })
    }
}

/// The process's peak resident set size so far (`VmHWM`), in KiB.
pub fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A single-threaded Tokio runtime: every driver measures one client on one thread.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Nanoseconds as a JSON array.
pub fn nanos(samples: &[std::time::Duration]) -> serde_json::Value {
    samples.iter().map(|d| d.as_nanos() as u64).collect()
}

/// CPU time this thread has run so far (`/proc/thread-self/schedstat`), in ns. The drivers run
/// everything on one thread (a current-thread runtime), so this is the client's CPU cost.
pub fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}
