"""WebSocket authentication and origin checks.

Close codes (documented in the README):
- 4401: no token, or an invalid/expired/revoked token — get a new access token and reconnect;
- 4401 also ends an open socket within ~10 s of a logout, password change or deactivation;
- 4403: the Origin header is not an allowed host — accepted and closed at once, nothing sent.
A token is accepted from `?token=<access>` or the `Sec-WebSocket-Protocol` header as
`bearer, <access>` (the server then answers with the `bearer` subprotocol).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import validate_host

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN_ORIGIN = 4403
CLOSE_FORBIDDEN = 4404


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


@database_sync_to_async
def session_still_valid(scope: dict[str, Any]) -> bool:
    """Whether the login behind a socket is still valid (not logged out, user still active). One
    indexed query: every open socket asks this every few seconds on the process's shared DB thread."""
    from accounts.models import AuthSession

    user = scope.get("user")
    session_id = scope.get("auth_session_id")
    if user is None or not user.is_authenticated or not session_id:
        return False
    return AuthSession.objects.filter(pk=session_id, user_id=user.pk, user__is_active=True,
                                      revoked_at__isnull=True).exists()


def token_from_scope(scope: dict[str, Any]) -> tuple[str | None, str | None]:
    """Returns (token, subprotocol to answer with)."""
    parts = list(scope.get("subprotocols") or [])
    if not parts:
        header = _header(scope, b"sec-websocket-protocol") or ""
        parts = [p.strip() for p in header.split(",") if p.strip()]
    if len(parts) >= 2 and parts[0].lower() == "bearer":
        return parts[1], "bearer"
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    tokens = query.get("token")
    return (tokens[0] if tokens else None), None


@database_sync_to_async
def user_for_token(raw: str) -> tuple[Any, Any]:
    from accounts.authentication import SESSION_CLAIM, user_from_access_token

    user = user_from_access_token(raw)
    if user is None:
        return None, None
    from rest_framework_simplejwt.tokens import AccessToken

    return user, AccessToken(raw).get(SESSION_CLAIM)


class TokenAuthMiddleware(BaseMiddleware):
    """Puts `scope["user"]` (AnonymousUser when the token is missing or bad)."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        token, subprotocol = token_from_scope(scope)
        user, session_id = AnonymousUser(), None
        if token:
            found, session_id = await user_for_token(token)
            user = found or AnonymousUser()
        scope = dict(scope, user=user, auth_subprotocol=subprotocol, auth_session_id=session_id)
        return await super().__call__(scope, receive, send)


def origin_allowed(origin: str | None) -> bool:
    # Non-browser clients send no Origin; browsers always do, and that is what we guard against.
    if origin is None:
        return True
    parsed = urlparse(origin)
    if not parsed.hostname:
        return False
    allowed = list(settings.ALLOWED_HOSTS) + [urlparse(o).hostname or "" for o in settings.CORS_ALLOWED_ORIGINS]
    if settings.DEBUG:
        allowed = [*allowed, "localhost", "127.0.0.1"]
    return validate_host(parsed.hostname, allowed)


class OriginCheckMiddleware:
    """Refuses cross-site WebSocket connections: accepted and closed at once with 4403, so that
    the page sees why (a refused handshake reaches browsers only as 1006). Nothing is sent and
    the application is never reached, so a hostile page learns nothing."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(_header(scope, b"origin")):
            await receive()  # the websocket.connect message
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": CLOSE_FORBIDDEN_ORIGIN})
            return None
        return await self.inner(scope, receive, send)
