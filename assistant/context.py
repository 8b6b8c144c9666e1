"""What the assistant knows of a data source: its synced data dictionary, in the engines' terms.

`schema_info_for(ds)` turns synced tables, columns, keys, aliases, synonyms, descriptions and
sample values into the `nl2sql.SchemaInfo` both engines read. Columns tagged PII keep their names
(a question may be about them) but never their values. Sample values were drawn from every row: for
someone whose access policy filters a table's rows, that table carries none (they could name rows the
filter withholds, and whatever is in a prompt can come back in the model's explanation). Tables
outside the source's default schema are known by their bare name where it is unambiguous;
`qualify_tables` puts the schema back into generated SQL before it reaches the gate.
"""
from __future__ import annotations

from typing import Any

from django.core.cache import cache

from metadata.models import DataSource, SchemaColumn, SchemaRelationship, SchemaTable

from .nl2sql.schema import Column, ForeignKey, SchemaInfo, Table, inferred_foreign_keys

DEFAULT_SCHEMAS = {"", "public", "main", "dbo"}
DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite", "duckdb": "duckdb"}


def _words(*groups: Any) -> tuple[str, ...]:
    out: list[str] = []
    for group in groups:
        for item in group if isinstance(group, (list, tuple)) else [group]:
            text = str(item or "").strip()
            if text and text not in out:
                out.append(text)
    return tuple(out)


def _stamp(ds: DataSource) -> str:
    synced = ds.last_synced_at.timestamp() if ds.last_synced_at else 0
    return f"{ds.pk}:{synced}:{ds.updated_at.timestamp()}"


def schema_info_for(ds: DataSource, access: Any = None) -> tuple[SchemaInfo, dict[str, str]]:
    """The source's schema for the engines, and {bare table name: schema} for tables that need one —
    as `access` (metadata.access.Access of the person asking) lets them see it: hidden columns, and
    tables with nothing visible, are not there at all (nor are foreign keys through them); tables whose
    rows are filtered for them keep no sample values."""
    hidden = getattr(access, "hidden", None) or {}
    filtered = {(p.schema, p.table) for p in getattr(access, "policies", ()) if p.row_filter.strip()}
    key = f"assistant-schema:{_stamp(ds)}:{access.key if access is not None else 'all'}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    tables = list(SchemaTable.objects.filter(data_source=ds, is_removed=False).order_by("schema_name", "name"))
    columns: dict[Any, list[SchemaColumn]] = {}
    for column in SchemaColumn.objects.filter(table__data_source=ds, is_removed=False).order_by("table_id", "position"):
        columns.setdefault(column.table_id, []).append(column)
    name_counts: dict[str, int] = {}
    for table in tables:
        name_counts[table.name.lower()] = name_counts.get(table.name.lower(), 0) + 1

    info = SchemaInfo()
    schemas: dict[str, str] = {}
    names: dict[Any, str] = {}
    for table in tables:
        invisible = hidden.get((table.schema_name, table.name), frozenset())
        visible = [c for c in columns.get(table.pk, []) if c.name not in invisible]
        if invisible and not visible:
            continue
        columns[table.pk] = visible
        if table.schema_name.lower() not in DEFAULT_SCHEMAS:
            if name_counts[table.name.lower()] > 1:
                continue  # the same name in two schemas: the engines could not tell them apart
            schemas[table.name.lower()] = table.schema_name
        names[table.pk] = table.name
        info.tables.append(Table(
            name=table.name,
            aliases=_words(table.alias, table.synonyms),
            description=table.description or table.comment,
            columns=[_column(c, samples=(table.schema_name, table.name) not in filtered)
                     for c in columns.get(table.pk, [])],
        ))
    for relation in SchemaRelationship.objects.filter(data_source=ds, is_removed=False):
        if relation.from_table_id in names and relation.to_table_id in names:
            from_visible = {c.name for c in columns.get(relation.from_table_id, [])}
            to_visible = {c.name for c in columns.get(relation.to_table_id, [])}
            if not (set(relation.from_columns) <= from_visible and set(relation.to_columns) <= to_visible):
                continue
            for source, target in zip(relation.from_columns, relation.to_columns, strict=False):
                info.foreign_keys.append(ForeignKey(names[relation.from_table_id], source,
                                                    names[relation.to_table_id], target))
    # columns named like another table's primary key join it even when the database declares nothing
    info.foreign_keys.extend(inferred_foreign_keys(info.tables, info.foreign_keys))
    result = (info, schemas)
    cache.set(key, result, 300)
    return result


def _column(column: SchemaColumn, *, samples: bool = True) -> Column:
    pii = "PII" in (column.tags or [])
    return Column(
        name=column.name,
        type=column.data_type,
        primary_key=column.is_primary_key,
        values=tuple(str(v) for v in (column.sample_values or []) if v is not None) if samples and not pii else (),
        aliases=_words(column.alias, column.synonyms),
        description=column.description or column.comment,
        pii=pii,
    )


def qualify_tables(sql: str, engine: str, schemas: dict[str, str]) -> str:
    """Give tables outside the default schema their schema again (`orders` → `sales.orders`)."""
    if not schemas:
        return sql
    import sqlglot
    from sqlglot import exp

    dialect = DIALECTS.get(engine, engine)
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except Exception:
        return sql  # the gate will say what is wrong with it
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if not table.args.get("db") and name in schemas and name not in ctes:
            table.set("db", exp.to_identifier(schemas[name], quoted=True))
    return tree.sql(dialect=dialect)


def ddl_context(info: SchemaInfo, table_names: list[str] | None = None, *, max_values: int = 5) -> str:
    """The schema as the LLM engine reads it: DDL-like lines with aliases, descriptions, a few
    sample values (never of PII columns) and the foreign keys between the chosen tables."""
    wanted = {n.lower() for n in table_names} if table_names else None
    lines: list[str] = []
    for table in info.tables:
        if wanted is not None and table.name.lower() not in wanted:
            continue
        notes = []
        if table.aliases:
            notes.append("also called " + ", ".join(table.aliases))
        if table.description:
            notes.append(table.description)
        lines.append(f"CREATE TABLE {table.name} (" + (f"  -- {'; '.join(notes)}" if notes else ""))
        for column in table.columns:
            parts = [f"  {column.name} {column.type or ''}".rstrip()]
            extra = []
            if column.primary_key:
                extra.append("primary key")
            if column.aliases:
                extra.append("also called " + ", ".join(column.aliases))
            if column.description:
                extra.append(column.description)
            if column.pii:
                extra.append("personal data")
            elif column.values:
                extra.append("e.g. " + ", ".join(repr(v) for v in column.values[:max_values]))
            lines.append(parts[0] + "," + (f"  -- {'; '.join(extra)}" if extra else ""))
        lines.append(");")
    for fk in info.foreign_keys:
        if wanted is None or (fk.table.lower() in wanted and fk.ref_table.lower() in wanted):
            lines.append(f"-- {fk.table}.{fk.column} references {fk.ref_table}.{fk.ref_column}")
    return "\n".join(lines)
