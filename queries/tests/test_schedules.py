"""Schedules: API and beat entries, the period key across time zones and DST, a run (email with the result,
failure mail, history), once per period with two workers racing (PostgreSQL), tenant isolation."""
from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django_celery_beat.models import PeriodicTask

from conftest import assert_error
from metadata.tests.fixtures import register, share_files, sync
from queries.models import QueryRun, Schedule, ScheduleRun
from queries.schedules import next_run, period_start, schedule_execute
from teams.tests.factories import make_workspace

URL = "/api/v1/schedules"
UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str, tz=UTC) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


def spec(**kw) -> Schedule:
    return Schedule(**{"frequency": "daily", "time": dt.time(2, 30), "timezone": "Europe/Berlin", **kw})


# --- period keys (no database) ---------------------------------------------------------------------------------

def test_daily_0230_berlin_across_spring_forward():
    schedule = spec()
    # 2024-03-31: clocks jump 02:00 → 03:00, so 02:30 does not exist; beat fires at or after 03:00 local.
    fired_0300 = at("2024-03-31T03:00:00", BERLIN).astimezone(UTC)
    fired_0330 = at("2024-03-31T03:30:00", BERLIN).astimezone(UTC)
    key = period_start(schedule, fired_0300)
    assert key == period_start(schedule, fired_0330) == at("2024-03-31T01:30:00")  # one period, both instants
    assert period_start(schedule, at("2024-03-31T00:59:00")) == at("2024-03-30T01:30:00")  # 01:59 CET: previous day
    assert period_start(schedule, at("2024-04-01T00:30:00")) == at("2024-04-01T00:30:00")  # 02:30 CEST = 00:30 UTC


def test_daily_0230_berlin_across_fall_back_is_one_period():
    schedule = spec()
    # 2024-10-27: 02:00–03:00 happens twice. Both 02:30s are the same period.
    first = at("2024-10-27T00:30:00")   # 02:30 CEST
    second = at("2024-10-27T01:30:00")  # 02:30 CET
    assert period_start(schedule, first) == period_start(schedule, second) == at("2024-10-27T00:30:00")
    assert period_start(schedule, at("2024-10-28T01:30:00")) == at("2024-10-28T01:30:00")  # CET afterwards


def test_hourly_weekly_monthly_and_cron_periods():
    hourly = spec(frequency="hourly", time=dt.time(0, 15), timezone="UTC")
    assert period_start(hourly, at("2024-05-01T10:14:59")) == at("2024-05-01T09:15:00")
    assert period_start(hourly, at("2024-05-01T10:15:00")) == at("2024-05-01T10:15:00")
    weekly = spec(frequency="weekly", day_of_week=0, time=dt.time(9, 0), timezone="America/New_York")
    assert period_start(weekly, at("2024-05-08T12:00:00")) == at("2024-05-06T13:00:00")  # Monday 09:00 EDT
    monthly = spec(frequency="monthly", day_of_month=31, time=dt.time(6, 0), timezone="UTC")
    assert period_start(monthly, at("2024-05-15T00:00:00")) == at("2024-03-31T06:00:00")  # April has no 31st
    cron = spec(frequency="cron", cron="*/30 8-9 * * 1-5", timezone="Asia/Kolkata", time=None)
    assert period_start(cron, at("2024-05-04T06:00:00")) == at("2024-05-03T04:00:00")  # Sat → Fri 09:30 IST
    assert next_run(cron, at("2024-05-04T06:00:00")) == at("2024-05-06T02:30:00")  # Mon 08:00 IST


# --- API ------------------------------------------------------------------------------------------------------

@pytest.fixture
def team(user, make_user, client_for, sqlite_file, files_dir, django_capture_on_commit_callbacks):
    analyst = make_user()
    workspace = make_workspace(user, members={analyst: "analyst"})
    share_files(files_dir, workspace)
    owner = client_for(user, workspace)
    ds = register(owner, engine="sqlite", database="shop.sqlite3")
    sync(owner, ds["id"], django_capture_on_commit_callbacks)
    client = client_for(analyst, workspace)
    saved = client.post("/api/v1/saved-queries", {
        "title": "By country", "sql": "SELECT customer_id, country FROM customers WHERE country = {{c}} "
        "ORDER BY customer_id", "parameters": [{"name": "c", "type": "text", "default": "Germany"}]},
        format="json").json()
    return {"owner": owner, "analyst": client, "analyst_user": analyst, "ds": ds, "saved": saved,
            "workspace": workspace}


@pytest.mark.django_db
def test_create_makes_a_beat_entry_in_the_schedule_time_zone_and_delete_removes_it(team):
    response = team["analyst"].post(URL, {"query_id": team["saved"]["id"], "frequency": "weekly",
                                          "day_of_week": "monday", "time": "09:00", "timezone": "Europe/Berlin",
                                          "notify_emails": ["boss@example.com"], "format": "csv"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["day_of_week"] == "monday" and body["is_active"] is True and body["next_run_at"]
    task = PeriodicTask.objects.get(name=f"schedule:{body['id']}")
    assert task.task == "queries.run_schedule" and task.enabled and task.args == f'["{body["id"]}"]'
    assert str(task.crontab.timezone) == "Europe/Berlin"
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "9", "1")
    paused = team["analyst"].patch(f"{URL}/{body['id']}", {"active": False, "time": "07:45"}, format="json")
    assert paused.status_code == 200, paused.content
    task.refresh_from_db()
    assert task.enabled is False and (task.crontab.minute, task.crontab.hour) == ("45", "7")
    assert team["analyst"].get(URL).json()["count"] == 1
    assert team["analyst"].delete(f"{URL}/{body['id']}").status_code == 204
    assert not PeriodicTask.objects.filter(name=f"schedule:{body['id']}").exists()


@pytest.mark.django_db
def test_bad_input_is_an_error_envelope(team, settings):
    base = {"question": "How many customers are there?", "frequency": "daily", "time": "08:00"}
    cases = [({"timezone": "Mars/Olympus"}, "timezone"), ({"timezone": "../../etc/passwd"}, "timezone"),
             ({"frequency": "weekly"}, "day_of_week"), ({"frequency": "weekly", "day_of_week": "funday"},
                                                        "day_of_week"),
             ({"frequency": "monthly"}, "day_of_month"), ({"frequency": "cron", "cron": "61 * * * *"}, "cron"),
             ({"frequency": "cron", "cron": "* * *"}, "cron"), ({"time": None}, "time"),
             ({"notify_emails": ["not-an-email"]}, "notify_emails.0"),
             ({"webhook_url": "ftp://example.com/x"}, "webhook_url"),
             ({"webhook_url": "http://169.254.169.254/latest"}, "webhook_url"),
             ({"frequency": "yearly"}, "frequency")]
    for extra, field in cases:
        error = assert_error(team["analyst"].post(URL, {**base, **extra}, format="json"), 400)
        assert error["details"][0]["field"] == field, (extra, error)
    settings.DATA_SOURCE_BLOCK_PRIVATE_NETWORKS = True
    assert_error(team["analyst"].post(URL, {**base, "webhook_url": "http://127.0.0.1:8000/hook"}, format="json"), 400)
    assert_error(team["analyst"].post(URL, {"frequency": "daily", "time": "08:00"}, format="json"), 400)
    assert_error(team["analyst"].post(URL, {**base, "query_id": team["saved"]["id"]}, format="json"), 400)
    assert_error(team["analyst"].post(URL, {"query_id": team["saved"]["id"], "frequency": "daily", "time": "08:00",
                                            "parameters": {"c": 5, "zzz": 1}}, format="json"), 400)


@pytest.mark.django_db
def test_a_run_emails_the_csv_and_is_in_the_history_and_runs_once_per_period(team):
    body = team["analyst"].post(URL, {"saved_query_id": team["saved"]["id"], "parameters": {"c": "France"},
                                      "frequency": "daily", "time": "06:00", "timezone": "Europe/Berlin",
                                      "notify_emails": ["boss@example.com"], "name": "Daily France"},
                                format="json").json()
    now = at("2024-06-01T05:00:00")
    first = schedule_execute(schedule_id=body["id"], now=now)
    assert first is not None and first.status == "succeeded" and first.period_start == at("2024-06-01T04:00:00")
    assert schedule_execute(schedule_id=body["id"], now=now + dt.timedelta(minutes=5)) is None  # same period
    run = QueryRun.objects.get(pk=first.query_run_id)
    assert run.user == team["analyst_user"] and run.status == "completed" and "'France'" in run.executed_sql
    message = mail.outbox[-1]
    assert message.to == ["boss@example.com"] and "Daily France" in message.subject
    name, content, mimetype = message.attachments[0]
    assert name.endswith(".csv") and mimetype == "text/csv"
    assert content.splitlines() == ["customer_id,country", "2,France"]
    history = team["analyst"].get(f"{URL}/{body['id']}/runs").json()
    assert history["count"] == 1 and history["results"][0]["query_id"] == str(run.pk)
    assert history["results"][0]["rows_returned"] == 1


@pytest.mark.django_db
def test_a_failing_run_mails_the_owner_and_is_recorded(team):
    body = team["analyst"].post(URL, {"saved_query_id": team["saved"]["id"], "frequency": "hourly",
                                      "notify_emails": ["boss@example.com"]}, format="json").json()
    from queries.models import SavedQuery

    SavedQuery.objects.filter(pk=team["saved"]["id"]).update(sql="SELECT nope FROM customers WHERE 1 = {{c}}")
    failed = schedule_execute(schedule_id=body["id"], now=at("2024-06-01T05:00:00"))
    assert failed.status == "failed" and failed.error
    assert mail.outbox[-1].to == [team["analyst_user"].email] and "failed" in mail.outbox[-1].subject
    assert team["analyst"].get(f"{URL}/{body['id']}/runs").json()["results"][0]["status"] == "failed"


@pytest.mark.django_db
def test_question_schedule_in_json_and_inactive_is_skipped(team):
    body = team["analyst"].post(URL, {"question": "How many customers are there?", "frequency": "daily",
                                      "time": "07:00", "format": "json", "database_id": team["ds"]["id"]},
                                format="json").json()
    done = schedule_execute(schedule_id=body["id"], now=at("2024-06-01T08:00:00"))
    assert done.status == "succeeded", done.error
    assert mail.outbox[-1].attachments[0][2] == "application/json"
    team["analyst"].patch(f"{URL}/{body['id']}", {"is_active": False}, format="json")
    assert schedule_execute(schedule_id=body["id"], now=at("2024-06-02T08:00:00")) is None


@pytest.mark.django_db
def test_other_tenants_and_other_members_get_404(team, make_user, client_for):
    body = team["analyst"].post(URL, {"question": "How many customers are there?", "frequency": "hourly"},
                                format="json").json()
    stranger = client_for(make_user())
    for response in (stranger.get(f"{URL}/{body['id']}"), stranger.delete(f"{URL}/{body['id']}"),
                     stranger.get(f"{URL}/{body['id']}/runs"), stranger.patch(f"{URL}/{body['id']}", {},
                                                                               format="json")):
        assert_error(response, 404)
    assert team["owner"].get(f"{URL}/{body['id']}").status_code == 200  # workspace admin sees it
    # a schedule cannot use someone else's saved query
    assert_error(stranger.post(URL, {"saved_query_id": team["saved"]["id"], "frequency": "hourly"},
                               format="json"), 404)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_the_same_period_run_it_once(team):
    body = team["analyst"].post(URL, {"saved_query_id": team["saved"]["id"], "frequency": "daily",
                                      "time": "06:00", "timezone": "Europe/Berlin"}, format="json").json()
    now = at("2024-06-01T05:00:00")
    barrier = threading.Barrier(2)
    results: list = []

    def worker():
        try:
            barrier.wait()
            results.append(schedule_execute(schedule_id=body["id"], now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r is None for r in results) == [False, True]
    assert ScheduleRun.objects.filter(schedule_id=body["id"]).count() == 1
    assert QueryRun.objects.filter(user=team["analyst_user"], executed_sql__contains="Germany").count() == 1


def test_an_emailed_csv_escapes_spreadsheet_formulas(team, settings):
    saved = team["analyst"].post("/api/v1/saved-queries", {"title": "Formula", "sql": "SELECT '=HYPERLINK(1)' AS f, "
                                 "-5 AS n FROM customers LIMIT 1", "database_id": team["ds"]["id"]},
                                 format="json").json()
    body = team["analyst"].post(URL, {"saved_query_id": saved["id"], "frequency": "daily", "time": "06:00",
                                      "timezone": "UTC", "notify_emails": ["boss@example.com"], "name": "F"},
                                format="json").json()
    schedule_execute(schedule_id=body["id"], now=at("2024-06-01T07:00:00"))
    assert mail.outbox[-1].attachments[0][1].splitlines() == ["f,n", "'=HYPERLINK(1),-5"]
