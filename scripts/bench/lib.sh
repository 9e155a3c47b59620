# Sourced by the encoder benchmarks (engine_bench.sh, precision_bench.sh, precision_ort_bench.sh,
# attention_bench.sh): one preamble, so they all time the same build of the same default checkpoint.
#
# After `source scripts/bench/lib.sh`: the working directory is the repository's root, CACHE is bertscope's
# cache, and DEFAULT_BENCH_MODEL the random-weight mBERT-shaped checkpoint
# (scripts/fixtures/make_engine_fixtures.py mbert-random).
# shellcheck shell=bash
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
CACHE="${BERTSCOPE_CACHE:-$HOME/.cache/bertscope}"
DEFAULT_BENCH_MODEL="$CACHE/test-assets/mbert-random"

# require_model NAME DIR FILE: stops the benchmark NAME with a clear message unless DIR/FILE exists.
require_model() {
    [ -f "$2/$3" ] || { echo "$1: no $2/$3" >&2; exit 1; }
}

# release_bertscope NAME: sets BERTSCOPE to bertscope built in release (scratch path ${SCRATCH:-.build-bench}),
# unless BERTSCOPE is set already; then prints NAME, the kernels override if any, and the load average to stderr.
release_bertscope() {
    if [ -z "${BERTSCOPE:-}" ]; then
        local scratch="${SCRATCH:-.build-bench}"
        swift build -c release --scratch-path "$scratch" --product bertscope >&2
        BERTSCOPE="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/bertscope"
    fi
    [ -z "${BERTSCOPE_KERNELS:-}" ] || echo "$1: BERTSCOPE_KERNELS=$BERTSCOPE_KERNELS" >&2
    echo "$1: $(uptime)" >&2
}
