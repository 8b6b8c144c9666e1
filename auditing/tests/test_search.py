"""POST /search: results across what the caller may see — and nothing from another workspace or
another member's private history/sessions."""
from __future__ import annotations

import uuid

import pytest

from chat.models import ChatSession
from conftest import assert_error
from knowledge.models import Document
from metadata.models import DataSource, SchemaTable
from queries.models import QueryRun
from teams.roles import Role
from teams.tests.factories import make_workspace

URL = "/api/v1/search"


def _world(workspace, owner, other_member):
    ds = DataSource.objects.create(workspace=workspace, name="Warehouse", engine="sqlite", database="w.sqlite3")
    SchemaTable.objects.create(data_source=ds, name="order_items", alias="Revenue lines",
                               description="One row per customer order line with revenue")
    SchemaTable.objects.create(data_source=ds, name="gone_revenue", is_removed=True)
    QueryRun.objects.create(workspace=workspace, user=owner, question="customer revenue by month",
                            sql="SELECT 1", status="completed")
    QueryRun.objects.create(workspace=workspace, user=other_member, question="secret revenue of others",
                            sql="SELECT 2", status="completed")
    ChatSession.objects.create(workspace=workspace, created_by=owner, title="Revenue deep dive")
    ChatSession.objects.create(workspace=workspace, created_by=other_member, title="Private revenue notes")
    ChatSession.objects.create(workspace=workspace, created_by=other_member, title="Shared revenue board", shared=True)
    Document.objects.create(workspace=workspace, uploaded_by=owner, name="revenue-glossary.pdf",
                            stored_name=uuid.uuid4().hex, size=10, sha256="0" * 64, content_type="application/pdf")


@pytest.fixture
def team(make_user):
    owner, analyst, stranger = make_user(), make_user(), make_user()
    workspace = make_workspace(owner, members={analyst: Role.ANALYST})
    other = make_workspace(stranger, name="Other")
    _world(workspace, owner, analyst)
    _world(other, stranger, stranger)
    return {"workspace": workspace, "other": other, "owner": owner, "analyst": analyst, "stranger": stranger}


def titles(response):
    assert response.status_code == 200, response.content
    return {(hit["type"], hit["title"]) for hit in response.json()["results"]}


def test_search_finds_what_the_caller_may_see(team, client_for):
    client = client_for(team["owner"], team["workspace"])

    found = titles(client.post(URL, {"q": "revenue", "limit": 50}, format="json"))

    assert ("table", "Revenue lines") in found
    assert ("query", "customer revenue by month") in found
    assert ("session", "Revenue deep dive") in found and ("session", "Shared revenue board") in found
    assert ("document", "revenue-glossary.pdf") in found
    # Not: another member's history or private session, removed tables, anything of the other workspace.
    assert ("query", "secret revenue of others") not in found
    assert ("session", "Private revenue notes") not in found
    assert not any("gone_revenue" in title for _, title in found)
    other_ids = {str(pk) for pk in SchemaTable.objects.filter(data_source__workspace=team["other"])
                 .values_list("pk", flat=True)}
    assert not other_ids & {hit["id"] for hit in client.post(URL, {"q": "revenue"}, format="json").json()["results"]}
    assert len([t for t in found if t[0] == "table"]) == 1 and len([t for t in found if t[0] == "document"]) == 1


def test_results_have_the_seed_shape_and_are_ranked(team, client_for):
    body = client_for(team["owner"], team["workspace"]).post(URL, {"q": "customer revenue"}, format="json").json()

    assert body["count"] == len(body["results"]) > 0
    first = body["results"][0]
    assert set(first) == {"type", "id", "title", "snippet", "relevance", "extra"}
    relevances = [hit["relevance"] for hit in body["results"]]
    assert relevances == sorted(relevances, reverse=True) and all(0 < r <= 1 for r in relevances)
    # Both words in the title or text beat one word.
    assert first["title"] in ("customer revenue by month", "Revenue lines")


def test_type_filter_and_limit(team, client_for):
    client = client_for(team["owner"], team["workspace"])

    only_tables = client.post(URL, {"q": "revenue", "type": ["tables"]}, format="json").json()["results"]
    assert {hit["type"] for hit in only_tables} == {"table"}
    seed_string = client.post(URL, {"q": "revenue", "type": "sessions"}, format="json").json()["results"]
    assert {hit["type"] for hit in seed_string} == {"session"}
    assert len(client.post(URL, {"q": "revenue", "limit": 2}, format="json").json()["results"]) == 2


def test_a_viewer_searches_too_and_the_other_tenant_sees_only_its_own(team, client_for):
    theirs = client_for(team["stranger"], team["other"]).post(URL, {"q": "revenue", "limit": 100}, format="json")
    ids = {hit["id"] for hit in theirs.json()["results"]}
    mine = {str(pk) for pk in QueryRun.objects.filter(workspace=team["workspace"]).values_list("pk", flat=True)}
    mine |= {str(pk) for pk in ChatSession.objects.filter(workspace=team["workspace"]).values_list("pk", flat=True)}
    mine |= {str(pk) for pk in Document.objects.filter(workspace=team["workspace"]).values_list("pk", flat=True)}
    assert ids and not ids & mine


def test_saved_queries_and_templates_are_found_as_their_owners_may_see_them(team, client_for):
    from queries.models import SavedQuery

    SavedQuery.objects.create(workspace=team["workspace"], owner=team["owner"], title="Quarterly revenue",
                              sql="SELECT 1")
    SavedQuery.objects.create(workspace=team["workspace"], owner=team["analyst"], title="Analyst revenue private",
                              sql="SELECT 1")
    found = titles(client_for(team["owner"], team["workspace"]).post(
        URL, {"q": "revenue", "type": ["saved_queries"]}, format="json"))
    assert found == {("saved_query", "Quarterly revenue")}


@pytest.mark.parametrize("body, field", [
    ({}, "q"), ({"q": ""}, "q"), ({"q": "x" * 501}, "q"), ({"q": "a", "type": ["nope"]}, "type.0"),
    ({"q": "a", "type": []}, "type"), ({"q": "a", "limit": 0}, "limit"), ({"q": "a", "limit": "many"}, "limit"),
])
def test_bad_input_is_a_validation_error(team, client_for, body, field):
    response = client_for(team["owner"], team["workspace"]).post(URL, body, format="json")
    assert assert_error(response, 400, "VALIDATION_ERROR")["details"][0]["field"] == field


def test_punctuation_only_finds_nothing_without_error(team, client_for):
    response = client_for(team["owner"], team["workspace"]).post(URL, {"q": "%_'\"; --"}, format="json")
    assert response.status_code == 200 and response.json()["results"] == []


def test_requires_authentication(db, api_client):
    assert_error(api_client.post(URL, {"q": "x"}, format="json"), 401)
