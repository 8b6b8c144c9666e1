"""GET/POST/PATCH /api/v1/workspaces: the workspaces you belong to, with your role in each."""
from __future__ import annotations

from rest_framework.test import APIClient

from auditing.models import AuditEvent
from conftest import PASSWORD, assert_error
from teams.models import Membership, Workspace
from teams.roles import Role
from teams.tests.factories import make_workspace

URL = "/api/v1/workspaces"


def _by_id(body: dict) -> dict[str, dict]:
    return {row["id"]: row for row in body["results"]}


def test_registration_creates_a_personal_workspace_owned_by_the_new_user(db):
    client = APIClient()
    response = client.post("/api/v1/auth/register",
                           {"email": "ana@example.com", "password": PASSWORD, "name": "Ana"}, format="json")
    assert response.status_code == 201, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")

    response = client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [workspace] = body["results"]
    assert workspace["is_personal"] is True
    assert workspace["role"] == Role.OWNER
    assert workspace["name"] == "Ana's workspace"
    assert Membership.objects.get(workspace_id=workspace["id"]).user.email == "ana@example.com"


def test_list_shows_only_my_workspaces_with_my_role_in_each(make_user, client_for):
    me, other, stranger = make_user(), make_user(), make_user()
    shared_as_viewer = make_workspace(other, name="Other's team", members={me: Role.VIEWER})
    mine = make_workspace(me, name="My team")
    foreign = make_workspace(stranger, name="Stranger's team")

    response = client_for(me).get(URL)

    assert response.status_code == 200
    rows = _by_id(response.json())
    personal = Membership.objects.get(user=me, workspace__is_personal=True).workspace
    assert set(rows) == {str(personal.pk), str(shared_as_viewer.pk), str(mine.pk)}
    assert str(foreign.pk) not in rows
    assert rows[str(shared_as_viewer.pk)]["role"] == Role.VIEWER
    assert rows[str(mine.pk)]["role"] == Role.OWNER
    assert rows[str(personal.pk)]["role"] == Role.OWNER
    assert rows[str(mine.pk)]["is_personal"] is False
    assert rows[str(mine.pk)]["name"] == "My team"


def test_list_requires_authentication(db):
    assert_error(APIClient().get(URL), 401, "NOT_AUTHENTICATED")


def test_create_makes_me_the_owner(user, auth_client):
    response = auth_client.post(URL, {"name": "Data team"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Data team"
    assert body["role"] == Role.OWNER
    assert body["is_personal"] is False
    workspace = Workspace.objects.get(pk=body["id"])
    assert workspace.created_by == user
    assert list(workspace.memberships.values_list("user_id", "role")) == [(user.pk, Role.OWNER)]
    assert AuditEvent.objects.filter(workspace_id=workspace.pk, action="workspace.created",
                                     actor_id=user.pk).exists()
    # It now shows up in my list.
    assert body["id"] in _by_id(auth_client.get(URL).json())


def test_create_without_a_name_is_a_validation_error(auth_client):
    error = assert_error(auth_client.post(URL, {}, format="json"), 400, "VALIDATION_ERROR")
    assert [d["field"] for d in error["details"]] == ["name"]
    assert not Workspace.objects.filter(is_personal=False).exists()


def test_create_with_too_long_a_name_is_a_validation_error(auth_client):
    assert_error(auth_client.post(URL, {"name": "x" * 121}, format="json"), 400, "VALIDATION_ERROR")


def test_retrieve_my_workspace(make_user, client_for):
    owner, viewer = make_user(), make_user()
    workspace = make_workspace(owner, members={viewer: Role.VIEWER})

    response = client_for(viewer).get(f"{URL}/{workspace.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == str(workspace.pk)
    assert response.json()["role"] == Role.VIEWER


def test_patch_by_owner_and_admin_renames(make_user, client_for):
    owner, admin = make_user(), make_user()
    workspace = make_workspace(owner, name="Old", members={admin: Role.ADMIN})

    response = client_for(owner).patch(f"{URL}/{workspace.pk}", {"name": "New"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "New"
    assert response.json()["role"] == Role.OWNER

    response = client_for(admin).patch(f"{URL}/{workspace.pk}", {"name": "Newer"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["role"] == Role.ADMIN

    workspace.refresh_from_db()
    assert workspace.name == "Newer"
    event = AuditEvent.objects.filter(workspace_id=workspace.pk, action="workspace.updated",
                                      actor_id=admin.pk).get()
    assert event.details == {"name": {"from": "New", "to": "Newer"}}


def test_patch_by_non_admin_member_is_forbidden(make_user, client_for):
    owner, analyst, viewer = make_user(), make_user(), make_user()
    workspace = make_workspace(owner, name="Keep", members={analyst: Role.ANALYST, viewer: Role.VIEWER})

    for member in (analyst, viewer):
        response = client_for(member).patch(f"{URL}/{workspace.pk}", {"name": "Hijacked"}, format="json")
        assert_error(response, 403, "PERMISSION_DENIED")

    workspace.refresh_from_db()
    assert workspace.name == "Keep"
    assert not AuditEvent.objects.filter(workspace_id=workspace.pk, action="workspace.updated").exists()


def test_another_users_workspace_is_not_found(make_user, client_for):
    owner, outsider = make_user(), make_user()
    workspace = make_workspace(owner, name="Private")
    client = client_for(outsider)

    assert_error(client.get(f"{URL}/{workspace.pk}"), 404, "NOT_FOUND")
    assert_error(client.patch(f"{URL}/{workspace.pk}", {"name": "Mine now"}, format="json"), 404, "NOT_FOUND")

    workspace.refresh_from_db()
    assert workspace.name == "Private"


def test_unknown_and_malformed_workspace_ids_are_not_found(auth_client):
    assert_error(auth_client.get(f"{URL}/00000000-0000-0000-0000-000000000000"), 404, "NOT_FOUND")
    assert_error(auth_client.get(f"{URL}/not-a-uuid"), 404, "NOT_FOUND")


def test_put_and_delete_are_not_allowed(user, auth_client):
    workspace = Membership.objects.get(user=user).workspace

    assert_error(auth_client.put(f"{URL}/{workspace.pk}", {"name": "x"}, format="json"), 405, "METHOD_NOT_ALLOWED")
    assert_error(auth_client.delete(f"{URL}/{workspace.pk}"), 405, "METHOD_NOT_ALLOWED")
    assert Workspace.objects.filter(pk=workspace.pk).exists()


def test_paths_work_with_and_without_trailing_slash(user, auth_client):
    """Seeds use no trailing slash (the paths used throughout these tests); Django habits add one."""
    workspace = Membership.objects.get(user=user).workspace

    for path in ("/api/v1/workspaces", f"/api/v1/workspaces/{workspace.pk}", "/api/v1/team/members",
                 f"/api/v1/team/members/{user.pk}"):
        assert auth_client.get(path).status_code == 200, path
        assert auth_client.get(f"{path}/").status_code == 200, path
