"""Permissions as data: each view maps actions (or HTTP methods) to the least workspace role allowed."""
from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from teams.roles import Role, role_at_least


class WorkspaceRolePermission(BasePermission):
    """Allows a request when the caller's role in the request's workspace is high enough.

    A view declares `role_map = {"list": Role.VIEWER, "create": Role.ADMIN, ...}` (keys are
    viewset actions or HTTP methods). What it does not name falls back to: reads need a viewer,
    writes an admin — failing closed for anything new.
    """

    message = "Your role in this workspace does not allow this action."

    def has_permission(self, request: Any, view: Any) -> bool:
        membership = getattr(request, "membership", None)
        if membership is None:
            return False
        required = required_role(view, request)
        return role_at_least(membership.role, required)


def required_role(view: Any, request: Any) -> str:
    role_map: dict[str, str] = getattr(view, "role_map", {})
    action = getattr(view, "action", None)
    if action and action in role_map:
        return role_map[action]
    if request.method in role_map:
        return role_map[request.method]
    return Role.VIEWER if request.method in SAFE_METHODS else Role.ADMIN


class IsSystemAdmin(BasePermission):
    """Operators of the installation (User.role == admin), not workspace admins."""

    message = "Only system administrators may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_system_admin)


class NotApiKey(BasePermission):
    """Account-level endpoints need a person's login: an API key acts within one workspace only."""

    message = "API keys act within their workspace only; this endpoint needs a login (Bearer token)."

    def has_permission(self, request: Any, view: Any) -> bool:
        from accounts.models import ApiKey

        return not isinstance(getattr(request, "auth", None), ApiKey)
