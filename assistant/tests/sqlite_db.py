"""A small SQLite database for the built-in engine's tests: built from a script, queried read-only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest


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
