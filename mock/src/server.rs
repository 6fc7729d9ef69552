//! The HTTP side of the mock: accept loop, per-request pipeline (counters, latency, faults, rate
//! limit, authentication, validation against the curated document, dispatch), wire headers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{HeaderMap, Request, Response, StatusCode};
use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::config::MockConfig;
use crate::envelope::{self, ApiError, CODE_AUTHENTICATION, CODE_BODY_TOO_LARGE};
use crate::faults::{Fault, FaultStage};
pub(crate) use crate::http::{ADMIN_PREFIX, API_PREFIX};
use crate::operation::Operation;
use crate::routes::Answer;
use crate::shared::{Reply, Shared};
use crate::spec::RouteMatch;
use crate::state::RateDecision;
use crate::sync::lock;
use crate::{admin, routes};

/// Largest request body accepted by the API routes.
pub(crate) const MAX_BODY: usize = 1 << 20;
/// Violations of the mock's own answers kept ([`crate::MockServer::schema_violations`]).
const MAX_STORED_VIOLATIONS: usize = 1000;
/// Largest request body whose check is remembered (`process`).
const CHECK_REMEMBERED: usize = 64 << 10;
/// Largest request body accepted by the admin routes.
pub(crate) const MAX_ADMIN_BODY: usize = 64 << 10;

/// The response body type: complete, or cut short with an error (which makes hyper abort the
/// connection).
pub(crate) enum MockBody {
    Full(Option<Bytes>),
    /// The partial body, then a pause (so hyper flushes what it has), then an error.
    Truncated(Option<Bytes>, Option<Pin<Box<tokio::time::Sleep>>>),
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            MockBody::Full(data) => Poll::Ready(data.take().map(|b| Ok(Frame::data(b)))),
            MockBody::Truncated(data, pause) => {
                if let Some(b) = data.take() {
                    return Poll::Ready(Some(Ok(Frame::data(b))));
                }
                let sleep = pause.get_or_insert_with(|| {
                    Box::pin(tokio::time::sleep(std::time::Duration::from_millis(50)))
                });
                match sleep.as_mut().poll(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(()) => Poll::Ready(Some(Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "response truncated by fault injection",
                    )))),
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, MockBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            MockBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            MockBody::Full(None) => SizeHint::with_exact(0),
            MockBody::Truncated(..) => SizeHint::default(),
        }
    }
}

/// Answers one request; `kill` drops its connection (the dropped-connection faults).
pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    kill: Arc<Notify>,
) -> Response<MockBody> {
    let request_line = shared.recorder.as_ref().map(|_| {
        (
            req.method().as_str().to_owned(),
            req.uri().path().to_owned(),
            req.uri().query().unwrap_or("").to_owned(),
            crate::record::request_secrets(req.headers()),
            chrono::Utc::now(),
            std::time::Instant::now(),
        )
    });
    let reply = pipeline(&shared, req).await;
    if let (Some(recorder), Some((method, path, query, secrets, started_at, started))) =
        (&shared.recorder, request_line)
        && let (
            Some(relative),
            Reply::Complete {
                status,
                content_type,
                body,
                ..
            },
        ) = (path.strip_prefix(API_PREFIX), &reply)
    {
        record_exchange(
            &shared,
            recorder,
            &method,
            relative,
            &query,
            *status,
            content_type,
            body,
            &secrets,
            crate::record::Timing::since(started_at, started),
        );
    }
    let ray = shared.ray();
    match reply {
        Reply::Drop => {
            kill.notify_one();
            std::future::pending::<()>().await;
            Response::new(MockBody::Full(None))
        }
        Reply::Complete {
            status,
            content_type,
            body,
            headers,
        } => {
            let mut response = Response::new(MockBody::Full(Some(body)));
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            finish_headers(response.headers_mut(), content_type, &ray, &headers);
            response
        }
        Reply::Truncated {
            status,
            full_len,
            partial,
            headers,
        } => {
            let mut response = Response::new(MockBody::Truncated(Some(partial), None));
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            finish_headers(response.headers_mut(), "application/json", &ray, &headers);
            response
                .headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from(full_len));
            response
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn record_exchange(
    shared: &Shared,
    recorder: &crate::record::Recorder,
    method: &str,
    path: &str,
    query: &str,
    status: u16,
    content_type: &str,
    body: &[u8],
    secrets: &[String],
    timing: crate::record::Timing,
) {
    let mut exchange = crate::record::Exchange::new(
        method,
        path,
        query,
        status,
        Some(content_type),
        body,
        recorder.options().max_body,
    );
    exchange.operation = crate::conformance::operation_of(&shared.contract, method, path);
    if exchange.operation.is_some() {
        exchange.violations = crate::conformance::check(
            &shared.contract,
            &crate::conformance::ExchangeRef {
                method,
                path,
                query,
                request_body: None,
                status,
                response_body: body,
                cf_ray: None,
                validate_limit: usize::MAX,
            },
        );
    }
    recorder.record_redacting(exchange, secrets, Some(timing));
}

fn finish_headers(
    map: &mut HeaderMap,
    content_type: &'static str,
    ray: &str,
    extra: &[(&'static str, String)],
) {
    /// Parsed once, not per answer.
    const CF_RAY: HeaderName = HeaderName::from_static("cf-ray");
    map.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    map.insert(
        hyper::header::SERVER,
        HeaderValue::from_static("cloudflare"),
    );
    if let Ok(v) = HeaderValue::from_str(ray) {
        map.insert(CF_RAY, v);
    }
    for (name, value) in extra {
        if let Ok(v) = HeaderValue::from_str(value) {
            map.insert(HeaderName::from_static(name), v);
        }
    }
}

fn rate_headers(reply: Reply, decision: Option<RateDecision>) -> Reply {
    match decision {
        Some(d) => reply
            .with_header(
                "ratelimit",
                format!("\"default\";r={};t={}", d.remaining, d.reset_secs),
            )
            .with_header(
                "ratelimit-policy",
                format!("\"default\";q={};w={}", d.limit, d.window_secs),
            ),
        None => reply,
    }
}

/// The key a request is rate limited under: the credential it presents.
fn rate_key(headers: &HeaderMap) -> String {
    for name in ["authorization", "x-auth-email", "x-auth-user-service-key"] {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            return format!("{name}:{v}");
        }
    }
    "anonymous".into()
}

fn header(headers: &HeaderMap, name: impl hyper::header::AsHeaderName) -> Option<&str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Checks the credentials: 401 when none are presented, 403 when they are wrong.
fn authenticate(headers: &HeaderMap, config: &MockConfig) -> Result<(), ApiError> {
    let creds = &config.credentials;
    let missing = || ApiError::new(401, CODE_AUTHENTICATION, "Authentication error");
    let wrong = || ApiError::new(403, CODE_AUTHENTICATION, "Authentication error");
    if let Some(auth) = header(headers, hyper::header::AUTHORIZATION) {
        let token = auth
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        return match token {
            Some(t) if t == creds.token => Ok(()),
            _ => Err(wrong()),
        };
    }
    let email = header(headers, "x-auth-email");
    let key = header(headers, "x-auth-key");
    if email.is_some() || key.is_some() {
        return match (email, key) {
            (Some(e), Some(k)) if e.eq_ignore_ascii_case(&creds.email) && k == creds.key => Ok(()),
            (Some(_), Some(_)) => Err(wrong()),
            _ => Err(missing()),
        };
    }
    if let Some(k) = header(headers, "x-auth-user-service-key") {
        return if k == creds.user_service_key {
            Ok(())
        } else {
            Err(wrong())
        };
    }
    Err(missing())
}

async fn pipeline(shared: &Arc<Shared>, req: Request<Incoming>) -> Reply {
    let path = req.uri().path().to_owned();
    if path
        .strip_prefix(ADMIN_PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    {
        if shared.config.admin_routes {
            if let Err((status, message)) = shared.admin_access.check(req.method(), req.headers()) {
                return Reply::json(status, &json!({ "error": message }));
            }
            let method = req.method().as_str().to_owned();
            let headers = req.headers().clone();
            let body = match read_body(shared, &headers, req.into_body(), MAX_ADMIN_BODY).await {
                Ok(b) => b,
                Err(e) => return Reply::json(e.status, &e.body()),
            };
            return admin::handle(shared, &method, &path, &body.bytes);
        }
        return Reply::json(404, &no_route().body());
    }
    let method = req.method().as_str().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    // The head is kept (not copied) for authentication and the rate-limit key.
    let (head, incoming) = req.into_parts();
    let headers = &head.headers;

    let relative = path
        .strip_prefix(API_PREFIX)
        .filter(|r| r.is_empty() || r.starts_with('/'));
    let route = relative.map(|r| shared.route(&method, r));
    let operation = match &route {
        Some(RouteMatch::Found(op, _)) => Operation::from_operation_id(&op.operation_id),
        _ => None,
    };
    // A path the document does not route may be a user route.
    let user_route = match (&route, relative) {
        (Some(RouteMatch::NotFound | RouteMatch::MethodNotAllowed(_)), Some(r)) => shared
            .user_routes()
            .iter()
            .find(|u| u.matches(&method, r))
            .cloned(),
        _ => None,
    };
    // RFC 9110 §15.5.6: a 405 lists the methods the target resource supports.
    let allow = match &route {
        Some(RouteMatch::MethodNotAllowed(methods)) => Some(methods.join(", ")),
        _ => None,
    };

    let (latency, fault, decision) = {
        let mut state = shared.state();
        state.counters.total += 1;
        let key = match (operation, &user_route) {
            (Some(op), _) => op.operation_id(),
            (None, Some(_)) => "user_route",
            (None, None) => "unmatched",
        };
        match state.counters.by_operation.get_mut(key) {
            Some(n) => *n += 1,
            None => {
                state.counters.by_operation.insert(key.to_owned(), 1);
            }
        }
        let decision = if state.rate_limited() {
            state.rate(&rate_key(headers))
        } else {
            None
        };
        drop(state);
        let mut plan = shared.faults();
        let target = crate::faults::Target {
            operation,
            path: relative,
        };
        (plan.latency(operation), plan.take(target), decision)
    };
    if let Some(delay) = latency {
        shared.state().counters.delayed += 1;
        tokio::time::sleep(delay).await;
    }
    if let Some((fault, FaultStage::BeforeHandling)) = &fault {
        shared.state().counters.faults_injected += 1;
        let generic = envelope::success(json!({}));
        return inject(fault, 200, &generic, decision);
    }

    let mut retry_after = None;
    let (status, body): (u16, Answer) = if let Some(d) = decision.filter(|d| d.limited) {
        shared.state().counters.rate_limited += 1;
        retry_after = Some(d.reset_secs);
        let e = ApiError::new(
            429,
            envelope::CODE_RATE_LIMITED,
            "Please wait and consider throttling your request speed",
        );
        (429, Answer::Value(e.body()))
    } else if let Some(user) = &user_route {
        match authenticate(headers, &shared.config) {
            Ok(()) => (user.status, Answer::Value(user.answer())),
            Err(e) => (e.status, Answer::Value(e.body())),
        }
    } else {
        let held = read_body(shared, headers, incoming, MAX_BODY).await;
        let raw = match &held {
            Ok(b) => Ok(b.bytes.clone()),
            Err(e) => Err(e.clone()),
        };
        match process(shared, &method, &path, route, headers, &query, raw) {
            Ok(answer) => (200, answer),
            Err(e) => (e.status, Answer::Value(e.body())),
        }
    };

    // Every answer of an operation is validated: a value whole, here; a composed pack answer
    // in parts, its envelope now and each pack when its rendering was made
    // (`routes::PartValidators`), whose violations it carries.
    // A value is validated once per distinct answer: its JSON text is compared with the
    // operation's last validated answer (same status), whose violations stand for it when equal
    // (equal text, equal value).
    let mut text = None;
    let violations = match (&body, operation) {
        (Answer::Value(value), Some(op)) => {
            let json = Bytes::from(serde_json::to_vec(value).unwrap_or_default());
            let id = op.operation_id();
            let known = lock(&shared.validated)
                .get(id)
                .filter(|(s, t, _)| *s == status && *t == json)
                .map(|(_, _, v)| v.clone());
            let violations = known.unwrap_or_else(|| {
                let found = shared
                    .contract
                    .validate_response(id, status, value)
                    .err()
                    .unwrap_or_default();
                lock(&shared.validated).insert(id, (status, json.clone(), found.clone()));
                found
            });
            text = Some(json);
            violations
        }
        (Answer::Composed { violations, .. }, _) => violations.clone(),
        (Answer::Value(_), None) => Vec::new(),
    };
    if !violations.is_empty() {
        let mut recorded = lock(&shared.violations);
        for v in violations {
            // The mock's own answers are small and should conform; still, bounded.
            if recorded.len() < MAX_STORED_VIOLATIONS {
                recorded.push(format!("{method} {path} -> {status}: {v}"));
            }
        }
    }

    if let Some((fault, FaultStage::AfterHandling)) = &fault {
        shared.state().counters.faults_injected += 1;
        let value = match body {
            Answer::Value(value) => value,
            Answer::Composed { json, .. } => serde_json::from_slice(&json).unwrap_or(Value::Null),
        };
        return inject(fault, status, &value, decision);
    }
    let mut reply = match (body, text) {
        (Answer::Value(_), Some(json)) => Reply::Complete {
            status,
            content_type: "application/json",
            body: json,
            headers: Vec::new(),
        },
        (Answer::Value(value), None) => Reply::json(status, &value),
        (Answer::Composed { json, .. }, _) => Reply::Complete {
            status,
            content_type: "application/json",
            body: json,
            headers: Vec::new(),
        },
    };
    if let Some(secs) = retry_after {
        reply = reply.with_header("retry-after", secs.to_string());
    }
    if let (405, Some(methods)) = (status, allow) {
        reply = reply.with_header("allow", methods);
    }
    rate_headers(reply, decision)
}

fn no_route() -> ApiError {
    ApiError::new(404, envelope::CODE_NO_ROUTE, "No route for that URI")
}

async fn read_body(
    shared: &Shared,
    headers: &HeaderMap,
    body: Incoming,
    limit: usize,
) -> Result<crate::http::HeldBody, ApiError> {
    crate::http::read_body(&shared.gate, headers, body, limit)
        .await
        .map_err(|e| ApiError::new(e.status(), CODE_BODY_TOO_LARGE, e.message()))
}

/// Authentication, routing, validation against the document, then the operation itself.
fn process(
    shared: &Shared,
    method: &str,
    path: &str,
    route: Option<RouteMatch<'_>>,
    headers: &HeaderMap,
    query: &str,
    raw: Result<Bytes, ApiError>,
) -> Result<Answer, ApiError> {
    authenticate(headers, &shared.config)?;
    let (spec, params) = match route {
        Some(RouteMatch::Found(spec, params)) => (spec, params),
        Some(RouteMatch::MethodNotAllowed(_)) => {
            return Err(ApiError::new(
                405,
                envelope::CODE_METHOD_NOT_ALLOWED,
                format!("Method {method} not allowed for this route"),
            ))
        }
        Some(RouteMatch::NotFound) | None => return Err(no_route()),
    };
    let Some(operation) = Operation::from_operation_id(&spec.operation_id) else {
        return Err(ApiError::new(
            501,
            envelope::CODE_NO_ROUTE,
            format!("{} is not implemented by the mock", spec.operation_id),
        ));
    };
    let raw = raw?;
    // The check is a function of the path parameters, the query and the body: the operation's
    // last check is reused for the same three.
    let id = operation.operation_id();
    let known = lock(&shared.checked)
        .get(id)
        .filter(|last| last.params == params && last.query == query && last.raw == raw)
        .map(|last| last.checked.clone());
    let checked = known.unwrap_or_else(|| {
        let fresh = spec.check_request(&params, query, &raw);
        if raw.len() > CHECK_REMEMBERED {
            return fresh;
        }
        lock(&shared.checked).insert(
            id,
            crate::shared::LastCheck {
                params: params.clone(),
                query: query.to_owned(),
                raw: raw.clone(),
                checked: fresh.clone(),
            },
        );
        fresh
    });
    // Path parameters: a malformed identifier cannot be routed.
    if let Some(v) = checked.path_violations.first() {
        let name = v.pointer.split('/').nth(1).unwrap_or_default();
        return Err(ApiError::unknown_object(
            path,
            400,
            Some(&format!("/{name}")),
        ));
    }
    if !checked.violations.is_empty() {
        return Err(ApiError::invalid(checked.violations));
    }
    let query_values = checked.query;
    let body = checked.body;

    let call = routes::Call {
        operation,
        path,
        params: &params,
        query: &query_values,
        body: &body,
        contract: &shared.contract,
        parts: shared.parts.as_ref(),
    };
    let mut state = shared.state();
    routes::dispatch(&mut state, &call)
}

/// The response a fault turns `(status, body)` into.
fn inject(fault: &Fault, status: u16, body: &Value, decision: Option<RateDecision>) -> Reply {
    match fault {
        Fault::RateLimited { retry_after_secs } => {
            let e = ApiError::new(
                429,
                envelope::CODE_RATE_LIMITED,
                "Please wait and consider throttling your request speed",
            );
            let mut reply = Reply::json(429, &e.body());
            if let Some(secs) = retry_after_secs {
                reply = reply.with_header("retry-after", secs.to_string());
            }
            let exhausted = decision.map(|d| RateDecision {
                remaining: 0,
                reset_secs: retry_after_secs.unwrap_or(d.reset_secs).max(1),
                ..d
            });
            rate_headers(reply, exhausted)
        }
        Fault::ServerError { status } => {
            let status = if (500..=599).contains(status) {
                *status
            } else {
                500
            };
            let e = ApiError::new(status, envelope::CODE_INTERNAL, "Internal server error");
            rate_headers(Reply::json(status, &e.body()), decision)
        }
        Fault::MalformedJson => rate_headers(
            Reply::Complete {
                status,
                content_type: "application/json",
                body: Bytes::from_static(
                    b"{\"success\": true, \"errors\": [], \"result\": {\"id\": 'oops', }, <html>",
                ),
                headers: Vec::new(),
            },
            decision,
        ),
        Fault::TruncatedJson => {
            let full = Bytes::from(serde_json::to_vec(body).unwrap_or_default());
            let cut = full.slice(..full.len() / 2);
            rate_headers(
                Reply::Complete {
                    status,
                    content_type: "application/json",
                    body: cut,
                    headers: Vec::new(),
                },
                decision,
            )
        }
        Fault::TruncatedBody => {
            let full = Bytes::from(serde_json::to_vec(body).unwrap_or_default());
            let half = full.len() / 2;
            rate_headers(
                Reply::Truncated {
                    status,
                    full_len: full.len(),
                    partial: full.slice(..half),
                    headers: Vec::new(),
                },
                decision,
            )
        }
        Fault::HtmlErrorPage { status } => {
            let status = if (400..=599).contains(status) {
                *status
            } else {
                502
            };
            Reply::Complete {
                status,
                content_type: "text/html; charset=UTF-8",
                body: Bytes::from(html_error_page(status)),
                headers: Vec::new(),
            }
        }
        Fault::DropConnection => Reply::Drop,
        Fault::SetField { pointer, value } => {
            let mut drifted = body.clone();
            crate::faults::set_pointer(&mut drifted, pointer, value.clone());
            rate_headers(Reply::json(status, &drifted), decision)
        }
        Fault::RemoveField { pointer } => {
            let mut drifted = body.clone();
            crate::faults::remove_pointer(&mut drifted, pointer);
            rate_headers(Reply::json(status, &drifted), decision)
        }
    }
}

fn html_error_page(status: u16) -> String {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-US\">\n<head>\n<title>api.cloudflare.com | {status}: {reason}</title>\n\
         <meta charset=\"UTF-8\" />\n</head>\n<body>\n<div id=\"cf-error-details\">\n\
         <h1><span>Error</span> <span>{status}</span></h1>\n<h2>{reason}</h2>\n\
         <p>The web server reported a bad gateway error.</p>\n\
         <p>Cloudflare Ray ID: <strong>mock</strong> &bull; Performance &amp; security by Cloudflare</p>\n\
         </div>\n</body>\n</html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            if let Ok(v) = HeaderValue::from_str(v) {
                map.insert(*k, v);
            }
        }
        map
    }

    /// A remembered route answers as the document does: same operation, same parameters, per
    /// method; a long path is routed but not remembered.
    #[test]
    fn authentication_schemes() {
        let config = MockConfig::default();
        let c = &config.credentials;
        let bearer = format!("Bearer {}", c.token);
        assert!(authenticate(&headers(&[("authorization", &bearer)]), &config).is_ok());
        assert!(authenticate(
            &headers(&[("x-auth-email", &c.email), ("x-auth-key", &c.key)]),
            &config
        )
        .is_ok());
        assert!(authenticate(
            &headers(&[("x-auth-user-service-key", &c.user_service_key)]),
            &config
        )
        .is_ok());
        let status = |h: HeaderMap| authenticate(&h, &config).err().map(|e| e.status);
        assert_eq!(status(headers(&[])), Some(401));
        assert_eq!(status(headers(&[("x-auth-key", &c.key)])), Some(401));
        assert_eq!(
            status(headers(&[("authorization", "Bearer nope")])),
            Some(403)
        );
        assert_eq!(
            status(headers(&[("authorization", "Basic abc")])),
            Some(403)
        );
    }
}
