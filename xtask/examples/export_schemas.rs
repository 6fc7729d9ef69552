//! Prints the JSON Schemas of cloudflare-ssl's public request/response types as one JSON object,
//! `{"TypeName": schema, ...}`, on standard output.
//!
//! `cargo xtask schema`/`generate`/`check` run this example and write or compare the files: it
//! lives apart from the xtask binary because it needs the crate itself (a dev-dependency), and the
//! xtask binary must keep working when a spec change breaks the crate.
//! `tests/snapshots.rs` includes this file to snapshot the same list.

use cloudflare_ssl::{types, Operation, RequestVisitor, ResponseVisitor};

/// The JSON Schema of the visited type.
struct SchemaOf;

impl ResponseVisitor for SchemaOf {
    type Output = Result<serde_json::Value, serde_json::Error>;
    fn visit<T: schemars::JsonSchema>(self) -> Self::Output {
        serde_json::to_value(schemars::schema_for!(T))
    }
}

impl RequestVisitor for SchemaOf {
    type Output = Result<serde_json::Value, serde_json::Error>;
    fn visit<T: schemars::JsonSchema>(self) -> Self::Output {
        serde_json::to_value(schemars::schema_for!(T))
    }
}

/// Every exported type's name and JSON Schema (draft-07, as schemars 0.8 writes it): the request
/// body and the `200` response body of every operation of the document (from the generated
/// `Operation` metadata), the error envelope, and the main resource on its own.
pub fn schemas() -> Result<Vec<(&'static str, serde_json::Value)>, serde_json::Error> {
    let mut out: Vec<(&'static str, serde_json::Value)> = Vec::new();
    for &op in Operation::ALL {
        if let (Some(name), Some(schema)) = (op.request_type(), op.visit_request(SchemaOf))
            && !out.iter().any(|(n, _)| *n == name)
        {
            out.push((name, schema?));
        }
    }
    for &op in Operation::ALL {
        let name = op.response_type();
        if !out.iter().any(|(n, _)| *n == name) {
            out.push((name, op.visit_response(SchemaOf)?));
        }
    }
    out.push((
        "ErrorEnvelope",
        serde_json::to_value(schemars::schema_for!(types::ErrorEnvelope))?,
    ));
    out.push((
        "CertificatePack",
        serde_json::to_value(schemars::schema_for!(types::CertificatePack))?,
    ));
    Ok(out)
}

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
