"""Writes for accounts: registration, login, tokens, users, quotas, API keys, settings."""
from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, password_validation, user_logged_in
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken

from auditing.services import client_ip, record
from core.exceptions import (
    AuthenticationError,
    Conflict,
    DomainError,
    Forbidden,
    TooManyRequests,
    ValidationFailed,
)

from .authentication import SESSION_CLAIM
from .models import ApiKey, AuthSession, Quota, User, UserSettings, generate_api_key, hash_api_key


class AccountLocked(TooManyRequests):
    code = "ACCOUNT_LOCKED"


class QuotaExceeded(DomainError):
    code = "QUOTA_EXCEEDED"
    status_code = 429
    message = "Your daily query quota is used up. It resets at midnight UTC."


def _django_request(request: Any) -> Any:
    return getattr(request, "_request", request)


# --- users ----------------------------------------------------------------------------------

def check_password_strength(password: str, user: User | None = None, field: str = "password") -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            " ".join(exc.messages), code="WEAK_PASSWORD", details=[{"field": field, "message": m} for m in exc.messages]
        ) from None


def check_identity_free(*, email: str | None = None, username: str | None = None,
                        external_id: str | None = None, exclude: User | None = None) -> None:
    others = User.objects.exclude(pk=exclude.pk) if exclude else User.objects.all()
    if email and others.filter(email__iexact=email).exists():
        raise Conflict("An account with this email already exists.", code="EMAIL_TAKEN",
                       details=[{"field": "email", "message": "Already registered."}])
    if username and (others.filter(username__iexact=username).exists() or "@" in username):
        raise Conflict("This username is taken.", code="USERNAME_TAKEN",
                       details=[{"field": "username", "message": "Already taken."}])
    if external_id and others.filter(external_id=external_id).exists():
        raise Conflict("Another user has this external id.", code="EXTERNAL_ID_TAKEN",
                       details=[{"field": "external_id", "message": "Already used."}])


def user_create(*, email: str, password: str, username: str | None = None, name: str = "",
                role: str = User.Role.USER, external_id: str | None = None, by: Any = None,
                request: Any = None) -> User:
    """Create a user with their quota, settings and personal workspace."""
    from teams.services import workspace_create_personal

    email = email.strip().lower()
    check_identity_free(email=email, username=username, external_id=external_id)
    check_password_strength(password, User(email=email, username=username or "", name=name))
    try:
        with transaction.atomic():
            fields: dict[str, Any] = {"name": name, "role": role, "external_id": external_id or None}
            if username:
                fields["username"] = username
            user = User.objects.create_user(email, password, **fields)
            user.password_changed_at = timezone.now()
            user.save(update_fields=["password_changed_at"])
            Quota.objects.create(user=user)
            UserSettings.objects.create(user=user)
            workspace_create_personal(user=user, request=request)
            record(actor=by or user, action="user.created", target=user, request=request,
                   details={"email": email, "role": role, "self_registered": by is None})
    except IntegrityError:
        # Lost a race with a concurrent registration of the same email or username.
        raise Conflict("An account with this email or username already exists.", code="EMAIL_TAKEN") from None
    return user


def user_register(*, email: str, password: str, username: str | None = None, name: str = "",
                  request: Any = None) -> tuple[User, dict[str, Any]]:
    if not settings.ALLOW_REGISTRATION:
        raise Forbidden("Registration is closed on this installation. Ask an administrator for an account.",
                        code="REGISTRATION_CLOSED")
    with transaction.atomic():  # all or nothing: a failure after the account is made must not keep it
        user = user_create(email=email, password=password, username=username, name=name, request=request)
        record(actor=user, action="auth.register", target=user, request=request)
        return user, session_start(user=user, request=request)


def check_not_last_admin(user: User) -> None:
    if user.role == User.Role.ADMIN and user.is_active:
        if User.objects.filter(role=User.Role.ADMIN, is_active=True).exclude(pk=user.pk).count() == 0:
            raise Conflict("This is the last active administrator of the installation.", code="LAST_ADMIN")


@transaction.atomic
def user_update(*, user: User, by: Any, data: dict[str, Any], request: Any = None) -> User:
    """Change profile fields, role or tier. Deactivation goes through `user_deactivate`."""
    check_identity_free(email=data.get("email"), username=data.get("username"),
                        external_id=data.get("external_id"), exclude=user)
    if "role" in data and data["role"] != user.role and data["role"] != User.Role.ADMIN:
        check_not_last_admin(user)
    changes: dict[str, Any] = {}
    for field in ("email", "username", "name", "role", "tier", "external_id"):
        if field in data and getattr(user, field) != data[field]:
            changes[field] = {"from": getattr(user, field), "to": data[field]}
            setattr(user, field, data[field] if field != "external_id" else (data[field] or None))
    if "is_active" in data and data["is_active"] != user.is_active:
        if data["is_active"]:
            user_activate(user=user, by=by, request=request)
        else:
            user_deactivate(user=user, by=by, request=request)
    if changes:
        user.save()
        action = "user.role_changed" if set(changes) == {"role"} else "user.updated"
        record(actor=by, action=action, target=user, request=request, details=changes)
    return user


@transaction.atomic
def user_deactivate(*, user: User, by: Any, request: Any = None) -> User:
    check_not_last_admin(user)
    user.is_active = False
    user.save(update_fields=["is_active", "is_staff", "is_superuser", "updated_at"])
    sessions_revoke_all(user=user, reason="deactivated")
    record(actor=by, action="user.deactivated", target=user, request=request, details={"email": user.email})
    return user


def user_activate(*, user: User, by: Any, request: Any = None) -> User:
    user.is_active = True
    user.save(update_fields=["is_active", "is_staff", "is_superuser", "updated_at"])
    record(actor=by, action="user.activated", target=user, request=request, details={"email": user.email})
    return user


@transaction.atomic
def user_delete(*, user: User, by: Any, request: Any = None) -> None:
    from teams.models import Membership, Workspace
    from teams.roles import Role

    check_not_last_admin(user)
    for membership in Membership.objects.filter(user=user, role=Role.OWNER).select_related("workspace"):
        others = Membership.objects.filter(workspace=membership.workspace).exclude(user=user)
        if others.exists() and not others.filter(role=Role.OWNER).exists():
            raise Conflict(
                f"{user.email} is the only owner of “{membership.workspace.name}”, which has other members. "
                "Transfer ownership first.", code="LAST_OWNER",
            )
    # Workspaces only this user belonged to go with them.
    solo = [m.workspace_id for m in Membership.objects.filter(user=user)
            if not Membership.objects.filter(workspace_id=m.workspace_id).exclude(user=user).exists()]
    record(actor=by, action="user.deleted", target=user, request=request, details={"email": user.email})
    user.delete()
    Workspace.objects.filter(pk__in=solo).delete()


# --- sessions and tokens ----------------------------------------------------------------------

def _token_response(refresh: RefreshToken) -> dict[str, Any]:
    access = refresh.access_token
    return {
        "access_token": str(access),
        "refresh_token": str(refresh),
        "token_type": "Bearer",
        "expires_in": int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()),
    }


def _refresh_for(user: User, session: AuthSession) -> RefreshToken:
    refresh = RefreshToken.for_user(user)  # records an OutstandingToken
    refresh[SESSION_CLAIM] = str(session.pk)
    return refresh


def session_start(*, user: User, request: Any = None) -> dict[str, Any]:
    django_request = _django_request(request)
    session = AuthSession.objects.create(
        user=user,
        ip_address=client_ip(django_request),
        user_agent=(django_request.META.get("HTTP_USER_AGENT", "")[:400] if django_request is not None else ""),
        last_used_at=timezone.now(),
    )
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return _token_response(_refresh_for(user, session))


def sessions_revoke_all(*, user: User, reason: str, keep: AuthSession | None = None) -> int:
    sessions = AuthSession.objects.filter(user=user, revoked_at__isnull=True)
    if keep is not None:
        sessions = sessions.exclude(pk=keep.pk)
    return sessions.update(revoked_at=timezone.now(), revoked_reason=reason)


def auth_login(*, identifier: str, password: str, request: Any) -> tuple[User, dict[str, Any]]:
    """Check credentials (with lock-out per account and address) and open a session."""
    django_request = _django_request(request)
    identifier = (identifier or "").strip()
    credentials = {"username": identifier}
    if AxesProxyHandler.is_locked(django_request, credentials):
        raise AccountLocked(_lockout_message(), headers={"Retry-After": str(_lockout_seconds())})

    user = authenticate(django_request, username=identifier, password=password)
    if user is None:
        target = User.objects.filter(email__iexact=identifier).first() or User.objects.filter(
            username__iexact=identifier).first()
        record(actor=None, action="auth.login_failed", resource_type="user",
               request=request, details={"identifier": identifier[:254], "known_account": target is not None})
        if AxesProxyHandler.is_locked(django_request, credentials):
            record(actor=None, action="auth.locked_out", resource_type="user", request=request,
                   details={"identifier": identifier[:254]})
            raise AccountLocked(_lockout_message(), headers={"Retry-After": str(_lockout_seconds())})
        if target is not None and not target.is_active and target.check_password(password):
            raise Forbidden("This account is deactivated. Contact an administrator.", code="ACCOUNT_DISABLED")
        raise AuthenticationError("Invalid email or password.", code="INVALID_CREDENTIALS")

    # Lets django-axes reset this account's failure count (AXES_RESET_ON_SUCCESS) and Django
    # update last_login, as a session login would.
    user_logged_in.send(sender=User, request=django_request, user=user)
    tokens = session_start(user=user, request=request)
    record(actor=user, action="auth.login", target=user, request=request)
    return user, tokens


def _lockout_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def _lockout_message() -> str:
    return f"Too many failed login attempts. Try again in {_lockout_seconds() // 60} minutes."


def _revoke_session(session_id: Any, reason: str) -> None:
    AuthSession.objects.filter(pk=session_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason)


def token_refresh(*, refresh_token: str, request: Any = None) -> dict[str, Any]:
    """Rotate a refresh token. Reusing an already-rotated token revokes the whole session:
    either the client or an attacker holds a stolen copy, and neither should keep access."""
    invalid = AuthenticationError("The refresh token is invalid, expired or revoked. Log in again.",
                                  code="TOKEN_INVALID")
    try:
        payload = UntypedToken(refresh_token).payload  # signature and expiry, not the blacklist
    except TokenError:
        raise invalid from None
    if payload.get("token_type") != "refresh" or not payload.get("jti"):
        raise invalid
    session_id = payload.get(SESSION_CLAIM)
    session = AuthSession.objects.select_related("user").filter(pk=session_id).first() if session_id else None
    if session is None or not session.is_active or not session.user.is_active:
        raise invalid

    with transaction.atomic():
        outstanding, _ = OutstandingToken.objects.get_or_create(
            jti=payload["jti"],
            defaults={
                "user": session.user,
                "token": refresh_token,
                "created_at": timezone.now(),
                "expires_at": datetime.fromtimestamp(payload["exp"], tz=UTC),
            },
        )
        _, first_use = BlacklistedToken.objects.get_or_create(token=outstanding)
    if not first_use:
        _revoke_session(session.pk, "refresh_reuse")
        record(actor=session.user, action="auth.refresh_reuse", target=session.user, request=request,
               details={"session_id": str(session.pk)})
        raise invalid

    AuthSession.objects.filter(pk=session.pk).update(last_used_at=timezone.now())
    record(actor=session.user, action="auth.refresh", target=session.user, request=request)
    return _token_response(_refresh_for(session.user, session))


def auth_logout(*, user: User, session_id: Any, refresh_token: str | None = None, request: Any = None) -> None:
    """End the caller's session: its access and refresh tokens stop working at once."""
    if refresh_token:
        try:
            payload = UntypedToken(refresh_token).payload
        except TokenError:
            payload = {}
        other_session = payload.get(SESSION_CLAIM)
        if other_session and str(payload.get("user_id")) == str(user.pk):
            _revoke_session(other_session, "logout")
    if session_id:
        _revoke_session(session_id, "logout")
    record(actor=user, action="auth.logout", target=user, request=request)


@transaction.atomic
def password_change(*, user: User, current_password: str, new_password: str, request: Any = None) -> dict[str, Any]:
    if not user.check_password(current_password):
        raise ValidationFailed.for_field("current_password", "The current password is wrong.", code="WRONG_PASSWORD")
    check_password_strength(new_password, user, field="new_password")
    revoked = AuthSession.objects.filter(user=user, revoked_at__isnull=True).count()
    user.set_password(new_password)  # saving revokes every session of the old password (User.save)
    user.save(update_fields=["password", "updated_at"])
    record(actor=user, action="auth.password_changed", target=user, request=request,
           details={"sessions_revoked": revoked})
    return session_start(user=user, request=request)


# --- quota ------------------------------------------------------------------------------------

def _today_start() -> datetime:
    return timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)


def quota_for(user: User) -> Quota:
    """The user's quota with today's reset applied."""
    quota, _ = Quota.objects.get_or_create(user=user)
    if quota.last_reset < _today_start():
        Quota.objects.filter(pk=quota.pk, last_reset__lt=_today_start()).update(used_today=0, last_reset=timezone.now())
        quota.refresh_from_db()
    return quota


def quota_update(*, user: User, by: Any, daily_limit: int | None = None, used_today: int | None = None,
                 request: Any = None) -> Quota:
    quota = quota_for(user)
    changes = {}
    if daily_limit is not None:
        changes["daily_limit"] = {"from": quota.daily_limit, "to": daily_limit}
        quota.daily_limit = daily_limit
    if used_today is not None:
        changes["used_today"] = {"from": quota.used_today, "to": used_today}
        quota.used_today = used_today
    quota.save()
    record(actor=by, action="user.quota_changed", target=user, request=request, details=changes)
    return quota


_QUOTA_CONSUME = f"""
    UPDATE {Quota._meta.db_table}
       SET used_today = CASE WHEN last_reset < %s THEN %s ELSE used_today + %s END,
           last_reset = CASE WHEN last_reset < %s THEN %s ELSE last_reset END
     WHERE user_id = %s
       AND ((last_reset < %s AND daily_limit >= %s) OR (last_reset >= %s AND used_today + %s <= daily_limit))
"""


def _quota_params(user: User, amount: int) -> list[Any]:
    ops = connection.ops
    day = ops.adapt_datetimefield_value(_today_start())
    now = ops.adapt_datetimefield_value(timezone.now())
    user_id = Quota._meta.get_field("user").get_db_prep_value(user.pk, connection)
    return [day, amount, amount, day, now, user_id, day, amount, day, amount]


def quota_consume(*, user: User, amount: int = 1) -> None:
    """Take `amount` from today's quota, atomically: concurrent callers never overspend.

    One conditional UPDATE does the check and the increment, so it holds on every database
    without relying on row locks.
    """
    # A pending daily reset and the increment in the same statement: a new day starts at `amount`.
    # Written as SQL because every query run passes here and the ORM spends ~1 ms composing this
    # CASE expression, a hundred times what the database needs. used_today is set before last_reset
    # (every SET reads the row as it was; MySQL alone would not, and it is not an app database).
    with connection.cursor() as cursor:
        cursor.execute(_QUOTA_CONSUME, _quota_params(user, amount))
        updated = cursor.rowcount
    if not updated:
        if not Quota.objects.filter(user=user).exists():
            quota_for(user)  # an account from before quotas: give it one and try again
            return quota_consume(user=user, amount=amount)
        raise QuotaExceeded()
    return None


# --- API keys -----------------------------------------------------------------------------------

def api_key_create(*, user: User, workspace: Any, name: str, expires_at: datetime | None = None,
                   request: Any = None) -> tuple[ApiKey, str]:
    """Returns the key and its secret, which is shown this once and stored only as a hash."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed.for_field("expires_at", "Must be in the future.")
    raw, prefix = generate_api_key()
    key = ApiKey.objects.create(user=user, workspace=workspace, name=name, prefix=prefix,
                                key_hash=hash_api_key(raw), expires_at=expires_at)
    record(actor=user, action="api_key.created", target=key, workspace=workspace, request=request,
           details={"name": name, "prefix": prefix})
    return key, raw


def api_key_revoke(*, key: ApiKey, by: Any, request: Any = None) -> ApiKey:
    if key.revoked_at is not None:
        raise Conflict("This API key is already revoked.", code="ALREADY_REVOKED")
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at", "updated_at"])
    record(actor=by, action="api_key.revoked", target=key, workspace=key.workspace, request=request,
           details={"name": key.name, "prefix": key.prefix})
    return key


# --- settings -----------------------------------------------------------------------------------

def _time_zones() -> set[str]:
    return zoneinfo.available_timezones() | {"UTC"}


def user_settings_for(user: User) -> UserSettings:
    return UserSettings.objects.get_or_create(user=user)[0]


def user_settings_update(*, user: User, data: dict[str, Any]) -> UserSettings:
    current = user_settings_for(user)
    if "timezone" in data and data["timezone"] not in _time_zones():
        raise ValidationFailed.for_field("timezone", f"Unknown time zone “{data['timezone']}”; use an IANA name "
                                                     "such as Europe/Berlin.")
    if "language" in data and data["language"] not in dict(settings.LANGUAGES):
        raise ValidationFailed.for_field(
            "language", f"Must be one of {', '.join(code for code, _ in settings.LANGUAGES)}.")
    if data.get("default_workspace_id"):
        from teams.models import Membership

        if not Membership.objects.filter(user=user, workspace_id=data["default_workspace_id"]).exists():
            raise ValidationFailed.for_field("default_workspace_id", "You are not a member of this workspace.")
    for field in ("theme", "timezone", "language", "default_workspace_id"):
        if field in data:
            setattr(current, field, data[field])
    current.save()
    return current
