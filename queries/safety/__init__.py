"""The safety gate: the only path by which SQL reaches a user's database.

Pure Python + sqlglot (no Django, no database access). See DESIGN.md "Safety gate, in layers".

    result = check(sql, engine="postgresql", schema=tables, limit=100, max_rows=10_000)
    if result.ok:
        execute(result.sql)   # always the re-rendered, row-limited AST, never the input text
"""

from .gate import check, fingerprint
from .model import ENGINES, CheckResult, ColumnInfo, Issue, TableInfo

__all__ = ["ENGINES", "CheckResult", "ColumnInfo", "Issue", "TableInfo", "check", "fingerprint"]
