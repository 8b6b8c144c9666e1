"""The query engine over the API: validate, execute, history, cancel, popular, masking, quota, cache."""
from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import Quota
from auditing.models import AuditEvent
from conftest import assert_error
from metadata.tests.fixtures import register, share_files, sync
from queries.models import QueryRun
from teams.tests.factories import make_workspace

pytestmark = pytest.mark.django_db

EXECUTE = "/api/v1/queries/execute"


@pytest.fixture
def team(user, make_user, client_for, sqlite_file, files_dir, django_capture_on_commit_callbacks):
    """A workspace with a synced SQLite source whose customers.email is tagged PII."""
    analyst, viewer = make_user(), make_user()
    workspace = make_workspace(user, members={analyst: "analyst", viewer: "viewer"})
    share_files(files_dir, workspace)
    owner = client_for(user, workspace)
    ds = register(owner, engine="sqlite", database="shop.sqlite3")
    sync(owner, ds["id"], django_capture_on_commit_callbacks)
    owner.put("/api/v1/metadata/columns/customers/email", {"tags": ["PII"]}, format="json")
    return {"owner": owner, "analyst": client_for(analyst, workspace), "viewer": client_for(viewer, workspace),
            "ds": ds, "workspace": workspace, "analyst_user": analyst, "owner_user": user}


def test_execute_returns_rows_columns_and_records_history_and_audit(team):
    response = team["analyst"].post(EXECUTE, {"mode": "sql", "input": "SELECT customer_id, country FROM customers "
                                              "ORDER BY customer_id", "database_id": team["ds"]["id"]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "completed" and body["rows_returned"] == 3 and body["cached"] is False
    assert body["results"] == [[1, "Germany"], [2, "France"], [3, "Germany"]]
    assert body["columns"] == [{"name": "customer_id", "type": "integer"}, {"name": "country", "type": "text"}]
    assert "LIMIT" in body["executed_sql"].upper() and body["execution_time_ms"] >= 0
    assert body["started_at"] and body["finished_at"] and body["started_at"] <= body["finished_at"]
    run = QueryRun.objects.get(pk=body["query_id"])
    assert run.user == team["analyst_user"] and run.status == "completed"
    assert AuditEvent.objects.filter(action="query.executed", resource_id=str(run.pk)).exists()
    again = team["analyst"].get(f"/api/v1/queries/{run.pk}").json()
    assert again["results"] == body["results"]


def test_seed_000_query_alias_and_limit(team):
    body = team["analyst"].post("/api/v1/query", {"query": "SELECT * FROM customers", "limit": 2},
                                format="json").json()
    assert body["rows_returned"] == 2 and body["truncated"] is True
    assert any(w["code"] == "SELECT_STAR" for w in body["warnings"])


def test_rejected_sql_is_422_with_the_gates_reason_and_is_recorded(team):
    for sql, code in [("DELETE FROM customers", None), ("SELECT 1; DROP TABLE customers", None),
                      ("SELECT * FROM custmers", "UNKNOWN_TABLE")]:
        error = assert_error(team["analyst"].post(EXECUTE, {"input": sql}, format="json"), 422, code)
        assert error["details"] and error["details"][0]["field"] == "sql"
    assert QueryRun.objects.filter(status="failed").count() == 3
    assert "customers" in assert_error(team["analyst"].post(EXECUTE, {"input": "SELECT * FROM custmers"},
                                                            format="json"), 422)["message"]


def test_validate_reports_errors_warnings_and_normalized_sql(team):
    body = team["analyst"].post("/api/v1/queries/validate", {"sql": "select * from customers"}, format="json").json()
    assert body["is_valid"] is True and body["errors"] == []
    assert {w["code"] for w in body["warnings"]} >= {"SELECT_STAR"}
    assert body["normalized_sql"]
    bad = team["analyst"].post("/api/v1/queries/validate", {"sql": "UPDATE customers SET email = 'x'"},
                               format="json").json()
    assert bad["is_valid"] is False and bad["errors"][0]["code"]
    assert_error(team["analyst"].post("/api/v1/queries/validate", {}, format="json"), 400, "VALIDATION_ERROR")


def test_masked_numbers_show_no_digit_and_phone_numbers_only_their_last_four():
    from decimal import Decimal

    from queries.services import mask_value

    # an average salary over one person is that person's salary: nothing of it may show
    assert mask_value(35190.41916167665) == mask_value(84000) == mask_value(Decimal("120500.00")) == "***"
    assert mask_value("+49 30 1234567") == "***-***-4567"
    assert mask_value("ana@example.com") == "a***@example.com"


def test_pii_is_masked_for_analysts_through_aliases_and_expressions_but_not_for_admins(team):
    sql = "SELECT email, lower(email) AS contact, country FROM customers ORDER BY customer_id"
    analyst = team["analyst"].post(EXECUTE, {"input": sql}, format="json").json()
    assert analyst["results"][0] == ["a***@example.com", "a***@example.com", "Germany"]
    assert analyst["masked_columns"] == [0, 1]
    owner = team["owner"].post(EXECUTE, {"input": sql}, format="json").json()
    assert owner["results"][0] == ["ana@example.com", "ana@example.com", "Germany"]
    stored = QueryRun.objects.get(pk=analyst["query_id"])
    assert "ana@example.com" not in str(stored.preview)


def test_viewers_cannot_run_ad_hoc_sql(team):
    assert_error(team["viewer"].post(EXECUTE, {"input": "SELECT 1"}, format="json"), 403, "PERMISSION_DENIED")
    assert_error(team["viewer"].post("/api/v1/queries/validate", {"sql": "SELECT 1"}, format="json"), 403)


def test_the_same_query_is_served_from_the_cache_until_a_schema_sync(team, django_capture_on_commit_callbacks):
    sql = {"input": "SELECT count(*) AS n FROM customers"}
    first = team["analyst"].post(EXECUTE, sql, format="json").json()
    second = team["analyst"].post(EXECUTE, sql, format="json").json()
    assert (first["cached"], second["cached"]) == (False, True) and second["results"] == first["results"]
    sync(team["owner"], team["ds"]["id"], django_capture_on_commit_callbacks)
    assert team["analyst"].post(EXECUTE, sql, format="json").json()["cached"] is False


def test_quota_exhausted_is_429(team):
    Quota.objects.filter(user=team["analyst_user"]).update(daily_limit=1)
    assert team["analyst"].post(EXECUTE, {"input": "SELECT 1"}, format="json").status_code == 200
    assert_error(team["analyst"].post(EXECUTE, {"input": "SELECT 2"}, format="json"), 429, "QUOTA_EXCEEDED")


def test_async_runs_on_the_queue_and_is_read_back(team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = team["analyst"].post(EXECUTE, {"input": "SELECT 42 AS answer", "async": True}, format="json")
    assert response.status_code == 202 and response.json()["status"] == "pending"
    body = team["analyst"].get(f"/api/v1/queries/{response.json()['query_id']}").json()
    assert body["status"] == "completed" and body["results"] == [[42]]


def test_a_big_sqlite_read_goes_to_the_queue_by_the_synced_row_counts(team, settings,
                                                                        django_capture_on_commit_callbacks):
    from metadata.models import SchemaTable

    SchemaTable.objects.filter(data_source_id=team["ds"]["id"], name__in=["customers", "Order Items"]).update(
        row_count=5_000_000)
    settings.QUERY_ASYNC_ROWS = 10_000_000
    small = team["analyst"].post(EXECUTE, {"input": "SELECT country FROM customers"}, format="json")
    assert small.status_code == 200 and small.json()["status"] == "completed"  # 5 M rows: in the request
    # Without a join condition the counts multiply: 25 trillion rows is no job for a web request.
    cross = 'SELECT a.country FROM customers a, "Order Items" b'
    with django_capture_on_commit_callbacks(execute=True):
        queued = team["analyst"].post(EXECUTE, {"input": cross}, format="json")
    assert queued.status_code == 202 and queued.json()["status"] == "pending"
    run = QueryRun.objects.get(pk=queued.json()["query_id"])
    assert run.is_async and run.status == "completed" and run.rows_returned == 6  # the worker ran it (3 × 2)
    settings.QUERY_ASYNC_ROWS = 0  # the check switched off (another literal: not answered from the cache)
    direct = team["analyst"].post(EXECUTE, {"input": cross + " WHERE b.customer_id > 0"}, format="json")
    assert direct.status_code == 200 and direct.json()["cached"] is False


def test_cancel_a_finished_query_is_409_and_a_pending_one_never_runs(team):
    done = team["analyst"].post(EXECUTE, {"input": "SELECT 1"}, format="json").json()
    assert_error(team["analyst"].post(f"/api/v1/queries/{done['query_id']}/cancel"), 409, "QUERY_FINISHED")
    assert_error(team["analyst"].post(f"/api/v1/queries/cancel/{done['query_id']}"), 409, "QUERY_FINISHED")
    pending = team["analyst"].post(EXECUTE, {"input": "SELECT 2", "async": True}, format="json").json()  # not committed
    cancelled = team["analyst"].post(f"/api/v1/queries/cancel/{pending['query_id']}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    from queries.services import run_now

    assert run_now(QueryRun.objects.get(pk=pending["query_id"])).status == "cancelled"


def test_history_is_mine_filtered_and_others_are_404(team, make_user, client_for):
    team["analyst"].post(EXECUTE, {"input": "SELECT country FROM customers"}, format="json")
    team["analyst"].post(EXECUTE, {"input": "SELECT nope FROM customers"}, format="json")
    team["owner"].post(EXECUTE, {"input": "SELECT 1"}, format="json")
    history = team["analyst"].get("/api/v1/queries").json()
    assert history["count"] == 2 and all(r["results"] is None for r in history["results"])
    assert team["analyst"].get("/api/v1/queries", {"status": "failed"}).json()["count"] == 1
    assert team["analyst"].get("/api/v1/queries", {"q": "country"}).json()["count"] == 1
    owners = QueryRun.objects.get(user=team["owner_user"], sql="SELECT 1")
    assert_error(team["analyst"].get(f"/api/v1/queries/{owners.pk}"), 404)
    assert_error(team["analyst"].post(f"/api/v1/queries/cancel/{owners.pk}"), 404)
    stranger = client_for(make_user())
    assert_error(stranger.get(f"/api/v1/queries/{owners.pk}"), 404)


def test_popular_groups_formatting_and_literal_variants(team):
    for sql in ["SELECT * FROM customers WHERE customer_id = 1", "select *\n from customers where customer_id=2",
                "SELECT country FROM customers"]:
        team["analyst"].post(EXECUTE, {"input": sql}, format="json")
    popular = team["viewer"].get("/api/v1/queries/popular").json()
    assert popular[0]["runs"] == 2 and popular[1]["runs"] == 1


def test_mode_ai_answers_through_the_same_endpoint_and_viewers_cannot_ask(team):
    body = team["analyst"].post(EXECUTE, {"mode": "ai", "input": "How many customers are there?"},
                                format="json").json()
    assert body["status"] == "completed" and body["results"] == [[3]] and body["reasoning"]["engine"] == "builtin"
    assert_error(team["viewer"].post(EXECUTE, {"mode": "ai", "input": "How many customers are there?"},
                                     format="json"), 403, "PERMISSION_DENIED")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_n_runs_left_let_exactly_n_through(user, client_for, sqlite_file):
    owner = client_for(user)
    register(owner, engine="sqlite", database="shop.sqlite3")
    Quota.objects.filter(user=user).update(daily_limit=5)
    clients = [client_for(user) for _ in range(10)]
    Quota.objects.filter(user=user).update(used_today=0)
    statuses: list[int] = []
    barrier = threading.Barrier(len(clients))

    def call(client):
        barrier.wait()
        try:
            statuses.append(client.post(EXECUTE, {"input": "SELECT 1"}, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 5 + [429] * 5


def test_errors_that_would_echo_personal_values_are_redacted_for_analysts(team):
    sql = "SELECT json_extract('{}', email) FROM customers"
    analyst = team["analyst"].post(EXECUTE, {"input": sql}, format="json").json()
    assert analyst["status"] == "failed" and "@example.com" not in str(analyst)
    owner = team["owner"].post(EXECUTE, {"input": sql}, format="json").json()
    assert owner["status"] == "failed"


def test_popular_shows_no_literals_of_other_people(team):
    team["owner"].post(EXECUTE, {"input": "SELECT country FROM customers WHERE email = 'ana@example.com'"}, format="json")
    popular = team["viewer"].get("/api/v1/queries/popular").json()
    assert popular and "ana@example.com" not in str(popular)


def test_a_huge_value_is_cut_and_a_huge_result_stops_early(team, settings):
    settings.QUERY_MAX_CELL_CHARS = 1000
    body = team["analyst"].post(EXECUTE, {"input": "SELECT printf('%.*c', 50000, 'x') AS big"}, format="json").json()
    assert body["status"] == "completed" and len(body["results"][0][0]) < 1100
    settings.QUERY_MAX_RESULT_BYTES = 200
    many = team["analyst"].post(EXECUTE, {"input": "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r "
                                                   "WHERE n < 5000) SELECT n, 'padding padding' FROM r"},
                                format="json").json()
    assert many["status"] == "completed" and many["truncated"] is True and many["rows_returned"] < 100


def test_a_run_abandoned_by_a_dead_process_is_failed_and_cancel_does_not_fire_at_it(team):
    from datetime import timedelta

    from django.utils import timezone

    from queries.tasks import reap_stale_runs

    done = team["analyst"].post(EXECUTE, {"input": "SELECT 1"}, format="json").json()
    QueryRun.objects.filter(pk=done["query_id"]).update(status="running", backend_pid="12345",
                                                        created_at=timezone.now() - timedelta(hours=1))
    assert_error(team["analyst"].post(f"/api/v1/queries/{done['query_id']}/cancel"), 409, "QUERY_FINISHED")
    assert QueryRun.objects.get(pk=done["query_id"]).error_code == "QUERY_ABANDONED"
    assert reap_stale_runs() == 0


def test_untraceable_output_over_personal_tables_is_masked_entirely(team):
    body = team["analyst"].post(EXECUTE, {"input": "SELECT * FROM customers, json_each('[1]') ORDER BY customer_id"},
                                format="json").json()
    assert body["status"] == "completed", body
    assert "ana@example.com" not in str(body["results"]) and body["masked_columns"] == [-1]
    owner = team["owner"].post(EXECUTE, {"input": "SELECT * FROM customers, json_each('[1]') ORDER BY customer_id"},
                               format="json").json()
    assert "ana@example.com" in str(owner["results"])


def test_sql_runs_get_a_chart_from_their_shape_cached_or_not(team):
    sql = "SELECT country, count(*) AS n FROM customers GROUP BY country ORDER BY n DESC"
    first = team["analyst"].post(EXECUTE, {"input": sql}, format="json").json()
    assert first["chart"]["type"] == "bar" and first["chart"]["spec"]["data"]["values"] == [
        {"country": "Germany", "n": 2}, {"country": "France", "n": 1}]
    again = team["analyst"].post(EXECUTE, {"input": sql}, format="json").json()
    assert again["cached"] is True and again["chart"] == first["chart"]
    single = team["analyst"].post(EXECUTE, {"input": "SELECT count(*) AS n FROM customers"}, format="json").json()
    assert single["chart"]["type"] == "number"
    listing = team["analyst"].post(EXECUTE, {"input": "SELECT email, country FROM customers"}, format="json").json()
    assert listing["chart"] is None or listing["chart"]["type"] == "table"  # a listing: the table is the view


def test_every_address_in_a_value_is_masked_not_only_the_first(team):
    for sql in ("SELECT group_concat(email, ',') FROM customers",
                "SELECT email || ' ' || email FROM customers ORDER BY customer_id LIMIT 1"):
        body = team["analyst"].post(EXECUTE, {"input": sql}, format="json").json()
        text = str(body["results"])
        assert "@example.com" in text and not any(name in text for name in ("ana@", "bo@", "cy@")), text
