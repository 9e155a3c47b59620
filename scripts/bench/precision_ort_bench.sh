#!/usr/bin/env bash
# bertscope's three precisions against ONNX Runtime at f32 and int8, on the same checkpoint, shapes and thread
# counts. For every thread count and shape the five run in turn, ROUNDS times (ORT f32, ORT int8, bertscope f32,
# bf16, int8, ORT f32, ...), so all see the same machine; each run is the median of RUNS timed passes after
# warm-up (`ort_bench.py --runs RUNS`, `bertscope bench --runs RUNS`), and the table gives the median of the
# ROUNDS medians, with bertscope's reduced precisions over ONNX Runtime's. Printed as markdown rows.
#
#   scripts/bench/precision_ort_bench.sh [MODEL_DIR] [ROUNDS] [RUNS]
#
# MODEL_DIR defaults to the random-weight mBERT-shaped checkpoint (scripts/fixtures/make_engine_fixtures.py
# mbert-random). ROUNDS defaults to 5, RUNS to 10. Builds bertscope in release (scratch path $SCRATCH, default
# .build-bench). ONNX Runtime runs in the bench venv (scripts/bench-venv.sh; PY=... runs another Python):
# ort_bench.py exports and fuses the model once, and with --int8 quantizes the fused graph once
# (quantize_dynamic, QInt8 weights: model.fused.int8.onnx); each ort_bench.py call is one fresh ONNX Runtime
# process for its thread count. Set SHAPES (default "1x32 1x128 8x32") / THREADS (default "2") to run part of
# the table; BERTSCOPE_KERNELS=baseline|avx2|avx512 is passed on to bertscope to compare its kernel sets.
# Other processes skew the times: the script prints the load average before and after.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MODEL="${1:-$DEFAULT_BENCH_MODEL}"
ROUNDS="${2:-${ROUNDS:-5}}"
RUNS="${3:-${RUNS:-10}}"
SHAPES="${SHAPES:-1x32 1x128 8x32}"
THREADS="${THREADS:-2}"

require_model precision_ort_bench "$MODEL" model.safetensors
PY="${PY:-$(scripts/bench-venv.sh | tail -n 1)}"
release_bertscope precision_ort_bench
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
# The exports (f32, then the int8 quantization) before any timing, and the checkpoint into the page cache.
"$PY" scripts/bench/ort_bench.py --model "$MODEL" --runs 1 --warmup 0 --threads 1 --shapes 1x8 --int8 >/dev/null
"$BERTSCOPE" bench --model "$MODEL" --batch 1 --seq 8 --runs 1 --threads 1 --json >/dev/null

for threads in $THREADS; do
    for shape in $SHAPES; do
        batch="${shape%x*}"
        seq="${shape#*x}"
        for round in $(seq "$ROUNDS"); do
            echo "precision_ort_bench: $shape, $threads threads, round $round/$ROUNDS" >&2
            for int8 in "" --int8; do
                # shellcheck disable=SC2086  # $int8 is one flag or none
                "$PY" scripts/bench/ort_bench.py --model "$MODEL" --runs "$RUNS" --threads "$threads" --shapes "$shape" \
                    $int8 >>"$results"
            done
            for precision in f32 bf16 int8; do
                "$BERTSCOPE" bench --model "$MODEL" --precision "$precision" --batch "$batch" --seq "$seq" \
                    --threads "$threads" --runs "$RUNS" --json >>"$results"
            done
        done
    done
done

python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def engine(r):
    return ("ORT " if r["implementation"].startswith("onnxruntime") else "") + r["precision"]
columns = ["ORT f32", "ORT int8", "f32", "bf16", "int8"]
ratios = [("f32", "ORT f32"), ("bf16", "ORT f32"), ("int8", "ORT f32"), ("int8", "ORT int8")]
def median_of(name, batch, seq, threads):
    return statistics.median(r["median_ms"] for r in rows
                             if engine(r) == name and (r["batch"], r["seq"], r["threads"]) == (batch, seq, threads))
cells = sorted({(r["threads"], r["batch"], r["seq"]) for r in rows}, key=lambda c: (c[0], c[1] * c[2], c[1]))
print("| shape | threads | " + " | ".join(f"{'bertscope ' if not c.startswith('ORT') else ''}{c} median ms" for c in columns)
      + " | " + " | ".join(f"{a} / {b}" for a, b in ratios) + " |")
print("|---|---|" + "---|" * (len(columns) + len(ratios)))
for threads, batch, seq in cells:
    medians = {c: median_of(c, batch, seq, threads) for c in columns}
    print(f"| {batch}x{seq} | {threads} | " + " | ".join(f"{medians[c]:.1f}" for c in columns) + " | "
          + " | ".join(f"{medians[a] / medians[b]:.2f}" for a, b in ratios) + " |")
print()
ours = next(r for r in rows if not r["implementation"].startswith("onnxruntime"))
theirs = next(r for r in rows if r["implementation"].startswith("onnxruntime"))
rounds = len([r for r in rows if engine(r) == "f32" and (r["threads"], r["batch"], r["seq"]) == cells[0]])
print(f"kernels: {ours['kernels']}; CPU features: {ours['cpu_features']}; weights: {ours['weights']}; "
      f"{theirs['implementation']} (int8: quantize_dynamic, QInt8 weights); ROUNDS={rounds}, RUNS={ours['runs']}")
PY
echo "precision_ort_bench: $(uptime)" >&2
