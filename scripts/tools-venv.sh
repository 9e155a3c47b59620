#!/usr/bin/env bash
# Create (if missing) the Python venv used by the fixture/tool scripts and make
# sure the pinned packages are installed. Idempotent: when the venv already has
# the pinned versions, nothing is installed and no network is needed.
#
#   scripts/tools-venv.sh            -> last line of stdout: the venv's python
#   PY=$(scripts/tools-venv.sh | tail -n 1)
#
# Location: ${BERTSCOPE_CACHE:-$HOME/.cache/bertscope}/tools-venv
# Only light packages belong here (no torch): the goldens are produced by the
# Rust-backed `tokenizers` wheel and the corpus by `babel`'s CLDR data.
#
# Pins: tokenizers must stay compatible with transformers 5.x (which needs
# tokenizers >=0.23.1,<0.24) because the same venv may also hold transformers.
# The goldens are byte-identical under tokenizers 0.22.2 and 0.23.3.
# Overrides (for cross-version checks only): BERTSCOPE_TOKENIZERS_VERSION,
# BERTSCOPE_BABEL_VERSION.
set -euo pipefail

TOKENIZERS_VERSION="${BERTSCOPE_TOKENIZERS_VERSION:-0.23.3}"
BABEL_VERSION="${BERTSCOPE_BABEL_VERSION:-2.19.0}"
# numpy: the export tests load .npy files with np.load.
NUMPY_VERSION="${BERTSCOPE_NUMPY_VERSION:-2.4.6}"

# shellcheck source=lib/venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/venv.sh"
PY="$(cached_venv tools-venv)"

log() { echo "tools-venv: $*" >&2; }

# Are the pinned versions already there?
if "$PY" - "$TOKENIZERS_VERSION" "$BABEL_VERSION" "$NUMPY_VERSION" <<'EOF' >&2 2>/dev/null
import sys
from importlib.metadata import version, PackageNotFoundError
want = {"tokenizers": sys.argv[1], "babel": sys.argv[2], "numpy": sys.argv[3]}
try:
    ok = all(version(p) == v for p, v in want.items())
except PackageNotFoundError:
    ok = False
sys.exit(0 if ok else 1)
EOF
then
    log "ok: tokenizers==$TOKENIZERS_VERSION babel==$BABEL_VERSION numpy==$NUMPY_VERSION already installed"
else
    log "installing tokenizers==$TOKENIZERS_VERSION babel==$BABEL_VERSION numpy==$NUMPY_VERSION"
    if ! "$PY" -m pip install --disable-pip-version-check -q \
            "tokenizers==$TOKENIZERS_VERSION" "babel==$BABEL_VERSION" "numpy==$NUMPY_VERSION" >&2; then
        log "error: pip install failed (is PyPI reachable? see the pip output above)"
        exit 1
    fi
fi

echo "$PY"
