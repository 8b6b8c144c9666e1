"""Writes for data sources, schema sync and the data dictionary."""
from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from auditing.services import record
from core import services as jobs
from core.crypto import encrypt
from core.db import insert_rows
from core.exceptions import Conflict, NotFound, ValidationFailed
from core.models import Job

from . import connectors
from .introspection import Catalog, introspect, sample_low_cardinality, should_sample
from .models import (
    DataSource,
    DictionaryVersion,
    SchemaColumn,
    SchemaRelationship,
    SchemaTable,
    Suggestion,
)

DICTIONARY_FIELDS = ("alias", "description", "tags", "synonyms")
TAG_VOCABULARY = ("PK", "FK", "PII", "metric", "dimension", "time", "id", "category")
CONNECTION_FIELDS = ("engine", "host", "port", "database", "username", "ssl", "options", "read_only")


# --- data sources ------------------------------------------------------------------------------------

def check_connection_settings(data: dict[str, Any], *, workspace: Any) -> None:
    engine = data.get("engine")
    if engine in DataSource.FILE_ENGINES:
        connectors.resolve_data_file(data.get("database") or "", workspace_id=workspace.pk)
    elif engine in (DataSource.Engine.POSTGRESQL, DataSource.Engine.MYSQL):
        missing = [f for f in ("host", "database") if not data.get(f)]
        if missing:
            raise ValidationFailed("Host and database are required for a server database.",
                                   details=[{"field": f, "message": "This field is required."} for f in missing])
        connectors.check_host_allowed(data["host"], data.get("port") or connectors.DEFAULT_PORTS.get(engine),
                                      data.get("database"))


def _set_default(ds: DataSource) -> None:
    DataSource.objects.filter(workspace=ds.workspace, is_default=True).exclude(pk=ds.pk).update(is_default=False)


@transaction.atomic
def data_source_create(*, workspace: Any, user: Any, data: dict[str, Any], request: Any = None) -> DataSource:
    data = dict(data)
    password = data.pop("password", None) or ""
    check_connection_settings(data, workspace=workspace)
    if DataSource.objects.filter(workspace=workspace, name=data["name"]).exists():
        raise Conflict("A data source with this name already exists.", code="NAME_TAKEN",
                       details=[{"field": "name", "message": "Already used in this workspace."}])
    first = not DataSource.objects.filter(workspace=workspace).exists()
    ds = DataSource(workspace=workspace, created_by=user, password_encrypted=encrypt(password), **data)
    if first:
        ds.is_default = True
    if ds.is_default:
        _set_default(ds)
    try:
        with transaction.atomic():
            ds.save()
    except IntegrityError:
        raise Conflict("A data source with this name already exists.", code="NAME_TAKEN") from None
    record(actor=user, action="datasource.created", target=ds, workspace=workspace, request=request,
           details={"name": ds.name, "engine": ds.engine, "host": ds.host, "database": ds.database})
    return ds


@transaction.atomic
def data_source_update(*, ds: DataSource, user: Any, data: dict[str, Any], request: Any = None) -> DataSource:
    data = dict(data)
    changed: list[str] = []
    if "password" in data:
        password = data.pop("password") or ""
        ds.password_encrypted = encrypt(password)
        changed.append("password")
    merged = {f: data.get(f, getattr(ds, f)) for f in CONNECTION_FIELDS}
    if any(f in data for f in CONNECTION_FIELDS):
        check_connection_settings(merged, workspace=ds.workspace)
    if "name" in data and data["name"] != ds.name and DataSource.objects.filter(
            workspace=ds.workspace, name=data["name"]).exists():
        raise Conflict("A data source with this name already exists.", code="NAME_TAKEN",
                       details=[{"field": "name", "message": "Already used in this workspace."}])
    for key, value in data.items():
        if getattr(ds, key) != value:
            setattr(ds, key, value)
            changed.append(key)
    if any(f in changed for f in (*CONNECTION_FIELDS, "password")):
        ds.status, ds.status_message = DataSource.Status.UNKNOWN, ""
        connectors.dispose_engine(ds.pk)
    if ds.is_default:
        _set_default(ds)
    ds.save()
    record(actor=user, action="datasource.updated", target=ds, workspace=ds.workspace, request=request,
           details={"changed": sorted(changed)})
    return ds


def data_source_delete(*, ds: DataSource, user: Any, request: Any = None) -> None:
    record(actor=user, action="datasource.deleted", target=ds, workspace=ds.workspace, request=request,
           details={"name": ds.name, "engine": ds.engine})
    connectors.dispose_engine(ds.pk)
    was_default, workspace = ds.is_default, ds.workspace
    ds.delete()
    if was_default:
        successor = DataSource.objects.filter(workspace=workspace).order_by("created_at").first()
        if successor:
            DataSource.objects.filter(pk=successor.pk).update(is_default=True)


def data_source_test(*, ds: DataSource, user: Any, request: Any = None) -> connectors.ConnectionTest:
    result = connectors.probe_connection(ds)
    DataSource.objects.filter(pk=ds.pk).update(
        status=DataSource.Status.CONNECTED if result.success else DataSource.Status.ERROR,
        status_message=result.message[:500], server_version=result.server_version or ds.server_version,
        last_tested_at=timezone.now(),
    )
    record(actor=user, action="datasource.tested", target=ds, workspace=ds.workspace, request=request,
           details={"success": result.success, "latency_ms": result.latency_ms})
    return result


# --- schema sync ----------------------------------------------------------------------------------------

@transaction.atomic
def schema_sync_start(*, ds: DataSource, user: Any, request: Any = None) -> Job:
    from .tasks import sync_schema

    DataSource.objects.select_for_update().filter(pk=ds.pk).first()  # one request at a time per source
    running = Job.objects.filter(kind="schema_sync", params__data_source_id=str(ds.pk),
                                 status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).first()
    if running:
        return running  # one sync at a time per data source; the caller watches the same job
    job = jobs.job_create(workspace=ds.workspace, user=user, kind="schema_sync",
                          params={"data_source_id": str(ds.pk)})
    record(actor=user, action="datasource.sync_started", target=ds, workspace=ds.workspace, request=request,
           details={"job_id": str(job.pk)})
    jobs.job_enqueue(job, sync_schema, queue="long_running")
    return job


def _pii_columns(ds: DataSource) -> set[tuple[str, str, str]]:
    rows = SchemaColumn.objects.filter(table__data_source=ds).exclude(tags=[]).values_list(
        "table__schema_name", "table__name", "name", "tags")
    return {(schema, table, name) for schema, table, name, tags in rows if "PII" in (tags or [])}


def schema_sync(*, ds: DataSource, job: Job | None = None) -> dict[str, Any]:
    """Introspect the data source and merge the result into the stored schema.

    Everything is read first; the stored schema changes in one transaction at the end, so a
    database that vanishes mid-sync leaves the previous schema intact. Human dictionary fields are
    never touched; objects that disappeared are marked removed, not deleted.
    """
    started = time.perf_counter()

    def progress(percent: int, message: str) -> None:
        if job is not None:
            jobs.job_progress(job, percent, message)

    from .autoguess import ColumnProfile, detect_pii

    engine = connectors.engine_for(ds)
    known_pii = _pii_columns(ds)
    with engine.connect() as connection:
        catalog = introspect(connection, ds.engine, schemas=(ds.options or {}).get("schemas") or None,
                             progress=progress)
        candidates = [(t, c) for t in catalog.tables if (t.row_count or 0) > 0 for c in t.columns if should_sample(c)]
        for index, (table, column) in enumerate(candidates):
            if (table.schema, table.name, column.name) in known_pii:
                continue
            kind, confidence, _ = detect_pii(ColumnProfile(name=column.name, data_type=column.data_type))
            if kind and confidence >= 0.6:
                continue  # looks personal: never copy its values into the dictionary
            sample_low_cardinality(connection, table, column, settings.SCHEMA_SAMPLE_MAX_DISTINCT)
            if index % 25 == 0:
                progress(50 + int(40 * index / max(1, len(candidates))), f"Sampling values ({index}/{len(candidates)})")
        connection.rollback()
    progress(92, "Saving the schema")
    summary = _merge_catalog(ds, catalog)
    summary["duration_ms"] = round((time.perf_counter() - started) * 1000)
    return summary


@transaction.atomic
def _merge_catalog(ds: DataSource, catalog: Catalog) -> dict[str, Any]:
    now = timezone.now()
    existing = {(t.schema_name, t.name): t for t in SchemaTable.objects.filter(data_source=ds)}
    summary: dict[str, Any] = {
        "tables": len(catalog.tables), "tables_added": 0, "tables_removed": 0, "tables_restored": 0,
        "columns": 0, "columns_added": 0, "columns_removed": 0, "columns_changed": 0, "relationships": 0,
        # What changed, by name (the first 100 of each), so that people can see it in the job.
        "changes": {"tables_added": [], "tables_removed": [], "columns_added": [], "columns_removed": [],
                    "columns_changed": []},
    }
    changes = summary["changes"]

    def note(kind: str, name: str) -> None:
        if len(changes[kind]) < 100:
            changes[kind].append(name)
    new_tables, changed_tables = [], []
    seen: set[tuple[str, str]] = set()
    for info in catalog.tables:
        key = (info.schema, info.name)
        seen.add(key)
        table = existing.get(key)
        if table is None:
            table = SchemaTable(data_source=ds, schema_name=info.schema, name=info.name)
            new_tables.append(table)
            existing[key] = table
            summary["tables_added"] += 1
            note("tables_added", table.qualified_name)
        else:
            if table.is_removed:
                summary["tables_restored"] += 1
        facts = {"kind": info.kind, "comment": info.comment, "row_count": info.row_count,
                 "row_count_is_estimate": info.row_count_is_estimate, "is_removed": False, "removed_at": None}
        if table.pk is not None and table not in new_tables and any(getattr(table, f) != v for f, v in facts.items()):
            changed_tables.append(table)  # only rows whose synced facts changed are written again
        for f, v in facts.items():
            setattr(table, f, v)
    for key, table in existing.items():
        if key not in seen and not table.is_removed:
            table.is_removed, table.removed_at = True, now
            changed_tables.append(table)
            summary["tables_removed"] += 1
            note("tables_removed", table.qualified_name)
    insert_rows(SchemaTable, [
        {"id": t.pk, "data_source_id": ds.pk, "schema_name": t.schema_name, "name": t.name, "kind": t.kind,
         "comment": t.comment, "row_count": t.row_count, "row_count_is_estimate": t.row_count_is_estimate}
        for t in new_tables
    ])
    SchemaTable.objects.bulk_update(changed_tables, ["kind", "comment", "row_count", "row_count_is_estimate",
                                                     "is_removed", "removed_at", "updated_at"], batch_size=500)

    table_ids = {key: existing[key].pk for key in seen}
    names = {t.pk: t.qualified_name for t in existing.values()}
    new_table_ids = {t.pk for t in new_tables}
    synced = ("position", "data_type", "nullable", "default", "comment", "is_primary_key")
    # Plain rows, not model instances: a large schema has tens of thousands of columns, and a
    # re-sync usually changes none of them. Instances are built only for the rows that change.
    old_columns = {
        (row["table_id"], row["name"]): row
        for row in SchemaColumn.objects.filter(table__data_source=ds).values(
            "id", "table_id", "name", *synced, "sample_values", "distinct_count", "is_removed", "removed_at", "tags")
    }
    new_columns, changed_columns, seen_columns = [], [], set()
    for info in catalog.tables:
        table_id = table_ids[(info.schema, info.name)]
        for col in info.columns:
            key = (table_id, col.name)
            seen_columns.add(key)
            column = old_columns.get(key)
            values = {"position": col.position, "data_type": col.data_type, "nullable": col.nullable,
                      "default": col.default, "comment": col.comment, "is_primary_key": col.is_primary_key}
            if col.sample_values is not None:
                values.update(sample_values=col.sample_values, distinct_count=col.distinct_count)
            if column is None:
                new_columns.append({"table_id": table_id, "name": col.name, **values})
                summary["columns_added"] += 1
                if table_id not in new_table_ids:
                    note("columns_added", f"{names[table_id]}.{col.name}")
                continue
            if "PII" in (column["tags"] or []):
                values.update(sample_values=[], distinct_count=None)
            values.update(is_removed=False, removed_at=None)
            if any(column[f] != v for f, v in values.items()):
                if any(column[f] != values[f] for f in synced) or column["is_removed"]:
                    summary["columns_changed"] += 1
                    note("columns_changed", f"{names[table_id]}.{col.name}")
                changed_columns.append(_column_instance(column, values))
    for key, column in old_columns.items():
        if key not in seen_columns and not column["is_removed"]:
            changed_columns.append(_column_instance(column, {"is_removed": True, "removed_at": now}))
            summary["columns_removed"] += 1
            note("columns_removed", f"{names.get(key[0], '?')}.{key[1]}")
    insert_rows(SchemaColumn, new_columns)
    SchemaColumn.objects.bulk_update(changed_columns, [*synced, "sample_values", "distinct_count", "is_removed",
                                                       "removed_at", "updated_at"], batch_size=1000)
    summary["columns"] = sum(len(t.columns) for t in catalog.tables)

    # Relationships carry no human edits: rebuild them from the catalog.
    SchemaRelationship.objects.filter(data_source=ds).delete()
    relationships = []
    for fk in catalog.foreign_keys:
        source, target = existing.get((fk.schema, fk.table)), existing.get((fk.ref_schema, fk.ref_table))
        if source is None or target is None or not fk.ref_columns:
            continue
        relationships.append({"data_source_id": ds.pk, "name": fk.name, "from_table_id": source.pk,
                              "from_columns": fk.columns, "to_table_id": target.pk, "to_columns": fk.ref_columns})
    insert_rows(SchemaRelationship, relationships)
    summary["relationships"] = len(relationships)
    DataSource.objects.filter(pk=ds.pk).update(last_synced_at=now, status=DataSource.Status.CONNECTED,
                                               status_message="")
    from queries.services import result_cache_invalidate

    transaction.on_commit(lambda: result_cache_invalidate(ds))  # cached results may describe the old schema
    return summary


def _column_instance(row: dict[str, Any], changes: dict[str, Any]) -> SchemaColumn:
    fields = {k: v for k, v in row.items() if k not in ("tags",)}
    fields.update(changes, updated_at=timezone.now())  # bulk_update does not apply auto_now
    return SchemaColumn(**fields)


# --- data dictionary ------------------------------------------------------------------------------

def _snapshot(obj: SchemaTable | SchemaColumn) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in DICTIONARY_FIELDS}


def _clean_list(values: Any, field: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationFailed.for_field(field, "Must be a list of strings.")
    cleaned: list[str] = []
    for value in values:
        value = value.strip()
        if field == "tags":
            canonical = next((t for t in TAG_VOCABULARY if t.lower() == value.lower()), None)
            value = canonical or value
        if value and value not in cleaned:
            cleaned.append(value[:100])
    return cleaned[:50]


def _apply_dictionary(obj: SchemaTable | SchemaColumn, changes: dict[str, Any], *, user: Any, source: str,
                      curated: bool) -> DictionaryVersion | None:
    before = _snapshot(obj)
    for field, value in changes.items():
        if field in ("tags", "synonyms"):
            value = _clean_list(value, field)
        setattr(obj, field, value)
    after = _snapshot(obj)
    if before == after:
        return None
    touched = [f for f in DICTIONARY_FIELDS if before[f] != after[f]]
    if curated:
        obj.curated_fields = sorted(set(obj.curated_fields or []) | set(touched))
    obj.save()
    if isinstance(obj, SchemaColumn) and "PII" in obj.tags and obj.sample_values:
        # Marked personal: forget the values copied at sync.
        SchemaColumn.objects.filter(pk=obj.pk).update(sample_values=[], distinct_count=None)
    table = obj if isinstance(obj, SchemaTable) else obj.table
    # What the safety gate caches of this source (PII tags, names) is keyed on its updated_at.
    DataSource.objects.filter(pk=table.data_source_id).update(updated_at=timezone.now())
    return DictionaryVersion.objects.create(
        data_source=table.data_source, table=table, column=obj if isinstance(obj, SchemaColumn) else None,
        before={f: before[f] for f in touched}, after={f: after[f] for f in touched}, source=source, edited_by=user,
    )


@transaction.atomic
def dictionary_update(*, obj: SchemaTable | SchemaColumn, user: Any, changes: dict[str, Any],
                      request: Any = None, source: str = "manual") -> SchemaTable | SchemaColumn:
    version = _apply_dictionary(obj, changes, user=user, source=source, curated=source in ("manual", "restore", "seed"))
    if version is not None:
        table = obj if isinstance(obj, SchemaTable) else obj.table
        record(actor=user, action="dictionary.updated", target=obj, workspace=table.data_source.workspace,
               request=request, details={"table": table.qualified_name, "fields": sorted(version.after),
                                         "version_id": str(version.pk), "source": source})
    return obj


@transaction.atomic
def dictionary_restore(*, version: DictionaryVersion, user: Any, request: Any = None) -> DictionaryVersion:
    """Put back the values a version replaced (its `before`), as a new version."""
    obj: SchemaTable | SchemaColumn = version.column or version.table
    _apply_dictionary(obj, dict(version.before), user=user, source="restore", curated=True)
    latest = DictionaryVersion.objects.filter(table=version.table, column=version.column).order_by("-created_at").first()
    record(actor=user, action="dictionary.restored", target=obj, workspace=version.data_source.workspace,
           request=request, details={"version_id": str(version.pk)})
    return latest or version


# --- auto-guess -------------------------------------------------------------------------------------

def auto_guess_start(*, ds: DataSource, user: Any, table_names: list[str], request: Any = None) -> Job:
    from .selectors import find_table
    from .tasks import auto_guess

    tables = [find_table(ds, name) for name in table_names] if table_names else list(
        SchemaTable.objects.filter(data_source=ds, is_removed=False))
    if not tables:
        raise ValidationFailed.for_field("table_names", "The data source has no synced tables. Sync its schema first.")
    job = jobs.job_create(workspace=ds.workspace, user=user, kind="auto_guess",
                          params={"data_source_id": str(ds.pk), "table_ids": [str(t.pk) for t in tables]})
    record(actor=user, action="dictionary.auto_guess_started", target=ds, workspace=ds.workspace, request=request,
           details={"job_id": str(job.pk), "tables": [t.qualified_name for t in tables]})
    jobs.job_enqueue(job, auto_guess, queue="long_running")
    return job


def _sample_values(connection: Any, table: SchemaTable, column: SchemaColumn, limit: int = 50) -> list[Any]:
    import sqlalchemy as sa

    preparer = connection.dialect.identifier_preparer
    qualified = preparer.quote(table.name) if not table.schema_name else \
        f"{preparer.quote(table.schema_name)}.{preparer.quote(table.name)}"
    col = preparer.quote(column.name)
    rows = connection.execute(sa.text(f"SELECT {col} FROM {qualified} WHERE {col} IS NOT NULL LIMIT {int(limit)}"))
    return [value if isinstance(value, (str, int, float, bool)) else str(value) for (value,) in rows]


def auto_guess_run(*, job: Job) -> dict[str, Any]:
    """Profile the chosen tables (reading a few values per column) and store suggestions."""
    from .autoguess import ColumnProfile, TableProfile, guess_table

    ds = DataSource.objects.get(pk=job.params["data_source_id"])
    tables = list(SchemaTable.objects.filter(pk__in=job.params["table_ids"], data_source=ds)
                  .prefetch_related("columns", "outgoing__to_table"))
    engine = connectors.engine_for(ds)
    suggestions: list[Suggestion] = []
    with engine.connect() as connection:
        for index, table in enumerate(tables):
            jobs.job_progress(job, int(90 * index / max(1, len(tables))), f"Profiling {table.qualified_name}")
            references = {col: f"{rel.to_table.name}.{rel.to_columns[i]}"
                          for rel in table.outgoing.all() for i, col in enumerate(rel.from_columns)
                          if i < len(rel.to_columns)}
            columns = [c for c in table.columns.all() if not c.is_removed]
            profiles = []
            for column in columns:
                try:
                    # Read to recognise personal data; the values themselves are not stored.
                    values = _sample_values(connection, table, column)
                except Exception:  # an unreadable column should not sink the whole guess
                    connection.rollback()
                    values = []
                profiles.append(ColumnProfile(
                    name=column.name, data_type=column.data_type, nullable=column.nullable,
                    is_primary_key=column.is_primary_key, is_foreign_key=column.name in references,
                    references=references.get(column.name), sample_values=tuple(values),
                    distinct_count=column.distinct_count, comment=column.comment,
                ))
            profile = TableProfile(name=table.name, columns=tuple(profiles), row_count=table.row_count,
                                   kind=table.kind, comment=table.comment)
            by_name = {c.name: c for c in columns}
            for guess in guess_table(profile):
                column = by_name.get(guess.column) if guess.column else None
                target: SchemaTable | SchemaColumn = column or table
                if guess.field not in DICTIONARY_FIELDS:
                    continue  # e.g. semantic_role: carried as a tag suggestion
                suggestions.append(Suggestion(
                    job=job, data_source=ds, table=table, column=column, field=guess.field, value=guess.value,
                    current_value=getattr(target, guess.field), confidence=round(float(guess.confidence), 3),
                    reason=guess.reason[:500],
                ))
        connection.rollback()
    Suggestion.objects.bulk_create(suggestions, batch_size=1000)
    return {"suggestions": len(suggestions), "tables": len(tables)}


@transaction.atomic
def suggestions_decide(*, job: Job, user: Any, approve: bool, suggestion_ids: list[Any] | None,
                       request: Any = None) -> dict[str, int]:
    """Approve (apply) or reject pending suggestions — all of them, or the ones listed.

    An approved suggestion never overwrites a field a person edited by hand: it is skipped.
    """
    pending = Suggestion.objects.select_for_update(of=("self",)).filter(job=job, status=Suggestion.Status.PENDING)
    if suggestion_ids is not None:
        pending = pending.filter(pk__in=suggestion_ids)
        if pending.count() != len(set(map(str, suggestion_ids))):
            raise NotFound("Some suggestions do not exist in this job or were already decided.",
                           code="SUGGESTION_NOT_FOUND")
    counts = {"applied": 0, "rejected": 0, "skipped": 0}
    now = timezone.now()
    for suggestion in pending.select_related("table", "column"):
        if not approve:
            suggestion.status = Suggestion.Status.REJECTED
            counts["rejected"] += 1
        else:
            target: SchemaTable | SchemaColumn = suggestion.column or suggestion.table
            target.refresh_from_db()
            if suggestion.field in (target.curated_fields or []):
                suggestion.status = Suggestion.Status.SKIPPED
                counts["skipped"] += 1
            else:
                value = suggestion.value
                if suggestion.field in ("tags", "synonyms"):
                    value = list(dict.fromkeys([*(getattr(target, suggestion.field) or []), *value]))
                _apply_dictionary(target, {suggestion.field: value}, user=user, source="auto_guess", curated=False)
                suggestion.status = Suggestion.Status.APPLIED
                counts["applied"] += 1
        suggestion.decided_by, suggestion.decided_at = user, now
        suggestion.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    record(actor=user, action="dictionary.suggestions_decided", target=job, workspace=job.workspace, request=request,
           details={"approve": approve, **counts})
    return counts
