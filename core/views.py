"""The tenant guard every workspace-owned endpoint inherits, plus health and jobs endpoints."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .exceptions import envelope
from .permissions import WorkspaceRolePermission
from .selectors import health_report
from .serializers import ErrorEnvelopeSerializer, HealthSerializer, JobSerializer

WORKSPACE_HEADER = OpenApiParameter(
    name="X-Workspace-ID",
    type=OpenApiTypes.UUID,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Workspace to act in; defaults to the caller's first workspace.",
)


class WorkspaceContextMixin:
    """Resolves `request.workspace` and `request.membership` after authentication."""

    def check_permissions(self, request: Request) -> None:
        # DRF authenticates, then checks permissions: the workspace is resolved in between,
        # so that role permissions can read the caller's membership.
        from teams.selectors import workspace_context_for_request

        request.workspace, request.membership = None, None
        if request.user and request.user.is_authenticated:
            request.workspace, request.membership = workspace_context_for_request(request)
        super().check_permissions(request)  # type: ignore[misc]


class WorkspaceScopedViewSet(WorkspaceContextMixin, viewsets.GenericViewSet):
    """Base for every viewset over workspace-owned objects.

    The queryset is always filtered to the caller's workspace; another workspace's object is
    therefore a 404. Subclasses narrow the queryset with `narrow_queryset`, whose result is
    re-scoped, and may not override `get_queryset` (checked when the class is created). The
    only escape hatch is to name a method `dangerously_get_queryset`, which reviewers look for.
    """

    permission_classes = [IsAuthenticated, WorkspaceRolePermission]
    workspace_field = "workspace"
    role_map: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for method in ("get_queryset", "get_object"):
            if method in cls.__dict__:
                raise ImproperlyConfigured(
                    f"{cls.__name__} overrides {method}, which would bypass the workspace scope. "
                    "Override narrow_queryset instead."
                )

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()  # type: ignore[union-attr]
        workspace = getattr(self.request, "workspace", None)
        if workspace is None:
            return self.queryset.none()  # type: ignore[union-attr]
        scope = {self.workspace_field: workspace.pk}
        queryset = self.queryset.all().filter(**scope)  # type: ignore[union-attr]
        return self.narrow_queryset(queryset).filter(**scope)


@extend_schema(tags=["system"])
class HealthView(APIView):
    """Liveness and readiness of every component the app depends on."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    @extend_schema(
        operation_id="health",
        responses={200: HealthSerializer, 503: HealthSerializer},
        summary="Health of the database, cache, channel layer and Celery broker",
    )
    def get(self, request: Request) -> Response:
        report = health_report()
        return Response(report, status=200 if report["status"] == "ok" else 503)


@extend_schema(tags=["jobs"], parameters=[WORKSPACE_HEADER])
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Long-running work: schema syncs, auto-guess, exports. Poll one, or watch ws/notifications/."""

    queryset = services.Job.objects.select_related("created_by")
    serializer_class = JobSerializer
    filterset_fields = ["status", "kind"]
    ordering_fields = ["created_at", "finished_at"]
    role_map = {"list": "viewer", "retrieve": "viewer", "cancel": "analyst"}

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        # Members see their own jobs; workspace admins see everyone's.
        from teams.roles import Role, role_at_least

        if role_at_least(self.request.membership.role, Role.ADMIN):
            return queryset
        return queryset.filter(created_by=self.request.user)

    @extend_schema(request=None, responses={200: JobSerializer, 409: ErrorEnvelopeSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        job = services.job_cancel(job=self.get_object(), by=request.user)
        return Response(JobSerializer(job).data)


@csrf_exempt  # a 404 changes nothing; without this, an unknown path with POST/PUT/... got the CSRF page
def api_not_found(request: Any, *args: Any, **kwargs: Any) -> Any:
    from django.http import JsonResponse

    return JsonResponse(envelope("NOT_FOUND", f"No endpoint at {request.path}."), status=404)


def csrf_failure(request: Any, reason: str = "") -> Any:
    """CSRF_FAILURE_VIEW: the error envelope under /api/, Django's page elsewhere."""
    from django.http import JsonResponse
    from django.views.csrf import csrf_failure as django_csrf_failure

    from .middleware import is_api_path

    if is_api_path(request.path):
        return JsonResponse(envelope("CSRF_FAILED", "CSRF verification failed."), status=403)
    return django_csrf_failure(request, reason=reason)
