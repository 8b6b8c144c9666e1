"""Live answers: SSE while it streams (WSGI and ASGI), the session stream for collaborators, and the
WebSocket with several clients in one session."""
from __future__ import annotations

import json
import time
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient

from chat.models import ChatMessage, ChatSession
from chat.routing import websocket_urlpatterns
from conftest import assert_error, login
from core.ws_auth import OriginCheckMiddleware, TokenAuthMiddleware

pytestmark = pytest.mark.django_db(transaction=True)

STREAM = "/api/v1/chat/stream-query"
application = OriginCheckMiddleware(TokenAuthMiddleware(URLRouter(websocket_urlpatterns)))


def parse(chunk: bytes) -> list[tuple[str, dict]]:
    events = []
    for block in chunk.decode().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":"))
        if "event" in lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_sse_streams_status_first_then_sql_rows_chart_and_done(demo):
    client, db = demo["client"], demo["db"]
    started = time.perf_counter()
    response = client.post(STREAM, {"content": "How many customers are there per segment?"}, format="json",
                           HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
    chunks = iter(response.streaming_content)
    first = parse(next(chunks))
    elapsed = time.perf_counter() - started
    assert first[0][0] == "status" and first[0][1]["stage"] == "retrieving"
    assert elapsed < 0.1, f"first event after {elapsed * 1000:.0f} ms"
    session_id = first[0][1]["session_id"]
    assert not ChatMessage.objects.filter(session_id=session_id).exists()  # read while it streams: nothing done yet
    events = first + [event for chunk in chunks for event in parse(chunk)]
    kinds = [kind for kind, _ in events]
    stages = [data["stage"] for kind, data in events if kind == "status"]
    assert stages == ["retrieving", "generating", "validating", "executing"]
    assert kinds[-1] == "done" and kinds.index("sql") < kinds.index("rows") < kinds.index("chart") < kinds.index("done")
    rows = next(data for kind, data in events if kind == "rows")["rows"]
    assert {r[0]: r[1] for r in rows} == dict(db.execute("SELECT segment, count(*) FROM customers GROUP BY segment"))
    answer = [data["message"] for kind, data in events if kind == "message"][-1]
    assert answer["role"] == "assistant" and answer["content"].startswith("Here are the 3 rows")
    assert ChatMessage.objects.filter(session_id=session_id).count() == 2


def test_sse_disconnect_stops_the_turn(demo):
    response = demo["client"].post(STREAM, {"question": "How many customers are there?"}, format="json")
    chunks = iter(response.streaming_content)
    session_id = parse(next(chunks))[0][1]["session_id"]
    response.close()  # what the server does when the client goes away
    assert not ChatMessage.objects.filter(session_id=session_id).exists()


def test_sse_bad_input_is_an_envelope_before_the_stream(demo):
    client = demo["client"]
    assert_error(client.post(STREAM, {"content": "  "}, format="json"), 400, "VALIDATION_ERROR")
    assert_error(client.post(STREAM, {"content": "x", "session_id": str(uuid.uuid4())}, format="json"), 404)
    assert_error(client.post(STREAM, {"content": "x", "data_source_id": str(uuid.uuid4())}, format="json"), 404,
                 "DATA_SOURCE_NOT_FOUND")
    as_sse = client.post(STREAM, {"content": ""}, format="json", HTTP_ACCEPT="text/event-stream")
    assert as_sse.status_code == 400 and parse(as_sse.content)[0][0] == "error"


async def read_until(stream, kind: str, limit: int = 40) -> list[tuple[str, dict]]:
    events: list[tuple[str, dict]] = []
    for _ in range(limit):
        chunk = await stream.__anext__()
        events += parse(chunk)
        if any(k == kind for k, _ in events):
            return events
    raise AssertionError(f"no {kind} event in {events}")


async def test_sse_over_asgi_and_the_session_stream_for_collaborators(demo):
    token = demo["access_token"]
    session = await database_sync_to_async(ChatSession.objects.create)(
        workspace=demo["workspace"], created_by=demo["analyst"], shared=True)
    client, auth = AsyncClient(), {"Authorization": f"Bearer {token}"}
    watcher = await client.get(f"/api/v1/chat/stream-session/{session.pk}", headers=auth)
    assert watcher.status_code == 200, watcher.content
    watching = aiter(watcher.streaming_content)
    assert (await read_until(watching, "ready"))[0][0] == "ready"

    response = await client.post(STREAM, {"session_id": str(session.pk), "content": "How many products are there?"},
                                 content_type="application/json", headers=auth)
    asked = aiter(response.streaming_content)
    mine = await read_until(asked, "done")
    seen = await read_until(watching, "done")
    assert [k for k, _ in seen] == [k for k, _ in mine]
    expected = demo["db"].execute("SELECT count(*) FROM products").fetchone()[0]
    assert next(d for k, d in seen if k == "rows")["rows"] == [[expected]]
    await watching.aclose()
    await asked.aclose()


# --- WebSocket ------------------------------------------------------------------------------------------

async def connect(session_id, token=None):
    path = f"/ws/chat/{session_id}/" + (f"?token={token}" if token else "")
    communicator = WebsocketCommunicator(application, path)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def receive_until(communicator, kind: str, limit: int = 40) -> list[dict]:
    events = []
    for _ in range(limit):
        events.append(await communicator.receive_json_from(timeout=30))
        if events[-1]["type"] == kind:
            return events
    raise AssertionError(f"no {kind} in {events}")


@database_sync_to_async
def token_for(email, password=None):
    from rest_framework.test import APIClient

    from conftest import PASSWORD

    return login(APIClient(), email, password or PASSWORD)["access_token"]


@database_sync_to_async
def shared_session(demo, **extra):
    return ChatSession.objects.create(workspace=demo["workspace"], created_by=demo["analyst"], shared=True, **extra)


async def test_websocket_auth_failures_close_with_4401_and_4404(demo, make_user):
    session = await shared_session(demo)
    closed = await connect(session.pk)
    assert await closed.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    closed = await connect(session.pk, "not-a-jwt")
    assert (await closed.receive_output(timeout=5))["code"] == 4401
    stranger = await database_sync_to_async(make_user)()
    stranger_token = await token_for(stranger.email)
    for target in (session.pk, uuid.uuid4(), "garbage"):
        closed = await connect(target, stranger_token)
        assert await closed.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}
    private = await database_sync_to_async(ChatSession.objects.create)(
        workspace=demo["workspace"], created_by=demo["admin"])
    closed = await connect(private.pk, demo["access_token"])  # a colleague's private session
    assert (await closed.receive_output(timeout=5))["code"] == 4404


async def test_two_clients_in_one_session_both_get_the_answer(demo):
    session = await shared_session(demo)
    analyst = await connect(session.pk, demo["access_token"])
    owner = await connect(session.pk, await token_for("admin@insightengine.local", "insight-admin-2024"))
    for communicator in (analyst, owner):
        assert (await communicator.receive_json_from(timeout=5))["type"] == "ready"
    await analyst.send_json_to({"type": "question", "content": "How many customers are there?"})
    mine, theirs = await receive_until(analyst, "done"), await receive_until(owner, "done")
    assert [e["type"] for e in mine] == [e["type"] for e in theirs]
    assert [e["stage"] for e in theirs if e["type"] == "status"] == ["retrieving", "generating", "validating",
                                                                     "executing"]
    expected = demo["db"].execute("SELECT count(*) FROM customers").fetchone()[0]
    assert next(e for e in theirs if e["type"] == "rows")["rows"] == [[expected]]
    messages = [e["message"] for e in theirs if e["type"] == "message"]
    assert messages[0]["content"] == "How many customers are there?"
    assert messages[1]["content"] == f"There are {expected:,} customers."
    # The owner asks a follow-up; the analyst sees it resolved against the earlier turn.
    await owner.send_json_to({"type": "question", "content": "and per segment?"})
    events = await receive_until(analyst, "done")
    await receive_until(owner, "done")
    rows = next(e for e in events if e["type"] == "rows")["rows"]
    assert {r[0]: r[1] for r in rows} == dict(demo["db"].execute(
        "SELECT segment, count(*) FROM customers GROUP BY segment"))
    await analyst.disconnect()
    await owner.disconnect()


async def test_a_viewer_question_is_an_error_event_and_the_socket_stays_open(demo, viewer_in):
    session = await shared_session(demo)
    viewer, client = await database_sync_to_async(viewer_in)(demo["workspace"])
    communicator = await connect(session.pk, client.tokens["access_token"])
    ready = await communicator.receive_json_from(timeout=5)
    assert ready["type"] == "ready" and ready["can_ask"] is False
    await communicator.send_json_to({"type": "question", "content": "How many customers are there?"})
    error = await communicator.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["error"]["code"] == "PERMISSION_DENIED"
    await communicator.send_json_to({"type": "question", "content": ""})
    await communicator.send_json_to({"type": "ping"})
    # The socket keeps reading while a question is checked: the pong may overtake the refusal.
    replies = [await communicator.receive_json_from(timeout=5) for _ in range(2)]
    assert sorted(reply["type"] for reply in replies) == ["error", "pong"]
    await communicator.send_to(text_data="{not json")
    assert (await communicator.receive_json_from(timeout=5))["error"]["code"] == "PARSE_ERROR"
    await communicator.disconnect()


async def test_a_client_leaving_mid_answer_does_not_break_the_other(demo):
    session = await shared_session(demo)
    asker = await connect(session.pk, demo["access_token"])
    other = await connect(session.pk, await token_for("admin@insightengine.local", "insight-admin-2024"))
    await asker.receive_json_from(timeout=5)
    await other.receive_json_from(timeout=5)
    await asker.send_json_to({"type": "question", "content": "How many orders are there per status?"})
    assert (await asker.receive_json_from(timeout=10))["type"] == "status"
    await asker.disconnect()
    events = await receive_until(other, "done")
    rows = next(e for e in events if e["type"] == "rows")["rows"]
    assert {r[0]: r[1] for r in rows} == dict(demo["db"].execute("SELECT status, count(*) FROM orders GROUP BY status"))
    count = await database_sync_to_async(ChatMessage.objects.filter(session=session).count)()
    assert count == 2
    await other.disconnect()


async def test_a_turn_that_crashes_tells_the_asker_and_the_socket_stays_open(demo, monkeypatch):
    from chat import services as chat_services

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(chat_services, "turn_dispatch", broken)
    session = await shared_session(demo)
    communicator = await connect(session.pk, demo["access_token"])
    assert (await communicator.receive_json_from(timeout=5))["type"] == "ready"
    await communicator.send_json_to({"type": "question", "content": "How many customers are there?"})
    error = await communicator.receive_json_from(timeout=10)
    assert error["type"] == "error" and error["error"]["code"] == "INTERNAL_ERROR"
    assert "boom" not in str(error)  # no internals
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    await communicator.disconnect()
