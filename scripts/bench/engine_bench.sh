#!/usr/bin/env bash
# The encoder benchmark table of docs/BENCHMARKS.md: bertscope and ONNX Runtime on the same checkpoint,
# shapes and thread counts, median of --runs timed passes after warm-up, printed as markdown rows.
#
#   scripts/bench/engine_bench.sh [MODEL_DIR] [RUNS]
#
# MODEL_DIR defaults to the random-weight mBERT-shaped checkpoint (scripts/fixtures/make_engine_fixtures.py
# mbert-random). Builds bertscope in release (scratch path $SCRATCH, default .build-bench). ONNX Runtime
# runs in the bench venv (scripts/bench-venv.sh: torch, transformers, onnx, onnxruntime pinned from PyPI;
# scripts/bench/ort_bench.py exports the model once); PY=... runs another Python. Set SHAPES / THREADS to run part of the table. Other processes skew the numbers: the
# script prints the load average before and after.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MODEL="${1:-$DEFAULT_BENCH_MODEL}"
RUNS="${2:-20}"
SHAPES="${SHAPES:-1x8 1x32 1x128 1x512 8x32}"
THREADS="${THREADS:-1 2}"
PY="${PY:-$(scripts/bench-venv.sh | tail -n 1)}"

require_model engine_bench "$MODEL" model.safetensors
release_bertscope engine_bench
ort_json="$(mktemp)"
ours_json="$(mktemp)"
trap 'rm -f "$ort_json" "$ours_json"' EXIT

field() { python3 -c "import json, sys; d = json.loads(sys.argv[1]); print(d[sys.argv[2]])" "$1" "$2"; }

echo "| shape | threads | bertscope median ms (min) | ONNX Runtime median ms (min) | bertscope / ORT |"
echo "|---|---|---|---|---|"
# One shape at a time, ONNX Runtime then bertscope, so both see the same machine (its speed drifts).
for threads in $THREADS; do
    for shape in $SHAPES; do
        batch="${shape%x*}"
        seq="${shape#*x}"
        theirs="$("$PY" scripts/bench/ort_bench.py --model "$MODEL" --runs "$RUNS" --threads "$threads" --shapes "$shape")"
        ours="$("$BERTSCOPE" bench --model "$MODEL" --batch "$batch" --seq "$seq" --threads "$threads" --runs "$RUNS" --json)"
        echo "$theirs" >>"$ort_json"
        echo "$ours" >>"$ours_json"
        python3 - "$shape" "$threads" "$ours" "$theirs" <<'EOF'
import json, sys
shape, threads, ours, theirs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
print(f"| {shape} | {threads} | {ours['median_ms']:.1f} ({ours['min_ms']:.1f}) | {theirs['median_ms']:.1f} ({theirs['min_ms']:.1f}) "
      f"| {ours['median_ms'] / theirs['median_ms']:.2f} |")
EOF
    done
done

# Load to first forward and peak RSS, with the checkpoint in the page cache (the table's runs put it there).
load="$("$BERTSCOPE" bench --model "$MODEL" --batch 1 --seq 8 --threads 2 --runs 3 --json)"
echo
peak() { python3 -c "import json, sys; print(max(json.loads(l)['peak_rss_mb'] for l in open(sys.argv[1])))" "$1"; }
echo "bertscope: load $(field "$load" load_ms) ms, load to first forward $(field "$load" first_forward_ms) ms (1x8, 2 threads);" \
     "peak RSS $(peak "$ours_json") MB (largest over the table); kernels: $(field "$load" kernels)"
echo "ONNX Runtime: peak RSS $(peak "$ort_json") MB"
echo "engine_bench: $(uptime)" >&2
