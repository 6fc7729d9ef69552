//! Waiting for a certificate pack: polling with backoff and a deadline, reporting each status
//! change, as a future ([`wait_until_active`](CertificatePacks::wait_until_active),
//! [`wait_for_validation_records`](CertificatePacks::wait_for_validation_records),
//! [`wait_for`](CertificatePacks::wait_for)) or as a stream ([`watch`](CertificatePacks::watch)).
//!
//! Every wait ends: at the goal, at a status the pack does not leave on its own
//! ([`Error::PackFailed`]), or at the deadline ([`Error::WaitTimeout`], default 30 minutes).
//! The deadline is measured on tokio's clock; against a server whose state never changes (a
//! mock with a manual clock nobody advances) a wait polls until that deadline. Each poll is a
//! call with its own retries that ends by the wait's deadline (the last poll, made at it, has up
//! to 5 s more), or by the client's own deadline per call if that is earlier; a poll that still
//! fails with a retryable error (a 503 for a while, a dropped connection) is logged and polled
//! again while time is left (at the deadline the wait ends with [`Error::WaitTimeout`], or with
//! that error if no poll ever read the pack), and any other error ends the wait.

use std::fmt;
use std::time::Duration;

use futures::stream::{self, Stream};
use tokio::time::Instant;

use crate::certificate_packs::CertificatePacks;
use crate::error::{Error, Result};
use crate::ids::{self, IntoIdentifier};
use crate::types::{self, CertificatePackStatus as Status};

/// A status change observed while waiting.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StatusChange {
    /// The previous status (`None` on the first observation).
    pub from: Option<Status>,
    /// The new status.
    pub to: Status,
    /// Time since waiting began.
    pub elapsed: Duration,
    /// The pack as last read.
    pub pack: types::CertificatePack,
}

impl fmt::Display for StatusChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.from {
            Some(from) => write!(f, "{from} -> {}", self.to)?,
            None => write!(f, "{}", self.to)?,
        }
        write!(f, " after {:.1?}", self.elapsed)
    }
}

/// Whether a certificate pack status is one it does not leave on its own towards `active`:
/// any `*_timed_out`, `deleted`, `pending_deletion`, `expired`, `deactivating`, `inactive`.
///
/// ```
/// use cloudflare_ssl::is_terminal_failure;
/// use cloudflare_ssl::types::CertificatePackStatus;
///
/// assert!(is_terminal_failure(&CertificatePackStatus::ValidationTimedOut));
/// assert!(is_terminal_failure(&CertificatePackStatus::Expired));
/// assert!(!is_terminal_failure(&CertificatePackStatus::PendingValidation));
/// // A status Cloudflare adds later is judged by its name:
/// assert!(is_terminal_failure(&CertificatePackStatus::Unknown("renewal_timed_out".into())));
/// ```
pub fn is_terminal_failure(status: &Status) -> bool {
    matches!(
        status,
        Status::InitializingTimedOut
            | Status::ValidationTimedOut
            | Status::IssuanceTimedOut
            | Status::DeploymentTimedOut
            | Status::DeletionTimedOut
            | Status::Deleted
            | Status::PendingDeletion
            | Status::Expired
            | Status::Deactivating
            | Status::Inactive
    ) || status.as_str().ends_with("_timed_out")
}

/// Callback for status changes; may borrow from the caller (`'a`).
type OnChange<'a> = Box<dyn FnMut(&StatusChange) + Send + 'a>;

/// How to wait: poll interval, backoff, deadline, and a callback for status changes.
///
/// The callback may borrow local state:
///
/// ```
/// use cloudflare_ssl::WaitOptions;
/// use std::time::Duration;
///
/// let mut seen = Vec::new();
/// let options = WaitOptions::default()
///     .interval(Duration::from_secs(10))
///     .deadline(Duration::from_secs(3600))
///     .on_change(|change| seen.push(change.to.clone()));
/// # drop(options);
/// ```
pub struct WaitOptions<'a> {
    pace: Pace,
    on_change: Option<OnChange<'a>>,
}

/// How fast and how long to poll.
#[derive(Clone, Copy, Debug)]
struct Pace {
    interval: Duration,
    max_interval: Duration,
    backoff: f64,
    deadline: Duration,
}

impl Pace {
    /// The delay after `delay`, grown by the backoff and capped.
    fn next_delay(&self, delay: Duration) -> Duration {
        // `mul_f64` panics on overflow (a huge interval or backoff): saturate instead.
        Duration::try_from_secs_f64(delay.as_secs_f64() * self.backoff)
            .unwrap_or(Duration::MAX)
            .min(self.max_interval)
    }
}

impl Pace {}

impl fmt::Debug for WaitOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("interval", &self.pace.interval)
            .field("max_interval", &self.pace.max_interval)
            .field("backoff", &self.pace.backoff)
            .field("deadline", &self.pace.deadline)
            .field("on_change", &self.on_change.is_some())
            .finish()
    }
}

/// Default deadline of a wait.
pub const DEFAULT_WAIT_DEADLINE: Duration = Duration::from_secs(30 * 60);

impl Default for WaitOptions<'_> {
    /// Poll every 5 s, growing ×1.5 up to 60 s, for at most 30 minutes
    /// ([`DEFAULT_WAIT_DEADLINE`]).
    fn default() -> Self {
        Self {
            pace: Pace {
                interval: Duration::from_secs(5),
                max_interval: Duration::from_secs(60),
                backoff: 1.5,
                deadline: DEFAULT_WAIT_DEADLINE,
            },
            on_change: None,
        }
    }
}

impl<'a> WaitOptions<'a> {
    /// Poll every `interval`, without backoff, for at most the default deadline: for mocks and
    /// tests, where the default 5 s first interval is needlessly slow.
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = cloudflare_ssl::WaitOptions::every(Duration::from_millis(100));
    /// # drop(options);
    /// ```
    pub fn every(interval: Duration) -> Self {
        Self::default().interval(interval).backoff(1.0)
    }

    /// First delay between polls.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let order = cloudflare_ssl::OrderRequest::new(["example.com", "www.example.com"], cloudflare_ssl::types::CertificateAuthority::LetsEncrypt,
    /// #     cloudflare_ssl::types::CertificatePackValidationMethod::Txt, cloudflare_ssl::types::ValidityDays::Days90);
    /// # let id = packs.order(order).await?.id;
    /// use cloudflare_ssl::WaitOptions;
    /// use std::time::Duration;
    /// // `id` was just ordered.
    /// let options = WaitOptions::default().interval(Duration::from_millis(100));
    /// let pack = packs.wait_until_active(&id, options).await?;
    /// assert_eq!(pack.status.as_str(), "active");
    /// # Ok(()) }
    /// ```
    pub fn interval(mut self, interval: Duration) -> Self {
        self.pace.interval = interval;
        self
    }

    /// Longest delay between polls.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let order = cloudflare_ssl::OrderRequest::new(["example.com", "www.example.com"], cloudflare_ssl::types::CertificateAuthority::LetsEncrypt,
    /// #     cloudflare_ssl::types::CertificatePackValidationMethod::Txt, cloudflare_ssl::types::ValidityDays::Days90);
    /// # let id = packs.order(order).await?.id;
    /// use cloudflare_ssl::WaitOptions;
    /// use std::time::Duration;
    /// // Poll after 50 ms, 100 ms, then every 200 ms.
    /// let options = WaitOptions::default()
    ///     .interval(Duration::from_millis(50))
    ///     .backoff(2.0)
    ///     .max_interval(Duration::from_millis(200));
    /// let pack = packs.wait_until_active(&id, options).await?;
    /// assert_eq!(pack.status.as_str(), "active");
    /// # Ok(()) }
    /// ```
    pub fn max_interval(mut self, max: Duration) -> Self {
        self.pace.max_interval = max;
        self
    }

    /// Factor the delay grows by after each poll (1.0 keeps it constant).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let order = cloudflare_ssl::OrderRequest::new(["example.com", "www.example.com"], cloudflare_ssl::types::CertificateAuthority::LetsEncrypt,
    /// #     cloudflare_ssl::types::CertificatePackValidationMethod::Txt, cloudflare_ssl::types::ValidityDays::Days90);
    /// # let id = packs.order(order).await?.id;
    /// use cloudflare_ssl::WaitOptions;
    /// use std::time::Duration;
    /// // A constant 100 ms between polls:
    /// let options = WaitOptions::default().interval(Duration::from_millis(100)).backoff(1.0);
    /// let pack = packs.wait_until_active(&id, options).await?;
    /// assert_eq!(pack.status.as_str(), "active");
    /// # Ok(()) }
    /// ```
    pub fn backoff(mut self, factor: f64) -> Self {
        self.pace.backoff = if factor.is_finite() {
            factor.max(1.0)
        } else {
            1.0
        };
        self
    }

    /// Give up after this long with [`Error::WaitTimeout`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start_manual().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let order = cloudflare_ssl::OrderRequest::new(["example.com", "www.example.com"], cloudflare_ssl::types::CertificateAuthority::LetsEncrypt,
    /// #     cloudflare_ssl::types::CertificatePackValidationMethod::Txt, cloudflare_ssl::types::ValidityDays::Days90);
    /// # let id = packs.order(order).await?.id;
    /// use cloudflare_ssl::{Error, WaitOptions};
    /// use std::time::Duration;
    /// // On the mock's manual clock, `id` stays `initializing` until the test moves time.
    /// let options = WaitOptions::default()
    ///     .interval(Duration::from_millis(50))
    ///     .deadline(Duration::from_millis(300));
    /// let err = packs.wait_until_active(&id, options).await.unwrap_err();
    /// assert!(matches!(err, Error::WaitTimeout { last_status, .. } if last_status.as_str() == "initializing"));
    /// # Ok(()) }
    /// ```
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.pace.deadline = deadline;
        self
    }

    /// Called on the first observed status and on every change. May borrow local state.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let order = cloudflare_ssl::OrderRequest::new(["example.com", "www.example.com"], cloudflare_ssl::types::CertificateAuthority::LetsEncrypt,
    /// #     cloudflare_ssl::types::CertificatePackValidationMethod::Txt, cloudflare_ssl::types::ValidityDays::Days90);
    /// # let id = packs.order(order).await?.id;
    /// use cloudflare_ssl::WaitOptions;
    /// use std::time::Duration;
    /// let mut seen = Vec::new();
    /// let options = WaitOptions::default()
    ///     .interval(Duration::from_millis(100))
    ///     .on_change(|change| seen.push(change.to.to_string()));
    /// packs.wait_until_active(&id, options).await?;
    /// assert_eq!(seen.last().map(String::as_str), Some("active"));
    /// assert!(seen.len() >= 2, "{seen:?}"); // e.g. initializing, pending_validation, ..., active
    /// # Ok(()) }
    /// ```
    pub fn on_change(mut self, callback: impl FnMut(&StatusChange) + Send + 'a) -> Self {
        self.on_change = Some(Box::new(callback));
        self
    }
}

/// How long the last poll (made at the wait's deadline) may take.
const LAST_POLL_GRACE: Duration = Duration::from_secs(5);

/// The shortest pause before polling again after a failed poll.
const MIN_RETRY_PAUSE: Duration = Duration::from_millis(100);

/// One poll loop's state, shared by the futures and the stream.
struct Poller {
    packs: CertificatePacks,
    id: types::Identifier,
    start: Instant,
    last: Option<Status>,
    delay: Duration,
    polled: bool,
}

impl Poller {
    fn new(packs: CertificatePacks, id: types::Identifier, interval: Duration) -> Self {
        Self {
            packs,
            id,
            start: Instant::now(),
            last: None,
            delay: interval,
            polled: false,
        }
    }

    /// Sleeps (except before the first poll), reads the pack, and reports a change if any.
    async fn poll(&mut self, pace: Pace) -> Result<(types::CertificatePack, Option<StatusChange>)> {
        if self.polled {
            let elapsed = self.start.elapsed();
            // Never sleep past the deadline: the last poll happens at it.
            tokio::time::sleep(self.delay.min(pace.deadline.saturating_sub(elapsed))).await;
            self.delay = pace.next_delay(self.delay);
        }
        self.polled = true;
        let pack = loop {
            // The poll ends by the wait's deadline (plus a grace for the last one, made at it),
            // and never later than the client's own deadline per call.
            let remaining = pace.deadline.saturating_sub(self.start.elapsed());
            let per_call = self.packs.zone.client().transport().deadline;
            let poll_deadline = remaining.max(LAST_POLL_GRACE).min(per_call);
            match self.packs.get(&self.id).deadline(poll_deadline).await {
                Ok(pack) => break pack,
                // A passing failure (a 503 or 429 that outlived the call's retries, a dropped
                // connection) does not end a wait of minutes: poll again while time is left.
                Err(e) if e.is_retryable() => {
                    let waited = self.start.elapsed();
                    let left = pace.deadline.saturating_sub(waited);
                    if left.is_zero() {
                        // At the deadline: a wait that saw the pack ends as documented, with
                        // its last status; one that never read it ends with the poll's error.
                        let Some(last_status) = self.last.clone() else {
                            return Err(e);
                        };
                        tracing::warn!(pack = %self.id, error = %e, "the last poll failed at the deadline");
                        return Err(Error::WaitTimeout {
                            pack_id: self.id.to_string(),
                            last_status,
                            waited,
                        });
                    }
                    tracing::warn!(pack = %self.id, error = %e, "polling the certificate pack failed; polling again");
                    // Never a hot loop, whatever the interval.
                    tokio::time::sleep(self.delay.max(MIN_RETRY_PAUSE).min(left)).await;
                    self.delay = pace.next_delay(self.delay);
                }
                Err(e) => return Err(e),
            }
        };
        let change = (self.last.as_ref() != Some(&pack.status)).then(|| {
            let change = StatusChange {
                from: self.last.take(),
                to: pack.status.clone(),
                elapsed: self.start.elapsed(),
                pack: pack.clone(),
            };
            tracing::info!(pack = %self.id, from = ?change.from, to = %change.to, "certificate pack status");
            self.last = Some(pack.status.clone());
            change
        });
        Ok((pack, change))
    }

    /// The error that ends the wait after `pack` (terminal status or deadline), if any.
    fn stop(&self, pack: &types::CertificatePack, pace: Pace) -> Option<Error> {
        if is_terminal_failure(&pack.status) {
            return Some(Error::PackFailed {
                pack_id: self.id.to_string(),
                status: pack.status.clone(),
            });
        }
        let waited = self.start.elapsed();
        (waited >= pace.deadline).then(|| Error::WaitTimeout {
            pack_id: self.id.to_string(),
            last_status: pack.status.clone(),
            waited,
        })
    }
}

impl CertificatePacks {
    /// Polls the pack until it is `active`. Fails with [`Error::PackFailed`] on a terminal
    /// status (see [`is_terminal_failure`]) and [`Error::WaitTimeout`] at the deadline.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let id = packs.list().send().await?.items[0].id.clone();
    /// use cloudflare_ssl::WaitOptions;
    /// let mut log = Vec::new();
    /// let pack = packs
    ///     .wait_until_active(&id, WaitOptions::default().on_change(|c| log.push(c.to_string())))
    ///     .await?;
    /// assert_eq!(pack.status.as_str(), "active");
    /// assert_eq!(log.len(), 1);
    /// # Ok(()) }
    /// ```
    pub async fn wait_until_active(
        &self,
        pack_id: impl IntoIdentifier,
        options: WaitOptions<'_>,
    ) -> Result<types::CertificatePack> {
        self.wait_for(pack_id, options, |pack| pack.status == Status::Active)
            .await
    }

    /// Polls the pack until its DCV records are there (`validation_records` not empty), or it
    /// is active (nothing left to validate: check `pack.status`, the records are then empty).
    /// Right after an order Cloudflare often returns an empty `validation_records` that fills in
    /// later; hand the records to DNS once this returns.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// use cloudflare_ssl::{OrderRequest, WaitOptions};
    /// use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
    /// let pack = packs
    ///     .order(OrderRequest::new(["example.com", "dcv.example.com"], CertificateAuthority::LetsEncrypt,
    ///         CertificatePackValidationMethod::Txt, ValidityDays::Days90))
    ///     .await?;
    /// let every = WaitOptions::every(std::time::Duration::from_millis(100));
    /// let pack = packs.wait_for_validation_records(&pack.id, every).await?;
    /// for record in &pack.validation_records {
    ///     println!("create TXT {:?} = {:?}", record.txt_name, record.txt_value);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_validation_records(
        &self,
        pack_id: impl IntoIdentifier,
        options: WaitOptions<'_>,
    ) -> Result<types::CertificatePack> {
        self.wait_for(pack_id, options, |pack| {
            !pack.validation_records.is_empty() || pack.status == Status::Active
        })
        .await
    }

    /// Polls the pack until `done` returns true. Terminal failure statuses and the deadline
    /// end the wait with an error, as in [`wait_until_active`](Self::wait_until_active).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let order = cloudflare_ssl::OrderRequest::new(["example.com", "www.example.com"], cloudflare_ssl::types::CertificateAuthority::LetsEncrypt,
    /// #     cloudflare_ssl::types::CertificatePackValidationMethod::Txt, cloudflare_ssl::types::ValidityDays::Days90);
    /// # let id = packs.order(order).await?.id;
    /// use cloudflare_ssl::WaitOptions;
    /// use std::time::Duration;
    /// // Until Cloudflare has validated the pack, whether or not it is deployed yet:
    /// let options = WaitOptions::default().interval(Duration::from_millis(100));
    /// let pack = packs
    ///     .wait_for(&id, options, |pack| {
    ///         matches!(pack.status.as_str(), "pending_issuance" | "pending_deployment" | "active")
    ///     })
    ///     .await?;
    /// assert_ne!(pack.status.as_str(), "pending_validation");
    /// # Ok(()) }
    /// ```
    pub async fn wait_for(
        &self,
        pack_id: impl IntoIdentifier,
        mut options: WaitOptions<'_>,
        mut done: impl FnMut(&types::CertificatePack) -> bool,
    ) -> Result<types::CertificatePack> {
        let id = ids::pack_identifier(pack_id)?;
        let mut poller = Poller::new(self.clone(), id, options.pace.interval);
        loop {
            let (pack, change) = poller.poll(options.pace).await?;
            if let (Some(change), Some(callback)) = (&change, options.on_change.as_mut()) {
                callback(change);
            }
            if done(&pack) {
                return Ok(pack);
            }
            if let Some(error) = poller.stop(&pack, options.pace) {
                return Err(error);
            }
        }
    }

    /// Every status change of the pack as a stream, for callers who prefer `StreamExt`: the
    /// first observed status, then each change, ending after `active`, with an error item on a
    /// terminal failure or at the deadline. The `on_change` callback of `options` is not used.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let id = packs.list().send().await?.items[0].id.clone();
    /// use futures::TryStreamExt;
    /// use cloudflare_ssl::WaitOptions;
    /// let changes: Vec<_> = packs.watch(&id, WaitOptions::default()).try_collect().await?;
    /// assert_eq!(changes.last().map(|c| c.to.as_str()), Some("active"));
    /// # Ok(()) }
    /// ```
    pub fn watch(
        &self,
        pack_id: impl IntoIdentifier,
        options: WaitOptions<'_>,
    ) -> impl Stream<Item = Result<StatusChange>> + Send + 'static {
        let pace = options.pace;
        let start =
            ids::pack_identifier(pack_id).map(|id| Poller::new(self.clone(), id, pace.interval));
        let state = Some((start, pace));
        stream::unfold(state, |state| async move {
            let (poller, pace) = state?;
            let mut poller = match poller {
                Ok(p) => p,
                Err(e) => return Some((Err(e), None)),
            };
            loop {
                let (pack, change) = match poller.poll(pace).await {
                    Ok(got) => got,
                    Err(e) => return Some((Err(e), None)),
                };
                let active = pack.status == Status::Active;
                let stop = (!active).then(|| poller.stop(&pack, pace)).flatten();
                match (change, stop) {
                    (Some(change), _) if active => return Some((Ok(change), None)),
                    (Some(change), Some(error)) => {
                        // Yield the change first; the error follows on the next poll.
                        let failed = Poller::failed(error);
                        return Some((Ok(change), Some((failed, pace))));
                    }
                    (Some(change), None) => return Some((Ok(change), Some((Ok(poller), pace)))),
                    (None, Some(error)) => return Some((Err(error), None)),
                    (None, None) => {}
                }
            }
        })
    }
}

impl Poller {
    /// A poller state that ends the stream with `error`.
    fn failed(error: Error) -> Result<Poller> {
        Err(error)
    }
}
