"""Every benchmark, one after another, then one summary table (`make bench`).

    .venv/bin/python bench/all.py [--only NAME ...] [--skip NAME ...] [--spider FOLDER] [--quick]

Each benchmark runs as its own process with its output shown as it comes; the summary lists, per
benchmark, how it ended, how long it took, its headline figure and its goal line(s) as it printed them
("met" / "NOT met"). `--quick` shortens the long ones (load: 60 s instead of 10 minutes; WebSocket
fan-out: 200 clients) — their goals are stated for the full runs. Benchmarks that need a service this
machine lacks (PostgreSQL, MariaDB, Redis, a Spider dataset) say so in their own output.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = re.compile(r"\bgoals?\b.*", re.IGNORECASE)


@dataclass
class Bench:
    name: str
    args: list[str]
    quick: list[str] = field(default_factory=list)
    headline: str = ""  # a regex whose first match (whole line) is the headline figure
    needs: str = ""  # a path that must exist (the Spider dataset)


def benches(spider: Path) -> list[Bench]:
    return [
        Bench("schema_sync", ["bench/schema_sync.py"], headline=r"full sync into an empty dictionary.*"),
        Bench("query_overhead", ["bench/query_overhead.py"], quick=["--runs", "300"],
              headline=r"overhead \(platform median.*"),
        Bench("cancel", ["bench/cancel.py"], headline=r"^\| postgresql .*"),
        Bench("export", ["bench/export.py"], headline=r"^sqlite .*"),
        Bench("ws_fanout", ["bench/ws_fanout.py"], quick=["--clients", "200", "--sessions", "20"],
              headline=r"^message round trip.*"),
        Bench("nl2sql", ["bench/nl2sql.py", str(spider / "train.json"), "--db-root", str(spider / "database"),
                         "--sample", "500", "--seed", "0"], headline=r".*execution accuracy.*",
              needs=str(spider / "train.json")),
        Bench("load", ["bench/load.py"], quick=["--duration", "60"], headline=r"^all goals.*"),
    ]


def _cells(line: str) -> str:
    """A Markdown table row as `first: rest, …`; any other line as it is."""
    line = line.strip()
    if not line.startswith("|"):
        return line
    cells = [cell.strip() for cell in line.strip("|").split("|") if cell.strip()]
    return f"{cells[0]}: {', '.join(cells[1:])}" if len(cells) > 1 else "".join(cells)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--skip", nargs="*", default=[])
    parser.add_argument("--spider", default=str(ROOT.parent / "shared" / "benchmarks" / "spider-train"))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()

    rows: list[tuple[str, str, str, str, str]] = []
    for bench in benches(Path(args.spider)):
        if (args.only and bench.name not in args.only) or bench.name in args.skip:
            continue
        if bench.needs and not Path(bench.needs).exists():
            rows.append((bench.name, "skipped", "-", f"no dataset at {bench.needs} (--spider FOLDER)", ""))
            continue
        command = [sys.executable, *bench.args, *(bench.quick if args.quick else [])]
        print(f"\n=== {bench.name}: {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: list[str] = []
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            lines.append(line.rstrip("\n"))
        status = process.wait()
        took = f"{time.monotonic() - started:.0f} s"
        pattern = re.compile(bench.headline) if bench.headline else None
        headline = next((_cells(line) for line in lines if pattern and pattern.search(line)), "")
        goals = [match.group(0).strip() for line in lines if (match := GOAL.search(line))
                 and ("met" in line.lower())]
        rows.append((bench.name, "ok" if status == 0 else f"exit {status}", took, headline, " / ".join(goals)))

    print("\n\n## Summary\n")
    print("| benchmark | ended | took | headline | goal |")
    print("|---|---|---|---|---|")
    for name, ended, took, headline, goals in rows:
        print(f"| {name} | {ended} | {took} | {headline.replace('|', '/')} | {goals.replace('|', '/')} |")
    return 0 if all(row[1] in ("ok", "skipped") for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
