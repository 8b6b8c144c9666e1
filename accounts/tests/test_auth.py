"""The auth flows an integrator scripts: register, login, refresh, logout, me, stats, password."""
from __future__ import annotations

import pytest
from django.conf import settings

from accounts.models import User
from auditing.models import AuditEvent
from conftest import PASSWORD, assert_error, login
from teams.models import Membership

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"


def bearer(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# --- register ------------------------------------------------------------------------------

def test_register_returns_user_and_rfc6749_tokens_and_a_personal_workspace(api_client):
    response = api_client.post(REGISTER, {"email": "Ana@Example.COM", "password": "a long passphrase 42",
                                          "name": "Ana"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 30 * 60
    assert body["access_token"] and body["refresh_token"]
    assert body["user"]["email"] == "ana@example.com"
    assert body["user"]["username"] == "ana"
    assert body["user"]["role"] == "user"
    assert "password" not in response.content.decode()
    user = User.objects.get(email="ana@example.com")
    assert user.password.startswith("md5$") or user.password.startswith("argon2")
    assert Membership.objects.get(user=user).role == "owner"
    assert AuditEvent.objects.filter(action="auth.register", actor_id=user.pk).exists()


def test_register_ignores_a_requested_admin_role(api_client):
    response = api_client.post(REGISTER, {"email": "eve@example.com", "password": "a long passphrase 42",
                                          "role": "admin"}, format="json")
    assert response.status_code == 201
    assert response.json()["user"]["role"] == "user"


def test_register_duplicate_email_is_409_case_insensitively(api_client, user):
    response = api_client.post(REGISTER, {"email": user.email.upper(), "password": "a long passphrase 42"},
                               format="json")
    error = assert_error(response, 409, "EMAIL_TAKEN")
    assert error["details"][0]["field"] == "email"


def test_register_duplicate_username_is_409(api_client, user):
    response = api_client.post(REGISTER, {"email": "new@example.com", "username": user.username.upper(),
                                          "password": "a long passphrase 42"}, format="json")
    assert_error(response, 409, "USERNAME_TAKEN")


@pytest.mark.parametrize("password", ["short", "12345678901234", "password123", "new@example.com"])
def test_register_weak_password_is_refused_with_reasons(api_client, password):
    response = api_client.post(REGISTER, {"email": "new@example.com", "password": password}, format="json")
    error = assert_error(response, 400, "WEAK_PASSWORD")
    assert all(d["field"] == "password" for d in error["details"])
    assert not User.objects.filter(email="new@example.com").exists()


def test_register_missing_fields_lists_each(api_client):
    error = assert_error(api_client.post(REGISTER, {}, format="json"), 400, "VALIDATION_ERROR")
    assert {d["field"] for d in error["details"]} == {"email", "password"}


def test_register_bad_email(api_client):
    error = assert_error(api_client.post(REGISTER, {"email": "not-an-email", "password": "a long passphrase 42"},
                                         format="json"), 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "email"


def test_register_malformed_json_is_parse_error(api_client):
    response = api_client.generic("POST", REGISTER, '{"email": "a@b.c", "password": ', content_type="application/json")
    assert_error(response, 400, "PARSE_ERROR")


def test_register_wrong_content_type_is_415(api_client):
    response = api_client.generic("POST", REGISTER, "<xml/>", content_type="application/xml")
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_register_can_be_closed(api_client, settings):
    settings.ALLOW_REGISTRATION = False
    response = api_client.post(REGISTER, {"email": "new@example.com", "password": "a long passphrase 42"},
                               format="json")
    assert_error(response, 403, "REGISTRATION_CLOSED")


# --- login -----------------------------------------------------------------------------------

def test_login_with_email_or_username_returns_user_and_tokens(api_client, user):
    for identifier in (user.email, user.email.upper(), user.username):
        response = api_client.post(LOGIN, {"email": identifier, "password": PASSWORD}, format="json")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["user"]["id"] == str(user.pk)
        assert body["token_type"] == "Bearer"
    assert AuditEvent.objects.filter(action="auth.login", actor_id=user.pk).count() == 3


def test_login_accepts_the_oauth2_password_form(api_client, user):
    from urllib.parse import urlencode

    form = urlencode({"grant_type": "password", "username": user.email, "password": PASSWORD})
    response = api_client.generic("POST", LOGIN, form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_login_wrong_password_is_401_and_audited(api_client, user):
    response = api_client.post(LOGIN, {"email": user.email, "password": "wrong password!"}, format="json")
    assert_error(response, 401, "INVALID_CREDENTIALS")
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.details["identifier"] == user.email
    assert "wrong password!" not in str(event.details)


def test_login_unknown_email_gives_the_same_answer_as_a_wrong_password(api_client):
    response = api_client.post(LOGIN, {"email": "nobody@example.com", "password": "whatever 123"}, format="json")
    assert_error(response, 401, "INVALID_CREDENTIALS")


def test_login_missing_fields(api_client):
    error = assert_error(api_client.post(LOGIN, {"password": "x"}, format="json"), 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "email"


def test_login_lockout_after_five_failures_per_account_and_address(api_client, user, make_user):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert_error(api_client.post(LOGIN, {"email": user.email, "password": "bad bad bad"}, format="json"),
                     401, "INVALID_CREDENTIALS")
    fifth = api_client.post(LOGIN, {"email": user.email, "password": "bad bad bad"}, format="json")
    assert_error(fifth, 429, "ACCOUNT_LOCKED")
    assert int(fifth["Retry-After"]) == 15 * 60
    # Even the right password is refused while locked.
    locked = api_client.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json")
    assert_error(locked, 429, "ACCOUNT_LOCKED")
    assert AuditEvent.objects.filter(action="auth.locked_out").count() == 1
    # Another account from the same address is not locked ...
    other = make_user()
    assert api_client.post(LOGIN, {"email": other.email, "password": PASSWORD}, format="json").status_code == 200
    # ... nor the same account from another address.
    response = api_client.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json",
                               REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 200


def test_lockout_counts_case_variants_of_the_email_as_one_account(api_client, user):
    for index in range(settings.AXES_FAILURE_LIMIT):
        email = user.email.upper() if index % 2 else user.email
        response = api_client.post(LOGIN, {"email": email, "password": "bad bad bad"}, format="json")
    assert_error(response, 429, "ACCOUNT_LOCKED")


def test_successful_login_resets_the_failure_count(api_client, user):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        api_client.post(LOGIN, {"email": user.email, "password": "bad bad bad"}, format="json")
    assert api_client.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json").status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = api_client.post(LOGIN, {"email": user.email, "password": "bad bad bad"}, format="json")
    assert_error(response, 401, "INVALID_CREDENTIALS")


def test_deactivated_user_cannot_log_in(api_client, user):
    user.is_active = False
    user.save()
    response = api_client.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json")
    assert_error(response, 403, "ACCOUNT_DISABLED")
    # Without the right password nothing reveals the account state.
    response = api_client.post(LOGIN, {"email": user.email, "password": "nope nope nope"}, format="json")
    assert_error(response, 401, "INVALID_CREDENTIALS")


# --- me, stats ---------------------------------------------------------------------------------

def test_me_requires_a_token(api_client):
    response = api_client.get(ME)
    assert_error(response, 401, "NOT_AUTHENTICATED")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_me_with_a_garbage_token(api_client):
    bearer(api_client, "not.a.jwt")
    assert_error(api_client.get(ME), 401, "TOKEN_INVALID")


def test_me_patch_updates_name_and_refuses_a_taken_username(auth_client, make_user):
    response = auth_client.patch(ME, {"name": "New Name"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "New Name"
    other = make_user()
    assert_error(auth_client.patch(ME, {"username": other.username}, format="json"), 409, "USERNAME_TAKEN")


def test_stats_reports_logins_sessions_workspaces_and_quota(auth_client, user):
    response = auth_client.get("/api/v1/auth/stats")
    assert response.status_code == 200
    body = response.json()
    assert body["logins_last_30_days"] == 1
    assert body["active_sessions"] == 1
    assert body["workspaces"] == 1
    assert body["quota"]["daily_limit"] == settings.DEFAULT_DAILY_QUERY_LIMIT
    assert body["quota"]["remaining_today"] == settings.DEFAULT_DAILY_QUERY_LIMIT


# --- refresh, rotation, reuse --------------------------------------------------------------------

def test_refresh_rotates_and_the_old_refresh_token_is_refused(api_client, user):
    tokens = login(api_client, user.email)
    rotated = api_client.post(REFRESH, {"refresh_token": tokens["refresh_token"]}, format="json")
    assert rotated.status_code == 200
    new = rotated.json()
    assert set(new) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert new["refresh_token"] != tokens["refresh_token"]
    assert bearer(api_client, new["access_token"]).get(ME).status_code == 200
    # Reusing the rotated token is refused ...
    api_client.credentials()
    assert_error(api_client.post(REFRESH, {"refresh_token": tokens["refresh_token"]}, format="json"),
                 401, "TOKEN_INVALID")
    # ... and, as a sign of theft, ends the whole login: the newest tokens die too.
    assert_error(bearer(api_client, new["access_token"]).get(ME), 401, "TOKEN_INVALID")
    api_client.credentials()
    assert_error(api_client.post(REFRESH, {"refresh_token": new["refresh_token"]}, format="json"),
                 401, "TOKEN_INVALID")
    assert AuditEvent.objects.filter(action="auth.refresh_reuse", actor_id=user.pk).exists()


def test_refresh_with_an_access_token_or_garbage_is_refused(api_client, user):
    tokens = login(api_client, user.email)
    for bad in (tokens["access_token"], "garbage", tokens["refresh_token"][:-3] + "abc"):
        assert_error(api_client.post(REFRESH, {"refresh_token": bad}, format="json"), 401, "TOKEN_INVALID")
    assert_error(api_client.post(REFRESH, {}, format="json"), 400, "VALIDATION_ERROR")


def test_expired_refresh_token_is_refused(api_client, user, settings):
    from datetime import timedelta

    from rest_framework_simplejwt.tokens import RefreshToken

    tokens = login(api_client, user.email)
    token = RefreshToken(tokens["refresh_token"])
    token.set_exp(lifetime=-timedelta(seconds=1))
    assert_error(api_client.post(REFRESH, {"refresh_token": str(token)}, format="json"), 401, "TOKEN_INVALID")


def test_expired_access_token_is_refused(api_client, user):
    from datetime import timedelta

    from rest_framework_simplejwt.tokens import AccessToken

    tokens = login(api_client, user.email)
    token = AccessToken(tokens["access_token"])
    token.set_exp(lifetime=-timedelta(seconds=1))
    assert_error(bearer(api_client, str(token)).get(ME), 401, "TOKEN_INVALID")


# --- logout, password change, deactivation -------------------------------------------------------

def test_logout_refuses_that_logins_access_and_refresh_tokens_at_once(api_client, user):
    tokens = login(api_client, user.email)
    other_login = login(api_client, user.email)
    bearer(api_client, tokens["access_token"])
    assert api_client.post(LOGOUT, {"refresh_token": tokens["refresh_token"]}, format="json").status_code == 204
    assert_error(api_client.get(ME), 401, "TOKEN_INVALID")
    api_client.credentials()
    assert_error(api_client.post(REFRESH, {"refresh_token": tokens["refresh_token"]}, format="json"),
                 401, "TOKEN_INVALID")
    # Other logins of the same user continue.
    assert bearer(api_client, other_login["access_token"]).get(ME).status_code == 200


def test_logout_requires_authentication(api_client):
    assert_error(api_client.post(LOGOUT, {}, format="json"), 401, "NOT_AUTHENTICATED")


def test_password_change_ends_every_login_and_returns_new_tokens(api_client, user):
    first = login(api_client, user.email)
    second = login(api_client, user.email)
    bearer(api_client, first["access_token"])
    response = api_client.post("/api/v1/auth/password",
                               {"current_password": PASSWORD, "new_password": "an even longer passphrase 7"},
                               format="json")
    assert response.status_code == 200
    fresh = response.json()
    for old in (first, second):
        assert_error(bearer(api_client, old["access_token"]).get(ME), 401, "TOKEN_INVALID")
        api_client.credentials()
        assert_error(api_client.post(REFRESH, {"refresh_token": old["refresh_token"]}, format="json"),
                     401, "TOKEN_INVALID")
    assert bearer(api_client, fresh["access_token"]).get(ME).status_code == 200
    api_client.credentials()
    assert_error(api_client.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json"),
                 401, "INVALID_CREDENTIALS")
    assert api_client.post(LOGIN, {"email": user.email, "password": "an even longer passphrase 7"},
                           format="json").status_code == 200


def test_password_change_wrong_current_or_weak_new(auth_client):
    error = assert_error(auth_client.post("/api/v1/auth/password",
                                          {"current_password": "nope", "new_password": "an even longer passphrase 7"},
                                          format="json"), 400, "WRONG_PASSWORD")
    assert error["details"][0]["field"] == "current_password"
    error = assert_error(auth_client.post("/api/v1/auth/password",
                                          {"current_password": PASSWORD, "new_password": "short"}, format="json"),
                         400, "WEAK_PASSWORD")
    assert error["details"][0]["field"] == "new_password"


def test_deactivation_refuses_existing_tokens_at_once(api_client, user):
    tokens = login(api_client, user.email)
    from accounts.services import user_deactivate

    user_deactivate(user=user, by=None)
    assert_error(bearer(api_client, tokens["access_token"]).get(ME), 401)
    api_client.credentials()
    assert_error(api_client.post(REFRESH, {"refresh_token": tokens["refresh_token"]}, format="json"),
                 401, "TOKEN_INVALID")


def test_argon2id_with_owasp_parameters_is_the_production_password_hasher_and_old_hashes_still_verify():
    from django.contrib.auth.hashers import Argon2PasswordHasher, make_password

    from accounts.hashers import OwaspArgon2PasswordHasher
    from config.settings import base

    assert base.PASSWORD_HASHERS[0] == "accounts.hashers.OwaspArgon2PasswordHasher"
    ours = OwaspArgon2PasswordHasher()
    encoded = make_password("a long passphrase", hasher=ours)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert ours.verify("a long passphrase", encoded) and not ours.verify("wrong", encoded)
    # A hash made with Django's defaults (m=100 MiB, p=8) still verifies, and is due for re-hashing.
    legacy = Argon2PasswordHasher().encode("a long passphrase", Argon2PasswordHasher().salt())
    assert ours.verify("a long passphrase", legacy) and ours.must_update(legacy)


def test_auth_events_record_address_user_agent_and_request_id(api_client, user):
    tokens = login(api_client, user.email)
    api_client.post(LOGIN, {"email": user.email, "password": "wrong wrong"}, format="json",
                    REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="curl/8.0")
    api_client.post(REFRESH, {"refresh_token": tokens["refresh_token"]}, format="json", HTTP_USER_AGENT="etl/1.2")
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.ip_address == "203.0.113.9" and failed.user_agent == "curl/8.0"
    assert len(failed.request_id) == 32
    refreshed = AuditEvent.objects.get(action="auth.refresh")
    assert refreshed.user_agent == "etl/1.2" and refreshed.actor_id == user.pk
    bearer(api_client, tokens["access_token"])
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"user.created", "auth.login", "auth.login_failed", "auth.refresh"} <= actions
