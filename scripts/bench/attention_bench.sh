#!/usr/bin/env bash
# What attention costs (issue #14), release builds, printed as the markdown of docs/BENCHMARKS.md:
#   (a) attentions off: bertscope's forward pass now against the commit before AttentionRequest landed (BASE),
#       per shape, the two binaries alternated (ABBA) round after round;
#   (b) attentions on against off at 1x128 (the issue's goal: at most 10% more), alternated the same way;
#   (c) memory: `bench`'s peak RSS with attentions on against off at 1x512, next to L x H x T x T floats; and the
#       explorer's resident memory (VmRSS of /proc/PID/status) in tmux on a 512-token line: before the Attention
#       pane opens, open (the summary on screen), and after it closes.
#
#   scripts/bench/attention_bench.sh [MODEL_DIR] [ROUNDS]
#
# MODEL_DIR defaults to the random-weight mBERT-shaped checkpoint (scripts/fixtures/make_engine_fixtures.py
# mbert-random). ROUNDS (default 5) alternated rounds of `bench --runs $RUNS` (default 10) timed passes; each cell
# is the median of the rounds' medians. BASE (default: the parent of the first commit naming AttentionRequest) is
# checked out in a temporary worktree under /tmp and built in release there; BASE_BIN / BERTSCOPE skip the
# builds. SHAPES (default "1x8 1x128 8x32") and THREADS (default 2) choose part (a)'s table.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MODEL="${1:-$DEFAULT_BENCH_MODEL}"
ROUNDS="${2:-5}"
RUNS="${RUNS:-10}"
SHAPES="${SHAPES:-1x8 1x128 8x32}"
THREADS="${THREADS:-2}"
require_model attention_bench "$MODEL" config.json

release_bertscope attention_bench
BASE="${BASE:-$(git rev-parse "$(git log --format=%H -S AttentionRequest --reverse -- Sources | head -n 1)^")}"
if [ -z "${BASE_BIN:-}" ]; then
    base_tree="/tmp/bertscope-base-$(git rev-parse --short "$BASE")"
    [ -d "$base_tree" ] || git worktree add --detach "$base_tree" "$BASE" >&2
    (cd "$base_tree" && swift build -c release --product bertscope >&2)
    BASE_BIN="$base_tree/.build/release/bertscope"
fi
echo "attention_bench: now $(git rev-parse --short HEAD), base $(git rev-parse --short "$BASE")" >&2

# median_ms of one `bench` invocation.
timed() { "$@" --runs "$RUNS" --json | python3 -c "import json, sys; print(json.load(sys.stdin)['median_ms'])"; }
median() { python3 -c "import statistics, sys; print(f'{statistics.median(map(float, sys.argv[1:])):.1f}')" "$@"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.3f}')" "$1" "$2"; }

# Rounds of A and B, ABBA order so neither always runs first; prints "medianA medianB".
alternate() {
    local a_cmd="$1" b_cmd="$2" a=() b=() round
    for round in $(seq 1 "$ROUNDS"); do
        if [ $((round % 2)) -eq 1 ]; then
            a+=("$(eval "timed $a_cmd")"); b+=("$(eval "timed $b_cmd")")
        else
            b+=("$(eval "timed $b_cmd")"); a+=("$(eval "timed $a_cmd")")
        fi
    done
    echo "$(median "${a[@]}") $(median "${b[@]}")"
}

echo "(a) attentions off, $ROUNDS alternated rounds of $RUNS passes, median of the rounds' medians (ms)"
echo
echo "| shape | threads | before AttentionRequest ($(git rev-parse --short "$BASE")) | now ($(git rev-parse --short HEAD)) | now / before |"
echo "|---|---|---|---|---|"
for threads in $THREADS; do
    for shape in $SHAPES; do
        args="--model '$MODEL' --batch ${shape%x*} --seq ${shape#*x} --threads $threads"
        read -r before now < <(alternate "'$BASE_BIN' bench $args" "'$BERTSCOPE' bench $args")
        echo "| $shape | $threads | $before | $now | $(ratio "$now" "$before") |"
    done
done

echo
echo "(b) attentions on at 1x128, 2 threads, the same rounds (ms)"
echo
args="--model '$MODEL' --batch 1 --seq 128 --threads 2"
read -r off on < <(alternate "'$BERTSCOPE' bench $args" "'$BERTSCOPE' bench $args --attentions")
echo "| shape | threads | attentions off | attentions on | on / off |"
echo "|---|---|---|---|---|"
echo "| 1x128 | 2 | $off | $on | $(ratio "$on" "$off") |"

echo
echo "(c) memory at 1x512 (one pass after warm-up)"
echo
peak() { "$BERTSCOPE" bench --model "$MODEL" --batch 1 --seq 512 --threads 2 --runs 1 --json "$@" |
    python3 -c "import json, sys; print(json.load(sys.stdin)['peak_rss_mb'])"; }
read -r layers heads < <(python3 -c "import json, sys; c = json.load(open(sys.argv[1])); print(c['num_hidden_layers'], c['num_attention_heads'])" "$MODEL/config.json")
floats_mb="$(python3 -c "import sys; l, h = map(int, sys.argv[1:]); print(f'{l * h * 512 * 512 * 4 / 1e6:.1f}')" "$layers" "$heads")"
off_rss="$(peak)"
on_rss="$(peak --attentions)"
echo "bench peak RSS: attentions off $off_rss MB, on $on_rss MB, difference" \
     "$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$off_rss" "$on_rss") MB;" \
     "$layers x $heads x 512 x 512 float32 = $floats_mb MB"

# The explorer: a line of 512 pieces, the Attention pane opened and closed, VmRSS read at each step.
command -v tmux >/dev/null || { echo "attention_bench: no tmux, explorer memory not measured" >&2; exit 0; }
socket="attention-bench-$$"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true' EXIT
text="$(python3 -c "print(' '.join(['Der Hund bellt, the dog barks, 東京は日本の首都です。'] * 24))")"
tmux -L "$socket" new-session -d -x 120 -y 40 "exec '$BERTSCOPE' explore --model '$MODEL' '$text'"
pid="$(tmux -L "$socket" list-panes -F '#{pane_pid}')"
wait_for() {  # wait_for TEXT: until the screen shows TEXT (60 s at most)
    local tries=0
    until tmux -L "$socket" capture-pane -p | grep -qF -- "$1"; do
        tries=$((tries + 1)); [ "$tries" -lt 600 ] || { echo "attention_bench: '$1' never appeared" >&2; exit 1; }
        sleep 0.1
    done
}
rss() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }
wait_for "norm"
sleep 2
closed="$(rss)"
tmux -L "$socket" send-keys Escape 6
wait_for "→ most to"
sleep 1
open="$(rss)"
tmux -L "$socket" send-keys 1
sleep 3
after="$(rss)"
tokens="$("$BERTSCOPE" tokenize --model "$MODEL" --json "$text" | python3 -c "import json, sys; print(len(json.load(sys.stdin)['tokens']))")"
echo "explorer VmRSS on a line of $tokens pieces: $closed MB before the Attention pane, $open MB with it open," \
     "$after MB after it closed ($layers x $heads x $tokens x $tokens float32 =" \
     "$(python3 -c "import sys; l, h, t = map(int, sys.argv[1:]); print(f'{l * h * t * t * 4 / 1e6:.1f}')" "$layers" "$heads" "$tokens") MB)"
echo "attention_bench: $(uptime)" >&2
