//! Request paths from arbitrary ids: a zone id and a pack id taken from the input go into
//! `get`, `delete`, `edit_method` and `Client::zone`, against an in-process server on 127.0.0.1
//! that records every request path.
//!
//! Input: `[len] [zone id bytes] [pack id bytes]` (lossy UTF-8).
//!
//! Invariants: an id is either refused before sending (`InvalidInput` naming its field) or the
//! request goes to exactly the operation's path template with the id as one segment; no other
//! path is ever requested.

use std::convert::Infallible;
use std::sync::{Mutex, OnceLock};

use bytes::Bytes;
use cloudflare_ssl::types::DesiredValidationMethod;
use cloudflare_ssl::{Client, Error, RetryPolicy};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};

const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";

static PATHS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Harness {
    runtime: tokio::runtime::Runtime,
    client: Client,
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
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(async move {
                        let service =
                            service_fn(|req: Request<hyper::body::Incoming>| async move {
                                PATHS
                                    .lock()
                                    .expect("paths")
                                    .push(req.uri().path().to_owned());
                                let mut response =
                                    Response::new(Full::new(Bytes::from_static(b"{}")));
                                *response.status_mut() = hyper::StatusCode::NOT_FOUND;
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
            .api_token("fuzz-token")
            .base_url(format!("http://{addr}/client/v4"))
            .retry(RetryPolicy::none())
            .build()
            .expect("client");
        Harness { runtime, client }
    })
}

fn in_grammar(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// One input.
pub fn run(data: &[u8]) {
    let split = usize::from(data.first().copied().unwrap_or(0)).min(data.len().saturating_sub(1));
    let rest = data.get(1..).unwrap_or_default();
    let zone_id = String::from_utf8_lossy(&rest[..split.min(rest.len())]).into_owned();
    let pack_id = String::from_utf8_lossy(&rest[split.min(rest.len())..]).into_owned();
    let h = harness();
    h.runtime.block_on(async {
        match h.client.zone(zone_id.as_str()) {
            Ok(zone) => assert!(in_grammar(zone.id()), "zone {zone_id:?} accepted"),
            Err(Error::InvalidInput(e)) => assert_eq!(e.field, "zone_id"),
            Err(other) => panic!("zone {zone_id:?}: {other:?}"),
        }
        let zone = h.client.zone(ZONE).expect("zone");
        let packs = zone.certificate_packs();
        PATHS.lock().expect("paths").clear();
        let outcomes = [
            packs.get(pack_id.as_str()).await.map(|_| ()),
            packs.delete(pack_id.as_str()).await.map(|_| ()),
            zone.verification()
                .edit_method(pack_id.as_str(), DesiredValidationMethod::Txt)
                .await
                .map(|_| ()),
        ];
        let paths = std::mem::take(&mut *PATHS.lock().expect("paths"));
        let refused = outcomes
            .iter()
            .filter(
                |o| matches!(o, Err(Error::InvalidInput(e)) if e.field == "certificate_pack_id"),
            )
            .count();
        for path in &paths {
            let expected_pack = format!("/client/v4/zones/{ZONE}/ssl/certificate_packs/{pack_id}");
            let expected_verification =
                format!("/client/v4/zones/{ZONE}/ssl/verification/{pack_id}");
            assert!(
                *path == expected_pack || *path == expected_verification,
                "pack id {pack_id:?} reached {path:?}"
            );
            assert!(in_grammar(&pack_id), "pack id {pack_id:?} was sent");
        }
        assert_eq!(paths.len() + refused, 3, "{pack_id:?}: {outcomes:?}");
    });
}
