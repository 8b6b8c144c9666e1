"""Warnings: never block a query, only advise (missing LIMIT, SELECT *, cartesian joins, no filter, PII)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from .catalog import Catalog, cte_names
from .model import (
    CARTESIAN_JOIN,
    NO_FILTER_LARGE_TABLE,
    NO_LIMIT_LARGE_TABLE,
    PII_COLUMN,
    SELECT_STAR,
    Issue,
    TableInfo,
)

LARGE_TABLE_ROWS = 100_000
VERY_LARGE_TABLE_ROWS = 1_000_000


def _is_star(node: exp.Expression) -> bool:
    return isinstance(node, exp.Star) or (isinstance(node, exp.Column) and node.is_star)


def select_star(tree: exp.Expression) -> list[Issue]:
    for select in tree.find_all(exp.Select):
        if any(_is_star(p) for p in select.selects):
            return [
                Issue(
                    SELECT_STAR,
                    "SELECT * returns every column; list the columns you need.",
                    "Replace * with the columns you need.",
                )
            ]
    return []


def _from_sources(select: exp.Select) -> list[exp.Expression]:
    out: list[exp.Expression] = []
    from_ = select.args.get("from") or select.args.get("from_")
    if isinstance(from_, exp.From) and isinstance(from_.this, exp.Expression):
        out.append(from_.this)
    for join in select.args.get("joins") or []:
        if isinstance(join.this, exp.Expression):
            out.append(join.this)
    return out


def _linked_by_where(select: exp.Select, alias: str) -> bool:
    where = select.args.get("where")
    if not isinstance(where, exp.Where):
        return False
    for eq in where.find_all(exp.EQ):
        left, right = eq.left, eq.right
        if isinstance(left, exp.Column) and isinstance(right, exp.Column):
            tables = {left.table, right.table}
            if alias in tables or "" in tables:
                return True
    return False


def cartesian_joins(tree: exp.Expression) -> list[Issue]:
    ctes = cte_names(tree)
    for select in tree.find_all(exp.Select):
        for join in select.args.get("joins") or []:
            target = join.this
            if not isinstance(target, exp.Table) or not isinstance(target.this, exp.Identifier):
                continue  # UNNEST, LATERAL, table functions, derived tables
            if join.args.get("on") or join.args.get("using"):
                continue
            method = join.text("method").upper()
            kind = join.text("kind").upper()
            if method == "NATURAL" or kind in ("SEMI", "ANTI", "ASOF"):
                continue
            if not target.db and target.name.lower() in ctes:
                continue
            if _linked_by_where(select, target.alias_or_name):
                continue
            return [
                Issue(
                    CARTESIAN_JOIN,
                    f'The join with "{target.alias_or_name}" has no join condition, so every row is paired with every row.',
                    "Add an ON/USING condition (or a WHERE condition linking the tables).",
                )
            ]
    return []


def _info_for(table: exp.Table, catalog: Catalog | None, ctes: set[str]) -> TableInfo | None:
    if catalog is None or not isinstance(table.this, exp.Identifier):
        return None
    if not table.db and table.name.lower() in ctes:
        return None
    return catalog.resolve(table)


def _single_row(tree: exp.Expression) -> bool:
    """An aggregate without GROUP BY returns one row: a LIMIT would not change anything."""
    return (
        isinstance(tree, exp.Select)
        and not tree.args.get("group")
        and bool(tree.selects)
        and all(p.find(exp.AggFunc) is not None and p.find(exp.Window) is None for p in tree.selects)
    )


def large_tables(tree: exp.Expression, catalog: Catalog | None, user_wrote_limit: bool) -> list[Issue]:
    if catalog is None:
        return []
    issues: list[Issue] = []
    ctes = cte_names(tree)
    if not user_wrote_limit and not _single_row(tree):
        big = [
            info
            for table in tree.find_all(exp.Table)
            if (info := _info_for(table, catalog, ctes)) is not None and (info.row_count or 0) > LARGE_TABLE_ROWS
        ]
        if big:
            issues.append(
                Issue(
                    NO_LIMIT_LARGE_TABLE,
                    f'No LIMIT on a query over "{big[0].name}" (about {big[0].row_count:,} rows); the row cap is applied.',
                    "Add a LIMIT.",
                )
            )
    for select in tree.find_all(exp.Select):
        if select.args.get("where") or select.args.get("group"):
            continue
        if any(p.find(exp.AggFunc) for p in select.selects):
            continue
        for source in _from_sources(select):
            if isinstance(source, exp.Table):
                info = _info_for(source, catalog, ctes)
                if info is not None and (info.row_count or 0) > VERY_LARGE_TABLE_ROWS:
                    issues.append(
                        Issue(
                            NO_FILTER_LARGE_TABLE,
                            f'"{info.name}" has about {info.row_count:,} rows and the query has no WHERE filter.',
                            "Add a WHERE condition or aggregate the rows.",
                        )
                    )
                    return issues
    return issues


def pii_warnings(names: Sequence[str] | None, pii: Sequence[frozenset[str]], indexes: Sequence[int]) -> list[Issue]:
    issues: list[Issue] = []
    for i in indexes:
        sources = ", ".join(f'"{s}"' for s in sorted(pii[i])) if i < len(pii) else ""
        label = f'"{names[i]}"' if names and i < len(names) and names[i] else f"#{i + 1}"
        issues.append(
            Issue(
                PII_COLUMN,
                f"Output column {label} derives from PII column {sources}.",
                "Values are masked for roles without the view-PII permission.",
            )
        )
    return issues
