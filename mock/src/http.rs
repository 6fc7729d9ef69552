//! The HTTP/1 server loop shared by the mock, the conformance proxy and the replay server: one
//! handler per request, a per-connection close handle (for the mock's dropped-connection
//! faults), a shutdown signal.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The path prefix of the API, as on `api.cloudflare.com`.
pub(crate) const API_PREFIX: &str = "/client/v4";
/// The path prefix of the mock's admin routes.
pub(crate) const ADMIN_PREFIX: &str = "/__mock";

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};

/// A boxed response future with a complete body.
pub(crate) type ResponseFuture<B = Full<Bytes>> = Pin<Box<dyn Future<Output = Response<B>> + Send>>;

/// Serves connections with `handler` until `shutdown` flips (or its sender is dropped). The
/// handler gets each request and its connection's close handle: `notify_one()` on it drops the
/// connection without an answer.
pub(crate) async fn serve<H, B>(
    listener: TcpListener,
    handler: Arc<H>,
    mut shutdown: watch::Receiver<bool>,
) where
    H: Fn(Request<Incoming>, Arc<Notify>) -> ResponseFuture<B> + Send + Sync + 'static,
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let handler = Arc::clone(&handler);
                let mut shutdown = shutdown.clone();
                tokio::spawn(async move {
                    let close = Arc::new(Notify::new());
                    let close_handle = Arc::clone(&close);
                    let service = service_fn(move |req: Request<Incoming>| {
                        let response = handler(req, Arc::clone(&close_handle));
                        async move { Ok::<_, Infallible>(response.await) }
                    });
                    let conn = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = conn => {}
                        () = close.notified() => {}
                        _ = shutdown.changed() => {}
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
}

/// Reads a request body of at most `limit` bytes; `None` when it is larger or unreadable.
pub(crate) async fn read_limited(body: Incoming, limit: usize) -> Option<Bytes> {
    Limited::new(body, limit)
        .collect()
        .await
        .ok()
        .map(http_body_util::Collected::to_bytes)
}

/// A JSON response.
pub(crate) fn json(status: u16, value: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(
        serde_json::to_vec(value).unwrap_or_default(),
    )));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Whether `host` (a URL host) is a loopback name or address.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
