#!/usr/bin/env python3
"""Execution accuracy of the built-in NL→SQL engine on a Spider-format dataset.

    .venv/bin/python bench/nl2sql.py DATA --db-root DIR [--sample N --seed S] [--harness PATH]
        [--split heldout|dev] [--column-perm]

DATA is a Spider-format JSON list (or JSONL) of {db_id, question, query}; databases are
DIR/<db_id>/<db_id>.sqlite. The engine runs as one long-lived `manage.py ask --jsonl` process.

Scoring is not reimplemented here: this script drives the shared harness
(`shared/benchmarks/exec_acc.py`, by default `../shared/benchmarks/exec_acc.py` relative to the
repository root; override with --harness) as a subprocess, so the project and every other engine are
measured by the same code. The harness prints total/answered/correct, execution accuracy,
precision (correct / answered), coverage and per-hardness figures; this script then reads the
harness's per-item output and adds the latency p50/p95 per question as the harness timed it (one
JSON line in, one line out, so the time includes the engine's first-use introspection of each DB).

`--column-perm` accepts an answer whose columns are the gold's in another order ("the name and the count"
for "the count and the name"), as Spider's own test-suite evaluation does; without it the comparison is
strict. The README reports both.

`--split` keeps a fixed part of the databases: `heldout` is every database whose
sha1(db_id) % 5 == 0 (never develop on it; measure it only to report), `dev` is the rest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HARNESS = REPO_ROOT.parent / "shared" / "benchmarks" / "exec_acc.py"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def held_out(db_id: str) -> bool:
    """The fixed held-out split: databases whose sha1(db_id) is divisible by 5."""
    return int(hashlib.sha1(db_id.encode("utf-8")).hexdigest(), 16) % 5 == 0


def split_data(data: Path, split: str) -> Path:
    """A temporary copy of DATA with only the databases of `split` (db_path made absolute)."""
    text = data.read_text(encoding="utf-8")
    try:
        items = json.loads(text)
    except json.JSONDecodeError:
        items = [json.loads(line) for line in text.splitlines() if line.strip()]
    kept = [item for item in items if held_out(item["db_id"]) == (split == "heldout")]
    for item in kept:
        if "db_path" in item and not Path(item["db_path"]).is_absolute():
            item["db_path"] = str((data.parent / item["db_path"]).resolve())
    handle, name = tempfile.mkstemp(suffix=".json")
    with open(handle, "w", encoding="utf-8") as file:
        json.dump(kept, file)
    return Path(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("--db-root", required=True)
    parser.add_argument("--sample", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--harness", default=str(DEFAULT_HARNESS), help="path to exec_acc.py")
    parser.add_argument("--out", help="keep the per-item results (JSONL) here")
    parser.add_argument(
        "--split", choices=("heldout", "dev"), help="only the held-out databases (sha1(db_id) %% 5 == 0) or only the others"
    )
    parser.add_argument("--column-perm", action="store_true", help="accept the gold's columns in another order")
    args = parser.parse_args(argv)

    harness = Path(args.harness)
    if not harness.exists():
        parser.error(f"harness not found: {harness} (pass --harness)")
    out = Path(args.out) if args.out else Path(tempfile.mkstemp(suffix=".jsonl")[1])
    data = split_data(Path(args.data), args.split) if args.split else Path(args.data)
    engine = f"{sys.executable} {REPO_ROOT / 'manage.py'} ask --jsonl"
    command = [
        sys.executable,
        str(harness),
        str(data),
        "--db-root",
        args.db_root,
        "--engine-cmd",
        engine,
        "--seed",
        str(args.seed),
        "--out",
        str(out),
        "--quiet-engine",
    ]
    if args.sample:
        command += ["--sample", str(args.sample)]
    if args.column_perm:
        command.append("--column-perm")
    try:
        completed = subprocess.run(command, cwd=REPO_ROOT, check=False)
    finally:
        if args.split:
            data.unlink(missing_ok=True)
    if completed.returncode != 0:
        return completed.returncode

    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    latencies = [row["engine_s"] * 1000 for row in rows if "engine_s" in row]
    if latencies:
        print(
            f"latency per question: p50={percentile(latencies, 0.5):.1f} ms  p95={percentile(latencies, 0.95):.1f} ms  "
            f"mean={statistics.mean(latencies):.1f} ms  (n={len(latencies)})"
        )
    if not args.out:
        out.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
