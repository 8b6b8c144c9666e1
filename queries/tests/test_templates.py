"""Templates: built-ins that actually run on the demo warehouse (clone → run), workspace templates managed by
admins, read-only built-ins, filters, tenant isolation."""
from __future__ import annotations

import pytest
from django.core.management import call_command

from conftest import assert_error, login
from metadata.models import DataSource
from queries.builtin_templates import BUILTIN_TEMPLATES, sync
from queries.models import QueryTemplate
from teams.tests.factories import make_workspace

pytestmark = pytest.mark.django_db

URL = "/api/v1/templates"


@pytest.fixture(autouse=True)
def builtins(db):
    sync(QueryTemplate)  # a transactional test elsewhere may have flushed the migration's rows


@pytest.fixture
def demo(files_dir, monkeypatch, api_client):
    monkeypatch.setenv("DEMO_WAREHOUSE_ORDERS", "1500")
    call_command("seed_demo")
    ds = DataSource.objects.get(name="Demo retail warehouse")
    tokens = login(api_client, "analyst@insightengine.local", "insight-analyst-2024")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}",
                           HTTP_X_WORKSPACE_ID=str(ds.workspace_id))
    return {"client": api_client, "ds": ds}


def test_every_builtin_template_clones_and_runs_on_the_demo_warehouse(demo):
    client = demo["client"]
    listed = client.get(URL, {"limit": 100}).json()
    builtins = [t for t in listed["results"] if t["is_builtin"]]
    assert len(builtins) == len(BUILTIN_TEMPLATES)
    assert {t["category"] for t in builtins} >= {"sales", "customers", "products", "operations"}
    for template in builtins:
        clone = client.post(f"{URL}/{template['id']}/clone", {}, format="json")
        assert clone.status_code == 201, (template["slug"], clone.content)
        saved = clone.json()
        assert saved["template_id"] == template["id"] and saved["permission"] == "owner"
        assert saved["database_id"] == str(demo["ds"].pk)
        run = client.post(f"/api/v1/saved-queries/{saved['id']}/run", {}, format="json")
        assert run.status_code == 200, (template["slug"], run.content)
        body = run.json()
        assert body["status"] == "completed", (template["slug"], body["error"])
        assert body["rows_returned"] > 0, template["slug"]


def test_parameters_of_a_cloned_template_change_the_result(demo):
    client = demo["client"]
    template = client.get(URL, {"search": "Orders by status"}).json()["results"][0]
    saved = client.post(f"{URL}/{template['id']}/clone", {"title": "Mine"}, format="json").json()
    assert saved["title"] == "Mine"
    online = client.post(f"/api/v1/saved-queries/{saved['id']}/run", {}, format="json").json()
    mobile = client.post(f"/api/v1/saved-queries/{saved['id']}/run", {"parameters": {"channel": "mobile"}},
                         format="json").json()
    assert online["results"] != mobile["results"]
    assert_error(client.post(f"/api/v1/saved-queries/{saved['id']}/run", {"parameters": {"channel": "fax"}},
                             format="json"), 400, "INVALID_PARAMETERS")
    top = client.get(URL, {"search": "Top customers"}).json()["results"][0]
    saved = client.post(f"{URL}/{top['id']}/clone", {}, format="json").json()
    three = client.post(f"/api/v1/saved-queries/{saved['id']}/run", {"parameters": {"top_n": 3}},
                        format="json").json()
    assert three["rows_returned"] == 3


@pytest.fixture
def team(user, make_user, client_for):
    analyst = make_user()
    workspace = make_workspace(user, members={analyst: "analyst"})
    return {"admin": client_for(user, workspace), "analyst": client_for(analyst, workspace), "workspace": workspace}


def test_workspace_templates_are_managed_by_admins_and_builtins_are_read_only(team, make_user, client_for):
    payload = {"title": "Big orders", "sql": "SELECT order_id FROM orders WHERE total_amount > {{min}}",
               "category": "sales", "tags": ["orders"], "parameters": [{"name": "min", "type": "number",
                                                                        "default": 100}]}
    assert_error(team["analyst"].post(URL, payload, format="json"), 403)
    created = team["admin"].post(URL, payload, format="json")
    assert created.status_code == 201, created.content
    template = created.json()
    assert template["is_builtin"] is False and template["workspace_id"] == str(team["workspace"].pk)
    assert team["analyst"].get(f"{URL}/{template['id']}").status_code == 200
    assert team["admin"].patch(f"{URL}/{template['id']}", {"title": "Large orders"},
                               format="json").json()["title"] == "Large orders"
    assert_error(team["analyst"].patch(f"{URL}/{template['id']}", {"title": "x"}, format="json"), 403)
    builtin = QueryTemplate.objects.filter(is_builtin=True).first()
    assert_error(team["admin"].put(f"{URL}/{builtin.pk}", payload, format="json"), 403, "TEMPLATE_READ_ONLY")
    assert_error(team["admin"].delete(f"{URL}/{builtin.pk}"), 403, "TEMPLATE_READ_ONLY")
    # filters
    sales = team["analyst"].get(URL, {"category": "sales", "limit": 100}).json()["results"]
    assert sales and all(t["category"] == "sales" for t in sales)
    assert [t["title"] for t in team["analyst"].get(URL, {"search": "large orders"}).json()["results"]] == [
        "Large orders"]
    # another tenant sees the built-ins but not this workspace's template
    stranger = client_for(make_user())
    assert_error(stranger.get(f"{URL}/{template['id']}"), 404)
    assert_error(stranger.post(f"{URL}/{template['id']}/clone", {}, format="json"), 404)
    assert_error(stranger.delete(f"{URL}/{template['id']}"), 404)
    assert stranger.get(f"{URL}/{builtin.pk}").status_code == 200
    assert team["admin"].delete(f"{URL}/{template['id']}").status_code == 204


def test_bad_template_input_is_an_error_envelope(team):
    admin = team["admin"]
    assert_error(admin.post(URL, {"title": "x", "sql": "SELECT 1", "category": "astrology"}, format="json"), 400)
    assert_error(admin.post(URL, {"title": "x", "category": "sales"}, format="json"), 400)
    assert_error(admin.post(URL, {"title": "x", "sql": "SELECT {{a}}", "category": "sales"}, format="json"), 400,
                 "UNDEFINED_PARAMETER")
    assert_error(admin.get(f"{URL}/not-a-uuid"), 404)
    assert_error(admin.post(f"{URL}/not-a-uuid/clone", {}, format="json"), 404)
