"""Public value types of the safety gate (pure data, no behaviour)."""

from __future__ import annotations

from dataclasses import dataclass

ENGINES: tuple[str, ...] = ("postgresql", "mysql", "sqlite", "duckdb")

# engine name (as stored on a data source) -> sqlglot dialect name
DIALECTS: dict[str, str] = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite", "duckdb": "duckdb"}


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    pii: bool = False


@dataclass(frozen=True)
class TableInfo:
    name: str
    schema: str = ""  # "" = the engine's default schema (public/main/current db)
    columns: tuple[ColumnInfo, ...] = ()
    row_count: int | None = None


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    suggestion: str | None = None


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    sql: str
    normalized_sql: str
    fingerprint: str
    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...]
    tables: tuple[str, ...]
    limit: int | None
    pii_columns: tuple[int, ...]
    output_columns: tuple[str, ...]
    # True when the statement reads a PII-tagged table but its output could not be traced column by column:
    # the caller must then treat (mask) every output column as PII.
    pii_untraced: bool = False


# Error codes
PARSE_ERROR = "PARSE_ERROR"
EMPTY_QUERY = "EMPTY_QUERY"
MULTIPLE_STATEMENTS = "MULTIPLE_STATEMENTS"
NOT_READ_ONLY = "NOT_READ_ONLY"
FORBIDDEN_STATEMENT = "FORBIDDEN_STATEMENT"
SELECT_INTO = "SELECT_INTO"
FORBIDDEN_FUNCTION = "FORBIDDEN_FUNCTION"
FILE_ACCESS = "FILE_ACCESS"
EXECUTABLE_COMMENT = "EXECUTABLE_COMMENT"
UNKNOWN_TABLE = "UNKNOWN_TABLE"
UNKNOWN_COLUMN = "UNKNOWN_COLUMN"
UNSUPPORTED_ENGINE = "UNSUPPORTED_ENGINE"
UNSUPPORTED_SYNTAX = "UNSUPPORTED_SYNTAX"
FORBIDDEN_TABLE = "FORBIDDEN_TABLE"
TOO_LONG = "TOO_LONG"
TOO_COMPLEX = "TOO_COMPLEX"

# Warning codes
NO_LIMIT_LARGE_TABLE = "NO_LIMIT_LARGE_TABLE"
SELECT_STAR = "SELECT_STAR"
CARTESIAN_JOIN = "CARTESIAN_JOIN"
NO_FILTER_LARGE_TABLE = "NO_FILTER_LARGE_TABLE"
PII_COLUMN = "PII_COLUMN"
