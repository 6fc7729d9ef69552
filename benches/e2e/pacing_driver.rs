//! Pacing benchmark for `cargo xtask bench` (issue 21): several processes share one token
//! against the mock with a scaled rate limit, each auditing many zones (list packs, quota) as
//! fast as its client lets it, with server-advised pacing on or off.
//!
//! ```text
//! bench-pacing run --processes 4 --limit 120 --window 30 --seconds 60 --zones 200 --pacing on
//! ```
//!
//! `run` starts the mock (its realtime clock, so windows reset) and the worker processes (this
//! program again, `worker …`), then prints one JSON object: requests the mock answered, 429s,
//! the budget (limit × windows) and the share of it used.

#[allow(dead_code)]
#[path = "args.rs"]
mod args;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cloudflare_ssl::Client;
use cloudflare_ssl_mock::{MockServer, RateLimitPolicy, ZoneSeed};
use serde_json::json;

fn zone_id(i: u64) -> String {
    format!("{:032x}", 0xa000 + i)
}

fn main() {
    let args = args::Args::parse();
    match args.mode.as_str() {
        "run" => run(&args),
        "worker" => args::runtime().block_on(worker(&args)),
        other => panic!("unknown mode `{other}` (run, worker)"),
    }
}

fn run(args: &args::Args) {
    let processes = args.num("processes", 4);
    let limit = args.num("limit", 120);
    let window = args.num("window", 30);
    let seconds = args.num("seconds", 60);
    let zones = args.num("zones", 200);
    let pacing = args.opt("pacing").unwrap_or("on");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mock = rt.block_on(
        MockServer::builder()
            .zones(
                (0..zones)
                    .map(|i| ZoneSeed::new(zone_id(i), format!("zone{i}.example")))
                    .collect(),
            )
            .rate_limit(Some(RateLimitPolicy {
                limit: u32::try_from(limit).expect("limit"),
                window: Duration::from_secs(window),
            }))
            .start(),
    );
    let exe = std::env::current_exe().expect("own path");
    let started = Instant::now();
    let children: Vec<_> = (0..processes)
        .map(|p| {
            Command::new(&exe)
                .args([
                    "worker",
                    "--base-url",
                    &mock.base_url(),
                    "--token",
                    mock.token(),
                ])
                .args([
                    "--seconds",
                    &seconds.to_string(),
                    "--zones",
                    &zones.to_string(),
                ])
                .args(["--first", &(p * zones / processes.max(1)).to_string()])
                .args(["--pacing", pacing])
                .stdout(Stdio::piped())
                .spawn()
                .expect("worker")
        })
        .collect();
    let mut ok = 0;
    let mut failed = 0;
    for child in children {
        let out = child.wait_with_output().expect("worker output");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("worker JSON");
        ok += report["ok"].as_u64().unwrap_or(0);
        failed += report["failed"].as_u64().unwrap_or(0);
    }
    let elapsed = started.elapsed();
    let counters = mock.counters();
    let windows = seconds.div_ceil(window.max(1));
    let budget = limit * windows;
    let answered = counters.total - counters.rate_limited;
    println!(
        "{}",
        json!({
            "pacing": pacing,
            "processes": processes,
            "limit": limit,
            "window_secs": window,
            "seconds": seconds,
            "elapsed_secs": elapsed.as_secs_f64(),
            "requests": counters.total,
            "rate_limited": counters.rate_limited,
            "answered": answered,
            "budget": budget,
            "budget_used": answered as f64 / budget as f64,
            "calls_ok": ok,
            "calls_failed": failed,
        })
    );
    drop(mock);
    rt.shutdown_timeout(Duration::from_secs(1));
}

async fn worker(args: &args::Args) {
    let end = Instant::now() + Duration::from_secs(args.num("seconds", 60));
    let zones = args.num("zones", 200);
    let mut next = args.num("first", 0);
    let client = Client::builder()
        .api_token(args.str("token"))
        .base_url(args.str("base-url"))
        .pacing(args.str("pacing") == "on")
        .build()
        .expect("client");
    let (mut ok, mut failed) = (0u64, 0u64);
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let zone = client.zone(zone_id(next % zones)).expect("zone");
        next += 1;
        // One audit step: the zone's packs and quota. A call still waiting (pacing or a
        // Retry-After) at the end is dropped unsent.
        let packs = zone.certificate_packs();
        let step = async {
            let list = packs.list().send().await;
            let quota = packs.quota().await;
            [list.is_ok(), quota.is_ok()]
        };
        match tokio::time::timeout(left, step).await {
            Ok(results) => {
                for r in results {
                    if r {
                        ok += 1;
                    } else {
                        failed += 1;
                    }
                }
            }
            Err(_) => break,
        }
    }
    println!("{}", json!({ "ok": ok, "failed": failed }));
}
