"""GET /analytics, /analytics/queries and /admin/metrics against a known set of runs."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from auditing import analytics
from conftest import assert_error
from queries.models import QueryRun
from teams.roles import Role
from teams.tests.factories import make_workspace

NOW = datetime(2025, 6, 11, 15, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def team(make_user):
    owner, analyst, viewer = make_user(), make_user(), make_user()
    workspace = make_workspace(owner, members={analyst: Role.ANALYST, viewer: Role.VIEWER})
    return {"workspace": workspace, "owner": owner, "analyst": analyst, "viewer": viewer}


def run(workspace, user, *, at, status="completed", ms=None, sql="SELECT id FROM orders LIMIT 10", mode="sql"):
    with mock.patch("django.utils.timezone.now", return_value=at):
        import hashlib

        from queries.safety import fingerprint

        digest = hashlib.sha256(fingerprint(sql, engine="sqlite").encode()).hexdigest()
        return QueryRun.objects.create(workspace=workspace, user=user, sql=sql, executed_sql=sql, status=status,
                                       execution_time_ms=ms, mode=mode, fingerprint=digest)


@pytest.fixture
def runs(team, make_user):
    ws, analyst, owner = team["workspace"], team["analyst"], team["owner"]
    join = "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id LIMIT 10"
    run(ws, analyst, at=NOW - timedelta(hours=1), ms=100)                                   # today
    run(ws, analyst, at=NOW - timedelta(hours=2), ms=300, sql=join, mode="ai")              # today
    run(ws, analyst, at=NOW - timedelta(hours=3), status="failed")                          # today
    run(ws, owner, at=NOW - timedelta(days=1), ms=200, sql=join)                            # Tuesday
    run(ws, owner, at=NOW - timedelta(days=2, hours=1), status="cancelled")                 # Monday
    run(ws, owner, at=NOW - timedelta(days=5), ms=400, sql="SELECT name FROM products LIMIT 5")  # last week
    other = make_workspace(make_user(), name="Other")
    run(other, analyst, at=NOW - timedelta(hours=1), ms=9999)  # never counted in `ws`


def test_workspace_query_analytics_numbers(team, runs):
    data = analytics.workspace_query_analytics(workspace=team["workspace"], days=7, now=NOW)

    assert data["total_queries"] == 6
    assert (data["completed"], data["failed"], data["cancelled"], data["questions"]) == (4, 1, 1, 1)
    assert data["queries_today"] == 3
    assert data["queries_this_week"] == 5  # since Monday 00:00 UTC
    assert data["avg_execution_time_ms"] == 250.0  # completed runs: 100, 300, 200, 400
    assert data["error_rate"] == 0.2 and data["success_rate"] == 0.8
    assert [d["date"] for d in data["per_day"]] == [(NOW - timedelta(days=6 - i)).date().isoformat() for i in range(7)]
    assert [d["queries"] for d in data["per_day"]] == [0, 1, 0, 0, 1, 1, 3]
    assert data["per_day"][-1]["failed"] == 1 and data["per_day"][-1]["avg_execution_time_ms"] == 200.0
    assert data["top_tables"] == [{"table": "orders", "queries": 3}, {"table": "customers", "queries": 2},
                                  {"table": "products", "queries": 1}]
    assert [(u["email"], u["queries"], u["failed"]) for u in data["top_users"]] == sorted(
        [(team["analyst"].email, 3, 1), (team["owner"].email, 3, 0)], key=lambda t: t[0])


def test_query_analytics_endpoint(team, runs, client_for):
    client = client_for(team["viewer"], team["workspace"])

    with mock.patch("django.utils.timezone.now", return_value=NOW):
        response = client.get("/api/v1/analytics/queries", {"days": 3})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total_queries"] == 6 and body["queries_today"] == 3 and len(body["per_day"]) == 3
    assert body["top_tables"][0] == {"table": "orders", "queries": 3}


@pytest.mark.parametrize("days", ["0", "367", "abc", "-1"])
def test_bad_days_are_validation_errors(team, client_for, days):
    response = client_for(team["viewer"], team["workspace"]).get("/api/v1/analytics/queries", {"days": days})
    assert assert_error(response, 400, "VALIDATION_ERROR")["details"][0]["field"] == "days"


def test_user_analytics_are_the_callers_own(team, runs, client_for):
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        body = client_for(team["analyst"], team["workspace"]).get("/api/v1/analytics").json()

    assert body["scope"] == "user" and body["user_id"] == str(team["analyst"].pk)
    assert body["total_queries"] == 3 and body["questions"] == 1 and body["failed"] == 1
    assert body["success_rate"] == round(2 / 3, 4)
    assert sum(d["queries"] for d in body["per_day"]) == 3


def test_system_scope_is_for_installation_admins(team, runs, client_for, system_admin):
    assert_error(client_for(team["owner"], team["workspace"]).get("/api/v1/analytics", {"scope": "system"}), 403)
    assert_error(client_for(team["owner"], team["workspace"]).get("/api/v1/analytics", {"scope": "x"}), 400)
    body = client_for(system_admin).get("/api/v1/analytics", {"scope": "system"}).json()
    assert body["scope"] == "system" and body["total_queries"] == 7


def test_admin_metrics(team, runs, client_for, system_admin, make_user):
    from accounts.models import User

    User.objects.filter(pk=make_user().pk).update(is_active=False)
    client = client_for(system_admin)

    body = client.get("/api/v1/admin/metrics").json()

    from teams.models import Workspace

    assert body["total_users"] == User.objects.count() == 6
    assert body["active_accounts"] == 5
    assert body["total_workspaces"] == Workspace.objects.count()
    assert body["total_queries"] == 7 and body["total_data_sources"] == 0
    # Logged in just now (the client) or created a workspace (audit event): the admin and the owners.
    assert body["active_users_24h"] >= 1
    assert set(body) >= {"total_users", "total_projects", "total_conversations", "total_messages",
                         "active_users_24h"}
    assert_error(client_for(team["owner"]).get("/api/v1/admin/metrics"), 403, "PERMISSION_DENIED")


def test_active_users_in_24h(team, runs, make_user):
    # Runs 1-3 h ago by the analyst (and in the other workspace), owner only > 24 h ago; workspace
    # creation left audit events for both owners "now" (the real clock), so count from NOW.
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        count = analytics.active_users_since(NOW - timedelta(hours=24))
    assert count >= 1
    from auditing.models import AuditEvent

    recent_actors = set(AuditEvent.objects.filter(created_at__gte=NOW - timedelta(hours=24))
                        .exclude(actor_id=None).values_list("actor_id", flat=True))
    assert count == len(recent_actors | {team["analyst"].pk})


def test_analytics_query_count_is_bounded(team, runs, client_for, django_assert_max_num_queries):
    client = client_for(team["viewer"], team["workspace"])
    with django_assert_max_num_queries(14):
        assert client.get("/api/v1/analytics/queries").status_code == 200
