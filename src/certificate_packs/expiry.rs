//! Expiry and renewal of certificate packs.
//!
//! Every pack holds two certificates (ECDSA and RSA), each with its own `expires_on`; a pack
//! expires when the first of them does ([`CertificatePack::expires_on`](types::CertificatePack::expires_on)),
//! so an expiry report lists each pack once.
//!
//! **Renewal.** Cloudflare renews advanced certificates itself; nothing is ordered again. A
//! pack enters its renewal period before expiry (Advanced Certificate Manager: 3 days for a
//! 14-day certificate, 10 for 30 days, 30 for 90 and 365 days), goes through validation again
//! (`pending_validation`, with **new** DCV tokens in `validation_records` for TXT and HTTP
//! validation), and is reissued with new dates. A program that publishes DCV records must
//! therefore keep watching: run [`CertificatePacks::converge`] (or `ensure` plus your DNS
//! step) on a schedule shorter than the renewal period, and report packs from
//! [`CertificatePacks::expiring_within`] that are still close to expiry, which means a renewal
//! that is not progressing (DCV records missing, CAA records refusing the CA). The mock models
//! the same periods on its clock.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures::TryStreamExt;

use crate::certificate_packs::CertificatePacks;
use crate::error::{Error, Result};
use crate::types;

impl types::CertificatePack {
    /// When the pack expires: the earliest `expires_on` of its certificates (`None` before
    /// issuance, or when the server gives no dates).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// for pack in packs.list().send().await?.items {
    ///     // Two certificates (ECDSA, RSA), one date.
    ///     println!("{} expires {:?}", pack.id, pack.expires_on());
    ///     assert_eq!(pack.certificates.len(), 2);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn expires_on(&self) -> Option<DateTime<Utc>> {
        self.certificates.iter().filter_map(|c| c.expires_on).min()
    }
}

/// A pack that expires before the time asked for, from [`CertificatePacks::expiring_before`].
///
/// **Renewal.** Cloudflare renews advanced certificates itself; nothing is ordered again. A
/// pack enters its renewal period before expiry (Advanced Certificate Manager: 3 days for a
/// 14-day certificate, 10 for 30 days, 30 for 90 and 365 days), goes through validation again
/// (`pending_validation`, with **new** DCV tokens in `validation_records` for TXT and HTTP
/// validation), and is reissued with new dates. A program that publishes DCV records must
/// therefore keep watching: run [`CertificatePacks::converge`] (or `ensure` plus your DNS
/// step) on a schedule shorter than the renewal period, and report packs from
/// [`CertificatePacks::expiring_within`] that are still close to expiry, which means a renewal
/// that is not progressing (DCV records missing, CAA records refusing the CA). The mock models
/// the same periods on its clock.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ExpiringPack {
    /// The earliest expiry of the pack's certificates.
    pub expires_on: DateTime<Utc>,
    /// The pack (its `status` says whether a renewal is under way: `pending_validation` and
    /// the other validation statuses, or `expired` when it did not happen).
    pub pack: types::CertificatePack,
}

impl CertificatePacks {
    /// Packs (of every status and type) whose certificates expire before `before`, soonest
    /// first, each once. Lists every page.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start_manual().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// // The mock's clock, not the machine's: a week from its now.
    /// let soon = packs.expiring_before(mock.now() + chrono::TimeDelta::days(7)).await?;
    /// for e in &soon {
    ///     println!("{} expires {} ({})", e.pack.id, e.expires_on, e.pack.status);
    /// }
    /// # assert!(soon.windows(2).all(|w| w[0].expires_on <= w[1].expires_on));
    /// # Ok(()) }
    /// ```
    pub async fn expiring_before(&self, before: DateTime<Utc>) -> Result<Vec<ExpiringPack>> {
        let mut stream = std::pin::pin!(self
            .list()
            .status(types::CertificatePackListStatus::All)
            .per_page(*super::list::PER_PAGE_RANGE.end())
            .items());
        let mut out = Vec::new();
        while let Some(pack) = stream.try_next().await? {
            if let Some(expires_on) = pack.expires_on().filter(|at| *at < before) {
                out.push(ExpiringPack { expires_on, pack });
            }
        }
        out.sort_by(|a, b| {
            a.expires_on
                .cmp(&b.expires_on)
                .then_with(|| a.pack.id.as_str().cmp(b.pack.id.as_str()))
        });
        Ok(out)
    }

    /// Packs whose certificates expire within `window` from now (this machine's clock),
    /// soonest first. A window up to 100 years.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// use std::time::Duration;
    /// let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// // Past the longest renewal period (30 days), a pack still close to expiry is stuck.
    /// for e in packs.expiring_within(Duration::from_secs(20 * 86_400)).await? {
    ///     eprintln!("renewal not progressing: {} ({}) expires {}", e.pack.id, e.pack.status, e.expires_on);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn expiring_within(&self, window: Duration) -> Result<Vec<ExpiringPack>> {
        let before = TimeDelta::from_std(window)
            .ok()
            .filter(|w| *w <= TimeDelta::days(MAX_WINDOW_DAYS))
            .and_then(|w| Utc::now().checked_add_signed(w))
            .ok_or_else(|| {
                Error::input(
                    "window",
                    Some(format!("{window:?}")),
                    format!("must be at most {MAX_WINDOW_DAYS} days"),
                )
            })?;
        self.expiring_before(before).await
    }
}

/// The longest window [`CertificatePacks::expiring_within`] accepts (100 years).
const MAX_WINDOW_DAYS: i64 = 36_525;
