//! Prints the JSON Schemas of cloudflare-ssl's public request/response types as one JSON object,
//! `{"TypeName": schema, ...}`, on standard output.
//!
//! `cargo xtask schema`/`generate`/`check` run this example and write or compare the files: it
//! lives apart from the xtask binary because it needs the crate itself (a dev-dependency), and the
//! xtask binary must keep working when a spec change breaks the crate.
//! `tests/snapshots.rs` includes this file to snapshot the same list.

use cloudflare_ssl::types;

/// Lists the exported types once: each becomes `(name, JSON Schema)`.
macro_rules! exported {
    ($($name:ident),* $(,)?) => {
        /// Every exported type's name and JSON Schema (draft-07, as schemars 0.8 writes it).
        pub fn schemas() -> Result<Vec<(&'static str, serde_json::Value)>, serde_json::Error> {
            Ok(vec![$(
                (stringify!($name), serde_json::to_value(schemars::schema_for!(types::$name))?),
            )*])
        }
    };
}

exported!(
    // Request bodies.
    AnalyzeCertificateRequest,
    OrderCertificatePackRequest,
    EditCertificatePackRequest,
    AutomaticModeUpdate,
    UniversalSslSettingsUpdate,
    ValidationMethodUpdate,
    // Response envelopes.
    AnalyzeCertificateResponse,
    CertificatePackListResponse,
    CertificatePackResponse,
    CertificatePackDeleteResponse,
    QuotaResponse,
    RecommendationResponse,
    AutomaticModeResponse,
    UniversalSslSettingsResponse,
    VerificationResponse,
    ValidationMethodUpdateResponse,
    ErrorEnvelope,
    // The main resource on its own.
    CertificatePack,
);

#[allow(dead_code)] // Unused where tests include this file.
fn main() -> std::process::ExitCode {
    let result = schemas().and_then(|list| {
        let map: serde_json::Map<String, serde_json::Value> = list
            .into_iter()
            .map(|(name, schema)| (name.to_owned(), schema))
            .collect();
        serde_json::to_string(&map)
    });
    match result {
        Ok(text) => {
            println!("{text}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot serialise a JSON Schema: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
