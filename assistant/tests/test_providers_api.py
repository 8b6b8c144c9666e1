"""/api/v1/ai-providers: CRUD, write-only keys, validation, roles, isolation, and the connection test."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from assistant.models import AIProvider
from assistant.tests.fake_llm_server import OPENAI_401, FakeLLMServer, dead_port
from auditing.models import AuditEvent
from conftest import assert_error
from teams.tests.factories import Role, make_workspace

pytestmark = pytest.mark.django_db

KEY = "sk-api-Never-Shown-5566778899"


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


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


def create(client: Any, **payload: Any) -> Any:
    body = {"provider": "openai", "model": "gpt-4o-mini", "api_key": KEY, **payload}
    return client.post("/api/v1/ai-providers", body, format="json")


def test_create_list_retrieve_never_return_the_key(as_role, team):
    owner = as_role("owner")
    response = create(owner, name="Main")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["has_api_key"] is True and created["is_default"] is True and created["provider"] == "openai"
    assert "api_key" not in created and "api_key_encrypted" not in created
    texts = [response.content.decode(), owner.get("/api/v1/ai-providers").content.decode(),
             owner.get(f"/api/v1/ai-providers/{created['id']}/").content.decode(),
             as_role("viewer").get("/api/v1/ai-providers").content.decode()]
    for text in texts:
        assert KEY not in text and "api_key_encrypted" not in text
    stored = AIProvider.objects.get(pk=created["id"])
    assert stored.api_key_encrypted and KEY not in stored.api_key_encrypted and stored.api_key() == KEY
    assert stored.workspace == team["workspace"] and stored.created_by == team["owner"]
    events = AuditEvent.objects.filter(action__startswith="ai_provider.")
    assert events.count() == 1 and KEY not in str(list(events.values()))


def test_seed_003_request_shape_is_accepted(as_role):
    response = as_role("owner").post("/api/v1/ai-providers/", {"provider": "openai", "api_key": KEY,
                                                               "api_key_encrypted": True, "model": "gpt-4",
                                                               "is_default": True}, format="json")
    assert response.status_code == 201 and response.json()["name"] == "openai:gpt-4"


def test_first_is_default_and_the_default_moves(as_role):
    owner = as_role("owner")
    first = create(owner, name="A").json()
    second = create(owner, name="B").json()
    assert first["is_default"] and not second["is_default"]
    moved = owner.patch(f"/api/v1/ai-providers/{second['id']}", {"is_default": True}, format="json").json()
    assert moved["is_default"] is True
    assert owner.get(f"/api/v1/ai-providers/{first['id']}").json()["is_default"] is False
    assert owner.delete(f"/api/v1/ai-providers/{second['id']}").status_code == 204
    assert owner.get(f"/api/v1/ai-providers/{first['id']}").json()["is_default"] is True


def test_update_keeps_the_key_unless_given_and_audits_without_it(as_role):
    owner = as_role("owner")
    created = create(owner, name="A").json()
    updated = owner.patch(f"/api/v1/ai-providers/{created['id']}", {"model": "gpt-4.1", "temperature": 0.5},
                          format="json").json()
    assert updated["model"] == "gpt-4.1" and updated["temperature"] == 0.5 and updated["has_api_key"] is True
    new_key = "sk-rotated-Key-1122334455"
    response = owner.put(f"/api/v1/ai-providers/{created['id']}", {"api_key": new_key}, format="json")
    assert response.status_code == 200 and new_key not in response.content.decode()
    assert AIProvider.objects.get(pk=created["id"]).api_key() == new_key
    event = AuditEvent.objects.filter(action="ai_provider.updated").order_by("created_at").last()
    assert event.details["changed"] == ["api_key"] and new_key not in str(event.details)


def test_clearing_the_key_of_a_vendor_that_needs_one_is_refused(as_role):
    owner = as_role("owner")
    created = create(owner).json()
    error = assert_error(owner.patch(f"/api/v1/ai-providers/{created['id']}", {"api_key": ""}, format="json"), 400,
                         "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "api_key"


@pytest.mark.parametrize("payload, field", [
    ({"provider": "gemini-ultra"}, "provider"),
    ({"provider": None}, "provider"),
    ({"model": ""}, "model"),
    ({"provider": "anthropic", "model": ""}, "model"),
    ({"provider": "ollama", "model": "llama3", "base_url": ""}, "base_url"),
    ({"provider": "openai_compatible", "model": "m", "base_url": ""}, "base_url"),
    ({"provider": "ollama", "model": "llama3", "base_url": "ftp://files.example.com"}, "base_url"),
    ({"provider": "ollama", "model": "llama3", "base_url": "localhost:11434"}, "base_url"),
    ({"provider": "ollama", "model": "llama3", "base_url": "http://user:pw@llm.example.com"}, "base_url"),
    ({"provider": "openai_compatible", "model": "m", "base_url": "http://169.254.169.254/v1"}, "base_url"),
    ({"provider": "openai", "api_key": ""}, "api_key"),
    ({"temperature": 3}, "temperature"),
    ({"max_tokens": 0}, "max_tokens"),
    ({"timeout_seconds": 0}, "timeout_seconds"),
    ({"timeout_seconds": "soon"}, "timeout_seconds"),
])
def test_bad_inputs_are_field_errors(as_role, payload, field):
    error = assert_error(create(as_role("owner"), **payload), 400)
    assert error["code"] in ("VALIDATION_ERROR", "HOST_NOT_ALLOWED")
    assert field in {d["field"] for d in error["details"]}, error
    assert not AIProvider.objects.exists()


def test_builtin_needs_no_model_nor_key(as_role):
    response = as_role("owner").post("/api/v1/ai-providers", {"provider": "builtin"}, format="json")
    assert response.status_code == 201 and response.json()["has_api_key"] is False


def test_ollama_without_a_key_is_fine(as_role):
    response = create(as_role("owner"), provider="ollama", model="llama3", base_url="http://127.0.0.1:11434",
                      api_key="")
    assert response.status_code == 201 and response.json()["has_api_key"] is False


def test_duplicate_names_conflict(as_role):
    owner = as_role("owner")
    create(owner, name="Same")
    assert_error(create(owner, name="Same"), 409, "NAME_TAKEN")


def test_roles_viewers_read_only_admins_write_and_test(as_role, server):
    created = create(as_role("admin"), provider="openai_compatible", base_url=server.openai_url).json()
    for role in ("viewer", "analyst"):
        client = as_role(role)
        assert client.get("/api/v1/ai-providers").status_code == 200
        assert client.get(f"/api/v1/ai-providers/{created['id']}").status_code == 200
        assert_error(create(client, name=f"by-{role}"), 403)
        assert_error(client.patch(f"/api/v1/ai-providers/{created['id']}", {"model": "x"}, format="json"), 403)
        assert_error(client.post(f"/api/v1/ai-providers/{created['id']}/test"), 403)
        assert_error(client.delete(f"/api/v1/ai-providers/{created['id']}"), 403)
    assert as_role("admin").post(f"/api/v1/ai-providers/{created['id']}/test").status_code == 200
    assert as_role("owner").delete(f"/api/v1/ai-providers/{created['id']}").status_code == 204


def test_another_workspaces_provider_is_a_404(as_role, make_user, client_for):
    created = create(as_role("owner")).json()
    stranger = make_user()
    other = client_for(stranger)
    assert created["id"] not in other.get("/api/v1/ai-providers").content.decode()
    assert_error(other.get(f"/api/v1/ai-providers/{created['id']}"), 404)
    assert_error(other.post(f"/api/v1/ai-providers/{created['id']}/test"), 404)
    assert_error(other.delete(f"/api/v1/ai-providers/{created['id']}"), 404)


def test_the_test_endpoint_reports_success_against_a_live_server(as_role, server):
    owner = as_role("owner")
    created = create(owner, provider="openai_compatible", model="fake-gpt", base_url=server.openai_url).json()
    response = owner.post(f"/api/v1/ai-providers/{created['id']}/test")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["model"] == "fake-gpt" and body["latency_ms"] > 0
    assert set(body) == {"success", "model", "latency_ms", "message"}
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert AuditEvent.objects.filter(action="ai_provider.tested", details__success=True).exists()


def test_the_test_endpoint_reports_a_wrong_key_as_success_false(as_role, server):
    owner = as_role("owner")
    created = create(owner, base_url=server.openai_url).json()
    server.fail(401, OPENAI_401)
    response = owner.post(f"/api/v1/ai-providers/{created['id']}/test")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is False and "Incorrect API key provided" in body["message"]
    assert KEY not in response.content.decode()
    assert KEY not in str(list(AuditEvent.objects.values_list("details", flat=True)))


def test_the_test_endpoint_reports_a_dead_server_as_success_false(as_role):
    owner = as_role("owner")
    created = create(owner, provider="ollama", model="llama3", base_url=f"http://127.0.0.1:{dead_port()}").json()
    body = owner.post(f"/api/v1/ai-providers/{created['id']}/test").json()
    assert body["success"] is False and "Cannot reach" in body["message"]


def test_rotate_secrets_reencrypts_provider_keys(as_role, settings):
    from django.core.management import call_command

    created = create(as_role("owner")).json()
    old = AIProvider.objects.get(pk=created["id"]).api_key_encrypted
    settings.FERNET_KEYS = ["another brand new key", *settings.FERNET_KEYS]
    call_command("rotate_secrets")
    stored = AIProvider.objects.get(pk=created["id"])
    assert stored.api_key_encrypted != old
    settings.FERNET_KEYS = ["another brand new key"]
    assert stored.api_key() == KEY


def test_the_admin_never_shows_the_key(as_role, system_admin, client):
    created = create(as_role("owner")).json()
    system_admin.is_staff = True
    system_admin.is_superuser = True
    system_admin.save()
    client.force_login(system_admin)
    page = client.get(f"/admin/assistant/aiprovider/{created['id']}/change/")
    assert page.status_code == 200
    assert KEY not in page.content.decode() and "api_key_encrypted" not in page.content.decode()
