//! The whole client path of every operation against arbitrary HTTP responses: status, headers
//! (`content-type`, `retry-after`, `retry-after-ms`, `cf-ray`) and body come from the input and
//! are served by an in-process HTTP server on 127.0.0.1. This exercises what the decoding target
//! cannot reach: the envelope unwrapping, the error mapping (`success: false` in a 200, lenient
//! failure envelopes, HTML pages, serde paths of wrongly shaped successes), `Retry-After`
//! parsing into `ApiError::retry_after`, and every error's `Display`.
//!
//! Input: `[op] [status] [flags] ([len] [header bytes])* [body]`.
//!
//! Invariants: never a panic; a non-2xx status is never `Ok`; the server answers at once, so no
//! timeout or connection error; no error text shows the credential.

use std::convert::Infallible;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use cloudflare_ssl::types::{
    AutomaticModeUpdateValue, CertificateAuthority, CertificatePackValidationMethod,
    DesiredValidationMethod, EditCertificatePackRequest, ValidityDays,
};
use cloudflare_ssl::{Client, Error, Operation, OrderRequest, RetryPolicy, Zone};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};

const TOKEN: &str = "fuzz-SECRET-token-0123456789";
const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const PACK: &str = "3822ff90-ea29-44df-9e55-21300bb9419b";

#[derive(Default, Clone)]
struct Canned {
    status: u16,
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Vec<u8>,
}

static CANNED: Mutex<Option<Canned>> = Mutex::new(None);

struct Harness {
    runtime: tokio::runtime::Runtime,
    zone: Zone,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let addr = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    tokio::spawn(async move {
                        let service = service_fn(|_req: Request<hyper::body::Incoming>| async {
                            let canned = CANNED.lock().unwrap().clone().unwrap_or_default();
                            let mut response = Response::new(Full::new(Bytes::from(canned.body)));
                            *response.status_mut() =
                                hyper::StatusCode::from_u16(canned.status).expect("status");
                            for (name, value) in canned.headers {
                                if let Ok(v) = hyper::header::HeaderValue::from_bytes(&value) {
                                    response.headers_mut().append(name, v);
                                }
                            }
                            Ok::<_, Infallible>(response)
                        });
                        let io = hyper_util::rt::TokioIo::new(stream);
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(io, service)
                            .await;
                    });
                }
            });
            addr
        });
        let client = Client::builder()
            .api_token(TOKEN)
            .base_url(format!("http://{addr}/client/v4"))
            .retry(RetryPolicy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        let zone = client.zone(ZONE).expect("zone");
        Harness { runtime, zone }
    })
}

/// Splits the input into the canned response; `None` when it is too short.
fn parse(data: &[u8]) -> Option<(u8, Canned)> {
    let (&op, rest) = data.split_first()?;
    let (&status_byte, rest) = rest.split_first()?;
    let (&flags, mut rest) = rest.split_first()?;
    const STATUSES: [u16; 15] = [
        200, 200, 200, 200, 201, 204, 302, 400, 401, 403, 404, 409, 429, 500, 503,
    ];
    let status = match STATUSES.get(usize::from(status_byte % 16)) {
        Some(s) => *s,
        None => 200 + u16::from(status_byte) * 3 % 400,
    };
    let mut headers = Vec::new();
    for (bit, name) in [
        (0, "content-type"),
        (1, "retry-after"),
        (2, "retry-after-ms"),
        (3, "cf-ray"),
    ] {
        if flags & (1 << bit) != 0 {
            let (&len, tail) = rest.split_first()?;
            let len = usize::from(len % 48).min(tail.len());
            headers.push((name, tail[..len].to_vec()));
            rest = &tail[len..];
        }
    }
    if flags & (1 << 4) != 0 {
        headers.push(("content-type", b"application/json".to_vec()));
    }
    Some((
        op,
        Canned {
            status,
            headers,
            body: rest.to_vec(),
        },
    ))
}

fn check<T: std::fmt::Debug>(status: u16, result: Result<T, Error>) {
    match result {
        Ok(value) => {
            assert!(
                (200..300).contains(&status),
                "HTTP {status} decoded as a success: {value:?}"
            );
            let _ = format!("{value:?}");
        }
        Err(e) => {
            assert!(
                !matches!(e, Error::Timeout { .. } | Error::Connect { .. }),
                "the server answered at once: {e:?}"
            );
            let text = format!("{e} {e:?} {:?} {:?}", e.cf_ray(), e.error_codes());
            assert!(!text.contains("SECRET"), "{text}");
        }
    }
}

/// Runs one input; panics when an invariant fails.
pub fn run(data: &[u8]) {
    let Some((op, canned)) = parse(data) else {
        return;
    };
    let status = canned.status;
    *CANNED.lock().unwrap() = Some(canned);
    let h = harness();
    let zone = &h.zone;
    let packs = zone.certificate_packs();
    // The operation: its index in `Operation::ALL` (the selector of decode_responses; the error
    // envelope's selector there, one past the operations, wraps to the first).
    let operation = Operation::ALL[usize::from(op) % Operation::ALL.len()];
    h.runtime.block_on(async {
        match operation {
            Operation::AnalyzeCertificate => check(
                status,
                zone.analyze_certificate("-----BEGIN CERTIFICATE-----", None)
                    .await,
            ),
            Operation::ListCertificatePacks => check(status, packs.list().send().await),
            Operation::OrderCertificatePack => check(
                status,
                packs
                    .order(OrderRequest::new(
                        ["example.com"],
                        CertificateAuthority::LetsEncrypt,
                        CertificatePackValidationMethod::Txt,
                        ValidityDays::Days90,
                    ))
                    .await,
            ),
            Operation::GetCertificatePackQuota => check(status, packs.quota().await),
            Operation::GetCertificatePack => check(status, packs.get(PACK).await),
            Operation::EditCertificatePack => check(
                status,
                packs
                    .edit(
                        PACK,
                        EditCertificatePackRequest {
                            cloudflare_branding: Some(true),
                        },
                    )
                    .await,
            ),
            Operation::DeleteCertificatePack => check(status, packs.delete(PACK).await),
            Operation::GetSslRecommendation => {
                check(status, zone.ssl_recommendation().with_response().await)
            }
            Operation::GetAutomaticSslMode => check(status, zone.automatic_ssl().get().await),
            Operation::EditAutomaticSslMode => check(
                status,
                zone.automatic_ssl()
                    .set(AutomaticModeUpdateValue::Auto)
                    .await,
            ),
            Operation::GetUniversalSslSettings => {
                check(status, zone.universal_ssl().get().with_response().await)
            }
            Operation::EditUniversalSslSettings => {
                check(status, zone.universal_ssl().set_enabled(true).await)
            }
            Operation::GetSslVerification => check(status, zone.verification().get().await),
            Operation::EditValidationMethod => check(
                status,
                zone.verification()
                    .edit_method(PACK, DesiredValidationMethod::Txt)
                    .await,
            ),
            Operation::ListZones => check(status, zone.client().zones_by_name("example.com").await),
            // An operation with no ergonomic method yet: the raw request path, which every
            // operation has.
            other => check(
                status,
                zone.client()
                    .request(
                        reqwest::Method::from_bytes(other.method().as_bytes())
                            .unwrap_or(reqwest::Method::GET),
                        other
                            .path()
                            .replace("{zone_id}", ZONE)
                            .replace("{certificate_pack_id}", PACK),
                    )
                    .send()
                    .await,
            ),
        }
    });
}
