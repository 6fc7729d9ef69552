//! The operations of the API (every operation of the curated document): the crate's generated [`Operation`] enum, one identity for the
//! client, the transport and the mock.

pub use cloudflare_ssl::{Operation, UnknownOperation};
