//! One zone: the entry point to every operation, from [`Client::zone`].

use crate::client::Client;
use crate::error::Result;
use crate::ids::{self, IntoIdentifier};
use crate::types;

/// One zone. Get it from [`Client::zone`]. It owns what it needs (a clone of the client, one
/// `Arc`, and the id): store it in your own structs, clone it, move it into tasks.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cloudflare_ssl::Result<()> {
/// # let mock = cloudflare_ssl_mock::MockServer::start().await;
/// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
/// use cloudflare_ssl::{CertificatePacks, Zone};
///
/// // Handles need no lifetime: keep them in a struct.
/// struct Automation {
///     zone: Zone,
///     packs: CertificatePacks,
/// }
/// let zone = client.zone(mock.zone_id())?;
/// let automation = Automation { packs: zone.certificate_packs(), zone };
/// let quota = automation.packs.quota().await?;
/// println!("{} uses {:?} advanced packs", automation.zone.id(), quota.advanced);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Zone {
    client: Client,
    id: types::Identifier,
}

impl Client {
    /// A handle on one zone. The id must be 1 to 32 of `A-Z a-z 0-9 _ -` (see
    /// [`IntoIdentifier`]).
    ///
    /// ```
    /// # fn main() -> cloudflare_ssl::Result<()> {
    /// # let client = cloudflare_ssl::Client::builder().api_token("my-token").build()?;
    /// assert!(client.zone("023e105f4ecef8ad9ca31a8372d0c353").is_ok());
    /// let err = client.zone("../../user").unwrap_err();
    /// assert!(err.to_string().contains("`zone_id`"));
    /// # Ok(()) }
    /// ```
    pub fn zone(&self, zone_id: impl IntoIdentifier) -> Result<Zone> {
        Ok(Zone {
            client: self.clone(),
            id: ids::identifier("zone_id", zone_id)?,
        })
    }
}

impl Zone {
    /// The zone's identifier.
    ///
    /// ```
    /// # fn main() -> cloudflare_ssl::Result<()> {
    /// # let client = cloudflare_ssl::Client::builder().api_token("my-token").build()?;
    /// let zone = client.zone("023e105f4ecef8ad9ca31a8372d0c353")?;
    /// assert_eq!(zone.id().as_str(), "023e105f4ecef8ad9ca31a8372d0c353");
    /// let path = format!("/zones/{}/ssl/verification", zone.id()); // for `Client::request`
    /// # assert_eq!(path, "/zones/023e105f4ecef8ad9ca31a8372d0c353/ssl/verification");
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> &types::Identifier {
        &self.id
    }

    /// The client this zone belongs to.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// use cloudflare_ssl_mock::SECOND_ZONE_ID;
    /// let zone = client.zone(mock.zone_id())?;
    /// // Another zone, through the same client (one connection pool and rate limit):
    /// let other = zone.client().zone(SECOND_ZONE_ID)?;
    /// let quota = other.certificate_packs().quota().await?;
    /// assert_eq!(quota.advanced.and_then(|a| a.allocated), Some(1));
    /// # Ok(()) }
    /// ```
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Builds a `'static` [`Call`](crate::Call) of a generated operation for a zone: clones the
/// zone into the call's future, binds it to `$zone` and the call's own generated client to
/// `$api` (see [`Call::new`](crate::call::Call)).
///
/// `zone_call!(self.zone => zone, api, GetCertificatePack, api.get_certificate_pack().zone_id(zone.id()))`
macro_rules! zone_call {
    ($source:expr_2021 => $zone:ident, $api:ident, $op:ident, $builder:expr_2021) => {{
        let $zone = $crate::zone::Zone::clone(&$source);
        let client = $zone.client().clone();
        $crate::call::Call::new(
            &client,
            $crate::generated::Operation::$op,
            move |api| async move {
                let outcome = {
                    let $api = &api;
                    $builder.send().await
                };
                (api, outcome)
            },
        )
    }};
}
pub(crate) use zone_call;
