"""Query-overhead benchmark: the platform's cost per query on top of the database driver's.

Runs the same small query (one row by primary key from a 1,000-row SQLite table) `--runs` times

* through `POST /api/v1/queries/execute`, in-process with DRF's APIClient: the whole Django stack
  (middleware, JWT authentication, workspace resolution, throttling, the safety gate, the daily
  quota, the QueryRun history row, the audit event, the result store and the result cache);
* directly through the `sqlite3` driver on one open read-only connection,

and prints both medians and p95s, their ratio and the overhead (platform median − driver median).
A literal changes on every run (`… {i} AS run … WHERE id = …`) so that the result cache never
answers: this measures real executions. The cached path (the same statement repeated, answered with
`cached: true`) is measured separately as an extra row. To show where the time goes, the service
(`services.query_execute`, no HTTP) is then run `--runs` more times with its parts timed inside the
same calls: the gate (`services.check_sql` → `queries.safety.check`), the executor
(`executors.run_statement`), the quota, the result store, the audit event and the status pushes;
what is left is the QueryRun bookkeeping and the result cache, and request − service is HTTP.

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


def timed(count: int, make: Callable[[int], Callable[[], object]]) -> list[float]:
    """Milliseconds of `count` calls; `make(i)` builds call i outside the timed region."""
    samples = []
    for i in range(count):
        call = make(i)
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


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
    parser.add_argument("--warmup", type=int, default=30, help="untimed runs before each path")
    args = parser.parse_args()
    runs, rows = max(1, args.runs), max(1, args.rows)

    workdir = tempfile.mkdtemp(prefix="ie-bench-")
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", DATA_DIR=workdir, LOG_LEVEL="WARNING",
                      DATA_SOURCE_FILES_DIR=str(Path(workdir) / "datasources"), STATIC_ROOT=str(Path(workdir) / "static"),
                      CELERY_BROKER_URL="filesystem://")
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    # Throttling stays in the stack, at a rate the bench never reaches.
    for tier in ("FREE", "PRO", "ENTERPRISE"):
        os.environ[f"RATE_LIMIT_{tier}"] = "1000000/min"
    try:
        run_bench(runs, rows, max(0, args.warmup))
    finally:
        from metadata.connectors import _engines

        for _, engine in list(_engines.values()):
            engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


def run_bench(runs: int, rows: int, warmup: int) -> None:
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

    misses = {"cached": 0, "failed": 0}

    def post(sql: str, *, expect_cached: bool = False) -> Callable[[], object]:
        body = {"mode": "sql", "input": sql, "database_id": str(ds.pk)}

        def call() -> object:
            response = client.post(EXECUTE, body, format="json")
            data = response.json() if response.status_code == 200 else {}
            if data.get("status") != "completed" or len(data.get("results") or []) != 1:
                misses["failed"] += 1
                if misses["failed"] == 1:
                    print(f"  unexpected response {response.status_code}: {response.content[:300]!r}", flush=True)
            elif bool(data.get("cached")) != expect_cached:
                misses["cached"] += 1
            return response
        return call

    print(f"SQLite source: {rows} rows; {runs} runs per path (+{warmup} warm-up) …", flush=True)

    # 1. The driver alone: one open read-only connection, the statement as sent, all rows fetched.
    driver = sqlite3.connect(f"file:{source}?mode=ro", uri=True)

    def direct(sql: str) -> Callable[[], object]:
        return lambda: driver.execute(sql).fetchall()

    timed(warmup, lambda i: direct(statement()))
    driver_ms = timed(runs, lambda i: direct(statement()))
    driver.close()

    # 2. The full HTTP stack, a new statement every run (executed, never served from the cache).
    timed(warmup, lambda i: post(statement()))
    misses.update(cached=0, failed=0)
    api_ms = timed(runs, lambda i: post(statement()))
    api_misses = dict(misses)

    # 3. The cached path: the same statement again and again (`cached: true`).
    repeated = statement()
    post(repeated)()  # fills the cache
    misses.update(cached=0, failed=0)
    cached_ms = timed(runs, lambda i: post(repeated, expect_cached=True))
    cached_misses = dict(misses)

    # 4. Where the time goes: the service alone (no HTTP), with its parts timed on the same calls.
    parts = {"gate": "services.check_sql", "executor": "executors.run_statement", "quota": "accounts quota_consume",
             "result store": "services.result_store_save", "audit": "services.record", "notify": "services._notify"}
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

    patched = [(services, "check_sql", "gate"), (executors, "run_statement", "executor"),
               (accounts.services, "quota_consume", "quota"), (services, "result_store_save", "result store"),
               (services, "record", "audit"), (services, "_notify", "notify")]
    originals = [(module, name, getattr(module, name)) for module, name, _ in patched]
    for module, name, part in patched:
        setattr(module, name, clocked(part, getattr(module, name)))
    per_part: dict[str, list[float]] = {part: [] for part in parts}

    def service(sql: str) -> Callable[[], object]:
        def call() -> object:
            spent.update(dict.fromkeys(parts, 0.0))
            run = services.query_execute(workspace=workspace, user=user, membership=membership, ds=ds, sql=sql)
            for part in parts:
                per_part[part].append(spent[part])
            return run
        return call

    try:
        timed(warmup, lambda i: service(statement()))
        for values in per_part.values():
            values.clear()
        service_ms = timed(runs, lambda i: service(statement()))
    finally:
        for module, name, original in originals:
            setattr(module, name, original)

    history = QueryRun.objects.filter(user=user).count()
    driver_median, api_median = statistics.median(driver_ms), statistics.median(api_ms)
    overhead = api_median - driver_median
    service_median = statistics.median(service_ms)
    rest = [total - sum(per_part[part][i] for part in parts) for i, total in enumerate(service_ms)]

    print()
    print("| path | runs | median | p95 |")
    print("|---|---|---|---|")
    print(f"| sqlite3 driver, same statement (one open connection) | {runs} | {driver_median:.3f} ms | "
          f"{percentile(driver_ms, 95):.3f} ms |")
    print(f"| POST {EXECUTE} (full stack, executed) | {runs} | {api_median:.2f} ms | {percentile(api_ms, 95):.2f} ms |")
    print(f"| POST {EXECUTE}, same statement repeated (cached: true) | {runs} | {statistics.median(cached_ms):.2f} ms | "
          f"{percentile(cached_ms, 95):.2f} ms |")
    print(f"| platform / driver (medians) | | {api_median / driver_median:.0f}× | |")
    print(f"| overhead (platform median − driver median) | | {overhead:.2f} ms | |")
    print()
    print(f"Where the time goes: services.query_execute called directly ({runs} more executed runs, no HTTP), "
          "its parts timed inside the same calls:")
    print()
    print("| part | median | p95 |")
    print("|---|---|---|")
    labels = {"gate": "safety gate (services.check_sql → queries.safety.check; synced schema from the cache)",
              "executor": "executor (executors.run_statement: pooled connection, read-only guards, watcher thread, "
                          "fetch; the driver's own work included)",
              "quota": "daily quota (accounts.services.quota_consume)",
              "result store": "result store (services.result_store_save: gzip JSON file)",
              "audit": "audit event (auditing.services.record)",
              "notify": "status pushes to the channel layer (services._notify, 2 per run)"}
    for part, label in labels.items():
        print(f"| {label} | {statistics.median(per_part[part]):.2f} ms | {percentile(per_part[part], 95):.2f} ms |")
    print(f"| the rest: QueryRun insert/updates/re-read, result cache, masking | {statistics.median(rest):.2f} ms | "
          f"{percentile(rest, 95):.2f} ms |")
    print(f"| **service total** (services.query_execute) | {service_median:.2f} ms | {percentile(service_ms, 95):.2f} ms |")
    print(f"| HTTP layer: middleware, JWT, workspace, throttle, serializer, JSON (request median − service median) | "
          f"{api_median - service_median:.2f} ms | |")
    print()
    print(f"QueryRun rows written: {history}; executed path: {api_misses['cached']} unexpectedly cached, "
          f"{api_misses['failed']} failed; cached path: {cached_misses['cached']} not cached, "
          f"{cached_misses['failed']} failed.")
    valid = not (api_misses["cached"] or api_misses["failed"] or cached_misses["failed"])
    goal = "met" if overhead < 5 and valid else "NOT met"
    print(f"\nGoal (platform overhead < 5 ms per query at the median): {goal}")


if __name__ == "__main__":
    main()
