//! The crate's one error type.

use std::fmt;
use std::time::Duration;

use crate::types;

/// Anything that can go wrong calling the API.
///
/// ```
/// # async fn demo(zone: cloudflare_ssl::Zone) {
/// match zone.certificate_packs().get("0123456789abcdef0123456789abcdef").await {
///     Ok(pack) => println!("{}", pack.status),
///     Err(e) if e.is_not_found() => println!("no such pack"),
///     Err(e) if e.is_rate_limited() => println!("slow down (cf-ray {:?})", e.cf_ray()),
///     Err(e) => println!("failed: {e} (codes {:?})", e.error_codes()),
/// }
/// # }
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
    #[error("{operation} timed out: {source}")]
    Timeout {
        /// The operation called.
        operation: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// No connection could be made (DNS, refused, TLS handshake): the request was never sent.
    #[error("{operation}: could not connect: {source}")]
    Connect {
        /// The operation called.
        operation: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// Any other transport failure, e.g. the connection dropped mid-response.
    #[error("{operation}: HTTP transport error: {source}")]
    Transport {
        /// The operation called.
        operation: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
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

/// One entry of the envelope's `errors` or `messages`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiMessage {
    /// Cloudflare's error code (these exceed 65,535 in practice).
    pub code: i64,
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
            write!(f, "[{}] {}", e.code, e.message)?;
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
        Self::InvalidInput(InputError::new(field, value, problem))
    }

    /// The HTTP status, when a response was received.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(e) => Some(e.status),
            Self::UnexpectedResponse { status, .. } | Self::Decode { status, .. } => Some(*status),
            Self::Transport { source, .. } => source.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// The `cf-ray` header of the response, when there was one.
    pub fn cf_ray(&self) -> Option<&str> {
        match self {
            Self::Api(e) => e.cf_ray.as_deref(),
            Self::UnexpectedResponse { cf_ray, .. } => cf_ray.as_deref(),
            _ => None,
        }
    }

    /// Whether the resource (zone, certificate pack) does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether the request was rejected by rate limiting (HTTP 429).
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(429)
    }

    /// Whether trying again later may succeed: 408, 409, 429, 5xx, timeouts and connection or
    /// transport failures.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Connect { .. } | Self::Transport { .. } => true,
            _ => self.status().is_some_and(crate::retry::is_retryable_status),
        }
    }

    /// Cloudflare's error codes from the envelope's `errors` (empty for other errors).
    pub fn error_codes(&self) -> Vec<i64> {
        match self {
            Self::Api(e) => e.errors.iter().map(|m| m.code).collect(),
            _ => Vec::new(),
        }
    }

    /// The API error details, for [`Error::Api`].
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
