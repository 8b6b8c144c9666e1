"""DRF authentication: JWT tied to a revocable login session, and API keys."""
from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import AccessToken

from core.db import RowLoader

from .models import ApiKey, AuthSession, User, UserSettings, hash_api_key

SESSION_CLAIM = "sid"


def session_is_active(session_id: Any, user: User) -> bool:
    if not session_id:
        return False
    return AuthSession.objects.filter(pk=session_id, user=user, revoked_at__isnull=True).exists()


class SessionJWTAuthentication(JWTAuthentication):
    """simplejwt's Bearer authentication, plus: the token's login session must not be revoked
    (logout, password change, deactivation, refresh-token reuse)."""

    def get_user(self, validated_token: Any) -> User:
        # As simplejwt's, but in one query: the user, their settings (every workspace-scoped request
        # reads the default workspace from them) and whether the token's login session still stands.
        try:
            user_id = validated_token["user_id"]
        except KeyError:
            raise InvalidToken({"detail": "Token contained no recognizable user identification",
                                "code": "token_not_valid"}) from None
        session_id = validated_token.get(SESSION_CLAIM)
        if not session_id:
            raise InvalidToken({"detail": "This token has been revoked. Log in again.", "code": "token_not_valid"})
        user, session_active = _user_with_session(user_id, session_id)
        if user is None:
            raise exceptions.AuthenticationFailed("User not found.", code="user_not_found")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User is inactive.", code="user_inactive")
        if not session_active:
            raise InvalidToken({"detail": "This token has been revoked. Log in again.", "code": "token_not_valid"})
        return user


_USERS = RowLoader(User, "u")
_SETTINGS = RowLoader(UserSettings, "s")


def _user_with_session(user_id: Any, session_id: Any) -> tuple[User | None, bool]:
    """The user, their settings (every workspace-scoped request reads the default workspace from them)
    and whether the token's login session still stands — one statement, composed once (authentication
    runs on every request; through the ORM this lookup alone cost more than a millisecond)."""
    try:
        user_pk = User._meta.pk.get_db_prep_value(uuid.UUID(str(user_id)), connection)
        session_pk = AuthSession._meta.pk.get_db_prep_value(uuid.UUID(str(session_id)), connection)
    except (ValueError, TypeError, AttributeError):
        return None, False
    q = connection.ops.quote_name
    session, settings = AuthSession._meta, UserSettings._meta
    user_id_column = q(User._meta.pk.column)
    sql = (
        f"SELECT {_USERS.columns()}, {_SETTINGS.columns()}, "
        f"EXISTS (SELECT 1 FROM {q(session.db_table)} a WHERE a.{q(session.pk.column)} = %s"
        f" AND a.{q(session.get_field('user').column)} = u.{user_id_column}"
        f" AND a.{q(session.get_field('revoked_at').column)} IS NULL) "
        f"FROM {q(User._meta.db_table)} u LEFT JOIN {q(settings.db_table)} s"
        f" ON s.{q(settings.get_field('user').column)} = u.{user_id_column} "
        f"WHERE u.{user_id_column} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_pk, user_pk])
        row = cursor.fetchone()
    if row is None:
        return None, False
    width = len(_USERS.fields)
    user = _USERS.load(row[:width])
    settings_values = row[width:width + len(_SETTINGS.fields)]
    if settings_values[0] is not None:
        settings = _SETTINGS.load(settings_values)
        User.settings.related.field.set_cached_value(settings, user)
        User.settings.related.set_cached_value(user, settings)
    return user, bool(row[-1])


def user_from_access_token(raw: str) -> User | None:
    """For WebSocket connections: the active user an access token belongs to, else None."""
    try:
        token = AccessToken(raw)
        user = User.objects.get(pk=token["user_id"], is_active=True)
    except (TokenError, KeyError, User.DoesNotExist, ValueError):
        return None
    if not session_is_active(token.get(SESSION_CLAIM), user):
        return None
    return user


class ApiKeyAuthentication(BaseAuthentication):
    """`X-API-Key: ie_…`: acts for the key's owner, within the key's workspace only."""

    header = "X-API-Key"
    # Writing last_used_at on every request would turn reads into writes; a minute is precise enough.
    touch_interval_seconds = 60

    def authenticate(self, request: Any) -> tuple[User, ApiKey] | None:
        raw = request.headers.get(self.header)
        if not raw:
            return None
        key = (
            ApiKey.objects.select_related("user", "workspace")
            .filter(key_hash=hash_api_key(raw.strip()))
            .first()
        )
        if key is None or not key.is_usable:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.")
        if not key.user.is_active:
            raise exceptions.AuthenticationFailed("The owner of this API key is deactivated.")
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > self.touch_interval_seconds:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return key.user, key

    def authenticate_header(self, request: Any) -> str:
        return self.header
