//! Every example of the curated document (schema `example`s at any depth, media-type `example`
//! and `examples`, parameter examples) validates against its schema with the mock's validator:
//! the document's examples are the first fixtures a reader copies, and the validator the mock and
//! the conformance proxy use must accept them.

use cloudflare_ssl::toolkit::escape as token;
use cloudflare_ssl_mock::Contract;
use serde_json::Value;

/// Resolves a local `$ref` (for `examples` entries and parameters), with the pointer followed.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> (&'a Value, Option<String>) {
    match value.get("$ref").and_then(Value::as_str) {
        Some(r) => (
            cloudflare_ssl::toolkit::target(doc, r).unwrap_or(&Value::Null),
            Some(r.trim_start_matches('#').to_owned()),
        ),
        None => (value, None),
    }
}

/// (schema pointer, example pointer, example value) for every example found.
fn collect(doc: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    // Schemas: component schemas, and every schema reachable inside the paths.
    fn schema(pointer: &str, s: &Value, found: &mut Vec<(String, String, Value)>) {
        let Some(map) = s.as_object() else { return };
        if let Some(example) = map.get("example") {
            found.push((
                pointer.to_owned(),
                format!("{pointer}/example"),
                example.clone(),
            ));
        }
        if let Some(props) = map.get("properties").and_then(Value::as_object) {
            for (name, sub) in props {
                schema(&format!("{pointer}/properties/{}", token(name)), sub, found);
            }
        }
        for key in ["items", "additionalProperties", "not"] {
            if let Some(sub) = map.get(key) {
                schema(&format!("{pointer}/{key}"), sub, found);
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            if let Some(subs) = map.get(key).and_then(Value::as_array) {
                for (i, sub) in subs.iter().enumerate() {
                    schema(&format!("{pointer}/{key}/{i}"), sub, found);
                }
            }
        }
    }
    fn media(doc: &Value, pointer: &str, m: &Value, found: &mut Vec<(String, String, Value)>) {
        let schema_pointer = format!("{pointer}/schema");
        if let Some(s) = m.get("schema") {
            schema(&schema_pointer, s, found);
        }
        if let Some(example) = m.get("example") {
            found.push((
                schema_pointer.clone(),
                format!("{pointer}/example"),
                example.clone(),
            ));
        }
        if let Some(examples) = m.get("examples").and_then(Value::as_object) {
            for (name, ex) in examples {
                let (ex, _) = resolve(doc, ex);
                if let Some(value) = ex.get("value") {
                    found.push((
                        schema_pointer.clone(),
                        format!("{pointer}/examples/{}", token(name)),
                        value.clone(),
                    ));
                }
            }
        }
    }
    fn content(
        doc: &Value,
        pointer: &str,
        holder: &Value,
        found: &mut Vec<(String, String, Value)>,
    ) {
        if let Some(c) = holder.get("content").and_then(Value::as_object) {
            for (mt, m) in c {
                media(doc, &format!("{pointer}/content/{}", token(mt)), m, found);
            }
        }
    }
    fn parameter(doc: &Value, pointer: &str, p: &Value, found: &mut Vec<(String, String, Value)>) {
        let (p, target) = resolve(doc, p);
        let pointer = target.unwrap_or_else(|| pointer.to_owned());
        media(doc, &pointer, p, found);
    }

    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, s) in schemas {
            schema(
                &format!("/components/schemas/{}", token(name)),
                s,
                &mut found,
            );
        }
    }
    for kind in ["responses", "requestBodies"] {
        if let Some(items) = doc
            .pointer(&format!("/components/{kind}"))
            .and_then(Value::as_object)
        {
            for (name, item) in items {
                content(
                    doc,
                    &format!("/components/{kind}/{}", token(name)),
                    item,
                    &mut found,
                );
            }
        }
    }
    if let Some(params) = doc
        .pointer("/components/parameters")
        .and_then(Value::as_object)
    {
        for (name, p) in params {
            parameter(
                doc,
                &format!("/components/parameters/{}", token(name)),
                p,
                &mut found,
            );
        }
    }
    for (template, item) in doc["paths"].as_object().into_iter().flatten() {
        let base = format!("/paths/{}", token(template));
        for (key, op) in item.as_object().into_iter().flatten() {
            if key == "parameters" {
                for (i, p) in op.as_array().into_iter().flatten().enumerate() {
                    parameter(doc, &format!("{base}/parameters/{i}"), p, &mut found);
                }
                continue;
            }
            let op_pointer = format!("{base}/{key}");
            for (i, p) in op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                parameter(doc, &format!("{op_pointer}/parameters/{i}"), p, &mut found);
            }
            if let Some(rb) = op.get("requestBody") {
                let (rb, target) = resolve(doc, rb);
                let pointer = target.unwrap_or_else(|| format!("{op_pointer}/requestBody"));
                content(doc, &pointer, rb, &mut found);
            }
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                let (response, target) = resolve(doc, response);
                let pointer =
                    target.unwrap_or_else(|| format!("{op_pointer}/responses/{}", token(status)));
                content(doc, &pointer, response, &mut found);
            }
        }
    }
    found.sort_by(|a, b| a.1.cmp(&b.1));
    found.dedup_by(|a, b| a.1 == b.1);
    found
}

#[test]
fn every_example_of_the_document_validates_against_its_schema() {
    let doc: Value = serde_json::from_str(cloudflare_ssl::OPENAPI_JSON).expect("document");
    let contract = Contract::shared().expect("contract");
    let examples = collect(&doc);
    // The document has media-type examples for every operation's success and failure bodies,
    // and examples on many component schemas.
    let media = examples
        .iter()
        .filter(|e| e.1.contains("/content/"))
        .count();
    let components = examples
        .iter()
        .filter(|e| e.1.starts_with("/components/schemas/"))
        .count();
    assert!(media >= 14, "{media} media-type examples found");
    assert!(components >= 10, "{components} schema examples found");
    let failures: Vec<String> = examples
        .iter()
        .filter_map(|(schema, at, value)| {
            contract.validate_at(schema, value).err().map(|vs| {
                let list: Vec<String> = vs.iter().map(ToString::to_string).collect();
                format!("{at} (schema {schema}): {}", list.join("; "))
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} examples fail:\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n")
    );
}

#[test]
fn a_broken_example_is_caught() {
    // The walk and the validator catch what they should: the ErrorEnvelope with a non-null,
    // non-object `result` (what the old document's `Failure` example effectively was).
    let contract = Contract::shared().expect("contract");
    let bad = serde_json::json!({"success": false, "errors": [{"code": 7003, "message": "x"}], "messages": [], "result": "none"});
    let vs = contract
        .validate_at("/components/schemas/ErrorEnvelope", &bad)
        .expect_err("a string result is not a nullable object");
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0].pointer, "/result");
    assert_eq!(vs[0].found, Some(serde_json::json!("none")));
    assert!(vs[0].expected.contains("object"), "{}", vs[0].expected);
}
