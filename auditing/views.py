"""Audit trail (+ CSV export), webhooks, analytics, installation metrics and search.

Views stay thin: parse, check the role, call a service or selector, serialize."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import Forbidden, ValidationFailed
from core.permissions import IsSystemAdmin, NotApiKey, WorkspaceRolePermission
from core.serializers import ErrorEnvelopeSerializer
from core.views import WORKSPACE_HEADER, WorkspaceContextMixin, WorkspaceScopedViewSet
from teams.roles import Role

from . import analytics, webhooks
from . import search as search_service
from .filters import AuditEventFilter
from .models import AuditEvent, DeliveryStatus, Webhook, WebhookEvent
from .serializers import (
    AuditEventSerializer,
    QueryAnalyticsSerializer,
    SearchRequestSerializer,
    SearchResponseSerializer,
    SystemMetricsSerializer,
    UserAnalyticsSerializer,
    WebhookCreatedSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
    WebhookWriteSerializer,
)
from .services import record

ERRORS = {code: ErrorEnvelopeSerializer for code in (400, 401, 403, 404, 429)}


# --- audit trail ----------------------------------------------------------------------------------

class CSVRenderer(BaseRenderer):
    """Lets `?format=csv` through content negotiation; the CSV itself is streamed by the view."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return json.dumps(data).encode() if data is not None else b""


CSV_COLUMNS = ["timestamp", "id", "user_id", "user_email", "action", "resource_type", "resource_id", "ip_address",
               "user_agent", "request_id", "workspace_id", "details"]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells that start like a formula; a leading quote keeps them text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_rows(events: Iterable[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events:
        yield writer.writerow([_cell(v) for v in (
            event.created_at.isoformat(), event.pk, event.actor_id, event.actor_email, event.action,
            event.resource_type, event.resource_id, event.ip_address, event.user_agent, event.request_id,
            event.workspace_id, json.dumps(event.details, sort_keys=True, default=str))])


class AuditExportMixin:
    """`GET …?format=csv` and `GET …/export`: the filtered trail as a streamed CSV file."""

    renderer_classes = [JSONRenderer, CSVRenderer]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # Errors stay JSON envelopes even when CSV was asked for.
        if isinstance(response, Response) and response.status_code >= 400 and \
                isinstance(getattr(request, "accepted_renderer", None), CSVRenderer):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]

    def _stream_csv(self, request: Request) -> StreamingHttpResponse:
        queryset: QuerySet[AuditEvent] = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        workspace = getattr(request, "workspace", None)
        record(actor=request.user, action="audit_log.exported", request=request,
               workspace=workspace if isinstance(self, AuditLogViewSet) else None, resource_type="audit_log",
               details={"filters": {k: v for k, v in request.query_params.items() if k != "format"}})
        response = StreamingHttpResponse(_csv_rows(queryset.iterator(chunk_size=2000)),
                                         content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
        response["Cache-Control"] = "no-store"
        return response

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        if isinstance(getattr(request, "accepted_renderer", None), CSVRenderer):
            return self._stream_csv(request)
        return super().list(request, *args, **kwargs)  # type: ignore[misc]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR, **ERRORS},
                   summary="The filtered audit trail as CSV (streamed; same filters as the list)")
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request: Request) -> StreamingHttpResponse:
        return self._stream_csv(request)


LIST_PARAMS = [OpenApiParameter("format", str, enum=["json", "csv"], required=False,
                                description="`csv` streams the filtered trail as a CSV file.")]


@extend_schema(tags=["audit"], parameters=[WORKSPACE_HEADER])
class AuditLogViewSet(AuditExportMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """The workspace's audit trail, newest first. Read-only: nothing can change an event."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    ordering_fields = ["created_at", "action"]
    workspace_field = "workspace_id"
    role_map = {"list": Role.ADMIN, "retrieve": Role.ADMIN, "export": Role.ADMIN}

    @extend_schema(parameters=LIST_PARAMS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["audit"])
class InstallationAuditLogViewSet(AuditExportMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                                  viewsets.GenericViewSet):
    """Every event of the installation — including those outside any workspace (logins, failed
    logins, lock-outs, user administration) — for installation admins."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    ordering_fields = ["created_at", "action"]
    permission_classes = [IsAuthenticated, NotApiKey, IsSystemAdmin]

    @extend_schema(parameters=LIST_PARAMS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return super().list(request, *args, **kwargs)


# --- webhooks -------------------------------------------------------------------------------------

DELIVERY_FILTERS = [
    OpenApiParameter("status", str, enum=DeliveryStatus.values, required=False),
    OpenApiParameter("event", str, enum=WebhookEvent.values, required=False),
    OpenApiParameter("page", int, required=False), OpenApiParameter("limit", int, required=False),
]


@extend_schema(tags=["webhooks"], parameters=[WORKSPACE_HEADER])
class WebhookViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Signed HTTP callbacks for workspace events (workspace admins).

    Each delivery is a JSON POST with `X-InsightEngine-Event`, `X-InsightEngine-Delivery`,
    `X-InsightEngine-Timestamp` and `X-InsightEngine-Signature: sha256=<hex>` — the HMAC-SHA256 of
    `"<timestamp>.<raw body>"` with the webhook's secret (shown once, at creation). Failed deliveries
    are retried after 2, 4, 8 … seconds; after repeated failed deliveries the webhook disables itself.
    URLs resolving to private, loopback, link-local or metadata addresses are refused."""

    queryset = Webhook.objects.all()
    serializer_class = WebhookSerializer
    filterset_fields = ["is_active"]
    ordering_fields = ["created_at", "url"]
    http_method_names = ["get", "post", "patch", "delete"]
    role_map = {name: Role.ADMIN for name in ("list", "retrieve", "create", "partial_update", "destroy",
                                                  "test", "deliveries", "rotate_secret")}

    @extend_schema(request=WebhookWriteSerializer, responses={201: WebhookCreatedSerializer, **ERRORS},
                   summary="Register a webhook (the response holds its signing secret, shown only this once)")
    def create(self, request: Request) -> Response:
        serializer = WebhookWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        webhook, secret = webhooks.webhook_create(
            workspace=request.workspace, user=request.user, url=data["url"], events=data["events"],
            description=data.get("description", ""), is_active=data.get("is_active", True), request=request)
        body = WebhookSerializer(webhook).data
        return Response({**body, "secret": secret}, status=status.HTTP_201_CREATED)

    @extend_schema(request=WebhookWriteSerializer, responses={200: WebhookSerializer, **ERRORS},
                   summary="Change URL, events, description; `active: true` re-enables a disabled webhook")
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        webhook = self.get_object()
        serializer = WebhookWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        webhook = webhooks.webhook_update(webhook=webhook, user=request.user, data=serializer.validated_data,
                                          request=request)
        return Response(WebhookSerializer(webhook).data)

    @extend_schema(responses={204: None, **ERRORS})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        webhooks.webhook_delete(webhook=self.get_object(), user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: WebhookDeliverySerializer, **ERRORS},
                   summary="Send a signed `ping` now and return the delivery (works on a disabled webhook too)")
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        delivery = webhooks.webhook_test(webhook=self.get_object(), user=request.user, request=request)
        return Response(WebhookDeliverySerializer(delivery).data)

    @extend_schema(request=None, responses={200: WebhookCreatedSerializer, **ERRORS},
                   summary="Replace the signing secret (the response holds the new one, shown only this once)")
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        webhook = self.get_object()
        secret = webhooks.webhook_rotate_secret(webhook=webhook, user=request.user, request=request)
        return Response({**WebhookSerializer(webhook).data, "secret": secret})

    @extend_schema(parameters=DELIVERY_FILTERS, responses={200: WebhookDeliverySerializer(many=True), **ERRORS},
                   summary="The delivery log, newest first")
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        webhook = self.get_object()
        queryset = webhook.deliveries.all()
        for name, choices in (("status", DeliveryStatus.values), ("event", WebhookEvent.values)):
            value = request.query_params.get(name)
            if value:
                if value not in choices:
                    raise ValidationFailed.for_field(name, f"Must be one of: {', '.join(choices)}.")
                queryset = queryset.filter(**{name: value})
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


# --- analytics and metrics ------------------------------------------------------------------------

class DaysSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=366, default=30)


class ScopeSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=[("user", "user"), ("system", "system")], default="user")


class _WorkspaceAPIView(WorkspaceContextMixin, APIView):
    permission_classes = [IsAuthenticated, WorkspaceRolePermission]
    role_map: dict[str, str] = {"GET": Role.VIEWER, "POST": Role.VIEWER}


@extend_schema(tags=["analytics"], parameters=[WORKSPACE_HEADER])
class AnalyticsView(_WorkspaceAPIView):
    @extend_schema(
        operation_id="analytics",
        parameters=[OpenApiParameter("scope", str, enum=["user", "system"], required=False,
                                     description="`system`: installation totals (installation admins only).")],
        responses={200: OpenApiResponse(UserAnalyticsSerializer, description="`scope=user` (default); with "
                                        "`scope=system` the body is that of GET /admin/metrics."), **ERRORS},
        summary="Your activity in the workspace, or (installation admins) the installation's totals")
    def get(self, request: Request) -> Response:
        params = ScopeSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        if params.validated_data["scope"] == "system":
            if not getattr(request.user, "is_system_admin", False):
                raise Forbidden("Only installation administrators may see system analytics.")
            return Response(SystemMetricsSerializer(analytics.system_metrics()).data)
        data = analytics.user_analytics(user=request.user, workspace=request.workspace)
        return Response(UserAnalyticsSerializer(data).data)


@extend_schema(tags=["analytics"], parameters=[WORKSPACE_HEADER])
class QueryAnalyticsView(_WorkspaceAPIView):
    @extend_schema(
        operation_id="analytics_queries",
        parameters=[OpenApiParameter("days", int, required=False, description="Days in `per_day` (1–366, default 30).")],
        responses={200: QueryAnalyticsSerializer, **ERRORS},
        summary="The workspace's query statistics: totals, per-day series, top tables and users, error rate")
    def get(self, request: Request) -> Response:
        params = DaysSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = analytics.workspace_query_analytics(workspace=request.workspace, days=params.validated_data["days"])
        return Response(QueryAnalyticsSerializer(data).data)


@extend_schema(tags=["admin"])
class SystemMetricsView(APIView):
    permission_classes = [IsAuthenticated, NotApiKey, IsSystemAdmin]

    @extend_schema(operation_id="admin_metrics", responses={200: SystemMetricsSerializer, **ERRORS},
                   summary="Installation totals: users, workspaces, data sources, queries, active users in 24 h")
    def get(self, request: Request) -> Response:
        return Response(SystemMetricsSerializer(analytics.system_metrics()).data)


# --- search ---------------------------------------------------------------------------------------

@extend_schema(tags=["search"], parameters=[WORKSPACE_HEADER])
class SearchView(_WorkspaceAPIView):
    @extend_schema(operation_id="search", request=SearchRequestSerializer,
                   responses={200: SearchResponseSerializer, **ERRORS},
                   summary="Search your query history, saved queries, templates, tables, conversations and documents")
    def post(self, request: Request) -> Response:
        serializer = SearchRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        hits = search_service.search(workspace=request.workspace, user=request.user, q=data["q"],
                                     types=data.get("type"), limit=data["limit"])
        results = [hit.__dict__ for hit in hits]
        return Response(SearchResponseSerializer({"query": data["q"], "count": len(results),
                                                  "results": results}).data)
