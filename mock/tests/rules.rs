//! The mock's business rules (valid requests it refuses in some state) behave as
//! `BUSINESS_RULES` says, and are listed where users look: `GET /__mock/`, the crate
//! documentation and the README.

use std::collections::BTreeSet;

use cloudflare_ssl_mock::envelope::BUSINESS_RULES;
use cloudflare_ssl_mock::{Fault, MockServer, DEFAULT_ZONE_ID, SECOND_ZONE_ID};
use reqwest::Method;
use serde_json::{json, Value};

struct Api {
    mock: MockServer,
    http: reqwest::Client,
}

impl Api {
    async fn call(
        &self,
        zone: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(
                method,
                format!("{}/zones/{zone}{path}", self.mock.base_url()),
            )
            .bearer_auth(self.mock.token());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("reaches the mock");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON"))
    }
}

fn order(apex: &str) -> Value {
    json!({
        "certificate_authority": "lets_encrypt",
        "hosts": [apex],
        "type": "advanced",
        "validation_method": "txt",
        "validity_days": 90,
    })
}

#[tokio::test]
async fn every_business_rule_answers_as_documented() {
    let _ = cloudflare_ssl_mock::crypto_provider().install_default();
    let api = Api {
        mock: MockServer::start_manual().await,
        http: reqwest::Client::new(),
    };
    let z = DEFAULT_ZONE_ID;
    let (_, list) = api
        .call(z, Method::GET, "/ssl/certificate_packs", None)
        .await;
    let packs = list["result"].as_array().cloned().unwrap_or_default();
    let universal = packs
        .iter()
        .find(|p| p["type"] == "universal")
        .and_then(|p| p["id"].as_str())
        .expect("universal pack")
        .to_owned();
    let active_txt = packs
        .iter()
        .find(|p| p["type"] == "advanced" && p["validation_method"] == "txt")
        .and_then(|p| p["id"].as_str())
        .expect("an active TXT pack")
        .to_owned();
    let (_, fresh) = api
        .call(
            z,
            Method::POST,
            "/ssl/certificate_packs/order",
            Some(order("example.com")),
        )
        .await;
    let fresh = fresh["result"]["id"].as_str().expect("ordered").to_owned();
    let unknown = "ffffffffffffffffffffffffffffffff";

    let mut answers: Vec<(&str, (u16, Value))> = Vec::new();
    answers.push((
        "delete_universal_pack",
        api.call(
            z,
            Method::DELETE,
            &format!("/ssl/certificate_packs/{universal}"),
            None,
        )
        .await,
    ));
    answers.push((
        "edit_universal_pack",
        api.call(
            z,
            Method::PATCH,
            &format!("/ssl/certificate_packs/{universal}"),
            Some(json!({})),
        )
        .await,
    ));
    answers.push((
        "restart_validation_not_timed_out",
        api.call(
            z,
            Method::PATCH,
            &format!("/ssl/certificate_packs/{fresh}"),
            Some(json!({})),
        )
        .await,
    ));
    answers.push((
        "change_method_after_validation",
        api.call(
            z,
            Method::PATCH,
            &format!("/ssl/verification/{active_txt}"),
            Some(json!({"validation_method": "http"})),
        )
        .await,
    ));
    // The same method on an active pack is fine.
    let (same, _) = api
        .call(
            z,
            Method::PATCH,
            &format!("/ssl/verification/{active_txt}"),
            Some(json!({"validation_method": "txt"})),
        )
        .await;
    assert_eq!(same, 200);
    let second = api
        .call(
            SECOND_ZONE_ID,
            Method::POST,
            "/ssl/certificate_packs/order",
            Some(order("example.net")),
        )
        .await;
    assert_eq!(second.0, 200, "{}", second.1);
    answers.push((
        "order_past_quota",
        api.call(
            SECOND_ZONE_ID,
            Method::POST,
            "/ssl/certificate_packs/order",
            Some(order("example.net")),
        )
        .await,
    ));
    let mut outside = order("example.com");
    outside["hosts"] = json!(["example.com", "www.example.org"]);
    answers.push((
        "order_hosts_outside_zone",
        api.call(
            z,
            Method::POST,
            "/ssl/certificate_packs/order",
            Some(outside),
        )
        .await,
    ));
    answers.push((
        "analyze_empty_certificate",
        api.call(
            z,
            Method::POST,
            "/ssl/analyze",
            Some(json!({"certificate": ""})),
        )
        .await,
    ));
    answers.push((
        "unknown_pack",
        api.call(
            z,
            Method::GET,
            &format!("/ssl/certificate_packs/{unknown}"),
            None,
        )
        .await,
    ));
    answers.push((
        "unknown_zone",
        api.call(unknown, Method::GET, "/ssl/certificate_packs", None)
            .await,
    ));

    let exercised: BTreeSet<&str> = answers.iter().map(|(n, _)| *n).collect();
    let documented: BTreeSet<&str> = BUSINESS_RULES.iter().map(|r| r.name).collect();
    assert_eq!(exercised, documented, "every documented rule is exercised");
    for (name, (status, body)) in &answers {
        let rule = BUSINESS_RULES
            .iter()
            .find(|r| r.name == *name)
            .expect("rule");
        assert_eq!(*status, rule.status, "{name}: {body}");
        assert_eq!(body["success"], false, "{name}");
        assert_eq!(body["errors"][0]["code"], rule.code, "{name}: {body}");
        assert_eq!(
            body["errors"][0]["source"]["pointer"].as_str(),
            rule.pointer,
            "{name}: {body}"
        );
    }
    assert!(
        api.mock.schema_violations().is_empty(),
        "{:?}",
        api.mock.schema_violations()
    );
}

#[tokio::test]
async fn the_help_route_lists_rules_fault_kinds_and_operations() {
    let _ = cloudflare_ssl_mock::crypto_provider().install_default();
    let mock = MockServer::start_manual().await;
    let help: Value = reqwest::get(format!("{}/", mock.admin_url()))
        .await
        .expect("admin")
        .json()
        .await
        .expect("JSON");
    let rules = help["business_rules"].as_array().expect("rules");
    assert_eq!(rules.len(), BUSINESS_RULES.len());
    assert_eq!(rules[0]["name"], BUSINESS_RULES[0].name);
    assert_eq!(rules[0]["code"], BUSINESS_RULES[0].code);
    let kinds: Vec<&str> = help["fault_kinds"]
        .as_array()
        .expect("fault kinds")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    let expected: Vec<String> = Fault::examples().iter().map(Fault::kind).collect();
    assert_eq!(kinds, expected);
    assert!(kinds.contains(&"drop_connection") && kinds.contains(&"remove_field"));
    // Each listed example is accepted back by POST /__mock/faults.
    let http = reqwest::Client::new();
    for fault in help["fault_kinds"].as_array().into_iter().flatten() {
        let response = http
            .post(format!("{}/faults", mock.admin_url()))
            .json(&json!({"fault": fault, "times": 1}))
            .send()
            .await
            .expect("admin");
        assert_eq!(response.status(), 200, "{fault}");
    }
    assert_eq!(
        help["operations"].as_array().map(Vec::len),
        Some(cloudflare_ssl::Operation::ALL.len())
    );
}

#[test]
fn rules_are_documented_in_the_crate_docs_and_the_readme() {
    for (file, text) in [
        ("src/lib.rs", include_str!("../src/lib.rs")),
        ("README.md", include_str!("../README.md")),
    ] {
        for rule in BUSINESS_RULES {
            let row = format!("| {} | {} |", rule.status, rule.code);
            assert!(
                text.lines()
                    .any(|l| l.contains(&format!("`{}`", rule.name)) && l.contains(&row)),
                "{file} lacks a table row for `{}` with `{row}`",
                rule.name
            );
        }
    }
}
