"""User administration (system admins only), quotas, API keys, settings, rate limits."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import ApiKey, Quota, User
from accounts.services import QuotaExceeded, quota_consume
from auditing.models import AuditEvent
from conftest import PASSWORD, assert_error, login
from teams.tests.factories import make_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(system_admin, client_for):
    return client_for(system_admin)


# --- users -----------------------------------------------------------------------------------

@pytest.mark.parametrize("base", ["/api/v1/users", "/api/v1/admin/users"])
def test_admin_lists_and_searches_users(admin_client, make_user, base):
    make_user(email="zed@example.com", name="Zed")
    response = admin_client.get(base, {"q": "zed"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["results"][0]["email"] == "zed@example.com"


@pytest.mark.parametrize("base", ["/api/v1/users", "/api/v1/admin/users"])
def test_non_admin_cannot_use_user_administration(auth_client, user, base):
    assert_error(auth_client.get(base), 403, "PERMISSION_DENIED")
    assert_error(auth_client.patch(f"{base}/{user.pk}", {"role": "admin"}, format="json"), 403, "PERMISSION_DENIED")
    user.refresh_from_db()
    assert user.role == "user"


def test_admin_creates_a_user_who_can_log_in(admin_client, api_client):
    response = admin_client.post("/api/v1/users", {"email": "new@example.com", "password": "a long passphrase 42",
                                                   "name": "New", "role": "user", "external_id": "clerk_1"},
                                 format="json")
    assert response.status_code == 201
    assert response.json()["external_id"] == "clerk_1"
    login(api_client, "new@example.com", "a long passphrase 42")
    duplicate = admin_client.post("/api/v1/users", {"email": "x@example.com", "password": "a long passphrase 42",
                                                    "external_id": "clerk_1"}, format="json")
    assert_error(duplicate, 409, "EXTERNAL_ID_TAKEN")


def test_admin_changes_role_and_the_change_is_audited(admin_client, user, system_admin):
    response = admin_client.patch(f"/api/v1/admin/users/{user.pk}", {"role": "admin"}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "admin"
    user.refresh_from_db()
    assert user.is_staff and user.is_superuser
    event = AuditEvent.objects.get(action="user.role_changed", resource_id=str(user.pk))
    assert event.actor_id == system_admin.pk
    assert event.details["role"] == {"from": "user", "to": "admin"}


def test_invalid_role_and_unknown_user(admin_client, user):
    assert_error(admin_client.patch(f"/api/v1/users/{user.pk}", {"role": "god"}, format="json"), 400,
                 "VALIDATION_ERROR")
    assert_error(admin_client.get("/api/v1/users/00000000-0000-0000-0000-000000000000"), 404, "NOT_FOUND")
    assert_error(admin_client.get("/api/v1/users/not-a-uuid"), 404, "NOT_FOUND")


def test_deactivate_and_activate(admin_client, user, api_client):
    tokens = login(api_client, user.email)
    response = admin_client.post(f"/api/v1/admin/users/{user.pk}/deactivate")
    assert response.status_code == 200 and response.json()["is_active"] is False
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert_error(api_client.get("/api/v1/auth/me"), 401)
    assert admin_client.post(f"/api/v1/users/{user.pk}/activate").json()["is_active"] is True
    api_client.credentials()
    login(api_client, user.email)


def test_the_last_admin_cannot_be_demoted_deactivated_or_deleted(admin_client, system_admin):
    url = f"/api/v1/users/{system_admin.pk}"
    assert_error(admin_client.patch(url, {"role": "user"}, format="json"), 409, "LAST_ADMIN")
    assert_error(admin_client.post(f"{url}/deactivate"), 409, "LAST_ADMIN")
    assert_error(admin_client.delete(url), 409, "LAST_ADMIN")


def test_delete_user_removes_their_personal_workspace_but_keeps_the_audit_trail(admin_client, user):
    from teams.models import Workspace

    personal = Workspace.objects.get(memberships__user=user)
    assert admin_client.delete(f"/api/v1/users/{user.pk}").status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Workspace.objects.filter(pk=personal.pk).exists()
    assert AuditEvent.objects.filter(action="user.created", resource_id=str(user.pk)).exists()
    assert AuditEvent.objects.filter(action="user.deleted", resource_id=str(user.pk)).exists()


def test_delete_refused_for_the_only_owner_of_a_shared_workspace(admin_client, user, make_user):
    make_workspace(user, members={make_user(): "analyst"})
    assert_error(admin_client.delete(f"/api/v1/users/{user.pk}"), 409, "LAST_OWNER")
    assert User.objects.filter(pk=user.pk).exists()


# --- quota -----------------------------------------------------------------------------------

def test_quota_get_and_put(admin_client, user):
    url = f"/api/v1/users/{user.pk}/quota"
    body = admin_client.get(url).json()
    assert body["user_id"] == str(user.pk) and body["used_today"] == 0
    response = admin_client.put(url, {"daily_limit": 3}, format="json")
    assert response.status_code == 200 and response.json()["daily_limit"] == 3
    assert_error(admin_client.put(url, {"daily_limit": -1}, format="json"), 400, "VALIDATION_ERROR")
    assert_error(admin_client.put(url, {"daily_limit": "lots"}, format="json"), 400, "VALIDATION_ERROR")


def test_quota_is_enforced_and_resets_daily(user):
    Quota.objects.filter(user=user).update(daily_limit=2)
    quota_consume(user=user)
    quota_consume(user=user)
    with pytest.raises(QuotaExceeded):
        quota_consume(user=user)
    Quota.objects.filter(user=user).update(last_reset=timezone.now() - timedelta(days=1))
    quota_consume(user=user)
    quota = Quota.objects.get(user=user)
    assert quota.used_today == 1 and quota.last_reset.date() == timezone.now().date()
    quota_consume(user=user)  # the same day again: counts on, no second reset
    with pytest.raises(QuotaExceeded):
        quota_consume(user=user)
    assert Quota.objects.get(user=user).used_today == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_consumers_never_overspend_the_quota(make_user):
    user = make_user()
    Quota.objects.filter(user=user).update(daily_limit=10)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def consume_three() -> None:
        barrier.wait()
        try:
            for _ in range(3):
                try:
                    quota_consume(user=user)
                    outcomes.append("ok")
                except QuotaExceeded:
                    outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=consume_three) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 10
    assert outcomes.count("refused") == 14
    assert Quota.objects.get(user=user).used_today == 10


# --- API keys ----------------------------------------------------------------------------------

def test_api_key_is_shown_once_stored_hashed_and_authenticates(auth_client, user, api_client):
    response = auth_client.post("/api/v1/api-keys", {"name": "etl"}, format="json")
    assert response.status_code == 201
    raw = response.json()["key"]
    assert raw.startswith("ie_")
    key = ApiKey.objects.get(pk=response.json()["id"])
    assert raw not in key.key_hash and key.last_used_at is None
    listing = auth_client.get("/api/v1/api-keys").json()["results"]
    assert listing[0]["name"] == "etl" and "key" not in listing[0]
    api_client.credentials(HTTP_X_API_KEY=raw)
    me = api_client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["id"] == str(user.pk)
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert AuditEvent.objects.filter(action="api_key.created", resource_id=str(key.pk)).exists()


def test_revoked_or_expired_or_wrong_api_key_is_refused(auth_client, api_client):
    raw = auth_client.post("/api/v1/api-keys", {"name": "etl"}, format="json").json()["key"]
    key = ApiKey.objects.get()
    api_client.credentials(HTTP_X_API_KEY=raw + "x")
    assert_error(api_client.get("/api/v1/auth/me"), 401, "AUTHENTICATION_FAILED")
    assert auth_client.delete(f"/api/v1/api-keys/{key.pk}").status_code == 204
    api_client.credentials(HTTP_X_API_KEY=raw)
    assert_error(api_client.get("/api/v1/auth/me"), 401, "AUTHENTICATION_FAILED")
    assert_error(auth_client.post(f"/api/v1/api-keys/{key.pk}/revoke"), 409, "ALREADY_REVOKED")
    past = (timezone.now() - timedelta(days=1)).isoformat()
    assert_error(auth_client.post("/api/v1/api-keys", {"name": "old", "expires_at": past}, format="json"),
                 400, "VALIDATION_ERROR")


def test_api_key_acts_only_in_its_workspace(user, make_user, client_for, api_client):
    shared = make_workspace(make_user(), members={user: "analyst"})
    client = client_for(user, workspace=shared)
    raw = client.post("/api/v1/api-keys", {"name": "ci"}, format="json").json()["key"]
    api_client.credentials(HTTP_X_API_KEY=raw)
    assert api_client.get("/api/v1/team/members").status_code == 200
    personal = user.memberships.exclude(workspace=shared).get().workspace
    api_client.credentials(HTTP_X_API_KEY=raw, HTTP_X_WORKSPACE_ID=str(personal.pk))
    assert_error(api_client.get("/api/v1/team/members"), 403, "WORKSPACE_MISMATCH")
    # An API key cannot mint more keys.
    api_client.credentials(HTTP_X_API_KEY=raw)
    assert_error(api_client.post("/api/v1/api-keys", {"name": "x"}, format="json"), 403, "PERMISSION_DENIED")


def test_api_key_stops_when_its_owner_is_deactivated(auth_client, user, api_client):
    raw = auth_client.post("/api/v1/api-keys", {"name": "etl"}, format="json").json()["key"]
    User.objects.filter(pk=user.pk).update(is_active=False)
    api_client.credentials(HTTP_X_API_KEY=raw)
    assert_error(api_client.get("/api/v1/auth/me"), 401, "AUTHENTICATION_FAILED")


def test_members_see_only_their_own_keys(user, make_user, client_for):
    owner = make_user()
    shared = make_workspace(owner, members={user: "analyst"})
    client_for(owner, workspace=shared).post("/api/v1/api-keys", {"name": "owner-key"}, format="json")
    mine = client_for(user, workspace=shared)
    assert mine.get("/api/v1/api-keys").json()["count"] == 0
    other_key = ApiKey.objects.get(name="owner-key")
    assert_error(mine.delete(f"/api/v1/api-keys/{other_key.pk}"), 404, "NOT_FOUND")


# --- settings ------------------------------------------------------------------------------------

def test_settings_roundtrip_and_validation(auth_client):
    assert auth_client.get("/api/v1/settings").json() == {"theme": "system", "timezone": "UTC", "language": "en",
                                                          "default_workspace_id": None}
    response = auth_client.put("/api/v1/settings", {"theme": "dark", "timezone": "Asia/Jakarta", "language": "id"},
                               format="json")
    assert response.json() == {"theme": "dark", "timezone": "Asia/Jakarta", "language": "id",
                               "default_workspace_id": None}
    assert auth_client.get("/api/v1/settings").json()["timezone"] == "Asia/Jakarta"
    error = assert_error(auth_client.put("/api/v1/settings", {"timezone": "Mars/Olympus"}, format="json"),
                         400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "timezone"
    assert_error(auth_client.put("/api/v1/settings", {"theme": "neon"}, format="json"), 400, "VALIDATION_ERROR")
    assert_error(auth_client.put("/api/v1/settings", {"language": "xx"}, format="json"), 400, "VALIDATION_ERROR")
    assert auth_client.get("/api/v1/settings").json()["theme"] == "dark"


def test_security_settings_report_the_real_configuration(auth_client, settings):
    body = auth_client.get("/api/v1/settings/security").json()
    assert body["tokens"]["access_token_lifetime_seconds"] == 1800
    assert body["tokens"]["rotate_refresh_tokens"] is True
    assert body["login_lockout"] == {"enabled": True, "failure_limit": 5, "lockout_minutes": 15,
                                     "per": "account and address"}
    assert body["password_hashing"] == "md5"  # the test settings' hasher: it reports what runs
    assert body["password_policy"]["min_length"] == 10


# --- rate limits ---------------------------------------------------------------------------------

def test_rate_limit_headers_and_429_with_retry_after(auth_client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "free": "3/min"}
    first = auth_client.get("/api/v1/auth/me")
    assert first["X-RateLimit-Limit"] == "3"
    assert first["X-RateLimit-Remaining"] == "2"
    assert int(first["X-RateLimit-Reset"]) > timezone.now().timestamp()
    auth_client.get("/api/v1/auth/me")
    third = auth_client.get("/api/v1/auth/me")
    assert third["X-RateLimit-Remaining"] == "0"
    refused = auth_client.get("/api/v1/auth/me")
    assert_error(refused, 429, "RATE_LIMITED")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["X-RateLimit-Remaining"] == "0"


def test_rate_limits_depend_on_the_tier(user, client_for, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "free": "2/min", "pro": "50/min"}
    User.objects.filter(pk=user.pk).update(tier="pro")
    client = client_for(user)
    response = client.get("/api/v1/auth/me")
    assert response["X-RateLimit-Limit"] == "50"


def test_anonymous_auth_endpoints_are_limited_per_address(api_client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "anon": "2/min"}
    for _ in range(2):
        api_client.post("/api/v1/auth/login", {"email": "a@b.c", "password": "x"}, format="json")
    assert_error(api_client.post("/api/v1/auth/login", {"email": "a@b.c", "password": "x"}, format="json"),
                 429, "RATE_LIMITED")


def test_login_as_the_seeded_password_fixture(api_client, user):
    assert login(api_client, user.email, PASSWORD)["user"]["email"] == user.email


def test_default_workspace_setting_picks_the_workspace_of_requests_without_a_header(user, make_user, client_for):
    shared = make_workspace(make_user(), members={user: "viewer"})
    client = client_for(user)
    assert client.get("/api/v1/team/members").json()["count"] == 1  # personal workspace: only me
    assert client.put("/api/v1/settings", {"default_workspace_id": str(shared.pk)}, format="json").status_code == 200
    assert client.get("/api/v1/team/members").json()["count"] == 2
    stranger_ws = make_user().memberships.get().workspace
    error = assert_error(client.put("/api/v1/settings", {"default_workspace_id": str(stranger_ws.pk)}, format="json"),
                         400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "default_workspace_id"


def test_seed_demo_is_idempotent_and_prints_credentials(db, capsys, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DEMO_ADMIN_EMAIL", "boss@example.com")
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "a boss passphrase 1")
    call_command("seed_demo", skip_warehouse=True)
    call_command("seed_demo", skip_warehouse=True)
    out = capsys.readouterr().out
    assert "boss@example.com / a boss passphrase 1" in out
    admin = User.objects.get(email="boss@example.com")
    assert admin.role == "admin" and admin.is_staff
    assert User.objects.filter(email="analyst@insightengine.local").count() == 1
    assert admin.settings.default_workspace.name == "Demo workspace"
    assert admin.memberships.count() == 2
