#!/usr/bin/env python3
"""Seed an empty fuzz corpus from the generator's export shapes, or, for the KQL targets, from
real queries.

    python3 fuzz/seed.py KEYHOLE_GEN TARGET CORPUS_DIR

A fuzz run from an empty corpus spends its first minutes finding what a record looks like;
these seeds start it at real ones, of every shape the generator writes, in the frame each
target puts around its input (see fuzz_targets/*.rs: a first byte that picks the chunk size,
a prefix the target adds itself, a container). Small (a few kB each) and deterministic (seed 1),
so nothing is kept in the repository. The KQL targets start from the queries the repository
holds (the Sentinel rules' KQL beside the core's rules) and, when ../shared is there, the seed
queries, the Sentinel solution's queries and the conformance cases' queries: read when seeding,
never copied into the repository (fuzz/corpus is not kept in it). scripts/fuzz.sh runs this for
a target whose corpus is empty; a kept corpus is used as it is.
"""
import csv
import glob
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile

TEXT_SHAPES = ["raw-jsonl", "raw-records", "raw-array", "diag-jsonl", "diag-cli", "diag-tables",
               "diag-value", "portal-csv", "portal-csv-local", "azkv-jsonl"]
HEAD = 6000  # bytes of each shape a seed keeps (a few records)
CHUNKS = [0, 7, 255]  # first bytes: chunk sizes 1, 8 and 256 bytes
# fuzz_targets/ingest_csv.rs's header
CSV_COLUMNS = ["TimeGenerated [UTC]", "OperationName", "ResourceId", "httpStatusCode_d",
               "CallerIPAddress", "identity_claim_oid_g"]


def generate(gen, shape, out, *extra):
    subprocess.run([gen, "--seed", "1", "--scale", "0.01", "--days", "1", "--shape", shape,
                    "--out", out, *extra], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    with open(out, "rb") as f:
        return f.read()


def head_lines(b, n=HEAD):
    """The first `n` bytes of `b`, cut after a line end (the whole text if it has none)."""
    if len(b) <= n:
        return b
    cut = b.rfind(b"\n", 0, n)
    return b[: cut + 1] if cut > 0 else b[:n]


def after(b, marker):
    """`b` after the first `marker` (what a target's own prefix replaces)."""
    i = b.find(marker)
    return b[i + len(marker):] if i >= 0 else b


def zipped(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        # a fixed date: the same seed bytes every run
        z.writestr(zipfile.ZipInfo(name, date_time=(2026, 10, 1, 0, 0, 0)), data,
                   compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


class Heads(dict):
    """The head of each shape, generated when a target first asks for it."""

    def __init__(self, gen, tmp):
        super().__init__()
        self.gen, self.tmp = gen, tmp

    def __missing__(self, shape):
        self[shape] = head_lines(generate(self.gen, shape, os.path.join(self.tmp, shape)))
        return self[shape]


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")


def queries():
    """Every KQL text of the repository and of ../shared (when there), in a fixed order."""
    files = sorted(glob.glob(os.path.join(ROOT, "crates", "**", "*.kql"), recursive=True))
    files += sorted(glob.glob(os.path.join(SHARED, "spec", "kql*", "*.kql")))
    out = []
    for f in files:
        with open(f, "rb") as h:
            out.append(h.read())
    cases = os.path.join(SHARED, "kql-conformance", "cases.json")
    if os.path.exists(cases):
        with open(cases, encoding="utf-8") as h:
            data = json.load(h)
        for c in data if isinstance(data, list) else data.get("cases", []):
            if isinstance(c, dict) and isinstance(c.get("kql"), str):
                out.append(c["kql"].encode())
    else:
        print(f"seed.py: {SHARED} is absent: KQL seeds from the repository only", file=sys.stderr)
    return out


def seeds(gen, target, tmp):
    if target in ("kql_parse", "kql_eval"):
        return queries()
    heads = Heads(gen, tmp)
    lines = heads["raw-jsonl"]

    def framed(body):
        return [bytes([k]) + body for k in CHUNKS]

    if target == "ingest_auto":
        out = [bytes([k]) + heads[s] for s in TEXT_SHAPES for k in CHUNKS[:1]]
        out += framed(gzip.compress(lines, mtime=0))
        out += framed(zipped("PT1H.json", heads["raw-records"]))
        out += framed(head_lines(generate(gen, "raw-jsonl", os.path.join(tmp, "u16"), "--utf16"),
                                 2 * HEAD))
        return out
    if target == "ingest_json_lines":
        return [b for s in ("raw-jsonl", "diag-jsonl", "azkv-jsonl") for b in framed(heads[s])]
    if target == "ingest_json_document":
        return framed(after(heads["raw-records"], b"[")) + framed(
            after(heads["diag-value"], b"["))
    if target == "ingest_csv":
        # rows of the generated portal CSV under the target's own header (its six columns)
        rows = csv.DictReader(io.StringIO(heads["portal-csv"].decode("utf-8-sig")))
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        for r in rows:
            w.writerow([r.get(c, "") for c in CSV_COLUMNS])
        return framed(out.getvalue().encode())
    if target == "ingest_gzip":
        # the target writes the 10-byte header itself (no name, no extra field)
        return framed(gzip.compress(lines, mtime=0)[10:])
    if target == "ingest_zip":
        return [b for s in ("raw-records", "raw-jsonl")
                for b in framed(zipped("y=2026/m=10/d=01/h=00/m=00/PT1H.json", heads[s])[4:])]
    if target == "ingest_record_scanner":
        # even first byte: the record as it is
        return [b"\0" + line for line in lines.splitlines()[:8]]
    if target == "ingest_units":
        body = lines.splitlines()[:6]
        rows = after(heads["portal-csv"], b"\n").splitlines()[:6]
        return [bytes([kind, 40, 3, 0]) + b"\n".join(rows if kind == 3 else body)
                for kind in range(4)]
    return []  # a target with no seeds here starts from nothing


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: seed.py KEYHOLE_GEN TARGET CORPUS_DIR")
    gen, target, corpus = sys.argv[1:]
    os.makedirs(corpus, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = seeds(gen, target, tmp)
    for i, s in enumerate(out):
        with open(os.path.join(corpus, f"seed-{i:03}"), "wb") as f:
            f.write(s)
    source = "queries" if target.startswith("kql_") else "keyhole-gen"
    print(f"{target}: {len(out)} seeds ({source})", file=sys.stderr)


if __name__ == "__main__":
    main()
