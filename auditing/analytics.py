"""Reads for analytics and installation metrics: aggregate queries only (no per-row Python loops over
unbounded sets). Days are UTC days; "this week" starts on Monday 00:00 UTC."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Max, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from queries.models import QueryRun

# Distinct statements parsed for "top tables" (each parsed once, weighted by its run count).
TOP_TABLES_MAX_STATEMENTS = 300
TOP_TABLES_RECENT_RUNS = 5000
TOP_N = 10


def _day_start(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _week_start(now: dt.datetime) -> dt.datetime:
    today = _day_start(now)
    return today - dt.timedelta(days=today.weekday())


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _ms(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _summary(runs: QuerySet[QueryRun], now: dt.datetime) -> dict[str, Any]:
    """Totals over `runs` in one query."""
    F = QueryRun.Status
    totals = runs.aggregate(
        total=Count("id"),
        completed=Count("id", filter=Q(status=F.COMPLETED)),
        failed=Count("id", filter=Q(status=F.FAILED)),
        cancelled=Count("id", filter=Q(status=F.CANCELLED)),
        questions=Count("id", filter=Q(mode=QueryRun.Mode.AI)),
        today=Count("id", filter=Q(created_at__gte=_day_start(now))),
        week=Count("id", filter=Q(created_at__gte=_week_start(now))),
        avg_ms=Avg("execution_time_ms", filter=Q(status=F.COMPLETED)),
    )
    finished = totals["completed"] + totals["failed"]
    return {
        "total_queries": totals["total"],
        "completed": totals["completed"],
        "failed": totals["failed"],
        "cancelled": totals["cancelled"],
        "questions": totals["questions"],
        "queries_today": totals["today"],
        "queries_this_week": totals["week"],
        "avg_execution_time_ms": _ms(totals["avg_ms"]),
        "success_rate": _rate(totals["completed"], finished),
        "error_rate": _rate(totals["failed"], finished),
    }


def daily_series(runs: QuerySet[QueryRun], *, days: int, now: dt.datetime) -> list[dict[str, Any]]:
    """One entry per UTC day for the last `days` days (today included), zero-filled."""
    first = _day_start(now) - dt.timedelta(days=days - 1)
    rows = (runs.filter(created_at__gte=first)
            .annotate(day=TruncDate("created_at", tzinfo=dt.UTC)).values("day")
            .annotate(queries=Count("id"), failed=Count("id", filter=Q(status=QueryRun.Status.FAILED)),
                      avg_ms=Avg("execution_time_ms", filter=Q(status=QueryRun.Status.COMPLETED))))
    by_day = {row["day"]: row for row in rows}
    series = []
    for offset in range(days):
        day = (first + dt.timedelta(days=offset)).date()
        row = by_day.get(day, {})
        series.append({"date": day.isoformat(), "queries": row.get("queries", 0), "failed": row.get("failed", 0),
                       "avg_execution_time_ms": _ms(row.get("avg_ms"))})
    return series


def top_users(runs: QuerySet[QueryRun], *, limit: int = TOP_N) -> list[dict[str, Any]]:
    rows = (runs.filter(user__isnull=False).values("user_id", "user__email", "user__name")
            .annotate(queries=Count("id"), failed=Count("id", filter=Q(status=QueryRun.Status.FAILED)))
            .order_by("-queries", "user__email")[:limit])
    return [{"user_id": str(r["user_id"]), "email": r["user__email"], "name": r["user__name"] or "",
             "queries": r["queries"], "failed": r["failed"]} for r in rows]


def top_tables(runs: QuerySet[QueryRun], *, limit: int = TOP_N) -> list[dict[str, Any]]:
    """Tables read by completed runs, counted per run. Statements are grouped by fingerprint (literals
    ignored) among the most recent runs, and each distinct statement is parsed once by the gate."""
    from queries.safety import check

    recent = runs.filter(status=QueryRun.Status.COMPLETED).exclude(fingerprint="").order_by("-created_at")
    recent_ids = list(recent.values_list("id", flat=True)[:TOP_TABLES_RECENT_RUNS])
    groups = (QueryRun.objects.filter(id__in=recent_ids).values("fingerprint")
              .annotate(runs=Count("id"), sql=Max("executed_sql"), engine=Max("data_source__engine"))
              .order_by("-runs")[:TOP_TABLES_MAX_STATEMENTS])
    counts: Counter[str] = Counter()
    for group in groups:
        sql = group["sql"] or ""
        if not sql:
            continue
        result = check(sql, engine=group["engine"] or "postgresql", max_rows=10**9)
        for table in set(result.tables):
            counts[table] += group["runs"]
    return [{"table": name, "queries": n} for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def workspace_query_analytics(*, workspace: Any, days: int = 30, now: dt.datetime | None = None) -> dict[str, Any]:
    """Seed 003 GET /analytics/queries: the workspace's query statistics."""
    now = now or timezone.now()
    runs = QueryRun.objects.filter(workspace=workspace)
    return {
        **_summary(runs, now),
        "days": days,
        "per_day": daily_series(runs, days=days, now=now),
        "top_tables": top_tables(runs),
        "top_users": top_users(runs),
    }


def user_analytics(*, user: Any, workspace: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    """Seed 000 GET /analytics: the caller's own activity in the workspace."""
    now = now or timezone.now()
    runs = QueryRun.objects.filter(workspace=workspace, user=user)
    summary = _summary(runs, now)
    last = runs.aggregate(last=Max("created_at"))["last"]
    counts: dict[str, int] = {"chat_sessions": 0, "saved_queries": 0}
    try:
        from chat.models import ChatSession

        counts["chat_sessions"] = ChatSession.objects.filter(workspace=workspace, created_by=user,
                                                             deleted_at__isnull=True).count()
    except ImportError:  # pragma: no cover - chat is always installed today
        pass
    saved = _model("queries", "SavedQuery")
    if saved is not None:
        counts["saved_queries"] = saved.objects.filter(workspace=workspace, owner=user).count()
    return {"scope": "user", "workspace_id": str(workspace.pk), "user_id": str(user.pk), **summary, **counts,
            "last_query_at": last, "per_day": daily_series(runs, days=14, now=now)}


def _model(app_label: str, name: str) -> Any:
    from django.apps import apps

    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def active_users_since(since: dt.datetime) -> int:
    """People who did something since `since`: logged in or refreshed a session, used an API key,
    ran a query, or left any audit event."""
    from accounts.models import ApiKey, AuthSession

    from .models import AuditEvent

    ids: set[Any] = set()
    User = get_user_model()
    ids.update(User.objects.filter(last_login__gte=since).values_list("id", flat=True))
    ids.update(AuthSession.objects.filter(last_used_at__gte=since).values_list("user_id", flat=True).distinct())
    ids.update(ApiKey.objects.filter(last_used_at__gte=since).values_list("user_id", flat=True).distinct())
    ids.update(QueryRun.objects.filter(created_at__gte=since, user__isnull=False)
               .values_list("user_id", flat=True).distinct())
    ids.update(AuditEvent.objects.filter(created_at__gte=since, actor_id__isnull=False)
               .values_list("actor_id", flat=True).distinct())
    return User.objects.filter(id__in=ids, is_active=True).count() if ids else 0


def system_metrics(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """Seed 002 GET /admin/metrics (and GET /analytics?scope=system): installation totals."""
    from chat.models import ChatMessage, ChatSession, Project
    from knowledge.models import Document
    from metadata.models import DataSource
    from teams.models import Workspace

    now = now or timezone.now()
    User = get_user_model()
    users = User.objects.aggregate(total=Count("id"), active=Count("id", filter=Q(is_active=True)),
                                   new_7d=Count("id", filter=Q(created_at__gte=now - dt.timedelta(days=7))))
    runs = _summary(QueryRun.objects.all(), now)
    return {
        "scope": "system",
        "total_users": users["total"],
        "active_accounts": users["active"],
        "new_users_7d": users["new_7d"],
        "active_users_24h": active_users_since(now - dt.timedelta(hours=24)),
        "total_workspaces": Workspace.objects.count(),
        "total_data_sources": DataSource.objects.count(),
        "total_projects": Project.objects.count(),
        "total_conversations": ChatSession.objects.filter(deleted_at__isnull=True).count(),
        "total_messages": ChatMessage.objects.count(),
        "total_documents": Document.objects.count(),
        "total_queries": runs["total_queries"],
        "queries_today": runs["queries_today"],
        "queries_this_week": runs["queries_this_week"],
        "avg_execution_time_ms": runs["avg_execution_time_ms"],
        "error_rate": runs["error_rate"],
    }
