#!/usr/bin/env bash
# Alignment quality (AER) of `bertscope align` on public gold alignments, next to SimAlign on the same weights
# and the same pairs: XL-WA's test sets (Martelli et al. 2023, github.com/SapienzaNLP/XL-WA, CC BY-NC-SA 4.0:
# read into the cache, never committed) at a pinned commit.
#
#   scripts/bench/align_quality.sh [BERTSCOPE_BINARY] [align_quality.py options...]
#
# e.g. scripts/bench/align_quality.sh .build/release/bertscope --config argmax:8:centre --config argmax:last4
#
# XL-WA comes from $BERTSCOPE_XLWA (a clone, or its git directory), else the local mirror
# /work/.mirror/SapienzaNLP+XL-WA/repo if present, else a clone from GitHub; its test.tsv files at the pinned
# commit are written to ${BERTSCOPE_CACHE:-~/.cache/bertscope}/xl-wa/COMMIT/. The model is multilingual-e5-small
# (scripts/fetch_test_assets.sh), converted to the Hugging Face layout for SimAlign as make_simalign.sh does.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
XLWA_COMMIT=f5c9ea26daa4e53e5f3fa133a45e1bede1db816d
LANGUAGES=(bg da es et hu it nl pt ru sl)
BIN="${1:-.build/release/bertscope}"
[ $# -gt 0 ] && shift
[ -x "$BIN" ] || { echo "align_quality: no bertscope binary at $BIN (swift build -c release)" >&2; exit 1; }
CACHE="${BERTSCOPE_CACHE:-$HOME/.cache/bertscope}"
DATA="$CACHE/xl-wa/$XLWA_COMMIT"

if [ ! -f "$DATA/.complete" ]; then
    SOURCE="${BERTSCOPE_XLWA:-}"
    if [ -z "$SOURCE" ] && [ -d /work/.mirror/SapienzaNLP+XL-WA/repo ]; then SOURCE=/work/.mirror/SapienzaNLP+XL-WA/repo; fi
    if [ -z "$SOURCE" ]; then
        SOURCE="$CACHE/xl-wa/clone"
        [ -d "$SOURCE" ] || git clone --quiet https://github.com/SapienzaNLP/XL-WA "$SOURCE" >&2
    fi
    git -C "$SOURCE" cat-file -e "$XLWA_COMMIT^{commit}" 2>/dev/null \
        || { echo "align_quality: $SOURCE has no commit $XLWA_COMMIT" >&2; exit 1; }
    PARTIAL="$DATA.partial"
    rm -rf "$PARTIAL"
    for language in "${LANGUAGES[@]}"; do
        mkdir -p "$PARTIAL/$language"
        git -C "$SOURCE" show "$XLWA_COMMIT:data/$language/test.tsv" > "$PARTIAL/$language/test.tsv"
    done
    git -C "$SOURCE" show "$XLWA_COMMIT:LICENSE.txt" > "$PARTIAL/LICENSE.txt"
    touch "$PARTIAL/.complete"
    rm -rf "$DATA"
    mv "$PARTIAL" "$DATA"
fi

PY="$(bash scripts/simalign-venv.sh | tail -n 1)"
E5_DIR="$(bash scripts/fetch_test_assets.sh | sed -n 2p)"
WORK="${BERTSCOPE_FIXTURE_WORK:-${TMPDIR:-/tmp}/bertscope-fixtures}"
mkdir -p "$WORK"
[ -f "$WORK/e5-hf/model.safetensors" ] || "$PY" scripts/fixtures/e5_reference.py convert "$E5_DIR/e5-small-q4.bin" "$WORK/e5-hf" >&2
echo "align_quality: XL-WA $XLWA_COMMIT, model $E5_DIR" >&2
"$PY" scripts/bench/align_quality.py --bertscope "$BIN" --model "$E5_DIR" --hf-model "$WORK/e5-hf" \
    --data "$DATA" --work "$WORK/align-quality" "$@"
