//! Analyzing a certificate: which hosts it covers, its signature and expiry, as Cloudflare would
//! bundle it.

use serde_json::Value;

use crate::call::Call;
use crate::error::Error;
use crate::types;
use crate::zone::{zone_call, Zone};

impl Zone {
    /// Analyzes a PEM certificate (optionally with a bundle method) before uploading it
    /// anywhere. The analysis is returned as JSON, as the API documents no shape for it.
    ///
    /// A blank `certificate` is refused before sending ([`Error::InvalidInput`]). The document, like
    /// Cloudflare's, lets `certificate` be any string; the API refuses one that is not a PEM
    /// certificate (a business rule, not a schema rule: the mock lists it as
    /// `analyze_empty_certificate`, 400 with code 1410 at `/certificate`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// use cloudflare_ssl::types::BundleMethod;
    /// let pem = cloudflare_ssl_mock::SAMPLE_CERTIFICATE_PEM;
    /// let analysis = client
    ///     .zone(mock.zone_id())?
    ///     .analyze_certificate(pem, Some(BundleMethod::Ubiquitous))
    ///     .await?;
    /// println!("covers {}", analysis["hosts"]);
    /// # Ok(()) }
    /// ```
    pub fn analyze_certificate(
        &self,
        certificate: impl Into<String>,
        bundle_method: Option<types::BundleMethod>,
    ) -> Call<Value> {
        let certificate = certificate.into();
        if certificate.trim().is_empty() {
            return Call::fail(
                crate::Operation::AnalyzeCertificate,
                Error::input("certificate", None, "must not be empty"),
            );
        }
        if let Some(method) = &bundle_method
            && let Err(e) = crate::strict::known("bundle_method", method)
        {
            return Call::fail(crate::Operation::AnalyzeCertificate, e);
        }
        let body = types::AnalyzeCertificateRequest {
            bundle_method,
            certificate: Some(certificate),
        };
        zone_call!(self => zone, api, AnalyzeCertificate,
            api.analyze_certificate().zone_id(zone.id()).body(body))
    }
}
