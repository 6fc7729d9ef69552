//! Maintainer tasks for `cloudflare-ssl`, run as `cargo xtask <task>` (see `src/main.rs`): one
//! module per task, [`tasks`] holding `generate` and `check` (the module list below says what
//! each does). Every function takes the repository root (or the files) as a parameter, so tests
//! run on copies.

#![warn(missing_docs)]

use std::fmt;
use std::path::Path;

use serde_json::Value;

// The generation code shared with `build.rs`: the very same file, not a copy, documented by its
// own `//!` (an outer `///` here would make rustdoc resolve its links in this module).
#[rustfmt::skip] // Formatted (or not) by its owner, as part of the root crate's build script.
#[path = "../../openapi/codegen.rs"]
pub mod codegen;
// The OpenAPI toolkit shared with `build.rs`, `codegen` and the library (`$ref` resolution,
// reachability, OpenAPI 3.0 → JSON Schema): the very same file, documented by its own `//!`
// (an outer `///` here would make rustdoc resolve its links in this module).
#[rustfmt::skip] // Formatted by its owner, the root crate.
#[path = "../../openapi/toolkit.rs"]
pub mod toolkit;

pub mod bench;
pub mod canonical;
pub mod diff;
pub mod drift;
pub mod import;
pub mod lint;
pub mod public_api;
pub mod seeds;
pub mod tasks;
pub mod upstream;

/// The one checked-in copy of the generated code: the insta snapshot that the root crate's
/// `tests/generated.rs` compares with `build.rs`'s output (relative to the repository root).
pub const GENERATED_SNAPSHOT_PATH: &str = "tests/snapshots/generated__generated_code.snap";
/// The insta header written above the generated code when the snapshot does not exist yet
/// (an existing snapshot keeps its own header: insta owns it).
pub const GENERATED_SNAPSHOT_HEADER: &str =
    "---\nsource: tests/generated.rs\nexpression: GENERATED\n---\n";
/// Where the exported JSON Schemas live, relative to the repository root.
pub const SCHEMAS_DIR: &str = "openapi/schemas";

/// A file `cargo xtask generate` writes and `check` compares (see [`tasks`]): its path relative to the repository root (with `/`) and expected contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedFile {
    /// Path relative to the repository root.
    pub path: String,
    /// What the file must contain.
    pub contents: String,
}

/// A task's failure. [`Error::exit_code`] tells the process exit status. (A wrong command line
/// never gets here: clap reports it and exits with status 2.)
#[derive(Debug)]
pub enum Error {
    /// A file could not be read, parsed or written, or a tool could not be run (exit status 2).
    Io(String),
    /// The task ran and found a problem: stale files, drift, a spec that does not generate
    /// (exit status 1).
    Failed(String),
}

impl Error {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Failed(_) => 1,
            Error::Io(_) => 2,
        }
    }

    /// A read/write failure naming the file.
    pub fn io(action: &str, path: &Path, e: impl fmt::Display) -> Self {
        Error::Io(format!("{action} {}: {e}", path.display()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(m) | Error::Failed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

/// Reads a UTF-8 text file, naming it on failure.
pub fn read_text(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))
}

/// Writes a file (creating its folder), naming it on failure. Leaves an identical file untouched.
pub fn write_text(path: &Path, contents: &str) -> Result<bool, Error> {
    if std::fs::read(path).ok().as_deref() == Some(contents.as_bytes()) {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
    }
    std::fs::write(path, contents).map_err(|e| Error::io("writing", path, e))?;
    Ok(true)
}

/// A managed file at `path` holding `value` as pretty-printed JSON (object keys sorted, a trailing
/// newline).
pub fn json_file(path: String, value: &Value) -> Result<ManagedFile, Error> {
    let text = serde_json::to_string_pretty(&sorted_json(value))
        .map_err(|e| Error::Io(format!("serialising {path}: {e}")))?;
    let contents = format!("{text}\n");
    Ok(ManagedFile { path, contents })
}

/// The elements of `value` when it is an array (none otherwise).
pub fn list(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value.and_then(Value::as_array).into_iter().flatten()
}

/// The entries of `value` when it is an object (none otherwise).
pub fn entries(value: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    value.and_then(Value::as_object).into_iter().flatten()
}

/// A copy of `value` with every object's keys in sorted order, whatever serde_json's
/// `preserve_order` feature (which another crate in a build may enable) does to map order.
pub fn sorted_json(value: &Value) -> Value {
    let mut sorted = value.clone();
    sorted.sort_all_objects();
    sorted
}
