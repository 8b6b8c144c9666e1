"""Row- and column-level security end to end: policies written over the API govern what each member
reads — through SQL, validation, the schema endpoints and the assistant — and nobody else."""
from __future__ import annotations

import pytest

from auditing.models import AuditEvent
from conftest import assert_error
from metadata.tests.fixtures import register, share_files, sync
from teams.tests.factories import make_workspace

pytestmark = pytest.mark.django_db

EXECUTE = "/api/v1/queries/execute"
POLICIES = "/api/v1/access-policies"


@pytest.fixture
def team(user, make_user, client_for, sqlite_file, files_dir, django_capture_on_commit_callbacks):
    analyst, viewer = make_user(), make_user()
    workspace = make_workspace(user, members={analyst: "analyst", viewer: "viewer"})
    share_files(files_dir, workspace)
    owner = client_for(user, workspace)
    ds = register(owner, engine="sqlite", database="shop.sqlite3")
    sync(owner, ds["id"], django_capture_on_commit_callbacks)
    return {"owner": owner, "analyst": client_for(analyst, workspace), "viewer": client_for(viewer, workspace),
            "analyst_user": analyst, "ds": ds, "workspace": workspace}


def run(client, sql):
    return client.post(EXECUTE, {"input": sql}, format="json")


def germany_only(team, **extra):
    response = team["owner"].post(POLICIES, {"table": "customers", "role": "analyst",
                                             "row_filter": "country = 'Germany'", "hidden_columns": ["email"],
                                             **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_an_analyst_reads_only_allowed_rows_and_columns_and_the_owner_everything(team):
    before = run(team["analyst"], "SELECT customer_id, country FROM customers ORDER BY customer_id").json()
    assert before["rows_returned"] == 3  # (cached now: the policy must not be answered from that cache)
    policy = germany_only(team)
    assert policy["table"] == "customers" and policy["hidden_columns"] == ["email"]

    body = run(team["analyst"], "SELECT customer_id, country FROM customers ORDER BY customer_id").json()
    assert body["results"] == [[1, "Germany"], [3, "Germany"]] and body["cached"] is False
    star = run(team["analyst"], "SELECT * FROM customers c").json()
    assert [c["name"] for c in star["columns"]] == ["customer_id", "country", "segment"]
    joined = run(team["analyst"], 'SELECT count(*) FROM "Order Items" i JOIN customers c ON c.customer_id = '
                                  "i.customer_id").json()
    assert joined["results"] == [[1]]  # item 2 belongs to a French customer
    assert_error(run(team["analyst"], "SELECT email FROM customers"), 422, "UNKNOWN_COLUMN")
    # The view over customers would show what the policy withholds: closed until it has a policy of its own.
    assert_error(run(team["analyst"], "SELECT customer_id FROM big_customers"), 422, "RLS_UNSUPPORTED")
    germany_only(team, table="big_customers", row_filter="customer_id > 2")
    assert run(team["analyst"], "SELECT customer_id FROM big_customers").json()["results"] == [[3]]

    everything = run(team["owner"], "SELECT customer_id, email FROM customers ORDER BY customer_id").json()
    assert everything["rows_returned"] == 3 and everything["results"][0][1] == "ana@example.com"


def test_hidden_columns_are_invisible_in_the_schema_endpoints_and_validation_shows_the_filter(team):
    germany_only(team)
    tables = {t["name"]: t for t in team["analyst"].get("/api/v1/schema").json()["tables"]}
    assert "email" not in [c["name"] for c in tables["customers"]["columns"]]
    assert "email" in [c["name"] for c in
                       {t["name"]: t for t in team["owner"].get("/api/v1/schema").json()["tables"]}["customers"][
                           "columns"]]
    assert_error(team["analyst"].get("/api/v1/metadata/columns/customers/email"), 404, "COLUMN_NOT_FOUND")
    detail = team["analyst"].get(f"/api/v1/databases/{team['ds']['id']}/schema").json()
    assert all(c["name"] != "email" for t in detail["tables"] for c in t["columns"])
    validated = team["analyst"].post("/api/v1/queries/validate", {"sql": "SELECT country FROM customers"},
                                     format="json").json()
    assert validated["is_valid"] and "'Germany'" in validated["executed_sql"]


def test_a_policy_for_one_member_applies_to_that_member_only(team, make_user, client_for):
    colleague = make_user()
    from teams.models import Membership

    Membership.objects.create(workspace=team["workspace"], user=colleague, role="analyst")
    response = team["owner"].post(POLICIES, {"table": "customers", "member_id": str(team["analyst_user"].pk),
                                             "row_filter": "segment = 'Corporate'"}, format="json")
    assert response.status_code == 201, response.content
    assert run(team["analyst"], "SELECT count(*) FROM customers").json()["results"] == [[1]]
    assert run(client_for(colleague, team["workspace"]), "SELECT count(*) FROM customers").json()["results"] == [[3]]


def test_the_assistant_answers_within_the_policy(team):
    germany_only(team)
    body = team["analyst"].post(EXECUTE, {"mode": "ai", "input": "How many customers are there?"},
                                format="json").json()
    assert body["status"] == "completed" and body["results"] == [[2]]


def test_policies_are_updated_deleted_and_audited(team):
    policy = germany_only(team)
    updated = team["owner"].patch(f"{POLICIES}/{policy['id']}", {"row_filter": "country = 'France'"}, format="json")
    assert updated.status_code == 200 and updated.json()["row_filter"] == "country = 'France'"
    assert run(team["analyst"], "SELECT count(*) FROM customers").json()["results"] == [[1]]
    assert team["owner"].delete(f"{POLICIES}/{policy['id']}").status_code == 204
    assert run(team["analyst"], "SELECT count(*) FROM customers").json()["results"] == [[3]]
    actions = set(AuditEvent.objects.filter(resource_id=policy["id"]).values_list("action", flat=True))
    assert actions == {"access_policy.created", "access_policy.updated", "access_policy.deleted"}


@pytest.mark.parametrize(("body", "field"), [
    ({"table": "customers", "role": "analyst", "member_id": None, "row_filter": "x"}, "row_filter"),
    ({"table": "customers"}, "role"),
    ({"table": "nope", "role": "analyst"}, None),
    ({"table": "customers", "role": "analyst", "hidden_columns": ["nope"]}, "hidden_columns"),
    ({"table": "customers", "role": "analyst", "hidden_columns": ["customer_id", "email", "country", "segment"]},
     "hidden_columns"),
    ({"table": "customers", "role": "analyst", "row_filter": "country ="}, "row_filter"),
    ({"table": "customers", "role": "analyst", "row_filter": "nope = 1"}, "row_filter"),
    ({"table": "customers", "role": "analyst", "row_filter": "customer_id IN (SELECT 1)"}, "row_filter"),
    ({"table": "customers", "role": "analyst", "row_filter": "1=1; DROP TABLE customers"}, "row_filter"),
    ({"table": "customers", "role": "chief"}, "role"),
    ({"role": "analyst"}, "table"),
])
def test_bad_policies_are_refused_with_the_field(team, body, field):
    response = team["owner"].post(POLICIES, body, format="json")
    assert response.status_code in (400, 404), response.content
    if field:
        assert response.status_code == 400
        assert field in [d["field"] for d in response.json()["error"]["details"]], response.content


def test_only_admins_manage_policies_and_other_workspaces_cannot_see_them(team, make_user, client_for):
    policy = germany_only(team)
    assert_error(team["analyst"].get(POLICIES), 403, "PERMISSION_DENIED")
    assert_error(team["analyst"].post(POLICIES, {"table": "customers", "role": "viewer"}, format="json"), 403,
                 "PERMISSION_DENIED")
    stranger = make_user()
    other = client_for(stranger, make_workspace(stranger))
    assert_error(other.get(f"{POLICIES}/{policy['id']}"), 404, "NOT_FOUND")
    assert_error(other.delete(f"{POLICIES}/{policy['id']}"), 404, "NOT_FOUND")
    assert team["owner"].get(POLICIES).json()["count"] == 1


def test_the_assistant_does_not_know_hidden_columns_or_closed_views(team):
    from assistant.context import schema_info_for
    from metadata.access import access_for
    from metadata.models import DataSource
    from teams.models import Membership

    germany_only(team)
    ds = DataSource.objects.get(pk=team["ds"]["id"])
    membership = Membership.objects.get(user=team["analyst_user"], workspace=team["workspace"])
    info, _ = schema_info_for(ds, access_for(ds, membership))
    assert [c.name for c in info.table("customers").columns] == ["customer_id", "country", "segment"]
    assert info.table("big_customers") is None  # a view without a policy of its own is closed
    owner = Membership.objects.get(user=ds.created_by, workspace=team["workspace"])
    owner_info, _ = schema_info_for(ds, access_for(ds, owner))
    assert "email" in [c.name for c in owner_info.table("customers").columns]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_reads_under_the_exporters_policy_even_for_a_run_from_before_it(team, fmt):
    """The export re-runs the statement: it must be vetted under today's rules of the person exporting."""
    before = run(team["analyst"], "SELECT * FROM customers ORDER BY customer_id").json()
    assert before["rows_returned"] == 3
    germany_only(team)
    response = team["analyst"].post(f"/api/v1/queries/{before['query_id']}/export", {"format": fmt}, format="json")
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode()
    assert "France" not in text and "@example.com" not in text and "email" not in text
    assert text.count("Germany") == 2
    # The owner's export of the same statement reads everything.
    mine = run(team["owner"], "SELECT * FROM customers ORDER BY customer_id").json()
    full = team["owner"].post(f"/api/v1/queries/{mine['query_id']}/export", {"format": fmt}, format="json")
    assert "France" in b"".join(full.streaming_content).decode()
