"""Reads for the assistant's metrics (seed 004 `GET /metrics`, `GET /metrics/sessions/{id}`).

Every question that reaches the assistant leaves one QueryRun in mode "ai", whatever the door
(chat, REST, schedule): answered (completed), refused (NOT_ANSWERED: the engine declined or its SQL
failed the gate), failed (the query ran and failed, timed out or was cancelled) or pending. Latency
is the pipeline's own `reasoning.latency_ms` (retrieval to result), else the run's start-to-finish.
Tokens come from `reasoning.tokens` and are grouped by `reasoning.engine` ("builtin",
"llm:<provider>/<model>"). Days are the server's local calendar days (TIME_ZONE).

The figures are computed in Python over one narrow query (a few scalar columns and JSON keys per
run), which is fine for tens of thousands of questions in the window; a workspace far beyond that
would want a nightly roll-up table.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from queries.models import QueryRun

DEFAULT_DAYS = 30
MAX_DAYS = 365
NOT_ANSWERED = "NOT_ANSWERED"  # assistant.services.NOT_ANSWERED (not imported: a read needs no AI layer)


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (p50 of [1, 2, 3, 4] is 2); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return round(ordered[rank - 1], 1)


def window(days: int, *, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    end = today or timezone.localdate()
    return end - dt.timedelta(days=days - 1), end


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _outcome(status: str, error_code: str) -> str:
    if status == QueryRun.Status.COMPLETED:
        return "answered"
    if error_code == NOT_ANSWERED:
        return "refused"
    if status in (QueryRun.Status.PENDING, QueryRun.Status.RUNNING):
        return "pending"
    return "failed"


def _latency(reasoning_latency: Any, started: dt.datetime | None, finished: dt.datetime | None) -> float | None:
    if isinstance(reasoning_latency, (int, float)) and not isinstance(reasoning_latency, bool):
        return float(reasoning_latency)
    if started and finished:
        return (finished - started).total_seconds() * 1000
    return None


def _tokens(value: Any) -> tuple[int, int, int]:
    if not isinstance(value, dict):
        return 0, 0, 0

    def number(key: str) -> int:
        item = value.get(key)
        return int(item) if isinstance(item, (int, float)) and not isinstance(item, bool) else 0

    prompt, completion = number("prompt"), number("completion")
    return prompt, completion, number("total") or prompt + completion


def _counts() -> dict[str, Any]:
    return {"questions": 0, "answered": 0, "refused": 0, "failed": 0, "pending": 0, "latencies": [],
            "tokens": 0}


def _figures(counts: dict[str, Any]) -> dict[str, Any]:
    latencies = counts["latencies"]
    return {
        "questions": counts["questions"], "answered": counts["answered"], "refused": counts["refused"],
        "failed": counts["failed"], "pending": counts["pending"],
        "success_rate": round(counts["answered"] / counts["questions"], 4) if counts["questions"] else None,
        "latency_ms": {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
                       "measured": len(latencies)},
        "total_tokens": counts["tokens"],
    }


def question_metrics(runs: QuerySet[QueryRun], *, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Totals, tokens by provider and a per-day series (every day of the window, zeros included)
    over the question runs in `runs` created from `start` to `end` (local days, inclusive)."""
    rows = (runs.filter(mode=QueryRun.Mode.AI, created_at__gte=_start_of(start),
                        created_at__lt=_start_of(end + dt.timedelta(days=1)))
            .values_list("created_at", "status", "error_code", "reasoning__engine", "reasoning__latency_ms",
                         "reasoning__tokens", "started_at", "finished_at"))
    total = _counts()
    days = {start + dt.timedelta(days=i): _counts() for i in range((end - start).days + 1)}
    providers: dict[str, dict[str, Any]] = {}
    for created_at, status, error_code, engine, latency_ms, tokens, started, finished in rows.iterator():
        outcome = _outcome(status, error_code)
        prompt, completion, spent = _tokens(tokens)
        latency = _latency(latency_ms, started, finished)
        day = days.get(timezone.localtime(created_at).date())
        for counts in (total, day) if day is not None else (total,):
            counts["questions"] += 1
            counts[outcome] += 1
            counts["tokens"] += spent
            if latency is not None and outcome != "pending":
                counts["latencies"].append(latency)
        name = str(engine or "unknown")
        name = name.removeprefix("llm:")
        provider = providers.setdefault(name, {"provider": name, "questions": 0, "prompt_tokens": 0,
                                               "completion_tokens": 0, "total_tokens": 0})
        provider["questions"] += 1
        provider["prompt_tokens"] += prompt
        provider["completion_tokens"] += completion
        provider["total_tokens"] += spent
    return {
        "period": {"start": start, "end": end, "days": (end - start).days + 1},
        **_figures(total),
        "tokens_by_provider": sorted(providers.values(), key=lambda p: (-p["total_tokens"], -p["questions"],
                                                                        p["provider"])),
        "per_day": [{"date": day, **_figures(counts)} for day, counts in days.items()],
    }


def workspace_metrics(workspace: Any, *, days: int = DEFAULT_DAYS, today: dt.date | None = None) -> dict[str, Any]:
    start, end = window(days, today=today)
    return question_metrics(QueryRun.objects.filter(workspace=workspace), start=start, end=end)


def session_metrics(session: Any, *, days: int | None = None, today: dt.date | None = None) -> dict[str, Any]:
    """One chat session's questions (the runs its answers came from). Without `days`, the window is
    the session's life so far (at most MAX_DAYS)."""
    end = today or timezone.localdate()
    if days is None:
        first = timezone.localtime(session.created_at).date()
        days = min(MAX_DAYS, max(1, (end - first).days + 1))
    start, end = window(days, today=end)
    from .models import ChatMessage

    answered_here = ChatMessage.objects.filter(session=session, query_run__isnull=False).values("query_run_id")
    runs = QueryRun.objects.filter(workspace_id=session.workspace_id, pk__in=answered_here)
    return {"session_id": str(session.pk), **question_metrics(runs, start=start, end=end)}
