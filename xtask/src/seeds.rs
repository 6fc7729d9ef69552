//! The seed inventory: what Cloudflare's API reference for the SSL section (the seed
//! `../shared/seeds/003_*.txt`) says about each [`Operation`], committed as
//! `openapi/seed-inventory.json` so that `tests/seed_fidelity.rs` holds the curated document
//! against it on a fresh clone without `../shared` (README.md, "Maintainers: regenerate and
//! check", says when `generate` rewrites it and `check` compares it with the seeds).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value};

use crate::ManagedFile;
use crate::{read_text, Error};

/// The authoritative seed, inside the seeds folder.
pub const SEED_FILE: &str = "003_f397e99c2e3a3d72.txt";
/// Where the inventory is committed, relative to the repository root.
pub const INVENTORY_PATH: &str = "openapi/seed-inventory.json";
/// How many operations the seed documents: fewer means the parser lost some.
pub const OPERATION_COUNT: usize = 14;

/// What one section (parameters, body or response) of one operation declares.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Section {
    /// `(name, optional)` for every field at every depth.
    pub fields: BTreeSet<(String, bool)>,
    /// String enum values.
    pub strings: BTreeSet<String>,
    /// Integer enum values.
    pub integers: BTreeSet<i64>,
    /// Field descriptions, whitespace normalised.
    pub descriptions: BTreeSet<String>,
}

/// One operation of the seed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Operation {
    /// Upper-case HTTP method.
    pub method: String,
    /// The path as the seed writes it.
    pub path: String,
    /// Path and query parameters.
    pub params: Section,
    /// Body parameters.
    pub body: Section,
    /// What the call returns.
    pub returns: Section,
}

/// Collapses runs of whitespace into one space.
pub fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses the reference text: headings `## Title **method** \`path\``, sections
/// `### Path Parameters` etc., bullets `` - `name: optional type` description `` and enum
/// bullets `` - `"value"` ``.
pub fn parse_seed(text: &str) -> Vec<Operation> {
    let mut lines = String::new();
    let mut rest = text;
    // Put every heading and bullet on its own line.
    while let Some(i) = [" # ", " ## ", " ### ", " #### ", " - `", " ```"]
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
    {
        lines.push_str(&rest[..i]);
        lines.push('\n');
        rest = &rest[i + 1..];
    }
    lines.push_str(rest);

    let mut ops: Vec<Operation> = Vec::new();
    // Which section of the operation the bullets below the current heading go to.
    let mut section: Option<fn(&mut Operation) -> &mut Section> = None;
    for line in lines.lines() {
        let line = line.trim();
        if let Some(heading) = line.strip_prefix("## ") {
            section = None;
            if let Some((_, after)) = heading.split_once(" **")
                && let Some((method, after)) = after.split_once("** `")
            {
                let path = after.split('`').next().unwrap_or_default();
                ops.push(Operation {
                    method: method.to_uppercase(),
                    path: path.to_owned(),
                    ..Default::default()
                });
            }
            continue;
        }
        if let Some(heading) = line.strip_prefix("### ") {
            section = match heading {
                "Path Parameters" | "Query Parameters" => Some(|op| &mut op.params),
                "Body Parameters" => Some(|op| &mut op.body),
                "Returns" => Some(|op| &mut op.returns),
                _ => None,
            };
            continue;
        }
        if line.starts_with('#') || line.starts_with("```") {
            section = None;
            continue;
        }
        let bullet = line.strip_prefix("- `").and_then(|b| b.split_once('`'));
        let (Some(section), Some(op), Some((code, description))) =
            (section, ops.last_mut(), bullet)
        else {
            continue;
        };
        let target = section(op);
        if let Some(value) = code.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
            target.strings.insert(value.to_owned());
        } else if let Ok(n) = code.parse::<i64>() {
            target.integers.insert(n);
        } else if code == "true" {
            // `success: true` / `retry: optional true`: a boolean constant, not an enum.
        } else if let Some((name, ty)) = code.split_once(": ") {
            target
                .fields
                .insert((name.to_owned(), ty.starts_with("optional ")));
            let description = normalize(description);
            if !description.is_empty() {
                target.descriptions.insert(description);
            }
        }
    }
    ops
}

fn section_json(s: &Section) -> Value {
    json!({
        "fields": s.fields.iter().map(|(name, optional)| json!({"name": name, "optional": optional})).collect::<Vec<_>>(),
        "enum_strings": s.strings,
        "enum_integers": s.integers,
        "descriptions": s.descriptions,
    })
}

/// The inventory as JSON: `{"source", "operations": [{"method", "path", "parameters", "body",
/// "returns"}]}`, each section `{"fields": [{"name", "optional"}], "enum_strings",
/// "enum_integers", "descriptions"}`, every list sorted.
pub fn inventory_json(ops: &[Operation]) -> Value {
    json!({
        "source": format!("shared/seeds/{SEED_FILE} (Cloudflare's API reference, SSL section); written by `cargo xtask generate`"),
        "operations": ops.iter().map(|op| json!({
            "method": op.method,
            "path": op.path,
            "parameters": section_json(&op.params),
            "body": section_json(&op.body),
            "returns": section_json(&op.returns),
        })).collect::<Vec<_>>(),
    })
}

/// Reads the seed in `seeds_dir` and returns the inventory file `generate` writes. Fails when the
/// seed does not document [`OPERATION_COUNT`] operations (the parser or the seed changed).
pub fn expected_inventory(seeds_dir: &Path) -> Result<ManagedFile, Error> {
    let path = seeds_dir.join(SEED_FILE);
    let ops = parse_seed(&read_text(&path)?);
    if ops.len() != OPERATION_COUNT {
        return Err(Error::Failed(format!(
            "{}: found {} operations, expected {OPERATION_COUNT} (did the seed's format change?)",
            path.display(),
            ops.len()
        )));
    }
    crate::json_file(INVENTORY_PATH.to_owned(), &inventory_json(&ops))
}
