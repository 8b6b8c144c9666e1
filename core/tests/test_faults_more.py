"""Faults (issue 10), continued from test_faults.py (whose private Redis, worker and helpers these reuse):

1. a Celery worker SIGKILLed in the middle of a webhook delivery;
2. Redis stopping under connected WebSocket clients of a real daphne;
3. a user's PostgreSQL database terminating the connection of a running query;
4. the app database connection dropping in the middle of a multi-row write.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from conftest import PASSWORD, assert_error
from core.tests import test_faults as faults

# The private Redis and the real Celery worker of test_faults.py.
redis_server = faults.redis_server
start_worker = faults.start_worker
wait_for = faults.wait_for


# --- 1. A worker killed in the middle of a webhook delivery --------------------------------------------------


@pytest.fixture
def held_receiver(settings):
    """A webhook receiver on loopback that records each request and holds it until released."""
    from auditing.tests import receiver as receivers

    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    receiver = receivers.start()
    receiver.hold = threading.Event()
    yield receiver
    receiver.hold.set()
    receiver.server.shutdown()
    receiver.server.server_close()


def _webhook(user: Any, url: str) -> tuple[Any, str]:
    from auditing import webhooks

    workspace = user.memberships.get().workspace
    return webhooks.webhook_create(workspace=workspace, user=user, url=url, events=["query_completed"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_webhook_delivery_whose_worker_is_killed_is_retried_once_under_the_same_id(
        user, held_receiver, redis_server, start_worker, monkeypatch, settings):
    from auditing import tasks, webhooks
    from auditing.models import AuditEvent, DeliveryStatus, Webhook, WebhookDelivery

    hook, secret = _webhook(user, held_receiver.url())
    # Emitted as the app does, but its message goes to our broker, for a real worker to take.
    monkeypatch.setattr(tasks.deliver_webhook, "apply_async", lambda *a, **k: None)
    webhooks.emit(hook.workspace_id, "query_completed", {"query_id": str(uuid.uuid4()), "rows": 3})
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempt == 0
    monkeypatch.undo()

    worker = start_worker("interactive", WEBHOOK_ALLOW_PRIVATE_NETWORKS="1")
    faults._send(redis_server, "auditing.deliver_webhook", [str(delivery.pk)], queue="interactive")
    if not wait_for(lambda: len(held_receiver.requests) == 1, timeout=30):
        worker.kill()
        pytest.fail("the worker did not post the delivery:\n" + (worker.stdout.read() or "")[-3000:])
    # The receiver has the request (and may already have acted on it); the worker waits for the answer.
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING and delivery.attempt == 1  # claimed before it was sent
    faults._sigkill(worker)
    held_receiver.hold.set()

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING and delivery.attempt == 1  # what a dead worker leaves
    # A duplicate message while the attempt may still be in flight sends nothing, changes nothing.
    snapshot = WebhookDelivery.objects.filter(pk=delivery.pk).values().get()
    tasks.deliver_webhook.apply(args=[str(delivery.pk)], task_id="duplicate").get()
    assert len(held_receiver.requests) == 1
    assert WebhookDelivery.objects.filter(pk=delivery.pk).values().get() == snapshot

    assert webhooks.deliveries_reap_stale() == 0  # younger than any attempt can take: not stale yet
    WebhookDelivery.objects.filter(pk=delivery.pk).update(updated_at=timezone.now() - timedelta(seconds=150))
    assert webhooks.deliveries_reap_stale() == 1  # retried (eagerly here; by a worker in production)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempt == 2
    assert webhooks.deliveries_reap_stale() == 0

    # The receiver saw the event twice under one delivery id, each signed: deduping on the id, it
    # applies the event once.
    assert len(held_receiver.requests) == 2
    applied: dict[str, Any] = {}
    for request in held_receiver.requests:
        headers = request.headers
        assert webhooks.verify(secret, headers["x-insightengine-timestamp"], request.body,
                               headers["x-insightengine-signature"])
        body = json.loads(request.body)
        assert body["id"] == headers["x-insightengine-delivery"] == str(delivery.pk)
        applied.setdefault(body["id"], body["data"])
    assert list(applied) == [str(delivery.pk)]
    assert AuditEvent.objects.filter(action="webhook.delivered", resource_id=str(delivery.pk)).count() == 1

    # The killed worker's message comes back (acked late): the finished delivery is left alone.
    snapshot = WebhookDelivery.objects.filter(pk=delivery.pk).values().get()
    tasks.deliver_webhook.apply(args=[str(delivery.pk)], task_id="redelivered").get()
    assert len(held_receiver.requests) == 2
    assert WebhookDelivery.objects.filter(pk=delivery.pk).values().get() == snapshot
    assert Webhook.objects.get(pk=hook.pk).consecutive_failures == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_stale_deliveries_are_retried_while_attempts_remain_then_failed_never_left_pending(
        user, held_receiver, settings):
    from auditing import webhooks
    from auditing.models import AuditEvent, DeliveryStatus, Webhook, WebhookDelivery
    from config.celery import app

    held_receiver.hold.set()
    hook, _ = _webhook(user, held_receiver.url())
    long_ago = timezone.now() - timedelta(hours=1)

    def left(**fields: Any) -> WebhookDelivery:
        delivery = WebhookDelivery.objects.create(webhook=hook, event="query_completed", payload={"n": 1}, **fields)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(updated_at=fields.pop("updated_at", long_ago))
        return delivery

    # Out of attempts when its worker died: failed for good, counted against the webhook, audited.
    settings.WEBHOOK_MAX_RETRIES = 1
    exhausted = left(status=DeliveryStatus.SENDING, attempt=2)
    # Its message was lost before any attempt (Redis without persistence restarted): queued again.
    lost = left(status=DeliveryStatus.PENDING)
    # A retry whose delayed message never fired.
    overdue = left(status=DeliveryStatus.RETRYING, attempt=1, next_attempt_at=long_ago)
    # Not stale: a fresh claim, a fresh pending delivery, a retry that is not due.
    fresh = [left(status=DeliveryStatus.SENDING, attempt=1, updated_at=timezone.now()),
             left(status=DeliveryStatus.PENDING, updated_at=timezone.now()),
             left(status=DeliveryStatus.RETRYING, attempt=1, next_attempt_at=timezone.now() + timedelta(minutes=5))]
    snapshots = [WebhookDelivery.objects.filter(pk=d.pk).values().get() for d in fresh]

    assert webhooks.deliveries_reap_stale() == 3
    exhausted.refresh_from_db()
    assert exhausted.status == DeliveryStatus.FAILED and exhausted.error.startswith("Abandoned")
    assert exhausted.attempt == 2  # no attempt was made for it
    assert AuditEvent.objects.filter(action="webhook.delivery_failed", resource_id=str(exhausted.pk)).exists()
    assert Webhook.objects.get(pk=hook.pk).consecutive_failures == 1
    for delivery, attempts in ((lost, 1), (overdue, 2)):
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempt == attempts
    assert sorted(json.loads(r.body)["id"] for r in held_receiver.requests) == sorted([str(lost.pk), str(overdue.pk)])
    assert [WebhookDelivery.objects.filter(pk=d.pk).values().get() for d in fresh] == snapshots
    assert webhooks.deliveries_reap_stale() == 0

    # Beat runs the reaper every minute, on a queue a worker consumes.
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "auditing.reap_stale_deliveries")
    assert entry["schedule"] <= 60
    assert "auditing.reap_stale_deliveries" in app.tasks


# --- 2. Redis stops while WebSocket clients are connected ----------------------------------------------------


@pytest.fixture
def daphne_on_redis(redis_server, files_dir, settings, tmp_path):
    """A real daphne on the test database (PostgreSQL) and the private Redis; yields (port, log path)."""
    import httpx

    db = connection.settings_dict
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="core.tests.faults_settings",
               DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
               REDIS_URL=redis_server.url, CELERY_BROKER_URL=redis_server.url, LOG_LEVEL="WARNING",
               FAULTS_DATA_SOURCE_FILES_DIR=str(settings.DATA_SOURCE_FILES_DIR))
    port = faults._free_port()
    log_path = tmp_path / "daphne.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                    "config.asgi:application"], cwd=faults.ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)

    def up() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return process.poll() is not None  # died: stop waiting

    try:
        if not wait_for(up, timeout=60) or process.poll() is not None:
            pytest.fail("daphne did not come up: " + log_path.read_text()[-3000:])
        yield port, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


async def _next_event(socket: Any, timeout: float = 15) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


async def _until(socket: Any, kind: str, timeout: float = 30) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while not events or events[-1]["type"] != kind:
            events.append(json.loads(await socket.recv()))
    return events


async def _told_and_closed(socket: Any) -> None:
    """The client gets an error event it can act on, then the 'try again later' close code."""
    from websockets.exceptions import ConnectionClosed

    from core.consumers import CLOSE_TRY_AGAIN_LATER

    event = await _next_event(socket)
    assert event["type"] == "error" and event["error"]["code"] == "SERVICE_UNAVAILABLE", event
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(socket.recv(), 15)
    assert socket.close_code == CLOSE_TRY_AGAIN_LATER, (socket.close_code, socket.close_reason)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_redis_stopping_under_open_sockets_tells_the_clients_and_they_reconnect_nothing_lost(
        user, sqlite_file, redis_server, daphne_on_redis):
    import httpx
    from websockets.asyncio.client import connect

    from metadata import services as metadata_services
    from metadata.services import data_source_create

    port, log_path = daphne_on_redis
    ds = data_source_create(workspace=user.memberships.get().workspace, user=user,
                            data={"engine": "sqlite", "database": sqlite_file.name, "name": "shop"})
    metadata_services.schema_sync(ds=ds)
    base, ws = f"http://127.0.0.1:{port}/api/v1", f"ws://127.0.0.1:{port}/ws"
    token = httpx.post(f"{base}/auth/login", json={"email": user.email, "password": PASSWORD},
                       timeout=15).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    session = httpx.post(f"{base}/chat/sessions", json={"data_source_id": str(ds.pk)}, headers=auth, timeout=15)
    assert session.status_code == 201, session.text
    chat_url, notes_url = f"{ws}/chat/{session.json()['id']}/?token={token}", f"{ws}/notifications/?token={token}"
    messages_url = f"{base}/chat/sessions/{session.json()['id']}/messages"
    question = {"type": "question", "content": "How many customers are there?"}

    async def scenario() -> None:
        async with httpx.AsyncClient(headers=auth, timeout=30) as http:
            chat, notes = await connect(chat_url), await connect(notes_url)
            assert (await _next_event(chat))["type"] == "ready"
            await notes.send(json.dumps({"type": "ping"}))
            assert (await _next_event(notes))["type"] == "pong"

            await asyncio.to_thread(redis_server.stop)
            await _told_and_closed(chat)
            await _told_and_closed(notes)
            # A question asked over HTTP during the outage is answered and stored.
            during = await http.post(messages_url, json={"content": "How many customers are there?"})
            assert during.status_code in (200, 201), during.text
            assert during.json()["status"] == "completed", during.json()
            # Reconnecting while Redis is still down: told the same way (not an HTTP 500 handshake).
            await _told_and_closed(await connect(chat_url))
            await _told_and_closed(await connect(notes_url))

            await asyncio.to_thread(redis_server.start)
            # The client's backoff loop: connect until `ready`.
            for _ in range(20):
                chat = await connect(chat_url)
                if (await _next_event(chat))["type"] == "ready":
                    break
                await chat.close()
                await asyncio.sleep(0.5)
            else:
                pytest.fail("the chat socket did not reconnect once Redis was back")
            await chat.send(json.dumps(question))
            after = await _until(chat, "done")
            rows = next(e for e in after if e["type"] == "rows")["rows"]
            assert rows == [[3]], after
            notes = await connect(notes_url)
            await notes.send(json.dumps({"type": "ping"}))
            assert (await _next_event(notes))["type"] == "pong"
            await chat.close()
            await notes.close()

            stored = (await http.get(messages_url)).json()["results"]
            assert [m["role"] for m in stored] == ["user", "assistant"] * 2, stored
            assert {m["content"] for m in stored if m["role"] == "user"} == {question["content"]}
            assert [m["status"] for m in stored if m["role"] == "assistant"] == ["completed"] * 2

    asyncio.run(scenario())
    # No socket crashed into daphne's handler (which would close it with 1011 and log the traceback).
    log = log_path.read_text()
    assert "Exception inside application" not in log and " ERROR " not in log, log[-3000:]


# --- 3. A user's database goes away mid-query ----------------------------------------------------------------


def _terminate_when_busy(source: dict[str, Any], found: list[int]) -> threading.Thread:
    """Terminate, from an admin connection, whichever backend is busy on the source database (the
    statement itself or the FETCH of its server-side cursor)."""
    import psycopg

    from conftest import TEST_POSTGRES_DSN

    def kill() -> None:
        with psycopg.connect(TEST_POSTGRES_DSN, autocommit=True) as admin:
            def busy() -> list[Any]:
                return admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
                    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
                    (source["database"],)).fetchall()

            pids = wait_for(busy, timeout=20, interval=0.05)
            for (pid,) in pids or []:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                found.append(pid)

    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    return thread


@pytest.mark.postgres
@pytest.mark.pg_server
@pytest.mark.django_db
def test_a_source_database_terminating_a_running_query_gives_a_clear_failed_run(user, postgres_source, settings):
    from metadata.models import DataSource
    from metadata.services import data_source_create
    from queries import services as query_services
    from queries.models import QueryRun

    membership = user.memberships.get()
    ds = data_source_create(workspace=membership.workspace, user=user, data={**postgres_source, "name": "pg"})
    settings.DATA_SOURCE_QUERY_TIMEOUT = 15
    killed: list[int] = []
    killer = _terminate_when_busy(postgres_source, killed)
    run = query_services.query_execute(workspace=membership.workspace, user=user, membership=membership,
                                       ds=DataSource.objects.get(pk=ds.pk), sql=faults.SLOW_SQL)
    killer.join(timeout=20)
    assert killed, ("the query was never seen running on the source database",
                    QueryRun.objects.filter(pk=run.pk).values("status", "error_code", "error_message").get())

    run = QueryRun.objects.get(pk=run.pk)
    assert run.status == "failed" and run.finished_at is not None and not run.timed_out
    assert run.error_code == "DATA_SOURCE_CONNECTION_LOST", (run.error_code, run.error_message)
    assert "connection" in run.error_message.lower() and "try again" in run.error_message.lower()
    assert "psycopg" not in run.error_message and "Traceback" not in run.error_message
    assert not run.preview and not run.result_key and run.rows_returned in (None, 0)

    # The data source is usable again at once: the next run gets a fresh connection.
    again = query_services.query_execute(workspace=membership.workspace, user=user, membership=membership,
                                         ds=DataSource.objects.get(pk=ds.pk), sql="SELECT count(*) AS n FROM customers")
    assert again.status == "completed" and again.preview == [[2]]


@pytest.mark.postgres
@pytest.mark.pg_server
@pytest.mark.django_db
def test_a_source_database_terminating_a_schema_sync_fails_the_job_and_keeps_the_old_schema(
        user, postgres_source, client_for, django_capture_on_commit_callbacks, monkeypatch):
    import psycopg

    from conftest import TEST_POSTGRES_DSN
    from metadata import introspection
    from metadata.models import DataSource, SchemaColumn, SchemaTable
    from metadata.tests.fixtures import register, sync

    client = client_for(user)
    ds = register(client, **postgres_source)
    assert sync(client, ds["id"], django_capture_on_commit_callbacks)["status"] == "succeeded"
    before = sorted(SchemaColumn.objects.filter(table__data_source_id=ds["id"]).values_list(
        "table__name", "name", "sample_values"))
    original = introspection.sample_low_cardinality

    def terminated(connection, table, column, max_distinct):
        pid = connection.connection.dbapi_connection.info.backend_pid
        with psycopg.connect(TEST_POSTGRES_DSN, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return original(connection, table, column, max_distinct)

    monkeypatch.setattr("metadata.services.sample_low_cardinality", terminated)
    job = sync(client, ds["id"], django_capture_on_commit_callbacks)
    assert job["status"] == "failed" and "connection" in job["error"].lower(), job
    assert "Traceback" not in job["error"] and "psycopg" not in job["error"], job["error"]
    # Nothing half-written: the schema is the one of the last good sync.
    assert sorted(SchemaColumn.objects.filter(table__data_source_id=ds["id"]).values_list(
        "table__name", "name", "sample_values")) == before
    assert not SchemaTable.objects.filter(data_source_id=ds["id"], is_removed=True).exists()
    assert DataSource.objects.get(pk=ds["id"]).status == "error"


# --- 4. The app database connection drops during a write -----------------------------------------------------


@contextlib.contextmanager
def _app_connection_dropped(at: Any) -> Any:
    """Terminate the app's own PostgreSQL backend (from a second connection, as a server restart or a
    network cut would) just before the first statement for which `at(sql)` is true; that statement
    and everything after it on the connection fail. Yields the statements that triggered it."""
    import psycopg

    db = connection.settings_dict
    admin_dsn = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "dbname": db["NAME"],
                 "password": db.get("PASSWORD") or None}
    fired: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        if not fired and at(sql):
            fired.append(sql)
            pid = context["connection"].connection.info.backend_pid
            with psycopg.connect(**admin_dsn, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                wait_for(lambda: not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                                                   (pid,)).fetchone(), timeout=10, interval=0.02)
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(wrapper):
            yield fired
    finally:
        connection.close()  # what the server does at the end of a request with a broken connection


def _assert_database_unavailable(response: Any) -> None:
    error = assert_error(response, 503, "DATABASE_UNAVAILABLE")
    assert response["Retry-After"].isdigit()
    text = response.content.decode()
    for leak in ("OperationalError", "terminating connection", "psycopg", connection.settings_dict["NAME"]):
        assert leak not in text, text
    assert "try again" in error["message"].lower()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_connection_dropping_mid_registration_is_a_clean_503_and_leaves_no_partial_account():
    from rest_framework.test import APIClient

    from accounts.models import User
    from auditing.models import AuditEvent
    from teams.models import Membership, Workspace

    client = APIClient(raise_request_exception=False)
    body = {"email": "dropped@example.com", "password": "a long enough passphrase 42", "name": "Dropped"}
    counts = (User.objects.count(), Workspace.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    # The user, their quota, settings and personal workspace are written; the membership is next.
    with _app_connection_dropped(lambda sql: sql.startswith('INSERT INTO "teams_membership"')) as fired:
        response = client.post("/api/v1/auth/register", body, format="json")
    assert fired, "the registration never reached the membership insert"
    _assert_database_unavailable(response)

    assert not User.objects.filter(email="dropped@example.com").exists()
    assert (User.objects.count(), Workspace.objects.count(), Membership.objects.count(),
            AuditEvent.objects.count()) == counts
    # Trying again once the database is back simply works.
    again = client.post("/api/v1/auth/register", body, format="json")
    assert again.status_code == 201, again.content
    user = User.objects.get(email="dropped@example.com")
    assert Membership.objects.filter(user=user).count() == 1 and hasattr(user, "quota")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_connection_dropping_while_an_answer_is_stored_keeps_the_question_and_no_half_answer(
        user, sqlite_file, client_for):
    from chat.models import ChatMessage, ChatSession
    from metadata import services as metadata_services
    from metadata.services import data_source_create

    ds = data_source_create(workspace=user.memberships.get().workspace, user=user,
                            data={"engine": "sqlite", "database": sqlite_file.name, "name": "shop"})
    metadata_services.schema_sync(ds=ds)
    client = client_for(user)
    client.raise_request_exception = False
    session = client.post("/api/v1/chat/sessions", {"data_source_id": str(ds.pk)}, format="json").json()
    inserts: list[str] = []

    def at_the_answer(sql: str) -> bool:
        # The assistant's message and the session's bookkeeping are one transaction: cut in between.
        if sql.startswith('INSERT INTO "chat_chatmessage"'):
            inserts.append(sql)
        return len(inserts) == 2 and sql.startswith('UPDATE "chat_chatsession"')

    with _app_connection_dropped(at_the_answer) as fired:
        response = client.post(f"/api/v1/chat/sessions/{session['id']}/messages",
                               {"content": "How many customers are there?"}, format="json")
    assert fired, "the turn never reached the answer"
    _assert_database_unavailable(response)

    messages = list(ChatMessage.objects.filter(session_id=session["id"]).values_list("role", "content"))
    assert messages == [("user", "How many customers are there?")]  # the question is kept, no half answer
    assert ChatSession.objects.get(pk=session["id"]).last_message_at is not None
    # Asking again works and answers.
    again = client.post(f"/api/v1/chat/sessions/{session['id']}/messages",
                        {"content": "How many customers are there?"}, format="json")
    assert again.status_code == 201 and again.json()["status"] == "completed", again.content
    assert ChatMessage.objects.filter(session_id=session["id"], role="assistant").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_connection_dropping_while_a_schema_sync_saves_leaves_the_old_schema(user, sqlite_file):
    import sqlite3

    from django.db import OperationalError

    from metadata import services as metadata_services
    from metadata.models import DataSource, SchemaColumn, SchemaTable
    from metadata.services import data_source_create

    ds = data_source_create(workspace=user.memberships.get().workspace, user=user,
                            data={"engine": "sqlite", "database": sqlite_file.name, "name": "shop"})
    metadata_services.schema_sync(ds=DataSource.objects.get(pk=ds.pk))
    before = sorted(SchemaColumn.objects.filter(table__data_source=ds).values_list("table__name", "name"))
    source = sqlite3.connect(sqlite_file)
    source.executescript("CREATE TABLE stores (store_id INTEGER PRIMARY KEY, city TEXT); DROP TABLE \"select\";")
    source.close()

    # Tables are written before columns: the connection drops between the two.
    with _app_connection_dropped(lambda sql: sql.startswith('INSERT INTO "metadata_schemacolumn"')) as fired, \
            pytest.raises(OperationalError):
        metadata_services.schema_sync(ds=DataSource.objects.get(pk=ds.pk))
    assert fired
    assert not SchemaTable.objects.filter(data_source=ds, name="stores").exists()
    assert not SchemaTable.objects.filter(data_source=ds, is_removed=True).exists()
    assert sorted(SchemaColumn.objects.filter(table__data_source=ds).values_list("table__name", "name")) == before
