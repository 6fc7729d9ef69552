//! Schema-accurate, ergonomic access to Cloudflare's SSL/TLS API: certificate packs (list, get,
//! order, edit, delete, quota), certificate analysis, the SSL/TLS Recommender, Automatic SSL/TLS,
//! Universal SSL settings and SSL verification.
//!
//! ```no_run
//! use cloudflare_ssl::{Client, OrderRequest, WaitOptions};
//! use cloudflare_ssl::types::{CertificateAuthority, CertificatePackValidationMethod, ValidityDays};
//!
//! # async fn demo() -> cloudflare_ssl::Result<()> {
//! let client = Client::from_env()?; // CLOUDFLARE_API_TOKEN, ...
//! let zone = client.zone("023e105f4ecef8ad9ca31a8372d0c353")?;
//! let pack = zone
//!     .certificate_packs()
//!     .order(OrderRequest::new(
//!         ["example.com", "*.example.com"],
//!         CertificateAuthority::LetsEncrypt,
//!         CertificatePackValidationMethod::Txt,
//!         ValidityDays::Days90,
//!     ))
//!     .await?;
//! for record in &pack.validation_records {
//!     println!("TXT {:?} = {:?}", record.txt_name, record.txt_value);
//! }
//! let active = zone
//!     .certificate_packs()
//!     .wait_until_active(&pack.id, WaitOptions::default())
//!     .await?;
//! println!("{} is {}", active.id, active.status);
//! # Ok(()) }
//! ```
//!
//! How it fits together: the curated OpenAPI document `openapi/cloudflare-ssl.yaml` is turned
//! into [`generated`] (client, [`types`], open enums) at build time; the handwritten modules
//! add credentials ([`Credentials`]), one [`Error`] type, retries ([`RetryPolicy`]), rate
//! limiting ([`RateLimit`]), zone-scoped handles ([`Zone`]), pagination streams and polling.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
mod call;
mod client;
mod error;
pub mod generated;
mod pagination;
mod polling;
mod ratelimit;
mod resources;
mod retry;
mod transport;

pub use auth::{Credentials, Secret};
pub use call::{ApiResponse, Call};
pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, USER_AGENT,
};
pub use error::{ApiError, ApiMessage, Error, InputError, Result};
pub use generated::{Operation, UnknownOperation};
pub use pagination::{ListCertificatePacks, Page, DEFAULT_PER_PAGE, PER_PAGE_RANGE};
pub use polling::{is_terminal_failure, StatusChange, WaitOptions};
pub use ratelimit::RateLimit;
pub use resources::{
    AutomaticSsl, CertificatePacks, IntoIdentifier, OrderCall, OrderRequest, UniversalSsl,
    Verification, Zone, MAX_HOSTS,
};
pub use retry::{is_retryable_status, retry_after, RetryPolicy};
pub use transport::{RequestOptions, ResponseMeta, Transport};

/// Every request and response type of the API, generated from the curated OpenAPI document.
///
/// Enums that appear in responses are *open* (see [`generated::open`]): unknown values decode
/// into `Unknown(..)` instead of failing.
pub mod types {
    pub use crate::generated::open::*;
    pub use crate::generated::types::*;
}

/// The curated OpenAPI document this crate is generated from, as JSON.
pub const OPENAPI_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/cloudflare-ssl.json"));

/// The README's examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
