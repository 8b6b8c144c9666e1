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
    chart = models.JSONField(null=True, blank=True, help_text="Questions: a chart for the result (Vega-Lite).")
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
