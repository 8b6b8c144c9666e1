"""Seed 004 metrics: questions asked in chat and REST are counted with their outcome, latency and tokens,
per workspace and per session, readable by viewers, scoped to the tenant."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from chat.metrics import percentile
from conftest import assert_error
from queries.models import QueryRun

pytestmark = pytest.mark.django_db

METRICS = "/api/v1/metrics"


def ask(client, session_id, content):
    response = client.post(f"/api/v1/chat/sessions/{session_id}/messages", {"content": content}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.0
    assert percentile([float(i) for i in range(1, 101)], 0.95) == 95.0


def test_workspace_and_session_metrics_count_what_was_asked(demo, viewer_in):
    client = demo["client"]
    first = client.post("/api/v1/chat/sessions", {"shared": True}, format="json").json()
    second = client.post("/api/v1/chat/sessions", {}, format="json").json()
    assert ask(client, first["id"], "How many customers are there?")["status"] == "completed"
    assert ask(client, first["id"], "blorp the fizzbuzz quantum vibes")["status"] == "not_answered"
    assert ask(client, second["id"], "How many products are there?")["status"] == "completed"

    body = client.get(METRICS).json()
    assert (body["questions"], body["answered"], body["refused"], body["failed"]) == (3, 2, 1, 0)
    assert body["success_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert body["latency_ms"]["measured"] == 3 and 0 < body["latency_ms"]["p50"] <= body["latency_ms"]["p95"]
    assert body["tokens_by_provider"] == [{"provider": "builtin", "questions": 3, "prompt_tokens": 0,
                                           "completion_tokens": 0, "total_tokens": 0}]
    assert body["period"]["days"] == 30 and len(body["per_day"]) == 30
    today = body["per_day"][-1]
    assert today["date"] == timezone.localdate().isoformat() and today["questions"] == 3
    assert all(day["questions"] == 0 and day["success_rate"] is None for day in body["per_day"][:-1])

    session = client.get(f"{METRICS}/sessions/{first['id']}").json()
    assert session["session_id"] == first["id"]
    assert (session["questions"], session["answered"], session["refused"]) == (2, 1, 1)
    assert session["success_rate"] == 0.5 and session["period"]["days"] == 1

    # Viewers read the metrics and the shared session's; a colleague's private session is 404.
    viewer, viewer_client = viewer_in(demo["workspace"])
    assert viewer_client.get(METRICS).json()["questions"] == 3
    assert viewer_client.get(f"{METRICS}/sessions/{first['id']}").json()["questions"] == 2
    assert_error(viewer_client.get(f"{METRICS}/sessions/{second['id']}"), 404, "SESSION_NOT_FOUND")


def test_tokens_by_provider_days_and_latency_fallback(demo):
    workspace, ds, analyst = demo["workspace"], demo["ds"], demo["analyst"]
    now = timezone.now()

    def run(days_ago=0, **fields):
        created = QueryRun.objects.create(workspace=workspace, data_source=ds, user=analyst, mode="ai",
                                          question="q", sql="SELECT 1", **fields)
        QueryRun.objects.filter(pk=created.pk).update(created_at=now - dt.timedelta(days=days_ago))

    llm = {"engine": "llm:openai/gpt-4o-mini", "latency_ms": 900.0,
           "tokens": {"prompt": 100, "completion": 20, "total": 120}}
    run(status="completed", reasoning=llm)
    run(status="completed", reasoning={**llm, "latency_ms": 100.0})
    run(days_ago=2, status="failed", error_code="TIMEOUT", reasoning={"engine": "builtin"},
        started_at=now - dt.timedelta(seconds=3), finished_at=now - dt.timedelta(seconds=1))
    run(days_ago=40, status="completed", reasoning=llm)  # outside the default window
    run(status="completed", reasoning={})  # no timing at all: counted, not measured
    QueryRun.objects.create(workspace=workspace, data_source=ds, user=analyst, mode="sql", sql="SELECT 1",
                            status="completed")  # a plain SQL run is not a question

    body = demo["client"].get(METRICS, {"days": 7}).json()
    assert (body["questions"], body["answered"], body["failed"]) == (4, 3, 1)
    assert body["total_tokens"] == 240 and body["latency_ms"]["measured"] == 3
    assert body["latency_ms"]["p50"] == 900.0 and body["latency_ms"]["p95"] == 2000.0  # 2 s from the run's timing
    by_provider = {p["provider"]: p for p in body["tokens_by_provider"]}
    assert by_provider["openai/gpt-4o-mini"] == {"provider": "openai/gpt-4o-mini", "questions": 2,
                                                 "prompt_tokens": 200, "completion_tokens": 40,
                                                 "total_tokens": 240}
    assert body["tokens_by_provider"][0]["provider"] == "openai/gpt-4o-mini"
    assert len(body["per_day"]) == 7 and body["per_day"][-3]["failed"] == 1
    assert demo["client"].get(METRICS, {"days": 60}).json()["questions"] == 5

    assert_error(demo["client"].get(METRICS, {"days": 0}), 400, "VALIDATION_ERROR")
    assert_error(demo["client"].get(METRICS, {"days": "many"}), 400, "VALIDATION_ERROR")
    assert_error(demo["client"].get(METRICS, {"days": 366}), 400, "VALIDATION_ERROR")


def test_another_workspace_sees_none_of_it(demo, make_user, client_for):
    from teams.tests.factories import make_workspace

    session = demo["client"].post("/api/v1/chat/sessions", {"shared": True}, format="json").json()
    ask(demo["client"], session["id"], "How many customers are there?")
    stranger = make_user()
    other = client_for(stranger, make_workspace(stranger, name="Elsewhere"))
    assert other.get(METRICS).json()["questions"] == 0
    assert_error(other.get(f"{METRICS}/sessions/{session['id']}"), 404, "SESSION_NOT_FOUND")
    assert_error(other.get(f"{METRICS}/sessions/{uuid.uuid4()}"), 404)
    assert_error(other.get(f"{METRICS}/sessions/not-a-uuid"), 404)
    assert_error(demo["client"].__class__().get(METRICS), 401)
