//! Snapshot tests (insta, `tests/snapshots/`): the exported JSON Schemas, and the drift report
//! against Cloudflare's real upstream document.
//!
//! `cargo xtask generate` refreshes these snapshots (`INSTA_UPDATE=always`); `cargo xtask check`
//! fails when one is stale. Both depend on the curated document: a spec change shows up here.

use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "../examples/export_schemas.rs"]
mod export_schemas;

use xtask::drift::{self, Options};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the repository")
        .to_path_buf()
}

#[test]
fn exported_json_schemas() {
    let schemas = export_schemas::schemas().expect("schemas serialise");
    assert_eq!(schemas.len(), 18);
    for (name, schema) in schemas {
        // Sorted keys, as in the exported files, whatever serde_json's map order.
        let schema = xtask::sorted_json(&schema);
        insta::assert_json_snapshot!(format!("schema_{name}"), schema);
    }
}

/// Cloudflare's full upstream document of August 2024, beside the repository (`../shared/`).
fn upstream_file() -> Option<PathBuf> {
    let path = repo_root().join("../shared/upstream/cloudflare-openapi-2024-08-06.json");
    if path.is_file() {
        Some(path)
    } else {
        println!(
            "note: {} is absent; skipping the real upstream drift test",
            path.display()
        );
        None
    }
}

#[test]
fn drift_against_real_upstream() {
    let Some(upstream) = upstream_file() else {
        return;
    };
    let curated = repo_root().join(xtask::codegen::SPEC_PATH);
    let options = Options::new(
        "openapi/cloudflare-ssl.yaml",
        "shared/upstream/cloudflare-openapi-2024-08-06.json",
    );
    let report = drift::run(&curated, &upstream, &options).expect("both documents load");
    let human = report.to_human();

    // Known, real differences of the 2024 document.
    assert!(report.has_drift());
    // It lacks the automatic SSL/TLS mode operations.
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
