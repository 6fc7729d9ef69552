//! The fault suite: every operation of the client against the embedded mock misbehaving in
//! every way it can — 429 storms with and without `Retry-After`, 5xx bursts, slow responses,
//! timeouts, truncated bodies and JSON, malformed JSON, HTML error pages, connections dropped
//! before the response or mid-body, before and after the server processed the request — and a
//! seeded chaos round mixing them.
//!
//! For every call: it ends (within a deadline derived from the retry policy, checked with
//! `tokio::time::timeout`), with success or a typed error of the expected kind, never a panic;
//! the server saw at most `1 + max_retries` requests for it, and exactly one for an order;
//! and across each scenario the mock created exactly as many certificate packs as orders
//! succeeded plus orders whose response was lost after the server processed them: never a
//! duplicate.
//!
//! `cargo test --all-features --test faults -- --nocapture` prints the numbers.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cloudflare_ssl::types::{
    AutomaticModeUpdateValue, CertificateAuthority, CertificatePackValidationMethod,
    DesiredValidationMethod, EditCertificatePackRequest, Identifier, ValidityDays,
};
use cloudflare_ssl::{Client, Error, OrderRequest, RequestOptions, ResponseMeta, RetryPolicy};
use cloudflare_ssl_mock::{
    Fault, MockServer, Operation, ZoneSeed, DEFAULT_ZONE_ID, DEFAULT_ZONE_NAME,
    SAMPLE_CERTIFICATE_PEM,
};

const MAX_RETRIES: u32 = 2;
const INITIAL_DELAY: Duration = Duration::from_millis(5);
const MAX_DELAY: Duration = Duration::from_millis(20);
/// Server-requested delays (`Retry-After: 1`) are capped to this, to keep the suite fast.
const MAX_RETRY_AFTER: Duration = Duration::from_millis(25);
/// The client's per-attempt timeout when a call sets none.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// Totals over every scenario of this test binary, for the closing line.
static CALLS: AtomicU64 = AtomicU64::new(0);
static FAULTS: AtomicU64 = AtomicU64::new(0);

fn policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(MAX_RETRIES)
        .initial_delay(INITIAL_DELAY)
        .max_delay(MAX_DELAY)
        .max_retry_after(MAX_RETRY_AFTER)
}

/// The longest a call may take: every attempt timing out, every retry waiting its longest.
fn deadline(attempt_timeout: Duration) -> Duration {
    (attempt_timeout + MAX_DELAY.max(MAX_RETRY_AFTER)) * (MAX_RETRIES + 1) + Duration::from_secs(1)
}

/// The outcome of one call: its response metadata on success.
type Outcome = Result<ResponseMeta, Error>;

/// One mock, one client, and the books of one scenario.
struct Suite {
    mock: MockServer,
    client: Client,
    /// A pack every pack-scoped operation works on (ordered with the TXT method).
    subject: Identifier,
    calls: u64,
    orders_ok: u64,
    /// Orders that failed after the server processed them (`after_handling` faults).
    orders_lost_after_processing: u64,
}

impl Suite {
    async fn start() -> Suite {
        let mock = MockServer::builder()
            .manual_clock()
            .zones(vec![ZoneSeed::new(DEFAULT_ZONE_ID, DEFAULT_ZONE_NAME)
                .advanced_quota(100_000)
                .advanced_packs(1)])
            .start()
            .await;
        let client = Client::builder()
            .api_token(mock.token())
            .base_url(mock.base_url())
            .retry(policy())
            .timeout(ATTEMPT_TIMEOUT)
            .build()
            .expect("client");
        let mut suite = Suite {
            mock,
            client,
            subject: Identifier::new("placeholder").expect("id"),
            calls: 0,
            orders_ok: 0,
            orders_lost_after_processing: 0,
        };
        suite.subject = suite.fresh_pack().await;
        suite
    }

    fn order_request() -> OrderRequest {
        OrderRequest::new(
            [DEFAULT_ZONE_NAME, "www.example.com"],
            CertificateAuthority::LetsEncrypt,
            CertificatePackValidationMethod::Txt,
            ValidityDays::Days90,
        )
    }

    /// Orders a pack outside any fault (faults are scoped to the operation under test).
    async fn fresh_pack(&mut self) -> Identifier {
        let zone = self.client.zone(DEFAULT_ZONE_ID).expect("zone");
        let pack = zone
            .certificate_packs()
            .order(Self::order_request())
            .await
            .expect("a set-up order succeeds");
        self.orders_ok += 1;
        pack.id
    }

    /// Runs `op` once, with `timeout` per attempt if given; returns the outcome, the requests
    /// the server saw for it, and how long it took.
    async fn call(&mut self, op: Operation, timeout: Option<Duration>) -> (Outcome, u64, Duration) {
        let target = if op == Operation::DeleteCertificatePack {
            self.fresh_pack().await
        } else {
            self.subject.clone()
        };
        let before = self.mock.counters().requests(op);
        let started = Instant::now();
        let limit = deadline(timeout.unwrap_or(ATTEMPT_TIMEOUT));
        let outcome = tokio::time::timeout(limit, self.dispatch(op, target, timeout))
            .await
            .unwrap_or_else(|_| panic!("{op} did not end within {limit:?}"));
        let elapsed = started.elapsed();
        let requests = self.mock.counters().requests(op) - before;
        self.calls += 1;
        CALLS.fetch_add(1, Ordering::Relaxed);
        assert!(requests >= 1, "{op}: no request reached the server");
        assert!(
            requests <= u64::from(1 + MAX_RETRIES),
            "{op}: {requests} requests for one call (policy: 1 + {MAX_RETRIES})"
        );
        if never_resent(op) {
            assert_eq!(
                requests, 1,
                "{op}: a non-idempotent call reached the server {requests} times"
            );
        }
        if is_order(op) && outcome.is_ok() {
            self.orders_ok += 1;
        }
        if let Ok(meta) = &outcome {
            assert_eq!(u64::from(meta.attempts), requests, "{op}: attempts");
            assert_eq!(meta.retry_delays.len() as u64, requests - 1, "{op}");
        }
        (outcome, requests, elapsed)
    }

    fn dispatch(
        &self,
        op: Operation,
        pack: Identifier,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Outcome> + '_ {
        let zone = self.client.zone(DEFAULT_ZONE_ID).expect("zone");
        let t = timeout.unwrap_or(ATTEMPT_TIMEOUT);
        async move {
            let packs = zone.certificate_packs();
            match op {
                Operation::AnalyzeCertificate => zone
                    .analyze_certificate(SAMPLE_CERTIFICATE_PEM, None)
                    .timeout(t)
                    .with_response()
                    .await
                    .map(|r| r.meta),
                Operation::ListCertificatePacks => packs
                    .list()
                    .options(RequestOptions {
                        timeout: Some(t),
                        ..RequestOptions::default()
                    })
                    .send()
                    .await
                    .map(|p| p.meta),
                Operation::OrderCertificatePack => packs
                    .order(Self::order_request())
                    .timeout(t)
                    .with_response()
                    .await
                    .map(|r| r.meta),
                Operation::GetCertificatePackQuota => packs
                    .quota()
                    .timeout(t)
                    .with_response()
                    .await
                    .map(|r| r.meta),
                Operation::GetCertificatePack => packs
                    .get(&pack)
                    .timeout(t)
                    .with_response()
                    .await
                    .map(|r| r.meta),
                Operation::EditCertificatePack => packs
                    .edit(
                        &pack,
                        EditCertificatePackRequest {
                            cloudflare_branding: Some(true),
                        },
                    )
                    .timeout(t)
                    .with_response()
                    .await
                    .map(|r| r.meta),
                Operation::DeleteCertificatePack => packs
                    .delete(&pack)
                    .timeout(t)
                    .with_response()
                    .await
                    .map(|r| r.meta),
                Operation::GetSslRecommendation => zone
                    .ssl_recommendation()
                    .timeout(t)
                    .with_response()
                    .await
                    .map(|r| r.meta),
                Operation::GetAutomaticSslMode => zone
                    .automatic_ssl()
                    .get()
                    .timeout(t)
                    .with_response()
                    .await
                    .map(|r| r.meta),
                Operation::EditAutomaticSslMode => zone
                    .automatic_ssl()
                    .set(AutomaticModeUpdateValue::Auto)
                    .timeout(t)
                    .with_response()
                    .await
                    .map(|r| r.meta),
                Operation::GetUniversalSslSettings => zone
                    .universal_ssl()
                    .get()
                    .timeout(t)
                    .with_response()
                    .await
                    .map(|r| r.meta),
                Operation::EditUniversalSslSettings => zone
                    .universal_ssl()
                    .set_enabled(true)
                    .timeout(t)
                    .with_response()
                    .await
                    .map(|r| r.meta),
                Operation::GetSslVerification => zone
                    .verification()
                    .get()
                    .timeout(t)
                    .with_response()
                    .await
                    .map(|r| r.meta),
                Operation::EditValidationMethod => zone
                    .verification()
                    .edit_method(pack.as_str(), DesiredValidationMethod::Txt)
                    .timeout(t)
                    .with_response()
                    .await
                    .map(|r| r.meta),
                Operation::ListZones => zone
                    .client()
                    .list_zones("example.com")
                    .timeout(t)
                    .with_response()
                    .await
                    .map(|r| r.meta),
                // An operation with no ergonomic method yet: the raw request of its path
                // template, with the document's request example as its body.
                other => {
                    let path = other
                        .path()
                        .replace("{zone_id}", DEFAULT_ZONE_ID)
                        .replace("{certificate_pack_id}", pack.as_str());
                    let method = cloudflare_ssl::Method::from_bytes(other.method().as_bytes())
                        .expect("the document's method");
                    let mut request = zone.client().request(method, path).timeout(t);
                    if let Some(example) = request_example(other) {
                        request = request.json(&example);
                    }
                    request.send().with_response().await.map(|r| r.meta)
                }
            }
        }
    }

    /// The books balance: one pack per successful order, plus one per order whose response
    /// was lost after the server processed it — and not one more.
    fn assert_no_duplicate_orders(&self, scenario: &str) {
        let created = self.mock.orders_created();
        let expected = self.orders_ok + self.orders_lost_after_processing;
        assert_eq!(
            created,
            expected,
            "{scenario}: {created} packs created for {} successful orders and {} lost after \
             processing: {} duplicate(s)",
            self.orders_ok,
            self.orders_lost_after_processing,
            created.saturating_sub(expected)
        );
        assert!(
            self.mock.schema_violations().is_empty(),
            "{:?}",
            self.mock.schema_violations()
        );
    }

    fn finish(self, scenario: &str) {
        self.assert_no_duplicate_orders(scenario);
        let faults = self.mock.counters().faults_injected;
        FAULTS.fetch_add(faults, Ordering::Relaxed);
        println!(
            "{scenario}: {} calls, {faults} faults injected, {} orders created ({} ok, {} lost \
             after processing), 0 duplicates",
            self.calls,
            self.mock.orders_created(),
            self.orders_ok,
            self.orders_lost_after_processing
        );
        println!(
            "running totals: {} calls, {} faults injected",
            CALLS.load(Ordering::Relaxed),
            FAULTS.load(Ordering::Relaxed)
        );
    }
}

/// The document's example of the operation's request body, if it has one.
fn request_example(op: Operation) -> Option<serde_json::Value> {
    let document: serde_json::Value =
        serde_json::from_str(cloudflare_ssl::OPENAPI_JSON).expect("the document is JSON");
    let pointer = format!(
        "/paths/{}/{}/requestBody/content/application~1json/example",
        op.path().replace('~', "~0").replace('/', "~1"),
        op.method().to_ascii_lowercase()
    );
    document.pointer(&pointer).cloned()
}

/// Whether the operation creates a pack (counted against the mock's orders).
fn is_order(op: Operation) -> bool {
    op == Operation::OrderCertificatePack
}

/// Whether the client must never resend the operation (the document's idempotency): it is sent
/// once, and a failure after sending leaves its outcome unknown.
fn never_resent(op: Operation) -> bool {
    !op.is_idempotent()
}

/// The cause behind an order's "outcome unknown" error (checking that only an order has one,
/// and that it invites no retry); any other error as it is.
fn cause(op: Operation, e: &Error) -> &Error {
    let inner = match e {
        Error::OutcomeUnknown { source, .. } => &**source,
        Error::Accepted(accepted) => &accepted.cause,
        other => return other,
    };
    assert!(
        never_resent(op),
        "{op}: only a non-idempotent call's outcome can be unknown: {e:?}"
    );
    assert!(!e.is_retryable() && e.is_outcome_unknown(), "{op}: {e:?}");
    inner
}

/// A fault that makes a whole call fail when it strikes every attempt, then the same fault
/// for one attempt fewer than the retries (the call recovers, except an order, which is
/// never retried).
async fn storm_then_burst(
    suite: &mut Suite,
    fault: Fault,
    check_failure: impl Fn(Operation, &Error),
) -> Vec<Vec<Duration>> {
    let mut recovered_delays = Vec::new();
    for &op in Operation::ALL {
        // A storm: every attempt fails.
        suite
            .mock
            .faults()
            .on(op)
            .next(MAX_RETRIES + 1, fault.clone());
        let (outcome, requests, _) = suite.call(op, None).await;
        let err = outcome.expect_err("every attempt failed");
        check_failure(op, cause(op, &err));
        assert!(
            err.is_retryable() || err.is_outcome_unknown(),
            "{op}: {err}"
        );
        let expected = if never_resent(op) { 1 } else { 1 + MAX_RETRIES };
        assert_eq!(requests, u64::from(expected), "{op}: {err}");
        suite.mock.faults().clear();

        // A burst the retries absorb.
        suite.mock.faults().on(op).next(MAX_RETRIES, fault.clone());
        let (outcome, requests, _) = suite.call(op, None).await;
        if never_resent(op) {
            check_failure(op, cause(op, &outcome.expect_err("not retried")));
            assert_eq!(requests, 1);
        } else {
            let meta = outcome.unwrap_or_else(|e| panic!("{op} recovers: {e}"));
            assert_eq!(meta.attempts, 1 + MAX_RETRIES, "{op}");
            recovered_delays.push(meta.retry_delays);
        }
        suite.mock.faults().clear();
    }
    recovered_delays
}

#[tokio::test]
async fn rate_limit_storms_with_retry_after() {
    let mut suite = Suite::start().await;
    let delays = storm_then_burst(
        &mut suite,
        Fault::RateLimited {
            retry_after_secs: Some(1),
        },
        |op, e| {
            assert!(e.is_rate_limited(), "{op}: {e}");
            let Error::Api(api) = e else {
                panic!("{op}: {e:?}")
            };
            assert_eq!(api.status, 429);
            assert_eq!(api.retry_after, Some(Duration::from_secs(1)), "{op}");
            assert_eq!(e.error_codes(), vec![971], "{op}");
        },
    )
    .await;
    // The server asked for 1 s each time: honoured, up to the policy's cap.
    for d in delays.iter().flatten() {
        assert_eq!(*d, MAX_RETRY_AFTER);
    }
    assert_eq!(
        delays.len(),
        Operation::ALL
            .iter()
            .filter(|op| op.is_idempotent())
            .count(),
        "every operation but those never resent"
    );
    suite.finish("429 storms with Retry-After");
}

#[tokio::test]
async fn rate_limit_storms_without_retry_after() {
    let mut suite = Suite::start().await;
    let delays = storm_then_burst(
        &mut suite,
        Fault::RateLimited {
            retry_after_secs: None,
        },
        |op, e| {
            let Error::Api(api) = e else {
                panic!("{op}: {e:?}")
            };
            assert_eq!(api.status, 429, "{op}");
            assert_eq!(api.retry_after, None, "{op}");
        },
    )
    .await;
    // No Retry-After: exponential backoff with subtractive jitter.
    for retry in &delays {
        for (i, d) in retry.iter().enumerate() {
            let full = (INITIAL_DELAY * 2u32.pow(i as u32)).min(MAX_DELAY);
            assert!(*d <= full && *d >= full.mul_f64(0.75), "retry {i}: {d:?}");
        }
    }
    suite.finish("429 storms without Retry-After");
}

#[tokio::test]
async fn server_error_bursts() {
    let mut suite = Suite::start().await;
    for status in [500, 502, 503, 504] {
        storm_then_burst(&mut suite, Fault::ServerError { status }, |op, e| {
            let Error::Api(api) = e else {
                panic!("{op}: {e:?}")
            };
            assert_eq!(api.status, status, "{op}");
            assert_eq!(e.error_codes(), vec![10002], "{op}");
        })
        .await;
    }
    suite.finish("5xx bursts");
}

#[tokio::test]
async fn html_error_pages() {
    let mut suite = Suite::start().await;
    for status in [502, 520, 522] {
        storm_then_burst(&mut suite, Fault::HtmlErrorPage { status }, |op, e| {
            let Error::UnexpectedResponse {
                status: got,
                content_type,
                excerpt,
                ..
            } = e
            else {
                panic!("{op}: {e:?}")
            };
            assert_eq!(*got, status, "{op}");
            assert!(content_type
                .as_deref()
                .is_some_and(|c| c.starts_with("text/html")));
            assert!(excerpt.starts_with("<!DOCTYPE html>"), "{excerpt}");
        })
        .await;
    }
    // A 4xx HTML page is not retried.
    for &op in Operation::ALL {
        suite
            .mock
            .faults()
            .on(op)
            .next(1, Fault::HtmlErrorPage { status: 403 });
        let (outcome, requests, _) = suite.call(op, None).await;
        assert!(matches!(
            outcome,
            Err(Error::UnexpectedResponse { status: 403, .. })
        ));
        assert_eq!(requests, 1);
        suite.mock.faults().clear();
    }
    suite.finish("HTML error pages");
}

#[tokio::test]
async fn dropped_connections_before_any_response() {
    let mut suite = Suite::start().await;
    storm_then_burst(&mut suite, Fault::DropConnection, |op, e| {
        assert!(matches!(e, Error::Transport { .. }), "{op}: {e:?}");
    })
    .await;
    suite.finish("dropped connections");
}

/// Bodies that are not JSON, or JSON cut short: no retry (the whole response arrived), a typed
/// error. A body cut off mid-read (the connection dropped after the headers) is retried like a
/// connection error, except for an order, whose outcome is then unknown.
#[tokio::test]
async fn truncated_malformed_and_cut_bodies() {
    let mut suite = Suite::start().await;
    for fault in [
        Fault::TruncatedJson,
        Fault::MalformedJson,
        Fault::TruncatedBody,
    ] {
        for &op in Operation::ALL {
            suite.mock.faults().on(op).next(1, fault.clone());
            let (outcome, requests, _) = suite.call(op, None).await;
            match (&fault, never_resent(op)) {
                (Fault::TruncatedBody, false) => {
                    let meta = outcome.unwrap_or_else(|e| panic!("{op}: recovers: {e:?}"));
                    assert_eq!(meta.attempts, 2, "{op}: the cut body was retried once");
                }
                (Fault::TruncatedBody, true) => {
                    let err = outcome.expect_err("a non-idempotent call is not resent");
                    assert!(
                        matches!(&err, Error::OutcomeUnknown { source, .. } if matches!(**source, Error::Transport { .. })),
                        "{op}: {err:?}"
                    );
                    assert_eq!(requests, 1, "{op}: an order is not resent");
                }
                (_, never_resent) => {
                    let err = outcome.expect_err("a broken body is an error");
                    // A 2xx to a non-idempotent call (an order) is accepted, never an ordinary failure.
                    assert_eq!(
                        matches!(err, Error::Accepted(_)),
                        never_resent,
                        "{op}: {err:?}"
                    );
                    assert!(
                        matches!(
                            cause(op, &err),
                            Error::UnexpectedResponse { status: 200, .. }
                                | Error::Decode { status: 200, .. }
                        ),
                        "{op}: {err:?}"
                    );
                    assert_eq!(requests, 1, "{op}: a response that arrived is not retried");
                }
            }
            suite.mock.faults().clear();
        }
    }
    suite.finish("truncated and malformed bodies");
}

/// The server processed the request, then the response was lost or mangled: the client
/// cannot know its order went through, so it must not order again.
#[tokio::test]
async fn faults_after_the_server_processed_the_request() {
    let mut suite = Suite::start().await;
    let faults = [
        Fault::DropConnection,
        Fault::TruncatedBody,
        Fault::TruncatedJson,
        Fault::MalformedJson,
        Fault::ServerError { status: 502 },
        Fault::HtmlErrorPage { status: 502 },
        Fault::RateLimited {
            retry_after_secs: Some(1),
        },
    ];
    for fault in faults {
        for &op in Operation::ALL {
            suite
                .mock
                .faults()
                .on(op)
                .after_handling()
                .next(1, fault.clone());
            let (outcome, requests, _) = suite.call(op, None).await;
            if never_resent(op) {
                assert!(outcome.is_err(), "{fault:?}: the {op} response was lost");
                if is_order(op) {
                    suite.orders_lost_after_processing += 1;
                }
                assert_eq!(requests, 1);
            } else if let Err(e) = &outcome {
                // A retried delete finds its pack gone: a typed 404, not a panic.
                let retried_delete = op == Operation::DeleteCertificatePack && e.is_not_found();
                let unretryable = requests == 1;
                assert!(retried_delete || unretryable, "{op} {fault:?}: {e:?}");
            }
            suite.mock.faults().clear();
        }
    }
    suite.finish("faults after processing");
}

/// Responses slower than the per-call timeout time out (and are retried, except orders);
/// slow responses within it succeed.
#[tokio::test]
async fn slow_responses_and_timeouts() {
    let mut suite = Suite::start().await;
    let latency = Duration::from_millis(150);
    let short = Duration::from_millis(30);
    for &op in Operation::ALL {
        suite.mock.faults().on(op).latency(latency);

        // Slow but within the timeout.
        let (outcome, requests, elapsed) = suite.call(op, Some(Duration::from_secs(3))).await;
        outcome.unwrap_or_else(|e| panic!("{op}: a slow response is still a response: {e}"));
        assert_eq!(requests, 1);
        assert!(elapsed >= latency, "{op}: {elapsed:?}");

        // Slower than the timeout.
        let (outcome, requests, elapsed) = suite.call(op, Some(short)).await;
        let err = outcome.expect_err("timed out");
        assert!(
            matches!(cause(op, &err), Error::Timeout { .. }),
            "{op}: {err:?}"
        );
        let attempts = if never_resent(op) { 1 } else { 1 + MAX_RETRIES };
        assert_eq!(requests, u64::from(attempts), "{op}");
        assert!(
            elapsed >= short * attempts && elapsed < deadline(short),
            "{op}: {elapsed:?}"
        );
        if is_order(op) {
            // The mock finishes handling a request even when the client gave up on it: let it
            // do so, and count the order as processed if it was.
            let before = suite.mock.orders_created();
            tokio::time::sleep(latency).await;
            let expected_before = suite.orders_ok + suite.orders_lost_after_processing;
            let processed = before.max(suite.mock.orders_created()) - expected_before;
            assert!(processed <= 1, "one timed-out order, {processed} packs");
            suite.orders_lost_after_processing += processed;
        }
        suite.mock.faults().on(op).latency(Duration::ZERO);
    }
    suite.finish("slow responses and timeouts");
}

/// A seeded mix of every fault, before and after processing, on every operation.
#[tokio::test]
async fn chaos() {
    let mut suite = Suite::start().await;
    let mut rng = fastrand::Rng::with_seed(0x5eed_cafe);
    let before_handling = [
        Fault::RateLimited {
            retry_after_secs: Some(1),
        },
        Fault::RateLimited {
            retry_after_secs: None,
        },
        Fault::ServerError { status: 503 },
        Fault::HtmlErrorPage { status: 502 },
        Fault::DropConnection,
        Fault::TruncatedBody,
        Fault::TruncatedJson,
        Fault::MalformedJson,
    ];
    for round in 0..4 {
        for &op in Operation::ALL {
            let faults = rng.u32(0..=3);
            let mut after = false;
            for _ in 0..faults {
                let fault = before_handling[rng.usize(..before_handling.len())].clone();
                // An after-handling fault on the first attempt only: later ones would be
                // ambiguous to count (the first attempt's effect is certain).
                if !after && rng.bool() && faults == 1 {
                    suite.mock.faults().on(op).after_handling().next(1, fault);
                    after = true;
                } else {
                    suite.mock.faults().on(op).next(1, fault);
                }
            }
            let (outcome, _, _) = suite.call(op, None).await;
            if is_order(op) && outcome.is_err() && after {
                suite.orders_lost_after_processing += 1;
            }
            if let Err(e) = &outcome {
                // Any error is one of the typed transport/response errors.
                assert!(
                    matches!(
                        cause(op, e),
                        Error::Api(_)
                            | Error::UnexpectedResponse { .. }
                            | Error::Decode { .. }
                            | Error::Transport { .. }
                    ),
                    "round {round}, {op}: {e:?}"
                );
            }
            suite.mock.faults().clear();
        }
    }
    suite.finish("chaos");
}
