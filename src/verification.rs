//! SSL verification of a zone's certificates, and switching a pack's validation method.

use crate::call::Call;
use crate::ids::{self, IntoIdentifier};
use crate::strict;
use crate::types;
use crate::zone::{zone_call, Zone};

/// SSL verification of a zone, from [`Zone::verification`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cloudflare_ssl::Result<()> {
/// # let mock = cloudflare_ssl_mock::MockServer::start().await;
/// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
/// let details = client.zone(mock.zone_id())?.verification().get().await?;
/// for v in &details {
///     println!("{:?}: {:?} via {:?}", v.cert_pack_uuid, v.certificate_status, v.validation_method);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Verification {
    zone: Zone,
}

impl Zone {
    /// SSL verification of the zone's certificates.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let verification = client.zone(mock.zone_id())?.verification();
    /// let details = verification.get().await?;
    /// assert!(!details.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn verification(&self) -> Verification {
        Verification { zone: self.clone() }
    }
}

impl Verification {
    /// Verification details of every certificate of the zone.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let details = client.zone(mock.zone_id())?.verification().get().await?;
    /// assert!(details.iter().all(|v| v.cert_pack_uuid.is_some()));
    /// for v in &details {
    ///     println!("{:?}: {:?}", v.cert_pack_uuid, v.certificate_status);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn get(&self) -> Call<Vec<types::Verification>> {
        self.get_inner(false)
    }

    /// Like [`get`](Self::get), asking Cloudflare to retry verification immediately.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let verification = client.zone(mock.zone_id())?.verification();
    /// // Ask Cloudflare to check again now, rather than at its next scheduled check:
    /// let details = verification.get_and_retry().await?;
    /// assert_eq!(details.len(), verification.get().await?.len());
    /// # Ok(()) }
    /// ```
    pub fn get_and_retry(&self) -> Call<Vec<types::Verification>> {
        self.get_inner(true)
    }

    fn get_inner(&self, retry: bool) -> Call<Vec<types::Verification>> {
        zone_call!(self.zone => zone, api, GetSslVerification, {
            let builder = api.get_ssl_verification().zone_id(zone.id());
            if retry {
                builder.retry(true)
            } else {
                builder
            }
        })
    }

    /// Switches a pack's validation method and asks for an immediate validation check.
    /// `pack_id` is the pack's id (`cert_pack_uuid` in verification details; a UUID of up to
    /// 64 of `A-Z a-z 0-9 _ -`). Also reachable as
    /// [`CertificatePacks::set_validation_method`](crate::CertificatePacks::set_validation_method).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start_manual().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let order = cloudflare_ssl::OrderRequest::new(["example.com", "www.example.com"], cloudflare_ssl::types::CertificateAuthority::LetsEncrypt,
    /// #     cloudflare_ssl::types::CertificatePackValidationMethod::Txt, cloudflare_ssl::types::ValidityDays::Days90);
    /// # let id = packs.order(order).await?.id; // by TXT
    /// use cloudflare_ssl::types::DesiredValidationMethod;
    /// let verification = client.zone(mock.zone_id())?.verification();
    /// let updated = verification.edit_method(&id, DesiredValidationMethod::Http).await?;
    /// assert_eq!(updated.validation_method.map(|m| m.to_string()).as_deref(), Some("http"));
    /// # Ok(()) }
    /// ```
    pub fn edit_method(
        &self,
        pack_id: impl IntoIdentifier,
        method: impl Into<types::DesiredValidationMethod>,
    ) -> Call<types::ValidationMethodUpdateResult> {
        let method = method.into();
        let checked = ids::pack_uuid("certificate_pack_id", pack_id)
            .and_then(|id| strict::known("validation_method", &method).map(|()| id));
        match checked {
            Ok(id) => zone_call!(self.zone => zone, api, EditValidationMethod,
                api.edit_validation_method()
                    .zone_id(zone.id())
                    .certificate_pack_id(id)
                    .body(types::ValidationMethodUpdate { validation_method: method })),
            Err(e) => Call::fail(crate::Operation::EditValidationMethod, e),
        }
    }
}
