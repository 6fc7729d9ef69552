//! Code generated at build time from `openapi/cloudflare-ssl.yaml` by progenitor (via
//! `openapi/codegen.rs`). Nothing here is edited by hand; run `cargo xtask generate` to refresh the
//! reviewed copy.
#![allow(missing_docs, clippy::all, clippy::pedantic, unused_imports, dead_code)]

include!(concat!(env!("OUT_DIR"), "/codegen.rs"));

// The handwritten half of `Operation` (the generated file invokes `crate::operation::operations!`).
pub use crate::operation::{RequestVisitor, ResponseVisitor, UnknownOperation};
