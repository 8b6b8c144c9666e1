"""End to end over real sockets: two daphne processes share the Redis channel layer (and one SQLite app
database, as `make run` would). Two WebSocket clients on different processes sit in one session, a
third reader follows it over SSE with httpx; the asker leaves mid-answer and the others still get it
all. Also: the SSE question stream read while it streams, and the documented close codes."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings

pytestmark = pytest.mark.redis

ROOT = Path(settings.BASE_DIR)
QUESTION = "How many orders are there per status?"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_up(port: int, log: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code in (200, 503):
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    pytest.fail("daphne did not come up: " + log.read_text()[-2000:])


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Any]]:
    workdir = Path(tempfile.mkdtemp(prefix="ie-chat-e2e-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DATA_DIR=str(workdir), DEMO_WAREHOUSE_ORDERS="1000",
               LOG_LEVEL="WARNING", REDIS_URL=settings.REDIS_URL, CELERY_BROKER_URL="filesystem://")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=180)
    subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=180)
    ports, processes, logs = [_free_port(), _free_port()], [], []
    try:
        for port in ports:
            log_path = workdir / f"daphne-{port}.log"
            log = open(log_path, "w")  # noqa: SIM115 (closed below)
            logs.append(log)
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
            _wait_up(port, log_path, processes[-1])
        warehouse = next(p for p in (workdir / "datasources").rglob("*.sqlite3"))
        yield {"http": [f"http://127.0.0.1:{port}" for port in ports],
               "ws": [f"ws://127.0.0.1:{port}" for port in ports], "warehouse": warehouse}
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for log in logs:
            log.close()


def _login(base: str, email: str, password: str) -> str:
    response = httpx.post(f"{base}/api/v1/auth/login", json={"email": email, "password": password}, timeout=15)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture(scope="module")
def people(servers: dict[str, Any]) -> dict[str, str]:
    base = servers["http"][0]
    return {"analyst": _login(base, "analyst@insightengine.local", "insight-analyst-2024"),
            "admin": _login(base, "admin@insightengine.local", "insight-admin-2024")}


def _shared_session(base: str, token: str) -> str:
    response = httpx.post(f"{base}/api/v1/chat/sessions", json={"shared": True},
                          headers={"Authorization": f"Bearer {token}"}, timeout=15)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    kind = None
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            kind = line[len("event: "):]
        elif line.startswith("data: ") and kind:
            yield kind, json.loads(line[len("data: "):])
            kind = None


async def _until(socket_client: Any, kind: str, timeout: float = 60) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            events.append(json.loads(await socket_client.recv()))
            if events[-1]["type"] == kind:
                return events


def _expected(servers: dict[str, Any], sql: str) -> dict[Any, Any]:
    with sqlite3.connect(f"file:{servers['warehouse']}?mode=ro", uri=True) as connection:
        return dict(connection.execute(sql).fetchall())


async def test_two_sockets_on_two_processes_and_an_sse_reader_share_a_session(servers, people):
    from websockets.asyncio.client import connect

    session_id = _shared_session(servers["http"][0], people["analyst"])
    asker = await connect(f"{servers['ws'][0]}/ws/chat/{session_id}/?token={people['analyst']}")
    colleague = await connect(f"{servers['ws'][1]}/ws/chat/{session_id}/?token={people['admin']}")
    assert json.loads(await asker.recv())["type"] == "ready"
    assert json.loads(await colleague.recv())["type"] == "ready"

    async with httpx.AsyncClient(base_url=servers["http"][1], timeout=60) as http:
        async with http.stream("GET", f"/api/v1/chat/stream-session/{session_id}",
                               headers={"Authorization": f"Bearer {people['admin']}"}) as watching:
            assert watching.status_code == 200 and watching.headers["content-type"].startswith("text/event-stream")
            reader = _sse_events(watching)
            assert (await reader.__anext__())[0] == "ready"

            await asker.send(json.dumps({"type": "question", "content": QUESTION}))
            first = json.loads(await asker.recv())
            assert first["type"] == "status" and first["stage"] == "retrieving"
            await asker.close()  # leaves mid-answer

            theirs = await _until(colleague, "done")
            seen: list[tuple[str, dict[str, Any]]] = []
            async with asyncio.timeout(60):
                async for item in reader:
                    seen.append(item)
                    if item[0] == "done":
                        break

    expected = _expected(servers, "SELECT status, count(*) FROM orders GROUP BY status")
    rows = next(e for e in theirs if e["type"] == "rows")["rows"]
    assert {r[0]: r[1] for r in rows} == expected
    assert [e["stage"] for e in theirs if e["type"] == "status"] == ["retrieving", "generating", "validating",
                                                                     "executing"]
    assert [kind for kind, _ in seen] == [e["type"] for e in theirs]  # the SSE reader saw the same turn
    assert {e["turn_id"] for e in theirs} == {first["turn_id"]}
    messages = httpx.get(f"{servers['http'][0]}/api/v1/chat/sessions/{session_id}/messages",
                         headers={"Authorization": f"Bearer {people['analyst']}"}, timeout=15).json()["results"]
    assert [m["role"] for m in messages] == ["user", "assistant"] and messages[1]["status"] == "completed"
    await colleague.close()


async def test_the_question_stream_arrives_live_over_http(servers, people):
    async with httpx.AsyncClient(base_url=servers["http"][0], timeout=60) as http:
        started = time.perf_counter()
        async with http.stream("POST", "/api/v1/chat/stream-query", json={"content": QUESTION},
                               headers={"Authorization": f"Bearer {people['analyst']}",
                                        "Accept": "text/event-stream"}) as response:
            assert response.status_code == 200
            events: list[tuple[str, dict[str, Any], float]] = []
            async for kind, data in _sse_events(response):
                events.append((kind, data, time.perf_counter() - started))
                if kind in ("done", "error"):
                    break
    assert events[0][0] == "status" and events[0][1]["stage"] == "retrieving"
    kinds = [kind for kind, _, _ in events]
    assert kinds[-1] == "done" and kinds.index("sql") < kinds.index("rows")
    # Stages arrive as they start: "executing" is on the wire before the rows are.
    executing = next(t for kind, data, t in events if kind == "status" and data["stage"] == "executing")
    rows_at = next(t for kind, _, t in events if kind == "rows")
    assert executing <= rows_at
    rows = next(data for kind, data, _ in events if kind == "rows")["rows"]
    assert {r[0]: r[1] for r in rows} == _expected(servers, "SELECT status, count(*) FROM orders GROUP BY status")


async def test_sockets_are_refused_with_the_documented_close_codes(servers, people):
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    session_id = _shared_session(servers["http"][0], people["analyst"])
    for path, code in ((f"/ws/chat/{session_id}/", 4401), (f"/ws/chat/{session_id}/?token=garbage", 4401),
                       (f"/ws/chat/00000000-0000-0000-0000-000000000000/?token={people['admin']}", 4404)):
        async with connect(servers["ws"][1] + path) as client:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(client.recv(), 10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == code, path
