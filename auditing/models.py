from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models

from core.models import BaseModel


class AppendOnlyError(Exception):
    """Audit events are never changed or removed."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events cannot be updated.")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AppendOnlyError("Audit events cannot be deleted.")


class AuditEvent(BaseModel):
    """Something that happened: who, what, to which object, from where. Append-only.

    Actor and workspace are kept as plain ids plus a snapshot of the actor's email, not
    foreign keys, so that deleting a user or workspace never rewrites history.
    """

    workspace_id = models.UUIDField(null=True, blank=True, db_index=True)
    actor_id = models.UUIDField(null=True, blank=True, db_index=True)
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    resource_type = models.CharField(max_length=64, blank=True, db_index=True)
    resource_id = models.CharField(max_length=64, blank=True, db_index=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "audit event"
        indexes = [models.Index(fields=["workspace_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_email or 'system'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events cannot be deleted.")


class WebhookEvent(models.TextChoices):
    """What a webhook can subscribe to. `ping` is only sent by the test-fire action."""

    QUERY_COMPLETED = "query_completed", "Query completed"
    QUERY_FAILED = "query_failed", "Query failed"
    SCHEDULE_COMPLETED = "schedule_completed", "Schedule completed"
    SCHEDULE_FAILED = "schedule_failed", "Schedule failed"
    SHARE_LINK_CREATED = "share_link_created", "Share link created"
    MEMBER_INVITED = "member_invited", "Member invited"
    MEMBER_JOINED = "member_joined", "Member joined"
    MEMBER_REMOVED = "member_removed", "Member removed"
    DATA_SOURCE_SYNCED = "data_source_synced", "Data source synced"
    DATA_SOURCE_SYNC_FAILED = "data_source_sync_failed", "Data source sync failed"
    DOCUMENT_PROCESSED = "document_processed", "Document processed"
    DOCUMENT_FAILED = "document_failed", "Document failed"
    EXPORT_COMPLETED = "export_completed", "Export completed"
    PING = "ping", "Ping (test delivery)"


class Webhook(BaseModel):
    """A workspace's subscription: signed JSON POSTs to `url` when one of `events` happens.

    The signing secret is shown once at creation and stored encrypted (core.crypto). After
    WEBHOOK_MAX_CONSECUTIVE_FAILURES failed deliveries in a row the webhook disables itself.
    """

    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="webhooks")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, help_text="WebhookEvent values this webhook receives.")
    description = models.CharField(max_length=500, blank=True)
    secret_encrypted = models.TextField(editable=False)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "webhook"
        indexes = [models.Index(fields=["workspace", "is_active"])]

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.events)})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"  # an attempt is in flight (claimed by a worker)
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class WebhookDelivery(BaseModel):
    """One event sent (or being sent) to one webhook; the delivery log shows its last attempt."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices, db_index=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING,
                              db_index=True)
    attempt = models.PositiveSmallIntegerField(default=0, help_text="Attempts made so far.")
    response_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    response_snippet = models.CharField(max_length=1000, blank=True)
    is_test = models.BooleanField(default=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["webhook", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id} ({self.status})"
