"""Row- and column-level security: every reference to a governed table reads only its allowed rows
and columns.

Each base-table reference — in the FROM clause, a join, a subquery, a CTE body, a branch of a set
operation — is replaced by a derived table under the same name:

    FROM orders o            →  FROM (SELECT id, region, total FROM orders WHERE region = 'EMEA') AS o

so the filter travels with the table wherever the statement reads it, and a hidden column does not
exist for the statement at all. References are found through sqlglot's scopes, which know which
names are CTEs (`WITH orders AS (SELECT * FROM orders)` — the inner `orders` is the table and is
filtered; the outer one is the CTE). Any governed table that the scope analysis cannot place fails the
statement closed rather than being left unfiltered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.optimizer.scope import traverse_scope

from .catalog import SYSTEM_SCHEMAS, SYSTEM_TABLES, cte_names
from .model import Issue
from .quiet import quiet_sqlglot

RLS_UNSUPPORTED = "RLS_UNSUPPORTED"
DEFAULT_SCHEMAS = {"", "public", "main", "dbo"}


@dataclass(frozen=True)
class TablePolicy:
    """What one caller may read of one table: rows matching `row_filter` (SQL over the table's own
    columns; "" for all rows) and `visible_columns` (None for all of them)."""

    table: str
    schema: str = ""
    row_filter: str = ""
    visible_columns: tuple[str, ...] | None = None

    def matches(self, node: exp.Table) -> bool:
        if node.name.lower() != self.table.lower():
            return False
        written, stored = node.db.lower(), self.schema.lower()
        return written == stored or (not written and stored in DEFAULT_SCHEMAS) or (
            not stored and written in DEFAULT_SCHEMAS)


def parse_filter(row_filter: str, dialect: str) -> exp.Expression:
    """A policy's row filter as a condition; raises ValueError when it is not one plain expression."""
    try:
        with quiet_sqlglot():
            condition = sqlglot.parse_one(f"SELECT 1 WHERE {row_filter}", read=dialect)
    except ParseError as exc:
        raise ValueError(f"The row filter is not a valid condition ({exc.errors[0]['description']}).") from None
    where = condition.args.get("where") if isinstance(condition, exp.Select) else None
    if where is None or len(condition.expressions) != 1 or condition.args.get("from_") or condition.args.get("from"):
        raise ValueError("The row filter must be a single condition, such as region = 'EMEA'.")
    if where.this.find(exp.Select, exp.Subquery):
        raise ValueError("The row filter may not contain a subquery.")
    return where.this


def _governed(tree: exp.Expression) -> set[int]:
    """ids of the Table nodes that are base-table reads, by scope analysis."""
    found: set[int] = set()
    for scope in traverse_scope(tree):
        for source in scope.sources.values():
            if isinstance(source, exp.Table):
                found.add(id(source))
    return found


def _derived(node: exp.Table, policy: TablePolicy, dialect: str) -> exp.Subquery:
    inner = exp.Table(this=exp.to_identifier(node.name, quoted=True))
    if node.db:
        inner.set("db", exp.to_identifier(node.db, quoted=True))
    if node.catalog:
        inner.set("catalog", exp.to_identifier(node.catalog, quoted=True))
    columns: list[exp.Expression] = (
        [exp.column(name, quoted=True) for name in policy.visible_columns]
        if policy.visible_columns is not None else [exp.Star()]
    )
    select = exp.select(*columns).from_(inner)
    if policy.row_filter:
        select = select.where(parse_filter(policy.row_filter, dialect))
    alias = node.alias_or_name
    return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))


# What describes the database rather than holding its data: table definitions, column lists, view
# bodies. For someone under a policy these would name hidden columns (and show a view's filters), so
# they are refused; the schema endpoints show such a member what they may see.
# The catalog's schemas and tables as the gate knows them (catalog.py, by engine), less the ones that
# describe nothing (MySQL's `dual`), plus what each engine reaches without a schema (`pg_class`, …).
_ENGINES = {"postgres": "postgresql", "mysql": "mysql", "sqlite": "sqlite", "duckdb": "duckdb"}
CATALOG_TABLE_PREFIXES = {
    "postgres": ("pg_",),
    "mysql": (),
    "sqlite": ("sqlite_",),
    "duckdb": ("duckdb_", "sqlite_", "pg_"),
}
# Table-valued functions a governed statement may still read (they make rows, they describe nothing).
ROW_FUNCTIONS = frozenset({
    "range", "generate_series", "exploding_generate_series", "unnest", "json_each", "json_tree", "jsonb_each",
    "jsonb_array_elements", "json_array_elements", "jsonb_to_recordset", "json_to_recordset",
    "regexp_split_to_table", "explode", "values",
})
# Scalar functions that return definitions or comments of database objects.
CATALOG_FUNCTION_PREFIXES = ("pg_get_", "pg_table_", "pg_relation_", "pg_indexes_", "pg_describe_")
CATALOG_FUNCTIONS = frozenset({"col_description", "obj_description", "shobj_description", "format_type",
                               "has_column_privilege", "to_regclass"})
RLS_CATALOG = "FORBIDDEN_TABLE"


def _function_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return (node.sql_name() if hasattr(node, "sql_name") else type(node).__name__).lower()


def catalog_reads(tree: exp.Expression, dialect: str) -> list[Issue]:
    """Reads of the database's own description (catalog tables, pragma and catalog functions)."""
    engine = _ENGINES.get(dialect, dialect)
    schemas = SYSTEM_SCHEMAS.get(engine, frozenset())
    tables = SYSTEM_TABLES.get(engine, frozenset()) - {"dual"}
    prefixes = CATALOG_TABLE_PREFIXES.get(dialect, ())
    for node in tree.find_all(exp.Table):
        if isinstance(node.this, exp.Identifier):
            name, schema = node.name.lower(), node.db.lower()
            unqualified = not schema or schema in DEFAULT_SCHEMAS
            if schema in schemas or unqualified and (name in tables or name.startswith(prefixes)):
                return [_catalog_issue(f"{schema + '.' if schema else ''}{node.name}")]
        else:  # a table-valued function: pragma_table_info(...), duckdb_columns(), information_schema…
            function = node.this
            name = _function_name(function) if isinstance(function, exp.Func) else str(function).lower()
            if name not in ROW_FUNCTIONS:
                return [_catalog_issue(f"{name}(…)")]
    for call in tree.find_all(exp.Anonymous):
        name = str(call.this).lower()
        if name.startswith(CATALOG_FUNCTION_PREFIXES) or name in CATALOG_FUNCTIONS or name.startswith("pragma_"):
            return [_catalog_issue(f"{name}(…)")]
    return []


def _catalog_issue(what: str) -> Issue:
    return Issue(RLS_CATALOG, f"{what} describes the database itself, which access rules on this data source keep "
                 "from you (it would name what is hidden).", "The schema browser shows the tables and columns "
                 "you may use.")


def apply_policies(tree: exp.Expression, policies: Sequence[TablePolicy],
                   dialect: str) -> tuple[exp.Expression, list[Issue]]:
    """`tree` with every governed table read replaced by its allowed rows and columns (in place)."""
    if not policies:
        return tree, []
    refused = catalog_reads(tree, dialect)
    if refused:
        return tree, refused
    governed = _governed(tree)
    ctes = cte_names(tree)
    replacements: list[tuple[exp.Table, TablePolicy]] = []
    for node in list(tree.find_all(exp.Table)):
        if not isinstance(node.this, exp.Identifier):
            continue  # a table function, not a stored table
        policy = next((p for p in policies if p.matches(node)), None)
        if policy is None:
            continue
        if id(node) not in governed:
            if not node.db and node.name.lower() in ctes:
                continue  # a reference to a CTE of that name (its body's reads are governed on their own)
            return tree, [Issue(RLS_UNSUPPORTED, f'The statement reads "{node.name}" in a way the access rules '
                                "cannot follow, so it is refused.", "Rewrite it with plain joins or subqueries.")]
        if policy.visible_columns is not None and not policy.visible_columns:
            return tree, [Issue(RLS_UNSUPPORTED, f'You have no access to "{node.name}" (a view without an access '
                                "policy of its own, or every column hidden).", "Ask a workspace admin.")]
        replacements.append((node, policy))
    try:
        for node, policy in replacements:
            node.replace(_derived(node, policy, dialect))
    except ValueError as exc:  # a stored filter that no longer parses: nothing is read unfiltered
        return tree, [Issue(RLS_UNSUPPORTED, f"An access rule of this data source is broken: {exc}")]
    return tree, []
