//! The mock's behaviour, operation by operation, over real HTTP: seeded data, ordering and DCV
//! records, the lifecycle on the mock's clock, verification, quota, deletion, pagination,
//! settings and certificate analysis.

use std::time::Duration;

use cloudflare_ssl_mock::{
    DEFAULT_ZONE_ID, DEFAULT_ZONE_NAME, SAMPLE_CERTIFICATE_PEM, SECOND_ZONE_ID,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// An RSA certificate with no SAN, only `CN=legacy.example.org`, expired on 2025-06-30 12:00 UTC.
const RSA_CN_ONLY_PEM: &str = "-----BEGIN CERTIFICATE-----
MIICxjCCAa6gAwIBAgIUN4N1ku4i3iySAlyzoEHnKuTuJ9swDQYJKoZIhvcNAQEL
BQAwHTEbMBkGA1UEAwwSbGVnYWN5LmV4YW1wbGUub3JnMB4XDTI0MDEwMTAwMDAw
MFoXDTI1MDYzMDEyMDAwMFowHTEbMBkGA1UEAwwSbGVnYWN5LmV4YW1wbGUub3Jn
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAz3uZrSFL0+QuajXWLgB3
h4yjjMjjBWTkAoXCBhyX1Vul0pHjIQCMC8kl/nfkOl9F/+RA5wZteaoV9nT+viKK
ogJ1K9/e/seTMwo9dnjsCWu8v8eoG14Ml8uVC3x6CQFrMUrgZPtt0OhvsNoipMk9
xaE0Pr19UgXhhreisCiLLqwPH3mx3EdBj754Pj0tDCjhemt5IDIvoXt1sc0mysb0
wKg7bE3iSOdbaJN1h88Ueil7EXReIkT9A+j8FXDKS+CSNzCNABs056/7HHGPbJrs
afDzkhZ2SzVEENheSbimVC6+px6PEiSIWeTj9hFXQtd+MQPL5NztI57JcTzyS109
XwIDAQABMA0GCSqGSIb3DQEBCwUAA4IBAQDMHN5qvK0xa9flulqJfWap7GkL4Kcw
/pyOnh8kjvyD9ofdS8Agcpu/fd5tSZmmB8MVPryCHt5z6/srMh8uXddgRP9g3zIQ
YwdZZM/0pku7xDvCS78sDW5nR54ZBn82XOESwxFaJMIcEuklNxLrQOxrIiY83Cfz
HbFxH1VeBsaJgYc+B4IXQ/5wG+Itpice965khaz0Qqzw+zTTUBjnkUyi2b9HCdUU
YiLtaSesJYEgtllqdImITnYBwWWNo6RKj8AeFwIBvoc4r8aV/5xIBRCiP+8ODpt9
cA6jBDBUAI90YthcnMGLXsfcdpfLDIG/GDwuwI4z8VwxC9Ns6bjHKR6t
-----END CERTIFICATE-----
";

mod common;
use common::Api;

impl Api {
    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    async fn order(&self, hosts: &[&str], method: &str) -> Value {
        let (status, body) = self
            .call(
                Method::POST,
                "/ssl/certificate_packs/order",
                Some(json!({
                    "certificate_authority": "lets_encrypt",
                    "hosts": hosts,
                    "type": "advanced",
                    "validation_method": method,
                    "validity_days": 90,
                })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["result"].clone()
    }

    async fn pack_status(&self, id: &str) -> String {
        let body = self.get(&format!("/ssl/certificate_packs/{id}")).await;
        body["result"]["status"]
            .as_str()
            .expect("status")
            .to_owned()
    }
}

fn error_code(body: &Value) -> i64 {
    body["errors"][0]["code"].as_i64().expect("error code")
}

#[tokio::test]
async fn seeded_zone_has_quota_and_active_packs() {
    let api = Api::start().await;
    assert_eq!(api.mock.zone_id(), DEFAULT_ZONE_ID);
    let zones = api.mock.zones();
    assert_eq!(zones.len(), 2);
    assert_eq!(zones[0].name, DEFAULT_ZONE_NAME);

    let quota = api.get("/ssl/certificate_packs/quota").await;
    assert_eq!(
        quota["result"],
        json!({"advanced": {"allocated": 10, "used": 5}})
    );

    let list = api.get("/ssl/certificate_packs").await;
    let packs = list["result"].as_array().expect("array");
    assert_eq!(packs.len(), 6);
    let universal: Vec<&Value> = packs.iter().filter(|p| p["type"] == "universal").collect();
    assert_eq!(universal.len(), 1, "one universal pack per zone");
    assert_eq!(
        universal[0]["hosts"],
        json!(["example.com", "*.example.com"])
    );
    for pack in packs {
        assert_eq!(pack["status"], "active");
        let certs = pack["certificates"].as_array().expect("certificates");
        assert_eq!(certs.len(), 2);
        assert_eq!(pack["primary_certificate"], certs[0]["id"]);
        assert!(pack.get("validation_records").is_none());
    }
}

#[tokio::test]
async fn order_creates_pack_with_records_matching_the_method() {
    let api = Api::start().await;

    let txt = api.order(&["example.com", "*.example.com"], "txt").await;
    assert_eq!(txt["type"], "advanced");
    assert_eq!(txt["status"], "initializing");
    assert_eq!(txt["validation_method"], "txt");
    assert_eq!(txt["validity_days"], 90);
    assert_eq!(txt["certificate_authority"], "lets_encrypt");
    assert_eq!(txt["certificates"], json!([]));
    assert!(txt["id"].as_str().is_some_and(|id| id.len() == 32));
    let records = txt["validation_records"].as_array().expect("records");
    assert_eq!(records.len(), 2);
    for r in records {
        assert_eq!(r["txt_name"], "_acme-challenge.example.com");
        assert!(r["txt_value"].as_str().is_some_and(|v| v.len() == 32));
        assert!(r.get("http_url").is_none() && r.get("emails").is_none());
    }
    assert_eq!(
        txt["dcv_delegation_records"][0]["cname"],
        "_acme-challenge.example.com"
    );

    let http = api
        .order(&["example.com", "shop.example.com"], "http")
        .await;
    let records = http["validation_records"].as_array().expect("records");
    assert_eq!(records.len(), 2);
    assert!(records[1]["http_url"]
        .as_str()
        .is_some_and(|u| u.starts_with("http://shop.example.com/.well-known/pki-validation/")));
    assert!(records[1]["http_body"].is_string());
    assert!(records[1].get("txt_name").is_none());

    let email = api.order(&["example.com"], "email").await;
    let emails = email["validation_records"][0]["emails"]
        .as_array()
        .expect("emails");
    assert!(emails.contains(&json!("administrator@example.com")));

    assert_eq!(api.mock.orders_created(), 3);
    let quota = api.get("/ssl/certificate_packs/quota").await;
    assert_eq!(quota["result"]["advanced"]["used"], 8);

    // The pack is readable, and the mock's Rust view agrees.
    let id = txt["id"].as_str().expect("id");
    let got = api.get(&format!("/ssl/certificate_packs/{id}")).await;
    assert_eq!(got["result"], txt);
    assert_eq!(
        api.mock.certificate_pack(DEFAULT_ZONE_ID, id),
        Some(txt.clone())
    );
}

#[tokio::test]
async fn order_rejects_hosts_outside_the_zone_or_without_apex() {
    let api = Api::start().await;
    let order = |hosts: Value| {
        json!({
            "certificate_authority": "google",
            "hosts": hosts,
            "type": "advanced",
            "validation_method": "txt",
            "validity_days": 30,
        })
    };
    let (status, body) = api
        .call(
            Method::POST,
            "/ssl/certificate_packs/order",
            Some(order(json!(["example.com", "www.example.org"]))),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["source"]["pointer"], "/hosts/1");

    let (status, body) = api
        .call(
            Method::POST,
            "/ssl/certificate_packs/order",
            Some(order(json!(["www.example.com"]))),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["source"]["pointer"], "/hosts");
    assert!(body["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("apex")));
    assert_eq!(api.mock.orders_created(), 0);
}

#[tokio::test]
async fn lifecycle_advances_with_the_mock_clock() {
    let api = Api::start().await;
    let pack = api.order(&["example.com", "api.example.com"], "txt").await;
    let id = pack["id"].as_str().expect("id");

    api.mock.advance(Duration::from_secs(5));
    assert_eq!(api.pack_status(id).await, "initializing");

    let mut seen = vec![api.pack_status(id).await];
    while api.mock.tick() {
        seen.push(api.pack_status(id).await);
    }
    assert_eq!(
        seen,
        [
            "initializing",
            "pending_validation",
            "pending_issuance",
            "pending_deployment",
            "active"
        ]
    );

    let active = api.get(&format!("/ssl/certificate_packs/{id}")).await["result"].clone();
    let certs = active["certificates"].as_array().expect("certificates");
    assert_eq!(certs.len(), 2);
    assert_eq!(certs[0]["signature"], "ECDSAWithSHA256");
    assert_eq!(certs[1]["signature"], "SHA256WithRSA");
    assert_eq!(certs[0]["hosts"], json!(["example.com", "api.example.com"]));
    assert_eq!(certs[0]["zone_id"], DEFAULT_ZONE_ID);
    assert!(active.get("validation_records").is_none());

    // Now listed by default (only active packs are).
    let list = api.get("/ssl/certificate_packs?per_page=50").await;
    assert!(list["result"]
        .as_array()
        .expect("array")
        .iter()
        .any(|p| p["id"] == id));
}

#[tokio::test]
async fn verification_reflects_packs_and_patch_drives_validation() {
    let api = Api::start().await;
    let pack = api.order(&["example.com"], "txt").await;
    let id = pack["id"].as_str().expect("id");
    let old_value = pack["validation_records"][0]["txt_value"].clone();

    let verification = api.get("/ssl/verification").await;
    let entries = verification["result"].as_array().expect("array");
    assert_eq!(entries.len(), 7, "one entry per pack");
    let entry = entries
        .iter()
        .find(|e| e["cert_pack_uuid"] == id)
        .expect("entry of the new pack");
    assert_eq!(entry["certificate_status"], "initializing");
    assert_eq!(entry["validation_method"], "txt");
    assert_eq!(
        entry["verification_info"],
        json!({"record_name": "txt_name", "record_target": "txt_value"})
    );
    assert!(entries
        .iter()
        .filter(|e| e["cert_pack_uuid"] != id)
        .all(|e| e["certificate_status"] == "active" && e["verification_status"] == true));

    // A new method: fresh records to publish, back to pending_validation.
    let (status, body) = api
        .call(
            Method::PATCH,
            &format!("/ssl/verification/{id}"),
            Some(json!({"validation_method": "http"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["result"],
        json!({"status": "pending_validation", "validation_method": "http"})
    );
    let got = api.get(&format!("/ssl/certificate_packs/{id}")).await["result"].clone();
    assert_eq!(got["validation_method"], "http");
    assert!(got["validation_records"][0]["http_url"].is_string());
    assert_ne!(got["validation_records"][0]["txt_value"], old_value);
    let verification = api.get("/ssl/verification").await;
    let entry = verification["result"]
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["cert_pack_uuid"] == id)
        .cloned()
        .expect("entry");
    assert_eq!(entry["certificate_status"], "authorizing");
    assert_eq!(entry["verification_status"], false);
    assert_eq!(entry["verification_info"]["record_name"], "http_url");

    // The same method again: the immediate check passes.
    let (_, body) = api
        .call(
            Method::PATCH,
            &format!("/ssl/verification/{id}"),
            Some(json!({"validation_method": "http"})),
        )
        .await;
    assert_eq!(body["result"]["status"], "pending_issuance");
    assert_eq!(api.pack_status(id).await, "pending_issuance");

    api.mock.settle();
    assert_eq!(api.pack_status(id).await, "active");

    // Once validated, the method is locked.
    let (status, body) = api
        .call(
            Method::PATCH,
            &format!("/ssl/verification/{id}"),
            Some(json!({"validation_method": "email"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), 1408);
    assert_eq!(body["errors"][0]["source"]["pointer"], "/validation_method");

    // Unknown pack.
    let (status, body) = api
        .call(
            Method::PATCH,
            "/ssl/verification/ffffffffffffffffffffffffffffffff",
            Some(json!({"validation_method": "txt"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), 1404);
}

#[tokio::test]
async fn verification_retry_rechecks_pending_packs() {
    let api = Api::start().await;
    let pack = api.order(&["example.com"], "txt").await;
    let id = pack["id"].as_str().expect("id");
    api.mock.tick();
    assert_eq!(api.pack_status(id).await, "pending_validation");
    api.get("/ssl/verification?retry=true").await;
    assert_eq!(api.pack_status(id).await, "pending_issuance");
}

#[tokio::test]
async fn email_and_cname_methods_show_in_verification_within_its_enum() {
    let api = Api::start().await;
    let pack = api.order(&["example.com"], "email").await;
    let id = pack["id"].as_str().expect("id");
    let entry = |v: &Value| {
        v["result"]
            .as_array()
            .expect("array")
            .iter()
            .find(|e| e["cert_pack_uuid"] == id)
            .cloned()
            .expect("entry")
    };
    // `email` is not a verification `ValidationMethod`: omitted, not invented.
    let e = entry(&api.get("/ssl/verification").await);
    assert!(e.get("validation_method").is_none());
    // `cname` is accepted by the PATCH and shown by verification, not by the pack.
    api.call(
        Method::PATCH,
        &format!("/ssl/verification/{id}"),
        Some(json!({"validation_method": "cname"})),
    )
    .await;
    let e = entry(&api.get("/ssl/verification").await);
    assert_eq!(e["validation_method"], "cname");
    let got = api.get(&format!("/ssl/certificate_packs/{id}")).await["result"].clone();
    assert!(got.get("validation_method").is_none());
    assert!(got["validation_records"][0]["cname_target"]
        .as_str()
        .is_some_and(|t| t.ends_with(".dcv.cloudflare.com")));
}

#[tokio::test]
async fn delete_removes_the_pack_and_frees_quota() {
    let api = Api::start().await;
    let pack = api.order(&["example.com"], "txt").await;
    let id = pack["id"].as_str().expect("id");
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/ssl/certificate_packs/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"], json!({"id": id}));

    let (status, body) = api
        .call(Method::GET, &format!("/ssl/certificate_packs/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), 1404);
    let (status, _) = api
        .call(
            Method::DELETE,
            &format!("/ssl/certificate_packs/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        api.get("/ssl/certificate_packs/quota").await["result"]["advanced"]["used"],
        5
    );
    assert!(api.mock.certificate_pack(DEFAULT_ZONE_ID, id).is_none());

    // The universal pack cannot be deleted or edited.
    let list = api.get("/ssl/certificate_packs").await;
    let universal = list["result"]
        .as_array()
        .expect("array")
        .iter()
        .find(|p| p["type"] == "universal")
        .and_then(|p| p["id"].as_str())
        .expect("universal pack")
        .to_owned();
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/ssl/certificate_packs/{universal}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), 1407);
    let (status, body) = api
        .call(
            Method::PATCH,
            &format!("/ssl/certificate_packs/{universal}"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), 1407);
}

#[tokio::test]
async fn quota_is_enforced() {
    let api = Api::start().await;
    let order = json!({
        "certificate_authority": "lets_encrypt",
        "hosts": ["example.net", "*.example.net"],
        "type": "advanced",
        "validation_method": "txt",
        "validity_days": 90,
    });
    let quota = |body: Value| body["result"]["advanced"].clone();
    let (_, q) = api
        .call_zone(
            SECOND_ZONE_ID,
            Method::GET,
            "/ssl/certificate_packs/quota",
            None,
        )
        .await;
    assert_eq!(quota(q), json!({"allocated": 1, "used": 0}));

    let (status, _) = api
        .call_zone(
            SECOND_ZONE_ID,
            Method::POST,
            "/ssl/certificate_packs/order",
            Some(order.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api
        .call_zone(
            SECOND_ZONE_ID,
            Method::POST,
            "/ssl/certificate_packs/order",
            Some(order),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), 1405);
    assert!(body["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("Quota exceeded")));
    let (_, q) = api
        .call_zone(
            SECOND_ZONE_ID,
            Method::GET,
            "/ssl/certificate_packs/quota",
            None,
        )
        .await;
    assert_eq!(quota(q), json!({"allocated": 1, "used": 1}));
    assert_eq!(api.mock.orders_created(), 1);
}

#[tokio::test]
async fn list_pagination_and_filters_are_exact() {
    let api = Api::start().await;
    let info = |v: &Value| v["result_info"].clone();
    let count = |v: &Value| v["result"].as_array().map_or(0, Vec::len);

    let all = api.get("/ssl/certificate_packs").await;
    assert_eq!(
        info(&all),
        json!({"count": 6, "page": 1, "per_page": 20, "total_count": 6, "total_pages": 1})
    );

    let p1 = api.get("/ssl/certificate_packs?per_page=5").await;
    assert_eq!(
        info(&p1),
        json!({"count": 5, "page": 1, "per_page": 5, "total_count": 6, "total_pages": 2})
    );
    let p2 = api.get("/ssl/certificate_packs?per_page=5&page=2").await;
    assert_eq!(
        info(&p2),
        json!({"count": 1, "page": 2, "per_page": 5, "total_count": 6, "total_pages": 2})
    );
    let p3 = api.get("/ssl/certificate_packs?per_page=5&page=3").await;
    assert_eq!(count(&p3), 0);
    assert_eq!(info(&p3)["count"], 0);
    // Pages do not overlap and cover everything.
    let mut ids: Vec<Value> = p1["result"]
        .as_array()
        .into_iter()
        .chain(p2["result"].as_array())
        .flatten()
        .map(|p| p["id"].clone())
        .collect();
    ids.sort_by_key(|v| v.to_string());
    ids.dedup();
    assert_eq!(ids.len(), 6);

    // New packs are not active: only `status=all` lists them.
    api.order(&["example.com"], "txt").await;
    api.order(&["example.com"], "http").await;
    assert_eq!(
        info(&api.get("/ssl/certificate_packs").await)["total_count"],
        6
    );
    let everything = api
        .get("/ssl/certificate_packs?status=all&per_page=5")
        .await;
    assert_eq!(
        info(&everything),
        json!({"count": 5, "page": 1, "per_page": 5, "total_count": 8, "total_pages": 2})
    );

    // `deploy`: all packs are in production until one is staged.
    assert_eq!(
        info(&api.get("/ssl/certificate_packs?deploy=production").await)["total_count"],
        6
    );
    assert_eq!(
        info(&api.get("/ssl/certificate_packs?deploy=staging").await)["total_count"],
        0
    );
    let staged = p2["result"][0]["id"].as_str().expect("id").to_owned();
    api.mock
        .set_pack_status(DEFAULT_ZONE_ID, &staged, "staging_active")
        .expect("status set");
    let staging = api.get("/ssl/certificate_packs?deploy=staging").await;
    assert_eq!(info(&staging)["total_count"], 1);
    assert_eq!(staging["result"][0]["id"], staged.as_str());
}

#[tokio::test]
async fn universal_settings_persist_and_drive_the_universal_pack() {
    let api = Api::start().await;
    assert_eq!(
        api.get("/ssl/universal/settings").await["result"],
        json!({"enabled": true})
    );
    let universal_count = |v: &Value| {
        v["result"]
            .as_array()
            .map_or(0, |a| a.iter().filter(|p| p["type"] == "universal").count())
    };

    let (status, body) = api
        .call(
            Method::PATCH,
            "/ssl/universal/settings",
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"], json!({"enabled": false}));
    assert_eq!(
        api.get("/ssl/universal/settings").await["result"],
        json!({"enabled": false})
    );
    let list = api.get("/ssl/certificate_packs?status=all").await;
    assert_eq!(universal_count(&list), 0);
    assert_eq!(
        api.get("/ssl/verification").await["result"]
            .as_array()
            .map(Vec::len),
        Some(5)
    );

    api.call(
        Method::PATCH,
        "/ssl/universal/settings",
        Some(json!({"enabled": true})),
    )
    .await;
    let list = api.get("/ssl/certificate_packs?status=all").await;
    assert_eq!(universal_count(&list), 1);
    let fresh = list["result"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["type"] == "universal"))
        .expect("universal pack");
    assert_eq!(fresh["status"], "initializing");

    // The other zone is untouched.
    let (_, other) = api
        .call_zone(SECOND_ZONE_ID, Method::GET, "/ssl/universal/settings", None)
        .await;
    assert_eq!(other["result"], json!({"enabled": true}));
}

#[tokio::test]
async fn automatic_mode_and_recommendation() {
    let api = Api::start().await;
    let current = api.get("/settings/ssl_automatic_mode").await["result"].clone();
    assert_eq!(current["id"], "ssl_automatic_mode");
    assert_eq!(current["value"], "auto");
    assert_eq!(current["editable"], true);
    assert!(current["next_scheduled_scan"].is_string());

    let (status, body) = api
        .call(
            Method::PATCH,
            "/settings/ssl_automatic_mode",
            Some(json!({"value": "custom"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"]["value"], "custom");
    assert!(body["result"].get("next_scheduled_scan").is_none());
    assert_ne!(body["result"]["modified_on"], current["modified_on"]);

    let again = api.get("/settings/ssl_automatic_mode").await["result"].clone();
    assert_eq!(again, body["result"]);
    let recommendation = api.get("/ssl/recommendation").await["result"].clone();
    assert_eq!(recommendation["value"], "custom");
}

#[tokio::test]
async fn analyze_parses_the_given_pem() {
    let api = Api::start().await;
    let (status, body) = api
        .call(
            Method::POST,
            "/ssl/analyze",
            Some(json!({"bundle_method": "ubiquitous", "certificate": SAMPLE_CERTIFICATE_PEM})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["result"]["hosts"],
        json!(["example.com", "*.example.com", "www.example.com"])
    );
    assert_eq!(body["result"]["signature_algorithm"], "ECDSAWithSHA256");
    assert_eq!(body["result"]["expires_on"], "2036-01-01T00:00:00Z");

    let (_, body) = api
        .call(
            Method::POST,
            "/ssl/analyze",
            Some(json!({"certificate": RSA_CN_ONLY_PEM})),
        )
        .await;
    assert_eq!(body["result"]["hosts"], json!(["legacy.example.org"]));
    assert_eq!(body["result"]["signature_algorithm"], "SHA256WithRSA");
    assert_eq!(body["result"]["expires_on"], "2025-06-30T12:00:00Z");
    assert_eq!(body["result"]["issuer"], "CN=legacy.example.org");

    for bad in [
        json!({"certificate": "not a certificate"}),
        json!({"certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}),
    ] {
        let (status, body) = api.call(Method::POST, "/ssl/analyze", Some(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error_code(&body), 1410);
        assert_eq!(body["errors"][0]["source"]["pointer"], "/certificate");
    }
    let (status, body) = api
        .call(Method::POST, "/ssl/analyze", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["source"]["pointer"], "/certificate");
}

#[tokio::test]
async fn edit_pack_sets_branding_and_restarts_timed_out_validation() {
    let api = Api::start().await;
    let pack = api.order(&["example.com"], "txt").await;
    let id = pack["id"].as_str().expect("id");
    let path = format!("/ssl/certificate_packs/{id}");

    let (status, body) = api
        .call(
            Method::PATCH,
            &path,
            Some(json!({"cloudflare_branding": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"]["cloudflare_branding"], true);

    // Restarting validation is only for validation_timed_out packs.
    let (status, body) = api.call(Method::PATCH, &path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), 1409);

    api.mock
        .set_pack_status(DEFAULT_ZONE_ID, id, "validation_timed_out")
        .expect("status set");
    let (status, body) = api.call(Method::PATCH, &path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"]["status"], "pending_validation");
    assert!(body["result"]["validation_records"].is_array());

    assert!(api
        .mock
        .set_pack_status(DEFAULT_ZONE_ID, id, "no_such_status")
        .is_err());
}

#[tokio::test]
async fn reset_restores_the_seed() {
    let api = Api::start().await;
    api.order(&["example.com"], "txt").await;
    api.mock.advance(Duration::from_secs(3600));
    let later = api.mock.now();
    api.mock.reset();
    assert!(api.mock.now() < later);
    assert_eq!(api.mock.orders_created(), 0);
    assert_eq!(
        api.get("/ssl/certificate_packs/quota").await["result"]["advanced"]["used"],
        5
    );
}
