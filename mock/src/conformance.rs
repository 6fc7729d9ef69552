//! Checking real exchanges against the curated document: what the conformance proxy, the
//! recorder and the replay server report.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::spec::{Contract, RouteMatch, Violation};

/// Which half of an exchange broke the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The request the client sent (path, query or body).
    Request,
    /// The response the server sent (status or body).
    Response,
}

/// One difference between an exchange and the curated document, as the conformance proxy
/// ([`crate::proxy::Proxy`]), the recorder and the replay server ([`crate::record`]) report
/// it. Never carries credentials or headers other than `cf-ray`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContractViolation {
    /// The `operationId` the request was routed to; `None` when it matched no operation.
    pub operation: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Request path relative to the API base URL, e.g. `/zones/…/ssl/certificate_packs`.
    pub path: String,
    /// Request or response.
    pub direction: Direction,
    /// The response's HTTP status (absent for a request found invalid before any response).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// JSON Pointer to the offending value (in the body; `/name` for a query parameter).
    pub pointer: String,
    /// What the document expects there.
    pub expected: String,
    /// What was found there (`None`: missing).
    #[serde(default)]
    pub found: Option<Value>,
    /// The validator's message.
    pub message: String,
    /// The response's `cf-ray` header, to quote to Cloudflare support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cf_ray: Option<String>,
}

impl std::fmt::Display for ContractViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let direction = match self.direction {
            Direction::Request => "request",
            Direction::Response => "response",
        };
        write!(
            f,
            "{} {} {}",
            self.operation.as_deref().unwrap_or("(no operation)"),
            self.method,
            self.path
        )?;
        if let Some(status) = self.status {
            write!(f, " -> {status}")?;
        }
        let pointer = if self.pointer.is_empty() {
            "(root)"
        } else {
            &self.pointer
        };
        write!(f, ": {direction} {pointer}: expected {}", self.expected)?;
        match &self.found {
            Some(v) => {
                let text = v.to_string();
                let short: String = text.chars().take(120).collect();
                let ellipsis = if short.len() < text.len() { "…" } else { "" };
                write!(f, ", found {short}{ellipsis}")?;
            }
            None => write!(f, ", found nothing")?,
        }
        if let Some(ray) = &self.cf_ray {
            write!(f, " (cf-ray {ray})")?;
        }
        Ok(())
    }
}

/// One exchange to check.
pub(crate) struct ExchangeRef<'a> {
    pub(crate) method: &'a str,
    /// Relative to the API base.
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) request_body: Option<&'a [u8]>,
    pub(crate) status: u16,
    pub(crate) response_body: &'a [u8],
    pub(crate) cf_ray: Option<&'a str>,
    /// Response bodies larger than this are not parsed nor validated (one violation says so).
    pub(crate) validate_limit: usize,
}

/// The operation of a request, if it routes to one.
pub(crate) fn operation_of(contract: &Contract, method: &str, path: &str) -> Option<String> {
    match contract.route(method, path) {
        RouteMatch::Found(op, _) => Some(op.operation_id.clone()),
        _ => None,
    }
}

/// Checks both halves of an exchange. `request_body: None` skips the request check (a
/// recording does not keep request bodies).
pub(crate) fn check(contract: &Contract, x: &ExchangeRef<'_>) -> Vec<ContractViolation> {
    let make = |operation: Option<&str>, direction, status, v: Violation| ContractViolation {
        operation: operation.map(str::to_owned),
        method: x.method.to_owned(),
        path: x.path.to_owned(),
        direction,
        status,
        pointer: v.pointer,
        expected: v.expected,
        found: v.found,
        message: v.message,
        cf_ray: x.cf_ray.map(str::to_owned),
    };
    let mut out = Vec::new();
    let op = match contract.route(x.method, x.path) {
        RouteMatch::Found(op, params) => {
            if let Some(body) = x.request_body {
                let checked = op.check_request(&params, x.query, body);
                for v in checked
                    .path_violations
                    .into_iter()
                    .chain(checked.violations)
                {
                    out.push(make(Some(&op.operation_id), Direction::Request, None, v));
                }
            }
            op
        }
        RouteMatch::MethodNotAllowed(allowed) => {
            let v = Violation::new(
                "",
                format!(
                    "the document has no {} on this path (it has {})",
                    x.method,
                    allowed.join(", ")
                ),
            );
            out.push(make(None, Direction::Request, None, v));
            return out;
        }
        RouteMatch::NotFound => {
            let v = Violation::new("", "no path of the document matches this request");
            out.push(make(None, Direction::Request, None, v));
            return out;
        }
    };
    let id = op.operation_id.as_str();
    if x.response_body.len() > x.validate_limit {
        let v = Violation::new(
            "",
            format!(
                "response body of {} bytes not validated: larger than the validation limit of {} \
                 bytes (--max-validate-body)",
                x.response_body.len(),
                x.validate_limit
            ),
        );
        out.push(make(Some(id), Direction::Response, Some(x.status), v));
        return out;
    }
    match serde_json::from_slice::<Value>(x.response_body) {
        Ok(body) => {
            if let Err(vs) = contract.validate_response(id, x.status, &body) {
                for v in vs {
                    out.push(make(Some(id), Direction::Response, Some(x.status), v));
                }
            }
        }
        Err(e) => {
            let text = String::from_utf8_lossy(x.response_body);
            let v = Violation::new("", format!("the response body is not JSON: {e}"))
                .found(Value::String(text.chars().take(200).collect()));
            out.push(make(Some(id), Direction::Response, Some(x.status), v));
        }
    }
    out
}

/// Violations kept in memory by default (the newest; older ones are counted only).
pub const DEFAULT_MAX_STORED_VIOLATIONS: usize = 1000;
/// Distinct `(operation, pointer)` pairs counted; past it they count under `(other)`.
const MAX_COUNT_KEYS: usize = 1000;

/// How often one `(operation, pointer)` pair was reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ViolationCount {
    /// The `operationId` (`None`: the request matched no operation).
    pub operation: Option<String>,
    /// The JSON pointer (`(other)` once too many distinct pairs were seen).
    pub pointer: String,
    /// Reports so far.
    pub count: u64,
}

#[derive(Default)]
struct Memory {
    ring: std::collections::VecDeque<ContractViolation>,
    counts: std::collections::BTreeMap<(Option<String>, String), u64>,
    total: u64,
}

/// Where violations go: a bounded ring and counts in memory (always), stderr and a JSONL file
/// (optional).
pub(crate) struct Sink {
    memory: Mutex<Memory>,
    capacity: usize,
    stderr: bool,
    file: Option<Mutex<std::fs::File>>,
    label: &'static str,
}

impl Sink {
    pub(crate) fn new(
        label: &'static str,
        stderr: bool,
        report: Option<&Path>,
    ) -> std::io::Result<Arc<Sink>> {
        Sink::with_capacity(label, stderr, report, DEFAULT_MAX_STORED_VIOLATIONS)
    }

    pub(crate) fn with_capacity(
        label: &'static str,
        stderr: bool,
        report: Option<&Path>,
        capacity: usize,
    ) -> std::io::Result<Arc<Sink>> {
        let file = match report {
            Some(path) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            )),
            None => None,
        };
        Ok(Arc::new(Sink {
            memory: Mutex::new(Memory::default()),
            capacity,
            stderr,
            file,
            label,
        }))
    }

    pub(crate) fn report(&self, violations: &[ContractViolation]) {
        for v in violations {
            if self.stderr {
                eprintln!("{}: contract violation: {v}", self.label);
            }
            if let Some(file) = &self.file
                && let Ok(mut line) = serde_json::to_vec(v)
            {
                line.push(b'\n');
                let mut f = file.lock().unwrap_or_else(PoisonError::into_inner);
                let _ = f.write_all(&line).and_then(|()| f.flush());
            }
        }
        let mut memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
        for v in violations {
            memory.total = memory.total.saturating_add(1);
            let key = (v.operation.clone(), v.pointer.clone());
            let key = if memory.counts.contains_key(&key) || memory.counts.len() < MAX_COUNT_KEYS {
                key
            } else {
                (None, "(other)".to_owned())
            };
            let count = memory.counts.entry(key).or_insert(0);
            *count = count.saturating_add(1);
            if self.capacity == 0 {
                continue;
            }
            if memory.ring.len() >= self.capacity {
                memory.ring.pop_front();
            }
            memory.ring.push_back(v.clone());
        }
    }

    /// The newest violations kept (at most the capacity), oldest first.
    pub(crate) fn all(&self) -> Vec<ContractViolation> {
        let memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
        memory.ring.iter().cloned().collect()
    }

    /// Violations reported so far (kept or not).
    pub(crate) fn total(&self) -> u64 {
        self.memory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }

    /// Counts per `(operation, pointer)`.
    pub(crate) fn counts(&self) -> Vec<ViolationCount> {
        let memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
        memory
            .counts
            .iter()
            .map(|((operation, pointer), count)| ViolationCount {
                operation: operation.clone(),
                pointer: pointer.clone(),
                count: *count,
            })
            .collect()
    }

    /// Violations kept in memory now.
    pub(crate) fn stored(&self) -> usize {
        self.memory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .ring
            .len()
    }
}
