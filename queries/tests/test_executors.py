"""The execution layer on real engines, with the gate deliberately bypassed: the database's own
read-only mode, timeouts and cancellation must hold on their own."""
from __future__ import annotations

import threading
import time

import pytest

from metadata.models import DataSource
from metadata.tests.fixtures import register  # noqa: F401  (fixtures come from metadata.tests.fixtures.py)
from queries import executors

pytestmark = pytest.mark.django_db

LONG = {
    "postgresql": "SELECT count(*) FROM generate_series(1, 100000000000)",
    # MariaDB stops recursive CTEs at 1,000 iterations by default: a cross join does the work instead.
    "mysql": "SELECT count(*) FROM information_schema.COLLATIONS a, information_schema.COLLATIONS b, "
             "information_schema.COLLATIONS c, information_schema.COLLATIONS d",
    "sqlite": "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 1000000000) SELECT count(*) FROM r",
    "duckdb": "SELECT sum(i * i) FROM range(100000000000) t(i)",
}
WRITES = ["DELETE FROM customers", "UPDATE customers SET email = 'x'", "DROP TABLE customers",
          "INSERT INTO customers (customer_id, email) VALUES (99, 'x')", "CREATE TABLE evil (a INTEGER)"]


def make_source(workspace, user, engine, **fields):
    return DataSource.objects.create(workspace=workspace, created_by=user, name=f"src-{engine}", engine=engine,
                                     read_only=True, **fields)


@pytest.fixture
def sources(request, workspace, user, sqlite_file, duckdb_file):
    def build(engine):
        if engine == "sqlite":
            return make_source(workspace, user, "sqlite", database="shop.sqlite3")
        if engine == "duckdb":
            return make_source(workspace, user, "duckdb", database="shop.duckdb")
        if engine == "postgresql":
            return make_source(workspace, user, "postgresql", **{k: v for k, v in
                               request.getfixturevalue("postgres_source").items() if k != "engine"})
        return make_source(workspace, user, "mysql", **{k: v for k, v in
                           request.getfixturevalue("mariadb_source").items() if k not in ("engine", "password")})
    return build


ENGINES = [
    pytest.param("sqlite"),
    pytest.param("duckdb"),
    pytest.param("postgresql", marks=pytest.mark.pg_server),
    pytest.param("mysql", marks=pytest.mark.mariadb),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_reads_rows_columns_and_caps_them(sources, engine):
    ds = sources(engine)
    result = executors.run_statement(ds, "SELECT customer_id, email FROM customers ORDER BY customer_id",
                                     max_rows=1, timeout_s=10)
    assert [c["name"] for c in result.columns] == ["customer_id", "email"]
    assert result.columns[0]["type"] == "integer"
    assert result.rows == [[1, "ana@example.com"]] and result.truncated is True


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("sql", WRITES)
def test_the_read_only_layer_refuses_writes_without_the_gate(sources, engine, sql):
    ds = sources(engine)
    with pytest.raises(executors.ExecutionError):
        executors.run_statement(ds, sql, max_rows=10, timeout_s=10)
    still = executors.run_statement(ds, "SELECT count(*) FROM customers", max_rows=10, timeout_s=10)
    assert still.rows[0][0] >= 2  # nothing was deleted or changed


@pytest.mark.parametrize("engine", ENGINES)
def test_a_query_past_its_timeout_is_stopped_and_reported(sources, engine):
    ds = sources(engine)
    started = time.monotonic()
    with pytest.raises(executors.QueryTimedOut):
        executors.run_statement(ds, LONG[engine], max_rows=10, timeout_s=1.0)
    assert time.monotonic() - started < 6


@pytest.mark.parametrize("engine", ENGINES)
def test_a_long_statement_reports_progress_while_it_runs(sources, engine):
    ds = sources(engine)
    events: list[dict] = []
    with pytest.raises(executors.QueryTimedOut):
        executors.run_statement(ds, LONG[engine], max_rows=10, timeout_s=1.5, on_progress=events.append,
                                progress_seconds=0.2, poll_seconds=0.05)
    executing = [e for e in events if e["phase"] == "executing"]
    assert len(executing) >= 3, events  # a heartbeat about every 0.2 s of the 1.5 s
    elapsed = [e["elapsed_ms"] for e in executing]
    assert elapsed == sorted(elapsed) and elapsed[-1] >= 800 and all(e["rows_fetched"] == 0 for e in executing)


def test_reading_a_large_result_reports_rows_fetched(sources):
    ds = sources("sqlite")
    events: list[dict] = []
    sql = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5000) SELECT n FROM r"
    result = executors.run_statement(ds, sql, max_rows=4500, timeout_s=30, on_progress=events.append,
                                     progress_seconds=0)
    assert len(result.rows) == 4500 and result.truncated
    fetched = [e["rows_fetched"] for e in events if e["phase"] == "fetching"]
    # the watcher's heartbeat may repeat the current count while a batch is read (a busy machine)
    assert fetched == sorted(fetched)
    assert sorted(set(fetched))[:4] == [1000, 2000, 3000, 4000] and fetched[-1] == 4500


def test_a_failing_progress_listener_does_not_disturb_the_query(sources):
    def explode(_: dict) -> None:
        raise RuntimeError("listener down")

    result = executors.run_statement(sources("sqlite"), "SELECT 1 AS one", max_rows=5, timeout_s=5,
                                     on_progress=explode, progress_seconds=0)
    assert result.rows == [[1]]


SERVERS = [pytest.param("postgresql", marks=pytest.mark.pg_server), pytest.param("mysql", marks=pytest.mark.mariadb)]


@pytest.mark.parametrize("engine", ENGINES)
def test_percent_signs_reach_the_database_as_written(sources, engine):
    # psycopg and PyMySQL read % as a placeholder even without parameters: LIKE 'Mc%' must still work.
    result = executors.run_statement(sources(engine), "SELECT 'a%' AS x, 'b%s' AS y, '%%' AS z, 'c%(d)s' AS w",
                                     max_rows=5, timeout_s=10, tag="c" * 32)
    assert result.rows == [["a%", "b%s", "%%", "c%(d)s"]]


@pytest.mark.parametrize("engine", SERVERS)
def test_a_tagged_cancel_stops_only_the_statement_it_names(sources, engine):
    # A pooled connection may run someone else's statement by the time a cancel arrives: a cancel
    # carrying another run's tag must leave it alone; the right tag stops it.
    ds = sources(engine)
    pids: list[str] = []
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            executors.run_statement(ds, LONG[engine], max_rows=10, timeout_s=30, on_started=pids.append,
                                    tag="a" * 32)
            outcome["result"] = "finished"
        except executors.ExecutionError as exc:
            outcome["result"] = type(exc).__name__

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 10
    while not pids and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # the statement is under way
    assert executors.kill_remote(ds, pids[0], tag="b" * 32) is False
    time.sleep(0.5)
    assert worker.is_alive() and "result" not in outcome  # still running
    assert executors.kill_remote(ds, pids[0], tag="a" * 32) is True
    worker.join(10)
    assert outcome["result"] == "QueryCancelled"
    with pytest.raises(ValueError):
        executors.tag_marker("x'; DROP TABLE t; --")


@pytest.mark.parametrize("engine", ENGINES)
def test_cancel_stops_the_statement_on_the_database(sources, engine):
    ds = sources(engine)
    cancel = threading.Event()
    pids: list[str] = []
    timer = threading.Timer(0.7, cancel.set)
    timer.start()
    started = time.monotonic()
    with pytest.raises(executors.QueryCancelled):
        executors.run_statement(ds, LONG[engine], max_rows=10, timeout_s=60, should_cancel=cancel.is_set,
                                on_started=pids.append, poll_seconds=0.05)
    assert time.monotonic() - started < 5
    if engine == "postgresql":
        import psycopg

        from conftest import TEST_POSTGRES_DSN

        with psycopg.connect(TEST_POSTGRES_DSN) as conn:
            active = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND state = 'active'",
                                  (int(pids[0]),)).fetchone()[0]
        assert active == 0  # the server reports the statement gone, not just the client


def test_values_become_json_safe():
    import datetime as dt
    import decimal
    import uuid

    assert executors.jsonable(decimal.Decimal("12.50")) == 12.5
    assert executors.jsonable(decimal.Decimal("12345678901234567890.1")) == "12345678901234567890.1"
    assert executors.jsonable(dt.date(2024, 1, 2)) == "2024-01-02"
    assert executors.jsonable(b"\x00\x01").startswith("base64:")
    assert executors.jsonable(float("nan")) == "nan"
    assert executors.jsonable(uuid.UUID(int=1)) == "00000000-0000-0000-0000-000000000001"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_cancel_watcher_does_not_leak_app_database_connections(user, sqlite_file):
    from django.db import connection

    from queries.models import QueryRun

    ds = make_source(user.memberships.get().workspace, user, "sqlite", database="shop.sqlite3")

    def app_connections() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            return cursor.fetchone()[0]

    before = app_connections()
    for _ in range(3):  # long enough for the watcher to probe the flag many times before the deadline
        with pytest.raises(executors.QueryTimedOut):
            executors.run_statement(ds, LONG["sqlite"], max_rows=1, timeout_s=0.5, poll_seconds=0.02,
                                    should_cancel=lambda: QueryRun.objects.filter(cancel_requested=True).exists())
    assert app_connections() <= before


def test_duckdb_refuses_file_access_without_the_gate(sources):
    ds = sources("duckdb")
    for sql in ("SELECT * FROM read_csv('/etc/hostname')", "SELECT * FROM glob('/etc/*')",
                "SET enable_external_access = true"):
        with pytest.raises(executors.ExecutionError):
            executors.run_statement(ds, sql, max_rows=10, timeout_s=10)
