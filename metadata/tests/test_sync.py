"""Schema sync on real engines, incremental re-sync, the dictionary, versions, auto-guess."""
from __future__ import annotations

import sqlite3

import pytest

from conftest import assert_error
from metadata.models import DataSource, SchemaColumn, SchemaTable
from metadata.tests.fixtures import register, sync

pytestmark = pytest.mark.django_db


def by_name(schema):
    return {t["qualified_name"]: t for t in schema["tables"]}


def test_sqlite_sync_reads_tables_views_columns_keys_counts_and_samples(
        owner_client, sqlite_file, django_capture_on_commit_callbacks):
    ds = register(owner_client, engine="sqlite", database="shop.sqlite3")
    job = sync(owner_client, ds["id"], django_capture_on_commit_callbacks)
    assert job["status"] == "succeeded", job
    assert job["result"]["tables"] == 4 and job["result"]["tables_added"] == 4
    assert job["result"]["relationships"] == 1
    schema = owner_client.get(f"/api/v1/databases/{ds['id']}/schema").json()
    tables = by_name(schema)
    assert set(tables) == {"customers", "Order Items", "select", "big_customers"}
    assert tables["big_customers"]["kind"] == "view"
    assert tables["customers"]["row_count"] == 3
    items = {c["name"]: c for c in tables["Order Items"]["columns"]}
    assert set(items) == {"Item ID", "customer_id", "select", "MixedCase", "naïve ünïcode", 'he said "hi"'}
    assert items["Item ID"]["is_primary_key"] and "PK" in items["Item ID"]["tags"]
    assert "FK" in items["customer_id"]["tags"]
    assert items["MixedCase"]["default"] == "1.5"
    customers = {c["name"]: c for c in tables["customers"]["columns"]}
    assert sorted(customers["country"]["sample_values"]) == ["France", "Germany"]
    assert customers["segment"]["distinct_count"] == 2
    # e-mail looks personal by its name: its values are never copied into the dictionary
    assert customers["email"]["sample_values"] == []
    assert schema["relationships"] == [{"name": schema["relationships"][0]["name"], "from_table": "Order Items",
                                        "from_columns": ["customer_id"], "to_table": "customers",
                                        "to_columns": ["customer_id"]}]
    # the default data source answers /schema too
    assert {t["name"] for t in owner_client.get("/api/v1/schema").json()["tables"]} == set(tables)


def test_resync_is_incremental_keeps_human_edits_and_marks_removed(
        owner_client, sqlite_file, django_capture_on_commit_callbacks):
    ds = register(owner_client, engine="sqlite", database="shop.sqlite3", read_only=False)
    sync(owner_client, ds["id"], django_capture_on_commit_callbacks)
    owner_client.put("/api/v1/metadata/tables/customers", {"alias": "Clients", "description": "Who buys"},
                     format="json")
    owner_client.put("/api/v1/metadata/columns/customers/country", {"synonyms": ["nation"], "tags": ["dimension"]},
                     format="json")
    connection = sqlite3.connect(sqlite_file)
    connection.executescript('DROP TABLE "select"; ALTER TABLE customers ADD COLUMN vip INTEGER; '
                             "CREATE TABLE stores (store_id INTEGER PRIMARY KEY);")
    connection.close()
    job = sync(owner_client, ds["id"], django_capture_on_commit_callbacks)
    result = job["result"]
    assert (result["tables_added"], result["tables_removed"], result["columns_added"]) == (1, 1, 2)
    assert result["changes"]["tables_added"] == ["stores"] and result["changes"]["tables_removed"] == ["select"]
    assert result["changes"]["columns_added"] == ["customers.vip"]  # stores' own columns come with the table
    customers = owner_client.get("/api/v1/metadata/tables/customers").json()
    assert customers["alias"] == "Clients" and customers["description"] == "Who buys"
    country = next(c for c in customers["columns"] if c["name"] == "country")
    assert country["synonyms"] == ["nation"] and country["tags"] == ["dimension"]
    assert "vip" in {c["name"] for c in customers["columns"]}
    removed = SchemaTable.objects.get(name="select")
    assert removed.is_removed and removed.removed_at is not None
    listed = owner_client.get("/api/v1/metadata/tables").json()
    assert "select" not in {t["name"] for t in listed["results"]}
    with_removed = owner_client.get("/api/v1/metadata/tables", {"include_removed": "true"}).json()
    assert "select" in {t["name"] for t in with_removed["results"]}


def test_a_database_that_disappears_mid_sync_fails_cleanly_and_keeps_the_old_schema(
        owner_client, sqlite_file, django_capture_on_commit_callbacks, monkeypatch):
    ds = register(owner_client, engine="sqlite", database="shop.sqlite3")
    sync(owner_client, ds["id"], django_capture_on_commit_callbacks)
    before = SchemaColumn.objects.count()
    def vanish(connection, table, column, max_distinct):
        sqlite_file.unlink(missing_ok=True)
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr("metadata.services.sample_low_cardinality", vanish)
    job = sync(owner_client, ds["id"], django_capture_on_commit_callbacks)
    assert job["status"] == "failed" and "cannot be opened" in job["error"]
    assert SchemaColumn.objects.count() == before
    assert not SchemaTable.objects.filter(is_removed=True).exists()
    assert DataSource.objects.get(pk=ds["id"]).status == "error"


def test_a_failure_while_saving_leaves_nothing_half_written(owner_client, sqlite_file, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    ds = register(owner_client, engine="sqlite", database="shop.sqlite3")
    sync(owner_client, ds["id"], django_capture_on_commit_callbacks)
    connection = sqlite3.connect(sqlite_file)
    connection.executescript("CREATE TABLE stores (store_id INTEGER PRIMARY KEY, city TEXT); DROP TABLE \"select\";")
    connection.close()
    before = (SchemaTable.objects.count(), SchemaColumn.objects.count(),
              SchemaTable.objects.filter(is_removed=True).count())

    def explode(*args, **kwargs):
        raise RuntimeError("app database went away")

    # Tables are written first, then columns: failing at the columns must undo the tables too.
    monkeypatch.setattr("metadata.services.insert_rows", explode)
    job = sync(owner_client, ds["id"], django_capture_on_commit_callbacks)
    assert job["status"] == "failed"
    assert (SchemaTable.objects.count(), SchemaColumn.objects.count(),
            SchemaTable.objects.filter(is_removed=True).count()) == before


def test_a_second_sync_request_while_one_runs_returns_the_same_job(owner_client, sqlite_file):
    ds = register(owner_client, engine="sqlite", database="shop.sqlite3")
    first = owner_client.post(f"/api/v1/databases/{ds['id']}/sync-schema").json()  # not run: no commit here
    second = owner_client.post(f"/api/v1/databases/{ds['id']}/sync-schema").json()
    assert first["job_id"] == second["job_id"] and first["status"] == "queued"


def test_duckdb_sync_with_schemas_views_comments_and_keys(owner_client, duckdb_file,
                                                          django_capture_on_commit_callbacks):
    ds = register(owner_client, engine="duckdb", database="shop.duckdb")
    job = sync(owner_client, ds["id"], django_capture_on_commit_callbacks)
    assert job["status"] == "succeeded", job
    tables = by_name(owner_client.get(f"/api/v1/databases/{ds['id']}/schema").json())
    assert set(tables) == {"customers", "sales.orders", "sales.lines", "german"}
    assert tables["customers"]["comment"] == "People who buy"
    assert tables["german"]["kind"] == "view"
    orders = {c["name"]: c for c in tables["sales.orders"]["columns"]}
    assert "Total Amount" in orders and orders["order_id"]["is_primary_key"]
    lines = {c["name"]: c for c in tables["sales.lines"]["columns"]}
    assert "FK" in lines["order_id"]["tags"]


@pytest.mark.pg_server
def test_postgres_sync_reads_two_schemas_comments_and_odd_identifiers(owner_client, postgres_source,
                                                                      django_capture_on_commit_callbacks):
    ds = register(owner_client, **postgres_source)
    job = sync(owner_client, ds["id"], django_capture_on_commit_callbacks)
    assert job["status"] == "succeeded", job
    tables = by_name(owner_client.get(f"/api/v1/databases/{ds['id']}/schema").json())
    assert set(tables) == {"customers", "Order Items", "big_customers", "sales.orders"}
    assert tables["customers"]["comment"] == "People who buy"
    customers = {c["name"]: c for c in tables["customers"]["columns"]}
    assert customers["email"]["comment"] == "Contact address" and customers["email"]["nullable"] is False
    assert tables["customers"]["row_count"] == 2
    items = {c["name"]: c for c in tables["Order Items"]["columns"]}
    assert {"Item ID", "select", "MixedCase", "naïve ünïcode"} <= set(items)
    assert items["MixedCase"]["type"] == "numeric(10,2)"
    orders = {c["name"]: c for c in tables["sales.orders"]["columns"]}
    assert "FK" in orders["customer_id"]["tags"] and "nextval" in orders["order_id"]["default"]
    assert tables["big_customers"]["kind"] == "view"


@pytest.mark.mariadb
def test_mariadb_sync_reads_tables_views_keys_and_comments(owner_client, mariadb_source,
                                                           django_capture_on_commit_callbacks):
    ds = register(owner_client, **mariadb_source)
    job = sync(owner_client, ds["id"], django_capture_on_commit_callbacks)
    assert job["status"] == "succeeded", job
    tables = by_name(owner_client.get(f"/api/v1/databases/{ds['id']}/schema").json())
    assert set(tables) == {"customers", "Order Items", "big_customers"}
    assert tables["customers"]["comment"] == "People who buy"
    items = {c["name"]: c for c in tables["Order Items"]["columns"]}
    assert {"Item ID", "select", "MixedCase", "naïve ünïcode"} <= set(items)
    assert "FK" in items["customer_id"]["tags"] and items["Item ID"]["is_primary_key"]
    assert tables["big_customers"]["kind"] == "view"


# --- dictionary --------------------------------------------------------------------------------------

@pytest.fixture
def synced(owner_client, sqlite_file, django_capture_on_commit_callbacks):
    ds = register(owner_client, engine="sqlite", database="shop.sqlite3")
    sync(owner_client, ds["id"], django_capture_on_commit_callbacks)
    return ds


def test_dictionary_edits_are_versioned_and_restorable(owner_client, synced):
    owner_client.put("/api/v1/metadata/columns/customers/email",
                     {"alias": "E-mail", "description": "Contact", "tags": ["pii", "Contact"]}, format="json")
    owner_client.put("/api/v1/metadata/columns/customers/email", {"alias": "Email address"}, format="json")
    detail = owner_client.get("/api/v1/metadata/tables/customers").json()
    email = next(c for c in detail["columns"] if c["name"] == "email")
    assert email["alias"] == "Email address" and email["tags"] == ["PII", "Contact"]
    versions = owner_client.get("/api/v1/metadata/versions", {"table": "customers", "column": "email"}).json()
    assert versions["count"] == 2
    latest = versions["results"][0]
    assert latest["before"] == {"alias": "E-mail"} and latest["after"] == {"alias": "Email address"}
    assert latest["edited_by"]
    restored = owner_client.post(f"/api/v1/metadata/versions/{latest['id']}/restore")
    assert restored.status_code == 200 and restored.json()["source"] == "restore"
    email = next(c for c in owner_client.get("/api/v1/metadata/tables/customers").json()["columns"]
                 if c["name"] == "email")
    assert email["alias"] == "E-mail"


def test_dictionary_bad_inputs(owner_client, synced):
    assert_error(owner_client.put("/api/v1/metadata/tables/nope", {"alias": "x"}, format="json"), 404,
                 "TABLE_NOT_FOUND")
    assert_error(owner_client.put("/api/v1/metadata/columns/customers/nope", {"alias": "x"}, format="json"), 404,
                 "COLUMN_NOT_FOUND")
    assert_error(owner_client.put("/api/v1/metadata/tables/customers", {}, format="json"), 400, "VALIDATION_ERROR")
    assert_error(owner_client.put("/api/v1/metadata/tables/customers", {"tags": "PII"}, format="json"), 400)
    assert_error(owner_client.post("/api/v1/metadata/versions/not-a-uuid/restore"), 404)
    assert_error(owner_client.get("/api/v1/metadata/tables", {"database_id": "not-a-uuid"}), 404)


def test_odd_table_names_work_in_urls(owner_client, synced):
    from urllib.parse import quote

    response = owner_client.put(f"/api/v1/metadata/columns/{quote('Order Items')}/{quote('naïve ünïcode')}",
                                {"alias": "Naive"}, format="json")
    assert response.status_code == 200, response.content


def test_marking_a_column_pii_forgets_its_samples(owner_client, synced):
    owner_client.put("/api/v1/metadata/columns/customers/country", {"tags": ["PII"]}, format="json")
    column = SchemaColumn.objects.get(name="country", table__name="customers")
    assert column.sample_values == []


def test_viewers_read_the_dictionary_but_cannot_edit(user, make_user, client_for, sqlite_file, files_dir,
                                                     django_capture_on_commit_callbacks):
    from metadata.tests.fixtures import share_files
    from teams.tests.factories import make_workspace

    viewer = make_user()
    shared = make_workspace(user, members={viewer: "viewer"})
    share_files(files_dir, shared)
    owner = client_for(user, shared)
    ds = register(owner, engine="sqlite", database="shop.sqlite3")
    sync(owner, ds["id"], django_capture_on_commit_callbacks)
    as_viewer = client_for(viewer, shared)
    assert as_viewer.get("/api/v1/metadata/tables/customers").status_code == 200
    assert_error(as_viewer.put("/api/v1/metadata/tables/customers", {"alias": "x"}, format="json"), 403)
    assert_error(as_viewer.post("/api/v1/metadata/auto-guess", {}, format="json"), 403)


def test_auto_guess_suggests_and_applies_only_what_is_approved_never_over_human_edits(
        owner_client, synced, django_capture_on_commit_callbacks):
    owner_client.put("/api/v1/metadata/columns/customers/country", {"alias": "Nation"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        started = owner_client.post("/api/v1/metadata/auto-guess", {"table_names": ["customers"]}, format="json")
    assert started.status_code == 202
    job_id = started.json()["job_id"]
    result = owner_client.get(f"/api/v1/metadata/auto-guess/{job_id}").json()
    assert result["status"] == "succeeded"
    suggestions = result["suggestions"]
    assert suggestions and all(0 <= s["confidence"] <= 1 and s["reason"] for s in suggestions)
    email_tags = [s for s in suggestions if s["column"] == "email" and s["field"] == "tags"]
    assert email_tags and "PII" in email_tags[0]["value"]
    # nothing changed before approval
    assert SchemaColumn.objects.get(name="email", table__name="customers").tags == []
    applied = owner_client.post(f"/api/v1/metadata/auto-guess/{job_id}/apply",
                                {"suggestion_ids": [email_tags[0]["id"]]}, format="json").json()
    assert applied == {"applied": 1, "rejected": 0, "skipped": 0}
    assert "PII" in SchemaColumn.objects.get(name="email", table__name="customers").tags
    everything = owner_client.post(f"/api/v1/metadata/auto-guess/{job_id}/apply", {}, format="json").json()
    assert everything["skipped"] >= 1  # the alias of country, edited by a person
    assert SchemaColumn.objects.get(name="country", table__name="customers").alias == "Nation"
    assert_error(owner_client.post(f"/api/v1/metadata/auto-guess/{job_id}/apply",
                                   {"suggestion_ids": [email_tags[0]["id"]]}, format="json"), 404)


def test_auto_guess_without_a_synced_schema_or_for_an_unknown_table(owner_client, sqlite_file):
    register(owner_client, engine="sqlite", database="shop.sqlite3")
    assert_error(owner_client.post("/api/v1/metadata/auto-guess", {}, format="json"), 400, "VALIDATION_ERROR")
    assert_error(owner_client.post("/api/v1/metadata/auto-guess", {"table_names": ["ghost"]}, format="json"), 404)


def test_auto_guess_and_versions_of_another_workspace_are_404(owner_client, synced, make_user, client_for,
                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = owner_client.post("/api/v1/metadata/auto-guess", {}, format="json").json()["job_id"]
    owner_client.put("/api/v1/metadata/tables/customers", {"alias": "C"}, format="json")
    version_id = owner_client.get("/api/v1/metadata/versions").json()["results"][0]["id"]
    stranger = client_for(make_user())
    for method, url in [("get", f"/api/v1/metadata/auto-guess/{job_id}"),
                        ("post", f"/api/v1/metadata/auto-guess/{job_id}/apply"),
                        ("post", f"/api/v1/metadata/auto-guess/{job_id}/reject"),
                        ("post", f"/api/v1/metadata/versions/{version_id}/restore")]:
        assert_error(getattr(stranger, method)(url, {}, format="json"), 404)
