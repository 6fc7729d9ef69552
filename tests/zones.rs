//! Zones by name against the mock: `GET /zones?name=…` finds the id a program needs.

use cloudflare_ssl::Client;
use cloudflare_ssl_mock::{MockServer, ZoneSeed, SECOND_ZONE_ID};

fn client(mock: &MockServer) -> Client {
    Client::builder()
        .api_token(mock.token())
        .base_url(mock.base_url())
        .build()
        .expect("client")
}

#[tokio::test]
async fn zone_by_name_finds_the_mocks_zones() {
    let mock = MockServer::start_manual().await;
    let client = client(&mock);
    let zone = client
        .zone_by_name("example.com")
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(zone.id().as_str(), mock.zone_id());
    let other = client
        .zone_by_name("Example.NET.")
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(other.id().as_str(), SECOND_ZONE_ID);
    // The handle works.
    assert!(other.certificate_packs().quota().await.is_ok());
    assert!(client
        .zone_by_name("example.org")
        .await
        .expect("lookup")
        .is_none());
    let zones = client.zones_by_name("example.com").await.expect("lookup");
    assert_eq!(zones.len(), 1);
    assert_eq!(
        zones[0].status,
        Some(cloudflare_ssl::types::ZoneStatus::Active)
    );
    assert!(zones[0].account.is_some());
    assert_eq!(
        mock.counters().by_operation.get("list_zones"),
        Some(&4),
        "one request per lookup"
    );
    assert!(
        mock.schema_violations().is_empty(),
        "{:?}",
        mock.schema_violations()
    );
}

#[tokio::test]
async fn a_bad_name_is_refused_before_sending() {
    let mock = MockServer::start_manual().await;
    let client = client(&mock);
    for bad in ["", "contains:.org", "a b.com", &"x".repeat(254)] {
        let err = client.zone_by_name(bad).await.unwrap_err();
        assert!(err.to_string().contains("`name`"), "{err}");
    }
    assert_eq!(mock.counters().total, 0);
}

#[tokio::test]
async fn many_zones_by_name() {
    let zones: Vec<ZoneSeed> = (0..60)
        .map(|i| ZoneSeed::new(format!("{i:032x}"), format!("zone{i}.example")))
        .collect();
    let mock = MockServer::builder()
        .manual_clock()
        .zones(zones)
        .start()
        .await;
    let client = client(&mock);
    let zone = client
        .zone_by_name("zone59.example")
        .await
        .expect("lookup")
        .expect("found past the first page of zones");
    assert_eq!(zone.id().as_str(), format!("{:032x}", 59));
}
