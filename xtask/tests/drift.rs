//! `drift` on small fixtures: `fixtures/curated.yaml` against `fixtures/upstream.json`.
//!
//! Upstream differs from the curated fixture on purpose:
//! * it names the zone path parameter `zone_identifier` (and the pack one
//!   `certificate_pack_identifier`): the operations must still match;
//! * it adds the field `issuer` to the certificate pack, and the query parameter `status`;
//! * it removes the enum value `ssl_com` and adds the integer enum value `5475`;
//! * `status` is optional upstream, required in the curated document;
//! * `certificates[].expires_on` has format `date` instead of `date-time`; `per_page` has
//!   maximum 100 instead of 50;
//! * it has an SSL operation the curated document lacks (and one out of scope), and lacks the
//!   automatic-mode operation;
//! * its envelopes are `allOf` chains with `anyOf` results and 4XX bodies, as Cloudflare writes them.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::drift::{self, Change, DriftReport, Options};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn report() -> DriftReport {
    drift::run(
        &fixture("curated.yaml"),
        &fixture("upstream.json"),
        &Options::new("curated.yaml", "upstream.json"),
    )
    .expect("fixtures load")
}

fn lines_of(report: &DriftReport, method: &str, path: &str) -> Vec<String> {
    let op = report
        .operations
        .iter()
        .find(|o| {
            o.method == method
                && o.curated
                    .as_ref()
                    .or(o.upstream.as_ref())
                    .is_some_and(|r| r.path == path)
        })
        .unwrap_or_else(|| panic!("no report for {method} {path}:\n{}", report.to_human()));
    op.differences.iter().map(|d| d.to_line()).collect()
}

fn assert_has(lines: &[String], expected: &str) {
    assert!(
        lines.iter().any(|l| l == expected),
        "missing line\n  {expected}\nin\n  {}",
        lines.join("\n  ")
    );
}

#[test]
fn renamed_path_parameters_do_not_split_operations() {
    let report = report();
    let list = report
        .operations
        .iter()
        .find(|o| {
            o.curated
                .as_ref()
                .is_some_and(|c| c.path == "/zones/{zone_id}/ssl/certificate_packs")
        })
        .expect("the list operation is reported");
    let upstream = list
        .upstream
        .as_ref()
        .expect("matched upstream despite zone_identifier");
    assert_eq!(
        upstream.path,
        "/zones/{zone_identifier}/ssl/certificate_packs"
    );
    // No operation-level difference, and no parameter reported on one side only for the rename.
    for op in &report.operations {
        for d in &op.differences {
            assert!(
                !(d.kind == "operation"
                    && d.upstream
                        .as_ref()
                        .is_some_and(|v| v.to_string().contains("certificate_packs"))),
                "rename reported as a different operation: {}",
                d.to_line()
            );
            assert!(
                !d.location.contains("zone_identifier"),
                "rename reported: {}",
                d.to_line()
            );
            assert!(
                !d.location.contains("certificate_pack_id"),
                "rename reported: {}",
                d.to_line()
            );
        }
    }
}

#[test]
fn upstream_adds_a_field() {
    let report = report();
    let lines = lines_of(
        &report,
        "GET",
        "/zones/{zone_id}/ssl/certificate_packs/{certificate_pack_id}",
    );
    assert_has(&lines, "+ upstream only: field result.issuer (string)");
    let lines = lines_of(&report, "GET", "/zones/{zone_id}/ssl/certificate_packs");
    assert_has(&lines, "+ upstream only: field result[].issuer (string)");
}

#[test]
fn upstream_removes_and_adds_enum_values() {
    let report = report();
    let lines = lines_of(
        &report,
        "GET",
        "/zones/{zone_id}/ssl/certificate_packs/{certificate_pack_id}",
    );
    assert_has(
        &lines,
        "- curated only: result.certificate_authority enum value \"ssl_com\"",
    );
    assert_has(
        &lines,
        "+ upstream only: result.validity_days enum value 5475",
    );
    // The request side too.
    let lines = lines_of(
        &report,
        "POST",
        "/zones/{zone_id}/ssl/certificate_packs/order",
    );
    assert_has(
        &lines,
        "+ upstream only: body.validity_days enum value 5475",
    );
}

#[test]
fn optionality_format_and_limits() {
    let report = report();
    let lines = lines_of(&report, "GET", "/zones/{zone_id}/ssl/certificate_packs");
    assert_has(
        &lines,
        "~ result[].status optionality: upstream optional; curated required",
    );
    assert_has(
        &lines,
        "~ result[].certificates[].expires_on format: upstream date; curated date-time",
    );
    assert_has(
        &lines,
        "~ query parameter per_page maximum: upstream 100; curated 50",
    );
    assert_has(
        &lines,
        "+ upstream only: query parameter status (optional, string, enum \"all\")",
    );
}

#[test]
fn operations_on_one_side_only() {
    let report = report();
    let lines = lines_of(
        &report,
        "GET",
        "/zones/{zone_id}/settings/ssl_automatic_mode",
    );
    assert_eq!(
        lines,
        ["- absent upstream: GET /zones/{}/settings/ssl_automatic_mode"]
    );
    let lines = lines_of(&report, "GET", "/zones/{zone_identifier}/ssl/new_feature");
    assert_eq!(
        lines,
        ["+ upstream only: operation (the curated document has no GET /zones/{}/ssl/new_feature)"]
    );
    // Out of scope: not an SSL path, not under a curated one.
    assert!(!report.to_human().contains("unrelated"));
}

#[test]
fn scope_prefixes_widen_what_counts_as_upstream_only() {
    let mut options = Options::new("curated.yaml", "upstream.json");
    options.scope.push("/accounts/".to_owned());
    let report = drift::run(
        &fixture("curated.yaml"),
        &fixture("upstream.json"),
        &options,
    )
    .unwrap();
    let lines = lines_of(&report, "GET", "/accounts/{account_id}/unrelated");
    assert_eq!(
        lines,
        ["+ upstream only: operation (the curated document has no GET /accounts/{}/unrelated)"]
    );
}

#[test]
fn envelope_all_of_chains_are_merged_without_noise() {
    // Upstream's result is `allOf(anyOf(object, string) nullable, $ref pack)`: once merged it is
    // the same non-null object as the curated one, so no type or nullable line appears for it.
    let report = report();
    let lines = lines_of(
        &report,
        "GET",
        "/zones/{zone_id}/ssl/certificate_packs/{certificate_pack_id}",
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("~ result type") || l.starts_with("~ result nullable")),
        "{lines:#?}"
    );
}

#[test]
fn exact_difference_count_is_stable() {
    let a = report();
    let b = report();
    assert_eq!(a, b);
    assert_eq!(a.to_human(), b.to_human());
    let human = a.to_human();
    assert!(
        human.starts_with("Drift: curated curated.yaml vs upstream upstream.json\n"),
        "{human}"
    );
    assert!(
        human.contains("Operations: 3 in both, 1 curated only, 1 upstream only."),
        "{human}"
    );
}

#[test]
fn json_report_is_structured() {
    let json = report().to_json();
    assert_eq!(json["drift"], true);
    assert_eq!(json["summary"]["operations_in_both"], 3);
    let ops = json["operations"].as_array().expect("operations array");
    let get = ops
        .iter()
        .find(|o| o["curated"]["operation_id"] == "get_certificate_pack")
        .expect("get_certificate_pack");
    assert_eq!(get["upstream"]["operation_id"], "certificate-packs-get");
    let diffs = get["differences"].as_array().expect("differences");
    assert!(diffs.iter().any(|d| d["change"] == "curated_only"
        && d["kind"] == "enum_value"
        && d["location"] == "result.certificate_authority"
        && d["curated"] == "ssl_com"));
    assert!(diffs.iter().any(|d| d["change"] == "changed"
        && d["kind"] == "optionality"
        && d["location"] == "result.status"
        && d["upstream"] == "optional"
        && d["curated"] == "required"));
}

#[test]
fn a_document_has_no_drift_with_itself() {
    let doc = drift::load_document(&fixture("curated.yaml")).expect("loads");
    let report = drift::compare(&doc, &doc, &Options::new("a", "b"));
    assert!(!report.has_drift(), "{}", report.to_human());
    let doc = drift::load_document(&fixture("upstream.json")).expect("loads");
    let report = drift::compare(&doc, &doc, &Options::new("a", "b"));
    assert!(!report.has_drift(), "{}", report.to_human());
}

#[test]
fn every_difference_side_is_consistent() {
    for op in report().operations {
        for d in op.differences {
            match d.change {
                Change::UpstreamOnly => assert!(d.upstream.is_some() && d.curated.is_none()),
                Change::CuratedOnly => assert!(d.upstream.is_none() && d.curated.is_some()),
                Change::Changed => assert!(d.upstream.is_some() && d.curated.is_some()),
                Change::Unresolved => assert!(d.upstream.is_some() != d.curated.is_some()),
            }
        }
    }
}

// The command line: exit status and output.

fn xtask(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("the xtask binary runs")
}

#[test]
fn cli_exit_status_reflects_drift() {
    let curated = fixture("curated.yaml");
    let upstream = fixture("upstream.json");
    let (c, u) = (curated.to_str().unwrap(), upstream.to_str().unwrap());
    let out = xtask(&["drift", "--upstream", u, "--curated", c]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("+ upstream only: field result.issuer (string)"),
        "{stdout}"
    );

    let out = xtask(&["drift", "--upstream", u, "--curated", c, "--allow-drift"]);
    assert_eq!(out.status.code(), Some(0));

    let out = xtask(&["drift", "--upstream", c, "--curated", c]);
    assert_eq!(out.status.code(), Some(0), "no drift against itself");
}

#[test]
fn cli_json_output_parses() {
    let curated = fixture("curated.yaml");
    let upstream = fixture("upstream.json");
    let out = xtask(&[
        "drift",
        "--json",
        "--allow-drift",
        "--upstream",
        upstream.to_str().unwrap(),
        "--curated",
        curated.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(json["summary"]["upstream_only_operations"], 1);
}

#[test]
fn cli_usage_and_io_errors_exit_2_with_a_readable_message() {
    let out = xtask(&["drift"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("required arguments were not provided")
            && stderr.contains("--upstream <file>"),
        "{stderr}"
    );

    let out = xtask(&["drift", "--upstream", "/nonexistent/upstream.json"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/upstream.json"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"paths\": ").unwrap();
    let out = xtask(&["drift", "--upstream", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.json: invalid JSON"), "{stderr}");

    let not_openapi = dir.path().join("list.json");
    std::fs::write(&not_openapi, "[1, 2]").unwrap();
    let out = xtask(&["drift", "--upstream", not_openapi.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an OpenAPI document"));

    let out = xtask(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unrecognized subcommand 'frobnicate'"));

    let out = xtask(&["check", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unexpected argument '--json'"), "{stderr}");
    assert!(stderr.contains("Usage: cargo xtask check"), "{stderr}");

    let out = xtask(&["bench", "--requests", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--requests <N>"));

    // Help is shared by every task and lists them.
    let out = xtask(&["help"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for task in ["generate", "check", "lint", "drift", "schema", "bench"] {
        assert!(stdout.contains(&format!("\n  {task} ")), "{stdout}");
    }
}

// A partial upstream document: `fixtures/upstream-partial.json` is upstream.json without the list
// operation, the `certificate_authority` schema and the `order` request body.

fn partial() -> DriftReport {
    drift::run(
        &fixture("curated.yaml"),
        &fixture("upstream-partial.json"),
        &Options::new("curated.yaml", "upstream-partial.json"),
    )
    .expect("fixtures load")
}

#[test]
fn an_operation_absent_upstream_is_one_line() {
    let report = partial();
    let lines = lines_of(&report, "GET", "/zones/{zone_id}/ssl/certificate_packs");
    assert_eq!(
        lines,
        ["- absent upstream: GET /zones/{}/ssl/certificate_packs"],
        "{}",
        report.to_human()
    );
}

#[test]
fn unresolved_refs_are_their_own_kind_and_never_no_drift() {
    let report = partial();
    let human = report.to_human();
    let get = lines_of(
        &report,
        "GET",
        "/zones/{zone_id}/ssl/certificate_packs/{certificate_pack_id}",
    );
    assert!(
        get.contains(
            &"! unresolved: upstream $ref #/components/schemas/certificate_authority at \
              result.certificate_authority resolves to nothing (not compared there)"
                .to_owned()
        ),
        "{human}"
    );
    let order = lines_of(
        &report,
        "POST",
        "/zones/{zone_id}/ssl/certificate_packs/order",
    );
    assert!(
        order.contains(
            &"! unresolved: upstream $ref #/components/requestBodies/order at request body \
              resolves to nothing (not compared there)"
                .to_owned()
        ),
        "{human}"
    );
    // Nothing invented below the missing request body.
    assert!(!order.iter().any(|l| l.contains("body.")), "{order:#?}");
    // No operation with an unresolved reference is listed as clean.
    let clean = human.split("\nNo drift:").nth(1).unwrap_or("");
    assert!(!clean.contains("get_certificate_pack"), "{human}");
    assert!(!clean.contains("order_certificate_pack"), "{human}");
    assert!(human.contains("3 unresolved $refs"), "{human}");
    assert_eq!(report.unresolved_count(), 3);

    let json = report.to_json();
    assert_eq!(json["summary"]["unresolved_refs"], 3);
    let unresolved: Vec<&serde_json::Value> = json["operations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["differences"].as_array().unwrap())
        .filter(|d| d["kind"] == "unresolved_ref")
        .collect();
    assert_eq!(unresolved.len(), 3);
    assert!(unresolved.iter().all(|d| d["change"] == "unresolved"
        && d["upstream"]
            .as_str()
            .is_some_and(|r| r.starts_with("#/components/"))
        && d.get("curated").is_none()));
}

#[test]
fn a_dangling_ref_alone_is_drift() {
    // The curated fixture against itself with one reference broken: not "No drift".
    let doc = drift::load_document(&fixture("curated.yaml")).expect("loads");
    let mut broken = doc.clone();
    broken["components"]["schemas"]
        .as_object_mut()
        .unwrap()
        .remove("CertificatePack");
    let report = drift::compare(&doc, &broken, &Options::new("a", "b"));
    assert!(report.has_drift(), "{}", report.to_human());
    assert!(report.unresolved_count() > 0);
    assert!(
        report
            .operations
            .iter()
            .flat_map(|o| &o.differences)
            .all(|d| d.change == Change::Unresolved),
        "{}",
        report.to_human()
    );
}

#[test]
fn the_upstream_subset_keeps_what_drift_reads() {
    let curated = drift::load_document(&fixture("curated.yaml")).unwrap();
    let upstream = drift::load_document(&fixture("upstream.json")).unwrap();
    let options = Options::new("curated.yaml", "upstream.json");
    let subset = xtask::upstream::subset(&curated, &upstream, &options.scope);
    // In-scope paths kept, the unrelated one dropped, referenced components kept.
    let paths: Vec<&String> = subset["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths.len(), 4, "{paths:?}");
    assert!(subset["paths"]
        .get("/accounts/{account_id}/unrelated")
        .is_none());
    assert!(subset
        .pointer("/components/schemas/certificate_authority")
        .is_some());
    assert!(subset.pointer("/components/requestBodies/order").is_some());
    // The same report either way.
    assert_eq!(
        drift::compare(&curated, &subset, &options),
        drift::compare(&curated, &upstream, &options)
    );
}
