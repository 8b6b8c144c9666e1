"""`ws/notifications/`: pushes the user's Job progress as it happens.

Messages sent: `{"type": "job.progress", "job": {...}}`. Clients may send
`{"type": "ping"}` (answered with `pong`) or `{"type": "job.subscribe", "job_id": ...}` to get
one job's current state at once.

With Redis, workers push through the channel layer group. With the embedded in-memory
layer a worker in another process cannot reach this process, so the consumer also polls
the user's jobs (cheap: an indexed query per second, only while sockets are open).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import InMemoryChannelLayer
from django.utils import timezone

from .services import user_group
from .ws_auth import CLOSE_UNAUTHENTICATED, session_still_valid

POLL_SECONDS = 1.0
SESSION_CHECK_SECONDS = 10.0
# The channel layer (Redis) is unavailable: reconnect with backoff. (RFC 6455's 1013 "try again later"
# cannot be sent by an application through daphne/autobahn, which allow only 1000 and 3000-4999; the
# code follows 4401/4403/4404 of core/ws_auth.py.)
CLOSE_TRY_AGAIN_LATER = 4503

logger = logging.getLogger(__name__)


def _channel_layer_errors() -> tuple[type[BaseException], ...]:
    """What a channel layer raises when its server (Redis) goes away or cannot be reached."""
    errors: list[type[BaseException]] = [OSError]  # ConnectionError, TimeoutError, refused sockets
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - the embedded stack has no Redis client
        pass
    else:
        errors.append(RedisError)
    return tuple(errors)


CHANNEL_LAYER_ERRORS = _channel_layer_errors()
# The expected ones (the server went away) are logged without a traceback; any other OSError with one.
_LAYER_DOWN = tuple(e for e in CHANNEL_LAYER_ERRORS if e is not OSError) + (ConnectionError, TimeoutError)


class EnvelopeJsonConsumer(AsyncJsonWebsocketConsumer):
    """JSON consumer whose bad frames get the API's error envelope instead of a crash, and whose
    login is re-checked while the socket is open.

    When the channel layer (Redis) goes away, the socket is not dropped with a server error: the
    client gets an `error` event with code `SERVICE_UNAVAILABLE` and the close code 4503 (try again
    later), and reconnects with backoff; until Redis is back, a new connection is closed the same way
    right after the handshake. Nothing is lost: messages and job states live in the database, which
    the client re-reads when it reconnects."""

    accepted = False
    client_gone = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except CHANNEL_LAYER_ERRORS as exc:
            await self.channel_layer_lost(exc)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol=subprotocol, headers=headers)
        self.accepted = True

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        self.client_gone = True
        await super().websocket_disconnect(message)

    async def leave_group(self, group: str) -> None:
        """Leave a group; with the channel layer down there is nothing to leave (its keys expire)."""
        try:
            await self.channel_layer.group_discard(group, self.channel_name)
        except CHANNEL_LAYER_ERRORS:
            logger.info("Channel layer unavailable while leaving %s", group)

    async def channel_layer_lost(self, exc: BaseException) -> None:
        logger.warning("Channel layer unavailable (%s); closing the socket with %s", type(exc).__name__,
                       CLOSE_TRY_AGAIN_LATER, exc_info=not isinstance(exc, _LAYER_DOWN))
        with contextlib.suppress(asyncio.CancelledError):
            await self.stop_session_guard()
        await self.stop_background()
        if self.client_gone:
            return
        with contextlib.suppress(Exception):  # the client may have gone meanwhile
            if not self.accepted:
                await self.accept(subprotocol=self.scope.get("auth_subprotocol"))
            await self.send_error("SERVICE_UNAVAILABLE", "Live updates are unavailable for a moment. "
                                  "Reconnect shortly; nothing you saved is lost.")
            await self.close(code=CLOSE_TRY_AGAIN_LATER)

    async def stop_background(self) -> None:
        """Subclasses stop their own background tasks here."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if text_data is None:
            await self.send_error("VALIDATION_ERROR", "Send JSON text frames.")
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            await self.send_error("PARSE_ERROR", "The message is not valid JSON.")
            return
        await self.receive_json(content, **kwargs)

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "error": {"code": code, "message": message, "details": []}})

    def start_session_guard(self) -> None:
        self.session_guard = asyncio.create_task(self._guard_session())

    async def stop_session_guard(self) -> None:
        guard = getattr(self, "session_guard", None)
        if guard is not None:
            guard.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await guard

    async def _guard_session(self) -> None:
        while True:
            await asyncio.sleep(SESSION_CHECK_SECONDS)
            if not await session_still_valid(self.scope):
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return


class NotificationsConsumer(EnvelopeJsonConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accept first so that browsers see the close code and know to re-authenticate.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept(subprotocol=self.scope.get("auth_subprotocol"))
        self.poller: asyncio.Task[None] | None = None
        if isinstance(self.channel_layer, InMemoryChannelLayer):
            self.poller = asyncio.create_task(self._poll())
        self.start_session_guard()

    async def disconnect(self, code: int) -> None:
        await self.stop_session_guard()
        if hasattr(self, "group"):
            await self.leave_group(self.group)
        await self.stop_background()

    async def stop_background(self) -> None:
        poller = getattr(self, "poller", None)
        if poller is not None:
            self.poller = None
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "job.subscribe":
            job = await self._job(content.get("job_id"))
            if job is None:
                await self.send_error("NOT_FOUND", "No such job.")
            else:
                await self.send_json({"type": "job.progress", "job": job})
        else:
            await self.send_error("VALIDATION_ERROR", "Unknown message type.")

    async def job_update(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "job.progress", "job": event["job"]})

    @database_sync_to_async
    def _job(self, job_id: Any) -> dict[str, Any] | None:
        from django.core.exceptions import ValidationError

        from .models import Job
        from .services import _json_safe, job_payload

        try:
            job = Job.objects.get(pk=job_id, created_by=self.user)
        except (Job.DoesNotExist, ValidationError, ValueError, TypeError):
            return None
        return _json_safe(job_payload(job))

    @database_sync_to_async
    def _changed_since(self, since: datetime) -> list[dict[str, Any]]:
        from .models import Job
        from .services import _json_safe, job_payload

        jobs = Job.objects.filter(created_by=self.user, updated_at__gt=since).order_by("updated_at")[:50]
        return [_json_safe(job_payload(job)) for job in jobs]

    async def _poll(self) -> None:
        since = timezone.now()
        while True:
            await asyncio.sleep(POLL_SECONDS)
            changed = await self._changed_since(since)
            for job in changed:
                await self.send_json({"type": "job.progress", "job": job})
            if changed:
                since = datetime.fromisoformat(max(j["updated_at"] for j in changed if j.get("updated_at")))
