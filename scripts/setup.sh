#!/usr/bin/env bash
# Installs everything `truffle dev` and the test suite need on a fresh Debian machine.
# Idempotent: safe to run again. Needs root (or sudo) for apt.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# chromium and a Korean font: the end-to-end tests of the web pages (web/e2e).
packages=(libclang-dev clang pkg-config build-essential chromium fonts-nanum)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -y
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust with rustup (https://rustup.rs) first" >&2
  exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

# The web pages embed the audited crypto libraries pinned in web/package-lock.json,
# bundled into web/static/assets/js/vendor.js (the build fails without it); the same
# lock file pins the end-to-end tests' browser driver (playwright-core).
if ! command -v npm >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends nodejs npm
fi
(cd "$(dirname "$0")/../web" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
