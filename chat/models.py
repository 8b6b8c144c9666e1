"""Projects, chat sessions (= conversations) and their messages."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models import BaseModel

HEX_COLOR = r"^#([0-9a-f]{3}|[0-9a-f]{6})$"


class Project(BaseModel):
    """A folder of conversations (seed 002). Visible to the workspace's members."""

    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="chat_projects")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="chat_projects")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    color = models.CharField(max_length=7, default="#6366f1", help_text="Hex colour, #rgb or #rrggbb (lower case).")

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "project"
        constraints = [
            models.CheckConstraint(condition=models.Q(color__regex=HEX_COLOR), name="chat_project_color_hex"),
        ]

    def __str__(self) -> str:
        return self.name


class ChatSession(BaseModel):
    """A conversation with the assistant over one data source.

    Private to its creator unless `shared`: then every member of the workspace reads it and
    analysts (and above) post in it. Deleting only sets `deleted_at`; the row is purged after
    CHAT_RETENTION_DAYS and can be restored until then.
    """

    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="chat_sessions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="chat_sessions")
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions")
    data_source = models.ForeignKey("metadata.DataSource", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="chat_sessions")
    title = models.CharField(max_length=200, blank=True)
    shared = models.BooleanField(default=False, help_text="Every workspace member may read; analysts may post.")
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "chat session"
        indexes = [models.Index(fields=["workspace", "created_by", "-updated_at"])]

    def __str__(self) -> str:
        return self.title or f"Chat {self.pk}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class ChatMessage(BaseModel):
    """One turn: a person's question or the assistant's answer (with a snapshot of its result)."""

    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"

    class Status(models.TextChoices):
        COMPLETED = "completed", "Completed"
        NOT_ANSWERED = "not_answered", "Not answered"
        FAILED = "failed", "Failed"
        PENDING = "pending", "Pending"

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=16, choices=Role.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="chat_messages")
    content = models.TextField()
    resolved_content = models.TextField(blank=True, help_text="User turns: the question actually asked, "
                                        "after a follow-up was combined with the earlier question.")
    status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    query_run = models.ForeignKey("queries.QueryRun", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="chat_messages")
    data_source = models.ForeignKey("metadata.DataSource", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="chat_messages")
    result = models.JSONField(default=dict, blank=True, help_text="Assistant turns: sql, columns, rows (preview), "
                              "rows_returned, truncated, chart, reasoning, error — kept even if the run is purged.")
    attachments = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = "chat message"
        indexes = [models.Index(fields=["session", "created_at"])]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:60]}"
