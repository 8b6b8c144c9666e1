"""Projects, sessions and messages over REST: scoping, permissions, error envelopes, and answers
checked against SQL run independently on the demo warehouse file."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from chat.models import ChatMessage, ChatSession
from conftest import assert_error

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/chat/sessions"
PROJECTS = "/api/v1/projects"


def new_session(client, **data):
    response = client.post(SESSIONS, data, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def ask(client, session_id, content, status=201, **extra):
    response = client.post(f"{SESSIONS}/{session_id}/messages", {"content": content, **extra}, format="json")
    assert response.status_code == status, response.content
    return response.json()


# --- projects -------------------------------------------------------------------------------------------

def test_project_crud_lists_its_conversations_and_delete_soft_deletes_them(auth_client):
    project = auth_client.post(PROJECTS, {"name": "Sales", "description": "Q3", "color": "#4F46E5"},
                               format="json").json()
    assert project["color"] == "#4f46e5" and project["conversations"] == []
    session = new_session(auth_client, title="Revenue", project_id=project["id"])
    listed = auth_client.get(PROJECTS).json()["results"]
    assert [c["id"] for c in listed[0]["conversations"]] == [session["id"]]
    changed = auth_client.patch(f"{PROJECTS}/{project['id']}", {"name": "Sales team", "color": "#abc"}, format="json")
    assert changed.status_code == 200 and changed.json()["name"] == "Sales team" and changed.json()["color"] == "#abc"

    assert auth_client.delete(f"{PROJECTS}/{project['id']}").status_code == 204
    assert_error(auth_client.get(f"{PROJECTS}/{project['id']}"), 404, "NOT_FOUND")
    assert_error(auth_client.get(f"{SESSIONS}/{session['id']}"), 404)
    deleted = auth_client.get(SESSIONS, {"include_deleted": "true"}).json()["results"]
    assert [s["id"] for s in deleted] == [session["id"]] and deleted[0]["is_deleted"]
    restored = auth_client.post(f"{SESSIONS}/{session['id']}/restore")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None


@pytest.mark.parametrize("color", ["blue", "#12345", "#gggggg", "4f46e5", ""])
def test_a_bad_colour_is_a_validation_error(auth_client, color):
    error = assert_error(auth_client.post(PROJECTS, {"name": "X", "color": color}, format="json"), 400,
                         "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "color"


def test_projects_of_another_workspace_are_404(auth_client, make_user, client_for):
    other = client_for(make_user())
    project = other.post(PROJECTS, {"name": "Theirs"}, format="json").json()
    assert_error(auth_client.get(f"{PROJECTS}/{project['id']}"), 404)
    assert_error(auth_client.delete(f"{PROJECTS}/{project['id']}"), 404)
    assert_error(auth_client.post(SESSIONS, {"project_id": project["id"]}, format="json"), 404, "PROJECT_NOT_FOUND")


# --- sessions -------------------------------------------------------------------------------------------

def test_session_crud_filters_and_seed_aliases(auth_client, user):
    first = new_session(auth_client, title="Churn by region")
    second = new_session(auth_client, title="Revenue")
    assert first["session_id"] == first["id"] and first["user_id"] == str(user.pk)
    assert auth_client.get(SESSIONS, {"q": "churn"}).json()["results"][0]["id"] == first["id"]
    assert auth_client.get(SESSIONS, {"limit": 1}).json()["count"] == 2
    put = auth_client.put(f"{SESSIONS}/{second['id']}", {"title": "Revenue 2024"}, format="json")
    assert put.status_code == 200 and put.json()["title"] == "Revenue 2024"
    assert auth_client.delete(f"{SESSIONS}/{second['id']}").status_code == 204
    assert [s["id"] for s in auth_client.get(SESSIONS).json()["results"]] == [first["id"]]
    # Seed 001 spelling and its delete message; seed 004's fresh session id.
    alias = auth_client.get(f"/api/v1/chat_sessions/user/{user.pk}").json()["results"]
    assert [s["id"] for s in alias] == [first["id"]]
    gone = auth_client.delete(f"/api/v1/chat_sessions/{first['id']}")
    assert gone.status_code == 200 and gone.json() == {"message": "Chat session deleted successfully"}
    fresh = auth_client.get("/api/v1/session_id")
    assert fresh.status_code == 201 and ChatSession.objects.filter(pk=fresh.json()["session_id"]).exists()


def test_bad_ids_and_inputs_are_envelopes(auth_client):
    assert_error(auth_client.get(f"{SESSIONS}/not-a-uuid"), 404)
    assert_error(auth_client.get(f"{SESSIONS}/{uuid.uuid4()}"), 404)
    assert_error(auth_client.get(SESSIONS, {"project": "nope"}), 400, "VALIDATION_ERROR")
    assert_error(auth_client.post(SESSIONS, {"data_source_id": str(uuid.uuid4())}, format="json"), 404,
                 "DATA_SOURCE_NOT_FOUND")
    assert_error(auth_client.post(SESSIONS, {"project_id": "x"}, format="json"), 400, "VALIDATION_ERROR")
    session = new_session(auth_client)
    error = assert_error(auth_client.post(f"{SESSIONS}/{session['id']}/messages", {"content": "   "}, format="json"),
                         400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "content"
    assert_error(auth_client.post(f"{SESSIONS}/{session['id']}/messages", {}, format="json"), 400, "VALIDATION_ERROR")
    assert_error(auth_client.post(f"{SESSIONS}/{uuid.uuid4()}/messages", {"content": "hi"}, format="json"), 404)
    assert not ChatMessage.objects.exists()


def test_private_sessions_are_invisible_to_colleagues_and_shared_ones_are_read_only_for_viewers(demo, viewer_in,
                                                                                                analyst_in):
    client, workspace = demo["client"], demo["workspace"]
    private = new_session(client, title="mine")
    shared = new_session(client, title="ours", shared=True)
    viewer, viewer_client = viewer_in(workspace)
    colleague, colleague_client = analyst_in(workspace)
    assert [s["id"] for s in viewer_client.get(SESSIONS).json()["results"]] == [shared["id"]]
    assert_error(viewer_client.get(f"{SESSIONS}/{private['id']}"), 404)
    assert_error(colleague_client.post(f"{SESSIONS}/{private['id']}/messages", {"content": "How many products are there?"},
                                       format="json"), 404)
    # A viewer reads the shared session but cannot ask in it, nor change or delete it.
    assert viewer_client.get(f"{SESSIONS}/{shared['id']}/messages").status_code == 200
    assert_error(viewer_client.post(f"{SESSIONS}/{shared['id']}/messages", {"content": "How many products are there?"},
                                    format="json"), 403, "PERMISSION_DENIED")
    assert_error(viewer_client.delete(f"{SESSIONS}/{shared['id']}"), 403)
    # An analyst colleague may ask in the shared one, but not rename it.
    answer = ask(colleague_client, shared["id"], "How many products are there?")
    assert answer["status"] == "completed"
    assert_error(colleague_client.patch(f"{SESSIONS}/{shared['id']}", {"title": "x"}, format="json"), 403)
    assert_error(viewer_client.get("/api/v1/session_id"), 403)


def test_another_workspaces_session_is_404(demo, make_user, client_for):
    session = new_session(demo["client"], shared=True)
    stranger = client_for(make_user())
    assert_error(stranger.get(f"{SESSIONS}/{session['id']}"), 404)
    assert_error(stranger.get(f"{SESSIONS}/{session['id']}/messages"), 404)
    assert_error(stranger.post(f"{SESSIONS}/{session['id']}/messages", {"content": "How many customers are there?"},
                               format="json"), 404)
    assert_error(stranger.get(f"{SESSIONS}/{session['id']}/context"), 404)


def test_restore_is_possible_only_within_the_retention_period(auth_client, settings):
    settings.CHAT_RETENTION_DAYS = 30
    session = new_session(auth_client)
    auth_client.delete(f"{SESSIONS}/{session['id']}")
    ChatSession.objects.filter(pk=session["id"]).update(deleted_at=timezone.now() - dt.timedelta(days=31))
    assert_error(auth_client.post(f"{SESSIONS}/{session['id']}/restore"), 404)
    from chat.tasks import purge_deleted_sessions

    assert purge_deleted_sessions() >= 1 and not ChatSession.objects.filter(pk=session["id"]).exists()


# --- messages -------------------------------------------------------------------------------------------

def test_a_question_is_answered_with_sql_rows_chart_and_a_sentence(demo):
    client, db = demo["client"], demo["db"]
    session = new_session(client)
    body = ask(client, session["id"], "How many customers are there?")
    expected = db.execute("SELECT count(*) FROM customers").fetchone()[0]
    assert body["role"] == "assistant" and body["status"] == "completed"
    assert body["rows"] == [[expected]] and body["content"] == f"There are {expected:,} customers."
    assert body["sql"].lower().startswith("select") and body["chart"]["type"] == "number"
    assert body["reasoning"]["engine"] == "builtin" and body["query_id"]
    listed = client.get(f"{SESSIONS}/{session['id']}/messages").json()
    assert [m["role"] for m in listed["results"]] == ["user", "assistant"]
    assert listed["results"][0]["content"] == "How many customers are there?"
    assert client.get(f"{SESSIONS}/{session['id']}").json()["title"] == "How many customers are there?"


@pytest.mark.parametrize(("question", "check"), [
    ("How many customers are there per segment?", "SELECT segment, count(*) FROM customers GROUP BY segment"),
    ("How many orders are there per status?", "SELECT status, count(*) FROM orders GROUP BY status"),
])
def test_breakdowns_match_sql_on_the_file(demo, question, check):
    session = new_session(demo["client"])
    body = ask(demo["client"], session["id"], question)
    assert body["status"] == "completed", body
    assert {r[0]: r[1] for r in body["rows"]} == dict(demo["db"].execute(check).fetchall())
    assert body["content"].startswith(f"Here are the {len(body['rows'])} rows") and body["chart"]["type"] == "bar"


def test_a_follow_up_is_resolved_against_the_previous_question(demo):
    client, db = demo["client"], demo["db"]
    session = new_session(client)
    ask(client, session["id"], "How many customers are there?")
    body = ask(client, session["id"], "and per segment?")
    assert body["status"] == "completed", body
    expected = dict(db.execute("SELECT segment, count(*) FROM customers GROUP BY segment").fetchall())
    assert {r[0]: r[1] for r in body["rows"]} == expected
    question = ChatMessage.objects.get(pk=body["reply_to"])
    assert question.content == "and per segment?"
    assert question.resolved_content == "How many customers are there per segment?"
    body = ask(client, session["id"], "what about Germany?")
    expected = dict(db.execute("SELECT segment, count(*) FROM customers WHERE country = 'Germany' "
                               "GROUP BY segment").fetchall())
    assert {r[0]: r[1] for r in body["rows"]} == expected
    context = client.get(f"{SESSIONS}/{session['id']}/context").json()
    assert [m["role"] for m in context["messages"]] == ["user", "assistant"] * 3
    assert context["messages"][2]["content"] == "How many customers are there per segment?"
    assert "SQL:" in context["messages"][3]["content"] and "GROUP BY" in context["messages"][3]["content"]


def test_a_refusal_says_why_and_what_to_ask(demo):
    session = new_session(demo["client"])
    body = ask(demo["client"], session["id"], "blorp the fizzbuzz quantum vibes")
    assert body["status"] == "not_answered" and body["rows"] is None and body["sql"] == ""
    assert body["reasoning"]["refusal"]["reason"] in body["content"] and "You could ask" in body["content"]


def test_an_unknown_data_source_is_404_and_nothing_is_stored(demo):
    session = new_session(demo["client"])
    assert_error(demo["client"].post(f"{SESSIONS}/{session['id']}/messages",
                                     {"content": "How many customers are there?", "data_source_id": str(uuid.uuid4())},
                                     format="json"), 404, "DATA_SOURCE_NOT_FOUND")
    assert not ChatMessage.objects.filter(session_id=session["id"]).exists()


def test_messages_paginate_with_a_cursor(demo):
    session = ChatSession.objects.create(workspace=demo["workspace"], created_by=demo["analyst"])
    for index in range(5):
        ChatMessage.objects.create(session=session, role="user", content=f"q{index}")
    first = demo["client"].get(f"{SESSIONS}/{session.pk}/messages", {"limit": 2}).json()
    assert [m["content"] for m in first["results"]] == ["q0", "q1"] and first["next"]
    second = demo["client"].get(first["next"]).json()
    assert [m["content"] for m in second["results"]] == ["q2", "q3"]


def test_a_broken_cache_degrades_to_the_database(demo, monkeypatch):
    from chat import history

    class BrokenCache:
        def __getattr__(self, name):
            def broken(*args, **kwargs):
                raise ConnectionError("redis is down")

            return broken

    session = new_session(demo["client"])
    ask(demo["client"], session["id"], "How many customers are there?")
    monkeypatch.setattr(history, "cache", BrokenCache())
    body = ask(demo["client"], session["id"], "and per segment?")
    assert body["status"] == "completed" and len(body["rows"]) == 3
    assert ChatMessage.objects.filter(session_id=session["id"]).count() == 4
    context = demo["client"].get(f"{SESSIONS}/{session['id']}/context").json()
    assert len(context["messages"]) == 4


def test_history_is_cached_and_refreshed_after_each_message(demo, django_assert_max_num_queries):
    from chat import selectors

    session = new_session(demo["client"])
    ask(demo["client"], session["id"], "How many products are there?")
    selectors.session_turns(session["id"])
    with django_assert_max_num_queries(0):
        turns = selectors.session_turns(session["id"])
    assert [t["role"] for t in turns] == ["user", "assistant"]
    ask(demo["client"], session["id"], "How many customers are there?")
    assert len(selectors.session_turns(session["id"])) == 4


def test_list_endpoints_do_not_query_per_row(auth_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(path):
        with CaptureQueriesContext(connection) as captured:
            assert auth_client.get(path).status_code == 200
        return len(captured)

    project = auth_client.post(PROJECTS, {"name": "A"}, format="json").json()
    new_session(auth_client, project_id=project["id"])
    few = count(PROJECTS), count(SESSIONS)
    for index in range(4):
        other = auth_client.post(PROJECTS, {"name": f"P{index}"}, format="json").json()
        new_session(auth_client, project_id=other["id"])
        new_session(auth_client)
    assert (count(PROJECTS), count(SESSIONS)) == few
