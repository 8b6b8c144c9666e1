"""Export benchmark: 1,000,000 rows as CSV through `POST /api/v1/queries/{id}/export`, beside the
engine's own CSV dump.

    .venv/bin/python bench/export.py [--rows 1000000] [--engines sqlite,postgresql] [--repeat 3] [--format csv]

For each engine it builds a table of `--rows` rows (id, name, category, price, created), runs
`SELECT * …` through `POST /queries/execute` (the capped preview), then exports it through the API
in-process (DRF's APIClient, the whole Django stack; the streamed body is read chunk by chunk and
thrown away, as a client writing to disk would) and reports

* rows/s of the export (request start → last byte), best of `--repeat`;
* the server's peak memory growth during the export: resident set size (/proc/self/statm) sampled
  every 5 ms in a thread, peak minus the size just before the request;
* the engine's own CSV dump of the same statement to /dev/null, best of `--repeat`:
  SQLite: the `sqlite3 -csv -header` CLI (if installed; else Python's csv module over the sqlite3
  driver, and the output says so); PostgreSQL: `psql -c "\\copy (…) TO STDOUT WITH CSV HEADER"`;
* the ratio export speed / engine speed (goal ≥ 0.5) and the memory goal (< 100 MB);
* the same ratio in CPU seconds (`cpu ratio`: the dump's CPU time, user + system of the child
  process, over the export's, of this whole process with its threads), which depends much less on
  what else the machine is doing than the wall-clock ratio does (SQLite only: PostgreSQL's dump is
  mostly the server's work, which neither figure holds).

The dump and the export take turns (dump, export, dump, export, …), so that both meet the same
load on a shared machine; each figure is the best of its `--repeat` runs.

The app database is a temporary SQLite file and DATA_DIR a temporary folder. PostgreSQL uses a
throw-away database on TEST_POSTGRES_DSN (default host=127.0.0.1 port=5432 user=postgres
dbname=postgres), dropped at the end; the engine is skipped when that server is unreachable.
"""
from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "a long bench passphrase"
PG_DSN = os.environ.get("TEST_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
SELECT = "SELECT id, name, category, price, created FROM items ORDER BY id"
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE


class PeakMemory:
    """Resident set size sampled in a thread; `growth` is the peak over the size at start."""

    def __init__(self, every: float = 0.005) -> None:
        self.every, self.start, self.peak = every, 0, 0
        self._stop = threading.Event()

    def __enter__(self) -> PeakMemory:
        self.start = self.peak = rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, rss())

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss())

    @property
    def growth(self) -> int:
        return self.peak - self.start


def build_sqlite(path: Path, rows: int) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT, price REAL, "
                       "created TEXT)")
    connection.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?)",
                           ((i, f"item {i}", f"category {i % 17}", round(i * 1.37, 2),
                             f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}") for i in range(1, rows + 1)))
    connection.commit()
    connection.close()


def pg_params() -> dict[str, str]:
    return dict(item.split("=", 1) for item in PG_DSN.split())


def build_postgres(rows: int) -> str | None:
    try:
        import psycopg

        admin = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=3)
    except Exception as exc:
        print(f"PostgreSQL: skipped, no server at TEST_POSTGRES_DSN ({type(exc).__name__})")
        return None
    name = f"ie_bench_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    with psycopg.connect(**{**pg_params(), "dbname": name}, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT, "
                     "price DOUBLE PRECISION, created DATE)")
        conn.execute("INSERT INTO items SELECT i, 'item ' || i, 'category ' || (i %% 17), round(i * 1.37, 2), "
                     "make_date(2024, i %% 12 + 1, i %% 28 + 1) FROM generate_series(1, %s) AS i", (rows,))
        conn.execute("ANALYZE items")
    return name


def drop_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def timed(work: Any) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and of the children it waited for) of `work()`."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu, started = time.process_time(), time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    return elapsed, time.process_time() - cpu + child_cpu


def sqlite_baseline(path: Path) -> tuple[str, Any]:
    if shutil.which("sqlite3"):
        def dump() -> None:
            with open(os.devnull, "wb") as sink:
                subprocess.run(["sqlite3", "-readonly", "-csv", "-header", str(path), SELECT], stdout=sink, check=True)
        return "sqlite3 -csv CLI", dump

    def python_dump() -> None:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        with open(os.devnull, "w", newline="") as sink:
            writer = csv.writer(sink)
            cursor = connection.execute(SELECT)
            writer.writerow([d[0] for d in cursor.description])
            writer.writerows(cursor)
        connection.close()
    return "Python csv module over sqlite3 (no sqlite3 CLI installed)", python_dump


def postgres_baseline(database: str) -> tuple[str, Any] | None:
    if not shutil.which("psql"):
        return None
    params = pg_params()
    command = ["psql", "-X", "-q", "-h", params.get("host", "127.0.0.1"), "-p", params.get("port", "5432"),
               "-U", params.get("user", "postgres"), "-d", database,
               "-c", f"\\copy ({SELECT}) TO STDOUT WITH CSV HEADER"]

    def dump() -> None:
        with open(os.devnull, "wb") as sink:
            subprocess.run(command, stdout=sink, check=True)
    return "psql \\copy … TO STDOUT WITH CSV", dump


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is kept")
    parser.add_argument("--format", default="csv", choices=["csv", "json", "xlsx", "parquet"],
                        help="export format (the baselines are CSV whatever this says)")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="ie-bench-export-")
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", DATA_DIR=workdir, LOG_LEVEL="WARNING",
                      DATA_SOURCE_FILES_DIR=str(Path(workdir) / "datasources"), STATIC_ROOT=str(Path(workdir) / "static"),
                      CELERY_BROKER_URL="filesystem://", REDIS_URL="",
                      DATABASE_URL=f"sqlite:///{Path(workdir) / 'insightengine.sqlite3'}")
    for tier in ("FREE", "PRO", "ENTERPRISE"):
        os.environ[f"RATE_LIMIT_{tier}"] = "1000000/min"
    pg_database = None
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        # The bench measures the streamed response: nothing goes to the background job.
        settings.EXPORT_SYNC_MAX_ROWS = 10**12
        engines = [e.strip() for e in args.engines.split(",") if e.strip()]
        if "postgresql" in engines:
            pg_database = build_postgres(args.rows)
        run_bench(args, engines, pg_database)
    finally:
        from metadata.connectors import _engines

        for _, engine in list(_engines.values()):
            engine.dispose()
        if pg_database:
            drop_postgres(pg_database)
        shutil.rmtree(workdir, ignore_errors=True)


def run_bench(args: Any, engines: list[str], pg_database: str | None) -> None:
    from rest_framework.test import APIClient

    from accounts.models import Quota
    from accounts.services import user_create
    from metadata import services as metadata_services
    from metadata.connectors import workspace_files_dir

    user = user_create(email="bench@example.com", password=PASSWORD)
    Quota.objects.filter(user=user).update(daily_limit=2_000_000_000)
    workspace = user.memberships.select_related("workspace").get().workspace
    client = APIClient()
    response = client.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")

    print(f"{args.rows:,} rows exported as {args.format.upper()} through POST /api/v1/queries/{{id}}/export "
          f"(in-process, best of {args.repeat})\n")
    header = (f"{'engine':<11} {'export s':>9} {'rows/s':>11} {'peak RSS +MB':>13} {'engine s':>9} {'ratio':>6} "
              f"{'cpu ratio':>9}  baseline")
    print(header)
    print("-" * len(header))
    for engine in engines:
        if engine == "sqlite":
            path = workspace_files_dir(workspace.pk) / "bench.sqlite3"
            build_sqlite(path, args.rows)
            ds = metadata_services.data_source_create(workspace=workspace, user=user, data={
                "name": "bench-sqlite", "engine": "sqlite", "database": path.name})
            baseline = sqlite_baseline(path)
        elif engine == "postgresql":
            if not pg_database:
                continue
            params = pg_params()
            ds = metadata_services.data_source_create(workspace=workspace, user=user, data={
                "name": "bench-pg", "engine": "postgresql", "host": params.get("host", "127.0.0.1"),
                "port": int(params.get("port", 5432)), "database": pg_database,
                "username": params.get("user", "postgres"), "password": params.get("password", "")})
            baseline = postgres_baseline(pg_database)
        else:
            print(f"{engine}: unknown engine, skipped")
            continue
        metadata_services.schema_sync(ds=ds)
        executed = client.post("/api/v1/queries/execute", {"input": SELECT, "database_id": str(ds.pk)}, format="json")
        assert executed.status_code == 200, executed.content
        query_id = executed.json()["query_id"]

        best = best_cpu = engine_best = engine_cpu = float("inf")
        growth = size = 0
        for _ in range(args.repeat):
            if baseline is not None:
                wall, cpu = timed(baseline[1])
                engine_best, engine_cpu = min(engine_best, wall), min(engine_cpu, cpu)
            with PeakMemory() as memory:
                cpu, started = time.process_time(), time.perf_counter()
                response = client.post(f"/api/v1/queries/{query_id}/export", {"format": args.format}, format="json")
                assert response.status_code == 200, response.content
                size = sum(len(part) for part in response.streaming_content)
                response.close()
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            best, best_cpu, growth = min(best, elapsed), min(best_cpu, cpu), max(growth, memory.growth)
        speed = args.rows / best
        if baseline is None:
            print(f"{engine:<11} {best:>9.2f} {speed:>11,.0f} {growth / 2**20:>13.1f} {'-':>9} {'-':>6} {'-':>9}  "
                  f"(no psql: no baseline)")
            continue
        # PostgreSQL's dump is mostly the server's work, which neither CPU figure holds: no CPU ratio.
        cpu_ratio = f"{engine_cpu / best_cpu:.2f}" if engine == "sqlite" else "-"
        print(f"{engine:<11} {best:>9.2f} {speed:>11,.0f} {growth / 2**20:>13.1f} {engine_best:>9.2f} "
              f"{engine_best / best:>6.2f} {cpu_ratio:>9}  {baseline[0]}  [{size / 2**20:.0f} MB file]")
    print("\nGoals: peak RSS growth < 100 MB; ratio (engine s / export s) ≥ 0.5 (wall clock; the cpu ratio "
          "is the same in CPU seconds).")


if __name__ == "__main__":
    main()
