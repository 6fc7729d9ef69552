//! `generate` and `check`: the files derived from the curated document.
//!
//! Managed files, relative to the repository root:
//! * `openapi/cloudflare-ssl.yaml`: rewritten in canonical form ([`crate::canonical`]);
//! * `openapi/generated/codegen.rs`: the reviewed copy of what `build.rs` generates;
//! * `openapi/schemas/<Type>.json`: exported JSON Schemas (one per public request/response type);
//! * insta snapshots, refreshed or checked by running the snapshot test suites.
//!
//! The file logic takes the repository root and the exported schemas as parameters, so it runs on
//! temporary copies in tests. Steps that need `cargo` (exporting schemas from the compiled crate,
//! running snapshot suites) are separate functions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{
    canonical, codegen, diff, read_text, write_text, Error, REVIEW_COPY_PATH, SCHEMAS_DIR,
};

/// Exported JSON Schemas by type name.
pub type Schemas = BTreeMap<String, serde_json::Value>;

/// A managed file: its path relative to the repository root (with `/`) and expected contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedFile {
    /// Path relative to the repository root.
    pub path: String,
    /// What the file must contain.
    pub contents: String,
}

/// The expected contents of the canonical spec and the reviewed generated code.
pub fn expected_files(root: &Path) -> Result<Vec<ManagedFile>, Error> {
    let spec_path = root.join(codegen::SPEC_PATH);
    let text = read_text(&spec_path)?;
    let canonical_text = canonical::canonicalize(&spec_path, &text)?;
    // Generate from the canonical text: it is the same document, and it is what will be on disk.
    let spec = parse_spec(&spec_path, &canonical_text)?;
    let code = codegen::generate(&spec).map_err(|e| Error::Failed(e.to_string()))?;
    Ok(vec![
        ManagedFile {
            path: codegen::SPEC_PATH.to_owned(),
            contents: canonical_text,
        },
        ManagedFile {
            path: REVIEW_COPY_PATH.to_owned(),
            contents: code,
        },
    ])
}

/// Parses the curated document for generation, as `build.rs` does.
///
/// [`codegen::parse_spec`] does the parsing and checking. One detail differs on purpose: the
/// root crate's build-dependencies enable serde_json's `preserve_order`, so in `build.rs` the typed
/// document progenitor reads lists paths and schemas in document order. xtask must not enable that
/// feature (in a workspace-wide build it would leak into the crate's own `serde_json` and change
/// its behaviour), so the typed document is read straight from the YAML instead, which keeps
/// document order the same way. `check` verifies that the result equals `build.rs`'s output
/// ([`build_rs_output`]).
pub fn parse_spec(path: &Path, text: &str) -> Result<codegen::Spec, Error> {
    let mut spec = codegen::parse_spec(path, text).map_err(|e| Error::Failed(e.to_string()))?;
    spec.openapi = serde_yaml::from_str(text).map_err(|e| {
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
            let mut contents = serde_json::to_string_pretty(&crate::sorted_json(schema))
                .map_err(|e| Error::Io(format!("schema {name}: {e}")))?;
            contents.push('\n');
            Ok(ManagedFile {
                path: format!("{SCHEMAS_DIR}/{name}.json"),
                contents,
            })
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
        if let Some(stem) = name.strip_suffix(".json") {
            if !schemas.contains_key(stem) {
                out.push(format!("{SCHEMAS_DIR}/{name}"));
            }
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
}

/// Writes every managed file under `root` (schemas only when given), removing orphaned schema
/// files. Running it twice writes nothing the second time.
pub fn generate(root: &Path, schemas: Option<&Schemas>) -> Result<Written, Error> {
    let mut out = write_files(root, expected_files(root)?)?;
    if let Some(schemas) = schemas {
        let more = write_schemas(root, schemas)?;
        out.changed.extend(more.changed);
        out.unchanged.extend(more.unchanged);
        out.removed.extend(more.removed);
    }
    Ok(out)
}

/// Writes one JSON file per schema to the schemas folder and removes orphaned ones.
pub fn write_schemas(root: &Path, schemas: &Schemas) -> Result<Written, Error> {
    let mut out = write_files(root, schema_files(schemas)?)?;
    for orphan in orphan_schema_files(root, schemas)? {
        let path = root.join(&orphan);
        std::fs::remove_file(&path).map_err(|e| Error::io("removing", &path, e))?;
        out.removed.push(orphan);
    }
    Ok(out)
}

fn write_files(root: &Path, files: Vec<ManagedFile>) -> Result<Written, Error> {
    let mut out = Written::default();
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

/// Compares every managed file with what `generate` would write (schemas only when given).
/// Returns the stale ones with a unified diff each; an empty list means all is up to date.
pub fn check(root: &Path, schemas: Option<&Schemas>) -> Result<Vec<Stale>, Error> {
    let mut stale = compare_files(root, expected_files(root)?)?;
    if let Some(schemas) = schemas {
        stale.extend(check_schemas(root, schemas)?);
    }
    Ok(stale)
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
        let current = match std::fs::read(&path) {
            Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io("reading", &path, e)),
        };
        match current {
            Some(current) if current == file.contents => {}
            Some(current) => {
                let why = if file.path == codegen::SPEC_PATH {
                    "is not in canonical form"
                } else {
                    "is stale"
                };
                stale.push(Stale {
                    detail: format!(
                        "{} {why}:\n{}",
                        file.path,
                        diff::unified(&file.path, &current, &file.contents)
                    ),
                    path: file.path,
                });
            }
            None => stale.push(Stale {
                detail: format!("{} is missing", file.path),
                path: file.path,
            }),
        }
    }
    Ok(stale)
}

/// The `cargo` that runs this task (`$CARGO`), or `cargo` from `PATH`.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Exports the JSON Schemas of the crate's public types by running the `export_schemas` example
/// (which depends on the crate, so the xtask binary does not have to).
pub fn export_schemas(root: &Path) -> Result<Schemas, Error> {
    let mut command = cargo();
    command
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "--package",
            "xtask",
            "--example",
            "export_schemas",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let output = command
        .output()
        .map_err(|e| Error::Io(format!("running `cargo run --example export_schemas`: {e}")))?;
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
    let output = cargo()
        .current_dir(root)
        .args([
            "build",
            "--quiet",
            "--package",
            "cloudflare-ssl",
            "--message-format=json",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| {
            Error::Io(format!(
                "running `cargo build --package cloudflare-ssl`: {e}"
            ))
        })?;
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

/// Compares the reviewed copy `generate` writes with what `build.rs` generated; `Some(detail)`
/// when they differ (xtask and `build.rs` disagree: different dependency versions or features).
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

/// A test suite holding insta snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotSuite {
    /// Cargo package.
    pub package: &'static str,
    /// Integration test target (`tests/<name>.rs` of the package).
    pub test: &'static str,
    /// The test file, relative to the repository root.
    pub file: &'static str,
}

/// Every suite whose snapshots `generate` refreshes and `check` verifies.
pub const SNAPSHOT_SUITES: &[SnapshotSuite] = &[
    SnapshotSuite {
        package: "cloudflare-ssl",
        test: "generated",
        file: "tests/generated.rs",
    },
    SnapshotSuite {
        package: "xtask",
        test: "snapshots",
        file: "xtask/tests/snapshots.rs",
    },
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
    if !root.join(suite.file).is_file() {
        return Ok(SuiteOutcome::Missing);
    }
    let mut command = cargo();
    command
        .current_dir(root)
        .args(["test", "--package", suite.package, "--test", suite.test])
        .env("INSTA_UPDATE", if update { "always" } else { "no" })
        .env("INSTA_FORCE_PASS", if update { "1" } else { "0" })
        .env_remove("INSTA_WORKSPACE_ROOT")
        .stdin(Stdio::null());
    let status = command.status().map_err(|e| {
        Error::Io(format!(
            "running `cargo test --package {} --test {}`: {e}",
            suite.package, suite.test
        ))
    })?;
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
