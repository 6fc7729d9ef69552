//! `cargo xtask import` on a temporary copy of the curated document: from a small upstream
//! fixture in Cloudflare's style (`fixtures/import/upstream-widgets.yaml`), and from the real 2024
//! upstream document when `../shared` has it (skipped otherwise). No network, no cargo.

use std::path::{Path, PathBuf};

use serde_json::Value;
use xtask::import::{self, ImportError, ImportOptions};
use xtask::{canonical, codegen};

const FIXTURE: &str = "tests/fixtures/import/upstream-widgets.yaml";
const DATE: &str = "2026-12-05";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the repository")
        .to_path_buf()
}

/// A temporary folder holding a copy of the curated document; returns it and the copy's path.
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("cloudflare-ssl.yaml");
    std::fs::copy(repo_root().join(codegen::SPEC_PATH), &spec).expect("copy the spec");
    (dir, spec)
}

fn options(from: PathBuf, selector: &str) -> ImportOptions {
    ImportOptions {
        from,
        selector: selector.to_owned(),
        name: None,
        idempotent: None,
        date: Some(DATE.to_owned()),
    }
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE)
}

fn read(spec: &Path) -> Value {
    serde_norway::from_str(&std::fs::read_to_string(spec).unwrap()).unwrap()
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc.pointer(&format!("/components/schemas/{name}"))
        .unwrap_or_else(|| panic!("no component {name}"))
}

#[test]
fn an_imported_list_operation_follows_the_document_conventions() {
    let (_dir, spec) = scratch();
    let before = read(&spec);
    let report = import::import(
        &spec,
        &options(fixture(), "widgets-for-a-zone-list-widgets"),
    )
    .expect("import");
    assert_eq!(report.operation_id, "list_widgets");
    assert_eq!(
        (report.lint.error_count(), report.lint.warning_count()),
        (0, 0),
        "{}",
        report.lint.to_human()
    );

    // Written canonically, and it parses as OpenAPI 3.0.
    let text = std::fs::read_to_string(&spec).unwrap();
    assert_eq!(canonical::canonicalize(&spec, &text).unwrap(), text);
    codegen::parse_spec(&spec, &text).expect("parses");

    let doc = read(&spec);
    let op = &doc["paths"]["/zones/{zone_id}/widgets"]["get"];
    assert_eq!(op["operationId"], "list_widgets");
    // The ledger: where it comes from and when.
    assert_eq!(
        op["x-source"],
        serde_json::json!({"file": "upstream-widgets.yaml", "operationId": "widgets-for-a-zone-list-widgets"})
    );
    assert_eq!(
        op["x-since"],
        format!("{DATE}, imported by cargo xtask import").as_str()
    );
    assert!(op.get("x-idempotent").is_none(), "GET decides by itself");
    // Vendor extensions and per-operation security are left out.
    assert!(op.get("x-cfPlanAvailability").is_none() && op.get("security").is_none());
    // The zone id is the document's parameter; the query parameter is inline.
    assert_eq!(
        op["parameters"][0],
        serde_json::json!({"$ref": "#/components/parameters/ZoneId"})
    );
    assert_eq!(op["parameters"][1]["name"], "page");
    // Failure answers are the shared Failure, not upstream's allOf.
    for code in ["4XX", "5XX"] {
        assert_eq!(
            op["responses"][code],
            serde_json::json!({"$ref": "#/components/responses/Failure"})
        );
    }
    assert_eq!(
        op["responses"]["200"]["description"],
        "List Widgets response."
    );
    assert_eq!(
        op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/WidgetListResponse"
    );

    // The envelope, in the document's terms.
    let envelope = schema(&doc, "WidgetListResponse");
    assert_eq!(
        envelope["required"],
        serde_json::json!(["errors", "messages", "success"])
    );
    assert_eq!(
        envelope["properties"]["errors"]["items"]["$ref"],
        "#/components/schemas/ResponseInfo"
    );
    assert_eq!(
        envelope["properties"]["success"]["enum"],
        serde_json::json!([true])
    );
    assert_eq!(
        envelope["properties"]["result"]["items"]["$ref"],
        "#/components/schemas/Widget"
    );
    assert_eq!(
        envelope["properties"]["result_info"]["$ref"],
        "#/components/schemas/ResultInfo"
    );

    // Renamed components: the allOf merged into one object, the enum a component named after
    // its holder, the identifier reused, a taken name not overwritten.
    let widget = schema(&doc, "Widget");
    assert_eq!(widget["type"], "object");
    assert_eq!(
        widget["required"],
        serde_json::json!(["id", "name", "status"])
    );
    assert_eq!(
        widget["properties"]["id"]["$ref"],
        "#/components/schemas/Identifier"
    );
    assert_eq!(
        widget["properties"]["status"]["$ref"],
        "#/components/schemas/WidgetStatus"
    );
    assert_eq!(widget["properties"]["name"]["maxLength"], 180);
    assert!(
        widget["properties"]["port"].get("maxLength").is_none(),
        "maxLength does not apply to a number"
    );
    assert_eq!(
        schema(&doc, "WidgetStatus")["enum"],
        serde_json::json!(["active", "deleted"])
    );
    assert_eq!(
        widget["properties"]["certificate_pack"]["$ref"],
        "#/components/schemas/WidgetCertificatePack"
    );
    assert_eq!(
        schema(&doc, "CertificatePack"),
        before
            .pointer("/components/schemas/CertificatePack")
            .unwrap(),
        "an existing component is never overwritten"
    );
    // `zone-status` would be ZoneStatus, which the document has (another enum): named after
    // its holder instead.
    assert_eq!(
        widget["properties"]["state"]["$ref"],
        "#/components/schemas/WidgetStateZoneStatus"
    );
    assert_eq!(
        schema(&doc, "WidgetStateZoneStatus")["enum"],
        serde_json::json!(["on", "off"])
    );
    assert_eq!(
        schema(&doc, "ZoneStatus"),
        before.pointer("/components/schemas/ZoneStatus").unwrap()
    );
    assert!(report.reused.iter().any(|(from, to)| from
        == "tls-certificates-and-hostnames_identifier"
        && to == "Identifier"));

    // No upstream name and no dangling reference anywhere.
    let all: Vec<String> = xtask::toolkit::refs(&doc, "#")
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    for r in &all {
        assert!(!r.contains("tls-certificates"), "upstream name kept: {r}");
        assert!(
            doc.pointer(r.trim_start_matches('#')).is_some(),
            "dangling {r}"
        );
    }
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(
            name.chars().next().unwrap().is_ascii_uppercase() && !name.contains(['-', '_']),
            "{name} is not PascalCase"
        );
    }
    // Everything that was there is still there, unchanged.
    for section in ["schemas", "parameters", "responses"] {
        for (name, v) in before["components"][section].as_object().unwrap() {
            assert_eq!(&doc["components"][section][name], v, "{section}/{name}");
        }
    }
    for (path, item) in before["paths"].as_object().unwrap() {
        assert_eq!(&doc["paths"][path], item, "{path}");
    }
}

#[test]
fn importing_twice_is_refused() {
    let (_dir, spec) = scratch();
    let opts = options(fixture(), "GET /zones/{zone_id}/widgets");
    import::import(&spec, &opts).expect("first import");
    let after_first = std::fs::read_to_string(&spec).unwrap();
    let e = import::import(&spec, &opts).expect_err("second import");
    assert!(
        matches!(&e, ImportError::AlreadyPresent { existing, .. } if existing.contains("list_widgets")),
        "{e}"
    );
    assert!(
        e.to_string().contains("GET /zones/{zone_id}/widgets"),
        "{e}"
    );
    // By operationId too, under another name.
    let mut by_id = options(fixture(), "widgets-for-a-zone-list-widgets");
    by_id.name = Some("list_widgets_again".into());
    assert!(matches!(
        import::import(&spec, &by_id),
        Err(ImportError::AlreadyPresent { .. })
    ));
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), after_first);
}

#[test]
fn a_name_already_used_is_refused() {
    let (_dir, spec) = scratch();
    let mut opts = options(fixture(), "widgets-for-a-zone-list-widgets");
    opts.name = Some("list_certificate_packs".into());
    let e = import::import(&spec, &opts).expect_err("name taken");
    assert!(
        matches!(&e, ImportError::AlreadyPresent { existing, .. } if existing.contains("list_certificate_packs")),
        "{e}"
    );
}

#[test]
fn an_unknown_operation_lists_close_matches() {
    let (_dir, spec) = scratch();
    let e =
        import::import(&spec, &options(fixture(), "widgets-list")).expect_err("no such operation");
    match &e {
        ImportError::NotFound { selector, close } => {
            assert_eq!(selector, "widgets-list");
            assert_eq!(close[0], "widgets-for-a-zone-list-widgets");
        }
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("close matches"), "{e}");
}

#[test]
fn an_untranslatable_construct_is_refused_and_nothing_written() {
    let (_dir, spec) = scratch();
    let before = std::fs::read_to_string(&spec).unwrap();
    let e = import::import(
        &spec,
        &options(fixture(), "widgets-for-a-zone-get-widget-shape"),
    )
    .expect_err("oneOf");
    match &e {
        ImportError::Untranslatable {
            operation, what, ..
        } => {
            assert!(
                operation.contains("/zones/{zone_id}/widgets/{widget_id}"),
                "{e}"
            );
            assert!(what.contains("`oneOf` (a choice"), "{e}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), before);
}

#[test]
fn a_post_gets_a_named_request_body_and_its_enum_as_a_component() {
    let (_dir, spec) = scratch();
    let mut opts = options(fixture(), "POST /zones/{zone_id}/widgets");
    opts.idempotent = Some(false);
    let report = import::import(&spec, &opts).expect("import");
    assert_eq!(report.lint.error_count(), 0, "{}", report.lint.to_human());
    let doc = read(&spec);
    let op = &doc["paths"]["/zones/{zone_id}/widgets"]["post"];
    assert_eq!(op["operationId"], "create_widget");
    assert!(
        op.get("x-idempotent").is_none(),
        "POST is not idempotent anyway"
    );
    assert_eq!(
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/CreateWidgetRequest"
    );
    assert_eq!(
        schema(&doc, "CreateWidgetRequest")["properties"]["colour"]["$ref"],
        "#/components/schemas/CreateWidgetRequestColour"
    );
    assert_eq!(
        op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/WidgetResponse"
    );
}

#[test]
fn code_generation_succeeds_on_the_imported_document() {
    let (_dir, spec) = scratch();
    for selector in [
        "widgets-for-a-zone-list-widgets",
        "widgets-for-a-zone-create-widget",
    ] {
        import::import(&spec, &options(fixture(), selector)).expect("import");
    }
    let loaded = codegen::load_spec(&spec).expect("load");
    let code = codegen::generate(&loaded).expect("generate");
    assert!(code.contains("ListWidgets"), "the operation is generated");
    // The response enum is open: a value Cloudflare adds later still decodes.
    let open = codegen::open_enums(&loaded).expect("open enums");
    assert!(
        open.iter()
            .any(|e| format!("{e:?}").contains("WidgetStatus")),
        "WidgetStatus is an open enum"
    );
}

/// The 2024 upstream document in `../shared/upstream/` (the first `*.json` there), if present.
fn real_upstream() -> Option<PathBuf> {
    let dir = repo_root().join("../shared/upstream");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files.into_iter().next()
}

#[test]
fn the_keyless_list_imports_from_the_real_upstream_document() {
    let Some(upstream) = real_upstream() else {
        eprintln!("skipped: no ../shared/upstream/*.json beside the repository");
        return;
    };
    let (_dir, spec) = scratch();
    let mut opts = options(
        upstream,
        "keyless-ssl-for-a-zone-list-keyless-ssl-configurations",
    );
    opts.name = Some("list_keyless_certificates".into());
    let report = import::import(&spec, &opts).expect("import");
    assert_eq!(
        (report.lint.error_count(), report.lint.warning_count()),
        (0, 0),
        "{}",
        report.lint.to_human()
    );
    let doc = read(&spec);
    let op = &doc["paths"]["/zones/{zone_id}/keyless_certificates"]["get"];
    assert_eq!(op["operationId"], "list_keyless_certificates");
    for name in [
        "KeylessCertificate",
        "KeylessCertificateStatus",
        "KeylessTunnel",
        "KeylessCertificateListResponse",
    ] {
        schema(&doc, name);
    }
    let loaded = codegen::load_spec(&spec).expect("load");
    codegen::generate(&loaded).expect("generate");
    assert!(matches!(
        import::import(&spec, &opts),
        Err(ImportError::AlreadyPresent { .. })
    ));
}
