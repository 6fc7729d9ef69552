//! The 14 operations of the API: the crate's generated [`Operation`] enum, one identity for the
//! client, the transport and the mock.

pub use cloudflare_ssl::{Operation, UnknownOperation};
