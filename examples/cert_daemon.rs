//! The core of an unattended certificate daemon: configured with domain names, run by several
//! replicas sharing one token, restarted at any time.
//!
//! ```text
//! cargo run --example cert_daemon
//! ```
//!
//! Against the embedded mock (its demo clock validates a pack within a second): finds the zone by
//! name, then three "replicas" converge on the same certificate at once (one pack ends up
//! ordered; each replica's DNS hook publishes the DCV records), runs again as a restarted
//! daemon would (nothing new is ordered), and reports the packs expiring within 30 days of the
//! mock's clock. Server-advised pacing is on (the default), so replicas sharing a token slow
//! down together as the budget runs low.

use std::error::Error;
use std::time::Duration;

use chrono::TimeDelta;
use cloudflare_ssl::types::{
    CertificateAuthority, CertificatePack, CertificatePackValidationMethod, ValidityDays,
};
use cloudflare_ssl::{
    Client, ConvergeEvent, ConvergeOptions, DnsError, DnsHook, OrderRequest, Zone,
};
use cloudflare_ssl_mock::MockServer;
use futures::TryStreamExt;

/// Stands in for a DNS provider's API: an upsert of each TXT record.
struct LogDns(&'static str);

impl DnsHook for LogDns {
    async fn publish(&self, zone: &Zone, pack: &CertificatePack) -> Result<(), DnsError> {
        for r in &pack.validation_records {
            if let (Some(name), Some(value)) = (&r.txt_name, &r.txt_value) {
                println!(
                    "  [{}] upsert TXT {name} = {value} (zone {})",
                    self.0,
                    zone.id()
                );
            }
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mock = MockServer::start().await;
    let client = Client::builder()
        .api_token(mock.token())
        .base_url(mock.base_url())
        .build()?;

    let zone = client
        .zone_by_name("example.com")
        .await?
        .ok_or("no zone named example.com")?;
    println!("zone example.com is {}", zone.id());
    let order = OrderRequest::new(
        ["example.com", "daemon.example.com"],
        CertificateAuthority::LetsEncrypt,
        CertificatePackValidationMethod::Txt,
        ValidityDays::Days90,
    );
    let options = ConvergeOptions::default()
        .poll_every(Duration::from_millis(100))
        .wait_at_most(Duration::from_secs(30));

    // Three replicas at once, each with its own client (as separate processes would be).
    let replicas = ["a", "b", "c"].map(|name| {
        let client = client_like(&mock);
        let order = order.clone();
        let zone_id = zone.id().clone();
        tokio::spawn(async move {
            let packs = client?.zone(zone_id.as_str())?.certificate_packs();
            let mut events = packs.converge(order, LogDns(name), options);
            let mut active = None;
            while let Some(event) = events.try_next().await? {
                match event {
                    ConvergeEvent::Ensured { pack, how } => {
                        println!("  [{name}] pack {} ({how:?})", pack.id)
                    }
                    ConvergeEvent::RecordsPublished { pack } => println!(
                        "  [{name}] published {} DCV records",
                        pack.validation_records.len()
                    ),
                    ConvergeEvent::Active { pack } => active = Some(pack.id.to_string()),
                    // Restarts of a timed-out validation, duplicates deleted: short events.
                    other => println!("  [{name}] {other:?}"),
                }
            }
            Ok::<_, Box<dyn Error + Send + Sync>>(active)
        })
    });
    for (name, replica) in ["a", "b", "c"].iter().zip(replicas) {
        let active = replica.await?.map_err(|e| e.to_string())?;
        println!(
            "replica {name}: active pack {}",
            active.as_deref().unwrap_or("(none)")
        );
    }

    // A restarted daemon: converges on the same pack, orders nothing.
    let before = mock.orders_created();
    let packs = zone.certificate_packs();
    let pack = packs
        .converge(order, LogDns("restart"), options)
        .until_active()
        .await?;
    println!(
        "after a restart: pack {} is {}; {} new orders",
        pack.id,
        pack.status,
        mock.orders_created() - before
    );

    // Expiry report: each pack once (the earliest of its two certificates), soonest first.
    // Cloudflare renews advanced certificates itself; a pack still listed close to expiry is
    // a renewal that is not progressing.
    for e in packs
        .expiring_before(mock.now() + TimeDelta::days(30))
        .await?
    {
        println!(
            "expires {}: {} ({})",
            e.expires_on, e.pack.id, e.pack.status
        );
    }
    if let Some(budget) = client.server_budget() {
        println!(
            "rate-limit budget left: {} of {:?}",
            budget.remaining, budget.quota
        );
    }
    Ok(())
}

fn client_like(mock: &MockServer) -> Result<Client, cloudflare_ssl::Error> {
    Client::builder()
        .api_token(mock.token())
        .base_url(mock.base_url())
        .build()
}
