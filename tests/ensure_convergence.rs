//! `ensure` stays right with many workers: one order for concurrent calls on one client
//! (single-flight), one pack left when two clients race (the duplicate rule), and a pack whose
//! validation timed out is restarted rather than ordered again.

use std::time::Duration;

use cloudflare_ssl::types::CertificatePackStatus;
use cloudflare_ssl::{CertificatePacks, Ensured, OrderRequest};
use cloudflare_ssl_mock::{MockServer, Operation};

mod common;
use common::packs;

fn order() -> OrderRequest {
    common::order(&["example.com", "race.example.com"])
}

/// The ids of every pack matching `order()`.
async fn matching(packs: &CertificatePacks) -> Vec<String> {
    common::matching(packs, &order()).await
}

async fn twenty_concurrent_ensures(mock: &MockServer) {
    let packs = packs(mock);
    let calls = (0..20).map(|_| {
        let packs = packs.clone();
        tokio::spawn(async move { packs.ensure(order()).await })
    });
    let results: Vec<_> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.expect("task").expect("ensure"))
        .collect();
    assert_eq!(mock.orders_created(), 1, "one order for 20 calls");
    let ids: std::collections::BTreeSet<_> = results.iter().map(|(p, _)| p.id.clone()).collect();
    assert_eq!(ids.len(), 1, "every call got the same pack: {ids:?}");
    let ordered = results
        .iter()
        .filter(|(_, how)| *how == Ensured::Ordered)
        .count();
    assert_eq!(ordered, 1);
    assert_eq!(matching(&packs).await.len(), 1);
}

#[tokio::test]
async fn twenty_concurrent_ensures_order_one_pack() {
    let mock = MockServer::start_manual().await;
    twenty_concurrent_ensures(&mock).await;
}

#[tokio::test]
async fn twenty_concurrent_ensures_order_one_pack_with_listing_latency() {
    let mock = MockServer::start_manual().await;
    mock.faults()
        .on(Operation::ListCertificatePacks)
        .latency(Duration::from_millis(100));
    twenty_concurrent_ensures(&mock).await;
}

#[tokio::test]
async fn two_clients_racing_end_with_one_pack() {
    let mock = MockServer::start_manual().await;
    // Both first looks see nothing (they overlap), so both order; the second looks decide.
    mock.faults()
        .on(Operation::ListCertificatePacks)
        .latency(Duration::from_millis(50));
    let (a, b) = (packs(&mock), packs(&mock));
    let ta = tokio::spawn(async move { a.ensure(order()).await });
    let tb = tokio::spawn(async move { b.ensure(order()).await });
    let (ra, rb) = (ta.await.expect("task"), tb.await.expect("task"));
    let ((pa, ha), (pb, hb)) = (ra.expect("ensure a"), rb.expect("ensure b"));
    let left = matching(&packs(&mock)).await;
    assert_eq!(left.len(), 1, "one pack left: {left:?}");
    assert_eq!(pa.id, pb.id, "both workers hold the kept pack");
    assert_eq!(left, [pa.id.to_string()]);
    if mock.orders_created() == 2 {
        // Both ordered: the one whose pack the rule did not keep deleted its own.
        let mut hows = [ha, hb];
        hows.sort_by_key(|h| format!("{h:?}"));
        assert_eq!(hows, [Ensured::Deduplicated, Ensured::Ordered]);
    }
}

#[tokio::test]
async fn the_kept_pack_is_the_smallest_id_whoever_ordered_it() {
    let mock = MockServer::start_manual().await;
    let packs = packs(&mock);
    // Two packs exist already (two workers ordered): ensure returns the smaller id.
    let a = packs.order(order()).await.expect("a");
    let b = packs.order(order()).await.expect("b");
    let (kept, how) = packs.ensure(order()).await.expect("ensure");
    assert_eq!(how, Ensured::Existing);
    assert_eq!(kept.id, std::cmp::min(a.id.clone(), b.id.clone()));
    // ensure never deletes what it did not order; repair_duplicates does.
    assert_eq!(matching(&packs).await.len(), 2);
    let deleted = packs.repair_duplicates(&order()).await.expect("repair");
    assert_eq!(deleted, [std::cmp::max(a.id, b.id)]);
    assert_eq!(matching(&packs).await, [kept.id.to_string()]);
}

#[tokio::test]
async fn a_timed_out_validation_is_restarted_not_ordered_again() {
    let mock = MockServer::start_manual().await;
    let packs = packs(&mock);
    let (pack, how) = packs.ensure(order()).await.expect("first run");
    assert_eq!(how, Ensured::Ordered);
    mock.set_pack_status(mock.zone_id(), pack.id.as_str(), "validation_timed_out")
        .expect("pack");
    let quota_before = packs.quota().await.expect("quota").advanced;

    // The daemon restarts after the DNS timeout.
    let (again, how) = packs.ensure(order()).await.expect("second run");
    assert_eq!(how, Ensured::Restarted);
    assert_eq!(again.id, pack.id);
    assert_eq!(again.status, CertificatePackStatus::PendingValidation);
    assert_eq!(mock.orders_created(), 1, "nothing ordered again");
    assert_eq!(packs.quota().await.expect("quota").advanced, quota_before);

    // Opting out treats the timed-out pack as failed: a new order.
    mock.set_pack_status(mock.zone_id(), pack.id.as_str(), "validation_timed_out")
        .expect("pack");
    let (other, how) = packs
        .ensure(order().restart_timed_out(false))
        .await
        .expect("opted out");
    assert_eq!(how, Ensured::Ordered);
    assert_ne!(other.id, pack.id);
}

#[tokio::test]
async fn a_restart_another_worker_made_first_is_adopted() {
    let mock = MockServer::start_manual().await;
    let packs = packs(&mock);
    let (pack, _) = packs.ensure(order()).await.expect("first run");
    mock.set_pack_status(mock.zone_id(), pack.id.as_str(), "validation_timed_out")
        .expect("pack");
    // Two clients (processes) find it timed out at once: one restarts, the other adopts.
    let (a, b) = (packs.clone(), self::packs(&mock));
    let (ra, rb) = tokio::join!(a.ensure(order()), b.ensure(order()));
    let (ra, rb) = (ra.expect("a"), rb.expect("b"));
    assert_eq!(
        (ra.0.id.clone(), rb.0.id.clone()),
        (pack.id.clone(), pack.id)
    );
    assert!(
        [ra.1, rb.1].contains(&Ensured::Restarted),
        "one of them restarted"
    );
    assert_eq!(mock.orders_created(), 1);
}
