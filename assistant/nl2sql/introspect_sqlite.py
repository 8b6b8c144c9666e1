"""Build a `SchemaInfo` from a SQLite file on the fly, with nothing registered beforehand.

Used by `manage.py ask` and the benchmark: tables, columns, declared types, primary keys, foreign
keys and the distinct text values of each column (the value index that lets "customers in Germany"
find country = 'Germany'). The file is opened read-only; nothing is written.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .schema import Column, ForeignKey, SchemaInfo, Table, inferred_foreign_keys

# Enough distinct values to recognise categorical values; free-text columns beyond this are cut off.
MAX_VALUES_PER_COLUMN = 2000
MAX_VALUE_LENGTH = 80


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _table_names(connection: sqlite3.Connection) -> list[str]:
    rows = connection.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    ).fetchall()
    return [row[0] for row in rows]


def _text_values(connection: sqlite3.Connection, table: str, column: str) -> tuple[str, ...]:
    sql = (
        f"SELECT DISTINCT {_quote(column)} FROM {_quote(table)} "
        f"WHERE typeof({_quote(column)}) = 'text' AND length({_quote(column)}) <= ? LIMIT ?"
    )
    try:
        rows = connection.execute(sql, (MAX_VALUE_LENGTH, MAX_VALUES_PER_COLUMN)).fetchall()
    except sqlite3.DatabaseError:
        return ()
    return tuple(str(row[0]) for row in rows if str(row[0]).strip())


def _stored_type(connection: sqlite3.Connection, table: str, column: str) -> str:
    """For a column without a declared type (a view's computed column): what its values are stored as."""
    sql = f"SELECT DISTINCT typeof({_quote(column)}) FROM (SELECT {_quote(column)} FROM {_quote(table)} LIMIT 200)"
    try:
        kinds = {row[0] for row in connection.execute(sql).fetchall()} - {"null"}
    except sqlite3.DatabaseError:
        return ""
    if kinds and kinds <= {"integer", "real"}:
        return "REAL" if "real" in kinds else "INTEGER"
    return "TEXT" if kinds == {"text"} else ""


def _columns(connection: sqlite3.Connection, table: str) -> list[Column]:
    columns = []
    for _cid, name, declared_type, _notnull, _default, pk in connection.execute(f"PRAGMA table_info({_quote(table)})"):
        columns.append(
            Column(
                name=name,
                type=declared_type or _stored_type(connection, table, name),
                primary_key=bool(pk),
                values=_text_values(connection, table, name),
            )
        )
    return columns


def _foreign_keys(connection: sqlite3.Connection, tables: list[Table]) -> list[ForeignKey]:
    """Foreign keys with names resolved to the declared spelling (SQLite matches them case-insensitively)."""
    by_name = {table.name.lower(): table for table in tables}
    keys: list[ForeignKey] = []
    for table in tables:
        try:
            rows = connection.execute(f"PRAGMA foreign_key_list({_quote(table.name)})").fetchall()
        except sqlite3.DatabaseError:
            continue
        for row in rows:
            ref_table = by_name.get(str(row[2]).lower())
            source = table.column(row[3])
            if ref_table is None or source is None:
                continue
            target = ref_table.column(row[4]) if row[4] else None
            if target is None:
                primary = ref_table.primary_keys
                target = primary[0] if len(primary) == 1 else ref_table.column(row[3])
            if target is None:
                continue
            key = ForeignKey(table.name, source.name, ref_table.name, target.name)
            if key not in keys:
                keys.append(key)
    return keys


def introspect(path: str | Path) -> SchemaInfo:
    """Read the schema and value index of the SQLite database at `path` (read-only)."""
    uri = "file:" + str(Path(path).resolve()) + "?mode=ro"
    connection = sqlite3.connect(uri, uri=True)
    connection.text_factory = lambda raw: raw.decode("utf-8", errors="replace")
    try:
        tables = [Table(name=name, columns=_columns(connection, name)) for name in _table_names(connection)]
        declared = _foreign_keys(connection, tables)
        return SchemaInfo(tables=tables, foreign_keys=declared + inferred_foreign_keys(tables, declared))
    finally:
        connection.close()
