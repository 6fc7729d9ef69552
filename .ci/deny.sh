#!/usr/bin/env bash
# Supply-chain checks with cargo-deny (configuration: deny.toml): licenses, bans (duplicate
# versions, no OpenSSL) and sources (crates.io only). Installs cargo-deny if it is missing.
#
# Advisories are not checked here: CI machines cannot fetch the RustSec database. Maintainers
# with network access run `cargo deny --all-features check advisories` (see deny.toml).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-deny >/dev/null 2>&1; then
  echo "installing cargo-deny"
  cargo install cargo-deny --locked
fi
cargo deny --version
cargo deny --all-features check licenses bans sources
