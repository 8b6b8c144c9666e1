"""Recent turns of active sessions, cached (Redis in production, local memory embedded).

The database is the source of truth: messages are written there first and the cache entry is
dropped after the commit, so the next read rebuilds it. Any cache failure (Redis down, a timeout)
is logged and the read falls back to the database; it never fails a request or loses a message.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

HISTORY_TTL_SECONDS = 3600


def history_limit() -> int:
    return int(getattr(settings, "CHAT_HISTORY_MESSAGES", 20))


def _key(session_id: Any) -> str:
    return f"chat:history:v1:{session_id}"


def cached(session_id: Any, load: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    try:
        found = cache.get(_key(session_id))
    except Exception:
        logger.warning("Chat history cache read failed for session %s; reading the database", session_id,
                       exc_info=True)
        return load()
    if isinstance(found, list):
        return found
    turns = load()
    try:
        cache.set(_key(session_id), turns, HISTORY_TTL_SECONDS)
    except Exception:
        logger.warning("Chat history cache write failed for session %s", session_id, exc_info=True)
    return turns


def invalidate(session_id: Any) -> None:
    """Drop the entry now and again after the commit (a reader between the two may have refilled it
    from the database before the new message was visible)."""

    def drop() -> None:
        try:
            cache.delete(_key(session_id))
        except Exception:
            logger.warning("Chat history cache delete failed for session %s", session_id, exc_info=True)

    drop()
    transaction.on_commit(drop)
