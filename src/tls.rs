//! TLS for the crate's own HTTP client: rustls with the *ring* provider and the platform's
//! certificate verifier, configured for this client only. Nothing here installs a process-wide
//! crypto provider, so the application (or another library) stays free to choose its own.

use std::sync::Arc;

use crate::error::{Error, Result};

/// The rustls configuration the crate's own HTTP client uses: the *ring* provider, the
/// platform's certificate verifier, HTTP/1.1 (and `h2` with the `http2` feature) by ALPN. A
/// starting point for your own `reqwest::Client` (see
/// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client)), without installing a
/// process-wide crypto provider.
///
/// ```
/// let config = cloudflare_ssl::tls_config()?;
/// assert!(config.alpn_protocols.contains(&b"http/1.1".to_vec()));
/// // Nothing process-wide was installed:
/// assert!(rustls::crypto::CryptoProvider::get_default().is_none());
/// # Ok::<(), cloudflare_ssl::Error>(())
/// ```
pub fn tls_config() -> Result<rustls::ClientConfig> {
    let provider = Arc::new(ring_provider());
    let verifier = rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
        .map_err(|e| Error::Config(format!("could not load the platform's TLS roots: {e}")))?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("could not configure TLS: {e}")))?
        .dangerous()
        // The platform verifier is the safe, standard verification (the OS's roots and
        // revocation); `dangerous()` is only the API's door to a custom verifier.
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = if cfg!(feature = "http2") {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(config)
}

/// The *ring* crypto provider, built for this client only (never installed process-wide).
///
/// rustls 0.23.48 deprecates `ring::default_provider` because *ring* has no post-quantum key
/// exchange. The crate keeps *ring* on purpose: it builds anywhere a C compiler does, with no
/// CMake or NASM, and it is what the rest of the tree (reqwest, the platform verifier) already
/// links; aws-lc-rs would add a second, slower-to-build crypto library to every downstream build.
/// The allowance is confined to this one function, so the next rustls release that moves *ring*
/// into its own crate (`rustls-ring`) changes one line; CI's newest-dependencies job
/// (`.ci/run`, "newest compatible dependencies") shows any further deprecation before it reaches
/// `main`.
#[allow(deprecated)]
pub(crate) fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// A `reqwest::ClientBuilder` to start your own client from, for
/// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client): this crate's TLS
/// configuration ([`tls_config`]), no redirects and, without the `http2` feature, no reqwest
/// retry layer (this crate retries itself; reqwest's own retries only ever apply to HTTP/2 and
/// HTTP/3 refusals, yet it copies every request to be ready for one). Add your proxy, roots or
/// pool settings, then `build()`.
///
/// Start here rather than from `reqwest::Client::new()`: the re-exported
/// [`reqwest`](crate::reqwest) is built with rustls but without a crypto provider (so that this
/// library installs nothing process-wide), and a reqwest client built without a TLS
/// configuration panics unless the program has installed a process-wide provider.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cloudflare_ssl::Result<()> {
/// # let mock = cloudflare_ssl_mock::MockServer::start().await;
/// use std::time::Duration;
/// let http = cloudflare_ssl::http_client_builder()?
///     .pool_idle_timeout(Duration::from_secs(30))
///     .build()
///     .expect("HTTP client");
/// let client = cloudflare_ssl::Client::builder()
///     .api_token(mock.token())
///     .base_url(mock.base_url())
///     .http_client(http)
///     .build()?;
/// let quota = client.zone(mock.zone_id())?.certificate_packs().quota().await?;
/// # let _ = quota;
/// assert!(rustls::crypto::CryptoProvider::get_default().is_none());
/// # Ok(()) }
/// ```
pub fn http_client_builder() -> Result<reqwest::ClientBuilder> {
    let builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config()?)
        .redirect(reqwest::redirect::Policy::none());
    // Without HTTP/2 reqwest's default retry classifier can never retry (it retries only
    // HTTP/2 and HTTP/3 refusals), but it still copies each request; with `http2` it is kept.
    #[cfg(not(feature = "http2"))]
    let builder = builder.retry(reqwest::retry::never().max_retries_per_request(0));
    Ok(builder)
}
