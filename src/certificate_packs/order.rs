//! Ordering advanced certificate packs: a checked order, an order call that is never resent
//! blindly, and [`ensure`](CertificatePacks::ensure), which reconciles before ordering and after
//! an order whose outcome is unknown.

use std::collections::{BTreeSet, HashSet};
use std::future::IntoFuture;
use std::time::Duration;

use futures::TryStreamExt;

use crate::call::Call;
use crate::certificate_packs::flight::{FlightKey, Shared};
use crate::certificate_packs::wait::is_terminal_failure;
use crate::certificate_packs::CertificatePacks;
use crate::error::{Error, Result};
use crate::response::ApiResponse;
use crate::strict;
use crate::types;
use crate::zone::zone_call;

/// Maximum number of hosts in one certificate pack order.
pub const MAX_HOSTS: usize = 50;

/// An order for an advanced certificate pack, checked before it is sent.
///
/// `hosts` must contain the zone apex (e.g. `example.com` for zone `example.com`), may not be
/// empty and may not hold more than 50 names. Cloudflare checks the apex; this crate checks
/// the count, empty names, duplicates, and that every enum value is one the API documents.
///
/// ```
/// use cloudflare_ssl::OrderRequest;
/// use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
///
/// let order = OrderRequest::new(
///     ["example.com", "*.example.com"],
///     CertificateAuthority::LetsEncrypt,
///     CertificatePackValidationMethod::Txt,
///     ValidityDays::Days90,
/// )
/// .cloudflare_branding(false);
/// assert!(order.validate().is_ok());
///
/// let empty = OrderRequest::new(Vec::<String>::new(), CertificateAuthority::Google,
///     CertificatePackValidationMethod::Http, ValidityDays::Days30);
/// assert_eq!(empty.validate().unwrap_err().to_string(),
///     "invalid input: `hosts`: must hold 1 to 50 hosts, got 0");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OrderRequest {
    hosts: Vec<String>,
    certificate_authority: types::CertificateAuthority,
    validation_method: types::CertificatePackValidationMethod,
    validity_days: types::ValidityDays,
    cloudflare_branding: Option<bool>,
    restart_timed_out: bool,
}

impl OrderRequest {
    /// An order for `hosts` from `certificate_authority`, validated by `validation_method`,
    /// valid for `validity_days`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// use cloudflare_ssl::OrderRequest;
    /// use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
    /// let order = OrderRequest::new(
    ///     ["example.com", "www.example.com"],
    ///     CertificateAuthority::LetsEncrypt,
    ///     CertificatePackValidationMethod::Txt,
    ///     ValidityDays::Days90,
    /// );
    /// let pack = packs.order(order).await?;
    /// assert_eq!(pack.hosts.len(), 2);
    /// # Ok(()) }
    /// ```
    pub fn new(
        hosts: impl IntoIterator<Item = impl Into<String>>,
        certificate_authority: types::CertificateAuthority,
        validation_method: types::CertificatePackValidationMethod,
        validity_days: types::ValidityDays,
    ) -> Self {
        Self {
            hosts: hosts.into_iter().map(Into::into).collect(),
            certificate_authority,
            validation_method,
            validity_days,
            cloudflare_branding: None,
            restart_timed_out: true,
        }
    }

    /// Whether [`ensure`](CertificatePacks::ensure) adopts a matching pack in
    /// `validation_timed_out` by restarting its validation (one edit) rather than ordering
    /// another pack. On by default; turn it off to treat such a pack as failed (it is then
    /// not a match, and `ensure` orders anew).
    ///
    /// ```
    /// use cloudflare_ssl::OrderRequest;
    /// use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
    /// let order = OrderRequest::new(["example.com"], CertificateAuthority::Google,
    ///     CertificatePackValidationMethod::Txt, ValidityDays::Days90);
    /// assert!(order.restarts_timed_out());
    /// assert!(!order.restart_timed_out(false).restarts_timed_out());
    /// ```
    pub fn restart_timed_out(mut self, restart: bool) -> Self {
        self.restart_timed_out = restart;
        self
    }

    /// Whether a match in `validation_timed_out` is adopted (see
    /// [`restart_timed_out`](Self::restart_timed_out)).
    pub fn restarts_timed_out(&self) -> bool {
        self.restart_timed_out
    }

    /// Adds a subdomain of sni.cloudflaressl.com as the Common Name when `true`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// use cloudflare_ssl::OrderRequest;
    /// use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
    /// let order = OrderRequest::new(["example.com", "www.example.com"], CertificateAuthority::Google,
    ///     CertificatePackValidationMethod::Txt, ValidityDays::Days90)
    ///     .cloudflare_branding(true);
    /// let pack = packs.order(order).await?;
    /// assert_eq!(pack.cloudflare_branding, Some(true));
    /// # Ok(()) }
    /// ```
    pub fn cloudflare_branding(mut self, branding: bool) -> Self {
        self.cloudflare_branding = Some(branding);
        self
    }

    /// The hosts ordered.
    ///
    /// ```
    /// use cloudflare_ssl::OrderRequest;
    /// use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
    /// let order = OrderRequest::new(["example.com", "*.example.com"], CertificateAuthority::LetsEncrypt,
    ///     CertificatePackValidationMethod::Txt, ValidityDays::Days90);
    /// assert_eq!(order.hosts(), ["example.com", "*.example.com"]);
    /// ```
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// The certificate authority ordered from.
    ///
    /// ```
    /// use cloudflare_ssl::OrderRequest;
    /// use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
    /// let order = OrderRequest::new(["example.com"], CertificateAuthority::Google,
    ///     CertificatePackValidationMethod::Txt, ValidityDays::Days90);
    /// assert_eq!(order.certificate_authority(), &CertificateAuthority::Google);
    /// ```
    pub fn certificate_authority(&self) -> &types::CertificateAuthority {
        &self.certificate_authority
    }

    /// Checks the order: 1 to 50 hosts, none empty or blank, no duplicates (case-insensitive),
    /// and only documented enum values (an `Unknown(..)` read from a response is refused).
    ///
    /// ```
    /// use cloudflare_ssl::OrderRequest;
    /// use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
    /// let order = OrderRequest::new(["example.com", "WWW.example.com", "www.example.com"],
    ///     CertificateAuthority::LetsEncrypt, CertificatePackValidationMethod::Txt, ValidityDays::Days90);
    /// let err = order.validate().unwrap_err();
    /// assert_eq!(err.to_string(),
    ///     "invalid input: `hosts[2]` = \"www.example.com\": duplicates an earlier host");
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.hosts.is_empty() || self.hosts.len() > MAX_HOSTS {
            return Err(Error::input(
                "hosts",
                None,
                format!("must hold 1 to {MAX_HOSTS} hosts, got {}", self.hosts.len()),
            ));
        }
        let mut seen = HashSet::new();
        for (i, host) in self.hosts.iter().enumerate() {
            if host.trim().is_empty() {
                return Err(Error::input(
                    format!("hosts[{i}]"),
                    Some(host.clone()),
                    "must not be empty",
                ));
            }
            if host.trim() != host {
                return Err(Error::input(
                    format!("hosts[{i}]"),
                    Some(host.clone()),
                    "must not have leading or trailing whitespace",
                ));
            }
            if !seen.insert(host.to_ascii_lowercase()) {
                return Err(Error::input(
                    format!("hosts[{i}]"),
                    Some(host.clone()),
                    "duplicates an earlier host",
                ));
            }
        }
        strict::known("certificate_authority", &self.certificate_authority)?;
        strict::known("validation_method", &self.validation_method)?;
        strict::known("validity_days", &self.validity_days)?;
        Ok(())
    }

    /// The hosts as a case-insensitive set, to compare with existing packs.
    fn host_set(&self) -> BTreeSet<String> {
        self.hosts.iter().map(|h| h.to_ascii_lowercase()).collect()
    }

    /// Whether `pack` is this order, already placed: an advanced pack (orders are advanced
    /// packs; a Universal SSL pack on the same hosts is not one, and goes away when Universal SSL
    /// is turned off), with the same hosts (as a set, ignoring case), the same certificate
    /// authority, and not in a status it cannot recover from (`validation_timed_out` is
    /// recoverable, by restarting validation, unless [`restart_timed_out`](Self::restart_timed_out)
    /// is off).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// use cloudflare_ssl::OrderRequest;
    /// use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
    /// let order = OrderRequest::new(["example.com", "api.example.com"], CertificateAuthority::LetsEncrypt,
    ///     CertificatePackValidationMethod::Txt, ValidityDays::Days90);
    /// let pack = packs.order(order.clone()).await?;
    /// assert!(order.matches(&pack));
    /// // Hosts compare as a set, ignoring case; the CA must be the same.
    /// let reordered = OrderRequest::new(["API.example.com", "example.com"], CertificateAuthority::LetsEncrypt,
    ///     CertificatePackValidationMethod::Http, ValidityDays::Days90);
    /// assert!(reordered.matches(&pack));
    /// // The zone's Universal SSL pack is not an order, whatever its hosts.
    /// use cloudflare_ssl::types::{CertificatePackListStatus, CertificatePackType};
    /// let all = packs.list().status(CertificatePackListStatus::All).send().await?;
    /// let universal = all.items.iter().find(|p| p.type_ == CertificatePackType::Universal).expect("seeded");
    /// let same_hosts = OrderRequest::new(universal.hosts.iter().map(ToString::to_string),
    ///     CertificateAuthority::LetsEncrypt, CertificatePackValidationMethod::Txt, ValidityDays::Days90);
    /// assert!(!same_hosts.matches(universal));
    /// # Ok(()) }
    /// ```
    pub fn matches(&self, pack: &types::CertificatePack) -> bool {
        let hosts: BTreeSet<String> = pack.hosts.iter().map(|h| h.to_ascii_lowercase()).collect();
        pack.type_ == types::CertificatePackType::Advanced
            && hosts == self.host_set()
            && pack
                .certificate_authority
                .as_ref()
                .is_none_or(|ca| *ca == self.certificate_authority)
            && (!is_terminal_failure(&pack.status)
                || (self.restart_timed_out
                    && pack.status == types::CertificatePackStatus::ValidationTimedOut))
    }

    /// The single-flight key of this order in `zone`.
    fn flight_key(&self, zone: &str) -> FlightKey {
        FlightKey {
            zone: zone.to_owned(),
            hosts: self.host_set(),
            authority: self.certificate_authority.to_string(),
        }
    }

    fn into_body(self) -> types::OrderCertificatePackRequest {
        types::OrderCertificatePackRequest {
            certificate_authority: self.certificate_authority,
            cloudflare_branding: self.cloudflare_branding,
            hosts: types::Hosts(self.hosts.into_iter().map(types::Host).collect()),
            type_: types::OrderType::Advanced,
            validation_method: self.validation_method,
            validity_days: self.validity_days,
        }
    }
}

/// A pending certificate pack order (see [`CertificatePacks::order`]). `.await` it for the new
/// [`CertificatePack`](types::CertificatePack).
///
/// It is never resent once it may have reached the server: a timeout or dropped connection
/// after sending is [`Error::OutcomeUnknown`], a 2xx whose body does not decode is
/// [`Error::Accepted`] (with the new pack's id when it can be read), and
/// [`Error::is_retryable`] is `false` for both. Use [`CertificatePacks::ensure`] to have the
/// crate look the pack up instead.
#[must_use = "an order does nothing until awaited"]
#[derive(Debug)]
pub struct OrderCall {
    call: Call<types::CertificatePack>,
}

impl OrderCall {
    /// Allows resending the order even after it may have reached the server (on 5xx, 429,
    /// timeouts...). Off by default because each resend can create another pack; turn it on
    /// only if duplicates are acceptable or you check for them.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let order = cloudflare_ssl::OrderRequest::new(["example.com", "www.example.com"], cloudflare_ssl::types::CertificateAuthority::LetsEncrypt,
    /// #     cloudflare_ssl::types::CertificatePackValidationMethod::Txt, cloudflare_ssl::types::ValidityDays::Days90);
    /// use cloudflare_ssl::Operation;
    /// use cloudflare_ssl_mock::Fault;
    /// let unavailable = Fault::ServerError { status: 503 };
    /// mock.faults().on(Operation::OrderCertificatePack).next(1, unavailable.clone());
    /// let err = packs.order(order.clone()).await.unwrap_err(); // not resent by default
    /// assert_eq!(err.status(), Some(503));
    ///
    /// mock.faults().on(Operation::OrderCertificatePack).next(1, unavailable);
    /// let pack = packs.order(order).retry_orders(true).await?; // resent after the 503
    /// assert_eq!(mock.orders_created(), 1);
    /// # Ok(()) }
    /// ```
    pub fn retry_orders(self, allow: bool) -> Self {
        Self {
            call: self.call.set_retry_orders(allow),
        }
    }

    /// Timeout for each attempt.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let order = cloudflare_ssl::OrderRequest::new(["example.com", "www.example.com"], cloudflare_ssl::types::CertificateAuthority::LetsEncrypt,
    /// #     cloudflare_ssl::types::CertificatePackValidationMethod::Txt, cloudflare_ssl::types::ValidityDays::Days90);
    /// use cloudflare_ssl::Operation;
    /// use std::time::Duration;
    /// mock.faults().on(Operation::OrderCertificatePack).latency(Duration::from_secs(2));
    /// let err = packs.order(order).timeout(Duration::from_millis(200)).await.unwrap_err();
    /// // The order may have reached Cloudflare: look before ordering again.
    /// assert!(err.is_outcome_unknown() && !err.is_retryable());
    /// # Ok(()) }
    /// ```
    pub fn timeout(self, timeout: Duration) -> Self {
        Self {
            call: self.call.timeout(timeout),
        }
    }

    /// Deadline for the whole call.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let order = cloudflare_ssl::OrderRequest::new(["example.com", "www.example.com"], cloudflare_ssl::types::CertificateAuthority::LetsEncrypt,
    /// #     cloudflare_ssl::types::CertificatePackValidationMethod::Txt, cloudflare_ssl::types::ValidityDays::Days90);
    /// use std::time::Duration;
    /// let pack = packs.order(order).deadline(Duration::from_secs(30)).await?;
    /// assert_eq!(pack.status.as_str(), "initializing");
    /// # Ok(()) }
    /// ```
    pub fn deadline(self, deadline: Duration) -> Self {
        Self {
            call: self.call.deadline(deadline),
        }
    }

    /// Runs the order and returns the new pack with the envelope and HTTP metadata.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let order = cloudflare_ssl::OrderRequest::new(["example.com", "www.example.com"], cloudflare_ssl::types::CertificateAuthority::LetsEncrypt,
    /// #     cloudflare_ssl::types::CertificatePackValidationMethod::Txt, cloudflare_ssl::types::ValidityDays::Days90);
    /// let full = packs.order(order).with_response().await?;
    /// assert_eq!((full.meta.status, full.meta.attempts), (200, 1));
    /// println!("ordered {} (cf-ray {:?})", full.result.id, full.cf_ray());
    /// # Ok(()) }
    /// ```
    pub async fn with_response(self) -> Result<ApiResponse<types::CertificatePack>> {
        self.call.with_response().await
    }
}

impl IntoFuture for OrderCall {
    type Output = Result<types::CertificatePack>;
    type IntoFuture = <Call<types::CertificatePack> as IntoFuture>::IntoFuture;
    fn into_future(self) -> Self::IntoFuture {
        self.call.into_future()
    }
}

/// What [`CertificatePacks::ensure`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ensured {
    /// A matching pack existed already; nothing was ordered.
    Existing,
    /// The order was placed and answered normally.
    Ordered,
    /// The order's outcome was unknown (timeout after sending, undecodable 2xx); the pack was
    /// found by its hosts afterwards.
    Recovered,
    /// The matching pack was in `validation_timed_out`; its validation was restarted (see
    /// [`OrderRequest::restart_timed_out`]) instead of ordering another pack.
    Restarted,
    /// This call ordered, then found that another worker had ordered the same pack: by the
    /// rule of [`CertificatePacks::ensure`] the other pack is kept, and the one this call
    /// ordered was deleted.
    Deduplicated,
    /// Another `ensure` call on the same [`Client`](crate::Client) for the same order was in
    /// flight; this call waited for it and returns its pack.
    Joined,
}

impl CertificatePacks {
    /// Orders an advanced certificate pack. The order is checked first
    /// ([`OrderRequest::validate`]); it is never resent once it may have reached the server.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// use cloudflare_ssl::OrderRequest;
    /// use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
    ///
    /// let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// let pack = packs
    ///     .order(OrderRequest::new(
    ///         ["example.com", "store.example.com"],
    ///         CertificateAuthority::LetsEncrypt,
    ///         CertificatePackValidationMethod::Txt,
    ///         ValidityDays::Days90,
    ///     ))
    ///     .await?;
    /// for record in &pack.validation_records {
    ///     println!("TXT {:?} = {:?}", record.txt_name, record.txt_value);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn order(&self, order: OrderRequest) -> OrderCall {
        let call = match order.validate() {
            Ok(()) => {
                let body = order.into_body();
                zone_call!(self.zone => zone, api, OrderCertificatePack,
                    api.order_certificate_pack().zone_id(zone.id()).body(body))
            }
            Err(e) => Call::fail(crate::Operation::OrderCertificatePack, e),
        };
        OrderCall { call }
    }

    /// The existing pack that `order` would create, if any: same hosts and certificate
    /// authority, in a status other than a terminal failure (lists packs of every status).
    /// When several match, the one [`ensure`](Self::ensure)'s rule keeps.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// use cloudflare_ssl::OrderRequest;
    /// use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
    /// let order = OrderRequest::new(["example.com", "blog.example.com"], CertificateAuthority::LetsEncrypt,
    ///     CertificatePackValidationMethod::Txt, ValidityDays::Days90);
    /// assert!(packs.find_order(&order).await?.is_none());
    /// let placed = packs.order(order.clone()).await?;
    /// let found = packs.find_order(&order).await?.expect("the pack just ordered");
    /// assert_eq!(found.id, placed.id);
    /// # Ok(()) }
    /// ```
    pub async fn find_order(&self, order: &OrderRequest) -> Result<Option<types::CertificatePack>> {
        Ok(keeper(self.find_matches(order).await?))
    }

    /// Every pack matching `order` ([`OrderRequest::matches`]), in listing order.
    async fn find_matches(&self, order: &OrderRequest) -> Result<Vec<types::CertificatePack>> {
        let mut packs = std::pin::pin!(self
            .list()
            .status(types::CertificatePackListStatus::All)
            .per_page(*super::list::PER_PAGE_RANGE.end())
            .items());
        let mut found = Vec::new();
        while let Some(pack) = packs.try_next().await? {
            // Bounded: a zone's advanced quota is far below MAX_MATCHES, so the cap only
            // matters against a misbehaving server.
            if order.matches(&pack) && found.len() < MAX_MATCHES {
                found.push(pack);
            }
        }
        Ok(found)
    }

    /// Orders `order` unless a matching pack exists: the reconciling order for programs that
    /// run unattended, safe with several workers.
    ///
    /// - **Looks first** for an advanced pack with the same hosts and certificate authority in
    ///   any status other than a terminal failure ([`OrderRequest::matches`]) and returns it
    ///   ([`Ensured::Existing`]). A match in `validation_timed_out` is adopted by restarting
    ///   its validation ([`Ensured::Restarted`]; opt out with
    ///   [`OrderRequest::restart_timed_out`]).
    /// - **Within a process** concurrent calls for the same (zone, host set, certificate
    ///   authority) on one [`Client`](crate::Client) (or its clones) share one flight: one
    ///   looks and orders, the others wait and get its pack ([`Ensured::Joined`]).
    /// - **Across processes** (no idempotency key exists in Cloudflare's API), after ordering
    ///   it looks again. If several matching packs exist, the **deterministic rule** keeps
    ///   one: a pack that is not in `validation_timed_out` before one that is, then the
    ///   **smallest id** (compared as lowercase strings). If the kept pack is not the one
    ///   this call ordered, this call deletes its own pack and returns the kept one
    ///   ([`Ensured::Deduplicated`]). It never deletes packs it did not order. Every worker
    ///   applies the same rule to the same listing, so when several order at once they keep
    ///   the same pack; a worker whose second look ran before another's order became visible
    ///   keeps its own, and [`repair_duplicates`](Self::repair_duplicates) (run by
    ///   [`converge`](Self::converge)) removes that leftover later.
    /// - When the order's outcome is unknown ([`Error::is_outcome_unknown`]) it looks again
    ///   before giving up ([`Ensured::Recovered`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// use cloudflare_ssl::{Ensured, OrderRequest};
    /// use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
    ///
    /// let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// let order = OrderRequest::new(["example.com", "api.example.com"], CertificateAuthority::Google,
    ///     CertificatePackValidationMethod::Txt, ValidityDays::Days90);
    /// // Ten workers of one process at once: one order.
    /// let calls = (0..10).map(|_| packs.ensure(order.clone()));
    /// let results = futures::future::try_join_all(calls).await?;
    /// assert!(results.iter().all(|(pack, _)| pack.id == results[0].0.id));
    /// assert_eq!(results.iter().filter(|(_, how)| *how == Ensured::Ordered).count(), 1);
    /// let (again, how) = packs.ensure(order).await?;
    /// assert_eq!((again.id, how), (results[0].0.id.clone(), Ensured::Existing));
    /// # Ok(()) }
    /// ```
    pub async fn ensure(&self, order: OrderRequest) -> Result<(types::CertificatePack, Ensured)> {
        order.validate()?;
        let seat = self
            .zone
            .client()
            .flights()
            .join(order.flight_key(self.zone.id().as_str()));
        match seat.run(self.ensure_alone(order)).await? {
            Shared::Own(pack, how) => Ok((pack, how)),
            Shared::Joined(pack) => Ok((pack, Ensured::Joined)),
        }
    }

    /// `ensure` without the in-process single-flight.
    async fn ensure_alone(&self, order: OrderRequest) -> Result<(types::CertificatePack, Ensured)> {
        if let Some(existing) = self.find_order(&order).await? {
            return self.adopt(existing).await;
        }
        match self.order(order.clone()).await {
            Ok(pack) => self.confirm(&order, pack).await,
            Err(e) if e.is_outcome_unknown() => {
                tracing::warn!(error = %e, "order outcome unknown; looking the pack up by its hosts");
                match self.find_order(&order).await {
                    Ok(Some(pack)) => Ok((pack, Ensured::Recovered)),
                    // Not found (or the lookup failed): the original error says what happened.
                    _ => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Returns an existing match, restarting its validation if it timed out.
    async fn adopt(
        &self,
        pack: types::CertificatePack,
    ) -> Result<(types::CertificatePack, Ensured)> {
        if pack.status != types::CertificatePackStatus::ValidationTimedOut {
            return Ok((pack, Ensured::Existing));
        }
        match self.restart_validation(&pack.id).await {
            Ok(restarted) => Ok((restarted, Ensured::Restarted)),
            // Another worker restarted it first (1409: not in validation_timed_out any more).
            Err(e) if e.error_codes().contains(&RESTART_REFUSED) => {
                Ok((self.get(&pack.id).await?, Ensured::Existing))
            }
            Err(e) => Err(e),
        }
    }

    /// After an order: looks again and yields to a matching pack the rule keeps.
    async fn confirm(
        &self,
        order: &OrderRequest,
        ours: types::CertificatePack,
    ) -> Result<(types::CertificatePack, Ensured)> {
        let matches = match self.find_matches(order).await {
            Ok(m) => m,
            Err(e) => {
                // The order succeeded; a failed second look only loses the duplicate check.
                tracing::warn!(error = %e, "could not look for duplicates after ordering");
                return Ok((ours, Ensured::Ordered));
            }
        };
        match keeper(matches) {
            Some(kept) if kept.id != ours.id => {
                tracing::info!(kept = %kept.id, deleted = %ours.id,
                    "another worker ordered the same pack; deleting this call's order");
                self.delete(&ours.id).await?;
                self.adopt(kept).await.map(|(pack, how)| {
                    (
                        pack,
                        if how == Ensured::Existing {
                            Ensured::Deduplicated
                        } else {
                            how
                        },
                    )
                })
            }
            _ => Ok((ours, Ensured::Ordered)),
        }
    }

    /// Deletes every pack matching `order` except the one [`ensure`](Self::ensure)'s rule
    /// keeps, and returns the ids deleted. Unlike `ensure`, it deletes packs other workers
    /// ordered: run it where one worker owns the host set, or when every worker converges on
    /// the kept pack anyway (as [`converge`](Self::converge) does).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// use cloudflare_ssl::OrderRequest;
    /// use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
    /// let order = OrderRequest::new(["example.com", "x.example.com"], CertificateAuthority::Google,
    ///     CertificatePackValidationMethod::Txt, ValidityDays::Days90);
    /// let (a, b) = (packs.order(order.clone()).await?, packs.order(order.clone()).await?);
    /// let deleted = packs.repair_duplicates(&order).await?;
    /// assert_eq!(deleted, [std::cmp::max(a.id, b.id)]);
    /// # Ok(()) }
    /// ```
    pub async fn repair_duplicates(&self, order: &OrderRequest) -> Result<Vec<types::Identifier>> {
        let matches = self.find_matches(order).await?;
        let Some(kept) = keeper(matches.clone()) else {
            return Ok(Vec::new());
        };
        let mut deleted = Vec::new();
        for pack in matches.into_iter().filter(|p| p.id != kept.id) {
            match self.delete(&pack.id).await {
                Ok(_) => deleted.push(pack.id),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(deleted)
    }
}

/// At most this many matching packs are considered (a zone's whole advanced quota is smaller).
const MAX_MATCHES: usize = 1000;

/// Cloudflare's code for an edit refused because the pack's validation has not timed out.
const RESTART_REFUSED: i64 = 1409;

/// The pack the duplicate rule keeps among `matches`: one not in `validation_timed_out` before
/// one that is, then the smallest id (lowercase string order).
fn keeper(matches: Vec<types::CertificatePack>) -> Option<types::CertificatePack> {
    matches.into_iter().min_by(|a, b| {
        let timed_out = |p: &types::CertificatePack| {
            p.status == types::CertificatePackStatus::ValidationTimedOut
        };
        timed_out(a).cmp(&timed_out(b)).then_with(|| {
            a.id.as_str()
                .to_ascii_lowercase()
                .cmp(&b.id.as_str().to_ascii_lowercase())
        })
    })
}
