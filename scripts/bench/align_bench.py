#!/usr/bin/env python3
"""`bertscope align --input` against SimAlign doing the same, end to end (process start, model load, every
pair): the first N pretokenized pairs of XL-WA's test sets (--data, the folder of LANG/test.tsv that
scripts/bench/align_quality.sh writes into the cache), language after language, argmax at piece level,
multilingual-e5-small at layer 8, no centring (SimAlign's configuration). Run with the simalign venv's Python
(scripts/simalign-venv.sh):

    $PY scripts/bench/align_bench.py --bertscope .build/release/bertscope \\
        --model ~/.cache/bertscope/test-assets/multilingual-e5-small --hf-model /tmp/bertscope-fixtures/e5-hf \\
        --data ~/.cache/bertscope/xl-wa/f5c9ea26daa4e53e5f3fa133a45e1bede1db816d

`--precision P` (f32, bf16, int8) runs bertscope's side at that precision (`align --precision P`; SimAlign stays
f32); without it bertscope's default, f32. The two sides alternate run by run. Prints JSON: wall and CPU seconds
for each side (medians of --runs), pairs per second, the speed-ups, and how many output lines are identical.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
sys.path.insert(0, os.path.dirname(__file__))
from align_quality import LANGUAGES, add_common_arguments, read_xlwa  # noqa: E402

SIMALIGN_RUN = r"""
import sys
from simalign import SentenceAligner
aligner = SentenceAligner(model=sys.argv[1], token_type="bpe", matching_methods="a", layer=8)
with open(sys.argv[2], encoding="utf-8") as pairs, open(sys.argv[3], "w", encoding="utf-8") as out:
    for line in pairs:
        source, target = line.rstrip("\n").split(" ||| ")
        links = aligner.get_word_aligns(source.split(), target.split())["inter"]
        out.write(" ".join(f"{i}-{j}" for i, j in links) + "\n")
"""


def timed(command):
    """Wall seconds and CPU seconds (user + system) of one run: on a loaded machine the CPU time is the steadier."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--precision", choices=["f32", "bf16", "int8"],
                        help="bertscope's --precision (default bertscope's own, f32)")
    args = parser.parse_args()
    precision = f" --precision {args.precision}" if args.precision else ""
    work = tempfile.mkdtemp(prefix="align-bench-")
    pairs_path = os.path.join(work, "pairs.txt")
    pairs = [pair for language in LANGUAGES for pair in read_xlwa(os.path.join(args.data, language, "test.tsv"), 0)][:args.pairs]
    if len(pairs) < args.pairs:
        sys.exit(f"align_bench: {args.data} has only {len(pairs)} pairs")
    with open(pairs_path, "w", encoding="utf-8") as out:
        out.writelines(f"{' '.join(source)} ||| {' '.join(target)}\n" for source, target, _ in pairs)
    bertscope_out = os.path.join(work, "bertscope.txt")
    simalign_out = os.path.join(work, "simalign.txt")
    bertscope_command = ["sh", "-c", f'"$0" align --model "$1" --threads {args.threads}{precision} --layer 8 --no-centre --pretokenized --input "$2" > "$3"',
                         args.bertscope, args.model, pairs_path, bertscope_out]
    simalign_command = [sys.executable, "-c", SIMALIGN_RUN, args.hf_model, pairs_path, simalign_out]
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # torch's threads, as bertscope's --threads
    bertscope_times, simalign_times = [], []
    for _ in range(args.runs):
        bertscope_times.append(timed(bertscope_command))
        simalign_times.append(timed(simalign_command))
    with open(bertscope_out, encoding="utf-8") as a, open(simalign_out, encoding="utf-8") as b:
        ours, theirs = a.read().splitlines(), b.read().splitlines()
    bertscope_seconds = statistics.median(wall for wall, _ in bertscope_times)
    simalign_seconds = statistics.median(wall for wall, _ in simalign_times)
    bertscope_cpu = statistics.median(cpu for _, cpu in bertscope_times)
    simalign_cpu = statistics.median(cpu for _, cpu in simalign_times)
    print(json.dumps({
        "pairs": args.pairs, "data": "XL-WA test sets, first pairs of " + ",".join(LANGUAGES), "threads": args.threads, "runs": args.runs,
        "precision": args.precision or "f32",
        "bertscope_seconds": round(bertscope_seconds, 3), "simalign_seconds": round(simalign_seconds, 3),
        "bertscope_cpu_seconds": round(bertscope_cpu, 3), "simalign_cpu_seconds": round(simalign_cpu, 3),
        "cpu_speedup": round(simalign_cpu / bertscope_cpu, 2),
        "bertscope_pairs_per_second": round(args.pairs / bertscope_seconds, 1),
        "simalign_pairs_per_second": round(args.pairs / simalign_seconds, 1),
        "speedup": round(simalign_seconds / bertscope_seconds, 2),
        "identical_lines": sum(x == y for x, y in zip(ours, theirs)), "lines": [len(ours), len(theirs)],
        "load_average": os.getloadavg()[0],
    }))


if __name__ == "__main__":
    main()
