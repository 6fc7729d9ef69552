//! The fuzz targets' bodies, shared with the root crate's `tests/fuzz_regressions.rs` (which
//! includes these files by path) so that seeds and every input that ever crashed run as ordinary
//! tests on stable Rust.

pub mod client_response;
pub mod decode_responses;
pub mod path_ids;
pub mod public_helpers;
