//! Zone-wide SSL/TLS settings: Universal SSL, Automatic SSL/TLS, and the SSL/TLS Recommender.

use crate::call::Call;
use crate::types;
use crate::zone::{zone_call, Zone};

/// Automatic SSL/TLS enrollment of a zone, from [`Zone::automatic_ssl`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cloudflare_ssl::Result<()> {
/// # let mock = cloudflare_ssl_mock::MockServer::start().await;
/// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
/// use cloudflare_ssl::types::AutomaticModeValue;
/// let automatic = client.zone(mock.zone_id())?.automatic_ssl();
/// let now = automatic.set(AutomaticModeValue::Custom).await?;
/// assert_eq!(now.value.as_str(), "custom");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AutomaticSsl {
    zone: Zone,
}

/// Universal SSL settings of a zone, from [`Zone::universal_ssl`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cloudflare_ssl::Result<()> {
/// # let mock = cloudflare_ssl_mock::MockServer::start().await;
/// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
/// let universal = client.zone(mock.zone_id())?.universal_ssl();
/// let settings = universal.get().await?;
/// println!("Universal SSL is {}", if settings.enabled == Some(true) { "on" } else { "off" });
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct UniversalSsl {
    zone: Zone,
}

impl Zone {
    /// Automatic SSL/TLS enrollment.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let automatic = client.zone(mock.zone_id())?.automatic_ssl();
    /// let mode = automatic.get().await?;
    /// println!("automatic SSL/TLS: {}", mode.value);
    /// # assert_eq!(mode.value.as_str(), "auto");
    /// # Ok(()) }
    /// ```
    pub fn automatic_ssl(&self) -> AutomaticSsl {
        AutomaticSsl { zone: self.clone() }
    }

    /// Universal SSL settings.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let universal = client.zone(mock.zone_id())?.universal_ssl();
    /// let settings = universal.get().await?;
    /// assert_eq!(settings.enabled, Some(true));
    /// # Ok(()) }
    /// ```
    pub fn universal_ssl(&self) -> UniversalSsl {
        UniversalSsl { zone: self.clone() }
    }

    /// The SSL/TLS Recommender's recommendation for the zone.
    ///
    /// Its `value` is the Automatic SSL/TLS mode, `auto` or `custom` (as Cloudflare documents
    /// it today), not an encryption mode: users of the older Recommender, which answered
    /// `flexible`, `full` or `strict`, find the encryption mode itself in the zone's `ssl`
    /// setting. A `flexible`/`full`/`strict` answer from an older API version still decodes, as
    /// `AutomaticModeValue::Unknown("strict")`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let recommendation = client.zone(mock.zone_id())?.ssl_recommendation().await?;
    /// println!("recommended: {}", recommendation.value);
    /// # Ok(()) }
    /// ```
    pub fn ssl_recommendation(&self) -> Call<types::AutomaticModeSetting> {
        zone_call!(self => zone, api, GetSslRecommendation,
            api.get_ssl_recommendation().zone_id(zone.id().as_str()))
    }
}

impl AutomaticSsl {
    /// The current enrollment (`value` is `auto` or `custom`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let automatic = client.zone(mock.zone_id())?.automatic_ssl();
    /// let mode = automatic.get().await?;
    /// assert!(matches!(mode.value.as_str(), "auto" | "custom"));
    /// # Ok(()) }
    /// ```
    pub fn get(&self) -> Call<types::AutomaticModeSetting> {
        zone_call!(self.zone => zone, api, GetAutomaticSslMode,
            api.get_automatic_ssl_mode().zone_id(zone.id().as_str()))
    }

    /// Enables (`Auto`) or disables (`Custom`) Automatic SSL/TLS. The value read by
    /// [`get`](Self::get) can be passed back as it is (read-modify-write); an `Unknown(..)`
    /// value is refused before sending.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// use cloudflare_ssl::types::AutomaticModeValue;
    /// let automatic = client.zone(mock.zone_id())?.automatic_ssl();
    /// automatic.set(AutomaticModeValue::Custom).await?;
    /// assert_eq!(automatic.get().await?.value.as_str(), "custom");
    ///
    /// // Read-modify-write: the value read goes straight back.
    /// let current = automatic.get().await?;
    /// let again = automatic.set(current.value.clone()).await?;
    /// assert_eq!(again.value, current.value);
    /// # Ok(()) }
    /// ```
    pub fn set(&self, value: types::AutomaticModeValue) -> Call<types::AutomaticModeSetting> {
        if let Err(e) = crate::strict::known("value", &value) {
            return Call::fail(crate::Operation::EditAutomaticSslMode, e);
        }
        zone_call!(self.zone => zone, api, EditAutomaticSslMode,
            api.edit_automatic_ssl_mode()
                .zone_id(zone.id().as_str())
                .body(types::AutomaticModeUpdate { value }))
    }
}

impl UniversalSsl {
    /// The current settings.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let universal = client.zone(mock.zone_id())?.universal_ssl();
    /// let settings = universal.get().await?;
    /// assert_eq!(settings.enabled, Some(true));
    /// # Ok(()) }
    /// ```
    pub fn get(&self) -> Call<types::UniversalSslSettings> {
        zone_call!(self.zone => zone, api, GetUniversalSslSettings,
            api.get_universal_ssl_settings().zone_id(zone.id()))
    }

    /// Enables or disables Universal SSL. Disabling removes the zone's Universal SSL
    /// certificates from the edge: read the warning on
    /// [`UniversalSslSettings::enabled`](types::UniversalSslSettings::enabled) first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let universal = client.zone(mock.zone_id())?.universal_ssl();
    /// let off = universal.set_enabled(false).await?;
    /// assert_eq!(off.enabled, Some(false));
    /// universal.set_enabled(true).await?;
    /// # Ok(()) }
    /// ```
    pub fn set_enabled(&self, enabled: bool) -> Call<types::UniversalSslSettings> {
        zone_call!(self.zone => zone, api, EditUniversalSslSettings,
            api.edit_universal_ssl_settings()
                .zone_id(zone.id())
                .body(types::UniversalSslSettingsUpdate { enabled: Some(enabled) }))
    }
}
