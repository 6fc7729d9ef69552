//! `generate` and `check` on a temporary copy of the repository's managed files, and their
//! parts: the canonical YAML (`mod canonical`) and the diffs `check` shows (`mod diff`). No test
//! here runs cargo: the comparison with `build.rs`'s output (a nested `cargo build`) is a step of
//! `cargo xtask check`, not of the test suite.

use std::path::{Path, PathBuf};

use xtask::tasks::{self, Checked, Schemas, Written};
use xtask::{codegen, seeds, upstream, Error, GENERATED_SNAPSHOT_PATH, SCHEMAS_DIR};

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

/// `generate` with the exported `schemas`, as `cargo xtask generate` runs it: the managed files,
/// then the schemas.
fn generate(root: &Path, schemas: &Schemas, shared: Option<&Path>) -> Result<Written, Error> {
    tasks::write_schemas(root, schemas, tasks::generate(root, shared)?)
}

/// `check` with the exported `schemas`, as `cargo xtask check` runs it: the managed files, then
/// the schemas.
fn check(root: &Path, schemas: &Schemas, shared: Option<&Path>) -> Result<Checked, Error> {
    let mut checked = tasks::check(root, shared)?;
    checked.stale.extend(tasks::check_schemas(root, schemas)?);
    Ok(checked)
}

/// A `shared` folder with a synthetic seed of 14 operations and a small upstream document.
fn shared(root: &Path) -> PathBuf {
    let shared = root.join("shared");
    let mut seed = String::from("# SSL ");
    for i in 0..seeds::OPERATION_COUNT {
        seed.push_str(&format!(
            "## Get thing {i} **get** `/zones/{{zone_id}}/ssl/thing{i}` Gets it. \
             ### Path Parameters - `zone_id: string` Identifier. \
             ### Returns - `kind: optional \"a\" or \"b\"` Kind {i}. - `\"a\"` - `\"b\"` "
        ));
    }
    let seed_path = shared.join("seeds").join(seeds::SEED_FILE);
    std::fs::create_dir_all(seed_path.parent().unwrap()).unwrap();
    std::fs::write(&seed_path, seed).unwrap();
    let up = shared.join(upstream::UPSTREAM_FILE);
    std::fs::create_dir_all(up.parent().unwrap()).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upstream.json"),
        &up,
    )
    .unwrap();
    shared
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
    let shared = shared(root);
    let first = generate(root, &schemas(), Some(&shared)).expect("generate");
    for path in [
        GENERATED_SNAPSHOT_PATH,
        seeds::INVENTORY_PATH,
        upstream::SUBSET_PATH,
    ] {
        assert!(first.changed.contains(&path.to_owned()), "{first:?}");
    }
    assert!(first.skipped.is_empty(), "{:?}", first.skipped);
    let after_first = snapshot_tree(root);

    let second = generate(root, &schemas(), Some(&shared)).expect("generate again");
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

    let checked = check(root, &schemas(), Some(&shared)).expect("check");
    assert_eq!(checked.stale, vec![]);
    assert!(checked.skipped.is_empty());

    // The outputs: canonical spec, generated code as an insta snapshot, pretty schemas with a
    // trailing newline.
    let snap = std::fs::read_to_string(root.join(GENERATED_SNAPSHOT_PATH)).unwrap();
    assert!(
        snap.starts_with(xtask::GENERATED_SNAPSHOT_HEADER),
        "{}",
        &snap[..80.min(snap.len())]
    );
    assert!(snap[xtask::GENERATED_SNAPSHOT_HEADER.len()..].starts_with("// @generated"));
    let alpha = std::fs::read_to_string(root.join(SCHEMAS_DIR).join("Alpha.json")).unwrap();
    assert_eq!(alpha, "{\n  \"properties\": {\n    \"a\": {\n      \"type\": \"string\"\n    }\n  },\n  \"type\": \"object\"\n}\n");
}

#[test]
fn generated_snapshot_is_what_codegen_generates_under_insta_header() {
    let dir = scratch();
    tasks::generate(dir.path(), None).expect("generate");
    let path = repo_root().join(codegen::SPEC_PATH);
    let spec =
        tasks::parse_spec(&path, &std::fs::read_to_string(&path).unwrap()).expect("the spec loads");
    let expected = codegen::generate(&spec).expect("generates");
    let written = std::fs::read_to_string(dir.path().join(GENERATED_SNAPSHOT_PATH)).unwrap();
    assert!(
        written == format!("{}{expected}", xtask::GENERATED_SNAPSHOT_HEADER),
        "the snapshot differs from codegen::generate's output"
    );
}

#[test]
fn an_existing_insta_header_is_kept() {
    let dir = scratch();
    let root = dir.path();
    let snap = root.join(GENERATED_SNAPSHOT_PATH);
    std::fs::create_dir_all(snap.parent().unwrap()).unwrap();
    let header =
        "---\nsource: tests/generated.rs\nassertion_line: 51\nexpression: GENERATED\n---\n";
    std::fs::write(&snap, format!("{header}old code\n")).unwrap();
    tasks::generate(root, None).expect("generate");
    let written = std::fs::read_to_string(&snap).unwrap();
    assert!(
        written.starts_with(&format!("{header}// @generated")),
        "{}",
        &written[..120]
    );
}

#[test]
fn the_committed_snapshot_is_the_generated_code() {
    // The repository itself, without cargo: the one checked-in copy of the generated code is up
    // to date with the spec (build.rs's OUT_DIR output is compared by `cargo xtask check`, and
    // with this snapshot by the root crate's tests/generated.rs).
    let expected = tasks::expected_files(&repo_root()).expect("generates");
    let snap = expected
        .iter()
        .find(|f| f.path == GENERATED_SNAPSHOT_PATH)
        .expect("the snapshot is managed");
    let on_disk = std::fs::read_to_string(repo_root().join(GENERATED_SNAPSHOT_PATH)).unwrap();
    assert!(
        on_disk == snap.contents,
        "{GENERATED_SNAPSHOT_PATH} is stale: run `cargo xtask generate`"
    );
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

    let stale = tasks::check(root, None).expect("check").stale;
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
fn check_detects_a_stale_or_missing_generated_snapshot() {
    let dir = scratch();
    let root = dir.path();
    tasks::generate(root, None).expect("generate");
    let copy = root.join(GENERATED_SNAPSHOT_PATH);
    let code = std::fs::read_to_string(&copy).unwrap();
    let edited = code.replacen("pub mod types {", "pub mod types {\n    // hand edit", 1);
    assert_ne!(edited, code);
    std::fs::write(&copy, edited).unwrap();

    let stale = tasks::check(root, None).expect("check").stale;
    assert_eq!(stale.len(), 1, "{stale:#?}");
    assert_eq!(stale[0].path, GENERATED_SNAPSHOT_PATH);
    assert!(stale[0]
        .detail
        .contains("tests/snapshots/generated__generated_code.snap is stale"));
    assert!(
        stale[0].detail.contains("\n-    // hand edit\n"),
        "{}",
        stale[0].detail
    );

    std::fs::remove_file(&copy).unwrap();
    let stale = tasks::check(root, None).expect("check").stale;
    assert_eq!(
        stale[0].detail,
        "tests/snapshots/generated__generated_code.snap is missing"
    );
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
        .stale
        .into_iter()
        .map(|s| s.path)
        .collect();
    assert_eq!(stale, [GENERATED_SNAPSHOT_PATH]);
}

#[test]
fn check_detects_stale_and_orphaned_schemas() {
    let dir = scratch();
    let root = dir.path();
    generate(root, &schemas(), None).expect("generate");
    let mut changed = schemas();
    changed.insert("Beta".into(), serde_json::json!({"type": "string"}));
    changed.remove("Alpha");
    let stale = check(root, &changed, None).expect("check").stale;
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

    let written = generate(root, &changed, None).expect("generate");
    assert_eq!(written.removed, ["openapi/schemas/Alpha.json"]);
    assert!(check(root, &changed, None).unwrap().stale.is_empty());
}

#[test]
fn check_detects_stale_shared_derived_files() {
    let dir = scratch();
    let root = dir.path();
    let shared = shared(root);
    tasks::generate(root, Some(&shared)).expect("generate");

    // A seed change the inventory does not have yet.
    let seed = shared.join("seeds").join(seeds::SEED_FILE);
    let text = std::fs::read_to_string(&seed).unwrap();
    std::fs::write(&seed, text.replacen("Kind 3.", "Kind three.", 1)).unwrap();
    // An upstream change the subset does not have yet.
    let up = shared.join(upstream::UPSTREAM_FILE);
    let text = std::fs::read_to_string(&up).unwrap();
    let edited = text.replacen("\"issuer\"", "\"issuing_ca\"", 1);
    assert_ne!(edited, text);
    std::fs::write(&up, edited).unwrap();

    let stale = tasks::check(root, Some(&shared)).expect("check").stale;
    let paths: Vec<&str> = stale.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, [seeds::INVENTORY_PATH, upstream::SUBSET_PATH]);
    assert!(
        stale[0].detail.contains("+          \"Kind three.\""),
        "{}",
        stale[0].detail
    );
    assert!(
        stale[1].detail.contains("issuing_ca"),
        "{}",
        stale[1].detail
    );
}

#[test]
fn absent_shared_sources_are_named_not_silently_skipped() {
    let dir = scratch();
    let root = dir.path();
    let nowhere = root.join("no-shared-here");
    let written = tasks::generate(root, Some(&nowhere)).expect("generate");
    assert_eq!(written.skipped.len(), 2, "{:?}", written.skipped);
    let checked = tasks::check(root, Some(&nowhere)).expect("check");
    assert!(checked.stale.is_empty());
    assert_eq!(checked.skipped.len(), 2);
    assert!(
        checked.skipped[0].contains(seeds::SEED_FILE),
        "{:?}",
        checked.skipped
    );
    assert!(checked.skipped[0].contains(seeds::INVENTORY_PATH));
    assert!(checked.skipped[1].contains(upstream::UPSTREAM_FILE));
    assert!(checked.skipped[1].contains(upstream::SUBSET_PATH));
}

#[test]
fn a_seed_without_fourteen_operations_fails() {
    let dir = tempfile::tempdir().unwrap();
    let seeds_dir = dir.path().join("seeds");
    std::fs::create_dir_all(&seeds_dir).unwrap();
    std::fs::write(
        seeds_dir.join(seeds::SEED_FILE),
        "## One **get** `/x` ### Returns - `a: string` A.",
    )
    .unwrap();
    let e = seeds::expected_inventory(&seeds_dir).unwrap_err();
    assert!(matches!(e, Error::Failed(_)), "{e:?}");
    assert!(
        e.to_string().contains("found 1 operations, expected 14"),
        "{e}"
    );
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

/// The canonical form of the spec (`xtask::canonical`).
mod canonical {
    use std::path::Path;

    use xtask::canonical::{canonicalize, is_yaml11_non_string};

    fn canon(text: &str) -> String {
        canonicalize(Path::new("t.yaml"), text).unwrap()
    }

    #[test]
    fn keeps_key_order_and_normalises_layout() {
        let out = canon("b:   1\na:\n    - 'x'\n    - \"z\"\n");
        assert_eq!(out, "b: 1\na:\n- x\n- z\n");
        assert_eq!(canon(&out), out);
    }

    #[test]
    fn quotes_what_yaml_1_1_reads_as_non_strings() {
        let text = "a: '2024-01-01T00:00:00Z'\n'on': 'off'\nlist:\n- 'yes'\n- '1_000'\n- plain\n\
                    - key: '2014-01-01T05:20:00.12345Z'\n  other: '12:30:00'\nn: 5\n";
        let out = canon(text);
        assert_eq!(
            out,
            "a: '2024-01-01T00:00:00Z'\n'on': 'off'\nlist:\n- 'yes'\n- '1_000'\n- plain\n\
             - key: '2014-01-01T05:20:00.12345Z'\n  other: '12:30:00'\n'n': 5\n"
        );
        assert_eq!(canon(&out), out);
    }

    #[test]
    fn leaves_block_scalars_alone() {
        let text = "- text: |\n    on: 2024-01-01\n    yes\n  next: ok\n";
        let out = canon(text);
        assert_eq!(out, text);
    }

    #[test]
    fn yaml11_patterns() {
        for s in [
            "2024-01-01",
            "2014-01-01T05:20:00.12345Z",
            "on",
            "No",
            "0b101",
            "1_000",
            "1:30",
            "~",
        ] {
            assert!(is_yaml11_non_string(s), "{s}");
        }
        for s in [
            "023e105f4ecef8ad9ca31a8372d0c353",
            "a77f8bd7-3b47",
            "example.com",
            "auto",
            "1.2.3a",
        ] {
            assert!(!is_yaml11_non_string(s), "{s}");
        }
    }

    #[test]
    fn names_the_file_on_bad_yaml() {
        let e = canonicalize(Path::new("bad.yaml"), "a: [1,\n").unwrap_err();
        assert!(e.to_string().starts_with("bad.yaml: invalid YAML"), "{e}");
    }
}

/// The unified diffs `check` prints (`xtask::diff`).
mod diff {
    use xtask::diff::{unified, MAX_LINES};

    #[test]
    fn shows_changed_lines_with_headers() {
        let d = unified("f.txt", "a\nb\nc\n", "a\nB\nc\n");
        assert!(d.starts_with("--- a/f.txt\n+++ b/f.txt\n"), "{d}");
        assert!(d.contains("\n-b\n+B\n"), "{d}");
    }

    #[test]
    fn cuts_long_diffs() {
        let old: String = (0..1000).map(|i| format!("{i}\n")).collect();
        let d = unified("f", &old, "");
        assert!(d.lines().count() <= MAX_LINES + 1);
        assert!(d.contains("more diff lines not shown"));
    }
}
