//! `cargo xtask`: maintainer tasks for cloudflare-ssl. Run `cargo xtask help`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use xtask::codegen::SPEC_PATH as SPEC;
use xtask::public_api::{self, LISTING_PATH as LISTING};
use xtask::tasks::{self, SuiteOutcome, SNAPSHOT_SUITES};
use xtask::{drift, lint, Error, GENERATED_SNAPSHOT_PATH as SNAPSHOT, SCHEMAS_DIR};

const EXIT_STATUS: &str =
    "exit status: 0 fine, 1 stale files / drift / lint errors / generation failure / a refused import, 2 usage or I/O error.";

/// Maintainer tasks for cloudflare-ssl.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", after_help = EXIT_STATUS)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Rewrite the spec canonically and write every derived file.
    ///
    /// Rewrite openapi/cloudflare-ssl.yaml in canonical form, write the one reviewed copy of the
    /// generated code (tests/snapshots/generated__generated_code.snap), the JSON Schemas
    /// (openapi/schemas/), the public-API listing (tests/snapshots/public_api.txt, from rustdoc's
    /// JSON output), the seed inventory (openapi/seed-inventory.json) and the upstream
    /// subset (xtask/tests/fixtures/upstream-ssl-2024-08-06.json) when ../shared has their
    /// sources; lint the document (stop on errors); refresh the other insta snapshots and the
    /// fuzz seeds (fuzz/seeds/), and run seed fidelity. A second run changes nothing.
    Generate(GenerateArgs),
    /// Fail when a derived file is stale or the spec does not lint (CI runs this).
    ///
    /// Fail (exit 1) with a unified diff when the spec is not canonical, or the generated-code
    /// snapshot, a schema, the seed inventory, the upstream subset or a snapshot is stale, when
    /// the crate's public API differs from tests/snapshots/public_api.txt (the diff, and how
    /// many items were removed or changed: a breaking change to review), when the generated code
    /// differs from what build.rs generates, when `lint` finds errors or warnings, when the fuzz
    /// seeds are stale, or when the document departs from the seeds without a ledger entry
    /// (x-source/x-since, x-added-values). Says which ../shared sources are absent (their derived
    /// files are then not compared). CI runs this.
    Check(GenerateArgs),
    /// Validate the curated document as OpenAPI 3.0.
    ///
    /// Rules (Redocly's names): struct (strict OpenAPI 3.0 model: unknown keywords are errors),
    /// no-unresolved-refs, no-ref-siblings, nullable-type-sibling, no-invalid-schema-examples,
    /// no-invalid-media-type-examples, no-invalid-parameter-examples (examples validated as JSON
    /// Schema: nullable becomes a null type), and no-unused-components (a warning). Not covered:
    /// the official OpenAPI 3.0 JSON meta-schema (no Rust crate ships it) and Redocly's style
    /// rules. Exit 1 on errors, or on warnings with --deny-warnings.
    Lint(LintArgs),
    /// Compare the curated document with Cloudflare's upstream document.
    ///
    /// Compare the curated document with Cloudflare's upstream OpenAPI document for the
    /// operations this crate covers. Unresolved `$ref`s are reported as such, and an operation
    /// with one is never "No drift". Exit 1 when they differ, unless --allow-drift.
    Drift(DriftArgs),
    /// Bring one operation from an upstream OpenAPI document into the curated document.
    ///
    /// Copies the operation (by operationId or "METHOD /path") and every component it reaches,
    /// in the document's conventions (PascalCase names without the upstream family prefix,
    /// existing components reused and none overwritten, the success envelope, the shared Failure,
    /// enums as components, a snake_case operationId from the summary or --as, the ledger entries
    /// x-source and x-since: README.md, "Importing an operation from upstream", has them all),
    /// then writes the document canonically and lints it (exit 1 on lint errors); --generate runs
    /// `generate` too. Refuses an operation already present, one not found (with close matches),
    /// or one using what it cannot translate (oneOf/anyOf/not, non-JSON bodies, several success
    /// bodies, external $refs). Example:
    ///
    ///   cargo xtask import --from ../shared/upstream/cloudflare-openapi-2024-08-06.json
    ///   keyless-ssl-for-a-zone-list-keyless-ssl-configurations --as list_keyless_certificates
    Import(ImportArgs),
    /// Export the JSON Schemas of the public request/response types.
    Schema(SchemaArgs),
    /// Benchmarks: writes BENCHMARKS.md and benches/ratios.svg.
    ///
    /// Benchmarks against the mock on 127.0.0.1 (this crate, a raw reqwest floor, the official
    /// Python and TypeScript SDKs, installed under target/bench-sdks/): criterion
    /// micro-benchmarks, per-request overhead, listing 2,000 packs with 20 ms latency, peak
    /// memory streaming vs collecting, clean and no-op build times, the downstream build cost
    /// against the `cloudflare` crate, server-advised pacing (4 processes sharing one token), and
    /// the mock against Prism under wrk. Writes BENCHMARKS.md and benches/ratios.svg.
    Bench(xtask::bench::BenchArgs),
}

#[derive(Args, Default)]
struct GenerateArgs {
    /// Only the spec, the generated-code snapshot, lint and the ../shared-derived files (no nested
    /// cargo, so it works while the crate does not compile).
    #[arg(long)]
    skip_cargo: bool,
    /// The folder holding seeds/ and upstream/ [default: ../shared beside the repository].
    #[arg(long, value_name = "dir")]
    shared: Option<PathBuf>,
}

#[derive(Args)]
struct LintArgs {
    /// The document to lint [default: openapi/cloudflare-ssl.yaml].
    #[arg(value_name = "file")]
    file: Option<PathBuf>,
    /// Fail on warnings (unused components) too.
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Args)]
struct DriftArgs {
    /// Cloudflare's upstream OpenAPI document (JSON or YAML).
    #[arg(long, value_name = "file")]
    upstream: PathBuf,
    /// The curated document [default: openapi/cloudflare-ssl.yaml].
    #[arg(long, value_name = "file")]
    curated: Option<PathBuf>,
    /// Structured report.
    #[arg(long)]
    json: bool,
    /// Report without failing.
    #[arg(long)]
    allow_drift: bool,
    /// Normalised path prefix whose upstream operations are in scope (repeatable)
    /// [default: /zones/{}/ssl/].
    #[arg(long, value_name = "prefix")]
    scope: Vec<String>,
}

#[derive(Args)]
struct ImportArgs {
    #[command(flatten)]
    options: xtask::import::ImportOptions,
    /// The curated document to import into [default: openapi/cloudflare-ssl.yaml].
    #[arg(long, value_name = "file")]
    spec: Option<PathBuf>,
    /// Run `cargo xtask generate` afterwards (only with the default --spec).
    #[arg(long)]
    generate: bool,
}

#[derive(Args)]
struct SchemaArgs {
    /// Where to write the schemas [default: openapi/schemas/].
    #[arg(long, value_name = "dir")]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = tasks::repo_root();
    let result = match cli.task {
        Task::Generate(args) => generate(&root, &args),
        Task::Check(args) => check(&root, &args),
        Task::Lint(args) => run_lint(&root, &args),
        Task::Drift(args) => run_drift(&root, &args),
        Task::Import(args) => run_import(&root, &args),
        Task::Schema(args) => schema(&root, &args),
        Task::Bench(args) => xtask::bench::run(&root, &args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// `--shared`, else the `../shared` folder beside the repository (seeds and upstream document).
fn shared_dir(root: &Path, args: &GenerateArgs) -> PathBuf {
    let beside = || root.join("..").join("shared");
    args.shared.clone().unwrap_or_else(beside)
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
    for note in &written.skipped {
        println!("skipped: {note}");
    }
}

/// Lints the spec, printing the report.
fn lint_spec(root: &Path) -> Result<lint::LintReport, Error> {
    println!("linting {SPEC}");
    let report = lint::lint_file(&root.join(SPEC))?;
    print!("{}", report.to_human());
    Ok(report)
}

/// Runs every snapshot suite, refreshing (`update`) or checking; returns the failed ones' files.
fn run_suites(root: &Path, update: bool) -> Result<Vec<String>, Error> {
    let mut failed = Vec::new();
    let verb = if update { "refreshing" } else { "checking" };
    for suite in SNAPSHOT_SUITES {
        let (package, test) = (suite.package, suite.test);
        println!("{verb} snapshots: cargo test --package {package} --test {test}");
        match tasks::run_snapshot_suite(root, suite, update)? {
            SuiteOutcome::Passed => {}
            SuiteOutcome::Failed => failed.push(suite.file()),
            SuiteOutcome::Missing => println!("skipped: {} does not exist", suite.file()),
        }
    }
    Ok(failed)
}

fn generate(root: &Path, args: &GenerateArgs) -> Result<u8, Error> {
    // The spec and the generated code first: they need no cargo, so a maintainer gets the new
    // generated code to review even when the change breaks the crate.
    let shared = shared_dir(root, args);
    print_written(&tasks::generate(root, Some(&shared))?);
    // Lint before anything builds on the document: an example that breaks its schema is
    // reported here, not by a later `check`.
    let report = lint_spec(root)?;
    if report.error_count() > 0 {
        let (errors, next) = (report.error_count(), "run `cargo xtask generate` again");
        let why = format!("{SPEC} does not lint ({errors} errors): fix it, then {next}");
        return Err(Error::Failed(why));
    }
    if args.skip_cargo {
        println!("skipped (--skip-cargo): {SCHEMAS_DIR}/, the public-API listing, snapshots and the build.rs comparison");
        return Ok(0);
    }
    println!("exporting JSON Schemas: cargo run --package xtask --example export_schemas");
    let schemas = tasks::export_schemas(root).map_err(|e| {
        let next = "fix the crate, then run `cargo xtask generate` again";
        Error::Failed(format!("{e}\n{SPEC} and {SNAPSHOT} are written; {next}"))
    })?;
    print_written(&tasks::write_schemas(root, &schemas, Default::default())?);
    println!("comparing {SNAPSHOT} with build.rs's output");
    if let Some(detail) = tasks::compare_with_build_rs(root)? {
        return Err(Error::Failed(detail));
    }
    println!(
        "listing the public API: cargo rustdoc --lib --package cloudflare-ssl --output-format json"
    );
    let api = public_api::current_listing(root)?;
    if xtask::write_text(&root.join(LISTING), &api)? {
        println!("wrote     {LISTING}");
    }
    let failed = run_suites(root, true)?;
    if !failed.is_empty() {
        return Err(Error::Failed(format!(
            "tests failed while refreshing snapshots (not a snapshot mismatch): {}",
            failed.join(", ")
        )));
    }
    Ok(0)
}

fn check(root: &Path, args: &GenerateArgs) -> Result<u8, Error> {
    let shared = shared_dir(root, args);
    let checked = tasks::check(root, Some(&shared))?;
    let mut problems = Vec::new();
    for s in checked.stale {
        println!("{}", s.detail);
        problems.push(s.path);
    }
    for note in &checked.skipped {
        println!("NOT CHECKED: {note}");
    }
    if checked.skipped.is_empty() {
        println!(
            "compared {} with the seeds and {} with the upstream document in {}",
            xtask::seeds::INVENTORY_PATH,
            xtask::upstream::SUBSET_PATH,
            shared.display()
        );
    }
    let report = lint_spec(root)?;
    if !report.findings.is_empty() {
        let (errors, warnings) = (report.error_count(), report.warning_count());
        problems.push(format!(
            "{SPEC} (lint: {errors} errors, {warnings} warnings)"
        ));
    }
    if !args.skip_cargo {
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
        println!("comparing {SNAPSHOT} with build.rs's output");
        if let Some(detail) = tasks::compare_with_build_rs(root)? {
            println!("{detail}");
            problems.push("xtask and build.rs generate different code".to_owned());
        }
        println!("comparing {LISTING} with the crate: cargo rustdoc --output-format json");
        match public_api::current_listing(root) {
            Ok(current) => {
                if let Some(detail) = public_api::check(root, &current)? {
                    println!("{detail}");
                    problems.push(format!("{LISTING} (the public API changed)"));
                }
            }
            Err(e) => {
                println!("{e}");
                problems.push(format!("{LISTING} (rustdoc failed)"));
            }
        }
        let failed = run_suites(root, false)?;
        problems.extend(failed.iter().map(|file| format!("snapshots of {file}")));
    }
    if problems.is_empty() {
        let what = if args.skip_cargo {
            format!("{SPEC} and {SNAPSHOT}")
        } else {
            format!("{SPEC}, {SNAPSHOT}, {SCHEMAS_DIR}/, {LISTING} and snapshots")
        };
        let partial = if checked.skipped.is_empty() {
            ""
        } else {
            " (not everything: see NOT CHECKED above)"
        };
        println!("up to date: {what}{partial}");
        return Ok(0);
    }
    Err(Error::Failed(format!(
        "stale or invalid: {}\nrun `cargo xtask generate` (and fix what `cargo xtask lint` \
         reports), then commit the result",
        problems.join(", ")
    )))
}

fn run_lint(root: &Path, args: &LintArgs) -> Result<u8, Error> {
    let path = args.file.clone().unwrap_or_else(|| root.join(SPEC));
    let report = lint::lint_file(&path)?;
    print!("{}", report.to_human());
    let failed = report.error_count() > 0 || (args.deny_warnings && report.warning_count() > 0);
    Ok(u8::from(failed))
}

fn run_drift(root: &Path, args: &DriftArgs) -> Result<u8, Error> {
    let (curated, curated_label) = match &args.curated {
        Some(path) => (path.clone(), path.display().to_string()),
        None => (root.join(SPEC), SPEC.to_owned()),
    };
    let mut options = drift::Options::new(curated_label, args.upstream.display().to_string());
    if !args.scope.is_empty() {
        options.scope = args.scope.clone();
    }
    let report = drift::run(&curated, &args.upstream, &options)?;
    if args.json {
        let text = serde_json::to_string_pretty(&report.to_json())
            .map_err(|e| Error::Io(format!("writing the JSON report: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", report.to_human());
    }
    if report.has_drift() && !args.allow_drift {
        eprintln!(
            "drift found: {} differences (--allow-drift to report without failing)",
            report.difference_count()
        );
        return Ok(1);
    }
    Ok(0)
}

fn run_import(root: &Path, args: &ImportArgs) -> Result<u8, Error> {
    if args.generate && args.spec.is_some() {
        return Err(Error::Io(
            "--generate works on the repository's document: leave out --spec".to_owned(),
        ));
    }
    let spec = args.spec.clone().unwrap_or_else(|| root.join(SPEC));
    let report = xtask::import::import(&spec, &args.options)?;
    print!("{}", report.to_human());
    if report.lint.error_count() > 0 {
        eprintln!("the imported document does not lint: fix the findings above by hand");
        return Ok(1);
    }
    if args.generate {
        return generate(root, &GenerateArgs::default());
    }
    Ok(0)
}

fn schema(root: &Path, args: &SchemaArgs) -> Result<u8, Error> {
    let schemas = tasks::export_schemas(root)?;
    let files = tasks::schema_files(&schemas)?;
    let dir = args.out.clone().unwrap_or_else(|| root.join(SCHEMAS_DIR));
    for file in &files {
        let name = file.path.rsplit('/').next().unwrap_or(&file.path);
        xtask::write_text(&dir.join(name), &file.contents)?;
    }
    if args.out.is_none() {
        for orphan in tasks::orphan_schema_files(root, &schemas)? {
            let path = root.join(&orphan);
            std::fs::remove_file(&path).map_err(|e| Error::io("removing", &path, e))?;
            println!("removed {orphan}");
        }
    }
    println!("exported {} JSON Schemas to {}", files.len(), dir.display());
    Ok(0)
}
