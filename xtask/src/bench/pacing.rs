//! Part (f), issue 21: server-advised pacing. `bench-pacing run` starts the mock with a scaled
//! rate limit and N worker processes sharing one token, each auditing many zones; run with the
//! client's pacing on and off. Goal: 0 responses 429 and at least 90% of the budget used.

use std::path::Path;
use std::process::Command;

use super::drivers::run_json;
use crate::Error;

/// The scaled limit and the run's length.
pub(super) const PROCESSES: u32 = 4;
pub(super) const LIMIT: u32 = 120;
pub(super) const WINDOW_SECS: u32 = 30;
pub(super) const ZONES: u32 = 200;

/// One run of part (f).
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
    for (pacing, mode) in [(true, "on"), (false, "off")] {
        let limit = format!("{LIMIT} requests / {WINDOW_SECS} s");
        println!("(f) pacing {mode}: {PROCESSES} processes, {limit}, {seconds} s");
        let args = format!(
            "run --processes {PROCESSES} --limit {LIMIT} --window {WINDOW_SECS} --seconds {seconds} \
             --zones {ZONES} --pacing {mode}"
        );
        let mut run = Command::new(driver);
        run.args(args.split(' '));
        let v = run_json(run, &format!("{} run", driver.display()))?;
        let count = |key: &str| v[key].as_u64().unwrap_or(0);
        let run = PacingRun {
            pacing,
            seconds,
            requests: count("requests"),
            rate_limited: count("rate_limited"),
            budget: count("budget"),
            budget_used: v["budget_used"].as_f64().unwrap_or(0.0),
        };
        println!("    {}", row(&run));
        runs.push(run);
    }
    Ok(runs)
}

fn row(r: &PacingRun) -> String {
    let pacing = if r.pacing { "on" } else { "off" };
    let (requests, limited, budget, used) = (r.requests, r.rate_limited, r.budget, r.budget_used);
    let used = used * 100.0;
    format!("| {pacing} | {requests} | {limited} | {budget} | {used:.1}% |")
}

/// The Markdown section of part (f).
pub(super) fn pacing_table(runs: &[PacingRun]) -> String {
    let seconds = runs.first().map_or(0, |r| r.seconds);
    let rows: String = runs.iter().map(|r| row(r) + "\n").collect();
    format!(
        "\n### (f) Server-advised pacing: {PROCESSES} processes, one token\n\n\
         {PROCESSES} processes audit {ZONES} zones (list packs, quota) for {seconds} s against \
         the mock limited to {LIMIT} requests per {WINDOW_SECS} s for the token; goal: 0 × 429 \
         and ≥ 90% of the budget ({LIMIT} × windows) answered.\n\n\
         | pacing | requests | 429 | budget | budget used |\n|---|---|---|---|---|\n{rows}"
    )
}
