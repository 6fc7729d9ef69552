//! Part (f), issue 21: server-advised pacing. `bench-pacing run` starts the mock with a scaled
//! rate limit and N worker processes sharing one token, each auditing many zones; run with the
//! client's pacing on and off. Goal: 0 responses 429 and at least 90% of the budget used.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::Error;

/// The scaled limit and the run's length.
pub(super) const PROCESSES: u32 = 4;
pub(super) const LIMIT: u32 = 120;
pub(super) const WINDOW_SECS: u32 = 30;
pub(super) const ZONES: u32 = 200;

/// One run of the pacing benchmark.
#[derive(Debug, Clone)]
pub(super) struct PacingRun {
    pub(super) pacing: bool,
    pub(super) seconds: u32,
    pub(super) requests: u64,
    pub(super) rate_limited: u64,
    pub(super) budget: u64,
    pub(super) budget_used: f64,
}

/// Runs the driver with pacing on, then off.
pub(super) fn pacing(driver: &Path, seconds: u32) -> Result<Vec<PacingRun>, Error> {
    let mut runs = Vec::new();
    for on in [true, false] {
        let mode = if on { "on" } else { "off" };
        println!(
            "(f) pacing {mode}: {PROCESSES} processes, {LIMIT} requests / {WINDOW_SECS} s, {seconds} s"
        );
        let args = format!(
            "run --processes {PROCESSES} --limit {LIMIT} --window {WINDOW_SECS} --seconds {seconds} \
             --zones {ZONES} --pacing {mode}"
        );
        let output = Command::new(driver)
            .args(args.split_whitespace())
            .output()
            .map_err(|e| Error::Io(format!("{}: {e}", driver.display())))?;
        if !output.status.success() {
            return Err(Error::Failed(format!(
                "{} run failed: {}",
                driver.display(),
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        let v: Value = serde_json::from_slice(&output.stdout)
            .map_err(|e| Error::Failed(format!("bench-pacing output: {e}")))?;
        let run = PacingRun {
            pacing: on,
            seconds,
            requests: v["requests"].as_u64().unwrap_or(0),
            rate_limited: v["rate_limited"].as_u64().unwrap_or(0),
            budget: v["budget"].as_u64().unwrap_or(0),
            budget_used: v["budget_used"].as_f64().unwrap_or(0.0),
        };
        println!("    {}", row(&run));
        runs.push(run);
    }
    Ok(runs)
}

fn row(r: &PacingRun) -> String {
    format!(
        "| {} | {} | {} | {} | {:.1}% |",
        if r.pacing { "on" } else { "off" },
        r.requests,
        r.rate_limited,
        r.budget,
        r.budget_used * 100.0
    )
}

/// The markdown table of part (f).
pub(super) fn pacing_table(runs: &[PacingRun]) -> String {
    let mut s = String::new();
    let seconds = runs.first().map_or(0, |r| r.seconds);
    let _ = writeln!(
        s,
        "\n### (f) Server-advised pacing: {PROCESSES} processes, one token\n\n\
         {PROCESSES} processes audit {ZONES} zones (list packs, quota) for {seconds} s against \
         the mock limited to {LIMIT} requests per {WINDOW_SECS} s for the token; goal: 0 × 429 \
         and ≥ 90% of the budget ({LIMIT} × windows) answered.\n"
    );
    let _ = writeln!(
        s,
        "| pacing | requests | 429 | budget | budget used |\n|---|---|---|---|---|"
    );
    for r in runs {
        let _ = writeln!(s, "{}", row(r));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_429s_and_budget_use() {
        let t = pacing_table(&[PacingRun {
            pacing: true,
            seconds: 60,
            requests: 230,
            rate_limited: 0,
            budget: 240,
            budget_used: 0.958,
        }]);
        assert!(t.contains("| on | 230 | 0 | 240 | 95.8% |"), "{t}");
    }
}
