from __future__ import annotations

import sqlite3

import pytest
from django.core.management import call_command

from conftest import login


@pytest.fixture
def demo(files_dir, monkeypatch, client_for):
    """The demo warehouse (1,500 orders) in the demo workspace, the analyst's client, and a read-only
    connection to the same SQLite file to check answers independently."""
    monkeypatch.setenv("DEMO_WAREHOUSE_ORDERS", "1500")
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    from accounts.models import User
    from metadata.connectors import workspace_files_dir
    from metadata.models import DataSource

    ds = DataSource.objects.get(name="Demo retail warehouse")
    analyst = User.objects.get(email="analyst@insightengine.local")
    admin = User.objects.get(email="admin@insightengine.local")
    from rest_framework.test import APIClient

    client = APIClient()
    tokens = login(client, analyst.email, "insight-analyst-2024")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    client.tokens = tokens
    path = workspace_files_dir(ds.workspace_id) / ds.database
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    yield {"client": client, "ds": ds, "db": connection, "workspace": ds.workspace, "analyst": analyst,
           "admin": admin, "access_token": tokens["access_token"]}
    connection.close()


def member(workspace, role, make_user):
    from teams.models import Membership

    person = make_user()
    Membership.objects.create(workspace=workspace, user=person, role=role)
    return person


@pytest.fixture
def viewer_in(make_user, client_for):
    def build(workspace):
        person = member(workspace, "viewer", make_user)
        return person, client_for(person, workspace)

    return build


@pytest.fixture
def analyst_in(make_user, client_for):
    def build(workspace):
        person = member(workspace, "analyst", make_user)
        return person, client_for(person, workspace)

    return build
