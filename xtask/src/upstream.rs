//! The committed subset of Cloudflare's upstream OpenAPI document: the path items `drift` puts in
//! scope ([`drift::in_scope`]) and every component they reference, transitively.
//!
//! The full document (4 MB) lives beside the repository in `../shared/upstream/`; the subset is
//! committed as [`SUBSET_PATH`] so the drift snapshot test (`xtask/tests/snapshots.rs`) runs on a
//! fresh clone. `cargo xtask check` also verifies that `drift` reports the same against the
//! subset as against the full document ([`subset_is_faithful`]).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value};

use crate::drift::{self, normalize_path};
use crate::toolkit;
use crate::Error;
use crate::ManagedFile;

/// The full upstream document, inside the `../shared` folder.
pub const UPSTREAM_FILE: &str = "upstream/cloudflare-openapi-2024-08-06.json";
/// Where the subset is committed, relative to the repository root.
pub const SUBSET_PATH: &str = "xtask/tests/fixtures/upstream-ssl-2024-08-06.json";

/// Copies the value at JSON pointer `pointer` of `from` into `into`, creating the objects on the
/// way; nothing when `from` has nothing there (a dangling reference, kept dangling).
fn copy_pointer(from: &Value, into: &mut Value, pointer: &str) {
    let Some(value) = from.pointer(pointer).filter(|_| !pointer.is_empty()) else {
        return;
    };
    let mut node = into;
    for token in pointer.split('/').skip(1) {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        // An object now: indexing inserts the member (as null) when it is missing.
        node = &mut node[token.replace("~1", "/").replace("~0", "~")];
    }
    *node = value.clone();
}

/// The subset of `upstream` that `drift` reads for `curated` with `scope`: `openapi`, `info`,
/// the in-scope path items (whole), and the components they reference, transitively. Dangling
/// references stay dangling (drift reports them).
pub fn subset(curated: &Value, upstream: &Value, scope: &[String]) -> Value {
    let mut out = Map::new();
    for key in ["openapi", "info"] {
        if let Some(v) = upstream.get(key) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    let mut paths = Map::new();
    let mut reached = BTreeSet::new();
    let upstream_paths = upstream.get("paths").and_then(Value::as_object);
    for (path, item) in upstream_paths.into_iter().flatten() {
        if drift::in_scope(curated, scope, &normalize_path(path)) {
            reached.extend(toolkit::reachable(upstream, item));
            paths.insert(path.clone(), item.clone());
        }
    }
    out.insert("paths".to_owned(), Value::Object(paths));
    let mut doc = Value::Object(out);
    // Remote references are not followed by drift either.
    for pointer in reached.iter().filter_map(|r| r.strip_prefix('#')) {
        copy_pointer(upstream, &mut doc, pointer);
    }
    doc
}

/// Reads the full upstream document in `shared_dir` and returns the subset file `generate`
/// writes for the curated document at `curated_path`.
pub fn expected_subset(curated_path: &Path, shared_dir: &Path) -> Result<ManagedFile, Error> {
    let curated = drift::load_document(curated_path)?;
    let upstream = drift::load_document(&shared_dir.join(UPSTREAM_FILE))?;
    let scope = drift::Options::new("", "").scope;
    crate::json_file(SUBSET_PATH.to_owned(), &subset(&curated, &upstream, &scope))
}

/// `Some(explanation)` when `drift` reports something different for the subset than for the full
/// document (the subset misses something drift reads).
pub fn subset_is_faithful(curated_path: &Path, shared_dir: &Path) -> Result<Option<String>, Error> {
    let curated = drift::load_document(curated_path)?;
    let upstream = drift::load_document(&shared_dir.join(UPSTREAM_FILE))?;
    let options = drift::Options::new("curated", "upstream");
    let full = drift::compare(&curated, &upstream, &options);
    let sub = drift::compare(
        &curated,
        &subset(&curated, &upstream, &options.scope),
        &options,
    );
    if full == sub {
        return Ok(None);
    }
    Ok(Some(format!(
        "drift reports differently against {SUBSET_PATH} than against the full upstream document \
         (the subset misses something drift reads):\n{}",
        crate::diff::unified("full upstream", &full.to_human(), &sub.to_human())
    )))
}
