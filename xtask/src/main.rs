//! `cargo xtask`: maintainer tasks for cloudflare-ssl. Run `cargo xtask help`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xtask::tasks::{self, SuiteOutcome, SNAPSHOT_SUITES};
use xtask::{codegen, drift, Error, REVIEW_COPY_PATH, SCHEMAS_DIR};

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  generate [--skip-cargo]
      Rewrite openapi/cloudflare-ssl.yaml in canonical form, write the reviewed copy of the
      generated code (openapi/generated/codegen.rs) and the JSON Schemas (openapi/schemas/), and
      refresh the insta snapshots (tests/snapshots/, xtask/tests/snapshots/). A second run
      changes nothing. --skip-cargo: only the spec and the generated copy (no nested cargo, so it
      works while the crate does not compile).
  check [--skip-cargo]
      Fail (exit 1) with a unified diff when the spec is not canonical, or the generated copy, a
      schema or a snapshot is stale, or the generated copy differs from what build.rs generates.
      CI runs this. --skip-cargo: only the spec and the generated copy (no nested cargo).
  drift --upstream <file> [--curated <file>] [--json] [--allow-drift] [--scope <prefix>]...
      Compare the curated document (default openapi/cloudflare-ssl.yaml) with Cloudflare's
      upstream OpenAPI document for the operations this crate covers. Exit 1 when they differ,
      unless --allow-drift. --json: structured report. --scope: normalised path prefix whose
      upstream operations are in scope (repeatable; default /zones/{}/ssl/).
  schema [--out <dir>]
      Export the JSON Schemas of the public request/response types (default openapi/schemas/).
  bench [--quick] [--requests N] [--rounds N] [--prefetch N] [--no-sdks] [--no-micro]
        [--no-build-time] [--build-profile dev|release] [--python-sdk VERSION] [--ts-sdk VERSION] [--out FILE]
        [--chart FILE]
      Benchmarks against the mock on 127.0.0.1 (this crate, a raw reqwest floor, the official
      Python and TypeScript SDKs, installed under target/bench-sdks/): criterion micro-benchmarks,
      per-request overhead, listing 2,000 packs with 20 ms latency, peak memory streaming vs
      collecting, clean and no-op build times. Writes BENCHMARKS.md and benches/ratios.svg.
  help
      This text.

exit status: 0 fine, 1 stale files / drift / generation failure, 2 usage or I/O error.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            if matches!(e, Error::Usage(_)) {
                eprintln!("\n{USAGE}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// The parsed options of one task.
#[derive(Default)]
struct Flags {
    skip_cargo: bool,
    json: bool,
    allow_drift: bool,
    upstream: Option<PathBuf>,
    curated: Option<PathBuf>,
    out: Option<PathBuf>,
    scope: Vec<String>,
}

fn parse_flags(task: &str, args: &[String], allowed: &[&str]) -> Result<Flags, Error> {
    let mut flags = Flags::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        if !allowed.contains(&name) {
            return Err(Error::Usage(format!("`{task}` does not take `{arg}`")));
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| iter.next().cloned())
                .ok_or_else(|| Error::Usage(format!("`{name}` needs a value")))
        };
        match name {
            "--skip-cargo" => flags.skip_cargo = true,
            "--json" => flags.json = true,
            "--allow-drift" => flags.allow_drift = true,
            "--upstream" => flags.upstream = Some(value()?.into()),
            "--curated" => flags.curated = Some(value()?.into()),
            "--out" => flags.out = Some(value()?.into()),
            "--scope" => flags.scope.push(value()?),
            _ => unreachable!("every allowed flag is handled"),
        }
    }
    Ok(flags)
}

fn run(args: &[String]) -> Result<u8, Error> {
    let Some((task, rest)) = args.split_first() else {
        return Err(Error::Usage("no task given".to_owned()));
    };
    let root = tasks::repo_root();
    match task.as_str() {
        "generate" => generate(&root, &parse_flags(task, rest, &["--skip-cargo"])?),
        "check" => check(&root, &parse_flags(task, rest, &["--skip-cargo"])?),
        "drift" => run_drift(
            &root,
            &parse_flags(
                task,
                rest,
                &[
                    "--upstream",
                    "--curated",
                    "--json",
                    "--allow-drift",
                    "--scope",
                ],
            )?,
        ),
        "schema" => schema(&root, &parse_flags(task, rest, &["--out"])?),
        "bench" => xtask::bench::run(&root, rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(0)
        }
        other => Err(Error::Usage(format!("unknown task `{other}`"))),
    }
}

fn print_written(written: &tasks::Written) {
    for path in &written.changed {
        println!("wrote     {path}");
    }
    for path in &written.removed {
        println!("removed   {path}");
    }
    if !written.unchanged.is_empty() {
        println!("unchanged: {} files", written.unchanged.len());
    }
}

fn generate(root: &Path, flags: &Flags) -> Result<u8, Error> {
    // The spec and the generated copy first: they need no cargo, so a maintainer gets the new
    // generated code to review even when the change breaks the crate.
    print_written(&tasks::generate(root, None)?);
    if flags.skip_cargo {
        println!("skipped (--skip-cargo): {SCHEMAS_DIR}/, snapshots and the build.rs comparison");
        return Ok(0);
    }
    println!("exporting JSON Schemas: cargo run --package xtask --example export_schemas");
    let schemas = tasks::export_schemas(root).map_err(|e| {
        Error::Failed(format!(
            "{e}\n{} and {REVIEW_COPY_PATH} are written; fix the crate, then run `cargo xtask \
             generate` again",
            codegen::SPEC_PATH
        ))
    })?;
    print_written(&tasks::write_schemas(root, &schemas)?);
    println!("comparing {REVIEW_COPY_PATH} with build.rs's output");
    if let Some(detail) = tasks::compare_with_build_rs(root)? {
        return Err(Error::Failed(detail));
    }
    let mut failed = Vec::new();
    for suite in SNAPSHOT_SUITES {
        println!(
            "refreshing snapshots: cargo test --package {} --test {}",
            suite.package, suite.test
        );
        match tasks::run_snapshot_suite(root, suite, true)? {
            SuiteOutcome::Passed => {}
            SuiteOutcome::Failed => failed.push(suite.file),
            SuiteOutcome::Missing => println!("skipped: {} does not exist", suite.file),
        }
    }
    if !failed.is_empty() {
        return Err(Error::Failed(format!(
            "tests failed while refreshing snapshots (not a snapshot mismatch): {}",
            failed.join(", ")
        )));
    }
    Ok(0)
}

fn check(root: &Path, flags: &Flags) -> Result<u8, Error> {
    let stale = tasks::check(root, None)?;
    let mut problems: Vec<String> = stale.iter().map(|s| s.path.clone()).collect();
    for s in &stale {
        println!("{}", s.detail);
    }
    if !flags.skip_cargo {
        println!("exporting JSON Schemas: cargo run --package xtask --example export_schemas");
        match tasks::export_schemas(root) {
            Ok(schemas) => {
                for s in tasks::check_schemas(root, &schemas)? {
                    println!("{}", s.detail);
                    problems.push(s.path);
                }
            }
            Err(e) => {
                println!("{e}");
                problems.push(format!(
                    "{SCHEMAS_DIR}/ (the schemas could not be exported)"
                ));
            }
        }
        println!("comparing {REVIEW_COPY_PATH} with build.rs's output");
        if let Some(detail) = tasks::compare_with_build_rs(root)? {
            println!("{detail}");
            problems.push("xtask and build.rs generate different code".to_owned());
        }
        for suite in SNAPSHOT_SUITES {
            println!(
                "checking snapshots: cargo test --package {} --test {}",
                suite.package, suite.test
            );
            match tasks::run_snapshot_suite(root, suite, false)? {
                SuiteOutcome::Passed => {}
                SuiteOutcome::Failed => problems.push(format!("snapshots of {}", suite.file)),
                SuiteOutcome::Missing => println!("skipped: {} does not exist", suite.file),
            }
        }
    }
    if problems.is_empty() {
        let what = if flags.skip_cargo {
            format!("{} and {REVIEW_COPY_PATH}", codegen::SPEC_PATH)
        } else {
            format!(
                "{}, {REVIEW_COPY_PATH}, {SCHEMAS_DIR}/ and snapshots",
                codegen::SPEC_PATH
            )
        };
        println!("up to date: {what}");
        return Ok(0);
    }
    Err(Error::Failed(format!(
        "stale: {}\nrun `cargo xtask generate` and commit the result",
        problems.join(", ")
    )))
}

fn run_drift(root: &Path, flags: &Flags) -> Result<u8, Error> {
    let upstream = flags
        .upstream
        .clone()
        .ok_or_else(|| Error::Usage("`drift` needs `--upstream <file>`".to_owned()))?;
    let (curated, curated_label) = match &flags.curated {
        Some(path) => (path.clone(), path.display().to_string()),
        None => (root.join(codegen::SPEC_PATH), codegen::SPEC_PATH.to_owned()),
    };
    let mut options = drift::Options::new(curated_label, upstream.display().to_string());
    if !flags.scope.is_empty() {
        options.scope = flags.scope.clone();
    }
    let report = drift::run(&curated, &upstream, &options)?;
    if flags.json {
        let text = serde_json::to_string_pretty(&report.to_json())
            .map_err(|e| Error::Io(format!("writing the JSON report: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", report.to_human());
    }
    if report.has_drift() && !flags.allow_drift {
        eprintln!(
            "drift found: {} differences (--allow-drift to report without failing)",
            report.difference_count()
        );
        return Ok(1);
    }
    Ok(0)
}

fn schema(root: &Path, flags: &Flags) -> Result<u8, Error> {
    let schemas = tasks::export_schemas(root)?;
    let files = tasks::schema_files(&schemas)?;
    let dir = flags.out.clone().unwrap_or_else(|| root.join(SCHEMAS_DIR));
    for file in &files {
        let name = file.path.rsplit('/').next().unwrap_or(&file.path);
        xtask::write_text(&dir.join(name), &file.contents)?;
    }
    if flags.out.is_none() {
        for orphan in tasks::orphan_schema_files(root, &schemas)? {
            let path = root.join(&orphan);
            std::fs::remove_file(&path).map_err(|e| Error::io("removing", &path, e))?;
            println!("removed {orphan}");
        }
    }
    println!("exported {} JSON Schemas to {}", files.len(), dir.display());
    Ok(0)
}
