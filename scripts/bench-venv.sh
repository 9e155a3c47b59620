#!/usr/bin/env bash
# Create (if missing) the venv the encoder benchmarks compare bertscope with (scripts/bench/engine_bench.sh,
# ort_bench.py, e5_bench.py): torch and transformers (the reference forward pass, and the ONNX export), onnx and
# ONNX Runtime (the CPU baseline), safetensors and numpy. Kept apart from the tools venv: torch is large, and its
# dependencies must not move the fixture tools' pins. It also runs make_engine_fixtures.py (torch, transformers,
# tokenizers). Idempotent; prints the venv's python on the last line of stdout.
#
#   PY=$(scripts/bench-venv.sh | tail -n 1)
#
# Location: ${BERTSCOPE_CACHE:-$HOME/.cache/bertscope}/bench-venv
# torch from PyPI: its Linux wheel is the CUDA build (PyPI has no CPU-only one; download.pytorch.org's are not
# reachable here); it runs on the CPU when there is no GPU, and the benchmarks ask for nothing else.
set -euo pipefail

PINS=(torch==2.15.0 transformers==5.25.0 tokenizers==0.23.3 safetensors==0.8.0 onnx==1.23.2 onnxruntime==1.32.0 numpy==2.4.6)
# shellcheck source=lib/venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/venv.sh"
PY="$(cached_venv bench-venv)"

# torch is large: the first install takes a while.
ensure_pins bench-venv "$PY" "${PINS[@]}"

echo "$PY"
