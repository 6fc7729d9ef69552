//! The exported JSON Schemas against their one committed copy (`openapi/schemas/*.json`), and the
//! drift report against Cloudflare's upstream document (insta, `tests/snapshots/`).
//!
//! The drift test reads the committed in-scope subset of the upstream document
//! (`tests/fixtures/upstream-ssl-2024-08-06.json`, written by `cargo xtask generate` from
//! `../shared/upstream/`), so it runs on a fresh clone without `../shared`; `cargo xtask check`
//! verifies that the subset is up to date and that drift reports the same against it as against
//! the full document. `cargo xtask generate` refreshes the snapshot (`INSTA_UPDATE=always`).

use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "../examples/export_schemas.rs"]
mod export_schemas;

use xtask::drift::{self, Options};
use xtask::tasks::{self, Schemas};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the repository")
        .to_path_buf()
}

#[test]
fn exported_json_schemas_are_the_committed_files() {
    let schemas: Schemas = export_schemas::schemas()
        .expect("schemas serialise")
        .into_iter()
        .map(|(name, schema)| (name.to_owned(), schema))
        .collect();
    // Every request and 200 response body of the document (read from the document itself, not
    // from the generated metadata the export uses), the error envelope and the pack.
    let document: serde_json::Value =
        serde_json::from_str(cloudflare_ssl::OPENAPI_JSON).expect("the document is JSON");
    let mut expected = std::collections::BTreeSet::from(["ErrorEnvelope", "CertificatePack"]);
    for item in document["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("path item").values() {
            for body in [&op["requestBody"], &op["responses"]["200"]] {
                if let Some(name) = body["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    expected.insert(name);
                }
            }
        }
    }
    let names: std::collections::BTreeSet<&str> = schemas.keys().map(String::as_str).collect();
    assert_eq!(names, expected);
    let stale = tasks::check_schemas(&repo_root(), &schemas).expect("the schema files read");
    assert!(
        stale.is_empty(),
        "run `cargo xtask schema` (or generate):\n{}",
        stale
            .iter()
            .map(|s| s.detail.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn drift_against_real_upstream() {
    let upstream = repo_root().join(xtask::upstream::SUBSET_PATH);
    let curated = repo_root().join(xtask::codegen::SPEC_PATH);
    let options = Options::new(
        "openapi/cloudflare-ssl.yaml",
        "shared/upstream/cloudflare-openapi-2024-08-06.json (in-scope subset)",
    );
    let report = drift::run(&curated, &upstream, &options).expect("both documents load");
    let human = report.to_human();

    // Known, real differences of the 2024 document.
    assert!(report.has_drift());
    assert_eq!(report.unresolved_count(), 0, "{human}");
    // It lacks the automatic SSL/TLS mode operations: one line each.
    for method in ["GET", "PATCH"] {
        let op = report
            .operations
            .iter()
            .find(|o| {
                o.method == method
                    && o.curated
                        .as_ref()
                        .is_some_and(|c| c.path.ends_with("/settings/ssl_automatic_mode"))
            })
            .expect("automatic mode is curated");
        assert!(op.upstream.is_none(), "{human}");
        assert_eq!(op.differences.len(), 1, "{human}");
        assert_eq!(
            op.differences[0].to_line(),
            format!("- absent upstream: {method} /zones/{{}}/settings/ssl_automatic_mode")
        );
    }
    // It types certificate pack list items as bare objects.
    assert!(
        human.contains("~ result[]: upstream untyped (object, no fields declared); curated "),
        "{human}"
    );
    // It names the zone parameter `zone_identifier` on the recommendation path: still matched.
    let recommendation = report
        .operations
        .iter()
        .find(|o| {
            o.curated
                .as_ref()
                .is_some_and(|c| c.path == "/zones/{zone_id}/ssl/recommendation")
        })
        .expect("recommendation is curated");
    assert_eq!(
        recommendation.upstream.as_ref().map(|u| u.path.as_str()),
        Some("/zones/{zone_identifier}/ssl/recommendation")
    );
    // Its certificate authorities are the curated ones (google, lets_encrypt, ssl_com).
    assert!(
        !human.contains("certificate_authority enum value"),
        "{human}"
    );
    // It documents no `result_info.total_pages`.
    assert!(
        human.contains("- curated only: field result_info.total_pages"),
        "{human}"
    );

    // Stable: the same report twice, and as reviewed.
    let again = drift::run(&curated, &upstream, &options).expect("loads again");
    assert_eq!(again.to_human(), human);
    insta::assert_snapshot!("drift_real_upstream", human);
    insta::assert_json_snapshot!("drift_real_upstream_json", report.to_json());
}
