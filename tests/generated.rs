//! Guards the curated OpenAPI document and the code generated from it.
//!
//! * the generated code and the operation inventory are snapshots: any change to the document or
//!   to the generator shows as a readable diff (`cargo insta review`, or `cargo xtask generate`);
//! * every example in the document decodes into its generated type and re-encodes unchanged;
//! * unknown fields and unknown enum values survive a decode/encode round trip;
//! * the document is valid OpenAPI 3.0 and every `$ref` resolves.

use cloudflare_ssl::types;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/codegen.rs"));

fn spec() -> Value {
    serde_json::from_str(cloudflare_ssl::OPENAPI_JSON).expect("the embedded document is JSON")
}

/// `(method, path, operation)` for every operation, in document order.
fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            out.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    out
}

/// Follows `$ref`s (the workspace's one resolver); a dangling one fails the test.
fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    let target = cloudflare_ssl::toolkit::resolve(spec, v);
    if let Some(r) = target.get("$ref") {
        panic!("unresolved $ref {r}");
    }
    target
}

fn schema_name(schema: &Value) -> &str {
    schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .expect("every request and response body is a named component")
}

#[test]
fn generated_code_snapshot() {
    insta::assert_snapshot!("generated_code", GENERATED);
}

#[test]
fn operation_inventory_snapshot() {
    let spec = spec();
    let compact_generated: String = GENERATED
        .split_whitespace()
        .collect::<String>()
        .replace(",)", ")");
    let mut table = String::from("METHOD  PATH  operationId  ->  Rust builder method\n");
    for (method, path, op) in operations(&spec) {
        let id = op["operationId"].as_str().expect("operationId");
        // progenitor names the builder method after the operationId (already snake_case);
        // compared without whitespace, as a long name wraps the signature.
        let method_sig = format!("pubfn{id}(&self)->builder::");
        assert!(
            compact_generated.contains(&method_sig),
            "no generated client method for operation {id}"
        );
        let tags: Vec<&str> = op["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        table.push_str(&format!(
            "{method:<6}  {path}  {id}  ->  Client::{id}()  [{}]\n",
            tags.join(", ")
        ));
    }
    assert_eq!(
        operations(&spec).len(),
        cloudflare_ssl::Operation::ALL.len(),
        "the crate covers exactly the document's operations"
    );
    insta::assert_snapshot!("operation_inventory", table);
}

fn round_trip<T: DeserializeOwned + Serialize>(v: &Value) -> Result<Value, String> {
    let decoded: T = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&decoded).map_err(|e| e.to_string())
}

/// Round-trips a JSON value through the type an operation names (generated dispatch).
struct RoundTrip<'a>(&'a Value);

impl cloudflare_ssl::ResponseVisitor for RoundTrip<'_> {
    type Output = Result<Value, String>;
    fn visit<T: DeserializeOwned + Serialize>(self) -> Self::Output {
        round_trip::<T>(self.0)
    }
}

impl cloudflare_ssl::RequestVisitor for RoundTrip<'_> {
    type Output = Result<Value, String>;
    fn visit<T: DeserializeOwned + Serialize>(self) -> Self::Output {
        round_trip::<T>(self.0)
    }
}

/// Decodes and re-encodes `v` as the named request/response body type (a component name), found
/// through the generated `Operation` metadata; `None` when no operation uses that type.
fn decode(name: &str, v: &Value) -> Option<Result<Value, String>> {
    if name == "ErrorEnvelope" {
        return Some(round_trip::<types::ErrorEnvelope>(v));
    }
    let ops = cloudflare_ssl::Operation::ALL;
    if let Some(op) = ops.iter().find(|op| op.response_type() == name) {
        return Some(op.visit_response(RoundTrip(v)));
    }
    ops.iter()
        .find(|op| op.request_type() == Some(name))
        .and_then(|op| op.visit_request(RoundTrip(v)))
}

/// JSON equality where numbers compare by value (`0` and `0.0` are the same JSON number).
/// Returns the JSON path of the first difference.
fn json_diff(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x.as_f64() != y.as_f64()).then(|| format!("{path}: {x} != {y}"))
        }
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                match (x.get(key), y.get(key)) {
                    (Some(l), Some(r)) => {
                        if let Some(d) = json_diff(l, r, &format!("{path}.{key}")) {
                            return Some(d);
                        }
                    }
                    (l, _) => {
                        return Some(format!(
                            "{path}.{key}: {} on one side only",
                            if l.is_some() {
                                "original"
                            } else {
                                "re-encoded"
                            }
                        ))
                    }
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (l, r))| json_diff(l, r, &format!("{path}[{i}]"))),
        _ => (a != b).then(|| format!("{path}: {a} != {b}")),
    }
}

#[test]
fn every_example_decodes_and_round_trips() {
    let spec = spec();
    let mut checked = 0;
    for (method, path, op) in operations(&spec) {
        let id = op["operationId"].as_str().unwrap_or_default().to_owned();
        let mut bodies = Vec::new();
        if let Some(body) = op.get("requestBody") {
            bodies.push(("request".to_owned(), resolve(&spec, body).clone()));
        }
        for (code, response) in op["responses"].as_object().expect("responses") {
            bodies.push((format!("response {code}"), resolve(&spec, response).clone()));
        }
        for (what, body) in bodies {
            let media = &body["content"]["application/json"];
            let name = schema_name(&media["schema"]);
            // A 200 imported without an example: the body the mock builds from the schema.
            let built = (what == "response 200")
                .then(|| cloudflare_ssl_mock::document_answer(&id))
                .flatten();
            let example = media
                .get("example")
                .or(built.as_ref())
                .unwrap_or_else(|| panic!("{method} {path} {what}: no example"));
            let encoded = decode(name, example)
                .unwrap_or_else(|| panic!("{id}: no generated type for {name}"))
                .unwrap_or_else(|e| panic!("{id} {what}: example does not decode as {name}: {e}"));
            if let Some(diff) = json_diff(example, &encoded, "$") {
                panic!("{id} {what}: {name} does not round-trip: {diff}");
            }
            checked += 1;
        }
    }
    // One success example per operation, two error examples (4XX + 5XX) per operation, one
    // example per request body.
    let ops = cloudflare_ssl::Operation::ALL;
    let requests = ops.iter().filter(|op| op.request_type().is_some()).count();
    assert_eq!(checked, ops.len() + 2 * ops.len() + requests);
}

fn sample_pack() -> Value {
    let spec = spec();
    spec.pointer(
        "/paths/~1zones~1{zone_id}~1ssl~1certificate_packs~1{certificate_pack_id}/get/responses/200/content/application~1json/example",
    )
    .expect("get example")
    .clone()
}

#[test]
fn unknown_fields_and_enum_values_survive_a_round_trip() {
    let mut body = sample_pack();
    body["result"]["status"] = json!("pending_quantum_validation");
    body["result"]["validity_days"] = json!(45);
    body["result"]["type"] = json!("post_quantum");
    body["result"]["new_top_level_field"] = json!({"nested": [1, 2, 3]});
    body["result"]["certificates"][0]["geo_restrictions"]["label"] = json!("apac");
    body["result"]["certificates"][0]["new_cert_field"] = json!(true);
    body["brand_new_envelope_field"] = json!("kept");

    let decoded: types::CertificatePackResponse =
        serde_json::from_value(body.clone()).expect("unknown values must not fail decoding");
    let pack = decoded.result.as_ref().expect("result");
    assert_eq!(
        pack.status,
        types::CertificatePackStatus::Unknown("pending_quantum_validation".into())
    );
    assert!(!pack.status.is_known());
    assert_eq!(pack.validity_days, Some(types::ValidityDays::Unknown(45)));
    assert_eq!(
        pack.type_,
        types::CertificatePackType::Unknown("post_quantum".into())
    );
    assert_eq!(
        pack.extra.get("new_top_level_field"),
        Some(&json!({"nested": [1, 2, 3]}))
    );
    let geo = pack.certificates[0].geo_restrictions.as_ref().expect("geo");
    assert_eq!(
        geo.label,
        Some(types::GeoRestrictionsLabel::Unknown("apac".into()))
    );
    let encoded = serde_json::to_value(&decoded).expect("encode");
    assert_eq!(json_diff(&body, &encoded, "$"), None);
}

#[test]
fn unknown_values_in_verification_survive() {
    let body = json!({"result": [{
        "certificate_status": "revalidating",
        "signature": "ML-DSA-65",
        "validation_method": "dns_persist",
        "verification_type": "carrier pigeon",
        "verification_info": {"record_name": "srv_name", "record_target": "srv_target"},
        "cert_pack_uuid": "a77f8bd7-3b47-46b4-a6f1-75cf98109948"
    }]});
    let decoded: types::VerificationResponse =
        serde_json::from_value(body.clone()).expect("decode");
    let v = &decoded.result[0];
    assert_eq!(
        v.certificate_status,
        Some(types::CertificateStatus::Unknown("revalidating".into()))
    );
    assert_eq!(
        v.verification_type.as_ref().map(|t| t.as_str()),
        Some("carrier pigeon")
    );
    assert_eq!(
        json_diff(&body, &serde_json::to_value(&decoded).expect("encode"), "$"),
        None
    );
}

#[test]
fn known_values_stay_strongly_typed() {
    let decoded: types::CertificatePackResponse =
        serde_json::from_value(sample_pack()).expect("decode");
    let pack = decoded.result.expect("result");
    assert_eq!(pack.status, types::CertificatePackStatus::Initializing);
    assert_eq!(pack.type_, types::CertificatePackType::Universal);
    assert_eq!(pack.validity_days, Some(types::ValidityDays::Days14));
    assert_eq!(
        pack.validation_method,
        Some(types::CertificatePackValidationMethod::Txt)
    );
    assert_eq!(
        pack.certificate_authority,
        Some(types::CertificateAuthority::LetsEncrypt)
    );
    assert_eq!(
        pack.certificates[0].expires_on.map(|t| t.to_rfc3339()),
        Some("2024-01-01T00:00:00+00:00".to_owned())
    );

    // Display / FromStr / as_str agree with the wire format.
    let status: types::CertificatePackStatus = "validation_timed_out".parse().expect("infallible");
    assert_eq!(status, types::CertificatePackStatus::ValidationTimedOut);
    assert_eq!(status.to_string(), "validation_timed_out");
    assert_eq!(status.as_str(), "validation_timed_out");
    assert_eq!(
        types::VerificationType::MetaTag.as_str(),
        "meta tag",
        "values with spaces keep their wire form"
    );
    assert_eq!(types::ValidityDays::Days365.as_i64(), 365);
    assert_eq!(
        "90".parse::<types::ValidityDays>().expect("int"),
        types::ValidityDays::Days90
    );
    assert_eq!(
        types::ValidityDays::from(7),
        types::ValidityDays::Unknown(7)
    );
    assert!("x14".parse::<types::ValidityDays>().is_err());
    // Every value the document lists, in its order (not a count kept by hand).
    let document = spec();
    let documented: Vec<&str> = document["components"]["schemas"]["CertificatePackStatus"]["enum"]
        .as_array()
        .expect("enum")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(types::CertificatePackStatus::VALUES, documented.as_slice());
    assert_eq!(types::ValidityDays::VALUES, &[14, 30, 90, 365]);
    // Integral floats are the same JSON number.
    assert_eq!(
        serde_json::from_value::<types::ValidityDays>(json!(30.0)).expect("30.0"),
        types::ValidityDays::Days30
    );
    assert!(serde_json::from_value::<types::ValidityDays>(json!(30.5)).is_err());
    assert!(serde_json::from_value::<types::CertificatePackStatus>(json!(3)).is_err());
}

#[test]
fn identifiers_validate_user_input_but_decode_any_server_value() {
    assert!(types::Identifier::new("023e105f4ecef8ad9ca31a8372d0c353").is_ok());
    let err = types::Identifier::new("x".repeat(33)).expect_err("too long");
    assert_eq!(err.max_length, Some(32));
    assert_eq!(err.length, 33);
    assert_eq!(
        err.to_string(),
        "Identifier must be at most 32 characters long, got 33"
    );
    // A longer id from the server (e.g. a UUID) still decodes and can be sent back.
    let uuid = "3822ff90-ea29-44df-9e55-21300bb9419b";
    let id: types::Identifier = serde_json::from_value(json!(uuid)).expect("lenient decode");
    assert_eq!(id.as_str(), uuid);
    assert!(!id.is_within_limits());
    assert_eq!(serde_json::to_value(&id).expect("encode"), json!(uuid));
}

#[test]
fn document_is_valid_openapi_30_and_every_ref_resolves() {
    let doc: openapiv3::OpenAPI =
        serde_json::from_str(cloudflare_ssl::OPENAPI_JSON).expect("valid OpenAPI 3.0 structure");
    assert!(doc.openapi.starts_with("3.0."), "version {}", doc.openapi);
    let spec = spec();

    let refs = cloudflare_ssl::toolkit::refs(&spec, "#");
    let keys = cloudflare_ssl::OPENAPI_JSON.matches("\"$ref\":").count();
    assert_eq!(
        keys,
        refs.len(),
        "a $ref that is not a string (or inside an example)"
    );
    for (at, target) in &refs {
        assert!(
            target.starts_with("#/") && cloudflare_ssl::toolkit::target(&spec, target).is_some(),
            "{at}: $ref {target} does not resolve"
        );
    }
    let count = refs.len();
    assert!(count > 50, "only {count} $refs found");

    // Every operation: unique operationId, tags, a 200 with a named schema, 4XX and 5XX failures.
    let mut ids = std::collections::BTreeSet::new();
    for (method, path, op) in operations(&spec) {
        let id = op["operationId"].as_str().expect("operationId");
        assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
        assert!(
            !op["tags"].as_array().expect("tags").is_empty(),
            "{id}: no tag"
        );
        for code in ["4XX", "5XX"] {
            let failure = resolve(&spec, &op["responses"][code]);
            assert_eq!(
                schema_name(&failure["content"]["application/json"]["schema"]),
                "ErrorEnvelope",
                "{method} {path} {code}"
            );
        }
        let ok = resolve(&spec, &op["responses"]["200"]);
        schema_name(&ok["content"]["application/json"]["schema"]);
    }
    // Security: token, email + global key, user service key.
    let schemes = spec["components"]["securitySchemes"]
        .as_object()
        .expect("schemes");
    assert_eq!(schemes["api_token"]["scheme"], "bearer");
    assert_eq!(schemes["api_email"]["name"], "X-Auth-Email");
    assert_eq!(schemes["api_key"]["name"], "X-Auth-Key");
    assert_eq!(
        schemes["user_service_key"]["name"],
        "X-Auth-User-Service-Key"
    );
    assert_eq!(
        spec["servers"][0]["url"],
        "https://api.cloudflare.com/client/v4"
    );
}

#[test]
fn display_honours_width_and_alignment() {
    use cloudflare_ssl::types::{CertificatePackStatus, Identifier};
    assert_eq!(
        format!("[{:<8}]", CertificatePackStatus::Active),
        "[active  ]"
    );
    assert_eq!(
        format!("[{:>8}]", CertificatePackStatus::Active),
        "[  active]"
    );
    let id: Identifier = serde_json::from_str("\"abc\"").expect("id");
    assert_eq!(format!("[{id:^5}]"), "[ abc ]");
    assert_eq!(
        format!("[{:<25}]", cloudflare_ssl::Operation::GetCertificatePack),
        "[get_certificate_pack     ]"
    );
}

#[test]
fn open_enums_and_hosts_compare_with_plain_strings() {
    let pack: types::CertificatePack = serde_json::from_value(serde_json::json!({
        "id": "a", "certificates": [], "hosts": ["example.com", "www.example.com"],
        "status": "active", "type": "advanced"
    }))
    .expect("decode");
    assert!(pack.status == "active");
    assert!(pack.status != "expired");
    assert!(pack.type_ == *"advanced");
    assert!(pack.hosts.contains("www.example.com"));
    assert!(!pack.hosts.contains("example.org"));
    assert!(pack.hosts.0[0] == "example.com");
    let unknown = types::CertificatePackStatus::from_wire("revalidating");
    assert!(unknown == "revalidating" && !unknown.is_known());
}

#[test]
fn request_only_enums_are_open_and_parse_with_the_valid_values_listed() {
    // Every enum of the document is open, so a response that starts returning one later does
    // not change its type; parsing user input stays strict and says what is allowed.
    let err = "fastest"
        .parse::<types::BundleMethod>()
        .expect_err("not a bundle method");
    let text = err.to_string();
    for value in ["ubiquitous", "optimal", "force"] {
        assert!(text.contains(value), "{text}");
    }
    assert!(text.contains("fastest"), "{text}");
    assert_eq!(
        "optimal".parse::<types::BundleMethod>().expect("valid"),
        types::BundleMethod::Optimal
    );
    assert!(!types::CertificatePackListStatus::from_wire("some").is_known());
}
