"""/api/v1/system-prompts (versioned, one active) and /api/v1/user-prompts (private), plus the seed 001 spellings."""
from __future__ import annotations

from typing import Any

import pytest

from assistant.models import SystemPrompt, UserPrompt
from assistant.prompts import DEFAULT_SYSTEM_PROMPT, active_system_prompt_text
from auditing.models import AuditEvent
from conftest import assert_error
from teams.tests.factories import Role, make_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(user, make_user) -> dict[str, Any]:
    people = {"admin": make_user(), "analyst": make_user(), "viewer": make_user()}
    workspace = make_workspace(user, members={people["admin"]: Role.ADMIN, people["analyst"]: Role.ANALYST,
                                              people["viewer"]: Role.VIEWER})
    return {"workspace": workspace, "owner": user, **people}


@pytest.fixture
def as_role(team, client_for):
    def build(role: str) -> Any:
        return client_for(team[role], team["workspace"])

    return build


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


# --- system prompts ------------------------------------------------------------------------------------

def test_the_default_text_applies_until_a_prompt_is_configured(as_role, team):
    assert active_system_prompt_text(team["workspace"]) == DEFAULT_SYSTEM_PROMPT
    created = as_role("admin").post("/api/v1/system-prompts", {"prompt_text": "Be terse."}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["prompt_id"] == body["id"] and body["version"] == 1 and body["is_active"] is True
    assert body["prompt_text"] == "Be terse." and body["name"] == "default"
    assert active_system_prompt_text(team["workspace"]) == "Be terse."


def test_editing_adds_a_version_and_keeps_the_old_one(as_role, team):
    admin = as_role("admin")
    v1 = admin.post("/api/v1/system-prompts", {"name": "house", "prompt_text": "One."}, format="json").json()
    v2 = admin.put(f"/api/v1/system-prompts/{v1['id']}", {"prompt_text": "Two."}, format="json")
    assert v2.status_code == 201
    v2 = v2.json()
    assert v2["id"] != v1["id"] and v2["version"] == 2 and v2["name"] == "house" and v2["is_active"] is True
    v3 = admin.patch(f"/api/v1/system-prompts/{v1['id']}/", {"prompt_text": "Three."}, format="json").json()
    assert v3["version"] == 3
    assert active_system_prompt_text(team["workspace"]) == "Three."
    versions = admin.get(f"/api/v1/system-prompts/{v1['id']}/versions").json()
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert [v["prompt_text"] for v in versions] == ["Three.", "Two.", "One."]
    latest_only = results(admin.get("/api/v1/system-prompts"))
    assert [(p["name"], p["version"]) for p in latest_only] == [("house", 3)]
    assert len(results(admin.get("/api/v1/system-prompts?all_versions=true"))) == 3
    assert SystemPrompt.objects.filter(is_active=True).count() == 1


def test_activate_rolls_back_and_exactly_one_is_active(as_role, team):
    admin = as_role("admin")
    first = admin.post("/api/v1/system-prompts", {"name": "a", "prompt_text": "A1"}, format="json").json()
    second = admin.post("/api/v1/system-prompts", {"name": "b", "prompt_text": "B1"}, format="json").json()
    assert first["is_active"] is True and second["is_active"] is False
    activated = admin.post(f"/api/v1/system-prompts/{second['id']}/activate")
    assert activated.status_code == 200 and activated.json()["is_active"] is True
    assert active_system_prompt_text(team["workspace"]) == "B1"
    assert SystemPrompt.objects.filter(workspace=team["workspace"], is_active=True).count() == 1
    admin.post(f"/api/v1/system-prompts/{second['id']}/deactivate")
    assert active_system_prompt_text(team["workspace"]) == DEFAULT_SYSTEM_PROMPT
    actions = set(AuditEvent.objects.filter(action__startswith="system_prompt.").values_list("action", flat=True))
    assert actions == {"system_prompt.created", "system_prompt.activated", "system_prompt.deactivated"}


def test_delete_removes_every_version(as_role, team):
    admin = as_role("admin")
    v1 = admin.post("/api/v1/system-prompts", {"prompt_text": "x"}, format="json").json()
    admin.put(f"/api/v1/system-prompts/{v1['id']}", {"prompt_text": "y"}, format="json")
    assert admin.delete(f"/api/v1/system-prompts/{v1['id']}").status_code == 204
    assert not SystemPrompt.objects.exists()
    assert active_system_prompt_text(team["workspace"]) == DEFAULT_SYSTEM_PROMPT


def test_members_read_only_admins_write(as_role):
    created = as_role("owner").post("/api/v1/system-prompts", {"prompt_text": "x"}, format="json").json()
    for role in ("viewer", "analyst"):
        client = as_role(role)
        assert len(results(client.get("/api/v1/system-prompts"))) == 1
        assert client.get(f"/api/v1/system-prompts/{created['id']}/versions").status_code == 200
        assert_error(client.post("/api/v1/system-prompts", {"prompt_text": "mine"}, format="json"), 403)
        assert_error(client.put(f"/api/v1/system-prompts/{created['id']}", {"prompt_text": "z"}, format="json"), 403)
        assert_error(client.post(f"/api/v1/system-prompts/{created['id']}/activate"), 403)
        assert_error(client.delete(f"/api/v1/system-prompts/{created['id']}"), 403)


def test_system_prompt_validation(as_role):
    admin = as_role("admin")
    error = assert_error(admin.post("/api/v1/system-prompts", {}, format="json"), 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "prompt_text"
    assert_error(admin.post("/api/v1/system-prompts", {"prompt_text": "   "}, format="json"), 400, "VALIDATION_ERROR")
    assert_error(admin.post("/api/v1/system-prompts", {"prompt_text": "x" * 20_001}, format="json"), 400)


def test_seed_001_spelling_is_the_same_endpoint(as_role):
    admin = as_role("admin")
    created = admin.post("/api/v1/system_prompts/", {"prompt_text": "Seed"}, format="json")
    assert created.status_code == 201 and created.json()["prompt_text"] == "Seed"
    listed = results(admin.get("/api/v1/system_prompts"))
    assert [p["prompt_id"] for p in listed] == [created.json()["prompt_id"]]
    assert admin.delete(f"/api/v1/system_prompts/{created.json()['prompt_id']}").status_code == 204


def test_another_workspaces_system_prompt_is_a_404(as_role, make_user, client_for):
    created = as_role("admin").post("/api/v1/system-prompts", {"prompt_text": "x"}, format="json").json()
    other = client_for(make_user())
    assert_error(other.get(f"/api/v1/system-prompts/{created['id']}"), 404)
    assert_error(other.post(f"/api/v1/system-prompts/{created['id']}/activate"), 404)


# --- user prompts --------------------------------------------------------------------------------------

def test_user_prompts_are_private_to_their_owner(as_role, team):
    analyst, viewer = as_role("analyst"), as_role("viewer")
    response = analyst.post("/api/v1/user-prompts", {"title": "Weekly", "prompt_text": "Revenue last week",
                                                     "tags": ["sales", " sales ", "weekly"]}, format="json")
    assert response.status_code == 201
    mine = response.json()
    assert mine["prompt_id"] == mine["id"] and mine["user_id"] == str(team["analyst"].pk)
    assert mine["tags"] == ["sales", "weekly"]
    assert [p["id"] for p in results(analyst.get("/api/v1/user-prompts"))] == [mine["id"]]
    assert results(viewer.get("/api/v1/user-prompts")) == []
    assert results(as_role("owner").get("/api/v1/user-prompts")) == []  # not even the workspace owner
    assert_error(viewer.get(f"/api/v1/user-prompts/{mine['id']}"), 404)
    assert_error(viewer.patch(f"/api/v1/user-prompts/{mine['id']}", {"title": "hijack"}, format="json"), 404)
    assert_error(as_role("owner").delete(f"/api/v1/user-prompts/{mine['id']}"), 404)
    updated = analyst.patch(f"/api/v1/user-prompts/{mine['id']}", {"title": "Weekly revenue"}, format="json")
    assert updated.status_code == 200 and updated.json()["title"] == "Weekly revenue"
    assert updated.json()["prompt_text"] == "Revenue last week"
    assert analyst.delete(f"/api/v1/user-prompts/{mine['id']}").status_code == 204
    assert not UserPrompt.objects.exists()
    actions = list(AuditEvent.objects.filter(action__startswith="user_prompt.").order_by("created_at")
                   .values_list("action", flat=True))
    assert actions == ["user_prompt.created", "user_prompt.updated", "user_prompt.deleted"]


def test_a_viewer_may_keep_snippets_too(as_role):
    response = as_role("viewer").post("/api/v1/user-prompts", {"prompt_text": "Top products"}, format="json")
    assert response.status_code == 201 and response.json()["title"] == ""


def test_user_prompt_validation(as_role):
    client = as_role("analyst")
    error = assert_error(client.post("/api/v1/user-prompts", {"title": "t"}, format="json"), 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "prompt_text"
    error = assert_error(client.post("/api/v1/user-prompts", {"prompt_text": "p", "tags": "not-a-list"},
                                     format="json"), 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "tags"


def test_seed_001_user_prompt_paths(as_role, team):
    analyst = as_role("analyst")
    created = analyst.post("/api/v1/user_prompts", {"prompt_text": "Seed text", "user_id": str(team["owner"].pk)},
                           format="json").json()
    assert created["user_id"] == str(team["analyst"].pk)  # the caller, whatever the body claims
    listed = results(analyst.get(f"/api/v1/user_prompts/user/{team['analyst'].pk}"))
    assert [p["prompt_id"] for p in listed] == [created["prompt_id"]]
    assert_error(analyst.get(f"/api/v1/user_prompts/user/{team['owner'].pk}"), 404)
    updated = analyst.put(f"/api/v1/user_prompts/{created['prompt_id']}", {"prompt_text": "New"}, format="json")
    assert updated.json()["prompt_text"] == "New"


def test_the_admin_adds_inactive_versions(as_role, team, system_admin, client):
    as_role("admin").post("/api/v1/system-prompts", {"name": "house", "prompt_text": "One."}, format="json")
    system_admin.is_staff = system_admin.is_superuser = True
    system_admin.save()
    client.force_login(system_admin)
    response = client.post("/admin/assistant/systemprompt/add/", {
        "workspace": str(team["workspace"].pk), "name": "house", "prompt_text": "Two.", "is_active": "on"})
    assert response.status_code == 302, [line for line in response.content.decode().splitlines() if "errorlist" in line]
    assert list(SystemPrompt.objects.order_by("version").values_list("version", "is_active")) == [(1, True), (2, False)]
    assert active_system_prompt_text(team["workspace"]) == "One."
