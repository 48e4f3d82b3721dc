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

# MovieLens 100K for `truffle reco eval` and the recommender's evaluation test. The data
# is not ours to redistribute, so it is never committed: it comes from the `recbole`
# 1.2.1 wheel on PyPI (recbole/dataset_example/ml-100k/), fetched once into a cache.
# Offline or without pip, the evaluation is skipped with a message; setup goes on.
ML_DIR="${TRUFFLE_DATA_CACHE:-$HOME/.cache/truffle}/ml-100k"
if [ ! -f "$ML_DIR/ml-100k.inter" ] || [ ! -f "$ML_DIR/ml-100k.user" ] || [ ! -f "$ML_DIR/ml-100k.item" ]; then
  (
    set -e
    PIP="$(command -v pip3 || command -v pip || true)"
    if [ -z "$PIP" ]; then
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends python3-pip >/dev/null
      PIP="$(command -v pip3)"
    fi
    wheel_dir="$(mktemp -d)"
    trap 'rm -rf "$wheel_dir"' EXIT
    "$PIP" download recbole==1.2.1 --no-deps --only-binary=:all: -d "$wheel_dir" --quiet
    mkdir -p "$ML_DIR"
    # A wheel is a zip file; Python (which pip needs anyway) extracts it.
    python3 - "$ML_DIR" "$wheel_dir"/recbole-1.2.1-*.whl <<'PY'
import os, sys, zipfile
target, wheel = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    for name in ("ml-100k.inter", "ml-100k.user", "ml-100k.item"):
        data = archive.read("recbole/dataset_example/ml-100k/" + name)
        with open(os.path.join(target, name), "wb") as out:
            out.write(data)
PY
  ) || echo "warning: could not fetch MovieLens 100K into $ML_DIR (offline?); 'truffle reco eval' and its test will be skipped" >&2
fi
