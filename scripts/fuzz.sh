#!/usr/bin/env bash
# Runs each fuzz target for a while, then shrinks its corpus back to a small form.
#   scripts/fuzz.sh [SECONDS per target, default 60] [TARGET...]
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`); the saved corpora
# replay on stable as ordinary tests (`cargo test --workspace --lib -- fuzzing`). A crash
# is written to fuzz/artifacts/<target>/: turn it into a regression test, then fix it.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/truffle-fuzz-target}"
cargo +nightly fuzz build -O
for target in "${targets[@]}"; do
    log="$(mktemp)"
    # New inputs go to corpus/ (the first folder); seeds/ holds the hand-made starting points.
    mkdir -p "corpus/$target"
    extra=()
    case "$target" in
        # A dev node (rpc_params) and RocksDB (snapshot_import) keep caches and threads
        # across inputs, which the leak check would take for leaks of one input.
        rpc_params|snapshot_import) extra=(-detect_leaks=0) ;;
    esac
    cargo +nightly fuzz run -O "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 "${extra[@]}" 2>"$log" || {
        tail -40 "$log"
        echo "fuzz: $target failed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    }
    runs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "$target: $runs executions in ${seconds}s"
    cargo +nightly fuzz cmin -O "$target" "corpus/$target" -- "${extra[@]}" >/dev/null 2>&1
    echo "$target: corpus $(ls "corpus/$target" | wc -l) files, $(du -sh "corpus/$target" | cut -f1)"
    rm -f "$log"
done
