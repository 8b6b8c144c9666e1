"""A small query plan and its rendering to SQL, with joins found along foreign keys.

The parser fills a `QueryPlan`; only this module writes SQL text. Identifiers are quoted when they
need it, values are always SQL literals (data, never code), and other dialects are produced from the
SQLite text with sqlglot so there is one renderer to keep right.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field, replace

from .schema import ForeignKey, SchemaInfo

AGGREGATES = ("COUNT", "SUM", "AVG", "MIN", "MAX")
# SQLite strftime formats of the time buckets ("by month"); quarters are built separately.
DATE_FORMATS = {"year": "%Y", "month": "%Y-%m", "week": "%Y-%W", "day": "%Y-%m-%d"}
SAFE_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Words that must be quoted as identifiers in at least one supported dialect.
RESERVED = {
    "select",
    "from",
    "where",
    "group",
    "order",
    "by",
    "having",
    "limit",
    "join",
    "on",
    "as",
    "and",
    "or",
    "not",
    "in",
    "is",
    "null",
    "like",
    "between",
    "case",
    "when",
    "then",
    "else",
    "end",
    "table",
    "index",
    "key",
    "primary",
    "foreign",
    "references",
    "default",
    "check",
    "unique",
    "union",
    "all",
    "distinct",
    "values",
    "insert",
    "update",
    "delete",
    "create",
    "drop",
    "alter",
    "to",
    "into",
    "desc",
    "asc",
    "user",
    "year",
    "month",
    "day",
    "date",
    "time",
    "timestamp",
    "position",
    "rank",
    "range",
    "rows",
    "level",
    "match",
    "left",
    "right",
    "full",
    "inner",
    "outer",
    "cross",
    "natural",
    "using",
    "offset",
    "except",
    "intersect",
    "window",
    "over",
    "partition",
    "exists",
    "any",
    "some",
    "cast",
    "collate",
    "set",
    "column",
    "name",
    "type",
    "value",
    "location",
    "role",
    "comment",
    "status",
    "language",
    "number",
    "result",
}


class JoinError(Exception):
    """Raised when the needed tables are not connected by foreign keys (the engine then refuses)."""


def quote_identifier(name: str) -> str:
    if SAFE_IDENTIFIER.match(name) and name.lower() not in RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: object) -> str:
    """Numbers stay numbers; everything else becomes a single-quoted string with quotes doubled."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return "'" + str(value).replace("'", "''") + "'"


@dataclass(frozen=True)
class ColumnRef:
    """`column` "*" stands for a whole row (COUNT(*))."""

    table: str
    column: str


@dataclass
class Expression:
    """A column, optionally aggregated; `date_part` wraps it in a year/month bucket for "by month"."""

    column: ColumnRef | None
    aggregate: str | None = None
    distinct: bool = False
    date_part: str | None = None
    # aggregate "SHARE": the percentage of the rows for which this condition holds
    share_of: Condition | None = None


@dataclass
class Condition:
    expression: Expression
    operator: str
    value: object = None
    value2: object = None
    subquery: QueryPlan | None = None


@dataclass
class OrderItem:
    expression: Expression
    descending: bool = False


@dataclass
class QueryPlan:
    """What to compute. `tables` is every table needed; joins are derived from foreign keys."""

    select: list[Expression] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    connector: str = "AND"
    group_by: list[Expression] = field(default_factory=list)
    having: list[Condition] = field(default_factory=list)
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    distinct: bool = False
    # When set, the joins to use (chosen by the caller, e.g. many-to-one paths from a fact table)
    # instead of the shortest foreign-key paths found by `join_tree`.
    join_keys: list[ForeignKey] = field(default_factory=list)
    # "the average number of orders per customer": the one figure per group, averaged over the groups
    averaged_groups: bool = False

    def add_table(self, table: str) -> None:
        if table not in self.tables:
            self.tables.append(table)


# ------------------------------------------------------------------------------ joins


def _adjacency(schema: SchemaInfo) -> dict[str, list[ForeignKey]]:
    graph: dict[str, list[ForeignKey]] = {table.name: [] for table in schema.tables}
    for key in schema.foreign_keys:
        graph.setdefault(key.table, []).append(key)
        graph.setdefault(key.ref_table, []).append(key)
    return graph


def _other_end(key: ForeignKey, table: str) -> str:
    return key.ref_table if key.table == table else key.table


def _shortest_path(graph: dict[str, list[ForeignKey]], sources: set[str], target: str) -> tuple[list[ForeignKey], int]:
    """BFS from the current tree to `target`; also returns how many equally short paths exist."""
    parents: dict[str, tuple[str, ForeignKey] | None] = {source: None for source in sources}
    depth = {source: 0 for source in sources}
    ways = {source: 1 for source in sources}
    queue = deque(sources)
    while queue:
        current = queue.popleft()
        for key in graph.get(current, []):
            neighbour = _other_end(key, current)
            if neighbour == current:
                continue
            if neighbour not in depth:
                depth[neighbour] = depth[current] + 1
                ways[neighbour] = ways[current]
                parents[neighbour] = (current, key)
                queue.append(neighbour)
            elif depth[neighbour] == depth[current] + 1:
                ways[neighbour] += ways[current]
    if target not in parents:
        raise JoinError(f"no foreign-key path reaches {target}")
    path: list[ForeignKey] = []
    node = target
    while parents[node] is not None:
        previous, key = parents[node]  # type: ignore[misc]
        path.append(key)
        node = previous
    return list(reversed(path)), ways[target]


def join_tree(schema: SchemaInfo, tables: list[str]) -> tuple[list[str], list[ForeignKey], int]:
    """Tables in join order, the keys joining them, and how many alternative paths were possible.

    Grows a tree from the first table by the shortest foreign-key path to each next table (a
    Steiner-tree approximation). More than one equally short path means the join is a guess; the
    caller turns that into lower confidence.
    """
    if not tables:
        return [], [], 1
    graph = _adjacency(schema)
    ordered, keys, alternatives = [tables[0]], [], 1
    for target in tables[1:]:
        if target in ordered:
            continue
        path, ways = _shortest_path(graph, set(ordered), target)
        alternatives = max(alternatives, ways)
        for key in path:
            for table in (key.table, key.ref_table):
                if table not in ordered:
                    ordered.append(table)
            if key not in keys:
                keys.append(key)
    return ordered, keys, alternatives


def _explicit_tree(tables: list[str], keys: list[ForeignKey]) -> tuple[list[str], list[ForeignKey], int]:
    """Join order for caller-chosen keys: start from the first table, add each key's other end."""
    ordered = [tables[0]]
    remaining = list(keys)
    while remaining:
        key = next((k for k in remaining if k.table in ordered or k.ref_table in ordered), None)
        if key is None:
            raise JoinError("the chosen joins do not connect")
        remaining.remove(key)
        for table in (key.table, key.ref_table):
            if table not in ordered:
                ordered.append(table)
    missing = [table for table in tables if table not in ordered]
    if missing:
        raise JoinError(f"no join reaches {missing[0]}")
    return ordered, list(keys), 1


# ---------------------------------------------------------------------------- render


class Renderer:
    """Turns a plan into SQLite SQL. Joined queries use T1, T2… aliases as people write them."""

    def __init__(self, schema: SchemaInfo, plan: QueryPlan) -> None:
        self.schema = schema
        self.plan = plan
        if plan.join_keys:
            self.order, self.keys, self.alternatives = _explicit_tree(plan.tables, plan.join_keys)
        else:
            self.order, self.keys, self.alternatives = join_tree(schema, plan.tables)
        # The join as the question asked for it (confidence is judged on this), before lookups are pruned.
        self.path_keys = list(self.keys)
        # A table the question did not name, joined only because two named tables both refer to it
        # (instructor → department ← course): that relates rows that merely share a parent, which is
        # rarely what was asked ("instructors who taught a course" goes through what they taught).
        self.shared_parents = [
            table
            for table in self.order
            if table not in plan.tables and sum(key.ref_table == table for key in self.path_keys) >= 2
        ]
        if not plan.join_keys:
            self._prune_lookups()
        self.aliases = {table: f"T{i + 1}" for i, table in enumerate(self.order)} if len(self.order) > 1 else {}
        self.outer = self._zero_counts()

    def _zero_counts(self) -> dict[str, ForeignKey]:
        """Counted tables whose count may be zero ("customers with fewer than 2 orders" includes those
        with none): joined with LEFT JOIN and counted by their key, so rows with no match count 0."""
        outer: dict[str, ForeignKey] = {}
        for condition in self.plan.having:
            expression = condition.expression
            if expression.aggregate != "COUNT" or expression.column is None or expression.column.column != "*":
                continue
            zero_passes = condition.operator in ("<", "<=") or (condition.operator == "=" and condition.value == 0)
            table = expression.column.table
            if not zero_passes or table == self.order[0] or table not in self.order:
                continue
            touching = [k for k in self.keys if table in (k.table, k.ref_table)]
            if len(touching) == 1 and touching[0].table == table and touching[0].ref_table != table:
                outer[table] = touching[0]
        return outer

    def _used_tables(self) -> set[str]:
        plan = self.plan
        expressions = [*plan.select, *plan.group_by, *(item.expression for item in plan.order_by)]
        expressions += [condition.expression for condition in (*plan.conditions, *plan.having)]
        return {e.column.table for e in expressions if e.column is not None and e.column.column != "*"}

    def _prune_lookups(self) -> None:
        """Drop joined tables nothing reads: a leaf reached through its own primary key adds no rows.

        "Students with the most courses" counts registrations per student; joining `courses` as well
        would only drop registrations whose course is missing. A leaf joined by its single primary key
        is a many-to-one lookup: without it the row count is the same for every consistent database.
        """
        used = self._used_tables()
        while len(self.order) > 1:
            for table in self.order:
                touching = [k for k in self.keys if table in (k.table, k.ref_table)]
                if table in used or len(touching) != 1 or touching[0].ref_table != table:
                    continue
                primary = [c.name for c in (self.schema.table(table).primary_keys if self.schema.table(table) else [])]
                if primary != [touching[0].ref_column] or touching[0].table == table:
                    continue
                self.order.remove(table)
                self.keys.remove(touching[0])
                break
            else:
                return

    def column(self, ref: ColumnRef) -> str:
        if ref.column == "*":
            return "*"
        name = quote_identifier(ref.column)
        alias = self.aliases.get(ref.table)
        return f"{alias}.{name}" if alias else name

    def expression(self, expression: Expression) -> str:
        inner = self.column(expression.column) if expression.column else "*"
        if expression.date_part == "quarter":
            # String comparisons on the month keep the quarter number integral in every dialect.
            inner = (
                f"strftime('%Y', {inner}) || '-Q' || CASE WHEN strftime('%m', {inner}) <= '03' THEN '1' "
                f"WHEN strftime('%m', {inner}) <= '06' THEN '2' WHEN strftime('%m', {inner}) <= '09' THEN '3' ELSE '4' END"
            )
        elif expression.date_part in DATE_FORMATS:
            inner = f"strftime('{DATE_FORMATS[expression.date_part]}', {inner})"
        if expression.aggregate == "COUNT" and expression.column is not None and expression.column.table in self.outer:
            if expression.column.column == "*":
                key = self.outer[expression.column.table]
                inner = self.column(ColumnRef(key.table, key.column))  # NULL where nothing matched: counts 0
        if expression.aggregate == "SHARE" and expression.share_of is not None:
            return f"ROUND(100.0 * SUM(CASE WHEN {self.condition(expression.share_of)} THEN 1 ELSE 0 END) / COUNT(*), 1)"
        if expression.aggregate:
            distinct = "DISTINCT " if expression.distinct else ""
            if expression.aggregate in ("AVG", "SUM") and expression.column and not expression.date_part:
                info = self.schema.column(expression.column.table, expression.column.column)
                if info is not None and info.numbers_as_text:
                    inner = f"CAST({inner} AS REAL)"  # numbers stored as text, added up as numbers
            return f"{expression.aggregate}({distinct}{inner})"
        return inner

    def condition(self, condition: Condition) -> str:
        left = self.expression(condition.expression)
        if condition.operator in ("IS NULL", "IS NOT NULL"):
            return f"{left} {condition.operator}"
        if condition.subquery is not None:
            inner = render(self.schema, self.without_nulls(condition))
            return f"{left} {condition.operator} ({inner})"

        if condition.operator == "BETWEEN":
            return f"{left} BETWEEN {quote_literal(condition.value)} AND {quote_literal(condition.value2)}"
        if condition.operator in ("IN", "NOT IN"):
            values = ", ".join(quote_literal(value) for value in condition.value)  # type: ignore[attr-defined]
            return f"{left} {condition.operator} ({values})"
        return f"{left} {condition.operator} {quote_literal(condition.value)}"

    def without_nulls(self, condition: Condition) -> QueryPlan:
        """`x NOT IN (SELECT y …)` is never true once one y is NULL ("stores with no employees" would find none
        if one employee has no store): the subquery leaves NULLs out. Keys cannot be NULL and need no test."""
        inner = condition.subquery
        assert inner is not None
        if condition.operator != "NOT IN" or len(inner.select) != 1 or (inner.conditions and inner.connector != "AND"):
            return inner
        shown = inner.select[0]
        if shown.aggregate or shown.column is None or shown.column.column == "*":
            return inner
        table = self.schema.table(shown.column.table)
        if table is not None and [c.name for c in table.primary_keys] == [shown.column.column]:
            return inner
        return replace(inner, conditions=[*inner.conditions, Condition(Expression(shown.column), "IS NOT NULL")])

    def from_clause(self) -> str:
        first = self.order[0]
        parts = [self.table(first)]
        joined = {first}
        for table in self.order[1:]:
            key = next(k for k in self.keys if {k.table, k.ref_table} & joined and table in (k.table, k.ref_table))
            joined.add(table)
            on = f"{self.column(ColumnRef(key.table, key.column))} = {self.column(ColumnRef(key.ref_table, key.ref_column))}"
            parts.append(f"{'LEFT JOIN' if table in self.outer else 'JOIN'} {self.table(table)} ON {on}")
        return " ".join(parts)

    def table(self, name: str) -> str:
        alias = self.aliases.get(name)
        return f"{quote_identifier(name)} AS {alias}" if alias else quote_identifier(name)

    def sql(self) -> str:
        plan = self.plan
        select = ", ".join(self.expression(item) for item in plan.select)
        sql = f"SELECT {'DISTINCT ' if plan.distinct else ''}{select} FROM {self.from_clause()}"
        if plan.conditions:
            sql += " WHERE " + f" {plan.connector} ".join(self.condition(c) for c in plan.conditions)
        if plan.group_by:
            sql += " GROUP BY " + ", ".join(self.expression(item) for item in plan.group_by)
        if plan.having:
            sql += " HAVING " + " AND ".join(self.condition(c) for c in plan.having)
        if plan.order_by:
            sql += " ORDER BY " + ", ".join(
                self.expression(item.expression) + (" DESC" if item.descending else " ASC") for item in plan.order_by
            )
        if plan.limit is not None:
            sql += f" LIMIT {int(plan.limit)}"
        return sql


def render(schema: SchemaInfo, plan: QueryPlan) -> str:
    return Renderer(schema, plan).sql()


def to_dialect(sql: str, dialect: str) -> str:
    """SQLite text to another dialect via sqlglot (postgres, mysql, duckdb, …)."""
    if dialect == "sqlite":
        return sql
    import sqlglot

    return sqlglot.transpile(sql, read="sqlite", write=dialect)[0]
