"""Scheduled queries: definitions, their django-celery-beat entries, and the once-per-period run.

Beat fires `queries.run_schedule(schedule_id)` on a CrontabSchedule in the schedule's own time zone. The
task works out which scheduled instant it stands for (`period_start`: the latest local wall-clock time the
schedule matches at or before now, made aware with fold=0 and stored in UTC) and inserts the unique
(schedule, period_start) ScheduleRun row in its own transaction *before* running: a second worker, or a
second beat tick for the same period (a repeated hour when clocks go back), hits the constraint and skips.
A local time that does not exist on a spring-forward day (02:30 Europe/Berlin on the last Sunday of March)
still names one period, whichever instant beat fires it at.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import ipaddress
import json
import logging
import socket
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from auditing.services import record
from core.exceptions import DomainError, NotFound, ValidationFailed
from teams.models import Membership

from .models import QueryRun, SavedQuery, Schedule, ScheduleRun

logger = logging.getLogger(__name__)

TASK_NAME = "queries.run_schedule"
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MAX_EMAILS = 20
ATTACHMENT_ROWS = 100_000


# --- validation ----------------------------------------------------------------------------------------------

def zone(name: str, field: str = "timezone") -> ZoneInfo:
    if not isinstance(name, str) or not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise ValidationFailed.for_field(field, "An IANA time zone such as Europe/Berlin.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationFailed.for_field(field, f"Unknown time zone {name!r}; use an IANA name such as Europe/Berlin.",
                                         code="INVALID_TIMEZONE") from None


def day_of_week_number(value: Any) -> int:
    """0 = Monday … 6 = Sunday, from a number or an English day name."""
    if isinstance(value, str) and value.strip().lower() in DAYS:
        return DAYS.index(value.strip().lower())
    if isinstance(value, str) and value.strip().lower()[:3] in [d[:3] for d in DAYS]:
        return [d[:3] for d in DAYS].index(value.strip().lower()[:3])
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    raise ValidationFailed.for_field("day_of_week", "A day name (monday … sunday) or 0 (Monday) … 6 (Sunday).")


def cron_fields(schedule: Schedule) -> dict[str, str]:
    """The schedule as celery crontab keyword arguments (celery's day_of_week: 0 = Sunday)."""
    minute = str(schedule.time.minute if schedule.time else 0)
    hour = str(schedule.time.hour if schedule.time else 0)
    every = {"day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
    if schedule.frequency == Schedule.Frequency.HOURLY:
        return {"minute": minute, "hour": "*", **every}
    if schedule.frequency == Schedule.Frequency.DAILY:
        return {"minute": minute, "hour": hour, **every}
    if schedule.frequency == Schedule.Frequency.WEEKLY:
        return {"minute": minute, "hour": hour, **every, "day_of_week": str(((schedule.day_of_week or 0) + 1) % 7)}
    if schedule.frequency == Schedule.Frequency.MONTHLY:
        return {"minute": minute, "hour": hour, **every, "day_of_month": str(schedule.day_of_month or 1)}
    parts = schedule.cron.split()
    return dict(zip(["minute", "hour", "day_of_month", "month_of_year", "day_of_week"], parts, strict=True))


def _crontab(fields: dict[str, str]) -> Any:
    from celery.schedules import crontab

    try:
        return crontab(**fields)
    except (ValueError, TypeError, IndexError) as error:
        raise ValidationFailed.for_field("cron", f"Not a valid cron expression: {error}", code="INVALID_CRON") from None


def validate_cron(expression: str) -> str:
    parts = (expression or "").split()
    if len(parts) != 5:
        raise ValidationFailed.for_field("cron", "Five fields: minute hour day-of-month month day-of-week.",
                                         code="INVALID_CRON")
    spec = _crontab(dict(zip(["minute", "hour", "day_of_month", "month_of_year", "day_of_week"], parts, strict=True)))
    if len(spec.minute) > 12 and len(spec.hour) == 24:
        raise ValidationFailed.for_field("cron", "At most 12 runs an hour.", code="INVALID_CRON")
    return " ".join(parts)


def _address_allowed(host: str) -> None:
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        raise ValidationFailed.for_field("webhook_url", f"The host {host} cannot be resolved.",
                                         code="HOST_NOT_ALLOWED") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        mapped = getattr(address, "ipv4_mapped", None)
        for candidate in filter(None, (address, mapped)):
            if candidate.is_link_local or candidate.is_multicast or candidate.is_unspecified or candidate.is_reserved:
                raise ValidationFailed.for_field("webhook_url", f"Requests to {address} are not allowed.",
                                                 code="HOST_NOT_ALLOWED")
            if settings.DATA_SOURCE_BLOCK_PRIVATE_NETWORKS and (candidate.is_private or candidate.is_loopback):
                raise ValidationFailed.for_field("webhook_url", f"Requests to private address {address} are not "
                                                 "allowed here.", code="HOST_NOT_ALLOWED")


def validate_webhook_url(url: str) -> str:
    """http(s) only, no credentials in the URL; link-local/metadata addresses always refused, private ones
    when DATA_SOURCE_BLOCK_PRIVATE_NETWORKS. Checked again before each delivery (DNS can change)."""
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed.for_field("webhook_url", "An http:// or https:// URL.", code="INVALID_URL")
    if parts.username or parts.password:
        raise ValidationFailed.for_field("webhook_url", "Credentials in the URL are not allowed.", code="INVALID_URL")
    _address_allowed(parts.hostname)
    return url


def validate_emails(emails: Any) -> list[str]:
    if emails in (None, ""):
        return []
    if not isinstance(emails, list) or len(emails) > MAX_EMAILS:
        raise ValidationFailed.for_field("notify_emails", f"A list of at most {MAX_EMAILS} addresses.")
    out: list[str] = []
    for index, email in enumerate(emails):
        try:
            validate_email(email)
        except Exception:
            raise ValidationFailed.for_field(f"notify_emails[{index}]", "Enter a valid email address.") from None
        if email.lower() not in (e.lower() for e in out):
            out.append(email)
    return out


# --- periods ---------------------------------------------------------------------------------------------------

def period_start(schedule: Schedule, now: dt.datetime | None = None) -> dt.datetime | None:
    """The scheduled instant (UTC) that a run at `now` stands for: the latest local wall-clock time matching
    the schedule at or before `now`'s local wall-clock time. None if none in the last 400 days."""
    now = now or timezone.now()
    tz = zone(schedule.timezone)
    wall = now.astimezone(tz).replace(tzinfo=None, fold=0)
    spec = _crontab(cron_fields(schedule))
    times = sorted(((h, m) for h in spec.hour for m in spec.minute), reverse=True)
    for back in range(0, 400):
        day = wall.date() - dt.timedelta(days=back)
        if day.month not in spec.month_of_year or day.day not in spec.day_of_month \
                or (day.weekday() + 1) % 7 not in spec.day_of_week:
            continue
        for hour, minute in times:
            candidate = dt.datetime.combine(day, dt.time(hour, minute))
            if candidate <= wall:
                return candidate.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)
    return None


def next_run(schedule: Schedule, now: dt.datetime | None = None) -> dt.datetime | None:
    """The next scheduled instant after `now` (for display; beat decides when it really fires)."""
    now = now or timezone.now()
    tz = zone(schedule.timezone)
    wall = now.astimezone(tz).replace(tzinfo=None, fold=0)
    spec = _crontab(cron_fields(schedule))
    times = sorted((h, m) for h in spec.hour for m in spec.minute)
    for ahead in range(0, 400):
        day = wall.date() + dt.timedelta(days=ahead)
        if day.month not in spec.month_of_year or day.day not in spec.day_of_month \
                or (day.weekday() + 1) % 7 not in spec.day_of_week:
            continue
        for hour, minute in times:
            candidate = dt.datetime.combine(day, dt.time(hour, minute))
            if candidate > wall:
                return candidate.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)
    return None


# --- beat ------------------------------------------------------------------------------------------------------

def beat_sync(schedule: Schedule) -> None:
    """Create or update the schedule's PeriodicTask and CrontabSchedule (in the schedule's time zone)."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    fields = cron_fields(schedule)
    crontab, _ = CrontabSchedule.objects.get_or_create(timezone=schedule.timezone, **fields)
    defaults = {"task": TASK_NAME, "crontab": crontab, "interval": None, "args": json.dumps([str(schedule.pk)]),
                "enabled": schedule.is_active, "queue": "queries",
                "description": f"Schedule {schedule.name} of workspace {schedule.workspace_id}"}
    task, _ = PeriodicTask.objects.update_or_create(name=f"schedule:{schedule.pk}", defaults=defaults)
    if schedule.periodic_task_id != task.pk:
        Schedule.objects.filter(pk=schedule.pk).update(periodic_task=task)
        schedule.periodic_task = task


def beat_remove(schedule: Schedule) -> None:
    from django_celery_beat.models import PeriodicTask

    PeriodicTask.objects.filter(name=f"schedule:{schedule.pk}").delete()


# --- services --------------------------------------------------------------------------------------------------

def schedules_of(*, workspace: Any, user: Any, membership: Any) -> QuerySet[Schedule]:
    """Members see their own schedules; workspace admins see all of the workspace's."""
    from teams.roles import Role, role_at_least

    queryset = Schedule.objects.filter(workspace=workspace).select_related("owner", "saved_query", "data_source")
    if membership is not None and role_at_least(membership.role, Role.ADMIN):
        return queryset
    return queryset.filter(owner=user)


def _prepared(*, workspace: Any, user: Any, data: dict[str, Any], current: Schedule | None) -> dict[str, Any]:
    from metadata.selectors import data_source_for

    from .library import saved_query_get

    fields: dict[str, Any] = {}
    for name in ("name", "frequency", "time", "format", "is_active"):
        if name in data:
            fields[name] = data[name]
    if "question" in data:
        fields["question"] = (data["question"] or "").strip()
    if "saved_query_id" in data:
        fields["saved_query"] = saved_query_get(workspace=workspace, user=user, saved_query_id=data["saved_query_id"]
                                                ) if data["saved_query_id"] else None
    if "parameters" in data:
        fields["parameters"] = data["parameters"] or {}
    if "database_id" in data:
        fields["data_source"] = data_source_for(workspace, data["database_id"]) if data["database_id"] else None
    if "timezone" in data:
        zone(data["timezone"])
        fields["timezone"] = data["timezone"]
    if "day_of_week" in data:
        fields["day_of_week"] = None if data["day_of_week"] is None else day_of_week_number(data["day_of_week"])
    if "day_of_month" in data:
        fields["day_of_month"] = data["day_of_month"]
    if "cron" in data:
        fields["cron"] = data["cron"] or ""
    if "notify_emails" in data:
        fields["notify_emails"] = validate_emails(data["notify_emails"])
    if "webhook_url" in data:
        fields["webhook_url"] = validate_webhook_url(data["webhook_url"] or "")

    def value(name: str) -> Any:
        return fields[name] if name in fields else (getattr(current, name) if current else None)

    saved, question = value("saved_query"), value("question") or ""
    if saved is None and not question:
        raise ValidationFailed("Give a saved query or a question.", code="VALIDATION_ERROR",
                               details=[{"field": "saved_query_id", "message": "Required when there is no question."}])
    if saved is not None and question:
        raise ValidationFailed.for_field("question", "Give a saved query or a question, not both.")
    if saved is None and value("data_source") is None:
        fields["data_source"] = data_source_for(workspace, None)
    if saved is not None:
        fields["data_source"] = None
        from . import parameters as params

        params.resolve(saved.parameters, value("parameters") or {})  # missing or mistyped values: refused now
    elif value("parameters"):
        raise ValidationFailed.for_field("parameters", "Only a saved query takes parameters.")
    frequency = value("frequency")
    if frequency == Schedule.Frequency.WEEKLY and value("day_of_week") is None:
        raise ValidationFailed.for_field("day_of_week", "Required for a weekly schedule.")
    if frequency == Schedule.Frequency.MONTHLY:
        day = value("day_of_month")
        if day is None:
            raise ValidationFailed.for_field("day_of_month", "Required for a monthly schedule (1 … 28, or up to 31 "
                                             "to skip shorter months).")
    if frequency == Schedule.Frequency.CRON:
        fields["cron"] = validate_cron(value("cron") or "")
    elif frequency != Schedule.Frequency.HOURLY and value("time") is None:
        raise ValidationFailed.for_field("time", "Required: the local time of day, HH:MM.")
    return fields


def schedule_create(*, workspace: Any, user: Any, data: dict[str, Any], request: Any = None) -> Schedule:
    fields = _prepared(workspace=workspace, user=user, data=data, current=None)
    fields.setdefault("timezone", "UTC")
    with transaction.atomic():
        schedule = Schedule.objects.create(workspace=workspace, owner=user, **fields)
        beat_sync(schedule)
    record(actor=user, action="schedule.created", target=schedule, workspace=workspace, request=request,
           details={"frequency": schedule.frequency, "timezone": schedule.timezone})
    return schedule


def schedule_update(*, schedule: Schedule, user: Any, data: dict[str, Any], request: Any = None) -> Schedule:
    fields = _prepared(workspace=schedule.workspace, user=user, data=data, current=schedule)
    with transaction.atomic():
        for name, value in fields.items():
            setattr(schedule, name, value)
        schedule.save()
        beat_sync(schedule)
    record(actor=user, action="schedule.updated", target=schedule, workspace=schedule.workspace, request=request,
           details={"fields": sorted(data)})
    return schedule


def schedule_delete(*, schedule: Schedule, user: Any, request: Any = None) -> None:
    record(actor=user, action="schedule.deleted", target=schedule, workspace=schedule.workspace, request=request)
    with transaction.atomic():
        beat_remove(schedule)
        schedule.delete()


def schedule_get(*, workspace: Any, user: Any, membership: Any, schedule_id: Any) -> Schedule:
    from django.core.exceptions import ValidationError

    try:
        return schedules_of(workspace=workspace, user=user, membership=membership).get(pk=schedule_id)
    except (Schedule.DoesNotExist, ValidationError, ValueError, TypeError):
        raise NotFound("No such schedule.", code="SCHEDULE_NOT_FOUND") from None


# --- running ---------------------------------------------------------------------------------------------------

def schedule_execute(*, schedule_id: Any, now: dt.datetime | None = None, manual: bool = False) -> ScheduleRun | None:
    """Run one period of a schedule, at most once: None when it is inactive, already ran for this period,
    or gone. Never raises for a failing query: the failure is recorded on the ScheduleRun and mailed."""
    schedule = Schedule.objects.select_related("owner", "workspace", "saved_query__data_source", "data_source"
                                               ).filter(pk=schedule_id).first()
    if schedule is None or (not schedule.is_active and not manual):
        return None
    now = now or timezone.now()
    period = now if manual else period_start(schedule, now)
    if period is None:
        return None
    try:
        with transaction.atomic():
            schedule_run = ScheduleRun.objects.create(schedule=schedule, period_start=period, manual=manual)
    except IntegrityError:
        logger.info("Schedule %s already ran for %s; skipped", schedule.pk, period)
        return None

    run: QueryRun | None = None
    error = ""
    try:
        run = _run_query(schedule)
        if run.status != QueryRun.Status.COMPLETED:
            error = run.error_message or f"The query {run.status}."
    except DomainError as exc:
        error = exc.message
    except Exception:
        logger.exception("Schedule %s failed", schedule.pk)
        error = "An unexpected error stopped the run."
    schedule_run.query_run = run
    schedule_run.status = ScheduleRun.Status.FAILED if error else ScheduleRun.Status.SUCCEEDED
    schedule_run.error = error
    schedule_run.finished_at = timezone.now()
    schedule_run.emailed_to = _send_email(schedule, schedule_run, run)
    schedule_run.webhook_status = _call_webhook(schedule, schedule_run, run)
    schedule_run.save()
    Schedule.objects.filter(pk=schedule.pk).update(last_run_at=schedule_run.finished_at)
    record(actor=None, action="schedule.run", target=schedule, workspace=schedule.workspace,
           details={"status": schedule_run.status, "query_id": str(run.pk) if run else None,
                    "period_start": period.isoformat(), "manual": manual})
    from auditing.webhooks import emit

    emit(schedule.workspace_id, "schedule_failed" if error else "schedule_completed",
         {"schedule_id": schedule.pk, "query_id": run.pk if run else None, "status": schedule_run.status,
          "period_start": period, "error": error})
    return schedule_run


def _run_query(schedule: Schedule) -> QueryRun:
    """As the schedule's owner, with the rights they have now (a removed member's schedules fail)."""
    owner = schedule.owner
    membership = Membership.objects.filter(workspace=schedule.workspace, user=owner).first()
    if membership is None or not owner.is_active:
        raise DomainError("The schedule's owner is no longer a member of this workspace.", code="OWNER_NOT_MEMBER")
    if schedule.saved_query_id:
        from .library import saved_query_get, saved_query_run

        saved: SavedQuery = saved_query_get(workspace=schedule.workspace, user=owner,
                                            saved_query_id=schedule.saved_query_id)
        return saved_query_run(saved=saved, user=owner, membership=membership, values=schedule.parameters)
    from assistant.services import answer

    if schedule.data_source is None:
        raise DomainError("The schedule's data source was removed.", code="DATA_SOURCE_MISSING")
    return answer(question=schedule.question, ds=schedule.data_source, workspace=schedule.workspace, user=owner,
                  membership=membership)


def _result(run: QueryRun) -> tuple[list[str], list[list[Any]]]:
    from .services import result_store_load

    stored = result_store_load(run)
    rows = stored["rows"] if stored else (getattr(run, "results", None) or run.preview or [])
    return [c["name"] for c in run.columns or []], rows[:ATTACHMENT_ROWS]


def summary(schedule: Schedule, schedule_run: ScheduleRun, run: QueryRun | None) -> dict[str, Any]:
    return {
        "schedule_id": str(schedule.pk), "name": schedule.name, "run_id": str(schedule_run.pk),
        "period_start": schedule_run.period_start.isoformat(), "status": schedule_run.status,
        "query_id": str(run.pk) if run else None, "rows_returned": run.rows_returned if run else None,
        "truncated": run.truncated if run else None, "execution_time_ms": run.execution_time_ms if run else None,
        "error": schedule_run.error or None, "url": f"{settings.SITE_URL}/api/v1/queries/{run.pk}" if run else None,
    }


def _send_email(schedule: Schedule, schedule_run: ScheduleRun, run: QueryRun | None) -> list[str]:
    failed = schedule_run.status == ScheduleRun.Status.FAILED
    recipients = [schedule.owner.email] if failed else (schedule.notify_emails or [schedule.owner.email])
    when = schedule_run.period_start.astimezone(ZoneInfo(schedule.timezone)).strftime("%Y-%m-%d %H:%M %Z")
    if failed:
        subject = f"[InsightEngine] Scheduled query failed: {schedule.name}"
        body = (f"The scheduled query \"{schedule.name}\" ({when}) failed:\n\n{schedule_run.error}\n\n"
                f"See its run history in InsightEngine.")
    else:
        rows = run.rows_returned if run else 0
        subject = f"[InsightEngine] {schedule.name}: {rows} rows"
        body = (f"\"{schedule.name}\" ran for {when}.\n\nRows: {rows}"
                f"{' (truncated at the row limit)' if run and run.truncated else ''}\n"
                f"Time: {round(run.execution_time_ms or 0)} ms\n\nThe result is attached ({schedule.format.upper()}).")
    message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=recipients)
    if not failed and run is not None:
        columns, rows = _result(run)
        stamp = schedule_run.period_start.strftime("%Y%m%d-%H%M")
        base = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in schedule.name)[:60] or "result"
        if schedule.format == Schedule.Format.JSON:
            content = json.dumps({"columns": columns, "rows": rows}, default=str)
            message.attach(f"{base}-{stamp}.json", content, "application/json")
        else:
            from .exports import _escape_formula

            def cell(value: Any) -> Any:  # as in exports: spreadsheet formulas arrive as text
                return _escape_formula(value) if isinstance(value, str) else value

            escape = getattr(settings, "EXPORT_ESCAPE_FORMULAS", True)
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow([cell(c) for c in columns] if escape else columns)
            writer.writerows(([cell(v) for v in row] for row in rows) if escape else rows)
            message.attach(f"{base}-{stamp}.csv", buffer.getvalue(), "text/csv")
    try:
        message.send(fail_silently=False)
    except Exception:
        logger.warning("Could not email the result of schedule %s", schedule.pk, exc_info=True)
        return []
    return recipients


def _call_webhook(schedule: Schedule, schedule_run: ScheduleRun, run: QueryRun | None) -> int | None:
    if not schedule.webhook_url:
        return None
    import requests

    try:
        validate_webhook_url(schedule.webhook_url)  # again: the name may resolve elsewhere now
        response = requests.post(schedule.webhook_url, json=summary(schedule, schedule_run, run), timeout=10,
                                 allow_redirects=False, headers={"User-Agent": "InsightEngine-Schedules/1"})
        return response.status_code
    except (ValidationFailed, requests.RequestException):
        logger.warning("Webhook of schedule %s failed", schedule.pk, exc_info=True)
        return 0
