"""The synced schema as the gate sees it: table lookup, "did you mean", referenced tables."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlglot import exp

from .model import UNKNOWN_TABLE, Issue, TableInfo

DEFAULT_SCHEMAS: dict[str, tuple[str, ...]] = {
    "postgresql": ("public",),
    "mysql": (),
    "sqlite": ("main",),
    "duckdb": ("main",),
}

# Catalog schemas a query may read without them being in the synced schema.
SYSTEM_SCHEMAS: dict[str, frozenset[str]] = {
    "postgresql": frozenset({"information_schema", "pg_catalog"}),
    "mysql": frozenset({"information_schema", "performance_schema", "mysql", "sys"}),
    "sqlite": frozenset({"temp"}),
    "duckdb": frozenset({"information_schema", "pg_catalog", "system", "temp"}),
}
SYSTEM_TABLES: dict[str, frozenset[str]] = {
    "postgresql": frozenset(),
    "mysql": frozenset({"dual"}),
    "sqlite": frozenset({"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_sequence", "sqlite_stat1"}),
    "duckdb": frozenset(),
}


def suggest(name: str, candidates: Sequence[str]) -> list[str]:
    """Close matches, case-insensitively, returned in their original spelling."""
    by_lower: dict[str, str] = {}
    for cand in candidates:
        by_lower.setdefault(cand.lower(), cand)
    matches = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)
    return [by_lower[m] for m in matches]


def did_you_mean(matches: Sequence[str]) -> str:
    if not matches:
        return ""
    return " Did you mean " + " or ".join(f'"{m}"' for m in matches) + "?"


@dataclass
class Catalog:
    engine: str
    tables: tuple[TableInfo, ...]
    _by_name: dict[str, list[TableInfo]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for info in self.tables:
            self._by_name.setdefault(info.name.lower(), []).append(info)

    def schema_key(self, info: TableInfo) -> str:
        """The schema name a table lives in, with "" mapped to the engine default."""
        if info.schema:
            return info.schema
        defaults = DEFAULT_SCHEMAS.get(self.engine, ())
        return defaults[0] if defaults else "__default__"

    def _same_schema(self, written: str, info: TableInfo) -> bool:
        w = written.lower()
        stored = info.schema.lower()
        defaults = DEFAULT_SCHEMAS.get(self.engine, ())
        if stored == w:
            return True
        if not stored and w in defaults:
            return True
        if stored in defaults and not w:
            return True
        if not stored and not any(t.schema.lower() == w for t in self.tables):
            # e.g. MySQL `currentdb.orders` with schema "" = current database: we cannot tell, be lenient
            return True
        return False

    def resolve(self, table: exp.Table) -> TableInfo | None:
        candidates = self._by_name.get(table.name.lower(), [])
        if not table.db:
            return candidates[0] if candidates else None
        for info in candidates:
            if self._same_schema(table.db, info):
                return info
        return None

    def is_system(self, table: exp.Table) -> bool:
        if table.db and table.db.lower() in SYSTEM_SCHEMAS.get(self.engine, frozenset()):
            return True
        name = table.name.lower()
        if self.engine == "duckdb" and name.startswith("duckdb_"):
            return True
        if self.engine == "postgresql" and name.startswith("pg_") and not table.db:
            return True  # pg_catalog is always on the search path
        return name in SYSTEM_TABLES.get(self.engine, frozenset())

    def unknown_table_issue(self, table: exp.Table) -> Issue:
        written = ".".join(p for p in (table.db, table.name) if p)
        matches = suggest(table.name, [t.name for t in self.tables])
        return Issue(UNKNOWN_TABLE, f'Unknown table "{written}".{did_you_mean(matches)}', matches[0] if matches else None)


def cte_names(tree: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE) if cte.alias_or_name}


def base_tables(tree: exp.Expression) -> list[exp.Table]:
    """Table references that name stored tables (not CTEs, not table functions)."""
    ctes = cte_names(tree)
    out: list[exp.Table] = []
    for table in tree.find_all(exp.Table, bfs=False):
        if not isinstance(table.this, exp.Identifier):
            continue  # table-valued function, UNNEST, string, ...
        if not table.db and table.name.lower() in ctes:
            continue
        out.append(table)
    return out


def table_label(table: exp.Table) -> str:
    return ".".join(p for p in (table.db, table.name) if p)


def _position(table: exp.Table) -> int:
    start = table.this.meta.get("start") if isinstance(table.this, exp.Expression) else None
    return start if isinstance(start, int) else 1 << 62


def referenced_tables(tree: exp.Expression) -> tuple[str, ...]:
    """Base tables in the order they appear in the text."""
    seen: dict[str, None] = {}
    for table in sorted(base_tables(tree), key=_position):
        seen.setdefault(table_label(table), None)
    return tuple(seen)


def unknown_tables(tree: exp.Expression, catalog: Catalog) -> list[Issue]:
    issues: list[Issue] = []
    reported: set[str] = set()
    for table in base_tables(tree):
        if catalog.resolve(table) is not None or catalog.is_system(table):
            continue
        label = table_label(table).lower()
        if label not in reported:
            reported.add(label)
            issues.append(catalog.unknown_table_issue(table))
    return issues
