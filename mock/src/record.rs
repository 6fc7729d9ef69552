//! Recording exchanges as JSON lines, and serving a recording back.
//!
//! A recording is a file of [`Exchange`]s, one JSON object per line, written by the conformance
//! proxy (`cloudflare-ssl-mock proxy --record FILE`, [`crate::proxy::ProxyConfig::record`]) or
//! by the mock itself ([`crate::MockServerBuilder::record`], `cloudflare-ssl-mock --record FILE`):
//!
//! ```json
//! {"method":"GET","path":"/zones/023e…/ssl/certificate_packs/quota","query":"","status":200,"content_type":"application/json","operation":"get_certificate_pack_quota","body":{"success":true,"errors":[],"messages":[],"result":{"advanced":{"allocated":10,"used":5}}}}
//! ```
//!
//! Credentials are never written: no request header is recorded at all, the response's only
//! header kept is its content type, and the request's credentials (and values of
//! credential-named JSON members and query parameters) are replaced by [`REDACTED`] wherever the
//! body or the query holds them. A body over [`RecordOptions::max_body`] is replaced by its length
//! and SHA-256 ([`Exchange::body_omitted`]). Each line is written whole in one write; a torn last
//! line (a crash while recording) is skipped by [`read_recording_with`] with a warning. The conformance proxy records only exchanges that
//! route to one of the document's operations: anything else it forwards (another API path, such
//! as a token's creation whose answer holds the new secret) is passed through but never written.
//! Identifiers are kept unless [`RecordOptions::redact_ids`] replaces every 32-hex identifier
//! (zone, pack, certificate) with a stable stand-in (`00000000000000000000000000000001`, …),
//! consistently in paths, queries, bodies (inside longer strings such as messages too) and
//! violation reports, so a redacted recording still replays.
//!
//! [`Replay`] (`cloudflare-ssl-mock replay FILE`) serves a recording: each request takes the
//! first unused exchange with the same method, path and query (parameters in any order);
//! when none is left it answers 404 with a Cloudflare-style envelope (code 7000) and the header
//! `x-replay-miss: true`. A recorded response that breaks the document was flagged when it was
//! recorded (its `violations`), and is flagged again when replayed: on stderr, at
//! `GET /__mock/violations`, and with the header `x-contract-violations: N`.

use std::collections::HashMap;
use std::io::{BufRead, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::conformance::{self, ContractViolation, ExchangeRef, Sink};
use crate::envelope::{ApiError, CODE_NO_ROUTE};
use crate::spec::Contract;

/// One recorded exchange (a line of a recording).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Exchange {
    /// HTTP method.
    pub method: String,
    /// Path relative to the API base URL (`/zones/{zone_id}/…`).
    pub path: String,
    /// Raw query string, without `?` (empty when none).
    #[serde(default)]
    pub query: String,
    /// Response status.
    pub status: u16,
    /// Response `content-type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The `operationId` the request routes to in the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The response body when it is JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// The response body as text when it is not JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
    /// How the response broke the document when it was recorded (empty: it conformed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<ContractViolation>,
    /// The response body was larger than [`RecordOptions::max_body`]: left out, with its length
    /// and hash (`body` and `body_text` are then absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_omitted: Option<OmittedBody>,
}

/// A response body left out of a recording ([`RecordOptions::max_body`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OmittedBody {
    /// Its length in bytes.
    pub length: u64,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

/// Lowercase hex SHA-256 of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = String::with_capacity(64);
    for b in digest.as_ref() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

impl Exchange {
    /// Builds an exchange from what went over the wire.
    pub(crate) fn new(
        method: &str,
        path: &str,
        query: &str,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
        max_body: usize,
    ) -> Exchange {
        let omitted = (body.len() > max_body).then(|| OmittedBody {
            length: body.len() as u64,
            sha256: sha256_hex(body),
        });
        let (json_body, text) = if omitted.is_some() {
            (None, None)
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(v) => (Some(v), None),
                Err(_) if body.is_empty() => (None, None),
                Err(_) => (None, Some(String::from_utf8_lossy(body).into_owned())),
            }
        };
        Exchange {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            status,
            content_type: content_type.map(str::to_owned),
            operation: None,
            body: json_body,
            body_text: text,
            violations: Vec::new(),
            body_omitted: omitted,
        }
    }

    /// The response body's bytes as replayed.
    pub fn body_bytes(&self) -> Vec<u8> {
        match (&self.body, &self.body_text) {
            (Some(v), _) => serde_json::to_vec(v).unwrap_or_default(),
            (None, Some(t)) => t.clone().into_bytes(),
            (None, None) => Vec::new(),
        }
    }
}

/// Default of [`RecordOptions::max_body`]: 1 MiB.
pub const DEFAULT_MAX_RECORD_BODY: usize = 1 << 20;
/// Default longest line [`read_recording`] reads: 16 MiB.
pub const DEFAULT_MAX_LINE: usize = 16 << 20;

/// Options of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordOptions {
    /// Replace every 32-hex identifier by a stable stand-in (default: keep them).
    pub redact_ids: bool,
    /// Response bodies larger than this many bytes are left out, replaced by their length and
    /// SHA-256 ([`Exchange::body_omitted`]); default [`DEFAULT_MAX_RECORD_BODY`].
    pub max_body: usize,
}

impl Default for RecordOptions {
    fn default() -> Self {
        RecordOptions {
            redact_ids: false,
            max_body: DEFAULT_MAX_RECORD_BODY,
        }
    }
}

impl RecordOptions {
    /// Sets [`RecordOptions::redact_ids`].
    #[must_use]
    pub fn redact_ids(mut self, on: bool) -> Self {
        self.redact_ids = on;
        self
    }

    /// Sets [`RecordOptions::max_body`].
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }
}

/// Names of headers, query parameters and JSON members whose values are credentials.
const SECRET_NAMES: &[&str] = &[
    "authorization",
    "x-auth-key",
    "x-auth-email",
    "x-auth-user-service-key",
    "x-mock-admin-token",
    "cookie",
    "set-cookie",
    "api_key",
    "apikey",
    "api_token",
    "token",
    "access_token",
    "password",
    "secret",
    "client_secret",
    "service_key",
];

/// What a redacted credential is replaced with.
pub const REDACTED: &str = "[REDACTED]";

fn is_secret_name(name: &str) -> bool {
    SECRET_NAMES.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// The credentials of a request, to redact wherever they show up in what is recorded: the
/// values of its `Authorization` (and the token alone), `X-Auth-Key`, `X-Auth-Email`,
/// `X-Auth-User-Service-Key` and `Cookie` headers.
pub(crate) fn request_secrets(headers: &hyper::HeaderMap) -> Vec<String> {
    let mut out = Vec::new();
    for name in [
        "authorization",
        "x-auth-key",
        "x-auth-email",
        "x-auth-user-service-key",
        "cookie",
    ] {
        for value in headers.get_all(name) {
            let Ok(text) = value.to_str() else { continue };
            let text = text.trim();
            if let Some((_, token)) = text.split_once(' ')
                && token.trim().len() >= 4
            {
                out.push(token.trim().to_owned());
            }
            if text.len() >= 4 {
                out.push(text.to_owned());
            }
        }
    }
    // Longest first, so a whole header value is replaced before the token inside it.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

fn redact_secrets_in(text: &str, secrets: &[String]) -> Option<String> {
    let mut out: Option<String> = None;
    for secret in secrets {
        let current = out.as_deref().unwrap_or(text);
        if current.contains(secret.as_str()) {
            out = Some(current.replace(secret.as_str(), REDACTED));
        }
    }
    out
}

/// Replaces credentials in a JSON value: members named like a credential, and any string
/// holding one of `secrets`.
fn redact_credentials(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(s) => {
            if let Some(clean) = redact_secrets_in(s, secrets) {
                *s = clean;
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| redact_credentials(i, secrets)),
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if is_secret_name(key) && !item.is_null() {
                    *item = Value::String(REDACTED.to_owned());
                } else {
                    redact_credentials(item, secrets);
                }
            }
        }
        _ => {}
    }
}

/// A query string with the values of credential-named parameters and any of `secrets`
/// replaced.
fn redact_query(query: &str, secrets: &[String]) -> String {
    if query.is_empty() {
        return String::new();
    }
    let redacted: Vec<String> = query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded: String = form_urlencoded::parse(name.as_bytes())
                .map(|(k, _)| k.into_owned())
                .next()
                .unwrap_or_default();
            if is_secret_name(&decoded) && !value.is_empty() {
                return format!("{name}={REDACTED}");
            }
            let decoded_value: String = form_urlencoded::parse(pair.as_bytes())
                .map(|(_, v)| v.into_owned())
                .next()
                .unwrap_or_default();
            if secrets
                .iter()
                .any(|s| decoded_value.contains(s.as_str()) || value.contains(s.as_str()))
            {
                return format!("{name}={REDACTED}");
            }
            pair.to_owned()
        })
        .collect();
    redacted.join("&")
}

fn is_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Appends exchanges to a JSONL file, and optionally to a HAR 1.2 archive.
#[derive(Debug)]
pub struct Recorder {
    file: Option<Mutex<std::fs::File>>,
    har: Option<Har>,
    options: RecordOptions,
    ids: Mutex<HashMap<String, String>>,
}

/// When an exchange started and how long it took (for HAR `startedDateTime`, `time`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) started: chrono::DateTime<chrono::Utc>,
    pub(crate) millis: f64,
}

impl Timing {
    /// Timing of an exchange that started at `started` (wall clock) and `since` (monotonic).
    pub(crate) fn since(
        started: chrono::DateTime<chrono::Utc>,
        since: std::time::Instant,
    ) -> Timing {
        Timing {
            started,
            millis: since.elapsed().as_secs_f64() * 1000.0,
        }
    }
}

/// The closing bytes of a HAR file, rewritten after each entry so the file is always whole.
const HAR_TAIL: &[u8] = b"\n]}}\n";

/// A HAR 1.2 archive written entry by entry: each entry is one write that replaces the closing
/// `]}}` and puts it back after the entry, so the file parses after every exchange.
#[derive(Debug)]
struct Har {
    file: Mutex<(std::fs::File, bool)>,
    base_url: String,
}

impl Har {
    fn create(path: &Path, base_url: &str) -> std::io::Result<Har> {
        let mut file = std::fs::File::create(path)?;
        let head = json!({
            "version": "1.2",
            "creator": {"name": "cloudflare-ssl-mock", "version": env!("CARGO_PKG_VERSION")},
        });
        let mut text = serde_json::to_vec(&head).map_err(std::io::Error::other)?;
        // `{"version":…,"creator":{…}` + `,"entries":[` … `]}` + `}` of the outer object.
        text.pop();
        let mut out = b"{\"log\":".to_vec();
        out.extend_from_slice(&text);
        out.extend_from_slice(b",\"entries\":[");
        out.extend_from_slice(HAR_TAIL);
        file.write_all(&out)?;
        Ok(Har {
            file: Mutex::new((file, false)),
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }

    fn entry(&self, x: &Exchange, timing: Option<Timing>) -> Value {
        let mut url = format!("{}{}", self.base_url, x.path);
        if !x.query.is_empty() {
            url.push('?');
            url.push_str(&x.query);
        }
        let query: Vec<Value> = form_urlencoded::parse(x.query.as_bytes())
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        let mime = x.content_type.clone().unwrap_or_default();
        let (text, size, comment) = match (&x.body, &x.body_text, &x.body_omitted) {
            (Some(v), _, _) => {
                let t = serde_json::to_string(v).unwrap_or_default();
                let n = t.len() as i64;
                (Some(t), n, None)
            }
            (None, Some(t), _) => (Some(t.clone()), t.len() as i64, None),
            (None, None, Some(o)) => (
                None,
                i64::try_from(o.length).unwrap_or(i64::MAX),
                Some(format!(
                    "body left out of the recording (sha256 {})",
                    o.sha256
                )),
            ),
            (None, None, None) => (None, 0, None),
        };
        let mut content = json!({"size": size, "mimeType": mime});
        if let (Some(t), Value::Object(map)) = (text, &mut content) {
            map.insert("text".into(), Value::String(t));
        }
        if let (Some(c), Value::Object(map)) = (comment, &mut content) {
            map.insert("comment".into(), Value::String(c));
        }
        let status_text = hyper::StatusCode::from_u16(x.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let timing = timing.unwrap_or(Timing {
            started: chrono::Utc::now(),
            millis: 0.0,
        });
        let mut headers = Vec::new();
        if let Some(ct) = &x.content_type {
            headers.push(json!({"name": "content-type", "value": ct}));
        }
        json!({
            "startedDateTime": timing.started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "time": timing.millis,
            "request": {
                "method": x.method,
                "url": url,
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": [],
                "queryString": query,
                "headersSize": -1,
                "bodySize": -1,
                "comment": "request headers and body are not recorded (credentials)",
            },
            "response": {
                "status": x.status,
                "statusText": status_text,
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": headers,
                "content": content,
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": size,
            },
            "cache": {},
            "timings": {"send": 0, "wait": timing.millis, "receive": 0},
            "comment": x.operation.clone().unwrap_or_default(),
        })
    }

    fn append(&self, x: &Exchange, timing: Option<Timing>) {
        let Ok(entry) = serde_json::to_vec(&self.entry(x, timing)) else {
            return;
        };
        let mut guard = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let (file, has_entries) = &mut *guard;
        let mut out = Vec::with_capacity(entry.len() + 8);
        out.extend_from_slice(if *has_entries { b",\n" } else { b"\n" });
        out.extend_from_slice(&entry);
        out.extend_from_slice(HAR_TAIL);
        use std::io::Seek as _;
        let tail = i64::try_from(HAR_TAIL.len()).unwrap_or(0);
        if file.seek(std::io::SeekFrom::End(-tail)).is_ok() && file.write_all(&out).is_ok() {
            *has_entries = true;
            let _ = file.flush();
        }
    }
}

impl Recorder {
    /// Creates (or truncates) the recording at `path`.
    ///
    /// # Errors
    /// When the file cannot be created.
    pub fn create(path: impl AsRef<Path>, options: RecordOptions) -> std::io::Result<Recorder> {
        Ok(Recorder {
            file: Some(Mutex::new(std::fs::File::create(path)?)),
            har: None,
            options,
            ids: Mutex::new(HashMap::new()),
        })
    }

    /// A recorder writing a HAR 1.2 archive at `har` (created or truncated), with `jsonl` as
    /// well when given. URLs in the archive start with `base_url`.
    ///
    /// # Errors
    /// When a file cannot be created.
    pub fn create_with_har(
        jsonl: Option<&Path>,
        har: &Path,
        base_url: &str,
        options: RecordOptions,
    ) -> std::io::Result<Recorder> {
        Ok(Recorder {
            file: jsonl
                .map(|p| std::fs::File::create(p).map(Mutex::new))
                .transpose()?,
            har: Some(Har::create(har, base_url)?),
            options,
            ids: Mutex::new(HashMap::new()),
        })
    }

    /// `s` with every 32-hex identifier in it (a whole run of ASCII letters and digits, so ids
    /// inside messages such as "Certificate pack … not found" too, with percent escapes such as
    /// `%2C` as separators) replaced by its stand-in.
    fn redact_str(&self, s: &str, ids: &mut HashMap<String, String>) -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric() || c == '%') {
            let (before, from) = rest.split_at(start);
            out.push_str(before);
            if let Some(after) = from.strip_prefix('%') {
                // A percent escape (`%2C`) separates; its hex digits are not part of an id.
                let escape = after
                    .get(..2)
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .map_or(0, str::len);
                let (hex, after) = after.split_at(escape);
                out.push('%');
                out.push_str(hex);
                rest = after;
                continue;
            }
            let end = from
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(from.len());
            let (run, after) = from.split_at(end);
            if is_id(run) {
                let next = ids.len() + 1;
                out.push_str(
                    ids.entry(run.to_ascii_lowercase())
                        .or_insert_with(|| format!("{next:032x}")),
                );
            } else {
                out.push_str(run);
            }
            rest = after;
        }
        out.push_str(rest);
        out
    }

    fn redact_value(&self, v: &mut Value, ids: &mut HashMap<String, String>) {
        match v {
            Value::String(s) => *s = self.redact_str(s, ids),
            Value::Array(items) => items.iter_mut().for_each(|i| self.redact_value(i, ids)),
            Value::Object(map) => map.values_mut().for_each(|i| self.redact_value(i, ids)),
            _ => {}
        }
    }

    /// The options of this recording.
    pub fn options(&self) -> RecordOptions {
        self.options
    }

    /// Writes one exchange as a line: one `write` of the whole line, flushed at once. Values of
    /// credential-named JSON members and query parameters are replaced by [`REDACTED`].
    pub fn record(&self, exchange: Exchange) {
        self.record_redacting(exchange, &[], None);
    }

    /// Like [`Recorder::record`], also replacing each of `secrets` (the request's credentials)
    /// wherever it shows up in the body or the query (an upstream that echoes headers).
    pub(crate) fn record_redacting(
        &self,
        mut exchange: Exchange,
        secrets: &[String],
        timing: Option<Timing>,
    ) {
        // Credentials sent in the query are secrets to look for in the body too.
        let mut secrets = secrets.to_vec();
        for (name, value) in form_urlencoded::parse(exchange.query.as_bytes()) {
            if is_secret_name(&name) && value.len() >= 4 {
                secrets.push(value.into_owned());
            }
        }
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        let secrets = secrets.as_slice();
        exchange.query = redact_query(&exchange.query, secrets);
        if let Some(body) = &mut exchange.body {
            redact_credentials(body, secrets);
        }
        if let Some(text) = &mut exchange.body_text
            && let Some(clean) = redact_secrets_in(text, secrets)
        {
            *text = clean;
        }
        for v in &mut exchange.violations {
            if let Some(found) = &mut v.found {
                redact_credentials(found, secrets);
            }
            if let Some(clean) = redact_secrets_in(&v.message, secrets) {
                v.message = clean;
            }
        }
        if self.options.redact_ids {
            let mut ids = self.ids.lock().unwrap_or_else(PoisonError::into_inner);
            exchange.path = self.redact_str(&exchange.path, &mut ids);
            exchange.query = self.redact_str(&exchange.query, &mut ids);
            if let Some(body) = &mut exchange.body {
                self.redact_value(body, &mut ids);
            }
            if let Some(text) = &mut exchange.body_text {
                *text = self.redact_str(text, &mut ids);
            }
            for v in &mut exchange.violations {
                v.path.clone_from(&exchange.path);
                if let Some(found) = &mut v.found {
                    self.redact_value(found, &mut ids);
                }
                v.message = self.redact_str(&v.message, &mut ids);
                v.expected = self.redact_str(&v.expected, &mut ids);
            }
        }
        if let Some(har) = &self.har {
            har.append(&exchange, timing);
        }
        let Some(file) = &self.file else {
            return;
        };
        if let Ok(mut line) = serde_json::to_vec(&exchange) {
            line.push(b'\n');
            let mut f = file.lock().unwrap_or_else(PoisonError::into_inner);
            // One write of the whole line (the file is unbuffered): a crash leaves at most the
            // last line torn, which replay skips.
            let _ = f.write_all(&line).and_then(|()| f.flush());
        }
    }
}

/// Reads a recording (lines of at most [`DEFAULT_MAX_LINE`] bytes); a torn last line is
/// skipped (see [`read_recording_with`] for the warning).
///
/// # Errors
/// When the file cannot be read, a line is too long, or a line other than the last is not an
/// [`Exchange`] (the message names the line).
pub fn read_recording(path: impl AsRef<Path>) -> Result<Vec<Exchange>, String> {
    read_recording_with(path, DEFAULT_MAX_LINE).map(|r| r.exchanges)
}

/// A recording read back, with what was skipped.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Recording {
    /// The exchanges, in file order.
    pub exchanges: Vec<Exchange>,
    /// Warnings (a torn last line skipped), each naming the line.
    pub warnings: Vec<String>,
}

/// Reads a recording whose lines are at most `max_line` bytes. A last line that is not an
/// [`Exchange`] and has no line feed (what a crash while recording leaves) is skipped with a
/// warning; every other line must be whole. A line longer than `max_line` is refused by its
/// number without being read into memory.
///
/// # Errors
/// When the file cannot be read, a line is too long, or a line other than a torn last one is not
/// an [`Exchange`].
pub fn read_recording_with(path: impl AsRef<Path>, max_line: usize) -> Result<Recording, String> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut reader = std::io::BufReader::new(file);
    let mut out = Recording {
        exchanges: Vec::new(),
        warnings: Vec::new(),
    };
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        number += 1;
        line.clear();
        let limit = u64::try_from(max_line)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let read = (&mut reader)
            .take(limit)
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("{}:{number}: {e}", path.display()))?;
        if read == 0 {
            break;
        }
        let complete = line.last() == Some(&b'\n');
        let content = line.strip_suffix(b"\n").unwrap_or(&line);
        if content.len() > max_line {
            return Err(format!(
                "{}:{number}: line longer than the limit of {max_line} bytes (--max-line)",
                path.display()
            ));
        }
        if content.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Exchange>(content) {
            Ok(exchange) => out.exchanges.push(exchange),
            Err(e) if !complete => {
                out.warnings.push(format!(
                    "{}:{number}: skipped a torn last line ({} bytes, no line feed: the \
                     recording was cut short): {e}",
                    path.display(),
                    content.len()
                ));
                break;
            }
            Err(e) => {
                return Err(format!(
                    "{}:{number}: not a recorded exchange: {e}",
                    path.display()
                ))
            }
        }
    }
    Ok(out)
}

/// Configuration of a [`Replay`] server.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    exchanges: Vec<Exchange>,
    host: IpAddr,
    port: u16,
    stderr: bool,
    limits: crate::http::ServerLimits,
}

impl ReplayConfig {
    /// Serves these exchanges.
    pub fn new(exchanges: Vec<Exchange>) -> ReplayConfig {
        ReplayConfig {
            exchanges,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            stderr: false,
            limits: crate::http::ServerLimits::default(),
        }
    }

    /// Connection bounds (default [`crate::ServerLimits::default`]).
    #[must_use]
    pub fn limits(mut self, limits: crate::ServerLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Serves the recording at `path`.
    ///
    /// # Errors
    /// See [`read_recording`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<ReplayConfig, String> {
        Ok(ReplayConfig::new(read_recording(path)?))
    }

    /// Listens on this address (default 127.0.0.1).
    #[must_use]
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// Listens on this port (default 0: any free port).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Also prints violations and misses on stderr (default off; the binary turns it on).
    #[must_use]
    pub fn stderr(mut self, on: bool) -> Self {
        self.stderr = on;
        self
    }
}

struct ReplayShared {
    contract: Arc<Contract>,
    exchanges: Vec<Exchange>,
    used: Mutex<Vec<bool>>,
    misses: Mutex<Vec<String>>,
    sink: Arc<Sink>,
    stderr: bool,
    admin_access: crate::http::AdminAccess,
}

/// A running replay of a recording. Dropping it stops the server.
///
/// ```no_run
/// # async fn demo() -> Result<(), String> {
/// use cloudflare_ssl_mock::record::{Replay, ReplayConfig};
/// let replay = Replay::start(ReplayConfig::from_file("session.jsonl")?).await.map_err(|e| e.to_string())?;
/// println!("point CLOUDFLARE_BASE_URL at {}", replay.base_url());
/// # Ok(()) }
/// ```
pub struct Replay {
    addr: SocketAddr,
    shared: Arc<ReplayShared>,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

fn query_key(query: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    pairs
}

impl Replay {
    /// Binds and starts serving on the current Tokio runtime. Violations recorded in the
    /// exchanges are reported (stderr when enabled, [`Replay::violations`]) as they are served.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn start(config: ReplayConfig) -> std::io::Result<Replay> {
        let contract = Contract::shared().map_err(std::io::Error::other)?;
        let listener = TcpListener::bind(SocketAddr::new(config.host, config.port)).await?;
        let addr = listener.local_addr()?;
        let used = vec![false; config.exchanges.len()];
        let gate = crate::http::Gate::new(config.limits);
        let shared = Arc::new(ReplayShared {
            admin_access: crate::http::AdminAccess {
                token: None,
                bound: addr.ip(),
                hosts: Vec::new(),
            },
            contract,
            exchanges: config.exchanges,
            used: Mutex::new(used),
            misses: Mutex::new(Vec::new()),
            sink: Sink::new("replay", config.stderr, None)?,
            stderr: config.stderr,
        });
        let (shutdown, receiver) = watch::channel(false);
        let handler_shared = Arc::clone(&shared);
        let handler = Arc::new(
            move |req: Request<Incoming>, _close| -> crate::http::ResponseFuture {
                let shared = Arc::clone(&handler_shared);
                Box::pin(async move { replay_one(&shared, &req) })
            },
        );
        tokio::spawn(crate::http::serve(listener, gate, handler, receiver));
        Ok(Replay {
            addr,
            shared,
            shutdown,
        })
    }

    /// The API base URL, `http://127.0.0.1:PORT/client/v4`.
    pub fn base_url(&self) -> String {
        format!(
            "http://{}{}",
            advertised(self.addr),
            crate::http::API_PREFIX
        )
    }

    /// The socket address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Violations of the replayed responses so far (recorded ones and those the current
    /// document finds).
    pub fn violations(&self) -> Vec<ContractViolation> {
        self.shared.sink.all()
    }

    /// Requests that matched no recorded exchange (`METHOD path?query`).
    pub fn misses(&self) -> Vec<String> {
        self.shared
            .misses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Exchanges not replayed yet.
    pub fn remaining(&self) -> usize {
        self.shared
            .used
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|u| !**u)
            .count()
    }
}

pub(crate) fn advertised(mut addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    addr
}

fn replay_one(shared: &ReplayShared, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().as_str().to_owned();
    let full_path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let admin = crate::http::ADMIN_PREFIX;
    if full_path == admin || full_path.starts_with(&format!("{admin}/")) {
        if let Err((status, message)) = shared.admin_access.check(req.method(), req.headers()) {
            return crate::http::json(status, &json!({ "error": message }));
        }
        let rest = full_path.trim_start_matches(admin).trim_matches('/');
        return match (method.as_str(), rest) {
            ("GET", "violations") => crate::http::json(200, &json!(shared.sink.all())),
            ("GET", "misses") => crate::http::json(
                200,
                &json!(shared
                    .misses
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone()),
            ),
            ("GET", "") => crate::http::json(
                200,
                &json!({
                    "mode": "replay",
                    "exchanges": shared.exchanges.len(),
                    "routes": ["GET /__mock/violations", "GET /__mock/misses"],
                }),
            ),
            _ => crate::http::json(
                404,
                &json!({"error": format!("no admin route {method} {full_path}")}),
            ),
        };
    }
    let path = full_path
        .strip_prefix(crate::http::API_PREFIX)
        .unwrap_or(&full_path)
        .to_owned();
    let wanted = query_key(&query);
    let index = {
        let mut used = shared.used.lock().unwrap_or_else(PoisonError::into_inner);
        let found = shared.exchanges.iter().enumerate().position(|(i, x)| {
            !used.get(i).copied().unwrap_or(true)
                && x.method.eq_ignore_ascii_case(&method)
                && x.path == path
                && query_key(&x.query) == wanted
        });
        if let Some(i) = found
            && let Some(slot) = used.get_mut(i)
        {
            *slot = true;
        }
        found
    };
    let Some(exchange) = index.and_then(|i| shared.exchanges.get(i)) else {
        let what = if query.is_empty() {
            format!("{method} {path}")
        } else {
            format!("{method} {path}?{query}")
        };
        if shared.stderr {
            eprintln!("replay: miss: no recorded exchange left for {what}");
        }
        shared
            .misses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(what.clone());
        let error = ApiError::new(
            404,
            CODE_NO_ROUTE,
            format!("replay miss: no recorded exchange left for {what}"),
        );
        let mut response = crate::http::json(404, &error.body());
        response.headers_mut().insert(
            HeaderName::from_static("x-replay-miss"),
            HeaderValue::from_static("true"),
        );
        return response;
    };
    if let Some(omitted) = &exchange.body_omitted {
        let error = ApiError::new(
            502,
            CODE_NO_ROUTE,
            format!(
                "replay: the recorded body ({} bytes, sha256 {}) was left out of the recording",
                omitted.length, omitted.sha256
            ),
        );
        let mut response = crate::http::json(502, &error.body());
        response.headers_mut().insert(
            HeaderName::from_static("x-replay-omitted-body"),
            HeaderValue::from(omitted.length),
        );
        return response;
    }
    let body = exchange.body_bytes();
    // Flag what was recorded, and what the current document finds (it may have changed).
    let mut violations = exchange.violations.clone();
    let now = conformance::check(
        &shared.contract,
        &ExchangeRef {
            method: &exchange.method,
            path: &exchange.path,
            query: &exchange.query,
            request_body: None,
            status: exchange.status,
            response_body: &body,
            cf_ray: None,
            validate_limit: usize::MAX,
        },
    );
    for v in now {
        if !violations
            .iter()
            .any(|r| r.pointer == v.pointer && r.direction == v.direction)
        {
            violations.push(v);
        }
    }
    violations.retain(|v| v.direction == conformance::Direction::Response);
    shared.sink.report(&violations);
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(exchange.status).unwrap_or(hyper::StatusCode::OK);
    let content_type = exchange
        .content_type
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
        .unwrap_or(HeaderValue::from_static("application/json"));
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    if !violations.is_empty() {
        response.headers_mut().insert(
            HeaderName::from_static("x-contract-violations"),
            HeaderValue::from(violations.len()),
        );
    }
    response
}

/// A recording sink shared by the mock server and the proxy.
pub(crate) fn open_recorder(
    path: Option<&PathBuf>,
    har: Option<&PathBuf>,
    base_url: &str,
    options: RecordOptions,
) -> std::io::Result<Option<Arc<Recorder>>> {
    match (path, har) {
        (_, Some(har)) => {
            Recorder::create_with_har(path.map(PathBuf::as_path), har, base_url, options)
                .map(|r| Some(Arc::new(r)))
        }
        (Some(p), None) => Recorder::create(p, options).map(|r| Some(Arc::new(r))),
        (None, None) => Ok(None),
    }
}

/// Sorted query pairs (for tests of matching).
#[cfg(test)]
pub(crate) fn normalized_query(query: &str) -> std::collections::BTreeMap<String, String> {
    query_key(query).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_is_consistent() {
        let dir = std::env::temp_dir().join(format!("cfmock-redact-{}", std::process::id()));
        let recorder =
            Recorder::create(&dir, RecordOptions::default().redact_ids(true)).expect("file");
        let zone = "023e105f4ecef8ad9ca31a8372d0c353";
        let mut x = Exchange::new(
            "GET",
            &format!("/zones/{zone}/ssl/certificate_packs"),
            "",
            200,
            Some("application/json"),
            format!("{{\"result\":[{{\"zone_id\":\"{zone}\",\"name\":\"example.com\"}}]}}")
                .as_bytes(),
            DEFAULT_MAX_RECORD_BODY,
        );
        x.operation = Some("list_certificate_packs".into());
        recorder.record(x);
        let back = read_recording(&dir).expect("read");
        let _ = std::fs::remove_file(&dir);
        let stand_in = format!("{:032x}", 1);
        assert_eq!(
            back[0].path,
            format!("/zones/{stand_in}/ssl/certificate_packs")
        );
        assert_eq!(
            back[0]
                .body
                .as_ref()
                .map(|b| b["result"][0]["zone_id"].clone()),
            Some(json!(stand_in))
        );
        assert_eq!(
            back[0]
                .body
                .as_ref()
                .map(|b| b["result"][0]["name"].clone()),
            Some(json!("example.com"))
        );
        assert_eq!(normalized_query("b=2&a=1"), normalized_query("a=1&b=2"));
    }

    #[test]
    fn ids_are_redacted_inside_strings_and_between_percent_escapes() {
        let path = std::env::temp_dir().join(format!("cfmock-redact-str-{}", std::process::id()));
        let recorder =
            Recorder::create(&path, RecordOptions::default().redact_ids(true)).expect("file");
        let _ = std::fs::remove_file(&path);
        let a = "0123456789abcdef0123456789abcdef";
        let b = "fedcba9876543210fedcba9876543210";
        let mut ids = HashMap::new();
        let query = recorder.redact_str(&format!("ids={a}%2C{b}&x=%2"), &mut ids);
        assert_eq!(query, format!("ids={:032x}%2C{:032x}&x=%2", 1, 2));
        let message = recorder.redact_str(&format!("Certificate pack {b} not found"), &mut ids);
        assert_eq!(message, format!("Certificate pack {:032x} not found", 2));
        // Not an id: 33 hex digits, or 32 with a letter past `f`; non-ASCII text is kept.
        let kept = format!("{a}0 {}g é", &a[..31]);
        assert_eq!(recorder.redact_str(&kept, &mut ids), kept);
    }
}
