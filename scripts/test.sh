#!/usr/bin/env bash
# The test suite: builds the `truffle` binary (integration tests run it as real
# processes), then runs every crate's tests. One profile (dev) for everything.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --bins --locked
cargo test --workspace --locked "$@"
