"""`ws/chat/{session_id}/` (seed 004): a live conversation shared by everyone connected to it.

Client → server: `{"type": "question", "content": "…", "data_source_id"?}` and `{"type": "ping"}`.
Server → client: `ready` on connect, then for every question anyone asks in the session
`status` (stage retrieving/generating/validating/executing), `message` (the question, then the
answer), `sql`, `rows`, `chart`, and `done` or `error`; events carry `session_id` and `turn_id`.
A viewer's question gets an `error` event (the socket stays open).

Close codes (as core/ws_auth.py): 4401 not authenticated, 4404 unknown session, another tenant's,
deleted, or private to someone else (indistinguishable on purpose), 4403 foreign Origin.

The turn runs in a pool thread of its own, or on a Celery worker on the "queries"
queue when CHAT_ANSWER_IN_WORKER is set (needs the Redis channel layer to reach the sockets); its
events go to the group `chat.<session_id>`, so the asking client and everyone else get them the same
way, and a client leaving mid-answer stops nothing for the others.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.db import DatabaseSyncToAsync, database_sync_to_async

from core.consumers import EnvelopeJsonConsumer
from core.exceptions import DomainError
from core.ws_auth import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED

from . import selectors, services

logger = logging.getLogger(__name__)


class ChatConsumer(EnvelopeJsonConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept(subprotocol=self.scope.get("auth_subprotocol"))
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.session_id = self.scope["url_route"]["kwargs"]["session_id"]
        found = await database_sync_to_async(selectors.session_for_socket)(self.session_id, user)
        if found is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        session, membership = found
        self.turns: set[asyncio.Task[None]] = set()
        self.group = services.session_group(session.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        from teams.roles import Role, role_at_least

        await self.send_json({"type": "ready", "session_id": str(session.pk),
                              "can_ask": role_at_least(membership.role, Role.ANALYST)})
        self.start_session_guard()

    async def disconnect(self, code: int) -> None:
        await self.stop_session_guard()
        if hasattr(self, "group"):
            await self.leave_group(self.group)
        # Turns already started keep running: the other people in the session are waiting for them.

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
            return
        if kind != "question":
            await self.send_error("VALIDATION_ERROR", 'Send {"type": "question", "content": "…"} or {"type": "ping"}.')
            return
        # The socket keeps reading (pings, more questions) while the turn runs.
        task = asyncio.create_task(self._ask(content))
        self.turns.add(task)
        task.add_done_callback(self.turns.discard)

    async def _ask(self, content: dict[str, Any]) -> None:
        # Checks and turn in one pool thread, so the question's first events wait for one thread hop,
        # not two. Not thread-sensitive: Channels runs every consumer's thread-sensitive calls on one
        # shared thread, so a turn there (seconds, with an LLM) would hold up every other socket's
        # database access in the process. A turn owns its connection in a pool thread instead.
        try:
            await DatabaseSyncToAsync(self._prepare_and_run, thread_sensitive=False)(content)
        except DomainError as exc:
            await self.send_error(exc.code, exc.message)
        except Exception:  # a crashed turn must say so, not leave the asker waiting forever
            logger.exception("A chat turn failed (session %s)", self.session_id)
            await self.send_error("INTERNAL_ERROR", "The question could not be answered because of a server "
                                  "error; try again.")

    def _prepare_and_run(self, content: dict[str, Any]) -> None:
        services.turn_dispatch(**self._prepare(content))

    def _prepare(self, content: dict[str, Any]) -> dict[str, Any]:
        """Checks, in the database thread, with fresh rows: the session may have been deleted or
        unshared, and the caller's role changed, since the socket opened."""
        from core.exceptions import NotFound

        found = selectors.session_for_socket(self.session_id, self.user)
        if found is None:
            raise NotFound("This chat session is gone.", code="SESSION_NOT_FOUND")
        session, membership = found
        services.check_can_post(session=session, user=self.user, membership=membership)
        text = services.clean_content(content.get("content"))
        ds = services.pick_data_source(session, content.get("data_source_id"))
        return {"session_id": str(session.pk), "user_id": str(self.user.pk), "content": text,
                "data_source_id": str(ds.pk)}

    async def chat_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])
