//! The seed parser (moved here from the root crate's `tests/seed_fidelity.rs`) and the inventory
//! it writes, which `tests/seed_fidelity.rs` reads.

use std::collections::BTreeSet;

use xtask::seeds::{inventory_json, parse_seed};

const TEXT: &str = "# X ## Get Thing **get** `/things/{id}` Gets. ### Path Parameters - `id: string` \
                    Identifier. ### Returns - `kind: optional \"a\" or \"b\"` Kind. - `\"a\"` - `\"b\"` \
                    - `days: 14 or 30` Days. - `14` - `30` ### Example ```http curl x ```";

#[test]
fn parser_sees_fields_enums_and_optionality() {
    // The parser itself must see what it compares, or the fidelity test proves nothing.
    let ops = parse_seed(TEXT);
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
    // The example section's code is not a field.
    assert_eq!(ops[0].returns.fields.len(), 2);
}

#[test]
fn inventory_json_has_every_section() {
    let json = inventory_json(&parse_seed(TEXT));
    let op = &json["operations"][0];
    assert_eq!(op["method"], "GET");
    assert_eq!(op["path"], "/things/{id}");
    assert_eq!(
        op["parameters"]["fields"],
        serde_json::json!([{"name": "id", "optional": false}])
    );
    assert_eq!(
        op["parameters"]["descriptions"],
        serde_json::json!(["Identifier."])
    );
    assert_eq!(
        op["returns"]["fields"],
        serde_json::json!([{"name": "days", "optional": false}, {"name": "kind", "optional": true}])
    );
    assert_eq!(op["returns"]["enum_strings"], serde_json::json!(["a", "b"]));
    assert_eq!(op["returns"]["enum_integers"], serde_json::json!([14, 30]));
    assert_eq!(op["body"]["fields"], serde_json::json!([]));
}
