"""Schema-sync benchmark: 1,000 tables × 20 columns with foreign keys on PostgreSQL.

Prints the time of InsightEngine's full sync (bulk catalog reads + saving into the app database)
and of SQLAlchemy's per-table `inspect()` reflection of the same schema, and their ratio.

    .venv/bin/python bench/schema_sync.py [--tables 1000] [--columns 20] [--dsn "host=127.0.0.1 user=postgres"]

Runs against a throw-away database it creates and drops; the app database is a temporary SQLite
file, so nothing of yours is touched.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_schema(dsn: str, name: str, tables: int, columns: int) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(f"{dsn} dbname={name}", autocommit=True) as conn:
        statements = []
        for t in range(tables):
            cols = ["id integer PRIMARY KEY"]
            if t:
                cols.append(f"parent_id integer REFERENCES t{(t - 1) // 2:04d}(id)")
            types = ["text", "integer", "numeric(12,2)", "timestamp", "boolean", "varchar(80)", "date"]
            cols += [f"c{c:02d} {types[c % len(types)]}" for c in range(columns - len(cols))]
            statements.append(f"CREATE TABLE t{t:04d} ({', '.join(cols)})")
        conn.execute("; ".join(statements))
        conn.execute("ANALYZE")


def per_table_reflection(url: str) -> float:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    started = time.perf_counter()
    inspector = sa.inspect(engine)
    for table in inspector.get_table_names():
        inspector.get_columns(table)
        inspector.get_pk_constraint(table)
        inspector.get_foreign_keys(table)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure; medians are printed")
    parser.add_argument("--dsn", default=os.environ.get("BENCH_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres"))
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="ie-bench-")
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", DATA_DIR=workdir, DATABASE_URL="", REDIS_URL="",
                      LOG_LEVEL="WARNING")
    os.environ.pop("DATABASE_URL")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from accounts.services import user_create
    from metadata import services
    from metadata.models import SchemaColumn

    name = f"ie_bench_{uuid.uuid4().hex[:8]}"
    params = dict(item.split("=", 1) for item in args.dsn.split())
    print(f"Creating {args.tables} tables × {args.columns} columns in PostgreSQL database {name} …", flush=True)
    started = time.perf_counter()
    build_schema(args.dsn, name, args.tables, args.columns)
    print(f"  built in {time.perf_counter() - started:.1f} s")
    try:
        user = user_create(email="bench@example.com", password="a long bench passphrase")
        workspace = user.memberships.get().workspace
        ds = services.data_source_create(workspace=workspace, user=user, data={
            "name": "bench", "engine": "postgresql", "host": params.get("host", "127.0.0.1"),
            "port": int(params.get("port", 5432)), "database": name, "username": params.get("user", "postgres"),
            "password": params.get("password", "")})

        import statistics

        from metadata.models import SchemaTable

        full_runs, resync_runs, reflection_runs = [], [], []
        for _ in range(args.repeat):
            SchemaTable.objects.filter(data_source=ds).delete()  # an empty dictionary: a first sync again
            started = time.perf_counter()
            first = services.schema_sync(ds=ds)
            full_runs.append(time.perf_counter() - started)
            started = time.perf_counter()
            services.schema_sync(ds=ds)
            resync_runs.append(time.perf_counter() - started)
        columns = SchemaColumn.objects.filter(table__data_source=ds).count()

        from sqlalchemy.engine import URL

        url = URL.create("postgresql+psycopg", username=params.get("user", "postgres"), password=params.get("password"),
                         host=params.get("host", "127.0.0.1"), port=int(params.get("port", 5432)), database=name)
        for _ in range(args.repeat):
            reflection_runs.append(per_table_reflection(url.render_as_string(hide_password=False)))
        sync_seconds = statistics.median(full_runs)
        resync_seconds = statistics.median(resync_runs)
        reflection_seconds = statistics.median(reflection_runs)
    finally:
        import psycopg

        from metadata.connectors import _engines

        for _, engine in list(_engines.values()):
            engine.dispose()
        with psycopg.connect(args.dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| tables / columns / foreign keys synced | {first['tables']} / {columns} / {first['relationships']} |")
    print(f"| full sync into an empty dictionary (median of {args.repeat}) | {sync_seconds:.2f} s |")
    print(f"| re-sync (incremental, nothing changed) | {resync_seconds:.2f} s |")
    print(f"| SQLAlchemy per-table inspect() reflection | {reflection_seconds:.2f} s |")
    print(f"| reflection / full sync | {reflection_seconds / sync_seconds:.1f}× |")
    goal = "met" if sync_seconds < 10 and reflection_seconds / sync_seconds >= 3 else "NOT met"
    print(f"\nGoal (full sync < 10 s, several times faster than per-table reflection): {goal}")


if __name__ == "__main__":
    main()
