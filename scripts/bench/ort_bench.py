#!/usr/bin/env python3
"""ONNX Runtime's BERT forward pass on the same weights and shapes as `bertscope bench`.

Loads a model folder with transformers (BertModel: encoder + pooler, fp32), exports it to ONNX once
(cached next to this run's other files), applies ONNX Runtime's BERT graph fusions (attention,
LayerNorm, GELU, bias adds), then for each thread count and shape: random token ids, warm-up
passes, and the median of --runs timed passes. Prints one JSON object per line, with the keys
`bertscope bench --json` uses (precision, median_ms, min_ms, max_ms, tokens_per_s) plus implementation,
batch, seq, threads, runs.

--int8 times instead ONNX Runtime's dynamic quantization of the same fused graph
(onnxruntime.quantization.quantize_dynamic, weight_type=QuantType.QInt8, its defaults otherwise but for
extra_options DefaultTensorType=FLOAT, which the fused operators need: int8 weights, activations
quantized at run time), cached next to it as model.fused.int8.onnx and
rebuilt whenever the fused model is; its lines say "precision": "int8" (else "f32").

Usage (the bench venv, scripts/bench-venv.sh, has torch, transformers, onnx and onnxruntime):
  "$(scripts/bench-venv.sh | tail -n 1)" scripts/bench/ort_bench.py \
      --model ~/.cache/bertscope/test-assets/mbert-random [--threads 1 2] [--shapes 1x8 1x32] [--runs 10] [--int8]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def export(model_dir: Path, out_dir: Path) -> Path:
    """model_dir -> out_dir/model.onnx (plain export) -> out_dir/model.fused.onnx (ORT BERT fusions)."""
    fused = out_dir / "model.fused.onnx"
    stamp = out_dir / "source.json"
    source = {"model": str(model_dir.resolve()), "mtime": (model_dir / "model.safetensors").stat().st_mtime}
    if fused.exists() and stamp.exists() and json.loads(stamp.read_text()) == source:
        return fused
    import torch
    from transformers import BertConfig, BertModel
    from onnxruntime.transformers import optimizer

    out_dir.mkdir(parents=True, exist_ok=True)
    config = BertConfig.from_pretrained(model_dir)
    model = BertModel.from_pretrained(model_dir, attn_implementation="eager").eval()

    class Encoder(torch.nn.Module):
        """Positional inputs in the order the ONNX graph declares them."""

        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            output = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return output.last_hidden_state, output.pooler_output

    ids = torch.randint(0, config.vocab_size, (2, 16))
    plain = out_dir / "model.onnx"
    with torch.no_grad():
        torch.onnx.export(
            Encoder(model), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(plain),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state", "pooler_output"],
            dynamic_axes={name: {0: "batch", 1: "seq"} for name in ["input_ids", "attention_mask", "token_type_ids"]}
            | {"last_hidden_state": {0: "batch", 1: "seq"}, "pooler_output": {0: "batch"}},
            opset_version=17, dynamo=False)
    optimized = optimizer.optimize_model(
        str(plain), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size,
        opt_level=1, use_gpu=False)
    print(f"ort_bench: fused operators {optimized.get_fused_operator_statistics()}", file=sys.stderr)
    optimized.save_model_to_file(str(fused))
    stamp.write_text(json.dumps(source))
    return fused


def quantize(fused: Path) -> Path:
    """fused -> model.fused.int8.onnx beside it (quantize_dynamic, QInt8 weights), unless that is newer than fused."""
    int8 = fused.with_name("model.fused.int8.onnx")
    if int8.exists() and int8.stat().st_mtime_ns > fused.stat().st_mtime_ns:
        return int8
    import collections
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Written under another name and renamed, so a run stopped half-way leaves no int8 model that looks newer.
    partial = int8.with_name(int8.name + ".partial")
    # DefaultTensorType: ONNX's shape inference does not know ONNX Runtime's fused operators (com.microsoft
    # Attention, SkipLayerNormalization, ...), so the quantizer finds no type for the outputs of the MatMuls after
    # them and stops ("Unable to find data type for weight_name=..."); this option, the one its error names,
    # gives them float, which they are. Everything else is quantize_dynamic's default.
    quantize_dynamic(str(fused), str(partial), weight_type=QuantType.QInt8,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    partial.replace(int8)
    ops = collections.Counter(node.op_type for node in onnx.load(str(int8), load_external_data=False).graph.node)
    print(f"ort_bench: int8 model operators {dict(sorted(ops.items()))}", file=sys.stderr)
    return int8


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, type=Path, help="folder with config.json and model.safetensors")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--shapes", nargs="+", default=["1x8", "1x32", "1x128", "1x512", "8x32"], help="BATCHxSEQ")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--int8", action="store_true",
                        help="time the fused graph quantized by quantize_dynamic (QInt8 weights) instead of at f32")
    parser.add_argument("--cache", type=Path,
                        default=Path(os.environ.get("BERTSCOPE_CACHE", Path.home() / ".cache/bertscope")) / "bench/ort")
    parser.add_argument("--export-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    model_cache = args.cache / args.model.resolve().name
    int8 = ["--int8"] if args.int8 else []
    if args.export_only:
        fused = export(args.model, model_cache)
        if args.int8:
            quantize(fused)
        return
    if args.child is None:
        # Export (torch) in a process of its own, then one fresh process per thread count, so no torch
        # threads or export memory are around while ONNX Runtime is timed and peak RSS is ORT's own.
        subprocess.run([sys.executable, __file__, "--model", str(args.model), "--cache", str(args.cache), "--export-only",
                        *int8], check=True)
        for threads in args.threads:
            subprocess.run([sys.executable, __file__, "--model", str(args.model), "--cache", str(args.cache),
                            "--child", str(threads), "--runs", str(args.runs), "--warmup", str(args.warmup),
                            "--shapes", *args.shapes, *int8], check=True)
        return
    graph = model_cache / ("model.fused.int8.onnx" if args.int8 else "model.fused.onnx")
    run(graph, args.model, args.child, args.shapes, args.runs, args.warmup, "int8" if args.int8 else "f32")


def run(graph: Path, model_dir: Path, threads: int, shapes, runs: int, warmup: int, precision: str):
    import onnxruntime as ort

    vocab = json.loads((model_dir / "config.json").read_text())["vocab_size"]
    rng = np.random.default_rng(42)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    start = time.perf_counter()
    session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    load_ms = (time.perf_counter() - start) * 1000
    for shape in shapes:
        batch, seq = (int(part) for part in shape.split("x"))
        ids = rng.integers(0, vocab, (batch, seq), dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        for _ in range(warmup):
            session.run(None, feed)
        times = []
        for _ in range(runs):
            begin = time.perf_counter()
            session.run(None, feed)
            times.append((time.perf_counter() - begin) * 1000)
        median = statistics.median(times)
        print(json.dumps({
            "implementation": f"onnxruntime {ort.__version__}", "precision": precision, "batch": batch, "seq": seq, "threads": threads,
            "runs": runs, "median_ms": round(median, 3), "min_ms": round(min(times), 3),
            "max_ms": round(max(times), 3), "tokens_per_s": round(batch * seq / (median / 1000), 1),
            "session_load_ms": round(load_ms, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }), flush=True)


if __name__ == "__main__":
    main()
