//! Audit: which certificates expire within N days, across several zones at once.
//!
//! ```text
//! cargo run --example audit_expiring            # within 30 days
//! cargo run --example audit_expiring -- 90      # within 90 days
//! ```
//!
//! Lists every certificate pack of every status (`status(All)`) of each zone, the zones
//! concurrently (`buffer_unordered`, each task owning its `Zone` handle) under one client-side
//! rate limit shared by all of them (`ClientBuilder::rate_limit`), and prints the certificates
//! whose `expires_on` falls within N days, soonest first. A zone that cannot be read is reported
//! and makes the program exit non-zero; the others are still audited.
//!
//! By default it audits the two zones of the embedded mock (`example.com`, whose seeded packs
//! expire in 9 to 361 days, and `example.net`). With `CLOUDFLARE_API_TOKEN` (or the other
//! `CLOUDFLARE_*` credentials) and `CLOUDFLARE_ZONE_IDS` (comma-separated; or
//! `CLOUDFLARE_ZONE_ID`) set, it audits those zones of the real API. It only reads.

use std::error::Error;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use cloudflare_ssl::types::{CertificatePack, CertificatePackListStatus};
use cloudflare_ssl::{Client, ClientBuilder, RateLimit, Zone};
use cloudflare_ssl_mock::{MockServer, DEFAULT_ZONE_ID, SECOND_ZONE_ID};
use futures::{StreamExt, TryStreamExt};

type Result<T = (), E = Box<dyn Error>> = std::result::Result<T, E>;

/// Zones read at the same time.
const CONCURRENT_ZONES: usize = 4;

/// One certificate in the report.
struct Expiring {
    expires_on: DateTime<Utc>,
    zone: String,
    pack: String,
    signature: String,
    hosts: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("audit failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Returns whether every zone could be audited.
async fn run() -> Result<bool> {
    let days: i64 = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|_| format!("not a number of days: {arg:?}"))?,
        None => 30,
    };
    let zone_ids =
        std::env::var("CLOUDFLARE_ZONE_IDS").or_else(|_| std::env::var("CLOUDFLARE_ZONE_ID"));
    // Keep the mock alive for the whole audit (dropping it stops the server).
    let mut _mock = None;
    let (builder, zone_ids, limit) = match (zone_ids, ClientBuilder::from_env()) {
        (Ok(ids), Ok(builder)) => {
            let ids = ids
                .split(',')
                .map(|z| z.trim().to_owned())
                .filter(|z| !z.is_empty())
                .collect();
            // Leave most of Cloudflare's 1,200 requests / 5 min to the rest of your automation.
            (builder, ids, RateLimit::new(300, Duration::from_secs(300)))
        }
        _ => {
            let mock = MockServer::start().await;
            println!("Auditing the embedded mock at {}", mock.base_url());
            let builder = Client::builder()
                .api_token(mock.token())
                .base_url(mock.base_url());
            _mock = Some(mock);
            // Small enough to see it pace the 3 listing requests.
            let ids = vec![DEFAULT_ZONE_ID.to_owned(), SECOND_ZONE_ID.to_owned()];
            (builder, ids, RateLimit::new(2, Duration::from_millis(500)))
        }
    };
    let client = builder.rate_limit(limit).build()?;
    let zones = zone_ids
        .iter()
        .map(|id| client.zone(id.as_str()))
        .collect::<cloudflare_ssl::Result<Vec<Zone>>>()?;

    let started = Instant::now();
    let horizon = Utc::now() + TimeDelta::days(days);
    let results: Vec<(String, cloudflare_ssl::Result<Vec<CertificatePack>>)> =
        futures::stream::iter(zones)
            .map(|zone| async move {
                let packs = zone
                    .certificate_packs()
                    .list()
                    .status(CertificatePackListStatus::All)
                    .per_page(5)
                    .items()
                    .try_collect()
                    .await;
                (zone.id().to_string(), packs)
            })
            .buffer_unordered(CONCURRENT_ZONES)
            .collect()
            .await;

    let mut report = Vec::new();
    let mut complete = true;
    for (zone, packs) in results {
        let packs = match packs {
            Ok(packs) => packs,
            Err(e) => {
                eprintln!("zone {zone}: {e}");
                complete = false;
                continue;
            }
        };
        println!("zone {zone}: {} packs", packs.len());
        for pack in packs {
            for cert in &pack.certificates {
                let Some(expires_on) = cert.expires_on.filter(|at| *at <= horizon) else {
                    continue;
                };
                report.push(Expiring {
                    expires_on,
                    zone: zone.clone(),
                    pack: pack.id.to_string(),
                    signature: cert.signature.clone().unwrap_or_default(),
                    hosts: cert.hosts.join(", "),
                });
            }
        }
    }
    report.sort_by(|a, b| {
        a.expires_on
            .cmp(&b.expires_on)
            .then_with(|| a.pack.cmp(&b.pack))
    });

    println!(
        "\n{} certificates expire within {days} days (read in {:.1?}, at most {} requests per {:?}):",
        report.len(),
        started.elapsed(),
        limit.requests(),
        limit.per()
    );
    for e in &report {
        let left = (e.expires_on - Utc::now()).num_days();
        let when = if left < 0 {
            format!("expired {} d ago", -left)
        } else {
            format!("in {left} d")
        };
        println!(
            "  {}  {when:<14} zone {}  pack {}  {:<15} {}",
            e.expires_on.format("%Y-%m-%d"),
            e.zone,
            e.pack,
            e.signature,
            e.hosts
        );
    }
    Ok(complete)
}
