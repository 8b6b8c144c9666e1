"""CSV export of the audit trail, and the database-level append-only guard on PostgreSQL."""
from __future__ import annotations

import csv
import io

import pytest
from django.db import DatabaseError, connection, transaction

from auditing.models import AuditEvent
from auditing.services import record
from conftest import assert_error
from teams.roles import Role
from teams.tests.factories import make_workspace

URL = "/api/v1/audit-logs"


@pytest.fixture
def team(make_user):
    owner, admin, viewer = make_user(), make_user(), make_user()
    workspace = make_workspace(owner, members={admin: Role.ADMIN, viewer: Role.VIEWER})
    return {"workspace": workspace, "owner": owner, "admin": admin, "viewer": viewer}


def rows(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("how", [("export", {}), ("", {"format": "csv"})])
def test_admin_exports_the_filtered_trail_as_csv(team, client_for, make_user, how):
    path, params = how
    record(actor=team["owner"], action="member.invited", workspace=team["workspace"],
           details={"email": "=cmd|' /C calc'!A0"})
    record(actor=team["owner"], action="workspace.updated", workspace=team["workspace"])
    stranger = make_user()
    record(actor=stranger, action="member.invited", workspace=make_workspace(stranger, name="Other"))
    client = client_for(team["admin"], team["workspace"])

    exported = rows(client.get(f"{URL}/{path}".rstrip("/"), {**params, "action": "member.invited"}))

    assert len(exported) == 1
    assert exported[0]["action"] == "member.invited" and exported[0]["user_email"] == team["owner"].email
    assert exported[0]["details"].startswith("{") and "calc" in exported[0]["details"]
    everything = rows(client.get(f"{URL}/{path}".rstrip("/"), params))
    # The export itself is on the trail (recorded before the file is streamed).
    assert {r["action"] for r in everything} == {"member.invited", "workspace.updated", "workspace.created",
                                                 "audit_log.exported"}
    assert AuditEvent.objects.filter(action="audit_log.exported", workspace_id=team["workspace"].pk).count() == 2


def test_formula_cells_are_neutralised(team, client_for):
    record(actor=None, action="=HYPERLINK(1)", workspace=team["workspace"])
    exported = rows(client_for(team["admin"], team["workspace"]).get(f"{URL}/export"))
    assert "'=HYPERLINK(1)" in {r["action"] for r in exported}


def test_export_errors_stay_json(team, client_for):
    viewer = client_for(team["viewer"], team["workspace"])
    assert_error(viewer.get(f"{URL}/export"), 403, "PERMISSION_DENIED")
    assert_error(viewer.get(URL, {"format": "csv"}), 403, "PERMISSION_DENIED")
    admin = client_for(team["admin"], team["workspace"])
    assert_error(admin.get(f"{URL}/export", {"date_from": "yesterday"}), 400, "VALIDATION_ERROR")
    assert_error(admin.get(URL, {"format": "xml"}), 404)


def test_installation_admins_export_everything(team, client_for, system_admin, user):
    record(actor=user, action="auth.login_failed")
    exported = rows(client_for(system_admin).get("/api/v1/admin/audit-logs/export", {"action": "auth.login_failed"}))
    assert len(exported) == 1 and exported[0]["workspace_id"] == ""
    assert_error(client_for(team["owner"]).get("/api/v1/admin/audit-logs/export"), 403)


def test_deleting_users_and_workspaces_leaves_the_trail_alone(team, make_user):
    """Audit rows keep plain ids: no cascade reaches them (and on PostgreSQL none could)."""
    doomed = make_user()
    workspace = make_workspace(doomed, name="Doomed")
    record(actor=doomed, action="custom.before_delete", workspace=workspace)
    workspace_id, user_id = workspace.pk, doomed.pk
    before = AuditEvent.objects.filter(workspace_id=workspace_id).count()

    workspace.delete()
    doomed.delete()

    assert AuditEvent.objects.filter(workspace_id=workspace_id).count() == before == 2
    assert AuditEvent.objects.filter(actor_id=user_id, action="custom.before_delete").exists()


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "UPDATE auditing_auditevent SET action = 'tampered' WHERE id = %s",
    "DELETE FROM auditing_auditevent WHERE id = %s",
])
def test_postgresql_refuses_raw_update_and_delete(db, statement):
    event = record(actor=None, action="system.started")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [event.pk])

    assert AuditEvent.objects.get(pk=event.pk).action == "system.started"


@pytest.mark.postgres
def test_postgresql_refuses_truncate_unless_the_session_opts_in(db):
    event = record(actor=None, action="system.started")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL insightengine.allow_audit_truncate = 'off'")
        cursor.execute("TRUNCATE auditing_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL insightengine.allow_audit_truncate = 'off'")
        cursor.execute("TRUNCATE auditing_auditevent, auditing_webhook CASCADE")  # with other tables, too
    assert AuditEvent.objects.filter(pk=event.pk).exists()

    with transaction.atomic(), connection.cursor() as cursor:  # the deliberate purge
        cursor.execute("SET LOCAL insightengine.allow_audit_truncate = 'on'")
        cursor.execute("TRUNCATE auditing_auditevent")
    assert not AuditEvent.objects.exists()
