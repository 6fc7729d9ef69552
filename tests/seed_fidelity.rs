//! Holds the curated document against the seeds (Cloudflare's API reference for the SSL section,
//! `../shared/seeds/003_*.txt`): for every operation, the parameters, body fields and response
//! fields (with their optionality), the enum values and the descriptions must be the same.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

const SEED: &str = "003_f397e99c2e3a3d72.txt";

#[derive(Debug, Default)]
struct Section {
    /// `(name, optional)` for every field at every depth.
    fields: BTreeSet<(String, bool)>,
    strings: BTreeSet<String>,
    integers: BTreeSet<i64>,
    descriptions: BTreeSet<String>,
}

#[derive(Debug, Default)]
struct Operation {
    method: String,
    path: String,
    params: Section,
    body: Section,
    returns: Section,
}

fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses the reference text: headings `## Title **method** \`path\``, sections
/// `### Path Parameters` etc., bullets `` - `name: optional type` description `` and enum
/// bullets `` - `"value"` ``.
fn parse_seed(text: &str) -> Vec<Operation> {
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
    let mut section: Option<&str> = None;
    for line in lines.lines() {
        let line = line.trim();
        if let Some(heading) = line.strip_prefix("## ") {
            section = None;
            if let Some((_, after)) = heading.split_once(" **") {
                if let Some((method, after)) = after.split_once("** `") {
                    let path = after.split('`').next().unwrap_or_default();
                    ops.push(Operation {
                        method: method.to_uppercase(),
                        path: path.to_owned(),
                        ..Default::default()
                    });
                }
            }
            continue;
        }
        if let Some(heading) = line.strip_prefix("### ") {
            section = match heading {
                "Path Parameters" | "Query Parameters" => Some("params"),
                "Body Parameters" => Some("body"),
                "Returns" => Some("returns"),
                _ => None,
            };
            continue;
        }
        if line.starts_with('#') || line.starts_with("```") {
            section = None;
            continue;
        }
        let (Some(which), Some(op)) = (section, ops.last_mut()) else {
            continue;
        };
        let Some(bullet) = line.strip_prefix("- `") else {
            continue;
        };
        let Some((code, description)) = bullet.split_once('`') else {
            continue;
        };
        let target = match which {
            "params" => &mut op.params,
            "body" => &mut op.body,
            _ => &mut op.returns,
        };
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

fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(target) => resolve(spec, spec.pointer(&target[1..]).expect("resolvable $ref")),
        None => v,
    }
}

fn collect_enum(spec: &Value, schema: &Value, out: &mut Section) {
    let schema = resolve(spec, schema);
    if schema["type"] == "boolean" {
        return;
    }
    for value in schema["enum"].as_array().into_iter().flatten() {
        if let Some(s) = value.as_str() {
            out.strings.insert(s.to_owned());
        } else if let Some(n) = value.as_i64() {
            out.integers.insert(n);
        }
    }
}

/// Flattens a schema: every property at every depth, with optionality, enums and descriptions.
fn flatten(spec: &Value, schema: &Value, out: &mut Section) {
    let schema = resolve(spec, schema);
    collect_enum(spec, schema, out);
    if let Some(items) = schema.get("items") {
        flatten(spec, items, out);
    }
    let required: BTreeSet<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for (name, prop) in schema["properties"].as_object().into_iter().flatten() {
        out.fields
            .insert((name.clone(), !required.contains(name.as_str())));
        for d in [&prop["description"], &resolve(spec, prop)["description"]] {
            if let Some(d) = d.as_str() {
                out.descriptions.insert(normalize(d));
            }
        }
        flatten(spec, prop, out);
    }
}

fn spec_operation(spec: &Value, method: &str, path: &str) -> Operation {
    let op = &spec["paths"][path][method.to_lowercase()];
    assert!(
        op.is_object(),
        "{method} {path} is missing from the document"
    );
    let mut out = Operation::default();
    for param in op["parameters"].as_array().into_iter().flatten() {
        let param = resolve(spec, param);
        let name = param["name"].as_str().expect("parameter name").to_owned();
        out.params
            .fields
            .insert((name, !param["required"].as_bool().unwrap_or(false)));
        if let Some(d) = param["description"].as_str() {
            out.params.descriptions.insert(normalize(d));
        }
        collect_enum(spec, &param["schema"], &mut out.params);
    }
    if let Some(body) = op.get("requestBody") {
        flatten(
            spec,
            &resolve(spec, body)["content"]["application/json"]["schema"],
            &mut out.body,
        );
    }
    let ok = resolve(spec, &op["responses"]["200"]);
    flatten(
        spec,
        &ok["content"]["application/json"]["schema"],
        &mut out.returns,
    );
    out
}

fn compare(what: &str, seed: &Section, spec: &Section, problems: &mut Vec<String>) {
    for f in seed.fields.difference(&spec.fields) {
        problems.push(format!(
            "{what}: seed has field {f:?}, the document does not"
        ));
    }
    for f in spec.fields.difference(&seed.fields) {
        problems.push(format!(
            "{what}: document has field {f:?}, the seed does not"
        ));
    }
    for v in seed.strings.symmetric_difference(&spec.strings) {
        problems.push(format!("{what}: enum value {v:?} is on one side only"));
    }
    for v in seed.integers.symmetric_difference(&spec.integers) {
        problems.push(format!(
            "{what}: integer enum value {v} is on one side only"
        ));
    }
    for d in seed.descriptions.difference(&spec.descriptions) {
        problems.push(format!("{what}: seed description missing: {d:?}"));
    }
}

#[test]
fn document_says_what_the_seeds_say() {
    let seeds = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds");
    let text = std::fs::read_to_string(seeds.join(SEED))
        .unwrap_or_else(|e| panic!("reading {}: {e}", seeds.join(SEED).display()));
    let spec: Value = serde_json::from_str(cloudflare_ssl::OPENAPI_JSON).expect("spec");
    let ops = parse_seed(&text);
    assert_eq!(ops.len(), 14, "the seed documents 14 operations");

    let mut problems = Vec::new();
    for seed in &ops {
        let doc = spec_operation(&spec, &seed.method, &seed.path);
        let name = format!("{} {}", seed.method, seed.path);
        compare(
            &format!("{name} parameters"),
            &seed.params,
            &doc.params,
            &mut problems,
        );
        compare(
            &format!("{name} body"),
            &seed.body,
            &doc.body,
            &mut problems,
        );
        compare(
            &format!("{name} response"),
            &seed.returns,
            &doc.returns,
            &mut problems,
        );
    }
    assert!(
        problems.is_empty(),
        "the document differs from the seeds:\n{}",
        problems.join("\n")
    );
}

#[test]
fn parser_sees_fields_enums_and_optionality() {
    // The parser itself must see what it compares, or the test above proves nothing.
    let text = "# X ## Get Thing **get** `/things/{id}` Gets. ### Path Parameters - `id: string` \
                Identifier. ### Returns - `kind: optional \"a\" or \"b\"` Kind. - `\"a\"` - `\"b\"` \
                - `days: 14 or 30` Days. - `14` - `30` ### Example ```http curl x ```";
    let ops = parse_seed(text);
    assert_eq!(ops.len(), 1);
    assert_eq!(
        (ops[0].method.as_str(), ops[0].path.as_str()),
        ("GET", "/things/{id}")
    );
    assert!(ops[0].params.fields.contains(&("id".to_owned(), false)));
    assert!(ops[0].returns.fields.contains(&("kind".to_owned(), true)));
    assert!(ops[0].returns.fields.contains(&("days".to_owned(), false)));
    assert_eq!(ops[0].returns.strings.len(), 2);
    assert_eq!(ops[0].returns.integers, BTreeSet::from([14, 30]));
    assert!(ops[0].returns.descriptions.contains("Kind."));
}
