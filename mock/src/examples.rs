//! The document's own answers, where the mock has no rule: a property added to the document
//! after the seeds (a curation-ledger entry, `x-source`) is filled in from its `example`, and an
//! operation the mock does not model statefully is answered with the document's example of its
//! 200 response (or one built from its schema). So a field or an operation added to the
//! document appears in the mock's answers without a change to the mock.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

/// How deep a schema is followed when an example is built (the document has no recursion, but
/// a bound keeps a malformed one from looping).
const MAX_DEPTH: usize = 12;

/// The embedded document, parsed once.
fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(cloudflare_ssl::OPENAPI_JSON).unwrap_or(Value::Null))
}

/// The operation object of `operation_id`.
fn operation(operation_id: &str) -> Option<&'static Value> {
    document()
        .get("paths")?
        .as_object()?
        .values()
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .find(|op| op.get("operationId").and_then(Value::as_str) == Some(operation_id))
}

/// The JSON media type of the operation's 200 response.
fn ok_media(operation_id: &str) -> Option<&'static Value> {
    let response = resolve(operation(operation_id)?.get("responses")?.get("200")?);
    response.get("content")?.get("application/json")
}

/// Follows `$ref`s (and a one-element `allOf`) inside the document.
fn resolve(schema: &'static Value) -> &'static Value {
    cloudflare_ssl::toolkit::resolve_schema(document(), schema)
}

/// The answer to an operation the mock has no rule for: the document's example of its 200
/// body, else one built from the schema (`None` when the document gives no 200 JSON body).
pub(crate) fn answer(operation_id: &str) -> Option<Value> {
    let media = ok_media(operation_id)?;
    if let Some(example) = media.get("example") {
        return Some(example.clone());
    }
    example_of(media.get("schema")?, 0)
}

/// An example value of `schema`: its own `example`, else one built from its type (every
/// required property, and the optional ones that have an example).
pub(crate) fn example_of(schema: &'static Value, depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    if let Some(example) = schema.get("example") {
        return Some(example.clone());
    }
    let schema = resolve(schema);
    if let Some(example) = schema.get("example") {
        return Some(example.clone());
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return Some(first.clone());
    }
    let kind = schema.get("type").and_then(Value::as_str);
    Some(match kind {
        Some("object") | None if schema.get("properties").is_some() => {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut out = Map::new();
            for (name, property) in schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let has_example =
                    property.get("example").is_some() || resolve(property).get("example").is_some();
                if (required.contains(&name.as_str()) || has_example)
                    && let Some(v) = example_of(property, depth + 1)
                {
                    out.insert(name.clone(), v);
                }
            }
            Value::Object(out)
        }
        Some("array") => match schema.get("items").and_then(|i| example_of(i, depth + 1)) {
            Some(item) => json!([item]),
            None => json!([]),
        },
        Some("string") => match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => json!("2024-01-01T00:00:00Z"),
            _ => json!("string"),
        },
        Some("integer") | Some("number") => schema.get("minimum").cloned().unwrap_or(json!(0)),
        Some("boolean") => json!(false),
        _ if schema.get("nullable").and_then(Value::as_bool) == Some(true) => Value::Null,
        _ => json!({}),
    })
}

/// Adds to a stateful answer of `operation_id` every property the document records as added
/// after the seeds (`x-source`) that the mock's rule left out, with its example: the mock's
/// rules model the seeds, the document says what came later.
pub(crate) fn fill_recorded(operation_id: &str, body: &mut Value) {
    if let Some(schema) = ok_media(operation_id).and_then(|m| m.get("schema")) {
        fill(schema, body, 0);
    }
}

fn fill(schema: &'static Value, value: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let schema = resolve(schema);
    match value {
        Value::Object(map) => {
            for (name, property) in schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                match map.get_mut(name) {
                    Some(inner) => fill(property, inner, depth + 1),
                    None if property.get("x-source").is_some() => {
                        if let Some(example) = example_of(property, depth + 1) {
                            map.insert(name.clone(), example);
                        }
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    fill(item_schema, item, depth + 1);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_an_answer_that_conforms() {
        let contract = crate::spec::Contract::shared().expect("contract");
        for &op in cloudflare_ssl::Operation::ALL {
            let id = op.operation_id();
            let body = answer(id).unwrap_or_else(|| panic!("{id}: no example answer"));
            if let Err(v) = contract.validate_response(id, 200, &body) {
                panic!("{id}: the example answer does not conform: {v:?}");
            }
        }
    }

    #[test]
    fn a_recorded_property_is_filled_and_others_are_left_alone() {
        // No property of the document is recorded today outside operations, so use the
        // schema walk directly on a schema that has one.
        let schema: &'static Value = Box::leak(Box::new(json!({
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "later": {"type": "string", "example": "x", "x-source": "test", "x-since": "2026-12-05"},
                "optional": {"type": "string", "example": "y"},
                "list": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"n": {"type": "integer", "example": 3, "x-source": "t", "x-since": "2026-12-05"}}
                }}
            }
        })));
        let mut value = json!({"id": "a", "list": [{}, {"n": 7}]});
        fill(schema, &mut value, 0);
        assert_eq!(
            value,
            json!({"id": "a", "later": "x", "list": [{"n": 3}, {"n": 7}]}),
            "only recorded properties are filled, and never over a value the rule set"
        );
    }
}
