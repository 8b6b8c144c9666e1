"""Who is looking at a console page, in which workspace, with which role.

The console reuses the API's notion of a login: signing in opens an `AuthSession` (the same row
the API's tokens carry as `sid`), and every page checks that it still stands, so a logout
elsewhere, a password change or a deactivation ends the console session too.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest
from rest_framework_simplejwt.tokens import AccessToken, UntypedToken

from accounts.authentication import SESSION_CLAIM, session_is_active
from teams.roles import Role, role_at_least

SESSION_KEY = "ie_auth_session_id"
WORKSPACE_KEY = "ie_workspace_id"
# The console's tokens live in the page's memory only; a short life bounds what a leaked one is worth.
CONSOLE_TOKEN_MINUTES = 5


@dataclass(frozen=True)
class ConsoleContext:
    workspace: Any
    membership: Any
    memberships: list[Any]

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def is_admin(self) -> bool:
        return role_at_least(self.membership.role, Role.ADMIN)

    @property
    def can_write(self) -> bool:
        return role_at_least(self.membership.role, Role.ANALYST)


def remember_login(request: HttpRequest, tokens: dict[str, Any]) -> None:
    """Keep the id of the API login session the sign-in opened (never the tokens themselves)."""
    payload = UntypedToken(tokens["refresh_token"]).payload
    request.session[SESSION_KEY] = str(payload[SESSION_CLAIM])


def auth_session_id(request: HttpRequest) -> str | None:
    return request.session.get(SESSION_KEY)


def login_still_valid(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return False
    return session_is_active(auth_session_id(request), user)


def end_console_session(request: HttpRequest) -> None:
    logout(request)


def console_context(request: HttpRequest) -> ConsoleContext | None:
    """The workspace the console acts in: the one picked in this browser session, else the user's
    default workspace, else their oldest — the same order the API follows without X-Workspace-ID."""
    from teams.selectors import workspaces_for_user

    memberships = list(workspaces_for_user(request.user))
    if not memberships:
        return None
    by_id = {str(m.workspace_id): m for m in memberships}
    preferred = request.session.get(WORKSPACE_KEY)
    if preferred not in by_id:
        user_settings = getattr(request.user, "settings", None)
        preferred = str(getattr(user_settings, "default_workspace_id", "") or "")
    membership = by_id.get(preferred) or memberships[0]
    return ConsoleContext(workspace=membership.workspace, membership=membership, memberships=memberships)


def access_token_for(request: HttpRequest) -> dict[str, Any]:
    """A short-lived API access token for the page's JavaScript, bound to this login session."""
    token = AccessToken.for_user(request.user)
    token[SESSION_CLAIM] = auth_session_id(request)
    lifetime = min(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds(), CONSOLE_TOKEN_MINUTES * 60)
    token.set_exp(lifetime=timedelta(seconds=lifetime))
    return {"access_token": str(token), "token_type": "Bearer", "expires_in": int(lifetime)}
