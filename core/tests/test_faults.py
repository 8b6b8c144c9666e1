"""Faults (issue 10): Redis going away under a serving app, and Celery workers killed mid-task.

Every test brings its own `redis-server` on a free port (no persistence), so that it can be stopped
and restarted without touching a shared Redis. The Redis test drives a real daphne over HTTP on a
temporary SQLite app database; the worker tests start a real Celery worker against the test
database (PostgreSQL) and kill it with SIGKILL.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from conftest import REQUIRE_SERVICES

ROOT = Path(settings.BASE_DIR)


def _need_redis_server() -> str:
    path = shutil.which("redis-server")
    if path is None:
        if REQUIRE_SERVICES:
            pytest.fail("[redis-server] required by REQUIRE_SERVICES=1 but not installed", pytrace=False)
        pytest.skip("[redis-server] the redis-server binary is not installed")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Any, timeout: float = 30.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


class RedisServer:
    """A private redis-server that a test can stop and start again on the same port."""

    def __init__(self, binary: str) -> None:
        self.binary, self.port, self.process = binary, _free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except Exception:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for(self.ping, timeout=10), "redis-server did not start"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
        assert not self.ping()


@pytest.fixture
def redis_server():
    server = RedisServer(_need_redis_server())
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- 1. Redis stops while the app is serving ---------------------------------------------------------------


def _call(base: str, method: str, path: str, body: Any = None, token: str | None = None,
          timeout: float = 20) -> tuple[int, Any, float]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        payload = json.loads(raw or b"null")
    except ValueError:
        payload = raw.decode(errors="replace")
    return status, payload, time.monotonic() - started


def _clean(status: int, body: Any) -> bool:
    """Worked, or failed with the JSON error envelope: no HTML page, no traceback, no connection URL."""
    if status < 400:
        return True
    text = json.dumps(body)
    return (isinstance(body, dict) and set(body) == {"error"} and "Traceback" not in text
            and "redis://" not in text and "ConnectionError" not in text)


@pytest.fixture(scope="module")
def served_on_redis():
    """daphne on a migrated temporary SQLite app database (with the demo data), on a private Redis.
    Yields (api base URL, the Redis server, daphne's log file, an access token, a finished query)."""
    redis_server = RedisServer(_need_redis_server())
    redis_server.start()
    workdir = tempfile.mkdtemp(prefix="ie-faults-")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DATA_DIR=workdir, DEMO_WAREHOUSE_ORDERS="200",
               LOG_LEVEL="WARNING", REDIS_URL=redis_server.url)
    manage = [sys.executable, "manage.py"]
    port = _free_port()
    log_path = Path(workdir) / "daphne.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed below)
    process = None
    base = f"http://127.0.0.1:{port}/api/v1"

    def up() -> bool:
        try:
            return _call(base, "GET", "/health", timeout=5)[0] == 200
        except OSError:
            return False

    try:
        subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True,
                       timeout=180)
        subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=180)
        process = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                    "config.asgi:application"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        if not wait_for(up, timeout=60, interval=0.3):
            pytest.fail("the server did not come up: " + log_path.read_text()[-2000:])
        status, login, _ = _call(base, "POST", "/auth/login", {"email": "admin@insightengine.local",
                                                              "password": "insight-admin-2024"})
        assert status == 200, login
        token = login["access_token"]
        status, before, _ = _call(base, "POST", "/queries/execute", {"input": "SELECT count(*) AS n FROM orders"},
                                  token=token)
        assert status == 200 and before["status"] == "completed" and before["results"] == [[200]], before
        yield base, redis_server, log_path, token, before
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
        redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# Requests that need no Redis by their nature: who am I, the data sources, a stored result, and a
# synchronous SQL run on a SQLite file source.
def _requests_without_redis(before: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [("GET", "/auth/me", None), ("GET", "/databases", None), ("GET", f"/queries/{before['query_id']}", None),
            ("POST", "/queries/execute", {"input": "SELECT count(*) AS n FROM customers"})]


def test_redis_down_health_turns_503_errors_stay_clean_and_all_recovers(served_on_redis):
    base, redis_server, log_path, token, before = served_on_redis
    redis_server.stop()
    try:
        # Health names what is down, fast (no hang on the dead connection), and leaks no URL.
        status, health, took = _call(base, "GET", "/health")
        assert status == 503, health
        assert took < 10, f"health took {took:.1f}s with Redis down"
        assert health["status"] == "error"
        assert set(health["failed"]) == {"cache", "channel_layer", "celery_broker"}, health
        assert health["components"]["database"]["status"] == "ok"
        for name in ("cache", "channel_layer", "celery_broker"):
            assert health["components"][name]["status"] == "error" and health["components"][name]["message"]
        assert str(redis_server.port) not in json.dumps(health)

        # Nothing hangs, and whatever fails answers with the JSON error envelope.
        outcomes = {}
        for method, path, body in [*_requests_without_redis(before), ("GET", "/jobs", None)]:
            status, payload, took = _call(base, method, path, body, token=token)
            outcomes[f"{method} {path}"] = (status, payload if status >= 400 else "ok", round(took, 1))
            assert took < 15, outcomes
            assert _clean(status, payload), (outcomes, log_path.read_text()[-3000:])
        assert str(redis_server.port) not in json.dumps(outcomes)
    finally:
        redis_server.start()

    assert wait_for(lambda: _call(base, "GET", "/health")[0] == 200, timeout=20), _call(base, "GET", "/health")[1]
    assert _call(base, "GET", "/auth/me", token=token)[0] == 200
    status, after, _ = _call(base, "POST", "/queries/execute",
                             {"input": "SELECT count(*) AS n FROM orders WHERE order_id > 0"}, token=token)
    assert status == 200 and after["status"] == "completed" and after["results"] == [[200]], after
    # Nothing written before the outage is lost (it lives in the app database, not in Redis).
    status, earlier, _ = _call(base, "GET", f"/queries/{before['query_id']}", token=token)
    assert status == 200 and earlier["status"] == "completed" and earlier["results"] == [[200]], earlier
    status, me, _ = _call(base, "GET", "/auth/me", token=token)
    assert me["email"] == "admin@insightengine.local"


def test_redis_down_requests_that_do_not_need_redis_keep_working(served_on_redis):
    base, redis_server, log_path, token, before = served_on_redis
    redis_server.stop()
    try:
        outcomes = {}
        for method, path, body in _requests_without_redis(before):
            status, payload, took = _call(base, method, path, body, token=token)
            outcomes[f"{method} {path}"] = (status, payload if status >= 400 else "ok", round(took, 1))
        assert all(status == 200 for status, _, _ in outcomes.values()), outcomes
    finally:
        redis_server.start()
        wait_for(lambda: _call(base, "GET", "/health")[0] == 200, timeout=20)


# --- 2 and 3. A worker killed with SIGKILL mid-task ----------------------------------------------------------


@pytest.fixture
def start_worker(redis_server, settings):
    """Start a real Celery worker (solo pool: the task runs in the process we kill) on our Redis."""
    started: list[subprocess.Popen] = []

    def start(queues: str, **extra_env: str) -> subprocess.Popen:
        db = connection.settings_dict
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="core.tests.faults_settings",
                   DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
                   REDIS_URL=redis_server.url, CELERY_BROKER_URL=redis_server.url, LOG_LEVEL="WARNING",
                   FAULTS_DATA_SOURCE_FILES_DIR=str(settings.DATA_SOURCE_FILES_DIR), **extra_env)
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-I", "core.tests.faults_hooks", "-Q", queues,
             "--pool", "solo", "--without-gossip", "--without-mingle", "--loglevel", "WARNING",
             "-n", f"faults-{os.getpid()}-{len(started)}@%h"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(process)
        import redis

        client = redis.Redis.from_url(redis_server.url)
        # The worker declared its queues (their bindings exist) once it is consuming.
        ready = wait_for(lambda: all(client.exists(f"_kombu.binding.{q}") for q in queues.split(",")), timeout=30)
        if not ready:
            process.kill()
            pytest.fail("the worker did not start: " + (process.stdout.read() or "")[-3000:])
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


def _send(redis_server: RedisServer, name: str, args: list[Any], queue: str) -> str:
    from config.celery import app

    with app.connection_for_write(redis_server.url) as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "task_always_eager has no effect on send_task": that is the point
        return app.send_task(name, args=args, queue=queue, connection=conn).id


def _sigkill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL


SLOW_SQL = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) "
            "SELECT count(*) AS n FROM c")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_query_whose_worker_is_killed_is_reaped_and_a_redelivery_does_nothing(
        user, sqlite_file, redis_server, start_worker, monkeypatch, settings):
    from metadata.models import DataSource
    from metadata.services import data_source_create
    from queries import services as query_services
    from queries import tasks
    from queries.models import QueryRun

    membership = user.memberships.get()
    ds = data_source_create(workspace=membership.workspace, user=user,
                            data={"engine": "sqlite", "database": sqlite_file.name, "name": "shop"})
    # Queue it as the API does, but on our broker: the eager in-process dispatch is held back.
    monkeypatch.setattr(tasks.execute_query, "apply_async", lambda *a, **k: None)
    run = query_services.query_execute(workspace=membership.workspace, user=user, membership=membership,
                                       ds=DataSource.objects.get(pk=ds.pk), sql=SLOW_SQL, run_async=True)
    assert run.status == "pending"

    worker = start_worker("queries")
    task_id = _send(redis_server, "queries.execute", [str(run.pk)], queue="queries")
    running = wait_for(lambda: QueryRun.objects.get(pk=run.pk).status == "running", timeout=30)
    if not running:
        worker.kill()
        pytest.fail(f"the worker did not start the query: {QueryRun.objects.get(pk=run.pk).status}\n"
                    + (worker.stdout.read() or "")[-3000:])
    assert QueryRun.objects.get(pk=run.pk).celery_task_id == task_id
    time.sleep(0.5)  # well inside the statement
    _sigkill(worker)

    run.refresh_from_db()
    assert run.status == "running" and run.finished_at is None  # what a dead worker leaves behind

    settings.DATA_SOURCE_QUERY_TIMEOUT = 1  # the shortest cutoff the reaper allows: 2 s + 120 s
    assert query_services.runs_reap_stale() == 0  # a run younger than the cutoff is not reaped
    assert QueryRun.objects.get(pk=run.pk).status == "running"
    QueryRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(seconds=180))
    assert query_services.runs_reap_stale() == 1
    run.refresh_from_db()
    assert run.status == "failed" and run.error_code == "QUERY_ABANDONED" and run.finished_at is not None
    assert run.error_message
    assert query_services.runs_reap_stale() == 0  # reaping twice changes nothing

    # The message was acked late: the broker redelivers it. The task must leave the failed run alone.
    executed: list[Any] = []
    monkeypatch.setattr(tasks, "run_now", lambda r: executed.append(r))
    snapshot = QueryRun.objects.filter(pk=run.pk).values().get()
    tasks.execute_query.apply(args=[str(run.pk)], task_id="redelivered").get()
    assert executed == []
    assert QueryRun.objects.filter(pk=run.pk).values().get() == snapshot

    # Likewise for a run that completed before its message came back.
    monkeypatch.undo()
    done = query_services.query_execute(workspace=membership.workspace, user=user, membership=membership,
                                        ds=DataSource.objects.get(pk=ds.pk), sql="SELECT count(*) AS n FROM customers")
    assert done.status == "completed"
    monkeypatch.setattr(tasks, "run_now", lambda r: executed.append(r))
    snapshot = QueryRun.objects.filter(pk=done.pk).values().get()
    tasks.execute_query.apply(args=[str(done.pk)], task_id="redelivered-2").get()
    assert executed == [] and QueryRun.objects.filter(pk=done.pk).values().get() == snapshot


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_schema_sync_whose_worker_is_killed_is_reaped_and_a_redelivery_does_nothing(
        user, sqlite_file, redis_server, start_worker, monkeypatch, settings):
    from core import services as jobs
    from core.models import Job
    from metadata import services as metadata_services
    from metadata import tasks
    from metadata.models import DataSource, SchemaTable
    from metadata.services import data_source_create

    membership = user.memberships.get()
    ds = data_source_create(workspace=membership.workspace, user=user,
                            data={"engine": "sqlite", "database": sqlite_file.name, "name": "shop"})
    monkeypatch.setattr(tasks.sync_schema, "apply_async", lambda *a, **k: type("R", (), {"id": ""})())
    job = metadata_services.schema_sync_start(ds=DataSource.objects.get(pk=ds.pk), user=user)
    assert job.status == "queued" and job.kind == "schema_sync"

    # The worker hangs once the sync reported progress (introspecting), as a long sync would.
    worker = start_worker("long_running", FAULTS_HANG_AT_PROGRESS="1")
    _send(redis_server, "metadata.sync_schema", [str(job.pk)], queue="long_running")
    midway = wait_for(lambda: (lambda j: j.status == "running" and 0 < j.progress < 92)(Job.objects.get(pk=job.pk)),
                      timeout=30)
    if not midway:
        worker.kill()
        pytest.fail(f"the worker did not get mid-way: {Job.objects.filter(pk=job.pk).values().get()}\n"
                    + (worker.stdout.read() or "")[-3000:])
    _sigkill(worker)

    job.refresh_from_db()
    assert job.status == "running" and job.finished_at is None and job.attempts == 1
    assert not SchemaTable.objects.filter(data_source=ds).exists()  # nothing half-written

    settings.JOB_STALE_AFTER = timedelta(hours=1)
    assert jobs.jobs_reap_stale() == 0  # its heartbeat is recent: not stale yet
    settings.JOB_STALE_AFTER = timedelta(seconds=1)
    time.sleep(1.2)
    assert jobs.jobs_reap_stale() == 1
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None and job.error
    assert jobs.jobs_reap_stale() == 0

    # A redelivered message for the failed job does nothing: no second attempt, no sync.
    called: list[Any] = []
    monkeypatch.setattr(metadata_services, "schema_sync", lambda **kw: called.append(kw))
    snapshot = Job.objects.filter(pk=job.pk).values().get()
    tasks.sync_schema.apply(args=[str(job.pk)], task_id="redelivered").get()
    assert called == []
    assert Job.objects.filter(pk=job.pk).values().get() == snapshot
    assert not SchemaTable.objects.filter(data_source=ds).exists()

    # Likewise for a sync that succeeded before its message came back.
    monkeypatch.undo()
    done = jobs.job_create(workspace=membership.workspace, user=user, kind="schema_sync",
                           params={"data_source_id": str(ds.pk)})
    tasks.sync_schema.apply(args=[str(done.pk)]).get()
    done.refresh_from_db()
    assert done.status == "succeeded" and done.attempts == 1 and done.result["tables"] >= 3
    tables = SchemaTable.objects.filter(data_source=ds).count()
    monkeypatch.setattr(metadata_services, "schema_sync", lambda **kw: called.append(kw))
    snapshot = Job.objects.filter(pk=done.pk).values().get()
    tasks.sync_schema.apply(args=[str(done.pk)], task_id="redelivered-2").get()
    assert called == [] and Job.objects.filter(pk=done.pk).values().get() == snapshot
    assert SchemaTable.objects.filter(data_source=ds).count() == tables
