//! Certificate packs of a zone: get, edit, delete, quota, switching the validation method; with
//! listing ([`list`]), ordering ([`order`]) and waiting ([`wait`]) beside.

pub mod converge;
pub mod expiry;
pub(crate) mod flight;
pub mod list;
pub mod order;
pub mod wait;

use crate::call::Call;
use crate::ids::{self, IntoIdentifier};
use crate::types;
use crate::zone::{zone_call, Zone};

/// Certificate packs of a zone, from [`Zone::certificate_packs`]. Owns its zone: clone it,
/// store it, move it into tasks.
///
/// A pack is one order for a set of hosts; it holds **several certificates** (today one ECDSA
/// and one RSA, each with its own `expires_on`), so a report per certificate lists each pack
/// more than once. Its `validation_records` (the DCV records to publish) are there only while
/// it validates: they are empty right after an order, fill in shortly after, and disappear
/// once the pack is validated.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cloudflare_ssl::Result<()> {
/// # let mock = cloudflare_ssl_mock::MockServer::start().await;
/// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
/// let packs = client.zone(mock.zone_id())?.certificate_packs();
/// let quota = packs.quota().await?;
/// let first = packs.list().send().await?;
/// for pack in &first.items {
///     let again = packs.get(&pack.id).await?;
///     assert_eq!(again.id, pack.id);
/// }
/// # let _ = quota;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct CertificatePacks {
    pub(crate) zone: Zone,
}

impl Zone {
    /// Certificate packs: list, get, order, edit, delete, quota, and waiting on status.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// let quota = packs.quota().await?;
    /// let active = packs.list().send().await?;
    /// println!("{} active packs, quota {:?}", active.items.len(), quota.advanced);
    /// # assert!(!active.items.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn certificate_packs(&self) -> CertificatePacks {
        CertificatePacks { zone: self.clone() }
    }
}

impl CertificatePacks {
    /// The zone these packs belong to.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// assert_eq!(packs.zone().id().as_str(), mock.zone_id());
    /// // The same zone's other settings:
    /// let universal = packs.zone().universal_ssl().get().await?;
    /// # assert_eq!(universal.enabled, Some(true));
    /// # Ok(()) }
    /// ```
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// One certificate pack.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// match packs.get("0123456789abcdef0123456789abcdef").await {
    ///     Ok(pack) => println!("{} is {}", pack.id, pack.status),
    ///     Err(e) if e.is_not_found() => println!("no such pack (codes {:?})", e.error_codes()),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn get(&self, pack_id: impl IntoIdentifier) -> Call<types::CertificatePack> {
        match ids::pack_identifier(pack_id) {
            Ok(id) => zone_call!(self.zone => zone, api, GetCertificatePack,
                api.get_certificate_pack().zone_id(zone.id()).certificate_pack_id(id)),
            Err(e) => Call::fail(crate::Operation::GetCertificatePack, e),
        }
    }

    /// Edits an advanced pack: an empty body restarts validation (for a pack in
    /// `validation_timed_out`); `cloudflare_branding` adds branding.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let id = packs.list().send().await?.items.into_iter().find(|p| p.type_.as_str() == "advanced").expect("an advanced pack").id;
    /// use cloudflare_ssl::types::EditCertificatePackRequest;
    /// let edited = packs
    ///     .edit(&id, EditCertificatePackRequest { cloudflare_branding: Some(true) })
    ///     .await?;
    /// assert_eq!(edited.cloudflare_branding, Some(true));
    /// # Ok(()) }
    /// ```
    pub fn edit(
        &self,
        pack_id: impl IntoIdentifier,
        edit: types::EditCertificatePackRequest,
    ) -> Call<types::CertificatePack> {
        match ids::pack_identifier(pack_id) {
            Ok(id) => zone_call!(self.zone => zone, api, EditCertificatePack,
                api.edit_certificate_pack().zone_id(zone.id()).certificate_pack_id(id).body(edit)),
            Err(e) => Call::fail(crate::Operation::EditCertificatePack, e),
        }
    }

    /// Restarts validation of a pack in `validation_timed_out` (an edit with an empty body).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let id = packs.list().send().await?.items.into_iter().find(|p| p.type_.as_str() == "advanced").expect("an advanced pack").id;
    /// # mock.set_pack_status(mock.zone_id(), id.as_str(), "validation_timed_out").expect("the pack");
    /// // The validation of pack `id` timed out:
    /// let pack = packs.restart_validation(&id).await?;
    /// assert_eq!(pack.status.as_str(), "pending_validation");
    /// // Only a validation that timed out can be restarted (code 1409):
    /// let err = packs.restart_validation(&id).await.unwrap_err();
    /// assert_eq!(err.error_codes(), [1409]);
    /// # Ok(()) }
    /// ```
    pub fn restart_validation(&self, pack_id: impl IntoIdentifier) -> Call<types::CertificatePack> {
        self.edit(
            pack_id,
            types::EditCertificatePackRequest {
                cloudflare_branding: None,
            },
        )
    }

    /// Deletes an advanced pack; returns the deleted pack's id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// # let id = packs.list().send().await?.items.into_iter().find(|p| p.type_.as_str() == "advanced").expect("an advanced pack").id;
    /// let deleted = packs.delete(&id).await?;
    /// assert_eq!(deleted.id.as_deref(), Some(id.as_str()));
    /// assert!(packs.get(&id).await.unwrap_err().is_not_found());
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, pack_id: impl IntoIdentifier) -> Call<types::CertificatePackDeleteResult> {
        match ids::pack_identifier(pack_id) {
            Ok(id) => zone_call!(self.zone => zone, api, DeleteCertificatePack,
                api.delete_certificate_pack().zone_id(zone.id()).certificate_pack_id(id)),
            Err(e) => Call::fail(crate::Operation::DeleteCertificatePack, e),
        }
    }

    /// The zone's certificate pack quotas.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let quota = client.zone(mock.zone_id())?.certificate_packs().quota().await?;
    /// let advanced = quota.advanced.expect("advanced quota");
    /// println!("{:?} of {:?} advanced packs used", advanced.used, advanced.allocated);
    /// # Ok(()) }
    /// ```
    pub fn quota(&self) -> Call<types::Quota> {
        zone_call!(self.zone => zone, api, GetCertificatePackQuota,
            api.get_certificate_pack_quota().zone_id(zone.id()))
    }

    /// Switches a pack's validation method and asks for an immediate validation check (the
    /// same operation as [`Verification::edit_method`](crate::Verification::edit_method)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// use cloudflare_ssl::OrderRequest;
    /// use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod,
    ///     DesiredValidationMethod, ValidityDays};
    /// let pack = packs
    ///     .order(OrderRequest::new(["example.com", "www.example.com"], CertificateAuthority::LetsEncrypt,
    ///         CertificatePackValidationMethod::Txt, ValidityDays::Days90))
    ///     .await?;
    /// let updated = packs.set_validation_method(&pack.id, DesiredValidationMethod::Http).await?;
    /// println!("now {:?}", updated.validation_method);
    /// # Ok(()) }
    /// ```
    pub fn set_validation_method(
        &self,
        pack_id: impl IntoIdentifier,
        method: impl Into<types::DesiredValidationMethod>,
    ) -> Call<types::ValidationMethodUpdateResult> {
        self.zone.verification().edit_method(pack_id, method)
    }
}
