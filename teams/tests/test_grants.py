"""Per-resource grants: `GET/PUT /api/v1/permissions/{resource_id}`, `DELETE /permissions/{id}/{user_id}`
on data sources (none / read / view_pii), saved queries, chat sessions and documents (none / read / write),
enforced on every path that reads the resource."""
from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from auditing.models import AuditEvent
from conftest import assert_error
from metadata.tests.fixtures import register, share_files, sync
from teams.tests.factories import make_workspace

pytestmark = pytest.mark.django_db

EXECUTE = "/api/v1/queries/execute"
EMAILS = "SELECT email, country FROM customers ORDER BY customer_id"


@pytest.fixture
def team(user, make_user, client_for, sqlite_file, files_dir, settings, tmp_path,
         django_capture_on_commit_callbacks) -> dict[str, Any]:
    """Owner, admin, two analysts and a viewer over a synced SQLite source whose customers.email is PII."""
    settings.DOCUMENTS_DIR = tmp_path / "documents"
    admin, analyst, other, viewer = make_user(), make_user(), make_user(), make_user()
    workspace = make_workspace(user, members={admin: "admin", analyst: "analyst", other: "analyst",
                                              viewer: "viewer"})
    share_files(files_dir, workspace)
    owner = client_for(user, workspace)
    ds = register(owner, engine="sqlite", database="shop.sqlite3")
    sync(owner, ds["id"], django_capture_on_commit_callbacks)
    owner.put("/api/v1/metadata/columns/customers/email", {"tags": ["PII"]}, format="json")
    users = {"owner": user, "admin": admin, "analyst": analyst, "other": other, "viewer": viewer}
    return {"ds": ds, "workspace": workspace, "users": users, "capture": django_capture_on_commit_callbacks,
            **{name: client_for(u, workspace) for name, u in users.items() if name != "owner"}, "owner": owner}


def grant(client, resource_id, user, permission):
    return client.put(f"/api/v1/permissions/{resource_id}", {"user_id": str(user.pk), "permission": permission},
                      format="json")


# --- data sources ----------------------------------------------------------------------------------

def test_none_takes_a_data_source_away_on_every_path_and_delete_gives_it_back(team):
    ds, analyst = team["ds"]["id"], team["users"]["analyst"]
    response = grant(team["admin"], ds, analyst, "none")
    assert response.status_code == 200, response.content
    assert response.json()["resource_type"] == "data_source" and response.json()["permission"] == "none"

    client = team["analyst"]
    assert client.get("/api/v1/databases").json()["results"] == []
    assert_error(client.get(f"/api/v1/databases/{ds}"), 404)
    assert_error(client.get(f"/api/v1/databases/{ds}/schema"), 404)
    assert_error(client.get(f"/api/v1/schema?database_id={ds}"), 404, "DATA_SOURCE_NOT_FOUND")
    assert_error(client.get("/api/v1/metadata/tables"), 404, "NO_DATA_SOURCE")  # the default one is gone too
    assert_error(client.post(EXECUTE, {"input": "SELECT 1", "database_id": ds}, format="json"), 404)
    assert_error(client.post("/api/v1/queries/validate", {"sql": "SELECT 1", "database_id": ds}, format="json"), 404)
    assert_error(client.post(EXECUTE, {"mode": "ai", "input": "how many customers", "database_id": ds},
                             format="json"), 404)
    hits = client.post("/api/v1/search", {"q": "customers", "type": ["tables"]}, format="json").json()
    assert hits["results"] == []
    # Everyone else still has it.
    assert team["other"].post(EXECUTE, {"input": "SELECT count(*) FROM customers", "database_id": ds},
                              format="json").status_code == 200

    assert team["admin"].delete(f"/api/v1/permissions/{ds}/{analyst.pk}").status_code == 204
    body = client.post(EXECUTE, {"input": "SELECT count(*) FROM customers", "database_id": ds}, format="json")
    assert body.status_code == 200 and body.json()["results"] == [[3]]
    assert_error(team["admin"].delete(f"/api/v1/permissions/{ds}/{analyst.pk}"), 404, "GRANT_NOT_FOUND")


def test_view_pii_unmasks_one_source_for_one_analyst(team):
    ds, analyst = team["ds"]["id"], team["users"]["analyst"]
    masked = team["analyst"].post(EXECUTE, {"input": EMAILS, "database_id": ds}, format="json").json()
    assert masked["results"][0] == ["a***@example.com", "Germany"]

    assert grant(team["owner"], ds, analyst, "view_pii").status_code == 200
    clear = team["analyst"].post(EXECUTE, {"input": EMAILS, "database_id": ds}, format="json").json()
    assert clear["results"][0] == ["ana@example.com", "Germany"] and clear["masked_columns"] == []
    # Only for that analyst.
    other = team["other"].post(EXECUTE, {"input": EMAILS, "database_id": ds}, format="json").json()
    assert other["results"][0] == ["a***@example.com", "Germany"]

    assert grant(team["owner"], ds, analyst, "read").status_code == 200
    again = team["analyst"].post(EXECUTE, {"input": EMAILS, "database_id": ds}, format="json").json()
    assert again["results"][0] == ["a***@example.com", "Germany"]


def test_who_may_grant_and_what_is_refused(team):
    ds, users = team["ds"]["id"], team["users"]
    # Analysts and viewers do not manage data sources.
    assert_error(grant(team["analyst"], ds, users["other"], "none"), 403, "NOT_RESOURCE_MANAGER")
    assert_error(grant(team["viewer"], ds, users["other"], "none"), 403)
    # Nonsense is a 400 with the field named, never a 500.
    assert_error(grant(team["admin"], ds, users["analyst"], "write"), 400, "INVALID_PERMISSION")
    assert_error(grant(team["admin"], ds, users["analyst"], "owner"), 400)
    assert_error(team["admin"].put(f"/api/v1/permissions/{ds}", {"permission": "read"}, format="json"), 400)
    assert_error(team["admin"].put(f"/api/v1/permissions/{ds}", {"user_id": "x", "permission": "read"},
                                   format="json"), 400)
    assert_error(team["admin"].put(f"/api/v1/permissions/{ds}", ["read"], format="json"), 400)
    assert_error(grant(team["admin"], ds, users["admin"], "none"), 400, "ADMIN_CANNOT_BE_EXCLUDED")
    assert_error(grant(team["admin"], ds, users["owner"], "none"), 400, "ADMIN_CANNOT_BE_EXCLUDED")
    assert_error(grant(team["admin"], "not-a-uuid", users["analyst"], "read"), 404, "RESOURCE_NOT_FOUND")
    assert_error(grant(team["admin"], "00000000-0000-0000-0000-000000000000", users["analyst"], "read"), 404)
    assert_error(team["admin"].delete(f"/api/v1/permissions/{ds}/not-a-uuid"), 404)


def test_another_workspace_neither_sees_nor_grants(team, make_user, client_for):
    stranger = make_user()
    theirs = client_for(stranger, stranger.memberships.get().workspace)
    assert_error(grant(theirs, team["ds"]["id"], team["users"]["analyst"], "none"), 404, "RESOURCE_NOT_FOUND")
    assert_error(theirs.get(f"/api/v1/permissions/{team['ds']['id']}"), 404)
    # Nor can a member be granted a resource in a workspace they are not in.
    assert_error(grant(team["admin"], team["ds"]["id"], stranger, "read"), 400, "NOT_A_MEMBER")


def test_changes_are_listed_and_audited(team):
    ds, analyst = team["ds"]["id"], team["users"]["analyst"]
    grant(team["admin"], ds, analyst, "view_pii")
    listed = team["admin"].get(f"/api/v1/permissions/{ds}").json()
    assert listed["resource_type"] == "data_source" and listed["title"] == team["ds"]["name"]
    assert [(g["user_id"], g["permission"]) for g in listed["grants"]] == [(str(analyst.pk), "view_pii")]
    team["admin"].delete(f"/api/v1/permissions/{ds}/{analyst.pk}")
    actions = list(AuditEvent.objects.filter(resource_id=ds).values_list("action", "details"))
    assert ("permission.granted", {"resource_type": "data_source", "user_id": str(analyst.pk),
                                   "permission": "view_pii"}) in actions
    assert any(action == "permission.revoked" for action, _ in actions)
    assert_error(team["analyst"].get(f"/api/v1/permissions/{ds}"), 403)


# --- saved queries ---------------------------------------------------------------------------------

def test_saved_query_grants_are_its_shares(team):
    users = team["users"]
    saved = team["analyst"].post("/api/v1/saved-queries", {"title": "By country", "sql": "SELECT country, count(*) "
                                 "AS n FROM customers GROUP BY country", "database_id": team["ds"]["id"]},
                                 format="json").json()
    sid = saved["id"]
    assert_error(team["other"].get(f"/api/v1/saved-queries/{sid}"), 404)
    # Its owner grants; another analyst may not, and does not even learn it exists.
    assert_error(grant(team["other"], sid, users["viewer"], "read"), 404, "RESOURCE_NOT_FOUND")
    assert grant(team["analyst"], sid, users["other"], "read").json()["resource_type"] == "saved_query"
    assert team["other"].get(f"/api/v1/saved-queries/{sid}").status_code == 200
    assert team["other"].post(f"/api/v1/saved-queries/{sid}/run", {}, format="json").status_code == 200
    assert_error(team["other"].put(f"/api/v1/saved-queries/{sid}", {"title": "Mine now"}, format="json"), 403)

    assert grant(team["analyst"], sid, users["other"], "write").status_code == 200
    assert team["other"].put(f"/api/v1/saved-queries/{sid}", {"title": "Renamed"}, format="json").status_code == 200
    # The same grant as /saved-queries/{id}/share shows.
    assert [g["permission"] for g in team["analyst"].get(f"/api/v1/permissions/{sid}").json()["grants"]] == ["write"]
    assert_error(grant(team["analyst"], sid, users["viewer"], "write"), 400, "VIEWER_CANNOT_WRITE")
    assert_error(grant(team["analyst"], sid, users["analyst"], "read"), 400, "OWNER_HAS_EVERY_RIGHT")
    assert_error(grant(team["analyst"], sid, users["other"], "view_pii"), 400, "INVALID_PERMISSION")

    assert grant(team["analyst"], sid, users["other"], "none").status_code == 200
    assert_error(team["other"].get(f"/api/v1/saved-queries/{sid}"), 404)
    assert team["analyst"].get(f"/api/v1/permissions/{sid}").json()["grants"] == []


# --- chat sessions ---------------------------------------------------------------------------------

def test_a_private_session_granted_read_is_followed_not_written_and_write_lets_one_ask(team):
    users = team["users"]
    session = team["analyst"].post("/api/v1/chat/sessions", {"title": "Private"}, format="json").json()
    sid = session["id"]
    assert_error(team["other"].get(f"/api/v1/chat/sessions/{sid}"), 404)

    assert grant(team["analyst"], sid, users["other"], "read").json()["resource_type"] == "chat_session"
    assert team["other"].get(f"/api/v1/chat/sessions/{sid}").status_code == 200
    assert sid in [s["id"] for s in team["other"].get("/api/v1/chat/sessions").json()["results"]]
    assert team["other"].get(f"/api/v1/chat/sessions/{sid}/messages").status_code == 200
    assert_error(team["other"].post(f"/api/v1/chat/sessions/{sid}/messages", {"content": "How many customers?"},
                                    format="json"), 403, "READ_ONLY_GRANT")

    assert grant(team["analyst"], sid, users["other"], "write").status_code == 200
    with team["capture"](execute=True):
        asked = team["other"].post(f"/api/v1/chat/sessions/{sid}/messages", {"content": "How many customers?"},
                                   format="json")
    assert asked.status_code == 201, asked.content

    # Grants are managed by the creator or an admin; a write-grantee does not re-share.
    assert_error(grant(team["other"], sid, users["viewer"], "read"), 403, "NOT_RESOURCE_MANAGER")


def test_none_hides_a_shared_session_from_one_member(team):
    session = team["analyst"].post("/api/v1/chat/sessions", {"title": "Team", "shared": True}, format="json").json()
    sid = session["id"]
    assert team["other"].get(f"/api/v1/chat/sessions/{sid}").status_code == 200
    assert grant(team["admin"], sid, team["users"]["other"], "none").status_code == 200
    assert_error(team["other"].get(f"/api/v1/chat/sessions/{sid}"), 404)
    assert sid not in [s["id"] for s in team["other"].get("/api/v1/chat/sessions").json()["results"]]
    assert_error(team["other"].post(f"/api/v1/chat/sessions/{sid}/messages", {"content": "hi"}, format="json"), 404)
    assert team["viewer"].get(f"/api/v1/chat/sessions/{sid}").status_code == 200


# --- documents -------------------------------------------------------------------------------------

def test_none_hides_a_document_from_lists_downloads_and_retrieval(team):
    from knowledge import retrieval

    users = team["users"]
    text = b"Churn rate is the share of customers who cancel within a quarter."
    with team["capture"](execute=True):
        uploaded = team["admin"].post("/api/v1/documents", {"file": SimpleUploadedFile("churn.txt", text)},
                                      format="multipart")
    assert uploaded.status_code == 202, uploaded.content
    doc = uploaded.json()["id"]
    assert team["other"].get("/api/v1/documents/search?q=churn rate").json()

    assert grant(team["admin"], doc, users["other"], "none").json()["resource_type"] == "document"
    assert team["other"].get("/api/v1/documents").json()["results"] == []
    assert_error(team["other"].get(f"/api/v1/documents/{doc}"), 404)
    assert_error(team["other"].get(f"/api/v1/documents/{doc}/download"), 404)
    assert team["other"].get("/api/v1/documents/search?q=churn rate").json() == []
    assert retrieval.search(team["workspace"], "churn rate", sources=("documents",), user=users["other"]) == []
    assert retrieval.search(team["workspace"], "churn rate", sources=("documents",), user=users["analyst"])
    assert team["other"].post("/api/v1/search", {"q": "churn", "type": ["documents"]},
                              format="json").json()["results"] == []
    assert_error(grant(team["admin"], doc, users["owner"], "none"), 400, "ADMIN_CANNOT_BE_EXCLUDED")
    assert_error(grant(team["admin"], doc, users["admin"], "read"), 400, "OWNER_HAS_EVERY_RIGHT")  # the uploader

    # write lets an analyst who did not upload it delete it.
    assert_error(team["analyst"].delete(f"/api/v1/documents/{doc}"), 403)
    assert grant(team["admin"], doc, users["analyst"], "write").status_code == 200
    assert team["analyst"].delete(f"/api/v1/documents/{doc}").status_code == 204
