"""Attacks and edge cases found in review: each must stay fixed."""
from __future__ import annotations

import json

import pytest
from django.conf import settings

from accounts.models import AuthSession, User
from conftest import PASSWORD, assert_error, login
from teams.tests.factories import make_workspace

pytestmark = pytest.mark.django_db


def test_a_username_cannot_take_over_someone_elses_email_login(api_client, user):
    response = api_client.post("/api/v1/auth/register", {"email": "mallory@example.com", "username": user.email,
                                                         "password": "a long passphrase 42"}, format="json")
    assert_error(response, 400, "VALIDATION_ERROR")
    # Even a username that looks like an email of another account never shadows that account.
    User.objects.create_user("aaa@example.com", "a long passphrase 42", username="zzz")
    User.objects.filter(email="aaa@example.com").update(username=user.email)
    assert login(api_client, user.email)["user"]["id"] == str(user.pk)


def test_lockout_holds_when_switching_between_email_and_username(api_client, user):
    for index in range(settings.AXES_FAILURE_LIMIT):
        identifier = user.email if index % 2 else user.username
        response = api_client.post("/api/v1/auth/login", {"email": identifier, "password": "wrong!"}, format="json")
    assert_error(response, 429, "ACCOUNT_LOCKED")
    for identifier in (user.username, user.email.upper()):
        assert_error(api_client.post("/api/v1/auth/login", {"email": identifier, "password": PASSWORD},
                                     format="json"), 429, "ACCOUNT_LOCKED")


def test_forwarded_for_headers_do_not_reset_the_anonymous_rate_limit(api_client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "anon": "3/min"}
    statuses = [api_client.post("/api/v1/auth/refresh", {"refresh_token": "x"}, format="json",
                                HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code for i in range(6)]
    assert statuses.count(429) == 3


def test_any_password_change_ends_existing_logins(api_client, user):
    tokens = login(api_client, user.email)
    user.set_password("an operator chose this 9")  # as Django admin or `changepassword` do
    user.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert_error(api_client.get("/api/v1/auth/me"), 401, "TOKEN_INVALID")
    api_client.credentials()
    assert_error(api_client.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"),
                 401, "TOKEN_INVALID")
    assert AuthSession.objects.filter(user=user, revoked_reason="password_change").exists()
    user.refresh_from_db()
    assert user.password_changed_at is not None


def test_seed_demo_does_not_reset_an_existing_operator_password(db, capsys):
    from django.core.management import call_command

    call_command("seed_demo", skip_warehouse=True)
    admin = User.objects.get(email="admin@insightengine.local")
    admin.set_password("the operator's own passphrase")
    admin.save()
    call_command("seed_demo", skip_warehouse=True)
    admin.refresh_from_db()
    assert admin.check_password("the operator's own passphrase")
    assert "password unchanged" in capsys.readouterr().out


@pytest.mark.parametrize("zone", ["Europe", "America", "Etc", "__pycache__", "../../etc/passwd", ""])
def test_settings_reject_time_zone_folders_and_junk(auth_client, zone):
    assert_error(auth_client.put("/api/v1/settings", {"timezone": zone}, format="json"), 400, "VALIDATION_ERROR")


def test_deeply_nested_json_is_a_400_not_a_500(api_client):
    body = "[" * 5000 + "]" * 5000
    assert_error(api_client.generic("POST", "/api/v1/auth/login", body, content_type="application/json"), 400)
    nested = json.dumps({"email": "a@b.c", "password": "x"})
    assert api_client.generic("POST", "/api/v1/auth/login", nested, content_type="application/json").status_code == 401


def test_a_disallowed_host_header_gets_the_envelope(client):
    response = client.get("/api/v1/health", HTTP_HOST="evil.example")
    assert_error(response, 400, "BAD_REQUEST")


class TestApiKeysStayInTheirWorkspace:
    @pytest.fixture
    def key_client(self, system_admin, client_for, api_client):
        shared = make_workspace(system_admin)
        raw = client_for(system_admin, shared).post("/api/v1/api-keys", {"name": "ci"}, format="json").json()["key"]
        api_client.credentials(HTTP_X_API_KEY=raw)
        api_client.workspace = shared
        return api_client

    def test_sees_only_its_workspace(self, key_client):
        listed = key_client.get("/api/v1/workspaces").json()
        assert [w["id"] for w in listed["results"]] == [str(key_client.workspace.pk)]

    @pytest.mark.parametrize("method, url, body", [
        ("post", "/api/v1/workspaces", {"name": "new"}),
        ("post", "/api/v1/users", {"email": "x@example.com", "password": "a long passphrase 42", "role": "admin"}),
        ("get", "/api/v1/users", None),
        ("put", "/api/v1/settings", {"theme": "dark"}),
        ("post", "/api/v1/auth/password", {"current_password": "x", "new_password": "a long passphrase 43"}),
        ("patch", "/api/v1/auth/me", {"name": "renamed"}),
    ])
    def test_cannot_use_account_level_endpoints(self, key_client, method, url, body):
        response = getattr(key_client, method)(url, body, format="json")
        assert_error(response, 403, "PERMISSION_DENIED")
        assert not User.objects.filter(email="x@example.com").exists()
