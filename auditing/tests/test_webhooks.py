"""Webhooks: the API (admins only, tenant-scoped, secret shown once), emit → signed deliveries to a
receiver on loopback, retries with backoff, auto-disable, redirects, the delivery log, test-fire."""
from __future__ import annotations

import json
import socket
import uuid
from unittest import mock

import pytest

from auditing import webhooks
from auditing.models import AuditEvent, DeliveryStatus, Webhook, WebhookDelivery
from auditing.tests import receiver as receivers
from conftest import assert_error
from core import crypto
from teams.roles import Role
from teams.tests.factories import make_workspace

URL = "/api/v1/webhooks"


@pytest.fixture
def team(make_user):
    owner, admin, analyst, viewer = make_user(), make_user(), make_user(), make_user()
    workspace = make_workspace(owner, members={admin: Role.ADMIN, analyst: Role.ANALYST, viewer: Role.VIEWER})
    return {"workspace": workspace, "owner": owner, "admin": admin, "analyst": analyst, "viewer": viewer}


@pytest.fixture
def loopback(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    receiver = receivers.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def hook(team, loopback):
    webhook, secret = webhooks.webhook_create(workspace=team["workspace"], user=team["admin"],
                                              url=loopback.url(), events=["query_completed", "query_failed"])
    webhook.plain_secret = secret
    return webhook


def emit_now(workspace, event, payload, capture):
    with capture(execute=True):
        webhooks.emit(workspace, event, payload)


# --- API ------------------------------------------------------------------------------------------

def test_admin_registers_a_webhook_and_sees_the_secret_once(team, client_for, loopback):
    client = client_for(team["admin"], team["workspace"])

    created = client.post(URL, {"url": loopback.url(), "events": ["query_completed", "member_invited"],
                                "description": "CI"}, format="json")

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 30
    assert body["events"] == ["member_invited", "query_completed"] and body["active"] is True
    stored = Webhook.objects.get(pk=body["id"])
    assert body["secret"] not in stored.secret_encrypted
    assert crypto.decrypt(stored.secret_encrypted) == body["secret"]
    listed = client.get(URL).json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]
    assert "secret" not in client.get(f"{URL}/{body['id']}").json()
    assert AuditEvent.objects.filter(action="webhook.created", resource_id=body["id"]).exists()


def test_seed_003_single_event_and_active(team, client_for, loopback):
    client = client_for(team["admin"], team["workspace"])

    created = client.post(URL, {"event": "query_completed", "url": loopback.url(), "active": False}, format="json")

    assert created.status_code == 201, created.content
    assert created.json()["events"] == ["query_completed"] and created.json()["active"] is False


@pytest.mark.parametrize("body, field", [
    ({"url": "http://example.com/x"}, "events"),
    ({"url": "http://example.com/x", "events": ["nope"]}, "events.0"),
    ({"url": "http://example.com/x", "event": "nope"}, "event"),
    ({"url": "not a url", "events": ["query_completed"]}, "url"),
    ({"url": "ftp://example.com/x", "events": ["query_completed"]}, "url"),
    ({"url": "http://127.0.0.1/x", "events": ["query_completed"]}, "url"),
    ({"url": "http://169.254.169.254/latest/meta-data", "events": ["query_completed"]}, "url"),
    ({"url": "http://example.com/x", "events": "query_completed"}, "events"),
])
def test_bad_input_is_a_validation_error(team, client_for, body, field):
    response = client_for(team["admin"], team["workspace"]).post(URL, body, format="json")

    error = assert_error(response, 400)
    assert error["details"][0]["field"] == field
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("who", ["analyst", "viewer"])
def test_only_workspace_admins_manage_webhooks(team, client_for, hook, who):
    client = client_for(team[who], team["workspace"])

    assert_error(client.get(URL), 403, "PERMISSION_DENIED")
    assert_error(client.post(URL, {"url": "http://example.com", "events": ["query_completed"]}, format="json"), 403)
    assert_error(client.post(f"{URL}/{hook.pk}/test"), 403)
    assert_error(client.get(f"{URL}/{hook.pk}/deliveries"), 403)
    assert_error(client.delete(f"{URL}/{hook.pk}"), 403)
    assert Webhook.objects.filter(pk=hook.pk).exists()


def test_another_workspaces_webhook_is_not_found(team, make_user, client_for, hook):
    stranger = make_user()
    other = make_workspace(stranger, name="Other")
    client = client_for(stranger, other)

    assert client.get(URL).json()["count"] == 0
    for response in (client.get(f"{URL}/{hook.pk}"), client.patch(f"{URL}/{hook.pk}", {"active": False}, format="json"),
                     client.post(f"{URL}/{hook.pk}/test"), client.get(f"{URL}/{hook.pk}/deliveries"),
                     client.delete(f"{URL}/{hook.pk}"), client.get(f"{URL}/{uuid.uuid4()}"),
                     client.get(f"{URL}/not-a-uuid")):
        assert_error(response, 404, "NOT_FOUND")
    assert Webhook.objects.get(pk=hook.pk).is_active


def test_update_and_delete(team, client_for, hook):
    client = client_for(team["admin"], team["workspace"])

    changed = client.patch(f"{URL}/{hook.pk}", {"events": ["share_link_created"], "description": "x"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["events"] == ["share_link_created"]
    assert_error(client.patch(f"{URL}/{hook.pk}", {"url": "http://169.254.169.254/"}, format="json"), 400)
    assert client.delete(f"{URL}/{hook.pk}").status_code == 204
    assert not Webhook.objects.filter(pk=hook.pk).exists()
    assert AuditEvent.objects.filter(action="webhook.deleted", resource_id=str(hook.pk)).exists()


# --- deliveries -----------------------------------------------------------------------------------

def test_a_delivery_is_signed_and_verifiable_by_the_receiver(team, hook, loopback,
                                                               django_capture_on_commit_callbacks):
    emit_now(team["workspace"], "query_completed", {"query_id": uuid.UUID(int=7), "rows": 3},
             django_capture_on_commit_callbacks)

    assert len(loopback.requests) == 1
    got = loopback.requests[0]
    assert got.path == "/hook"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-insightengine-event"] == "query_completed"
    delivery = WebhookDelivery.objects.get()
    assert got.headers["x-insightengine-delivery"] == str(delivery.pk)
    timestamp, signature = got.headers["x-insightengine-timestamp"], got.headers["x-insightengine-signature"]
    assert webhooks.verify(hook.plain_secret, timestamp, got.body, signature)
    assert not webhooks.verify("whsec_wrong", timestamp, got.body, signature)
    assert not webhooks.verify(hook.plain_secret, timestamp, got.body + b" ", signature)
    body = json.loads(got.body)
    assert body["event"] == "query_completed" and body["id"] == str(delivery.pk)
    assert body["workspace_id"] == str(team["workspace"].pk)
    assert body["data"] == {"query_id": str(uuid.UUID(int=7)), "rows": 3}
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempt == 1
    assert delivery.response_status_code == 200 and delivery.response_snippet == "ok"
    assert AuditEvent.objects.filter(action="webhook.delivered", workspace_id=team["workspace"].pk).exists()


def test_the_connection_is_pinned_to_the_checked_address(team, hook, loopback,
                                                         django_capture_on_commit_callbacks):
    """The name is resolved once; the connection goes to that address with the name as Host."""
    Webhook.objects.filter(pk=hook.pk).update(url=loopback.url(host="hooks.example.test"))
    calls = []

    real_getaddrinfo = socket.getaddrinfo

    def fake_getaddrinfo(host, port, *args, **kwargs):
        calls.append(host)
        if host == "hooks.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    with mock.patch("socket.getaddrinfo", side_effect=fake_getaddrinfo):
        emit_now(team["workspace"], "query_completed", {}, django_capture_on_commit_callbacks)

    # Resolved once, by the guard; the HTTP client only ever saw the address.
    assert calls.count("hooks.example.test") == 1 and set(calls) == {"hooks.example.test", "127.0.0.1"}
    assert loopback.requests[0].headers["host"] == f"hooks.example.test:{loopback.port}"
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_a_name_that_now_resolves_inside_is_blocked_at_delivery(team, hook, loopback, settings,
                                                                 django_capture_on_commit_callbacks):
    Webhook.objects.filter(pk=hook.pk).update(url=loopback.url(host="rebind.example.test"))
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    answer = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", loopback.port))]
    with mock.patch("auditing.ssrf.socket.getaddrinfo", return_value=answer):
        emit_now(team["workspace"], "query_completed", {}, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert loopback.requests == []
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempt == 1  # no retries
    assert "loopback" in delivery.error


def test_only_subscribed_active_webhooks_of_the_workspace_receive(team, make_user, hook, loopback,
                                                                  django_capture_on_commit_callbacks):
    other = make_workspace(make_user(), name="Other")
    webhooks.webhook_create(workspace=other, user=None, url=loopback.url(path="/other"), events=["query_completed"])
    paused, _ = webhooks.webhook_create(workspace=team["workspace"], user=None, url=loopback.url(path="/paused"),
                                        events=["query_completed"], is_active=False)

    emit_now(team["workspace"], "member_invited", {}, django_capture_on_commit_callbacks)
    assert loopback.requests == []
    emit_now(team["workspace"], "query_completed", {}, django_capture_on_commit_callbacks)
    assert [r.path for r in loopback.requests] == ["/hook"]


def test_nothing_is_sent_when_the_callers_transaction_rolls_back(team, hook, loopback,
                                                                  django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                webhooks.emit(team["workspace"], "query_completed", {})
                raise RuntimeError("the run failed")
        except RuntimeError:
            pass
    assert callbacks == [] and not WebhookDelivery.objects.exists() and loopback.requests == []


def test_unknown_events_are_a_programming_error(team):
    with pytest.raises(ValueError):
        webhooks.emit(team["workspace"], "query_exploded", {})


def test_a_failed_attempt_is_retried_with_backoff(team, hook, loopback, django_capture_on_commit_callbacks):
    loopback.answers = [(500, {}, b"boom"), (503, {}, b"busy"), (200, {}, b"fine")]

    from auditing.tasks import deliver_webhook

    with mock.patch("auditing.tasks.deliver_webhook.apply_async"):  # create the row, send nothing yet
        delivery = webhooks._create_deliveries(team["workspace"].pk, "query_failed", {"error": "x"})[0]
    # A worker (not eager) runs the task: the first attempt fails and re-queues it 2 s later.
    with mock.patch.object(deliver_webhook, "retry", side_effect=lambda countdown: _Retried(countdown)):
        with pytest.raises(_Retried) as raised:
            deliver_webhook.run(str(delivery.pk))
    assert raised.value.countdown == 2
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING and delivery.attempt == 1
    assert delivery.response_status_code == 500 and delivery.response_snippet == "boom"
    assert delivery.next_attempt_at is not None

    # The re-queued task's next attempts: 4 s after the second failure, then success.
    assert webhooks.deliver(delivery.pk) == 4
    assert webhooks.deliver(delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempt == 3
    assert len(loopback.requests) == 3
    # Each attempt was signed afresh and carried the same delivery id.
    assert {r.headers["x-insightengine-delivery"] for r in loopback.requests} == {str(delivery.pk)}
    assert webhooks.deliver(delivery.pk) is None and len(loopback.requests) == 3  # idempotent


class _Retried(Exception):
    def __init__(self, countdown):
        self.countdown = countdown


def test_eager_celery_runs_the_retries_through(team, hook, loopback, django_capture_on_commit_callbacks):
    loopback.answers = [(500, {}, b""), (200, {}, b"ok")]

    emit_now(team["workspace"], "query_completed", {}, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempt == 2
    assert Webhook.objects.get(pk=hook.pk).consecutive_failures == 0


def test_backoff_doubles():
    assert [webhooks.retry_countdown(n) for n in range(1, 7)] == [2, 4, 8, 16, 32, 64]


def test_a_delivery_fails_for_good_after_the_last_retry(team, hook, loopback, settings,
                                                        django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_RETRIES = 2
    loopback.answers = [(500, {}, b"")]

    emit_now(team["workspace"], "query_completed", {}, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempt == 3
    assert len(loopback.requests) == 3
    assert Webhook.objects.get(pk=hook.pk).consecutive_failures == 1
    assert AuditEvent.objects.filter(action="webhook.delivery_failed").count() == 1


def test_a_webhook_disables_itself_after_consecutive_failures(team, hook, loopback, settings, client_for,
                                                             django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_RETRIES = 0
    settings.WEBHOOK_MAX_CONSECUTIVE_FAILURES = 3
    loopback.answers = [(500, {}, b"")]

    for _ in range(3):
        emit_now(team["workspace"], "query_completed", {}, django_capture_on_commit_callbacks)

    hook.refresh_from_db()
    assert not hook.is_active and hook.disabled_at is not None and "3 consecutive" in hook.disabled_reason
    disabled = AuditEvent.objects.get(action="webhook.disabled")
    assert disabled.workspace_id == team["workspace"].pk and disabled.resource_id == str(hook.pk)
    emit_now(team["workspace"], "query_completed", {}, django_capture_on_commit_callbacks)
    assert len(loopback.requests) == 3  # disabled: no more deliveries

    # Re-enabling through the API clears the streak.
    client = client_for(team["admin"], team["workspace"])
    response = client.patch(f"{URL}/{hook.pk}", {"active": True}, format="json")
    assert response.json()["active"] is True and response.json()["consecutive_failures"] == 0
    assert response.json()["disabled_reason"] == ""


def test_a_success_resets_the_failure_streak(team, hook, loopback, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_RETRIES = 0
    loopback.answers = [(500, {}, b""), (500, {}, b""), (200, {}, b"")]
    for _ in range(3):
        emit_now(team["workspace"], "query_completed", {}, django_capture_on_commit_callbacks)
    assert Webhook.objects.get(pk=hook.pk).consecutive_failures == 0


def test_redirects_are_not_followed(team, hook, loopback, django_capture_on_commit_callbacks):
    loopback.answers = [(302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")]

    emit_now(team["workspace"], "query_completed", {}, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert len(loopback.requests) == 1
    assert delivery.status == DeliveryStatus.FAILED and delivery.response_status_code == 302
    assert "Redirect" in delivery.error and delivery.attempt == 1


def test_an_unreachable_receiver_is_a_failed_attempt(team, hook, loopback, settings,
                                                     django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_RETRIES = 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    Webhook.objects.filter(pk=hook.pk).update(url=f"http://127.0.0.1:{free_port}/hook")

    emit_now(team["workspace"], "query_completed", {}, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.response_status_code is None
    assert "Connection failed" in delivery.error


def test_test_fire_and_the_delivery_log(team, hook, loopback, client_for):
    client = client_for(team["admin"], team["workspace"])

    fired = client.post(f"{URL}/{hook.pk}/test")

    assert fired.status_code == 200, fired.content
    assert fired.json()["event"] == "ping" and fired.json()["status"] == "succeeded"
    assert fired.json()["status_code"] == 200 and fired.json()["is_test"] is True
    got = loopback.requests[0]
    assert got.headers["x-insightengine-event"] == "ping"
    assert webhooks.verify(hook.plain_secret, got.headers["x-insightengine-timestamp"], got.body,
                           got.headers["x-insightengine-signature"])

    loopback.answers = [(500, {}, b"x" * 5000)]
    failed = client.post(f"{URL}/{hook.pk}/test").json()
    assert failed["status"] == "failed" and failed["status_code"] == 500 and failed["attempt"] == 1
    assert len(failed["response_snippet"]) == 1000
    assert Webhook.objects.get(pk=hook.pk).consecutive_failures == 0  # tests do not count

    log = client.get(f"{URL}/{hook.pk}/deliveries")
    assert log.status_code == 200
    rows = log.json()["results"]
    assert [r["status"] for r in rows] == ["failed", "succeeded"]
    assert set(rows[0]) >= {"event", "status_code", "attempt", "duration_ms", "error", "response_snippet"}
    assert client.get(f"{URL}/{hook.pk}/deliveries", {"status": "failed"}).json()["count"] == 1
    assert_error(client.get(f"{URL}/{hook.pk}/deliveries", {"status": "bogus"}), 400, "VALIDATION_ERROR")


def test_rotate_secret(team, hook, client_for, loopback):
    client = client_for(team["admin"], team["workspace"])

    response = client.post(f"{URL}/{hook.pk}/rotate-secret")

    assert response.status_code == 200
    new = response.json()["secret"]
    assert new != hook.plain_secret
    client.post(f"{URL}/{hook.pk}/test")
    got = loopback.requests[-1]
    assert webhooks.verify(new, got.headers["x-insightengine-timestamp"], got.body,
                           got.headers["x-insightengine-signature"])
