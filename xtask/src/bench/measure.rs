//! The measurements: micro-benchmarks, per-request overhead, listing, peak memory, build times.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::drivers::{cargo, run_json, run_status, Client, Env};
use super::mock::Mock;
use super::stats::{median, nanos};
use super::{Options, LIST_LATENCY_MS, LIST_PACKS};
use crate::Error;

/// The criterion benchmarks read, each with the one the report compares it with (or "").
pub(super) const MICRO: [(&str, &str); 10] = [
    ("decode/typed", "decode/value"),
    ("decode/value", ""),
    ("decode/typed_without_extra", "decode/value"),
    ("decode/lex_only", "decode/value"),
    ("envelope/list_page", "decode/typed"),
    ("envelope/get_pack", "envelope/get_pack_raw_value"),
    ("envelope/get_pack_raw_value", ""),
    ("request/build_and_sign", "request/raw"),
    ("request/raw", ""),
    ("request/crate_call", ""),
];

pub(super) struct Micro {
    /// (group/bench, median ns)
    pub(super) rows: Vec<(String, f64)>,
    /// Size of the 50-pack page fixture.
    pub(super) page_bytes: u64,
}

impl Micro {
    pub(super) fn get(&self, name: &str) -> f64 {
        self.rows
            .iter()
            .find(|(n, _)| n == name)
            .map_or(f64::NAN, |(_, v)| *v)
    }
}

pub(super) fn micro(env: &Env, quick: bool) -> Result<Micro, Error> {
    println!("\n== micro-benchmarks: cargo bench --bench micro");
    let mut cmd = cargo();
    cmd.current_dir(&env.root)
        .args(words("bench --package cloudflare-ssl --bench micro --"));
    if quick {
        cmd.args(words("--warm-up-time 1 --measurement-time 2"));
    }
    run_status(&mut cmd, "cargo bench --bench micro")?;
    let mut rows = Vec::new();
    for (name, _) in MICRO {
        let path = env
            .target
            .join("criterion")
            .join(name)
            .join("new/estimates.json");
        let estimates: Value = serde_json::from_str(&crate::read_text(&path)?)
            .map_err(|e| Error::io("parsing", &path, e))?;
        let median = estimates["median"]["point_estimate"]
            .as_f64()
            .ok_or_else(|| Error::Failed(format!("{}: no median", path.display())))?;
        rows.push((name.to_owned(), median));
    }
    let fixture = env
        .root
        .join("benches/assets/certificate_packs_page50.json");
    let page_bytes = std::fs::metadata(&fixture)
        .map_err(|e| Error::io("reading", &fixture, e))?
        .len();
    Ok(Micro { rows, page_bytes })
}

/// The space-separated words of `text`, as a driver's arguments.
fn words(text: &str) -> Vec<String> {
    text.split(' ').map(str::to_owned).collect()
}

pub(super) struct GetResult {
    pub(super) client: Client,
    /// Every request's latency, all rounds, ns.
    pub(super) samples: Vec<f64>,
    pub(super) round_medians: Vec<f64>,
    /// Requests per second: requests / total time, all rounds.
    pub(super) rps: f64,
    /// The client process's own CPU time per request (ns), all rounds.
    pub(super) cpu_per_request: f64,
    pub(super) cpu_total: f64,
}

impl GetResult {
    /// The headline latency of a client: the median of its per-round medians, so one disturbed
    /// round (the machine is shared) moves it less than a pooled median.
    pub(super) fn headline(&self) -> f64 {
        super::stats::median(&self.round_medians)
    }
}

pub(super) fn get_overhead(env: &Env, mock: &Mock, o: &Options) -> Result<Vec<GetResult>, Error> {
    println!(
        "\n== (a) per-request overhead: {} rounds x {} sequential GETs per client",
        o.rounds, o.requests
    );
    let page = mock.list_page(5)?;
    let pack = page["result"][1]["id"]
        .as_str()
        .ok_or_else(|| Error::Failed(format!("no pack in {page}")))?
        .to_owned();
    let clients = env.clients();
    let mut results: Vec<GetResult> = clients
        .iter()
        .map(|c| GetResult {
            client: *c,
            samples: Vec::new(),
            round_medians: Vec::new(),
            rps: 0.0,
            cpu_per_request: 0.0,
            cpu_total: 0.0,
        })
        .collect();
    let warmup = (o.requests / 10).clamp(20, 50);
    let extra = words(&format!(
        "--pack {pack} --n {} --warmup {warmup}",
        o.requests
    ));
    for round in 0..o.rounds {
        // Rotate the order so no client always runs first (or right after the slowest).
        for i in 0..clients.len() {
            let index = (i + round as usize) % clients.len();
            let client = clients[index];
            let out = run_json(
                &mut env.driver(client, "get", mock, &extra),
                &format!("{client:?} get"),
            )?;
            let samples = nanos(&out, "samples_ns")?;
            let r = &mut results[index];
            r.cpu_total += out["cpu_ns"].as_f64().unwrap_or(f64::NAN);
            r.round_medians.push(median(&samples));
            r.samples.extend(samples);
            println!(
                "  round {}: {:<34} median {:>8.1} µs",
                round + 1,
                client.label(o.prefetch),
                r.round_medians.last().copied().unwrap_or(f64::NAN) / 1e3
            );
        }
    }
    for r in &mut results {
        let total: f64 = r.samples.iter().sum();
        r.rps = r.samples.len() as f64 / (total / 1e9);
        r.cpu_per_request = r.cpu_total / r.samples.len() as f64;
    }
    Ok(results)
}

pub(super) struct ListResult {
    pub(super) client: Client,
    pub(super) walks: Vec<f64>,
    pub(super) items: u64,
    pub(super) requests_per_walk: f64,
}

pub(super) fn listing(env: &Env, mock: &Mock, o: &Options) -> Result<Vec<ListResult>, Error> {
    let repeat = if o.quick { 2 } else { 3 };
    let rounds = o.rounds.clamp(1, 4);
    println!(
        "\n== (b) listing {LIST_PACKS} packs, per_page 50, {LIST_LATENCY_MS} ms latency per list request: {rounds} rounds x {repeat} walks per client"
    );
    mock.admin(
        "POST",
        "latency",
        Some(&json!({"millis": LIST_LATENCY_MS, "operation": "list_certificate_packs"})),
    )?;
    let mut clients = vec![Client::Crate, Client::CratePrefetch, Client::Raw];
    clients.extend(
        env.clients()
            .into_iter()
            .filter(|c| matches!(c, Client::Python | Client::Node)),
    );
    let mut results: Vec<ListResult> = clients
        .iter()
        .map(|c| ListResult {
            client: *c,
            walks: Vec::new(),
            items: 0,
            requests_per_walk: 0.0,
        })
        .collect();
    for round in 0..rounds {
        for i in 0..clients.len() {
            let index = (i + round as usize) % clients.len();
            let client = clients[index];
            let prefetch = if client == Client::CratePrefetch {
                o.prefetch
            } else {
                1
            };
            let extra = words(&format!(
                "--per-page 50 --prefetch {prefetch} --repeat {repeat}"
            ));
            let before = mock.requests("list_certificate_packs")?;
            let out = run_json(
                &mut env.driver(client, "list", mock, &extra),
                &format!("{client:?} list"),
            )?;
            let after = mock.requests("list_certificate_packs")?;
            let walks = nanos(&out, "walks_ns")?;
            let r = &mut results[index];
            r.items = out["items"].as_u64().unwrap_or(0);
            // One warm-up request per process.
            r.requests_per_walk = (after - before).saturating_sub(1) as f64 / walks.len() as f64;
            println!(
                "  round {}: {:<34} median {:>7.1} ms  ({} items, {} requests per walk)",
                round + 1,
                client.label(o.prefetch),
                median(&walks) / 1e6,
                r.items,
                r.requests_per_walk
            );
            r.walks.extend(walks);
            if r.items != u64::from(LIST_PACKS) {
                return Err(Error::Failed(format!(
                    "{client:?} listed {} packs, not {LIST_PACKS}",
                    r.items
                )));
            }
        }
    }
    mock.admin("DELETE", "faults", None)?;
    Ok(results)
}

pub(super) struct MemResult {
    pub(super) packs: u32,
    pub(super) label: String,
    pub(super) baseline_kib: f64,
    pub(super) peak_kib: f64,
}

pub(super) fn memory(
    env: &Env,
    mock: &Mock,
    packs: u32,
    o: &Options,
) -> Result<Vec<MemResult>, Error> {
    println!("\n== (c) peak memory walking {packs} packs");
    let runs = if o.quick { 1 } else { 3 };
    let modes = [
        ("streaming `.items()`".to_owned(), 1, 0),
        (
            format!("streaming `.prefetch({})`", o.prefetch),
            o.prefetch,
            0,
        ),
        ("collecting into a `Vec`".to_owned(), 1, 1),
    ];
    let mut results = Vec::new();
    for (label, prefetch, collect) in modes {
        let (mut base, mut peak) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let extra = words(&format!(
                "--per-page 50 --prefetch {prefetch} --collect {collect}"
            ));
            let out = run_json(
                &mut env.driver(Client::Crate, "mem", mock, &extra),
                "crate mem",
            )?;
            if out["items"].as_u64() != Some(u64::from(packs)) {
                return Err(Error::Failed(format!("mem run saw {out}")));
            }
            base.push(out["baseline_kib"].as_f64().unwrap_or(f64::NAN));
            peak.push(out["peak_kib"].as_f64().unwrap_or(f64::NAN));
        }
        let r = MemResult {
            packs,
            label,
            baseline_kib: median(&base),
            peak_kib: median(&peak),
        };
        println!(
            "  {:<30} peak {:>8.0} KiB (baseline {:.0} KiB)",
            r.label, r.peak_kib, r.baseline_kib
        );
        results.push(r);
    }
    Ok(results)
}

pub(super) struct BuildTimes {
    pub(super) profile: &'static str,
    pub(super) clean: Duration,
    pub(super) noop: Duration,
    pub(super) noop_fresh: bool,
    pub(super) noop_ran_build_script: bool,
    pub(super) crate_only: Duration,
}

pub(super) fn build_times(env: &Env, release: bool) -> Result<BuildTimes, Error> {
    let profile = if release { "release" } else { "dev" };
    println!("\n== (d) build times ({profile} profile, scratch target directory)");
    let dir = env.target.join("bench-build");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io("removing", &dir, e))?;
    }
    run_status(
        cargo().current_dir(&env.root).args(["fetch", "--quiet"]),
        "cargo fetch",
    )?;
    let build = |extra: &[&str]| {
        let mut cmd = cargo();
        cmd.current_dir(&env.root)
            .env("CARGO_TARGET_DIR", &dir)
            .args(["build", "--package", "cloudflare-ssl", "--lib"])
            .args(extra);
        if release {
            cmd.arg("--release");
        }
        cmd
    };
    let start = Instant::now();
    run_status(&mut build(&["--quiet"]), "clean cargo build")?;
    let clean = start.elapsed();
    println!("  clean build: {:.1} s", clean.as_secs_f64());

    let start = Instant::now();
    let out = build(&["-vv"])
        .output()
        .map_err(|e| Error::Io(format!("cargo build -vv: {e}")))?;
    let noop = start.elapsed();
    if !out.status.success() {
        return Err(Error::Failed("no-op cargo build -vv failed".into()));
    }
    let log = String::from_utf8_lossy(&out.stderr);
    let noop_fresh = log
        .lines()
        .any(|l| l.trim().starts_with("Fresh cloudflare-ssl"));
    let noop_ran_build_script = log.lines().any(|l| {
        l.trim().starts_with("Running")
            && l.contains("build-script-build")
            && l.contains("cloudflare-ssl")
    }) || log.lines().any(|l| l.starts_with("[cloudflare-ssl "));
    println!(
        "  no-op rebuild: {:.2} s (fresh: {noop_fresh}, build.rs rerun: {noop_ran_build_script})",
        noop.as_secs_f64()
    );

    let mut clean_crate = cargo();
    clean_crate
        .current_dir(&env.root)
        .env("CARGO_TARGET_DIR", &dir)
        .args(["clean", "--quiet", "--package", "cloudflare-ssl"]);
    if release {
        clean_crate.arg("--release");
    }
    run_status(&mut clean_crate, "cargo clean -p cloudflare-ssl")?;
    let start = Instant::now();
    run_status(&mut build(&["--quiet"]), "crate-only cargo build")?;
    let crate_only = start.elapsed();
    println!(
        "  the crate alone (build.rs + codegen + rustc): {:.1} s",
        crate_only.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(BuildTimes {
        profile,
        clean,
        noop,
        noop_fresh,
        noop_ran_build_script,
        crate_only,
    })
}
