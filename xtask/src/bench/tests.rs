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

// The unit tests of the harness's helpers.

use super::downstream::count_crates;
use super::drivers::{parse_cpu_list, pinned, pinning_cpus, Cpu};
use super::measure::{median, percentile, spread};
use super::pacing::pacing_table;
use super::report::{downstream_table, machine, write_markdown};
use super::{BEGIN, END};

#[test]
fn markdown_section_is_replaced_between_markers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("BENCHMARKS.md");
    write_markdown(&path, &format!("{BEGIN}\none\n{END}\n")).unwrap();
    let first = std::fs::read_to_string(&path).unwrap();
    let edited = first.replace("# Benchmarks", "# Benchmarks\n\nAnalysis kept.");
    std::fs::write(&path, &edited).unwrap();
    write_markdown(&path, &format!("{BEGIN}\ntwo\n{END}\n")).unwrap();
    let second = std::fs::read_to_string(&path).unwrap();
    assert!(second.contains("Analysis kept.") && second.contains("two"));
    assert!(!second.contains("one"));
}

#[test]
fn machine_is_read_at_run_time() {
    let m = machine();
    let cpu = &m.iter().find(|(k, _)| k == "CPU").unwrap().1;
    let cores = std::thread::available_parallelism().unwrap().get();
    assert!(
        cpu.ends_with(&format!(", {cores} cores available")),
        "{cpu}"
    );
}

#[test]
fn downstream_table_has_seconds_crates_and_ratios() {
    let d = Downstream {
        builds: vec![
            DownstreamBuild {
                label: "ours".into(),
                dependency: "cloudflare-ssl = { path = \"/x\" }".into(),
                seconds: 30.0,
                crates: 100,
            },
            DownstreamBuild {
                label: "theirs".into(),
                dependency: "cloudflare = \"0.14\"".into(),
                seconds: 60.0,
                crates: 200,
            },
        ],
    };
    let t = downstream_table(&d);
    assert!(
        t.contains("| ours | `cloudflare-ssl = { path = … }` | 30.0 s | 100 |"),
        "{t}"
    );
    assert!(
        t.contains("| theirs | `cloudflare = \"0.14\"` | 60.0 s | 200 |"),
        "{t}"
    );
    assert!(
        t.contains("0.50× the build time and 0.50× the crates"),
        "{t}"
    );
}

#[test]
fn cpu_lists_parse() {
    assert_eq!(parse_cpu_list("0-1"), [0, 1]);
    assert_eq!(parse_cpu_list("0,2-3, 7"), [0, 2, 3, 7]);
    assert_eq!(parse_cpu_list(""), Vec::<usize>::new());
    assert_eq!(parse_cpu_list("x,3-1"), Vec::<usize>::new());
}

#[test]
fn pinned_commands_keep_program_args_and_env() {
    let mut wrapped = pinned("driver", Cpu::Client);
    wrapped
        .args(["get", "--n", "5"])
        .env("A", "1")
        .env_remove("B")
        .current_dir("/tmp");
    let args: Vec<_> = wrapped
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some((_, client)) = pinning_cpus() {
        assert_eq!(wrapped.get_program(), "taskset");
        assert_eq!(args[..2], ["-c".to_owned(), client.to_string()]);
        assert_eq!(args[2..], ["driver", "get", "--n", "5"]);
    } else {
        assert_eq!(wrapped.get_program(), "driver");
        assert_eq!(args, ["get", "--n", "5"]);
    }
    assert!(wrapped
        .get_envs()
        .any(|(k, v)| k == "A" && v == Some("1".as_ref())));
    assert!(wrapped.get_envs().any(|(k, v)| k == "B" && v.is_none()));
    assert_eq!(
        wrapped.get_current_dir(),
        Some(std::path::Path::new("/tmp"))
    );
}

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

#[test]
fn percentiles() {
    assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    assert_eq!(median(&[1.0, 2.0, 3.0, 4.0]), 2.5);
    assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.0), 1.0);
    assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 1.0), 5.0);
    assert!(median(&[]).is_nan());
    assert!((spread(&[9.0, 10.0, 11.0]) - 0.2).abs() < 1e-12);
}

#[test]
fn crates_are_counted_once_each_without_the_scratch_crate() {
    let tree = "uses-x v0.0.0 (/tmp/uses-x)\nserde v1.0.200\nserde_derive v1.0.200 (proc-macro)\n\
                serde v1.0.200 (*)\nbitflags v1.3.2\nbitflags v2.6.0\n\n";
    assert_eq!(count_crates(tree, "uses-x"), 4);
}
