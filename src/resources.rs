//! Zone-scoped handles on every operation. Methods return a [`Call`]: `.await` it for the
//! unwrapped `result`.

use std::collections::HashSet;

use crate::call::Call;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::generated::Client as GeneratedClient;
use crate::pagination::ListCertificatePacks;
use crate::types;

/// Maximum number of hosts in one certificate pack order.
pub const MAX_HOSTS: usize = 50;

/// A value usable as an `Identifier` parameter. Strings are checked (non-empty, at most 32
/// characters); an [`Identifier`](types::Identifier) the server returned is passed back as is.
pub trait IntoIdentifier {
    /// Converts, naming `field` in the error.
    fn into_identifier(self, field: &str) -> Result<types::Identifier>;
}

fn check_identifier(field: &str, value: &str) -> Result<types::Identifier> {
    if value.trim().is_empty() {
        return Err(Error::input(
            field,
            Some(value.to_owned()),
            "must not be empty",
        ));
    }
    types::Identifier::new(value)
        .map_err(|e| Error::input(field, Some(value.to_owned()), e.to_string()))
}

impl IntoIdentifier for &str {
    fn into_identifier(self, field: &str) -> Result<types::Identifier> {
        check_identifier(field, self)
    }
}

impl IntoIdentifier for String {
    fn into_identifier(self, field: &str) -> Result<types::Identifier> {
        check_identifier(field, &self)
    }
}

impl IntoIdentifier for &String {
    fn into_identifier(self, field: &str) -> Result<types::Identifier> {
        check_identifier(field, self)
    }
}

impl IntoIdentifier for types::Identifier {
    fn into_identifier(self, field: &str) -> Result<types::Identifier> {
        if self.is_empty() {
            return Err(Error::input(
                field,
                Some(String::new()),
                "must not be empty",
            ));
        }
        Ok(self)
    }
}

impl IntoIdentifier for &types::Identifier {
    fn into_identifier(self, field: &str) -> Result<types::Identifier> {
        self.clone().into_identifier(field)
    }
}

/// One zone. Get it from [`Client::zone`].
#[derive(Clone, Debug)]
pub struct Zone {
    client: Client,
    id: types::Identifier,
}

impl Zone {
    pub(crate) fn new(client: Client, zone_id: &str) -> Result<Self> {
        Ok(Self {
            client,
            id: check_identifier("zone_id", zone_id)?,
        })
    }

    /// The zone's identifier.
    pub fn id(&self) -> &types::Identifier {
        &self.id
    }

    /// The client this zone belongs to.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn api(&self) -> &GeneratedClient {
        self.client.generated()
    }

    /// Certificate packs: list, get, order, edit, delete, quota, and waiting on status.
    pub fn certificate_packs(&self) -> CertificatePacks<'_> {
        CertificatePacks { zone: self }
    }

    /// Analyzes a certificate (PEM, optionally with its chain): hostnames, signature algorithm
    /// and expiry. The analysis is returned as JSON, as the API documents no shape for it.
    pub fn analyze_certificate(
        &self,
        certificate: impl Into<String>,
        bundle_method: Option<types::BundleMethod>,
    ) -> Call<'_, types::AnalyzeCertificateResponse> {
        const OP: &str = "analyze_certificate";
        let certificate = certificate.into();
        if certificate.trim().is_empty() {
            return Call::fail(OP, Error::input("certificate", None, "must not be empty"));
        }
        let body = types::AnalyzeCertificateRequest {
            bundle_method,
            certificate: Some(certificate),
        };
        Call::new(
            OP,
            self.api()
                .analyze_certificate()
                .zone_id(&self.id)
                .body(body)
                .send(),
        )
    }

    /// The SSL/TLS Recommender's recommendation for the zone.
    pub fn ssl_recommendation(&self) -> Call<'_, types::RecommendationResponse> {
        Call::new(
            "get_ssl_recommendation",
            self.api()
                .get_ssl_recommendation()
                .zone_id(self.id.as_str())
                .send(),
        )
    }

    /// Automatic SSL/TLS enrollment.
    pub fn automatic_ssl(&self) -> AutomaticSsl<'_> {
        AutomaticSsl { zone: self }
    }

    /// Universal SSL settings.
    pub fn universal_ssl(&self) -> UniversalSsl<'_> {
        UniversalSsl { zone: self }
    }

    /// SSL verification of the zone's certificates.
    pub fn verification(&self) -> Verification<'_> {
        Verification { zone: self }
    }
}

/// An order for an advanced certificate pack, checked before it is sent.
///
/// `hosts` must contain the zone apex (e.g. `example.com` for zone `example.com`), may not be
/// empty and may not hold more than 50 names. Cloudflare checks the apex; this crate checks
/// the count, empty names and duplicates.
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
}

impl OrderRequest {
    /// An order for `hosts` from `certificate_authority`, validated by `validation_method`,
    /// valid for `validity_days`.
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
        }
    }

    /// Adds a subdomain of sni.cloudflaressl.com as the Common Name when `true`.
    pub fn cloudflare_branding(mut self, branding: bool) -> Self {
        self.cloudflare_branding = Some(branding);
        self
    }

    /// Checks the order: 1 to 50 hosts, none empty or blank, no duplicates (case-insensitive).
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
        Ok(())
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

/// Certificate packs of a zone.
#[derive(Clone, Copy, Debug)]
pub struct CertificatePacks<'z> {
    pub(crate) zone: &'z Zone,
}

impl<'z> CertificatePacks<'z> {
    /// Lists packs: one page with `.send()`, or every pack with `.items()` / `.stream()`.
    /// By default only active packs are listed; `.status(All)` lists every status.
    pub fn list(&self) -> ListCertificatePacks<'z> {
        ListCertificatePacks::new(self.zone)
    }

    /// One certificate pack.
    pub fn get(&self, pack_id: impl IntoIdentifier) -> Call<'z, types::CertificatePackResponse> {
        const OP: &str = "get_certificate_pack";
        match pack_id.into_identifier("certificate_pack_id") {
            Ok(id) => Call::new(
                OP,
                self.zone
                    .api()
                    .get_certificate_pack()
                    .zone_id(&self.zone.id)
                    .certificate_pack_id(id)
                    .send(),
            ),
            Err(e) => Call::fail(OP, e),
        }
    }

    /// Orders an advanced certificate pack. The order is validated first; it is never retried
    /// once it may have reached the server (see [`retry_orders`](OrderCall::retry_orders)).
    pub fn order(&self, order: OrderRequest) -> OrderCall<'z> {
        const OP: &str = "order_certificate_pack";
        let call = match order.validate() {
            Ok(()) => Call::new(
                OP,
                self.zone
                    .api()
                    .order_certificate_pack()
                    .zone_id(&self.zone.id)
                    .body(order.into_body())
                    .send(),
            ),
            Err(e) => Call::fail(OP, e),
        };
        OrderCall { call }
    }

    /// Edits an advanced pack: an empty body restarts validation (for a pack in
    /// `validation_timed_out`); `cloudflare_branding` adds branding.
    pub fn edit(
        &self,
        pack_id: impl IntoIdentifier,
        edit: types::EditCertificatePackRequest,
    ) -> Call<'z, types::CertificatePackResponse> {
        const OP: &str = "edit_certificate_pack";
        match pack_id.into_identifier("certificate_pack_id") {
            Ok(id) => Call::new(
                OP,
                self.zone
                    .api()
                    .edit_certificate_pack()
                    .zone_id(&self.zone.id)
                    .certificate_pack_id(id)
                    .body(edit)
                    .send(),
            ),
            Err(e) => Call::fail(OP, e),
        }
    }

    /// Restarts validation of a pack in `validation_timed_out`.
    pub fn restart_validation(
        &self,
        pack_id: impl IntoIdentifier,
    ) -> Call<'z, types::CertificatePackResponse> {
        self.edit(
            pack_id,
            types::EditCertificatePackRequest {
                cloudflare_branding: None,
            },
        )
    }

    /// Deletes an advanced pack; returns the deleted pack's id.
    pub fn delete(
        &self,
        pack_id: impl IntoIdentifier,
    ) -> Call<'z, types::CertificatePackDeleteResponse> {
        const OP: &str = "delete_certificate_pack";
        match pack_id.into_identifier("certificate_pack_id") {
            Ok(id) => Call::new(
                OP,
                self.zone
                    .api()
                    .delete_certificate_pack()
                    .zone_id(&self.zone.id)
                    .certificate_pack_id(id)
                    .send(),
            ),
            Err(e) => Call::fail(OP, e),
        }
    }

    /// The zone's certificate pack quotas.
    pub fn quota(&self) -> Call<'z, types::QuotaResponse> {
        Call::new(
            "get_certificate_pack_quota",
            self.zone
                .api()
                .get_certificate_pack_quota()
                .zone_id(&self.zone.id)
                .send(),
        )
    }
}

/// A pending certificate pack order (see [`CertificatePacks::order`]).
#[must_use = "an order does nothing until awaited"]
pub struct OrderCall<'z> {
    call: Call<'z, types::CertificatePackResponse>,
}

impl<'z> OrderCall<'z> {
    /// Allows retrying the order even after it may have reached the server (on 5xx, 429,
    /// timeouts...). Off by default because each retry can create another pack; turn it on
    /// only if duplicates are acceptable or you check for them.
    pub fn retry_orders(self, allow: bool) -> Self {
        Self {
            call: self.call.set_retry_orders(allow),
        }
    }

    /// Timeout for each attempt.
    pub fn timeout(self, timeout: std::time::Duration) -> Self {
        Self {
            call: self.call.timeout(timeout),
        }
    }

    /// Runs the order and returns the new pack with the envelope and HTTP metadata.
    pub async fn with_response(self) -> Result<crate::ApiResponse<types::CertificatePack>> {
        self.call.with_response().await
    }
}

impl<'z> std::future::IntoFuture for OrderCall<'z> {
    type Output = Result<types::CertificatePack>;
    type IntoFuture =
        <Call<'z, types::CertificatePackResponse> as std::future::IntoFuture>::IntoFuture;
    fn into_future(self) -> Self::IntoFuture {
        self.call.into_future()
    }
}

/// Automatic SSL/TLS enrollment of a zone.
#[derive(Clone, Copy, Debug)]
pub struct AutomaticSsl<'z> {
    zone: &'z Zone,
}

impl<'z> AutomaticSsl<'z> {
    /// The current enrollment (`value` is `auto` or `custom`).
    pub fn get(&self) -> Call<'z, types::AutomaticModeResponse> {
        Call::new(
            "get_automatic_ssl_mode",
            self.zone
                .api()
                .get_automatic_ssl_mode()
                .zone_id(self.zone.id.as_str())
                .send(),
        )
    }

    /// Enables (`Auto`) or disables (`Custom`) Automatic SSL/TLS.
    pub fn set(
        &self,
        value: types::AutomaticModeUpdateValue,
    ) -> Call<'z, types::AutomaticModeResponse> {
        Call::new(
            "edit_automatic_ssl_mode",
            self.zone
                .api()
                .edit_automatic_ssl_mode()
                .zone_id(self.zone.id.as_str())
                .body(types::AutomaticModeUpdate { value })
                .send(),
        )
    }
}

/// Universal SSL settings of a zone.
#[derive(Clone, Copy, Debug)]
pub struct UniversalSsl<'z> {
    zone: &'z Zone,
}

impl<'z> UniversalSsl<'z> {
    /// The current settings.
    pub fn get(&self) -> Call<'z, types::UniversalSslSettingsResponse> {
        Call::new(
            "get_universal_ssl_settings",
            self.zone
                .api()
                .get_universal_ssl_settings()
                .zone_id(&self.zone.id)
                .send(),
        )
    }

    /// Enables or disables Universal SSL. Disabling removes the zone's Universal SSL
    /// certificates from the edge: read the warning on
    /// [`UniversalSslSettings::enabled`](types::UniversalSslSettings::enabled) first.
    pub fn set_enabled(&self, enabled: bool) -> Call<'z, types::UniversalSslSettingsResponse> {
        Call::new(
            "edit_universal_ssl_settings",
            self.zone
                .api()
                .edit_universal_ssl_settings()
                .zone_id(&self.zone.id)
                .body(types::UniversalSslSettingsUpdate {
                    enabled: Some(enabled),
                })
                .send(),
        )
    }
}

/// SSL verification of a zone.
#[derive(Clone, Copy, Debug)]
pub struct Verification<'z> {
    zone: &'z Zone,
}

impl<'z> Verification<'z> {
    /// Verification details of every certificate of the zone.
    pub fn get(&self) -> Call<'z, types::VerificationResponse> {
        self.get_inner(false)
    }

    /// Like [`get`](Self::get), asking Cloudflare to retry verification immediately.
    pub fn get_and_retry(&self) -> Call<'z, types::VerificationResponse> {
        self.get_inner(true)
    }

    fn get_inner(&self, retry: bool) -> Call<'z, types::VerificationResponse> {
        let mut builder = self
            .zone
            .api()
            .get_ssl_verification()
            .zone_id(&self.zone.id);
        if retry {
            builder = builder.retry(true);
        }
        Call::new("get_ssl_verification", builder.send())
    }

    /// Switches a pack's validation method and asks for an immediate validation check.
    /// `pack_uuid` is the pack's id (`cert_pack_uuid` in verification details).
    pub fn edit_method(
        &self,
        pack_uuid: impl AsRef<str>,
        method: types::DesiredValidationMethod,
    ) -> Call<'z, types::ValidationMethodUpdateResponse> {
        const OP: &str = "edit_validation_method";
        let id = pack_uuid.as_ref();
        if id.trim().is_empty() {
            return Call::fail(
                OP,
                Error::input(
                    "certificate_pack_id",
                    Some(id.to_owned()),
                    "must not be empty",
                ),
            );
        }
        Call::new(
            OP,
            self.zone
                .api()
                .edit_validation_method()
                .zone_id(&self.zone.id)
                .certificate_pack_id(id)
                .body(types::ValidationMethodUpdate {
                    validation_method: method,
                })
                .send(),
        )
    }
}
