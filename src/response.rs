//! What a call gives back: the unwrapped `result` with its envelope ([`ApiResponse`]), the HTTP
//! metadata ([`ResponseMeta`]) and a raw request's answer as received ([`RawResponse`]).

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName};
use std::time::Duration;

use crate::types;

const CF_RAY: HeaderName = HeaderName::from_static("cf-ray");

/// A call's `result` together with the rest of the envelope and the HTTP metadata.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ApiResponse<T> {
    /// The unwrapped `result`.
    pub result: T,
    /// The envelope's `messages` (informational).
    pub messages: Vec<crate::ApiMessage>,
    /// The envelope's `errors` (normally empty on success).
    pub errors: Vec<crate::ApiMessage>,
    /// Pagination information, on lists.
    pub result_info: Option<types::ResultInfo>,
    /// HTTP status, headers and attempts.
    pub meta: ResponseMeta,
}

impl<T> ApiResponse<T> {
    /// The `cf-ray` header, as [`ResponseMeta::cf_ray`].
    pub fn cf_ray(&self) -> Option<&str> {
        self.meta.cf_ray()
    }
}

/// HTTP metadata of the final response of a call.
#[derive(Clone, Debug, Default)]
pub struct ResponseMeta {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Attempts made (1 when the first succeeded).
    pub attempts: u32,
    /// The delay slept before each retry, in order.
    pub retry_delays: Vec<Duration>,
}

impl ResponseMeta {
    /// The `cf-ray` header: quote it to Cloudflare support.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cloudflare_ssl::Result<()> {
    /// # let mock = cloudflare_ssl_mock::MockServer::start().await;
    /// # let client = cloudflare_ssl::Client::builder().api_token(mock.token()).base_url(mock.base_url()).build()?;
    /// let page = client.zone(mock.zone_id())?.certificate_packs().list().send().await?;
    /// assert!(page.meta.cf_ray().is_some());
    /// let full = client.zone(mock.zone_id())?.certificate_packs().quota().with_response().await?;
    /// let ray = full.cf_ray().expect("Cloudflare sends a cf-ray");
    /// println!("quote cf-ray {ray} to Cloudflare support");
    /// # assert!(!ray.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn cf_ray(&self) -> Option<&str> {
        self.headers.get(CF_RAY).and_then(|v| v.to_str().ok())
    }
}

/// A raw response: status, headers and body as received (bounded by the client's limit).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// Attempts and retry delays (the status and headers again).
    pub meta: ResponseMeta,
}
