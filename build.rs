//! Generates the client and types from the curated OpenAPI document into `OUT_DIR`.
//! The generation itself lives in `openapi/codegen.rs` (with the OpenAPI helpers of
//! `openapi/toolkit.rs`), shared with `cargo xtask`.

#[path = "openapi/codegen.rs"]
mod codegen;
/// `$ref` resolution and reachability for `codegen` (the JSON Schema conversion in the same file
/// serves the mock and xtask, not the build).
#[allow(dead_code)]
#[path = "openapi/toolkit.rs"]
mod toolkit;

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed={}", codegen::SPEC_PATH);
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(message) = run(&manifest_dir, &out_dir) {
        // A readable message instead of a panic's backtrace.
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run(manifest_dir: &Path, out_dir: &Path) -> Result<(), String> {
    let spec =
        codegen::load_spec(&manifest_dir.join(codegen::SPEC_PATH)).map_err(|e| e.to_string())?;
    let code = codegen::generate(&spec).map_err(|e| e.to_string())?;
    write_if_changed(&out_dir.join(codegen::OUTPUT_FILE), &code)?;
    // The document as JSON, for code that needs it at run time (the mock validates against it).
    let json = serde_json::to_string(&spec.json).map_err(|e| e.to_string())?;
    write_if_changed(&out_dir.join(codegen::SPEC_JSON_FILE), &json)
}

/// Leaves the file untouched when nothing changed, so dependents are not rebuilt.
fn write_if_changed(path: &Path, contents: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(contents) {
        std::fs::write(path, contents).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    Ok(())
}
