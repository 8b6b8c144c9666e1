"""The safety gate: the only path by which SQL reaches a user's database.

Pure Python + sqlglot (no Django, no database access). See DESIGN.md "Safety gate, in layers".

    result = check(sql, engine="postgresql", schema=tables, limit=100, max_rows=10_000)
    if result.ok:
        execute(result.sql)   # always the re-rendered, row-limited AST, never the input text

Error codes: PARSE_ERROR, EMPTY_QUERY, MULTIPLE_STATEMENTS, NOT_READ_ONLY (DML/DDL anywhere, FOR UPDATE/SHARE),
FORBIDDEN_STATEMENT (transaction control, SET/RESET, COPY, CALL/EXECUTE, LOCK, PRAGMA, ATTACH, LOAD/INSTALL,
EXPLAIN/SHOW/DESCRIBE, any sqlglot Command fallback), SELECT_INTO, FORBIDDEN_FUNCTION, FILE_ACCESS (table reference
naming a file/URL), EXECUTABLE_COMMENT, UNKNOWN_TABLE, UNKNOWN_COLUMN, UNSUPPORTED_ENGINE,
FORBIDDEN_TABLE (credential/config/session catalogs), UNSUPPORTED_SYNTAX (table alias column lists, DuckDB #n and
COLUMNS()), TOO_LONG (> 100,000 characters), TOO_COMPLEX (> 20,000 tokens or > 5,000 syntax nodes).
MySQL @variables are FORBIDDEN_STATEMENT. See policy.py.

PII: `pii_columns` lists the output indexes traced to a PII column; `pii_untraced` is True when the statement
reads a PII-tagged table but its output could not be traced column by column (mask every column then).
Warning codes: NO_LIMIT_LARGE_TABLE, SELECT_STAR, CARTESIAN_JOIN, NO_FILTER_LARGE_TABLE, PII_COLUMN.
"""

from . import compat
from .gate import check, fingerprint
from .model import ENGINES, CheckResult, ColumnInfo, Issue, TableInfo
from .rls import TablePolicy

compat.apply()

__all__ = ["ENGINES", "CheckResult", "ColumnInfo", "Issue", "TableInfo", "TablePolicy", "check", "fingerprint"]
