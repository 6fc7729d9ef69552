//! The client: configuration, construction and the entry point to zones.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::Credentials;
use crate::error::{Error, Result};
use crate::generated::Client as GeneratedClient;
use crate::ratelimit::{RateLimit, RateLimiter};
use crate::retry::RetryPolicy;
use crate::transport::{Config, Transport};

/// Cloudflare's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";
/// Default total time for one attempt of a request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default time to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default deadline of a whole call: every attempt, and every wait between attempts.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);
/// Default limit on a response body, in bytes (Cloudflare's answers here are a few KiB; a
/// listing page of 50 packs is well under 1 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;
/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("cloudflare-ssl/", env!("CARGO_PKG_VERSION"), " (rust)");

/// A client for Cloudflare's SSL/TLS API. Cheap to clone (one `Arc`): clones share one
/// connection pool, rate limiter and configuration.
///
/// Building a client has no process-wide side effect: TLS (rustls with the *ring* provider and
/// the platform's certificate verifier) is configured for this client only, and no global
/// crypto provider is installed.
///
/// ```
/// use cloudflare_ssl::{Client, Credentials};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cloudflare_ssl::Result<()> {
/// # let mock = cloudflare_ssl_mock::MockServer::start().await;
/// let client = Client::builder()
///     .credentials(Credentials::api_token("my-token"))
/// #   .credentials(Credentials::api_token(mock.token())).base_url(mock.base_url())
///     .build()?;
/// let zone = client.zone("023e105f4ecef8ad9ca31a8372d0c353")?;
/// let quota = zone.certificate_packs().quota().await?;
/// println!("{quota:?}");
/// # assert_eq!(quota.advanced.and_then(|a| a.allocated), Some(10));
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
    /// Single-flight of `ensure` calls on this client.
    flights: crate::certificate_packs::flight::Flights,
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
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// let client = cloudflare_ssl::Client::builder()
    ///     .api_token(mock.token())
    ///     .base_url(mock.base_url())
    ///     .max_retries(3)
    ///     .build()?;
    /// assert_eq!(client.base_url(), mock.base_url());
    /// # Ok(()) }
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment, as Cloudflare's official SDKs read it:
    /// `CLOUDFLARE_API_TOKEN`, or `CLOUDFLARE_API_KEY` + `CLOUDFLARE_EMAIL`, or
    /// `CLOUDFLARE_API_USER_SERVICE_KEY`; and `CLOUDFLARE_BASE_URL` if set.
    /// Fails with [`Error::Config`] when no credentials are set.
    ///
    /// ```no_run
    /// // With CLOUDFLARE_API_TOKEN (and CLOUDFLARE_BASE_URL, if not the real API) set; tests use
    /// // `ClientBuilder::from_lookup` instead of changing the process environment.
    /// let client = cloudflare_ssl::Client::from_env()?;
    /// # Ok::<(), cloudflare_ssl::Error>(())
    /// ```
    pub fn from_env() -> Result<Self> {
        ClientBuilder::from_env()?.build()
    }

    /// The base URL requests go to.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// let client = cloudflare_ssl::Client::builder()
    ///     .api_token(mock.token())
    ///     .base_url(format!("{}/", mock.base_url()))
    ///     .build()?;
    /// assert_eq!(client.base_url(), mock.base_url()); // without the trailing slash
    /// let default = cloudflare_ssl::Client::builder().api_token("my-token").build()?;
    /// assert_eq!(default.base_url(), cloudflare_ssl::DEFAULT_BASE_URL);
    /// # Ok(()) }
    /// ```
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The generated low-level client, for power use: every operation, every parameter, with
    /// progenitor's builder interface. Its requests go through the same transport as the
    /// ergonomic layer's: credentials, path checks, rate limit, pacing, retries (idempotent
    /// operations only), the client's default timeout and deadline, the body limit and tracing.
    ///
    /// What it does **not** do:
    /// * no per-call options: [`Call::timeout`](crate::Call::timeout),
    ///   [`Call::deadline`](crate::Call::deadline) and [`RequestOptions`](crate::RequestOptions)
    ///   belong to the ergonomic layer's calls; here the client's defaults hold;
    /// * no [`ResponseMeta`](crate::ResponseMeta) (attempts, retry delays);
    /// * no envelope unwrapping: a `200` with `success: false` is an `Ok` for progenitor, and a
    ///   missing `result` stays `None`;
    /// * no mapping into this crate's [`Error`]: failures are progenitor's `Error`, without
    ///   Cloudflare's codes as [`ApiError`](crate::ApiError) gives them, and a failure the
    ///   transport decided itself (a body over the limit, a refused path, the deadline) is a
    ///   body-read error ([`ResponseBodyError`](progenitor_client::Error::ResponseBodyError))
    ///   whose source says which;
    /// * no "outcome unknown" or "accepted" ([`Error::is_outcome_unknown`]): an order whose
    ///   answer was lost looks like any other failure.
    ///
    /// Use it for a parameter the ergonomic layer does not expose; prefer
    /// [`Client::request`] for an endpoint outside the document.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// // Progenitor's builders; their errors are progenitor's, not this crate's `Error`.
    /// let response = client
    ///     .generated()
    ///     .get_certificate_pack_quota()
    ///     .zone_id(mock.zone_id())
    ///     .send()
    ///     .await
    ///     .expect("the quota");
    /// assert_eq!(response.status(), 200);
    /// assert!(response.into_inner().success);
    /// # Ok(()) }
    /// ```
    pub fn generated(&self) -> &GeneratedClient {
        &self.inner.generated
    }

    /// The rate-limit budget the server reported on the last answer (see
    /// [`ClientBuilder::pacing`]); `None` before any answer, when the server sends none, or
    /// when pacing is off.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// client.zone(mock.zone_id())?.certificate_packs().quota().await?;
    /// if let Some(budget) = client.server_budget() {
    ///     println!("{} requests left, reset in {:?}", budget.remaining, budget.reset);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn server_budget(&self) -> Option<crate::ServerBudget> {
        self.transport().pacer.as_ref().and_then(|p| p.last())
    }

    /// The single-flight registry of [`CertificatePacks::ensure`](crate::CertificatePacks::ensure).
    pub(crate) fn flights(&self) -> &crate::certificate_packs::flight::Flights {
        &self.inner.flights
    }

    /// The HTTP client requests go through.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.generated.client
    }

    /// The transport settings (retries, limits) requests go through.
    pub(crate) fn transport(&self) -> &Arc<Config> {
        &self.inner.generated.inner.config
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
    pacing: bool,
    user_agent: Option<String>,
    deadline: Duration,
    max_response_bytes: u64,
    http_client: Option<reqwest::Client>,
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
            .field("pacing", &self.pacing)
            .field("deadline", &self.deadline)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("http_client", &self.http_client.is_some())
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
            pacing: true,
            user_agent: None,
            deadline: DEFAULT_DEADLINE,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            http_client: None,
        }
    }
}

impl ClientBuilder {
    /// A builder filled from the process environment (see [`Client::from_env`]).
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// // CLOUDFLARE_API_TOKEN is set; adjust the rest before building:
    /// let client = cloudflare_ssl::ClientBuilder::from_env()?
    ///     .timeout(Duration::from_secs(10))
    ///     .build()?;
    /// # Ok::<(), cloudflare_ssl::Error>(())
    /// ```
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// A builder filled from `lookup` instead of the process environment (handy in tests).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::ClientBuilder;
    /// use std::collections::HashMap;
    /// let vars = HashMap::from([
    ///     ("CLOUDFLARE_API_TOKEN", mock.token().to_owned()),
    ///     ("CLOUDFLARE_BASE_URL", mock.base_url()),
    /// ]);
    /// let client = ClientBuilder::from_lookup(|name| vars.get(name).cloned())?.build()?;
    /// assert!(client.zone(mock.zone_id())?.universal_ssl().get().await.is_ok());
    /// // Nothing set: a configuration error naming the variables to set.
    /// let err = ClientBuilder::from_lookup(|_| None).unwrap_err();
    /// assert!(err.to_string().contains("CLOUDFLARE_API_TOKEN"));
    /// # Ok(()) }
    /// ```
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
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::{Client, Credentials};
    /// // The legacy Global API key: `X-Auth-Email` + `X-Auth-Key`.
    /// let client = Client::builder()
    ///     .credentials(Credentials::api_key(mock.api_email(), mock.api_key()))
    ///     .base_url(mock.base_url())
    ///     .build()?;
    /// let quota = client.zone(mock.zone_id())?.certificate_packs().quota().await?;
    /// assert!(quota.advanced.is_some());
    /// # Ok(()) }
    /// ```
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Shorthand for `credentials(Credentials::api_token(token))`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::Client;
    /// let client = Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// assert!(client.zone(mock.zone_id())?.universal_ssl().get().await.is_ok());
    /// // A wrong token: Cloudflare answers 403 with code 10000.
    /// let wrong = Client::builder().api_token("not-the-token").base_url(mock.base_url()).build()?;
    /// let err = wrong.zone(mock.zone_id())?.universal_ssl().get().await.unwrap_err();
    /// assert_eq!((err.status(), err.error_codes()), (Some(403), vec![10000]));
    /// # Ok(()) }
    /// ```
    pub fn api_token(self, token: impl Into<crate::Secret>) -> Self {
        self.credentials(Credentials::api_token(token))
    }

    /// The API base URL (default `https://api.cloudflare.com/client/v4`). Plain `http://` is
    /// only accepted for loopback hosts when credentials are set.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::Client;
    /// let client = Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// assert!(client.base_url().starts_with("http://127.0.0.1:"));
    /// // Credentials never travel over plain http, except to loopback:
    /// let err = Client::builder()
    ///     .api_token("my-token")
    ///     .base_url("http://api.example.com/client/v4")
    ///     .build()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("plain http"));
    /// # Ok(()) }
    /// ```
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Total time for one attempt of a request (default 60 s).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::{Client, Error};
    /// use std::time::Duration;
    /// mock.faults().latency(Duration::from_millis(500)); // every answer takes 0.5 s
    /// let client = Client::builder()
    ///     .api_token(mock.token())
    ///     .base_url(mock.base_url())
    ///     .timeout(Duration::from_millis(100))
    ///     .max_retries(0)
    ///     .build()?;
    /// let err = client.zone(mock.zone_id())?.universal_ssl().get().await.unwrap_err();
    /// assert!(matches!(err, Error::Timeout { .. }) && err.is_retryable());
    /// # Ok(()) }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Deadline of a whole call, every attempt and every wait between attempts included
    /// (default [`DEFAULT_DEADLINE`], 120 s). A `Retry-After` that would end past the deadline
    /// ends the call with the rate-limit error instead of sleeping. Per call:
    /// [`Call::deadline`](crate::Call::deadline).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::{Client, Error};
    /// use std::time::Duration;
    /// mock.faults().latency(Duration::from_secs(2));
    /// let client = Client::builder()
    ///     .api_token(mock.token())
    ///     .base_url(mock.base_url())
    ///     .deadline(Duration::from_millis(300)) // each call, retries and waits included
    ///     .build()?;
    /// let err = client.zone(mock.zone_id())?.universal_ssl().get().await.unwrap_err();
    /// assert!(matches!(err, Error::DeadlineExceeded { .. }));
    /// # Ok(()) }
    /// ```
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Largest response body read, in bytes (default [`DEFAULT_MAX_RESPONSE_BYTES`], 8 MiB).
    /// Enforced on `Content-Length` before reading and while streaming; a larger response is
    /// [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::{Client, Error};
    /// let client = Client::builder()
    ///     .api_token(mock.token())
    ///     .base_url(mock.base_url())
    ///     .max_response_bytes(64)
    ///     .build()?;
    /// let err = client.zone(mock.zone_id())?.certificate_packs().list().send().await.unwrap_err();
    /// assert!(matches!(err, Error::ResponseTooLarge { limit: 64, .. }));
    /// # Ok(()) }
    /// ```
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Sends requests through this `reqwest::Client` instead of one the crate builds: for a
    /// proxy, custom root certificates, a TLS backend or connection settings of your own.
    ///
    /// The crate still applies, per request: the credentials' headers, its `User-Agent` (sent
    /// instead of your client's; add yours with [`user_agent_suffix`](Self::user_agent_suffix)),
    /// the per-attempt timeout, the call deadline, retries, the rate
    /// limit, the response size limit, path checks and tracing. Redirect policy, proxies and
    /// TLS are your client's: configure it **not** to follow redirects to other hosts, as
    /// credentials travel in headers. [`connect_timeout`](Self::connect_timeout) does not
    /// apply (set it on your client).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// // Start from this crate's TLS settings (no global provider) and no redirects, add what
    /// // you need. (`reqwest::Client::new()` panics here: no crypto provider is installed.)
    /// let http = cloudflare_ssl::http_client_builder()?
    ///     .tcp_nodelay(true)
    ///     .build()
    ///     .expect("HTTP client");
    /// let client = cloudflare_ssl::Client::builder()
    ///     .api_token(mock.token())
    ///     .base_url(mock.base_url())
    ///     .http_client(http)
    ///     .build()?;
    /// let quota = client.zone(mock.zone_id())?.certificate_packs().quota().await?;
    /// # let _ = quota;
    /// # Ok(()) }
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Time to establish a connection (default 5 s).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// use cloudflare_ssl::{Client, Error};
    /// use std::time::Duration;
    /// # let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    /// // Nothing listens on `port`:
    /// let client = Client::builder()
    ///     .api_token("my-token")
    ///     .base_url(format!("http://127.0.0.1:{port}/client/v4"))
    ///     .connect_timeout(Duration::from_secs(2))
    ///     .max_retries(0)
    ///     .build()?;
    /// let err = client.zone("023e105f4ecef8ad9ca31a8372d0c353")?.universal_ssl().get().await.unwrap_err();
    /// assert!(matches!(err, Error::Connect { .. })); // never sent: safe to retry
    /// # Ok(()) }
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How failed requests are retried (default: 2 retries, see [`RetryPolicy`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::{Client, RetryPolicy};
    /// use cloudflare_ssl_mock::Fault;
    /// use std::time::Duration;
    /// mock.faults().next(2, Fault::ServerError { status: 503 }); // two 503s, then answers
    /// let client = Client::builder()
    ///     .api_token(mock.token())
    ///     .base_url(mock.base_url())
    ///     .retry(RetryPolicy::default().max_retries(3).initial_delay(Duration::from_millis(10)))
    ///     .build()?;
    /// let full = client.zone(mock.zone_id())?.universal_ssl().get().with_response().await?;
    /// assert_eq!(full.meta.attempts, 3);
    /// # Ok(()) }
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Shorthand for the number of retries (0 disables retrying).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::Client;
    /// use cloudflare_ssl_mock::Fault;
    /// mock.faults().next(1, Fault::ServerError { status: 503 });
    /// let client = Client::builder()
    ///     .api_token(mock.token())
    ///     .base_url(mock.base_url())
    ///     .max_retries(0)
    ///     .build()?;
    /// let err = client.zone(mock.zone_id())?.universal_ssl().get().await.unwrap_err();
    /// assert_eq!(err.status(), Some(503));
    /// # Ok(()) }
    /// ```
    pub fn max_retries(mut self, n: u32) -> Self {
        self.retry = self.retry.max_retries(n);
        self
    }

    /// Limit requests client-side, e.g. [`RateLimit::cloudflare_default`] (off by default).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::{Client, RateLimit};
    /// use std::time::{Duration, Instant};
    /// let client = Client::builder()
    ///     .api_token(mock.token())
    ///     .base_url(mock.base_url())
    ///     .rate_limit(RateLimit::new(2, Duration::from_millis(300))) // or RateLimit::cloudflare_default()
    ///     .build()?;
    /// let universal = client.zone(mock.zone_id())?.universal_ssl();
    /// let start = Instant::now();
    /// for _ in 0..3 {
    ///     universal.get().await?;
    /// }
    /// assert!(start.elapsed() >= Duration::from_millis(300)); // the third call waited its turn
    /// # Ok(()) }
    /// ```
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Server-advised pacing (on by default): the budget the server reports on every answer
    /// (`Ratelimit`/`Ratelimit-Policy`, or `X-RateLimit-*`) paces requests before it runs
    /// out, so several processes sharing one token stay under Cloudflare's limit without a
    /// coordinator. Requests go at once while more than half of the window's quota is left;
    /// below that, the rest (less a 5% reserve) is spread evenly until the reset; at the
    /// reserve, requests wait for the reset (never past a call's deadline). Works with
    /// [`rate_limit`](Self::rate_limit), which caps this client alone.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// let client = cloudflare_ssl::Client::builder()
    ///     .api_token(mock.token())
    ///     .base_url(mock.base_url())
    ///     .pacing(true) // the default; `false` only reacts to 429s
    ///     .build()?;
    /// client.zone(mock.zone_id())?.universal_ssl().get().await?;
    /// let budget = client.server_budget().expect("the mock reports its budget");
    /// assert_eq!((budget.remaining, budget.quota), (1199, Some(1200)));
    /// # Ok(()) }
    /// ```
    pub fn pacing(mut self, on: bool) -> Self {
        self.pacing = on;
        self
    }

    /// Appends `suffix` to the `User-Agent` (which always names this crate and version).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::{Client, USER_AGENT};
    /// // Sends `User-Agent: cloudflare-ssl/<version> (rust) cert-bot/1.2`.
    /// let client = Client::builder()
    ///     .api_token(mock.token())
    ///     .base_url(mock.base_url())
    ///     .user_agent_suffix("cert-bot/1.2")
    ///     .build()?;
    /// assert!(USER_AGENT.starts_with("cloudflare-ssl/"));
    /// assert!(client.zone(mock.zone_id())?.universal_ssl().get().await.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent = Some(suffix.into());
        self
    }

    /// Builds the client: validates the base URL and credentials and creates the connection
    /// pool (rustls; one pool shared by every clone of the client).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// use cloudflare_ssl::{Client, Error};
    /// let client = Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// assert_eq!(client.base_url(), mock.base_url());
    /// // Checked here: the URL and its scheme, and the credentials' characters.
    /// assert!(matches!(Client::builder().base_url("ftp://example.com").build(), Err(Error::Config(_))));
    /// let err = Client::builder().api_token("two words").build().unwrap_err();
    /// assert!(matches!(err, Error::InvalidInput(_)));
    /// # Ok(()) }
    /// ```
    pub fn build(self) -> Result<Client> {
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        let url = reqwest::Url::parse(&base_url).map_err(|e| {
            let shown = redact_userinfo(&base_url);
            Error::Config(format!("base URL {shown:?} is not a URL: {e}"))
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            // Never echoed: the password would land in `Debug`, `base_url()` and error text.
            return Err(Error::Config(format!(
                "base URL {:?} carries a user name or password (`user:password@`): remove it; \
                 Cloudflare credentials are set with api_token, api_key or user_service_key",
                redact_userinfo(&base_url)
            )));
        }
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
        let user_agent = match &self.user_agent {
            Some(suffix) => format!("{USER_AGENT} {suffix}"),
            None => USER_AGENT.to_owned(),
        };
        let credentials = match &self.credentials {
            Some(c) => c.headers()?,
            None => reqwest::header::HeaderMap::new(),
        };
        let client_timeout = self.http_client.is_none().then_some(self.timeout);
        let (http, per_request_headers) = match self.http_client {
            // The caller's client: credentials and User-Agent go on each request.
            Some(http) => {
                let mut headers = credentials;
                if let Ok(value) = reqwest::header::HeaderValue::from_str(&user_agent) {
                    headers.insert(reqwest::header::USER_AGENT, value);
                }
                (http, headers)
            }
            None => {
                // This crate's TLS for this client only (no process-wide provider) and no
                // redirects: a redirect to another host would carry the credentials along.
                let http = crate::tls::http_client_builder()?
                    .user_agent(user_agent)
                    .default_headers(credentials)
                    .timeout(self.timeout)
                    .connect_timeout(self.connect_timeout)
                    .build()
                    .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;
                (http, reqwest::header::HeaderMap::new())
            }
        };
        let config = Config {
            retry: self.retry,
            limiter: self.rate_limit.map(RateLimiter::new),
            pacer: self.pacing.then(crate::pacing::Pacer::default),
            max_body: self.max_response_bytes,
            deadline: self.deadline,
            base_path: url.path().trim_end_matches('/').to_owned(),
            timeout: self.timeout,
            client_timeout,
            headers: per_request_headers,
        };
        let transport = Transport {
            config: Arc::new(config),
            call: None,
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
                flights: Default::default(),
            }),
        })
    }
}

/// `url` with anything between `://` and an `@` before the first `/` replaced by `***`.
fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
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
