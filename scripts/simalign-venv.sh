#!/usr/bin/env bash
# Create (if missing) a venv holding SimAlign (PyPI simalign 0.4, Jalili Sabet et al. 2020) and what it runs on
# (torch, transformers, scipy, scikit-learn, networkx), the reference scripts/fixtures/make_simalign.sh compares
# bertscope's word alignments with. Kept apart from the tools venv: torch is large, and its dependencies must
# not move the fixture tools' pins. Idempotent; prints the venv's python on the last line of stdout.
#
#   SIMALIGN_PY=$(scripts/simalign-venv.sh | tail -n 1)
#
# Location: ${BERTSCOPE_CACHE:-$HOME/.cache/bertscope}/${BERTSCOPE_SIMALIGN_VENV:-simalign-venv}
# (BERTSCOPE_SIMALIGN_VENV=bench-venv reuses an existing venv that already has torch and transformers).
set -euo pipefail

PINS=(simalign==0.4 torch==2.15.0 transformers==5.25.0 scipy==1.17.1 scikit-learn==1.9.1 networkx==3.6.1 numpy==2.4.6)
# shellcheck source=lib/venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/venv.sh"
PY="$(cached_venv "${BERTSCOPE_SIMALIGN_VENV:-simalign-venv}")"

# torch is large: the first install takes a while.
ensure_pins simalign-venv "$PY" "${PINS[@]}"

echo "$PY"
