"""Saved queries over the API: CRUD, typed parameters bound as literals (hostile values), sharing and its
permissions, list sorting/filtering, tenant isolation, golden examples."""
from __future__ import annotations

import sqlite3

import pytest

from auditing.models import AuditEvent
from conftest import assert_error
from metadata.connectors import workspace_files_dir
from metadata.models import DataSource
from metadata.tests.fixtures import register, share_files, sync
from queries.library import golden_examples_for
from queries.models import QueryRun, SavedQuery
from teams.tests.factories import make_workspace

pytestmark = pytest.mark.django_db

URL = "/api/v1/saved-queries"
HOSTILE = ["'; DROP TABLE customers; --", "O'Brien", "a\\'b", "x\\", "ünï'cödé ☃", "' OR '1'='1", "*/ --",
           "$$ a $$", "\" OR 1=1 --", "%", "_"]


@pytest.fixture
def team(user, make_user, client_for, sqlite_file, files_dir, django_capture_on_commit_callbacks):
    analyst, viewer, other = make_user(), make_user(), make_user()
    workspace = make_workspace(user, members={analyst: "analyst", viewer: "viewer", other: "analyst"})
    share_files(files_dir, workspace)
    owner = client_for(user, workspace)
    ds = register(owner, engine="sqlite", database="shop.sqlite3")
    sync(owner, ds["id"], django_capture_on_commit_callbacks)
    return {"owner": owner, "analyst": client_for(analyst, workspace), "viewer": client_for(viewer, workspace),
            "other": client_for(other, workspace), "ds": ds, "workspace": workspace, "analyst_user": analyst,
            "viewer_user": viewer, "other_user": other, "owner_user": user,
            "path": workspace_files_dir(workspace.pk) / "shop.sqlite3"}


def create(client, **data):
    payload = {"title": "By country", "sql": "SELECT customer_id, country FROM customers WHERE country = {{country}} "
               "ORDER BY customer_id", "parameters": [{"name": "country", "type": "text", "default": "Germany"}],
               "tags": ["geo"], **data}
    response = client.post(URL, payload, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_create_read_update_delete_with_audit(team):
    body = create(team["analyst"], description="Customers of one country", question="Customers in a country?")
    assert body["title"] == "By country" and body["permission"] == "owner" and body["created_by"]
    assert body["parameters"] == [{"name": "country", "type": "text", "default": "Germany"}]
    assert body["database_id"] == team["ds"]["id"] and body["tags"] == ["geo"]
    got = team["analyst"].get(f"{URL}/{body['id']}").json()
    assert got["sql"] == body["sql"]
    updated = team["analyst"].patch(f"{URL}/{body['id']}", {"title": "Customers by country"}, format="json")
    assert updated.status_code == 200 and updated.json()["title"] == "Customers by country"
    put = team["analyst"].put(f"{URL}/{body['id']}", {"title": "T", "sql": "SELECT 1 AS one"}, format="json")
    assert put.status_code == 200, put.content
    assert put.json()["parameters"] == [] or put.json()["sql"] == "SELECT 1 AS one"
    assert team["analyst"].delete(f"{URL}/{body['id']}").status_code == 204
    assert_error(team["analyst"].get(f"{URL}/{body['id']}"), 404)
    actions = set(AuditEvent.objects.filter(resource_id=body["id"]).values_list("action", flat=True))
    assert {"saved_query.created", "saved_query.updated", "saved_query.deleted"} <= actions


def test_run_binds_parameters_and_defaults(team):
    saved = create(team["analyst"])
    default = team["analyst"].post(f"{URL}/{saved['id']}/run", {}, format="json")
    assert default.status_code == 200, default.content
    assert default.json()["results"] == [[1, "Germany"], [3, "Germany"]]
    france = team["analyst"].post(f"{URL}/{saved['id']}/run", {"parameters": {"country": "France"}}, format="json")
    assert france.json()["results"] == [[2, "France"]]
    assert "'France'" in france.json()["executed_sql"]
    assert SavedQuery.objects.get(pk=saved["id"]).run_count == 2


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_values_are_compared_as_data_never_run_as_sql(team, value):
    saved = create(team["analyst"])
    response = team["analyst"].post(f"{URL}/{saved['id']}/run", {"parameters": {"country": value}}, format="json")
    if "\\'" in value or value.endswith("\\"):
        # A backslash right before a quote reads differently across engines: refused (fail closed).
        assert_error(response, 400, "INVALID_PARAMETERS")
    else:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "completed" and response.json()["results"] == []
    # The value reached the database as one string literal: the same comparison with a real bind parameter agrees.
    connection = sqlite3.connect(team["path"])
    expected = connection.execute("SELECT customer_id, country FROM customers WHERE country = ?", (value,)).fetchall()
    assert expected == [] and connection.execute("SELECT count(*) FROM customers").fetchone()[0] == 3
    connection.close()


def test_hostile_value_that_matches_is_found_exactly(team):
    connection = sqlite3.connect(team["path"])
    connection.execute("UPDATE customers SET country = ? WHERE customer_id = 2", ("O'Brien\\ '; --",))
    connection.commit()
    connection.close()
    saved = create(team["analyst"])
    body = team["analyst"].post(f"{URL}/{saved['id']}/run", {"parameters": {"country": "O'Brien\\ '; --"}},
                                format="json").json()
    assert body["results"] == [[2, "O'Brien\\ '; --"]]


def test_typed_parameters_number_date_choice(team):
    saved = create(team["analyst"], sql="SELECT customer_id FROM customers WHERE customer_id >= {{low}} "
                   "AND segment = {{segment}} AND {{since}} >= '2000-01-01' ORDER BY customer_id",
                   parameters=[{"name": "low", "type": "number", "default": 1},
                               {"name": "segment", "type": "choice", "options": ["Consumer", "Corporate"],
                                "default": "Consumer"},
                               {"name": "since", "type": "date", "default": "2024-01-01"}])
    run = team["analyst"].post(f"{URL}/{saved['id']}/run", {"parameters": {"low": "2"}}, format="json").json()
    assert run["results"] == [[3]]
    for bad, field in [({"low": "1; DROP TABLE customers"}, "parameters.low"),
                       ({"low": True}, "parameters.low"),
                       ({"segment": "Consumer' OR '1'='1"}, "parameters.segment"),
                       ({"since": "2024-02-30"}, "parameters.since"),
                       ({"since": "yesterday"}, "parameters.since"),
                       ({"nope": 1}, "parameters.nope")]:
        error = assert_error(team["analyst"].post(f"{URL}/{saved['id']}/run", {"parameters": bad}, format="json"),
                             400, "INVALID_PARAMETERS")
        assert error["details"][0]["field"] == field, (bad, error)


def test_missing_value_without_default_is_an_error(team):
    saved = create(team["analyst"], parameters=[{"name": "country", "type": "text"}])
    error = assert_error(team["analyst"].post(f"{URL}/{saved['id']}/run", {}, format="json"), 400,
                         "INVALID_PARAMETERS")
    assert error["details"] == [{"field": "parameters.country", "message": "A value is required."}]


def test_bad_definitions_are_refused(team):
    client = team["analyst"]
    assert_error(client.post(URL, {"title": "x", "sql": "SELECT {{a}}"}, format="json"), 400, "UNDEFINED_PARAMETER")
    assert_error(client.post(URL, {"title": "x", "sql": "SELECT '{{a}}'",
                                   "parameters": [{"name": "a", "type": "text"}]}, format="json"), 400,
                 "PARAMETER_POSITION")
    assert_error(client.post(URL, {"title": "x", "sql": "SELECT {{a}}",
                                   "parameters": [{"name": "a", "type": "choice"}]}, format="json"), 400)
    assert_error(client.post(URL, {"title": "x", "sql": "SELECT {{a}}",
                                   "parameters": [{"name": "a", "type": "number", "default": "ten"}]},
                             format="json"), 400)
    assert_error(client.post(URL, {"title": "x", "sql": "SELECT {{a}}",
                                   "parameters": [{"name": "a", "type": "blob"}]}, format="json"), 400)
    assert_error(client.post(URL, {"title": "x", "sql": "DELETE FROM customers"}, format="json"), 422)
    assert_error(client.post(URL, {"title": "x"}, format="json"), 400, "VALIDATION_ERROR")
    assert_error(client.post(URL, {"sql": "SELECT 1"}, format="json"), 400, "VALIDATION_ERROR")
    assert_error(client.post(URL, {"title": "x", "sql": "SELECT 1", "database_id": "not-a-uuid"}, format="json"), 400)
    assert_error(client.post(URL, [1, 2], format="json"), 400)
    assert_error(team["viewer"].post(URL, {"title": "x", "sql": "SELECT 1"}, format="json"), 403)


def test_list_sort_search_tag_and_pagination(team):
    client = team["analyst"]
    a = create(client, title="Alpha", tags=["geo", "sales"])
    b = create(client, title="Beta", tags=["finance"], sql="SELECT 1 AS x", parameters=[])
    client.post(f"{URL}/{b['id']}/run", {}, format="json")
    client.post(f"{URL}/{b['id']}/run", {}, format="json")
    titles = [s["title"] for s in client.get(URL, {"sort": "title"}).json()["results"]]
    assert titles == ["Alpha", "Beta"]
    assert client.get(URL, {"sort": "popular"}).json()["results"][0]["id"] == b["id"]
    assert [s["id"] for s in client.get(URL, {"search": "alp"}).json()["results"]] == [a["id"]]
    assert [s["id"] for s in client.get(URL, {"tag": "finance"}).json()["results"]] == [b["id"]]
    page = client.get(URL, {"limit": 1, "page": 2, "sort": "title"}).json()
    assert page["count"] == 2 and [s["title"] for s in page["results"]] == ["Beta"]
    assert_error(client.get(URL, {"sort": "nope"}), 400)
    assert client.get(URL).json()["count"] == 2 and team["other"].get(URL).json()["count"] == 0


def test_sharing_read_and_write_permissions_on_every_path(team):
    saved = create(team["analyst"])
    sid = saved["id"]
    reader, writer = team["viewer"], team["other"]
    assert_error(reader.get(f"{URL}/{sid}"), 404)
    assert_error(reader.post(f"{URL}/{sid}/run", {}, format="json"), 404)
    shared = team["analyst"].post(f"{URL}/{sid}/share", {"user_ids": [str(team["viewer_user"].pk)],
                                                         "permission": "read"}, format="json")
    assert shared.status_code == 200, shared.content
    assert shared.json()["shared_with"][0]["permission"] == "read"
    team["analyst"].post(f"{URL}/{sid}/share", {"user_ids": [str(team["other_user"].pk)], "permission": "write"},
                         format="json")
    listed = reader.get(URL).json()["results"]
    assert [s["id"] for s in listed] == [sid] and listed[0]["permission"] == "read" and listed[0]["shared_with"] == []
    assert reader.post(f"{URL}/{sid}/run", {}, format="json").status_code == 200
    assert_error(reader.patch(f"{URL}/{sid}", {"title": "mine"}, format="json"), 403)
    assert writer.patch(f"{URL}/{sid}", {"title": "edited"}, format="json").json()["title"] == "edited"
    for client in (reader, writer):
        assert_error(client.delete(f"{URL}/{sid}"), 403)
        assert_error(client.post(f"{URL}/{sid}/share", {"user_ids": [str(team["owner_user"].pk)]}, format="json"), 403)
        assert_error(client.post(f"{URL}/{sid}/share-link", {}, format="json"), 403)
    # revoke
    assert team["analyst"].delete(f"{URL}/{sid}/share/{team['viewer_user'].pk}").status_code == 204
    assert_error(reader.get(f"{URL}/{sid}"), 404)
    assert_error(team["analyst"].delete(f"{URL}/{sid}/share/{team['viewer_user'].pk}"), 404)
    assert_error(team["analyst"].delete(f"{URL}/{sid}/share/garbage"), 404)


def test_sharing_only_with_members_of_the_workspace(team, make_user):
    saved = create(team["analyst"])
    outsider = make_user()
    error = assert_error(team["analyst"].post(f"{URL}/{saved['id']}/share", {"user_ids": [str(outsider.pk)]},
                                              format="json"), 400, "NOT_A_MEMBER")
    assert error["details"][0]["field"] == "user_ids"
    assert_error(team["analyst"].post(f"{URL}/{saved['id']}/share", {"user_ids": ["x"]}, format="json"), 400)
    assert_error(team["analyst"].post(f"{URL}/{saved['id']}/share", {"user_ids": [str(team["analyst_user"].pk)]},
                                      format="json"), 400)
    assert_error(team["analyst"].post(f"{URL}/{saved['id']}/share", {"user_ids": [str(team["viewer_user"].pk)],
                                                                     "permission": "admin"}, format="json"), 400)


def test_another_workspace_gets_404_everywhere(team, make_user, client_for):
    saved = create(team["analyst"])
    stranger = make_user()
    client = client_for(stranger)
    for response in (client.get(f"{URL}/{saved['id']}"), client.post(f"{URL}/{saved['id']}/run", {}, format="json"),
                     client.patch(f"{URL}/{saved['id']}", {"title": "x"}, format="json"),
                     client.delete(f"{URL}/{saved['id']}"),
                     client.post(f"{URL}/{saved['id']}/share", {"user_ids": [str(stranger.pk)]}, format="json")):
        assert_error(response, 404)
    assert client.get(URL).json()["count"] == 0
    # nor may a saved query point at another workspace's data source
    assert_error(client.post(URL, {"title": "x", "sql": "SELECT 1", "database_id": team["ds"]["id"]}, format="json"),
                 404)


def test_question_only_saved_query_runs_through_the_assistant(team):
    saved = team["analyst"].post(URL, {"title": "How many", "question": "How many customers are there?"},
                                 format="json").json()
    body = team["analyst"].post(f"{URL}/{saved['id']}/run", {}, format="json")
    assert body.status_code == 200, body.content
    assert body.json()["mode"] == "ai" and body.json()["results"] == [[3]]
    assert_error(team["analyst"].post(f"{URL}/{saved['id']}/run", {"parameters": {"x": 1}}, format="json"), 400)


def test_rejected_sql_at_run_is_422(team):
    saved = create(team["analyst"])
    SavedQuery.objects.filter(pk=saved["id"]).update(sql="DELETE FROM customers WHERE country = {{country}}")
    assert_error(team["analyst"].post(f"{URL}/{saved['id']}/run", {}, format="json"), 422)
    assert QueryRun.objects.filter(status="failed").exists()


def test_golden_examples_rank_by_word_overlap(team):
    client = team["analyst"]
    create(client, title="g1", question="How many customers per country?", sql="SELECT country, count(*) AS n "
           "FROM customers GROUP BY country", parameters=[])
    create(client, title="g2", question="Which segment has most customers?", sql="SELECT segment FROM customers",
           parameters=[])
    create(client, title="g3", question="Customers in a country", parameters=[{"name": "country", "type": "text",
                                                                                 "default": "Germany"}])
    ds = DataSource.objects.get(pk=team["ds"]["id"])
    analyst = team["analyst_user"].pk
    examples = golden_examples_for(ds, "count customers by country", limit=3, user_id=analyst)
    assert examples[0] == ("How many customers per country?",
                           "SELECT country, count(*) AS n FROM customers GROUP BY country")
    assert all("{{" not in sql for _, sql in examples)
    assert golden_examples_for(ds, "", limit=3, user_id=analyst) == []
    assert golden_examples_for(ds, "weather", limit=3, user_id=analyst) == []
    # Private saved queries teach nobody else's questions.
    assert golden_examples_for(ds, "count customers by country", limit=3, user_id=team["owner_user"].pk) == []


def test_a_saved_query_is_vetted_under_the_savers_access_rules(team):
    """An owner may save SQL over a column hidden from analysts; an analyst may not; running it as the
    analyst still reads only what the analyst may see."""
    owner, analyst = team["owner"], team["analyst"]
    policy = owner.post("/api/v1/access-policies", {"database_id": team["ds"]["id"], "table": "customers",
                                                   "role": "analyst", "hidden_columns": ["segment"]}, format="json")
    assert policy.status_code == 201, policy.content
    sql = "SELECT segment, count(*) AS n FROM customers GROUP BY segment"
    saved = create(owner, title="By segment", sql=sql, parameters=[])
    assert saved["id"]
    refused = analyst.post("/api/v1/saved-queries", {"title": "Mine", "sql": sql, "database_id": team["ds"]["id"]},
                           format="json")
    assert refused.status_code == 422, refused.content
    owner.post(f"/api/v1/saved-queries/{saved['id']}/share", {"user_ids": [str(team["analyst_user"].pk)],
                                                              "permission": "read"}, format="json")
    run = analyst.post(f"/api/v1/saved-queries/{saved['id']}/run", {}, format="json")
    assert run.status_code == 422 and "segment" in run.json()["error"]["message"]
