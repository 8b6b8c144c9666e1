"""POST /search: one box over what the caller may see in their workspace.

Each source is a queryset already narrowed to the caller (their query history, saved queries they
own or were shared, the workspace's and built-in templates, synced tables, chat sessions they
created or that are shared, the workspace's documents). On PostgreSQL the text is ranked with
full-text search (SearchVector/SearchQuery/SearchRank, `websearch` syntax, plus a substring match
so that table names like `order_items` are found by `order`); elsewhere a substring match with
a simple score: how many of the words occur, title hits counting double.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

TYPES = ("queries", "saved_queries", "templates", "tables", "sessions", "documents")
DEFAULT_TYPES = ("queries", "saved_queries", "templates", "tables", "sessions", "documents")
MAX_WORDS = 8
SNIPPET_CHARS = 200


@dataclass(frozen=True)
class Hit:
    type: str
    id: str
    title: str
    snippet: str
    relevance: float
    extra: dict[str, Any]


@dataclass(frozen=True)
class Source:
    type: str
    queryset: Callable[[Any, Any], QuerySet]  # (workspace, user) → rows the caller may see
    fields: tuple[str, ...]  # searched text; the first is the title
    describe: Callable[[Any], tuple[str, str, dict[str, Any]]]  # row → (title, text for the snippet, extra)


def _words(q: str) -> list[str]:
    return [w for w in re.findall(r"\w+", q.lower()) if len(w) > 1 or w.isdigit()][:MAX_WORDS]


def _snippet(text: str, words: list[str]) -> str:
    text = " ".join((text or "").split())
    lowered = text.lower()
    positions = [lowered.find(w) for w in words if lowered.find(w) >= 0]
    start = max(0, min(positions) - 60) if positions else 0
    piece = text[start:start + SNIPPET_CHARS]
    return ("…" if start else "") + piece + ("…" if start + SNIPPET_CHARS < len(text) else "")


# --- sources --------------------------------------------------------------------------------------

def _runs(workspace: Any, user: Any) -> QuerySet:
    from queries.models import QueryRun

    return QueryRun.objects.filter(workspace=workspace, user=user)


def _saved(workspace: Any, user: Any) -> QuerySet:
    from queries.library import saved_queries_visible

    return saved_queries_visible(workspace=workspace, user=user)


def _templates(workspace: Any, user: Any) -> QuerySet:
    from queries.library import templates_visible

    return templates_visible(workspace=workspace)


def _tables(workspace: Any, user: Any) -> QuerySet:
    from metadata.models import SchemaTable
    from teams.grants import Kind, denied_ids

    return SchemaTable.objects.filter(data_source__workspace=workspace, is_removed=False).exclude(
        data_source_id__in=denied_ids(user, Kind.DATA_SOURCE)).select_related("data_source")


def _sessions(workspace: Any, user: Any) -> QuerySet:
    from chat.models import ChatSession
    from chat.selectors import visible_sessions

    return visible_sessions(ChatSession.objects.filter(workspace=workspace), user=user)


def _documents(workspace: Any, user: Any) -> QuerySet:
    from knowledge.selectors import documents_of

    return documents_of(workspace, user)


def _run_row(run: Any) -> tuple[str, str, dict[str, Any]]:
    title = run.question or (run.sql or "")[:120]
    return title, run.sql or "", {"status": run.status, "created_at": run.created_at.isoformat(),
                                  "data_source": run.data_source_name}


SOURCES = {
    "queries": Source("query", _runs, ("question", "sql"), _run_row),
    "saved_queries": Source("saved_query", _saved, ("title", "description", "question", "sql"),
                            lambda s: (s.title, s.description or s.question or s.sql, {"tags": s.tags})),
    "templates": Source("template", _templates, ("title", "description", "question", "sql", "category"),
                        lambda t: (t.title, t.description or t.question or t.sql,
                                   {"category": t.category, "is_builtin": t.is_builtin})),
    "tables": Source("table", _tables, ("name", "alias", "description", "comment"),
                     lambda t: (t.alias or t.name, t.description or t.comment or t.name,
                                {"name": t.name, "schema": t.schema_name, "data_source_id": str(t.data_source_id),
                                 "data_source": t.data_source.name})),
    "sessions": Source("session", _sessions, ("title", "messages__content"),
                       lambda s: (s.title or "Untitled conversation", s.title or "",
                                  {"shared": s.shared, "last_message_at": s.last_message_at.isoformat()
                                   if s.last_message_at else None})),
    "documents": Source("document", _documents, ("name",),
                        lambda d: (d.name, d.name, {"status": d.status, "content_type": d.content_type})),
}


# --- matching -------------------------------------------------------------------------------------

def _substring_filter(fields: tuple[str, ...], words: list[str]) -> Q:
    condition = Q()
    for word in words:
        for field in fields:
            condition |= Q(**{f"{field}__icontains": word})
    return condition


def _score(values: list[str], words: list[str]) -> float:
    """Share of the words found, title hits counting double, capped below 1."""
    if not words:
        return 0.0
    title = (values[0] or "").lower()
    rest = " ".join(v or "" for v in values[1:]).lower()
    points = sum(2 if w in title else 1 if w in rest else 0 for w in words)
    return round(min(points / (2 * len(words)), 1.0), 4)


def _search_source(source: Source, queryset: QuerySet, words: list[str], q: str, limit: int) -> list[Hit]:
    # The session source searches its messages too; text of other joins is not needed for scoring.
    own_fields = tuple(f for f in source.fields if "__" not in f)
    matched = queryset.filter(_substring_filter(source.fields, words)).distinct()
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector(*own_fields, config="simple")
        query = SearchQuery(q, search_type="websearch", config="simple")
        full_text = queryset.annotate(_v=vector).filter(_v=query).values("pk")
        matched = queryset.filter(Q(pk__in=matched.values("pk")) | Q(pk__in=full_text))
        rows = list(matched.annotate(_rank=SearchRank(vector, query)).order_by("-_rank", "-created_at")[:limit * 3])
        hits = []
        for row in rows:
            substring = _score([str(getattr(row, f) or "") for f in own_fields], words)
            relevance = max(round(min(0.6 * substring + 0.4 * min(float(row._rank) * 10, 1.0), 1.0), 4), 0.1)
            hits.append(_hit(source, row, words, relevance))
        return hits
    rows = list(matched.order_by("-created_at")[:limit * 3])
    return [_hit(source, row, words, _score([str(getattr(row, f) or "") for f in own_fields], words) or 0.1)
            for row in rows]


def _hit(source: Source, row: Any, words: list[str], relevance: float) -> Hit:
    title, text, extra = source.describe(row)
    return Hit(type=source.type, id=str(row.pk), title=(title or "")[:200], snippet=_snippet(text, words),
               relevance=relevance, extra=extra)


def search(*, workspace: Any, user: Any, q: str, types: list[str] | None = None, limit: int = 20) -> list[Hit]:
    """Best `limit` hits across `types`, most relevant first."""
    words = _words(q)
    if not words:
        return []
    hits: list[Hit] = []
    for name in types or DEFAULT_TYPES:
        source = SOURCES[name]
        hits.extend(_search_source(source, source.queryset(workspace, user), words, q, limit))
    hits.sort(key=lambda h: (-h.relevance, h.type, h.title))
    return hits[:limit]
