#!/usr/bin/env bash
# Installs the Debian packages bertscope builds against, when missing. Idempotent; needs root (or sudo).
#   libncursesw5-dev  the terminal UI
#   libopenblas-dev   matrix products (chooses its kernels for the CPU at run time)
#   tmux              end-to-end tests drive the real TUI in it
#   qemu-user         the portability test runs the engine on an emulated older CPU
#   libicu-dev        word boundaries (ICU's word break iterator and its dictionaries)
#   python3-venv      fixture and test-asset scripts
set -euo pipefail

PACKAGES=(libncursesw5-dev libopenblas-dev libicu-dev tmux qemu-user python3-venv)
missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# python3-venv may be absent as a package where python3 itself comes from elsewhere (pyenv); accept a working venv.
if [[ " ${missing[*]} " == *" python3-venv "* ]] && python3 -c "import venv, ensurepip" 2>/dev/null; then
    missing=("${missing[@]/python3-venv}")
fi
missing=(${missing[@]+"${missing[@]}"})
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "system-packages: need root to install: ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
fi
echo "system-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq "${missing[@]}" >&2
