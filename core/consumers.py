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


class EnvelopeJsonConsumer(AsyncJsonWebsocketConsumer):
    """JSON consumer whose bad frames get the API's error envelope instead of a crash, and whose
    login is re-checked while the socket is open."""

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
            await self.channel_layer.group_discard(self.group, self.channel_name)
        poller = getattr(self, "poller", None)
        if poller is not None:
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
