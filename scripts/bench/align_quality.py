#!/usr/bin/env python3
"""Alignment quality on XL-WA's test sets (Martelli et al. 2023, gold sure links, English first): bertscope's
`align` in several configurations next to SimAlign on the same weights and the same pairs. Run by
scripts/bench/align_quality.sh with the simalign venv's Python (it prepares the data and the weights):

    $PY scripts/bench/align_quality.py --bertscope BIN --model FOLDER --hf-model HF_FOLDER --data XLWA_DIR \\
        --work DIR [--languages bg,da] [--pairs N] [--config METHOD:LAYER[:centre] ...] [--precision P ...]

For each language it writes DIR/LANG.pairs ("src ||| tgt", the tokens as XL-WA gives them) and DIR/LANG.gold
(the sure links), runs SimAlign (piece level, layer 8, argmax/itermax/match) and, for every configuration,
`bertscope align --input --pretokenized --gold --json`. Before the table it checks that bertscope's links at
SimAlign's configuration (piece level, layer 8, no centring) equal SimAlign's, line by line, and explains each
differing line by its smallest gap between a row's or column's best and second-best similarity (a tie at
float32 resolution may be broken either way). With --precision (repeatable: f32, bf16, int8) every bertscope run,
the check's included, is made at each precision given (`align --precision P`), and its rows are labelled with it;
without it bertscope's default (f32) runs, unlabelled. (The check's gaps are SimAlign's f32 similarities: at bf16
or int8 a line differs mostly because the vectors moved, not at a tie, so there they explain little.) Prints the
table (language, method, P, R, F1, AER) and the means over languages, then one JSON line with everything.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from make_simalign_fixtures import similarity_matrix, smallest_gap  # noqa: E402

METHODS = {"argmax": "inter", "itermax": "itermax", "match": "mwmf"}
LANGUAGES = "bg da es et hu it nl pt ru sl".split()
TIE = 1e-6  # below this a best and a second best are not told apart reliably in float32 cosines


def read_xlwa(path, limit):
    """(source tokens, target tokens, gold links) per usable line; a line with an empty side is left out."""
    pairs = []
    with open(path, encoding="utf-8") as rows:
        for row in rows:
            fields = row.rstrip("\n").split("\t")
            if len(fields) < 2 or not fields[0].split() or not fields[1].split():
                continue
            gold = fields[2].split() if len(fields) > 2 else []
            pairs.append((fields[0].split(), fields[1].split(), gold))
            if limit and len(pairs) == limit:
                break
    return pairs


def score(predicted_lines, gold_lines):
    """Corpus precision, recall, F1, AER (Och & Ney; XL-WA has sure links only, so P = S)."""
    predicted = sure = hits = 0
    for links, gold in zip(predicted_lines, gold_lines):
        links, gold = set(links.split()), set(gold.split())
        predicted += len(links)
        sure += len(gold)
        hits += len(links & gold)
    precision = hits / predicted if predicted else 0.0
    recall = hits / sure if sure else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    aer = 1 - 2 * hits / (predicted + sure) if predicted + sure else 1.0
    return {"precision": precision, "recall": recall, "f1": f1, "aer": aer}


def bertscope(args, config, pairs_path, gold_path=None, precision=None):
    method, layer, centre = config
    command = [args.bertscope, "align", "--model", args.model, "--pretokenized", "--input", pairs_path,
               "--method", method, "--layer", layer, "--level", "piece"]
    if precision is not None:
        command += ["--precision", precision]
    if centre is not None:
        command.append("--centre" if centre else "--no-centre")
    if gold_path:
        command += ["--gold", gold_path, "--json"]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout) if gold_path else done.stdout.splitlines()


def parse_config(text):
    """METHOD:LAYER[:centre|:plain]; without the third part bertscope's default decides."""
    parts = text.split(":")
    centre = {"centre": True, "plain": False}[parts[2]] if len(parts) > 2 else None
    return parts[0], parts[1], centre


def label(config, precision=None):
    method, layer, centre = config
    return f"{method} L{layer}" + {None: "", True: " centre", False: " plain"}[centre] + (f" {precision}" if precision else "")


def add_common_arguments(parser):
    """The options this script and align_bench.py share: the two programs, the weights, XL-WA."""
    parser.add_argument("--bertscope", required=True)
    parser.add_argument("--model", required=True, help="the model folder bertscope reads")
    parser.add_argument("--hf-model", required=True, help="the same weights in the Hugging Face layout, for SimAlign")
    parser.add_argument("--data", required=True, help="a folder with LANG/test.tsv (XL-WA)")


def main():
    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    parser.add_argument("--work", required=True)
    parser.add_argument("--languages", default=",".join(LANGUAGES))
    parser.add_argument("--pairs", type=int, default=0, help="the first N pairs of each language (0: all)")
    parser.add_argument("--config", action="append", type=parse_config,
                        help="METHOD:LAYER[:centre|:plain] (repeatable; default the three methods at layer 8, plain)")
    parser.add_argument("--no-simalign", action="store_true", help="only bertscope's configurations")
    parser.add_argument("--precision", action="append", choices=["f32", "bf16", "int8"],
                        help="run bertscope at this --precision (repeatable; default bertscope's own, f32, unlabelled)")
    args = parser.parse_args()
    precisions = args.precision or [None]
    configs = args.config or [(method, "8", False) for method in METHODS]
    os.makedirs(args.work, exist_ok=True)
    aligner = None
    if not args.no_simalign:
        from simalign import SentenceAligner
        aligner = SentenceAligner(model=args.hf_model, token_type="bpe", matching_methods="mai", layer=8)

    rows, checks = [], {}
    for language in args.languages.split(","):
        pairs = read_xlwa(os.path.join(args.data, language, "test.tsv"), args.pairs)
        pairs_path = os.path.join(args.work, f"{language}.pairs")
        gold_path = os.path.join(args.work, f"{language}.gold")
        with open(pairs_path, "w", encoding="utf-8") as out:
            out.writelines(f"{' '.join(s)} ||| {' '.join(t)}\n" for s, t, _ in pairs)
        with open(gold_path, "w", encoding="utf-8") as out:
            out.writelines(" ".join(gold) + "\n" for _, _, gold in pairs)
        gold_lines = [" ".join(gold) for _, _, gold in pairs]

        if aligner is not None:
            theirs = {method: [] for method in METHODS}
            for source, target, _ in pairs:
                found = aligner.get_word_aligns(source, target)
                for method, key in METHODS.items():
                    theirs[method].append(" ".join(f"{i}-{j}" for i, j in sorted(found[key])))
            for method in METHODS:
                rows.append({"language": language, "method": f"simalign {method} L8", **score(theirs[method], gold_lines)})
                for precision in precisions:
                    ours = bertscope(args, (method, "8", False), pairs_path, precision=precision)
                    differing = [index for index, (a, b) in enumerate(zip(ours, theirs[method])) if set(a.split()) != set(b.split())]
                    gaps = [smallest_gap(similarity_matrix(aligner, pairs[i][0], pairs[i][1])) for i in differing]
                    checks.setdefault(method + (f" {precision}" if precision else ""), []).append({
                        "language": language, "lines": len(pairs), "differing": len(differing),
                        "differing_with_tie": sum(gap is not None and gap < TIE for gap in gaps),
                        "differing_lines": [i + 1 for i in differing], "smallest_gaps": gaps,
                        # bertscope's --gold numbers must be what its links give under the same formula.
                        "ours_rescored": score(ours, gold_lines)})

        for config in configs:
            for precision in precisions:
                rows.append({"language": language, "method": label(config, precision),
                             **bertscope(args, config, pairs_path, gold_path, precision)})
        print(f"{language}: {len(pairs)} pairs done", file=sys.stderr, flush=True)

    for method, per_language in checks.items():
        differing = sum(c["differing"] for c in per_language)
        ties = sum(c["differing_with_tie"] for c in per_language)
        lines = sum(c["lines"] for c in per_language)
        print(f"check {method}: bertscope vs simalign, {differing} of {lines} lines differ ({ties} of them at a tie < {TIE:g})")
    print(f"{'language':8} {'method':28} {'P':>6} {'R':>6} {'F1':>6} {'AER':>6}")
    for row in rows:
        print(f"{row['language']:8} {row['method']:28} {row['precision']:6.4f} {row['recall']:6.4f} {row['f1']:6.4f} {row['aer']:6.4f}")
    methods = list(dict.fromkeys(row["method"] for row in rows))
    means = []
    for method in methods:
        mine = [row for row in rows if row["method"] == method]
        means.append({"method": method, **{key: sum(row[key] for row in mine) / len(mine)
                                            for key in ("precision", "recall", "f1", "aer")}})
    print(f"{'mean':8} {'method':28} {'P':>6} {'R':>6} {'F1':>6} {'AER':>6}")
    for row in sorted(means, key=lambda row: row["aer"]):
        print(f"{'mean':8} {row['method']:28} {row['precision']:6.4f} {row['recall']:6.4f} {row['f1']:6.4f} {row['aer']:6.4f}")
    print(json.dumps({"rows": rows, "means": means, "checks": checks}))


if __name__ == "__main__":
    main()
