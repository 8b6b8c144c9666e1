"""GET /api/v1/audit-logs (workspace admins, read-only, tenant-scoped), the append-only
AuditEvent model, secret scrubbing, and the read-only Django admin."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from auditing.models import AppendOnlyError, AuditEvent
from auditing.services import record
from conftest import assert_error
from teams.roles import Role
from teams.tests.factories import make_workspace

URL = "/api/v1/audit-logs"
FIELDS = {"id", "user_id", "user_email", "action", "resource_type", "resource_id", "details", "ip_address",
          "user_agent", "request_id", "timestamp"}


@pytest.fixture
def team(make_user):
    owner, admin, analyst, viewer = make_user(), make_user(), make_user(), make_user()
    workspace = make_workspace(owner, members={admin: Role.ADMIN, analyst: Role.ANALYST, viewer: Role.VIEWER})
    return {"workspace": workspace, "owner": owner, "admin": admin, "analyst": analyst, "viewer": viewer}


def at(moment: datetime):
    """Record events as if it were `moment` (created_at is auto_now_add)."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def actions(response) -> list[str]:
    return [row["action"] for row in response.json()["results"]]


# --- the API --------------------------------------------------------------------------------------

def test_admin_sees_the_workspaces_events_newest_first(team, client_for, django_capture_on_commit_callbacks):
    client = client_for(team["admin"], team["workspace"])
    with django_capture_on_commit_callbacks(execute=True):
        invited = client.post("/api/v1/team/members", {"email": "new@example.com"}, format="json",
                              HTTP_USER_AGENT="pytest-agent/1.0")
    assert invited.status_code == 201, invited.content
    changed = client.patch(f"/api/v1/team/members/{team['viewer'].pk}", {"role": Role.ANALYST}, format="json")
    assert changed.status_code == 200, changed.content

    response = client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert actions(response) == ["member.role_changed", "member.invited", "workspace.created"]
    assert body["count"] == 3
    role_changed, invited_event, created = body["results"]
    assert set(invited_event) == FIELDS
    assert invited_event["user_id"] == str(team["admin"].pk)
    assert invited_event["user_email"] == team["admin"].email
    assert invited_event["resource_type"] == "invitation"
    assert invited_event["resource_id"] == invited.json()["id"]
    assert invited_event["details"] == {"email": "new@example.com", "role": Role.ANALYST, "existing_user": False,
                                        "replaced_pending_invitations": 0}
    assert invited_event["ip_address"] == "127.0.0.1"
    assert invited_event["user_agent"] == "pytest-agent/1.0"
    assert invited_event["request_id"] == invited["X-Request-ID"]
    assert role_changed["details"] == {"user_id": str(team["viewer"].pk), "from": Role.VIEWER, "to": Role.ANALYST}
    assert created["user_id"] == str(team["owner"].pk)
    assert created["resource_id"] == str(team["workspace"].pk)


def test_owner_sees_the_trail_too(team, client_for):
    response = client_for(team["owner"], team["workspace"]).get(URL)

    assert response.status_code == 200
    assert actions(response) == ["workspace.created"]


@pytest.mark.parametrize("who", ["analyst", "viewer"])
def test_non_admins_cannot_read_the_trail(team, client_for, who):
    event = AuditEvent.objects.get(workspace_id=team["workspace"].pk)
    client = client_for(team[who], team["workspace"])

    assert_error(client.get(URL), 403, "PERMISSION_DENIED")
    assert_error(client.get(f"{URL}/{event.pk}"), 403, "PERMISSION_DENIED")


def test_requires_authentication(db):
    from rest_framework.test import APIClient

    assert_error(APIClient().get(URL), 401, "NOT_AUTHENTICATED")


def test_another_workspaces_events_never_appear(team, make_user, client_for):
    stranger = make_user()
    other = make_workspace(stranger, name="Other")
    theirs = record(actor=stranger, action="member.invited", workspace=other, details={"email": "x@example.com"})
    unscoped = record(actor=stranger, action="member.invited", details={"email": "y@example.com"})
    client = client_for(team["admin"], team["workspace"])

    seen = {row["id"] for row in client.get(URL, {"limit": 200}).json()["results"]}
    assert str(theirs.pk) not in seen and str(unscoped.pk) not in seen
    assert client.get(URL, {"action": "member.invited"}).json()["count"] == 0
    assert client.get(URL, {"user_id": str(stranger.pk)}).json()["count"] == 0
    assert client.get(URL, {"q": "x@example.com"}).json()["count"] == 0
    # Nor do the admin's own events outside this workspace (e.g. their personal workspace's creation).
    assert client.get(URL, {"user_id": str(team["admin"].pk)}).json()["count"] == 0


def test_retrieve_one_event(team, client_for):
    event = record(actor=team["owner"], action="workspace.updated", workspace=team["workspace"],
                   details={"name": {"from": "a", "to": "b"}})

    response = client_for(team["admin"], team["workspace"]).get(f"{URL}/{event.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == str(event.pk)
    assert response.json()["details"] == {"name": {"from": "a", "to": "b"}}


def test_retrieve_another_workspaces_event_is_not_found(team, make_user, client_for):
    stranger = make_user()
    other = make_workspace(stranger, name="Other")
    theirs = AuditEvent.objects.get(workspace_id=other.pk, action="workspace.created")
    unscoped = record(actor=stranger, action="user.created")
    client = client_for(team["admin"], team["workspace"])

    assert_error(client.get(f"{URL}/{theirs.pk}"), 404, "NOT_FOUND")
    assert_error(client.get(f"{URL}/{unscoped.pk}"), 404, "NOT_FOUND")
    assert_error(client.get(f"{URL}/{uuid.uuid4()}"), 404, "NOT_FOUND")
    assert_error(client.get(f"{URL}/not-a-uuid"), 404, "NOT_FOUND")
    # The other workspace's own admin does see it.
    assert client_for(stranger, other).get(f"{URL}/{theirs.pk}").status_code == 200


def test_workspace_header_picks_whose_trail(team, make_user, client_for):
    """A user who administers two workspaces sees each trail only under its own header."""
    second = make_workspace(team["admin"], name="Second")
    record(actor=team["admin"], action="custom.second", workspace=second)

    first_actions = actions(client_for(team["admin"], team["workspace"]).get(URL))
    second_actions = actions(client_for(team["admin"], second).get(URL))

    assert "custom.second" not in first_actions
    assert second_actions == ["custom.second", "workspace.created"]


# --- filters --------------------------------------------------------------------------------------

@pytest.fixture
def trail(team):
    """Events at known times in the team workspace (besides its workspace.created)."""
    ws = team["workspace"]
    base = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    events = {}
    with at(base):
        events["invited"] = record(actor=team["owner"], action="member.invited", workspace=ws,
                                   target=team["workspace"], resource_type="invitation")
    with at(base + timedelta(days=1)):
        events["role"] = record(actor=team["admin"], action="member.role_changed", workspace=ws,
                                resource_type="membership")
    with at(base + timedelta(days=2)):
        events["renamed"] = record(actor=team["admin"], action="workspace.updated", workspace=ws,
                                   target=team["workspace"])
    return events


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_filter_by_action(team, trail, client_for):
    client = client_for(team["admin"], team["workspace"])

    assert _ids(client.get(URL, {"action": "member.role_changed"})) == [str(trail["role"].pk)]
    assert _ids(client.get(URL, {"action": "nothing.happened"})) == []


def test_filter_by_resource_type(team, trail, client_for):
    client = client_for(team["admin"], team["workspace"])

    assert _ids(client.get(URL, {"resource_type": "membership"})) == [str(trail["role"].pk)]
    workspace_events = client.get(URL, {"resource_type": "workspace"})
    assert set(actions(workspace_events)) == {"workspace.created", "workspace.updated"}


def test_filter_by_user_id(team, trail, client_for):
    client = client_for(team["admin"], team["workspace"])

    assert _ids(client.get(URL, {"user_id": str(team["admin"].pk)})) == [str(trail["renamed"].pk),
                                                                         str(trail["role"].pk)]
    assert set(actions(client.get(URL, {"user_id": str(team["owner"].pk)}))) == {"member.invited",
                                                                                 "workspace.created"}


def test_filter_by_date_range(team, trail, client_for):
    client = client_for(team["admin"], team["workspace"])

    in_range = client.get(URL, {"date_from": "2024-03-02T00:00:00Z", "date_to": "2024-03-02T23:59:59Z"})
    assert _ids(in_range) == [str(trail["role"].pk)]
    # Bounds are inclusive.
    assert _ids(client.get(URL, {"date_from": "2024-03-01T12:00:00Z", "date_to": "2024-03-01T12:00:00Z"})) == [
        str(trail["invited"].pk)]
    up_to = client.get(URL, {"date_to": "2024-03-02T12:00:00+00:00"})
    assert _ids(up_to) == [str(trail["role"].pk), str(trail["invited"].pk)]
    since = client.get(URL, {"date_from": "2024-03-03T00:00:00Z"})
    assert "workspace.updated" in actions(since) and "member.role_changed" not in actions(since)


def test_filters_combine(team, trail, client_for):
    client = client_for(team["admin"], team["workspace"])

    response = client.get(URL, {"user_id": str(team["admin"].pk), "date_to": "2024-03-02T23:59:59Z"})
    assert _ids(response) == [str(trail["role"].pk)]


@pytest.mark.parametrize("params", [{"user_id": "not-a-uuid"}, {"date_from": "yesterday"},
                                    {"date_to": "2024-13-45T99:00:00Z"}])
def test_malformed_filters_are_validation_errors(team, client_for, params):
    response = client_for(team["admin"], team["workspace"]).get(URL, params)

    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == next(iter(params))


def test_pagination(team, client_for):
    for n in range(5):
        record(actor=team["owner"], action=f"custom.{n}", workspace=team["workspace"])
    client = client_for(team["admin"], team["workspace"])

    first = client.get(URL, {"limit": 2, "page": 1}).json()
    second = client.get(URL, {"limit": 2, "page": 2}).json()
    last = client.get(URL, {"limit": 2, "page": 3}).json()

    assert first["count"] == second["count"] == last["count"] == 6
    assert [len(p["results"]) for p in (first, second, last)] == [2, 2, 2]
    assert first["previous"] is None and "page=2" in first["next"] and "limit=2" in first["next"]
    assert second["previous"] is not None and second["next"] is not None
    assert last["next"] is None
    seen = [row["id"] for page in (first, second, last) for row in page["results"]]
    assert len(set(seen)) == 6
    assert_error(client.get(URL, {"limit": 2, "page": 4}), 404, "NOT_FOUND")


def test_default_page_size(team, client_for):
    for _ in range(25):
        record(actor=team["owner"], action="custom.bulk", workspace=team["workspace"])

    body = client_for(team["admin"], team["workspace"]).get(URL).json()

    assert body["count"] == 26
    assert len(body["results"]) == 20
    assert body["next"] is not None


# --- read-only API --------------------------------------------------------------------------------

def test_no_writes_through_the_api(team, client_for):
    event = AuditEvent.objects.get(workspace_id=team["workspace"].pk)
    client = client_for(team["owner"], team["workspace"])
    detail = f"{URL}/{event.pk}"

    assert_error(client.post(URL, {"action": "forged"}, format="json"), 405, "METHOD_NOT_ALLOWED")
    assert_error(client.put(detail, {"action": "forged"}, format="json"), 405, "METHOD_NOT_ALLOWED")
    assert_error(client.patch(detail, {"action": "forged"}, format="json"), 405, "METHOD_NOT_ALLOWED")
    assert_error(client.delete(detail), 405, "METHOD_NOT_ALLOWED")

    assert AuditEvent.objects.filter(workspace_id=team["workspace"].pk).count() == 1
    assert AuditEvent.objects.get(pk=event.pk).action == "workspace.created"
    assert not AuditEvent.objects.filter(action="forged").exists()


# --- append-only model ----------------------------------------------------------------------------

@pytest.fixture
def event(db):
    return record(actor=None, action="system.started", details={"version": "1"})


def test_saving_an_existing_event_is_refused(event):
    event.action = "system.tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "system.started"


def test_deleting_an_event_is_refused(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_and_delete_are_refused(event):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="system.tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    event.action = "system.tampered"
    # bulk_update runs in an atomic block without a savepoint; give it one so the test can go on.
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == "system.started"


def test_a_new_event_cannot_overwrite_an_existing_one(event):
    forged = AuditEvent(id=event.pk, action="system.tampered")
    with pytest.raises((AppendOnlyError, IntegrityError)), transaction.atomic():
        forged.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "system.started"


def test_record_without_actor_or_request(event):
    assert event.actor_id is None
    assert event.actor_email == ""
    assert event.workspace_id is None
    assert event.ip_address is None
    assert event.details == {"version": "1"}


# --- secrets --------------------------------------------------------------------------------------

def test_secrets_in_details_are_redacted(db):
    event = record(actor=None, action="custom.secrets", details={
        "password": "x", "Token": "t", "api_key": "k", "refresh_token": "r", "secret": "s", "name": "kept",
    })

    stored = AuditEvent.objects.get(pk=event.pk).details
    assert stored == {"password": "[redacted]", "Token": "[redacted]", "api_key": "[redacted]",
                      "refresh_token": "[redacted]", "secret": "[redacted]", "name": "kept"}


def test_nested_secrets_in_details_are_redacted(db):
    """'Never stored, whatever a caller passes in details' covers nested values too."""
    event = record(actor=None, action="custom.secrets", details={
        "connection": {"host": "db", "password": "hunter2"},
        "keys": [{"name": "ci", "secret": "s3"}],
    })

    stored = AuditEvent.objects.get(pk=event.pk).details
    assert stored == {"connection": {"host": "db", "password": "[redacted]"},
                      "keys": [{"name": "ci", "secret": "[redacted]"}]}
    assert "hunter2" not in str(stored) and "s3" not in str(stored)


def test_passwords_never_reach_the_trail_through_the_api(user, auth_client, password):
    response = auth_client.post("/api/v1/auth/password",
                                {"current_password": password, "new_password": "another horse battery 10"},
                                format="json")
    assert response.status_code in (200, 204), response.content

    for event in AuditEvent.objects.filter(actor_id=user.pk):
        assert password not in str(event.details)
        assert "another horse battery 10" not in str(event.details)


# --- Django admin ---------------------------------------------------------------------------------

@pytest.fixture
def admin_client_(system_admin):
    client = Client()
    client.force_login(system_admin)
    return client


def test_admin_lists_events(admin_client_, event):
    response = admin_client_.get("/admin/auditing/auditevent/")

    assert response.status_code == 200
    assert b"system.started" in response.content


def test_admin_cannot_add_events(admin_client_, event):
    assert admin_client_.get("/admin/auditing/auditevent/add/").status_code == 403
    response = admin_client_.post("/admin/auditing/auditevent/add/", {"action": "forged"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="forged").exists()


def test_admin_cannot_delete_events(admin_client_, event):
    assert admin_client_.get(f"/admin/auditing/auditevent/{event.pk}/delete/").status_code == 403
    assert admin_client_.post(f"/admin/auditing/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403

    changelist = admin_client_.get("/admin/auditing/auditevent/")
    assert b"delete_selected" not in changelist.content
    admin_client_.post("/admin/auditing/auditevent/",
                       {"action": "delete_selected", "_selected_action": [str(event.pk)], "post": "yes"})

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_admin_change_page_is_read_only(admin_client_, event):
    url = f"/admin/auditing/auditevent/{event.pk}/change/"
    page = admin_client_.get(url)
    assert page.status_code == 200
    assert b'name="action"' not in page.content  # shown, not editable

    response = admin_client_.post(url, {"action": "system.tampered"})
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "system.started"


def test_non_staff_users_cannot_open_the_admin(user, event):
    client = Client()
    client.force_login(user)

    response = client.get("/admin/auditing/auditevent/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_installation_admins_see_events_outside_any_workspace(system_admin, client_for, api_client, user):
    api_client.post("/api/v1/auth/login", {"email": user.email, "password": "wrong password"}, format="json")
    admin = client_for(system_admin)
    events = admin.get("/api/v1/admin/audit-logs", {"action": "auth.login_failed"}).json()
    assert events["count"] == 1 and events["results"][0]["details"]["identifier"] == user.email
    assert_error(client_for(user).get("/api/v1/admin/audit-logs"), 403, "PERMISSION_DENIED")
