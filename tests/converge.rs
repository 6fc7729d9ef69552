//! The convergent helper on the mock's manual clock: the DNS hook stands in for DNS and decides
//! what Cloudflare sees (a validation that times out, or one that succeeds: `settle`).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cloudflare_ssl::types::CertificatePack;
use cloudflare_ssl::{
    ConvergeError, ConvergeEvent, ConvergeOptions, DnsError, DnsHook, OrderRequest, Zone,
};
use cloudflare_ssl_mock::{MockServer, Operation};
use futures::{StreamExt, TryStreamExt};

mod common;
use common::packs;

fn order() -> OrderRequest {
    common::order(&["example.com", "converge.example.com"])
}

fn options() -> ConvergeOptions {
    ConvergeOptions::default()
        .poll_every(Duration::from_millis(10))
        .wait_at_most(Duration::from_secs(20))
}

/// DNS whose first `failures` publications never validate (the pack times out); later ones
/// validate at once (the mock's clock is settled).
struct FlakyDns {
    mock: Arc<MockServer>,
    failures: u32,
    published: Arc<AtomicU32>,
}

impl DnsHook for FlakyDns {
    async fn publish(&self, _zone: &Zone, pack: &CertificatePack) -> Result<(), DnsError> {
        assert!(!pack.validation_records.is_empty(), "records to publish");
        let n = self.published.fetch_add(1, Ordering::SeqCst);
        if n < self.failures {
            self.mock
                .set_pack_status(
                    self.mock.zone_id(),
                    pack.id.as_str(),
                    "validation_timed_out",
                )
                .map_err(|e| DnsError::from(e.to_string()))?;
        } else {
            self.mock.settle();
        }
        Ok(())
    }
}

fn flaky(mock: &Arc<MockServer>, failures: u32) -> (FlakyDns, Arc<AtomicU32>) {
    let published = Arc::new(AtomicU32::new(0));
    (
        FlakyDns {
            mock: Arc::clone(mock),
            failures,
            published: Arc::clone(&published),
        },
        published,
    )
}

/// A short name for each event, to compare sequences.
fn name(event: &ConvergeEvent) -> String {
    match event {
        ConvergeEvent::Ensured { how, .. } => format!("ensured:{how:?}"),
        ConvergeEvent::RecordsPublished { .. } => "published".into(),
        ConvergeEvent::ValidationRestarted { restarts, .. } => format!("restarted:{restarts}"),
        ConvergeEvent::DuplicatesDeleted { pack_ids } => format!("deleted:{}", pack_ids.len()),
        ConvergeEvent::Active { .. } => "active".into(),
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn reaches_active_through_a_validation_timeout() {
    let mock = Arc::new(MockServer::start_manual().await);
    let (dns, published) = flaky(&mock, 1);
    let events: Vec<ConvergeEvent> = packs(&mock)
        .converge(order(), dns, options())
        .try_collect()
        .await
        .expect("converged");
    let names: Vec<String> = events.iter().map(name).collect();
    assert_eq!(
        names,
        [
            "ensured:Ordered",
            "published",
            "restarted:1",
            "published",
            "active"
        ]
    );
    assert_eq!(published.load(Ordering::SeqCst), 2);
    assert_eq!(mock.orders_created(), 1, "restarted, not ordered again");
}

#[tokio::test]
async fn resumes_after_being_dropped_midway() {
    let mock = Arc::new(MockServer::start_manual().await);
    let packs = packs(&mock);
    // First run: DNS never validates; the program stops after publishing.
    let (dns, _) = flaky(&mock, u32::MAX);
    let mut first = packs.converge(order(), dns, options());
    let mut ordered = None;
    while let Some(event) = first.next().await {
        match event.expect("first run") {
            ConvergeEvent::Ensured { pack, .. } => ordered = Some(pack.id),
            ConvergeEvent::RecordsPublished { .. } => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    drop(first);
    let ordered = ordered.expect("ordered");

    // The restarted program converges on the same pack: found, restarted, active.
    let (dns, _) = flaky(&mock, 0);
    let events: Vec<ConvergeEvent> = packs
        .converge(order(), dns, options())
        .try_collect()
        .await
        .expect("resumed");
    let names: Vec<String> = events.iter().map(name).collect();
    assert_eq!(names, ["ensured:Restarted", "published", "active"]);
    match events.last() {
        Some(ConvergeEvent::Active { pack }) => assert_eq!(pack.id, ordered),
        other => panic!("{other:?}"),
    }
    assert_eq!(mock.orders_created(), 1);
}

#[tokio::test]
async fn gives_up_after_the_restart_budget() {
    let mock = Arc::new(MockServer::start_manual().await);
    let (dns, published) = flaky(&mock, u32::MAX);
    let mut run = packs(&mock).converge(order(), dns, options().max_restarts(2));
    let mut names = Vec::new();
    let error = loop {
        match run.next().await.expect("ends with an error") {
            Ok(event) => names.push(name(&event)),
            Err(e) => break e,
        }
    };
    assert!(run.next().await.is_none(), "nothing after the error");
    assert_eq!(
        names,
        [
            "ensured:Ordered",
            "published",
            "restarted:1",
            "published",
            "restarted:2",
            "published"
        ]
    );
    assert!(
        matches!(error, ConvergeError::GaveUp { restarts: 2, .. }),
        "{error:?}"
    );
    assert_eq!(published.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn several_workers_converge_on_one_pack() {
    let mock = Arc::new(MockServer::start_manual().await);
    // Overlapping first looks: both workers may order; the duplicate goes.
    mock.faults()
        .on(Operation::ListCertificatePacks)
        .latency(Duration::from_millis(50));
    let workers = (0..3).map(|_| {
        let packs = packs(&mock);
        let (dns, _) = flaky(&mock, 0);
        tokio::spawn(async move { packs.converge(order(), dns, options()).until_active().await })
    });
    let results = futures::future::join_all(workers).await;
    let ids: std::collections::BTreeSet<String> = results
        .into_iter()
        .map(|r| r.expect("task").expect("converged").id.to_string())
        .collect();
    assert_eq!(ids.len(), 1, "every worker ends on the same pack: {ids:?}");
    let left = common::matching(&packs(&mock), &order()).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(ids.into_iter().collect::<Vec<_>>(), left);
}
