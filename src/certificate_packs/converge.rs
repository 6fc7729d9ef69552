//! The convergent helper: from "these hosts should have a certificate" to an active pack, through
//! your DNS, restarting a validation that timed out, idempotent across restarts and safe with
//! several workers. Terraform's `cloudflare_certificate_pack` with `wait_for_active_status`
//! orders and blocks; this goes further: every run starts by looking (so a restarted program
//! resumes the pack it ordered), several workers end with one pack (see
//! [`CertificatePacks::ensure`]), and progress is a stream of [`ConvergeEvent`]s.
//!
//! The steps, each one event:
//!
//! 1. [`ensure`](CertificatePacks::ensure) the order (finds the pack a previous run or another
//!    worker ordered; restarts a validation that timed out) → [`ConvergeEvent::Ensured`];
//! 2. wait for the DCV records and hand them to your [`DnsHook`] →
//!    [`ConvergeEvent::RecordsPublished`] (skipped when the pack is already active);
//! 3. wait until active; on `validation_timed_out`, restart the validation (at most
//!    [`ConvergeOptions::max_restarts`] times) → [`ConvergeEvent::ValidationRestarted`], and
//!    publish the records again (they may be new);
//! 4. delete matching duplicates left by other workers (the kept pack is the same for every
//!    worker) → [`ConvergeEvent::DuplicatesDeleted`]; then [`ConvergeEvent::Active`], the last
//!    event.
//!
//! A pack deleted under a running helper (another worker's step 4) sends it back to step 1.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{self, BoxStream, Stream, StreamExt};

use crate::certificate_packs::order::{Ensured, OrderRequest};
use crate::certificate_packs::wait::WaitOptions;
use crate::certificate_packs::CertificatePacks;
use crate::error::Error;
use crate::types;
use crate::zone::Zone;

/// An error from a [`DnsHook`].
pub type DnsError = Box<dyn std::error::Error + Send + Sync>;

/// Your DNS, as the convergent helper needs it: publish a pack's DCV records.
///
/// `publish` must be idempotent (create or update): it is called again after a restart of the
/// program, after a validation restart, and at each renewal, with the pack's current records.
///
/// ```
/// use cloudflare_ssl::{DnsError, DnsHook, Zone};
/// use cloudflare_ssl::types::CertificatePack;
///
/// struct PrintDns;
/// impl DnsHook for PrintDns {
///     async fn publish(&self, zone: &Zone, pack: &CertificatePack) -> Result<(), DnsError> {
///         for r in &pack.validation_records {
///             // Your DNS provider's upsert here.
///             println!("{}: TXT {:?} = {:?}", zone.id(), r.txt_name, r.txt_value);
///         }
///         Ok(())
///     }
/// }
/// ```
pub trait DnsHook: Send + Sync + 'static {
    /// Creates or updates the DNS records that validate `pack` (its `validation_records`).
    fn publish(
        &self,
        zone: &Zone,
        pack: &types::CertificatePack,
    ) -> impl Future<Output = Result<(), DnsError>> + Send;
}

/// One step of [`CertificatePacks::converge`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ConvergeEvent {
    /// The pack to converge: found, ordered or restarted by [`CertificatePacks::ensure`].
    Ensured {
        /// The pack.
        pack: types::CertificatePack,
        /// How `ensure` got it (`Existing` when resuming an earlier run).
        how: Ensured,
    },
    /// The [`DnsHook`] published the pack's DCV records.
    RecordsPublished {
        /// The pack, with the records published.
        pack: types::CertificatePack,
    },
    /// The pack's validation timed out and was restarted.
    ValidationRestarted {
        /// The pack's id.
        pack_id: types::Identifier,
        /// Restarts so far in this run.
        restarts: u32,
    },
    /// Matching packs other workers ordered were deleted (the rule of `ensure` keeps this one).
    DuplicatesDeleted {
        /// The deleted packs.
        pack_ids: Vec<types::Identifier>,
    },
    /// The pack is active: the last event.
    Active {
        /// The active pack.
        pack: types::CertificatePack,
    },
}

/// Why [`CertificatePacks::converge`] stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConvergeError {
    /// A call to the API failed (including a wait that reached its deadline, and a pack
    /// failing in a status other than `validation_timed_out`).
    #[error(transparent)]
    Api(#[from] Error),
    /// The DNS hook failed.
    #[error("the DNS hook failed for certificate pack {pack_id}: {source}")]
    Dns {
        /// The pack whose records were being published.
        pack_id: types::Identifier,
        /// The hook's error.
        source: DnsError,
    },
    /// The validation timed out more often than allowed.
    #[error("certificate pack {pack_id}: validation timed out after {restarts} restarts")]
    GaveUp {
        /// The pack.
        pack_id: types::Identifier,
        /// The restarts made.
        restarts: u32,
    },
}

/// How [`CertificatePacks::converge`] waits and how often it retries.
///
/// ```
/// use cloudflare_ssl::ConvergeOptions;
/// use std::time::Duration;
/// let options = ConvergeOptions::default()
///     .poll_every(Duration::from_secs(10))
///     .wait_at_most(Duration::from_secs(3600))
///     .max_restarts(2);
/// assert_eq!(options.max_restarts_value(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvergeOptions {
    poll: Duration,
    wait: Duration,
    max_restarts: u32,
    repair: bool,
}

/// How many times a pack deleted under the helper sends it back to `ensure`.
const MAX_REENSURES: u32 = 3;

impl Default for ConvergeOptions {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(5),
            wait: Duration::from_secs(3600),
            max_restarts: 3,
            repair: true,
        }
    }
}

impl ConvergeOptions {
    /// Poll interval of the waits (default 5 s).
    pub fn poll_every(mut self, interval: Duration) -> Self {
        self.poll = interval;
        self
    }

    /// Deadline of each wait: for the DCV records, then for `active` (default 1 hour).
    pub fn wait_at_most(mut self, deadline: Duration) -> Self {
        self.wait = deadline;
        self
    }

    /// Validation restarts allowed in one run (default 3).
    pub fn max_restarts(mut self, restarts: u32) -> Self {
        self.max_restarts = restarts;
        self
    }

    /// The validation restarts allowed.
    pub fn max_restarts_value(&self) -> u32 {
        self.max_restarts
    }

    /// Whether duplicates other workers left are deleted once the kept pack is active (default
    /// `true`; every worker keeps the same pack, see [`CertificatePacks::ensure`]).
    pub fn repair_duplicates(mut self, repair: bool) -> Self {
        self.repair = repair;
        self
    }

    fn waits(&self) -> WaitOptions<'static> {
        WaitOptions::every(self.poll).deadline(self.wait)
    }
}

/// The progress of [`CertificatePacks::converge`]: a stream of [`ConvergeEvent`]s ending after
/// [`ConvergeEvent::Active`] or an error. Dropping it stops the work; running `converge`
/// again resumes (it starts by looking for the pack).
#[must_use = "a stream does nothing unless polled"]
pub struct Converge {
    inner: BoxStream<'static, Result<ConvergeEvent, ConvergeError>>,
}

impl std::fmt::Debug for Converge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Converge").finish_non_exhaustive()
    }
}

impl Stream for Converge {
    type Item = Result<ConvergeEvent, ConvergeError>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl Converge {
    /// Runs to the end and returns the active pack, ignoring the events.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # struct MyDns;
    /// # impl cloudflare_ssl::DnsHook for MyDns {
    /// #     async fn publish(&self, _: &cloudflare_ssl::Zone, _: &cloudflare_ssl::types::CertificatePack) -> Result<(), cloudflare_ssl::DnsError> { Ok(()) }
    /// # }
    /// use cloudflare_ssl::{ConvergeOptions, OrderRequest};
    /// use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
    /// let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// let order = OrderRequest::new(["example.com", "shop2.example.com"], CertificateAuthority::LetsEncrypt,
    ///     CertificatePackValidationMethod::Txt, ValidityDays::Days90);
    /// let options = ConvergeOptions::default().poll_every(std::time::Duration::from_millis(100));
    /// let pack = packs.converge(order, MyDns, options).until_active().await?;
    /// assert_eq!(pack.status.as_str(), "active");
    /// # Ok(()) }
    /// ```
    pub async fn until_active(mut self) -> Result<types::CertificatePack, ConvergeError> {
        let mut last = None;
        while let Some(event) = self.next().await {
            if let ConvergeEvent::Active { pack } = event? {
                last = Some(pack);
            }
        }
        // The stream ends after `Active` or an error; an end without either cannot happen.
        last.ok_or_else(|| ConvergeError::Api(Error::Config("converge ended early".into())))
    }
}

/// Where the helper is.
enum Step {
    Ensure,
    Publish(types::Identifier),
    Wait(types::Identifier),
    Repair(types::CertificatePack),
    Finish(types::CertificatePack),
    Done,
}

struct Run<H> {
    packs: CertificatePacks,
    order: OrderRequest,
    hook: Arc<H>,
    options: ConvergeOptions,
    restarts: u32,
    reensures: u32,
    step: Step,
}

impl<H: DnsHook> Run<H> {
    /// A pack deleted under us (another worker's repair) sends us back to `ensure`.
    fn lost(&mut self, e: Error) -> Result<Option<ConvergeEvent>, ConvergeError> {
        if e.is_not_found() && self.reensures < MAX_REENSURES {
            self.reensures += 1;
            self.step = Step::Ensure;
            Ok(None)
        } else {
            Err(e.into())
        }
    }

    /// Does one step; `Ok(None)` when it made no event (the stream moves on to the next step).
    async fn step(&mut self) -> Result<Option<ConvergeEvent>, ConvergeError> {
        match std::mem::replace(&mut self.step, Step::Done) {
            Step::Ensure => {
                let (pack, how) = self.packs.ensure(self.order.clone()).await?;
                self.step = Step::Publish(pack.id.clone());
                Ok(Some(ConvergeEvent::Ensured { pack, how }))
            }
            Step::Publish(id) => {
                let pack = match self
                    .packs
                    .wait_for_validation_records(&id, self.options.waits())
                    .await
                {
                    Ok(pack) => pack,
                    Err(e) => return self.timed_out_or(id, e).await,
                };
                self.step = Step::Wait(id.clone());
                if pack.status == types::CertificatePackStatus::Active
                    || pack.validation_records.is_empty()
                {
                    return Ok(None);
                }
                let zone = self.packs.zone().clone();
                if let Err(source) = self.hook.publish(&zone, &pack).await {
                    return Err(ConvergeError::Dns {
                        pack_id: id,
                        source,
                    });
                }
                Ok(Some(ConvergeEvent::RecordsPublished { pack }))
            }
            Step::Wait(id) => match self
                .packs
                .wait_until_active(&id, self.options.waits())
                .await
            {
                Ok(pack) => {
                    self.step = if self.options.repair {
                        Step::Repair(pack)
                    } else {
                        Step::Finish(pack)
                    };
                    Ok(None)
                }
                Err(e) => self.timed_out_or(id, e).await,
            },
            Step::Repair(pack) => {
                self.step = Step::Finish(pack);
                let pack_ids = self.packs.repair_duplicates(&self.order).await?;
                Ok((!pack_ids.is_empty()).then_some(ConvergeEvent::DuplicatesDeleted { pack_ids }))
            }
            Step::Finish(pack) => Ok(Some(ConvergeEvent::Active { pack })),
            Step::Done => Ok(None),
        }
    }

    /// After a failed wait: restart a validation that timed out (within the budget).
    async fn timed_out_or(
        &mut self,
        id: types::Identifier,
        e: Error,
    ) -> Result<Option<ConvergeEvent>, ConvergeError> {
        let timed_out = matches!(
            &e,
            Error::PackFailed { status, .. } if *status == types::CertificatePackStatus::ValidationTimedOut
        );
        if !timed_out {
            return self.lost(e);
        }
        if self.restarts >= self.options.max_restarts {
            return Err(ConvergeError::GaveUp {
                pack_id: id,
                restarts: self.restarts,
            });
        }
        if let Err(e) = self.packs.restart_validation(&id).await {
            // Another worker restarted it first (1409): carry on waiting.
            if !e.error_codes().contains(&1409) {
                return self.lost(e);
            }
        }
        self.restarts += 1;
        self.step = Step::Publish(id.clone());
        Ok(Some(ConvergeEvent::ValidationRestarted {
            pack_id: id,
            restarts: self.restarts,
        }))
    }
}

impl CertificatePacks {
    /// Converges on an active pack for `order`: ensure, publish the DCV records through
    /// `dns`, wait, restart a validation that timed out, delete duplicates other workers left;
    /// as a stream of [`ConvergeEvent`]s.
    ///
    /// The steps, each one event:
    ///
    /// 1. [`ensure`](CertificatePacks::ensure) the order (finds the pack a previous run or another
    ///    worker ordered; restarts a validation that timed out) → [`ConvergeEvent::Ensured`];
    /// 2. wait for the DCV records and hand them to your [`DnsHook`] →
    ///    [`ConvergeEvent::RecordsPublished`] (skipped when the pack is already active);
    /// 3. wait until active; on `validation_timed_out`, restart the validation (at most
    ///    [`ConvergeOptions::max_restarts`] times) → [`ConvergeEvent::ValidationRestarted`], and
    ///    publish the records again (they may be new);
    /// 4. delete matching duplicates left by other workers (the kept pack is the same for every
    ///    worker) → [`ConvergeEvent::DuplicatesDeleted`]; then [`ConvergeEvent::Active`], the last
    ///    event.
    ///
    /// A pack deleted under a running helper (another worker's step 4) sends it back to
    /// step 1. Idempotent: run it again after a restart, or on a schedule to follow
    /// renewals (a renewing pack is validated again, with new records), and it picks up the
    /// same pack.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// use cloudflare_ssl::{ConvergeEvent, ConvergeOptions, DnsError, DnsHook, OrderRequest, Zone};
    /// use cloudflare_ssl::types::{CertificateAuthority, CertificatePack, CertificatePackValidationMethod, ValidityDays};
    /// use futures::TryStreamExt;
    ///
    /// struct MyDns;
    /// impl DnsHook for MyDns {
    ///     async fn publish(&self, _zone: &Zone, pack: &CertificatePack) -> Result<(), DnsError> {
    ///         println!("publishing {} records", pack.validation_records.len());
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// let order = OrderRequest::new(["example.com", "app.example.com"], CertificateAuthority::LetsEncrypt,
    ///     CertificatePackValidationMethod::Txt, ValidityDays::Days90);
    /// let options = ConvergeOptions::default().poll_every(std::time::Duration::from_millis(100));
    /// let mut progress = packs.converge(order, MyDns, options);
    /// while let Some(event) = progress.try_next().await? {
    ///     match event {
    ///         ConvergeEvent::Active { pack } => println!("{} is active", pack.id),
    ///         other => println!("{other:?}"),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn converge<H: DnsHook>(
        &self,
        order: OrderRequest,
        dns: H,
        options: ConvergeOptions,
    ) -> Converge {
        let run = Run {
            packs: self.clone(),
            order,
            hook: Arc::new(dns),
            options,
            restarts: 0,
            reensures: 0,
            step: Step::Ensure,
        };
        let inner = stream::unfold(Some(run), |run| async move {
            let mut run = run?;
            // Steps without an event are followed by the next one; every step either makes
            // an event, moves towards `Finish`, or ends (the restart and re-ensure budgets
            // bound the loops back).
            loop {
                if matches!(run.step, Step::Done) {
                    return None;
                }
                match run.step().await {
                    Ok(Some(event)) => {
                        let last = matches!(event, ConvergeEvent::Active { .. });
                        return Some((Ok(event), (!last).then_some(run)));
                    }
                    Ok(None) => continue,
                    Err(e) => return Some((Err(e), None)),
                }
            }
        })
        .boxed();
        Converge { inner }
    }
}
