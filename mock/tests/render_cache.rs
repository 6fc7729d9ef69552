//! Pack answers are composed from cached, once-validated pack renderings (`routes::compose`):
//! every change to a pack — an edit, a new validation method, a status set by the admin
//! routes, a lifecycle move, renewal and expiry on the clock, a deletion, Universal SSL turned
//! off — shows in the very next read, through `GET` of the pack and through the list, exactly as
//! the pack's uncached rendering ([`MockServer::certificate_pack`]) shows it, and in the
//! verification answer (its status and method). Also: the document
//! has the shape that makes validating those answers in parts exact.

use std::time::Duration;

use cloudflare_ssl_mock::DEFAULT_ZONE_ID;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

mod common;
use common::Api;

/// The item of `answer`'s `result` list whose `key` is `id`.
fn item(answer: &Value, key: &str, id: &str) -> Option<Value> {
    let list = answer["result"].as_array().expect("a list");
    list.iter().find(|v| v[key] == id).cloned()
}

impl Api {
    /// The pack through `GET`, and through the list (`status=all`, one page of 50), both
    /// checked against its uncached rendering; `None` when it is gone (404, not listed).
    async fn read(&self, id: &str) -> Option<Value> {
        let fresh = self.mock.certificate_pack(DEFAULT_ZONE_ID, id);
        let (status, got) = self
            .call(Method::GET, &format!("/ssl/certificate_packs/{id}"), None)
            .await;
        let (_, page) = self
            .call(
                Method::GET,
                "/ssl/certificate_packs?status=all&per_page=50",
                None,
            )
            .await;
        let listed = item(&page, "id", id);
        // The verification answer is composed from per-rendering parts too.
        let (_, verification) = self.call(Method::GET, "/ssl/verification", None).await;
        let verified = item(&verification, "cert_pack_uuid", id);
        match fresh {
            Some(fresh) => {
                let certificate_status = match fresh["status"].as_str().unwrap_or_default() {
                    "initializing" => Some("initializing"),
                    "pending_validation" => Some("authorizing"),
                    "pending_issuance" => Some("issuing"),
                    "pending_deployment" | "staging_deployment" | "holding_deployment" => {
                        Some("pending_deployment")
                    }
                    "active" | "staging_active" | "pending_expiration" | "backup_issued" => {
                        Some("active")
                    }
                    "expired" => Some("expired"),
                    s if s.ends_with("_timed_out") => Some("timing_out"),
                    _ => None,
                };
                assert_eq!(
                    verified.as_ref().map(|v| v["certificate_status"].clone()),
                    certificate_status.map(Value::from),
                    "the verification shows the pack's status now: {verified:?}"
                );
                let method = &fresh["validation_method"];
                if let Some(verified) = &verified
                    && ["txt", "http", "cname"].iter().any(|m| method == m)
                {
                    assert_eq!(
                        &verified["validation_method"], method,
                        "the verification shows the pack's method now: {verified}"
                    );
                }
                assert_eq!(status, StatusCode::OK, "{got}");
                assert_eq!(got["result"], fresh, "GET shows the pack as it is now");
                assert_eq!(
                    listed.as_ref(),
                    Some(&fresh),
                    "the list shows it as it is now"
                );
                Some(fresh)
            }
            None => {
                assert_eq!(status, StatusCode::NOT_FOUND, "{got}");
                assert_eq!(listed, None, "a gone pack is not listed");
                assert_eq!(verified, None, "a gone pack has no verification entry");
                None
            }
        }
    }

    /// Orders a pack on the apex and `name` and returns its id.
    async fn order(&self, name: &str, method: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/ssl/certificate_packs/order",
                Some(json!({
                    "type": "advanced",
                    "hosts": ["example.com", format!("{name}.example.com")],
                    "validation_method": method,
                    "validity_days": 14,
                    "certificate_authority": "lets_encrypt",
                })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["result"]["id"].as_str().expect("an id").to_owned()
    }
}

#[tokio::test]
async fn an_edit_shows_in_the_next_read() {
    let api = Api::start().await;
    let (_, page) = api
        .call(Method::GET, "/ssl/certificate_packs?per_page=5", None)
        .await;
    let id = page["result"][1]["id"].as_str().expect("an advanced pack");
    let before = api.read(id).await.expect("seeded");
    assert_eq!(before["cloudflare_branding"], false);
    api.read(id).await; // read again: the cached rendering
    let (status, _) = api
        .call(
            Method::PATCH,
            &format!("/ssl/certificate_packs/{id}"),
            Some(json!({ "cloudflare_branding": true })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let after = api.read(id).await.expect("still there");
    assert_eq!(after["cloudflare_branding"], true);
    assert_ne!(
        after["certificates"], before["certificates"],
        "branding adds the sni host to the certificates"
    );
}

#[tokio::test]
async fn validation_state_changes_show_in_the_next_read() {
    let api = Api::start().await;
    let id = api.order("cache", "txt").await;
    let initializing = api.read(&id).await.expect("ordered");
    assert_eq!(initializing["status"], "initializing");
    api.mock.tick();
    let pending = api.read(&id).await.expect("ordered");
    assert_eq!(pending["status"], "pending_validation");
    assert!(pending["validation_records"][0]["txt_value"].is_string());
    // A new validation method: new records.
    let (status, _) = api
        .call(
            Method::PATCH,
            &format!("/ssl/verification/{id}"),
            Some(json!({ "validation_method": "http" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let http = api.read(&id).await.expect("ordered");
    assert_eq!(http["validation_method"], "http");
    assert!(http["validation_records"][0]["http_url"].is_string());
    // A status set from outside the API (the admin routes' and the builder's way).
    api.mock
        .set_pack_status(DEFAULT_ZONE_ID, &id, "validation_timed_out")
        .expect("a known pack");
    let timed_out = api.read(&id).await.expect("ordered");
    assert_eq!(timed_out["status"], "validation_timed_out");
    // Restarting validation: new DCV tokens.
    let (status, _) = api
        .call(
            Method::PATCH,
            &format!("/ssl/certificate_packs/{id}"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let restarted = api.read(&id).await.expect("ordered");
    assert_eq!(restarted["status"], "pending_validation");
    assert_ne!(
        restarted["validation_records"],
        timed_out["validation_records"]
    );
}

#[tokio::test]
async fn issuance_renewal_and_expiry_show_in_the_next_read() {
    let api = Api::start().await;
    let id = api.order("clock", "txt").await;
    api.read(&id).await;
    api.mock.settle();
    let active = api.read(&id).await.expect("ordered");
    assert_eq!(active["status"], "active");
    assert_eq!(
        active["certificates"].as_array().map(Vec::len),
        Some(2),
        "issued"
    );
    // 14-day certificates: renewal starts 3 days before expiry.
    let expires: chrono::DateTime<chrono::Utc> = active["certificates"][0]["expires_on"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("an expiry date");
    let renewal = expires - chrono::TimeDelta::days(3);
    let wait = (renewal - api.mock.now()).to_std().expect("renewal ahead") + Duration::from_secs(1);
    api.mock.advance(wait);
    let renewing = api.read(&id).await.expect("ordered");
    assert_eq!(renewing["status"], "pending_validation");
    assert_ne!(renewing["validation_records"], Value::Null);
    // Its renewal's validation times out, so it is not reissued: past expiry it is expired.
    api.mock
        .set_pack_status(DEFAULT_ZONE_ID, &id, "validation_timed_out")
        .expect("a known pack");
    api.read(&id).await;
    api.mock.advance(Duration::from_secs(4 * 86_400));
    let expired = api.read(&id).await.expect("ordered");
    assert_eq!(expired["status"], "expired");
    assert_eq!(expired["certificates"][0]["status"], "expired");
}

#[tokio::test]
async fn deleted_packs_and_universal_ssl_turned_off_are_gone_from_the_next_read() {
    let api = Api::start().await;
    let (_, page) = api
        .call(Method::GET, "/ssl/certificate_packs?per_page=5", None)
        .await;
    let universal = page["result"][0]["id"]
        .as_str()
        .expect("universal")
        .to_owned();
    let advanced = page["result"][2]["id"]
        .as_str()
        .expect("advanced")
        .to_owned();
    api.read(&advanced).await.expect("seeded");
    let (status, _) = api
        .call(
            Method::DELETE,
            &format!("/ssl/certificate_packs/{advanced}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api.read(&advanced).await, None);
    api.read(&universal).await.expect("seeded");
    let (status, _) = api
        .call(
            Method::PATCH,
            "/ssl/universal/settings",
            Some(json!({ "enabled": false })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api.read(&universal).await, None);
}

#[tokio::test]
async fn a_drift_fault_still_edits_a_composed_answer() {
    let api = Api::start().await;
    let (_, page) = api
        .call(Method::GET, "/ssl/certificate_packs?per_page=5", None)
        .await;
    let id = page["result"][1]["id"]
        .as_str()
        .expect("advanced")
        .to_owned();
    api.read(&id).await;
    api.mock
        .faults()
        .on(cloudflare_ssl_mock::Operation::GetCertificatePack)
        .after_handling()
        .next(
            1,
            cloudflare_ssl_mock::Fault::SetField {
                pointer: "/result/status".into(),
                value: json!(7),
            },
        );
    let url = format!(
        "{}/zones/{DEFAULT_ZONE_ID}/ssl/certificate_packs/{id}",
        api.mock.base_url()
    );
    let drifted: Value = api
        .http
        .get(&url)
        .bearer_auth(api.mock.token())
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    assert_eq!(drifted["result"]["status"], 7);
    assert_eq!(drifted["result"]["id"], id.as_str());
}

/// Keywords that check each property of an object on its own.
const PER_PROPERTY: &[&str] = &[
    "type",
    "required",
    "properties",
    "additionalProperties",
    "description",
];
/// Keywords of an array whose only constraint is its `items`.
const ARRAY_OF: &[&str] = &["type", "items", "description"];

/// `schema` as an object schema, asserting it has no keyword outside `allowed`.
fn only_keys<'s>(
    schema: &'s Value,
    allowed: &[&str],
    what: &str,
) -> &'s serde_json::Map<String, Value> {
    let object = schema.as_object().expect("an object schema");
    for key in object.keys() {
        assert!(allowed.contains(&key.as_str()), "{what} has `{key}`");
    }
    object
}

/// The shape of the document that makes validating a pack answer in parts (the envelope per
/// answer, each pack once per rendering) equivalent to validating it whole: see
/// `routes::PartValidators`. If this fails, the document changed in a way that needs the
/// composition looked at again.
#[test]
fn pack_answers_compose_from_parts() {
    let doc: Value = serde_json::from_str(cloudflare_ssl::OPENAPI_JSON).expect("the document");
    let schemas = &doc["components"]["schemas"];
    let pack_ref = json!({ "$ref": "#/components/schemas/CertificatePack" });
    let ok_schema = |path: &str, method: &str| {
        doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
            .clone()
    };
    assert_eq!(
        ok_schema("/zones/{zone_id}/ssl/certificate_packs", "get"),
        json!({ "$ref": "#/components/schemas/CertificatePackListResponse" })
    );
    // One pack: read, edited or ordered.
    for (path, method) in [
        (
            "/zones/{zone_id}/ssl/certificate_packs/{certificate_pack_id}",
            "get",
        ),
        (
            "/zones/{zone_id}/ssl/certificate_packs/{certificate_pack_id}",
            "patch",
        ),
        ("/zones/{zone_id}/ssl/certificate_packs/order", "post"),
    ] {
        assert_eq!(
            ok_schema(path, method),
            json!({ "$ref": "#/components/schemas/CertificatePackResponse" }),
            "{method} {path}"
        );
    }
    // The verification answer: an object whose properties are checked on their own, `result`
    // not required and an array whose only constraint is `items: Verification`.
    assert_eq!(
        ok_schema("/zones/{zone_id}/ssl/verification", "get"),
        json!({ "$ref": "#/components/schemas/VerificationResponse" })
    );
    let verification = only_keys(
        &schemas["VerificationResponse"],
        PER_PROPERTY,
        "VerificationResponse",
    );
    assert!(!verification
        .get("required")
        .and_then(Value::as_array)
        .is_some_and(|r| r.contains(&json!("result"))));
    let verification_result = only_keys(
        &verification["properties"]["result"],
        ARRAY_OF,
        "the verification's result",
    );
    assert_eq!(verification_result["type"], "array");
    assert_eq!(
        verification_result["items"],
        json!({ "$ref": "#/components/schemas/Verification" })
    );
    for (name, result_required) in [
        ("CertificatePackListResponse", false),
        ("CertificatePackResponse", false),
    ] {
        let envelope = only_keys(&schemas[name], PER_PROPERTY, name);
        let required = envelope["required"].as_array().expect("required");
        assert_eq!(
            required.contains(&json!("result")),
            result_required,
            "{name}: `result` required"
        );
    }
    assert_eq!(
        schemas["CertificatePackResponse"]["properties"]["result"],
        pack_ref
    );
    let list_result = only_keys(
        &schemas["CertificatePackListResponse"]["properties"]["result"],
        ARRAY_OF,
        "the list's result",
    );
    assert_eq!(list_result["type"], "array");
    assert_eq!(list_result["items"], pack_ref);
}
