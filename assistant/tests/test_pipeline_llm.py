"""Questions answered by an LLM provider end to end: the workspace's default provider (the real
langchain-openai client against a scripted server on loopback) writes the SQL, the pipeline vets and
repairs it, the query engine runs it."""
from __future__ import annotations

import json
import sqlite3

import pytest

from assistant.tests.fake_llm_server import FakeLLMServer
from metadata.tests.fixtures import register, share_files, sync
from queries.models import QueryRun
from teams.tests.factories import make_workspace

pytestmark = pytest.mark.django_db

EXECUTE = "/api/v1/queries/execute"
KEY = "sk-pipeline-Secret-0123456789"
GOOD = "SELECT country, COUNT(*) AS customers FROM customers GROUP BY country ORDER BY country"


def reply(sql, explanation="Customers per country.", chart=None, refusal=None):
    return json.dumps({"sql": sql, "explanation": explanation, "chart": chart, "refusal": refusal})


@pytest.fixture
def llm_team(user, make_user, client_for, sqlite_file, files_dir, django_capture_on_commit_callbacks):
    analyst = make_user()
    workspace = make_workspace(user, members={analyst: "analyst"})
    share_files(files_dir, workspace)
    owner = client_for(user, workspace)
    ds = register(owner, engine="sqlite", database="shop.sqlite3")
    sync(owner, ds["id"], django_capture_on_commit_callbacks)
    owner.put("/api/v1/metadata/columns/customers/email", {"tags": ["PII"]}, format="json")
    with FakeLLMServer() as server:
        created = owner.post("/api/v1/ai-providers", {
            "name": "Local", "provider": "openai_compatible", "model": "fake-gpt", "base_url": server.openai_url,
            "api_key": KEY, "timeout_seconds": 5, "is_default": True}, format="json")
        assert created.status_code == 201, created.content
        yield {"analyst": client_for(analyst, workspace), "owner": owner, "server": server, "ds": ds,
}


def ask(team, question="How many customers per country?"):
    response = team["analyst"].post(EXECUTE, {"mode": "ai", "input": question}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_default_provider_answers_with_result_tokens_reasoning_and_chart(llm_team):
    llm_team["server"].reply(reply(GOOD, chart={"type": "bar"}), prompt_tokens=120, completion_tokens=30)
    body = ask(llm_team)
    assert body["status"] == "completed", body
    assert body["results"] == [["France", 1], ["Germany", 2]]
    reasoning = body["reasoning"]
    assert reasoning["engine"] == "llm:openai_compatible/fake-gpt" and reasoning["attempts"] == 1
    assert reasoning["tokens"]["total"] == 150 and reasoning["explanation"] == "Customers per country."
    assert {"type": "table", "name": "customers"} in reasoning["context_retrieved"]
    assert body["chart"]["type"] == "bar"
    (request,) = llm_team["server"].requests
    prompt = request.text()
    assert "customers" in prompt and "How many customers per country?" in prompt
    assert "'Germany'" in prompt  # sample values of ordinary columns help the model …
    assert "ana@example.com" not in prompt  # … PII values never reach it
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_an_unknown_column_goes_back_to_the_model_and_the_repair_runs(llm_team):
    llm_team["server"].reply(reply("SELECT land, COUNT(*) FROM customers GROUP BY land")).reply(reply(GOOD))
    body = ask(llm_team)
    assert body["status"] == "completed" and body["reasoning"]["attempts"] == 2
    assert any(v["code"] == "REPAIRED" for v in body["reasoning"]["validation"])
    second = llm_team["server"].requests[1].text()
    assert "land" in second and "UNKNOWN_COLUMN" in second


def test_an_error_only_the_database_sees_is_caught_before_running_and_repaired(llm_team):
    # The gate knows the column; SQLite's planner rejects the function: the dry run catches it.
    llm_team["server"].reply(reply("SELECT no_such_function(country) FROM customers")).reply(reply(GOOD))
    body = ask(llm_team)
    assert body["status"] == "completed" and body["reasoning"]["attempts"] == 2
    assert "no_such_function" in llm_team["server"].requests[1].text()


def test_a_write_is_never_run_and_the_question_is_not_answered(llm_team, sqlite_file):
    for _ in range(3):
        llm_team["server"].reply(reply("DELETE FROM customers"))
    body = ask(llm_team, "Remove every customer")
    assert body["status"] == "failed" and body["error"]["code"] == "NOT_ANSWERED"
    assert body["reasoning"]["attempts"] == 3 and body["sql"] == ""
    with sqlite3.connect(sqlite_file) as connection:
        assert connection.execute("SELECT count(*) FROM customers").fetchone()[0] == 3
    assert not QueryRun.objects.filter(sql__icontains="delete", status="completed").exists()


def test_a_provider_error_is_a_clear_refusal_without_the_key(llm_team):
    llm_team["server"].fail(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
    body = ask(llm_team)
    assert body["status"] == "failed" and body["error"]["code"] == "NOT_ANSWERED"
    assert "Incorrect API key provided" in body["error"]["message"]
    assert KEY not in json.dumps(body)


def test_saved_queries_with_a_question_are_the_models_examples(llm_team):
    saved = llm_team["owner"].post("/api/v1/saved-queries", {
        "title": "Customers by segment", "question": "How many customers are there per segment?",
        "sql": "SELECT segment, COUNT(*) AS n FROM customers GROUP BY segment", "database_id": llm_team["ds"]["id"]},
        format="json")
    assert saved.status_code == 201, saved.content
    private = llm_team["owner"].post("/api/v1/saved-queries", {
        "title": "Customers by country", "question": "How many customers are there per country?",
        "sql": "SELECT country, COUNT(*) AS n FROM customers GROUP BY country", "database_id": llm_team["ds"]["id"]},
        format="json")
    assert private.status_code == 201, private.content
    # Shared with the analyst: an example for their questions; the owner's private one is not.
    analyst_id = llm_team["analyst"].get("/api/v1/auth/me").json()["id"]
    shared = llm_team["owner"].put(f"/api/v1/permissions/{saved.json()['id']}",
                                   {"user_id": analyst_id, "permission": "read"}, format="json")
    assert shared.status_code == 200, shared.content
    llm_team["server"].reply(reply(GOOD))
    assert ask(llm_team, "How many customers per country?")["status"] == "completed"
    prompt = llm_team["server"].requests[0].text()
    assert "How many customers are there per segment?" in prompt and "GROUP BY segment" in prompt
    assert "How many customers are there per country?" not in prompt and "GROUP BY country" not in prompt
