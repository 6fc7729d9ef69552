//! The crate's one error type.

use std::fmt;
use std::time::Duration;

use crate::types;

/// Anything that can go wrong calling the API.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cloudflare_ssl::Result<()> {
/// # let mock = cloudflare_ssl_mock::MockServer::start().await;
/// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
/// # let zone = client.zone(mock.zone_id())?;
/// match zone.certificate_packs().get("0123456789abcdef0123456789abcdef").await {
///     Ok(pack) => println!("{}", pack.status),
///     Err(e) if e.is_not_found() => println!("no such pack"),
///     Err(e) if e.is_rate_limited() => println!("slow down (cf-ray {:?})", e.cf_ray()),
///     Err(e) => println!("failed: {e} (codes {:?})", e.error_codes()),
/// }
/// # assert!(zone.certificate_packs().get("0123456789abcdef0123456789abcdef").await.unwrap_err().is_not_found());
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Cloudflare answered with its failure envelope (`success: false`, `errors` set), with
    /// any HTTP status including 200.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The response was not Cloudflare's JSON envelope (an HTML error page from a proxy, an
    /// empty body, a redirect...).
    #[error("unexpected HTTP {status} response from {operation}{}: {excerpt:?}", ray(.cf_ray))]
    UnexpectedResponse {
        /// The operation called.
        operation: &'static str,
        /// HTTP status.
        status: u16,
        /// The `Content-Type` header, if any.
        content_type: Option<String>,
        /// The start of the body (at most 200 characters, whitespace collapsed).
        excerpt: String,
        /// The `cf-ray` header, if any.
        cf_ray: Option<String>,
    },
    /// A success response whose JSON does not fit the documented type.
    #[error("could not decode the {operation} response (HTTP {status}) at `{path}`: {message}")]
    Decode {
        /// The operation called.
        operation: &'static str,
        /// HTTP status.
        status: u16,
        /// JSON path of the offending value, e.g. `result[3].status`.
        path: String,
        /// What serde reported.
        message: String,
    },
    /// The request (or reading its response) took longer than the timeout.
    #[error("{operation} timed out: {}", causes(source))]
    Timeout {
        /// The operation called.
        operation: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// No connection could be made (DNS, refused, TLS handshake): the request was never sent.
    #[error("{operation}: could not connect: {}", causes(source))]
    Connect {
        /// The operation called.
        operation: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// Any other transport failure, e.g. the connection dropped mid-response.
    #[error("{operation}: HTTP transport error: {}", causes(source))]
    Transport {
        /// The operation called.
        operation: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The response body was larger than the client's limit
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)); it was
    /// not read past the limit. For a request that is not idempotent (an order), a 2xx too large
    /// to read is reported as [`Error::Accepted`], with this error as its cause: the server acted
    /// on it. (Error answers of the document's operations are cut at
    /// [`ERROR_BODY_PARSE_LIMIT`](crate::ERROR_BODY_PARSE_LIMIT) instead, and quoted.)
    #[error("the {operation} response (HTTP {status}) is larger than the limit of {limit} bytes{}{}", declared.map(|d| format!(" (Content-Length {d})")).unwrap_or_default(), ray(.cf_ray))]
    ResponseTooLarge {
        /// The operation called.
        operation: &'static str,
        /// HTTP status.
        status: u16,
        /// The limit, in bytes.
        limit: u64,
        /// The `Content-Length` the server declared, if any.
        declared: Option<u64>,
        /// The `cf-ray` header, if any.
        cf_ray: Option<String>,
    },
    /// The call's deadline (every attempt and wait together) passed. See
    /// [`ClientBuilder::deadline`](crate::ClientBuilder::deadline) and
    /// [`Call::deadline`](crate::Call::deadline).
    #[error("{operation} did not finish within its deadline of {deadline:?}")]
    DeadlineExceeded {
        /// The operation called.
        operation: &'static str,
        /// The deadline that passed.
        deadline: Duration,
    },
    /// A request that is not idempotent (a certificate pack order) may have reached the server,
    /// and then the call failed (timeout, dropped connection, deadline, a 5xx or 408 answer):
    /// **whether it took effect is unknown**. Do not resend it blindly: look first (for an order,
    /// [`CertificatePacks::find_order`](crate::CertificatePacks::find_order) or
    /// [`CertificatePacks::ensure`](crate::CertificatePacks::ensure)).
    #[error(
        "{operation}: the outcome is unknown (the request may have reached the server): {source}"
    )]
    OutcomeUnknown {
        /// The operation called.
        operation: &'static str,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
    /// The server **accepted** a request that is not idempotent (a 2xx to a certificate pack
    /// order) but its answer could not be read. The resource probably exists: do not resend.
    /// [`AcceptedResponse::resource_id`] holds the new pack's id when it could be read.
    #[error("{0}")]
    Accepted(Box<AcceptedResponse>),
    /// A listing stream stopped because the server's pagination cannot be trusted: it answered
    /// for another page than the one asked for, repeated a page, sent a `total_pages` that
    /// `total_count` and `per_page` do not explain, or the stream passed its page cap
    /// ([`ListCertificatePacks::max_pages`](crate::ListCertificatePacks::max_pages)). Every
    /// page before it was yielded.
    #[error("listing stopped: {problem}")]
    Pagination {
        /// What was wrong.
        problem: String,
    },
    /// Input rejected before anything was sent.
    #[error("invalid input: {0}")]
    InvalidInput(InputError),
    /// The client could not be configured (missing credentials, bad base URL, ...).
    #[error("configuration error: {0}")]
    Config(String),
    /// A certificate pack being waited on reached a status it cannot recover from.
    #[error("certificate pack {pack_id} reached status `{status}` while waiting")]
    PackFailed {
        /// The pack waited on.
        pack_id: String,
        /// The terminal status it reached.
        status: types::CertificatePackStatus,
    },
    /// The deadline passed while waiting on a certificate pack.
    #[error("gave up waiting for certificate pack {pack_id} after {waited:?} (last status `{last_status}`)")]
    WaitTimeout {
        /// The pack waited on.
        pack_id: String,
        /// Its last observed status.
        last_status: types::CertificatePackStatus,
        /// How long the wait lasted.
        waited: Duration,
    },
}

fn ray(cf_ray: &Option<String>) -> String {
    cf_ray
        .as_ref()
        .map(|r| format!(" (cf-ray {r})"))
        .unwrap_or_default()
}

/// A 2xx answer to a request that is not idempotent whose body could not be decoded (see
/// [`Error::Accepted`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct AcceptedResponse {
    /// The operation called.
    pub operation: &'static str,
    /// HTTP status (2xx).
    pub status: u16,
    /// The `cf-ray` header, for Cloudflare support.
    pub cf_ray: Option<String>,
    /// The body as received (lossy UTF-8), at most
    /// [`ACCEPTED_BODY_LIMIT`](crate::ACCEPTED_BODY_LIMIT) bytes; empty when the body was over
    /// the client's response limit (the cause is then [`Error::ResponseTooLarge`]).
    pub body: String,
    /// Whether `body` was cut at the limit.
    pub body_truncated: bool,
    /// `result.id`, when it could be read: the id of what the server created.
    pub resource_id: Option<String>,
    /// Why the body could not be used (a decode error with its JSON path, or a missing `result`).
    pub cause: Error,
}

impl fmt::Display for AcceptedResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} was accepted (HTTP {}) but its response could not be read",
            self.operation, self.status
        )?;
        match &self.resource_id {
            Some(id) => write!(f, "; the new resource is {id:?}")?,
            None => f.write_str("; the new resource's id could not be read")?,
        }
        write!(
            f,
            "{}: {}. Do not resend it; look it up instead",
            ray(&self.cf_ray),
            self.cause
        )
    }
}

/// One entry of the envelope's `errors` or `messages`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiMessage {
    /// Cloudflare's error code (these exceed 65,535 in practice); `None` when the server sent
    /// none (some informational messages), never a made-up number.
    pub code: Option<i64>,
    /// Human-readable message.
    pub message: String,
    /// Link to documentation, if given.
    pub documentation_url: Option<String>,
    /// JSON pointer to the part of the request at fault, if given.
    pub pointer: Option<String>,
}

impl From<&types::ResponseInfo> for ApiMessage {
    fn from(r: &types::ResponseInfo) -> Self {
        Self {
            code: r.code,
            message: r.message.clone(),
            documentation_url: r.documentation_url.clone(),
            pointer: r.source.as_ref().and_then(|s| s.pointer.clone()),
        }
    }
}

/// A failure reported by Cloudflare in its envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The operation called.
    pub operation: &'static str,
    /// HTTP status (200 when the envelope said `success: false` inside a 200).
    pub status: u16,
    /// Every entry of `errors`.
    pub errors: Vec<ApiMessage>,
    /// Every entry of `messages`.
    pub messages: Vec<ApiMessage>,
    /// The `cf-ray` header, for Cloudflare support.
    pub cf_ray: Option<String>,
    /// Seconds the server asked to wait (`Retry-After`), if any.
    pub retry_after: Option<Duration>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Cloudflare API error on {} (HTTP {})",
            self.operation, self.status
        )?;
        for (i, e) in self.errors.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            if let Some(code) = e.code {
                write!(f, "[{code}] ")?;
            }
            f.write_str(&e.message)?;
            if let Some(p) = &e.pointer {
                write!(f, " (at {p})")?;
            }
        }
        if self.errors.is_empty() {
            f.write_str(": no error detail given")?;
        }
        if let Some(r) = &self.cf_ray {
            write!(f, " (cf-ray {r})")?;
        }
        Ok(())
    }
}

/// Input that was rejected before sending: which field, what value, which limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// The field at fault, e.g. `hosts[2]` or `per_page`.
    pub field: String,
    /// The rejected value (omitted for secrets).
    pub value: Option<String>,
    /// What is wrong, including the limit.
    pub problem: String,
}

impl InputError {
    /// A new input error.
    ///
    /// ```
    /// use cloudflare_ssl::InputError;
    /// let e = InputError::new("hosts[0]", Some(" example.com".into()), "must not have leading whitespace");
    /// assert_eq!(e.to_string(), "`hosts[0]` = \" example.com\": must not have leading whitespace");
    /// ```
    pub fn new(
        field: impl Into<String>,
        value: Option<String>,
        problem: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            value,
            problem: problem.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.field)?;
        if let Some(v) = &self.value {
            write!(f, " = {v:?}")?;
        }
        write!(f, ": {}", self.problem)
    }
}

impl Error {
    pub(crate) fn input(
        field: impl Into<String>,
        value: Option<String>,
        problem: impl Into<String>,
    ) -> Self {
        Self::InvalidInput(InputError::new(field, value.map(|v| truncate(&v)), problem))
    }

    /// Wraps `error` as [`Error::OutcomeUnknown`].
    pub(crate) fn outcome_unknown(operation: &'static str, error: Error) -> Self {
        Self::OutcomeUnknown {
            operation,
            source: Box::new(error),
        }
    }

    /// The HTTP status, when a response was received.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// let err = packs.get("0123456789abcdef0123456789abcdef").await.unwrap_err();
    /// assert_eq!(err.status(), Some(404));
    /// // Refused before sending: no response, no status.
    /// let err = packs.get("../etc").await.unwrap_err();
    /// assert_eq!(err.status(), None);
    /// # Ok(()) }
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(e) => Some(e.status),
            Self::UnexpectedResponse { status, .. }
            | Self::Decode { status, .. }
            | Self::ResponseTooLarge { status, .. } => Some(*status),
            Self::Accepted(a) => Some(a.status),
            Self::OutcomeUnknown { source, .. } => source.status(),
            Self::Transport { source, .. } => source.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// The `cf-ray` header of the response, when there was one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// let err = packs.get("0123456789abcdef0123456789abcdef").await.unwrap_err();
    /// eprintln!("{err}; tell Cloudflare support cf-ray {}", err.cf_ray().unwrap_or("(none)"));
    /// assert!(err.cf_ray().is_some());
    /// # Ok(()) }
    /// ```
    pub fn cf_ray(&self) -> Option<&str> {
        match self {
            Self::Api(e) => e.cf_ray.as_deref(),
            Self::UnexpectedResponse { cf_ray, .. } | Self::ResponseTooLarge { cf_ray, .. } => {
                cf_ray.as_deref()
            }
            Self::Accepted(a) => a.cf_ray.as_deref(),
            Self::OutcomeUnknown { source, .. } => source.cf_ray(),
            _ => None,
        }
    }

    /// Whether a request that is not idempotent may have taken effect although the call failed
    /// ([`Error::OutcomeUnknown`] or [`Error::Accepted`]): look before resending.
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
    /// // Cloudflare takes the order, then the connection drops before the answer:
    /// mock.faults().on(Operation::OrderCertificatePack).after_handling().next(1, Fault::DropConnection);
    /// let err = packs.order(order.clone()).await.unwrap_err();
    /// assert!(err.is_outcome_unknown() && !err.is_retryable());
    /// // Look before ordering again (`ensure` does both):
    /// let placed = packs.find_order(&order).await?;
    /// assert!(placed.is_some());
    /// # Ok(()) }
    /// ```
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Self::OutcomeUnknown { .. } | Self::Accepted(_))
    }

    /// Whether the resource (zone, certificate pack) does not exist.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// assert!(packs.get("0123456789abcdef0123456789abcdef").await.unwrap_err().is_not_found());
    /// // An unknown zone too:
    /// let elsewhere = client.zone("ffffffffffffffffffffffffffffffff")?;
    /// assert!(elsewhere.universal_ssl().get().await.unwrap_err().is_not_found());
    /// # Ok(()) }
    /// ```
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether the request was rejected by rate limiting (HTTP 429).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let zone = client.zone(mock.zone_id())?;
    /// use cloudflare_ssl::RetryPolicy;
    /// use cloudflare_ssl_mock::Fault;
    /// use std::time::Duration;
    /// mock.faults().next(1, Fault::RateLimited { retry_after_secs: Some(30) });
    /// let err = zone.universal_ssl().get().retry(RetryPolicy::none()).await.unwrap_err();
    /// assert!(err.is_rate_limited() && err.is_retryable());
    /// assert_eq!(err.api_error().and_then(|e| e.retry_after), Some(Duration::from_secs(30)));
    /// # Ok(()) }
    /// ```
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(429)
    }

    /// How long the server asked to wait before trying again (`Retry-After`, or
    /// `retry-after-ms`), when it answered with a Cloudflare failure envelope that said so.
    /// Also reached through [`Error::OutcomeUnknown`]'s cause.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url())
    /// #     .retry(cloudflare_ssl::RetryPolicy::none()).build()?;
    /// use cloudflare_ssl_mock::Fault;
    /// use std::time::Duration;
    /// mock.faults().next(1, Fault::RateLimited { retry_after_secs: Some(30) });
    /// let err = client.zone(mock.zone_id())?.universal_ssl().get().await.unwrap_err();
    /// assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    /// # Ok(()) }
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api(e) => e.retry_after,
            Self::OutcomeUnknown { source, .. } => source.retry_after(),
            _ => None,
        }
    }

    /// Whether sending the same request again later may succeed without harm: 408, 409, 429,
    /// 5xx, timeouts, deadlines, connection and transport failures. Never for
    /// [`Error::OutcomeUnknown`] and [`Error::Accepted`] (a resent order could create a second
    /// pack), nor for a response over the size limit.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let zone = client.zone(mock.zone_id())?;
    /// use cloudflare_ssl::RetryPolicy;
    /// use cloudflare_ssl_mock::Fault;
    /// mock.faults().next(1, Fault::ServerError { status: 502 });
    /// let err = zone.universal_ssl().get().retry(RetryPolicy::none()).await.unwrap_err();
    /// assert!(err.is_retryable()); // may work later
    /// let err = zone.certificate_packs().get("0123456789abcdef0123456789abcdef").await.unwrap_err();
    /// assert!(!err.is_retryable()); // a 404 stays a 404
    /// # Ok(()) }
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::OutcomeUnknown { .. } | Self::Accepted(_) | Self::ResponseTooLarge { .. } => {
                false
            }
            Self::Timeout { .. }
            | Self::Connect { .. }
            | Self::Transport { .. }
            | Self::DeadlineExceeded { .. } => true,
            _ => self.status().is_some_and(crate::retry::is_retryable_status),
        }
    }

    /// Cloudflare's error codes from the envelope's `errors` (empty for other errors).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// let err = packs.get("0123456789abcdef0123456789abcdef").await.unwrap_err();
    /// assert_eq!(err.error_codes(), [1404]);
    /// // Not Cloudflare's failure envelope: no codes.
    /// assert!(packs.get("../etc").await.unwrap_err().error_codes().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn error_codes(&self) -> Vec<i64> {
        match self {
            Self::Api(e) => e.errors.iter().filter_map(|m| m.code).collect(),
            _ => Vec::new(),
        }
    }

    /// The accepted-but-unreadable answer, for [`Error::Accepted`] (its
    /// [`resource_id`](AcceptedResponse::resource_id) is the new pack's id when it could be read).
    pub fn accepted(&self) -> Option<&AcceptedResponse> {
        match self {
            Self::Accepted(a) => Some(a),
            _ => None,
        }
    }

    /// The API error details, for [`Error::Api`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// # let packs = client.zone(mock.zone_id())?.certificate_packs();
    /// let err = packs.get("0123456789abcdef0123456789abcdef").await.unwrap_err();
    /// let api = err.api_error().expect("Cloudflare's failure envelope");
    /// assert_eq!((api.operation, api.status), ("get_certificate_pack", 404));
    /// let first = &api.errors[0];
    /// assert_eq!(first.pointer.as_deref(), Some("/certificate_pack_id"));
    /// println!("[{:?}] {}", first.code, first.message);
    /// # Ok(()) }
    /// ```
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }
}

/// At most this many characters of a rejected value are quoted in an error.
const QUOTE_LIMIT: usize = 64;

/// `value` cut to [`QUOTE_LIMIT`] characters, with `…` when cut: error messages built from
/// input or server data stay short.
pub(crate) fn truncate(value: &str) -> String {
    match value.char_indices().nth(QUOTE_LIMIT) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its causes, outermost first, each said once: reqwest's own message
/// ("error sending request for url ...") hides the cause a user needs ("Connection refused",
/// "dns error", "invalid peer certificate") in its `source()` chain.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut next = error.source();
    let mut depth = 0;
    while let Some(cause) = next {
        let text = cause.to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
        depth += 1;
        if depth == 8 {
            break;
        }
    }
    out
}
