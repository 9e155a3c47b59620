#!/usr/bin/env bash
# The precision table of docs/BENCHMARKS.md: the encoder's forward pass at f32, bf16 and int8 on the same
# checkpoint, shapes and thread counts, and each precision's peak RSS. For every shape and thread count
# the three precisions run in turn, ROUNDS times (f32, bf16, int8, f32, ...), so all see the same
# machine; each run is `bench --runs RUNS` (median of RUNS timed passes after warm-up), and the table
# gives the median of the ROUNDS medians. Printed as markdown rows.
#
#   scripts/bench/precision_bench.sh [MODEL_DIR] [ROUNDS] [RUNS]
#
# MODEL_DIR defaults to the random-weight mBERT-shaped checkpoint (scripts/fixtures/make_engine_fixtures.py
# mbert-random), read from a mapped file as a real checkpoint is. Builds bertscope in release (scratch
# path $SCRATCH, default .build-bench). Set SHAPES / THREADS / PRECISIONS to run part of the table. Other
# processes skew the times: the script prints the load average before and after.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MODEL="${1:-$DEFAULT_BENCH_MODEL}"
ROUNDS="${2:-5}"
RUNS="${3:-10}"
SHAPES="${SHAPES:-1x16 1x128 8x32}"
THREADS="${THREADS:-1 2}"
PRECISIONS="${PRECISIONS:-f32 bf16 int8}"

[ -d "$MODEL" ] || { echo "precision_bench: no model folder $MODEL" >&2; exit 1; }
release_bertscope precision_bench
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
# The checkpoint into the page cache first, so no precision pays for reading the disk.
"$BERTSCOPE" bench --model "$MODEL" --batch 1 --seq 8 --runs 1 --threads 1 --json >/dev/null

for threads in $THREADS; do
    for shape in $SHAPES; do
        batch="${shape%x*}"
        seq="${shape#*x}"
        for round in $(seq "$ROUNDS"); do
            for precision in $PRECISIONS; do
                "$BERTSCOPE" bench --model "$MODEL" --precision "$precision" --batch "$batch" --seq "$seq" \
                    --threads "$threads" --runs "$RUNS" --json >>"$results"
            done
        done
    done
done

python3 - "$results" "$PRECISIONS" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
precisions = sys.argv[2].split()
def median_of(precision, shape, threads, key):
    return statistics.median(r[key] for r in rows
                             if r["precision"] == precision and f"{r['batch']}x{r['seq']}" == shape and r["threads"] == threads)
cells = sorted({(r["threads"], r["batch"], r["seq"]) for r in rows}, key=lambda c: (c[0], c[1] * c[2], c[1]))
print("| shape | threads | " + " | ".join(f"{p} median ms" for p in precisions) + " | "
      + " | ".join(f"{p} / f32" for p in precisions if p != "f32") + " |")
print("|---|---|" + "---|" * (len(precisions) + len([p for p in precisions if p != "f32"])))
for threads, batch, seq in cells:
    shape = f"{batch}x{seq}"
    medians = {p: median_of(p, shape, threads, "median_ms") for p in precisions}
    ratios = [f"{medians[p] / medians['f32']:.2f}" for p in precisions if p != "f32" and "f32" in medians]
    print(f"| {shape} | {threads} | " + " | ".join(f"{medians[p]:.1f}" for p in precisions) + " | " + " | ".join(ratios) + " |")
print()
print("| precision | peak RSS MB, 1x16 (median) | peak RSS MB, largest over the table |")
print("|---|---|---|")
for p in precisions:
    small = [r["peak_rss_mb"] for r in rows if r["precision"] == p and r["batch"] * r["seq"] == min(b * s for _, b, s in cells)]
    print(f"| {p} | {statistics.median(small):.0f} | {max(r['peak_rss_mb'] for r in rows if r['precision'] == p):.0f} |")
print()
print(f"kernels: {rows[0]['kernels']}; CPU features: {rows[0]['cpu_features']}; weights: {rows[0]['weights']}")
PY
echo "precision_bench: $(uptime)" >&2
