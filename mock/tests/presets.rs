//! The presets: the default mock moves on its own at a demo pace (a client's
//! `wait_until_active` finishes, validation records come after ordering, as with the real API);
//! the manual preset stays put and shows records at once.

use std::time::{Duration, Instant};

use cloudflare_ssl::WaitOptions;
use cloudflare_ssl_mock::{MockServer, Preset, DEFAULT_ZONE_ID};
use serde_json::{json, Value};

fn http_client() -> reqwest::Client {
    let _ = cloudflare_ssl_mock::crypto_provider().install_default();
    reqwest::Client::new()
}

async fn order(mock: &MockServer, http: &reqwest::Client) -> Value {
    let body: Value = http
        .post(format!(
            "{}/zones/{DEFAULT_ZONE_ID}/ssl/certificate_packs/order",
            mock.base_url()
        ))
        .bearer_auth(mock.token())
        .json(&json!({
            "certificate_authority": "lets_encrypt",
            "hosts": ["example.com", "*.example.com"],
            "type": "advanced",
            "validation_method": "txt",
            "validity_days": 90,
        }))
        .send()
        .await
        .expect("order reaches the mock")
        .json()
        .await
        .expect("JSON");
    assert_eq!(body["success"], true, "{body}");
    body["result"].clone()
}

async fn get_pack(mock: &MockServer, http: &reqwest::Client, id: &str) -> Value {
    let body: Value = http
        .get(format!(
            "{}/zones/{DEFAULT_ZONE_ID}/ssl/certificate_packs/{id}",
            mock.base_url()
        ))
        .bearer_auth(mock.token())
        .send()
        .await
        .expect("get reaches the mock")
        .json()
        .await
        .expect("JSON");
    body["result"].clone()
}

fn records(pack: &Value) -> usize {
    pack["validation_records"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_mock_moves_on_its_own_and_records_come_later() {
    let mock = MockServer::start().await;
    let http = http_client();
    let ordered_at = Instant::now();
    let pack = order(&mock, &http).await;
    let id = pack["id"].as_str().expect("id").to_owned();
    assert_eq!(pack["status"], "initializing");
    assert_eq!(pack["validation_records"], json!([]), "records come later");

    // The records appear with the move to pending_validation (250 ms in the demo preset).
    let records_at = loop {
        let now = get_pack(&mock, &http, &id).await;
        if records(&now) > 0 {
            assert_ne!(now["status"], "initializing", "{now}");
            break ordered_at.elapsed();
        }
        assert!(
            ordered_at.elapsed() < Duration::from_secs(5),
            "no records after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(records_at >= Duration::from_millis(200), "{records_at:?}");

    // The crate's client waits until active, and the wait ends within about a second.
    let client = cloudflare_ssl::Client::builder()
        .api_token(mock.token())
        .base_url(mock.base_url())
        .build()
        .expect("client");
    let zone = client.zone(mock.zone_id()).expect("zone");
    let active = zone
        .certificate_packs()
        .wait_until_active(
            id.as_str(),
            WaitOptions::default()
                .interval(Duration::from_millis(100))
                .deadline(Duration::from_secs(10)),
        )
        .await
        .expect("active");
    assert_eq!(active.status.as_str(), "active");
    // The wait's own deadline bounds the upper side; the lower side shows the mock paced the
    // pack (timers never fire early, so this cannot flake on a loaded machine).
    let took = ordered_at.elapsed();
    assert!(took >= Duration::from_millis(900), "active after {took:?}");
    assert!(
        mock.schema_violations().is_empty(),
        "{:?}",
        mock.schema_violations()
    );
}

#[tokio::test]
async fn manual_preset_stays_put_and_shows_records_at_once() {
    let mock = MockServer::start_manual().await;
    let http = http_client();
    let pack = order(&mock, &http).await;
    let id = pack["id"].as_str().expect("id").to_owned();
    assert_eq!(records(&pack), 2);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(get_pack(&mock, &http, &id).await["status"], "initializing");
    assert_eq!(mock.settle(), 4);
    assert_eq!(get_pack(&mock, &http, &id).await["status"], "active");
}

#[tokio::test]
async fn preset_parts_can_be_overridden() {
    // The demo pace, without the delayed records.
    let mock = MockServer::builder()
        .preset(Preset::Demo)
        .delayed_validation_records(false)
        .start()
        .await;
    let http = http_client();
    assert_eq!(records(&order(&mock, &http).await), 2);

    // The manual clock, with the delayed records: they come with the first tick.
    let mock = MockServer::builder()
        .manual_clock()
        .delayed_validation_records(true)
        .start()
        .await;
    let pack = order(&mock, &http).await;
    let id = pack["id"].as_str().expect("id").to_owned();
    assert_eq!(records(&pack), 0);
    assert!(mock.tick());
    let now = get_pack(&mock, &http, &id).await;
    assert_eq!(now["status"], "pending_validation");
    assert_eq!(records(&now), 2);
}

#[test]
fn presets_describe_themselves() {
    assert_eq!(Preset::default(), Preset::Demo);
    assert_eq!(
        Preset::Demo.timings().initializing,
        Duration::from_millis(250)
    );
    assert!(Preset::Realistic.delayed_validation_records());
    assert!(!Preset::Manual.delayed_validation_records());
}
