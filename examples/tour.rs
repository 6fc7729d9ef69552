//! A tour of the crate: the whole life of an advanced certificate pack.
//!
//! ```text
//! cargo run --example tour
//! ```
//!
//! With no credentials it starts the embedded mock of the API and walks the whole lifecycle:
//! quota, order, DCV records, switching the validation method, waiting until active, listing
//! every pack across pages, Universal SSL and Automatic SSL/TLS, certificate analysis, delete.
//!
//! With `CLOUDFLARE_API_TOKEN` (or the other `CLOUDFLARE_*` credentials) and `CLOUDFLARE_ZONE_ID`
//! set, it runs only the read-only steps against the real API.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use cloudflare_ssl::types::{
    AutomaticModeUpdateValue, CertificateAuthority, CertificatePack, CertificatePackListStatus,
    CertificatePackValidationMethod, DesiredValidationMethod, ValidationRecord, ValidityDays,
};
use cloudflare_ssl::{Client, Credentials, OrderRequest, WaitOptions, Zone};
use cloudflare_ssl_mock::{ClockMode, LifecycleTimings, MockServer, SAMPLE_CERTIFICATE_PEM};
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> ExitCode {
    let started = Instant::now();
    let result = match real_api_target() {
        Some((client, zone_id)) => read_only_tour(client, &zone_id).await,
        None => mock_tour().await,
    };
    match result {
        Ok(()) => {
            println!("\nTour finished in {:.1?}.", started.elapsed());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\nTour failed: {e}");
            ExitCode::FAILURE
        }
    }
}

type TourResult = Result<(), Box<dyn std::error::Error>>;

/// A client for the real API, when credentials and a zone are in the environment.
fn real_api_target() -> Option<(Client, String)> {
    let zone_id = std::env::var("CLOUDFLARE_ZONE_ID")
        .ok()
        .filter(|z| !z.is_empty())?;
    match Credentials::from_lookup(|k| std::env::var(k).ok()) {
        Ok(Some(_)) => match Client::from_env() {
            Ok(client) => Some((client, zone_id)),
            Err(e) => {
                eprintln!("Cannot use the real API ({e}); running against the mock instead.");
                None
            }
        },
        _ => None,
    }
}

fn step(n: u32, title: &str) {
    println!("\n{n:>2}. {title}");
}

fn records(records: &[ValidationRecord]) {
    if records.is_empty() {
        println!("      (no DCV records yet)");
    }
    for r in records {
        match (
            &r.txt_name,
            &r.txt_value,
            &r.http_url,
            &r.http_body,
            &r.emails,
        ) {
            (Some(name), Some(value), ..) => println!("      TXT   {name} = {value}"),
            (_, _, Some(url), Some(body), _) => println!("      HTTP  {url} -> {body}"),
            (.., emails) if !emails.is_empty() => println!("      EMAIL {}", emails.join(", ")),
            _ => println!("      {r:?}"),
        }
    }
}

/// `(allocated, used)` of the advanced quota.
fn quota_numbers(quota: &cloudflare_ssl::types::Quota) -> (i64, i64) {
    let advanced = quota.advanced.as_ref();
    (
        advanced.and_then(|a| a.allocated).unwrap_or(0),
        advanced.and_then(|a| a.used).unwrap_or(0),
    )
}

fn pack_line(p: &CertificatePack) -> String {
    let mut hosts = Vec::new();
    for host in &p.hosts {
        hosts.push(host.as_str());
    }
    format!(
        "{}  {:<10} {:<20} {}",
        p.id,
        p.type_.as_str(),
        p.status.as_str(),
        hosts.join(", ")
    )
}

async fn mock_tour() -> TourResult {
    // A mock on its realtime clock with short lifecycle steps, so waiting takes a moment.
    let mock = MockServer::builder()
        .clock(ClockMode::Realtime)
        .timings(LifecycleTimings::uniform(Duration::from_millis(400)))
        .start()
        .await;
    println!(
        "No CLOUDFLARE_API_TOKEN / CLOUDFLARE_ZONE_ID set: touring the embedded mock at {}",
        mock.base_url()
    );

    let client = Client::builder()
        .api_token(mock.token())
        .base_url(mock.base_url())
        .build()?;
    let zone = client.zone(mock.zone_id())?;
    let packs = zone.certificate_packs();

    step(1, "Check the advanced certificate quota");
    let (allocated, used) = quota_numbers(&packs.quota().await?);
    println!("      allocated {allocated}, used {used}");

    step(
        2,
        "Order an advanced certificate pack (Let's Encrypt, TXT validation, 90 days)",
    );
    let pack = packs
        .order(OrderRequest::new(
            ["example.com", "*.example.com", "shop.example.com"],
            CertificateAuthority::LetsEncrypt,
            CertificatePackValidationMethod::Txt,
            ValidityDays::Days90,
        ))
        .await?;
    println!("      {}", pack_line(&pack));

    step(
        3,
        "Wait for its DCV records (they can arrive after the order) and show them",
    );
    let pack = packs
        .wait_for_validation_records(
            &pack.id,
            WaitOptions::default()
                .interval(Duration::from_millis(100))
                .backoff(1.0)
                .deadline(Duration::from_secs(30)),
        )
        .await?;
    records(&pack.validation_records);

    step(4, "Switch the validation method to HTTP");
    let changed = packs
        .set_validation_method(&pack.id, DesiredValidationMethod::Http)
        .await?;
    println!(
        "      status {}, method {}",
        changed.status.as_deref().unwrap_or("?"),
        changed
            .validation_method
            .map(|m| m.to_string())
            .unwrap_or_default()
    );
    records(&packs.get(&pack.id).await?.validation_records);

    step(5, "Wait until it is active");
    let active = packs
        .wait_until_active(
            &pack.id,
            WaitOptions::default()
                .interval(Duration::from_millis(150))
                .backoff(1.0)
                .deadline(Duration::from_secs(30))
                .on_change(|c| println!("      {c}")),
        )
        .await?;
    let expires = active
        .certificates
        .first()
        .and_then(|c| c.expires_on)
        .map(|t| t.to_rfc3339())
        .unwrap_or_else(|| "?".into());
    println!("      active; certificate expires {expires}");

    step(6, "List every pack of every status, 5 per page");
    let listing = packs
        .list()
        .status(CertificatePackListStatus::All)
        .per_page(5);
    let first = listing.clone().send().await?;
    println!(
        "      {} packs on {} pages",
        first.total_count().unwrap_or(0),
        first.total_pages().unwrap_or(0)
    );
    let all: Vec<CertificatePack> = listing.items().try_collect().await?;
    for p in &all {
        println!("      {}", pack_line(p));
    }

    step(7, "Read and toggle Universal SSL");
    universal_ssl(&zone, true).await?;

    step(8, "Read and toggle Automatic SSL/TLS");
    automatic_ssl(&zone, true).await?;

    step(9, "Analyze a certificate");
    let analysis = zone
        .analyze_certificate(SAMPLE_CERTIFICATE_PEM, None)
        .await?;
    println!("      {analysis}");

    step(10, "Delete the pack");
    let deleted = packs.delete(&pack.id).await?;
    println!(
        "      deleted {}",
        deleted.id.map(|i| i.to_string()).unwrap_or_default()
    );
    let (_, used) = quota_numbers(&packs.quota().await?);
    println!("      quota used is back to {used}");

    let violations = mock.schema_violations();
    println!(
        "\nSummary: ordered, validated, activated and deleted pack {} on the mock; \
         {} packs listed; {} requests served; {} response schema violations.",
        pack.id,
        all.len(),
        mock.counters().total,
        violations.len()
    );
    if !violations.is_empty() {
        return Err(format!("the mock reported schema violations: {violations:?}").into());
    }
    Ok(())
}

async fn universal_ssl(zone: &Zone, toggle: bool) -> TourResult {
    let settings = zone.universal_ssl().get().await?;
    let enabled = settings.enabled.unwrap_or(true);
    println!(
        "      Universal SSL is {}",
        if enabled { "enabled" } else { "disabled" }
    );
    if toggle {
        let state = |on: Option<bool>| match on {
            Some(true) => "enabled",
            Some(false) => "disabled",
            None => "unknown",
        };
        let flipped = zone.universal_ssl().set_enabled(!enabled).await?;
        println!("      set to {}", state(flipped.enabled));
        let restored = zone.universal_ssl().set_enabled(enabled).await?;
        println!("      restored to {}", state(restored.enabled));
    }
    Ok(())
}

async fn automatic_ssl(zone: &Zone, toggle: bool) -> TourResult {
    let mode = zone.automatic_ssl().get().await?;
    println!(
        "      mode {} (editable: {}, next scan: {})",
        mode.value,
        mode.editable
            .map_or("not said", |e| if e { "yes" } else { "no" }),
        mode.next_scheduled_scan.as_deref().unwrap_or("none")
    );
    if toggle {
        let (other, back) = if mode.value.as_str() == "auto" {
            (
                AutomaticModeUpdateValue::Custom,
                AutomaticModeUpdateValue::Auto,
            )
        } else {
            (
                AutomaticModeUpdateValue::Auto,
                AutomaticModeUpdateValue::Custom,
            )
        };
        println!(
            "      set to {}",
            zone.automatic_ssl().set(other).await?.value
        );
        println!(
            "      restored to {}",
            zone.automatic_ssl().set(back).await?.value
        );
    }
    Ok(())
}

/// Read-only steps against the real API.
async fn read_only_tour(client: Client, zone_id: &str) -> TourResult {
    println!(
        "Credentials and CLOUDFLARE_ZONE_ID found: read-only tour of zone {zone_id} at {}",
        client.base_url()
    );
    let zone = client.zone(zone_id)?;
    let packs = zone.certificate_packs();

    step(1, "Advanced certificate quota");
    let (allocated, used) = quota_numbers(&packs.quota().await?);
    println!("      allocated {allocated}, used {used}");

    step(2, "Every certificate pack, every status");
    let all: Vec<CertificatePack> = packs
        .list()
        .status(CertificatePackListStatus::All)
        .per_page(50)
        .items()
        .try_collect()
        .await?;
    for p in &all {
        println!("      {}", pack_line(p));
        records(&p.validation_records);
    }

    step(3, "SSL verification");
    for v in zone.verification().get().await? {
        println!(
            "      {}  {}  method {}",
            v.cert_pack_uuid.as_deref().unwrap_or("?"),
            v.certificate_status
                .as_ref()
                .map_or("status unknown".to_owned(), ToString::to_string),
            v.validation_method
                .map(|m| m.to_string())
                .unwrap_or_default()
        );
    }

    step(4, "Universal SSL");
    universal_ssl(&zone, false).await?;

    step(5, "Automatic SSL/TLS");
    automatic_ssl(&zone, false).await?;

    step(6, "SSL/TLS recommendation");
    let rec = zone.ssl_recommendation().await?;
    println!(
        "      {} (modified {})",
        rec.value,
        rec.modified_on.as_deref().unwrap_or("never")
    );

    println!(
        "\nSummary: {} certificate packs read from zone {zone_id}; nothing was changed.",
        all.len()
    );
    Ok(())
}
