"""Cancel benchmark: how long after a cancel request the database reports the query gone.

For each engine (SQLite, DuckDB, PostgreSQL, MariaDB/MySQL) starts `--count` long-running queries one
after the other, each through `queries.services.query_execute` in its own thread (the safety gate,
the quota, the QueryRun and `run_now` with its cancel watcher — the path of a web request or worker).
Once the statement is running — the server shows its backend `active` (PostgreSQL) or in `Query`
(MariaDB), or 0.3–0.5 s after it started for the file engines (a random delay across the cancel
watcher's 0.2 s polling period, so that the cancel does not land in step with it) — the bench calls
`queries.services.query_cancel` and measures the time from that call to the database reporting the
query gone:

* PostgreSQL: the backend pid no longer `active` with the statement in `pg_stat_activity` (results
  are streamed through a server-side cursor, so the statement executes as `FETCH FORWARD …`);
* MariaDB/MySQL: the connection id's Command no longer `Query` with the statement in
  `information_schema.PROCESSLIST`;
* SQLite/DuckDB: the executing `executors.run_statement` call returned (it should raise QueryCancelled).

A query still running `--orphan-after` seconds (default 5) after its cancel is an orphan; the bench
then ends it itself (server engines) and stops that engine after `--max-orphans` of them, so a broken
cancel cannot make the run endless. Prints p50/p95/max per engine, orphans and the runs' final
statuses. Goal: p95 under 1 s and zero orphans.

    .venv/bin/python bench/cancel.py [--engines sqlite,duckdb,postgresql,mysql] [--count 50]
        [--pg-dsn "host=127.0.0.1 port=5432 user=postgres"] [--mysql-dsn "host=127.0.0.1 port=3306 user=root"]

The PostgreSQL and MariaDB source databases are throw-away ones it creates and drops (also on Ctrl-C
or an error); the SQLite/DuckDB files live in the workspace's folder under a temporary DATA_DIR, and
the app database is a temporary SQLite file, so nothing of yours is touched. An engine whose server
is unreachable is skipped with the reason. The long statements are those of
queries/tests/test_executors.py, except on PostgreSQL, where a cross join of two small series
replaces the single huge `generate_series` (which spills ~150 MB/s of temporary files while it runs).
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENGINES = ("sqlite", "duckdb", "postgresql", "mysql")
LONG = {
    "postgresql": "SELECT count(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b",
    # Recursive CTEs stop at 1,000 iterations on MariaDB: a cross join does the work instead.
    "mysql": "SELECT count(*) FROM information_schema.COLLATIONS a, information_schema.COLLATIONS b, "
             "information_schema.COLLATIONS c, information_schema.COLLATIONS d",
    "sqlite": "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 1000000000) SELECT count(*) FROM r",
    "duckdb": "SELECT sum(i * i) FROM range(100000000000) t(i)",
}
MARKER = {"postgresql": "generate_series", "mysql": "collations"}  # how the monitor recognises the statement
QUERY_TIMEOUT_S = 12  # the sources' statement timeout: ends a statement whose cancel failed, eventually
FILE_ENGINE_RUNNING_S = 0.3
WATCHER_POLL_S = 0.2  # run_now's watcher checks the QueryRun's cancel flag this often (run_statement's default)


class Skip(Exception):
    """The engine cannot be benchmarked here (server unreachable, driver missing)."""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def dsn_params(dsn: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in dsn.split())


# --- the databases' own view: is the statement still running? --------------------------------------

class PostgresMonitor:
    def __init__(self, params: dict[str, str]) -> None:
        import psycopg

        self.conn = psycopg.connect(**{**params, "dbname": params.get("dbname", "postgres")}, autocommit=True,
                                    connect_timeout=3)

    def running(self, pid: str) -> bool:
        row = self.conn.execute("SELECT state, query FROM pg_stat_activity WHERE pid = %s", (int(pid),)).fetchone()
        # Results are streamed through a server-side cursor: `DECLARE … CURSOR FOR <statement>` only
        # plans it (the backend is idle again before the next step); the work is done in `FETCH FORWARD …`.
        query = (row[1] or "").lstrip().lower() if row else ""
        executing = query.startswith("fetch") or (MARKER["postgresql"] in query and not query.startswith("declare"))
        return bool(row) and row[0] == "active" and executing

    def kill(self, pid: str) -> None:
        self.conn.execute("SELECT pg_terminate_backend(%s)", (int(pid),))

    def close(self) -> None:
        self.conn.close()


class MysqlMonitor:
    def __init__(self, params: dict[str, Any]) -> None:
        import pymysql

        self.conn = pymysql.connect(**params, autocommit=True, connect_timeout=3)

    def running(self, pid: str) -> bool:
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT COMMAND, INFO FROM information_schema.PROCESSLIST WHERE ID = %s", (int(pid),))
            row = cursor.fetchone()
        return bool(row) and row[0] == "Query" and MARKER["mysql"] in (row[1] or "").lower()

    def kill(self, pid: str) -> None:
        with self.conn.cursor() as cursor:
            cursor.execute(f"KILL {int(pid)}")

    def close(self) -> None:
        self.conn.close()


# --- the sources --------------------------------------------------------------------------------------

def mysql_params(dsn: str) -> dict[str, Any]:
    params = dsn_params(dsn)
    return {"host": params.get("host", "127.0.0.1"), "port": int(params.get("port", 3306)),
            "user": params.get("user", "root"), "password": params.get("password", "")}


def prepare_source(engine: str, args: argparse.Namespace, workspace: Any, user: Any,
                   cleanups: list[Callable[[], None]]) -> tuple[Any, Any]:
    """Create the source database and register it; returns (data source, monitor or None)."""
    from metadata import services as metadata_services
    from metadata.connectors import workspace_files_dir

    name = f"ie_bench_cancel_{uuid.uuid4().hex[:8]}"
    data: dict[str, Any] = {"name": f"cancel-{engine}", "engine": engine, "options": {"query_timeout": QUERY_TIMEOUT_S}}
    monitor: Any = None
    if engine == "sqlite":
        import sqlite3

        path = workspace_files_dir(workspace.pk) / f"{name}.sqlite3"
        connection = sqlite3.connect(path)
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        connection.commit()
        connection.close()
        data["database"] = path.name
    elif engine == "duckdb":
        try:
            import duckdb
        except ImportError as exc:
            raise Skip(f"the duckdb driver is not installed ({exc})") from None
        path = workspace_files_dir(workspace.pk) / f"{name}.duckdb"
        connection = duckdb.connect(str(path))
        connection.execute("CREATE TABLE t (id INTEGER)")
        connection.close()
        data["database"] = path.name
    elif engine == "postgresql":
        import psycopg

        params = dsn_params(args.pg_dsn)
        try:
            admin = psycopg.connect(**{**params, "dbname": params.get("dbname", "postgres")}, autocommit=True,
                                    connect_timeout=3)
        except Exception as exc:
            raise Skip(f"PostgreSQL at “{args.pg_dsn}” is unreachable ({first_line(exc)})") from None
        admin.execute(f'CREATE DATABASE "{name}"')

        def drop_pg() -> None:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()

        cleanups.append(drop_pg)
        monitor = PostgresMonitor(params)
        cleanups.append(monitor.close)
        data.update(host=params.get("host", "127.0.0.1"), port=int(params.get("port", 5432)), database=name,
                    username=params.get("user", "postgres"), password=params.get("password", ""))
    else:
        import pymysql

        params = mysql_params(args.mysql_dsn)
        try:
            admin = pymysql.connect(**params, autocommit=True, connect_timeout=3)
        except Exception as exc:
            raise Skip(f"MariaDB/MySQL at “{args.mysql_dsn}” is unreachable ({first_line(exc)})") from None
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")

        def drop_mysql() -> None:
            with admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            admin.close()

        cleanups.append(drop_mysql)
        monitor = MysqlMonitor(params)
        cleanups.append(monitor.close)
        data.update(host=params["host"], port=params["port"], database=name, username=params["user"],
                    password=params["password"])
    ds = metadata_services.data_source_create(workspace=workspace, user=user, data=data)
    return ds, monitor


# --- one engine -------------------------------------------------------------------------------------------

class Probe:
    """Wraps executors.run_statement (as run_now calls it) to see when the statement starts, its
    server-side id, and when and how the executing call returns."""

    def __init__(self) -> None:
        from queries import executors

        self.executors = executors
        self.original = executors.run_statement
        self.reset()

    def reset(self) -> None:
        self.entered, self.returned = threading.Event(), threading.Event()
        self.pid = ""
        self.returned_at = 0.0
        self.outcome = ""

    def __enter__(self) -> Probe:
        self.executors.run_statement = self._run_statement
        return self

    def __exit__(self, *exc: object) -> None:
        self.executors.run_statement = self.original

    def _run_statement(self, *args: Any, **kwargs: Any) -> Any:
        on_started = kwargs.get("on_started")

        def started(pid: str) -> None:
            self.pid = pid
            if on_started is not None:
                on_started(pid)

        kwargs["on_started"] = started
        self.entered.set()
        try:
            result = self.original(*args, **kwargs)
            self.outcome = "returned rows"
            return result
        except BaseException as exc:
            self.outcome = type(exc).__name__
            raise
        finally:
            self.returned_at = time.perf_counter()
            self.returned.set()


def bench_engine(engine: str, ds: Any, monitor: Any, *, count: int, orphan_after: float, max_orphans: int,
                 user: Any, membership: Any) -> dict[str, Any]:
    from django.db import connections

    from queries import services
    from queries.models import QueryRun
    from queries.tasks import execute_query

    server = monitor is not None
    jitter = random.Random(20240601)
    latencies: list[float] = []
    call_ms: list[float] = []
    statuses: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    orphans = not_started = queued = 0
    stopped_early = False
    seen: set[Any] = set()
    with Probe() as probe:
        for index in range(count):
            probe.reset()
            shared: dict[str, str] = {}

            def work(shared: dict[str, str]) -> None:
                try:
                    run = services.query_execute(workspace=membership.workspace, user=user, membership=membership,
                                                 ds=ds, sql=LONG[engine])
                    if run.status == QueryRun.Status.PENDING:
                        # Routed to the queries queue (planner cost over QUERY_ASYNC_COST): run it here
                        # exactly as the worker would.
                        shared["queued"] = "yes"
                        execute_query.apply(args=[str(run.pk)], throw=True)
                except Exception as exc:  # reported below, the bench goes on
                    shared["error"] = f"{type(exc).__name__}: {exc}"
                finally:
                    connections.close_all()

            thread = threading.Thread(target=work, args=(shared,), name=f"bench-{engine}-{index}", daemon=True)
            thread.start()
            # Wait until the statement runs: on the server (seen there), or 0.3–0.5 s into a file engine's call.
            running = False
            if probe.entered.wait(10):
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline and not probe.returned.is_set():
                    if server:
                        if probe.pid and monitor.running(probe.pid):
                            running = True
                            break
                        time.sleep(0.002)
                    else:
                        # A random extra delay, up to the watcher's poll period: the cancel lands at any
                        # phase of its polling, not always just after (or before) a probe.
                        running = not probe.returned.wait(FILE_ENGINE_RUNNING_S + jitter.uniform(0, WATCHER_POLL_S))
                        break
            run = QueryRun.objects.filter(data_source=ds, status=QueryRun.Status.RUNNING).exclude(
                pk__in=seen).order_by("-created_at").first()
            if not running or run is None:
                not_started += 1
                thread.join(QUERY_TIMEOUT_S + 10)
                print(f"  {engine} #{index}: the statement was never seen running "
                      f"({shared.get('error') or probe.outcome or 'the executor was never called'})", flush=True)
                if not_started >= max_orphans:
                    stopped_early = True
                    break
                continue
            seen.add(run.pk)
            pid = probe.pid

            started = time.perf_counter()
            services.query_cancel(run=run, user=user)
            call_ms.append((time.perf_counter() - started) * 1000)
            gone_at = None
            deadline = started + orphan_after
            if server:
                while time.perf_counter() < deadline:
                    if not monitor.running(pid):
                        gone_at = time.perf_counter()
                        break
                    time.sleep(0.002)
            elif probe.returned.wait(max(0.0, deadline - time.perf_counter())):
                gone_at = probe.returned_at
            if gone_at is None:
                orphans += 1
                print(f"  {engine} #{index}: still running {orphan_after:g} s after the cancel — an orphan", flush=True)
                if server:
                    monitor.kill(pid)  # end it here so the next measurement starts clean
            else:
                latencies.append(gone_at - started)
            thread.join(QUERY_TIMEOUT_S + 10)
            if thread.is_alive():
                print(f"  {engine} #{index}: the executing thread did not return; stopping this engine", flush=True)
                stopped_early = True
                break
            run.refresh_from_db()
            statuses[run.status] = statuses.get(run.status, 0) + 1
            queued += bool(shared.get("queued"))
            outcomes[probe.outcome] = outcomes.get(probe.outcome, 0) + 1
            if orphans >= max_orphans:
                stopped_early = True
                break
    return {"latencies": latencies, "call_ms": call_ms, "orphans": orphans, "not_started": not_started,
            "statuses": statuses, "outcomes": outcomes, "stopped_early": stopped_early, "queued": queued}


# --- main ----------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated, of " + ", ".join(ENGINES))
    parser.add_argument("--count", type=int, default=50, help="cancelled queries per engine")
    parser.add_argument("--orphan-after", type=float, default=5.0, help="seconds after which a query is an orphan")
    parser.add_argument("--max-orphans", type=int, default=3, help="stop an engine after this many orphans")
    parser.add_argument("--pg-dsn", default=os.environ.get("BENCH_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres"))
    parser.add_argument("--mysql-dsn", default=os.environ.get("BENCH_MYSQL_DSN", "host=127.0.0.1 port=3306 user=root"))
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(unknown)}")
    count = max(1, min(args.count, 1000))

    workdir = tempfile.mkdtemp(prefix="ie-bench-")
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", DATA_DIR=workdir, LOG_LEVEL="WARNING",
                      DATA_SOURCE_FILES_DIR=str(Path(workdir) / "datasources"), STATIC_ROOT=str(Path(workdir) / "static"),
                      CELERY_BROKER_URL="filesystem://", REDIS_URL="",
                      # Set, not unset: a .env file fills only what the environment leaves out.
                      DATABASE_URL=f"sqlite:///{Path(workdir) / 'insightengine.sqlite3'}")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    logging.getLogger("kombu").setLevel(logging.ERROR)  # the local filesystem broker's "no hostname" notice

    from accounts.models import Quota
    from accounts.services import user_create

    user = user_create(email="bench@example.com", password="a long bench passphrase")
    Quota.objects.filter(user=user).update(daily_limit=2_000_000_000)
    membership = user.memberships.select_related("workspace").get()

    results: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    cleanups: list[Callable[[], None]] = []
    try:
        for engine in engines:
            try:
                ds, monitor = prepare_source(engine, args, membership.workspace, user, cleanups)
            except Skip as exc:
                skipped[engine] = str(exc)
                print(f"Skipping {engine}: {exc}", flush=True)
                continue
            print(f"{engine}: cancelling {count} long-running queries …", flush=True)
            started = time.perf_counter()
            results[engine] = bench_engine(engine, ds, monitor, count=count, orphan_after=args.orphan_after,
                                           max_orphans=max(1, args.max_orphans), user=user, membership=membership)
            print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        from metadata.connectors import _engines

        for _, engine in list(_engines.values()):
            engine.dispose()
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as exc:
                print(f"Cleanup failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print("| engine | cancelled | p50 | p95 | max | orphans | cancel call p50 | final status | executor raised |")
    print("|---|---|---|---|---|---|---|---|---|")
    met = bool(results)
    for engine, result in results.items():
        values = result["latencies"]
        measured = len(values)
        cells = [f"{percentile(values, q) * 1000:.0f} ms" for q in (50, 95, 100)] if values else ["–"] * 3
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(result["statuses"].items())) or "–"
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(result["outcomes"].items())) or "–"
        call = f"{statistics.median(result['call_ms']):.1f} ms" if result["call_ms"] else "–"
        note = " (stopped early)" if result["stopped_early"] else ""
        never = f"; {result['not_started']} never ran" if result["not_started"] else ""
        print(f"| {engine} | {measured}/{count}{note}{never} | {' | '.join(cells)} | {result['orphans']} | {call} | "
              f"{statuses} | {outcomes} |")
        engine_met = (values and percentile(values, 95) < 1.0 and not result["orphans"] and not result["not_started"]
                      and measured == count and result["statuses"] == {"cancelled": measured})
        met = met and bool(engine_met)
    for engine, reason in skipped.items():
        print(f"| {engine} | skipped: {reason} | | | | | | | |")
    for engine, result in results.items():
        if result["queued"]:
            print(f"\n{engine}: {result['queued']} of the statements were routed to the queries queue by the planner-cost "
                  "check (QUERY_ASYNC_COST); the bench ran them as the worker does (queries.tasks.execute_query).")
    print()
    print("Latency: from the query_cancel call to the database reporting the statement gone (PostgreSQL "
          "pg_stat_activity, MariaDB PROCESSLIST) or the executing call returning (SQLite, DuckDB).")
    goal = ("met" if met else "NOT met") if results else "not measured (no engine could be benchmarked)"
    print(f"\nGoal (p95 < 1 s and zero orphans on every engine measured): {goal}")


if __name__ == "__main__":
    main()
