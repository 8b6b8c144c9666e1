"""The one path every SQL statement takes to a user's database: gate → quota → run → record."""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from auditing.services import record
from core.exceptions import Conflict, DomainError
from metadata.models import DataSource, SchemaColumn, SchemaTable
from teams.grants import require_source, source_rights

from . import executors
from .models import QueryRun

logger = logging.getLogger(__name__)


class SqlRejected(DomainError):
    code = "SQL_REJECTED"
    status_code = 422
    message = "The statement was rejected by the safety gate."


# --- the gate's view of the schema ----------------------------------------------------------------

def gate_schema(ds: DataSource) -> list[Any]:
    """Synced tables and columns (PII flags included) in the gate's terms, cached per sync."""
    from .safety import ColumnInfo, TableInfo

    # A sync sets last_synced_at; a dictionary edit (PII tags) touches the source's updated_at.
    key = f"gate-schema:{ds.pk}:{ds.last_synced_at and ds.last_synced_at.timestamp()}:{ds.updated_at.timestamp()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    columns: dict[Any, list[Any]] = {}
    for table_id, name, tags in SchemaColumn.objects.filter(table__data_source=ds, is_removed=False).order_by(
            "table_id", "position").values_list("table_id", "name", "tags"):
        columns.setdefault(table_id, []).append(ColumnInfo(name=name, pii="PII" in (tags or [])))
    tables = [
        TableInfo(name=t.name, schema=t.schema_name, columns=tuple(columns.get(t.pk, ())), row_count=t.row_count)
        for t in SchemaTable.objects.filter(data_source=ds, is_removed=False)
    ]
    cache.set(key, tables, 300)
    return tables


def effective_limit(limit: int | None, workspace: Any) -> int:
    """The rows a run returns at most: the request's limit (or the default), capped by the workspace."""
    return max(1, min(limit or settings.QUERY_DEFAULT_LIMIT, workspace.max_query_rows))


_ANYONE = object()


def check_sql(ds: DataSource, sql: str, *, limit: int | None, workspace: Any, membership: Any = _ANYONE,
              max_rows: int | None = None) -> Any:
    """Vet `sql` for `membership`'s holder: their access policies (row filters, hidden columns) apply.
    Without a membership every policy of the source applies (the strictest reading).

    The executed statement asks for one row more than is returned, which is how a truncated result
    is told apart from one that happens to fill the limit."""
    from metadata.access import access_for

    from .safety import check

    access = access_for(ds, None if membership is _ANYONE else membership)
    schema = gate_schema(ds) if ds.last_synced_at else None
    if schema is not None and access.hidden:
        schema = [_without_hidden(table, access) for table in schema]
    rows = effective_limit(limit, workspace) if max_rows is None else max_rows  # max_rows: exports' own cap
    return check(sql, engine=ds.engine, schema=schema, limit=rows + 1, max_rows=rows + 1, policies=access.policies)


def _unrestricted(ds: DataSource, membership: Any) -> bool:
    from metadata.access import access_for

    return not access_for(ds, None if membership is _ANYONE else membership).policies


def _without_hidden(table: Any, access: Any) -> Any:
    from dataclasses import replace

    hidden = access.hidden.get((table.schema, table.name))
    if not hidden:
        return table
    return replace(table, columns=tuple(c for c in table.columns if c.name not in hidden))


def issues_as_details(issues: Any) -> list[dict[str, str]]:
    return [{"field": "sql", "message": issue.message} for issue in issues]


def _issue_dicts(issues: Any) -> list[dict[str, Any]]:
    return [{"code": i.code, "message": i.message, "suggestion": i.suggestion} for i in issues]


# --- validate -----------------------------------------------------------------------------------------

def query_validate(*, ds: DataSource, sql: str, workspace: Any, membership: Any = _ANYONE) -> dict[str, Any]:
    if membership is not _ANYONE:
        require_source(membership, ds)
    result = check_sql(ds, sql, limit=None, workspace=workspace, membership=membership)
    return {
        "is_valid": result.ok,
        "errors": _issue_dicts(result.errors),
        "warnings": _issue_dicts(result.warnings),
        "normalized_sql": result.normalized_sql,
        "executed_sql": result.sql,
        "tables": list(result.tables),
        # The statement as the user wrote it (vetted, without the enforced limit): EXPLAIN plans, never runs.
        # (Under access policies, the governed statement: an estimate must not count rows one may not see.)
        "estimated_rows": estimate_rows(ds, result.normalized_sql if _unrestricted(ds, membership) else result.sql)
        if result.ok else None,
    }


def _explain(ds: DataSource, sql: str) -> dict[str, Any] | list[dict[str, Any]] | None:
    """The planner's view of a vetted statement: PostgreSQL's JSON plan root, MySQL's EXPLAIN
    rows; None for other engines or when EXPLAIN fails (best effort, never raises)."""
    if ds.engine not in (DataSource.Engine.POSTGRESQL, DataSource.Engine.MYSQL):
        return None
    from metadata.connectors import engine_for

    try:
        with engine_for(ds).connect() as connection:
            if ds.engine == DataSource.Engine.POSTGRESQL:
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
                plan = connection.exec_driver_sql(executors.driver_text(connection, f"EXPLAIN (FORMAT JSON) {sql}")
                                                  ).scalar()
                plan = json.loads(plan) if isinstance(plan, str) else plan
                return dict(plan[0]["Plan"])
            return [dict(row) for row in connection.exec_driver_sql(
                executors.driver_text(connection, f"EXPLAIN {sql}")).mappings().all()]
    except Exception:
        return None


_DRY_RUN = {DataSource.Engine.SQLITE: "EXPLAIN QUERY PLAN {sql}"}


def dry_run(ds: DataSource, sql: str) -> str | None:
    """Let the database plan a vetted statement without running it: its error (unknown column,
    type mismatch, wrong function) or None. Runs through the executor's read-only guards."""
    statement = _DRY_RUN.get(ds.engine, "EXPLAIN {sql}").format(sql=sql)
    try:
        executors.run_statement(ds, statement, max_rows=1, timeout_s=10)
    except executors.ExecutionError as exc:
        return exc.message
    except Exception as exc:  # the source cannot be reached: say so, the run would fail the same way
        from metadata.connectors import friendly_error

        return friendly_error(exc, ds)
    return None


def plan_cost(ds: DataSource, sql: str) -> float | None:
    """The planner's total cost (PostgreSQL) or examined-rows product (MySQL)."""
    plan = _explain(ds, sql)
    if isinstance(plan, dict):
        return float(plan["Total Cost"])
    if plan:
        product = 1.0
        for row in plan:
            product *= max(1.0, float(row.get("rows") or 1))
        return product
    return None


def scanned_rows_estimate(ds: DataSource, gate: Any) -> int | None:
    """For engines without a planner estimate (SQLite, DuckDB): the synced row counts of the tables
    the statement reads, summed — multiplied when the gate saw a join without a condition."""
    if not ds.last_synced_at or not gate.tables:
        return None
    counts = {t.name.lower(): t.row_count or 0 for t in gate_schema(ds)}
    counts.update({f"{t.schema}.{t.name}".lower(): t.row_count or 0 for t in gate_schema(ds) if t.schema})
    rows = [counts.get(name.lower(), 0) for name in gate.tables]
    if any(w.code == "CARTESIAN_JOIN" for w in gate.warnings):
        product = 1
        for count in rows:
            product *= max(1, count)
        return product
    return sum(rows)


def is_heavy(ds: DataSource, gate: Any) -> bool:
    """Whether a statement should leave the web request for the queries queue: the planner's cost
    (PostgreSQL, MySQL) above QUERY_ASYNC_COST, or (SQLite, DuckDB) more rows to read than
    QUERY_ASYNC_ROWS by the synced row counts."""
    if ds.engine in (DataSource.Engine.POSTGRESQL, DataSource.Engine.MYSQL):
        return bool(settings.QUERY_ASYNC_COST) and (plan_cost(ds, gate.sql) or 0) > settings.QUERY_ASYNC_COST
    if not settings.QUERY_ASYNC_ROWS:
        return False
    return (scanned_rows_estimate(ds, gate) or 0) > settings.QUERY_ASYNC_ROWS


def estimate_rows(ds: DataSource, sql: str) -> int | None:
    """The planner's row estimate, where the engine has one."""
    plan = _explain(ds, sql)
    if isinstance(plan, dict):
        return int(plan["Plan Rows"])
    if plan:
        return int(plan[0].get("rows") or 0)
    return None


# --- PII masking ---------------------------------------------------------------------------------------

def can_view_pii(membership: Any, ds: Any) -> bool:
    """Workspace admins and owners, and members granted `view_pii` on this data source (`teams.grants`)."""
    return source_rights(membership, ds).sees_pii


_EMAIL = re.compile(r"^([^@\s])[^@\s]*(@.+)$")


# An e-mail address anywhere in a value (lists, concatenations, JSON arrays of them).
_EMAILS = re.compile(r"([^@\s,;:\"'`\[\]{}()<>|])[^@\s,;:\"'`\[\]{}()<>|]*(@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def mask_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return "***"  # a salary or its average: no digit of it may show (the phone style below keeps four)
    text = str(value)
    email = _EMAIL.match(text)
    if email and text.count("@") == 1 and not re.search(r"\s", text):
        return f"{email.group(1)}***{email.group(2)}"
    if "@" in text:  # several addresses in one value (group_concat, ||, json arrays): every one is masked
        masked = _EMAILS.sub(lambda m: f"{m.group(1)}***{m.group(2)}", text)
        if masked != text:
            return masked
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 7 and len(digits) >= len(text) * 0.6:
        return "***-***-" + digits[-4:]
    return (text[0] + "***") if len(text) > 1 else "***"


MASK_ALL = -1  # in QueryRun.masked_columns: every column


def apply_masking(rows: list[list[Any]], pii_indexes: list[int]) -> list[list[Any]]:
    if not pii_indexes:
        return rows
    everything = MASK_ALL in pii_indexes
    return [[mask_value(v) if everything or i in pii_indexes else v for i, v in enumerate(row)] for row in rows]


def _redacts_errors(run: QueryRun) -> bool:
    """Errors are redacted for people who may not see personal data, on sources that hold some."""
    if run.data_source is None:
        return True
    from teams.models import Membership

    membership = Membership.objects.filter(workspace_id=run.workspace_id, user_id=run.user_id).first()
    if can_view_pii(membership, run.data_source):
        return False
    return SchemaColumn.objects.filter(table__data_source=run.data_source, tags__icontains="PII").exists() \
        if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else any(
            "PII" in (tags or []) for tags in SchemaColumn.objects.filter(table__data_source=run.data_source)
            .exclude(tags=[]).values_list("tags", flat=True))


_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


def redact_error(message: str) -> str:
    """Database errors quote the offending value (`invalid input syntax for type integer: "a@b.c"`):
    for people who may not see personal data, quoted text is replaced."""
    return _QUOTED.sub("'***'", message)


# --- result store --------------------------------------------------------------------------------------

def _results_dir() -> Path:
    directory = Path(settings.DATA_DIR) / "results"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def result_store_save(run: QueryRun, columns: list[dict[str, str]], rows: list[list[Any]]) -> str:
    """Keep the full result; "" when the preview (in the app database) already holds all of it."""
    if len(rows) <= settings.QUERY_PREVIEW_ROWS:
        return ""
    path = _results_dir() / f"{run.pk}.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump({"columns": columns, "rows": rows}, handle)
    return path.name


def result_store_load(run: QueryRun) -> dict[str, Any] | None:
    if not run.result_key:
        if run.status == QueryRun.Status.COMPLETED and len(run.preview) == (run.rows_returned or 0):
            return {"columns": run.columns, "rows": run.preview}  # a small result lives whole in the preview
        return None
    path = _results_dir() / Path(run.result_key).name
    if not path.is_file():
        return None
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


# --- result cache ----------------------------------------------------------------------------------------

def _cache_key(ds: DataSource, executed_sql: str, masked: bool) -> str:
    generation = cache.get_or_set(f"qcache-gen:{ds.pk}", 0)
    digest = hashlib.sha256(executed_sql.encode()).hexdigest()
    return f"qcache:{ds.pk}:{generation}:{int(masked)}:{digest}"


def result_cache_invalidate(ds: DataSource | None = None) -> None:
    """After a schema sync (one data source) or DELETE /admin/cache (all)."""
    if ds is not None:
        try:
            cache.incr(f"qcache-gen:{ds.pk}")
        except ValueError:
            cache.set(f"qcache-gen:{ds.pk}", 1)
    else:
        for source in DataSource.objects.values_list("pk", flat=True):
            try:
                cache.incr(f"qcache-gen:{source}")
            except ValueError:
                cache.set(f"qcache-gen:{source}", 1)


def cache_stats() -> dict[str, Any]:
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    stats: dict[str, Any] = {"backend": backend, "keys": None, "used_memory": None, "hits": None, "misses": None}
    if settings.REDIS_URL:
        try:
            import redis

            client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
            info = client.info()
            stats.update(keys=client.dbsize(), used_memory=info.get("used_memory_human"),
                         hits=info.get("keyspace_hits"), misses=info.get("keyspace_misses"))
        except Exception:
            logger.warning("Could not read Redis statistics", exc_info=True)
    return stats


# --- execute ----------------------------------------------------------------------------------------------

def _fingerprint_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:64]


def query_execute(*, workspace: Any, user: Any, membership: Any, ds: DataSource, sql: str, mode: str = "sql",
                  question: str = "", limit: int | None = None, run_async: bool = False,
                  request: Any = None, reasoning: dict[str, Any] | None = None) -> QueryRun:
    """Vet, account and run one statement; returns its QueryRun (finished unless run_async)."""
    from accounts.services import quota_consume

    rights = require_source(membership, ds)
    gate = check_sql(ds, sql, limit=limit, workspace=workspace, membership=membership)
    run = QueryRun(workspace=workspace, data_source=ds, data_source_name=ds.name, user=user, mode=mode,
                   question=question, sql=sql, executed_sql=gate.sql, normalized_sql=gate.normalized_sql,
                   fingerprint=_fingerprint_hash(gate.fingerprint) if gate.fingerprint else "",
                   warnings=_issue_dicts(gate.warnings), row_limit=effective_limit(limit, workspace),
                   is_async=run_async, reasoning=reasoning or {})
    if not gate.ok:
        run.status, run.finished_at = QueryRun.Status.FAILED, timezone.now()
        run.error_code, run.error_message = gate.errors[0].code, gate.errors[0].message
        run.save()
        record(actor=user, action="query.rejected", target=run, workspace=workspace, request=request,
               details={"data_source_id": str(ds.pk), "code": gate.errors[0].code})
        raise SqlRejected(gate.errors[0].message, code=gate.errors[0].code, details=issues_as_details(gate.errors))

    quota_consume(user=user)
    sees_pii = rights.sees_pii
    masked = [] if sees_pii else list(gate.pii_columns)
    if not sees_pii and getattr(gate, "pii_untraced", False):
        masked = [MASK_ALL]  # lineage could not be followed: every output column is masked
    run.masked_columns = masked
    if masked and gate.output_columns:
        run._gate_output = list(gate.output_columns)  # type: ignore[attr-defined]
    cached = cache.get(_cache_key(ds, gate.sql, bool(masked)))
    if cached is not None:
        now = timezone.now()
        run.status, run.cached, run.started_at, run.finished_at = QueryRun.Status.COMPLETED, True, now, now
        run.columns, run.rows_returned, run.truncated = cached["columns"], len(cached["rows"]), cached["truncated"]
        run.execution_time_ms = 0.0
        run.preview = cached["rows"][: settings.QUERY_PREVIEW_ROWS]
        if mode != QueryRun.Mode.AI:  # the assistant draws its own, with its engine's hint
            run.chart = _chart(run)
        run.result_key = result_store_save(run, cached["columns"], cached["rows"])  # named after run.pk, set already
        run.save()
        run.results = cached["rows"]  # type: ignore[attr-defined]
        _audit_run(run, request)
        return run

    if not run_async and is_heavy(ds, gate):
        run_async = True  # too heavy to hold a web request open: the queries queue takes it
        run.is_async = True
    if run_async:
        run.status = QueryRun.Status.PENDING
    else:  # created running: this process starts it now, so there is no pending → running step to win
        run.status, run.started_at, run._claimed = QueryRun.Status.RUNNING, timezone.now(), True  # type: ignore[attr-defined]
    run.save()
    if run_async:
        from .tasks import execute_query

        transaction.on_commit(lambda: execute_query.apply_async(args=[str(run.pk)], queue="queries"))
        record(actor=user, action="query.queued", target=run, workspace=workspace, request=request,
               details={"data_source_id": str(ds.pk)})
        return run
    run_now(run)
    _audit_run(run, request)
    return run


def _chart(run: QueryRun) -> dict[str, Any] | None:
    """A Vega-Lite spec for the rows the user sees, chosen from their shape (None: the table is the view)."""
    from assistant.charts import chart_for

    return chart_for(run.columns, run.preview, (run.reasoning or {}).get("chart_hint"))


def _audit_run(run: QueryRun, request: Any) -> None:
    record(actor=run.user, action="query.executed", target=run, workspace=run.workspace, request=request,
           details={"data_source_id": str(run.data_source_id), "status": run.status, "rows": run.rows_returned,
                    "cached": run.cached, "mode": run.mode, "execution_time_ms": run.execution_time_ms})


def run_now(run: QueryRun) -> QueryRun:
    """Execute a prepared QueryRun here and now (in the web process or a worker)."""
    if not getattr(run, "_claimed", False):
        now = timezone.now()
        started = QueryRun.objects.filter(pk=run.pk, status__in=[QueryRun.Status.PENDING, QueryRun.Status.RUNNING],
                                          cancel_requested=False).update(status=QueryRun.Status.RUNNING,
                                                                         started_at=now)
        if not started:
            run.refresh_from_db()
            return run
        run.status, run.started_at = QueryRun.Status.RUNNING, now
        _notify(run, "status_changed", status="running")
    ds = run.data_source
    timeout = float((ds.options or {}).get("query_timeout") or settings.DATA_SOURCE_QUERY_TIMEOUT)

    def should_cancel() -> bool:
        return QueryRun.objects.filter(pk=run.pk, cancel_requested=True).exists()

    def on_started(pid: str) -> None:
        if pid:
            QueryRun.objects.filter(pk=run.pk).update(backend_pid=pid)

    fields: dict[str, Any]
    try:
        result = executors.run_statement(ds, run.executed_sql, max_rows=run.row_limit or 1000, timeout_s=timeout,
                                         should_cancel=should_cancel, on_started=on_started,
                                         on_progress=(lambda data: _notify(run, "progress", **data))
                                         if run.is_async else None,
                                         progress_seconds=settings.QUERY_PROGRESS_SECONDS, tag=run.pk.hex)
    except executors.QueryCancelled as exc:
        fields = {"status": QueryRun.Status.CANCELLED, "error_code": exc.code, "error_message": exc.message}
    except executors.QueryTimedOut as exc:
        fields = {"status": QueryRun.Status.FAILED, "error_code": exc.code, "error_message": exc.message,
                  "timed_out": True}
    except executors.ExecutionError as exc:
        fields = {"status": QueryRun.Status.FAILED, "error_code": exc.code, "error_message": exc.message}
    except Exception as exc:  # a connection that cannot be made, a vanished file …
        from metadata.connectors import friendly_error

        fields = {"status": QueryRun.Status.FAILED, "error_code": "EXECUTION_FAILED",
                  "error_message": friendly_error(exc, ds)}
    else:
        expected = getattr(run, "_gate_output", None)
        if run.masked_columns and expected is not None and len(result.columns) != len(expected):
            run.masked_columns = [MASK_ALL]  # the lineage described another shape: trust nothing
        rows = apply_masking(result.rows, run.masked_columns)
        run.columns, run.rows_returned, run.truncated = result.columns, len(rows), result.truncated
        run.execution_time_ms = result.elapsed_ms
        run.preview = rows[: settings.QUERY_PREVIEW_ROWS]
        run.result_key = result_store_save(run, result.columns, rows)
        run.results = rows  # type: ignore[attr-defined]
        cache.set(_cache_key(ds, run.executed_sql, bool(run.masked_columns)),
                  {"columns": result.columns, "rows": rows, "truncated": result.truncated},
                  settings.QUERY_CACHE_TTL)
        fields = {"status": QueryRun.Status.COMPLETED, "columns": run.columns, "rows_returned": run.rows_returned,
                  "truncated": run.truncated, "execution_time_ms": run.execution_time_ms, "preview": run.preview,
                  "result_key": run.result_key}
        if run.mode != QueryRun.Mode.AI or run.is_async:
            # SQL runs and queued questions get their chart when their rows exist (a synchronous question
            # gets it from the assistant).
            fields["chart"] = _chart(run)
    if fields.get("error_message") and _redacts_errors(run):
        fields["error_message"] = redact_error(fields["error_message"])
    fields["finished_at"] = timezone.now()
    # Conditional: a cancel that won the race keeps its status.
    if QueryRun.objects.filter(pk=run.pk, status=QueryRun.Status.RUNNING).update(**fields):
        for name, value in fields.items():
            setattr(run, name, value)
    else:
        run.refresh_from_db()  # a cancel won the race: its status stands
        if hasattr(run, "results") and run.status != QueryRun.Status.COMPLETED:
            del run.results
    _notify(run, run.status, status=run.status)
    if run.status in (QueryRun.Status.COMPLETED, QueryRun.Status.FAILED):
        from auditing.webhooks import emit

        emit(run.workspace_id, "query_completed" if run.status == QueryRun.Status.COMPLETED else "query_failed",
             {"query_id": run.pk, "status": run.status, "mode": run.mode, "data_source_id": run.data_source_id,
              "rows_returned": run.rows_returned, "execution_time_ms": run.execution_time_ms,
              "error_code": run.error_code, "user_id": run.user_id})
    return run


def _stale_cutoff() -> Any:
    from datetime import timedelta

    return timezone.now() - timedelta(seconds=settings.DATA_SOURCE_QUERY_TIMEOUT * 2 + 120)


def runs_reap_stale() -> int:
    """Fail runs left 'running' or 'pending' by a process that died (restart, killed worker)."""
    stale = QueryRun.objects.filter(status__in=[QueryRun.Status.RUNNING, QueryRun.Status.PENDING],
                                    created_at__lt=_stale_cutoff())
    return stale.update(status=QueryRun.Status.FAILED, error_code="QUERY_ABANDONED", finished_at=timezone.now(),
                        error_message="The process running this query stopped before it finished.")


def query_cancel(*, run: QueryRun, user: Any, request: Any = None) -> QueryRun:
    if not run.is_finished and run.created_at < _stale_cutoff():
        runs_reap_stale()  # nothing is running it any more: do not fire a kill at a recycled backend id
        run.refresh_from_db()
    if run.is_finished:
        raise Conflict(f"The query has already {'been ' if run.status == 'cancelled' else ''}{run.status}.",
                       code="QUERY_FINISHED")
    QueryRun.objects.filter(pk=run.pk).update(cancel_requested=True)
    # Not started yet: it never will.
    QueryRun.objects.filter(pk=run.pk, status=QueryRun.Status.PENDING).update(
        status=QueryRun.Status.CANCELLED, finished_at=timezone.now(), error_code="QUERY_CANCELLED",
        error_message="The query was cancelled before it started.")
    run.refresh_from_db()
    if run.status == QueryRun.Status.RUNNING and run.data_source is not None:
        # Servers stop the statement at once from here; file engines through the executing
        # process's watcher, which sees the flag within a fraction of a second.
        executors.kill_remote(run.data_source, run.backend_pid, tag=run.pk.hex)
    record(actor=user, action="query.cancelled", target=run, workspace=run.workspace, request=request)
    return run


def _notify(run: QueryRun, event: str, **data: Any) -> None:
    if not run.is_async:
        # A synchronous run's id reaches the client only in the response, after it finished:
        # nobody can be listening on ws/query/{id}/ yet, so pushing would be wasted work.
        return
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(f"query.{run.pk}", {"type": "query.event", "event": event,
                                                            "query_id": str(run.pk), **data})
    except Exception:
        logger.warning("Could not push the status of query %s", run.pk, exc_info=True)
