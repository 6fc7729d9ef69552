//! `generate` and `check` on a temporary copy of the repository's managed files.

use std::path::{Path, PathBuf};

use xtask::tasks::{self, Schemas};
use xtask::{codegen, Error, REVIEW_COPY_PATH, SCHEMAS_DIR};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the repository")
        .to_path_buf()
}

/// A temporary root holding a copy of the curated document.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join(codegen::SPEC_PATH);
    std::fs::create_dir_all(spec.parent().unwrap()).unwrap();
    std::fs::copy(repo_root().join(codegen::SPEC_PATH), &spec).expect("copy the spec");
    dir
}

fn schemas() -> Schemas {
    let mut s = Schemas::new();
    s.insert(
        "Alpha".into(),
        serde_json::json!({"type": "object", "properties": {"a": {"type": "string"}}}),
    );
    s.insert("Beta".into(), serde_json::json!({"type": "integer"}));
    s
}

/// Every file under `root`, path → bytes.
fn snapshot_tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &mut out);
    out.sort();
    out
}

#[test]
fn generate_twice_is_byte_identical_and_check_passes() {
    let dir = scratch();
    let root = dir.path();
    let first = tasks::generate(root, Some(&schemas())).expect("generate");
    assert!(first.changed.contains(&REVIEW_COPY_PATH.to_owned()));
    let after_first = snapshot_tree(root);

    let second = tasks::generate(root, Some(&schemas())).expect("generate again");
    assert!(
        second.changed.is_empty(),
        "second run rewrote {:?}",
        second.changed
    );
    assert_eq!(
        snapshot_tree(root),
        after_first,
        "a second generate changed bytes"
    );

    assert_eq!(tasks::check(root, Some(&schemas())).expect("check"), vec![]);

    // The outputs: canonical spec, reviewed code, pretty schemas with a trailing newline.
    let code = std::fs::read_to_string(root.join(REVIEW_COPY_PATH)).unwrap();
    assert!(
        code.starts_with("// @generated"),
        "{}",
        &code[..80.min(code.len())]
    );
    let alpha = std::fs::read_to_string(root.join(SCHEMAS_DIR).join("Alpha.json")).unwrap();
    assert_eq!(alpha, "{\n  \"properties\": {\n    \"a\": {\n      \"type\": \"string\"\n    }\n  },\n  \"type\": \"object\"\n}\n");
}

#[test]
fn review_copy_is_what_codegen_generates() {
    let dir = scratch();
    tasks::generate(dir.path(), None).expect("generate");
    let path = repo_root().join(codegen::SPEC_PATH);
    let spec =
        tasks::parse_spec(&path, &std::fs::read_to_string(&path).unwrap()).expect("the spec loads");
    let expected = codegen::generate(&spec).expect("generates");
    let written = std::fs::read_to_string(dir.path().join(REVIEW_COPY_PATH)).unwrap();
    assert!(
        written == expected,
        "the review copy differs from codegen::generate's output"
    );
}

#[test]
fn review_copy_matches_build_rs_output() {
    // Runs `cargo build --package cloudflare-ssl` to find build.rs's OUT_DIR: the generated code
    // xtask writes for review must be byte for byte what the crate compiles.
    let diff = tasks::compare_with_build_rs(&repo_root()).expect("build.rs ran");
    assert!(diff.is_none(), "{}", diff.unwrap_or_default());
}

#[test]
fn check_detects_a_non_canonical_spec() {
    let dir = scratch();
    let root = dir.path();
    tasks::generate(root, None).expect("generate");
    let spec_path = root.join(codegen::SPEC_PATH);
    let text = std::fs::read_to_string(&spec_path).unwrap();
    // Same document, different layout: a quoted version and a stray blank line.
    let edited = text.replacen("openapi: 3.0.3\n", "openapi: \"3.0.3\"\n\n", 1);
    assert_ne!(edited, text);
    std::fs::write(&spec_path, &edited).unwrap();

    let stale = tasks::check(root, None).expect("check");
    assert_eq!(stale.len(), 1, "{stale:#?}");
    assert_eq!(stale[0].path, codegen::SPEC_PATH);
    let detail = &stale[0].detail;
    assert!(detail.contains("is not in canonical form"), "{detail}");
    assert!(
        detail.contains("--- a/openapi/cloudflare-ssl.yaml"),
        "{detail}"
    );
    assert!(detail.contains("\n-openapi: \"3.0.3\"\n"), "{detail}");
    assert!(detail.contains("\n+openapi: 3.0.3\n"), "{detail}");

    // generate restores the canonical bytes.
    tasks::generate(root, None).expect("generate");
    assert_eq!(std::fs::read_to_string(&spec_path).unwrap(), text);
}

#[test]
fn check_detects_a_stale_or_missing_generated_copy() {
    let dir = scratch();
    let root = dir.path();
    tasks::generate(root, None).expect("generate");
    let copy = root.join(REVIEW_COPY_PATH);
    let code = std::fs::read_to_string(&copy).unwrap();
    let edited = code.replacen("pub mod types {", "pub mod types {\n    // hand edit", 1);
    assert_ne!(edited, code);
    std::fs::write(&copy, edited).unwrap();

    let stale = tasks::check(root, None).expect("check");
    assert_eq!(stale.len(), 1, "{stale:#?}");
    assert_eq!(stale[0].path, REVIEW_COPY_PATH);
    assert!(stale[0]
        .detail
        .contains("openapi/generated/codegen.rs is stale"));
    assert!(
        stale[0].detail.contains("\n-    // hand edit\n"),
        "{}",
        stale[0].detail
    );

    std::fs::remove_file(&copy).unwrap();
    let stale = tasks::check(root, None).expect("check");
    assert_eq!(stale[0].detail, "openapi/generated/codegen.rs is missing");
}

#[test]
fn check_detects_a_spec_change_not_regenerated() {
    let dir = scratch();
    let root = dir.path();
    tasks::generate(root, None).expect("generate");
    let spec_path = root.join(codegen::SPEC_PATH);
    let text = std::fs::read_to_string(&spec_path).unwrap();
    let edited = text.replacen(
        "Certificate (chain) to analyze.",
        "Certificate (chain) to analyse.",
        1,
    );
    assert_ne!(edited, text);
    std::fs::write(&spec_path, edited).unwrap();
    let stale: Vec<String> = tasks::check(root, None)
        .unwrap()
        .into_iter()
        .map(|s| s.path)
        .collect();
    assert_eq!(stale, [REVIEW_COPY_PATH]);
}

#[test]
fn check_detects_stale_and_orphaned_schemas() {
    let dir = scratch();
    let root = dir.path();
    tasks::generate(root, Some(&schemas())).expect("generate");
    let mut changed = schemas();
    changed.insert("Beta".into(), serde_json::json!({"type": "string"}));
    changed.remove("Alpha");
    let stale = tasks::check(root, Some(&changed)).expect("check");
    let paths: Vec<&str> = stale.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        ["openapi/schemas/Beta.json", "openapi/schemas/Alpha.json"]
    );
    assert!(
        stale[0]
            .detail
            .contains("-  \"type\": \"integer\"\n+  \"type\": \"string\""),
        "{}",
        stale[0].detail
    );

    let written = tasks::generate(root, Some(&changed)).expect("generate");
    assert_eq!(written.removed, ["openapi/schemas/Alpha.json"]);
    assert!(tasks::check(root, Some(&changed)).unwrap().is_empty());
}

#[test]
fn bad_specs_fail_with_the_file_named() {
    let dir = scratch();
    let root = dir.path();
    let spec_path = root.join(codegen::SPEC_PATH);

    std::fs::write(&spec_path, "openapi: 3.0.3\npaths: [\n").unwrap();
    let e = tasks::generate(root, None).unwrap_err();
    assert!(matches!(e, Error::Io(_)), "{e:?}");
    assert!(
        e.to_string()
            .contains("cloudflare-ssl.yaml: invalid YAML (line"),
        "{e}"
    );

    std::fs::write(&spec_path, "openapi: 3.0.3\ninfo: 5\npaths: {}\n").unwrap();
    let e = tasks::generate(root, None).unwrap_err();
    assert!(matches!(e, Error::Failed(_)), "{e:?}");
    assert!(e.to_string().contains("cloudflare-ssl.yaml"), "{e}");
    assert!(
        e.to_string().contains("not a valid OpenAPI 3.0 document"),
        "{e}"
    );

    std::fs::remove_file(&spec_path).unwrap();
    let e = tasks::generate(root, None).unwrap_err();
    assert!(e.to_string().starts_with("reading "), "{e}");
    assert_eq!(e.exit_code(), 2);
}
