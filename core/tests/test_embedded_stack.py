"""End to end on the embedded defaults that `make run` uses: daphne + a Celery worker on the
filesystem broker, SQLite as the app database — no service needed. Driven over real HTTP."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _call(base: str, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def stack():
    workdir = tempfile.mkdtemp(prefix="ie-embedded-")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DATA_DIR=workdir, DEMO_WAREHOUSE_ORDERS="2000",
               LOG_LEVEL="WARNING", WORKER_CONCURRENCY="1")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=180)
    subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=180)
    port = _free_port()
    log = open(Path(workdir) / "serve.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen([*manage, "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _call(base, "GET", "/health")[0] in (200, 503):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("the server did not come up: " + (Path(workdir) / "serve.log").read_text()[-2000:])
        yield base
    finally:
        os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the whole group
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def _wait(predicate, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    return None


def test_health_is_green_on_the_embedded_defaults(stack):
    status, body = _call(stack, "GET", "/health")
    assert status == 200, body
    assert body["components"]["celery_broker"]["backend"] == "filesystem"
    assert body["components"]["database"]["backend"] == "sqlite"


def test_background_work_runs_on_the_embedded_worker(stack):
    status, login = _call(stack, "POST", "/auth/login", {"email": "admin@insightengine.local",
                                                         "password": "insight-admin-2024"})
    assert status == 200, login
    token = login["access_token"]
    status, sources = _call(stack, "GET", "/databases", token=token)
    ds = sources["results"][0]
    status, started = _call(stack, "POST", f"/databases/{ds['id']}/sync-schema", token=token)
    assert status == 202, started
    job = _wait(lambda: (lambda j: j if j["status"] in ("succeeded", "failed") else None)(
        _call(stack, "GET", f"/jobs/{started['job_id']}", token=token)[1]))
    assert job and job["status"] == "succeeded" and job["result"]["tables"] >= 10, job

    status, queued = _call(stack, "POST", "/queries/execute", {"input": "SELECT count(*) AS n FROM orders",
                                                                 "async": True}, token=token)
    assert status == 202 and queued["status"] == "pending", queued
    done = _wait(lambda: (lambda r: r if r["status"] in ("completed", "failed") else None)(
        _call(stack, "GET", f"/queries/{queued['query_id']}", token=token)[1]))
    assert done and done["status"] == "completed" and done["results"] == [[2000]], done
