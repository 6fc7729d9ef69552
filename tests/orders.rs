//! An order the server accepted must never look like a failure that invites a retry; `ensure`
//! reconciles before ordering and after an order whose outcome is unknown. Driven through the
//! mock's faults.

use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
use cloudflare_ssl::{Client, Ensured, Error, OrderRequest};
use cloudflare_ssl_mock::{Fault, MockServer, Operation};
use futures::TryStreamExt;
use serde_json::json;

mod common;
use common::{client, order};

async fn pack_ids(client: &Client, mock: &MockServer) -> Vec<String> {
    client
        .zone(mock.zone_id())
        .unwrap()
        .certificate_packs()
        .list()
        .status(cloudflare_ssl::types::CertificatePackListStatus::All)
        .items()
        .map_ok(|p| p.id.to_string())
        .try_collect()
        .await
        .expect("list")
}

#[tokio::test]
async fn an_accepted_order_that_does_not_decode_is_never_retried_and_carries_the_id() {
    let mock = MockServer::start_manual().await;
    let client = client(&mock);
    let packs = client.zone(mock.zone_id()).unwrap().certificate_packs();
    let before = pack_ids(&client, &mock).await;
    // The server creates the pack, then its answer drifts: `status` becomes a number.
    mock.faults()
        .on(Operation::OrderCertificatePack)
        .after_handling()
        .next(
            1,
            Fault::SetField {
                pointer: "/result/status".into(),
                value: json!(5),
            },
        );
    let err = packs
        .order(order(&["example.com", "a.example.com"]))
        .await
        .unwrap_err();
    let Error::Accepted(accepted) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(accepted.status, 200);
    assert!(accepted.cf_ray.is_some());
    assert!(accepted.body.contains("\"status\":5"), "{}", accepted.body);
    assert!(
        matches!(&accepted.cause, Error::Decode { path, .. } if path == "result.status"),
        "{:?}",
        accepted.cause
    );
    assert!(!err.is_retryable() && err.is_outcome_unknown());
    let created: Vec<String> = pack_ids(&client, &mock)
        .await
        .into_iter()
        .filter(|id| !before.contains(id))
        .collect();
    assert_eq!(created.len(), 1);
    assert_eq!(accepted.resource_id.as_deref(), Some(created[0].as_str()));
    assert_eq!(
        mock.counters().requests(Operation::OrderCertificatePack),
        1,
        "sent once"
    );
    assert!(err.to_string().contains("Do not resend"), "{err}");
}

#[tokio::test]
async fn ensure_finds_before_ordering_and_recovers_an_unknown_outcome() {
    let mock = MockServer::start_manual().await;
    let client = client(&mock);
    let packs = client.zone(mock.zone_id()).unwrap().certificate_packs();

    // The answer is lost after the pack was created: ensure looks it up instead of failing.
    mock.faults()
        .on(Operation::OrderCertificatePack)
        .after_handling()
        .next(1, Fault::DropConnection);
    let (pack, how) = packs
        .ensure(order(&["example.com", "b.example.com"]))
        .await
        .expect("ensure");
    assert_eq!(how, Ensured::Recovered);
    assert_eq!(mock.orders_created(), 1);

    // Run again (as a restarted program would): the same pack, nothing ordered.
    let (again, how) = packs
        .ensure(order(&["B.example.com", "example.com"]))
        .await
        .expect("ensure again");
    assert_eq!((again.id, how), (pack.id.clone(), Ensured::Existing));
    assert_eq!(mock.orders_created(), 1);
    assert_eq!(mock.counters().requests(Operation::OrderCertificatePack), 1);

    // Another host set or authority is another order.
    let (other, how) = packs
        .ensure(order(&["example.com", "c.example.com"]))
        .await
        .expect("new");
    assert_eq!(how, Ensured::Ordered);
    assert_ne!(other.id, pack.id);
    let google = OrderRequest::new(
        ["example.com", "b.example.com"],
        CertificateAuthority::Google,
        CertificatePackValidationMethod::Txt,
        ValidityDays::Days90,
    );
    let (_, how) = packs.ensure(google).await.expect("google");
    assert_eq!(how, Ensured::Ordered);
    assert_eq!(mock.orders_created(), 3);
}

#[tokio::test]
async fn an_accepted_order_too_large_to_read_is_accepted_and_ensure_recovers_it() {
    let mock = MockServer::start_manual().await;
    // Listings of the seeded packs fit in 64 KiB; the padded answer to the order does not.
    let client = Client::builder()
        .api_token(mock.token())
        .base_url(mock.base_url())
        .max_response_bytes(64 * 1024)
        .build()
        .expect("client");
    let packs = client.zone(mock.zone_id()).unwrap().certificate_packs();
    let padded = || Fault::SetField {
        pointer: "/result/padding".into(),
        value: json!("x".repeat(100 * 1024)),
    };
    mock.faults()
        .on(Operation::OrderCertificatePack)
        .after_handling()
        .next(2, padded());

    let err = packs
        .order(order(&["example.com", "d.example.com"]))
        .await
        .unwrap_err();
    let Error::Accepted(accepted) = &err else {
        panic!("a 2xx too large to read must not be an ordinary failure: {err:?}")
    };
    assert_eq!(accepted.status, 200);
    assert!(accepted.body_truncated && accepted.resource_id.is_none());
    assert!(
        matches!(&accepted.cause, Error::ResponseTooLarge { limit, .. } if *limit == 64 * 1024),
        "{:?}",
        accepted.cause
    );
    assert!(!err.is_retryable() && err.is_outcome_unknown());
    assert_eq!(mock.orders_created(), 1);

    // ensure() with another host set: ordered, answer unreadable, then found by its hosts.
    let (pack, how) = packs
        .ensure(order(&["example.com", "e.example.com"]))
        .await
        .expect("ensure recovers");
    assert_eq!(how, Ensured::Recovered);
    assert_eq!(pack.hosts.len(), 2);
    assert_eq!(mock.orders_created(), 2);
    assert_eq!(mock.counters().requests(Operation::OrderCertificatePack), 2);
}

#[tokio::test]
async fn undocumented_enum_values_never_reach_the_wire() {
    let mock = MockServer::start_manual().await;
    let client = client(&mock);
    let packs = client.zone(mock.zone_id()).unwrap().certificate_packs();
    let typo = OrderRequest::new(
        ["example.com"],
        CertificateAuthority::Unknown("lets_encrpyt".into()),
        CertificatePackValidationMethod::Txt,
        ValidityDays::Days90,
    );
    let err = packs.order(typo).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(e) if e.field == "certificate_authority" && e.value.as_deref() == Some("lets_encrpyt")),
        "{err:?}"
    );
    let err = packs
        .set_validation_method(
            "0123456789abcdef0123456789abcdef",
            cloudflare_ssl::types::DesiredValidationMethod::Unknown("htpp".into()),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(e) if e.field == "validation_method"),
        "{err:?}"
    );
    assert_eq!(mock.counters().total, 0, "nothing was sent");
}
