"""Apply a data dictionary (alias, synonyms, description, tags) to an introspected schema.

The platform builds its `SchemaInfo` from the synced data dictionary (`assistant/context.py`): a
table's aliases are its alias then its synonyms, a column's likewise, sample values are kept only for
low-cardinality columns and never for PII. This module does the same for a dictionary held as plain
data — `{table: {"alias", "description", "synonyms", "columns": {column: {"alias", "description",
"tags", "synonyms"}}}}` — so the command line, the benchmark and the tests see a database the way the
product does, without Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .schema import Column, SchemaInfo, Table

# The platform samples values only from columns with at most this many distinct values.
SAMPLE_MAX_DISTINCT = 25


def _words(*groups: Any) -> tuple[str, ...]:
    out: list[str] = []
    for group in groups:
        for item in group if isinstance(group, list | tuple) else [group]:
            text = str(item or "").strip()
            if text and text not in out:
                out.append(text)
    return tuple(out)


def _column(column: Column, entry: Mapping[str, Any], max_distinct: int) -> Column:
    pii = "PII" in (entry.get("tags") or [])
    values: Iterable[str] = () if pii or len(column.values) > max_distinct else column.values
    return Column(
        name=column.name,
        type=column.type,
        primary_key=column.primary_key,
        values=tuple(values),
        aliases=_words(entry.get("alias"), entry.get("synonyms") or []),
        description=str(entry.get("description") or ""),
        pii=pii,
    )


def apply_dictionary(
    schema: SchemaInfo, dictionary: Mapping[str, Mapping[str, Any]], max_distinct: int = SAMPLE_MAX_DISTINCT
) -> SchemaInfo:
    """A new `SchemaInfo` with the dictionary's words on every table and column it describes."""
    tables: list[Table] = []
    for table in schema.tables:
        entry = dictionary.get(table.name) or {}
        column_entries = entry.get("columns") or {}
        tables.append(
            Table(
                name=table.name,
                aliases=_words(entry.get("alias"), entry.get("synonyms") or []),
                description=str(entry.get("description") or ""),
                columns=[_column(c, column_entries.get(c.name) or {}, max_distinct) for c in table.columns],
            )
        )
    return SchemaInfo(tables=tables, foreign_keys=list(schema.foreign_keys))
