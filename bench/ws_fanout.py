"""WebSocket fan-out benchmark: 500 clients across 50 chat sessions on one daphne process, Redis channel layer.

    .venv/bin/python bench/ws_fanout.py [--clients 500] [--sessions 50] [--rounds 3]
        [--redis-url redis://127.0.0.1:6379/0] [--postgres postgres://postgres@127.0.0.1:5432]

Needs a Redis server (`--redis-url`, default $REDIS_URL or redis://127.0.0.1:6379/0); nothing else: the app
database is a temporary SQLite file with the demo warehouse (`seed_demo`), so nothing of yours is touched.
With `--postgres <server url>` the app database is a throw-away PostgreSQL database `ie_bench_ws_fanout`
on that server instead (created, then dropped) — the scaled deployment's shape.
Starts one `daphne config.asgi:application` process, creates `--sessions` shared sessions, and opens
`--clients` sockets spread evenly over them (at most 50 handshakes in flight, as a crowd of browsers
reconnecting would). Then, session after session for `--rounds` rounds, one client of the session asks a
question (the built-in engine answers it); every client of that session — the asker included — receives
the broadcast. Measured from the moment the question is sent, at each client:

* message round trip: the question, broadcast as the session's `message` event (the headline figure;
  goal: all clients connected, p95 under 100 ms);
* first event: the turn's first `status` event;
* done: the whole answer (rows, chart, assistant message) delivered.

Finally a burst: every session asks at the same moment (`--no-burst` skips it), the figures apart.
Prints connect successes and p50/p95/max of each measure.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
PG_DATABASE = "ie_bench_ws_fanout"
QUESTIONS = ["How many customers are there?", "How many orders are there per status?",
             "How many products are there?", "How many customers are there per segment?"]


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def figures(name: str, values: list[float]) -> str:
    return (f"{name:<24} n={len(values):<5} p50={percentile(values, 0.5):7.1f} ms  "
            f"p95={percentile(values, 0.95):7.1f} ms  max={max(values) if values else float('nan'):7.1f} ms")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One daphne process on a throw-away DATA_DIR (SQLite app database, demo warehouse)."""

    def __init__(self, redis_url: str, postgres: str | None = None) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="ie-ws-fanout-"))
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
        self.env.update(DJANGO_SETTINGS_MODULE="config.settings", DATA_DIR=str(self.workdir),
                        DEMO_WAREHOUSE_ORDERS="2000", LOG_LEVEL="WARNING", REDIS_URL=redis_url,
                        CELERY_BROKER_URL="filesystem://")
        self.postgres = postgres.rstrip("/") if postgres else None
        if self.postgres:
            self.env["DATABASE_URL"] = f"{self.postgres}/{PG_DATABASE}"
        self.process: subprocess.Popen[bytes] | None = None

    def _admin_sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(f"{self.postgres}/postgres", autocommit=True) as connection:
            connection.execute(statement)

    def start(self) -> None:
        if self.postgres:
            self._admin_sql(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            self._admin_sql(f"CREATE DATABASE {PG_DATABASE}")
        manage = [sys.executable, "manage.py"]
        for command in (["migrate", "--noinput"], ["seed_demo"]):
            done = subprocess.run([*manage, *command], cwd=ROOT, env=self.env, capture_output=True, timeout=300)
            if done.returncode:
                raise SystemExit(f"manage.py {command[0]} failed:\n{done.stderr.decode()[-2000:]}")
        self.log = open(self.workdir / "daphne.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.http}/api/v1/health", timeout=2).status_code in (200, 503):
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise SystemExit("daphne did not start: " + (self.workdir / "daphne.log").read_text()[-2000:])

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        if hasattr(self, "log"):
            self.log.close()
            lines = (self.workdir / "daphne.log").read_text(errors="replace").splitlines()
            errors = [line for line in lines if "Traceback" in line or " ERROR " in line or "Exception" in line]
            print(f"\nserver log: {len(errors)} error lines" + (":" if errors else ""))
            for line in errors[:5]:
                print("  " + line[:300])
            if errors:
                start = max(0, lines.index(errors[0]))
                print("\n".join("  " + line[:300] for line in lines[start:start + 30]))
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self.postgres:
            self._admin_sql(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


class Client:
    def __init__(self, index: int, session_id: str) -> None:
        self.index, self.session_id = index, session_id
        self.socket: ClientConnection | None = None
        self.waiters: dict[tuple[str, str], asyncio.Future[float]] = {}
        self.reader: asyncio.Task[None] | None = None

    def expect(self, turn_key: str, kind: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters[(turn_key, kind)] = future
        return future

    async def read(self) -> None:
        assert self.socket is not None
        async for raw in self.socket:
            now = time.perf_counter()
            event = json.loads(raw)
            # Turns are matched on the question text: the client does not know the turn id before the
            # first event, and each session has one question in flight at a time.
            if event.get("type") == "message" and event["message"]["role"] == "user":
                kind = "message"
            elif event.get("type") == "status" and event.get("stage") == "retrieving":
                kind = "first"
            elif event.get("type") in ("done", "error"):
                kind = "done"
            else:
                continue
            for (_, wanted), future in list(self.waiters.items()):
                if wanted == kind and not future.done():
                    future.set_result(now)
                    break


async def open_clients(server: Server, token: str, sessions: list[str], count: int) -> tuple[list[Client], list[float]]:
    clients = [Client(i, sessions[i % len(sessions)]) for i in range(count)]
    gate = asyncio.Semaphore(50)
    connect_ms: list[float] = []

    async def open_one(client: Client) -> None:
        async with gate:
            started = time.perf_counter()
            try:
                client.socket = await connect(
                    f"ws://127.0.0.1:{server.port}/ws/chat/{client.session_id}/?token={token}",
                    open_timeout=30, ping_interval=None, max_queue=None)
                ready = json.loads(await asyncio.wait_for(client.socket.recv(), 30))
                if ready.get("type") != "ready":
                    raise RuntimeError(f"expected ready, got {ready}")
            except Exception as exc:  # counted as a failed connect
                print(f"client {client.index}: {type(exc).__name__}: {exc}", file=sys.stderr)
                client.socket = None
                return
            connect_ms.append((time.perf_counter() - started) * 1000)
            client.reader = asyncio.create_task(client.read())

    await asyncio.gather(*(open_one(c) for c in clients))
    return [c for c in clients if c.socket is not None], connect_ms


async def ask(members: list[Client], question: str, results: dict[str, list[float]]) -> None:
    """One question in one session: the first member sends, every member's receipt times are kept."""
    key = f"{question}:{time.perf_counter()}"
    futures = {kind: [m.expect(key, kind) for m in members] for kind in ("message", "first", "done")}
    sent = time.perf_counter()
    assert members[0].socket is not None
    await members[0].socket.send(json.dumps({"type": "question", "content": question}))
    for kind, items in futures.items():
        done, pending = await asyncio.wait(items, timeout=60)
        results[kind] += [(f.result() - sent) * 1000 for f in done]
        results["lost"] += [0.0] * len(pending)
        for future in pending:
            future.cancel()
    for member in members:
        member.waiters.clear()


async def main(args: argparse.Namespace) -> None:
    server = Server(args.redis_url, args.postgres)
    print(f"starting daphne with the Redis channel layer at {args.redis_url}, app database "
          f"{'PostgreSQL' if args.postgres else 'SQLite'} …", flush=True)
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.http, timeout=30) as http:
            login = await http.post("/api/v1/auth/login", json={"email": "analyst@insightengine.local",
                                                                "password": "insight-analyst-2024"})
            token = login.json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            sessions = []
            for i in range(args.sessions):
                created = await http.post("/api/v1/chat/sessions", json={"shared": True, "title": f"bench {i}"},
                                          headers=headers)
                if created.status_code != 201:
                    raise SystemExit(f"could not create a session: {created.status_code} {created.text[:300]}")
                sessions.append(created.json()["id"])

        started = time.perf_counter()
        clients, connect_ms = await open_clients(server, token, sessions, args.clients)
        print(f"connected: {len(clients)}/{args.clients} clients in {len(sessions)} sessions "
              f"({time.perf_counter() - started:.1f} s)")
        print(figures("connect + ready", connect_ms))
        by_session: dict[str, list[Client]] = {}
        for client in clients:
            by_session.setdefault(client.session_id, []).append(client)

        results: dict[str, list[float]] = {"message": [], "first": [], "done": [], "lost": []}
        for round_number in range(args.rounds):
            for members in by_session.values():
                await ask(members, QUESTIONS[round_number % len(QUESTIONS)], results)
        print(f"\none question at a time ({args.rounds} per session, {len(by_session)} sessions, "
              f"~{args.clients // max(1, len(by_session))} clients each):")
        print(figures("message round trip", results["message"]))
        print(figures("first status event", results["first"]))
        print(figures("answer done", results["done"]))
        print(f"{'lost (no event in 60 s)':<24} {len(results['lost'])}")

        if not args.no_burst:
            burst: dict[str, list[float]] = {"message": [], "first": [], "done": [], "lost": []}
            await asyncio.gather(*(ask(members, QUESTIONS[1], burst) for members in by_session.values()))
            print(f"\nburst: all {len(by_session)} sessions ask at once:")
            print(figures("message round trip", burst["message"]))
            print(figures("first status event", burst["first"]))
            print(figures("answer done", burst["done"]))
            print(f"{'lost (no event in 60 s)':<24} {len(burst['lost'])}")

        for client in clients:
            if client.reader:
                client.reader.cancel()
            if client.socket:
                await client.socket.close()
        goal = len(clients) == args.clients and percentile(results["message"], 0.95) < 100
        print(f"\ngoal (all {args.clients} connected, message p95 < 100 ms): {'met' if goal else 'NOT met'}")
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-burst", action="store_true")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (postgres://user@host:port) for the app "
                                           "database; default a temporary SQLite file")
    asyncio.run(main(parser.parse_args()))
