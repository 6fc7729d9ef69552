//! Contract-testing your own automation against the mock, with injected faults.
//!
//! ```text
//! cargo run --example contract_test
//! ```
//!
//! `keep_certificate` stands for the code a team would own: "make sure these hosts have a
//! certificate that is active or on its way" (order one if none, restart a timed-out
//! validation), re-run as a whole on retryable errors. Each case below runs it against the
//! embedded mock (reset in between, on a manual clock so nothing moves unless told) with faults
//! injected through `mock.faults()`, and checks the outcome, `mock.orders_created()` (no
//! duplicate orders, ever) and `mock.schema_violations()` (the mock's answers stayed true to
//! the API's schema). A failed check is printed and makes the program exit non-zero. In a real project each case would be a
//! `#[tokio::test]`; this is mock-only by nature.

use std::collections::BTreeSet;
use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

use cloudflare_ssl::types::{
    CertificateAuthority, CertificatePackListStatus, CertificatePackStatus,
    CertificatePackValidationMethod, ValidityDays,
};
use cloudflare_ssl::{
    is_terminal_failure, CertificatePacks, Client, Ensured, OrderRequest, RetryPolicy,
};
use cloudflare_ssl_mock::{ClockMode, Fault, MockServer, Operation, SECOND_ZONE_ID};
use futures::future::{FutureExt, LocalBoxFuture};
use futures::TryStreamExt;

type Result<T = (), E = Box<dyn Error>> = std::result::Result<T, E>;

/// What `keep_certificate` did, and to which pack.
#[derive(Debug, PartialEq)]
enum Action {
    Ordered,
    /// Ordered, the answer was lost (outcome unknown), and `ensure` found the placed pack.
    Adopted,
    RestartedValidation,
    NothingToDo,
}

/// The automation under test. Re-run as a whole on retryable errors, which is safe because it
/// looks before it orders (and `ensure` looks again when an order's outcome is unknown).
async fn keep_certificate(
    packs: &CertificatePacks,
    hosts: &[&str],
) -> cloudflare_ssl::Result<(Action, String)> {
    let mut attempt = 1;
    loop {
        match keep_certificate_once(packs, hosts).await {
            Err(e) if e.is_retryable() && attempt < 3 => attempt += 1,
            done => return done,
        }
    }
}

async fn keep_certificate_once(
    packs: &CertificatePacks,
    hosts: &[&str],
) -> cloudflare_ssl::Result<(Action, String)> {
    let host_set = |hosts: &mut dyn Iterator<Item = &str>| -> BTreeSet<String> {
        hosts.map(str::to_ascii_lowercase).collect()
    };
    let wanted = host_set(&mut hosts.iter().copied());
    let all: Vec<_> = packs
        .list()
        .status(CertificatePackListStatus::All)
        .items()
        .try_collect()
        .await?;
    let existing = all
        .into_iter()
        .find(|p| host_set(&mut p.hosts.iter().map(|h| h.as_str())) == wanted);
    match existing {
        Some(p) if p.status == CertificatePackStatus::ValidationTimedOut => {
            packs.restart_validation(&p.id).await?;
            Ok((Action::RestartedValidation, p.id.to_string()))
        }
        Some(p) if !is_terminal_failure(&p.status) => Ok((Action::NothingToDo, p.id.to_string())),
        _ => {
            let order = OrderRequest::new(
                hosts.iter().copied(),
                CertificateAuthority::LetsEncrypt,
                CertificatePackValidationMethod::Txt,
                ValidityDays::Days90,
            );
            let (pack, how) = packs.ensure(order).await?;
            let action = match how {
                Ensured::Recovered => Action::Adopted,
                Ensured::Existing => Action::NothingToDo,
                _ => Action::Ordered,
            };
            Ok((action, pack.id.to_string()))
        }
    }
}

/// Fails unless `got == want`, naming `what`.
fn expect_eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result {
    if got == want {
        Ok(())
    } else {
        Err(format!("expected {what} {want:?}, got {got:?}").into())
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // A manual clock: packs stay where the test puts them.
    let mock = MockServer::builder().clock(ClockMode::Manual).start().await;
    let client = Client::builder()
        .api_token(mock.token())
        .base_url(mock.base_url())
        // Retry quickly: the faults clear in milliseconds.
        .retry(RetryPolicy::default().initial_delay(Duration::from_millis(10)))
        .build();
    let Ok(client) = client else {
        eprintln!("cannot build a client: {client:?}");
        return ExitCode::FAILURE;
    };
    let (mock, client) = (&mock, &client);
    // Futures do nothing until awaited: each case starts after the reset below.
    let cases: [(&str, LocalBoxFuture<'_, Result>); 7] = [
        (
            "orders_only_once",
            orders_only_once(mock, client).boxed_local(),
        ),
        (
            "restarts_timed_out_validation",
            restarts_timed_out_validation(mock, client).boxed_local(),
        ),
        (
            "rides_out_503s_on_the_listing",
            rides_out_503s_on_the_listing(mock, client).boxed_local(),
        ),
        (
            "no_second_order_when_the_answer_is_lost",
            no_second_order_when_the_answer_is_lost(mock, client).boxed_local(),
        ),
        (
            "no_second_order_when_a_placed_order_answers_503",
            no_second_order_when_a_placed_order_answers_503(mock, client).boxed_local(),
        ),
        (
            "stops_at_the_quota_with_1405",
            stops_at_the_quota_with_1405(mock, client).boxed_local(),
        ),
        (
            "gives_up_when_rate_limited",
            gives_up_when_rate_limited(mock, client).boxed_local(),
        ),
    ];
    let mut failed = 0;
    for (name, case) in cases {
        mock.reset();
        let outcome = case
            .await
            .and_then(|()| expect_eq("schema violations", mock.schema_violations(), vec![]));
        match outcome {
            Ok(()) => println!("ok    {name}"),
            Err(e) => {
                println!("FAIL  {name}: {e}");
                failed += 1;
            }
        }
    }
    println!("\n{failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn orders_only_once(mock: &MockServer, client: &Client) -> Result {
    let packs = client.zone(mock.zone_id())?.certificate_packs();
    let hosts = ["example.com", "blog.example.com"];
    let (first, _) = keep_certificate(&packs, &hosts).await?;
    let (again, _) = keep_certificate(&packs, &hosts).await?;
    expect_eq(
        "actions",
        [first, again],
        [Action::Ordered, Action::NothingToDo],
    )?;
    expect_eq("orders created", mock.orders_created(), 1)
}

async fn restarts_timed_out_validation(mock: &MockServer, client: &Client) -> Result {
    let packs = client.zone(mock.zone_id())?.certificate_packs();
    let hosts = ["example.com", "blog.example.com"];
    let (_, id) = keep_certificate(&packs, &hosts).await?;
    mock.set_pack_status(mock.zone_id(), &id, "validation_timed_out")?;
    let (action, _) = keep_certificate(&packs, &hosts).await?;
    expect_eq("action", action, Action::RestartedValidation)?;
    let status = packs.get(&id).await?.status;
    expect_eq("status", status, CertificatePackStatus::PendingValidation)?;
    expect_eq("orders created", mock.orders_created(), 1)
}

async fn rides_out_503s_on_the_listing(mock: &MockServer, client: &Client) -> Result {
    let packs = client.zone(mock.zone_id())?.certificate_packs();
    let lists = mock.faults().on(Operation::ListCertificatePacks);
    lists.next(2, Fault::ServerError { status: 503 });
    let (action, _) = keep_certificate(&packs, &["example.com", "www.example.com"]).await?;
    expect_eq("action", action, Action::NothingToDo)?;
    let requests = mock.counters().requests(Operation::ListCertificatePacks);
    expect_eq("list requests (2 retried)", requests, 3)
}

async fn no_second_order_when_the_answer_is_lost(mock: &MockServer, client: &Client) -> Result {
    let packs = client.zone(mock.zone_id())?.certificate_packs();
    let orders = mock.faults().on(Operation::OrderCertificatePack);
    orders.after_handling().next(1, Fault::DropConnection);
    let (action, _) = keep_certificate(&packs, &["example.com", "lost.example.com"]).await?;
    expect_eq("action", action, Action::Adopted)?;
    expect_eq("orders created", mock.orders_created(), 1)
}

async fn no_second_order_when_a_placed_order_answers_503(
    mock: &MockServer,
    client: &Client,
) -> Result {
    let packs = client.zone(mock.zone_id())?.certificate_packs();
    let orders = mock
        .faults()
        .on(Operation::OrderCertificatePack)
        .after_handling();
    orders.next(1, Fault::ServerError { status: 503 });
    // A 5xx after the order was sent leaves its outcome unknown: `ensure` looks again and
    // adopts the pack the server did create instead of reporting a retryable failure.
    let (action, _) = keep_certificate(&packs, &["example.com", "busy.example.com"]).await?;
    expect_eq("action", action, Action::Adopted)?;
    expect_eq("orders created", mock.orders_created(), 1)
}

async fn stops_at_the_quota_with_1405(mock: &MockServer, client: &Client) -> Result {
    let packs = client.zone(SECOND_ZONE_ID)?.certificate_packs(); // advanced quota: 1
    keep_certificate(&packs, &["example.net", "a.example.net"]).await?;
    let Err(e) = keep_certificate(&packs, &["example.net", "b.example.net"]).await else {
        return Err("a second order past the quota of 1 succeeded".into());
    };
    expect_eq("error codes", e.error_codes(), vec![1405])?;
    expect_eq("retryable", e.is_retryable(), false)?;
    expect_eq("orders created", mock.orders_created(), 1)
}

async fn gives_up_when_rate_limited(mock: &MockServer, client: &Client) -> Result {
    let packs = client.zone(mock.zone_id())?.certificate_packs();
    let everything = mock.faults();
    everything.next(
        100,
        Fault::RateLimited {
            retry_after_secs: None,
        },
    );
    let outcome = keep_certificate(&packs, &["example.com", "new.example.com"]).await;
    let Err(e) = outcome else {
        return Err("success although every request was rate limited".into());
    };
    expect_eq("status", e.status(), Some(429))?;
    expect_eq("orders created", mock.orders_created(), 0)
}
