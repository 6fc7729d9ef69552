//! `lint` on fixtures (`fixtures/lint/`): a good document passes; a typeless `nullable`, an
//! example that breaks its schema, an unused component, a misspelt keyword and a dangling `$ref`
//! are each reported under their rule.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::lint::{self, LintReport, Severity};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lint")
        .join(name)
}

fn lint(name: &str) -> LintReport {
    lint::lint_file(&fixture(name)).expect("the fixture reads")
}

fn rules(report: &LintReport) -> Vec<(&'static str, Severity, String)> {
    report
        .findings
        .iter()
        .map(|f| (f.rule, f.severity, f.location.clone()))
        .collect()
}

#[test]
fn a_good_document_passes() {
    let report = lint("good.yaml");
    assert!(report.findings.is_empty(), "{}", report.to_human());
    assert!(report.to_human().ends_with(": 0 errors, 0 warnings\n"));
}

#[test]
fn a_typeless_nullable_fails_and_so_does_the_example_it_breaks() {
    let report = lint("typeless-nullable.yaml");
    assert_eq!(
        rules(&report),
        [
            (
                "no-invalid-media-type-examples",
                Severity::Error,
                "#/components/responses/Failure/content/application~1json/examples/NotFound/value"
                    .to_owned()
            ),
            (
                "nullable-type-sibling",
                Severity::Error,
                "#/components/schemas/ErrorEnvelope/properties/result/nullable".to_owned()
            ),
        ],
        "{}",
        report.to_human()
    );
    assert!(
        report.findings[0].message.contains("at /result"),
        "{}",
        report.to_human()
    );
}

#[test]
fn an_example_that_breaks_its_schema_fails() {
    let report = lint("bad-example.yaml");
    assert_eq!(report.error_count(), 2, "{}", report.to_human());
    let media = &report.findings[0];
    assert_eq!(media.rule, "no-invalid-media-type-examples");
    assert_eq!(
        media.location,
        "#/paths/~1zones~1{zone_id}~1ssl~1thing/get/responses/200/content/application~1json/example"
    );
    assert!(
        media.message.contains("at /result/status"),
        "{}",
        media.message
    );
    assert!(media.message.contains("revoked"), "{}", media.message);
    let param = &report.findings[1];
    assert_eq!(param.rule, "no-invalid-parameter-examples");
    assert!(param.message.contains("500"), "{}", param.message);
}

#[test]
fn unused_components_misspelt_keywords_and_dangling_refs() {
    let report = lint("untidy.yaml");
    let found = rules(&report);
    assert!(found.contains(&(
        "no-unused-components",
        Severity::Warning,
        "#/components/schemas/Unused".to_owned()
    )));
    assert!(found.contains(&(
        "struct",
        Severity::Error,
        "#/components/schemas/Thing/requried".to_owned()
    )));
    assert!(found.contains(&(
        "no-unresolved-refs",
        Severity::Error,
        "#/paths/~1zones~1{zone_id}~1ssl~1thing/get/responses/5XX/$ref".to_owned()
    )));
    assert_eq!(
        (report.error_count(), report.warning_count()),
        (2, 1),
        "{}",
        report.to_human()
    );
}

#[test]
fn nullable_becomes_a_null_type_in_json_schema() {
    let converted = xtask::toolkit::to_json_schema(&serde_json::json!({
        "type": "string", "enum": ["a"], "nullable": true, "example": "a",
        "properties": {"n": {"type": "integer", "minimum": 1, "exclusiveMinimum": true}},
        "items": {"$ref": "#/components/schemas/X"}
    }));
    assert_eq!(
        converted,
        serde_json::json!({
            "type": ["string", "null"], "enum": ["a", null],
            "properties": {"n": {"type": "integer", "exclusiveMinimum": 1}},
            "items": {"$ref": "#/$defs/X"}
        })
    );
    assert_eq!(
        xtask::toolkit::to_json_schema(&serde_json::json!({"nullable": true})),
        serde_json::json!(false)
    );
}

#[test]
fn cli_exit_status() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("lint")
            .args(args)
            .output()
            .expect("the xtask binary runs")
    };
    let good = fixture("good.yaml");
    assert_eq!(run(&[good.to_str().unwrap()]).status.code(), Some(0));
    let out = run(&[fixture("typeless-nullable.yaml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("error[nullable-type-sibling]"), "{stdout}");
    // Warnings only: exit 0, unless --deny-warnings.
    let dir = tempfile::tempdir().unwrap();
    let only_unused = dir.path().join("unused.yaml");
    let text = std::fs::read_to_string(&good).unwrap();
    std::fs::write(
        &only_unused,
        text.replace(
            "  schemas:\n",
            "  schemas:\n    Unused:\n      type: string\n",
        ),
    )
    .unwrap();
    let path = only_unused.to_str().unwrap();
    assert_eq!(run(&[path]).status.code(), Some(0));
    assert_eq!(run(&[path, "--deny-warnings"]).status.code(), Some(1));
    let out = run(&["/nonexistent/spec.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/spec.yaml"));
}

#[test]
fn a_description_beside_a_ref_fails_but_an_extension_may_stand_there() {
    let good = std::fs::read_to_string(fixture("good.yaml")).expect("good.yaml");
    let anchor = "          $ref: '#/components/schemas/Thing'\n";
    assert!(good.contains(anchor), "good.yaml changed: update this test");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lint-ref-siblings");
    std::fs::create_dir_all(&dir).expect("scratch dir");

    let with_extension = good.replace(
        anchor,
        &format!("{anchor}          x-lenient: read by codegen, fine beside a $ref\n"),
    );
    let path = dir.join("extension.yaml");
    std::fs::write(&path, with_extension).expect("write");
    let report = lint::lint_file(&path).expect("reads");
    assert!(report.findings.is_empty(), "{}", report.to_human());

    let with_description = good.replace(
        anchor,
        &format!("{anchor}          description: ignored by OpenAPI 3.0\n"),
    );
    let path = dir.join("description.yaml");
    std::fs::write(&path, with_description).expect("write");
    let report = lint::lint_file(&path).expect("reads");
    let found = rules(&report);
    let sibling = found
        .iter()
        .find(|f| f.0 == "no-ref-siblings")
        .unwrap_or_else(|| panic!("{}", report.to_human()));
    assert_eq!(sibling.1, Severity::Error);
    assert_eq!(
        sibling.2,
        "#/components/schemas/Envelope/properties/result/description"
    );
}
