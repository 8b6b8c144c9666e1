"""Reads: the schema with the dictionary merged in, and table lookups by name."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet

from core.exceptions import NotFound

from .models import DataSource, SchemaColumn, SchemaRelationship, SchemaTable


def _sources(workspace: Any, membership: Any) -> QuerySet[DataSource]:
    """The workspace's sources, less those taken away from `membership`'s holder by a grant."""
    from teams.grants import usable_sources

    return usable_sources(DataSource.objects.filter(workspace=workspace), membership)


def default_data_source(workspace: Any, membership: Any = None) -> DataSource:
    sources = _sources(workspace, membership)
    ds = sources.filter(is_default=True).first() or sources.order_by("created_at").first()
    if ds is None:
        raise NotFound("This workspace has no data source yet. Register one at /api/v1/databases.",
                       code="NO_DATA_SOURCE")
    return ds


def data_source_for(workspace: Any, data_source_id: Any | None, membership: Any = None) -> DataSource:
    """A source of the workspace by id (the default one without an id). With `membership`, a source
    taken away from that member is as unknown as another workspace's."""
    if not data_source_id:
        return default_data_source(workspace, membership)
    try:
        return _sources(workspace, membership).get(pk=data_source_id)
    except (DataSource.DoesNotExist, ValidationError, ValueError):
        raise NotFound("No such data source.", code="DATA_SOURCE_NOT_FOUND") from None


def tables_of(ds: DataSource, *, include_removed: bool = False) -> QuerySet[SchemaTable]:
    tables = SchemaTable.objects.filter(data_source=ds)
    if not include_removed:
        tables = tables.filter(is_removed=False)
    return tables.annotate(columns_count=Count("columns", filter=Q(columns__is_removed=False)))


def find_table(ds: DataSource, name: str) -> SchemaTable:
    """`schema.table` or a bare table name (unique across schemas, or in the default schema)."""
    schema, _, table = name.rpartition(".")
    candidates = SchemaTable.objects.filter(data_source=ds, name=table, is_removed=False)
    if schema:
        candidates = candidates.filter(schema_name="" if schema in ("public", "main") else schema)
        found = candidates.first()
    else:
        found = candidates.filter(schema_name="").first() or (candidates.first() if candidates.count() == 1 else None)
    if found is None:
        # Also try the literal name (a table whose name contains a dot).
        found = SchemaTable.objects.filter(data_source=ds, name=name, is_removed=False).first()
    if found is None:
        raise NotFound(f"No table “{name}” in {ds.name}.", code="TABLE_NOT_FOUND")
    return found


def find_column(table: SchemaTable, name: str) -> SchemaColumn:
    column = table.columns.filter(name=name, is_removed=False).first()
    if column is None:
        raise NotFound(f"No column “{name}” in {table.qualified_name}.", code="COLUMN_NOT_FOUND")
    return column


def display_tags(column: SchemaColumn, fk_columns: set[str]) -> list[str]:
    tags = list(column.tags or [])
    if column.is_primary_key and "PK" not in tags:
        tags.insert(0, "PK")
    if column.name in fk_columns and "FK" not in tags:
        tags.append("FK")
    return tags


def schema_of(ds: DataSource) -> dict[str, Any]:
    """The synced schema with the dictionary merged in — what people and the assistant read."""
    tables = list(
        tables_of(ds).prefetch_related(
            Prefetch("columns", queryset=SchemaColumn.objects.filter(is_removed=False).order_by("position")),
        )
    )
    relationships = list(SchemaRelationship.objects.filter(data_source=ds).select_related("from_table", "to_table"))
    fks: dict[Any, set[str]] = {}
    for rel in relationships:
        fks.setdefault(rel.from_table_id, set()).update(rel.from_columns)
    return {
        "data_source": ds,
        "tables": [(table, [(c, display_tags(c, fks.get(table.pk, set()))) for c in table.columns.all()])
                   for table in tables],
        "relationships": relationships,
    }
