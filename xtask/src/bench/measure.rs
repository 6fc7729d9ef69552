//! The measurements of the micro-benchmarks and of parts (a) to (d), and the statistics of their
//! samples.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::drivers::{run_status, Client, Env, Mock};
use super::{LIST_LATENCY_MS, LIST_PACKS};
use crate::tasks::cargo;
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

pub(super) fn median(values: &[f64]) -> f64 {
    percentile(values, 0.5)
}

/// Linear-interpolated percentile (`q` in 0..=1); NaN for no values.
pub(super) fn percentile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q * v.len().saturating_sub(1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    match (v.get(lo), v.get(hi)) {
        (Some(lo_v), Some(hi_v)) => lo_v + (hi_v - lo_v) * (pos - lo as f64),
        _ => f64::NAN,
    }
}

/// Spread of per-round medians relative to their median: (max - min) / median.
pub(super) fn spread(round_medians: &[f64]) -> f64 {
    let range = percentile(round_medians, 1.0) - percentile(round_medians, 0.0);
    range / median(round_medians)
}

/// The numbers of a driver's output `key` (an array).
fn nanos(v: &Value, key: &str) -> Result<Vec<f64>, Error> {
    let array = v.get(key).and_then(Value::as_array);
    let numbers = array.map(|a| a.iter().filter_map(Value::as_f64).collect());
    numbers.ok_or_else(|| Error::Failed(format!("driver output without `{key}`: {v}")))
}

/// `(round, index)` of `rounds` rounds over `n` clients, the order rotated each round so no
/// client always runs first (or right after the slowest).
fn rotation(n: usize, rounds: u32) -> impl Iterator<Item = (u32, usize)> {
    (0..rounds).flat_map(move |round| (0..n).map(move |i| (round, (i + round as usize) % n)))
}

pub(super) struct Micro {
    /// (group/bench, median ns)
    pub(super) rows: Vec<(String, f64)>,
    /// Size of the 50-pack page fixture.
    pub(super) page_bytes: u64,
}

impl Micro {
    pub(super) fn get(&self, name: &str) -> f64 {
        let row = self.rows.iter().find(|(n, _)| n == name);
        row.map_or(f64::NAN, |(_, v)| *v)
    }
}

/// The micro-benchmarks: `cargo bench --bench micro`, then criterion's medians.
pub(super) fn micro(env: &Env) -> Result<Micro, Error> {
    println!("\n== micro-benchmarks: cargo bench --bench micro");
    let mut cmd = cargo(&env.root, "bench --package cloudflare-ssl --bench micro --");
    if env.quick {
        cmd.args("--warm-up-time 1 --measurement-time 2".split(' '));
    }
    run_status(&mut cmd, "cargo bench --bench micro")?;
    let mut rows = Vec::new();
    for (name, _) in MICRO {
        let path = env.target.join("criterion").join(name);
        let path = path.join("new/estimates.json");
        let estimates: Value = serde_json::from_str(&crate::read_text(&path)?)
            .map_err(|e| Error::io("parsing", &path, e))?;
        let median = estimates["median"]["point_estimate"].as_f64();
        let no_median = || Error::Failed(format!("{}: no median", path.display()));
        rows.push((name.to_owned(), median.ok_or_else(no_median)?));
    }
    let assets = env.root.join("benches/assets");
    let fixture = assets.join("certificate_packs_page50.json");
    let page = std::fs::metadata(&fixture).map_err(|e| Error::io("reading", &fixture, e))?;
    let page_bytes = page.len();
    Ok(Micro { rows, page_bytes })
}

#[derive(Default)]
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
        median(&self.round_medians)
    }
}

/// Part (a): rounds of sequential GETs of one pack by every client.
pub(super) fn get_overhead(env: &Env, mock: &Mock) -> Result<Vec<GetResult>, Error> {
    let (rounds, requests) = (env.rounds, env.requests);
    let what = format!("{rounds} rounds x {requests} sequential GETs per client");
    println!("\n== (a) per-request overhead: {what}");
    let page = mock.list_page(5)?;
    let pack = page["result"][1]["id"].as_str();
    let pack = pack.ok_or_else(|| Error::Failed(format!("no pack in {page}")))?;
    let clients = env.clients(&[Client::Crate, Client::Raw, Client::RawTyped]);
    let new = |&client| GetResult {
        client,
        ..GetResult::default()
    };
    let mut results: Vec<GetResult> = clients.iter().map(new).collect();
    let warmup = (requests / 10).clamp(20, 50);
    let args = format!("--pack {pack} --n {requests} --warmup {warmup}");
    for (round, index) in rotation(clients.len(), rounds) {
        let r = &mut results[index];
        let out = env.driver(r.client, "get", mock, &args)?;
        let samples = nanos(&out, "samples_ns")?;
        r.cpu_total += out["cpu_ns"].as_f64().unwrap_or(f64::NAN);
        let (label, round_median) = (r.client.label(env.prefetch), median(&samples));
        r.round_medians.push(round_median);
        r.samples.extend(samples);
        let (round, micros) = (round + 1, round_median / 1e3);
        println!("  round {round}: {label:<34} median {micros:>8.1} µs");
    }
    for r in &mut results {
        let total: f64 = r.samples.iter().sum();
        r.rps = r.samples.len() as f64 / (total / 1e9);
        r.cpu_per_request = r.cpu_total / r.samples.len() as f64;
    }
    Ok(results)
}

#[derive(Default)]
pub(super) struct ListResult {
    pub(super) client: Client,
    pub(super) walks: Vec<f64>,
    pub(super) items: u64,
    pub(super) requests_per_walk: f64,
}

/// Part (b): walks of the 2,000-pack listing with latency injected on every list request.
pub(super) fn listing(env: &Env, mock: &Mock) -> Result<Vec<ListResult>, Error> {
    let (repeat, rounds) = (if env.quick { 2 } else { 3 }, env.rounds.clamp(1, 4));
    let (packs, latency) = (LIST_PACKS, LIST_LATENCY_MS);
    println!(
        "\n== (b) listing {packs} packs, per_page 50, {latency} ms latency per list request: \
         {rounds} rounds x {repeat} walks per client"
    );
    let latency = json!({"millis": latency, "operation": "list_certificate_packs"});
    mock.admin("POST", "latency", Some(&latency))?;
    let clients = env.clients(&[Client::Crate, Client::CratePrefetch, Client::Raw]);
    let new = |client| ListResult {
        client,
        ..ListResult::default()
    };
    let mut results: Vec<ListResult> = clients.into_iter().map(new).collect();
    for (round, index) in rotation(results.len(), rounds) {
        let r = &mut results[index];
        let client = r.client;
        let ahead = client == Client::CratePrefetch;
        let prefetch = if ahead { env.prefetch } else { 1 };
        let args = format!("--per-page 50 --prefetch {prefetch} --repeat {repeat}");
        let before = mock.requests("list_certificate_packs")?;
        let out = env.driver(client, "list", mock, &args)?;
        let after = mock.requests("list_certificate_packs")?;
        let walks = nanos(&out, "walks_ns")?;
        r.items = out["items"].as_u64().unwrap_or(0);
        // One warm-up request per process.
        r.requests_per_walk = (after - before).saturating_sub(1) as f64 / walks.len() as f64;
        let (label, walk) = (client.label(env.prefetch), median(&walks) / 1e6);
        let (items, requests) = (r.items, r.requests_per_walk);
        let detail = format!("{items} items, {requests} requests per walk");
        let round = round + 1;
        println!("  round {round}: {label:<34} median {walk:>7.1} ms  ({detail})");
        r.walks.extend(walks);
        if items != u64::from(LIST_PACKS) {
            let e = format!("{client:?} listed {items} packs, not {LIST_PACKS}");
            return Err(Error::Failed(e));
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

/// Part (c): the peak memory of processes walking the mock's `packs` packs.
pub(super) fn memory(env: &Env, mock: &Mock, packs: u32) -> Result<Vec<MemResult>, Error> {
    println!("\n== (c) peak memory walking {packs} packs");
    let runs = if env.quick { 1 } else { 3 };
    let prefetch = format!("streaming `.prefetch({})`", env.prefetch);
    let modes = [
        ("streaming `.items()`".to_owned(), 1, 0),
        (prefetch, env.prefetch, 0),
        ("collecting into a `Vec`".to_owned(), 1, 1),
    ];
    let mut results = Vec::new();
    for (label, prefetch, collect) in modes {
        let (mut base, mut peak) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let args = format!("--per-page 50 --prefetch {prefetch} --collect {collect}");
            let out = env.driver(Client::Crate, "mem", mock, &args)?;
            if out["items"].as_u64() != Some(u64::from(packs)) {
                return Err(Error::Failed(format!("mem run saw {out}")));
            }
            base.push(out["baseline_kib"].as_f64().unwrap_or(f64::NAN));
            peak.push(out["peak_kib"].as_f64().unwrap_or(f64::NAN));
        }
        let (baseline_kib, peak_kib) = (median(&base), median(&peak));
        println!("  {label:<30} peak {peak_kib:>8.0} KiB (baseline {baseline_kib:.0} KiB)");
        results.push(MemResult {
            packs,
            label,
            baseline_kib,
            peak_kib,
        });
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

/// Part (d): clean, no-op and crate-only builds of the library in a scratch target folder.
pub(super) fn build_times(env: &Env) -> Result<BuildTimes, Error> {
    let profile = if env.release { "release" } else { "dev" };
    println!("\n== (d) build times ({profile} profile, scratch target directory)");
    let dir = env.target.join("bench-build");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io("removing", &dir, e))?;
    }
    run_status(&mut cargo(&env.root, "fetch --quiet"), "cargo fetch")?;
    // `cargo {args} --package cloudflare-ssl` in the scratch folder, in the profile measured.
    let profile_flag = if env.release { " --release" } else { "" };
    let cargo = |args: &str| {
        let args = format!("{args} --package cloudflare-ssl{profile_flag}");
        let mut cmd = cargo(&env.root, &args);
        cmd.env("CARGO_TARGET_DIR", &dir);
        cmd
    };
    let timed = |what: &str| {
        let start = Instant::now();
        run_status(&mut cargo("build --quiet --lib"), what).map(|()| start.elapsed())
    };
    let clean = timed("clean cargo build")?;
    println!("  clean build: {:.1} s", clean.as_secs_f64());

    let start = Instant::now();
    let out = cargo("build -vv --lib").output();
    let out = out.map_err(|e| Error::Io(format!("cargo build -vv: {e}")))?;
    let noop = start.elapsed();
    if !out.status.success() {
        return Err(Error::Failed("no-op cargo build -vv failed".into()));
    }
    let log = String::from_utf8_lossy(&out.stderr);
    let starts = |l: &str, prefix: &str| l.trim().starts_with(prefix);
    let fresh = log.lines().any(|l| starts(l, "Fresh cloudflare-ssl"));
    let reran = log.lines().any(|l| {
        let script = starts(l, "Running") && l.contains("build-script-build");
        (script && l.contains("cloudflare-ssl")) || l.starts_with("[cloudflare-ssl ")
    });
    let seconds = noop.as_secs_f64();
    println!("  no-op rebuild: {seconds:.2} s (fresh: {fresh}, build.rs rerun: {reran})");
    run_status(&mut cargo("clean --quiet"), "cargo clean -p cloudflare-ssl")?;
    let crate_only = timed("crate-only cargo build")?;
    let seconds = crate_only.as_secs_f64();
    println!("  the crate alone (build.rs + codegen + rustc): {seconds:.1} s");
    let _ = std::fs::remove_dir_all(&dir);
    let (noop_fresh, noop_ran_build_script) = (fresh, reran);
    Ok(BuildTimes {
        profile,
        clean,
        noop,
        noop_fresh,
        noop_ran_build_script,
        crate_only,
    })
}
