"""Webhooks fire from the work itself: a query run, a member invited, a schema sync."""
from __future__ import annotations

import json

import pytest

from auditing import webhooks
from auditing.models import WebhookDelivery
from auditing.tests import receiver as receivers
from metadata.tests.fixtures import register, share_files, sync
from teams.tests.factories import make_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def loopback(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    receiver = receivers.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_query_runs_member_invitations_and_syncs_are_delivered(user, client_for, sqlite_file, files_dir, loopback,
                                                                django_capture_on_commit_callbacks):
    workspace = make_workspace(user)
    share_files(files_dir, workspace)
    webhooks.webhook_create(workspace=workspace, user=user, url=loopback.url(),
                            events=["query_completed", "query_failed", "member_invited", "data_source_synced"])
    owner = client_for(user, workspace)
    with django_capture_on_commit_callbacks(execute=True):
        ds = register(owner, engine="sqlite", database="shop.sqlite3")
    sync(owner, ds["id"], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        done = owner.post("/api/v1/queries/execute", {"input": "SELECT count(*) FROM customers"}, format="json")
        owner.post("/api/v1/queries/execute", {"input": "SELECT 1/0 + nope FROM customers"}, format="json")
        owner.post("/api/v1/team/members", {"email": "new@example.com", "role": "viewer"}, format="json")
    events = [json.loads(r.body)["event"] for r in loopback.requests]
    assert events.count("query_completed") == 1 and "member_invited" in events and "data_source_synced" in events
    completed = next(json.loads(r.body) for r in loopback.requests if json.loads(r.body)["event"] == "query_completed")
    assert completed["data"]["query_id"] == done.json()["query_id"] and completed["data"]["rows_returned"] == 1
    assert WebhookDelivery.objects.filter(event="query_completed", status="succeeded").count() == 1
