//! The client: configuration, construction and the entry point to zones.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::Credentials;
use crate::error::{Error, Result};
use crate::generated::Client as GeneratedClient;
use crate::ratelimit::{RateLimit, RateLimiter};
use crate::resources::Zone;
use crate::retry::RetryPolicy;
use crate::transport::Transport;

/// Cloudflare's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";
/// Default total time for one attempt of a request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default time to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("cloudflare-ssl/", env!("CARGO_PKG_VERSION"), " (rust)");

/// A client for Cloudflare's SSL/TLS API. Cheap to clone: clones share one connection pool.
///
/// ```no_run
/// use cloudflare_ssl::{Client, Credentials};
///
/// # async fn demo() -> cloudflare_ssl::Result<()> {
/// let client = Client::builder()
///     .credentials(Credentials::api_token("my-token"))
///     .build()?;
/// let zone = client.zone("023e105f4ecef8ad9ca31a8372d0c353")?;
/// let quota = zone.certificate_packs().quota().await?;
/// println!("{quota:?}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    generated: GeneratedClient,
    base_url: String,
    auth: &'static str,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder with the defaults: Cloudflare's base URL, 60 s timeout (5 s to connect), 2
    /// retries, no client-side rate limit, and no credentials yet.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment, as Cloudflare's official SDKs read it:
    /// `CLOUDFLARE_API_TOKEN`, or `CLOUDFLARE_API_KEY` + `CLOUDFLARE_EMAIL`, or
    /// `CLOUDFLARE_API_USER_SERVICE_KEY`; and `CLOUDFLARE_BASE_URL` if set.
    /// Fails with [`Error::Config`] when no credentials are set.
    pub fn from_env() -> Result<Self> {
        ClientBuilder::from_env()?.build()
    }

    /// A handle on one zone. The id must be non-empty and at most 32 characters.
    pub fn zone(&self, zone_id: impl AsRef<str>) -> Result<Zone> {
        Zone::new(self.clone(), zone_id.as_ref())
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The generated low-level client, for power use: every operation, every parameter, with
    /// progenitor's builder interface. Requests still go through this client's auth, retries,
    /// rate limit and tracing.
    pub fn generated(&self) -> &GeneratedClient {
        &self.inner.generated
    }
}

/// Configures a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    credentials: Option<Credentials>,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    rate_limit: Option<RateLimit>,
    user_agent: Option<String>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("credentials", &self.credentials)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            credentials: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            rate_limit: None,
            user_agent: None,
        }
    }
}

impl ClientBuilder {
    /// A builder filled from the process environment (see [`Client::from_env`]).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// A builder filled from `lookup` instead of the process environment (handy in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let credentials = Credentials::from_lookup(&lookup)?.ok_or_else(|| {
            Error::Config(
                "no Cloudflare credentials: set CLOUDFLARE_API_TOKEN, or CLOUDFLARE_API_KEY and \
                 CLOUDFLARE_EMAIL, or CLOUDFLARE_API_USER_SERVICE_KEY"
                    .into(),
            )
        })?;
        let mut builder = Self::default().credentials(credentials);
        if let Some(url) = lookup("CLOUDFLARE_BASE_URL").filter(|u| !u.trim().is_empty()) {
            builder = builder.base_url(url);
        }
        Ok(builder)
    }

    /// Credentials sent with every request.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Shorthand for `credentials(Credentials::api_token(token))`.
    pub fn api_token(self, token: impl Into<crate::Secret>) -> Self {
        self.credentials(Credentials::api_token(token))
    }

    /// The API base URL (default `https://api.cloudflare.com/client/v4`). Plain `http://` is
    /// only accepted for loopback hosts when credentials are set.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Total time for one attempt of a request (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time to establish a connection (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How failed requests are retried (default: 2 retries, see [`RetryPolicy`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Shorthand for the number of retries (0 disables retrying).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.retry = self.retry.max_retries(n);
        self
    }

    /// Limit requests client-side, e.g. [`RateLimit::cloudflare_default`] (off by default).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Appends `suffix` to the `User-Agent` (which always names this crate and version).
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent = Some(suffix.into());
        self
    }

    /// Builds the client: validates the base URL and credentials and creates the connection
    /// pool (rustls; one pool shared by every clone of the client).
    pub fn build(self) -> Result<Client> {
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        let url = reqwest::Url::parse(&base_url)
            .map_err(|e| Error::Config(format!("base URL {base_url:?} is not a URL: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" => {
                let loopback = match url.host() {
                    Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                    Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                    Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                    None => false,
                };
                if self.credentials.is_some() && !loopback {
                    return Err(Error::Config(format!(
                        "refusing to send credentials over plain http to {}: use https (plain \
                         http is allowed only for loopback hosts)",
                        url.host_str().unwrap_or("?")
                    )));
                }
            }
            other => {
                return Err(Error::Config(format!(
                    "base URL scheme must be https (or http to loopback), not {other:?}"
                )))
            }
        }
        let headers = match &self.credentials {
            Some(c) => c.headers()?,
            None => reqwest::header::HeaderMap::new(),
        };
        let user_agent = match &self.user_agent {
            Some(suffix) => format!("{USER_AGENT} {suffix}"),
            None => USER_AGENT.to_owned(),
        };
        // reqwest is built without a bundled crypto provider; use ring unless the application
        // installed one already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            .default_headers(headers)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            // An API client has no business following redirects; a redirect to another host
            // would otherwise carry the X-Auth-* headers along.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;
        let transport = Transport {
            retry: self.retry,
            limiter: self.rate_limit.map(|l| Arc::new(RateLimiter::new(l))),
        };
        let auth = match &self.credentials {
            None => "none",
            Some(Credentials::ApiToken(_)) => "api_token",
            Some(Credentials::ApiKey { .. }) => "api_key",
            Some(Credentials::UserServiceKey(_)) => "user_service_key",
        };
        Ok(Client {
            inner: Arc::new(Inner {
                generated: GeneratedClient::new_with_client(&base_url, http, transport),
                base_url,
                auth,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_with_credentials_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8787/client/v4",
            "http://localhost:1/x",
            "http://[::1]:9/",
            "https://api.cloudflare.com/client/v4",
        ] {
            Client::builder()
                .api_token("t")
                .base_url(ok)
                .build()
                .unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        let err = Client::builder()
            .api_token("SECRET")
            .base_url("http://api.example.com/client/v4")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("plain http"), "{err}");
        assert!(!err.to_string().contains("SECRET"));
        // Without credentials there is nothing to leak.
        Client::builder()
            .base_url("http://example.com")
            .build()
            .expect("no credentials");
        assert!(Client::builder().base_url("ftp://x").build().is_err());
        assert!(Client::builder().base_url("not a url").build().is_err());
    }

    #[test]
    fn from_env_needs_credentials_and_honours_base_url() {
        let err = ClientBuilder::from_lookup(|_| None).unwrap_err();
        assert!(err.to_string().contains("CLOUDFLARE_API_TOKEN"), "{err}");
        let client = ClientBuilder::from_lookup(|k| match k {
            "CLOUDFLARE_API_TOKEN" => Some("t".into()),
            "CLOUDFLARE_BASE_URL" => Some("http://127.0.0.1:9/client/v4/".into()),
            _ => None,
        })
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:9/client/v4");
    }

    #[test]
    fn debug_shows_no_secret() {
        let builder = Client::builder().api_token("tok-SECRET");
        assert!(!format!("{builder:?}").contains("SECRET"));
        let client = builder.build().unwrap();
        let debug = format!("{client:?}");
        assert!(
            debug.contains("api_token") && !debug.contains("SECRET"),
            "{debug}"
        );
    }
}
