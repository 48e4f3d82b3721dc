#!/usr/bin/env bash
# The test suite: builds the `truffle` binary (integration tests run it as real
# processes), then runs every crate's tests. One profile (dev) for everything.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --bins --locked
cargo test --workspace --locked "$@"
if [ $# -eq 0 ]; then
  # The web pages: the browser's encoder, signer and proof checks against the ledger's
  # golden vectors, then end-to-end flows in headless Chromium against `truffle dev`.
  (cd web && npm test && npm run --silent e2e)
fi
