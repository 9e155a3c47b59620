#!/usr/bin/env bash
# Create (if missing) the venv holding sentence-transformers, the reference of bertscope's sentence modules
# (scripts/fixtures/make_sentence_fixtures.py). sentence-transformers runs on torch and transformers, which
# are large: by default it goes into the SimAlign venv, which has them pinned already (BERTSCOPE_SENTENCE_VENV
# names another). Idempotent; prints the venv's python on the last line of stdout.
#
#   PY=$(scripts/sentence-venv.sh | tail -n 1)
set -euo pipefail

PINS=(sentence-transformers==6.3.0 torch==2.15.0 transformers==5.25.0 numpy==2.4.6)
# shellcheck source=lib/venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/venv.sh"
PY="$(cached_venv "${BERTSCOPE_SENTENCE_VENV:-simalign-venv}")"
ensure_pins sentence-venv "$PY" "${PINS[@]}"
echo "$PY"
