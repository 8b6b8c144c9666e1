from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models import BaseModel


class QueryRun(BaseModel):
    """One statement run against a data source: who, what, how it went. Every door (SQL editor,
    assistant, saved query, share link, schedule) leaves one of these behind."""

    class Mode(models.TextChoices):
        SQL = "sql", "SQL"
        AI = "ai", "Question"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)

    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="query_runs")
    data_source = models.ForeignKey("metadata.DataSource", null=True, on_delete=models.SET_NULL, related_name="runs")
    data_source_name = models.CharField(max_length=120, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="query_runs")
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.SQL)
    question = models.TextField(blank=True)
    sql = models.TextField(help_text="As written (or generated).")
    executed_sql = models.TextField(blank=True, help_text="The re-rendered statement that ran, limit applied.")
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True,
                                   help_text="Hash of the literal-insensitive normal form, for grouping.")
    normalized_sql = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    row_limit = models.PositiveIntegerField(null=True, blank=True)
    rows_returned = models.PositiveIntegerField(null=True, blank=True)
    truncated = models.BooleanField(default=False)
    columns = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=list, blank=True, help_text="The first rows, masked as the user saw them.")
    masked_columns = models.JSONField(default=list, blank=True)
    cached = models.BooleanField(default=False)
    result_key = models.CharField(max_length=255, blank=True, help_text="Where the full result is kept.")
    execution_time_ms = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    backend_pid = models.CharField(max_length=32, blank=True,
                                   help_text="The server-side id of the running statement (PostgreSQL pid, MySQL connection id).")
    timed_out = models.BooleanField(default=False)
    is_async = models.BooleanField(default=False)
    reasoning = models.JSONField(default=dict, blank=True, help_text="Questions: how the assistant got to the SQL.")
    chart = models.JSONField(null=True, blank=True, help_text="A chart for the result (Vega-Lite), chosen from its shape.")
    celery_task_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "query run"
        indexes = [
            models.Index(fields=["workspace", "user", "-created_at"]),
            models.Index(fields=["workspace", "fingerprint"]),
        ]

    def __str__(self) -> str:
        return f"{self.mode} {self.status} {self.sql[:60]}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


QueryStatus = QueryRun.Status
QueryMode = QueryRun.Mode


# --- saved queries, templates, share links, schedules -----------------------------------------------------

class Permission(models.TextChoices):
    READ = "read", "Read (view and run)"
    WRITE = "write", "Write (view, run and edit)"


class SavedQuery(BaseModel):
    """A statement or question kept for reuse, with typed `{{name}}` parameters bound at run time.
    Saved queries with a question are golden examples for the assistant."""

    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="saved_queries")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_queries")
    data_source = models.ForeignKey("metadata.DataSource", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="saved_queries")
    template = models.ForeignKey("queries.QueryTemplate", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="clones", help_text="The template this was cloned from.")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    sql = models.TextField(blank=True)
    question = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    parameters = models.JSONField(default=list, blank=True,
                                  help_text="[{name, type: date|number|text|choice, default, options?, label?}]")
    run_count = models.PositiveIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "saved query"
        verbose_name_plural = "saved queries"
        constraints = [
            models.CheckConstraint(condition=~models.Q(sql="") | ~models.Q(question=""),
                                   name="saved_query_has_sql_or_question"),
        ]
        indexes = [models.Index(fields=["workspace", "owner", "-updated_at"])]

    def __str__(self) -> str:
        return self.title


class SavedQueryShare(BaseModel):
    """A saved query shared with one member of its workspace."""

    saved_query = models.ForeignKey(SavedQuery, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shared_queries")
    permission = models.CharField(max_length=8, choices=Permission.choices, default=Permission.READ)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = "saved query share"
        constraints = [models.UniqueConstraint(fields=["saved_query", "user"], name="saved_query_share_once")]

    def __str__(self) -> str:
        return f"{self.saved_query_id} → {self.user_id} ({self.permission})"


class QueryTemplate(BaseModel):
    """A reusable query to clone: built-in (global, read-only, `workspace` null) or a workspace's own."""

    workspace = models.ForeignKey("teams.Workspace", null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="query_templates")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    slug = models.SlugField(max_length=80, blank=True, help_text="Built-ins: stable key.")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    sql = models.TextField(blank=True)
    question = models.TextField(blank=True)
    category = models.CharField(max_length=40, db_index=True)
    tags = models.JSONField(default=list, blank=True)
    parameters = models.JSONField(default=list, blank=True)
    is_builtin = models.BooleanField(default=False)

    class Meta:
        ordering = ["category", "title"]
        verbose_name = "query template"
        constraints = [
            models.CheckConstraint(condition=~models.Q(sql="") | ~models.Q(question=""),
                                   name="template_has_sql_or_question"),
            models.UniqueConstraint(fields=["slug"], condition=models.Q(is_builtin=True),
                                    name="builtin_template_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class ShareLink(BaseModel):
    """A public, read-only snapshot of one result (SQL, columns, masked rows, chart), reached by an
    unguessable token of which only the SHA-256 is stored; optionally password-protected."""

    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="share_links")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="share_links")
    query_run = models.ForeignKey(QueryRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="share_links")
    saved_query = models.ForeignKey(SavedQuery, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True)
    password_hash = models.CharField(max_length=256, blank=True)
    title = models.CharField(max_length=200, blank=True)
    snapshot = models.JSONField(default=dict)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    access_count = models.PositiveIntegerField(default=0)
    last_accessed_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "share link"

    def __str__(self) -> str:
        return self.title or str(self.pk)


class Schedule(BaseModel):
    """A saved query or a question run on a calendar (django-celery-beat), its result mailed out."""

    class Frequency(models.TextChoices):
        HOURLY = "hourly", "Hourly"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        CRON = "cron", "Cron expression"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        JSON = "json", "JSON"

    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="schedules")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schedules")
    name = models.CharField(max_length=200)
    saved_query = models.ForeignKey(SavedQuery, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="schedules")
    parameters = models.JSONField(default=dict, blank=True, help_text="Values for the saved query's parameters.")
    question = models.TextField(blank=True)
    data_source = models.ForeignKey("metadata.DataSource", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="schedules")
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    time = models.TimeField(null=True, blank=True, help_text="Local time of day (hourly: only the minute counts).")
    day_of_week = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 = Monday … 6 = Sunday.")
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    cron = models.CharField(max_length=120, blank=True, help_text="minute hour day-of-month month day-of-week")
    timezone = models.CharField(max_length=64, default="UTC")
    notify_emails = models.JSONField(default=list, blank=True)
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.CSV)
    webhook_url = models.URLField(max_length=500, blank=True)
    is_active = models.BooleanField(default=True)
    periodic_task = models.OneToOneField("django_celery_beat.PeriodicTask", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "schedule"
        constraints = [
            models.CheckConstraint(condition=models.Q(saved_query__isnull=False) | ~models.Q(question=""),
                                   name="schedule_has_saved_query_or_question"),
        ]

    def __str__(self) -> str:
        return self.name


class ScheduleRun(BaseModel):
    """One period of a schedule. The unique (schedule, period_start) row is created before the run,
    so two workers that pick up the same beat tick cannot both execute it."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="runs")
    period_start = models.DateTimeField(help_text="The scheduled instant this run stands for (UTC).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    query_run = models.ForeignKey(QueryRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField(blank=True)
    emailed_to = models.JSONField(default=list, blank=True)
    webhook_status = models.PositiveSmallIntegerField(null=True, blank=True)
    manual = models.BooleanField(default=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start"]
        verbose_name = "schedule run"
        constraints = [models.UniqueConstraint(fields=["schedule", "period_start"], name="schedule_run_once_per_period")]

    def __str__(self) -> str:
        return f"{self.schedule_id} @ {self.period_start}"
