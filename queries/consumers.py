"""`ws/query/{query_id}/` (seed 003 "Real-Time Updates"): status_changed / completed / failed /
cancelled events of one query, for the user who ran it."""
from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from core.consumers import EnvelopeJsonConsumer
from core.ws_auth import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED


class QueryConsumer(EnvelopeJsonConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept(subprotocol=self.scope.get("auth_subprotocol"))
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        query_id = self.scope["url_route"]["kwargs"]["query_id"]
        state = await self._state(user, query_id)
        if state is None:
            await self.close(code=CLOSE_FORBIDDEN)  # unknown, or not yours: indistinguishable on purpose
            return
        self.group = f"query.{query_id}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "status_changed", "query_id": query_id, "status": state})
        self.start_session_guard()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_error("VALIDATION_ERROR", "This socket only sends; the one message it takes is ping.")

    async def disconnect(self, code: int) -> None:
        await self.stop_session_guard()
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def query_event(self, event: dict[str, Any]) -> None:
        payload = {k: v for k, v in event.items() if k not in ("type", "event")}
        await self.send_json({"type": event["event"], **payload})

    @database_sync_to_async
    def _state(self, user: Any, query_id: str) -> str | None:
        from django.core.exceptions import ValidationError

        from .models import QueryRun

        try:
            return QueryRun.objects.values_list("status", flat=True).get(pk=query_id, user=user)
        except (QueryRun.DoesNotExist, ValidationError, ValueError):
            return None
