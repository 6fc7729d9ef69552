//! The HTTP/1 server loop shared by the mock, the conformance proxy and the replay server: one
//! handler per request, a per-connection close handle (for the mock's dropped-connection
//! faults), a shutdown signal, and the connection bounds of [`ServerLimits`] (header and idle
//! timeouts, a connection cap, a global budget of request-body bytes held in memory).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// The path prefix of the API, as on `api.cloudflare.com`.
pub(crate) const API_PREFIX: &str = "/client/v4";
/// The path prefix of the mock's admin routes.
pub(crate) const ADMIN_PREFIX: &str = "/__mock";

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// A boxed response future with a complete body.
pub(crate) type ResponseFuture<B = Full<Bytes>> = Pin<Box<dyn Future<Output = Response<B>> + Send>>;

/// Default of [`ServerLimits::header_timeout`]: 10 s.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default of [`ServerLimits::idle_timeout`]: 30 s.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default of [`ServerLimits::max_connections`]: 512 (half of a container's usual 1,024 open
/// files).
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// Default of [`ServerLimits::max_body_in_flight`]: 64 MiB.
pub const DEFAULT_MAX_BODY_IN_FLIGHT: usize = 64 << 20;

/// Connection bounds of a server (the mock, the proxy or the replay), so that clients that send
/// nothing, send slowly or stall halfway through a body cannot hold the server's memory or file
/// descriptors away from the others.
///
/// ```
/// use std::time::Duration;
/// let limits = cloudflare_ssl_mock::ServerLimits::default()
///     .header_timeout(Duration::from_secs(5))
///     .max_connections(64);
/// assert_eq!(limits.max_connections, 64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerLimits {
    /// Time a connection has to deliver a complete request head (request line and headers),
    /// counted from the moment the server waits for one: a new connection, or a kept-alive
    /// connection after its previous response. Past it the connection is closed (slow
    /// headers, connections that send nothing). Default [`DEFAULT_HEADER_TIMEOUT`].
    pub header_timeout: Duration,
    /// Longest time without a byte moving on a connection, while no request on it is being
    /// answered (closed), or between two pieces of a request body (answered 408, closed).
    /// Default [`DEFAULT_IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
    /// Connections served at once; one more is answered `503` with `Connection: close` at once
    /// and closed. Default [`DEFAULT_MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// Request-body bytes (and, in the proxy, upstream response bytes) held in memory at once,
    /// over every connection; a body that does not fit is answered `503` with `Retry-After`.
    /// Default [`DEFAULT_MAX_BODY_IN_FLIGHT`].
    pub max_body_in_flight: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_body_in_flight: DEFAULT_MAX_BODY_IN_FLIGHT,
        }
    }
}

impl ServerLimits {
    /// Sets [`ServerLimits::header_timeout`] (at least 1 ms).
    #[must_use]
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets [`ServerLimits::idle_timeout`] (at least 1 ms).
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets [`ServerLimits::max_connections`] (at least 1).
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.clamp(1, Semaphore::MAX_PERMITS);
        self
    }

    /// Sets [`ServerLimits::max_body_in_flight`] (at least 1 byte).
    #[must_use]
    pub fn max_body_in_flight(mut self, bytes: usize) -> Self {
        self.max_body_in_flight = bytes.clamp(1, Semaphore::MAX_PERMITS);
        self
    }
}

/// Largest request head (request line and headers) read, and each connection's read buffer
/// (hyper's `max_header_size` and `max_buf_size`): a larger head is answered `431`. hyper's default (about 400 KB) would let 512 connections hold
/// 200 MB of half-sent headers; this bounds them to 32 MiB.
const MAX_HEAD: usize = 64 << 10;

/// Refused connections kept open at once (each at most 500 ms) to read their request before the
/// close, so the client reads the 503 rather than a reset.
const MAX_LINGERING: usize = 64;

/// The live side of [`ServerLimits`]: the semaphores and gauges one server shares between its
/// connections.
#[derive(Debug)]
pub(crate) struct Gate {
    pub(crate) limits: ServerLimits,
    connections: Arc<Semaphore>,
    body_budget: Arc<Semaphore>,
    refused: AtomicU64,
    /// Refused connections read (briefly) before they are closed.
    lingering: Arc<Semaphore>,
}

impl Gate {
    pub(crate) fn new(limits: ServerLimits) -> Arc<Gate> {
        let limits = limits
            .max_connections(limits.max_connections)
            .max_body_in_flight(limits.max_body_in_flight);
        Arc::new(Gate {
            connections: Arc::new(Semaphore::new(limits.max_connections)),
            body_budget: Arc::new(Semaphore::new(limits.max_body_in_flight)),
            limits,
            refused: AtomicU64::new(0),
            lingering: Arc::new(Semaphore::new(MAX_LINGERING)),
        })
    }

    /// Connections open now.
    pub(crate) fn open_connections(&self) -> usize {
        self.limits
            .max_connections
            .saturating_sub(self.connections.available_permits())
    }

    /// Body bytes held now.
    pub(crate) fn body_bytes_in_flight(&self) -> usize {
        self.limits
            .max_body_in_flight
            .saturating_sub(self.body_budget.available_permits())
    }

    /// Connections refused at the cap so far.
    pub(crate) fn refused_connections(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// A permit holding nothing (to merge others into).
    pub(crate) fn empty_permit() -> BodyPermit {
        BodyPermit(None)
    }

    /// Reserves `bytes` of the body budget, or `None` when they do not fit now.
    pub(crate) fn reserve(&self, bytes: usize) -> Option<BodyPermit> {
        if bytes == 0 {
            return Some(BodyPermit(None));
        }
        let n = u32::try_from(bytes).ok()?;
        Arc::clone(&self.body_budget)
            .try_acquire_many_owned(n)
            .ok()
            .map(|p| BodyPermit(Some(p)))
    }
}

/// Bytes of the body budget held until dropped.
#[derive(Debug)]
pub(crate) struct BodyPermit(Option<OwnedSemaphorePermit>);

impl BodyPermit {
    /// Adds `other`'s bytes to this permit.
    pub(crate) fn merge(&mut self, other: BodyPermit) {
        match (&mut self.0, other.0) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (mine @ None, theirs) => *mine = theirs,
            (Some(_), None) => {}
        }
    }
}

/// Activity of one connection, for its idle watchdog.
#[derive(Debug)]
struct Activity {
    start: Instant,
    /// Milliseconds from `start` to the last byte read or written.
    last: AtomicU64,
    /// Requests being answered.
    busy: AtomicUsize,
}

impl Activity {
    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }
}

/// The connection's stream, noting every byte that moves.
struct Tracked<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    /// Passed through, with [`Tracked::is_write_vectored`]: hyper then writes a response's head
    /// and its body (a cached answer's bytes, shared) with one `writev`, instead of copying the
    /// body into its own buffer first.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Marks a request as being answered while alive.
struct Busy(Arc<Activity>);

impl Busy {
    fn new(activity: &Arc<Activity>) -> Busy {
        activity.busy.fetch_add(1, Ordering::Relaxed);
        Busy(Arc::clone(activity))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Resolves when `activity` has seen no byte for `idle` while no request was being answered.
async fn idle_watchdog(activity: Arc<Activity>, idle: Duration) {
    loop {
        let last = activity.last.load(Ordering::Relaxed);
        let deadline = activity.start + Duration::from_millis(last) + idle;
        tokio::time::sleep_until(deadline).await;
        if activity.busy.load(Ordering::Relaxed) == 0
            && activity.last.load(Ordering::Relaxed) == last
        {
            return;
        }
        if activity.busy.load(Ordering::Relaxed) > 0 {
            // A request is being answered (a latency fault, a slow upstream): look again later.
            tokio::time::sleep(idle).await;
        }
    }
}

/// The body of the answer to a connection refused at the cap.
const BUSY_BODY: &str = "{\"success\":false,\"errors\":[{\"code\":10503,\"message\":\"too many connections (max_connections)\"}],\"messages\":[],\"result\":null}";

/// What a connection refused at the cap reads before it is closed.
fn busy_response() -> Vec<u8> {
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BUSY_BODY}",
        BUSY_BODY.len()
    )
    .into_bytes()
}

/// Serves connections with `handler` until `shutdown` flips (or its sender is dropped). The
/// handler gets each request and its connection's close handle: `notify_one()` on it drops the
/// connection without an answer.
pub(crate) async fn serve<H, B>(
    listener: TcpListener,
    gate: Arc<Gate>,
    handler: Arc<H>,
    mut shutdown: watch::Receiver<bool>,
) where
    H: Fn(Request<Incoming>, Arc<Notify>) -> ResponseFuture<B> + Send + Sync + 'static,
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let limits = gate.limits;
    let busy = busy_response();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else {
                    // Out of file descriptors (or a transient error): let others finish.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let Ok(slot) = Arc::clone(&gate.connections).try_acquire_owned() else {
                    gate.refused.fetch_add(1, Ordering::Relaxed);
                    // One best-effort write, never a wait: the client learns why, others go on.
                    let _ = stream.try_write(&busy);
                    // Closing with the request unread would reset the connection and could
                    // lose the 503: a few refused connections linger (bounded, 500 ms at most)
                    // to read what was sent; the others are closed at once.
                    if let Ok(linger) = Arc::clone(&gate.lingering).try_acquire_owned() {
                        tokio::spawn(async move {
                            let _linger = linger;
                            let mut stream = stream;
                            let _ = tokio::io::AsyncWriteExt::shutdown(&mut stream).await;
                            let mut sink = [0u8; 4096];
                            let _ = tokio::time::timeout(Duration::from_millis(500), async {
                                while let Ok(n) =
                                    tokio::io::AsyncReadExt::read(&mut stream, &mut sink).await
                                {
                                    if n == 0 {
                                        break;
                                    }
                                }
                            })
                            .await;
                        });
                    }
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let handler = Arc::clone(&handler);
                let mut shutdown = shutdown.clone();
                tokio::spawn(async move {
                    let _slot = slot;
                    let activity = Arc::new(Activity {
                        start: Instant::now(),
                        last: AtomicU64::new(0),
                        busy: AtomicUsize::new(0),
                    });
                    let close = Arc::new(Notify::new());
                    let close_handle = Arc::clone(&close);
                    let service_activity = Arc::clone(&activity);
                    let service = service_fn(move |req: Request<Incoming>| {
                        let busy = Busy::new(&service_activity);
                        let response = handler(req, Arc::clone(&close_handle));
                        async move {
                            let response = response.await;
                            drop(busy);
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let io = Tracked { inner: stream, activity: Arc::clone(&activity) };
                    let conn = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(limits.header_timeout)
                        .max_buf_size(MAX_HEAD)
                        .max_header_size(MAX_HEAD)
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(io), service);
                    tokio::select! {
                        _ = conn => {}
                        () = close.notified() => {}
                        () = idle_watchdog(activity, limits.idle_timeout) => {}
                        _ = shutdown.changed() => {}
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
}

/// Why a request body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Larger than the per-request limit (declared or read).
    TooLarge { limit: usize, declared: Option<u64> },
    /// The global body budget is spent.
    Busy { budget: usize },
    /// No byte for the idle timeout.
    Stalled { idle: Duration },
    /// The connection failed while reading.
    Unreadable,
}

impl BodyError {
    /// The HTTP status of the answer.
    pub(crate) fn status(self) -> u16 {
        match self {
            BodyError::TooLarge { .. } => 413,
            BodyError::Busy { .. } => 503,
            BodyError::Stalled { .. } => 408,
            BodyError::Unreadable => 400,
        }
    }

    /// A message naming the limit.
    pub(crate) fn message(self) -> String {
        match self {
            BodyError::TooLarge {
                limit,
                declared: Some(n),
            } => format!("request body of {n} bytes (content-length) exceeds the limit of {limit} bytes"),
            BodyError::TooLarge { limit, declared: None } => {
                format!("request body exceeds the limit of {limit} bytes")
            }
            BodyError::Busy { budget } => format!(
                "server busy: request bodies in flight would exceed max_body_in_flight ({budget} bytes); retry later"
            ),
            BodyError::Stalled { idle } => format!(
                "request body stalled: no byte for idle_timeout ({} ms)",
                idle.as_millis()
            ),
            BodyError::Unreadable => "request body unreadable".to_owned(),
        }
    }
}

/// A request body held in memory, with the part of the body budget it holds.
#[derive(Debug)]
pub(crate) struct HeldBody {
    pub(crate) bytes: Bytes,
    pub(crate) _permit: BodyPermit,
}

/// Reads a request body of at most `limit` bytes within the [`Gate`]'s body budget; each piece
/// must arrive within the idle timeout.
pub(crate) async fn read_body(
    gate: &Gate,
    headers: &hyper::HeaderMap,
    mut body: Incoming,
    limit: usize,
) -> Result<HeldBody, BodyError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(n) = declared
        && n > limit as u64
    {
        return Err(BodyError::TooLarge {
            limit,
            declared: Some(n),
        });
    }
    // No body (a GET): nothing to wait for.
    if hyper::body::Body::is_end_stream(&body) {
        return Ok(HeldBody {
            bytes: Bytes::new(),
            _permit: BodyPermit(None),
        });
    }
    let budget = gate.limits.max_body_in_flight;
    // A declared length is reserved up front: refused at once rather than after the upload.
    let mut permit = match declared {
        Some(n) => gate
            .reserve(usize::try_from(n).unwrap_or(usize::MAX))
            .ok_or(BodyError::Busy { budget })?,
        None => BodyPermit(None),
    };
    let mut held = declared.map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let mut buf = bytes::BytesMut::new();
    let idle = gate.limits.idle_timeout;
    loop {
        let frame = match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => return Err(BodyError::Stalled { idle }),
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(BodyError::Unreadable),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let total = buf.len().saturating_add(data.len());
        if total > limit {
            return Err(BodyError::TooLarge {
                limit,
                declared: None,
            });
        }
        if total > held {
            permit.merge(
                gate.reserve(total - held)
                    .ok_or(BodyError::Busy { budget })?,
            );
            held = total;
        }
        buf.extend_from_slice(&data);
    }
    Ok(HeldBody {
        bytes: buf.freeze(),
        _permit: permit,
    })
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

/// A secret string (the admin token): compared, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    /// Compares without stopping at the first difference.
    fn matches(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// Who may use the `/__mock/` admin routes of a server: requests whose `Host` (and `Origin`, when
/// sent) name loopback, the address served or an allowed name, with a JSON body, and the admin
/// token when one is set.
#[derive(Debug, Clone)]
pub(crate) struct AdminAccess {
    pub(crate) token: Option<Secret>,
    pub(crate) bound: std::net::IpAddr,
    pub(crate) hosts: Vec<String>,
}

/// At most this many characters of a refused value are quoted back.
const QUOTE: usize = 80;

/// `value` cut to [`QUOTE`] characters, for error messages.
pub(crate) fn excerpt(value: &str) -> String {
    let mut out: String = value.chars().take(QUOTE).collect();
    if out.len() < value.len() {
        out.push('…');
    }
    out
}

impl AdminAccess {
    /// Whether `host` (a `Host` header's host, without the port) names this server without DNS
    /// a web page could control.
    fn host_allowed(&self, host: &str) -> bool {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if is_loopback_host(host) || self.hosts.iter().any(|h| h.eq_ignore_ascii_case(bare)) {
            return true;
        }
        match bare.parse::<std::net::IpAddr>() {
            Ok(ip) => self.bound.is_unspecified() || ip == self.bound,
            Err(_) => false,
        }
    }

    /// `Ok` when the request may use the admin routes; else the status and the reason.
    pub(crate) fn check(
        &self,
        method: &hyper::Method,
        headers: &hyper::HeaderMap,
    ) -> Result<(), (u16, String)> {
        if self.token.is_none() && !self.bound.is_loopback() {
            return Err((
                403,
                "admin routes on a non-loopback address need an admin token (--admin-token)".into(),
            ));
        }
        if let Some(token) = &self.token {
            let presented = headers
                .get(hyper::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim())
                .or_else(|| {
                    headers
                        .get("x-mock-admin-token")
                        .and_then(|v| v.to_str().ok())
                        .map(str::trim)
                });
            if !presented.is_some_and(|p| token.matches(p)) {
                return Err((
                    401,
                    "admin routes need the admin token (Authorization: Bearer <admin token>, or X-Mock-Admin-Token)".into(),
                ));
            }
        }
        let host = headers
            .get(hyper::header::HOST)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        if !self.host_allowed(host_part(&host)) {
            return Err((
                403,
                format!(
                    "admin routes refuse Host `{}`: only loopback, the address served or an allowed admin host (--admin-host)",
                    excerpt(&host)
                ),
            ));
        }
        if let Some(origin) = headers.get(hyper::header::ORIGIN) {
            let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
            let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
            if !self.host_allowed(host_part(authority)) {
                return Err((
                    403,
                    format!(
                        "admin routes refuse Origin `{}` (a web page's request)",
                        excerpt(&origin)
                    ),
                ));
            }
        }
        if matches!(
            *method,
            hyper::Method::POST | hyper::Method::PUT | hyper::Method::PATCH | hyper::Method::DELETE
        ) {
            let content_type = headers
                .get(CONTENT_TYPE)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let json = content_type.as_deref().is_some_and(|c| {
                c.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
            if !json && *method != hyper::Method::DELETE {
                return Err((
                    415,
                    format!(
                        "admin routes accept only content-type: application/json (got `{}`), even for an empty body",
                        excerpt(content_type.as_deref().unwrap_or("none"))
                    ),
                ));
            }
            if !json && content_type.is_some() {
                return Err((
                    415,
                    format!(
                        "admin routes accept only content-type: application/json (got `{}`)",
                        excerpt(content_type.as_deref().unwrap_or(""))
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The host of an authority (`host:port`, `[v6]:port`), without the port.
fn host_part(authority: &str) -> &str {
    let authority = authority.split('/').next().unwrap_or("");
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> hyper::HeaderMap {
        let mut map = hyper::HeaderMap::new();
        for (k, v) in pairs {
            if let Ok(v) = HeaderValue::from_str(v) {
                map.insert(*k, v);
            }
        }
        map
    }

    #[test]
    fn a_non_loopback_address_needs_the_admin_token() {
        let open = AdminAccess {
            token: None,
            bound: std::net::Ipv4Addr::UNSPECIFIED.into(),
            hosts: Vec::new(),
        };
        let get = hyper::Method::GET;
        let host = [("host", "10.1.2.3:8788")];
        assert_eq!(open.check(&get, &headers(&host)).map_err(|e| e.0), Err(403));
        let guarded = AdminAccess {
            token: Some(Secret("t0ken".into())),
            ..open.clone()
        };
        assert_eq!(
            guarded.check(&get, &headers(&host)).map_err(|e| e.0),
            Err(401)
        );
        let with_token = [("host", "10.1.2.3:8788"), ("x-mock-admin-token", "t0ken")];
        assert_eq!(guarded.check(&get, &headers(&with_token)), Ok(()));
        // Any IP address names a server bound to every interface; a DNS name does not.
        let named = [("host", "evil.example"), ("x-mock-admin-token", "t0ken")];
        assert_eq!(
            guarded.check(&get, &headers(&named)).map_err(|e| e.0),
            Err(403)
        );
        let loopback = AdminAccess {
            bound: std::net::Ipv4Addr::LOCALHOST.into(),
            ..open
        };
        assert_eq!(
            loopback.check(&get, &headers(&[("host", "localhost:1")])),
            Ok(())
        );
        assert_eq!(host_part("[::1]:80"), "::1");
        assert_eq!(host_part("example.com:80/x"), "example.com");
    }
}
