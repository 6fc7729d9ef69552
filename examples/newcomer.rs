//! The newcomer program: the crate used exactly as the README and the rustdoc teach it, one
//! feature after another, each step printing what it did.
//!
//! ```text
//! cargo run --example newcomer
//! ```
//!
//! With no credentials it starts the embedded mock (on a clock that moves by itself, so waits
//! take about a second) and: orders a 3-host pack, waits for its DCV records, switches it to
//! HTTP validation, waits until it is active (collecting every status change in a local `Vec`),
//! streams every pack, toggles Universal SSL, reads the SSL/TLS recommendation, handles a
//! not-found error, reads the raw envelope two ways, and runs a call on another task.
//!
//! With `CLOUDFLARE_API_TOKEN` (or the other `CLOUDFLARE_*` credentials) and
//! `CLOUDFLARE_ZONE_ID` set, it runs only the read-only steps against the real API.
//! It exits non-zero when any step fails (CI runs it).

use std::error::Error;
use std::future::IntoFuture;
use std::process::ExitCode;
use std::time::Duration;

use cloudflare_ssl::types::{
    CertificateAuthority, CertificatePackListStatus, CertificatePackValidationMethod,
    DesiredValidationMethod, ValidityDays,
};
use cloudflare_ssl::{Client, OrderRequest, WaitOptions, Zone};
use cloudflare_ssl_mock::{ClockMode, LifecycleTimings, MockServer};
use futures::TryStreamExt;
use reqwest::Method;

type Result<T = (), E = Box<dyn Error>> = std::result::Result<T, E>;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("newcomer failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result {
    if let Ok(zone_id) = std::env::var("CLOUDFLARE_ZONE_ID") {
        match Client::from_env() {
            Ok(client) => {
                println!("Real API, zone {zone_id}: read-only steps only.");
                return read_only(&client.zone(zone_id.as_str())?).await;
            }
            Err(e) => println!("CLOUDFLARE_ZONE_ID is set but {e}: using the mock."),
        }
    }

    // The mock, on a clock that moves by itself: each lifecycle step takes 300 ms.
    let mock = MockServer::builder()
        .clock(ClockMode::Realtime)
        .timings(LifecycleTimings::uniform(Duration::from_millis(300)))
        .start()
        .await;
    println!("Mock at {}", mock.base_url());
    let client = Client::builder()
        .api_token(mock.token())
        .base_url(mock.base_url())
        .build()?;
    let zone = client.zone(mock.zone_id())?;
    let packs = zone.certificate_packs();
    // Poll fast: the mock's lifecycle takes about a second (the default waits 5 s between polls).
    let fast = || {
        WaitOptions::default()
            .interval(Duration::from_millis(100))
            .backoff(1.0)
            .deadline(Duration::from_secs(30))
    };

    println!("\n1. Order a pack for three hosts");
    let order = OrderRequest::new(
        ["example.com", "*.example.com", "blog.example.com"],
        CertificateAuthority::LetsEncrypt,
        CertificatePackValidationMethod::Txt,
        ValidityDays::Days90,
    );
    let pack = packs.order(order).await?;
    println!("   ordered {} ({})", pack.id, pack.status);

    println!("\n2. Wait for its DCV records");
    let pack = packs.wait_for_validation_records(&pack.id, fast()).await?;
    for r in &pack.validation_records {
        println!("   TXT {:?} = {:?}", r.txt_name, r.txt_value);
    }

    println!("\n3. Switch it to HTTP validation");
    let switched = packs
        .set_validation_method(&pack.id, DesiredValidationMethod::Http)
        .await?;
    let method = switched.validation_method.map(|m| m.to_string());
    println!("   now {method:?}, status {:?}", switched.status);

    println!("\n4. Wait until active, collecting every status change");
    let mut changes = Vec::new();
    let active = packs
        .wait_until_active(&pack.id, fast().on_change(|c| changes.push(c.to_string())))
        .await?;
    for change in &changes {
        println!("   {change}");
    }
    println!("   {} is {}", active.id, active.status);

    println!("\n5. Toggle Universal SSL");
    let universal = zone.universal_ssl();
    let before = universal.get().await?.enabled;
    let off = universal.set_enabled(false).await?;
    let on = universal.set_enabled(true).await?;
    println!("   {before:?} -> {:?} -> {:?}", off.enabled, on.enabled);

    read_only(&zone).await?;

    let violations = mock.schema_violations();
    if !violations.is_empty() {
        return Err(format!("the mock saw responses off the schema: {violations:?}").into());
    }
    println!(
        "\nDone: {} requests, no schema violations.",
        mock.counters().total
    );
    Ok(())
}

/// The steps that change nothing, for the mock and the real API alike.
async fn read_only(zone: &Zone) -> Result {
    let packs = zone.certificate_packs();

    println!("\n6. Stream every pack of every status");
    let all: Vec<_> = packs
        .list()
        .status(CertificatePackListStatus::All)
        .items()
        .try_collect()
        .await?;
    for p in &all {
        let hosts: Vec<&str> = p.hosts.iter().map(|h| h.as_str()).collect();
        let (kind, status) = (p.type_.as_str(), p.status.as_str());
        println!("   {} {kind:<9} {status:<18} {}", p.id, hosts.join(", "));
    }

    println!("\n7. Read the SSL/TLS recommendation");
    let recommendation = zone.ssl_recommendation().await?;
    println!("   recommended: {}", recommendation.value);

    println!("\n8. Handle a pack that does not exist");
    match packs.get("0123456789abcdef0123456789abcdef").await {
        Ok(p) => return Err(format!("expected not found, got pack {}", p.id).into()),
        Err(e) if e.is_not_found() => println!("   not found, codes {:?}", e.error_codes()),
        Err(e) => return Err(e.into()),
    }

    println!("\n9. Read the envelope and the HTTP metadata");
    let full = packs.quota().with_response().await?;
    println!(
        "   quota {:?}; HTTP {}, cf-ray {:?}, {} attempt(s), messages {:?}",
        full.result.advanced.as_ref().and_then(|a| a.allocated),
        full.meta.status,
        full.cf_ray(),
        full.meta.attempts,
        full.messages
    );
    let path = format!("/zones/{}/ssl/universal/settings", zone.id());
    let raw = zone
        .client()
        .request(Method::GET, &path)
        .send_bytes()
        .await?;
    println!(
        "   GET {path}: HTTP {} {}",
        raw.status,
        String::from_utf8_lossy(&raw.body)
    );

    println!("\n10. Run a call on another task");
    let task = tokio::spawn(packs.quota().into_future());
    let quota = task.await??;
    println!(
        "   {:?} of {:?} advanced packs used",
        quota.advanced.as_ref().and_then(|a| a.used),
        quota.advanced.as_ref().and_then(|a| a.allocated)
    );
    Ok(())
}
