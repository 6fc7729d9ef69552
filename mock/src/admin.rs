//! The mock's admin routes under `/__mock/`: plain JSON, no authentication, for tests written in
//! any language. See the module documentation of [`super`] for the list.

use std::time::Duration;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::faults::{Fault, FaultRule, FaultStage};
use crate::http::ADMIN_PREFIX;
use crate::operation::Operation;
use crate::shared::{Reply, Shared};

fn error(status: u16, message: impl Into<String>) -> Reply {
    Reply::json(status, &json!({ "error": message.into() }))
}

fn ok(value: Value) -> Reply {
    Reply::json(200, &value)
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Reply> {
    let text = if body.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        &body[..]
    };
    serde_json::from_slice(text).map_err(|e| {
        let message: String = e.to_string().chars().take(400).collect();
        error(400, format!("invalid JSON body: {message}"))
    })
}

/// The operation named `name`; an unknown name is answered with the list of valid ones.
fn operation(name: Option<&str>) -> Result<Option<Operation>, Reply> {
    match name {
        None => Ok(None),
        Some(n) => n.parse::<Operation>().map(Some).map_err(|_| {
            let valid: Vec<&str> = Operation::ALL.iter().map(|o| o.operation_id()).collect();
            error(
                400,
                format!(
                    "operation: unknown operation `{}`; valid operations: {}",
                    crate::http::excerpt(n),
                    valid.join(", ")
                ),
            )
        }),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    fault: Fault,
    #[serde(default = "one")]
    times: u32,
    #[serde(default)]
    operation: Option<String>,
    #[serde(default)]
    stage: FaultStage,
    #[serde(default)]
    zone: Option<String>,
    #[serde(default)]
    path: Option<String>,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
struct LatencyRequest {
    millis: u64,
    #[serde(default)]
    operation: Option<String>,
}

#[derive(Deserialize)]
struct AdvanceRequest {
    seconds: f64,
}

#[derive(Deserialize)]
struct StatusRequest {
    status: String,
}

/// The state summary shown by `GET /__mock/info`.
pub(crate) fn info(shared: &Shared) -> Value {
    let state = shared.state();
    let creds = &shared.config.credentials;
    let zones: Vec<Value> = state
        .zones
        .iter()
        .map(|z| {
            json!({
                "id": z.id,
                "name": z.name,
                "packs": z.packs.len(),
                "advanced_quota": z.advanced_quota,
                "advanced_used": z.advanced_used(),
            })
        })
        .collect();
    json!({
        "base_url": shared.base_url(),
        "admin_url": format!("http://{}{ADMIN_PREFIX}", shared.advertised()),
        "token": creds.token,
        "api_email": creds.email,
        "api_key": creds.key,
        "user_service_key": creds.user_service_key,
        "zones": zones,
        "now": crate::state::rfc3339(state.now()),
        "next_transition": state.next_transition().map(crate::state::rfc3339),
    })
}

const ROUTES: &[&str] = &[
    "GET    /__mock/info",
    "GET    /__mock/counters",
    "GET    /__mock/violations",
    "POST   /__mock/faults        {\"fault\": {\"kind\": ...}, \"times\": 1, \"operation\": \"order_certificate_pack\", \"zone\": \"<zone id>\", \"path\": \"/zones/*/ssl/verification\", \"stage\": \"before_handling\"|\"after_handling\"}",
    "DELETE /__mock/faults",
    "POST   /__mock/latency       {\"millis\": 250, \"operation\": \"list_certificate_packs\"}",
    "POST   /__mock/clock/advance {\"seconds\": 60}",
    "POST   /__mock/clock/tick",
    "POST   /__mock/clock/settle",
    "PUT    /__mock/zones/{zone_id}/certificate_packs/{pack_id}/status {\"status\": \"validation_timed_out\"}",
    "POST   /__mock/reset",
    "GET    /__mock/routes",
    "POST   /__mock/routes        {\"method\": \"GET\", \"path\": \"/accounts/{account_id}/tokens\", \"status\": 200, \"body\": {...}}",
    "DELETE /__mock/routes",
];

/// Handles one admin request.
pub(crate) fn handle(shared: &Shared, method: &str, path: &str, body: &Bytes) -> Reply {
    let rest = path
        .strip_prefix(ADMIN_PREFIX)
        .unwrap_or("")
        .trim_matches('/');
    let segments: Vec<&str> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.split('/').collect()
    };
    match (method, segments.as_slice()) {
        ("GET", []) => ok(json!({
            "routes": ROUTES,
            "fault_kinds": Fault::examples(),
            "fault_stages": ["before_handling", "after_handling"],
            "operations": Operation::ALL.iter().map(|o| o.operation_id()).collect::<Vec<_>>(),
            // Answered from the state by a rule, or from the document's example.
            "stateful_operations": Operation::ALL.iter().filter(|o| crate::routes::is_stateful(**o)).map(|o| o.operation_id()).collect::<Vec<_>>(),
            "example_operations": Operation::ALL.iter().filter(|o| !crate::routes::is_stateful(**o)).map(|o| o.operation_id()).collect::<Vec<_>>(),
            "business_rules": crate::envelope::BUSINESS_RULES,
            "info": info(shared),
        })),
        ("GET", ["info"]) => ok(info(shared)),
        ("GET", ["counters"]) => ok(json!(shared.state().counters)),
        ("GET", ["violations"]) => ok(json!(shared.violations())),
        ("POST", ["faults"]) => {
            let req: FaultRequest = match parse(body) {
                Ok(r) => r,
                Err(e) => return e,
            };
            let op = match operation(req.operation.as_deref()) {
                Ok(op) => op,
                Err(e) => return e,
            };
            if let Err(message) = req.fault.check() {
                return error(400, message);
            }
            let mut plan = shared.faults();
            if req.times > 0 && plan.rules() >= shared.config.max_fault_rules {
                return error(
                    400,
                    format!(
                        "fault rules: {} queued, the limit is {} (max_fault_rules, \
                         --max-fault-rules); DELETE /__mock/faults to clear",
                        plan.rules(),
                        shared.config.max_fault_rules
                    ),
                );
            }
            if req.times > 0 {
                plan.push(FaultRule {
                    operation: op,
                    zone: req.zone,
                    path: req.path,
                    fault: req.fault,
                    remaining: req.times,
                    stage: req.stage,
                });
            }
            ok(json!({ "pending": plan.pending() }))
        }
        ("DELETE", ["faults"]) => {
            shared.faults().clear();
            ok(json!({ "pending": 0 }))
        }
        ("POST", ["latency"]) => {
            let req: LatencyRequest = match parse(body) {
                Ok(r) => r,
                Err(e) => return e,
            };
            let op = match operation(req.operation.as_deref()) {
                Ok(op) => op,
                Err(e) => return e,
            };
            let max = shared.config.max_latency;
            if u128::from(req.millis) > max.as_millis() {
                return error(
                    400,
                    format!(
                        "millis: {} exceeds the limit of {} (max_latency, --max-latency-ms)",
                        req.millis,
                        max.as_millis()
                    ),
                );
            }
            shared
                .faults()
                .set_latency(op, Duration::from_millis(req.millis));
            ok(json!({ "operation": op.map(Operation::operation_id), "millis": req.millis }))
        }
        ("POST", ["clock", "advance"]) => {
            let req: AdvanceRequest = match parse(body) {
                Ok(r) => r,
                Err(e) => return e,
            };
            let by = match Duration::try_from_secs_f64(req.seconds) {
                Ok(by) => by,
                // Too large for a duration: past the clock's limit, reported as such below.
                Err(_) if req.seconds > 0.0 => Duration::MAX,
                Err(_) => return error(400, "seconds must be a non-negative number"),
            };
            if let Err(limit) = shared.state().advance(by) {
                return error(400, format!("seconds: {} {limit}", req.seconds));
            }
            ok(info(shared))
        }
        ("POST", ["clock", "tick"]) => {
            let moved = shared.state().tick();
            let mut v = info(shared);
            if let Value::Object(map) = &mut v {
                map.insert("advanced".into(), json!(moved));
            }
            ok(v)
        }
        ("POST", ["clock", "settle"]) => {
            let ticks = shared.state().settle();
            let mut v = info(shared);
            if let Value::Object(map) = &mut v {
                map.insert("ticks".into(), json!(ticks));
            }
            ok(v)
        }
        ("PUT" | "POST", ["zones", zone_id, "certificate_packs", pack_id, "status"]) => {
            let req: StatusRequest = match parse(body) {
                Ok(r) => r,
                Err(e) => return e,
            };
            match shared
                .state()
                .set_pack_status(zone_id, pack_id, &req.status)
            {
                Ok(pack) => ok(pack),
                Err(e) => error(404, e),
            }
        }
        ("GET", ["routes"]) => ok(json!(*shared.user_routes())),
        ("POST", ["routes"]) => {
            let route: crate::custom::UserRoute = match parse(body) {
                Ok(r) => r,
                Err(e) => return e,
            };
            if let Err(message) = route.check() {
                return error(400, message);
            }
            let mut routes = shared.user_routes();
            if routes.len() >= shared.config.max_user_routes {
                return error(
                    400,
                    format!(
                        "user routes: {} held, the limit is {} (max_user_routes, \
                         --max-user-routes); DELETE /__mock/routes to clear",
                        routes.len(),
                        shared.config.max_user_routes
                    ),
                );
            }
            routes.push(route);
            ok(json!({ "routes": routes.len() }))
        }
        ("DELETE", ["routes"]) => {
            shared.user_routes().clear();
            ok(json!({ "routes": 0 }))
        }
        ("POST", ["reset"]) => {
            shared.reset();
            ok(info(shared))
        }
        (_, _) => error(
            404,
            format!(
                "no admin route {method} {}; the routes: {}",
                crate::http::excerpt(path),
                ROUTES
                    .iter()
                    .filter_map(|r| r.split("  ").next())
                    .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    }
}
