"""`manage.py ask` — the built-in engine from the command line, over any SQLite file.

    manage.py ask --db shop.sqlite "How many customers are in Germany?"
    manage.py ask --jsonl < questions.jsonl     # {"db_path": …, "question": …} per line

With --jsonl it is a long-lived process: one JSON line out per line in, flushed at once, with the
schema of each db_path introspected on first use and cached. This interface is what
bench/nl2sql.py and shared/benchmarks/exec_acc.py drive; keep it stable.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assistant.nl2sql.engine import answer
from assistant.nl2sql.introspect_sqlite import introspect
from assistant.nl2sql.schema import SchemaInfo


class Command(BaseCommand):
    help = "Translate a question into SQL with the built-in offline engine (or serve JSON lines with --jsonl)."
    # call_command(..., stdin=StringIO()) lets tests drive --jsonl without a subprocess.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("question", nargs="?", help="the question (without --jsonl)")
        parser.add_argument("--db", help="path to a SQLite database (without --jsonl)")
        parser.add_argument("--jsonl", action="store_true", help="read {db_path, question} lines on stdin")
        parser.add_argument("--dialect", default="sqlite", help="sqlite, postgres, mysql, duckdb …")
        parser.add_argument("--timing", action="store_true", help="add engine milliseconds to each JSON line")

    def handle(self, *args: Any, **options: Any) -> None:
        self.schemas: dict[str, SchemaInfo] = {}
        if options["jsonl"]:
            self.serve(self.stdin_stream(options), options["dialect"], options["timing"])
            return
        if not options["db"] or not options["question"]:
            raise CommandError("give --db PATH and a question, or --jsonl")
        result = answer(options["question"], self.schema(options["db"]), dialect=options["dialect"])
        if result.sql:
            self.stdout.write(result.sql)
        else:
            self.stdout.write(f"REFUSED: {result.refusal}")
            for suggestion in result.suggestions:
                self.stdout.write(f"  try: {suggestion}")
        for step in result.reasoning:
            self.stdout.write(f"  - {step}")
        self.stdout.write(f"confidence: {result.confidence:.2f}")

    def stdin_stream(self, options: dict[str, Any]) -> TextIO:
        return options.get("stdin") or sys.stdin

    def schema(self, db_path: str) -> SchemaInfo:
        if db_path not in self.schemas:
            self.schemas[db_path] = introspect(db_path)
        return self.schemas[db_path]

    def serve(self, stream: TextIO, dialect: str, timing: bool) -> None:
        for line in stream:
            if not line.strip():
                continue
            started = time.perf_counter()
            try:
                request = json.loads(line)
                result = answer(str(request["question"]), self.schema(str(request["db_path"])), dialect=dialect)
                reply: dict[str, Any] = {"sql": result.sql} if result.sql else {"refusal": result.refusal}
                if result.sql:
                    reply["confidence"] = result.confidence
            except Exception as error:  # one bad line must not end a long-lived process
                traceback.print_exc(file=sys.stderr)
                reply = {"refusal": f"error: {type(error).__name__}: {error}"}
            if timing:
                reply["ms"] = round((time.perf_counter() - started) * 1000, 2)
            self.stdout.write(json.dumps(reply))
            self.stdout.flush()
