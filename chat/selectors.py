"""Reads: which sessions a person sees, a session's history and its context for an AI model."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from teams.models import Membership

from . import history
from .models import ChatMessage, ChatSession


def retention_days() -> int:
    return int(getattr(settings, "CHAT_RETENTION_DAYS", 30))


def retention_cutoff() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=retention_days())


def visible_sessions(queryset: QuerySet[ChatSession], *, user: Any, deleted: bool = False,
                     include_deleted: bool = False) -> QuerySet[ChatSession]:
    """Sessions the user created, shared ones and those granted to them (`teams.grants`), less those
    taken away from them. Deleted sessions (within the retention period) only with
    `deleted`/`include_deleted`, and only the user's own."""
    from teams.grants import READABLE, Kind, denied_ids, ids_with

    visible = queryset.filter(
        Q(created_by=user) | Q(shared=True) | Q(pk__in=ids_with(user, Kind.CHAT_SESSION, READABLE))
    ).exclude(pk__in=denied_ids(user, Kind.CHAT_SESSION))
    live = Q(deleted_at__isnull=True)
    restorable = Q(deleted_at__gte=retention_cutoff(), created_by=user)
    if deleted:
        return visible.filter(restorable)
    if include_deleted:
        return visible.filter(live | restorable)
    return visible.filter(live)


def session_for_socket(session_id: str, user: Any) -> tuple[ChatSession, Membership] | None:
    """The session and the user's membership in its workspace, if the user may see it (else None:
    unknown, deleted and another tenant's are indistinguishable)."""
    try:
        session = ChatSession.objects.select_related("workspace").get(pk=session_id, deleted_at__isnull=True)
    except (ChatSession.DoesNotExist, ValidationError, ValueError):
        return None
    membership = Membership.objects.filter(workspace_id=session.workspace_id, user=user).first()
    if membership is None or session_access(session, user) is None:
        return None
    return session, membership


def session_access(session: ChatSession, user: Any) -> str | None:
    """`write` (may ask, role permitting), `read`, or None (may not see it)."""
    from teams.grants import Level, level_of

    if session.created_by_id == user.pk:
        return Level.WRITE
    level = level_of(user.pk, session.pk)
    if level == Level.NONE:
        return None
    if level in (Level.READ, Level.WRITE):
        return level
    return Level.WRITE if session.shared else None


def _load_turns(session_id: Any) -> list[dict[str, Any]]:
    rows = (ChatMessage.objects.filter(session_id=session_id).order_by("-created_at")
            .values("id", "role", "content", "resolved_content", "status", "result")[: history.history_limit()])
    turns = []
    for row in reversed(list(rows)):
        turns.append({"id": str(row["id"]), "role": row["role"], "content": row["content"],
                      "resolved": row["resolved_content"] or row["content"], "status": row["status"],
                      "sql": (row["result"] or {}).get("sql") or ""})
    return turns


def session_turns(session_id: Any) -> list[dict[str, Any]]:
    """The last CHAT_HISTORY_MESSAGES messages, oldest first (cached)."""
    return history.cached(session_id, lambda: _load_turns(session_id))


def previous_question(turns: list[dict[str, Any]]) -> str | None:
    for turn in reversed(turns):
        if turn["role"] == ChatMessage.Role.USER:
            return turn["resolved"]
    return None


def assistant_history(turns: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(role, text) pairs for `assistant.services.answer`: questions as resolved, answers with their SQL."""
    return [(item["role"], item["content"]) for item in context_messages(turns)]


def context_messages(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for turn in turns:
        if turn["role"] == ChatMessage.Role.USER:
            out.append({"role": "user", "content": turn["resolved"]})
        else:
            text = turn["content"]
            if turn["sql"]:
                text += f"\n\nSQL:\n```sql\n{turn['sql']}\n```"
            out.append({"role": "assistant", "content": text})
    return out
