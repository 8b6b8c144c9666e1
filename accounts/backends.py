from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from .models import User


class EmailOrUsernameBackend(ModelBackend):
    """Log in with email (case-insensitive) or username."""

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> User | None:
        identifier = (username or kwargs.get("email") or "").strip()
        if not identifier or password is None:
            return None
        user = User.objects.filter(Q(email__iexact=identifier) | Q(username__iexact=identifier)).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle for emails
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def axes_username(request: Any, credentials: dict[str, Any] | None) -> str:
    """django-axes: the account a login attempt targets, normalised so that case does not
    split one account's failures across several counters."""
    value = ""
    if credentials:
        value = credentials.get("username") or credentials.get("email") or ""
    return str(value).strip().lower()
