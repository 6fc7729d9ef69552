//! `generate` and `check`: the files derived from the curated document, one copy of each: the
//! canonical spec ([`crate::canonical`]), the generated-code snapshot (what `build.rs` generates,
//! written here without cargo; insta's header is kept), the exported JSON Schemas, the seed
//! inventory ([`crate::seeds`]) and the upstream subset ([`crate::upstream`]) when `../shared` is
//! present, and the other insta snapshots (refreshed or checked by running their suites).
//!
//! The steps that need `cargo` are separate functions, never called by tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{
    canonical, codegen, diff, read_text, seeds, upstream, write_text, Error, ManagedFile,
    GENERATED_SNAPSHOT_HEADER, GENERATED_SNAPSHOT_PATH, SCHEMAS_DIR,
};

/// Exported JSON Schemas by type name.
pub type Schemas = BTreeMap<String, serde_json::Value>;

/// The insta header of the file at `path` (`---` … `---` and its newline), if it has one.
fn snapshot_header(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(text[..4 + end + 5].to_owned())
}

/// The expected contents of the canonical spec and of the generated-code snapshot.
pub fn expected_files(root: &Path) -> Result<Vec<ManagedFile>, Error> {
    let spec_path = root.join(codegen::SPEC_PATH);
    let text = read_text(&spec_path)?;
    let canonical_text = canonical::canonicalize(&spec_path, &text)?;
    // Generate from the canonical text: it is the same document, and it is what will be on disk.
    let spec = parse_spec(&spec_path, &canonical_text)?;
    let code = codegen::generate(&spec).map_err(|e| Error::Failed(e.to_string()))?;
    let header = snapshot_header(&root.join(GENERATED_SNAPSHOT_PATH))
        .unwrap_or_else(|| GENERATED_SNAPSHOT_HEADER.to_owned());
    Ok(vec![
        ManagedFile {
            path: codegen::SPEC_PATH.to_owned(),
            contents: canonical_text,
        },
        ManagedFile {
            path: GENERATED_SNAPSHOT_PATH.to_owned(),
            contents: format!("{header}{code}"),
        },
    ])
}

/// The files derived from the `../shared` folder that is present: the seed inventory when
/// `shared/seeds/` holds the seed, the upstream subset when `shared/upstream/` holds the
/// document. Returns them and a sentence for each one skipped because its source is absent.
pub fn shared_files(root: &Path, shared: &Path) -> Result<(Vec<ManagedFile>, Vec<String>), Error> {
    let (mut files, mut skipped) = (Vec::new(), Vec::new());
    let absent = |source: &Path, derived: &str, with: &str| {
        let source = source.display();
        format!("{source} is absent: {derived} was neither regenerated nor compared with {with}")
    };
    let (seeds_dir, spec) = (shared.join("seeds"), root.join(codegen::SPEC_PATH));
    let seed = seeds_dir.join(seeds::SEED_FILE);
    match seed.is_file() {
        true => files.push(seeds::expected_inventory(&seeds_dir)?),
        false => skipped.push(absent(&seed, seeds::INVENTORY_PATH, "the seeds")),
    }
    let full = shared.join(upstream::UPSTREAM_FILE);
    match full.is_file() {
        true => files.push(upstream::expected_subset(&spec, shared)?),
        false => skipped.push(absent(&full, upstream::SUBSET_PATH, "it")),
    }
    Ok((files, skipped))
}

/// Parses the curated document for generation as `build.rs` does ([`codegen::parse_spec`]), with
/// the typed document read straight from the YAML, which keeps document order whatever
/// serde_json's `preserve_order` is in this build. `check` verifies that the result equals
/// `build.rs`'s output ([`build_rs_output`]).
pub fn parse_spec(path: &Path, text: &str) -> Result<codegen::Spec, Error> {
    let mut spec = codegen::parse_spec(path, text).map_err(|e| Error::Failed(e.to_string()))?;
    spec.openapi = serde_norway::from_str(text).map_err(|e| {
        Error::Failed(format!(
            "{}: not a valid OpenAPI 3.0 document: {e}",
            path.display()
        ))
    })?;
    Ok(spec)
}

/// One pretty-printed JSON file (object keys sorted, a trailing newline) per schema.
pub fn schema_files(schemas: &Schemas) -> Result<Vec<ManagedFile>, Error> {
    schemas
        .iter()
        .map(|(name, schema)| {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(Error::Io(format!(
                    "schema name {name:?} is not a valid type name"
                )));
            }
            crate::json_file(format!("{SCHEMAS_DIR}/{name}.json"), schema)
        })
        .collect()
}

/// `.json` files in the schemas folder that are not among `schemas` (left from a removed type).
pub fn orphan_schema_files(root: &Path, schemas: &Schemas) -> Result<Vec<String>, Error> {
    let dir = root.join(SCHEMAS_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("listing", &dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("listing", &dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".json")
            && !schemas.contains_key(stem)
        {
            out.push(format!("{SCHEMAS_DIR}/{name}"));
        }
    }
    out.sort();
    Ok(out)
}

/// What `generate` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    /// Files written because they changed (relative paths).
    pub changed: Vec<String>,
    /// Files already up to date.
    pub unchanged: Vec<String>,
    /// Orphaned schema files removed.
    pub removed: Vec<String>,
    /// Files derived from `../shared` left alone because their source is absent: one sentence
    /// each.
    pub skipped: Vec<String>,
}

/// Writes every managed file under `root` but the schemas ([`write_schemas`] writes those, once
/// exported): the files derived from `../shared` only when `shared` is given, and then only those
/// whose source is there. Running it twice writes nothing the second time.
pub fn generate(root: &Path, shared: Option<&Path>) -> Result<Written, Error> {
    let mut out = write_files(root, expected_files(root)?, Written::default())?;
    if let Some(shared) = shared {
        // After the spec: the upstream subset is derived from the document on disk.
        let (files, skipped) = shared_files(root, shared)?;
        out = write_files(root, files, Written { skipped, ..out })?;
    }
    Ok(out)
}

/// Writes one JSON file per schema to the schemas folder and removes orphaned ones, adding what
/// it did to `out`.
pub fn write_schemas(root: &Path, schemas: &Schemas, out: Written) -> Result<Written, Error> {
    let mut out = write_files(root, schema_files(schemas)?, out)?;
    for orphan in orphan_schema_files(root, schemas)? {
        let path = root.join(&orphan);
        std::fs::remove_file(&path).map_err(|e| Error::io("removing", &path, e))?;
        out.removed.push(orphan);
    }
    Ok(out)
}

fn write_files(root: &Path, files: Vec<ManagedFile>, mut out: Written) -> Result<Written, Error> {
    for file in files {
        if write_text(&root.join(&file.path), &file.contents)? {
            out.changed.push(file.path);
        } else {
            out.unchanged.push(file.path);
        }
    }
    Ok(out)
}

/// A managed file that is not what `generate` would write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// Path relative to the repository root.
    pub path: String,
    /// Why: a unified diff from the file on disk to the expected contents, or a sentence.
    pub detail: String,
}

/// What `check` found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The stale files, each with a unified diff; empty when all is up to date.
    pub stale: Vec<Stale>,
    /// Files derived from `../shared` not compared because their source is absent: one
    /// sentence each.
    pub skipped: Vec<String>,
}

/// Compares every managed file but the schemas ([`check_schemas`] compares those) with what
/// `generate` would write, the files derived from `../shared` only when `shared` is given and
/// their source is there.
pub fn check(root: &Path, shared: Option<&Path>) -> Result<Checked, Error> {
    let mut stale = compare_files(root, expected_files(root)?)?;
    let mut skipped = Vec::new();
    if let Some(shared) = shared {
        let files;
        (files, skipped) = shared_files(root, shared)?;
        stale.extend(compare_files(root, files)?);
        let spec = root.join(codegen::SPEC_PATH);
        if shared.join(upstream::UPSTREAM_FILE).is_file()
            && let Some(detail) = upstream::subset_is_faithful(&spec, shared)?
        {
            let path = upstream::SUBSET_PATH.to_owned();
            stale.push(Stale { path, detail });
        }
    }
    Ok(Checked { stale, skipped })
}

/// Compares the schemas folder with `schemas` (see [`check`]).
pub fn check_schemas(root: &Path, schemas: &Schemas) -> Result<Vec<Stale>, Error> {
    let mut stale = compare_files(root, schema_files(schemas)?)?;
    for orphan in orphan_schema_files(root, schemas)? {
        stale.push(Stale {
            detail: format!("{orphan} is not an exported type any more: `generate` removes it"),
            path: orphan,
        });
    }
    Ok(stale)
}

fn compare_files(root: &Path, files: Vec<ManagedFile>) -> Result<Vec<Stale>, Error> {
    let mut stale = Vec::new();
    for file in files {
        let path = root.join(&file.path);
        let detail = match std::fs::read(&path) {
            Ok(bytes) if bytes == file.contents.as_bytes() => continue,
            Ok(bytes) => {
                let current = String::from_utf8_lossy(&bytes);
                let why = match file.path == codegen::SPEC_PATH {
                    true => "is not in canonical form",
                    false => "is stale",
                };
                let diff = diff::unified(&file.path, &current, &file.contents);
                format!("{} {why}:\n{diff}", file.path)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                format!("{} is missing", file.path)
            }
            Err(e) => return Err(Error::io("reading", &path, e)),
        };
        stale.push(Stale {
            detail,
            path: file.path,
        });
    }
    Ok(stale)
}

/// `cargo {args}` run in `dir`, with no input: the `cargo` that runs this task (`$CARGO`), or
/// `cargo` from `PATH`. Every nested cargo of xtask (and of the benchmark harness) starts here.
pub fn cargo(dir: &Path, args: &str) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // `cargo run` sets these for the xtask binary; they must not leak into nested builds.
    for var in "CARGO_PRIMARY_PACKAGE CARGO_MANIFEST_DIR CARGO_PKG_NAME".split(' ') {
        cmd.env_remove(var);
    }
    cmd.current_dir(dir)
        .args(args.split_whitespace())
        .stdin(Stdio::null());
    cmd
}

/// Runs `cargo <args>` in `root`, capturing its standard output (its errors go to the terminal).
fn cargo_output(root: &Path, args: &str) -> Result<std::process::Output, Error> {
    let output = cargo(root, args).stderr(Stdio::inherit()).output();
    output.map_err(|e| Error::Io(format!("running `cargo {args}`: {e}")))
}

/// Exports the JSON Schemas of the crate's public types by running the `export_schemas` example
/// (which depends on the crate, so the xtask binary does not have to).
pub fn export_schemas(root: &Path) -> Result<Schemas, Error> {
    let output = cargo_output(root, "run --quiet --package xtask --example export_schemas")?;
    if !output.status.success() {
        return Err(Error::Failed(format!(
            "exporting JSON Schemas failed ({}): `cargo run --package xtask --example export_schemas` \
             must build the crate; see the errors above",
            output.status
        )));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| {
        Error::Io(format!(
            "the schema exporter printed something other than a JSON object: {e}"
        ))
    })
}

/// What `build.rs` generated: `codegen.rs` in the crate's `OUT_DIR`, found by running
/// `cargo build --package cloudflare-ssl --message-format=json` (which runs the build script when
/// needed and reports its `OUT_DIR`).
pub fn build_rs_output(root: &Path) -> Result<String, Error> {
    let output = cargo_output(
        root,
        "build --quiet --package cloudflare-ssl --message-format=json",
    )?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The build script runs before the library compiles, so its OUT_DIR is reported even when
    // the crate itself does not compile.
    let out_dir = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "build-script-executed")
        .filter(|m| {
            let id = m["package_id"].as_str().unwrap_or_default();
            id.contains("#cloudflare-ssl@") || id.starts_with("cloudflare-ssl ")
        })
        .find_map(|m| m["out_dir"].as_str().map(PathBuf::from))
        .ok_or_else(|| {
            Error::Failed(format!(
                "`cargo build --package cloudflare-ssl` did not run the build script ({}); see the \
                 errors above",
                output.status
            ))
        })?;
    read_text(&out_dir.join(codegen::OUTPUT_FILE))
}

/// Compares the generated code xtask writes into the snapshot with what `build.rs` generated;
/// `Some(detail)` when they differ (xtask and `build.rs` disagree: different dependency versions
/// or features). Runs `cargo build`: only `cargo xtask check` calls it, never a test.
pub fn compare_with_build_rs(root: &Path) -> Result<Option<String>, Error> {
    let spec_path = root.join(codegen::SPEC_PATH);
    let text = read_text(&spec_path)?;
    let spec = parse_spec(&spec_path, &text)?;
    let ours = codegen::generate(&spec).map_err(|e| Error::Failed(e.to_string()))?;
    let theirs = build_rs_output(root)?;
    if ours == theirs {
        return Ok(None);
    }
    Ok(Some(format!(
        "xtask's generated code differs from build.rs's (same codegen.rs, so the dependencies \
         differ: compare xtask/Cargo.toml with the root [build-dependencies]):\n{}",
        diff::unified("OUT_DIR/codegen.rs (build.rs)", &theirs, &ours)
    )))
}

/// A test suite holding insta snapshots: `tests/<test>.rs` of a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotSuite {
    /// Cargo package.
    pub package: &'static str,
    /// Integration test target.
    pub test: &'static str,
    /// Whether `generate` refreshes the suite's fuzz seeds (derived from the document and the
    /// fixtures) besides its insta snapshots, by setting `UPDATE_FUZZ_SEEDS=1`.
    pub fuzz_seeds: bool,
}

impl SnapshotSuite {
    /// The test file, relative to the repository root.
    pub fn file(&self) -> String {
        let dir = if self.package == "xtask" {
            "xtask/"
        } else {
            ""
        };
        format!("{dir}tests/{}.rs", self.test)
    }
}

const fn suite(package: &'static str, test: &'static str, fuzz_seeds: bool) -> SnapshotSuite {
    SnapshotSuite {
        package,
        test,
        fuzz_seeds,
    }
}

/// Every suite whose snapshots `generate` refreshes and `check` verifies: the generated code,
/// the drift report, the fuzz seeds (one per operation from the document's examples, and the
/// drifted corpus), and, verified but never rewritten, the document against the seed inventory.
pub const SNAPSHOT_SUITES: &[SnapshotSuite] = &[
    suite("cloudflare-ssl", "generated", false),
    suite("xtask", "snapshots", false),
    suite("cloudflare-ssl", "fuzz_regressions", true),
    suite("cloudflare-ssl", "tolerant_reader", true),
    suite("cloudflare-ssl", "seed_fidelity", false),
];

/// What happened to one snapshot suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuiteOutcome {
    /// The suite passed (with `update`: its snapshots were rewritten where they differed).
    Passed,
    /// The suite failed: stale snapshots (or a failing test) when checking.
    Failed,
    /// The test file does not exist yet; nothing was run.
    Missing,
}

/// Runs one snapshot suite with `cargo test`. With `update`, insta rewrites differing snapshots
/// in place (`INSTA_UPDATE=always`); without, a differing or missing snapshot fails the suite
/// (`INSTA_UPDATE=no`), and insta prints the diff.
pub fn run_snapshot_suite(
    root: &Path,
    suite: &SnapshotSuite,
    update: bool,
) -> Result<SuiteOutcome, Error> {
    if !root.join(suite.file()).is_file() {
        return Ok(SuiteOutcome::Missing);
    }
    let args = format!("test --package {} --test {}", suite.package, suite.test);
    let mut command = cargo(root, &args);
    command
        .env("INSTA_UPDATE", if update { "always" } else { "no" })
        .env("INSTA_FORCE_PASS", if update { "1" } else { "0" })
        .env_remove("INSTA_WORKSPACE_ROOT");
    match suite.fuzz_seeds && update {
        true => command.env("UPDATE_FUZZ_SEEDS", "1"),
        false => command.env_remove("UPDATE_FUZZ_SEEDS"),
    };
    let status = command.status();
    let status = status.map_err(|e| Error::Io(format!("running `cargo {args}`: {e}")))?;
    Ok(if status.success() {
        SuiteOutcome::Passed
    } else {
        SuiteOutcome::Failed
    })
}

/// The repository root this xtask was built in.
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}
