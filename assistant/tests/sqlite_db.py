"""A small SQLite database for the built-in engine's tests: built from a script, queried read-only, and
the engine asked about it on a fixed day."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from assistant.nl2sql.engine import Result, answer
from assistant.nl2sql.introspect_sqlite import introspect
from assistant.nl2sql.schema import SchemaInfo

TODAY = dt.date(2024, 4, 10)


def build(tmp_path_factory: pytest.TempPathFactory, name: str, script: str) -> Path:
    """A new SQLite file in its own temporary folder, made by running `script`."""
    path = tmp_path_factory.mktemp(name) / f"{name}.sqlite"
    connection = sqlite3.connect(path)
    try:
        connection.executescript(script)
        connection.commit()
    finally:
        connection.close()
    return path


def fetch(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Every row `sql` returns on the database at `path`."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def ask(schema: SchemaInfo, question: str) -> Result:
    """The engine's answer to `question`, with "today" fixed so date windows are stable."""
    return answer(question, schema, today=TODAY)


def rows(path: Path, schema: SchemaInfo, question: str) -> list[tuple[object, ...]]:
    """The rows the engine's SQL returns on the database at `path`; the question must be answered."""
    result = ask(schema, question)
    assert result.sql is not None, result.refusal
    return fetch(path, result.sql)


_BUILT: dict[str, tuple[Path, SchemaInfo]] = {}


def database(tmp_path_factory: pytest.TempPathFactory, name: str, script: str) -> tuple[Path, SchemaInfo]:
    """The database `script` makes, built once per test process, and its schema as the engine reads it."""
    if name not in _BUILT:
        path = build(tmp_path_factory, name, script)
        _BUILT[name] = (path, introspect(path))
    return _BUILT[name]
