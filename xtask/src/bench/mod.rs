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
mod measure;
mod pacing;
mod prism;
mod report;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use self::downstream::downstream;
use self::drivers::{build, command_output, load_average, node_sdk, python_sdk, target_dir};
use self::drivers::{Client, Env, Mock};
use self::measure::{build_times, get_overhead, listing, memory, micro};
use self::report::Report;
use self::report::{machine, markdown, svg, targets, write_markdown};
use crate::Error;

/// How cargo selects the mock binary: the workspace package `cloudflare-ssl-mock`, as in
/// `cargo run -p cloudflare-ssl-mock --bin cloudflare-ssl-mock -- …`. The one place that names it.
pub const MOCK_TARGET: &str = "--package cloudflare-ssl-mock --bin cloudflare-ssl-mock";
/// The mock binary's file name under `target/release/`.
pub const MOCK_BINARY: &str = "cloudflare-ssl-mock";
/// How cargo selects the benchmark drivers: examples of the root crate (`benches/e2e/`). The one
/// place that names them.
pub const DRIVER_TARGETS: &str =
    "--package cloudflare-ssl --example bench-crate --example bench-raw --example bench-pacing";

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

impl Report {
    /// Records the load average as the part `name` starts.
    fn load(&mut self, name: &str) {
        self.loads.push((name.to_owned(), load_average()));
    }

    /// Runs the part `name`, or notes why it is `skipped`.
    fn part<T>(
        &mut self,
        skipped: Option<String>,
        name: &str,
        f: impl FnOnce() -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        if let Some(skipped) = skipped {
            self.notes.push(skipped);
            return Ok(None);
        }
        self.load(name);
        f().map(Some)
    }
}

/// Entry point of `cargo xtask bench`.
pub fn run(root: &Path, args: &BenchArgs) -> Result<u8, Error> {
    let quick = |quick: u32, full: u32| if args.quick { quick } else { full };
    let target = target_dir(root);
    let release = target.join("release");
    let mock = release.join(MOCK_BINARY);
    let pacing_driver = release.join("examples/bench-pacing");
    let pacing_seconds = args.pacing_seconds.unwrap_or(quick(30, 60));
    let pacing = || pacing::pacing(&pacing_driver, pacing_seconds);
    let prism_mock = args.prism_mock.as_ref().unwrap_or(&mock);
    let prism_seconds = args.prism_seconds.unwrap_or(quick(2, 5));
    let prism_rounds = args.prism_rounds.unwrap_or(quick(1, 3));
    let prism = || prism::compare(root, &target, prism_mock, prism_seconds, prism_rounds);
    let requests = args.requests.unwrap_or(quick(100, 250));
    let rounds = args.rounds.unwrap_or(quick(3, 20));
    let mut env = Env {
        root: root.to_path_buf(),
        target: target.clone(),
        quick: args.quick,
        release: args.build_profile == BuildProfile::Release,
        prefetch: args.prefetch,
        requests,
        rounds,
        ..Env::default()
    };

    let only = [
        (args.downstream_only, "--downstream-only"),
        (args.pacing_only, "--pacing-only"),
        (args.prism_only, "--prism-only"),
    ];
    if let Some((_, flag)) = only.into_iter().find(|(only, _)| *only) {
        if let Some(missing) = args.prism_only.then(prism::missing_tools).flatten() {
            println!("(g) the comparison with Prism is skipped: {missing}");
            return Ok(0);
        }
        if args.pacing_only || (args.prism_only && args.prism_mock.is_none()) {
            build(root, args.pacing_only)?;
        }
        let start = load_average();
        let table = match () {
            () if args.downstream_only => report::downstream_table(&downstream(&env)?),
            () if args.pacing_only => pacing::pacing_table(&pacing()?),
            () => prism::prism_table(&prism()?),
        };
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!(
            "\n({flag}: BENCHMARKS.md and the chart are left as they are; load average {start} at \
             the start, {} at the end, on {cores} available cores)",
            load_average()
        );
        print!("{table}");
        return Ok(0);
    }

    // The command as typed (after `cargo xtask`), for the report.
    let command: Vec<String> = std::env::args().skip(1).collect();
    let date = command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default();
    let mut r = Report {
        date,
        machine: machine(),
        loads: vec![("start".to_owned(), load_average())],
        command: format!("cargo xtask {}", command.join(" ")),
        prefetch: args.prefetch,
        requests,
        rounds,
        ..Report::default()
    };
    build(root, true)?;
    if args.no_sdks {
        r.notes.push("SDKs skipped (--no-sdks)".into());
    } else {
        install_sdks(&mut env, &mut r, args);
    }
    for note in &r.notes {
        eprintln!("note: {note}");
    }

    let skip = |on: bool, what: &str, flag: &str| on.then(|| format!("{what} skipped ({flag})"));
    let skipped = skip(args.no_micro, "micro-benchmarks", "--no-micro");
    r.micro = r.part(skipped, "micro-benchmarks", || micro(&env))?;
    let list_mock = Mock::start(&mock, LIST_PACKS)?;
    r.load("(a) GET overhead");
    r.gets = get_overhead(&env, &list_mock)?;
    r.load("(c) memory, 2,000 packs");
    r.mem = memory(&env, &list_mock, LIST_PACKS)?;
    r.load("(b) listing");
    r.lists = listing(&env, &list_mock)?;
    drop(list_mock);
    let big_mock = Mock::start(&mock, BIG_PACKS)?;
    r.load("(c) memory, 10,000 packs");
    r.mem.extend(memory(&env, &big_mock, BIG_PACKS)?);
    drop(big_mock);
    let skipped = skip(args.no_build_time, "build times", "--no-build-time");
    r.build = r.part(skipped, "(d) build times", || build_times(&env))?;
    let what = "downstream build cost";
    let skipped = skip(args.no_downstream, what, "--no-downstream");
    r.downstream = r.part(skipped, &format!("(e) {what}"), || downstream(&env))?;
    let skipped = skip(args.no_pacing, "pacing benchmark", "--no-pacing");
    r.pacing = r.part(skipped, "(f) pacing", pacing)?;
    let missing = match args.no_prism {
        true => Some(" (--no-prism)".to_owned()),
        false => prism::missing_tools().map(|m| format!(": {m}")),
    };
    let skipped = missing.map(|m| format!("comparison with Prism skipped{m}"));
    match r.part(skipped, "(g) the mock against Prism", || Ok(prism()))? {
        Some(Err(e)) => r.notes.push(format!("comparison with Prism skipped: {e}")),
        run => r.prism = run.and_then(Result::ok),
    }
    r.load("end");
    let quick_note = "--quick: fewer requests and rounds, short criterion runs";
    r.notes.extend(args.quick.then(|| quick_note.to_owned()));

    r.targets = targets(&r);
    println!("\n== targets");
    for t in &r.targets {
        let met = if t.met { "met" } else { "MISSED" };
        let (name, ratio, goal, detail) = (&t.name, t.ratio, &t.goal, &t.detail);
        println!("  {name:<55} {ratio:>6.2}×  goal {goal:<15} {met}  ({detail})");
    }
    let (out, chart) = (root.join(&args.out), root.join(&args.chart));
    write_markdown(&out, &markdown(&r))?;
    crate::write_text(&chart, &svg(&r))?;
    println!("\nwrote {} and {}", out.display(), chart.display());
    Ok(0)
}

/// Installs (or finds) the official SDKs, each described in the machine table or its absence
/// noted.
fn install_sdks(env: &mut Env, r: &mut Report, args: &BenchArgs) {
    let dir = env.target.join("bench-sdks");
    let python = (Client::Python, "Python", python_sdk(&dir, &args.python_sdk));
    let node = (Client::Node, "TypeScript", node_sdk(&dir, &args.ts_sdk));
    for (client, name, sdk) in [python, node] {
        match sdk {
            Ok((path, sdk)) => {
                r.machine.push((format!("{name} SDK"), sdk));
                env.sdks.push((client, path));
            }
            Err(e) => r.notes.push(format!("{name} SDK unavailable: {e}")),
        }
    }
}
