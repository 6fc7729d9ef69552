//! The mock's validator and `lint`'s example check agree on what is valid: both compile what
//! the one OpenAPI toolkit (`openapi/toolkit.rs`) makes of a schema. Each case is one schema and
//! one value; the mock validates the value at the schema, `lint` checks it as a response example.

use cloudflare_ssl_mock::Contract;
use serde_json::{json, Value};
use xtask::lint;

/// A document with the schema as component `Case` (beside `Thing`), and `value` as the example
/// of an operation's response whose body is `Case`.
fn document(schema: &Value, value: &Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "agreement", "version": "1"},
        "paths": {"/x": {"get": {
            "operationId": "get_x",
            "responses": {"200": {
                "description": "ok",
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Case"},
                    "example": value,
                }},
            }},
        }}},
        "components": {"schemas": {
            "Case": schema,
            "Thing": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
        }},
    })
}

/// Whether the mock accepts `value` at `Case`, and whether `lint` accepts it as the example.
fn verdicts(schema: &Value, value: &Value) -> (bool, bool) {
    let doc = document(schema, value);
    let contract = Contract::from_json(&doc.to_string()).expect("the case compiles");
    let mock = contract
        .validate_at("/components/schemas/Case", value)
        .is_ok();
    let report = lint::lint(&doc, "agreement");
    let linter = !report.has("no-invalid-media-type-examples");
    (mock, linter)
}

#[test]
fn the_mock_and_the_linter_agree_on_tricky_schemas() {
    let thing = json!({"id": "a"});
    let cases: Vec<(&str, Value, Value, bool)> = vec![
        // A typeless `nullable` is invalid OpenAPI 3.0: it accepts nothing, not even `null`.
        (
            "typeless nullable, null",
            json!({"nullable": true}),
            json!(null),
            false,
        ),
        (
            "typeless nullable, a string",
            json!({"nullable": true}),
            json!("a"),
            false,
        ),
        (
            "typeless nullable property",
            json!({"type": "object", "properties": {"result": {"nullable": true}}}),
            json!({"result": null}),
            false,
        ),
        // A nullable reference, written as OpenAPI 3.0 allows: `type` + `nullable` + `allOf`.
        // `null` still has to pass `allOf` (OpenAPI 3.0.3: other constraints keep applying).
        (
            "nullable object with allOf $ref, an object",
            json!({"type": "object", "nullable": true, "allOf": [{"$ref": "#/components/schemas/Thing"}]}),
            thing.clone(),
            true,
        ),
        (
            "nullable object with allOf $ref, null",
            json!({"type": "object", "nullable": true, "allOf": [{"$ref": "#/components/schemas/Thing"}]}),
            json!(null),
            false,
        ),
        (
            "typeless nullable allOf $ref, an object",
            json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/Thing"}]}),
            thing,
            false,
        ),
        (
            "nullable enum, null",
            json!({"type": "string", "enum": ["a"], "nullable": true}),
            json!(null),
            true,
        ),
        (
            "nullable enum, other",
            json!({"type": "string", "enum": ["a"], "nullable": true}),
            json!("b"),
            false,
        ),
        // Integer formats are ranges.
        (
            "int32 in range",
            json!({"type": "integer", "format": "int32"}),
            json!(2_147_483_647),
            true,
        ),
        (
            "int32 above",
            json!({"type": "integer", "format": "int32"}),
            json!(2_147_483_648_i64),
            false,
        ),
        (
            "int32 below",
            json!({"type": "integer", "format": "int32"}),
            json!(-2_147_483_649_i64),
            false,
        ),
        (
            "int64 in range",
            json!({"type": "integer", "format": "int64"}),
            json!(i64::MAX),
            true,
        ),
        (
            "int64 above",
            json!({"type": "integer", "format": "int64"}),
            json!(u64::MAX),
            false,
        ),
        (
            "int32 with a tighter minimum",
            json!({"type": "integer", "format": "int32", "minimum": 5}),
            json!(4),
            false,
        ),
        (
            "integral float is an integer",
            json!({"type": "integer"}),
            json!(5.0),
            true,
        ),
        // OpenAPI 3.0's boolean exclusive bounds.
        (
            "boolean exclusiveMinimum",
            json!({"type": "number", "minimum": 1, "exclusiveMinimum": true}),
            json!(1),
            false,
        ),
        // Formats are asserted.
        (
            "date-time",
            json!({"type": "string", "format": "date-time"}),
            json!("yesterday"),
            false,
        ),
        (
            "date-time ok",
            json!({"type": "string", "format": "date-time"}),
            json!("2026-12-05T04:00:00Z"),
            true,
        ),
    ];
    for (name, schema, value, valid) in cases {
        let (mock, linter) = verdicts(&schema, &value);
        assert_eq!(
            mock, linter,
            "{name}: the mock says {mock}, lint says {linter}"
        );
        assert_eq!(mock, valid, "{name}: expected valid = {valid}");
    }
}
