"""The question pipeline over the demo warehouse, with the built-in engine (no AI provider configured):
answers are checked by running an independent SQL statement on the same file."""
from __future__ import annotations

import sqlite3

import pytest
from django.core.management import call_command

from auditing.models import AuditEvent
from conftest import assert_error, login
from metadata.models import DataSource
from queries.models import QueryRun

pytestmark = pytest.mark.django_db

EXECUTE = "/api/v1/queries/execute"


@pytest.fixture
def demo(files_dir, monkeypatch, api_client):
    monkeypatch.setenv("DEMO_WAREHOUSE_ORDERS", "1500")
    call_command("seed_demo")
    ds = DataSource.objects.get(name="Demo retail warehouse")
    tokens = login(api_client, "analyst@insightengine.local", "insight-analyst-2024")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    from metadata.connectors import workspace_files_dir

    path = workspace_files_dir(ds.workspace_id) / ds.database
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    yield {"client": api_client, "ds": ds, "db": connection}
    connection.close()


def ask(demo, question, **extra):
    response = demo["client"].post(EXECUTE, {"mode": "ai", "input": question, **extra}, format="json")
    assert response.status_code in (200, 202), response.content
    return response.json()


def test_a_count_question_is_answered_with_sql_result_reasoning_and_a_number_chart(demo):
    body = ask(demo, "How many customers are there?")
    expected = demo["db"].execute("SELECT count(*) FROM customers").fetchone()[0]
    assert body["status"] == "completed", body
    assert body["results"] == [[expected]]
    assert "customers" in body["sql"].lower() and body["sql"].lower().startswith("select")
    reasoning = body["reasoning"]
    assert reasoning["engine"] == "builtin" and reasoning["confidence"] >= 0.7
    assert {"type": "table", "name": "customers"} in reasoning["context_retrieved"] and reasoning["mappings"]
    assert reasoning["latency_ms"] >= 0 and reasoning["refusal"] is None
    assert body["chart"]["type"] == "number" and body["chart"]["spec"]["mark"]["type"] == "text"
    run = QueryRun.objects.get(pk=body["query_id"])
    assert run.mode == "ai" and run.question == "How many customers are there?" and run.reasoning["engine"] == "builtin"
    assert AuditEvent.objects.filter(action="query.executed", resource_id=str(run.pk)).exists()
    again = demo["client"].get(f"/api/v1/queries/{run.pk}").json()
    assert again["reasoning"]["engine"] == "builtin" and again["chart"]["type"] == "number"


def test_a_breakdown_gets_a_bar_chart(demo):
    body = ask(demo, "How many customers are there per segment?")
    assert body["status"] == "completed", body
    expected = dict(demo["db"].execute("SELECT segment, count(*) FROM customers GROUP BY segment").fetchall())
    assert {row[0]: row[1] for row in body["results"]} == expected, body["sql"]
    assert body["chart"]["type"] == "bar"


def test_gibberish_is_refused_with_reasons_and_suggestions_without_spending_quota(demo):
    from accounts.models import Quota

    user = QueryRun._meta.get_field("user").related_model.objects.get(email="analyst@insightengine.local")
    before = Quota.objects.get(user=user).used_today
    body = ask(demo, "blorp the fizzbuzz quantum vibes")
    assert body["status"] == "failed" and body["error"]["code"] == "NOT_ANSWERED"
    assert body["results"] is None and body["chart"] is None and body["sql"] == ""
    refusal = body["reasoning"]["refusal"]
    assert refusal["reason"] and refusal["suggestions"]
    assert Quota.objects.get(user=user).used_today == before
    assert AuditEvent.objects.filter(action="assistant.not_answered", resource_id=body["query_id"]).exists()


def test_a_write_request_is_never_run(demo):
    count = demo["db"].execute("SELECT count(*) FROM customers").fetchone()[0]
    body = ask(demo, "delete all customers")
    assert body["status"] in ("failed", "completed")
    if body["status"] == "completed":  # at most a harmless read: the statement is a SELECT
        assert body["sql"].lower().lstrip().startswith(("select", "with"))
    assert demo["db"].execute("SELECT count(*) FROM customers").fetchone()[0] == count


def test_ai_mode_validates_its_input(demo):
    assert_error(demo["client"].post(EXECUTE, {"mode": "ai", "input": "   "}, format="json"), 400, "VALIDATION_ERROR")
    assert_error(demo["client"].post(EXECUTE, {"mode": "ai", "input": "How many customers?",
                                               "database_id": "00000000-0000-0000-0000-000000000000"},
                                     format="json"), 404, "DATA_SOURCE_NOT_FOUND")


def test_the_seed_000_query_alias_answers_questions_too(demo):
    body = demo["client"].post("/api/v1/query", {"mode": "ai", "query": "How many products are there?"},
                               format="json").json()
    assert body["results"] == [[demo["db"].execute("SELECT count(*) FROM products").fetchone()[0]]]


def test_suggestions_are_questions_the_source_can_answer(demo):
    ask(demo, "How many customers are there?")
    response = demo["client"].post("/api/v1/queries/suggestions", {"limit": 6}, format="json")
    assert response.status_code == 200, response.content
    items = response.json()["suggestions"]
    assert items and len(items) <= 6
    assert items[0] == {"question": "How many customers are there?", "source": "popular"}
    for item in items[1:3]:  # every suggestion from the dictionary is one the engine answers
        answered = ask(demo, item["question"])
        assert answered["status"] == "completed", (item, answered)
    assert_error(demo["client"].post("/api/v1/queries/suggestions", {"limit": 0}, format="json"), 400,
                 "VALIDATION_ERROR")
