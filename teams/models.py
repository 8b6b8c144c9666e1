from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.models import BaseModel

from .roles import Role


class Workspace(BaseModel):
    """The tenant: every data source, query and session belongs to exactly one workspace."""

    name = models.CharField(max_length=120)
    is_personal = models.BooleanField(default=False, help_text="Created for a user at registration.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    max_query_rows = models.PositiveIntegerField(default=100000, help_text="Upper bound for any query's row limit.")

    class Meta:
        ordering = ["name"]
        verbose_name = "workspace"

    def __str__(self) -> str:
        return self.name


class Membership(BaseModel):
    """A user's role in a workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANALYST)

    class Meta:
        ordering = ["created_at"]
        verbose_name = "membership"
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} as {self.role}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Invitation(BaseModel):
    """An invitation to join a workspace, sent by email; accepted with its token."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANALYST)
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "invitation"
        constraints = [
            models.UniqueConstraint(
                "workspace", Lower("email"), condition=models.Q(status="pending"), name="invitation_one_pending_per_email"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.workspace} ({self.status})"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

InvitationStatus = Invitation.Status


class ResourceGrant(BaseModel):
    """One member's permission on one resource of a workspace, over what their role gives them.

    `resource_type` names the kind (data source, chat session, document); saved queries keep theirs in
    `queries.SavedQueryShare`, the same table `POST /saved-queries/{id}/share` writes. `none` takes a
    resource away from a member who would otherwise see it; `view_pii` (data sources) shows that source's
    PII columns unmasked. See `teams.grants`.
    """

    class ResourceType(models.TextChoices):
        DATA_SOURCE = "data_source", "Data source"
        CHAT_SESSION = "chat_session", "Chat session"
        DOCUMENT = "document", "Document"

    class Level(models.TextChoices):
        NONE = "none", "No access"
        READ = "read", "Read"
        WRITE = "write", "Read and write"
        VIEW_PII = "view_pii", "Read, personal data unmasked"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="grants")
    resource_type = models.CharField(max_length=16, choices=ResourceType.choices)
    resource_id = models.UUIDField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resource_grants")
    permission = models.CharField(max_length=16, choices=Level.choices)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["created_at"]
        verbose_name = "resource grant"
        constraints = [models.UniqueConstraint(fields=["resource_id", "user"], name="resource_grant_once")]
        indexes = [models.Index(fields=["user", "resource_type", "permission"], name="resource_grant_lookup")]

    def __str__(self) -> str:
        return f"{self.user} {self.permission} on {self.resource_type} {self.resource_id}"
