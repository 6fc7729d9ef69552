//! The fuzz targets' corpora as ordinary tests (stable Rust, no sanitizer): every seed in
//! `fuzz/seeds/<target>/` and every input that ever crashed a target, kept in
//! `tests/fuzz_regressions/<target>/`, runs through the very code the target runs (the files of
//! `fuzz/src/` are included here by path). Each crash also has a focused test below that names
//! what went wrong.
//!
//! The seeds are made from the examples of the curated OpenAPI document; after changing the
//! document, refresh them with `UPDATE_FUZZ_SEEDS=1 cargo test --test fuzz_regressions`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::Value;

#[allow(dead_code)]
#[path = "../fuzz/src/client_response.rs"]
mod client_response;
#[allow(dead_code)]
#[path = "../fuzz/src/decode_responses.rs"]
mod decode_responses;
#[allow(dead_code)]
#[path = "../fuzz/src/public_helpers.rs"]
mod public_helpers;

#[path = "../fuzz/src/path_ids.rs"]
mod path_ids;

const TARGETS: [&str; 4] = [
    "decode_responses",
    "client_response",
    "public_helpers",
    "path_ids",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(target: &str, data: &[u8]) {
    match target {
        "decode_responses" => decode_responses::run(data),
        "client_response" => client_response::run(data),
        "public_helpers" => public_helpers::run(data),
        "path_ids" => path_ids::run(data),
        other => panic!("unknown fuzz target {other}"),
    }
}

/// Every file of a directory (none if it does not exist), sorted by name.
fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("readable input"))
        })
        .collect();
    files.sort();
    files
}

// ---------------------------------------------------------------------------------------------
// Seeds from the document's examples.

fn spec() -> Value {
    serde_json::from_str(cloudflare_ssl::OPENAPI_JSON).expect("the embedded document is JSON")
}

/// `operationId` → the example of its 200 response: the document's, or (for an operation
/// imported without one) the body the mock builds from its schema.
fn response_examples(spec: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for item in spec["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("path item").values() {
            let id = op["operationId"].as_str().expect("operationId").to_owned();
            let example = op
                .pointer("/responses/200/content/application~1json/example")
                .cloned()
                .or_else(|| cloudflare_ssl_mock::document_answer(&id))
                .unwrap_or_else(|| panic!("{id}: the 200 response has no example and no schema"));
            out.push((id, example));
        }
    }
    out
}

fn failure_example(spec: &Value) -> Value {
    spec.pointer("/components/responses/Failure/content/application~1json/example")
        .expect("the Failure response has an example")
        .clone()
}

/// Every string `example` under `components/schemas`, deduplicated.
fn string_examples(spec: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(s)) = map.get("example") {
                    out.insert(s.clone());
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = std::collections::BTreeSet::new();
    walk(&spec["components"]["schemas"], &mut out);
    out.into_iter().collect()
}

fn json(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("JSON")
}

/// A length-prefixed byte string, as `public_helpers`' reader takes it.
fn slice(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = bytes.len().min(255);
    out.push(len as u8);
    out.extend_from_slice(&bytes[..len]);
}

/// A `public_helpers` input: Retry-After forms, the default retry policy, an environment (names
/// in the order the target reads them) and a text for identifiers, hosts and enums.
fn helpers_input(
    retry_after: &str,
    retry_after_ms: &str,
    env: [Option<&str>; 5],
    build: bool,
    text: &str,
) -> Vec<u8> {
    let mut out = Vec::new();
    slice(&mut out, retry_after.as_bytes());
    slice(&mut out, retry_after_ms.as_bytes());
    out.extend_from_slice(&(1_445_412_480u64 << 24).to_le_bytes()); // 2015-10-21 07:28:00
    out.extend_from_slice(&2u32.to_le_bytes());
    for (secs, nanos) in [(0u64, 500_000_000u32), (8, 0)] {
        out.extend_from_slice(&secs.to_le_bytes());
        out.extend_from_slice(&nanos.to_le_bytes());
    }
    out.extend_from_slice(&0.25f64.to_bits().to_le_bytes());
    out.extend_from_slice(&60u64.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // attempt
    out.extend_from_slice(&0.5f64.to_bits().to_le_bytes());
    out.extend_from_slice(&429u16.to_le_bytes());
    let mut present = 0u8;
    for (i, value) in env.iter().enumerate() {
        if value.is_some() {
            present |= 1 << i;
        }
    }
    if build {
        present |= 0xE0;
    }
    out.push(present);
    for value in env.into_iter().flatten() {
        slice(&mut out, value.as_bytes());
    }
    slice(&mut out, text.as_bytes());
    out.extend_from_slice(&90u64.to_le_bytes());
    out
}

/// Every seed of every target, by target and file name.
fn expected_seeds() -> BTreeMap<&'static str, BTreeMap<String, Vec<u8>>> {
    let spec = spec();
    let examples = response_examples(&spec);
    assert_eq!(
        examples.len(),
        cloudflare_ssl::Operation::ALL.len(),
        "one seed per operation of the document"
    );
    let failure = failure_example(&spec);
    let mut seeds: BTreeMap<&'static str, BTreeMap<String, Vec<u8>>> = BTreeMap::new();

    // The selector byte of an operation: its index in `Operation::ALL`.
    let index = |id: &str| -> u8 {
        cloudflare_ssl::Operation::from_operation_id(id)
            .and_then(decode_responses::selector)
            .unwrap_or_else(|| panic!("{id} is not an operation of the generated `Operation`"))
    };
    let decode = seeds.entry("decode_responses").or_default();
    for (id, example) in &examples {
        let i = index(id);
        let mut input = vec![i];
        input.extend(json(example));
        decode.insert(format!("{i:02}-{id}.json"), input);
    }
    let error = u8::try_from(decode_responses::ERROR_ENVELOPE).expect("fewer than 255 operations");
    let mut input = vec![error];
    input.extend(json(&failure));
    decode.insert(format!("{error:02}-error_envelope.json"), input);

    let client = seeds.entry("client_response").or_default();
    for (id, example) in &examples {
        let i = index(id);
        // 200, `content-type: application/json`, the example.
        let mut input = vec![i, 0, 0x10];
        input.extend(json(example));
        client.insert(format!("{i:02}-{id}-200"), input);
        // 429 with Retry-After and cf-ray, the failure example.
        let mut input = vec![i, 12, 0b1_1010];
        slice(&mut input, b"7");
        slice(&mut input, b"8c0ffee0000-SJC");
        input.extend(json(&failure));
        client.insert(format!("{i:02}-{id}-429"), input);
        // Cloudflare's HTML error page.
        let mut input = vec![i, 14, 0b1];
        slice(&mut input, b"text/html; charset=UTF-8");
        input.extend_from_slice(
            b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>\
              <body><h1>503</h1><p>cloudflare</p></body></html>",
        );
        client.insert(format!("{i:02}-{id}-html"), input);
    }

    let helpers = seeds.entry("public_helpers").or_default();
    helpers.insert(
        "retry-after-seconds".into(),
        helpers_input("120", "", [None; 5], false, ""),
    );
    helpers.insert(
        "retry-after-date".into(),
        helpers_input("Wed, 21 Oct 2015 07:28:30 GMT", "250", [None; 5], false, ""),
    );
    helpers.insert(
        "env-token".into(),
        helpers_input(
            "",
            "",
            [
                Some("token"),
                None,
                None,
                None,
                Some("http://127.0.0.1:8787/client/v4"),
            ],
            true,
            "",
        ),
    );
    helpers.insert(
        "env-api-key".into(),
        helpers_input(
            "",
            "",
            [None, Some("key"), Some("me@example.com"), None, None],
            true,
            "",
        ),
    );
    helpers.insert(
        "env-service-key".into(),
        helpers_input("", "", [None, None, None, Some("v1.0-key"), None], true, ""),
    );
    for (i, text) in string_examples(&spec).iter().enumerate() {
        helpers.insert(
            format!("example-{i:02}"),
            helpers_input("", "", [None; 5], false, text),
        );
    }
    helpers.insert(
        "hosts".into(),
        helpers_input("", "", [None; 5], false, "example.com\n*.example.com"),
    );

    // `[zone id length] [zone id] [pack id]`: ids from the document, and traversal attempts.
    let ids = seeds.entry("path_ids").or_default();
    let zone = "023e105f4ecef8ad9ca31a8372d0c353";
    for (name, zone_id, pack_id) in [
        ("valid", zone, "3822ff90-ea29-44df-9e55-21300bb9419b"),
        ("backslashes", zone, "..\\..\\user\\tokens"),
        ("dot-dot", "..", ".."),
        ("encoded-dots", "%2e%2e", "%2e%2e%2fuser"),
        ("unicode-dots", "\u{ff0e}\u{ff0e}", "a\u{2024}b"),
    ] {
        let mut input = vec![u8::try_from(zone_id.len()).expect("short")];
        input.extend_from_slice(zone_id.as_bytes());
        input.extend_from_slice(pack_id.as_bytes());
        ids.insert(name.into(), input);
    }
    seeds
}

#[test]
fn seeds_are_the_documents_examples() {
    let update = std::env::var_os("UPDATE_FUZZ_SEEDS").is_some();
    let mut stale = Vec::new();
    for (target, files) in expected_seeds() {
        let dir = root().join("fuzz/seeds").join(target);
        if update {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("create seed directory");
        }
        let present: BTreeMap<String, Vec<u8>> = inputs(&dir).into_iter().collect();
        for (name, bytes) in &files {
            if update {
                std::fs::write(dir.join(name), bytes).expect("write seed");
            } else if present.get(name) != Some(bytes) {
                stale.push(format!("{target}/{name}"));
            }
        }
        if !update {
            for name in present.keys().filter(|n| !files.contains_key(*n)) {
                stale.push(format!("{target}/{name} (no longer generated)"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "fuzz/seeds is out of date with the document ({stale:?}): run \
         `UPDATE_FUZZ_SEEDS=1 cargo test --test fuzz_regressions`"
    );
}

#[test]
fn every_seed_and_past_crash_passes_its_target() {
    let mut count = 0;
    for target in TARGETS {
        for dir in [
            root().join("fuzz/seeds").join(target),
            root().join("tests/fuzz_regressions").join(target),
        ] {
            for (name, data) in inputs(&dir) {
                let outcome = std::panic::catch_unwind(|| run(target, &data));
                assert!(
                    outcome.is_ok(),
                    "{target}: {} failed",
                    dir.join(name).display()
                );
                count += 1;
            }
        }
    }
    assert!(count >= 60, "only {count} inputs found");
}

#[test]
fn every_decode_seed_decodes() {
    // The seeds are valid responses: they must not merely "not crash" but decode.
    let dir = root().join("fuzz/seeds/decode_responses");
    for (name, data) in inputs(&dir) {
        let body = &data[1..];
        // Each as the type its selector picks (the operation's 200 response, or the error
        // envelope after the operations).
        let ok = match cloudflare_ssl::Operation::ALL.get(usize::from(data[0])) {
            Some(op) => op.visit_response(Decodes(body)),
            None => serde_json::from_slice::<cloudflare_ssl::types::ErrorEnvelope>(body).is_ok(),
        };
        assert!(ok, "{name}");
    }
}

/// Whether a body decodes as the visited type.
struct Decodes<'a>(&'a [u8]);

impl cloudflare_ssl::ResponseVisitor for Decodes<'_> {
    type Output = bool;
    fn visit<T: serde::de::DeserializeOwned>(self) -> bool {
        serde_json::from_slice::<T>(self.0).is_ok()
    }
}

// ---------------------------------------------------------------------------------------------
// Focused regressions, one per crash the fuzzers found.

/// `public_helpers` (crash-277073f4…): `RetryPolicy::delay_for_attempt` with a NaN `random`
/// (or a policy built with `jitter(NaN)`) panicked in `Duration::mul_f64`: `f64::clamp` lets
/// NaN through. NaN now counts as 0.
#[test]
fn nan_jitter_or_random_does_not_panic() {
    let policy = cloudflare_ssl::RetryPolicy::default();
    assert_eq!(
        policy.delay_for_attempt(1, f64::NAN),
        Duration::from_millis(500)
    );
    let policy = policy.jitter(f64::NAN);
    assert_eq!(policy.delay_for_attempt(2, 0.5), Duration::from_secs(1));
    for random in [f64::INFINITY, f64::NEG_INFINITY, -1.0, 2.0] {
        let d = cloudflare_ssl::RetryPolicy::default().delay_for_attempt(1, random);
        assert!(d <= Duration::from_millis(500), "{random}: {d:?}");
    }
}

/// `public_helpers` (crash-dbf8b76e…, after the NaN fix): with delays near `Duration::MAX`
/// (`initial_delay` and `max_delay` of ~u64::MAX seconds), `mul_f64` panicked even for a factor
/// of 1: `as_secs_f64` rounds u64::MAX seconds up to 2^64. The delay now saturates.
#[test]
fn huge_retry_delays_do_not_panic() {
    let policy = cloudflare_ssl::RetryPolicy::default()
        .initial_delay(Duration::MAX)
        .max_delay(Duration::MAX);
    for random in [0.0, 0.5, 0.999] {
        let d = policy.delay_for_attempt(3, random);
        assert!(d >= Duration::MAX.mul_f64(0.7), "{random}: {d:?}");
    }
    assert_eq!(policy.jitter(0.0).delay_for_attempt(1, 0.0), Duration::MAX);
}

/// Found while writing the `public_helpers` and `client_response` harnesses, before the
/// fuzzer got there (the same input class it explores: any `retry-after-ms` value a response
/// carries): a huge `retry-after-ms` (any finite number above ~1.8e22) overflowed
/// `Duration::from_secs_f64` and panicked while reading the headers of a 429 — a server could
/// crash the client. It is now capped like the seconds form.
#[test]
fn huge_retry_after_ms_does_not_panic() {
    use reqwest::header::{HeaderMap, HeaderValue};
    let mut headers = HeaderMap::new();
    // Written out in digits (an exponent is not a delay the header defines, and is ignored).
    let huge = format!("1{}", "0".repeat(300));
    headers.insert(
        "retry-after-ms",
        HeaderValue::from_str(&huge).expect("header"),
    );
    let delay = cloudflare_ssl::retry_after(&headers, SystemTime::now()).expect("a delay");
    assert_eq!(delay, Duration::from_secs(1_000_000_000));
    headers.insert("retry-after-ms", HeaderValue::from_static("1e300"));
    assert_eq!(
        cloudflare_ssl::retry_after(&headers, SystemTime::now()),
        None
    );
}

/// Found by review while fuzzing (the polling loop needs a server, so no target reaches it):
/// growing the poll interval with `Duration::mul_f64` panicked on overflow, e.g. with
/// `interval(Duration::MAX)` or a huge `backoff`. It now saturates at `max_interval`.
#[tokio::test]
async fn a_huge_poll_interval_or_backoff_does_not_panic() {
    use cloudflare_ssl::{Error, WaitOptions};
    use cloudflare_ssl_mock::{MockServer, DEFAULT_ZONE_ID};

    let mock = MockServer::start().await;
    let client = cloudflare_ssl::Client::builder()
        .api_token(mock.token())
        .base_url(mock.base_url())
        .build()
        .expect("client");
    let zone = client.zone(DEFAULT_ZONE_ID).expect("zone");
    let packs = zone.certificate_packs();
    let pack = packs
        .list()
        .send()
        .await
        .expect("list")
        .items
        .into_iter()
        .next()
        .expect("a seeded pack");
    for options in [
        WaitOptions::default().interval(Duration::MAX),
        WaitOptions::default()
            .interval(Duration::from_millis(1))
            .backoff(1e300),
    ] {
        let options = options
            .max_interval(Duration::MAX)
            .deadline(Duration::from_millis(30));
        // Never done: polls until the deadline, growing the interval each time.
        let err = packs
            .wait_for(&pack.id, options, |_| false)
            .await
            .expect_err("deadline");
        assert!(matches!(err, Error::WaitTimeout { .. }), "{err:?}");
    }
}

/// `decode_responses` (crash-1ddce47c…): a list response whose pack carried an unknown field
/// with a 126-digit integer decoded, re-encoded, and decoded back *different*: serde_json's
/// default float parser is not exact for long literals, so the `f64` kept in `extra` drifted by
/// an ulp between the two parses. The crate now enables serde_json's `float_roundtrip`.
///
/// In this test binary the feature is on anyway (the mock's jsonschema enables it, and the
/// mock is a dev-dependency), which is why the fuzzer — building the library alone — saw what
/// the tests could not. So this also checks that the crate's own dependency asks for it.
#[test]
fn long_numbers_survive_a_round_trip() {
    let long = format!("1{}", "4222222222".repeat(12));
    let body = format!(
        r#"{{"errors":[],"messages":[],"success":true,"result":[],
            "result_info":{{"count":{long},"total_count":0.1000000000000000055511151231257827}},
            "x_extra":{long}.5e-3}}"#
    );
    let first: cloudflare_ssl::types::CertificatePackListResponse =
        serde_json::from_str(&body).expect("decodes");
    let again: cloudflare_ssl::types::CertificatePackListResponse =
        serde_json::from_slice(&serde_json::to_vec(&first).expect("encodes")).expect("decodes");
    assert_eq!(first, again);

    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    let dependencies = &manifest[manifest.find("[dependencies]").expect("[dependencies]")..];
    let line = dependencies
        .lines()
        .find(|l| l.starts_with("serde_json"))
        .expect("serde_json is a dependency");
    assert!(line.contains("float_roundtrip"), "{line}");
}
