"""Query-overhead benchmark: the platform's cost per query on top of the database driver's.

Runs the same small query (one row by primary key from a 1,000-row SQLite table) `--runs` times

* through `POST /api/v1/queries/execute`, in-process with DRF's APIClient: the whole Django stack
  (middleware, JWT authentication, workspace resolution, throttling, the safety gate, the daily
  quota, the QueryRun history row, the audit event, the result store and the result cache);
* directly through the `sqlite3` driver on one open read-only connection,

and prints both medians and p95s, their ratio and the overhead (platform median − driver median).
A literal changes on every run (`… {i} AS run … WHERE id = …`) so that the result cache never
answers: this measures real executions. The cached path (the same statement repeated, answered with
`cached: true`) is measured as an extra row. The three paths are interleaved (driver, executed,
cached, driver, …) so that they share whatever else the machine is doing.

Where the time goes is measured inside the same requests: thin clocks (a microsecond or two each)
around what the view and the service call — `services.query_execute` (so request − service is the
HTTP layer), the gate (`services.check_sql` → `queries.safety.check`), the executor
(`executors.run_statement`), the quota, the result store, the audit event and the status pushes;
what is left of the service is the QueryRun bookkeeping and the result cache.

    .venv/bin/python bench/query_overhead.py [--runs 1000] [--rows 1000] [--warmup 30]

The app database is a temporary SQLite file and DATA_DIR a temporary folder (the data-source file
lives in the workspace's folder under it), with the local-memory cache, so nothing of yours — var/,
your Redis — is touched. The bench user's rate limit and daily quota are raised so nothing throttles.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXECUTE = "/api/v1/queries/execute"
PASSWORD = "a long bench passphrase"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def build_source(path: Path, rows: int) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT, price REAL)")
    connection.executemany("INSERT INTO items VALUES (?, ?, ?, ?)",
                           [(i, f"item {i}", f"category {i % 17}", round(i * 1.37, 2)) for i in range(1, rows + 1)])
    connection.commit()
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000, help="queries per measured path")
    parser.add_argument("--rows", type=int, default=1000, help="rows of the generated table")
    parser.add_argument("--warmup", type=int, default=30, help="untimed rounds (driver, executed, cached) before measuring")
    parser.add_argument("--profile", metavar="FILE", help="also write a cProfile of the measured executed requests "
                        "to FILE (inspect with `python -m pstats FILE`); the timings then include the profiler's cost")
    args = parser.parse_args()
    runs, rows = max(1, args.runs), max(1, args.rows)

    workdir = tempfile.mkdtemp(prefix="ie-bench-")
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", DATA_DIR=workdir, LOG_LEVEL="WARNING",
                      DATA_SOURCE_FILES_DIR=str(Path(workdir) / "datasources"), STATIC_ROOT=str(Path(workdir) / "static"),
                      CELERY_BROKER_URL="filesystem://", REDIS_URL="",
                      # Set, not unset: a .env file fills only what the environment leaves out.
                      DATABASE_URL=f"sqlite:///{Path(workdir) / 'insightengine.sqlite3'}")
    # Throttling stays in the stack, at a rate the bench never reaches.
    for tier in ("FREE", "PRO", "ENTERPRISE"):
        os.environ[f"RATE_LIMIT_{tier}"] = "1000000/min"
    try:
        run_bench(runs, rows, max(0, args.warmup), args.profile)
    finally:
        from metadata.connectors import _engines

        for _, engine in list(_engines.values()):
            engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


def run_bench(runs: int, rows: int, warmup: int, profile: str | None = None) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from rest_framework.test import APIClient

    from accounts.models import Quota
    from accounts.services import user_create
    from metadata import services as metadata_services
    from metadata.connectors import workspace_files_dir
    from queries import executors, services
    from queries.models import QueryRun

    user = user_create(email="bench@example.com", password=PASSWORD)
    Quota.objects.filter(user=user).update(daily_limit=2_000_000_000)
    membership = user.memberships.select_related("workspace").get()
    workspace = membership.workspace
    source = workspace_files_dir(workspace.pk) / "bench.sqlite3"
    build_source(source, rows)
    ds = metadata_services.data_source_create(workspace=workspace, user=user, data={
        "name": "bench", "engine": "sqlite", "database": source.name})
    metadata_services.schema_sync(ds=ds)  # as a registered source would be: the gate checks names against it
    ds.refresh_from_db()

    client = APIClient()
    response = client.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")

    counter = iter(range(10**9))  # every statement of the bench differs from every other one: no cache hits

    def statement() -> str:
        i = next(counter)
        return f"SELECT id, name, {i} AS run FROM items WHERE id = {i % rows + 1}"

    # Where the time goes, measured inside the very requests that are timed: each part is a thin
    # clock around a module attribute the service or view calls (a microsecond or two per request).
    parts = ["service", "gate", "executor", "quota", "result store", "audit", "notify"]
    spent: dict[str, float] = dict.fromkeys(parts, 0.0)

    def clocked(part: str, function: Callable[..., object]) -> Callable[..., object]:
        def wrapper(*a: object, **kw: object) -> object:
            started = time.perf_counter()
            try:
                return function(*a, **kw)
            finally:
                spent[part] += (time.perf_counter() - started) * 1000
        return wrapper

    import accounts.services

    patched = [(services, "query_execute", "service"), (services, "check_sql", "gate"),
               (executors, "run_statement", "executor"), (accounts.services, "quota_consume", "quota"),
               (services, "result_store_save", "result store"), (services, "record", "audit"),
               (services, "_notify", "notify")]
    for module, name, part in patched:
        setattr(module, name, clocked(part, getattr(module, name)))

    driver = sqlite3.connect(f"file:{source}?mode=ro", uri=True)  # the baseline: one open read-only connection
    problems = {"executed": {"cached": 0, "failed": 0}, "cached": {"cached": 0, "failed": 0}}
    total = {"driver": [], "executed": [], "cached": []}
    breakdown: dict[str, dict[str, list[float]]] = {path: {part: [] for part in parts} for path in ("executed", "cached")}

    def direct(sql: str) -> None:
        started = time.perf_counter()
        driver.execute(sql).fetchall()
        total["driver"].append((time.perf_counter() - started) * 1000)

    import cProfile

    profiler = cProfile.Profile() if profile else None
    profiling = False

    def post(path: str, sql: str) -> None:
        body = {"mode": "sql", "input": sql, "database_id": str(ds.pk)}
        spent.update(dict.fromkeys(parts, 0.0))
        on = profiler is not None and profiling and path == "executed"
        started = time.perf_counter()
        if on:
            profiler.enable()
        response = client.post(EXECUTE, body, format="json")
        if on:
            profiler.disable()
        total[path].append((time.perf_counter() - started) * 1000)
        for part in parts:
            breakdown[path][part].append(spent[part])
        data = response.json() if response.status_code == 200 else {}
        if data.get("status") != "completed" or len(data.get("results") or []) != 1:
            problems[path]["failed"] += 1
            if problems[path]["failed"] == 1:
                print(f"  unexpected response {response.status_code}: {response.content[:300]!r}", flush=True)
        elif bool(data.get("cached")) != (path == "cached"):
            problems[path]["cached"] += 1

    print(f"SQLite source: {rows} rows; {runs} runs per path (+{warmup} warm-up), the paths interleaved …", flush=True)
    repeated = statement()  # the cached path's one statement
    post("executed", repeated)  # puts it in the result cache
    for measured in (False, True):
        if measured:  # the warm-up is over: forget it
            profiling = True
            for path in breakdown.values():
                for values in path.values():
                    values.clear()
            for values in total.values():
                values.clear()
            for counts in problems.values():
                counts.update(cached=0, failed=0)
        for _ in range(runs if measured else warmup):
            sql = statement()
            direct(sql)
            post("executed", sql)
            post("cached", repeated)
    driver.close()
    if profiler is not None:
        profiler.dump_stats(profile)
        print(f"cProfile of the executed requests written to {profile}", flush=True)

    history = QueryRun.objects.filter(user=user).count()
    driver_median, api_median = statistics.median(total["driver"]), statistics.median(total["executed"])
    overhead = api_median - driver_median

    print()
    print("| path | runs | median | p95 |")
    print("|---|---|---|---|")
    print(f"| sqlite3 driver, same statement (one open connection) | {runs} | {driver_median:.3f} ms | "
          f"{percentile(total['driver'], 95):.3f} ms |")
    print(f"| POST {EXECUTE} (full stack, executed) | {runs} | {api_median:.2f} ms | "
          f"{percentile(total['executed'], 95):.2f} ms |")
    print(f"| POST {EXECUTE}, same statement repeated (cached: true) | {runs} | "
          f"{statistics.median(total['cached']):.2f} ms | {percentile(total['cached'], 95):.2f} ms |")
    print(f"| platform / driver (medians) | | {api_median / driver_median:.0f}× | |")
    print(f"| overhead (platform median − driver median) | | {overhead:.2f} ms | |")

    def derived(path: str) -> dict[str, list[float]]:
        data = breakdown[path]
        inner = ["gate", "executor", "quota", "result store", "audit", "notify"]
        return {**data,
                "http": [t - s for t, s in zip(total[path], data["service"], strict=True)],
                "rest": [s - sum(data[p][i] for p in inner) for i, s in enumerate(data["service"])]}

    executed, cached = derived("executed"), derived("cached")
    labels = {"http": "HTTP layer: middleware, JWT, workspace, throttle, view, serializer, JSON (request − service)",
              "gate": "safety gate (services.check_sql → queries.safety.check; synced schema from the cache)",
              "executor": "executor (executors.run_statement: pooled connection, read-only guards, watcher thread, "
                          "fetch; the driver's own work included)",
              "quota": "daily quota (accounts.services.quota_consume)",
              "result store": "result store (services.result_store_save: gzip JSON file)",
              "audit": "audit event (auditing.services.record)",
              "notify": "status pushes to the channel layer (services._notify, 2 per executed run)",
              "rest": "the rest of the service: QueryRun insert/updates/re-read, result cache, masking"}
    print()
    print("Where the time goes, timed inside the same requests (medians of each part; they need not add up exactly):")
    print()
    print("| part | executed: median | executed: p95 | cached: median |")
    print("|---|---|---|---|")
    for key, label in labels.items():
        print(f"| {label} | {statistics.median(executed[key]):.2f} ms | {percentile(executed[key], 95):.2f} ms | "
              f"{statistics.median(cached[key]):.2f} ms |")
    print(f"| whole request | {api_median:.2f} ms | {percentile(total['executed'], 95):.2f} ms | "
          f"{statistics.median(total['cached']):.2f} ms |")
    print()
    print(f"QueryRun rows written: {history}; executed path: {problems['executed']['cached']} unexpectedly cached, "
          f"{problems['executed']['failed']} failed; cached path: {problems['cached']['cached']} not cached, "
          f"{problems['cached']['failed']} failed.")
    valid = not (problems["executed"]["cached"] or problems["executed"]["failed"] or problems["cached"]["failed"])
    goal = "met" if overhead < 5 and valid else "NOT met"
    print(f"\nGoal (platform overhead < 5 ms per query at the median): {goal}")


if __name__ == "__main__":
    main()
