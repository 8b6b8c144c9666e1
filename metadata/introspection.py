"""Read a database's catalog in bulk: a few queries per engine, not one round trip per table.

The engine's default namespace (PostgreSQL `public`, MySQL's connected database, SQLite/DuckDB
`main`) is reported as schema "", so that names stay as people write them.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

Progress = Callable[[int, str], None]


@dataclass
class ColumnInfo:
    name: str
    position: int
    data_type: str
    nullable: bool = True
    default: str = ""
    comment: str = ""
    is_primary_key: bool = False
    sample_values: list[Any] | None = None
    distinct_count: int | None = None


@dataclass
class TableInfo:
    schema: str
    name: str
    kind: str = "table"
    comment: str = ""
    row_count: int | None = None
    row_count_is_estimate: bool = False
    columns: list[ColumnInfo] = field(default_factory=list)


@dataclass
class ForeignKeyInfo:
    name: str
    schema: str
    table: str
    columns: list[str]
    ref_schema: str
    ref_table: str
    ref_columns: list[str]


@dataclass
class Catalog:
    tables: list[TableInfo]
    foreign_keys: list[ForeignKeyInfo]


def _noop(progress: int, message: str) -> None:
    return None


def introspect(connection: Connection, engine: str, *, schemas: list[str] | None = None,
               progress: Progress = _noop) -> Catalog:
    readers = {"postgresql": _postgresql, "mysql": _mysql, "sqlite": _sqlite, "duckdb": _duckdb}
    return readers[engine](connection, schemas or [], progress)


def _rows(connection: Connection, sql: str, **params: Any) -> list[Any]:
    return list(connection.execute(sa.text(sql), params))


def _assemble(tables: dict[tuple[str, str], TableInfo], columns: Iterable[tuple[str, str, ColumnInfo]],
              primary_keys: dict[tuple[str, str], list[str]]) -> None:
    for schema, table, column in columns:
        info = tables.get((schema, table))
        if info is None:
            continue
        column.is_primary_key = column.name in primary_keys.get((schema, table), [])
        info.columns.append(column)


# --- PostgreSQL ------------------------------------------------------------------------------------

_PG_SYSTEM = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%%' " \
             "AND n.nspname NOT LIKE 'pg\\_temp%%'"


def _pg_schema_filter(schemas: list[str]) -> tuple[str, dict[str, Any]]:
    if schemas:
        return "n.nspname = ANY(:schemas)", {"schemas": schemas}
    return _PG_SYSTEM.replace("%%", "%"), {}


def _postgresql(connection: Connection, schemas: list[str], progress: Progress) -> Catalog:
    where, params = _pg_schema_filter(schemas)
    norm = lambda s: "" if s == "public" else s  # noqa: E731
    progress(10, "Reading tables and views")
    tables: dict[tuple[str, str], TableInfo] = {}
    unknown_counts: list[TableInfo] = []
    for nsp, name, kind, comment, tuples, pages in _rows(connection, f"""
        SELECT n.nspname, c.relname, c.relkind, obj_description(c.oid, 'pg_class'), c.reltuples::bigint, c.relpages
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {where}
        ORDER BY 1, 2""", **params):
        info = TableInfo(norm(nsp), name, "view" if kind in ("v", "m") else "table", comment or "")
        if info.kind == "table":
            if tuples is not None and tuples >= 0:
                info.row_count, info.row_count_is_estimate = int(tuples), True
            elif (pages or 0) < 6400:  # never analysed and under ~50 MB: an exact count is cheap
                unknown_counts.append(info)
        tables[(nsp, name)] = info
    progress(30, f"Reading columns of {len(tables)} tables")
    columns = [
        (nsp, rel, ColumnInfo(att, int(num), typ, bool(nullable), default or "", comment or ""))
        for nsp, rel, att, num, typ, nullable, default, comment in _rows(connection, f"""
        SELECT n.nspname, c.relname, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND NOT c.relispartition AND {where}
        ORDER BY 1, 2, 4""", **params)
    ]
    progress(45, "Reading keys")
    primary_keys: dict[tuple[str, str], list[str]] = {}
    foreign_keys: list[ForeignKeyInfo] = []
    for kind, name, nsp, rel, cols, fnsp, frel, fcols in _rows(connection, f"""
        SELECT con.contype, con.conname, n.nspname, c.relname,
               ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
               fn.nspname, fc.relname,
               ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
                     JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord)
        FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_class fc ON fc.oid = con.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
        WHERE con.contype IN ('p', 'f') AND {where}""", **params):
        if kind == "p":
            primary_keys[(nsp, rel)] = list(cols)
        else:
            foreign_keys.append(ForeignKeyInfo(name, norm(nsp), rel, list(cols), norm(fnsp), frel, list(fcols)))
    _assemble(tables, columns, primary_keys)
    preparer = connection.dialect.identifier_preparer
    for info in unknown_counts:
        qualified = preparer.quote(info.name) if not info.schema else f"{preparer.quote(info.schema)}.{preparer.quote(info.name)}"
        info.row_count = int(connection.execute(sa.text(f"SELECT count(*) FROM {qualified}")).scalar() or 0)
    return Catalog(list(tables.values()), foreign_keys)


# --- MySQL / MariaDB ---------------------------------------------------------------------------------

def _mysql(connection: Connection, schemas: list[str], progress: Progress) -> Catalog:
    current = connection.execute(sa.text("SELECT DATABASE()")).scalar() or ""
    wanted = schemas or [current]
    norm = lambda s: "" if s == current else s  # noqa: E731
    params = {"schemas": tuple(wanted)}
    progress(10, "Reading tables and views")
    tables: dict[tuple[str, str], TableInfo] = {}
    for schema, name, kind, comment, rows in _rows(connection, """
        SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, TABLE_COMMENT, TABLE_ROWS FROM information_schema.TABLES
        WHERE TABLE_SCHEMA IN :schemas ORDER BY 1, 2""", **params):
        is_view = kind == "VIEW"
        info = TableInfo(norm(schema), name, "view" if is_view else "table", "" if is_view else (comment or ""))
        if not is_view and rows is not None:
            info.row_count, info.row_count_is_estimate = int(rows), True
        tables[(schema, name)] = info
    progress(30, f"Reading columns of {len(tables)} tables")
    primary_keys: dict[tuple[str, str], list[str]] = defaultdict(list)
    columns = []
    for schema, table, name, pos, typ, nullable, default, comment, key in _rows(connection, """
        SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT,
               COLUMN_COMMENT, COLUMN_KEY
        FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN :schemas ORDER BY 1, 2, 4""", **params):
        columns.append((schema, table, ColumnInfo(name, int(pos), typ, nullable == "YES",
                                                  "" if default is None else str(default), comment or "")))
        if key == "PRI":
            primary_keys[(schema, table)].append(name)
    progress(45, "Reading keys")
    grouped: dict[tuple[str, str, str], ForeignKeyInfo] = {}
    for schema, table, name, column, rschema, rtable, rcolumn in _rows(connection, """
        SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME,
               REFERENCED_COLUMN_NAME
        FROM information_schema.KEY_COLUMN_USAGE
        WHERE TABLE_SCHEMA IN :schemas AND REFERENCED_TABLE_NAME IS NOT NULL
        ORDER BY TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION""", **params):
        fk = grouped.setdefault((schema, table, name),
                                ForeignKeyInfo(name, norm(schema), table, [], norm(rschema), rtable, []))
        fk.columns.append(column)
        fk.ref_columns.append(rcolumn)
    _assemble(tables, columns, primary_keys)
    return Catalog(list(tables.values()), list(grouped.values()))


# --- SQLite -------------------------------------------------------------------------------------------

def _sqlite(connection: Connection, schemas: list[str], progress: Progress) -> Catalog:
    progress(10, "Reading tables, views and columns")
    tables: dict[tuple[str, str], TableInfo] = {}
    primary_keys: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    columns = []
    for kind, table, cid, name, typ, notnull, default, pk in _rows(connection, """
        SELECT m.type, m.name, p.cid, p.name, p.type, p."notnull", p.dflt_value, p.pk
        FROM sqlite_master m JOIN pragma_table_info(m.name) p
        WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
        ORDER BY m.name, p.cid"""):
        tables.setdefault(("", table), TableInfo("", table, kind))
        columns.append(("", table, ColumnInfo(name, int(cid) + 1, typ or "", not notnull,
                                              "" if default is None else str(default))))
        if pk:
            primary_keys[("", table)].append((int(pk), name))
    progress(35, "Reading keys")
    grouped: dict[tuple[str, int], ForeignKeyInfo] = {}
    for table, fk_id, _seq, ref_table, from_col, to_col in _rows(connection, """
        SELECT m.name, f.id, f.seq, f."table", f."from", f."to"
        FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'
        ORDER BY m.name, f.id, f.seq"""):
        fk = grouped.setdefault((table, fk_id), ForeignKeyInfo(f"fk_{table}_{fk_id}", "", table, [], "", ref_table, []))
        fk.columns.append(from_col)
        fk.ref_columns.append(to_col or "")
    pks = {key: [name for _, name in sorted(values)] for key, values in primary_keys.items()}
    for fk in grouped.values():  # "REFERENCES t" without columns means t's primary key
        if not any(fk.ref_columns):
            fk.ref_columns = pks.get(("", fk.ref_table), [])[: len(fk.columns)]
    _assemble(tables, columns, pks)
    progress(45, "Counting rows")
    preparer = connection.dialect.identifier_preparer
    for info in tables.values():
        if info.kind == "table":
            info.row_count = int(connection.execute(sa.text(f"SELECT count(*) FROM {preparer.quote(info.name)}")).scalar())
    return Catalog(list(tables.values()), list(grouped.values()))


# --- DuckDB ---------------------------------------------------------------------------------------------

def _duckdb(connection: Connection, schemas: list[str], progress: Progress) -> Catalog:
    norm = lambda s: "" if s == "main" else s  # noqa: E731
    db_filter = "database_name = current_database() AND NOT internal"
    schema_filter = " AND schema_name IN :schemas" if schemas else ""
    params: dict[str, Any] = {"schemas": tuple(schemas)} if schemas else {}
    progress(10, "Reading tables and views")
    tables: dict[tuple[str, str], TableInfo] = {}
    for schema, name, comment, estimated in _rows(connection, f"""
        SELECT schema_name, table_name, comment, estimated_size FROM duckdb_tables()
        WHERE {db_filter}{schema_filter} ORDER BY 1, 2""", **params):
        tables[(schema, name)] = TableInfo(norm(schema), name, "table", comment or "", estimated, estimated is not None)
    for schema, name, comment in _rows(connection, f"""
        SELECT schema_name, view_name, comment FROM duckdb_views() WHERE {db_filter}{schema_filter} ORDER BY 1, 2""",
                                       **params):
        tables[(schema, name)] = TableInfo(norm(schema), name, "view", comment or "")
    progress(30, f"Reading columns of {len(tables)} tables")
    columns = [
        (schema, table, ColumnInfo(name, int(index), typ, bool(nullable), default or "", comment or ""))
        for schema, table, name, index, typ, nullable, default, comment in _rows(connection, f"""
        SELECT schema_name, table_name, column_name, column_index, data_type, is_nullable, column_default, comment
        FROM duckdb_columns() WHERE {db_filter}{schema_filter} ORDER BY 1, 2, 4""", **params)
    ]
    progress(45, "Reading keys")
    primary_keys: dict[tuple[str, str], list[str]] = {}
    foreign_keys = []
    for schema, table, kind, cols, ref_table, ref_cols, name in _rows(connection, f"""
        SELECT schema_name, table_name, constraint_type, constraint_column_names, referenced_table,
               referenced_column_names, constraint_name
        FROM duckdb_constraints() WHERE database_name = current_database(){schema_filter}
          AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')""", **params):
        if kind == "PRIMARY KEY":
            primary_keys[(schema, table)] = list(cols)
        else:
            foreign_keys.append(ForeignKeyInfo(name or f"fk_{table}", norm(schema), table, list(cols), norm(schema),
                                               ref_table, list(ref_cols)))
    _assemble(tables, columns, primary_keys)
    return Catalog(list(tables.values()), foreign_keys)


# --- samples -------------------------------------------------------------------------------------------

_SAMPLED_TYPES = re.compile(r"char|text|string|enum|bool|varchar|citext|set\(", re.IGNORECASE)


def should_sample(column: ColumnInfo) -> bool:
    return bool(_SAMPLED_TYPES.search(column.data_type or "")) and not column.is_primary_key


def sample_low_cardinality(connection: Connection, table: TableInfo, column: ColumnInfo, max_distinct: int) -> None:
    """Fill `sample_values` with the column's values when it has at most `max_distinct` of them
    (looking at the first 100,000 rows, so that huge tables cost a bounded scan)."""
    preparer = connection.dialect.identifier_preparer
    qualified = preparer.quote(table.name) if not table.schema else f"{preparer.quote(table.schema)}.{preparer.quote(table.name)}"
    col = preparer.quote(column.name)
    rows = connection.execute(sa.text(
        f"SELECT v, count(*) AS n FROM (SELECT {col} AS v FROM {qualified} LIMIT 100000) s "
        f"WHERE v IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT {int(max_distinct) + 1}"
    )).fetchall()
    if len(rows) <= max_distinct:
        column.sample_values = [_jsonable(value) for value, _ in rows]
        column.distinct_count = len(rows)
    else:
        column.sample_values = []
        column.distinct_count = None


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value if not isinstance(value, str) else value[:200]
    return str(value)[:200]
