//! The report rendered from fixed measurements covering every part: the Markdown section and the
//! SVG chart are snapshots, so a change of the harness's code that changes a byte of what it
//! writes for the same numbers fails here.

use std::time::Duration;

use super::downstream::{Downstream, DownstreamBuild};
use super::drivers::Client;
use super::measure::{BuildTimes, GetResult, ListResult, MemResult, Micro, MICRO};
use super::pacing::PacingRun;
use super::prism::{PrismRow, PrismRun};
use super::report::{markdown, svg, targets, Report};

/// `n` samples around `center` (ns), spread by `step`.
fn samples(center: f64, step: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| center + step * (i as f64 - (n / 2) as f64))
        .collect()
}

fn get(client: Client, center: f64, rps: f64, cpu: f64) -> GetResult {
    GetResult {
        client,
        samples: samples(center, center / 50.0, 30),
        round_medians: vec![center * 0.98, center, center * 1.05],
        rps,
        cpu_per_request: cpu,
        cpu_total: cpu * 30.0,
    }
}

fn list(client: Client, ms: f64, requests_per_walk: f64) -> ListResult {
    ListResult {
        client,
        walks: samples(ms * 1e6, ms * 1e4, 6),
        items: 2_000,
        requests_per_walk,
    }
}

fn mem(packs: u32, peak: f64) -> Vec<MemResult> {
    let mode = |label: &str, peak_kib| MemResult {
        packs,
        label: label.to_owned(),
        baseline_kib: 6_144.0,
        peak_kib,
    };
    vec![
        mode("streaming `.items()`", peak),
        mode("streaming `.prefetch(8)`", peak * 1.4),
        mode("collecting into a `Vec`", peak * f64::from(packs) / 400.0),
    ]
}

/// A report of every part, with the targets computed as the harness computes them.
pub(super) fn fixture() -> Report {
    let micro = Micro {
        rows: MICRO
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (name.to_string(), 1_000.0 * (i as f64 + 1.5)))
            .collect(),
        page_bytes: 61_234,
    };
    let mut mem_rows = mem(2_000, 9_000.0);
    mem_rows.extend(mem(10_000, 9_500.0));
    let prism_row = |name: &str, operations: &str, ours, prism, non2xx| PrismRow {
        name: name.into(),
        operations: operations.into(),
        ours,
        prism,
        ours_bytes: 812.4,
        prism_bytes: 1_203.6,
        ours_non2xx: 0,
        prism_non2xx: non2xx,
    };
    let mut report = Report {
        date: "2026-12-05 09:40 UTC".into(),
        machine: vec![
            ("CPU".into(), "Test CPU @ 2.0GHz, 2 cores available".into()),
            ("memory".into(), "24 GiB".into()),
            ("OS".into(), "Linux 6.1.0-test".into()),
            ("CPU pinning".into(), "none <test> & `x`".into()),
            ("rustc".into(), "rustc 1.90.0 (test)".into()),
            (
                "Python SDK".into(),
                "`cloudflare` 5.9.0 on Python 3.11.2".into(),
            ),
            (
                "TypeScript SDK".into(),
                "`cloudflare` 7.3.0 on Node v20.1.0".into(),
            ),
        ],
        loads: vec![
            ("start".into(), "0.10 0.20 0.30".into()),
            ("(a) GET overhead".into(), "1.00 0.50 0.25".into()),
            ("end".into(), "2.50 1.25 0.75".into()),
        ],
        micro: Some(micro),
        gets: vec![
            get(Client::Crate, 52_000.0, 18_500.0, 21_000.0),
            get(Client::Raw, 49_000.0, 19_800.0, 15_500.0),
            get(Client::RawTyped, 50_500.0, 19_100.0, 18_250.0),
            get(Client::Python, 410_000.0, 4_000.0, 330_000.0),
            get(Client::Node, 160_000.0, 6_100.0, 140_000.0),
        ],
        lists: vec![
            list(Client::Crate, 1_050.0, 40.0),
            list(Client::CratePrefetch, 180.0, 40.0),
            list(Client::Raw, 990.0, 40.0),
            list(Client::Python, 5_200.0, 40.0),
            list(Client::Node, 2_600.0, 40.5),
        ],
        mem: mem_rows,
        build: Some(BuildTimes {
            profile: "dev",
            clean: Duration::from_millis(95_432),
            noop: Duration::from_millis(412),
            noop_fresh: true,
            noop_ran_build_script: false,
            crate_only: Duration::from_millis(21_987),
        }),
        downstream: Some(Downstream {
            builds: vec![
                DownstreamBuild {
                    label: "cloudflare-ssl (this crate, path dependency)".into(),
                    dependency: "cloudflare-ssl = { path = \"/work/x\" }".into(),
                    seconds: 41.25,
                    crates: 123,
                },
                DownstreamBuild {
                    label: "cloudflare 0.14 (crates.io, default features)".into(),
                    dependency: "cloudflare = \"0.14\"".into(),
                    seconds: 63.5,
                    crates: 187,
                },
            ],
        }),
        pacing: Some(vec![
            PacingRun {
                pacing: true,
                seconds: 60,
                requests: 236,
                rate_limited: 0,
                budget: 240,
                budget_used: 0.9833,
            },
            PacingRun {
                pacing: false,
                seconds: 60,
                requests: 1_904,
                rate_limited: 1_664,
                budget: 240,
                budget_used: 1.0,
            },
        ]),
        prism: Some(PrismRun {
            rows: vec![
                prism_row("one pack", "get_certificate_pack", 31_250.4, 1_210.7, 0),
                prism_row(
                    "order, then delete it",
                    "order_certificate_pack, delete_certificate_pack",
                    9_000.0,
                    1_100.0,
                    17,
                ),
                prism_row("nothing from Prism", "list_zones", 5_000.0, 0.0, 0),
            ],
            wrk: "wrk 4.1.0 [epoll] Copyright (C) 2012 Will Glozer".into(),
            node: "v20.1.0".into(),
            seconds: 5,
            rounds: 3,
        }),
        targets: Vec::new(),
        command: "cargo xtask bench --quick --prefetch 8".into(),
        prefetch: 8,
        requests: 100,
        rounds: 3,
        notes: vec![
            "--quick: fewer requests and rounds, short criterion runs".into(),
            "comparison with Prism skipped: <none>".into(),
        ],
    };
    report.targets = targets(&report);
    report
}

/// The Markdown, with the one machine-dependent number (available cores) made fixed.
fn rendered_markdown(r: &Report) -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    markdown(r).replace(
        &format!("above its {cores} available cores"),
        "above its N available cores",
    )
}

#[test]
fn every_part_renders_the_same_markdown() {
    insta::assert_snapshot!("markdown_all_parts", rendered_markdown(&fixture()));
}

#[test]
fn every_part_renders_the_same_chart() {
    insta::assert_snapshot!("svg_all_parts", svg(&fixture()));
}

#[test]
fn skipped_parts_render_only_what_ran() {
    let mut r = fixture();
    r.micro = None;
    r.gets.clear();
    r.lists.clear();
    r.mem.clear();
    r.build = None;
    r.downstream = None;
    r.pacing = None;
    r.prism = None;
    r.notes.clear();
    r.targets = targets(&r);
    insta::assert_snapshot!("markdown_nothing_ran", rendered_markdown(&r));
    insta::assert_snapshot!("svg_nothing_ran", svg(&r));
}

#[test]
fn the_no_op_rebuild_note_says_what_happened() {
    let mut r = fixture();
    let mut notes = Vec::new();
    for (fresh, reran) in [(true, false), (false, true), (true, true), (false, false)] {
        if let Some(b) = &mut r.build {
            b.noop_fresh = fresh;
            b.noop_ran_build_script = reran;
            b.profile = "release";
        }
        let md = markdown(&r);
        let line = md.lines().find(|l| l.starts_with("| no-op rebuild"));
        notes.push(line.unwrap_or_default().to_owned());
    }
    insta::assert_snapshot!("no_op_rebuild_rows", notes.join("\n"));
}
