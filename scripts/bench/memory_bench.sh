#!/usr/bin/env bash
# Peak memory of the commands people run, on the random full-mBERT-shape checkpoint: `embed` of one text,
# `export --format npy` of TEXTS texts, and the explorer after typing two lines (read from
# /proc/PID/status while it runs in tmux). Prints a markdown table of peak RSS in MB, RUNS runs per
# binary, the binaries alternated run by run so both see the same machine.
#
#   scripts/bench/memory_bench.sh BERTSCOPE [OTHER_BERTSCOPE] [RUNS] [TEXTS]
#
# MODEL defaults to $BERTSCOPE_CACHE/test-assets/mbert-random (scripts/fixtures/make_engine_fixtures.py
# mbert-random). The checkpoint is read once first so every run finds it in the page cache.
set -euo pipefail
CACHE="${BERTSCOPE_CACHE:-$HOME/.cache/bertscope}"
MODEL="${MODEL:-$CACHE/test-assets/mbert-random}"
BINARIES=("$1")
[ -n "${2:-}" ] && BINARIES+=("$2")
RUNS="${3:-3}"
TEXTS="${4:-2000}"
[ -f "$MODEL/model.safetensors" ] || { echo "memory_bench: no $MODEL/model.safetensors" >&2; exit 1; }
command -v tmux >/dev/null || { echo "memory_bench: tmux is needed for the explorer" >&2; exit 1; }

work="$(mktemp -d)"
trap 'tmux kill-session -t bertscope-memory 2>/dev/null || true; rm -rf "$work"' EXIT
python3 - "$work/texts.jsonl" "$TEXTS" <<'EOF'
import json, random, sys
random.seed(7)
words = ("der Hund bellt den Briefträger an the dog barks at the mailman le chien aboie sur le facteur "
         "犬 が 郵便 配達員 に 吠える").split()
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({"id": i, "text": " ".join(random.choice(words) for _ in range(random.randint(5, 30)))},
                           ensure_ascii=False) + "\n")
EOF
cat "$MODEL/model.safetensors" >/dev/null

peak_of() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -n 1; }

explorer_peak() {
    local binary="$1" pid kb
    tmux kill-session -t bertscope-memory 2>/dev/null || true
    tmux new-session -d -s bertscope-memory -x 140 -y 40 "$binary --model $MODEL"
    sleep 4
    tmux send-keys -t bertscope-memory -l "Der Hund bellt den Briefträger an. The dog barks at the mailman. 犬が郵便配達員に吠える。"
    sleep 2
    tmux send-keys -t bertscope-memory Escape "+"
    tmux send-keys -t bertscope-memory -l "The dog barks at the mailman."
    sleep 2
    tmux send-keys -t bertscope-memory Escape "3"
    sleep 2
    pid="$(tmux list-panes -t bertscope-memory -F '#{pane_pid}')"
    kb="$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")"
    tmux kill-session -t bertscope-memory
    echo "$kb"
}

mb() { awk -v kb="$1" 'BEGIN { printf "%.0f", kb / 1024 }'; }

echo "memory_bench: $(uptime)" >&2
declare -A results
for run in $(seq 1 "$RUNS"); do
    for binary in "${BINARIES[@]}"; do
        results["$binary,embed"]+="$(mb "$(peak_of "$binary" embed --model "$MODEL" --json "Der Hund bellt den Briefträger an.")") "
        rm -f "$work/out.npy" "$work/out.labels.tsv"
        results["$binary,export"]+="$(mb "$(peak_of "$binary" export --model "$MODEL" --format npy --out "$work/out.npy" --jsonl "$work/texts.jsonl")") "
        results["$binary,explorer"]+="$(mb "$(explorer_peak "$binary")") "
    done
done
echo "| binary | embed (1 text) | export ($TEXTS texts, npy) | explorer after typing 2 lines |"
echo "|---|---|---|---|"
for binary in "${BINARIES[@]}"; do
    echo "| \`$binary\` | ${results["$binary,embed"]}| ${results["$binary,export"]}| ${results["$binary,explorer"]}|"
done
