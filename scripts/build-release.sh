#!/usr/bin/env bash
# Builds the `truffle` binary operators run: the release profile (optimized), its debug
# information split off into `truffle.debug` beside it, so that the binary installed on
# a node is small and a crash's backtrace can still be symbolized later
# (`gdb truffle -s truffle.debug`, or `addr2line -e truffle.debug`).
#
#   scripts/build-release.sh [OUT_DIR]      (default: dist/)
#
# Needs what scripts/setup.sh installs, and objcopy (binutils, with build-essential).
set -euo pipefail

cd "$(dirname "$0")/.."
out="${1:-dist}"
target="${CARGO_TARGET_DIR:-target}"

cargo build --release --locked --bin truffle
mkdir -p "$out"
cp "$target/release/truffle" "$out/truffle"
# The usual split: keep the debug sections in a file of their own, strip them from the
# binary, and leave a link from the binary to that file (with its checksum).
objcopy --only-keep-debug "$out/truffle" "$out/truffle.debug"
objcopy --strip-debug --add-gnu-debuglink="$out/truffle.debug" "$out/truffle"
ls -l "$out/truffle" "$out/truffle.debug"
"$out/truffle" --version
