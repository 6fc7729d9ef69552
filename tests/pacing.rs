//! Server-advised pacing: the client reads the mock's `Ratelimit`/`Ratelimit-Policy` budget and
//! holds requests back before it runs out, instead of spending it and meeting 429s. The mock's
//! clock is manual, so the reset never comes during a test: a paced request that would wait past
//! its deadline fails locally (nothing sent), which is what the assertions count.

use std::time::Duration;

use cloudflare_ssl::Client;
use cloudflare_ssl_mock::{MockServer, RateLimitPolicy};

async fn mock(limit: u32) -> MockServer {
    MockServer::builder()
        .manual_clock()
        .rate_limit(Some(RateLimitPolicy {
            limit,
            window: Duration::from_secs(60),
        }))
        .start()
        .await
}

fn client(mock: &MockServer, pacing: bool) -> Client {
    Client::builder()
        .api_token(mock.token())
        .base_url(mock.base_url())
        .pacing(pacing)
        .max_retries(0)
        .deadline(Duration::from_millis(500))
        .build()
        .expect("client")
}

/// Sends `n` calls; returns how many succeeded.
async fn spend(client: &Client, mock: &MockServer, n: usize) -> usize {
    let universal = client.zone(mock.zone_id()).expect("zone").universal_ssl();
    let mut ok = 0;
    for _ in 0..n {
        if universal.get().await.is_ok() {
            ok += 1;
        }
    }
    ok
}

#[tokio::test]
async fn pacing_spreads_the_last_half_instead_of_meeting_429s() {
    let mock = mock(40).await;
    let client = client(&mock, true);
    let ok = spend(&client, &mock, 60).await;
    // 20 go at once (more than half left); with 20 left (reserve 2) the next starts at once
    // and each later one a slot of 60 s / 18 after it, past the calls' 500 ms deadline: they
    // end locally, before anything is sent.
    assert_eq!(ok, 21);
    assert_eq!(mock.counters().rate_limited, 0, "no 429");
    assert_eq!(
        mock.counters().total,
        21,
        "nothing sent past the paced slot"
    );
    let budget = client.server_budget().expect("budget");
    assert_eq!((budget.remaining, budget.quota), (19, Some(40)));
    let err = client
        .zone(mock.zone_id())
        .expect("zone")
        .universal_ssl()
        .get()
        .await
        .unwrap_err();
    assert!(
        matches!(err, cloudflare_ssl::Error::DeadlineExceeded { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn without_pacing_the_same_run_meets_429s() {
    let mock = mock(40).await;
    let client = client(&mock, false);
    let ok = spend(&client, &mock, 60).await;
    assert_eq!(ok, 40);
    assert_eq!(mock.counters().rate_limited, 20);
    assert_eq!(client.server_budget(), None, "pacing off reads nothing");
}
