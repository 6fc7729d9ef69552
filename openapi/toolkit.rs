//! The one OpenAPI 3.0 toolkit of the workspace: `$ref` resolution, reachability and the
//! conversion of OpenAPI 3.0 schemas into JSON Schema, with one set of semantics.
//!
//! It works on the document as a [`serde_json::Value`] and needs nothing else, so it is shared
//! as one file: `build.rs` and xtask include it with `#[path]` (beside `codegen.rs`, which uses
//! it as `crate::toolkit`), and the library exposes it as `cloudflare_ssl::toolkit` (hidden from
//! the docs) for the mock and the tests. Loading is not here: YAML needs `serde_norway`, a
//! build-time dependency (`codegen::parse_spec` reads the document; the library embeds it as
//! JSON, `cloudflare_ssl::OPENAPI_JSON`).
//!
//! # JSON Schema semantics ([`to_json_schema`], [`validation_schema`])
//!
//! The mock's request/response validator and `cargo xtask lint`'s example check both compile
//! what [`validation_schema`] returns, so they cannot disagree on what is valid:
//!
//! * **Draft 2020-12**, named by `$schema`; components go to `$defs` and
//!   `$ref: '#/components/schemas/X'` becomes `$ref: '#/$defs/X'`. Keywords beside a `$ref` are
//!   dropped (OpenAPI 3.0 ignores them). Validate with formats asserted
//!   (`jsonschema::options().should_validate_formats(true)`): `date-time` is checked.
//! * **`nullable: true`** beside a `type` adds `"null"` to it (and `null` to an `enum`).
//!   Without a `type` it is invalid OpenAPI 3.0 (lint's `nullable-type-sibling`) and the schema
//!   **accepts nothing** (`false`), as Redocly's validator does: a defect of the document shows
//!   up as failures, never as silently accepted values.
//! * **`format: int32` / `int64`** on an integer add that range as `minimum`/`maximum` (a
//!   tighter bound of the document is kept): JSON Schema has no such formats, so
//!   `2147483648` would otherwise pass as an `int32`.
//! * Boolean **`exclusiveMinimum`/`exclusiveMaximum`** (OpenAPI 3.0) become the numeric form.
//! * `discriminator`, `xml`, `externalDocs` and `example` are dropped; `x-` extensions stay
//!   (JSON Schema ignores unknown keywords).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// The `$ref` prefix of schema components.
pub const SCHEMA_PREFIX: &str = "#/components/schemas/";
/// The dialect of every schema [`validation_schema`] returns.
pub const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The operations of a path item, by their key (OpenAPI 3.0).
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// How many `$ref`s [`resolve`] follows in a row before giving up (a cycle of references).
const MAX_HOPS: usize = 32;

/// Escapes one JSON Pointer token (RFC 6901): `~` → `~0`, `/` → `~1`.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The value a local `$ref` (`#/a/b`) points at; `None` for a remote or dangling reference.
pub fn target<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// Follows `$ref`s from `value` until an object without one (or a reference that resolves to
/// nothing, returned as it is).
pub fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..MAX_HOPS {
        match value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| target(doc, r))
        {
            Some(next) => value = next,
            None => break,
        }
    }
    value
}

/// Like [`resolve`], and also looks through a one-element `allOf`: how the document puts a
/// `description` beside a reference (which OpenAPI 3.0 ignores beside a bare `$ref`).
pub fn resolve_schema<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..MAX_HOPS {
        let next = resolve(doc, value);
        match next
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            Some([only]) => value = only,
            _ => return next,
        }
    }
    value
}

/// Every `$ref` inside `value`, as `(JSON Pointer of the object holding it, target)`, in
/// document order. `at` is the pointer of `value` itself (`"#"` for a whole document). Example
/// values and `x-` extensions are data, not document structure: their contents are skipped.
pub fn refs(value: &Value, at: &str) -> Vec<(String, String)> {
    fn walk(v: &Value, at: &str, in_properties: bool, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(map) => {
                if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                    out.push((at.to_owned(), r.to_owned()));
                }
                for (k, child) in map {
                    if !in_properties && (k == "example" || k.starts_with("x-")) {
                        continue;
                    }
                    let here = format!("{at}/{}", escape(k));
                    walk(child, &here, !in_properties && k == "properties", out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{at}/{i}"), false, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, at, false, &mut out);
    out
}

/// The targets (`$ref` strings, `#/components/...`) reachable from `start` through `$ref`s,
/// transitively. Dangling and remote references are included but not followed.
pub fn reachable(doc: &Value, start: &Value) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = refs(start, "#").into_iter().map(|(_, t)| t).collect();
    while let Some(reference) = todo.pop() {
        if !seen.insert(reference.clone()) {
            continue;
        }
        if let Some(next) = target(doc, &reference) {
            todo.extend(refs(next, "#").into_iter().map(|(_, t)| t));
        }
    }
    seen
}

/// Converts one OpenAPI 3.0 schema object into JSON Schema 2020-12 (see the module docs). Its
/// `$ref`s to components point into `$defs`: compile it inside [`validation_schema`].
pub fn to_json_schema(schema: &Value) -> Value {
    let Some(map) = schema.as_object() else {
        return schema.clone();
    };
    if let Some(r) = map.get("$ref").and_then(Value::as_str) {
        let reference = match r.strip_prefix(SCHEMA_PREFIX) {
            Some(name) => format!("#/$defs/{name}"),
            None => r.to_owned(),
        };
        return serde_json::json!({ "$ref": reference });
    }
    let mut out = Map::new();
    for (key, value) in map {
        let converted = match key.as_str() {
            "nullable" | "discriminator" | "xml" | "externalDocs" | "example" => continue,
            "properties" => Value::Object(
                value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), to_json_schema(v)))
                    .collect(),
            ),
            "items" | "additionalProperties" | "not" => to_json_schema(value),
            "allOf" | "anyOf" | "oneOf" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(to_json_schema)
                    .collect(),
            ),
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Bool(exclusive)) = out.remove(flag)
            && exclusive
            && let Some(b) = out.remove(bound)
        {
            out.insert(flag.to_owned(), b);
        }
    }
    let range = match map.get("format").and_then(Value::as_str) {
        Some("int32") => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
        Some("int64") => Some((i64::MIN, i64::MAX)),
        _ => None,
    };
    if let Some((low, high)) = range
        && match map.get("type") {
            Some(Value::String(t)) => t == "integer",
            Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
            _ => false,
        }
    {
        // A bound of the document (inclusive or exclusive) that is tighter wins.
        #[allow(clippy::cast_precision_loss)] // the bounds of i32/i64, exact enough for `>=`
        let (low_f, high_f) = (low as f64, high as f64);
        let bound = |keys: [&str; 2]| {
            keys.iter()
                .find_map(|k| out.get(*k).and_then(Value::as_f64))
        };
        let tighter_low = bound(["minimum", "exclusiveMinimum"]).is_some_and(|m| m >= low_f);
        let tighter_high = bound(["maximum", "exclusiveMaximum"]).is_some_and(|m| m <= high_f);
        if !tighter_low {
            out.insert("minimum".to_owned(), Value::from(low));
        }
        if !tighter_high {
            out.insert("maximum".to_owned(), Value::from(high));
        }
    }
    if map.get("nullable") == Some(&Value::Bool(true)) {
        let Some(t) = out.get("type").cloned() else {
            // `nullable` without `type`: invalid OpenAPI 3.0; accepts nothing.
            return Value::Bool(false);
        };
        let mut types = match t {
            Value::Array(ts) => ts,
            other => vec![other],
        };
        let null = Value::String("null".to_owned());
        if !types.contains(&null) {
            types.push(null);
        }
        out.insert("type".to_owned(), Value::Array(types));
        if let Some(Value::Array(values)) = out.get_mut("enum")
            && !values.contains(&Value::Null)
        {
            values.push(Value::Null);
        }
    }
    Value::Object(out)
}

/// The document's schema components, converted once ([`to_json_schema`]), ready to be the
/// `$defs` of every [`validation_schema`].
pub fn json_schema_defs(doc: &Value) -> Value {
    Value::Object(
        doc.pointer("/components/schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), to_json_schema(v)))
            .collect(),
    )
}

/// A self-contained JSON Schema 2020-12 document for one OpenAPI schema of the document:
/// the converted schema, `$schema` and, as `$defs`, the converted components it reaches (from
/// [`json_schema_defs`], computed once per document). The others could not change what it
/// accepts; copying them, and checking them against the meta-schema, for every schema made
/// the mock's start-up several times slower.
pub fn validation_schema(defs: &Value, schema: &Value) -> Value {
    let converted = to_json_schema(schema);
    let reached = reached_defs(defs, &converted);
    let mut root = match converted {
        Value::Object(map) => map,
        Value::Bool(true) => Map::new(),
        other => {
            let mut map = Map::new();
            map.insert("allOf".to_owned(), Value::Array(vec![other]));
            map
        }
    };
    root.insert("$schema".to_owned(), Value::String(DRAFT.to_owned()));
    root.insert("$defs".to_owned(), Value::Object(reached));
    Value::Object(root)
}

/// The converted components (`defs`) that the converted `schema` reaches through `$ref`s,
/// transitively.
fn reached_defs(defs: &Value, schema: &Value) -> Map<String, Value> {
    let mut reached = Map::new();
    let mut todo: Vec<String> = refs(schema, "#").into_iter().map(|(_, t)| t).collect();
    while let Some(target) = todo.pop() {
        let Some(name) = target.strip_prefix("#/$defs/") else {
            continue;
        };
        if let (false, Some(def)) = (reached.contains_key(name), defs.get(name)) {
            todo.extend(refs(def, "#").into_iter().map(|(_, t)| t));
            reached.insert(name.to_owned(), def.clone());
        }
    }
    reached
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validation_schemas_carry_only_the_components_they_reach() {
        let doc = json!({"components": {"schemas": {
            "A": {"type": "object", "properties": {
                "b": {"$ref": "#/components/schemas/B"},
                // A property named `example` is a property, not an example: followed.
                "example": {"$ref": "#/components/schemas/E"},
            }, "example": {"$ref": "#/components/schemas/NotFollowed"}},
            "B": {"type": "array", "items": {"$ref": "#/components/schemas/C"}},
            "C": {"allOf": [{"$ref": "#/components/schemas/A"}]},
            "E": {"type": "integer"},
            "NotFollowed": {"type": "string"},
            "Unused": {"type": "string"},
        }}});
        let defs = json_schema_defs(&doc);
        let root = validation_schema(&defs, &json!({"$ref": "#/components/schemas/A"}));
        let reached: BTreeSet<&str> = root["$defs"]
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(reached, BTreeSet::from(["A", "B", "C", "E"]));
        assert_eq!(root["$defs"]["B"], defs["B"], "copied as converted");
        let alone = validation_schema(&defs, &json!({"type": "string"}));
        assert_eq!(alone["$defs"], json!({}));
    }

    #[test]
    fn resolution_follows_chains_and_one_element_all_of() {
        let doc = json!({"components": {"schemas": {
            "A": {"$ref": "#/components/schemas/B"},
            "B": {"type": "string"},
            "C": {"allOf": [{"$ref": "#/components/schemas/A"}], "description": "c"},
            "Loop": {"$ref": "#/components/schemas/Loop"},
        }}});
        let a = json!({"$ref": "#/components/schemas/A"});
        assert_eq!(resolve(&doc, &a), &json!({"type": "string"}));
        let c = json!({"$ref": "#/components/schemas/C"});
        assert_eq!(resolve_schema(&doc, &c), &json!({"type": "string"}));
        let dangling = json!({"$ref": "#/components/schemas/Nothing"});
        assert_eq!(resolve(&doc, &dangling), &dangling);
        let looping = json!({"$ref": "#/components/schemas/Loop"});
        assert!(resolve(&doc, &looping).get("$ref").is_some());
        assert_eq!(
            reachable(&doc, &c),
            BTreeSet::from(["A", "B", "C"].map(|n| format!("{SCHEMA_PREFIX}{n}")))
        );
    }

    #[test]
    fn refs_skip_examples_and_extensions_but_not_properties_named_so() {
        let v = json!({
            "example": {"$ref": "#/no"},
            "x-note": {"$ref": "#/no"},
            "properties": {"example": {"$ref": "#/yes"}, "a/b": {"$ref": "#/too"}},
        });
        assert_eq!(
            refs(&v, "#"),
            [
                ("#/properties/example".to_owned(), "#/yes".to_owned()),
                ("#/properties/a~1b".to_owned(), "#/too".to_owned()),
            ]
        );
    }

    #[test]
    fn integer_formats_become_ranges_and_tighter_bounds_stay() {
        let convert = |v: Value| to_json_schema(&v);
        let a = convert(json!({"type": "integer", "format": "int32", "minimum": 1}));
        assert_eq!(a["minimum"], 1);
        assert_eq!(a["maximum"], i64::from(i32::MAX));
        let b = convert(json!({"type": "integer", "format": "int64", "nullable": true}));
        assert_eq!(b["minimum"], i64::MIN);
        assert_eq!(b["maximum"], i64::MAX);
        assert_eq!(b["type"], json!(["integer", "null"]));
        let c = convert(json!({"type": "integer", "format": "int32", "maximum": 1e12}));
        assert_eq!(c["maximum"], i64::from(i32::MAX));
        let d = convert(json!({"type": "string", "format": "int32"}));
        assert!(d.get("minimum").is_none());
    }
}
