"""ws/notifications/ through the real ASGI application (auth middleware, origin check, consumer)."""
from __future__ import annotations

import pytest
from channels.db import database_sync_to_async as sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from config.asgi import application
from core import services

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def make_user_and_token():
    from rest_framework.test import APIClient

    from accounts.tests.factories import UserFactory
    from conftest import login

    user = UserFactory()
    return user, login(APIClient(), user.email)


@sync_to_async
def start_job(user):
    job = services.job_create(workspace=user.memberships.get().workspace, user=user, kind="schema_sync")
    return services.job_start(job.pk)


@sync_to_async
def report(job, progress, message):
    services.job_progress(job, progress, message)


async def connect(path, headers=None, subprotocols=None):
    communicator = WebsocketCommunicator(application, path, headers=headers or [], subprotocols=subprotocols)
    connected, detail = await communicator.connect(timeout=5)
    return communicator, connected, detail


async def test_unauthenticated_socket_is_closed_with_4401():
    communicator, connected, _ = await connect("/ws/notifications/")
    assert connected  # accepted so that a browser can read the close code
    message = await communicator.receive_output(timeout=5)
    assert message == {"type": "websocket.close", "code": 4401}


async def test_bad_token_is_closed_with_4401():
    communicator, _, _ = await connect("/ws/notifications/?token=not-a-jwt")
    assert (await communicator.receive_output(timeout=5))["code"] == 4401


async def test_foreign_origin_is_refused_with_4403():
    user, tokens = await make_user_and_token()
    communicator, connected, _ = await connect(f"/ws/notifications/?token={tokens['access_token']}",
                                               headers=[(b"origin", b"https://evil.example")])
    assert connected  # accepted only so that the page can read the close code
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}


async def test_revoked_token_is_refused():
    user, tokens = await make_user_and_token()

    @sync_to_async
    def logout():
        from accounts.services import sessions_revoke_all

        sessions_revoke_all(user=user, reason="logout")

    await logout()
    communicator, _, _ = await connect(f"/ws/notifications/?token={tokens['access_token']}")
    assert (await communicator.receive_output(timeout=5))["code"] == 4401
    await communicator.disconnect()


async def test_job_progress_is_pushed_to_its_owner():
    user, tokens = await make_user_and_token()
    communicator, connected, _ = await connect(f"/ws/notifications/?token={tokens['access_token']}",
                                               headers=[(b"origin", b"http://localhost:8000")])
    assert connected
    job = await start_job(user)
    await report(job, 55, "Reading columns")
    seen = []
    while True:
        message = await communicator.receive_json_from(timeout=5)
        seen.append((message["job"]["status"], message["job"]["progress"]))
        if message["job"]["progress"] == 55:
            break
    assert message == {"type": "job.progress", "job": message["job"]}
    assert message["job"]["id"] == str(job.pk) and message["job"]["message"] == "Reading columns"
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from(timeout=5)) == {"type": "pong"}
    await communicator.disconnect()


async def test_token_in_the_subprotocol_header_and_job_subscribe():
    user, tokens = await make_user_and_token()
    communicator, connected, subprotocol = await connect(
        "/ws/notifications/", subprotocols=["bearer", tokens["access_token"]])
    assert connected and subprotocol == "bearer"
    job = await start_job(user)
    await communicator.send_json_to({"type": "job.subscribe", "job_id": str(job.pk)})
    while True:
        message = await communicator.receive_json_from(timeout=5)
        if message["job"]["id"] == str(job.pk) and message["job"]["status"] == "running":
            break
    await communicator.send_json_to({"type": "job.subscribe", "job_id": "nope"})
    message = await communicator.receive_json_from(timeout=5)
    while message.get("type") == "job.progress":
        message = await communicator.receive_json_from(timeout=5)
    assert message["type"] == "error" and message["error"]["code"] == "NOT_FOUND"
    await communicator.disconnect()


async def test_other_users_jobs_are_not_pushed():
    user, tokens = await make_user_and_token()
    other, _ = await make_user_and_token()
    communicator, _, _ = await connect(f"/ws/notifications/?token={tokens['access_token']}")
    job = await start_job(other)
    await report(job, 10, "secret")
    assert await communicator.receive_nothing(timeout=1.5)
    await communicator.disconnect()


@pytest.mark.redis
async def test_progress_reaches_the_socket_through_the_redis_channel_layer():
    from django.conf import settings

    layers = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                          "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": "ie-test"}}}
    with override_settings(CHANNEL_LAYERS=layers):
        from channels.layers import channel_layers

        assert type(channel_layers["default"]).__name__ == "RedisChannelLayer"
        user, tokens = await make_user_and_token()
        communicator, connected, _ = await connect(f"/ws/notifications/?token={tokens['access_token']}")
        assert connected
        job = await start_job(user)
        await report(job, 70, "Almost")
        while True:
            message = await communicator.receive_json_from(timeout=5)
            if message["job"]["progress"] == 70:
                break
        await communicator.disconnect()


@override_settings(CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}})
async def test_embedded_mode_polls_for_progress_a_worker_in_another_process_reported(monkeypatch):
    """With the in-memory layer a worker process cannot push; the consumer notices the row change."""
    user, tokens = await make_user_and_token()
    job = await start_job(user)
    communicator, connected, _ = await connect(f"/ws/notifications/?token={tokens['access_token']}")
    assert connected
    # What a worker in another process amounts to: the service writes the row, the push goes nowhere.
    monkeypatch.setattr(services, "job_notify", lambda job: None)
    await report(job, 30, "from the worker")
    message = await communicator.receive_json_from(timeout=5)
    assert message["job"]["id"] == str(job.pk)
    assert (message["job"]["progress"], message["job"]["message"]) == (30, "from the worker")
    await report(job, 60, "further")
    message = await communicator.receive_json_from(timeout=5)
    assert message["job"]["progress"] == 60
    await communicator.disconnect()


async def test_bad_frames_get_the_error_envelope_not_a_crash():
    user, tokens = await make_user_and_token()
    communicator, _, _ = await connect(f"/ws/notifications/?token={tokens['access_token']}")
    await communicator.send_to(text_data="this is not json")
    message = await communicator.receive_json_from(timeout=5)
    assert message == {"type": "error", "error": {"code": "PARSE_ERROR", "message": "The message is not valid JSON.",
                                                  "details": []}}
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from(timeout=5)) == {"type": "pong"}
    await communicator.disconnect()


async def test_an_open_socket_is_closed_after_logout(monkeypatch):
    from core import consumers

    monkeypatch.setattr(consumers, "SESSION_CHECK_SECONDS", 0.2)
    user, tokens = await make_user_and_token()
    communicator, connected, _ = await connect(f"/ws/notifications/?token={tokens['access_token']}")
    assert connected

    @sync_to_async
    def logout():
        from accounts.services import sessions_revoke_all

        sessions_revoke_all(user=user, reason="logout")

    await logout()
    output = await communicator.receive_output(timeout=5)
    while output["type"] != "websocket.close":
        output = await communicator.receive_output(timeout=5)
    assert output["code"] == 4401
    await communicator.disconnect()


async def test_an_open_socket_is_closed_when_its_user_is_deactivated(monkeypatch):
    from core import consumers

    monkeypatch.setattr(consumers, "SESSION_CHECK_SECONDS", 0.2)
    user, tokens = await make_user_and_token()
    communicator, connected, _ = await connect(f"/ws/notifications/?token={tokens['access_token']}")
    assert connected

    @sync_to_async
    def deactivate():  # the flag alone, sessions untouched: the guard reads both
        from accounts.models import User

        User.objects.filter(pk=user.pk).update(is_active=False)

    await deactivate()
    output = await communicator.receive_output(timeout=5)
    while output["type"] != "websocket.close":
        output = await communicator.receive_output(timeout=5)
    assert output["code"] == 4401
    await communicator.disconnect()
