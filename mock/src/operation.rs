//! The operations of the API (the seed's 14 and `GET /zones`): the crate's generated [`Operation`] enum, one identity for the
//! client, the transport and the mock.

pub use cloudflare_ssl::{Operation, UnknownOperation};
