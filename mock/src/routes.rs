//! The operations of the document (the seed's and `GET /zones`), on the mock's state. Requests reaching this module are authenticated and
//! conform to the curated document; what is checked here is business logic (unknown zone or pack,
//! hosts outside the zone, quota, status rules).

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Map, Value};

use cloudflare_ssl::toolkit;

use crate::envelope::{self, ApiError};
use crate::operation::Operation;
use crate::pem;
use crate::spec::{CompiledSchema, Contract, Violation};
use crate::state::{rfc3339_micros, Pack, PackKind, RenderedPack, RenderedPart, State, Zone};

/// One validated API call.
pub(crate) struct Call<'a> {
    pub(crate) operation: Operation,
    pub(crate) path: &'a str,
    pub(crate) params: &'a BTreeMap<String, String>,
    pub(crate) query: &'a BTreeMap<String, Value>,
    pub(crate) body: &'a Value,
    /// The document, to validate the envelope of a composed answer.
    pub(crate) contract: &'a Contract,
    /// The schemas packs are validated against on their own; without them (a document whose
    /// `CertificatePack` schema does not compile on its own) pack answers are built as one
    /// value and validated whole, as before.
    pub(crate) parts: Option<&'a PartValidators>,
}

/// What an operation answers with (HTTP 200).
pub(crate) enum Answer {
    /// A value; the server validates it whole against the operation's response schema.
    Value(Value),
    /// The JSON text of an answer validated before, with every violation found (empty when the
    /// answer conforms): a pack or verification answer composed from an envelope validated for
    /// this answer and renderings each validated when it was made (see [`PartValidators`]), or
    /// a read-only answer remembered with what it was made from ([`remembered`]).
    Composed {
        json: Bytes,
        violations: Vec<Violation>,
    },
}

/// The schemas the parts of composed answers are validated against, compiled once per server.
///
/// A pack answer is validated in two parts, and is valid exactly when both are:
///
/// * the **envelope**, on every answer, against the operation's 200 response schema: for a list,
///   the envelope with `"result": []` (and its `result_info`); for one pack, the envelope
///   without `result`;
/// * each **pack rendering**, against `#/components/schemas/CertificatePack`, once when it is
///   made: a rendering is made on the first read of a pack and again whenever a field it shows
///   changed (see `state::RenderKey`), and is reused (bytes and validation result) until then.
///
/// This is exact because of the shape of the two response schemas (asserted by the test
/// `pack_answers_compose_from_parts` in `tests/render_cache.rs`): the envelope is an object whose
/// properties are checked independently, `result` is not required in `CertificatePackResponse`
/// and is `CertificatePack` there, and in `CertificatePackListResponse` `result` is an array
/// whose only constraint is `items: CertificatePack`.
pub(crate) struct PartValidators {
    /// The last composed answer of each operation, reused while the next would be the same
    /// text ([`compose`]).
    last: std::sync::Mutex<BTreeMap<&'static str, LastComposed>>,
    /// The last answer of each read-only operation answered from a key ([`remembered`]): the
    /// key, the JSON text, its violations.
    read: std::sync::Mutex<BTreeMap<&'static str, Remembered>>,
    pack: CompiledSchema,
    /// `#/components/schemas/Verification`: an item of `get_ssl_verification`'s `result`.
    verification: CompiledSchema,
}

impl PartValidators {
    /// Compiles the pack schema of `contract`.
    pub(crate) fn compile(contract: &Contract) -> Result<PartValidators, String> {
        Ok(PartValidators {
            last: std::sync::Mutex::new(BTreeMap::new()),
            read: std::sync::Mutex::new(BTreeMap::new()),
            pack: contract.compile_at("/components/schemas/CertificatePack")?,
            verification: contract.compile_at("/components/schemas/Verification")?,
        })
    }
}

/// A remembered answer: the key it was made from, its JSON text, its violations.
type Remembered = (String, Bytes, Vec<Violation>);

/// A composed answer and what it was composed from: the key of its envelope (see [`compose`])
/// and the pack renderings its parts come from (held, and compared by identity: a rendering's
/// text and its parts never change once made).
struct LastComposed {
    skeleton_key: String,
    made_from: Vec<Arc<RenderedPack>>,
    list: bool,
    json: Bytes,
    violations: Vec<Violation>,
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
pub(crate) fn dispatch(state: &mut State, call: &Call<'_>) -> Result<Answer, ApiError> {
    let id = call.operation.operation_id();
    if !is_stateful(call.operation) {
        return crate::examples::answer(id)
            .map(Answer::Value)
            .ok_or_else(|| {
                ApiError::new(
                    501,
                    envelope::CODE_INTERNAL,
                    format!("the mock has no rule for `{id}` and the document no 200 example"),
                )
            });
    }
    match stateful(state, call)? {
        Answer::Value(mut body) => {
            fill_recorded(id, &mut body);
            Ok(Answer::Value(body))
        }
        composed @ Answer::Composed { .. } => Ok(composed),
    }
}

fn stateful(state: &mut State, call: &Call<'_>) -> Result<Answer, ApiError> {
    state.settle_lifecycle();
    if call.operation == Operation::ListZones {
        if let Some(parts) = call.parts
            && let Some(key) = read_key(state, "", call)
        {
            return remembered(call, parts, key, |state| Ok(list_zones(state, call)), state);
        }
        return Ok(Answer::Value(list_zones(state, call)));
    }
    let zone_id = call.param("zone_id").to_owned();
    if state.zone(&zone_id).is_none() {
        return Err(ApiError::unknown_object(call.path, 404, None));
    }
    apply_edit_setting(state, &zone_id, call)?;
    if let Some(parts) = call.parts
        && let Some(key) = read_key(state, &zone_id, call)
    {
        return remembered(
            call,
            parts,
            key,
            |state| stateful_value(state, &zone_id, call),
            state,
        );
    }
    if let Some(parts) = call.parts {
        match call.operation {
            Operation::ListCertificatePacks => {
                return list_composed(state, &zone_id, call, parts);
            }
            Operation::GetCertificatePack
            | Operation::EditCertificatePack
            | Operation::OrderCertificatePack => {
                let (zone, pack) = answered_pack(state, &zone_id, call)?;
                return Ok(one_pack_composed(call, zone, pack, parts));
            }
            Operation::GetSslVerification => {
                retry_verification(state, &zone_id, call)?;
                let zone = zone(state, &zone_id)?;
                return Ok(verification_composed(call, zone, parts));
            }
            _ => {}
        }
    }
    stateful_value(state, &zone_id, call).map(Answer::Value)
}

/// The change a settings edit asks for (automatic mode, Universal SSL, validation method),
/// made before its answer is built from the state (or remembered: [`read_key`]).
fn apply_edit_setting(state: &mut State, zone_id: &str, call: &Call<'_>) -> Result<(), ApiError> {
    match call.operation {
        Operation::EditAutomaticSslMode => {
            let now = state.now();
            let value = call.body_str("value").unwrap_or("auto").to_owned();
            let zone = zone_mut(state, zone_id)?;
            zone.automatic_mode = value;
            zone.automatic_mode_modified = now;
            Ok(())
        }
        Operation::EditUniversalSslSettings => apply_universal(state, zone_id, call),
        Operation::EditValidationMethod => apply_validation_method(state, zone_id, call),
        _ => Ok(()),
    }
}

/// Everything the answer of a read-only operation (or of a settings edit, after its change)
/// answered with a value is made from, as
/// text (`None` for the other operations): equal texts, equal answers.
fn read_key(state: &State, zone_id: &str, call: &Call<'_>) -> Option<String> {
    use std::fmt::Write as _;
    let mut key = String::new();
    match call.operation {
        Operation::ListZones => {
            // The query as decoded (name, status, page, per_page) and every zone's id and name.
            key = serde_json::to_string(call.query).ok()?;
            for z in &state.zones {
                let _ = write!(key, "\n{} {}", z.id, z.name);
            }
        }
        Operation::GetCertificatePackQuota => {
            let z = state.zone(zone_id)?;
            let _ = write!(key, "{} {}", z.advanced_quota, z.advanced_used());
        }
        Operation::GetSslRecommendation
        | Operation::GetAutomaticSslMode
        | Operation::EditAutomaticSslMode => {
            let z = state.zone(zone_id)?;
            let _ = write!(
                key,
                "{:?} {:?}",
                z.automatic_mode, z.automatic_mode_modified
            );
            // The next scan's date is shown in `auto` mode only.
            if z.automatic_mode == "auto" {
                let _ = write!(key, " {:?}", state.now());
            }
        }
        Operation::GetUniversalSslSettings | Operation::EditUniversalSslSettings => {
            let _ = write!(key, "{}", state.zone(zone_id)?.universal_enabled);
        }
        Operation::EditValidationMethod => {
            let pack = state
                .zone(zone_id)?
                .pack(call.param("certificate_pack_id"))?;
            let _ = write!(key, "{:?} {:?}", pack.status, pack.method);
        }
        _ => return None,
    }
    Some(key)
}

/// The answer of a read-only operation whose inputs are `key` ([`read_key`]): the operation's
/// last answer (text and violations) when it was made from the same key, else `build`'s value
/// with the document's later additions filled in, validated whole and kept.
fn remembered(
    call: &Call<'_>,
    parts: &PartValidators,
    key: String,
    build: impl FnOnce(&mut State) -> Result<Value, ApiError>,
    state: &mut State,
) -> Result<Answer, ApiError> {
    let id = call.operation.operation_id();
    let hit = crate::sync::lock(&parts.read)
        .get(id)
        .filter(|(k, _, _)| *k == key)
        .map(|(_, json, violations)| (json.clone(), violations.clone()));
    if let Some((json, violations)) = hit {
        // Debug builds (every test run) rebuild the answer: a `read_key` that misses an input
        // its answer is made from shows here, not as a stale answer.
        if cfg!(debug_assertions) {
            let mut body = build(state)?;
            fill_recorded(id, &mut body);
            let rebuilt = serde_json::to_vec(&body).unwrap_or_default();
            assert!(
                rebuilt == json[..],
                "{id}: the remembered answer is stale (read_key misses one of its inputs)"
            );
        }
        return Ok(Answer::Composed { json, violations });
    }
    let mut body = build(state)?;
    fill_recorded(id, &mut body);
    let violations = call
        .contract
        .validate_response(id, 200, &body)
        .err()
        .unwrap_or_default();
    let json = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
    crate::sync::lock(&parts.read).insert(id, (key, json.clone(), violations.clone()));
    Ok(Answer::Composed { json, violations })
}

/// The operations answered with a value.
fn stateful_value(state: &mut State, zone_id: &str, call: &Call<'_>) -> Result<Value, ApiError> {
    let zone_id = zone_id.to_owned();
    match call.operation {
        Operation::AnalyzeCertificate => analyze(call),
        Operation::ListCertificatePacks => list(state, &zone_id, call),
        Operation::GetCertificatePackQuota => quota(state, &zone_id),
        Operation::GetCertificatePack
        | Operation::EditCertificatePack
        | Operation::OrderCertificatePack => {
            let (zone, pack) = answered_pack(state, &zone_id, call)?;
            Ok(envelope::success(pack.to_json(zone)))
        }
        Operation::DeleteCertificatePack => delete_pack(state, &zone_id, call),
        Operation::GetSslRecommendation | Operation::GetAutomaticSslMode => {
            let now = state.now();
            Ok(envelope::success(automatic_mode(
                zone(state, &zone_id)?,
                now,
            )))
        }
        // The edits' changes are made before (`apply_edit_setting`).
        Operation::EditAutomaticSslMode => {
            let now = state.now();
            Ok(envelope::success(automatic_mode(
                zone(state, &zone_id)?,
                now,
            )))
        }
        Operation::GetUniversalSslSettings => Ok(envelope::success(
            json!({ "enabled": zone(state, &zone_id)?.universal_enabled }),
        )),
        Operation::EditUniversalSslSettings => Ok(envelope::success(
            json!({ "enabled": zone(state, &zone_id)?.universal_enabled }),
        )),
        Operation::GetSslVerification => {
            retry_verification(state, &zone_id, call)?;
            Ok(verification(zone(state, &zone_id)?))
        }
        Operation::EditValidationMethod => {
            let (_, pack) = requested_pack(state, &zone_id, call)?;
            Ok(envelope::success(
                json!({ "status": pack.status, "validation_method": pack.method }),
            ))
        }
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

/// The pack a pack operation answers with, after the operation's change: the one ordered, the
/// one edited, or the one asked for (a composed and a value answer take it from here alike).
fn answered_pack<'s>(
    state: &'s mut State,
    zone_id: &str,
    call: &Call<'_>,
) -> Result<(&'s Zone, &'s Pack), ApiError> {
    match call.operation {
        Operation::OrderCertificatePack => {
            let id = place_order(state, zone_id, call)?;
            let zone = zone(state, zone_id)?;
            let pack = zone
                .pack(&id)
                .ok_or_else(|| ApiError::pack_not_found(&id))?;
            Ok((zone, pack))
        }
        Operation::EditCertificatePack => {
            apply_edit(state, zone_id, call)?;
            requested_pack(state, zone_id, call)
        }
        _ => requested_pack(state, zone_id, call),
    }
}

/// The zone and the pack a call's `certificate_pack_id` names (404 for either unknown).
fn requested_pack<'s>(
    state: &'s State,
    zone_id: &str,
    call: &Call<'_>,
) -> Result<(&'s Zone, &'s Pack), ApiError> {
    let zone = zone(state, zone_id)?;
    let pack_id = call.param("certificate_pack_id");
    let pack = zone
        .pack(pack_id)
        .ok_or_else(|| ApiError::pack_not_found(pack_id))?;
    Ok((zone, pack))
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
    // The analysis is a function of the certificate's text alone: the last one is kept.
    static LAST: std::sync::Mutex<Option<(String, Result<Value, String>)>> =
        std::sync::Mutex::new(None);
    let known = crate::sync::lock(&LAST)
        .as_ref()
        .filter(|(text, _)| text == certificate)
        .map(|(_, analysis)| analysis.clone());
    let analysis = known.unwrap_or_else(|| {
        let fresh = pem::analyze(certificate).map(|a| a.to_json());
        *crate::sync::lock(&LAST) = Some((certificate.to_owned(), fresh.clone()));
        fresh
    });
    match analysis {
        Ok(analysis) => Ok(envelope::success(analysis)),
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
    let page = Page::of(call, selected.len());
    let items: Vec<Value> = selected
        .into_iter()
        .skip(page.start)
        .take(page.take)
        .map(render)
        .collect();
    let info = page.info(items.len());
    envelope::success_list(items, info)
}

/// [`crate::examples::fill_recorded`], skipped for an operation whose 200 answer schema has no
/// `x-source` property anywhere (following `$ref`s): there it adds nothing, and walking the
/// schema for nothing cost more than the rest of a small answer.
fn fill_recorded(operation_id: &str, body: &mut Value) {
    if records_later_additions(operation_id) {
        crate::examples::fill_recorded(operation_id, body);
    }
}

/// Whether the document's 200 answer of `operation_id` mentions `x-source` (found once per
/// operation, from the embedded document; `true` when in doubt).
fn records_later_additions(operation_id: &str) -> bool {
    static FOUND: std::sync::OnceLock<BTreeMap<String, bool>> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| {
            serde_json::from_str::<Value>(cloudflare_ssl::OPENAPI_JSON)
                .map(|doc| later_additions(&doc))
                .unwrap_or_default()
        })
        .get(operation_id)
        .copied()
        .unwrap_or(true)
}

/// Per `operationId` of `doc`: whether its 200 answer, or a component the answer reaches through
/// `$ref`s, has an `x-source` key anywhere (a dangling reference counts as one).
fn later_additions(doc: &Value) -> BTreeMap<String, bool> {
    fn has_x_source(value: &Value) -> bool {
        match value {
            Value::Object(map) => map.contains_key("x-source") || map.values().any(has_x_source),
            Value::Array(items) => items.iter().any(has_x_source),
            _ => false,
        }
    }
    let operations = doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values());
    let mut found = BTreeMap::new();
    for op in operations {
        if let Some(id) = op.get("operationId").and_then(Value::as_str) {
            let ok = op.pointer("/responses/200").unwrap_or(&Value::Null);
            let mentions = has_x_source(ok)
                || toolkit::reachable(doc, ok)
                    .iter()
                    .any(|r| toolkit::target(doc, r).is_none_or(has_x_source));
            found.insert(id.to_owned(), mentions);
        }
    }
    found
}

/// Which items a list call asks for.
struct Page {
    page: u64,
    per_page: u64,
    total: u64,
    /// Items skipped and taken.
    start: usize,
    take: usize,
}

impl Page {
    fn of(call: &Call<'_>, total: usize) -> Page {
        let page = call.query_u64("page").unwrap_or(1).max(1);
        let per_page = call.query_u64("per_page").unwrap_or(20).clamp(1, 50);
        Page {
            page,
            per_page,
            total: total as u64,
            start: usize::try_from(page.saturating_sub(1).saturating_mul(per_page))
                .unwrap_or(usize::MAX),
            take: usize::try_from(per_page).unwrap_or(usize::MAX),
        }
    }

    /// `result_info` of a page holding `count` items.
    fn info(&self, count: usize) -> Value {
        json!({
            "count": count,
            "page": self.page,
            "per_page": self.per_page,
            "total_count": self.total,
            "total_pages": self.total.div_ceil(self.per_page),
        })
    }
}

/// The packs `list_certificate_packs` selects (by `status` and `deploy`), in the zone's order.
fn listed<'z>(zone: &'z Zone, call: &Call<'_>) -> Vec<&'z Pack> {
    let all = call.query.get("status").and_then(Value::as_str) == Some("all");
    let deploy = call.query.get("deploy").and_then(Value::as_str);
    zone.packs
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
        .collect()
}

/// A pack's rendering ([`Pack::rendered`]): made from [`Pack::to_json`] with the document's
/// later additions filled in as in a `get_certificate_pack` answer (the list's items are the
/// same `CertificatePack` schema), validated against `CertificatePack`, serialized once.
fn rendering(pack: &Pack, zone: &Zone, parts: &PartValidators) -> Arc<RenderedPack> {
    pack.rendered(zone, |value| {
        let mut body = envelope::success(value);
        fill_recorded(Operation::GetCertificatePack.operation_id(), &mut body);
        let value = body
            .as_object_mut()
            .and_then(|m| m.remove("result"))
            .unwrap_or(Value::Null);
        let violations = parts.pack.validate(&value).err().unwrap_or_default();
        let json = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
        (json, violations)
    })
}

/// `list_certificate_packs` composed from the packs' renderings.
fn list_composed(
    state: &State,
    zone_id: &str,
    call: &Call<'_>,
    parts: &PartValidators,
) -> Result<Answer, ApiError> {
    let zone = zone(state, zone_id)?;
    let selected = listed(zone, call);
    let page = Page::of(call, selected.len());
    let items: Vec<Arc<RenderedPack>> = selected
        .into_iter()
        .skip(page.start)
        .take(page.take)
        .map(|p| rendering(p, zone, parts))
        .collect();
    // `result_info` is made from these four numbers (`Page::info`).
    let count = items.len();
    let skeleton_key = format!("{count} {} {} {}", page.page, page.per_page, page.total);
    let skeleton = || envelope::success_list(Vec::new(), page.info(count));
    let parts: Vec<Part<'_>> = items
        .iter()
        .map(|r| (&r.json[..], &r.violations[..]))
        .collect();
    Ok(compose(
        call,
        (skeleton_key, skeleton),
        &items,
        &parts,
        true,
    ))
}

/// An answer of one pack (`get_certificate_pack`, `edit_certificate_pack`,
/// `order_certificate_pack`: all `CertificatePackResponse`) composed from its rendering.
fn one_pack_composed(call: &Call<'_>, zone: &Zone, pack: &Pack, parts: &PartValidators) -> Answer {
    let rendered = rendering(pack, zone, parts);
    compose(
        call,
        (String::new(), envelope::success_without_result),
        std::slice::from_ref(&rendered),
        &[(&rendered.json[..], &rendered.violations[..])],
        false,
    )
}

/// `get_ssl_verification` composed from each pack's verification rendering: made from
/// [`Pack::verification_json`] with the document's later additions filled in, validated against
/// `Verification` and serialized once per pack rendering (its inputs, the pack's identifier,
/// status and method, are part of what a pack rendering is reused for), then reused.
fn verification_composed(call: &Call<'_>, zone: &Zone, parts: &PartValidators) -> Answer {
    let rendered: Vec<Arc<RenderedPack>> = zone
        .packs
        .iter()
        .map(|p| rendering(p, zone, parts))
        .collect();
    let items: Vec<Part<'_>> = zone
        .packs
        .iter()
        .zip(&rendered)
        .filter_map(|(pack, r)| {
            r.verification
                .get_or_init(|| {
                    let item = pack.verification_json()?;
                    let mut body = envelope::success(Value::Array(vec![item]));
                    fill_recorded(Operation::GetSslVerification.operation_id(), &mut body);
                    let item = body
                        .pointer_mut("/result/0")
                        .map(Value::take)
                        .unwrap_or(Value::Null);
                    let violations = parts.verification.validate(&item).err().unwrap_or_default();
                    let json = Bytes::from(serde_json::to_vec(&item).unwrap_or_default());
                    Some(RenderedPart { json, violations })
                })
                .as_ref()
                .map(|part| (&part.json[..], &part.violations[..]))
        })
        .collect();
    compose(
        call,
        (String::new(), || {
            envelope::success(Value::Array(Vec::new()))
        }),
        &rendered,
        &items,
        true,
    )
}

/// A part of a composed answer: its JSON text and what validating it found.
type Part<'a> = (&'a [u8], &'a [Violation]);

/// A pack answer: `skeleton` (the envelope, with `"result": []` for a list, without `result`
/// for one pack) filled in and validated against the operation's response schema, then written
/// with the packs' JSON text as its `result` (an array when `list`, else the one pack), in the
/// envelope's key order. The violations are the envelope's and each pack's (under
/// `/result/N`, or `/result`).
///
/// `skeleton` is given as a key (the text of everything the envelope is made from: equal keys,
/// equal envelopes) and a function building it. The answer is a function of that key, the
/// parts' texts (fixed by the renderings in `made_from`) and `list`: when all equal those of
/// the operation's last composed answer,
/// that answer (text and violations) is served again without composing or validating anew.
fn compose(
    call: &Call<'_>,
    (skeleton_key, skeleton): (String, impl FnOnce() -> Value),
    made_from: &[Arc<RenderedPack>],
    packs: &[Part<'_>],
    list: bool,
) -> Answer {
    let id = call.operation.operation_id();
    if let Some(parts) = call.parts
        && let Some(last) = crate::sync::lock(&parts.last).get(id)
        && last.list == list
        && last.skeleton_key == skeleton_key
        && last.made_from.len() == made_from.len()
        && last
            .made_from
            .iter()
            .zip(made_from)
            .all(|(a, b)| Arc::ptr_eq(a, b))
    {
        return Answer::Composed {
            json: last.json.clone(),
            violations: last.violations.clone(),
        };
    }
    let mut skeleton = skeleton();
    fill_recorded(id, &mut skeleton);
    let mut violations = call
        .contract
        .validate_response(id, 200, &skeleton)
        .err()
        .unwrap_or_default();
    for (i, (_, pack_violations)) in packs.iter().enumerate().filter(|(_, p)| !p.1.is_empty()) {
        let at = if list {
            format!("/result/{i}")
        } else {
            "/result".to_owned()
        };
        violations.extend(pack_violations.iter().map(|v| Violation {
            pointer: format!("{at}{}", v.pointer),
            ..v.clone()
        }));
    }
    let result_len: usize = packs.iter().map(|p| p.0.len() + 1).sum::<usize>() + 2;
    let mut out: Vec<u8> = Vec::with_capacity(result_len + 256);
    let write_result = |out: &mut Vec<u8>| {
        if list {
            out.push(b'[');
        }
        for (i, (json, _)) in packs.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(json);
        }
        if list {
            out.push(b']');
        }
    };
    let empty = Map::new();
    let map = skeleton.as_object().unwrap_or(&empty);
    out.push(b'{');
    let mut wrote_result = false;
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Keys and values as serde_json writes them.
        let _ = serde_json::to_writer(&mut out, key);
        out.push(b':');
        if key == "result" {
            write_result(&mut out);
            wrote_result = true;
        } else {
            let _ = serde_json::to_writer(&mut out, value);
        }
    }
    if !wrote_result {
        if !map.is_empty() {
            out.push(b',');
        }
        out.extend_from_slice(b"\"result\":");
        write_result(&mut out);
    }
    out.push(b'}');
    let json = Bytes::from(out);
    if let Some(parts) = call.parts {
        crate::sync::lock(&parts.last).insert(
            id,
            LastComposed {
                skeleton_key,
                made_from: made_from.to_vec(),
                list,
                json: json.clone(),
                violations: violations.clone(),
            },
        );
    }
    Answer::Composed { json, violations }
}

/// The account every mock zone belongs to.
const MOCK_ACCOUNT_ID: &str = "01a7362d577a6c3019a474fd6f485823";

fn list(state: &State, zone_id: &str, call: &Call<'_>) -> Result<Value, ApiError> {
    let zone = zone(state, zone_id)?;
    Ok(paged(call, listed(zone, call), |p| p.to_json(zone)))
}

/// Places the order a call describes; the new pack's identifier.
fn place_order(state: &mut State, zone_id: &str, call: &Call<'_>) -> Result<String, ApiError> {
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
    let id = pack.id.clone();
    zone.packs.push(pack);
    Ok(id)
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

/// Applies the edit a call asks for (branding, or a validation restart) to its pack.
fn apply_edit(state: &mut State, zone_id: &str, call: &Call<'_>) -> Result<(), ApiError> {
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
    Ok(())
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

fn apply_universal(state: &mut State, zone_id: &str, call: &Call<'_>) -> Result<(), ApiError> {
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
    Ok(())
}

/// `?retry=true`: moves each pack waiting on validation one step on.
fn retry_verification(state: &mut State, zone_id: &str, call: &Call<'_>) -> Result<(), ApiError> {
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
    Ok(())
}

/// `get_ssl_verification`'s answer, built as one value.
fn verification(zone: &Zone) -> Value {
    let result: Vec<Value> = zone
        .packs
        .iter()
        .filter_map(crate::state::Pack::verification_json)
        .collect();
    envelope::success(Value::Array(result))
}

/// Changes the validation method (or re-checks with the same one); the answer shows the
/// pack's status and method after it.
fn apply_validation_method(
    state: &mut State,
    zone_id: &str,
    call: &Call<'_>,
) -> Result<(), ApiError> {
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_ZONE_ID;
    use crate::state::tests::state;

    /// The answer's JSON text and its violations: composed (`parts`) or built as one value and
    /// validated whole (no `parts`, the way every other answer goes).
    fn answer(
        state: &mut State,
        operation: Operation,
        pack: Option<&str>,
        query: &BTreeMap<String, Value>,
        parts: Option<&PartValidators>,
    ) -> (Vec<u8>, Vec<Violation>) {
        let contract = Contract::shared().expect("the document compiles");
        let mut params = BTreeMap::new();
        params.insert("zone_id".to_owned(), DEFAULT_ZONE_ID.to_owned());
        if let Some(pack) = pack {
            params.insert("certificate_pack_id".to_owned(), pack.to_owned());
        }
        let call = Call {
            operation,
            path: "/zones/x",
            params: &params,
            query,
            body: &Value::Null,
            contract: &contract,
            parts,
        };
        match dispatch(state, &call) {
            Ok(Answer::Composed { json, violations }) => (json.to_vec(), violations),
            Ok(Answer::Value(v)) => (
                serde_json::to_vec(&v).expect("serializes"),
                contract
                    .validate_response(operation.operation_id(), 200, &v)
                    .err()
                    .unwrap_or_default(),
            ),
            Err(e) => panic!("{}", e.body()),
        }
    }

    /// Asserts the answer served from `parts` (composed or remembered) is byte for byte the one
    /// built as a value and validated whole, and that both are clean; gives the whole one's text.
    fn same_answer(
        state: &mut State,
        parts: &PartValidators,
        operation: Operation,
        pack: Option<&str>,
        query: &BTreeMap<String, Value>,
        step: &str,
    ) -> Vec<u8> {
        let served = answer(state, operation, pack, query, Some(parts));
        let whole = answer(state, operation, pack, query, None);
        assert_eq!(
            String::from_utf8_lossy(&served.0),
            String::from_utf8_lossy(&whole.0),
            "{operation}, {step}"
        );
        assert!(
            served.1.is_empty() && whole.1.is_empty(),
            "{operation}, {step}: {served:?} {:?}",
            whole.1
        );
        whole.0
    }

    /// In every status, with every validation method and both brandings, a composed pack or
    /// verification answer (served from cached renderings, read twice) is byte for byte the
    /// answer built as one value, and both validate clean.
    #[test]
    fn composed_answers_are_the_values_answers() {
        let contract = Contract::shared().expect("the document compiles");
        let parts = PartValidators::compile(&contract).expect("the pack schema compiles");
        let mut state = state();
        let ids: Vec<String> = state
            .zone(DEFAULT_ZONE_ID)
            .map(|z| z.packs.iter().map(|p| p.id.clone()).collect())
            .unwrap_or_default();
        assert!(ids.len() > 3);
        let mut list_query = BTreeMap::new();
        list_query.insert("status".to_owned(), json!("all"));
        list_query.insert("per_page".to_owned(), json!(50));
        let methods = ["txt", "http", "email", "cname"];
        for (round, status) in crate::state::PACK_STATUSES.iter().enumerate() {
            for (i, id) in ids.iter().enumerate().skip(1) {
                state
                    .set_pack_status(DEFAULT_ZONE_ID, id, status)
                    .expect("a known pack and status");
                if let Some(pack) = state.zone_mut(DEFAULT_ZONE_ID).and_then(|z| z.pack_mut(id)) {
                    pack.method = methods[(round + i) % methods.len()].to_owned();
                    pack.cloudflare_branding = (round + i) % 2 == 0;
                }
            }
            let no_query = BTreeMap::new();
            let mut same = |operation, id, query| {
                same_answer(&mut state, &parts, operation, id, query, status);
            };
            for _ in 0..2 {
                same(Operation::ListCertificatePacks, None, &list_query);
                same(Operation::GetSslVerification, None, &no_query);
                for id in &ids {
                    same(Operation::GetCertificatePack, Some(id), &no_query);
                }
            }
        }
    }

    /// A remembered read-only answer (quota, automatic mode, recommendation, Universal SSL, the
    /// zone list) is byte for byte the answer built as one value, before and after every input
    /// it is made from changes, and both validate clean.
    #[test]
    fn remembered_answers_follow_every_change() {
        let contract = Contract::shared().expect("the document compiles");
        let parts = PartValidators::compile(&contract).expect("the schemas compile");
        let mut state = state();
        let mut zones_query = BTreeMap::new();
        zones_query.insert("name".to_owned(), json!("example.com"));
        let check = |state: &mut State, step: &str| {
            let mut seen = Vec::new();
            for (operation, query) in [
                (Operation::GetCertificatePackQuota, BTreeMap::new()),
                (Operation::GetAutomaticSslMode, BTreeMap::new()),
                (Operation::GetSslRecommendation, BTreeMap::new()),
                (Operation::GetUniversalSslSettings, BTreeMap::new()),
                (Operation::ListZones, zones_query.clone()),
                (Operation::ListZones, BTreeMap::new()),
            ] {
                for _ in 0..2 {
                    seen.push(same_answer(state, &parts, operation, None, &query, step));
                }
            }
            seen
        };
        let mut answers = vec![check(&mut state, "seeded")];
        fn zone(state: &mut State) -> &mut Zone {
            state.zone_mut(DEFAULT_ZONE_ID).expect("the zone")
        }
        zone(&mut state).advanced_quota += 1;
        answers.push(check(&mut state, "quota raised"));
        zone(&mut state).packs.pop();
        answers.push(check(&mut state, "a pack fewer"));
        zone(&mut state).automatic_mode = "custom".into();
        answers.push(check(&mut state, "custom mode"));
        zone(&mut state).automatic_mode = "auto".into();
        answers.push(check(&mut state, "auto mode"));
        let modified = zone(&mut state).automatic_mode_modified;
        zone(&mut state).automatic_mode_modified = modified + TimeDelta::microseconds(1);
        answers.push(check(&mut state, "mode modified"));
        state
            .clock
            .advance(std::time::Duration::from_secs(2 * 86_400))
            .expect("the clock moves");
        answers.push(check(&mut state, "two days later"));
        let enabled = zone(&mut state).universal_enabled;
        zone(&mut state).universal_enabled = !enabled;
        answers.push(check(&mut state, "Universal SSL toggled"));
        zone(&mut state).name = "example.org".into();
        answers.push(check(&mut state, "zone renamed"));
        // Each change showed in some answer.
        for pair in answers.windows(2) {
            assert_ne!(pair[0], pair[1]);
        }
    }

    /// An answer needs the fill when it, or a component it reaches, records a later addition;
    /// an operation the document does not have is filled, to be safe.
    #[test]
    fn later_additions_are_looked_for_where_the_document_records_them() {
        let doc = json!({
            "paths": {
                "/a": {"get": {"operationId": "through_refs", "responses": {"200":
                    {"$ref": "#/components/responses/A"}}}},
                "/b": {"get": {"operationId": "plain", "responses": {"200":
                    {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/C"}}}}}},
                    "put": {"operationId": "inline", "responses": {"200":
                    {"content": {"application/json": {"schema": {"properties": {"d": {"x-source": "upstream"}}}}}}}}},
                "/c": {"get": {"operationId": "dangling", "responses": {"200":
                    {"$ref": "#/components/responses/Missing"}}}},
            },
            "components": {
                "responses": {"A": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/B"}}}}},
                "schemas": {
                    "B": {"properties": {"c": {"$ref": "#/components/schemas/C"}, "n": {"x-source": "upstream"}}},
                    "C": {"properties": {"x": {"type": "string"}}},
                },
            },
        });
        let found = later_additions(&doc);
        let expected = [
            ("dangling", true),
            ("inline", true),
            ("plain", false),
            ("through_refs", true),
        ];
        assert_eq!(
            found,
            expected
                .map(|(id, b)| (id.to_owned(), b))
                .into_iter()
                .collect()
        );
        assert!(records_later_additions("not_an_operation"));
    }

    /// A pack whose rendering breaks the document is reported with every answer that carries it,
    /// under its place in the answer.
    #[test]
    fn a_rendering_that_breaks_the_document_is_reported_at_its_place() {
        let contract = Contract::shared().expect("the document compiles");
        let parts = PartValidators::compile(&contract).expect("the pack schema compiles");
        let mut state = state();
        let id = state
            .zone(DEFAULT_ZONE_ID)
            .and_then(|z| z.packs.get(1))
            .map(|p| p.id.clone())
            .unwrap_or_default();
        if let Some(pack) = state
            .zone_mut(DEFAULT_ZONE_ID)
            .and_then(|z| z.pack_mut(&id))
        {
            pack.status = "not_a_status".into();
            pack.status_since = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        }
        let mut query = BTreeMap::new();
        query.insert("status".to_owned(), json!("all"));
        for _ in 0..2 {
            let (_, listed) = answer(
                &mut state,
                Operation::ListCertificatePacks,
                None,
                &query,
                Some(&parts),
            );
            assert!(
                listed.iter().any(|v| v.pointer == "/result/1/status"),
                "{listed:?}"
            );
            let (_, got) = answer(
                &mut state,
                Operation::GetCertificatePack,
                Some(&id),
                &BTreeMap::new(),
                Some(&parts),
            );
            assert!(got.iter().any(|v| v.pointer == "/result/status"), "{got:?}");
        }
    }
}
