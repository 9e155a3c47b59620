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

log() { echo "simalign-venv: $*" >&2; }

if "$PY" - "${PINS[@]}" <<'CHECK' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(any(version(name) != wanted for name, wanted in (pin.split("==") for pin in sys.argv[1:])))
CHECK
then
    log "ok: ${PINS[*]} already installed"
else
    log "installing ${PINS[*]} (torch is large; the first time takes a while)"
    if ! "$PY" -m pip install --disable-pip-version-check -q "${PINS[@]}" >&2; then
        log "error: pip install failed (is PyPI reachable? see the pip output above)"
        exit 1
    fi
fi

echo "$PY"
