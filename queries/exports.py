"""Exports: a finished run's statement re-run in full and written as CSV, JSON, Excel or Parquet.

The export does not read the run's capped preview: it sends the run's SQL through the safety gate
again (with the export's own row cap, EXPORT_MAX_ROWS) and streams the rows from a server-side
cursor, one chunk at a time, into the chosen format. Memory holds one chunk (one row group for
Parquet), whatever the row count. PII is masked as for the run, recomputed for the caller's role.

Small results stream back in the request; big ones (EXPORT_SYNC_MAX_ROWS by the run's row count or
the planner's estimate), or on request, become a background Job that writes the file under
DATA_DIR/exports and whose result is a download link valid for EXPORT_TTL_HOURS.

Formula cells (EXPORT_ESCAPE_FORMULAS, on by default): in CSV, a text cell, column names included,
that starts with =, +, -, @, a tab or a carriage return gets a leading single quote, as OWASP's CSV
injection guidance says, so that a spreadsheet shows it as text instead of running it. Numbers are
never touched (-5 stays -5); PostgreSQL's COPY does the same on the server for its text columns.
Excel files need no quote: their text cells are never evaluated (one starting with = is written as
a text cell). JSON and Parquet keep every value as it is. Switch it off for byte-exact text in CSV
files that programs, not spreadsheets, read.

    plan = export_check(run=run, membership=membership, export_format="csv", include_headers=True)
    if export_in_background(plan, requested=False): job = export_enqueue(plan=plan, ...)
    else: body = export_stream(plan=plan, ...)      # bytes, chunk by chunk
"""
from __future__ import annotations

import base64
import csv
import dataclasses
import datetime as dt
import decimal
import io
import json
import logging
import operator
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify

from auditing.services import record
from core.exceptions import Conflict, DomainError, NotFound
from metadata.models import DataSource

from . import executors, services
from .models import QueryRun

logger = logging.getLogger(__name__)

JOB_KIND = "query_export"


@dataclass(frozen=True)
class ExportFormat:
    name: str
    extension: str
    content_type: str


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "csv", "text/csv; charset=utf-8"),
    "json": ExportFormat("json", "json", "application/json"),
    "xlsx": ExportFormat("xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "parquet": ExportFormat("parquet", "parquet", "application/vnd.apache.parquet"),
}


def setting(name: str) -> Any:
    defaults = {"EXPORT_MAX_ROWS": 10_000_000, "EXPORT_TIMEOUT": 600, "EXPORT_SYNC_MAX_ROWS": 100_000,
                "EXPORT_TTL_HOURS": 24, "EXPORT_CHUNK_ROWS": 5000, "EXPORT_PARQUET_ROW_GROUP": 100_000,
                "EXPORT_ESCAPE_FORMULAS": True}
    return getattr(settings, name, defaults[name])


class ExportError(DomainError):
    code = "EXPORT_FAILED"
    status_code = 422
    message = "The export failed."


class ExportExpired(DomainError):
    code = "EXPORT_EXPIRED"
    status_code = 410
    message = "This export has expired; export the query again."


# --- check: may this run be exported, and how ------------------------------------------------------

@dataclass(frozen=True)
class ExportPlan:
    run: QueryRun
    data_source: DataSource
    gate: Any
    masked_columns: list[int]
    format: ExportFormat
    include_headers: bool
    filename: str
    redact_errors: bool

    @property
    def sql(self) -> str:
        return str(self.gate.sql)


def export_filename(run: QueryRun, extension: str, today: dt.date | None = None) -> str:
    stem = slugify(run.question or "")[:60].strip("-") or "query"
    return f"{stem}-{(today or timezone.localdate()).isoformat()}.{extension}"


def _exportable(run: QueryRun) -> None:
    if run.status in (QueryRun.Status.PENDING, QueryRun.Status.RUNNING):
        raise Conflict("The query is still running; export it when it has finished.", code="QUERY_NOT_FINISHED")
    # A run that timed out may well finish within the export's longer time limit; other failures
    # (rejected by the gate, a database error, cancelled) would fail the same way again.
    timed_out = run.status == QueryRun.Status.FAILED and run.error_code == executors.QueryTimedOut.code
    if run.status != QueryRun.Status.COMPLETED and not timed_out:
        raise Conflict(f"The query {run.status}; only a completed query can be exported.",
                       code="QUERY_NOT_EXPORTABLE")
    if run.data_source_id is None or run.data_source is None:
        raise Conflict("The data source of this query has been deleted.", code="DATA_SOURCE_DELETED")


def export_check(*, run: QueryRun, membership: Any, export_format: str, include_headers: bool = True) -> ExportPlan:
    """Validate and authorize an export of `run` by the holder of `membership`; nothing is run."""
    fmt = FORMATS.get(export_format)
    if fmt is None:
        raise DomainError(f"Unknown format “{export_format}”; use one of {', '.join(FORMATS)}.",
                          code="UNSUPPORTED_FORMAT", details=[{"field": "format", "message": "Unknown format."}])
    if fmt.name == "parquet" and not _has_pyarrow():
        raise ExportError("Parquet export needs pyarrow, which is not installed on this server.",
                          code="FORMAT_UNAVAILABLE")
    _exportable(run)
    ds = run.data_source
    from teams.grants import require_source

    require_source(membership, ds)  # a source taken away since the run is not exported either
    cap = int(setting("EXPORT_MAX_ROWS"))
    # Under the exporter's access rules (row filters, hidden columns), like any run. One row past the cap
    # is asked for, so that a cut export is told apart from one that fills it.
    gate = services.check_sql(ds, run.sql, limit=None, workspace=run.workspace, membership=membership,
                              max_rows=cap)
    if not gate.ok:
        raise services.SqlRejected(gate.errors[0].message, code=gate.errors[0].code,
                                   details=services.issues_as_details(gate.errors))
    sees_pii = services.can_view_pii(membership, ds)
    masked: list[int] = []
    if not sees_pii:
        masked = sorted(set(gate.pii_columns) | {i for i in run.masked_columns or [] if i != services.MASK_ALL})
        if gate.pii_untraced or services.MASK_ALL in (run.masked_columns or []):
            masked = [services.MASK_ALL]
    return ExportPlan(run=run, data_source=ds, gate=gate, masked_columns=masked, format=fmt,
                      include_headers=include_headers, filename=export_filename(run, fmt.extension),
                      redact_errors=not sees_pii)


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def export_estimated_rows(plan: ExportPlan) -> int | None:
    """The rows the export will write: exact when the run read its whole result; otherwise the
    planner's estimate (PostgreSQL, MySQL) or the synced row counts (SQLite, DuckDB); None if unknown."""
    run = plan.run
    if run.status == QueryRun.Status.COMPLETED and not run.truncated and run.rows_returned is not None:
        return run.rows_returned
    estimate = services.estimate_rows(plan.data_source, plan.sql)
    if estimate is None:
        estimate = services.scanned_rows_estimate(plan.data_source, plan.gate)
    if estimate is None:
        return None
    if plan.gate.limit:
        estimate = min(estimate, int(plan.gate.limit))
    return max(estimate, run.rows_returned or 0)


def export_in_background(plan: ExportPlan, *, requested: bool) -> bool:
    if requested:
        return True
    estimate = export_estimated_rows(plan)
    if estimate is None:
        return plan.run.truncated  # cut at its row limit and nothing says how big it is: assume big
    return estimate > int(setting("EXPORT_SYNC_MAX_ROWS"))


# --- cell values per format ----------------------------------------------------------------------------

def unique_names(names: list[str]) -> list[str]:
    """Column names as object keys: `id, id` becomes `id, id_2` (JSON objects and Parquet need unique keys)."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name or "column", 1
        while candidate in seen:
            n += 1
            candidate = f"{name or 'column'}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


def _binary(value: Any) -> str:
    return "base64:" + base64.b64encode(bytes(value)).decode()


def _text_cell(value: Any) -> Any:
    """CSV: what the csv module would print wrongly (bytes as b'..', JSON values as Python reprs)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _binary(value)
    if isinstance(value, (dict, list)):
        return json.dumps(executors.jsonable(value), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return value


# Printed right by the csv module as they are (a date's and a time's str() is their ISO form; a
# datetime's is not, and True would print as "True").
_PLAIN = frozenset({str, int, float, decimal.Decimal, dt.date, dt.time})


def _masker(masked: list[int], width: int) -> Callable[[list[Any]], list[Any]] | None:
    if not masked:
        return None
    indexes = set(range(width)) if services.MASK_ALL in masked else {i for i in masked if 0 <= i < width}

    def mask(rows: list[Any]) -> list[Any]:
        return [[services.mask_value(v) if i in indexes else v for i, v in enumerate(row)] for row in rows]

    return mask


def _chunk_needs_conversion(rows: list[Any], width: int) -> list[int]:
    """The columns of this chunk whose values the csv module cannot print as they are. Judged on
    each column's first non-null value (a result column has one type; SQLite's rare mixed columns
    print as their Python text)."""
    needs = []
    for i in range(width):
        for row in rows:
            value = row[i]
            if value is not None:
                if type(value) not in _PLAIN:
                    needs.append(i)
                break
    return needs


# --- writers: each turns (names, chunks of rows) into chunks of bytes --------------------------------

# OWASP's CSV injection guidance: a text cell starting with one of these is read by spreadsheet
# programs as a formula (`=HYPERLINK(…)`, `@SUM(…)`, `+cmd|…`); a leading single quote makes it text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _escape_formula(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _csv_bytes(names: list[str], chunks: Iterable[list[Any]], include_headers: bool,
               mask: Callable[[list[Any]], list[Any]] | None) -> Iterator[bytes]:
    """CSV (RFC 4180, CRLF). Chunks of plain values go through Arrow's C++ writer (`_ArrowCsv`);
    the others, and whatever Arrow cannot type, through the csv module. With EXPORT_ESCAPE_FORMULAS
    (on by default) text cells, headers included, that a spreadsheet would run as a formula get a
    leading single quote; numbers are never touched (-5 stays a number)."""
    escape = bool(setting("EXPORT_ESCAPE_FORMULAS"))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    width = len(names)
    arrow = _ArrowCsv.create(width, escape=escape)
    if include_headers:
        writer.writerow([_escape_formula(str(name)) for name in names] if escape else names)
    for rows in chunks:
        if mask is not None:
            rows = mask(rows)
        convert = _chunk_needs_conversion(rows, width)
        if not convert and arrow is not None:
            fast = arrow.write(rows)
            if fast is not None:
                if buffer.tell():
                    yield buffer.getvalue().encode("utf-8")
                    buffer.seek(0)
                    buffer.truncate()
                yield fast
                continue
        if convert:
            rows = [list(row) for row in rows]
            for row in rows:
                for i in convert:
                    row[i] = _text_cell(row[i])
        if escape:
            rows = [[("'" + value) if type(value) is str and value.startswith(FORMULA_PREFIXES) else value
                     for value in row] for row in rows]
        writer.writerows(rows)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    rest = buffer.getvalue()
    if rest:
        yield rest.encode("utf-8")


# Not used: the adbc-driver-sqlite package (Arrow batches read from SQLite in C, about 1.5 times as
# fast again). It fixes each column's type on the first 1024 rows and then fails midway through the
# file on SQLite's mixed columns (a NUMERIC column holding 12 and 12.5 is one), writes the floats of
# a text column with six digits (1.234568e+19), passes a text column's blobs on as raw bytes, and
# runs its own copy of SQLite, not the one the sqlite3 driver (and its guards) use.
class _ArrowCsv:
    """A chunk of plain values (numbers, text, None) through Arrow's C++ CSV writer, about twice as
    fast as the csv module. Built once per export: the write options, the batch's column names and
    one `itemgetter` per column, which take the rows apart column by column in C (`zip(*rows)`
    costs as much as the fetch of the values). Each chunk's column types are inferred afresh, as
    the csv module would see each value. Text is always quoted (`"needed"` in Arrow's terms), which
    CSV readers take as the same values."""

    def __init__(self, width: int, *, escape: bool) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv

        self.pa, self.pc, self.pacsv = pa, pc, pacsv
        self.getters = [operator.itemgetter(i) for i in range(width)]
        self.names = [str(i) for i in range(width)]
        self.options = pacsv.WriteOptions(include_header=False, quoting_style="needed", eol="\r\n")
        self.escape = escape
        self.prefixes = pa.array(FORMULA_PREFIXES)
        self.errors = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError,
                       ValueError, TypeError)

    @classmethod
    def create(cls, width: int, *, escape: bool) -> _ArrowCsv | None:
        try:
            return cls(width, escape=escape)
        except ImportError:  # pragma: no cover - pyarrow is a requirement
            return None

    def write(self, rows: list[Any]) -> bytes | None:
        """The chunk's CSV lines; None when Arrow cannot type a column (mixed values in SQLite's
        dynamic typing, big integers) or types it differently from the csv module (binary, nested,
        booleans, dates and times, decimals): the csv module writes that chunk instead."""
        if not rows:
            return b""
        pa = self.pa
        types = pa.types
        try:
            arrays = [pa.array(list(map(get, rows))) for get in self.getters]
            for i, array in enumerate(arrays):
                kind = array.type
                if types.is_binary(kind) or types.is_large_binary(kind) or types.is_nested(kind) \
                        or types.is_boolean(kind) or types.is_temporal(kind) or types.is_decimal(kind):
                    return None  # the csv module's (and the other formats') spelling of these differs: keep it
                if self.escape and (types.is_string(kind) or types.is_large_string(kind)):
                    arrays[i] = self._escaped(array)
            batch = pa.RecordBatch.from_arrays(arrays, names=self.names)
            out = pa.BufferOutputStream()
            self.pacsv.write_csv(batch, out, write_options=self.options)
            return out.getvalue().to_pybytes()
        except self.errors:
            return None

    def _escaped(self, array: Any) -> Any:
        pc = self.pc
        formulas = pc.is_in(pc.utf8_slice_codeunits(array, 0, 1), value_set=self.prefixes)  # null stays null
        if not formulas.true_count:
            return array
        return pc.if_else(formulas, pc.binary_join_element_wise("'", array, ""), array)


def _json_default(value: Any) -> Any:
    return executors.jsonable(value)


_ENCODER = json.JSONEncoder(default=_json_default, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _json_bytes(names: list[str], chunks: Iterable[list[Any]], include_headers: bool,
                mask: Callable[[list[Any]], list[Any]] | None) -> Iterator[bytes]:
    """A JSON array of objects keyed by column name (without headers: an array of arrays)."""
    keys = unique_names(names)
    yield b"["
    first = True
    for rows in chunks:
        if mask is not None:
            rows = mask(rows)
        items: list[Any] = [dict(zip(keys, row, strict=False)) for row in rows] if include_headers \
            else [list(row) for row in rows]
        try:
            text = _ENCODER.encode(items)
        except ValueError:  # NaN/Infinity, which JSON cannot hold: as text, as the API shows them
            text = _ENCODER.encode(executors.jsonable(items))
        if len(text) <= 2:
            continue
        yield (text[1:-1] if first else "," + text[1:-1]).encode("utf-8")
        first = False
    yield b"]"


XLSX_MAX_ROWS = 1_048_576  # Excel's rows per sheet; longer results continue on the next sheet
XLSX_MAX_CELL = 32_767


def _xlsx_write(path: Path, names: list[str], chunks: Iterable[list[Any]], include_headers: bool,
                mask: Callable[[list[Any]], list[Any]] | None) -> None:
    """openpyxl's write-only mode: rows go to a temporary file as they come, never into memory."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet: Any = None
    sheet_rows = XLSX_MAX_ROWS

    def text(value: str) -> Any:
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_MAX_CELL]
        if value.startswith("="):
            # openpyxl would store it as a formula that Excel evaluates: data stays data.
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            return cell
        return value

    def cell(value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, float, decimal.Decimal)):
            return value
        if isinstance(value, str):
            return text(value)
        if isinstance(value, dt.datetime):
            # Excel has no time zones: instants are written in UTC.
            return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
        if isinstance(value, dt.time):
            return value.replace(tzinfo=None)
        if isinstance(value, (dt.date, dt.timedelta)):
            return value
        if isinstance(value, (bytes, bytearray, memoryview)):
            return text(_binary(value))
        if isinstance(value, (dict, list)):
            return text(json.dumps(executors.jsonable(value), ensure_ascii=False))
        return text(str(value))

    def header() -> list[Any]:  # per sheet: a text cell made for a formula-like name belongs to its sheet
        return [text(str(name)) for name in names]

    for rows in chunks:
        if mask is not None:
            rows = mask(rows)
        for row in rows:
            if sheet_rows >= XLSX_MAX_ROWS:
                sheet = workbook.create_sheet(f"Sheet{len(workbook.worksheets) + 1}")
                sheet_rows = 0
                if include_headers:
                    sheet.append(header())
                    sheet_rows = 1
            sheet.append([cell(value) for value in row])
            sheet_rows += 1
    if sheet is None:
        sheet = workbook.create_sheet("Sheet1")
        if include_headers:
            sheet.append(header())
    workbook.save(str(path))


class _Drain:
    """A write-only file for pyarrow whose bytes are taken out after each row group."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.position = 0
        self.closed = False

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.buffer += view
        self.position += len(view)
        return len(view)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def _arrow_value(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, (dict, list)):
        return json.dumps(executors.jsonable(value), ensure_ascii=False)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _parquet_bytes(names: list[str], chunks: Iterable[list[Any]], include_headers: bool,
                   mask: Callable[[list[Any]], list[Any]] | None) -> Iterator[bytes]:
    """Parquet, one row group per EXPORT_PARQUET_ROW_GROUP rows. Column types come from the first
    rows (decimals as float64, JSON as text); a column with no value there is text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    keys = unique_names(names)
    width = len(keys)
    group_rows = int(setting("EXPORT_PARQUET_ROW_GROUP"))
    sink = _Drain()
    writer: Any = None
    schema: Any = None
    pending: list[Any] = []

    def columns_of(rows: list[Any]) -> list[list[Any]]:
        return [[_arrow_value(row[i]) for row in rows] for i in range(width)]

    def flush(rows: list[Any]) -> bytes:
        nonlocal writer, schema
        values = columns_of(rows)
        if schema is None:
            fields = []
            for key, column in zip(keys, values, strict=True):
                try:
                    kind = pa.array(column).type
                except (pa.ArrowInvalid, pa.ArrowTypeError):
                    kind = pa.string()  # mixed types (SQLite): as text
                fields.append(pa.field(key, pa.string() if pa.types.is_null(kind) else kind))
            schema = pa.schema(fields)
            writer = pq.ParquetWriter(sink, schema, compression="snappy")
        arrays = []
        for column, target in zip(values, schema, strict=True):
            try:
                arrays.append(pa.array(column, type=target.type))
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                if not pa.types.is_string(target.type):
                    raise ExportError(f"Column “{target.name}” changes type within the result; cast it in the SQL "
                                      "to export it as Parquet.", code="EXPORT_TYPE_MISMATCH") from None
                arrays.append(pa.array([None if v is None else str(v) for v in column], type=pa.string()))
        writer.write_table(pa.Table.from_arrays(arrays, schema=schema), row_group_size=group_rows)
        return sink.take()

    for rows in chunks:
        if mask is not None:
            rows = mask(rows)
        pending.extend(rows)
        if len(pending) >= group_rows:
            data = flush(pending)
            pending = []
            if data:
                yield data
    if pending or writer is None:
        data = flush(pending)
        if data:
            yield data
    writer.close()
    yield sink.take()


_STREAMED_WRITERS = {"csv": _csv_bytes, "json": _json_bytes, "parquet": _parquet_bytes}


# --- running an export ---------------------------------------------------------------------------------

@dataclass
class ExportOutcome:
    rows: int = 0
    bytes: int = 0
    truncated: bool = False
    completed: bool = False
    error: str = ""
    started: float = field(default_factory=time.monotonic)


def _open(plan: ExportPlan, *, should_cancel: Callable[[], bool] = lambda: False,
          tag: str = "") -> executors.RowStream:
    """Start the statement; database errors become 422 (502 when the source cannot be reached)."""
    try:
        return executors.open_stream(plan.data_source, plan.sql, max_rows=int(setting("EXPORT_MAX_ROWS")),
                                     timeout_s=float(setting("EXPORT_TIMEOUT")),
                                     chunk_rows=int(setting("EXPORT_CHUNK_ROWS")), should_cancel=should_cancel,
                                     tag=tag or uuid.uuid4().hex)
    except executors.ExecutionError as exc:
        raise _as_domain_error(plan, exc) from None


def _as_domain_error(plan: ExportPlan, exc: executors.ExecutionError) -> DomainError:
    message = services.redact_error(exc.message) if plan.redact_errors else exc.message
    status = 502 if isinstance(exc, executors.SourceUnreachable) else 422
    return DomainError(message, code=exc.code, status_code=status)


def _masked_chunks(plan: ExportPlan, stream: executors.RowStream) -> tuple[list[str], Callable[..., Any] | None]:
    names = list(stream.columns)
    masked = plan.masked_columns
    output = list(plan.gate.output_columns or [])
    if masked and output and len(output) != len(names):
        masked = [services.MASK_ALL]  # the lineage described another shape: trust nothing
    return names, _masker(masked, len(names))


def _counted(stream: executors.RowStream, outcome: ExportOutcome,
             on_chunk: Callable[[int], None] | None = None) -> Iterator[list[Any]]:
    for chunk in stream.chunks():
        outcome.rows += len(chunk)
        if on_chunk is not None:
            on_chunk(outcome.rows)
        yield chunk
    outcome.truncated = stream.truncated


def _audit(plan: ExportPlan, *, user: Any, outcome: ExportOutcome, request: Any = None,
           job_id: str = "") -> None:
    details = {"format": plan.format.name, "rows": outcome.rows, "bytes": outcome.bytes,
               "status": "completed" if outcome.completed else "failed", "truncated": outcome.truncated,
               "background": bool(job_id), "data_source_id": str(plan.data_source.pk),
               "masked_columns": plan.masked_columns,
               "elapsed_ms": round((time.monotonic() - outcome.started) * 1000)}
    if job_id:
        details["job_id"] = job_id
    if outcome.error:
        details["error"] = outcome.error[:500]
    try:
        record(actor=user, action="query.exported", target=plan.run, workspace=plan.run.workspace,
               request=request, details=details)
    except Exception:  # the file has gone out; a failing audit write must not turn it into an error
        logger.exception("Could not record the export of query %s", plan.run.pk)


def export_account(*, user: Any) -> None:
    """An export is a run of its own: it takes one from the daily quota (429 when it is used up)."""
    from accounts.services import quota_consume

    quota_consume(user=user)


def _uses_copy(plan: ExportPlan) -> bool:
    """Unmasked CSV from PostgreSQL: the server writes the CSV itself (COPY), five times as fast."""
    return plan.format.name == "csv" and plan.data_source.engine == DataSource.Engine.POSTGRESQL \
        and not plan.masked_columns


def _open_copy(plan: ExportPlan, *, should_cancel: Callable[[], bool] = lambda: False,
               tag: str = "") -> tuple[Iterator[bytes], Callable[[], int]]:
    try:
        return executors.copy_csv(plan.data_source, plan.sql, include_headers=plan.include_headers,
                                  timeout_s=float(setting("EXPORT_TIMEOUT")), should_cancel=should_cancel,
                                  tag=tag or uuid.uuid4().hex, escape_formulas=bool(setting("EXPORT_ESCAPE_FORMULAS")))
    except executors.ExecutionError as exc:
        raise _as_domain_error(plan, exc) from None


def _copy_body(plan: ExportPlan, *, user: Any, request: Any) -> Iterator[bytes]:
    chunks, rows = _open_copy(plan)
    outcome = ExportOutcome()

    def body() -> Iterator[bytes]:
        try:
            for data in chunks:
                outcome.bytes += len(data)
                yield data
            outcome.completed = True
        except executors.ExecutionError as exc:
            outcome.error = exc.message
            raise
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
            outcome.rows = rows()
            if not outcome.completed and not outcome.error:
                outcome.error = "The download was interrupted."
            _audit(plan, user=user, outcome=outcome, request=request)

    return body()


def export_stream(*, plan: ExportPlan, user: Any, request: Any = None) -> Iterator[bytes]:
    """Run the export in this process: the statement starts now (its errors raise here, before any
    byte is sent), the returned iterator yields the file. The audit event is written when it ends."""
    if _uses_copy(plan):
        return _copy_body(plan, user=user, request=request)
    stream = _open(plan)
    outcome = ExportOutcome()
    names, mask = _masked_chunks(plan, stream)

    if plan.format.name == "xlsx":
        # A zip file is written at its end: build it in a temporary file, then send that.
        handle = tempfile.NamedTemporaryFile(prefix="ie-export-", suffix=".xlsx")  # noqa: SIM115 (closed by the body)
        try:
            _xlsx_write(Path(handle.name), names, _counted(stream, outcome), plan.include_headers, mask)
        except executors.ExecutionError as exc:
            handle.close()
            outcome.error = exc.message
            _audit(plan, user=user, outcome=outcome, request=request)
            raise _as_domain_error(plan, exc) from None
        except BaseException:
            handle.close()
            stream.close()
            raise
        return _file_body(handle, plan, user=user, outcome=outcome, request=request)

    writer = _STREAMED_WRITERS[plan.format.name]

    def body() -> Iterator[bytes]:
        try:
            for data in writer(names, _counted(stream, outcome), plan.include_headers, mask):
                outcome.bytes += len(data)
                yield data
            outcome.completed = True
        except executors.ExecutionError as exc:
            # Headers are gone: the connection is cut, so the client sees an incomplete download.
            outcome.error = exc.message
            raise
        finally:
            stream.close()
            if not outcome.completed and not outcome.error:
                outcome.error = "The download was interrupted."
            _audit(plan, user=user, outcome=outcome, request=request)

    return body()


def _file_body(handle: Any, plan: ExportPlan, *, user: Any, outcome: ExportOutcome, request: Any) -> Iterator[bytes]:
    def body() -> Iterator[bytes]:
        try:
            handle.seek(0)
            while True:
                data = handle.read(256 * 1024)
                if not data:
                    break
                outcome.bytes += len(data)
                yield data
            outcome.completed = True
        finally:
            handle.close()
            if not outcome.completed:
                outcome.error = "The download was interrupted."
            _audit(plan, user=user, outcome=outcome, request=request)

    return body()


# --- background exports ----------------------------------------------------------------------------------

def exports_dir() -> Path:
    directory = Path(settings.DATA_DIR) / "exports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def export_file_path(job: Any) -> Path:
    extension = FORMATS[job.params.get("format", "csv")].extension
    return exports_dir() / f"{job.pk}.{extension}"


def export_enqueue(*, plan: ExportPlan, workspace: Any, user: Any, request: Any = None) -> Any:
    """A Job on the long_running queue writes the file; its result is the download link."""
    from core import services as jobs

    from .export_tasks import export_build

    estimate = export_estimated_rows(plan)
    job = jobs.job_create(workspace=workspace, user=user, kind=JOB_KIND, params={
        "query_id": str(plan.run.pk), "format": plan.format.name, "include_headers": plan.include_headers,
        "filename": plan.filename, "estimated_rows": estimate,
    })
    record(actor=user, action="query.export_queued", target=plan.run, workspace=workspace, request=request,
           details={"format": plan.format.name, "job_id": str(job.pk), "estimated_rows": estimate})
    jobs.job_enqueue(job, export_build, queue="long_running")
    return job


def export_build(*, job: Any) -> dict[str, Any]:
    """Write a queued export's file (called by the task, with the job running). Re-checks the run
    and the caller's role now, so a role lost in the meantime masks what it should."""
    from core import services as jobs
    from teams.models import Membership

    params = job.params
    run = QueryRun.objects.select_related("data_source", "workspace").filter(
        pk=params["query_id"], workspace_id=job.workspace_id, user_id=job.created_by_id).first()
    if run is None:
        raise NotFound("The query was deleted.", code="NOT_FOUND")
    membership = Membership.objects.filter(workspace_id=job.workspace_id, user_id=job.created_by_id).first()
    if membership is None:
        raise NotFound("You are no longer a member of this workspace.", code="NOT_FOUND")
    plan = export_check(run=run, membership=membership, export_format=params["format"],
                        include_headers=bool(params.get("include_headers", True)))
    plan = dataclasses.replace(plan, filename=params.get("filename") or plan.filename)
    estimate = params.get("estimated_rows") or 0
    outcome = ExportOutcome()
    last = [0.0]

    def on_chunk(rows: int) -> None:
        now = time.monotonic()
        if now - last[0] < 1.0:
            return
        last[0] = now
        percent = min(99, int(99 * rows / estimate)) if estimate else 0
        jobs.job_progress(job, percent, f"{rows:,} rows written")  # raises JobCancelled when cancelled

    def cancelled() -> bool:
        from core.models import Job

        return Job.objects.filter(pk=job.pk, status=Job.Status.CANCELLED).exists()

    path = export_file_path(job)
    partial = path.with_suffix(path.suffix + ".part")
    if _uses_copy(plan):
        return _build_by_copy(plan, job=job, path=path, cancelled=cancelled, outcome=outcome)
    stream = _open(plan, should_cancel=cancelled, tag=job.pk.hex)
    names, mask = _masked_chunks(plan, stream)
    try:
        if plan.format.name == "xlsx":
            _xlsx_write(partial, names, _counted(stream, outcome, on_chunk), plan.include_headers, mask)
        else:
            with open(partial, "wb") as handle:
                for data in _STREAMED_WRITERS[plan.format.name](names, _counted(stream, outcome, on_chunk),
                                                                 plan.include_headers, mask):
                    handle.write(data)
        partial.replace(path)
        outcome.completed = True
        outcome.bytes = path.stat().st_size
    except executors.ExecutionError as exc:
        outcome.error = exc.message
        raise _as_domain_error(plan, exc) from None
    except BaseException as exc:
        outcome.error = outcome.error or type(exc).__name__
        raise
    finally:
        stream.close()
        partial.unlink(missing_ok=True)
        user = job.created_by
        _audit(plan, user=user, outcome=outcome, job_id=str(job.pk))
    return _download_result(job, plan, outcome)


def _build_by_copy(plan: ExportPlan, *, job: Any, path: Path, cancelled: Callable[[], bool],
                   outcome: ExportOutcome) -> dict[str, Any]:
    from core import services as jobs

    partial = path.with_suffix(path.suffix + ".part")
    chunks, copied = _open_copy(plan, should_cancel=cancelled, tag=job.pk.hex)
    last = 0.0
    try:
        with open(partial, "wb") as handle:
            for data in chunks:
                handle.write(data)
                outcome.bytes += len(data)
                if time.monotonic() - last >= 1.0:  # COPY counts its rows only at the end
                    last = time.monotonic()
                    jobs.job_progress(job, 0, f"{outcome.bytes / 2**20:,.1f} MB written")
        partial.replace(path)
        outcome.completed = True
    except executors.ExecutionError as exc:
        outcome.error = exc.message
        raise _as_domain_error(plan, exc) from None
    except BaseException as exc:
        outcome.error = outcome.error or type(exc).__name__
        raise
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        partial.unlink(missing_ok=True)
        outcome.rows = copied()
        _audit(plan, user=job.created_by, outcome=outcome, job_id=str(job.pk))
    return _download_result(job, plan, outcome)


def _download_result(job: Any, plan: ExportPlan, outcome: ExportOutcome) -> dict[str, Any]:
    expires = timezone.now() + dt.timedelta(hours=float(setting("EXPORT_TTL_HOURS")))
    return {"download_url": f"/api/v1/exports/{job.pk}/download", "filename": plan.filename,
            "format": plan.format.name, "content_type": plan.format.content_type, "rows": outcome.rows,
            "bytes": outcome.bytes, "truncated": outcome.truncated, "expires_at": expires.isoformat(),
            "query_id": str(plan.run.pk)}


def export_download_check(*, job: Any) -> Path:
    """The finished file of an export job (the caller's own; checked by the selector)."""
    from core.models import Job

    if job.status in (Job.Status.QUEUED, Job.Status.RUNNING):
        raise Conflict("The export is still being written; try again when its job has succeeded.",
                       code="EXPORT_NOT_READY")
    if job.status != Job.Status.SUCCEEDED:
        raise Conflict(f"The export {job.status}: {job.error or 'no file was written'}.", code="EXPORT_FAILED")
    path = export_file_path(job)
    finished = job.finished_at or job.updated_at
    if timezone.now() >= finished + dt.timedelta(hours=float(setting("EXPORT_TTL_HOURS"))):
        path.unlink(missing_ok=True)
        raise ExportExpired()
    if not path.is_file():
        raise ExportExpired("The export file is no longer available; export the query again.")
    return path


def exports_purge_expired() -> int:
    """Periodic: delete export files past EXPORT_TTL_HOURS (and leftovers of interrupted jobs)."""
    cutoff = time.time() - float(setting("EXPORT_TTL_HOURS")) * 3600
    removed = 0
    for path in exports_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed
