//! The operations of the document (the seed's and `GET /zones`), on the mock's state. Requests reaching this module are authenticated and
//! conform to the curated document; what is checked here is business logic (unknown zone or pack,
//! hosts outside the zone, quota, status rules).

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};

use crate::envelope::{self, ApiError};
use crate::operation::Operation;
use crate::pem;
use crate::state::{rfc3339_micros, PackKind, State, Zone};

/// One validated API call.
pub(crate) struct Call<'a> {
    pub(crate) operation: Operation,
    pub(crate) path: &'a str,
    pub(crate) params: &'a BTreeMap<String, String>,
    pub(crate) query: &'a BTreeMap<String, Value>,
    pub(crate) body: &'a Value,
}

impl Call<'_> {
    fn param(&self, name: &str) -> &str {
        self.params.get(name).map_or("", String::as_str)
    }

    fn body_str(&self, name: &str) -> Option<&str> {
        self.body.get(name).and_then(Value::as_str)
    }

    fn query_u64(&self, name: &str) -> Option<u64> {
        let v = self.query.get(name)?;
        v.as_u64().or_else(|| {
            v.as_f64().filter(|f| f.is_finite() && *f >= 0.0).map(|f| {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let n = f.floor() as u64;
                n
            })
        })
    }
}

/// Whether the mock answers `operation` from its state (a rule below); any other operation of
/// the document is answered with the document's example (`GET /__mock/` lists both).
pub(crate) fn is_stateful(operation: Operation) -> bool {
    matches!(
        operation,
        Operation::ListZones
            | Operation::AnalyzeCertificate
            | Operation::ListCertificatePacks
            | Operation::OrderCertificatePack
            | Operation::GetCertificatePackQuota
            | Operation::GetCertificatePack
            | Operation::EditCertificatePack
            | Operation::DeleteCertificatePack
            | Operation::GetSslRecommendation
            | Operation::GetAutomaticSslMode
            | Operation::EditAutomaticSslMode
            | Operation::GetUniversalSslSettings
            | Operation::EditUniversalSslSettings
            | Operation::GetSslVerification
            | Operation::EditValidationMethod
    )
}

/// Runs one operation: its rule on the state, with the properties the document added later
/// filled in from their examples; or, for an operation with no rule, the document's example.
pub(crate) fn dispatch(state: &mut State, call: &Call<'_>) -> Result<Value, ApiError> {
    let id = call.operation.operation_id();
    if !is_stateful(call.operation) {
        return crate::examples::answer(id).ok_or_else(|| {
            ApiError::new(
                501,
                envelope::CODE_INTERNAL,
                format!("the mock has no rule for `{id}` and the document no 200 example"),
            )
        });
    }
    let mut body = stateful(state, call)?;
    crate::examples::fill_recorded(id, &mut body);
    Ok(body)
}

fn stateful(state: &mut State, call: &Call<'_>) -> Result<Value, ApiError> {
    state.settle_lifecycle();
    if call.operation == Operation::ListZones {
        return Ok(list_zones(state, call));
    }
    let zone_id = call.param("zone_id").to_owned();
    if state.zone(&zone_id).is_none() {
        return Err(ApiError::unknown_object(call.path, 404, None));
    }
    match call.operation {
        Operation::AnalyzeCertificate => analyze(call),
        Operation::ListCertificatePacks => list(state, &zone_id, call),
        Operation::OrderCertificatePack => order(state, &zone_id, call),
        Operation::GetCertificatePackQuota => quota(state, &zone_id),
        Operation::GetCertificatePack => {
            let zone = zone(state, &zone_id)?;
            let pack_id = call.param("certificate_pack_id");
            let pack = zone
                .pack(pack_id)
                .ok_or_else(|| ApiError::pack_not_found(pack_id))?;
            Ok(envelope::success(pack.to_json(zone)))
        }
        Operation::EditCertificatePack => edit_pack(state, &zone_id, call),
        Operation::DeleteCertificatePack => delete_pack(state, &zone_id, call),
        Operation::GetSslRecommendation | Operation::GetAutomaticSslMode => {
            let now = state.now();
            Ok(envelope::success(automatic_mode(
                zone(state, &zone_id)?,
                now,
            )))
        }
        Operation::EditAutomaticSslMode => {
            let now = state.now();
            let value = call.body_str("value").unwrap_or("auto").to_owned();
            let zone = zone_mut(state, &zone_id)?;
            zone.automatic_mode = value;
            zone.automatic_mode_modified = now;
            Ok(envelope::success(automatic_mode(zone, now)))
        }
        Operation::GetUniversalSslSettings => Ok(envelope::success(
            json!({ "enabled": zone(state, &zone_id)?.universal_enabled }),
        )),
        Operation::EditUniversalSslSettings => universal(state, &zone_id, call),
        Operation::GetSslVerification => verification(state, &zone_id, call),
        Operation::EditValidationMethod => edit_validation_method(state, &zone_id, call),
        // Unreachable: `dispatch` answers every operation without a rule (`is_stateful`)
        // from the document.
        other => Err(ApiError::new(
            501,
            envelope::CODE_INTERNAL,
            format!("the mock does not implement `{other}` yet"),
        )),
    }
}

fn zone<'s>(state: &'s State, zone_id: &str) -> Result<&'s Zone, ApiError> {
    state
        .zone(zone_id)
        .ok_or_else(|| ApiError::new(404, envelope::CODE_INVALID_IDENTIFIER, "Unknown zone"))
}

fn zone_mut<'s>(state: &'s mut State, zone_id: &str) -> Result<&'s mut Zone, ApiError> {
    state
        .zone_mut(zone_id)
        .ok_or_else(|| ApiError::new(404, envelope::CODE_INVALID_IDENTIFIER, "Unknown zone"))
}

fn analyze(call: &Call<'_>) -> Result<Value, ApiError> {
    let Some(certificate) = call.body_str("certificate") else {
        return Err(ApiError::at(
            400,
            envelope::CODE_INVALID_REQUEST,
            "Invalid request: certificate is required",
            "/certificate",
        ));
    };
    match pem::analyze(certificate) {
        Ok(analysis) => Ok(envelope::success(analysis.to_json())),
        Err(reason) => Err(ApiError::at(
            400,
            envelope::CODE_CERTIFICATE_UNPARSABLE,
            format!("The certificate could not be parsed: {reason}"),
            "/certificate",
        )),
    }
}

/// `GET /zones`: the zones, filtered by exact `name` (ignoring case and a trailing dot) and
/// `status`, paged like the packs.
fn list_zones(state: &State, call: &Call<'_>) -> Value {
    let name = call
        .query
        .get("name")
        .and_then(Value::as_str)
        .map(|n| n.trim_end_matches('.').to_ascii_lowercase());
    let status = call.query.get("status").and_then(Value::as_str);
    let selected: Vec<&Zone> = state
        .zones
        .iter()
        .filter(|z| name.as_deref().is_none_or(|n| z.name == n))
        .filter(|_| status.is_none_or(|s| s == "active"))
        .collect();
    paged(call, selected, |z| {
        json!({
            "id": z.id,
            "name": z.name,
            "status": "active",
            "account": { "id": MOCK_ACCOUNT_ID, "name": "Mock Account" },
            "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
        })
    })
}

/// The page the call asks for (`page` from 1, `per_page` 1 to 50, default 20) of `selected`,
/// as a list envelope with `result_info`. Only that page is rendered: a zone seeded with
/// thousands of packs (benchmarks) stays cheap to page through.
fn paged<T>(call: &Call<'_>, selected: Vec<T>, render: impl Fn(T) -> Value) -> Value {
    let page = call.query_u64("page").unwrap_or(1).max(1);
    let per_page = call.query_u64("per_page").unwrap_or(20).clamp(1, 50);
    let total = selected.len() as u64;
    let start =
        usize::try_from(page.saturating_sub(1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let items: Vec<Value> = selected
        .into_iter()
        .skip(start)
        .take(usize::try_from(per_page).unwrap_or(usize::MAX))
        .map(render)
        .collect();
    let info = json!({
        "count": items.len(),
        "page": page,
        "per_page": per_page,
        "total_count": total,
        "total_pages": total.div_ceil(per_page),
    });
    envelope::success_list(items, info)
}

/// The account every mock zone belongs to.
const MOCK_ACCOUNT_ID: &str = "01a7362d577a6c3019a474fd6f485823";

fn list(state: &State, zone_id: &str, call: &Call<'_>) -> Result<Value, ApiError> {
    let zone = zone(state, zone_id)?;
    let all = call.query.get("status").and_then(Value::as_str) == Some("all");
    let deploy = call.query.get("deploy").and_then(Value::as_str);
    let selected: Vec<_> = zone
        .packs
        .iter()
        .filter(|p| {
            let staging = p.status.starts_with("staging_");
            let env_ok = match deploy {
                Some("staging") => staging,
                Some(_) => !staging,
                None => true,
            };
            env_ok && (all || p.status == "active" || p.status == "staging_active")
        })
        .collect();
    Ok(paged(call, selected, |p| p.to_json(zone)))
}

fn order(state: &mut State, zone_id: &str, call: &Call<'_>) -> Result<Value, ApiError> {
    let zone = zone(state, zone_id)?;
    let hosts: Vec<String> = call
        .body
        .get("hosts")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    let invalid = |message: String, pointer: &str| {
        ApiError::at(
            400,
            envelope::CODE_INVALID_REQUEST,
            format!("Invalid request: {message}"),
            pointer,
        )
    };
    let mut seen: Vec<&str> = Vec::new();
    for (i, host) in hosts.iter().enumerate() {
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(invalid(
                format!("`{host}` is not a hostname"),
                &format!("/hosts/{i}"),
            ));
        }
        if !zone.covers(host) {
            return Err(invalid(
                format!("{host} does not belong to the zone {}", zone.name),
                &format!("/hosts/{i}"),
            ));
        }
        if seen.contains(&host.as_str()) {
            return Err(invalid(
                format!("{host} is listed twice"),
                &format!("/hosts/{i}"),
            ));
        }
        seen.push(host);
    }
    if !hosts.contains(&zone.name) {
        return Err(invalid(
            format!("hosts must include the zone apex {}", zone.name),
            "/hosts",
        ));
    }
    let used = zone.advanced_used();
    let allocated = zone.advanced_quota;
    if used >= usize::try_from(allocated).unwrap_or(usize::MAX) {
        return Err(ApiError::new(
            400,
            envelope::CODE_QUOTA_EXCEEDED,
            format!(
                "Quota exceeded: the zone may hold {allocated} advanced certificate packs and \
                 already has {used}. Delete a pack or raise the quota."
            ),
        ));
    }
    let now = state.now();
    let ca = call
        .body_str("certificate_authority")
        .unwrap_or("lets_encrypt");
    let method = call.body_str("validation_method").unwrap_or("txt");
    let days = call
        .body
        .get("validity_days")
        .and_then(Value::as_i64)
        .unwrap_or(90);
    let mut pack = state.new_pack(PackKind::Advanced, hosts, ca, days, method, now);
    pack.cloudflare_branding = call
        .body
        .get("cloudflare_branding")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    state.counters.orders_created += 1;
    let zone = zone_mut(state, zone_id)?;
    let result = pack.to_json(zone);
    zone.packs.push(pack);
    Ok(envelope::success(result))
}

fn quota(state: &State, zone_id: &str) -> Result<Value, ApiError> {
    let zone = zone(state, zone_id)?;
    Ok(envelope::success(json!({
        "advanced": { "allocated": zone.advanced_quota, "used": zone.advanced_used() }
    })))
}

fn not_advanced(what: &str) -> ApiError {
    ApiError::new(
        400,
        envelope::CODE_NOT_ADVANCED,
        format!("Only advanced certificate packs can be {what}"),
    )
}

fn edit_pack(state: &mut State, zone_id: &str, call: &Call<'_>) -> Result<Value, ApiError> {
    let now = state.now();
    let seed = state.ids.next_u64();
    let pack_id = call.param("certificate_pack_id");
    let zone = zone_mut(state, zone_id)?;
    let pack = zone
        .pack_mut(pack_id)
        .ok_or_else(|| ApiError::pack_not_found(pack_id))?;
    if pack.kind != PackKind::Advanced {
        return Err(not_advanced("edited"));
    }
    match call
        .body
        .get("cloudflare_branding")
        .and_then(Value::as_bool)
    {
        Some(branding) => pack.cloudflare_branding = branding,
        None if pack.status == "validation_timed_out" => {
            pack.status = "pending_validation".into();
            pack.status_since = now;
            pack.dcv_seed = seed;
        }
        None => {
            return Err(ApiError::new(
                400,
                envelope::CODE_RESTART_NOT_ALLOWED,
                format!(
                    "Validation can only be restarted for a certificate pack in \
                     validation_timed_out status (this one is {})",
                    pack.status
                ),
            ))
        }
    }
    let zone = zone_mut(state, zone_id)?;
    let pack = zone
        .pack(pack_id)
        .ok_or_else(|| ApiError::pack_not_found(pack_id))?;
    Ok(envelope::success(pack.to_json(zone)))
}

fn delete_pack(state: &mut State, zone_id: &str, call: &Call<'_>) -> Result<Value, ApiError> {
    let pack_id = call.param("certificate_pack_id");
    let zone = zone_mut(state, zone_id)?;
    let index = zone
        .packs
        .iter()
        .position(|p| p.id == pack_id)
        .ok_or_else(|| ApiError::pack_not_found(pack_id))?;
    if zone.packs.get(index).map(|p| p.kind) != Some(PackKind::Advanced) {
        return Err(not_advanced("deleted"));
    }
    let removed = zone.packs.remove(index);
    Ok(envelope::success(json!({ "id": removed.id })))
}

fn automatic_mode(zone: &Zone, now: DateTime<Utc>) -> Value {
    let mut v = json!({
        "id": "ssl_automatic_mode",
        "editable": true,
        "modified_on": rfc3339_micros(zone.automatic_mode_modified),
        "value": zone.automatic_mode,
    });
    if zone.automatic_mode == "auto" {
        let next = now
            .date_naive()
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
            .unwrap_or(now + TimeDelta::days(1));
        if let Value::Object(map) = &mut v {
            map.insert("next_scheduled_scan".into(), json!(rfc3339_micros(next)));
        }
    }
    v
}

fn universal(state: &mut State, zone_id: &str, call: &Call<'_>) -> Result<Value, ApiError> {
    let now = state.now();
    let wanted = call.body.get("enabled").and_then(Value::as_bool);
    let (was, apex) = {
        let zone = zone(state, zone_id)?;
        (zone.universal_enabled, zone.name.clone())
    };
    match wanted {
        Some(false) if was => {
            let zone = zone_mut(state, zone_id)?;
            zone.universal_enabled = false;
            zone.packs.retain(|p| p.kind != PackKind::Universal);
        }
        Some(true) if !was => {
            let pack = state.new_pack(
                PackKind::Universal,
                vec![apex.clone(), format!("*.{apex}")],
                "lets_encrypt",
                90,
                "txt",
                now,
            );
            let zone = zone_mut(state, zone_id)?;
            zone.universal_enabled = true;
            zone.packs.insert(0, pack);
        }
        _ => {}
    }
    Ok(envelope::success(
        json!({ "enabled": zone(state, zone_id)?.universal_enabled }),
    ))
}

fn verification(state: &mut State, zone_id: &str, call: &Call<'_>) -> Result<Value, ApiError> {
    let now = state.now();
    let retry = call.query.get("retry").and_then(Value::as_bool) == Some(true);
    let zone = zone_mut(state, zone_id)?;
    if retry {
        for pack in &mut zone.packs {
            let next = match pack.status.as_str() {
                "pending_validation" => "pending_issuance",
                "validation_timed_out" => "pending_validation",
                _ => continue,
            };
            pack.status = next.into();
            pack.status_since = now;
        }
    }
    let result: Vec<Value> = zone
        .packs
        .iter()
        .filter_map(crate::state::Pack::verification_json)
        .collect();
    Ok(envelope::success(Value::Array(result)))
}

fn edit_validation_method(
    state: &mut State,
    zone_id: &str,
    call: &Call<'_>,
) -> Result<Value, ApiError> {
    let now = state.now();
    let seed = state.ids.next_u64();
    let method = call
        .body_str("validation_method")
        .unwrap_or("txt")
        .to_owned();
    let pack_id = call.param("certificate_pack_id");
    let zone = zone_mut(state, zone_id)?;
    let pack = zone
        .pack_mut(pack_id)
        .ok_or_else(|| ApiError::pack_not_found(pack_id))?;
    match pack.status.as_str() {
        "initializing" | "pending_validation" | "validation_timed_out" => {
            if method != pack.method || pack.status == "validation_timed_out" {
                // New method (or a retry after a time-out): fresh records to publish.
                if method != pack.method {
                    pack.dcv_seed = seed;
                }
                pack.method = method.clone();
                pack.status = "pending_validation".into();
            } else {
                // Same method: the immediate check finds the published records.
                pack.status = "pending_issuance".into();
            }
            pack.status_since = now;
        }
        status if method != pack.method => {
            return Err(ApiError::at(
                400,
                envelope::CODE_VALIDATION_METHOD_LOCKED,
                format!(
                    "The validation method can only be changed while the certificate pack is \
                     pending validation (this one is {status})"
                ),
                "/validation_method",
            ))
        }
        _ => {}
    }
    Ok(envelope::success(
        json!({ "status": pack.status, "validation_method": method }),
    ))
}
