//! `cargo xtask bench`: the end-to-end benchmark harness (issue #6).
//!
//! One run, all against the crate's mock (`cloudflare-ssl-mock`, a separate process on
//! 127.0.0.1), measuring:
//!
//! * **micro**: the criterion benchmarks of `benches/micro.rs` (decode, envelope, request);
//! * **(a) per-request overhead**: N sequential `GET` of one certificate pack with this crate,
//!   with a bare reqwest + serde_json program (the floor), with Cloudflare's official Python SDK
//!   and with the official TypeScript SDK, in interleaved rounds;
//! * **(b) listing 2,000 packs** (40 pages of 50) with 20 ms of latency injected by the mock on
//!   every list request: this crate sequential and with prefetch, the floor, and the SDKs'
//!   auto-pagination;
//! * **(c) peak memory** (`VmHWM`) of a process walking 2,000 and 10,000 packs, streaming vs
//!   collecting;
//! * **(d) build times**: a clean build of the crate (in a scratch target directory), a no-op
//!   rebuild (which must not rerun `build.rs`), and the crate alone after `cargo clean -p`;
//! * **(e) downstream build cost** (`downstream`): a scratch binary crate depending on this
//!   crate, built cold, against the same for the `cloudflare` crate from crates.io;
//! * **(f) server-advised pacing** (`pacing`): 4 processes sharing one token against the mock
//!   with a scaled limit (120 / 30 s), pacing on and off: 429s and the share of the budget used;
//! * **(g) the mock against Prism** (`prism`): requests per second of every operation under the
//!   same `wrk` load, the mock (validating its answers) against Stoplight's Prism mock; skipped
//!   with a note when `wrk`, `node` or `npm` is missing.
//!
//! The SDKs are installed under `target/bench-sdks/` (a Python venv and an npm prefix) by the
//! harness itself. The results go between markers in `BENCHMARKS.md` (the analysis around them
//! is kept) and into an SVG chart of the ratios. The machine is described from what it reports
//! at run time (`/proc`, `available_parallelism`).
//!
//! Modules: `mock` (the mock process and HTTP calls to it), `drivers` (builds, drivers,
//! SDKs), `measure` (parts a–d), `downstream` (part e), `stats`, `report`.

mod downstream;
mod drivers;
mod host;
mod measure;
mod mock;
mod pacing;
mod prism;
mod report;
mod stats;

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

/// [`BenchArgs`] with the defaults that depend on `--quick` resolved.
pub(crate) struct Options {
    quick: bool,
    requests: u32,
    rounds: u32,
    prefetch: u32,
    sdks: bool,
    micro: bool,
    build_time: bool,
    downstream: bool,
    release_build: bool,
    python_sdk: String,
    ts_sdk: String,
    out: PathBuf,
    chart: PathBuf,
}

impl Options {
    fn new(root: &Path, a: &BenchArgs) -> Options {
        let (requests, rounds) = if a.quick { (100, 3) } else { (250, 20) };
        Options {
            quick: a.quick,
            requests: a.requests.unwrap_or(requests),
            rounds: a.rounds.unwrap_or(rounds),
            prefetch: a.prefetch,
            sdks: !a.no_sdks,
            micro: !a.no_micro,
            build_time: !a.no_build_time,
            downstream: !a.no_downstream,
            release_build: a.build_profile == BuildProfile::Release,
            python_sdk: a.python_sdk.clone(),
            ts_sdk: a.ts_sdk.clone(),
            out: root.join(&a.out),
            chart: root.join(&a.chart),
        }
    }
}

/// Entry point of `cargo xtask bench`.
pub fn run(root: &Path, args: &BenchArgs) -> Result<u8, Error> {
    let o = Options::new(root, args);
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
    let pacing_seconds = args
        .pacing_seconds
        .unwrap_or(if args.quick { 30 } else { 60 });
    let pacing_driver = target.join("release/examples/bench-pacing");
    if args.pacing_only {
        build(root)?;
        let runs = pacing::pacing(&pacing_driver, pacing_seconds)?;
        println!("\n(--pacing-only: BENCHMARKS.md and the chart are left as they are)");
        print!("{}", pacing::pacing_table(&runs));
        return Ok(0);
    }
    let prism_seconds = args.prism_seconds.unwrap_or(if args.quick { 2 } else { 5 });
    let prism_rounds = args.prism_rounds.unwrap_or(if args.quick { 1 } else { 3 });
    let mock_binary = args
        .prism_mock
        .clone()
        .unwrap_or_else(|| target.join("release").join(MOCK_BINARY));
    if args.prism_only {
        if let Some(missing) = prism::missing_tools() {
            println!("(g) the comparison with Prism is skipped: {missing}");
            return Ok(0);
        }
        if args.prism_mock.is_none() {
            println!("building the mock (release)");
            run_status(
                cargo()
                    .current_dir(root)
                    .args(["build", "--release"])
                    .args(MOCK_TARGET),
                "cargo build --release (the mock)",
            )?;
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
    let mut loads = vec![("start".to_owned(), load_average())];

    build(root)?;
    let mut env = Env {
        root: root.to_path_buf(),
        mock: target.join("release").join(MOCK_BINARY),
        crate_driver: target.join("release/examples/bench-crate"),
        raw_driver: target.join("release/examples/bench-raw"),
        target: target.clone(),
        python: None,
        node: None,
        notes: Vec::new(),
    };
    let mut machine = machine();
    if o.sdks {
        let dir = target.join("bench-sdks");
        match python_sdk(&dir, &o.python_sdk) {
            Ok(p) => {
                machine.push((
                    "Python SDK".into(),
                    format!(
                        "`cloudflare` {} on {} (httpx; max_retries=0)",
                        p.1,
                        command_output(p.0.to_str().unwrap_or_default(), &["--version"])
                            .unwrap_or_default()
                    ),
                ));
                env.python = Some(p);
            }
            Err(e) => env.notes.push(format!("Python SDK unavailable: {e}")),
        }
        match node_sdk(&dir, &o.ts_sdk) {
            Ok(p) => {
                machine.push((
                    "TypeScript SDK".into(),
                    format!(
                        "`cloudflare` {} on Node {} (built-in fetch; maxRetries: 0)",
                        p.1,
                        command_output("node", &["--version"]).unwrap_or_default()
                    ),
                ));
                env.node = Some(p);
            }
            Err(e) => env.notes.push(format!("TypeScript SDK unavailable: {e}")),
        }
    } else {
        env.notes.push("SDKs skipped (--no-sdks)".into());
    }
    for note in &env.notes {
        eprintln!("note: {note}");
    }

    let micro = if o.micro {
        loads.push(("micro-benchmarks".into(), load_average()));
        Some(micro(&env, o.quick)?)
    } else {
        env.notes
            .push("micro-benchmarks skipped (--no-micro)".into());
        None
    };

    let (gets, lists, mut mem) = {
        let mock = Mock::start(&env.mock, LIST_PACKS)?;
        loads.push(("(a) GET overhead".into(), load_average()));
        let gets = get_overhead(&env, &mock, &o)?;
        loads.push(("(c) memory, 2,000 packs".into(), load_average()));
        let mem = memory(&env, &mock, LIST_PACKS, &o)?;
        loads.push(("(b) listing".into(), load_average()));
        let lists = listing(&env, &mock, &o)?;
        (gets, lists, mem)
    };
    {
        let mock = Mock::start(&env.mock, BIG_PACKS)?;
        loads.push(("(c) memory, 10,000 packs".into(), load_average()));
        mem.extend(memory(&env, &mock, BIG_PACKS, &o)?);
    }
    let build = if o.build_time {
        loads.push(("(d) build times".into(), load_average()));
        Some(build_times(&env, o.release_build)?)
    } else {
        env.notes
            .push("build times skipped (--no-build-time)".into());
        None
    };
    let downstream = if o.downstream {
        loads.push(("(e) downstream build cost".into(), load_average()));
        Some(downstream(root, &target)?)
    } else {
        env.notes
            .push("downstream build cost skipped (--no-downstream)".into());
        None
    };
    let pacing = if args.no_pacing {
        env.notes
            .push("pacing benchmark skipped (--no-pacing)".into());
        None
    } else {
        loads.push(("(f) pacing".into(), load_average()));
        Some(pacing::pacing(&pacing_driver, pacing_seconds)?)
    };
    let prism = if args.no_prism {
        env.notes
            .push("comparison with Prism skipped (--no-prism)".into());
        None
    } else if let Some(missing) = prism::missing_tools() {
        env.notes
            .push(format!("comparison with Prism skipped: {missing}"));
        None
    } else {
        loads.push(("(g) the mock against Prism".into(), load_average()));
        match prism::compare(root, &target, &mock_binary, prism_seconds, prism_rounds) {
            Ok(run) => Some(run),
            Err(e) => {
                env.notes
                    .push(format!("comparison with Prism skipped: {e}"));
                None
            }
        }
    };
    loads.push(("end".into(), load_average()));
    if o.quick {
        env.notes
            .push("--quick: fewer requests and rounds, short criterion runs".into());
    }

    let mut report = Report {
        date,
        machine,
        loads,
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
        notes: env.notes.clone(),
    };
    report.targets = targets(&report);
    println!("\n== targets");
    for t in &report.targets {
        println!(
            "  {:<55} {:>6.2}×  goal {:<15} {}  ({})",
            t.name,
            t.ratio,
            t.goal,
            if t.met { "met" } else { "MISSED" },
            t.detail
        );
    }
    write_markdown(&o.out, &markdown(&report))?;
    crate::write_text(&o.chart, &svg(&report))?;
    println!("\nwrote {} and {}", o.out.display(), o.chart.display());
    Ok(0)
}
