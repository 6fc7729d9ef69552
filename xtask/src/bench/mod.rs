//! `cargo xtask bench`: the end-to-end benchmark harness (issue #6), against the crate's mock
//! (`cloudflare-ssl-mock`, a separate process on 127.0.0.1):
//!
//! * **micro**: the criterion benchmarks of `benches/micro.rs` (decode, envelope, request);
//! * **(a) per-request overhead**: sequential `GET`s of one certificate pack with this crate, a
//!   bare reqwest + serde_json floor and the official Python and TypeScript SDKs, interleaved;
//! * **(b) listing 2,000 packs** (40 pages of 50, 20 ms latency on every list request): this
//!   crate sequential and with prefetch, the floor, and the SDKs' auto-pagination;
//! * **(c) peak memory** (`VmHWM`) walking 2,000 and 10,000 packs, streaming vs collecting;
//! * **(d) build times**: clean, no-op (must not rerun `build.rs`), the crate alone;
//! * **(e) downstream build cost** (`downstream`) against the `cloudflare` crate;
//! * **(f) server-advised pacing** (`pacing`): 4 processes sharing one token, pacing on and off;
//! * **(g) the mock against Prism** (`prism`): requests per second under the same `wrk` load.
//!
//! The SDKs are installed under `target/bench-sdks/` by the harness. The results go between
//! markers in `BENCHMARKS.md` (the analysis around them is kept) and into an SVG chart of the
//! ratios (`report`); the machine is described from what it reports at run time.

mod downstream;
mod drivers;
mod host;
mod measure;
mod mock;
mod pacing;
mod prism;
mod report;
mod stats;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use self::downstream::downstream;
use self::drivers::{build, cargo, node_sdk, python_sdk, run_status, target_dir, Env};
use self::host::{command_output, load_average};
use self::measure::{build_times, get_overhead, listing, memory, micro};
use self::mock::Mock;
use self::report::{machine, markdown, svg, targets, write_markdown, Report};
use crate::Error;

/// How cargo selects the mock binary: the workspace package `cloudflare-ssl-mock`, as in
/// `cargo run -p cloudflare-ssl-mock --bin cloudflare-ssl-mock -- …`. The one place that names it.
pub const MOCK_TARGET: &[&str] = &[
    "--package",
    "cloudflare-ssl-mock",
    "--bin",
    "cloudflare-ssl-mock",
];
/// The mock binary's file name under `target/release/`.
pub const MOCK_BINARY: &str = "cloudflare-ssl-mock";
/// How cargo selects the benchmark drivers: examples of the root crate (`benches/e2e/`). The one
/// place that names them.
pub const DRIVER_TARGETS: &[&str] = &[
    "--package",
    "cloudflare-ssl",
    "--example",
    "bench-crate",
    "--example",
    "bench-raw",
    "--example",
    "bench-pacing",
];

const BEGIN: &str =
    "<!-- bench:begin (written by `cargo xtask bench`; edit outside the markers) -->";
const END: &str = "<!-- bench:end -->";
const LIST_PACKS: u32 = 2_000;
const BIG_PACKS: u32 = 10_000;
const LIST_LATENCY_MS: u64 = 20;

/// The build profile of part (d).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BuildProfile {
    /// `cargo build` (also accepted as `debug`).
    #[value(alias = "debug")]
    Dev,
    /// `cargo build --release`.
    Release,
}

/// The options of `cargo xtask bench`.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Fewer requests (100) and rounds (3) unless given, short criterion runs.
    #[arg(long)]
    pub quick: bool,
    /// Sequential GETs per client and round [default: 250, --quick 100].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub requests: Option<u32>,
    /// Interleaved rounds [default: 20, --quick 3].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: Option<u32>,
    /// Pages fetched ahead in the prefetching listing.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    pub prefetch: u32,
    /// Skip the official Python and TypeScript SDKs.
    #[arg(long)]
    pub no_sdks: bool,
    /// Skip the criterion micro-benchmarks.
    #[arg(long)]
    pub no_micro: bool,
    /// Skip the build times of part (d).
    #[arg(long)]
    pub no_build_time: bool,
    /// Skip the downstream build cost of part (e).
    #[arg(long)]
    pub no_downstream: bool,
    /// Skip the pacing benchmark of part (f).
    #[arg(long)]
    pub no_pacing: bool,
    /// Only run the pacing benchmark (part f) and print it; writes no file.
    #[arg(long, conflicts_with_all = ["no_pacing", "downstream_only"])]
    pub pacing_only: bool,
    /// Seconds each pacing run lasts [default: 60, --quick 30].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..))]
    pub pacing_seconds: Option<u32>,
    /// Skip the comparison with Prism of part (g).
    #[arg(long)]
    pub no_prism: bool,
    /// Only run the comparison with Prism (part g) and print it; writes no file.
    #[arg(long, conflicts_with_all = ["no_prism", "pacing_only", "downstream_only"])]
    pub prism_only: bool,
    /// Seconds of each wrk run in part (g) [default: 5, --quick 2].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..))]
    pub prism_seconds: Option<u32>,
    /// Interleaved rounds per case in part (g) [default: 3, --quick 1].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub prism_rounds: Option<u32>,
    /// The mock binary part (g) measures instead of the one it builds (e.g. a copy of an older
    /// build, for a before/after comparison).
    #[arg(long, value_name = "FILE")]
    pub prism_mock: Option<PathBuf>,
    /// Only measure the downstream build cost (part e) and print it; writes no file.
    #[arg(long, conflicts_with = "no_downstream")]
    pub downstream_only: bool,
    /// Profile of the build times of part (d).
    #[arg(long, value_name = "PROFILE", value_enum, default_value = "dev")]
    pub build_profile: BuildProfile,
    /// Version of the Python SDK (`cloudflare` on PyPI).
    #[arg(long, value_name = "VERSION", default_value = "5.9.0")]
    pub python_sdk: String,
    /// Version of the TypeScript SDK (`cloudflare` on npm).
    #[arg(long, value_name = "VERSION", default_value = "7.3.0")]
    pub ts_sdk: String,
    /// The report, relative to the repository root.
    #[arg(long, value_name = "FILE", default_value = "BENCHMARKS.md")]
    pub out: PathBuf,
    /// The chart, relative to the repository root.
    #[arg(long, value_name = "FILE", default_value = "benches/ratios.svg")]
    pub chart: PathBuf,
}

/// The numbers the measurements use, with the defaults that depend on `--quick` resolved.
pub(crate) struct Options {
    quick: bool,
    requests: u32,
    rounds: u32,
    prefetch: u32,
}

/// The load average as each part starts, and the notes of the run (parts skipped and why).
struct Log {
    loads: Vec<(String, String)>,
    notes: Vec<String>,
}

impl Log {
    /// Runs a part (named `name` among the loads) when `run`, else notes `skipped`.
    fn part<T>(
        &mut self,
        run: bool,
        name: &str,
        skipped: &str,
        f: impl FnOnce() -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        if !run {
            self.notes.push(skipped.to_owned());
            return Ok(None);
        }
        self.loads.push((name.to_owned(), load_average()));
        f().map(Some)
    }
}

/// Entry point of `cargo xtask bench`.
pub fn run(root: &Path, args: &BenchArgs) -> Result<u8, Error> {
    let quick = |quick: u32, full: u32| if args.quick { quick } else { full };
    let o = Options {
        quick: args.quick,
        requests: args.requests.unwrap_or(quick(100, 250)),
        rounds: args.rounds.unwrap_or(quick(3, 20)),
        prefetch: args.prefetch,
    };
    let target = target_dir(root);
    // The command as typed (after `cargo xtask`), for the report.
    let command = std::iter::once("cargo xtask".to_owned())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    if args.downstream_only {
        let start = load_average();
        let d = downstream(root, &target)?;
        println!(
            "\n(--downstream-only: BENCHMARKS.md and the chart are left as they are; load average \
             {start} at the start, {} at the end, on {} available cores)",
            load_average(),
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
        print!("{}", report::downstream_table(&d));
        return Ok(0);
    }
    let pacing_seconds = args.pacing_seconds.unwrap_or(quick(30, 60));
    let pacing_driver = target.join("release/examples/bench-pacing");
    if args.pacing_only {
        build(root)?;
        let runs = pacing::pacing(&pacing_driver, pacing_seconds)?;
        println!("\n(--pacing-only: BENCHMARKS.md and the chart are left as they are)");
        print!("{}", pacing::pacing_table(&runs));
        return Ok(0);
    }
    let (prism_seconds, prism_rounds) = (args.prism_seconds, args.prism_rounds);
    let (prism_seconds, prism_rounds) = (
        prism_seconds.unwrap_or(quick(2, 5)),
        prism_rounds.unwrap_or(quick(1, 3)),
    );
    let release = target.join("release");
    let mock_binary = args
        .prism_mock
        .clone()
        .unwrap_or_else(|| release.join(MOCK_BINARY));
    if args.prism_only {
        if let Some(missing) = prism::missing_tools() {
            println!("(g) the comparison with Prism is skipped: {missing}");
            return Ok(0);
        }
        if args.prism_mock.is_none() {
            println!("building the mock (release)");
            let mut cmd = cargo();
            cmd.current_dir(root)
                .args(["build", "--release"])
                .args(MOCK_TARGET);
            run_status(&mut cmd, "cargo build --release (the mock)")?;
        }
        let start = load_average();
        let run = prism::compare(root, &target, &mock_binary, prism_seconds, prism_rounds)?;
        println!(
            "\n(--prism-only: BENCHMARKS.md is left as it is; load average {start} at the start, \
             {} at the end)",
            load_average()
        );
        print!("{}", prism::prism_table(&run));
        return Ok(0);
    }
    let date = command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default();
    let mut log = Log {
        loads: vec![("start".to_owned(), load_average())],
        notes: Vec::new(),
    };

    build(root)?;
    let mut env = Env {
        root: root.to_path_buf(),
        mock: release.join(MOCK_BINARY),
        crate_driver: release.join("examples/bench-crate"),
        raw_driver: release.join("examples/bench-raw"),
        target: target.clone(),
        python: None,
        node: None,
    };
    let mut machine = machine();
    if args.no_sdks {
        log.notes.push("SDKs skipped (--no-sdks)".into());
    } else {
        let dir = target.join("bench-sdks");
        match python_sdk(&dir, &args.python_sdk) {
            Ok(p) => {
                let python = p.0.to_str().unwrap_or_default();
                let version = command_output(python, &["--version"]).unwrap_or_default();
                let sdk = format!("`cloudflare` {} on {version} (httpx; max_retries=0)", p.1);
                machine.push(("Python SDK".into(), sdk));
                env.python = Some(p);
            }
            Err(e) => log.notes.push(format!("Python SDK unavailable: {e}")),
        }
        match node_sdk(&dir, &args.ts_sdk) {
            Ok(p) => {
                let node = command_output("node", &["--version"]).unwrap_or_default();
                let sdk = format!(
                    "`cloudflare` {} on Node {node} (built-in fetch; maxRetries: 0)",
                    p.1
                );
                machine.push(("TypeScript SDK".into(), sdk));
                env.node = Some(p);
            }
            Err(e) => log.notes.push(format!("TypeScript SDK unavailable: {e}")),
        }
    }
    for note in &log.notes {
        eprintln!("note: {note}");
    }

    let skipped = "micro-benchmarks skipped (--no-micro)";
    let micro = log.part(!args.no_micro, "micro-benchmarks", skipped, || {
        micro(&env, o.quick)
    })?;
    let (gets, lists, mut mem) = {
        let mock = Mock::start(&env.mock, LIST_PACKS)?;
        log.loads.push(("(a) GET overhead".into(), load_average()));
        let gets = get_overhead(&env, &mock, &o)?;
        log.loads
            .push(("(c) memory, 2,000 packs".into(), load_average()));
        let mem = memory(&env, &mock, LIST_PACKS, &o)?;
        log.loads.push(("(b) listing".into(), load_average()));
        let lists = listing(&env, &mock, &o)?;
        (gets, lists, mem)
    };
    {
        let mock = Mock::start(&env.mock, BIG_PACKS)?;
        log.loads
            .push(("(c) memory, 10,000 packs".into(), load_average()));
        mem.extend(memory(&env, &mock, BIG_PACKS, &o)?);
    }
    let release_build = args.build_profile == BuildProfile::Release;
    let skipped = "build times skipped (--no-build-time)";
    let build = log.part(!args.no_build_time, "(d) build times", skipped, || {
        build_times(&env, release_build)
    })?;
    let skipped = "downstream build cost skipped (--no-downstream)";
    let downstream = log.part(
        !args.no_downstream,
        "(e) downstream build cost",
        skipped,
        || downstream(root, &target),
    )?;
    let skipped = "pacing benchmark skipped (--no-pacing)";
    let pacing = log.part(!args.no_pacing, "(f) pacing", skipped, || {
        pacing::pacing(&pacing_driver, pacing_seconds)
    })?;
    let missing = match args.no_prism {
        true => Some(" (--no-prism)".to_owned()),
        false => prism::missing_tools().map(|m| format!(": {m}")),
    };
    let skipped = format!(
        "comparison with Prism skipped{}",
        missing.as_deref().unwrap_or("")
    );
    let prism = log.part(
        missing.is_none(),
        "(g) the mock against Prism",
        &skipped,
        || {
            Ok(prism::compare(
                root,
                &target,
                &mock_binary,
                prism_seconds,
                prism_rounds,
            ))
        },
    )?;
    let prism = match prism {
        Some(Err(e)) => {
            log.notes
                .push(format!("comparison with Prism skipped: {e}"));
            None
        }
        run => run.and_then(Result::ok),
    };
    log.loads.push(("end".into(), load_average()));
    if o.quick {
        log.notes
            .push("--quick: fewer requests and rounds, short criterion runs".into());
    }

    let mut report = Report {
        date,
        machine,
        loads: log.loads,
        micro,
        gets,
        lists,
        mem,
        build,
        downstream,
        pacing,
        prism,
        targets: Vec::new(),
        command,
        prefetch: o.prefetch,
        requests: o.requests,
        rounds: o.rounds,
        notes: log.notes,
    };
    report.targets = targets(&report);
    println!("\n== targets");
    for t in &report.targets {
        let met = if t.met { "met" } else { "MISSED" };
        let (name, ratio, goal, detail) = (&t.name, t.ratio, &t.goal, &t.detail);
        println!("  {name:<55} {ratio:>6.2}×  goal {goal:<15} {met}  ({detail})");
    }
    let (out, chart) = (root.join(&args.out), root.join(&args.chart));
    write_markdown(&out, &markdown(&report))?;
    crate::write_text(&chart, &svg(&report))?;
    println!("\nwrote {} and {}", out.display(), chart.display());
    Ok(0)
}
