from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated

from core.permissions import IsSystemAdmin, NotApiKey
from core.views import WORKSPACE_HEADER, WorkspaceScopedViewSet
from teams.roles import Role

from .filters import AuditEventFilter
from .models import AuditEvent
from .serializers import AuditEventSerializer


@extend_schema(tags=["audit"], parameters=[WORKSPACE_HEADER])
class AuditLogViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """The workspace's audit trail, newest first. Read-only: nothing can change an event."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    ordering_fields = ["created_at", "action"]
    workspace_field = "workspace_id"
    role_map = {"list": Role.ADMIN, "retrieve": Role.ADMIN}


@extend_schema(tags=["audit"])
class InstallationAuditLogViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every event of the installation — including those outside any workspace (logins, failed
    logins, lock-outs, user administration) — for installation admins."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    ordering_fields = ["created_at", "action"]
    permission_classes = [IsAuthenticated, NotApiKey, IsSystemAdmin]
