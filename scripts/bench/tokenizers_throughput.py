#!/usr/bin/env python3
"""Hugging Face `tokenizers` throughput on a JSON Lines corpus, run the way `bertscope bench-tokenize` runs.

Single thread (RAYON_NUM_THREADS=1), every text encoded with [CLS]/[SEP], several timed runs after a warm-up,
median reported. Prints one JSON object.

Usage: RAYON_NUM_THREADS=1 python tokenizers_throughput.py TOKENIZER_JSON CORPUS_JSONL [RUNS]
"""
import json
import os
import statistics
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
import tokenizers  # noqa: E402


def main():
    tokenizer_path, corpus_path = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    texts = [json.loads(line)["text"] for line in open(corpus_path, encoding="utf-8") if line.strip()]
    utf8_bytes = sum(len(t.encode("utf-8")) for t in texts)

    loads = []
    for _ in range(5):
        start = time.perf_counter()
        tokenizer = tokenizers.Tokenizer.from_file(tokenizer_path)
        loads.append(time.perf_counter() - start)

    def timed(encode):
        encode()  # warm-up
        seconds = []
        for _ in range(runs):
            start = time.perf_counter()
            count = encode()
            seconds.append(time.perf_counter() - start)
        return statistics.median(seconds), count

    one_by_one, tokens = timed(lambda: sum(len(tokenizer.encode(t).ids) for t in texts))
    batched, _ = timed(lambda: sum(len(e.ids) for e in tokenizer.encode_batch(texts)))
    print(json.dumps({
        "implementation": f"tokenizers {tokenizers.__version__}",
        "texts": len(texts), "utf8_bytes": utf8_bytes, "tokens": tokens, "runs": runs,
        "load_ms": round(statistics.median(loads) * 1000, 2),
        "encode_one_by_one": {"median_ms": round(one_by_one * 1000, 2),
                              "texts_per_s": round(len(texts) / one_by_one), "mb_per_s": round(utf8_bytes / one_by_one / 1e6, 2)},
        "encode_batch_1_thread": {"median_ms": round(batched * 1000, 2),
                                  "texts_per_s": round(len(texts) / batched), "mb_per_s": round(utf8_bytes / batched / 1e6, 2)},
    }))


if __name__ == "__main__":
    main()
