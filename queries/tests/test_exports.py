"""Exports over the API: every format parsed back, headers, masking, the background path, errors."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3

import pytest

from auditing.models import AuditEvent
from conftest import assert_error
from core.models import Job
from metadata.tests.fixtures import register, share_files, sync
from queries.models import QueryRun
from teams.tests.factories import make_workspace

pytestmark = pytest.mark.django_db

EXECUTE = "/api/v1/queries/execute"
CUSTOMERS = "SELECT customer_id, email, country FROM customers ORDER BY customer_id"
ROWS = [[1, "ana@example.com", "Germany"], [2, "bo@example.com", "France"], [3, "cy@example.com", "Germany"]]
MASKED = [[1, "a***@example.com", "Germany"], [2, "b***@example.com", "France"], [3, "c***@example.com", "Germany"]]


@pytest.fixture
def team(user, make_user, client_for, sqlite_file, files_dir, django_capture_on_commit_callbacks):
    """A workspace with a synced SQLite source whose customers.email is tagged PII."""
    analyst = make_user()
    workspace = make_workspace(user, members={analyst: "analyst"})
    share_files(files_dir, workspace)
    owner = client_for(user, workspace)
    ds = register(owner, engine="sqlite", database="shop.sqlite3")
    sync(owner, ds["id"], django_capture_on_commit_callbacks)
    owner.put("/api/v1/metadata/columns/customers/email", {"tags": ["PII"]}, format="json")
    return {"owner": owner, "analyst": client_for(analyst, workspace), "ds": ds, "workspace": workspace,
            "analyst_user": analyst, "owner_user": user}


def run(client, sql=CUSTOMERS, **extra):
    response = client.post(EXECUTE, {"input": sql, **extra}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["query_id"]


def export(client, query_id, **body):
    return client.post(f"/api/v1/queries/{query_id}/export", body, format="json")


def content(response) -> bytes:
    assert response.status_code == 200, (response.status_code, getattr(response, "content", b"")[:500])
    return b"".join(response.streaming_content)


def parse(fmt: str, data: bytes, include_headers: bool = True) -> tuple[list[str] | None, list[list]]:
    """A file back into (column names, rows), the way its reader would see it."""
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode())))
        return (rows[0], rows[1:]) if include_headers else (None, rows)
    if fmt == "json":
        items = json.loads(data)
        if include_headers:
            return (list(items[0]) if items else [], [list(item.values()) for item in items])
        return None, items
    if fmt == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        return (rows[0], rows[1:]) if include_headers else (None, rows)
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    return table.column_names, [list(row.values()) for row in table.to_pylist()]


def as_text(rows):
    return [[str(v) for v in row] for row in rows]


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx", "parquet"])
def test_each_format_holds_the_full_result_with_a_filename_and_content_type(team, fmt):
    query_id = run(team["owner"], limit=1)  # the run's preview holds one row; the export all of them
    response = export(team["owner"], query_id, format=fmt)
    names, rows = parse(fmt, content(response))
    assert names == ["customer_id", "email", "country"]
    assert (as_text(rows) if fmt == "csv" else rows) == (as_text(ROWS) if fmt == "csv" else ROWS)
    today = dt.date.today().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="query-{today}.{fmt}"'
    assert response["Content-Type"].split(";")[0] == {
        "csv": "text/csv", "json": "application/json", "parquet": "application/vnd.apache.parquet",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[fmt]
    event = AuditEvent.objects.get(action="query.exported", resource_id=query_id)
    assert event.details["format"] == fmt and event.details["rows"] == 3 and event.details["status"] == "completed"


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_without_headers(team, fmt):
    query_id = run(team["owner"])
    _, rows = parse(fmt, content(export(team["owner"], query_id, format=fmt, include_headers=False)), False)
    assert (as_text(rows) if fmt == "csv" else rows) == (as_text(ROWS) if fmt == "csv" else ROWS)


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx", "parquet"])
def test_pii_is_masked_for_an_analyst_and_not_for_the_owner(team, fmt):
    mine = export(team["analyst"], run(team["analyst"]), format=fmt)
    data = content(mine)
    assert b"ana@example.com" not in data
    _, rows = parse(fmt, data)
    assert (as_text(rows) if fmt == "csv" else rows) == (as_text(MASKED) if fmt == "csv" else MASKED)
    assert AuditEvent.objects.filter(action="query.exported").last().details["masked_columns"] == [1]
    _, owners = parse(fmt, content(export(team["owner"], run(team["owner"]), format=fmt)))
    assert owners[0][1] == "ana@example.com"


def test_a_question_names_the_file_and_awkward_values_survive(team):
    query_id = run(team["owner"], "SELECT 'a,\"b\"' AS t, NULL AS n, 1.5 AS f, x'00ff' AS b, '=1+1' AS formula, "
                                  "customer_id AS id, customer_id AS id FROM customers WHERE customer_id = 1")
    QueryRun.objects.filter(pk=query_id).update(question="Top customers by sales!")
    response = export(team["owner"], query_id, format="csv")
    assert 'filename="top-customers-by-sales-' in response["Content-Disposition"]
    names, rows = parse("csv", content(response))
    # CSV: a formula becomes text (EXPORT_ESCAPE_FORMULAS, on by default); JSON keeps the value as it is.
    assert rows == [['a,"b"', "", "1.5", "base64:AP8=", "'=1+1", "1", "1"]]
    items = json.loads(content(export(team["owner"], query_id, format="json")))
    assert items == [{"t": 'a,"b"', "n": None, "f": 1.5, "b": "base64:AP8=", "formula": "=1+1", "id": 1, "id_2": 1}]
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content(export(team["owner"], query_id, format="xlsx")))).worksheets[0]
    assert sheet["E2"].value == "=1+1" and sheet["E2"].data_type == "s"  # text, never a live formula


FORMULAS = ("SELECT '=HYPERLINK(\"x\")' AS \"=h\", '+1' AS p, '-2' AS m, '@SUM(A1)' AS a, char(9) || 'x' AS t, "
            "-5 AS n, -1.5 AS f, 'a=b' AS inner_eq, NULL AS z FROM customers WHERE customer_id = 1")


@pytest.mark.parametrize("escape", [True, False])
def test_csv_formula_cells_become_text_unless_switched_off(team, settings, escape):
    settings.EXPORT_ESCAPE_FORMULAS = escape
    names, rows = parse("csv", content(export(team["owner"], run(team["owner"], FORMULAS), format="csv")))
    if escape:  # OWASP's CSV injection guidance: a leading single quote; numbers stay numbers
        assert names == ["'=h", "p", "m", "a", "t", "n", "f", "inner_eq", "z"]
        assert rows == [["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "-5", "-1.5", "a=b", ""]]
    else:
        assert names[0] == "=h"
        assert rows == [['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "\tx", "-5", "-1.5", "a=b", ""]]
    # Excel stores each of them as a text cell, which it never evaluates: the values stay as they are.
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content(export(team["owner"], run(team["owner"], FORMULAS), format="xlsx"))))
    header, cells = list(sheet.worksheets[0].iter_rows(max_row=2, max_col=5))
    assert header[0].value == "=h" and header[0].data_type == "s"  # a formula-like name used to crash (500)
    assert [c.value for c in cells] == ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "\tx"]
    assert {c.data_type for c in cells} == {"s"}


def test_csv_writers_agree_whichever_path_a_chunk_takes(settings):
    """Arrow's writer (plain chunks) and the csv module (others) give the same cells, escaped alike."""
    from queries.exports import _csv_bytes

    settings.EXPORT_ESCAPE_FORMULAS = True
    plain = [(1, "=a", 1.5, None), (2, "b", -2.0, "-x")]
    mixed = [(3, "=c", 2.5, b"\x00"), ("4", "@d", 3.0, None)]  # bytes and SQLite's mixed typing: the csv module
    data = b"".join(_csv_bytes(["id", "t", "f", "o"], iter([plain, mixed]), True, None)).decode()
    assert data.endswith("\r\n") and "\r\n\r\n" not in data
    assert list(csv.reader(io.StringIO(data))) == [
        ["id", "t", "f", "o"], ["1", "'=a", "1.5", ""], ["2", "b", "-2", "'-x"],
        ["3", "'=c", "2.5", "base64:AA=="], ["4", "'@d", "3.0", ""]]


def test_bad_inputs_and_states(team):
    query_id = run(team["owner"])
    assert_error(export(team["owner"], query_id, format="pdf"), 400, "VALIDATION_ERROR")
    assert_error(export(team["owner"], "not-a-uuid", format="csv"), 404)
    failed = team["owner"].post(EXECUTE, {"input": "SELECT nope FROM customers"}, format="json")
    assert failed.status_code == 422
    failed_id = QueryRun.objects.get(status="failed").pk
    assert_error(export(team["owner"], failed_id, format="csv"), 409, "QUERY_NOT_EXPORTABLE")
    QueryRun.objects.filter(pk=query_id).update(status="running")
    assert_error(export(team["owner"], query_id, format="csv"), 409, "QUERY_NOT_FINISHED")
    QueryRun.objects.filter(pk=query_id).update(status="completed")
    QueryRun.objects.filter(pk=query_id).update(data_source=None)
    assert_error(export(team["owner"], query_id, format="csv"), 409, "DATA_SOURCE_DELETED")


def test_a_failure_on_the_database_is_422_with_its_message_never_500(team):
    query_id = run(team["owner"], "SELECT customer_id FROM customers")
    # The table changed under the run: the gate (by the synced schema) still passes it, the database does not.
    QueryRun.objects.filter(pk=query_id).update(sql="SELECT customer_id, nope FROM customers")
    from metadata.models import DataSource

    DataSource.objects.filter(pk=team["ds"]["id"]).update(last_synced_at=None)
    error = assert_error(export(team["owner"], query_id, format="csv"), 422, "EXECUTION_FAILED")
    assert "nope" in error["message"]


def test_the_gate_runs_again_and_rejects_what_it_rejects(team):
    query_id = run(team["owner"])
    QueryRun.objects.filter(pk=query_id).update(sql="DELETE FROM customers")
    assert_error(export(team["owner"], query_id, format="csv"), 422)


def test_another_users_or_workspaces_run_is_404(team, make_user, client_for):
    owners = run(team["owner"])
    assert_error(export(team["analyst"], owners, format="csv"), 404, "NOT_FOUND")
    stranger = client_for(make_user())
    assert_error(export(stranger, owners, format="csv"), 404)
    assert not AuditEvent.objects.filter(action="query.exported").exists()


def test_quota_is_taken_once_per_export(team):
    from accounts.models import Quota

    query_id = run(team["analyst"])
    before = Quota.objects.get(user=team["analyst_user"]).used_today
    content(export(team["analyst"], query_id, format="csv"))
    assert Quota.objects.get(user=team["analyst_user"]).used_today == before + 1
    Quota.objects.filter(user=team["analyst_user"]).update(daily_limit=before + 1)
    assert_error(export(team["analyst"], query_id, format="csv"), 429, "QUOTA_EXCEEDED")


@pytest.fixture
def big(team, files_dir, django_capture_on_commit_callbacks):
    """200,000 rows in a synced SQLite table."""
    from metadata.connectors import workspace_files_dir

    path = workspace_files_dir(team["workspace"].pk) / "big.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT, amount REAL)")
    connection.executemany("INSERT INTO events VALUES (?, ?, ?)",
                           ((i, f"kind-{i % 7}", i / 4) for i in range(1, 200_001)))
    connection.commit()
    connection.close()
    ds = register(team["owner"], engine="sqlite", database="big.sqlite3", name="Big")
    sync(team["owner"], ds["id"], django_capture_on_commit_callbacks)
    return ds


def test_a_big_export_becomes_a_job_whose_file_downloads(team, big, django_capture_on_commit_callbacks):
    query_id = run(team["owner"], "SELECT id, kind, amount FROM events ORDER BY id", database_id=big["id"])
    with django_capture_on_commit_callbacks(execute=True):
        response = export(team["owner"], query_id, format="csv")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["estimated_rows"] == 200_000
    job = team["owner"].get(f"/api/v1/jobs/{body['job_id']}").json()
    assert job["status"] == "succeeded", job
    assert job["result"]["rows"] == 200_000 and job["result"]["download_url"] == f"/api/v1/exports/{job['id']}/download"
    assert job["message"] == "200,000 rows written"
    download = team["owner"].get(job["result"]["download_url"])
    assert download["Content-Disposition"].startswith('attachment; filename="query-')
    rows = list(csv.reader(io.StringIO(content(download).decode())))
    assert rows[0] == ["id", "kind", "amount"] and len(rows) == 200_001
    assert rows[1] == ["1", "kind-1", "0.25"] and rows[-1][:2] == ["200000", "kind-3"]
    assert float(rows[-1][2]) == 50000.0  # numbers as the shortest text that reads back the same value
    event = AuditEvent.objects.get(action="query.exported", resource_id=query_id)
    assert event.details["rows"] == 200_000 and event.details["background"] is True
    # Only its creator downloads it.
    assert_error(team["analyst"].get(job["result"]["download_url"]), 404)


def test_async_on_request_and_expiry_is_410(team, settings, django_capture_on_commit_callbacks):
    query_id = run(team["owner"])
    with django_capture_on_commit_callbacks(execute=True):
        response = export(team["owner"], query_id, format="parquet", **{"async": True})
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["job_id"])
    url = f"/api/v1/exports/{job.pk}/download"
    _, rows = parse("parquet", content(team["owner"].get(url)))
    assert rows == ROWS
    Job.objects.filter(pk=job.pk).update(finished_at=job.finished_at - dt.timedelta(hours=settings.EXPORT_TTL_HOURS
                                                                                   if hasattr(settings, "EXPORT_TTL_HOURS")
                                                                                   else 24, minutes=1))
    assert_error(team["owner"].get(url), 410, "EXPORT_EXPIRED")
    from queries.exports import export_file_path

    assert not export_file_path(job).exists()  # the file went with it


def test_a_download_of_a_job_still_running_is_409(team):
    job = Job.objects.create(workspace=team["workspace"], created_by=team["owner_user"], kind="query_export",
                             params={"format": "csv"})
    assert_error(team["owner"].get(f"/api/v1/exports/{job.pk}/download"), 409, "EXPORT_NOT_READY")
    assert_error(team["owner"].get("/api/v1/exports/nope/download"), 404)


def test_a_failing_background_export_fails_its_job(team, django_capture_on_commit_callbacks):
    query_id = run(team["owner"])
    with django_capture_on_commit_callbacks(execute=True):
        response = export(team["owner"], query_id, format="csv", **{"async": True})
        QueryRun.objects.filter(pk=query_id).update(sql="SELECT 1; DROP TABLE customers")
    job = Job.objects.get(pk=response.json()["job_id"])
    assert job.status == "failed" and "MULTIPLE_STATEMENTS" in job.error


@pytest.mark.pg_server
def test_postgresql_export(team, postgres_source, django_capture_on_commit_callbacks):
    import psycopg

    from conftest import TEST_POSTGRES_DSN

    params = dict(item.split("=", 1) for item in TEST_POSTGRES_DSN.split())
    with psycopg.connect(**{**params, "dbname": postgres_source["database"]}, autocommit=True) as conn:
        conn.execute("CREATE TABLE measures AS SELECT i AS id, (i * 1.25)::numeric(12,2) AS amount, i % 2 = 0 AS even, "
                     "timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour' AS at, "
                     "'{\"k\": 1}'::jsonb AS doc FROM generate_series(1, 12000) AS i")
    ds = register(team["owner"], **postgres_source, name="PG")
    sync(team["owner"], ds["id"], django_capture_on_commit_callbacks)
    query_id = run(team["owner"], "SELECT id, amount, even, at, doc FROM measures ORDER BY id", database_id=ds["id"])
    names, rows = parse("csv", content(export(team["owner"], query_id, format="csv")))
    assert names == ["id", "amount", "even", "at", "doc"] and len(rows) == 12000  # more than one fetch
    # Unmasked CSV is PostgreSQL's own (COPY): its text forms, exact numerics.
    assert rows[0][:3] == ["1", "1.25", "f"] and rows[0][4] == '{"k": 1}'
    assert dt.datetime.fromisoformat(rows[0][3]) == dt.datetime(2024, 1, 1, 1, tzinfo=dt.UTC)
    assert AuditEvent.objects.filter(action="query.exported").last().details["rows"] == 12000
    _, rows = parse("parquet", content(export(team["owner"], query_id, format="parquet")))
    assert len(rows) == 12000 and rows[-1][:3] == [12000, 15000.0, True]
    assert rows[0][3] == dt.datetime(2024, 1, 1, 1, tzinfo=dt.UTC)
    items = json.loads(content(export(team["owner"], query_id, format="json")))
    assert items[1] == {"id": 2, "amount": 2.5, "even": True, "at": "2024-01-01T02:00:00+00:00", "doc": {"k": 1}}
    with django_capture_on_commit_callbacks(execute=True):
        queued = export(team["owner"], query_id, format="csv", **{"async": True})
    job = Job.objects.get(pk=queued.json()["job_id"])
    assert job.status == "succeeded" and job.result["rows"] == 12000, job.error
    assert len(list(csv.reader(io.StringIO(content(team["owner"].get(job.result["download_url"])).decode())))) == 12001
    bad = run(team["owner"], "SELECT id FROM measures", database_id=ds["id"])
    QueryRun.objects.filter(pk=bad).update(sql="SELECT 1 / (id - 1) FROM measures ORDER BY id")
    assert_error(export(team["owner"], bad, format="csv"), 422, "EXECUTION_FAILED")  # division by zero, not a 500


@pytest.mark.pg_server
@pytest.mark.parametrize("escape", [True, False])
def test_postgresql_copy_escapes_formula_cells_on_the_server(team, postgres_source, settings, escape,
                                                            django_capture_on_commit_callbacks):
    import psycopg

    from conftest import TEST_POSTGRES_DSN

    settings.EXPORT_ESCAPE_FORMULAS = escape
    params = dict(item.split("=", 1) for item in TEST_POSTGRES_DSN.split())
    with psycopg.connect(**{**params, "dbname": postgres_source["database"]}, autocommit=True) as conn:
        conn.execute("CREATE TABLE cells (id int, t text, v varchar(20), c char(4), n numeric, note text)")
        conn.execute("INSERT INTO cells VALUES (1, '=1+1', '@x', '-a', -5, 'a=b'), (2, '+2', NULL, 'b', 1.5, ''), "
                     "(3, NULL, 'plain', NULL, NULL, E'\\tx')")
    ds = register(team["owner"], **postgres_source, name="PG cells")
    sync(team["owner"], ds["id"], django_capture_on_commit_callbacks)
    sql = "SELECT id, t AS \"=t\", v, c, n, note, id AS id FROM cells ORDER BY id"
    query_id = run(team["owner"], sql, database_id=ds["id"])
    data = content(export(team["owner"], query_id, format="csv")).decode()
    rows = list(csv.reader(io.StringIO(data)))
    if escape:
        assert rows == [["id", "'=t", "v", "c", "n", "note", "id"],
                        ["1", "'=1+1", "'@x", "'-a  ", "-5", "a=b", "1"],  # char(4) keeps its padding
                        ["2", "'+2", "", "b   ", "1.5", "", "2"],
                        ["3", "", "plain", "", "", "'\tx", "3"]]
    else:
        assert rows[1:] == [["1", "=1+1", "@x", "-a  ", "-5", "a=b", "1"], ["2", "+2", "", "b   ", "1.5", "", "2"],
                            ["3", "", "plain", "", "", "\tx", "3"]]
    assert ',"",' in data.splitlines()[2]  # an empty text stays "" and NULL stays empty, as COPY writes them
    assert AuditEvent.objects.filter(action="query.exported").last().details["rows"] == 3
    _, without = parse("csv", content(export(team["owner"], query_id, format="csv", include_headers=False)), False)
    assert without == rows[1:]
