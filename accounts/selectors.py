"""Reads for accounts: usage stats and the security configuration as it really is."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.db.models import Count
from django.utils import timezone

from .models import ApiKey, AuthSession, User


def user_stats(*, user: User) -> dict[str, Any]:
    from auditing.models import AuditEvent
    from core.models import Job
    from teams.models import Membership

    from .services import quota_for

    since = timezone.now() - timedelta(days=30)
    quota = quota_for(user)
    jobs = dict(Job.objects.filter(created_by=user).values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {
        "user_id": user.pk,
        "member_since": user.created_at,
        "last_login": user.last_login,
        "logins_last_30_days": AuditEvent.objects.filter(actor_id=user.pk, action="auth.login", created_at__gte=since).count(),
        "active_sessions": AuthSession.objects.filter(user=user, revoked_at__isnull=True).count(),
        "workspaces": Membership.objects.filter(user=user).count(),
        "api_keys": ApiKey.objects.filter(user=user, revoked_at__isnull=True).count(),
        "jobs": jobs,
        "quota": {"daily_limit": quota.daily_limit, "used_today": quota.used_today,
                  "remaining_today": max(0, quota.daily_limit - quota.used_today)},
    }


def security_settings() -> dict[str, Any]:
    hasher = get_hasher("default")
    min_length = next(
        (v.get("OPTIONS", {}).get("min_length") for v in settings.AUTH_PASSWORD_VALIDATORS
         if v["NAME"].endswith("MinimumLengthValidator")), 8)
    jwt = settings.SIMPLE_JWT
    return {
        "mfa_enabled": False,
        "password_hashing": hasher.algorithm,
        "password_policy": {
            "min_length": min_length,
            "validators": [v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS],
        },
        "encryption": {
            "secrets_at_rest": "Fernet (AES-128-CBC + HMAC-SHA256) over FERNET_KEYS, rotatable",
            "fernet_keys_configured": bool(getattr(settings, "FERNET_KEYS", None))
            and settings.FERNET_KEYS != [settings.SECRET_KEY],
            "api_keys": "SHA-256 hashes; the secret is shown once",
            "transport": "TLS is terminated by your reverse proxy",
        },
        "tokens": {
            "access_token_lifetime_seconds": int(jwt["ACCESS_TOKEN_LIFETIME"].total_seconds()),
            "refresh_token_lifetime_seconds": int(jwt["REFRESH_TOKEN_LIFETIME"].total_seconds()),
            "rotate_refresh_tokens": jwt["ROTATE_REFRESH_TOKENS"],
            "blacklist_after_rotation": jwt["BLACKLIST_AFTER_ROTATION"],
            "revoked_on": ["logout", "password_change", "deactivation", "refresh_token_reuse"],
        },
        "login_lockout": {
            "enabled": settings.AXES_ENABLED,
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            "per": "account and address",
        },
        "rate_limits": dict(settings.RATE_LIMITS),
        "rls_enabled": False,
        "registration_open": settings.ALLOW_REGISTRATION,
        "api_keys": {"header": "X-API-Key", "scope": "owner's role within one workspace"},
    }
