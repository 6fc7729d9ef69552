//! The tolerant reader of the generated response types, on drifted-but-plausible responses.
//!
//! `tests/fixtures/drifted/<operationId>/<case>.json` holds, for every operation, bodies shaped
//! like Cloudflare's 2024 OpenAPI document or like what Go services send (`null` for empty
//! lists, integral floats, messages without a code, fields the seeds mark required left out).
//! Each one is decoded twice: into the operation's generated response type, and through the
//! client end to end (a small HTTP server on 127.0.0.1 serves it).
//!
//! Case names say what must happen:
//! * `reject_*`: a required value is `null` or missing: a decode error naming the JSON path
//!   listed in [`REJECTED`];
//! * `failure_*`: a failure envelope, served with HTTP 400: an API error;
//! * anything else: decodes.
//!
//! Besides these hand-written cases, every operation of `Operation::ALL` gets derived cases
//! ([`derived_fixtures`]): the body the mock answers with (the document's example of its 200
//! response, or one built from its schema), as it is and with generic drift applied along the
//! response schema: an unknown field in every object, an unknown value for every string enum,
//! `null` for every optional property. They are named `derived_*`, must decode and re-encode what
//! came in, and need no file: an operation added to the document is covered without an edit here.
//!
//! The same bodies are fuzzing seeds: `fuzz/seeds/drifted/<target>/`, kept in sync by
//! [`drifted_fuzz_seeds_match_the_fixtures`] (`UPDATE_FUZZ_SEEDS=1` rewrites them).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use cloudflare_ssl::types;
use cloudflare_ssl::{Client, Operation};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::net::TcpListener;

#[allow(dead_code)]
#[path = "../fuzz/src/decode_responses.rs"]
mod decode_responses;

const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const PACK: &str = "3822ff90ea2944df9e5521300bb9419b";

/// `(operation, case) -> (JSON path, words of the message)` of every case that must fail.
const REJECTED: &[(&str, &str, &str, &str)] = &[
    (
        "list_certificate_packs",
        "reject_null_id",
        "result[1].id",
        "null",
    ),
    (
        "list_certificate_packs",
        "reject_missing_status",
        "result[0]",
        "missing field `status`",
    ),
    (
        "get_certificate_pack",
        "reject_null_id",
        "result.id",
        "null",
    ),
    (
        "get_certificate_pack_quota",
        "reject_fractional",
        "result.advanced.allocated",
        "10.5",
    ),
    (
        "get_ssl_recommendation",
        "reject_missing_value",
        "result",
        "missing field `value`",
    ),
    (
        "get_certificate_pack",
        "reject_unreadable_expiry",
        "result.certificates[0].expires_on",
        "next March",
    ),
    (
        "get_automatic_ssl_mode",
        "reject_result_null",
        "result",
        "null",
    ),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Fixture {
    operation: String,
    case: String,
    body: Vec<u8>,
}

impl Fixture {
    fn name(&self) -> String {
        format!("{}/{}", self.operation, self.case)
    }

    fn rejected(&self) -> Option<(&'static str, &'static str)> {
        REJECTED
            .iter()
            .find(|(op, case, _, _)| *op == self.operation && *case == self.case)
            .map(|(_, _, path, words)| (*path, *words))
    }

    fn is_failure(&self) -> bool {
        self.case.starts_with("failure_")
    }
}

fn fixtures() -> Vec<Fixture> {
    let dir = root().join("tests/fixtures/drifted");
    let mut out = Vec::new();
    for op in std::fs::read_dir(&dir).expect("tests/fixtures/drifted") {
        let op = op.expect("entry").path();
        for case in std::fs::read_dir(&op).expect("operation directory") {
            let case = case.expect("entry").path();
            out.push(Fixture {
                operation: file_name(&op),
                case: file_name(&case).trim_end_matches(".json").to_owned(),
                body: std::fs::read(&case).expect("fixture"),
            });
        }
    }
    out.extend(derived_fixtures());
    out.sort_by_key(Fixture::name);
    out
}

/// The embedded document (JSON).
fn document() -> Value {
    serde_json::from_str(cloudflare_ssl::OPENAPI_JSON).expect("the document is JSON")
}

/// Follows `$ref`s and one-element `allOf`s.
fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..16 {
        if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
            schema = doc
                .pointer(target.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("unresolved {target}"));
        } else if let Some([only]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            schema = only;
        } else {
            break;
        }
    }
    schema
}

/// The schema of the operation's 200 JSON body.
fn response_schema(doc: &Value, op: Operation) -> &Value {
    let pointer = format!(
        "/paths/{}/{}/responses/200",
        op.path().replace('~', "~0").replace('/', "~1"),
        op.method().to_ascii_lowercase()
    );
    let response = resolve(doc, doc.pointer(&pointer).expect("a 200 response"));
    &response["content"]["application/json"]["schema"]
}

/// The generic drift applied to a body along its schema.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Drift {
    /// A field the document does not know, in every object.
    UnknownFields,
    /// A value the document does not list, for every string enum.
    UnknownEnumValues,
    /// `null` for every optional property.
    Nulls,
}

const UNKNOWN_FIELD: &str = "drifted_field_from_the_future";
const UNKNOWN_VALUE: &str = "drifted_value_from_the_future";

/// Applies `kind` to `value` along `schema`. On the envelope (`top`), `result` is never nulled: a
/// success without a result is an error for the client (see the `reject_result_null` cases).
fn drift(doc: &Value, schema: &Value, value: &mut Value, kind: Drift, top: bool) {
    let schema = resolve(doc, schema);
    match value {
        Value::Object(map) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (key, child) in map.iter_mut() {
                let Some(child_schema) = properties.and_then(|p| p.get(key)) else {
                    continue;
                };
                let keep = top && key == "result";
                if kind == Drift::Nulls && !required.contains(&key.as_str()) && !keep {
                    *child = Value::Null;
                } else {
                    drift(doc, child_schema, child, kind, false);
                }
            }
            if kind == Drift::UnknownFields {
                map.insert(
                    UNKNOWN_FIELD.to_owned(),
                    serde_json::json!({"nested": [1, "two", null], "flag": true}),
                );
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    drift(doc, item_schema, item, kind, false);
                }
            }
        }
        Value::String(s) => {
            let is_enum = schema
                .get("enum")
                .and_then(Value::as_array)
                .is_some_and(|values| values.iter().all(Value::is_string));
            if kind == Drift::UnknownEnumValues && is_enum {
                *s = UNKNOWN_VALUE.to_owned();
            }
        }
        _ => {}
    }
}

/// For every operation: the body the mock answers with, and each generic drift of it that
/// changes something.
fn derived_fixtures() -> Vec<Fixture> {
    let doc = document();
    let mut out = Vec::new();
    for &op in Operation::ALL {
        let Some(base) = cloudflare_ssl_mock::document_answer(op.operation_id()) else {
            continue;
        };
        let schema = response_schema(&doc, op);
        let mut cases = vec![("derived_example", base.clone())];
        for (name, kind) in [
            ("derived_unknown_fields", Drift::UnknownFields),
            ("derived_unknown_enum_values", Drift::UnknownEnumValues),
            ("derived_optional_nulls", Drift::Nulls),
        ] {
            let mut body = base.clone();
            drift(&doc, schema, &mut body, kind, true);
            if body != base {
                cases.push((name, body));
            }
        }
        for (case, body) in cases {
            out.push(Fixture {
                operation: op.operation_id().to_owned(),
                case: case.to_owned(),
                body: serde_json::to_vec_pretty(&body).expect("encode"),
            });
        }
    }
    out
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned()
}

/// Decodes with the JSON path of a failure, as the client reports it.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        // serde_json appends the position; the path is what matters here.
        let message = e.inner().to_string();
        let message = message.split(" at line ").next().unwrap_or_default();
        format!("{}: {message}", e.path())
    })
}

/// Decodes a fixture into its operation's generated response type, and re-encodes it.
fn decode_fixture(f: &Fixture) -> Result<Value, String> {
    fn check<T: DeserializeOwned + serde::Serialize>(body: &[u8]) -> Result<Value, String> {
        decode::<T>(body).map(|v| serde_json::to_value(v).expect("a decoded value encodes"))
    }
    if f.is_failure() {
        return check::<types::ErrorEnvelope>(&f.body);
    }
    // The operation's 200 response type, through the generated dispatch.
    struct Check<'a>(&'a [u8]);
    impl cloudflare_ssl::ResponseVisitor for Check<'_> {
        type Output = Result<Value, String>;
        fn visit<T: DeserializeOwned + serde::Serialize>(self) -> Self::Output {
            check::<T>(self.0)
        }
    }
    match Operation::from_operation_id(&f.operation) {
        Some(op) => op.visit_response(Check(&f.body)),
        None => panic!("fixture for unknown operation {}", f.operation),
    }
}

#[test]
fn every_operation_has_drifted_fixtures() {
    let fixtures = fixtures();
    for &op in Operation::ALL {
        let accepted = fixtures
            .iter()
            .filter(|f| f.operation == op.operation_id() && f.rejected().is_none())
            .count();
        assert!(accepted > 0, "no drifted fixture that decodes for {op}");
        let derived = fixtures
            .iter()
            .filter(|f| f.operation == op.operation_id() && f.case.starts_with("derived_"))
            .count();
        assert!(derived >= 2, "{op}: only {derived} derived cases");
    }
    for f in &fixtures {
        assert!(
            Operation::from_operation_id(&f.operation).is_some(),
            "{}: not an operation",
            f.name()
        );
        assert!(
            !f.case.starts_with("reject_") || f.rejected().is_some(),
            "{}: a reject case needs its expected path in REJECTED",
            f.name()
        );
    }
    for (op, case, _, _) in REJECTED {
        assert!(
            fixtures
                .iter()
                .any(|f| f.operation == *op && f.case == *case),
            "REJECTED lists {op}/{case}, which has no fixture"
        );
    }
}

#[test]
fn drifted_fixtures_decode_into_the_generated_types() {
    for f in fixtures() {
        match (decode_fixture(&f), f.rejected()) {
            (Ok(_), None) => {}
            (Err(e), None) => panic!("{}: must decode: {e}", f.name()),
            (Ok(_), Some(_)) => panic!("{}: must not decode", f.name()),
            (Err(e), Some((path, words))) => {
                assert!(
                    e.starts_with(&format!("{path}: ")) && e.contains(words),
                    "{}: expected an error at `{path}` mentioning `{words}`, got `{e}`",
                    f.name()
                );
            }
        }
    }
}

/// Whether `out` (a decoded value, re-encoded) says what `input` said and nothing more, apart
/// from the documented normalisations: `null` re-encodes as absent (and an absent required
/// `nullable` value as `null`), a `null` or absent list as `[]`, an integral float as an integer, a date as RFC 3339, and a bare string that the
/// document lets stand for an object (`x-lenient-string`) as that object with one property.
fn says_the_same(input: Option<&Value>, out: &Value, at: &str) -> Result<(), String> {
    let input = match input {
        None | Some(Value::Null) if out == &Value::Array(Vec::new()) => return Ok(()),
        // A required `nullable` property (the error envelope's `result`) that was left out
        // re-encodes as the `null` the document requires.
        None if out.is_null() => return Ok(()),
        None => {
            return Err(format!(
                "{at}: {out} was invented (the server sent nothing)"
            ))
        }
        Some(v) => v,
    };
    match (input, out) {
        (i, o) if i == o => Ok(()),
        (Value::Object(i), Value::Object(o)) => {
            for (k, v) in o {
                says_the_same(i.get(k), v, &format!("{at}.{k}"))?;
            }
            match i.iter().find(|(k, v)| !o.contains_key(*k) && !v.is_null()) {
                Some((k, v)) => Err(format!("{at}.{k}: {v} was lost")),
                None => Ok(()),
            }
        }
        (Value::Array(i), Value::Array(o)) if i.len() == o.len() => i
            .iter()
            .zip(o)
            .enumerate()
            .try_for_each(|(n, (i, o))| says_the_same(Some(i), o, &format!("{at}[{n}]"))),
        (Value::Number(i), Value::Number(o)) if i.as_f64() == o.as_f64() => Ok(()),
        (Value::String(i), Value::String(o)) if i == o || same_instant(i, o) => Ok(()),
        (Value::String(_), Value::Object(o)) if o.len() == 1 && o.get("value") == Some(input) => {
            Ok(())
        }
        _ => Err(format!("{at}: sent {input}, re-encoded as {out}")),
    }
}

fn same_instant(a: &str, b: &str) -> bool {
    let rfc = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    let go = |s: &str| {
        let s = s.strip_suffix(" UTC").unwrap_or(s);
        chrono::DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f %z")
            .or_else(|_| chrono::DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z"))
            .ok()
    };
    matches!((rfc(a).or_else(|| go(a)), rfc(b)), (Some(x), Some(y)) if x == y)
}

#[test]
fn tolerant_cases_re_encode_what_came_in() {
    let mut checked = 0;
    for f in fixtures() {
        let Ok(out) = decode_fixture(&f) else {
            continue;
        };
        let input: Value = serde_json::from_slice(&f.body).expect("fixture is JSON");
        if let Err(e) = says_the_same(Some(&input), &out, "") {
            panic!("{}: {e}", f.name());
        }
        checked += 1;
    }
    let decodable = fixtures().iter().filter(|f| f.rejected().is_none()).count();
    assert_eq!(checked, decodable, "every decodable fixture was compared");
}

#[test]
fn nulled_and_missing_hosts_decode_as_empty() {
    let page: types::CertificatePackListResponse =
        decode(&body("list_certificate_packs", "hosts_null")).expect("decode");
    let pack = &page.result[0];
    assert!(pack.hosts.is_empty());
    assert!(pack.certificates.iter().all(|c| c.hosts.is_empty()));
    assert_eq!(pack.id.as_str(), "0000000000000000000000003822ff90");
}

#[test]
fn go_timestamps_decode_and_unreadable_dates_fail() {
    let reply: types::CertificatePackResponse =
        decode(&body("get_certificate_pack", "go_timestamps")).expect("decode");
    let pack = reply.result.expect("result");
    let cert = &pack.certificates[0];
    let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().expect("time");
    assert_eq!(cert.expires_on, Some(at("2025-03-01T12:00:00.5Z")));
    assert_eq!(cert.modified_on, Some(at("2024-12-01T12:00:00Z")));
    assert_eq!(cert.uploaded_on, Some(at("2024-12-01T12:00:00.123456789Z")));
    for bad in [
        "2024-13-01 00:00:00 +0000 UTC",
        "2024-01-01 00:00:00 +0000 U1C",
        "1700000000",
    ] {
        let text = format!(r#"{{"id":"a","hosts":[],"status":"active","expires_on":"{bad}"}}"#);
        let e = decode::<types::Certificate>(text.as_bytes()).expect_err(bad);
        assert!(e.starts_with("expires_on: "), "{bad}: {e}");
    }
}

#[test]
fn a_verification_without_its_status_still_names_its_pack() {
    let reply: types::VerificationResponse =
        decode(&body("get_ssl_verification", "missing_certificate_status")).expect("decode");
    let entry = &reply.result[0];
    assert_eq!(entry.certificate_status, None);
    assert_eq!(
        entry.cert_pack_uuid.as_deref(),
        Some("a77f8bd7-3b47-46b4-a6f1-75cf98109948")
    );
}

fn body(op: &str, case: &str) -> Vec<u8> {
    std::fs::read(root().join(format!("tests/fixtures/drifted/{op}/{case}.json"))).expect("fixture")
}

#[test]
fn null_and_absent_lists_decode_as_empty() {
    let page: types::CertificatePackListResponse =
        decode(&body("list_certificate_packs", "go_nulls")).expect("decode");
    assert!(page.errors.is_empty() && page.messages.is_empty());
    let first = &page.result[0];
    assert!(first.validation_records.is_empty());
    assert!(first.validation_errors.is_empty());
    assert!(first.dcv_delegation_records.is_empty());
    assert!(page.result[1].dcv_delegation_records[0].emails.is_empty());
    assert_eq!(
        page.result[1].dcv_delegation_records[0].cname.as_deref(),
        Some("_acme-challenge.example.com")
    );

    let page: types::CertificatePackListResponse =
        decode(&body("list_certificate_packs", "result_null")).expect("decode");
    assert!(page.result.is_empty());
    let verification: types::VerificationResponse =
        decode(&body("get_ssl_verification", "result_null")).expect("decode");
    assert!(verification.result.is_empty());

    // Envelope lists: absent too.
    let deleted: types::CertificatePackDeleteResponse =
        decode(&body("delete_certificate_pack", "envelope_lists_absent")).expect("decode");
    assert!(deleted.errors.is_empty() && deleted.messages.is_empty());
    assert_eq!(
        deleted.result.and_then(|r| r.id).map(|id| id.to_string()),
        Some(PACK.to_owned())
    );
}

#[test]
fn certificates_left_out_by_2024_shaped_replies_decode_as_empty() {
    for (op, case) in [
        ("order_certificate_pack", "upstream_2024"),
        ("order_certificate_pack", "certificates_null"),
        ("edit_certificate_pack", "upstream_2024"),
    ] {
        let reply: types::CertificatePackResponse = decode(&body(op, case)).expect(case);
        let pack = reply.result.expect("result");
        assert!(pack.certificates.is_empty(), "{op}/{case}");
        assert_eq!(pack.id.as_str(), ZONE);
        assert_eq!(pack.validity_days, Some(types::ValidityDays::Days14));
    }
}

#[test]
fn integers_accept_integral_floats_only() {
    let quota: types::QuotaResponse =
        decode(&body("get_certificate_pack_quota", "float_integers")).expect("decode");
    let advanced = quota.result.and_then(|q| q.advanced).expect("advanced");
    assert_eq!((advanced.allocated, advanced.used), (Some(10), Some(3)));

    let page: types::CertificatePackListResponse =
        decode(&body("list_certificate_packs", "float_integers")).expect("decode");
    assert_eq!(page.messages[0].code, Some(10000));
    assert_eq!(
        page.result[0].validity_days,
        Some(types::ValidityDays::Days90)
    );

    let e =
        decode::<types::QuotaResponse>(&body("get_certificate_pack_quota", "reject_fractional"))
            .expect_err("10.5 is not an integer");
    assert_eq!(
        e,
        "result.advanced.allocated: invalid value: floating point `10.5`, expected an integer"
    );
    for bad in ["1e300", "-1.5", "\"10\""] {
        let text = format!(r#"{{"advanced":{{"used":{bad}}}}}"#);
        let e = decode::<types::Quota>(text.as_bytes()).expect_err(bad);
        assert!(e.starts_with("advanced.used: "), "{bad}: {e}");
    }
}

#[test]
fn messages_without_a_code_keep_no_code() {
    let page: types::CertificatePackListResponse =
        decode(&body("list_certificate_packs", "messages_without_code")).expect("decode");
    assert_eq!(page.messages[0].code, None);
    assert_eq!(page.messages[0].message, "This API is deprecated");
    let failure: types::ErrorEnvelope =
        decode(&body("get_certificate_pack", "failure_drifted_envelope")).expect("decode");
    assert_eq!(failure.errors[0].code, None);
    assert!(failure.messages.is_empty() && failure.result.is_none());
    // A message still needs its text.
    assert!(decode::<types::ResponseInfo>(br#"{"code":1000}"#)
        .expect_err("message is required")
        .contains("missing field `message`"));
}

#[test]
fn automatic_mode_and_recommendation_shapes_of_2024() {
    let reply: types::RecommendationResponse =
        decode(&body("get_ssl_recommendation", "upstream_2024_bare_string")).expect("decode");
    assert_eq!(
        reply.result.value,
        types::AutomaticModeValue::Unknown("strict".into())
    );
    assert_eq!(
        (
            reply.result.id,
            reply.result.modified_on,
            reply.result.editable
        ),
        (None, None, None),
        "a bare string says only the value"
    );

    let reply: types::RecommendationResponse =
        decode(&body("get_ssl_recommendation", "upstream_2024_object")).expect("decode");
    assert_eq!(reply.result.editable, None, "absent editable stays absent");
    assert_eq!(
        reply.result.modified_on.as_deref(),
        Some("2014-01-01T05:20:00.12345Z")
    );

    let reply: types::AutomaticModeResponse = decode(&body(
        "get_automatic_ssl_mode",
        "editable_null_modified_absent",
    ))
    .expect("decode");
    assert_eq!(reply.result.value, types::AutomaticModeValue::Auto);
    assert_eq!(
        (reply.result.editable, reply.result.modified_on),
        (None, None)
    );
    assert_eq!(
        reply.result.next_scheduled_scan.as_deref(),
        Some("2014-02-01T05:20:00.12345Z")
    );
}

#[test]
fn required_scalars_still_fail_with_their_path() {
    let e = decode::<types::CertificatePackListResponse>(&body(
        "list_certificate_packs",
        "reject_null_id",
    ))
    .expect_err("null id");
    assert_eq!(e, "result[1].id: invalid type: null, expected a string");
    let e = decode::<types::CertificatePackListResponse>(&body(
        "list_certificate_packs",
        "reject_missing_status",
    ))
    .expect_err("no status");
    assert_eq!(e, "result[0]: missing field `status`");
    // A duplicate key is an error, as with serde's derive.
    let e = decode::<types::Quota>(br#"{"advanced":{"used":1,"used":2}}"#).expect_err("dup");
    assert!(e.contains("duplicate field `used`"), "{e}");
    // Unknown fields are kept, unknown enum values too.
    let pack: types::CertificatePack = decode(
        br#"{"id":"a","certificates":null,"hosts":["a.example"],"status":"quantum","type":"x","new":{"k":[1]}}"#,
    )
    .expect("decode");
    assert_eq!(pack.extra["new"], serde_json::json!({"k": [1]}));
    assert!(!pack.status.is_known());
}

// ---------------------------------------------------------------------------------------------
// End to end, through the client.

/// Serves whatever body is current, as JSON with the given status, for any request.
async fn serve(current: Arc<Mutex<(u16, Vec<u8>)>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let current = current.clone();
            tokio::spawn(async move {
                let service = service_fn(move |_req: Request<hyper::body::Incoming>| {
                    let (status, body) = current.lock().expect("lock").clone();
                    async move {
                        let response = Response::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from(body)))
                            .expect("response");
                        Ok::<_, Infallible>(response)
                    }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    format!("http://{addr}/client/v4")
}

/// Calls the fixture's operation through the client; `Ok` or the error's text.
async fn call(client: &Client, operation: &str) -> Result<(), String> {
    let zone = client.zone(ZONE).map_err(|e| e.to_string())?;
    let packs = zone.certificate_packs();
    let done = |r: Result<(), cloudflare_ssl::Error>| r.map_err(|e| e.to_string());
    match operation {
        "analyze_certificate" => done(zone.analyze_certificate("PEM", None).await.map(drop)),
        "list_certificate_packs" => done(packs.list().send().await.map(drop)),
        "order_certificate_pack" => {
            let order = cloudflare_ssl::OrderRequest::new(
                ["example.com", "*.example.com"],
                types::CertificateAuthority::Google,
                types::CertificatePackValidationMethod::Txt,
                types::ValidityDays::Days14,
            );
            done(packs.order(order).await.map(drop))
        }
        "get_certificate_pack_quota" => done(packs.quota().await.map(drop)),
        "get_certificate_pack" => done(packs.get(PACK).await.map(drop)),
        "edit_certificate_pack" => done(packs.restart_validation(PACK).await.map(drop)),
        "delete_certificate_pack" => done(packs.delete(PACK).await.map(drop)),
        "get_ssl_recommendation" => done(zone.ssl_recommendation().await.map(drop)),
        "get_automatic_ssl_mode" => done(zone.automatic_ssl().get().await.map(drop)),
        "edit_automatic_ssl_mode" => done(
            zone.automatic_ssl()
                .set(types::AutomaticModeValue::Auto)
                .await
                .map(drop),
        ),
        "get_universal_ssl_settings" => done(zone.universal_ssl().get().await.map(drop)),
        "edit_universal_ssl_settings" => {
            done(zone.universal_ssl().set_enabled(true).await.map(drop))
        }
        "get_ssl_verification" => done(zone.verification().get().await.map(drop)),
        "edit_validation_method" => done(
            zone.verification()
                .edit_method(PACK, types::DesiredValidationMethod::Http)
                .await
                .map(drop),
        ),
        "list_zones" => done(client.zones_by_name("example.com").await.map(drop)),
        // An operation with no ergonomic method (yet): the raw request of its path template,
        // with the document's request example as its body.
        other => {
            let op = Operation::from_operation_id(other)
                .unwrap_or_else(|| panic!("{other} is not an operation"));
            let path = op
                .path()
                .replace("{zone_id}", ZONE)
                .replace("{certificate_pack_id}", PACK);
            let method = cloudflare_ssl::Method::from_bytes(op.method().as_bytes())
                .expect("the document's method");
            let mut request = client.request(method, path);
            if let Some(example) = request_example(op) {
                request = request.json(&example);
            }
            done(request.send().await.map(drop))
        }
    }
}

/// The document's example of the operation's request body, if it has one.
fn request_example(op: Operation) -> Option<Value> {
    let pointer = format!(
        "/paths/{}/{}/requestBody/content/application~1json/example",
        op.path().replace('~', "~0").replace('/', "~1"),
        op.method().to_ascii_lowercase()
    );
    document().pointer(&pointer).cloned()
}

#[tokio::test]
async fn drifted_fixtures_through_the_client() {
    let current = Arc::new(Mutex::new((200, Vec::new())));
    let base = serve(current.clone()).await;
    let client = Client::builder()
        .api_token("t")
        .base_url(base.as_str())
        .build()
        .expect("client");
    let mut outcomes = BTreeMap::new();
    for f in fixtures() {
        let status = if f.is_failure() { 400 } else { 200 };
        *current.lock().expect("lock") = (status, f.body.clone());
        let outcome = call(&client, &f.operation).await;
        match (&outcome, f.rejected()) {
            (Ok(()), None) if !f.is_failure() => {}
            (Err(e), None) if f.is_failure() => {
                assert!(
                    e.contains("Certificate pack not found"),
                    "{}: {e}",
                    f.name()
                );
            }
            (Err(e), Some((path, words))) => assert!(
                e.contains(&format!("at `{path}`")) && e.contains(words),
                "{}: expected a decode error at `{path}`, got `{e}`",
                f.name()
            ),
            _ => panic!("{}: unexpected outcome {outcome:?}", f.name()),
        }
        outcomes.insert(f.name(), outcome.is_ok());
    }
    assert!(outcomes.len() >= 30, "only {} fixtures", outcomes.len());
}

// ---------------------------------------------------------------------------------------------
// Fuzzing seeds.

/// The selector byte of `decode_responses` for a fixture: its operation's index, or the error
/// envelope's.
fn selector(f: &Fixture) -> u8 {
    if f.is_failure() {
        return u8::try_from(decode_responses::ERROR_ENVELOPE).expect("fewer than 255 operations");
    }
    Operation::from_operation_id(&f.operation)
        .and_then(decode_responses::selector)
        .unwrap_or_else(|| panic!("{} is not an operation", f.operation))
}

#[test]
fn drifted_fuzz_seeds_match_the_fixtures() {
    let dir = root().join("fuzz/seeds/drifted/decode_responses");
    let update = std::env::var_os("UPDATE_FUZZ_SEEDS").is_some();
    if update {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the seed directory");
    }
    let mut expected = BTreeMap::new();
    for f in fixtures() {
        let mut seed = vec![selector(&f)];
        // One line: libFuzzer's seeds need no pretty printing.
        let value: Value = serde_json::from_slice(&f.body).expect("fixture is JSON");
        seed.extend(serde_json::to_vec(&value).expect("encode"));
        // Every seed also passes the fuzz target's invariants (decode, re-encode, decode equal).
        decode_responses::run(&seed);
        expected.insert(format!("{}-{}.json", f.operation, f.case), seed);
    }
    let mut stale = Vec::new();
    for (name, seed) in &expected {
        if update {
            std::fs::write(dir.join(name), seed).expect("write seed");
        } else if std::fs::read(dir.join(name)).ok().as_ref() != Some(seed) {
            stale.push(name.clone());
        }
    }
    let present = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| file_name(&e.path())))
                .count()
        })
        .unwrap_or(0);
    assert!(
        stale.is_empty() && present == expected.len(),
        "fuzz/seeds/drifted is out of date ({stale:?}, {present} files for {} fixtures): run \
         `UPDATE_FUZZ_SEEDS=1 cargo test -p cloudflare-ssl --test tolerant_reader`",
        expected.len()
    );
}
