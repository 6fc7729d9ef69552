//! Cloudflare SSL/TLS API client.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod generated;

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
