//! Fault injection and request counters, for reliability tests.
//!
//! Faults are queued rules: "the next `n` requests (to one operation, or to any) are answered
//! with this fault". Rules are consumed in the order they were added. Latency is a standing
//! per-operation (or global) delay. Both are reachable from Rust ([`Faults`]) and over HTTP under
//! `/__mock/` (see [`super`] for the admin routes).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::operation::Operation;

/// A way for the mock to misbehave on one request.
///
/// The JSON form (for `POST /__mock/faults`) is tagged by `kind`, e.g.
/// `{"kind": "rate_limited", "retry_after_secs": 2}` or `{"kind": "drop_connection"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Fault {
    /// HTTP 429 with a failure envelope (code 971) and, when `retry_after_secs` is set, a
    /// `Retry-After` header with that many seconds. The `Ratelimit` header reports `r=0`.
    RateLimited {
        /// Seconds for the `Retry-After` header; `None` sends no `Retry-After`.
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    /// A 5xx status (500 when out of range) with a failure envelope (code 10002).
    ServerError {
        /// The HTTP status, 500–599.
        #[serde(default = "default_server_status")]
        status: u16,
    },
    /// HTTP 200, `content-type: application/json`, and a body that is not JSON at all.
    MalformedJson,
    /// HTTP 200 and a complete HTTP message whose JSON body is cut in half (`Content-Length`
    /// matches the cut body, so only JSON decoding fails).
    TruncatedJson,
    /// The headers promise the full body (`Content-Length`), then the connection is closed
    /// halfway through it: reading the body fails.
    TruncatedBody,
    /// Cloudflare's HTML error page (`content-type: text/html`) instead of JSON.
    HtmlErrorPage {
        /// The HTTP status of the page (502 by default).
        #[serde(default = "default_html_status")]
        status: u16,
    },
    /// The connection is closed without sending any response.
    DropConnection,
    /// Contract drift: the response body with the value at `pointer` (a JSON Pointer, e.g.
    /// `/result/advanced/allocated`) replaced by `value` — or added, when its parent object
    /// exists — e.g. a field of another type or an enum value the document does not know. With
    /// [`FaultStage::AfterHandling`] it edits the real response.
    SetField {
        /// Where, as a JSON Pointer into the response body.
        pointer: String,
        /// The value to put there.
        value: serde_json::Value,
    },
    /// Contract drift: the response body without the member at `pointer` (e.g. a required
    /// field dropped). With [`FaultStage::AfterHandling`] it edits the real response.
    RemoveField {
        /// Where, as a JSON Pointer into the response body.
        pointer: String,
    },
}

impl Fault {
    /// One example of every kind of fault, in its JSON form's order: what `GET /__mock/` lists.
    pub fn examples() -> Vec<Fault> {
        let all = vec![
            Fault::RateLimited {
                retry_after_secs: Some(2),
            },
            Fault::ServerError { status: 503 },
            Fault::MalformedJson,
            Fault::TruncatedJson,
            Fault::TruncatedBody,
            Fault::HtmlErrorPage { status: 502 },
            Fault::DropConnection,
            Fault::SetField {
                pointer: "/result/advanced/allocated".into(),
                value: serde_json::Value::String("ten".into()),
            },
            Fault::RemoveField {
                pointer: "/result/status".into(),
            },
        ];
        // A new variant must be added above: this match has no wildcard.
        for fault in &all {
            match fault {
                Fault::RateLimited { .. }
                | Fault::ServerError { .. }
                | Fault::MalformedJson
                | Fault::TruncatedJson
                | Fault::TruncatedBody
                | Fault::HtmlErrorPage { .. }
                | Fault::DropConnection
                | Fault::SetField { .. }
                | Fault::RemoveField { .. } => {}
            }
        }
        all
    }

    /// `Err` with a message naming the field, the value and the range when a status is out of
    /// range (`server_error` needs 500–599, `html_error_page` 400–599). [`Faults::next`] does
    /// not check: it answers 500 or 502 for an out-of-range status instead.
    ///
    /// # Errors
    /// The message above.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Fault::ServerError { status } if !(500..=599).contains(status) => Err(format!(
                "fault.status: {status} is out of range for server_error (500-599)"
            )),
            Fault::HtmlErrorPage { status } if !(400..=599).contains(status) => Err(format!(
                "fault.status: {status} is out of range for html_error_page (400-599)"
            )),
            _ => Ok(()),
        }
    }

    /// The `kind` of this fault in its JSON form (e.g. `rate_limited`).
    pub fn kind(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
            .unwrap_or_default()
    }
}

/// Sets (or adds) the value at a JSON Pointer; `false` when its parent does not exist.
pub(crate) fn set_pointer(
    body: &mut serde_json::Value,
    pointer: &str,
    value: serde_json::Value,
) -> bool {
    if pointer.is_empty() {
        *body = value;
        return true;
    }
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return false;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match body.pointer_mut(parent) {
        Some(serde_json::Value::Object(map)) => {
            map.insert(last, value);
            true
        }
        Some(serde_json::Value::Array(items)) => {
            match last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(slot) => {
                    *slot = value;
                    true
                }
                None => false,
            }
        }
        _ => false,
    }
}

/// Removes the member at a JSON Pointer; `false` when there is none.
pub(crate) fn remove_pointer(body: &mut serde_json::Value, pointer: &str) -> bool {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return false;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match body.pointer_mut(parent) {
        Some(serde_json::Value::Object(map)) => map.remove(&last).is_some(),
        Some(serde_json::Value::Array(items)) => match last.parse::<usize>() {
            Ok(i) if i < items.len() => {
                items.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

fn default_server_status() -> u16 {
    500
}

fn default_html_status() -> u16 {
    502
}

/// When a fault strikes relative to the real handling of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultStage {
    /// The request is not processed at all: the fault replaces the whole exchange (an order is
    /// not placed). Body-corrupting faults then corrupt a generic success envelope.
    #[default]
    BeforeHandling,
    /// The request is processed (an order *is* placed, state changes), then the real response is
    /// replaced or corrupted: the client cannot tell whether its call succeeded.
    AfterHandling,
}

/// Whether `path` (relative to the API base, e.g. `/zones/abc/ssl/verification`) matches
/// `template`: the same number of segments, each equal, or `*` or a `{name}` parameter (any one
/// segment).
pub(crate) fn template_matches(template: &str, path: &str) -> bool {
    let t = template.trim_end_matches('/').split('/');
    let p = path.trim_end_matches('/').split('/');
    let mut t = t.peekable();
    let mut p = p.peekable();
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) => {
                let any = ts == "*" || (ts.starts_with('{') && ts.ends_with('}') && ts.len() > 2);
                if !(any && !ps.is_empty() || ts == ps) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The zone of a request path (`/zones/{zone_id}/…`).
pub(crate) fn zone_of(path: &str) -> Option<&str> {
    path.strip_prefix("/zones/")
        .and_then(|rest| rest.split('/').next())
        .filter(|z| !z.is_empty())
}

/// What a request looks like to the fault rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub(crate) operation: Option<Operation>,
    /// Relative to the API base (`/zones/…`), when under it.
    pub(crate) path: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub(crate) struct FaultRule {
    pub(crate) operation: Option<Operation>,
    /// Only requests to this zone (`/zones/{zone}/…`).
    pub(crate) zone: Option<String>,
    /// Only requests whose path matches this template (see [`template_matches`]).
    pub(crate) path: Option<String>,
    pub(crate) fault: Fault,
    pub(crate) remaining: u32,
    pub(crate) stage: FaultStage,
}

/// Queued faults and standing latencies.
#[derive(Debug, Default)]
pub(crate) struct FaultPlan {
    rules: Vec<FaultRule>,
    latency: BTreeMap<Option<Operation>, Duration>,
}

impl FaultPlan {
    /// Consumes one use of the first rule matching `target`.
    pub(crate) fn take(&mut self, target: Target<'_>) -> Option<(Fault, FaultStage)> {
        let index = self.rules.iter().position(|r| {
            r.remaining > 0
                && (r.operation.is_none() || r.operation == target.operation)
                && r.zone
                    .as_deref()
                    .is_none_or(|z| target.path.and_then(zone_of).is_some_and(|p| p == z))
                && r.path
                    .as_deref()
                    .is_none_or(|t| target.path.is_some_and(|p| template_matches(t, p)))
        })?;
        let rule = self.rules.get_mut(index)?;
        rule.remaining -= 1;
        let taken = (rule.fault.clone(), rule.stage);
        if rule.remaining == 0 {
            self.rules.remove(index);
        }
        Some(taken)
    }

    pub(crate) fn latency(&self, operation: Option<Operation>) -> Option<Duration> {
        operation
            .and_then(|op| self.latency.get(&Some(op)))
            .or_else(|| self.latency.get(&None))
            .copied()
    }

    /// Rules queued.
    pub(crate) fn rules(&self) -> usize {
        self.rules.len()
    }

    pub(crate) fn pending(&self) -> u64 {
        self.rules.iter().map(|r| u64::from(r.remaining)).sum()
    }

    pub(crate) fn push(&mut self, rule: FaultRule) {
        if rule.remaining > 0 {
            self.rules.push(rule);
        }
    }

    pub(crate) fn set_latency(&mut self, operation: Option<Operation>, delay: Duration) {
        if delay.is_zero() {
            self.latency.remove(&operation);
        } else {
            self.latency.insert(operation, delay);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
        self.latency.clear();
    }
}

/// Handle for injecting faults into a running [`super::MockServer`], from
/// [`super::MockServer::faults`].
///
/// ```no_run
/// # async fn demo() {
/// use cloudflare_ssl_mock::{Fault, MockServer, Operation};
/// use std::time::Duration;
///
/// let mock = MockServer::start().await;
/// // The next two requests, whatever they are, get a 429 with `Retry-After: 1`.
/// mock.faults().next(2, Fault::RateLimited { retry_after_secs: Some(1) });
/// // The next order is placed, but its response is lost with the connection.
/// mock.faults()
///     .on(Operation::OrderCertificatePack)
///     .after_handling()
///     .next(1, Fault::DropConnection);
/// // Every list call takes 200 ms longer.
/// mock.faults().on(Operation::ListCertificatePacks).latency(Duration::from_millis(200));
/// # }
/// ```
#[derive(Clone)]
pub struct Faults {
    pub(crate) plan: Arc<std::sync::Mutex<FaultPlan>>,
    pub(crate) operation: Option<Operation>,
    pub(crate) stage: FaultStage,
    pub(crate) zone: Option<String>,
    pub(crate) path: Option<String>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults")
            .field("operation", &self.operation)
            .field("stage", &self.stage)
            .field("zone", &self.zone)
            .field("path", &self.path)
            .finish()
    }
}

impl Faults {
    /// The plan, even if a panicking holder poisoned the lock (the plan stays consistent).
    fn plan(&self) -> std::sync::MutexGuard<'_, FaultPlan> {
        self.plan
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Scopes the following calls to one operation (default: every operation).
    #[must_use]
    pub fn on(&self, operation: Operation) -> Faults {
        Faults {
            operation: Some(operation),
            ..self.clone()
        }
    }

    /// Scopes the following faults to requests to one zone (`/zones/{zone_id}/…`); latency is
    /// not scoped by zone.
    #[must_use]
    pub fn zone(&self, zone_id: impl Into<String>) -> Faults {
        Faults {
            zone: Some(zone_id.into()),
            ..self.clone()
        }
    }

    /// Scopes the following faults to requests whose path (relative to the API base URL)
    /// matches `template`: segments equal, or `*` or `{name}` for any one segment, e.g.
    /// `/zones/*/ssl/certificate_packs/{id}` — also paths outside the document (user routes).
    /// Latency is not scoped by path.
    #[must_use]
    pub fn path(&self, template: impl Into<String>) -> Faults {
        Faults {
            path: Some(template.into()),
            ..self.clone()
        }
    }

    /// Makes the following faults strike after the request was processed
    /// ([`FaultStage::AfterHandling`]).
    #[must_use]
    pub fn after_handling(&self) -> Faults {
        Faults {
            stage: FaultStage::AfterHandling,
            ..self.clone()
        }
    }

    /// Answers the next `n` matching requests with `fault`.
    pub fn next(&self, n: u32, fault: Fault) -> &Faults {
        self.plan().push(FaultRule {
            operation: self.operation,
            zone: self.zone.clone(),
            path: self.path.clone(),
            fault,
            remaining: n,
            stage: self.stage,
        });
        self
    }

    /// Delays every matching request by `delay` (zero removes the delay). A per-operation
    /// latency takes precedence over the global one.
    pub fn latency(&self, delay: Duration) -> &Faults {
        self.plan().set_latency(self.operation, delay);
        self
    }

    /// Removes every queued fault and every latency.
    pub fn clear(&self) {
        self.plan().clear();
    }

    /// How many injected responses are still queued (all operations).
    pub fn pending(&self) -> u64 {
        self.plan().pending()
    }
}

/// Request counters of a [`super::MockServer`], from [`super::MockServer::counters`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// API requests received (everything under `/client/v4`, admin routes excluded), including
    /// rejected and faulted ones.
    pub total: u64,
    /// API requests per `operationId`; requests that matched no operation count under
    /// `"unmatched"`.
    pub by_operation: BTreeMap<String, u64>,
    /// Certificate packs created by `order_certificate_pack` (for "no duplicate order" checks).
    pub orders_created: u64,
    /// Responses replaced or corrupted by an injected fault.
    pub faults_injected: u64,
    /// Responses answered 429 by the mock's own rate limiter.
    pub rate_limited: u64,
    /// API requests held back by an injected latency (so tests can count them instead of
    /// timing them).
    pub delayed: u64,
}

impl Counters {
    /// Requests received for `operation`.
    pub fn requests(&self, operation: Operation) -> u64 {
        self.by_operation
            .get(operation.operation_id())
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_consumed_in_order_and_scoped() {
        let mut plan = FaultPlan::default();
        plan.rules.push(FaultRule {
            zone: None,
            path: None,
            operation: Some(Operation::OrderCertificatePack),
            fault: Fault::DropConnection,
            remaining: 1,
            stage: FaultStage::AfterHandling,
        });
        plan.rules.push(FaultRule {
            zone: None,
            path: None,
            operation: None,
            fault: Fault::MalformedJson,
            remaining: 2,
            stage: FaultStage::BeforeHandling,
        });
        assert_eq!(
            plan.take(op(Some(Operation::ListCertificatePacks))),
            Some((Fault::MalformedJson, FaultStage::BeforeHandling))
        );
        assert_eq!(
            plan.take(op(Some(Operation::OrderCertificatePack))),
            Some((Fault::DropConnection, FaultStage::AfterHandling))
        );
        assert_eq!(plan.pending(), 1);
        assert!(plan.take(op(None)).is_some());
        assert_eq!(plan.take(op(None)), None);
    }

    fn op(operation: Option<Operation>) -> Target<'static> {
        Target {
            operation,
            path: None,
        }
    }

    #[test]
    fn rules_scoped_by_zone_and_path() {
        let mut plan = FaultPlan::default();
        plan.push(FaultRule {
            operation: None,
            zone: Some("z2".into()),
            path: None,
            fault: Fault::MalformedJson,
            remaining: 1,
            stage: FaultStage::BeforeHandling,
        });
        plan.push(FaultRule {
            operation: None,
            zone: None,
            path: Some("/zones/*/ssl/certificate_packs/{id}".into()),
            fault: Fault::DropConnection,
            remaining: 1,
            stage: FaultStage::BeforeHandling,
        });
        let at = |path: &'static str| Target {
            operation: None,
            path: Some(path),
        };
        assert_eq!(plan.take(at("/zones/z1/ssl/verification")), None);
        assert_eq!(plan.take(at("/zones/z1/ssl/certificate_packs")), None);
        assert_eq!(
            plan.take(at("/zones/z1/ssl/certificate_packs/p1"))
                .map(|f| f.0),
            Some(Fault::DropConnection)
        );
        assert_eq!(plan.take(op(None)), None);
        assert_eq!(
            plan.take(at("/zones/z2/ssl/verification")).map(|f| f.0),
            Some(Fault::MalformedJson)
        );
        assert!(template_matches("/a/{x}/c", "/a/b/c"));
        assert!(!template_matches("/a/{x}/c", "/a//c"));
        assert!(!template_matches("/a/*", "/a/b/c"));
        assert!(template_matches("/a/b/", "/a/b"));
    }

    #[test]
    fn pointer_edits() {
        let mut v = serde_json::json!({"result": {"a": 1, "list": [1, 2]}});
        assert!(set_pointer(&mut v, "/result/a", serde_json::json!("one")));
        assert!(set_pointer(&mut v, "/result/b", serde_json::json!(2)));
        assert!(set_pointer(&mut v, "/result/list/1", serde_json::json!(3)));
        assert!(!set_pointer(&mut v, "/nothing/here", serde_json::json!(0)));
        assert!(remove_pointer(&mut v, "/result/list/0"));
        assert!(remove_pointer(&mut v, "/result/b"));
        assert!(!remove_pointer(&mut v, "/result/b"));
        assert_eq!(v, serde_json::json!({"result": {"a": "one", "list": [3]}}));
    }

    #[test]
    fn every_fault_kind_has_an_example_that_round_trips() {
        let kinds: Vec<String> = Fault::examples().iter().map(Fault::kind).collect();
        assert_eq!(kinds.len(), 9);
        assert!(kinds.contains(&"set_field".to_owned()));
        for fault in Fault::examples() {
            let json = serde_json::to_value(&fault).unwrap_or_default();
            let back: Fault = serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(back, fault);
        }
    }

    #[test]
    fn fault_json_form() {
        let f: Fault = serde_json::from_str(r#"{"kind":"rate_limited","retry_after_secs":3}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            f,
            Fault::RateLimited {
                retry_after_secs: Some(3)
            }
        );
        let f: Fault =
            serde_json::from_str(r#"{"kind":"html_error_page"}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f, Fault::HtmlErrorPage { status: 502 });
    }
}
