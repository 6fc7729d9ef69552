//! Waiting for a certificate pack to reach a status: polling with backoff and a deadline,
//! reporting each status change.

use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::resources::{CertificatePacks, IntoIdentifier};
use crate::types::{self, CertificatePackStatus as Status};

/// A status change observed while waiting.
#[derive(Clone, Debug)]
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

/// Whether a certificate pack status is one it does not leave on its own towards `active`:
/// any `*_timed_out`, `deleted`, `pending_deletion`, `expired`, `deactivating`, `inactive`.
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

/// Callback for status changes.
type OnChange = Box<dyn FnMut(&StatusChange) + Send>;

/// How to wait: poll interval, backoff, deadline, and a callback for status changes.
///
/// ```
/// use cloudflare_ssl::WaitOptions;
/// use std::time::Duration;
///
/// let options = WaitOptions::default()
///     .interval(Duration::from_secs(10))
///     .deadline(Duration::from_secs(3600))
///     .on_change(|change| println!("{:?} -> {}", change.from, change.to));
/// ```
pub struct WaitOptions {
    interval: Duration,
    max_interval: Duration,
    backoff: f64,
    deadline: Duration,
    on_change: Option<OnChange>,
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("interval", &self.interval)
            .field("max_interval", &self.max_interval)
            .field("backoff", &self.backoff)
            .field("deadline", &self.deadline)
            .field("on_change", &self.on_change.is_some())
            .finish()
    }
}

impl Default for WaitOptions {
    /// Poll every 5 s, growing ×1.5 up to 60 s, for at most 30 minutes.
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(5),
            max_interval: Duration::from_secs(60),
            backoff: 1.5,
            deadline: Duration::from_secs(30 * 60),
            on_change: None,
        }
    }
}

impl WaitOptions {
    /// First delay between polls.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Longest delay between polls.
    pub fn max_interval(mut self, max: Duration) -> Self {
        self.max_interval = max;
        self
    }

    /// Factor the delay grows by after each poll (1.0 keeps it constant).
    pub fn backoff(mut self, factor: f64) -> Self {
        self.backoff = if factor.is_finite() {
            factor.max(1.0)
        } else {
            1.0
        };
        self
    }

    /// Give up after this long with [`Error::WaitTimeout`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Called on the first observed status and on every change.
    pub fn on_change(mut self, callback: impl FnMut(&StatusChange) + Send + 'static) -> Self {
        self.on_change = Some(Box::new(callback));
        self
    }
}

impl CertificatePacks<'_> {
    /// Polls the pack until it is `active`. Fails with [`Error::PackFailed`] on a terminal
    /// status (see [`is_terminal_failure`]) and [`Error::WaitTimeout`] at the deadline.
    ///
    /// ```no_run
    /// # async fn demo(zone: cloudflare_ssl::Zone, id: &str) -> cloudflare_ssl::Result<()> {
    /// use cloudflare_ssl::WaitOptions;
    /// let pack = zone
    ///     .certificate_packs()
    ///     .wait_until_active(id, WaitOptions::default().on_change(|c| println!("now {}", c.to)))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_until_active(
        &self,
        pack_id: impl IntoIdentifier,
        options: WaitOptions,
    ) -> Result<types::CertificatePack> {
        self.wait_for(pack_id, options, |pack| pack.status == Status::Active)
            .await
    }

    /// Polls the pack until `done` returns true. Terminal failure statuses and the deadline
    /// end the wait with an error, as in [`wait_until_active`](Self::wait_until_active).
    pub async fn wait_for(
        &self,
        pack_id: impl IntoIdentifier,
        mut options: WaitOptions,
        mut done: impl FnMut(&types::CertificatePack) -> bool,
    ) -> Result<types::CertificatePack> {
        let id = pack_id.into_identifier("certificate_pack_id")?;
        let start = Instant::now();
        let mut last: Option<Status> = None;
        let mut delay = options.interval;
        loop {
            let pack = self.get(&id).await?;
            if last.as_ref() != Some(&pack.status) {
                let change = StatusChange {
                    from: last.take(),
                    to: pack.status.clone(),
                    elapsed: start.elapsed(),
                    pack: pack.clone(),
                };
                tracing::info!(pack = %id, from = ?change.from, to = %change.to, "certificate pack status");
                if let Some(callback) = options.on_change.as_mut() {
                    callback(&change);
                }
                last = Some(pack.status.clone());
            }
            if done(&pack) {
                return Ok(pack);
            }
            if is_terminal_failure(&pack.status) {
                return Err(Error::PackFailed {
                    pack_id: id.to_string(),
                    status: pack.status,
                });
            }
            let elapsed = start.elapsed();
            if elapsed >= options.deadline {
                return Err(Error::WaitTimeout {
                    pack_id: id.to_string(),
                    last_status: pack.status,
                    waited: elapsed,
                });
            }
            // Never sleep past the deadline: the last poll happens at it.
            tokio::time::sleep(delay.min(options.deadline - elapsed)).await;
            // `mul_f64` panics on overflow (a huge interval or backoff): saturate instead.
            delay = Duration::try_from_secs_f64(delay.as_secs_f64() * options.backoff)
                .unwrap_or(Duration::MAX)
                .min(options.max_interval);
        }
    }
}
