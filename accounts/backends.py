from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from .models import User


class EmailOrUsernameBackend(ModelBackend):
    """Log in with email (case-insensitive) or username."""

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> User | None:
        identifier = (username or kwargs.get("email") or "").strip()
        if not identifier or password is None:
            return None
        # An email always means that account; a username only when no account has it as email.
        user = User.objects.filter(email__iexact=identifier).first() or \
            User.objects.filter(username__iexact=identifier).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle for emails
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def axes_username(request: Any, credentials: dict[str, Any] | None) -> str:
    """django-axes: the account a login attempt targets. Email, username and any letter case all
    count against one account; unknown identifiers are counted as typed (lower-cased)."""
    value = ""
    if credentials:
        value = credentials.get("username") or credentials.get("email") or ""
    value = str(value).strip().lower()
    user = User.objects.filter(email__iexact=value).first() or User.objects.filter(username__iexact=value).first()
    return user.email if user is not None else value


def client_ip(request: Any) -> str:
    """The caller's address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front the address
    they recorded in X-Forwarded-For (never a value the client can choose)."""
    from django.conf import settings

    request = getattr(request, "_request", request)
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")
