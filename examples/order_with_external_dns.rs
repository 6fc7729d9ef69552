//! Order a certificate whose DCV records live at another DNS provider, idempotently.
//!
//! ```text
//! cargo run --example order_with_external_dns
//! ```
//!
//! `provision` is what an unattended job would run: `certificate_packs().ensure(order)` (which
//! orders only when no matching pack exists), wait for the DCV records, hand each TXT record to
//! a [`DnsProvider`] (here an in-memory one that logs `create TXT name = value`), then wait
//! until the pack is active. Against the embedded mock it runs three times:
//!
//! 1. the order is placed but its answer is lost (an injected dropped connection): `ensure`
//!    finds the pack by its hosts (`Recovered`) instead of failing or ordering twice;
//! 2. a re-run orders nothing (`Existing`) and creates no DNS record twice;
//! 3. a plain `order()` with the same fault, showing what `Error::OutcomeUnknown` and
//!    `Error::Accepted` mean and how to resolve them (`find_order`, `resource_id`).
//!
//! With `CLOUDFLARE_API_TOKEN` and `CLOUDFLARE_ZONE_ID` set it only *looks*: it passes the
//! hosts given as arguments to `find_order` and prints the DCV records it would publish.
//! Nothing is ordered on the real API.

use std::collections::BTreeSet;
use std::error::Error;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use cloudflare_ssl::types::{
    CertificateAuthority, CertificatePack, CertificatePackValidationMethod, ValidityDays,
};
use cloudflare_ssl::{CertificatePacks, Client, OrderRequest, WaitOptions};
use cloudflare_ssl_mock::{ClockMode, Fault, LifecycleTimings, MockServer, Operation};

type Result<T = (), E = Box<dyn Error>> = std::result::Result<T, E>;

/// Your DNS provider's API (Route 53, Cloud DNS, an internal service...).
trait DnsProvider {
    /// Creates a TXT record; creating one that exists already is not an error.
    async fn create_txt(&self, name: &str, value: &str) -> Result;
}

/// Stands in for a real provider: keeps the records in memory and logs what it creates.
#[derive(Default)]
struct InMemoryDns {
    records: Mutex<BTreeSet<(String, String)>>,
}

impl DnsProvider for InMemoryDns {
    async fn create_txt(&self, name: &str, value: &str) -> Result {
        let mut records = self.records.lock().map_err(|_| "DNS store poisoned")?;
        if records.insert((name.to_owned(), value.to_owned())) {
            println!("   dns: create TXT {name} = {value}");
        } else {
            println!("   dns: TXT {name} = {value} exists already");
        }
        Ok(())
    }
}

fn polling() -> WaitOptions<'static> {
    // The mock's lifecycle takes about a second; against the real API keep the defaults.
    WaitOptions::default()
        .interval(Duration::from_millis(100))
        .backoff(1.0)
        .deadline(Duration::from_secs(30))
}

/// Order (unless already ordered), publish the DCV records, wait until active. Safe to re-run.
async fn provision(
    packs: &CertificatePacks,
    dns: &impl DnsProvider,
    order: OrderRequest,
) -> Result<CertificatePack> {
    let (pack, how) = match packs.ensure(order).await {
        Ok(done) => done,
        // The order may have been placed and the pack could not be found (yet). Do not order
        // again by hand: run `provision` again later; `ensure` looks before it orders.
        Err(e) if e.is_outcome_unknown() => {
            return Err(format!("order outcome unknown ({e}); re-run to reconcile").into())
        }
        Err(e) => return Err(e.into()),
    };
    println!("   ensure: {how:?} pack {} ({})", pack.id, pack.status);
    let pack = packs
        .wait_for_validation_records(&pack.id, polling())
        .await?;
    for record in &pack.validation_records {
        if let (Some(name), Some(value)) = (&record.txt_name, &record.txt_value) {
            dns.create_txt(name, value).await?;
        }
    }
    let active = packs
        .wait_until_active(
            &pack.id,
            polling().on_change(|c| println!("   status: {c}")),
        )
        .await?;
    Ok(active)
}

#[tokio::main]
async fn main() -> ExitCode {
    let outcome = match (std::env::var("CLOUDFLARE_ZONE_ID"), Client::from_env()) {
        (Ok(zone_id), Ok(client)) => look_only(client, &zone_id).await,
        _ => against_mock().await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn order(hosts: &[&str]) -> OrderRequest {
    OrderRequest::new(
        hosts.iter().copied(),
        CertificateAuthority::Google,
        CertificatePackValidationMethod::Txt,
        ValidityDays::Days90,
    )
}

async fn against_mock() -> Result {
    let mock = MockServer::builder()
        .clock(ClockMode::Realtime)
        .timings(LifecycleTimings::uniform(Duration::from_millis(300)))
        .start()
        .await;
    let client = Client::builder()
        .api_token(mock.token())
        .base_url(mock.base_url())
        .build()?;
    let packs = client.zone(mock.zone_id())?.certificate_packs();
    let dns = InMemoryDns::default();
    let wanted = order(&["example.com", "app.example.com"]);
    // The next order is placed, then its answer is lost (or garbled) on the way back.
    let lose_next_answer = |fault: Fault| {
        let orders = mock.faults().on(Operation::OrderCertificatePack);
        orders.after_handling().next(1, fault);
    };

    println!("1. First run; the order is placed but its answer is lost");
    lose_next_answer(Fault::DropConnection);
    let first = provision(&packs, &dns, wanted.clone()).await?;
    println!("2. Second run of the same job");
    let again = provision(&packs, &dns, wanted).await?;
    if again.id != first.id || mock.orders_created() != 1 {
        let created = mock.orders_created();
        return Err(format!("expected one pack, the mock created {created}").into());
    }
    println!("   still one pack ({}) and one order", first.id);

    println!("3. Plain order() calls whose answers are lost or garbled");
    for (fault, sub) in [
        (Fault::DropConnection, "status"),
        (Fault::TruncatedJson, "docs"),
    ] {
        let other = order(&["example.com", &format!("{sub}.example.com")]);
        lose_next_answer(fault);
        match packs.order(other.clone()).await {
            Ok(pack) => return Err(format!("the fault did not strike: got {}", pack.id).into()),
            // The order may have taken effect: a failure after sending (`OutcomeUnknown`) or
            // a 2xx whose body could not be read (`Accepted`). Look before ordering again.
            Err(e) if e.is_outcome_unknown() => {
                println!("   {e}");
                let id = match &e {
                    cloudflare_ssl::Error::Accepted(accepted) => accepted.resource_id.clone(),
                    _ => None,
                };
                let id = match id {
                    Some(id) => Some(id),
                    None => packs.find_order(&other).await?.map(|p| p.id.to_string()),
                };
                match id {
                    Some(id) => println!("   -> it was placed: adopt {id}"),
                    None => println!("   -> not there: ordering again is safe"),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    println!(
        "Done: {} orders, {} schema violations.",
        mock.orders_created(),
        mock.schema_violations().len()
    );
    Ok(())
}

/// Against the real API: find the pack for the hosts given as arguments, order nothing.
async fn look_only(client: Client, zone_id: &str) -> Result {
    let hosts: Vec<String> = std::env::args().skip(1).collect();
    let hosts: Vec<&str> = hosts.iter().map(String::as_str).collect();
    if hosts.is_empty() {
        return Err(
            "name the hosts to look for: order_with_external_dns example.com www.example.com"
                .into(),
        );
    }
    let packs = client.zone(zone_id)?.certificate_packs();
    match packs.find_order(&order(&hosts)).await? {
        Some(pack) => {
            println!("pack {} is {}; its DCV records:", pack.id, pack.status);
            for r in &pack.validation_records {
                println!("   TXT {:?} = {:?}", r.txt_name, r.txt_value);
            }
        }
        None => println!("no pack for {hosts:?} (from Google); provision would order one"),
    }
    Ok(())
}
