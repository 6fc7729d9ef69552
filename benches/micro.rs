//! Micro-benchmarks (criterion): decoding, envelope unwrapping, building a request.
//!
//! ```text
//! cargo bench --bench micro            # everything
//! cargo bench --bench micro -- decode  # one group
//! ```
//!
//! The fixtures in `benches/assets/` are real answers of the crate's mock (`cloudflare-ssl-mock
//! --packs 60`): page 1 of `GET /zones/{zone}/ssl/certificate_packs?per_page=50` (50 packs, each
//! with its certificates and DCV delegation records, ~60 KB) and one `GET` of a pack.
//! `cargo xtask bench` runs this file and reads the medians criterion writes under
//! `target/criterion/`.
//!
//! Groups:
//! * `decode/*`: the 50-pack page into the generated `types::CertificatePackListResponse`
//!   (`typed`), into `serde_json::Value` (`value`, the target is typed ≤ 1.5× value), into a
//!   copy of the generated structs as plain serde-derived structs, without the `extra` maps that
//!   keep unknown fields and without the tolerant reader (`typed_without_extra`: what those
//!   features cost), and into `IgnoredAny` (`lex_only`: the JSON scanner alone).
//! * `envelope/*`: what a call does after the body arrived: decode the typed envelope, check
//!   `success`, move `result` out, convert `messages`/`errors` (the same steps as the crate's
//!   private `unwrap_envelope`), for a list page and for a single pack; and the raw equivalent
//!   (`Value`, then take `result`).
//! * `request/*`: building the `reqwest::Request` of `GET .../certificate_packs/{id}` with its
//!   credentials, without sending it. The crate's transport is private and every generated
//!   `send()` goes to the network, so `build_and_sign` repeats the generated code's steps with
//!   the same public pieces (`progenitor_client::encode_path`, the same headers, `api-version`
//!   removed as the transport does, then the client's default headers, `Authorization: Bearer`
//!   marked sensitive and `User-Agent`, merged as reqwest does at send time); `raw` is a bare
//!   `client.get(url).bearer_auth(token).build()`; `crate_call` is the crate's own public path up
//!   to the first poll: `client.zone(id)`, `certificate_packs().get(id)` (identifier checks, the
//!   generated builder, the boxed future).

use std::hint::black_box;

use cloudflare_ssl::types;
use cloudflare_ssl::{ApiMessage, Client};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, USER_AGENT};
use serde::Deserialize;
use serde_json::Value;

const LIST_PAGE: &[u8] = include_bytes!("assets/certificate_packs_page50.json");
const GET_PACK: &[u8] = include_bytes!("assets/certificate_pack_get.json");
const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const PACK: &str = "9412daa6166c38095bc3b9009acc372c";
const TOKEN: &str = "mock-cloudflare-api-token-0123456789abcdef";
const BASE: &str = "http://127.0.0.1:8787/client/v4";

/// The generated response structs, field for field, as plain derived structs: no `extra` maps,
/// no tolerance.
mod plain {
    use super::*;

    #[allow(dead_code)]
    #[derive(Deserialize)]
    pub struct ListResponse {
        pub errors: Vec<ResponseInfo>,
        pub messages: Vec<ResponseInfo>,
        #[serde(default)]
        pub result: Vec<CertificatePack>,
        pub result_info: Option<ResultInfo>,
        pub success: bool,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    pub struct ResponseInfo {
        pub code: i64,
        pub documentation_url: Option<String>,
        pub message: String,
        pub source: Option<Source>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    pub struct Source {
        pub pointer: Option<String>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    pub struct ResultInfo {
        pub count: Option<f64>,
        pub page: Option<f64>,
        pub per_page: Option<f64>,
        pub total_count: Option<f64>,
        pub total_pages: Option<f64>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    pub struct CertificatePack {
        pub certificate_authority: Option<types::CertificateAuthority>,
        pub certificates: Vec<Certificate>,
        pub cloudflare_branding: Option<bool>,
        #[serde(default)]
        pub dcv_delegation_records: Vec<ValidationRecord>,
        pub hosts: types::Hosts,
        pub id: types::Identifier,
        pub primary_certificate: Option<String>,
        pub status: types::CertificatePackStatus,
        #[serde(rename = "type")]
        pub type_: types::CertificatePackType,
        #[serde(default)]
        pub validation_errors: Vec<ValidationError>,
        pub validation_method: Option<types::CertificatePackValidationMethod>,
        #[serde(default)]
        pub validation_records: Vec<ValidationRecord>,
        pub validity_days: Option<types::ValidityDays>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    pub struct Certificate {
        pub bundle_method: Option<String>,
        pub expires_on: Option<chrono::DateTime<chrono::Utc>>,
        pub geo_restrictions: Option<GeoRestrictions>,
        pub hosts: Vec<String>,
        pub id: String,
        pub issuer: Option<String>,
        pub modified_on: Option<chrono::DateTime<chrono::Utc>>,
        pub priority: Option<f64>,
        pub signature: Option<String>,
        pub status: String,
        pub uploaded_on: Option<chrono::DateTime<chrono::Utc>>,
        pub zone_id: Option<types::Identifier>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    pub struct GeoRestrictions {
        pub label: Option<types::GeoRestrictionsLabel>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    pub struct ValidationError {
        pub message: Option<String>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    pub struct ValidationRecord {
        pub cname: Option<String>,
        pub cname_target: Option<String>,
        #[serde(default)]
        pub emails: Vec<String>,
        pub http_body: Option<String>,
        pub http_url: Option<String>,
        pub status: Option<String>,
        pub txt_name: Option<String>,
        pub txt_value: Option<String>,
    }
}

fn decode(c: &mut Criterion) {
    // Sanity: the fixture is what it claims to be.
    let page: types::CertificatePackListResponse =
        serde_json::from_slice(LIST_PAGE).expect("fixture decodes");
    assert_eq!(page.result.len(), 50);

    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(LIST_PAGE.len() as u64));
    group.bench_function("typed", |b| {
        b.iter(|| {
            serde_json::from_slice::<types::CertificatePackListResponse>(black_box(LIST_PAGE))
                .unwrap()
        })
    });
    group.bench_function("value", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(LIST_PAGE)).unwrap())
    });
    group.bench_function("typed_without_extra", |b| {
        b.iter(|| serde_json::from_slice::<plain::ListResponse>(black_box(LIST_PAGE)).unwrap())
    });
    group.bench_function("lex_only", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(LIST_PAGE)).unwrap())
    });
    group.finish();
}

/// The steps of the crate's `unwrap_envelope` after decoding: check `success`, take `result`,
/// convert `messages` and `errors`.
fn unwrap<R>(
    success: bool,
    result: Option<R>,
    errors: &[types::ResponseInfo],
    messages: &[types::ResponseInfo],
) -> (R, Vec<ApiMessage>, Vec<ApiMessage>) {
    assert!(success);
    let result = result.expect("result");
    let errors = errors.iter().map(ApiMessage::from).collect();
    let messages = messages.iter().map(ApiMessage::from).collect();
    (result, errors, messages)
}

fn envelope(c: &mut Criterion) {
    let mut group = c.benchmark_group("envelope");
    group.bench_function("list_page", |b| {
        b.iter(|| {
            let e: types::CertificatePackListResponse =
                serde_json::from_slice(black_box(LIST_PAGE)).unwrap();
            unwrap(e.success, Some(e.result), &e.errors, &e.messages)
        })
    });
    group.bench_function("get_pack", |b| {
        b.iter(|| {
            let e: types::CertificatePackResponse =
                serde_json::from_slice(black_box(GET_PACK)).unwrap();
            unwrap(e.success, e.result, &e.errors, &e.messages)
        })
    });
    group.bench_function("get_pack_raw_value", |b| {
        b.iter(|| {
            let mut v: Value = serde_json::from_slice(black_box(GET_PACK)).unwrap();
            assert_eq!(v["success"], Value::Bool(true));
            v.as_object_mut().and_then(|o| o.remove("result")).unwrap()
        })
    });
    group.finish();
}

fn request(c: &mut Criterion) {
    let _ = cloudflare_ssl_mock::crypto_provider().install_default();
    let http = reqwest::Client::new();
    // What `ClientBuilder::build` puts in the reqwest client's default headers.
    let mut defaults = HeaderMap::new();
    let mut auth = HeaderValue::from_str(&format!("Bearer {TOKEN}")).unwrap();
    auth.set_sensitive(true);
    defaults.insert(AUTHORIZATION, auth.clone());
    defaults.insert(
        USER_AGENT,
        HeaderValue::from_static(cloudflare_ssl::USER_AGENT),
    );
    let zone = types::Identifier::new(ZONE).unwrap();
    let pack = types::Identifier::new(PACK).unwrap();

    let mut group = c.benchmark_group("request");
    group.bench_function("build_and_sign", |b| {
        // `to_string` then `encode_path`, exactly as the generated `send()` does.
        #[allow(clippy::unnecessary_to_owned)]
        b.iter(|| {
            let url = format!(
                "{}/zones/{}/ssl/certificate_packs/{}",
                black_box(BASE),
                progenitor_client::encode_path(&zone.to_string()),
                progenitor_client::encode_path(&pack.to_string()),
            );
            let mut header_map = HeaderMap::with_capacity(1);
            header_map.append(
                HeaderName::from_static("api-version"),
                HeaderValue::from_static("4"),
            );
            let mut request = http
                .get(url)
                .header(ACCEPT, HeaderValue::from_static("application/json"))
                .headers(header_map)
                .build()
                .unwrap();
            request.headers_mut().remove("api-version");
            for (name, value) in &defaults {
                if !request.headers().contains_key(name) {
                    request.headers_mut().insert(name.clone(), value.clone());
                }
            }
            request
        })
    });
    group.bench_function("raw", |b| {
        b.iter(|| {
            http.get(format!(
                "{}/zones/{ZONE}/ssl/certificate_packs/{PACK}",
                black_box(BASE)
            ))
            .bearer_auth(TOKEN)
            .build()
            .unwrap()
        })
    });
    let client = Client::builder()
        .api_token(TOKEN)
        .base_url(BASE)
        .build()
        .unwrap();
    group.bench_function("crate_call", |b| {
        b.iter(|| {
            let zone = client.zone(black_box(ZONE)).unwrap();
            let call = zone.certificate_packs().get(black_box(PACK));
            black_box(call.operation());
            drop(call);
        })
    });
    group.finish();
}

criterion_group!(benches, decode, envelope, request);
criterion_main!(benches);
