//! The report: the targets, BENCHMARKS.md's section between the markers, the SVG chart, and the
//! machine description (read at run time).

use std::fmt::Write as _;
use std::path::Path;

use super::downstream::Downstream;
use super::drivers::{command_output, pinning_cpus, proc_field, Client};
use super::measure::{median, percentile, spread};
use super::measure::{BuildTimes, GetResult, ListResult, MemResult, Micro, MICRO};
use super::pacing::{pacing_table, PacingRun};
use super::prism::{prism_table, PrismRun};
use super::{BEGIN, BIG_PACKS, END, LIST_LATENCY_MS, LIST_PACKS};
use crate::Error;

/// A ratio with its goal ("" for a comparison without one).
pub(super) struct Target {
    pub(super) name: String,
    pub(super) ratio: f64,
    pub(super) goal: String,
    pub(super) met: bool,
    pub(super) detail: String,
}

fn us(ns: f64) -> String {
    format!("{:.1} µs", ns / 1e3)
}

fn ms(ns: f64) -> String {
    format!("{:.0} ms", ns / 1e6)
}

fn mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

/// `1.23×`, or nothing without a value.
fn times(ratio: Option<f64>) -> String {
    ratio.map_or(String::new(), |r| format!("{r:.2}×"))
}

#[derive(Default)]
pub(super) struct Report {
    pub(super) date: String,
    pub(super) machine: Vec<(String, String)>,
    pub(super) loads: Vec<(String, String)>,
    pub(super) micro: Option<Micro>,
    pub(super) gets: Vec<GetResult>,
    pub(super) lists: Vec<ListResult>,
    pub(super) mem: Vec<MemResult>,
    pub(super) build: Option<BuildTimes>,
    pub(super) downstream: Option<Downstream>,
    pub(super) pacing: Option<Vec<PacingRun>>,
    pub(super) prism: Option<PrismRun>,
    pub(super) targets: Vec<Target>,
    pub(super) command: String,
    pub(super) prefetch: u32,
    pub(super) requests: u32,
    pub(super) rounds: u32,
    pub(super) notes: Vec<String>,
}

impl Report {
    fn get(&self, client: Client) -> Option<&GetResult> {
        self.gets.iter().find(|g| g.client == client)
    }

    /// The median walk of `client` in part (b).
    fn list(&self, client: Client) -> Option<f64> {
        let list = self.lists.iter().find(|l| l.client == client);
        list.map(|l| median(&l.walks))
    }
}

/// A Markdown table: the header cells (joined by ` | `), then the rows.
fn table(head: &str, rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let cells = head.split(" | ").count();
    let mut s = format!("| {head} |\n|{}\n", "---|".repeat(cells));
    for row in rows {
        let _ = writeln!(s, "| {} |", row.join(" | "));
    }
    s
}

/// The number in a goal (`≤ 1.10×` → 1.1).
fn goal_value(goal: &str) -> Option<f64> {
    let digit = |c: &char| c.is_ascii_digit() || *c == '.';
    let number: String = goal.chars().filter(digit).collect();
    number.parse().ok()
}

/// A target, met when its ratio is on the goal's side of the goal's number (`≥ 5×`: at least 5,
/// `≤ 1.5×`: at most 1.5); always met without a goal.
fn target(name: impl Into<String>, ratio: f64, goal: &str, detail: String) -> Target {
    let at_least = goal.contains('≥');
    let met = goal_value(goal).is_none_or(|g| if at_least { ratio >= g } else { ratio <= g });
    let (name, goal) = (name.into(), goal.to_owned());
    Target {
        name,
        ratio,
        goal,
        met,
        detail,
    }
}

pub(super) fn targets(r: &Report) -> Vec<Target> {
    let mut t = Vec::new();
    let (ours, raw) = (r.get(Client::Crate), r.get(Client::Raw));
    if let (Some(c), Some(raw)) = (ours, raw) {
        let (ours, floor) = (c.headline(), raw.headline());
        let [ours_med, raw_med, plus] = [ours, floor, ours - floor].map(us);
        let [ours_cpu, raw_cpu] = [c, raw].map(|g| us(g.cpu_per_request));
        let detail = format!(
            "median {ours_med} vs {raw_med} (+{plus}); client CPU {ours_cpu} vs {raw_cpu} per request"
        );
        let name = "per-request overhead vs raw floor";
        t.push(target(name, ours / floor, "≤ 1.10×", detail));
    }
    if let (Some(c), Some(py)) = (ours, r.get(Client::Python)) {
        let (name, ratio) = ("requests/s vs Python SDK", c.rps / py.rps);
        let detail = format!("{:.0} vs {:.0} requests/s", c.rps, py.rps);
        t.push(target(name, ratio, "≥ 5×", detail));
    }
    if let (Some(seq), Some(pre)) = (r.list(Client::Crate), r.list(Client::CratePrefetch)) {
        let name = format!("2,000-pack listing, prefetch({}) vs sequential", r.prefetch);
        let detail = format!("{} vs {}", ms(pre), ms(seq));
        t.push(target(name, pre / seq, "≤ 0.25×", detail));
    }
    if let Some(m) = &r.micro {
        let (typed, value) = (m.get("decode/typed"), m.get("decode/value"));
        let name = "decode 50-pack page, typed vs `Value`";
        let detail = format!("{} vs {}", us(typed), us(value));
        t.push(target(name, typed / value, "≤ 1.5×", detail));
    }
    let streaming = |packs: u32| {
        let items = |m: &&MemResult| m.label.starts_with("streaming `.items()`");
        let mut mem = r.mem.iter().filter(items);
        mem.find(|m| m.packs == packs).map(|m| m.peak_kib)
    };
    if let (Some(small), Some(big)) = (streaming(LIST_PACKS), streaming(BIG_PACKS)) {
        let name = "streaming peak RSS, 10,000 vs 2,000 packs";
        let detail = format!("{} vs {}", mib(big), mib(small));
        t.push(target(name, big / small, "flat (≤ 1.10×)", detail));
    }
    t
}

pub(super) fn markdown(r: &Report) -> String {
    let pairs = |rows: &[(String, String)]| {
        let pair = |(k, v): &(String, String)| vec![k.clone(), v.clone()];
        rows.iter().map(pair).collect::<Vec<_>>()
    };
    let mut w = format!(
        "{BEGIN}\n\n## Results of {}\n\nCommand: `{}`\n\n{}\nLoad average (1/5/15 min) when \
         each part started: on a shared machine, a load above its {} available cores means other \
         work competed with the measurements:\n\n{}\n### Targets\n\n",
        r.date,
        r.command,
        table("machine | ", pairs(&r.machine)),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        table("part | load average", pairs(&r.loads)),
    );
    let rows = r.targets.iter().map(|t| {
        let met = if t.met { "✅ met" } else { "❌ missed" }.to_owned();
        let (name, goal, detail) = (t.name.clone(), t.goal.clone(), t.detail.clone());
        vec![name, goal, format!("{:.2}×", t.ratio), met, detail]
    });
    w += &table("target | goal | measured |  | detail", rows);
    w += "\nChart of these ratios: [`benches/ratios.svg`](benches/ratios.svg).\n";

    if let Some(m) = &r.micro {
        let rows = MICRO.map(|(name, vs)| {
            let rel = match vs {
                "" => String::new(),
                vs => format!("{:.2}× `{vs}`", m.get(name) / m.get(vs)),
            };
            vec![format!("`{name}`"), us(m.get(name)), rel]
        });
        let (kb, table) = (m.page_bytes / 1000, table("benchmark | median | vs", rows));
        w += &format!(
            "\n### Micro-benchmarks (criterion, median)\n\n`cargo bench --bench micro`; the 50-pack \
             page is {kb} KB.\n\n{table}"
        );
        let (typed, plain) = (m.get("decode/typed"), m.get("decode/typed_without_extra"));
        w += &format!(
            "\nCost of the generated decoders' tolerance and `extra` maps (unknown fields kept), \
             against plain derived structs without either: {} per page ({:.0}% of the typed \
             decode; the plain structs are {:.2}× `Value`).\n",
            us(typed - plain),
            100.0 * (typed - plain) / typed,
            plain / m.get("decode/value")
        );
    }

    if !r.gets.is_empty() {
        w += &format!(
            "\n### (a) Per-request overhead: sequential `GET` of one certificate pack\n\n{} rounds \
             × {} requests per client (after a warm-up), interleaved; one process per client and \
             round, one connection kept alive. Client CPU: the driver's own CPU time per request \
             (Rust: its one thread, `/proc/thread-self/schedstat`; Python: `process_time`; Node: \
             `process.cpuUsage`, all of its threads).\n\n",
            r.rounds, r.requests
        );
        let floor = r.get(Client::Raw).map(GetResult::headline);
        let crate_rps = r.get(Client::Crate).map(|g| g.rps);
        let rows = r.gets.iter().map(|g| {
            let med = g.headline();
            vec![
                g.client.label(r.prefetch),
                us(med),
                us(percentile(&g.samples, 0.9)),
                format!("{:.0}%", 100.0 * spread(&g.round_medians)),
                times(floor.map(|f| med / f)),
                format!("{:.0}", g.rps),
                times(crate_rps.map(|c| c / g.rps)),
                us(g.cpu_per_request),
            ]
        });
        w += &table(
            "client | median (of round medians) | p90 (all requests) | round-to-round spread | \
             vs floor (median) | requests/s | this crate's requests/s ÷ theirs | client CPU per \
             request",
            rows,
        );
        let cpu = |c: Client| r.get(c).map(|g| g.cpu_per_request);
        let (ours, raw, typed) = (cpu(Client::Crate), cpu(Client::Raw), cpu(Client::RawTyped));
        if let (Some(c), Some(raw), Some(typed)) = (ours, raw, typed) {
            let [all, decode, rest] = [c - raw, typed - raw, c - typed].map(us);
            w += &format!(
                "\nWhere this crate's overhead goes (client CPU per request, which is less noisy \
                 than latency): {all} in all over the floor; decoding into the generated types \
                 instead of `Value` accounts for {decode}, the rest of the crate (generated \
                 builder, transport with retries and tracing, envelope unwrapping) for {rest}.\n"
            );
        }
    }

    if !r.lists.is_empty() {
        w += &format!(
            "\n### (b) Listing {LIST_PACKS} packs (40 pages of 50), {LIST_LATENCY_MS} ms injected \
             latency per list request\n\nMedian of every walk (each process opens its connection \
             with one untimed request first).\n\n"
        );
        let seq = r.list(Client::Crate);
        let rows = r.lists.iter().map(|l| {
            let med = median(&l.walks);
            vec![
                l.client.label(r.prefetch),
                l.walks.len().to_string(),
                ms(med),
                ms(percentile(&l.walks, 0.0)),
                ms(percentile(&l.walks, 1.0)),
                format!("{:.0}", l.requests_per_walk),
                times(seq.map(|s| med / s)),
            ]
        });
        w += &table(
            "client | walks | median | min | max | requests per walk | vs this crate sequential",
            rows,
        );
    }

    if !r.mem.is_empty() {
        w += "\n### (c) Peak memory of a process walking the listing\n\n`VmHWM` of the \
              `bench-crate mem` process (this crate, per_page 50), median of runs; the baseline is \
              `VmHWM` after building the runtime and the client, before the first request.\n\n";
        let rows = r.mem.iter().map(|m| {
            let (peak, base) = (m.peak_kib, m.baseline_kib);
            let mib = [peak, base, peak - base].map(mib);
            [vec![m.packs.to_string(), m.label.clone()], mib.to_vec()].concat()
        });
        w += &table("packs | mode | peak RSS | baseline | peak − baseline", rows);
    }

    if let Some(b) = &r.build {
        let profile = b.profile;
        w += &format!(
            "\n### (d) Build times\n\n`cargo build --package cloudflare-ssl --lib` ({profile} \
             profile) in a fresh scratch `CARGO_TARGET_DIR`, dependencies already downloaded.\n\n"
        );
        let noop = match (b.noop_fresh, b.noop_ran_build_script) {
            (true, false) => "✅ `Fresh cloudflare-ssl`, build.rs not rerun (`-vv` log)",
            (_, true) => "❌ build.rs reran",
            (false, false) => "❌ the crate was recompiled",
        };
        let alone = "the crate alone after `cargo clean -p cloudflare-ssl` (build.rs compiled and \
                     run, codegen, rustc)";
        let clean = "clean (all dependencies + build.rs + the crate)";
        let rows = [
            (clean, b.clean, 1, ""),
            ("no-op rebuild, nothing touched", b.noop, 2, noop),
            (alone, b.crate_only, 1, ""),
        ];
        let rows = rows.map(|(what, time, digits, note)| {
            let time = format!("{:.*} s", digits, time.as_secs_f64());
            vec![what.to_owned(), time, note.to_owned()]
        });
        w += &table("build | time | ", rows);
    }
    if let Some(d) = &r.downstream {
        w += &downstream_table(d);
    }
    if let Some(p) = &r.pacing {
        w += &pacing_table(p);
    }
    if let Some(p) = &r.prism {
        w += &prism_table(p);
    }
    if !r.notes.is_empty() {
        w += "\nNotes from this run:\n\n";
        for n in &r.notes {
            let _ = writeln!(w, "- {n}");
        }
    }
    let _ = writeln!(w, "\n{END}");
    w
}

/// Ratios shown in the chart without a goal (grey): how far ahead of the SDKs the crate is.
fn comparisons(r: &Report) -> Vec<Target> {
    let mut rows = Vec::new();
    if let (Some(c), Some(ts)) = (r.get(Client::Crate), r.get(Client::Node)) {
        let name = "requests/s vs TypeScript SDK";
        rows.push(target(name, c.rps / ts.rps, "", String::new()));
    }
    for (client, name) in [(Client::Python, "Python"), (Client::Node, "TypeScript")] {
        if let (Some(pre), Some(theirs)) = (r.list(Client::CratePrefetch), r.list(client)) {
            let name = format!("listing: {name} SDK time ÷ prefetch");
            rows.push(target(name, theirs / pre, "", String::new()));
        }
    }
    rows
}

/// A horizontal bar chart of the target ratios on a log scale, with each goal marked, then the
/// comparisons with the SDKs in grey.
pub(super) fn svg(r: &Report) -> String {
    let extra = comparisons(r);
    let rows: Vec<&Target> = r.targets.iter().chain(extra.iter()).collect();
    let (width, left, right, row_h, top) = (860.0, 330.0, 40.0, 46.0, 64.0);
    let height = top + row_h * rows.len() as f64 + 56.0;
    let (lo, hi) = (0.05f64, 50.0f64);
    let x = |v: f64| {
        let v = v.clamp(lo, hi);
        left + (v.ln() - lo.ln()) / (hi.ln() - lo.ln()) * (width - left - right)
    };
    let date = xml(&r.date);
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="16" y="24" font-size="16" font-weight="bold">cloudflare-ssl benchmark ratios ({date})</text>
<text x="16" y="44" fill="#555">log scale; bar = measured ratio from 1×; dashed line = goal; green met, red missed; grey: comparisons without a goal</text>
"##
    );
    for tick in [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0] {
        let (tx, y2, ty) = (x(tick), height - 40.0, height - 24.0);
        let _ = writeln!(
            s,
            r##"<line x1="{tx:.1}" y1="{top}" x2="{tx:.1}" y2="{y2:.1}" stroke="#ddd"/><text x="{tx:.1}" y="{ty:.1}" text-anchor="middle" fill="#555">{tick}×</text>"##
        );
    }
    for (i, t) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let color = match (t.goal.is_empty(), t.met) {
            (true, _) => "#777",
            (false, true) => "#2e9e44",
            (false, false) => "#d43f3a",
        };
        let (a, b) = (x(1.0), x(t.ratio));
        let (label_x, label_y, name) = (left - 10.0, y + 22.0, xml(&t.name));
        let (bar_x, bar_y, bar_w) = (a.min(b), y + 8.0, (a - b).abs().max(2.0));
        // Below 1× the bar grows leftwards: label on its left, clear of the goal marks.
        let (ratio_x, anchor) = match t.ratio < 1.0 {
            true => (a.min(b) - 6.0, "end"),
            false => (a.max(b) + 6.0, "start"),
        };
        let (ratio_y, ratio) = (y + 23.0, t.ratio);
        let _ = writeln!(
            s,
            r#"<text x="{label_x:.1}" y="{label_y:.1}" text-anchor="end">{name}</text>
<rect x="{bar_x:.1}" y="{bar_y:.1}" width="{bar_w:.1}" height="20" fill="{color}"/>
<text x="{ratio_x:.1}" y="{ratio_y:.1}" fill="{color}" font-weight="bold" text-anchor="{anchor}">{ratio:.2}×</text>"#
        );
        if t.goal.is_empty() {
            continue;
        }
        let gx = x(goal_value(&t.goal).unwrap_or(1.0));
        let (y1, y2, ty, goal) = (y + 2.0, y + 34.0, y + 44.0, xml(&t.goal));
        let _ = writeln!(
            s,
            r##"<line x1="{gx:.1}" y1="{y1:.1}" x2="{gx:.1}" y2="{y2:.1}" stroke="#222" stroke-width="2" stroke-dasharray="4,3"/><text x="{gx:.1}" y="{ty:.1}" font-size="11" text-anchor="middle" fill="#222">{goal}</text>"##
        );
    }
    s + "</svg>\n"
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('`', "")
}

pub(super) fn write_markdown(path: &Path, section: &str) -> Result<(), Error> {
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let text = match (existing.find(BEGIN), existing.find(END)) {
        (Some(a), Some(b)) if a < b => {
            let (before, after) = (&existing[..a], &existing[b + END.len()..]);
            format!("{before}{}{after}", section.trim_end())
        }
        _ if existing.is_empty() => format!(
            "# Benchmarks\n\nProduced by `cargo xtask bench` (see `xtask/src/bench/`).\n\n{section}"
        ),
        _ => format!("{}\n\n{section}", existing.trim_end()),
    };
    crate::write_text(path, &text)?;
    Ok(())
}

/// Part (e) as a Markdown section.
pub(super) fn downstream_table(d: &Downstream) -> String {
    let mut s = "\n### (e) Downstream build cost\n\nA scratch binary crate that names one type of \
                 its dependency, built cold (`cargo build`, dev profile, fresh target folder, \
                 downloads excluded); crates: distinct crates in `cargo tree -e normal,build`.\n\n"
        .to_owned();
    let rows = d.builds.iter().map(|b| {
        let ours = "cloudflare-ssl = { path = … }";
        let line = if b.dependency.contains("path =") {
            ours
        } else {
            &b.dependency
        };
        let (seconds, crates) = (format!("{:.1} s", b.seconds), b.crates.to_string());
        vec![b.label.clone(), format!("`{line}`"), seconds, crates]
    });
    s += &table("dependency | Cargo.toml line | cold build | crates", rows);
    if let [ours, theirs] = d.builds.as_slice() {
        s += &format!(
            "\nThis crate: {:.2}× the build time and {:.2}× the crates of `{}`.\n",
            ours.seconds / theirs.seconds,
            ours.crates as f64 / theirs.crates as f64,
            theirs.dependency
        );
    }
    s
}

/// What the machine reports about itself at run time: CPU model and available cores, memory,
/// kernel, CPU pinning, rustc.
pub(super) fn machine() -> Vec<(String, String)> {
    let cpu = proc_field("cpuinfo", "model name").unwrap_or_else(|| "?".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kib = proc_field("meminfo", "MemTotal:");
    let kib = kib.and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok());
    let gib = |kib: f64| format!("{:.0} GiB", kib / 1024.0 / 1024.0);
    let memory = kib.map_or("?".into(), gib);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let pinning = match pinning_cpus() {
        Some(_) => "the mock on one CPU, each client driver on another (`taskset`)",
        None => "none (`taskset` missing or one CPU): round medians can be bimodal",
    };
    let rustc = command_output("rustc", &["-V"]).unwrap_or_default();
    let rows = [
        ("CPU", format!("{cpu}, {cores} cores available")),
        ("memory", memory),
        ("OS", format!("Linux {}", kernel.trim())),
        ("CPU pinning", pinning.to_owned()),
        ("rustc", rustc),
    ];
    rows.map(|(key, value)| (key.to_owned(), value)).into()
}
