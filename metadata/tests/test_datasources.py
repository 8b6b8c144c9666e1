"""Data sources over the API: register, guard rails, secrets, test-connection, isolation."""
from __future__ import annotations

import pytest

from auditing.models import AuditEvent
from conftest import assert_error
from metadata.models import DataSource
from metadata.tests.fixtures import register
from teams.tests.factories import make_workspace

pytestmark = pytest.mark.django_db


def test_register_a_sqlite_file_and_read_it_back_without_the_password(owner_client, sqlite_file):
    ds = register(owner_client, engine="sqlite", database="shop.sqlite3", password="never-shown")
    assert ds["engine"] == ds["type"] == "sqlite" and ds["is_default"] is True and ds["read_only"] is True
    assert ds["has_password"] is True
    for body in (ds, owner_client.get(f"/api/v1/databases/{ds['id']}").json(),
                 owner_client.get("/api/v1/databases").json()):
        assert "never-shown" not in str(body) and "password_encrypted" not in str(body)
    stored = DataSource.objects.get(pk=ds["id"])
    assert stored.password_encrypted and "never-shown" not in stored.password_encrypted
    event = AuditEvent.objects.get(action="datasource.created")
    assert "never-shown" not in str(event.details)


def test_seed_003_type_field_is_accepted(owner_client, sqlite_file):
    ds = register(owner_client, type="sqlite", database="shop.sqlite3")
    assert ds["engine"] == "sqlite"


@pytest.mark.parametrize("payload, field", [
    ({"engine": "oracle", "database": "x"}, "engine"),
    ({"database": "x"}, "engine"),
    ({"engine": "postgresql", "database": "x"}, "host"),
    ({"engine": "postgresql", "host": "db", "database": "x", "port": 70000}, "port"),
    ({"engine": "sqlite"}, "database"),
    ({"engine": "sqlite", "database": "x", "options": {"evil": 1}}, "options"),
    ({"engine": "sqlite", "database": "x", "options": {"query_timeout": "soon"}}, "options"),
])
def test_bad_inputs_are_field_errors(owner_client, files_dir, payload, field):
    error = assert_error(owner_client.post("/api/v1/databases", {"name": "Bad", **payload}, format="json"), 400)
    assert field in {d["field"] for d in error["details"]}, error
    assert not DataSource.objects.exists()


@pytest.mark.parametrize("path", ["../secrets.sqlite3", "/etc/passwd", "sub/../../x.sqlite3", "shop.sqlite3\x00.txt"])
def test_file_paths_outside_the_data_directory_are_refused(owner_client, sqlite_file, path):
    error = assert_error(owner_client.post("/api/v1/databases", {"name": "Bad", "engine": "sqlite", "database": path},
                                           format="json"), 400)
    assert error["details"][0]["field"] == "database"
    assert not DataSource.objects.exists()


def test_another_workspaces_file_cannot_be_registered(owner_client, sqlite_file, make_user):
    from metadata.connectors import workspace_files_dir

    other = make_user().memberships.get().workspace
    foreign = workspace_files_dir(other.pk) / "theirs.sqlite3"
    foreign.write_bytes(sqlite_file.read_bytes())
    for path in (str(foreign), f"../{other.pk}/theirs.sqlite3"):
        error = assert_error(owner_client.post("/api/v1/databases", {"name": "Theirs", "engine": "sqlite",
                                                                     "database": path}, format="json"), 400)
        assert error["code"] == "PATH_NOT_ALLOWED"


def test_the_app_database_itself_cannot_be_registered(owner_client, monkeypatch):
    # As when InsightEngine's own database is PostgreSQL on this host (docker-compose's "postgres").
    monkeypatch.setattr("metadata.connectors._app_database_addresses",
                        lambda: {("127.0.0.1", 5432, "insightengine"), ("::1", 5432, "insightengine")})
    payload = {"name": "Mine", "engine": "postgresql", "host": "localhost", "port": 5432, "database": "insightengine"}
    assert_error(owner_client.post("/api/v1/databases", payload, format="json"), 400, "HOST_NOT_ALLOWED")
    # The same server's other databases are the user's business (their credentials decide).
    other_database = {**payload, "database": "warehouse"}
    assert owner_client.post("/api/v1/databases", other_database, format="json").status_code == 201


def test_rebinding_is_caught_at_connect_time(owner_client, monkeypatch):
    import socket

    ds = register(owner_client, engine="postgresql", host="db.example.test", database="x")
    real = socket.getaddrinfo

    def rebound(host, *args, **kwargs):
        if host == "db.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebound)
    body = owner_client.post(f"/api/v1/databases/{ds['id']}/test-connection").json()
    assert body["success"] is False and "not allowed" in body["message"]


def test_missing_file_is_a_clear_error(owner_client, files_dir):
    assert_error(owner_client.post("/api/v1/databases", {"name": "Bad", "engine": "sqlite", "database": "nope.db"},
                                   format="json"), 400, "FILE_NOT_FOUND")


@pytest.mark.parametrize("host", ["169.254.169.254", "169.254.10.1", "fe80::1", "0.0.0.0", "::ffff:169.254.169.254",
                                  "::ffff:a9fe:a9fe", "[::ffff:169.254.169.254]"])
def test_link_local_and_metadata_hosts_are_refused(owner_client, host):
    payload = {"name": "Bad", "engine": "postgresql", "host": host, "database": "x"}
    assert_error(owner_client.post("/api/v1/databases", payload, format="json"), 400, "HOST_NOT_ALLOWED")


def test_private_networks_can_be_refused_by_configuration(owner_client, settings):
    settings.DATA_SOURCE_BLOCK_PRIVATE_NETWORKS = True
    payload = {"name": "Bad", "engine": "mysql", "host": "127.0.0.1", "database": "x"}
    assert_error(owner_client.post("/api/v1/databases", payload, format="json"), 400, "HOST_NOT_ALLOWED")


def test_duplicate_name_is_409(owner_client, sqlite_file):
    register(owner_client, engine="sqlite", database="shop.sqlite3")
    assert_error(owner_client.post("/api/v1/databases", {"name": "Shop", "engine": "sqlite",
                                                         "database": "shop.sqlite3"}, format="json"), 409, "NAME_TAKEN")


def test_one_default_per_workspace_and_delete_promotes_another(owner_client, sqlite_file):
    first = register(owner_client, name="A", engine="sqlite", database="shop.sqlite3")
    second = register(owner_client, name="B", engine="sqlite", database="shop.sqlite3", is_default=True)
    assert owner_client.get(f"/api/v1/databases/{first['id']}").json()["is_default"] is False
    assert owner_client.delete(f"/api/v1/databases/{second['id']}").status_code == 204
    assert owner_client.get(f"/api/v1/databases/{first['id']}").json()["is_default"] is True


def test_patch_changes_settings_and_keeps_the_password_unless_sent(owner_client, sqlite_file):
    ds = register(owner_client, engine="sqlite", database="shop.sqlite3", password="p1")
    before = DataSource.objects.get(pk=ds["id"]).password_encrypted
    response = owner_client.patch(f"/api/v1/databases/{ds['id']}", {"name": "Renamed"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Renamed"
    assert DataSource.objects.get(pk=ds["id"]).password_encrypted == before
    owner_client.patch(f"/api/v1/databases/{ds['id']}", {"password": ""}, format="json")
    assert owner_client.get(f"/api/v1/databases/{ds['id']}").json()["has_password"] is False
    assert_error(owner_client.patch(f"/api/v1/databases/{ds['id']}", {"database": "../x"}, format="json"), 400)


def test_password_is_not_in_the_admin(client, system_admin, sqlite_file, owner_client):
    ds = register(owner_client, engine="sqlite", database="shop.sqlite3", password="s3cret-pw")
    client.force_login(system_admin)
    page = client.get(f"/admin/metadata/datasource/{ds['id']}/change/")
    assert page.status_code == 200
    stored = DataSource.objects.get(pk=ds["id"]).password_encrypted
    assert b"s3cret-pw" not in page.content and stored.encode() not in page.content


def test_sqlite_test_connection_reports_version_and_latency(owner_client, sqlite_file):
    ds = register(owner_client, engine="sqlite", database="shop.sqlite3")
    body = owner_client.post(f"/api/v1/databases/{ds['id']}/test-connection").json()
    assert body["success"] is True and body["server_version"].startswith("SQLite ")
    assert body["latency_ms"] >= 0
    assert owner_client.get(f"/api/v1/databases/{ds['id']}").json()["status"] == "connected"


def test_a_vanished_file_is_success_false_not_an_error(owner_client, sqlite_file):
    ds = register(owner_client, engine="sqlite", database="shop.sqlite3")
    sqlite_file.unlink()
    response = owner_client.post(f"/api/v1/databases/{ds['id']}/test-connection")
    assert response.status_code == 200
    assert response.json()["success"] is False and "shop.sqlite3" in response.json()["message"]
    assert owner_client.get(f"/api/v1/databases/{ds['id']}").json()["status"] == "error"


def test_read_only_sqlite_refuses_writes_at_the_driver(owner_client, sqlite_file):
    import sqlalchemy as sa

    from metadata.connectors import engine_for

    ds = DataSource.objects.get(pk=register(owner_client, engine="sqlite", database="shop.sqlite3")["id"])
    with engine_for(ds).connect() as connection, pytest.raises(sa.exc.OperationalError, match="readonly"):
        connection.execute(sa.text("DELETE FROM customers"))


@pytest.mark.pg_server
def test_postgres_wrong_password_missing_database_and_dead_port(owner_client, postgres_source):
    # trust auth on this machine accepts any password, so a wrong *user* stands in for bad credentials
    checks = [
        ({**postgres_source, "username": "nobody_here"}, "nobody_here"),
        ({**postgres_source, "database": "no_such_db_xyz"}, "does not exist"),
        ({**postgres_source, "port": 1}, "not answering"),
    ]
    for index, (payload, expected) in enumerate(checks):
        ds = register(owner_client, name=f"PG{index}", **payload)
        body = owner_client.post(f"/api/v1/databases/{ds['id']}/test-connection").json()
        assert body["success"] is False and expected in body["message"], body


@pytest.mark.pg_server
def test_postgres_test_connection_succeeds(owner_client, postgres_source):
    ds = register(owner_client, **postgres_source, password="ignored-by-trust")
    body = owner_client.post(f"/api/v1/databases/{ds['id']}/test-connection").json()
    assert body["success"] is True and body["server_version"].startswith("PostgreSQL")
    assert "read-only account" in body["warnings"][0]  # the test account is the postgres superuser


@pytest.mark.mariadb
def test_mariadb_test_connection_and_wrong_password(owner_client, mariadb_source):
    ok = register(owner_client, name="Maria", **mariadb_source)
    body = owner_client.post(f"/api/v1/databases/{ok['id']}/test-connection").json()
    assert body["success"] is True and "MariaDB" in body["server_version"]
    assert body["warnings"]  # root has every privilege
    bad = register(owner_client, name="Maria bad", **{**mariadb_source, "password": "definitely-wrong"})
    body = owner_client.post(f"/api/v1/databases/{bad['id']}/test-connection").json()
    assert body["success"] is False and "Authentication failed" in body["message"]
    assert "definitely-wrong" not in body["message"]


def test_unresolvable_host_is_success_false(owner_client):
    ds = register(owner_client, engine="postgresql", host="no-such-host.invalid", database="x")
    body = owner_client.post(f"/api/v1/databases/{ds['id']}/test-connection").json()
    assert body["success"] is False and "could not be resolved" in body["message"]


def test_another_workspaces_data_source_is_404_everywhere(owner_client, sqlite_file, make_user, client_for):
    ds = register(owner_client, engine="sqlite", database="shop.sqlite3")
    stranger = client_for(make_user())
    for method, url in [("get", f"/api/v1/databases/{ds['id']}"), ("patch", f"/api/v1/databases/{ds['id']}"),
                        ("delete", f"/api/v1/databases/{ds['id']}"),
                        ("post", f"/api/v1/databases/{ds['id']}/test-connection"),
                        ("post", f"/api/v1/databases/{ds['id']}/sync-schema"),
                        ("get", f"/api/v1/databases/{ds['id']}/schema"),
                        ("get", f"/api/v1/metadata/tables?database_id={ds['id']}"),
                        ("get", f"/api/v1/metadata/tables/customers?database_id={ds['id']}"),
                        ("put", f"/api/v1/metadata/columns/customers/email?database_id={ds['id']}"),
                        ("get", f"/api/v1/metadata/versions?database_id={ds['id']}"),
                        ("get", f"/api/v1/schema?database_id={ds['id']}")]:
        assert_error(getattr(stranger, method)(url, {}, format="json"), 404)
    assert stranger.get("/api/v1/databases").json()["count"] == 0


def test_roles_viewers_read_analysts_test_admins_manage(user, make_user, client_for, sqlite_file, files_dir):
    from metadata.tests.fixtures import share_files

    owner = make_user()
    viewer, analyst = make_user(), make_user()
    shared = make_workspace(owner, members={viewer: "viewer", analyst: "analyst"})
    share_files(files_dir, shared)
    ds = register(client_for(owner, shared), engine="sqlite", database="shop.sqlite3")
    as_viewer, as_analyst = client_for(viewer, shared), client_for(analyst, shared)
    assert as_viewer.get(f"/api/v1/databases/{ds['id']}").status_code == 200
    assert_error(as_viewer.post(f"/api/v1/databases/{ds['id']}/test-connection"), 403, "PERMISSION_DENIED")
    assert as_analyst.post(f"/api/v1/databases/{ds['id']}/test-connection").status_code == 200
    assert_error(as_analyst.patch(f"/api/v1/databases/{ds['id']}", {"name": "x"}, format="json"), 403)
    assert_error(as_analyst.post("/api/v1/databases", {"name": "x", "engine": "sqlite", "database": "shop.sqlite3"},
                                 format="json"), 403)
    assert_error(as_analyst.delete(f"/api/v1/databases/{ds['id']}"), 403)


def test_rotate_secrets_reencrypts_with_the_new_key(owner_client, sqlite_file, settings):
    from django.core.management import call_command

    from core.crypto import decrypt

    ds = register(owner_client, engine="sqlite", database="shop.sqlite3", password="rotate-me")
    old = DataSource.objects.get(pk=ds["id"]).password_encrypted
    settings.FERNET_KEYS = ["a brand new key", *settings.FERNET_KEYS]
    call_command("rotate_secrets")
    new = DataSource.objects.get(pk=ds["id"]).password_encrypted
    assert new != old
    settings.FERNET_KEYS = ["a brand new key"]  # the old key is gone: the row still decrypts
    assert decrypt(new) == "rotate-me"


@pytest.mark.mariadb
def test_password_never_reaches_logs_or_the_audit_trail(owner_client, mariadb_source, caplog,
                                                        django_capture_on_commit_callbacks):
    import logging

    secret = "Pw-that-must-stay-secret-123"
    with caplog.at_level(logging.DEBUG):
        ds = register(owner_client, name="M", **{**mariadb_source, "password": secret})
        owner_client.post(f"/api/v1/databases/{ds['id']}/test-connection")
        with django_capture_on_commit_callbacks(execute=True):
            job_id = owner_client.post(f"/api/v1/databases/{ds['id']}/sync-schema").json()["job_id"]
        job = owner_client.get(f"/api/v1/jobs/{job_id}").json()
    assert job["status"] == "failed" and "Authentication failed" in job["error"]
    assert secret not in caplog.text and secret not in job["error"]
    assert all(secret not in str(event.details) for event in AuditEvent.objects.all())
