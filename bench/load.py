"""Load benchmark: 50 simulated users against a production-shaped deployment on this machine.

    .venv/bin/python bench/load.py [--users 50] [--duration 600] [--warmup 90] [--think 1.0]
        [--postgres postgres://postgres@127.0.0.1:5432] [--redis-url redis://127.0.0.1:6379/5]
        [--orders 100000] [--seed 0] [--logs DIR]

The deployment, started by this script and stopped at the end:

* **Two ASGI worker processes: two `daphne` processes on two ports**, with the load client spreading
  requests over them round-robin (each simulated user's WebSocket goes to one of them, alternately).
  daphne is the project's server (Channels' own, used by `make run` and docker-compose) and has no
  `--workers` option. Servers that do (uvicorn, gunicorn + uvicorn workers, hypercorn) would be a new
  dependency, and a pre-forked pool behind one socket is, for this measure, the same as two processes
  behind a balancer: two interpreters, each with its own event loop, Django thread and connections.
  Memory is read per process, which is easier with two plain processes.
* **PostgreSQL app database**: a throw-away database `ie_bench_load` on `--postgres` (default
  $BENCH_POSTGRES or postgres://postgres@127.0.0.1:5432), created, then dropped.
* **Redis** at `--redis-url` (default $BENCH_REDIS_URL or redis://127.0.0.1:6379/5): cache, rate-limit
  counters, Channels layer and Celery broker. That database number is the benchmark's own: it is
  emptied at the start and at the end (database 0 is refused for that reason).
* **One Celery worker** on the three queues (`interactive,queries,long_running`, concurrency 2).
* Without a reachable PostgreSQL or Redis the benchmark says so and stops (exit status 0, as
  `make bench` runs on machines without them).
* DATA_DIR is a temporary folder; `manage.py migrate` and `manage.py seed_demo` build the demo retail
  warehouse (`--orders`, default 100,000 as `make run`) as the demo workspace's default data source.

The users: `--users` accounts (load-user-N@bench.invalid), analysts in the demo workspace, as the demo
analyst is. Throttling stays in the stack, raised: one machine's 50 users share one address and the
anonymous limit (`RATE_LIMIT_ANON`, 60/min per address, which login counts against) would refuse most
logins, so the servers get RATE_LIMIT_ANON/FREE/PRO/ENTERPRISE=1000000/min (config/settings/base.py,
RATE_LIMITS). Each user logs in, opens a chat session and keeps its WebSocket `ws/chat/{id}/` open, then
loops: think (uniformly 0.5–1.5 × `--think` seconds), then one operation, drawn with these weights.
With the default 1 s, 50 users offer about 45 operations a second — a stress level: a person working
steadily does one every 10–30 s — so on a small machine the latencies mostly measure queueing for CPU;
raise `--think` to model calmer users.


| operation | weight | what | a database query? |
|---|---|---|---|
| login | 5 | `POST /auth/login` (argon2 check, new session) | no |
| schema | 20 | `GET /schema`: the default data source's tables, columns and dictionary | no |
| sql | 35 | `POST /queries/execute` mode sql: five statements, random literals (some repeat: cache hits) | yes |
| question | 15 | `POST /queries/execute` mode ai: the built-in engine (no LLM) answers and runs it | yes |
| chat | 15 | a question over the socket, timed twice: *chat message* (no) and *chat answer* (yes) | both |
| export | 10 | `POST /queries/{id}/export`, CSV of the user's last SQL run, streamed | yes |

*chat message* lasts until the question's `message` broadcast comes back, *chat answer* until `done`.
One export in four is sent with `async: true` and goes through the worker: `/jobs/{id}` is polled, then
`/exports/{job}/download` read; that whole path is timed as *export (worker)*.

The first `--warmup` seconds (users start spread over them) are not measured; then `--duration` seconds
are. The warm-up (90 s) is long enough for every process to have served every kind of operation, and it
ends (10 s before the window) with four background exports sent at once, so that each of the worker's two
pool processes has served one: a pool process grows once by ~60 MiB with its first export, which is not a
leak — with slow users (`--think 10`) one had served its first mid-window and counted as +11.5 %.
The servers run with glibc's malloc set as the Dockerfile and
`manage.py serve` set it: `MALLOC_ARENA_MAX=2` (glibc otherwise gives each of the many request threads its
own arena, and the fragmentation alone grew a daphne from 426 to 557 MiB in ten minutes) and
`MALLOC_MMAP_THRESHOLD_=131072` (left dynamic, the threshold rises after the first sign-in frees argon2's
19 MiB buffer; later buffers come from the heap and stay, and a daphne's floor rose in 19 MiB steps while
its Python heap — `--memtrace objects` — stayed flat).
Printed: per operation n, throughput, p50/p95/p99/max latency and errors (a 4xx/5xx, a timeout, a
refused or failed run, an `error` event); the totals; for each server process the resident memory (VmRSS;
the worker's with its pool processes) at boot, at the start of the measured window (after the warm-up,
imports and caches in place) and at its end, the growth over the window, the peak, and the CPU it used;
the open app-database connections; and the lines of the servers' logs that report errors. Memory at the
start and the end is the lowest of the samples (one a second) in the first and last tenth of the window:
a login holds argon2's working memory (19 MiB) while it runs, so a single sample counts the logins in
flight; a leak raises the floor. Goals: error rate < 0.1 %, p95 < 300 ms for
every operation that is not a database query, memory growth < 10 % over the window (10 minutes).
The figures are those of one 2-core machine running the client, servers, PostgreSQL and Redis together.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from core.management.commands.serve import MALLOC_ENVIRONMENT  # noqa: E402 (the servers' glibc settings)

PG_DATABASE = "ie_bench_load"
WORKER_CONCURRENCY = 2
PRIME_LEAD = 10  # seconds before the window when the worker's pool processes are primed (prime_worker)
PASSWORD = "load bench passphrase 2024"
RAISED_RATE = "1000000/min"
TICKS = os.sysconf("SC_CLK_TCK")
WEIGHTS = {"login": 5, "schema": 20, "sql": 35, "question": 15, "chat": 15, "export": 10}
# Reported operations: (name, is it a database query?)
OPERATIONS = [("login", False), ("schema", False), ("chat message", False), ("chat connect", False),
              ("sql", True), ("question", True), ("chat answer", True), ("export", True), ("export (worker)", True)]
QUESTIONS = ["How many customers are there?", "How many orders are there per status?",
             "How many products are there?", "How many customers are there per segment?",
             "How many customers are there per country?", "How many customers are there per region?",
             "What is the average order total per quarter?", "How many orders were placed last month?"]

# Users created in the app by `manage.py shell`: analysts in the demo workspace, with a daily quota no run reaches.
CREATE_USERS = """
from accounts.models import Quota, User, UserSettings
from accounts.services import user_create
from teams.models import Membership, Workspace
from teams.roles import Role
workspace = Workspace.objects.get(name="Demo workspace", is_personal=False)
for i in range({count}):
    email = f"load-user-{{i}}@bench.invalid"
    user = User.objects.filter(email=email).first() or user_create(email=email, password={password!r}, name=f"Load {{i}}")
    Membership.objects.get_or_create(workspace=workspace, user=user, defaults={{"role": Role.ANALYST}})
    UserSettings.objects.update_or_create(user=user, defaults={{"default_workspace": workspace}})
    Quota.objects.filter(user=user).update(daily_limit=1_000_000_000)
print(Workspace.objects.get(pk=workspace.pk).memberships.count())
"""


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; fraction in 0..1."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(fraction * len(ordered)))) - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    """VmRSS of a process in KiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, in seconds (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    return found


# --------------------------------------------------------------------------------------------------------------
# The deployment
# --------------------------------------------------------------------------------------------------------------

class Deployment:
    def __init__(self, args: argparse.Namespace) -> None:
        self.postgres = args.postgres.rstrip("/")
        self.redis_url = args.redis_url
        self.users = args.users
        self.memtrace_mode = args.memtrace
        self.trace_every = args.duration / 10 if args.memtrace else 0
        self.workdir = Path(tempfile.mkdtemp(prefix="ie-bench-load-"))
        self.logs = Path(args.logs) if args.logs else self.workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.ports = [free_port(), free_port()]
        self.env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "DEBUG")}
        for name, value in MALLOC_ENVIRONMENT.items():
            self.env.setdefault(name, value)  # as deployed (Dockerfile, manage.py serve)
        self.env.update(
            DJANGO_SETTINGS_MODULE="config.settings", DATA_DIR=str(self.workdir / "data"),
            DATABASE_URL=f"{self.postgres}/{PG_DATABASE}", REDIS_URL=self.redis_url, CELERY_BROKER_URL=self.redis_url,
            DEMO_WAREHOUSE_ORDERS=str(args.orders), LOG_LEVEL="WARNING", DEBUG="false",
            **{f"RATE_LIMIT_{tier}": RAISED_RATE for tier in ("ANON", "FREE", "PRO", "ENTERPRISE")})
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.handles: list[Any] = []

    # -- services -------------------------------------------------------------------------------------------
    def _admin_sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(f"{self.postgres}/postgres", autocommit=True, connect_timeout=5) as connection:
            connection.execute(statement)

    def _flush_redis(self) -> None:
        import redis

        client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=3)
        try:
            client.flushdb()
        finally:
            client.close()

    def _manage(self, *command: str, timeout: int = 600) -> str:
        done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=self.env,
                              capture_output=True, timeout=timeout)
        if done.returncode:
            raise SystemExit(f"manage.py {command[0]} failed:\n{done.stderr.decode()[-3000:]}")
        return done.stdout.decode()

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 (closed in stop)
        self.handles.append(log)
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=env or self.env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def memtrace(self) -> Path:
        return self.logs / "memtrace"

    def _memtrace_env(self) -> dict[str, str]:
        """daphne-1's environment under --memtrace: bench/memtrace/sitecustomize.py samples its heap."""
        self.memtrace.mkdir(exist_ok=True)
        return {**self.env, "PYTHONPATH": str(ROOT / "bench" / "memtrace"), "IE_MEMTRACE_DIR": str(self.memtrace),
                "IE_MEMTRACE_MODE": self.memtrace_mode,
                "IE_MEMTRACE_GO": str(self.memtrace / "go"), "IE_MEMTRACE_EVERY": str(self.trace_every)}

    def start(self) -> None:
        self._flush_redis()
        self._admin_sql(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        self._admin_sql(f"CREATE DATABASE {PG_DATABASE}")
        started = time.perf_counter()
        self._manage("migrate", "--noinput")
        self._manage("seed_demo")
        output = self._manage("shell", "-c", CREATE_USERS.format(count=self.users, password=PASSWORD))
        members = output.strip().splitlines()[-1]
        print(f"  migrated, seeded the demo warehouse and {self.users} users ({members} members in the demo "
              f"workspace) in {time.perf_counter() - started:.0f} s", flush=True)
        self._spawn("worker", [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q",
                               "interactive,queries,long_running", "--concurrency", str(WORKER_CONCURRENCY), "--loglevel", "INFO",
                               "-n", "load@%h"])
        for index, port in enumerate(self.ports):
            self._spawn(f"daphne-{index + 1}", [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                                "config.asgi:application"],
                        self._memtrace_env() if self.trace_every and index == 0 else None)
        deadline = time.monotonic() + 90
        waiting = set(self.ports)
        while waiting and time.monotonic() < deadline:
            self._check_alive()
            for port in list(waiting):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=3).status_code == 200:
                        waiting.discard(port)
                except httpx.HTTPError:
                    pass
            time.sleep(0.3)
        while time.monotonic() < deadline and "ready." not in (self.logs / "worker.log").read_text(errors="replace"):
            self._check_alive()
            time.sleep(0.3)
        if waiting or time.monotonic() >= deadline:
            raise SystemExit(f"the servers did not come up in 90 s; logs in {self.logs}")

    def _check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                raise SystemExit(f"{name} exited ({process.returncode}):\n{tail}")

    @property
    def bases(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def _pids(self, name: str) -> list[int]:
        process = self.processes[name]
        return [process.pid, *children(process.pid)] if name == "worker" else [process.pid]

    def memory(self) -> dict[str, int]:
        """KiB per server process; the worker with its pool processes."""
        return {name: sum(rss_kib(pid) for pid in self._pids(name)) for name in self.processes}

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far per server process (the worker with its pool) and by this client."""
        used = {name: sum(cpu_seconds(pid) for pid in self._pids(name)) for name in self.processes}
        used["load client (this process)"] = cpu_seconds(os.getpid())
        return used

    def connections(self) -> int:
        """Open connections to the app database (PostgreSQL's pg_stat_activity), this query's own excluded."""
        import psycopg

        try:
            with psycopg.connect(f"{self.postgres}/postgres", autocommit=True, connect_timeout=5) as connection:
                row = connection.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                                         (PG_DATABASE,)).fetchone()
        except psycopg.Error:
            return -1
        return int(row[0]) if row else -1

    def problems(self) -> list[str]:
        """Lines of the server logs that say something went wrong."""
        found = []
        for path in sorted(self.logs.glob("*.log")):
            for line in path.read_text(errors="replace").splitlines():
                if any(word in line for word in ("Traceback", "ERROR", "CRITICAL", "Internal Server Error")):
                    found.append(f"{path.stem}: {line.strip()[:220]}")
        return found

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for handle in self.handles:
            handle.close()
        try:
            self._admin_sql(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            self._flush_redis()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


# --------------------------------------------------------------------------------------------------------------
# The load
# --------------------------------------------------------------------------------------------------------------

@dataclass
class Results:
    measuring: bool = False
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    requests: int = 0

    def add(self, operation: str, started: float, error: str | None = None) -> None:
        if not self.measuring:
            return
        self.latencies[operation].append((time.perf_counter() - started) * 1000)
        if error is not None:
            self.errors[operation] += 1
            if len(self.samples[operation]) < 3:
                self.samples[operation].append(error[:300])


class Failed(Exception):
    """An operation's answer was not what a working server gives."""


def statement(rng: random.Random, today: date) -> str:
    """One of five statements an analyst would type, with random literals (small ranges: some repeat)."""
    month = today.replace(day=1) - timedelta(days=30 * rng.randrange(1, 25))
    start, end = month.replace(day=1).isoformat(), (month.replace(day=1) + timedelta(days=32)).replace(day=1).isoformat()
    week = (today - timedelta(days=7 * rng.randrange(2, 100))).isoformat()
    choice = rng.randrange(5)
    if choice == 0:
        return (f"SELECT status, COUNT(*) AS orders, ROUND(SUM(total_amount), 2) AS revenue FROM orders "
                f"WHERE order_date >= '{start}' AND order_date < '{end}' GROUP BY status ORDER BY orders DESC")
    if choice == 1:
        return (f"SELECT c.segment, COUNT(DISTINCT o.customer_id) AS buyers, ROUND(AVG(o.total_amount), 2) AS basket "
                f"FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
                f"WHERE o.order_date >= '{start}' AND o.order_date < '{end}' GROUP BY c.segment")
    if choice == 2:
        first = rng.randrange(1, 90) * 1000
        return (f"SELECT p.name, SUM(oi.quantity) AS units FROM order_items oi JOIN products p "
                f"ON p.product_id = oi.product_id WHERE oi.order_id BETWEEN {first} AND {first + 2000} "
                f"GROUP BY p.name ORDER BY units DESC LIMIT 10")
    if choice == 3:
        return (f"SELECT order_id, order_date, status, channel, total_amount FROM orders "
                f"WHERE customer_id = {rng.randrange(1, 2000)} ORDER BY order_date DESC LIMIT 50")
    return (f"SELECT order_id, order_date, channel, total_amount FROM orders WHERE order_date >= '{week}' "
            f"ORDER BY order_date LIMIT 500")


class User:
    def __init__(self, index: int, pool: list[httpx.AsyncClient], turn: itertools.cycle, results: Results,
                 rng: random.Random, think: float, ws_base: str) -> None:
        self.index, self.pool, self.turn, self.results, self.rng, self.think = index, pool, turn, results, rng, think
        self.email = f"load-user-{index}@bench.invalid"
        self.ws_base = ws_base
        self.token = ""
        self.session_id = ""
        self.last_query: str | None = None
        self.socket: ClientConnection | None = None
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.reader: asyncio.Task[None] | None = None
        self.today = date.today()

    def _client(self) -> httpx.AsyncClient:
        return self.pool[next(self.turn)]

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if self.results.measuring:
            self.results.requests += 1
        return await self._client().request(method, f"/api/v1{path}", headers=headers, **kwargs)

    async def timed(self, operation: str, work: Any) -> Any:
        started = time.perf_counter()
        try:
            value = await work
        except Exception as exc:  # an unexpected answer, a timeout, a refused or dropped connection
            self.results.add(operation, started, f"{type(exc).__name__}: {exc}")
            return None
        self.results.add(operation, started)
        return value

    @staticmethod
    def expect(response: httpx.Response, *statuses: int) -> httpx.Response:
        if response.status_code not in statuses:
            raise Failed(f"{response.request.method} {response.request.url.path} → {response.status_code} "
                         f"{response.text[:200]}")
        return response

    # -- operations -----------------------------------------------------------------------------------------
    async def login(self) -> None:
        async def work() -> None:
            if self.results.measuring:
                self.results.requests += 1
            response = self.expect(await self._client().post(
                "/api/v1/auth/login", json={"email": self.email, "password": PASSWORD}), 200)
            self.token = response.json()["access_token"]
        await self.timed("login", work())

    async def schema(self) -> None:
        async def work() -> None:
            body = self.expect(await self.request("GET", "/schema"), 200).json()
            if not body:
                raise Failed("empty schema")
        await self.timed("schema", work())

    async def sql(self) -> None:
        async def work() -> None:
            response = self.expect(await self.request("POST", "/queries/execute", json={
                "mode": "sql", "input": statement(self.rng, self.today)}), 200)
            body = response.json()
            if body.get("status") != "completed":
                raise Failed(f"run {body.get('status')}: {str(body.get('error'))[:200]}")
            self.last_query = body["id"]
        await self.timed("sql", work())

    async def question(self) -> None:
        async def work() -> None:
            response = self.expect(await self.request("POST", "/queries/execute", json={
                "mode": "ai", "input": self.rng.choice(QUESTIONS)}), 200)
            body = response.json()
            if body.get("status") != "completed":
                raise Failed(f"answer {body.get('status')}: {str(body.get('error'))[:200]}")
        await self.timed("question", work())

    async def export(self) -> None:
        if self.last_query is None:
            await self.sql()
            if self.last_query is None:
                return
        background = self.rng.random() < 0.25

        async def inline() -> None:
            async with self._client().stream(
                    "POST", f"/api/v1/queries/{self.last_query}/export", json={"format": "csv"},
                    headers={"Authorization": f"Bearer {self.token}"}) as response:
                if self.results.measuring:
                    self.results.requests += 1
                if response.status_code != 200:
                    await response.aread()
                    self.expect(response, 200)
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                if not size:
                    raise Failed("empty export")

        await self.timed("export (worker)" if background else "export",
                         self.background_export() if background else inline())

    async def background_export(self) -> None:
        """An export through the worker: queued, polled until done, downloaded."""
        queued = self.expect(await self.request("POST", f"/queries/{self.last_query}/export",
                                                json={"format": "csv", "async": True}), 202).json()
        job_id = queued["job_id"]
        deadline = time.monotonic() + 60
        while True:
            job = self.expect(await self.request("GET", f"/jobs/{job_id}"), 200).json()
            if job["status"] == "succeeded":
                break
            if job["status"] in ("failed", "cancelled") or time.monotonic() > deadline:
                raise Failed(f"export job {job['status']}: {str(job.get('error'))[:200]}")
            await asyncio.sleep(0.2)
        self.expect(await self.request("GET", f"/exports/{job_id}/download"), 200)

    async def open_chat(self) -> None:
        async def work() -> None:
            if not self.session_id:
                created = self.expect(await self.request("POST", "/chat/sessions", json={"title": f"load {self.index}"}),
                                      201)
                self.session_id = created.json()["id"]
            self.socket = await connect(f"{self.ws_base}/ws/chat/{self.session_id}/?token={self.token}",
                                        open_timeout=30, ping_interval=None, max_queue=None)
            ready = json.loads(await asyncio.wait_for(self.socket.recv(), 30))
            if ready.get("type") != "ready":
                raise Failed(f"expected ready, got {ready}")
            self.reader = asyncio.create_task(self._read())
        await self.timed("chat connect", work())

    async def _read(self) -> None:
        assert self.socket is not None
        try:
            async for raw in self.socket:
                await self.events.put(json.loads(raw))
        except Exception as exc:  # the socket dropped: the next chat turn reconnects
            await self.events.put({"type": "closed", "reason": f"{type(exc).__name__}: {exc}"})
        else:
            await self.events.put({"type": "closed", "reason": "closed by the server"})

    async def chat(self) -> None:
        if self.socket is None or self.reader is None or self.reader.done():
            self.socket = None
            await self.open_chat()
            if self.socket is None:
                return
        while not self.events.empty():
            self.events.get_nowait()
        started = time.perf_counter()
        question = self.rng.choice(QUESTIONS)
        seen_message = False
        try:
            await self.socket.send(json.dumps({"type": "question", "content": question}))
            async with asyncio.timeout(60):
                while True:
                    event = await self.events.get()
                    kind = event.get("type")
                    if kind == "message" and event.get("message", {}).get("role") == "user" and not seen_message:
                        seen_message = True
                        self.results.add("chat message", started)
                    elif kind == "done":
                        if not seen_message:
                            raise Failed("done without the question's message event")
                        self.results.add("chat answer", started)
                        return
                    elif kind in ("error", "closed"):
                        raise Failed(f"{kind}: {json.dumps(event)[:200]}")
        except Exception as exc:  # a refusal, a timeout, a dropped socket: an error either way
            self.results.add("chat answer" if seen_message else "chat message", started, f"{type(exc).__name__}: {exc}")
            if self.socket is not None:
                await self.socket.close()
            self.socket = None

    async def run(self, start_after: float, stop_at: float) -> None:
        await asyncio.sleep(start_after)
        await self.login()
        await self.open_chat()
        actions = {"login": self.login, "schema": self.schema, "sql": self.sql, "question": self.question,
                   "chat": self.chat, "export": self.export}
        names, weights = list(WEIGHTS), list(WEIGHTS.values())
        while True:
            pause = self.think * self.rng.uniform(0.5, 1.5)
            if time.monotonic() + pause >= stop_at:
                break
            await asyncio.sleep(pause)
            await actions[self.rng.choices(names, weights)[0]]()
        if self.reader is not None:
            self.reader.cancel()
        if self.socket is not None:
            await self.socket.close()


# --------------------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------------------

@dataclass
class Observed:
    """What the servers did during the window, besides answering."""
    duration: float = 0.0
    memory: dict[str, dict[str, int]] = field(default_factory=dict)  # moment -> process -> KiB
    timeline: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    cpu: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds in the window
    machine_busy: float = 0.0  # share of all cores busy during the window
    connections: list[int] = field(default_factory=list)


def report(results: Results, seen: Observed, problems: list[str]) -> bool:
    duration = seen.duration
    print()
    print("| operation | database query | n | ops/s | p50 ms | p95 ms | p99 ms | max ms | errors | goal p95 < 300 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    latency_goal = True
    total = errors = 0
    for name, is_query in OPERATIONS:
        values = results.latencies.get(name, [])
        if not values:
            continue
        failed = results.errors.get(name, 0)
        total, errors = total + len(values), errors + failed
        p95 = percentile(values, 0.95)
        if is_query:
            verdict = "(query)"
        else:
            verdict = "met" if p95 < 300 else "NOT met"
            latency_goal &= p95 < 300
        print(f"| {name} | {'yes' if is_query else 'no'} | {len(values)} | {len(values) / duration:.2f} | "
              f"{percentile(values, 0.5):.0f} | {p95:.0f} | {percentile(values, 0.99):.0f} | {max(values):.0f} | "
              f"{failed} ({100 * failed / len(values):.2f} %) | {verdict} |")
    rate = 100 * errors / total if total else float("nan")
    print()
    print(f"throughput: {total} operations in {duration:.0f} s = {total / duration:.1f}/s; HTTP requests "
          f"{results.requests} = {results.requests / duration:.1f}/s (besides the WebSocket messages)")
    print(f"errors: {errors} of {total} operations = {rate:.3f} %")
    for name, samples in results.samples.items():
        for sample in samples:
            print(f"  {name}: {sample}")

    print()
    print("| process | RSS at boot | RSS at start of window | RSS at end | growth over the window | peak RSS | "
          "CPU in the window |")
    print("|---|---|---|---|---|---|---|")
    growths = []
    for name, boot in seen.memory["boot"].items():
        start, end = seen.memory["start"][name], seen.memory["end"][name]
        growth = 100 * (end - start) / start if start else float("nan")
        growths.append(growth)
        label = "celery worker (main + pool)" if name == "worker" else name
        print(f"| {label} | {boot / 1024:.0f} MiB | {start / 1024:.0f} MiB | {end / 1024:.0f} MiB | {growth:+.1f} % | "
              f"{seen.memory['peak'][name] / 1024:.0f} MiB | {100 * seen.cpu.get(name, 0) / duration:.0f} % of a core |")
    client = seen.cpu.get("load client (this process)", 0)
    print(f"| load client (this process) | | | | | | {100 * client / duration:.0f} % of a core |")
    print(f"machine: {100 * seen.machine_busy:.0f} % of all {os.cpu_count()} cores busy during the window "
          f"(servers, client, PostgreSQL, Redis and anything else running)")
    print("RSS floor of each tenth of the window, MiB (start and end above are the first and last): " + "; ".join(
        f"{name} " + " ".join(f"{kib / 1024:.0f}" for kib in values) for name, values in seen.timeline.items()))
    if seen.connections:
        print(f"app-database connections during the window: max {max(seen.connections)}, "
              f"samples {' '.join(str(c) for c in seen.connections)}")

    print()
    if problems:
        print(f"server logs: {len(problems)} lines with Traceback/ERROR; the first ones:")
        for line in problems[:8]:
            print(f"  {line}")
    else:
        print("server logs: no Traceback/ERROR lines")
    error_goal = rate < 0.1
    memory_goal = all(g < 10 for g in growths)
    print()
    print(f"goal error rate < 0.1 %: {'met' if error_goal else 'NOT met'} ({rate:.3f} %)")
    print(f"goal p95 < 300 ms for operations that are not database queries: {'met' if latency_goal else 'NOT met'}")
    print(f"goal memory growth < 10 % over the window: {'met' if memory_goal else 'NOT met'} "
          f"(largest {max(growths):+.1f} %)")
    return error_goal and latency_goal and memory_goal


async def drive(args: argparse.Namespace, deployment: Deployment) -> None:
    results, seen = Results(), Observed()
    limits = httpx.Limits(max_connections=args.users + 10, max_keepalive_connections=args.users + 10)
    timeout = httpx.Timeout(60.0, connect=10.0)
    pool = [httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) for base in deployment.bases]
    seen.memory["boot"] = deployment.memory()
    measure_from = time.monotonic() + args.warmup
    stop_at = measure_from + args.duration
    turn = itertools.cycle(range(len(pool)))
    users = [User(i, pool, turn, results, random.Random(args.seed * 10_007 + i), args.think,
                  deployment.bases[i % len(pool)].replace("http://", "ws://")) for i in range(args.users)]
    ramp = max(0.0, min(args.warmup * 0.6, 20.0))
    tasks = [asyncio.create_task(u.run(ramp * i / max(1, args.users), stop_at)) for i, u in enumerate(users)]

    await asyncio.sleep(max(0.0, measure_from - PRIME_LEAD - time.monotonic()))
    await prime_worker(users)
    await asyncio.sleep(max(0.0, measure_from - time.monotonic()))
    results.measuring = True
    if deployment.trace_every:
        (deployment.memtrace / "go").touch()
    window_start = time.perf_counter()
    cpu_start, busy_start = deployment.cpu(), machine_busy()
    print(f"measuring for {args.duration:.0f} s …", flush=True)
    memory: list[tuple[float, dict[str, int]]] = []
    steps, step = 10, 0
    while (now := time.monotonic()) < stop_at:
        memory.append((now, deployment.memory()))
        if now >= measure_from + args.duration * (step + 1) / steps - 1:
            step += 1
            seen.connections.append(await asyncio.to_thread(deployment.connections))
            done = sum(len(v) for v in results.latencies.values())
            print(f"  {step * 10:3d} %: {done} operations, {sum(results.errors.values())} errors", flush=True)
        await asyncio.sleep(min(1.0, max(0.0, stop_at - time.monotonic())))
    results.measuring = False
    # The floor of each tenth of the window: a login in flight holds argon2's 100 MiB working memory for
    # its duration, so instantaneous samples measure how many logins overlap; a leak raises the floor.
    tenths: list[dict[str, int]] = []
    for index in range(steps):
        low, high = measure_from + args.duration * index / steps, measure_from + args.duration * (index + 1) / steps
        part = [sizes for at, sizes in memory if low <= at < high] or [memory[-1][1]]
        tenths.append({name: min(sizes[name] for sizes in part) for name in part[0]})
    seen.memory["start"], seen.memory["end"] = tenths[0], tenths[-1]
    seen.memory["peak"] = {name: max(sizes[name] for _, sizes in memory) for name in memory[0][1]}
    seen.timeline = {name: [tenth[name] for tenth in tenths] for name in tenths[0]}
    seen.duration = time.perf_counter() - window_start
    cpu_end, busy_end = deployment.cpu(), machine_busy()
    seen.cpu = {name: cpu_end[name] - cpu_start.get(name, 0.0) for name in cpu_end}
    seen.machine_busy = (busy_end[0] - busy_start[0]) / max(1, busy_end[1] - busy_start[1])
    await asyncio.wait(tasks, timeout=90)
    for task in tasks:
        task.cancel()
    for client in pool:
        await client.aclose()
    ok = report(results, seen, deployment.problems())
    if deployment.trace_every:
        heap_report(deployment.memtrace)
    print(f"\nall goals: {'met' if ok else 'NOT met'}")


def heap_report(folder: Path) -> None:
    """--memtrace: daphne-1's heap over the window, and which kinds of objects grew."""
    print()
    print("daphne-1 heap samples (--memtrace):")
    print("| sample | RSS MiB | Python allocator blocks | live gc objects | traced MiB |")
    print("|---|---|---|---|---|")
    for line in (folder / "timeline.tsv").read_text().splitlines():
        index, _, rss, blocks, live, traced = line.split("\t")
        print(f"| {index} | {int(rss) / 1024:.0f} | {int(blocks):,} | {int(live):,} | {int(traced) / 1024:.1f} |")
    counts = sorted(folder.glob("objects-*.json"))
    if len(counts) >= 2:
        first, last = json.loads(counts[0].read_text()), json.loads(counts[-1].read_text())
        grown = sorted(((last[k] - first.get(k, 0), k) for k in last), reverse=True)[:12]
        print("  live objects that grew most, first → last sample: " + ", ".join(
            f"{name} {first.get(name, 0):,}→{last[name]:,}" for diff, name in grown if diff > 0))
    snapshots = sorted(folder.glob("snapshot-*.pickle"))
    if len(snapshots) >= 2:
        import tracemalloc

        old = tracemalloc.Snapshot.load(str(snapshots[0]))
        new = tracemalloc.Snapshot.load(str(snapshots[-1]))
        print("  traced allocations that grew most, by line:")
        for stat in new.compare_to(old, "lineno")[:15]:
            print(f"    {stat.size_diff / 1024:+9.0f} KiB {stat.count_diff:+8d} blocks  {stat.traceback[0]}")


async def prime_worker(users: list[User]) -> None:
    """End the warm-up with background exports sent at once, so that every worker pool process has served
    one before the window: a pool process's first export grows it once by ~60 MiB, which is not a leak (with
    slow users, a process could otherwise serve its first one mid-window and count it as growth)."""
    ready = [user for user in users if user.token][: 2 * WORKER_CONCURRENCY]
    for user in ready:
        if user.last_query is None:
            await user.sql()

    async def one(user: User) -> str | None:
        try:
            await user.background_export()
        except (Failed, httpx.HTTPError) as exc:
            return str(exc)
        return None

    failures = [f for f in await asyncio.gather(*(one(u) for u in ready if u.last_query)) if f]
    print(f"  warm-up ended with {len(ready)} background exports at once ({len(failures)} failed"
          f"{': ' + failures[0] if failures else ''})", flush=True)


def unavailable(args: argparse.Namespace) -> str | None:
    """Why the services cannot be used, or None."""
    import psycopg
    import redis

    try:
        with psycopg.connect(f"{args.postgres.rstrip('/')}/postgres", connect_timeout=5):
            pass
    except psycopg.Error as exc:
        return f"no PostgreSQL at {args.postgres} ({str(exc).strip().splitlines()[0]})"
    client = redis.Redis.from_url(args.redis_url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"no Redis at {args.redis_url} ({exc})"
    finally:
        client.close()
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=600, help="measured seconds (default 600)")
    parser.add_argument("--warmup", type=float, default=90, help="seconds of load before measuring (users start then)")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between a user's operations, s")
    parser.add_argument("--orders", type=int, default=100_000, help="orders in the demo warehouse")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES") or "postgres://postgres@127.0.0.1:5432",
                        help="PostgreSQL server URL (the database ie_bench_load is created there, then dropped)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/5",
                        help="a Redis database of the benchmark's own: emptied at start and end")
    parser.add_argument("--memtrace", choices=["objects", "tracemalloc"],
                        help="diagnose memory in daphne-1: sample its live objects by type each tenth of the window "
                             "(objects), and also trace allocations (tracemalloc: slows that process several-fold)")
    parser.add_argument("--logs", help="keep the servers' logs in this folder (default: thrown away)")
    args = parser.parse_args()
    if (urlsplit(args.redis_url).path.strip("/") or "0") == "0":
        raise SystemExit("--redis-url: pick a database number of the benchmark's own (it is emptied), not 0")
    missing = unavailable(args)
    if missing:
        print(f"bench/load.py skipped: {missing}")
        return
    deployment = Deployment(args)
    print(f"starting 2 daphne processes, a Celery worker, PostgreSQL database {PG_DATABASE}, Redis "
          f"{args.redis_url}; {args.users} users, {args.warmup:.0f} s warm-up + {args.duration:.0f} s measured …",
          flush=True)
    try:
        deployment.start()
        asyncio.run(drive(args, deployment))
    finally:
        deployment.stop()


if __name__ == "__main__":
    main()
