from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, Max, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import NotFound, ValidationFailed
from core.permissions import IsSystemAdmin, NotApiKey
from core.serializers import ErrorEnvelopeSerializer
from core.views import WORKSPACE_HEADER, WorkspaceScopedViewSet
from metadata.selectors import data_source_for
from metadata.views import WorkspaceAPIView
from teams.roles import Role

from . import services
from .filters import QueryRunFilter
from .models import QueryRun
from .serializers import (
    CacheClearedSerializer,
    CacheStatsSerializer,
    ExecuteSerializer,
    PopularQuerySerializer,
    QueryRunSerializer,
    SuggestionsRequestSerializer,
    SuggestionsSerializer,
    ValidateResultSerializer,
    ValidateSerializer,
)

ERRORS = {code: ErrorEnvelopeSerializer for code in (400, 401, 403, 404, 409, 422, 429)}


@extend_schema(tags=["queries"], parameters=[WORKSPACE_HEADER])
class ValidateView(WorkspaceAPIView):
    role_map = {"POST": Role.ANALYST}

    @extend_schema(operation_id="queries_validate", request=ValidateSerializer,
                   responses={200: ValidateResultSerializer, **ERRORS},
                   summary="Check a statement with the safety gate, without running it")
    def post(self, request: Request) -> Response:
        serializer = ValidateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ds = data_source_for(request.workspace, serializer.validated_data.get("database_id"), request.membership)
        return Response(services.query_validate(ds=ds, sql=serializer.validated_data["sql"],
                                                workspace=request.workspace, membership=request.membership))


@extend_schema(tags=["queries"], parameters=[WORKSPACE_HEADER])
class ExecuteView(WorkspaceAPIView):
    role_map = {"POST": Role.ANALYST}

    @extend_schema(operation_id="queries_execute", request=ExecuteSerializer,
                   responses={200: QueryRunSerializer, 202: QueryRunSerializer, **ERRORS},
                   summary="Run SQL (mode sql) through the safety gate; async returns at once with the query id")
    def post(self, request: Request) -> Response:
        serializer = ExecuteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ds = data_source_for(request.workspace, data.get("database_id"), request.membership)
        if data["mode"] == "ai":
            from assistant.services import answer

            run = answer(question=data["text"], ds=ds, workspace=request.workspace, user=request.user,
                         membership=request.membership, limit=data.get("limit"), run_async=data["async"],
                         request=request)
        else:
            run = services.query_execute(workspace=request.workspace, user=request.user,
                                         membership=request.membership, ds=ds, sql=data["text"],
                                         limit=data.get("limit"), run_async=data["async"], request=request)
        body = QueryRunSerializer(run).data
        queued = run.status in (QueryRun.Status.PENDING, QueryRun.Status.RUNNING)
        return Response(body, status=status.HTTP_202_ACCEPTED if queued else status.HTTP_200_OK)


@extend_schema(tags=["queries"], parameters=[WORKSPACE_HEADER])
class QueryAliasView(ExecuteView):
    """Seed 000's `POST /query`: the same operation as `POST /queries/execute`."""

    @extend_schema(operation_id="query", request=ExecuteSerializer,
                   responses={200: QueryRunSerializer, 202: QueryRunSerializer, **ERRORS},
                   summary="Same as POST /queries/execute (seed 000)")
    def post(self, request: Request) -> Response:
        return super().post(request)


@extend_schema(tags=["queries"], parameters=[WORKSPACE_HEADER])
class QueryRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Your query history; one run with its result."""

    queryset = QueryRun.objects.all()
    serializer_class = QueryRunSerializer
    filterset_class = QueryRunFilter
    ordering_fields = ["created_at", "execution_time_ms", "rows_returned"]
    role_map = {"list": Role.VIEWER, "retrieve": Role.VIEWER, "cancel": Role.VIEWER, "popular": Role.VIEWER}

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.action == "popular":
            return queryset
        return queryset.filter(user=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["with_results"] = self.action != "list"
        return context

    @extend_schema(request=None, responses={200: QueryRunSerializer, **ERRORS},
                   summary="Cancel a running query: the database stops it")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        run = services.query_cancel(run=self.get_object(), user=request.user, request=request)
        return Response(QueryRunSerializer(run, context={"with_results": False}).data)

    @extend_schema(responses={200: PopularQuerySerializer(many=True)},
                   parameters=[OpenApiParameter("limit", int, required=False)],
                   summary="The workspace's most-run statements, grouped across formatting and literals")
    # A short ranked list of the whole workspace: neither pages nor the history's filters apply.
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def popular(self, request: Request) -> Response:
        try:
            limit = max(1, min(100, int(request.query_params.get("limit", 10))))
        except ValueError:
            raise ValidationFailed.for_field("limit", "Must be a whole number.") from None
        groups = (self.get_queryset().filter(status=QueryRun.Status.COMPLETED).exclude(fingerprint="")
                  .values("fingerprint").annotate(runs=Count("id"), users=Count("user", distinct=True),
                                                  last_run_at=Max("created_at"),
                                                  avg_execution_time_ms=Avg("execution_time_ms"))
                  .order_by("-runs", "-last_run_at")[:limit])
        out = []
        for group in groups:
            latest = self.get_queryset().filter(fingerprint=group["fingerprint"]).select_related(
                "data_source").order_by("-created_at").first()
            # The literal-free form: one person's filter values are not shown to the whole workspace.
            from .safety import fingerprint

            engine = latest.data_source.engine if latest.data_source else "postgresql"
            out.append({**group, "sql": fingerprint(latest.sql, engine=engine),
                        "question": latest.question if latest.user_id == request.user.pk else ""})
        return Response(PopularQuerySerializer(out, many=True).data)


@extend_schema(tags=["queries"], parameters=[WORKSPACE_HEADER])
class SuggestionsView(WorkspaceAPIView):
    """Seed 000's `POST /queries/suggestions`: questions this data source can answer."""

    role_map = {"POST": Role.VIEWER, "GET": Role.VIEWER}

    @extend_schema(operation_id="queries_suggestions", request=SuggestionsRequestSerializer,
                   responses={200: SuggestionsSerializer, **ERRORS},
                   summary="Questions the data source can answer: its most-asked ones and ones from its dictionary")
    def post(self, request: Request) -> Response:
        serializer = SuggestionsRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        from assistant.services import suggestions

        ds = data_source_for(request.workspace, serializer.validated_data.get("database_id"), request.membership)
        items = suggestions(ds, user=request.user, limit=serializer.validated_data["limit"],
                            membership=request.membership)
        return Response({"database_id": str(ds.pk), "suggestions": items})


@extend_schema(tags=["queries"], parameters=[WORKSPACE_HEADER])
class CancelView(WorkspaceAPIView):
    """Seed 003's `POST /queries/cancel/{query_id}` — your own queries only."""

    role_map = {"POST": Role.VIEWER}

    @extend_schema(operation_id="queries_cancel_by_path", request=None, responses={200: QueryRunSerializer, **ERRORS})
    def post(self, request: Request, query_id: str) -> Response:
        try:
            run = QueryRun.objects.get(pk=query_id, workspace=request.workspace, user=request.user)
        except (QueryRun.DoesNotExist, ValidationError, ValueError):
            raise NotFound("No such query.", code="NOT_FOUND") from None
        run = services.query_cancel(run=run, user=request.user, request=request)
        return Response(QueryRunSerializer(run, context={"with_results": False}).data)



@extend_schema(tags=["admin"])
class CacheView(APIView):
    """Seed 000's cache administration, for installation admins."""

    permission_classes = [IsAuthenticated, NotApiKey, IsSystemAdmin]

    @extend_schema(operation_id="admin_cache_clear", request=None, responses={200: CacheClearedSerializer, **ERRORS},
                   parameters=[OpenApiParameter("pattern", str, required=False,
                                                description="Only query results of this data source id")],
                   summary="Drop cached query results (all, or one data source's)")
    def delete(self, request: Request) -> Response:
        from metadata.models import DataSource

        pattern = request.query_params.get("pattern")
        source = None
        if pattern:
            try:
                source = DataSource.objects.get(pk=pattern)
            except (DataSource.DoesNotExist, ValidationError, ValueError):
                raise NotFound("No such data source.", code="DATA_SOURCE_NOT_FOUND") from None
        services.result_cache_invalidate(source)
        from auditing.services import record

        record(actor=request.user, action="admin.cache_cleared", resource_type="cache", request=request,
               details={"data_source_id": pattern or "all"})
        return Response({"cleared": "data_source" if source else "all"})


@extend_schema(tags=["admin"])
class CacheStatsView(APIView):
    permission_classes = [IsAuthenticated, NotApiKey, IsSystemAdmin]

    @extend_schema(operation_id="admin_cache_stats", responses={200: CacheStatsSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(services.cache_stats())
