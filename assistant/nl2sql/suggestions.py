"""Example questions the engine can answer over a schema: a total, a breakdown and a trend.

Each candidate is phrased with the words the data dictionary gives (aliases), then kept only if the
engine really answers it, so a suggestion never leads to another refusal. No values are used, so
nothing sensitive leaks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from weakref import WeakKeyDictionary

from .linking import identifier_words
from .schema import Column, SchemaInfo, Table

_CACHE: WeakKeyDictionary[SchemaInfo, list[str]] = WeakKeyDictionary()


def _plural(words: str) -> str:
    if words.endswith("s"):
        return words
    if words.endswith("y") and not words.endswith(("ay", "ey", "oy")):
        return words[:-1] + "ies"
    return words + "s"


def table_noun(table: Table) -> str:
    """ "customers" for a table called customer or aliased "Customers"."""
    if table.aliases:
        return table.aliases[0].lower()
    return _plural(" ".join(identifier_words(table.name)))


def column_noun(column: Column) -> str:
    if column.aliases:
        return column.aliases[0].lower()
    return " ".join(identifier_words(column.name))


def _is_key(schema: SchemaInfo, column: Column) -> bool:
    if column.primary_key or identifier_words(column.name)[-1:] in (["id"], ["key"], ["code"]):
        return True
    return any((k.table, k.column) == (column.table, column.name) for k in schema.foreign_keys)


def _candidates(schema: SchemaInfo) -> list[list[str]]:
    """Candidate questions by kind: breakdowns, totals, trends, counts (in schema order)."""
    breakdowns, totals, trends, counts = [], [], [], []
    for table in schema.tables:
        noun = table_noun(table)
        counts.append(f"How many {noun} are there?")
        dimensions = [c for c in table.columns if c.values and not c.pii and not c.is_numeric and 1 < len(c.values) <= 25]
        measures = [c for c in table.columns if c.is_numeric and not c.pii and not _is_key(schema, c)]
        dates = [c for c in table.columns if c.is_date and not c.is_numeric and not c.pii]
        for dimension in dimensions[:2]:
            breakdowns.append(f"How many {noun} are there per {column_noun(dimension)}?")
            for measure in measures[:1]:
                totals.append(f"What is the total {column_noun(measure)} by {column_noun(dimension)}?")
        if len(dates) == 1:
            trends.append(f"How many {noun} are there per month?")
    return [breakdowns, totals, trends, counts]


def suggestions_for(
    schema: SchemaInfo, answerable: Callable[[str], bool], limit: int = 3, today: dt.date | None = None
) -> list[str]:
    """Up to `limit` answerable questions, varied: a breakdown, a total, a trend (then plain counts)."""
    cached = _CACHE.get(schema)
    if cached is None:
        groups = _candidates(schema)
        cached = []
        checks = 0
        while len(cached) < limit and any(groups) and checks < 40:
            for group in groups:
                # One of each kind in turn, so the examples show different shapes.
                while group and len(cached) < limit and checks < 40:
                    question = group.pop(0)
                    checks += 1
                    if answerable(question):
                        cached.append(question)
                        break
        _CACHE[schema] = cached
    return cached[:limit]
