"""Knowledge in answers: document passages and earlier answers reach the LLM engine and the reasoning,
chat answers cite them, completed answers are remembered (without their values), the built-in engine
reuses an earlier answer only to the very same question on the same source, and `progress` reports
the real stage boundaries."""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assistant import services
from assistant.tests.fake_llm_server import FakeLLMServer
from knowledge import retrieval
from knowledge.models import AnsweredQuestion
from metadata.models import DataSource
from metadata.tests.fixtures import register, share_files, sync
from queries.models import QueryRun
from teams.models import Membership
from teams.tests.factories import make_workspace

pytestmark = pytest.mark.django_db

EXECUTE = "/api/v1/queries/execute"
GOOD = "SELECT country, COUNT(*) AS customers FROM customers GROUP BY country ORDER BY country"
POLICY = ("Customer counting policy. An active customer is any customer with an account, whatever the "
          "segment. Count customers per country using the billing country.")


def reply(sql, explanation="Customers per country.", refusal=None):
    return json.dumps({"sql": sql, "explanation": explanation, "chart": None, "refusal": refusal})


def upload(client, capture, name, text):
    with capture(execute=True):
        response = client.post("/api/v1/documents", {"file": SimpleUploadedFile(name, text.encode())},
                               format="multipart")
    assert response.status_code in (201, 202), response.content
    return response.json()


@pytest.fixture
def shop(user, make_user, client_for, sqlite_file, files_dir, django_capture_on_commit_callbacks):
    """A workspace with the small shop database (customers.email tagged PII), an owner and an analyst."""
    analyst = make_user()
    workspace = make_workspace(user, members={analyst: "analyst"})
    share_files(files_dir, workspace)
    owner = client_for(user, workspace)
    ds = register(owner, engine="sqlite", database="shop.sqlite3")
    sync(owner, ds["id"], django_capture_on_commit_callbacks)
    owner.put("/api/v1/metadata/columns/customers/email", {"tags": ["PII"]}, format="json")
    return {"workspace": workspace, "owner": owner, "analyst": client_for(analyst, workspace),
            "analyst_user": analyst, "ds": DataSource.objects.get(pk=ds["id"]),
            "capture": django_capture_on_commit_callbacks}


@pytest.fixture
def llm(shop):
    with FakeLLMServer() as server:
        created = shop["owner"].post("/api/v1/ai-providers", {
            "name": "Local", "provider": "openai_compatible", "model": "fake-gpt", "base_url": server.openai_url,
            "api_key": "sk-knowledge-0123456789", "timeout_seconds": 5, "is_default": True}, format="json")
        assert created.status_code == 201, created.content
        yield {**shop, "server": server}


def ask(client, question):
    response = client.post(EXECUTE, {"mode": "ai", "input": question}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_document_passages_and_earlier_answers_reach_the_model_and_the_reasoning(llm):
    upload(llm["owner"], llm["capture"], "customer-policy.md", POLICY)
    upload(llm["owner"], llm["capture"], "holidays.txt", "The office closes on public holidays in December.")
    retrieval.index_answer(llm["workspace"], "How many customers are there per segment?",
                           "SELECT segment, COUNT(*) FROM customers GROUP BY segment", "Per segment.",
                           data_source=llm["ds"])
    other = DataSource.objects.create(workspace=llm["workspace"], name="Other", engine="sqlite", database="x.db")
    retrieval.index_answer(llm["workspace"], "How many customers are there per region?",
                           "SELECT region_secret, COUNT(*) FROM clients GROUP BY 1", data_source=other)
    llm["server"].reply(reply(GOOD))

    body = ask(llm["analyst"], "How many customers are there per country?")
    assert body["status"] == "completed", body
    prompt = llm["server"].requests[0].text()
    assert "customer-policy.md" in prompt and "billing country" in prompt  # the passage, named for citing
    assert "public holidays" not in prompt  # an unrelated document stays out
    assert "GROUP BY segment" in prompt  # the earlier answer on this source is an example …
    assert "region_secret" not in prompt  # … one asked of another source is not
    context = body["reasoning"]["context_retrieved"]
    assert {"type": "table", "name": "customers"} in context
    (document,) = [entry for entry in context if entry["type"] == "document"]
    assert document["document_name"] == "customer-policy.md" and document["chunk"] == 0
    assert document["score"] > 0 and document["document_id"]
    (earlier,) = [entry for entry in context if entry["type"] == "answer"]
    assert earlier["question"] == "How many customers are there per segment?" and earlier["score"] > 0


def test_a_chat_answer_cites_the_documents_it_drew_on(llm):
    upload(llm["owner"], llm["capture"], "customer-policy.md", POLICY)
    llm["server"].reply(reply(GOOD))
    session = llm["analyst"].post("/api/v1/chat/sessions", {}, format="json").json()
    response = llm["analyst"].post(f"/api/v1/chat/sessions/{session['id']}/messages",
                                   {"content": "How many customers are there per country?"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "completed"
    assert body["content"].endswith("\n\nSource: customer-policy.md"), body["content"]


def test_a_completed_answer_is_remembered_without_its_values_and_pii_never_reaches_a_prompt(llm):
    llm["server"].reply(reply("SELECT email, country FROM customers", explanation="Emails and countries."))
    first = ask(llm["analyst"], "List the customers with their country")
    assert first["status"] == "completed"
    (remembered,) = AnsweredQuestion.objects.filter(workspace=llm["workspace"])
    assert remembered.data_source_id == llm["ds"].pk and "email" in remembered.sql.lower()
    assert "ana@example.com" not in remembered.answer_text and "Germany" not in remembered.answer_text
    assert "Columns: email, country." in remembered.answer_text

    llm["server"].reply(reply(GOOD))
    ask(llm["analyst"], "List the customers with their country code")
    prompt = llm["server"].requests[1].text()
    assert "List the customers with their country" in prompt  # found again as an example
    assert "ana@example.com" not in prompt and "bo@example.com" not in prompt
    assert "'Germany'" in prompt  # ordinary sample values still help


def test_a_refusal_or_failed_run_is_not_remembered(llm):
    llm["server"].reply(reply(None, refusal="There is no revenue table."))
    assert ask(llm["analyst"], "What is the revenue?")["status"] == "failed"
    assert not AnsweredQuestion.objects.exists()


def test_the_builtin_engine_reuses_only_an_answer_to_the_same_question_on_the_same_source(shop):
    odd = "Blorp the fizzbuzz customers"
    assert ask(shop["analyst"], odd)["error"]["code"] == "NOT_ANSWERED"
    other = DataSource.objects.create(workspace=shop["workspace"], name="Other", engine="sqlite", database="x.db")
    retrieval.index_answer(shop["workspace"], odd, "SELECT segment FROM customers", data_source=other)
    assert ask(shop["analyst"], odd)["error"]["code"] == "NOT_ANSWERED"  # another source's SQL is never run

    retrieval.index_answer(shop["workspace"], odd, "SELECT COUNT(*) AS n FROM customers", data_source=shop["ds"])
    body = ask(shop["analyst"], "blorp THE fizzbuzz customer?")  # same words: case, stop words, plural aside
    assert body["status"] == "completed" and body["results"] == [[3]], body
    assert body["reasoning"]["engine"] == services.MEMORY_ENGINE
    (reused,) = [e for e in body["reasoning"]["context_retrieved"] if e["type"] == "answer"]
    assert reused["question"] == odd and reused["score"] > 0

    # Words in another order can mean something else: only offered as a suggestion, never run.
    refused = ask(shop["analyst"], "customers fizzbuzz the blorp")
    assert refused["error"]["code"] == "NOT_ANSWERED"
    assert refused["reasoning"]["refusal"]["suggestions"][0] == odd

    # An earlier answer whose SQL no longer passes the gate is not reused.
    retrieval.index_answer(shop["workspace"], "Frobnicate the widgets", "SELECT * FROM no_such_table",
                           data_source=shop["ds"])
    assert ask(shop["analyst"], "frobnicate widgets")["error"]["code"] == "NOT_ANSWERED"


def _answer(shop, question, progress):
    membership = Membership.objects.get(workspace=shop["workspace"], user=shop["analyst_user"])
    return services.answer(question=question, ds=shop["ds"], workspace=shop["workspace"],
                           user=shop["analyst_user"], membership=membership, progress=progress)


def test_progress_reports_each_stage_as_it_starts(shop):
    seen: list[tuple[str, dict]] = []

    def progress(stage, details):
        runs = QueryRun.objects.filter(workspace=shop["workspace"]).count()
        seen.append((stage, {**details, "runs_so_far": runs}))

    run = _answer(shop, "How many customers are there?", progress)
    assert run.status == "completed"
    assert [stage for stage, _ in seen] == ["retrieving", "generating", "validating", "executing"]
    executing = seen[-1][1]
    assert executing["runs_so_far"] == 0  # announced before the query ran, not after
    assert "customers" in executing["sql"].lower()
    assert seen[1][1]["engine"] == "builtin"


def test_progress_shows_an_llm_repair_and_raising_from_it_cancels_before_the_query_runs(llm):
    llm["server"].reply(reply("SELECT land FROM customers")).reply(reply(GOOD))
    stages: list[str] = []
    run = _answer(llm, "How many customers per country?", lambda stage, details: stages.append(stage))
    assert run.status == "completed"
    assert stages == ["retrieving", "generating", "validating", "generating", "validating", "executing"]

    class Gone(BaseException):
        pass

    def cancel(stage, details):
        if stage == "executing":
            raise Gone

    llm["server"].reply(reply(GOOD))
    before = QueryRun.objects.count()
    with pytest.raises(Gone):
        _answer(llm, "How many customers per country?", cancel)
    assert QueryRun.objects.count() == before
