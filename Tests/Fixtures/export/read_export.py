#!/usr/bin/env python3
"""Read a bertscope export back with the tools people use, and print it as one JSON object.

    python read_export.py FORMAT PATH

The export tests run this with the tools venv (scripts/tools-venv.sh) and compare what it prints with
the vectors they computed directly:

- npy:       numpy.load, plus the header's version and length read from the raw bytes, and the
             <name>.labels.tsv beside it (parsed like the Projector's metadata.tsv);
- csv:       Python's csv module (newline='' as its docs require);
- projector: vectors.tsv and metadata.tsv parsed the way TensorBoard's Projector parses them
             (tensorboard/plugins/projector/vz_projector/data-provider.ts: split on "\\n", skip lines
             that trim to nothing, a header only if the first line has a tab, split on "\\t", "" -> null),
             then bertscope's cell escapes (\\t \\n \\r \\\\) undone; projector_config.pbtxt as key/values;
- json, jsonl, spark: the json module;
- attention-npy: numpy.load of the (layers, heads, T, T) array and the <name>.tokens.json beside it;
- attention-json: the json module; head-stats: Python's csv module, as {"header": [...], "records": [...]}.

Output: {"rows": [{"labels": {column: text or null}, "vector": [floats]}], ...} for the table formats,
{"documents": [...]} for the JSON ones. float32 values are printed exactly (as Python floats).
"""
import csv
import json
import os
import re
import sys

import numpy as np

# What JavaScript's String.prototype.trim removes.
JS_WHITESPACE = " \t\n\r\v\f\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
                "\u2028\u2029\u202f\u205f\u3000\ufeff"


def unescape_cell(cell):
    if cell is None:
        return None
    out = []
    escaped = False
    for ch in cell:
        if escaped:
            out.append({"t": "\t", "n": "\n", "r": "\r"}.get(ch, ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(ch)
    return "".join(out)


def projector_metadata(data):
    """TensorBoard's parseMetadata, line for line."""
    rows = []
    columns = ["label"]
    line_number = 0
    for line in data.decode("utf-8").split("\n"):
        if len(line.strip(JS_WHITESPACE)) == 0:
            continue
        if line_number == 0 and "\t" in line:
            columns = line.split("\t")
            line_number += 1
            continue
        line_number += 1
        values = line.split("\t")
        row = {}
        for index, name in enumerate(columns):
            value = values[index] if index < len(values) else None
            row[name] = None if value == "" else value
        rows.append(row)
    return columns, rows


def projector_tensors(data):
    """TensorBoard's parseTensors: one vector per non-empty line, values split on tabs, as float32."""
    vectors = []
    dimensions = None
    for line in data.decode("utf-8").split("\n"):
        line = line.strip(JS_WHITESPACE)
        if line == "":
            continue
        values = line.split("\t")
        vector = [float(np.float32(float(value))) for value in values]
        if dimensions is None:
            dimensions = len(vector)
        if len(vector) != dimensions or dimensions <= 1:
            raise SystemExit("Parsing failed. Vector dimensions do not match")
        vectors.append(vector)
    return vectors


def read_npy(path):
    array = np.load(path)
    with open(path, "rb") as handle:
        head = handle.read(12)
    if head[:6] != b"\x93NUMPY":
        raise SystemExit("not an .npy file")
    version = [head[6], head[7]]
    length = int.from_bytes(head[8:10], "little") if version[0] == 1 else int.from_bytes(head[8:12], "little")
    prefix = 10 if version[0] == 1 else 12
    if array.dtype != np.float32 or array.ndim != 2:
        raise SystemExit(f"unexpected array {array.dtype} {array.shape}")
    if os.path.getsize(path) != prefix + length + array.size * 4:
        raise SystemExit("file size does not match the header")
    labels_path = (path[:-4] if path.endswith(".npy") else path) + ".labels.tsv"
    with open(labels_path, "rb") as handle:
        columns, labels = projector_metadata(handle.read())
    rows = [{"labels": {k: unescape_cell(v) for k, v in label.items()}, "vector": vector}
            for label, vector in zip(labels, array.tolist())]
    return {"rows": rows, "shape": list(array.shape), "version": version, "data_offset": prefix + length,
            "columns": columns, "label_count": len(labels)}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        vector_columns = [i for i, name in enumerate(header) if re.fullmatch(r"v\d+", name)]
        rows = []
        for record in reader:
            if len(record) != len(header):
                raise SystemExit(f"row with {len(record)} fields under a header of {len(header)}")
            labels = {name: (None if record[i] == "" else record[i])
                      for i, name in enumerate(header) if i not in vector_columns}
            rows.append({"labels": labels, "vector": [float(np.float32(float(record[i]))) for i in vector_columns]})
    return {"rows": rows, "columns": header[:len(header) - len(vector_columns)]}


def read_projector(folder):
    with open(os.path.join(folder, "projector_config.pbtxt"), encoding="utf-8") as handle:
        config_text = handle.read()
    config = {}
    for key, value in re.findall(r"(\w+):\s*(\"(?:[^\"\\]|\\.)*\"|\S+)", config_text):
        value = json.loads(value) if value.startswith('"') else int(value)
        config.setdefault(key, []).append(value)
    with open(os.path.join(folder, config["tensor_path"][0]), "rb") as handle:
        vectors = projector_tensors(handle.read())
    with open(os.path.join(folder, config["metadata_path"][0]), "rb") as handle:
        columns, labels = projector_metadata(handle.read())
    if len(labels) != len(vectors):
        raise SystemExit(f"{len(labels)} metadata rows for {len(vectors)} vectors")
    rows = [{"labels": {k: unescape_cell(v) for k, v in label.items()}, "vector": vector}
            for label, vector in zip(labels, vectors)]
    return {"rows": rows, "columns": columns, "config": config}


def read_json(path, lines):
    with open(path, encoding="utf-8") as handle:
        if lines:
            return {"documents": [json.loads(line) for line in handle if line.strip()]}
        return {"documents": json.load(handle)}


def read_attention_npy(path):
    array = np.load(path)
    base = path[:-4] if path.endswith(".npy") else path
    with open(base + ".tokens.json", encoding="utf-8") as f:
        tokens = json.load(f)
    return {"dtype": str(array.dtype), "shape": list(array.shape), "values": [float(v) for v in array.ravel()],
            "tokens": tokens}


def read_head_stats(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return {"header": rows[0], "records": rows[1:]}


def main():
    fmt, path = sys.argv[1], sys.argv[2]
    if fmt == "npy":
        result = read_npy(path)
    elif fmt == "csv":
        result = read_csv(path)
    elif fmt == "projector":
        result = read_projector(path)
    elif fmt in ("json", "jsonl", "spark"):
        result = read_json(path, lines=fmt != "json")
    elif fmt == "attention-npy":
        result = read_attention_npy(path)
    elif fmt == "attention-json":
        result = read_json(path, lines=False)
    elif fmt == "head-stats":
        result = read_head_stats(path)
    else:
        raise SystemExit(f"unknown format {fmt}")
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
