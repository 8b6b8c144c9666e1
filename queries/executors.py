"""Run one vetted statement on a data source, with the database's own guards switched on.

Defence in depth, whatever SQL reaches here: a read-only transaction (PostgreSQL `SET TRANSACTION
READ ONLY`, MySQL/MariaDB `SET SESSION TRANSACTION READ ONLY`, SQLite `query_only` on a file
opened read-only, DuckDB opened read-only), a server-side statement timeout where the engine has
one, a watcher that interrupts the statement past its deadline or when a cancel is requested, and
a cap on the rows read. Cancelling goes through a separate connection (PostgreSQL
`pg_cancel_backend`, MySQL `KILL QUERY`) or the driver's interrupt (SQLite, DuckDB).
"""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from metadata.connectors import control_engine_for, engine_for
from metadata.models import DataSource


class ExecutionError(Exception):
    code = "EXECUTION_FAILED"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class QueryCancelled(ExecutionError):
    code = "QUERY_CANCELLED"


class QueryTimedOut(ExecutionError):
    code = "QUERY_TIMEOUT"


@dataclass
class ExecutionResult:
    columns: list[dict[str, str]]
    rows: list[list[Any]]
    truncated: bool
    elapsed_ms: float
    backend_pid: str = ""


@dataclass
class _Control:
    """Shared between the executing thread and its watcher."""

    deadline: float
    should_cancel: Callable[[], bool]
    interrupt: Callable[[], None] | None = None
    reason: str = ""
    done: threading.Event = field(default_factory=threading.Event)
    # Progress reports: `report(phase, rows)` at most every `progress_seconds`, from either thread.
    on_progress: Callable[[dict[str, Any]], None] | None = None
    progress_seconds: float = 1.0
    started: float = field(default_factory=time.monotonic)
    last_report: float = field(default_factory=time.monotonic)
    rows: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def report(self, phase: str, *, force: bool = False) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        with self.lock:  # (held while reporting: the two threads' reports reach the listener in order)
            if not force and now - self.last_report < self.progress_seconds:
                return
            self.last_report = now
            try:
                self.on_progress({"phase": phase, "elapsed_ms": round((now - self.started) * 1000),
                                  "rows_fetched": self.rows})
            except Exception:  # a listener failing must not disturb the query
                pass


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        # A float carries 15 significant digits; beyond that keep the exact text (big ids, sums).
        return float(value) if value.is_finite() and len(value.as_tuple().digits) <= 15 else str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "base64:" + base64.b64encode(bytes(value)).decode()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


def _type_name(values: list[Any]) -> str:
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, int):
            return "integer"
        if isinstance(value, (float, decimal.Decimal)):
            return "number"
        if isinstance(value, dt.datetime):
            return "timestamp"
        if isinstance(value, dt.date):
            return "date"
        if isinstance(value, dt.time):
            return "time"
        if isinstance(value, (bytes, bytearray, memoryview)):
            return "binary"
        if isinstance(value, (dict, list)):
            return "json"
        return "text"
    return "unknown"


def _watch(control: _Control, poll_seconds: float) -> None:
    try:
        _watch_loop(control, poll_seconds)
    finally:
        # The cancel probe may have opened a database connection in this thread; threads do not
        # close theirs, so an unclosed one would leak with every query.
        from django.db import connections

        connections.close_all()


def _watch_loop(control: _Control, poll_seconds: float) -> None:
    last_check = 0.0
    while not control.done.wait(poll_seconds / 2):
        now = time.monotonic()
        if now >= control.deadline:
            control.reason = "timeout"
        elif now - last_check >= poll_seconds:
            last_check = now
            try:
                if control.should_cancel():
                    control.reason = "cancel"
            except Exception:  # the cancel probe failing must not stop the guard
                pass
        if not control.reason:
            # The database says nothing while it works: a heartbeat shows the query is alive.
            control.report("fetching" if control.rows else "executing")
        if control.reason:
            for attempt in range(3):  # a failed interrupt (e.g. a connect hiccup) is retried
                if control.interrupt is None:
                    break
                try:
                    control.interrupt()
                    break
                except Exception:
                    if control.done.wait(0.2 * (attempt + 1)):
                        break
            return


def _prepare(ds: DataSource, connection: sa.Connection, timeout_s: float,
             tag: str = "") -> tuple[str, Callable[[], None]]:
    """Switch on the engine's guards; return (server-side id, interrupt function)."""
    raw = connection.connection.dbapi_connection
    if ds.engine == DataSource.Engine.POSTGRESQL:
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
        if tag:  # for the duration of this transaction: what a tagged cancel looks for
            connection.exec_driver_sql(f"SET LOCAL application_name = '{_application_name(tag)}'")
        pid = str(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar())
        return pid, lambda: _kill(ds, pid)
    if ds.engine == DataSource.Engine.MYSQL:
        version = str(connection.exec_driver_sql("SELECT VERSION()").scalar() or "")
        if "mariadb" in version.lower():
            connection.exec_driver_sql(f"SET SESSION max_statement_time = {max(1.0, timeout_s):.3f}")
        else:
            connection.exec_driver_sql(f"SET SESSION max_execution_time = {int(timeout_s * 1000)}")
        connection.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        connection.commit()  # end the implicit transaction so the next one starts read-only
        pid = str(connection.exec_driver_sql("SELECT CONNECTION_ID()").scalar())
        return pid, lambda: _kill(ds, pid)
    if ds.engine == DataSource.Engine.SQLITE:
        connection.exec_driver_sql("PRAGMA query_only = ON")
        return "", raw.interrupt
    if ds.engine == DataSource.Engine.DUCKDB:
        return "", raw.interrupt  # duckdb_engine's wrapper forwards to DuckDBPyConnection.interrupt
    raise ExecutionError(f"Unsupported engine {ds.engine}.")


_KILL_SQL = {
    DataSource.Engine.POSTGRESQL: "SELECT pg_cancel_backend({pid})",
    DataSource.Engine.MYSQL: "KILL QUERY {pid}",
}
# With a tag, only the run that carries it: a pooled connection whose run has just finished may already be
# running someone else's statement, which a cancel by connection id alone would hit. PostgreSQL marks the
# run's transaction by application_name (a streamed result shows only `FETCH …` as the running query);
# MySQL by the statement's leading comment.
_TAGGED_KILL_SQL = {
    DataSource.Engine.POSTGRESQL: "SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                                  "WHERE pid = {pid} AND application_name = '{name}'",
}
_MYSQL_TAGGED_PROBE = "SELECT ID FROM information_schema.PROCESSLIST WHERE ID = {pid} AND INFO LIKE '%{marker}%'"
_TAG = re.compile(r"^[0-9a-fA-F-]{1,64}$")


def driver_text(connection: Any, sql: str) -> str:
    """SQL to pass to a driver without parameters. psycopg and PyMySQL still read `%` as a
    placeholder there (SQLAlchemy hands them an empty parameter list), so a literal `%` — in
    `LIKE 'Mc%'`, say — must reach them doubled."""
    if connection.dialect.paramstyle in ("format", "pyformat"):
        return sql.replace("%", "%%")
    return sql


def _application_name(tag: str) -> str:
    tag_marker(tag)  # validates
    return f"insightengine:{tag}"


def tag_marker(tag: str) -> str:
    """The comment a tagged statement starts with (the server shows it in its list of statements)."""
    if not _TAG.match(tag):
        raise ValueError("A statement tag is a hex id.")
    return f"/* insightengine:{tag} */"


def _kill(ds: DataSource, backend_pid: str, tag: str = "") -> bool:
    """Stop a server's running statement from a separate, unpooled connection (it must work
    when the pool is exhausted by the very queries it has to stop). Raises on failure; False
    when a tagged statement is no longer running on that connection."""
    pid = int(backend_pid)
    with control_engine_for(ds).connect() as other:
        if not tag:
            other.exec_driver_sql(_KILL_SQL[ds.engine].format(pid=pid))
            return True
        marker = tag_marker(tag)
        if ds.engine == DataSource.Engine.POSTGRESQL:
            probe = _TAGGED_KILL_SQL[ds.engine].format(pid=pid, name=_application_name(tag))
            return bool(other.exec_driver_sql(driver_text(other, probe)).scalar())
        probe = _MYSQL_TAGGED_PROBE.format(pid=pid, marker=marker)
        if other.exec_driver_sql(driver_text(other, probe)).first() is None:
            return False
        other.exec_driver_sql(_KILL_SQL[ds.engine].format(pid=pid))  # (a window of microseconds remains)
        return True


def kill_remote(ds: DataSource, backend_pid: str, tag: str = "") -> bool:
    """Stop a running statement from another process (PostgreSQL, MySQL). Best effort; with `tag`,
    only if that connection is still running the statement tagged so."""
    if not backend_pid or ds.engine not in _KILL_SQL:
        return False
    try:
        return _kill(ds, backend_pid, tag)
    except Exception:
        return False


def _classify(exc: BaseException, control: _Control, timeout_s: float) -> ExecutionError:
    text = str(getattr(exc, "orig", None) or exc)
    lowered = text.lower()
    timeout_markers = ("statement timeout", "max_statement_time", "max_execution_time", "maximum statement execution time")
    server_timeout = any(m in lowered for m in timeout_markers)
    if control.reason == "cancel" and not server_timeout:
        return QueryCancelled("The query was cancelled.")
    if control.reason == "timeout" or server_timeout:
        return QueryTimedOut(f"The query ran longer than its {timeout_s:g} s limit and was stopped on the server.")
    if "interrupted" in lowered or "canceling statement due to user request" in lowered:
        return QueryCancelled("The query was cancelled.")
    first_line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    # Drop SQLAlchemy's "(Background on this error ...)" tail and driver class prefixes.
    first_line = first_line.split("(Background on this error")[0].strip()
    if any(marker in lowered for marker in CONNECTION_LOST_MARKERS):
        return SourceConnectionLost(
            f"The database closed the connection while the query ran ({first_line[:300]}): it may have "
            "restarted, or an administrator ended the session. Nothing was changed; try again.")
    return ExecutionError(first_line[:1000])


# What drivers say when the server ends a connection in the middle of a statement.
CONNECTION_LOST_MARKERS = (
    "terminating connection", "server closed the connection", "connection already closed",
    "the connection is closed", "consuming input failed", "ssl syscall error", "lost connection to",
    "server has gone away", "connection reset by peer", "broken pipe",
)


def _approximate_size(value: Any) -> int:
    if value is None:
        return 1
    if isinstance(value, (str, bytes, bytearray)):
        return len(value)
    return 16


def _cap_cell(value: Any, limit: int) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"… [{len(value) - limit:,} more characters]"
    return value


def run_statement(ds: DataSource, sql: str, *, max_rows: int, timeout_s: float,
                  should_cancel: Callable[[], bool] = lambda: False, on_started: Callable[[str], None] | None = None,
                  poll_seconds: float = 0.2, max_bytes: int | None = None,
                  on_progress: Callable[[dict[str, Any]], None] | None = None,
                  progress_seconds: float = 1.0, tag: str = "") -> ExecutionResult:
    """Execute `sql` (already vetted by the safety gate) and read at most `max_rows` rows.

    `on_progress({phase, elapsed_ms, rows_fetched})` is called at most every `progress_seconds`
    while the statement runs ("executing") and while its rows are read ("fetching"). A `tag` (the
    run's id) is sent as a leading comment so that a cancel from elsewhere can make sure it stops
    this statement and nothing else (`kill_remote(..., tag=)`)."""
    from django.conf import settings

    max_bytes = max_bytes or settings.QUERY_MAX_RESULT_BYTES
    started = time.perf_counter()
    control = _Control(deadline=time.monotonic() + timeout_s, should_cancel=should_cancel,
                       on_progress=on_progress, progress_seconds=progress_seconds)
    watcher = threading.Thread(target=_watch, args=(control, poll_seconds), daemon=True, name="query-watcher")
    engine = engine_for(ds)
    pid = ""
    try:
        with engine.connect() as connection:
            try:
                pid, control.interrupt = _prepare(ds, connection, timeout_s, tag)
                if on_started is not None:
                    on_started(pid)
                watcher.start()
                text = f"{tag_marker(tag)} {sql}" if tag and ds.engine == DataSource.Engine.MYSQL else sql
                result = connection.execution_options(stream_results=True).exec_driver_sql(
                    driver_text(connection, text))
                names = list(result.keys())
                rows: list[Any] = []
                size, oversized = 0, False
                while len(rows) <= max_rows and not oversized:
                    chunk = result.fetchmany(min(1000, max_rows + 1 - len(rows)))
                    if not chunk:
                        break
                    for row in chunk:
                        size += sum(_approximate_size(value) for value in row)
                        rows.append(row)
                        if size > max_bytes:
                            oversized = True  # stop reading: the result is cut here and says so
                            break
                    control.rows = min(len(rows), max_rows)
                    control.report("fetching")
                result.close()
            finally:
                control.done.set()
                try:
                    connection.rollback()
                except Exception:
                    connection.invalidate()
    except ExecutionError:
        raise
    except Exception as exc:
        raise _classify(exc, control, timeout_s) from None
    finally:
        control.done.set()
    if control.reason == "cancel":
        raise QueryCancelled("The query was cancelled.")
    truncated = len(rows) > max_rows or oversized
    rows = rows[:max_rows]
    columns = [{"name": name, "type": _type_name([row[i] for row in rows[:200]])} for i, name in enumerate(names)]
    return ExecutionResult(
        columns=columns,
        rows=[[_cap_cell(jsonable(value), settings.QUERY_MAX_CELL_CHARS) for value in row] for row in rows],
        truncated=truncated,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
        backend_pid=pid,
    )


class SourceUnreachable(ExecutionError):
    """The data source could not be connected to (down, wrong credentials, file gone)."""

    code = "DATA_SOURCE_UNREACHABLE"


class SourceConnectionLost(SourceUnreachable):
    """The data source ended the connection mid-statement (restarted, session terminated)."""

    code = "DATA_SOURCE_CONNECTION_LOST"


class RowStream:
    """A statement that is running on its data source, read chunk by chunk (exports).

    The connection, its read-only transaction and the watcher stay open until `close()` (or the
    end of `chunks()`): the caller decides how fast rows are read, and memory holds one chunk.
    """

    def __init__(self, *, columns: list[str], result: Any, connection: Any, control: _Control, max_rows: int,
                 chunk_rows: int, timeout_s: float, backend_pid: str) -> None:
        self.columns = columns
        self.rows_read = 0
        self.truncated = False
        self.backend_pid = backend_pid
        self._result, self._connection, self._control = result, connection, control
        self._max_rows, self._chunk_rows, self._timeout_s = max_rows, chunk_rows, timeout_s
        self._closed = False

    def chunks(self) -> Any:
        """Yield lists of row tuples (at most `chunk_rows` each) until the result or `max_rows` ends.
        Raises ExecutionError (QueryTimedOut, QueryCancelled) when the statement fails midway."""
        control = self._control
        try:
            while self.rows_read < self._max_rows:
                if control.reason or time.monotonic() >= control.deadline:
                    control.reason = control.reason or "timeout"
                    raise _classify(RuntimeError(control.reason), control, self._timeout_s)
                try:
                    chunk = self._fetch(min(self._chunk_rows, self._max_rows - self.rows_read))
                except Exception as exc:
                    raise _classify(exc, control, self._timeout_s) from None
                if not chunk:
                    break
                self.rows_read += len(chunk)
                control.rows = self.rows_read
                control.report("fetching")
                yield chunk
            else:
                try:
                    self.truncated = bool(self._fetch(1))  # one row past the cap says so
                except Exception:
                    self.truncated = True
            if control.reason == "cancel":
                raise QueryCancelled("The query was cancelled.")
        finally:
            self.close()

    def _fetch(self, size: int) -> list[Any]:
        # The driver's own tuples, read from its cursor: building SQLAlchemy Row objects would take
        # as long as the fetch itself. Rows SQLAlchemy had already buffered (none with yield_per) come first.
        buffered = getattr(self._result.cursor_strategy, "_rowbuffer", None)
        if buffered:
            rows = [tuple(buffered.popleft()) for _ in range(min(size, len(buffered)))]
            return rows + (self._result.cursor.fetchmany(size - len(rows)) if size > len(rows) else [])
        return self._result.cursor.fetchmany(size)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._control.done.set()
        try:
            self._result.close()
        except Exception:
            pass
        try:
            self._connection.rollback()
        except Exception:
            self._connection.invalidate()
        finally:
            self._connection.close()


def open_stream(ds: DataSource, sql: str, *, max_rows: int, timeout_s: float, chunk_rows: int = 5000,
                should_cancel: Callable[[], bool] = lambda: False, poll_seconds: float = 0.5,
                on_progress: Callable[[dict[str, Any]], None] | None = None, progress_seconds: float = 1.0,
                tag: str = "") -> RowStream:
    """Start `sql` (already vetted) with the same guards as `run_statement` and return its rows as
    a stream: a server-side cursor (PostgreSQL named cursor, MySQL SSCursor; SQLite and DuckDB read
    lazily) fetched `chunk_rows` at a time. The statement has started when this returns, so an error
    the database reports up front (unknown column, permission, connection) is raised here.
    `timeout_s` bounds the whole read, however slowly the caller consumes it."""
    control = _Control(deadline=time.monotonic() + timeout_s, should_cancel=should_cancel,
                       on_progress=on_progress, progress_seconds=progress_seconds)
    watcher = threading.Thread(target=_watch, args=(control, poll_seconds), daemon=True, name="export-watcher")
    try:
        connection = engine_for(ds).connect()
    except Exception as exc:
        from metadata.connectors import friendly_error

        raise SourceUnreachable(friendly_error(exc, ds)) from None
    try:
        pid, control.interrupt = _prepare(ds, connection, timeout_s, tag)
        watcher.start()
        text = f"{tag_marker(tag)} {sql}" if tag and ds.engine == DataSource.Engine.MYSQL else sql
        result = connection.execution_options(stream_results=True, yield_per=chunk_rows).exec_driver_sql(
            driver_text(connection, text))
        columns = list(result.keys())
    except Exception as exc:
        control.done.set()
        try:
            connection.rollback()
        except Exception:
            connection.invalidate()
        connection.close()
        if isinstance(exc, ExecutionError):
            raise
        raise _classify(exc, control, timeout_s) from None
    return RowStream(columns=columns, result=result, connection=connection, control=control, max_rows=max_rows,
                     chunk_rows=chunk_rows, timeout_s=timeout_s, backend_pid=pid)


def copy_csv(ds: DataSource, sql: str, *, include_headers: bool, timeout_s: float,
             should_cancel: Callable[[], bool] = lambda: False, tag: str = "",
             escape_formulas: bool = False) -> tuple[Any, Callable[[], int]]:
    """PostgreSQL's own CSV writer for a vetted statement: `COPY (sql) TO STDOUT (FORMAT csv)` under the
    same read-only transaction, statement timeout and watcher as `open_stream`. Returns (an iterator
    of bytes, a function giving the rows copied once it is exhausted). The COPY has started when this
    returns, so an error the server reports up front is raised here. About five times as fast as
    reading rows into Python; values are PostgreSQL's text forms (booleans t/f, exact numerics).
    With `escape_formulas`, text that a spreadsheet would run as a formula gets a leading single
    quote, on the server (see `_copy_escaping_formulas`)."""
    if ds.engine != DataSource.Engine.POSTGRESQL:
        raise ExecutionError("COPY is PostgreSQL's.")
    control = _Control(deadline=time.monotonic() + timeout_s, should_cancel=should_cancel)
    watcher = threading.Thread(target=_watch, args=(control, 0.5), daemon=True, name="export-watcher")
    try:
        connection = engine_for(ds).connect()
    except Exception as exc:
        from metadata.connectors import friendly_error

        raise SourceUnreachable(friendly_error(exc, ds)) from None
    state: dict[str, Any] = {"rows": 0}

    def release(finished: bool) -> None:
        control.done.set()
        if not finished:
            # Leaving a COPY midway would read the rest of it first: drop the connection instead,
            # which ends the statement on the server.
            connection.invalidate()
            connection.close()
            return
        try:
            state["copy"].__exit__(None, None, None)
            state["rows"] = max(0, state["cursor"].rowcount)  # known once the COPY has ended
            state["cursor"].close()
            connection.rollback()
        except Exception:
            connection.invalidate()
        connection.close()

    try:
        _, control.interrupt = _prepare(ds, connection, timeout_s, tag)
        watcher.start()
        cursor = state["cursor"] = connection.connection.dbapi_connection.cursor()
        header = "true" if include_headers else "false"
        statement, lead = f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER {header})", b""
        if escape_formulas:
            statement, lead = _copy_escaping_formulas(cursor, sql, include_headers) or (statement, b"")
        manager = state["copy"] = cursor.copy(statement)
        copy = manager.__enter__()
        # The first block is read here: the statement's errors, and those of its first rows,
        # surface before any byte (the header line comes first) is sent.
        first = bytearray(lead)
        while len(first) < 262_144 and (data := copy.read()):
            first += data
    except Exception as exc:
        release(False)
        if isinstance(exc, ExecutionError):
            raise
        raise _classify(exc, control, timeout_s) from None

    def body() -> Any:
        finished = False
        try:
            data, block = (bytes(first) if first else b""), bytearray()
            while data:
                block += data  # the server sends a row per message: handed on in blocks of 256 KB
                if len(block) >= 262_144:
                    if control.reason:
                        raise _classify(RuntimeError(control.reason), control, timeout_s)
                    yield bytes(block)
                    block.clear()
                try:
                    data = copy.read()
                except Exception as exc:
                    raise _classify(exc, control, timeout_s) from None
            if block:
                yield bytes(block)
            finished = True
        finally:
            release(finished)

    return body(), lambda: int(state["rows"])


# Types whose text never starts a spreadsheet formula or is not text someone typed (numbers with
# their minus sign, dates, intervals, JSON, UUIDs, bytea): their columns are copied as they are.
_COPY_PLAIN_TYPES = frozenset({
    16, 17, 20, 21, 23, 26, 114, 650, 700, 701, 790, 829, 869, 1082, 1083, 1114, 1184, 1186, 1266, 1560, 1562,
    1700, 2950, 3802,
})
_COPY_TEXT_TYPES = frozenset({19, 25, 1043})  # name, text, varchar
# = + - @ tab CR, as the code of a value's first character (`ascii()`): exports.FORMULA_PREFIXES.
_FORMULA_CODES = "61, 43, 45, 64, 9, 13"
_FORMULA_CHARS = ("=", "+", "-", "@", "\t", "\r")


def _copy_escaped(alias: str, type_code: int) -> str:
    """The SQL for one column: as it is, or its text with a quote before a formula's first character.
    text/varchar/name are used as they are; other types (char(n), enums, domains, arrays, xml…) by
    their output text (`format('%s', …)`, which keeps char(n)'s padding where a cast would trim it)."""
    if type_code in _COPY_PLAIN_TYPES:
        return alias
    value = alias if type_code in _COPY_TEXT_TYPES else f"format('%s', {alias})"
    escaped = f"CASE WHEN ascii({value}) IN ({_FORMULA_CODES}) THEN '''' || {value} ELSE {value} END"
    return escaped if type_code in _COPY_TEXT_TYPES else f"CASE WHEN {alias} IS NULL THEN NULL ELSE {escaped} END"


def _copy_escaping_formulas(cursor: Any, sql: str, include_headers: bool) -> tuple[str, bytes] | None:
    """The COPY statement that quotes formula-like text (OWASP's CSV injection guidance) and its
    header line, or None when no column holds text. The statement's columns are described first
    (`LIMIT 0`, in the same read-only transaction), then renamed by position, which keeps duplicate
    names apart; the header line is written here, with the original names escaped alike."""
    cursor.execute(f"SELECT * FROM ({sql}) AS q LIMIT 0")
    description = list(cursor.description or [])
    if all(column.type_code in _COPY_PLAIN_TYPES for column in description):
        return None
    aliases = [f"c{i}" for i in range(len(description))]
    expressions = [_copy_escaped(alias, column.type_code) for alias, column in zip(aliases, description, strict=True)]
    statement = (f"COPY (SELECT {', '.join(expressions)} FROM ({sql}) AS q({', '.join(aliases)})) "
                 "TO STDOUT (FORMAT csv, HEADER false)")
    if not include_headers:
        return statement, b""
    import csv
    import io

    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(
        ["'" + c.name if c.name.startswith(_FORMULA_CHARS) else c.name for c in description])
    return statement, line.getvalue().encode("utf-8")
