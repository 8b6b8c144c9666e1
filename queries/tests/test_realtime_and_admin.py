"""ws/query/{id}/ events, the admin cache endpoints, timeouts through the API, async on a real worker."""
from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from conftest import assert_error, login
from metadata.tests.fixtures import register
from queries.models import QueryRun

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
async def test_query_socket_streams_status_to_its_owner_only(user, sqlite_file):
    from config.asgi import application

    @database_sync_to_async
    def setup():
        from rest_framework.test import APIClient

        from accounts.tests.factories import UserFactory

        owner, stranger = user, UserFactory()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(client, owner.email)['access_token']}")
        ds_id = register(client, engine="sqlite", database="shop.sqlite3")["id"]
        membership = owner.memberships.get()
        # A queued run, as query_execute(run_async=True) leaves it for the worker.
        run = QueryRun.objects.create(workspace=membership.workspace, user=owner, data_source_id=ds_id, sql="SELECT 1",
                                      executed_sql="SELECT 1 LIMIT 2", row_limit=1, status="pending", is_async=True)
        return run, login(APIClient(), owner.email)["access_token"], login(APIClient(), stranger.email)["access_token"]

    run, token, stranger_token = await setup()
    communicator = WebsocketCommunicator(application, f"/ws/query/{run.pk}/?token={token}")
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert await communicator.receive_json_from(timeout=5) == {"type": "status_changed", "query_id": str(run.pk),
                                                                 "status": "pending"}

    @database_sync_to_async
    def execute():
        from queries.services import run_now

        return run_now(QueryRun.objects.get(pk=run.pk)).status

    assert await execute() == "completed"
    events = [await communicator.receive_json_from(timeout=5), await communicator.receive_json_from(timeout=5)]
    assert [e["type"] for e in events] == ["status_changed", "completed"]
    await communicator.disconnect()

    intruder = WebsocketCommunicator(application, f"/ws/query/{run.pk}/?token={stranger_token}")
    await intruder.connect(timeout=5)
    assert (await intruder.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4404}
    await intruder.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_query_socket_sends_progress_while_an_async_query_runs(user, sqlite_file, settings):
    from config.asgi import application

    settings.QUERY_PROGRESS_SECONDS = 0.2

    @database_sync_to_async
    def setup():
        from rest_framework.test import APIClient

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(client, user.email)['access_token']}")
        ds_id = register(client, engine="sqlite", database="shop.sqlite3", options={"query_timeout": 2})["id"]
        slow = ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 1000000000) "
                "SELECT count(*) FROM r")
        run = QueryRun.objects.create(workspace=user.memberships.get().workspace, user=user, data_source_id=ds_id,
                                      sql=slow, executed_sql=slow, row_limit=1, status="pending", is_async=True)
        return run, login(APIClient(), user.email)["access_token"]

    run, token = await setup()
    communicator = WebsocketCommunicator(application, f"/ws/query/{run.pk}/?token={token}")
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["status"] == "pending"

    @database_sync_to_async
    def execute():
        from queries.services import run_now

        return run_now(QueryRun.objects.get(pk=run.pk))

    finished = await execute()
    assert finished.status == "failed" and finished.timed_out
    events = []
    while not events or events[-1]["type"] not in ("completed", "failed", "cancelled"):
        events.append(await communicator.receive_json_from(timeout=5))
    kinds = [e["type"] for e in events]
    assert kinds[0] == "status_changed" and kinds[-1] == "failed" and kinds.count("progress") >= 3, kinds
    progress = [e for e in events if e["type"] == "progress"]
    assert all(e["query_id"] == str(run.pk) and e["phase"] == "executing" for e in progress)
    assert [e["elapsed_ms"] for e in progress] == sorted(e["elapsed_ms"] for e in progress)
    await communicator.disconnect()


def test_admin_cache_endpoints_clear_query_results(system_admin, client_for, user, sqlite_file):
    client = client_for(user)
    register(client, engine="sqlite", database="shop.sqlite3")
    client.post("/api/v1/queries/execute", {"input": "SELECT count(*) FROM customers"}, format="json")
    assert client.post("/api/v1/queries/execute", {"input": "SELECT count(*) FROM customers"},
                       format="json").json()["cached"] is True
    admin = client_for(system_admin)
    stats = admin.get("/api/v1/admin/cache/stats")
    assert stats.status_code == 200 and stats.json()["backend"]
    assert admin.delete("/api/v1/admin/cache").status_code == 200
    assert client.post("/api/v1/queries/execute", {"input": "SELECT count(*) FROM customers"},
                       format="json").json()["cached"] is False
    assert_error(client.delete("/api/v1/admin/cache"), 403, "PERMISSION_DENIED")


def test_a_query_past_its_timeout_fails_as_timed_out(user, client_for, sqlite_file):
    client = client_for(user)
    ds = register(client, engine="sqlite", database="shop.sqlite3", options={"query_timeout": 1})
    long_sql = ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 1000000000) "
                "SELECT count(*) FROM r")
    body = client.post("/api/v1/queries/execute", {"input": long_sql, "database_id": ds["id"]}, format="json").json()
    assert body["status"] == "failed" and body["timed_out"] is True
    assert body["error"]["code"] == "QUERY_TIMEOUT"


@pytest.mark.pg_server
def test_a_heavy_postgres_statement_goes_to_the_queue_by_itself(user, client_for, postgres_source,
                                                                django_capture_on_commit_callbacks):
    client = client_for(user)
    ds = register(client, name="pg", **postgres_source)
    heavy = "SELECT count(*) FROM generate_series(1, 100000000000) g"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post("/api/v1/queries/execute", {"input": heavy, "database_id": ds["id"]}, format="json")
    assert response.status_code == 202 and response.json()["status"] == "pending" and len(queued) == 1
    light = client.post("/api/v1/queries/execute", {"input": "SELECT 1", "database_id": ds["id"]}, format="json")
    assert light.status_code == 200 and light.json()["status"] == "completed"


@pytest.mark.pg_server
def test_validate_reports_the_planners_row_estimate(user, client_for, postgres_source):
    client = client_for(user)
    ds = register(client, name="pg", **postgres_source)
    body = client.post("/api/v1/queries/validate", {"sql": "SELECT * FROM generate_series(1, 5000) g",
                                                    "database_id": ds["id"]}, format="json").json()
    assert body["is_valid"] and body["estimated_rows"] == 5000
