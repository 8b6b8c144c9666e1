from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import NotFound, ValidationFailed
from core.models import Job
from core.pagination import PageLimitPagination
from core.permissions import WorkspaceRolePermission
from core.serializers import ErrorEnvelopeSerializer, JobSerializer
from core.views import WORKSPACE_HEADER, WorkspaceContextMixin, WorkspaceScopedViewSet
from teams.roles import Role

from . import access, selectors, services
from .access import UNRESTRICTED, Access, access_for
from .models import AccessPolicy, DataSource, DictionaryVersion, SchemaColumn, SchemaTable
from .serializers import (
    AccessPolicySerializer,
    AccessPolicyWriteSerializer,
    AutoGuessRequestSerializer,
    AutoGuessResultSerializer,
    ConnectionTestSerializer,
    DataSourceSerializer,
    DataSourceUpdateSerializer,
    DataSourceWriteSerializer,
    DecisionResultSerializer,
    DecisionSerializer,
    DictionaryEditSerializer,
    DictionaryVersionSerializer,
    JobStartedSerializer,
    SchemaSerializer,
    TableDetailSerializer,
    TableSummarySerializer,
    column_data,
)

ERRORS = {code: ErrorEnvelopeSerializer for code in (400, 401, 403, 404, 409, 429)}
DATABASE_ID = OpenApiParameter("database_id", OpenApiTypes.UUID, required=False,
                               description="Data source; defaults to the workspace's default data source.")


def _job_started(job: Job) -> Response:
    return Response({"job_id": str(job.pk), "status": job.status, "job": JobSerializer(job).data},
                    status=status.HTTP_202_ACCEPTED)


def table_detail(table: SchemaTable, access: Access = UNRESTRICTED) -> dict[str, Any]:
    schema = selectors.schema_of(table.data_source)
    for candidate, columns in schema["tables"]:
        if candidate.pk == table.pk:
            return _table_payload(candidate, columns, _visible_relationships(schema["relationships"], access), access)
    # A removed table: no longer in the live schema, but its dictionary entry is still readable.
    return _table_payload(table, [], [], access)


def _visible_relationships(relationships: list[Any], access: Access) -> list[Any]:
    """Foreign keys through a hidden column are hidden with it."""
    return [r for r in relationships if not (set(r.from_columns) & access.hidden_in(r.from_table)
                                             or set(r.to_columns) & access.hidden_in(r.to_table))]


def _table_payload(table: SchemaTable, columns: list[Any], relationships: list[Any],
                   access: Access = UNRESTRICTED) -> dict[str, Any]:
    hidden = access.hidden_in(table)
    columns = [(column, tags) for column, tags in columns if column.name not in hidden]
    data = dict(TableSummarySerializer(table).data)
    data["columns_count"] = len(columns)
    data["columns"] = [column_data(column, tags) for column, tags in columns]
    data["relationships"] = [
        {"name": r.name, "from_table": r.from_table.qualified_name, "from_columns": r.from_columns,
         "to_table": r.to_table.qualified_name, "to_columns": r.to_columns}
        for r in relationships if table.pk in (r.from_table_id, r.to_table_id)
    ]
    return data


def schema_payload(ds: DataSource, access: Access = UNRESTRICTED) -> dict[str, Any]:
    """The schema with the data dictionary merged in, as `access` lets its reader see it."""
    schema = selectors.schema_of(ds)
    relationships = _visible_relationships(schema["relationships"], access)
    return {
        "database_id": str(ds.pk), "database_name": ds.name, "engine": ds.engine, "last_synced_at": ds.last_synced_at,
        "tables": [_table_payload(t, cols, relationships, access) for t, cols in schema["tables"]],
        "relationships": [
            {"name": r.name, "from_table": r.from_table.qualified_name, "from_columns": r.from_columns,
             "to_table": r.to_table.qualified_name, "to_columns": r.to_columns} for r in relationships
        ],
    }


@extend_schema(tags=["databases"], parameters=[WORKSPACE_HEADER])
class DataSourceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Databases the workspace registered (seed 003 "Database Management")."""

    queryset = DataSource.objects.all()
    serializer_class = DataSourceSerializer
    filterset_fields = ["engine", "status", "is_default"]
    ordering_fields = ["name", "created_at", "last_synced_at"]
    role_map = {"list": Role.VIEWER, "retrieve": Role.VIEWER, "schema_detail": Role.VIEWER, "create": Role.ADMIN,
                "update": Role.ADMIN, "partial_update": Role.ADMIN, "destroy": Role.ADMIN,
                "test_connection": Role.ANALYST, "sync_schema": Role.ADMIN}

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        from teams.grants import usable_sources

        return usable_sources(queryset, self.request.membership)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        workspace = getattr(self.request, "workspace", None)
        if workspace is not None:
            context["tables_count"] = dict(
                DataSource.objects.filter(workspace=workspace)
                .annotate(n=Count("tables", filter=Q(tables__is_removed=False))).values_list("pk", "n"))
        return context

    @extend_schema(request=DataSourceWriteSerializer, responses={201: DataSourceSerializer, **ERRORS},
                   summary="Register a database (the password is stored encrypted and never returned)")
    def create(self, request: Request) -> Response:
        serializer = DataSourceWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ds = services.data_source_create(workspace=request.workspace, user=request.user,
                                         data=serializer.validated_data, request=request)
        return Response(DataSourceSerializer(ds, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=DataSourceUpdateSerializer, responses={200: DataSourceSerializer, **ERRORS})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        serializer = DataSourceUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ds = services.data_source_update(ds=self.get_object(), user=request.user, data=serializer.validated_data,
                                         request=request)
        return Response(DataSourceSerializer(ds, context=self.get_serializer_context()).data)

    @extend_schema(request=DataSourceUpdateSerializer, responses={200: DataSourceSerializer, **ERRORS})
    def update(self, request: Request, pk: str | None = None) -> Response:
        return self.partial_update(request, pk)

    @extend_schema(responses={204: None, **ERRORS})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.data_source_delete(ds=self.get_object(), user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: ConnectionTestSerializer, **ERRORS},
                   summary="Connect and report; failures are success=false with the reason, never an error")
    @action(detail=True, methods=["post"], url_path="test-connection")
    def test_connection(self, request: Request, pk: str | None = None) -> Response:
        result = services.data_source_test(ds=self.get_object(), user=request.user, request=request)
        return Response({"success": result.success, "message": result.message, "latency_ms": result.latency_ms,
                         "server_version": result.server_version, "warnings": list(result.warnings)})

    @extend_schema(request=None, responses={202: JobStartedSerializer, **ERRORS},
                   summary="Sync the schema in the background; watch GET /jobs/{job_id} or ws/notifications/")
    @action(detail=True, methods=["post"], url_path="sync-schema")
    def sync_schema(self, request: Request, pk: str | None = None) -> Response:
        return _job_started(services.schema_sync_start(ds=self.get_object(), user=request.user, request=request))

    @extend_schema(responses={200: SchemaSerializer, **ERRORS}, summary="The schema with the data dictionary merged in")
    @action(detail=True, methods=["get"], url_path="schema")
    def schema_detail(self, request: Request, pk: str | None = None) -> Response:
        ds = self.get_object()
        return Response(schema_payload(ds, access_for(ds, request.membership)))


class WorkspaceAPIView(WorkspaceContextMixin, APIView):
    permission_classes = [IsAuthenticated, WorkspaceRolePermission]
    role_map: dict[str, str] = {}


@extend_schema(tags=["databases"], parameters=[WORKSPACE_HEADER, DATABASE_ID])
class DefaultSchemaView(WorkspaceAPIView):
    @extend_schema(operation_id="schema_default", responses={200: SchemaSerializer, **ERRORS},
                   summary="Schema of the default data source (seed 000 /schema)")
    def get(self, request: Request) -> Response:
        ds = selectors.data_source_for(request.workspace, request.query_params.get("database_id"), request.membership)
        return Response(schema_payload(ds, access_for(ds, request.membership)))


@extend_schema(tags=["metadata"], parameters=[WORKSPACE_HEADER, DATABASE_ID])
class TableListView(WorkspaceAPIView):
    pagination_class = PageLimitPagination  # documents the {count, next, previous, results} page

    @extend_schema(operation_id="metadata_tables_list", responses={200: TableSummarySerializer(many=True), **ERRORS},
                   parameters=[OpenApiParameter("include_removed", OpenApiTypes.BOOL, required=False),
                               OpenApiParameter("q", OpenApiTypes.STR, required=False)])
    def get(self, request: Request) -> Response:
        ds = selectors.data_source_for(request.workspace, request.query_params.get("database_id"), request.membership)
        tables: QuerySet = selectors.tables_of(ds, include_removed=request.query_params.get("include_removed") == "true")
        q = request.query_params.get("q")
        if q:
            tables = tables.filter(Q(name__icontains=q) | Q(alias__icontains=q) | Q(description__icontains=q))
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset(tables.order_by("schema_name", "name"), request, view=self)
        return paginator.get_paginated_response(TableSummarySerializer(page, many=True).data)


@extend_schema(tags=["metadata"], parameters=[WORKSPACE_HEADER, DATABASE_ID])
class TableDetailView(WorkspaceAPIView):
    role_map = {"GET": Role.VIEWER, "PUT": Role.ADMIN, "PATCH": Role.ADMIN}

    def _table(self, request: Request, table_name: str) -> SchemaTable:
        ds = selectors.data_source_for(request.workspace, request.query_params.get("database_id"), request.membership)
        return selectors.find_table(ds, table_name)

    @extend_schema(operation_id="metadata_table_get", responses={200: TableDetailSerializer, **ERRORS})
    def get(self, request: Request, table_name: str) -> Response:
        table = self._table(request, table_name)
        return Response(table_detail(table, access_for(table.data_source, request.membership)))

    @extend_schema(operation_id="metadata_table_update", request=DictionaryEditSerializer,
                   responses={200: TableDetailSerializer, **ERRORS})
    def put(self, request: Request, table_name: str) -> Response:
        table = self._table(request, table_name)
        serializer = DictionaryEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.dictionary_update(obj=table, user=request.user, changes=serializer.validated_data, request=request)
        return Response(table_detail(table))

    @extend_schema(operation_id="metadata_table_patch", request=DictionaryEditSerializer,
                   responses={200: TableDetailSerializer, **ERRORS})
    def patch(self, request: Request, table_name: str) -> Response:
        return self.put(request, table_name)


@extend_schema(tags=["metadata"], parameters=[WORKSPACE_HEADER, DATABASE_ID])
class ColumnDetailView(WorkspaceAPIView):
    role_map = {"GET": Role.VIEWER, "PUT": Role.ADMIN, "PATCH": Role.ADMIN}

    def _column(self, request: Request, table_name: str, column_name: str) -> SchemaColumn:
        ds = selectors.data_source_for(request.workspace, request.query_params.get("database_id"), request.membership)
        return selectors.find_column(selectors.find_table(ds, table_name), column_name)

    @extend_schema(operation_id="metadata_column_get", responses={200: TableDetailSerializer, **ERRORS})
    def get(self, request: Request, table_name: str, column_name: str) -> Response:
        column = self._column(request, table_name, column_name)
        access = access_for(column.table.data_source, request.membership)
        if column.name in access.hidden_in(column.table):
            raise NotFound(f'No column "{column_name}" in {column.table.qualified_name}.', code="COLUMN_NOT_FOUND")
        return Response(table_detail(column.table, access))

    @extend_schema(operation_id="metadata_column_update", request=DictionaryEditSerializer,
                   responses={200: TableDetailSerializer, **ERRORS})
    def put(self, request: Request, table_name: str, column_name: str) -> Response:
        column = self._column(request, table_name, column_name)
        serializer = DictionaryEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.dictionary_update(obj=column, user=request.user, changes=serializer.validated_data, request=request)
        return Response(table_detail(column.table))

    @extend_schema(operation_id="metadata_column_patch", request=DictionaryEditSerializer,
                   responses={200: TableDetailSerializer, **ERRORS})
    def patch(self, request: Request, table_name: str, column_name: str) -> Response:
        return self.put(request, table_name, column_name)


@extend_schema(tags=["metadata"], parameters=[WORKSPACE_HEADER, DATABASE_ID])
class VersionListView(WorkspaceAPIView):
    pagination_class = PageLimitPagination  # documents the {count, next, previous, results} page

    @extend_schema(operation_id="metadata_versions_list", responses={200: DictionaryVersionSerializer(many=True)},
                   parameters=[OpenApiParameter("table", OpenApiTypes.STR, required=False),
                               OpenApiParameter("column", OpenApiTypes.STR, required=False)])
    def get(self, request: Request) -> Response:
        ds = selectors.data_source_for(request.workspace, request.query_params.get("database_id"), request.membership)
        versions = DictionaryVersion.objects.filter(data_source=ds).select_related("table", "column", "edited_by")
        if request.query_params.get("table"):
            versions = versions.filter(table=selectors.find_table(ds, request.query_params["table"]))
        if request.query_params.get("column"):
            versions = versions.filter(column__name=request.query_params["column"])
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset(versions, request, view=self)
        return paginator.get_paginated_response(DictionaryVersionSerializer(page, many=True).data)


@extend_schema(tags=["metadata"], parameters=[WORKSPACE_HEADER])
class VersionRestoreView(WorkspaceAPIView):
    role_map = {"POST": Role.ADMIN}

    @extend_schema(operation_id="metadata_version_restore", request=None,
                   responses={200: DictionaryVersionSerializer, **ERRORS},
                   summary="Put back the values this version replaced (recorded as a new version)")
    def post(self, request: Request, version_id: str) -> Response:
        try:
            version = DictionaryVersion.objects.select_related("table", "column", "data_source").get(
                pk=version_id, data_source__workspace=request.workspace)
        except (DictionaryVersion.DoesNotExist, ValidationError, ValueError):
            raise NotFound("No such version.", code="VERSION_NOT_FOUND") from None
        restored = services.dictionary_restore(version=version, user=request.user, request=request)
        return Response(DictionaryVersionSerializer(restored).data)


@extend_schema(tags=["metadata"], parameters=[WORKSPACE_HEADER])
class AutoGuessView(WorkspaceAPIView):
    role_map = {"POST": Role.ADMIN}

    @extend_schema(operation_id="metadata_auto_guess", request=AutoGuessRequestSerializer,
                   responses={202: JobStartedSerializer, **ERRORS},
                   summary="Propose aliases, descriptions, tags (incl. PII) with a confidence, as a background job")
    def post(self, request: Request) -> Response:
        serializer = AutoGuessRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ds = selectors.data_source_for(request.workspace, serializer.validated_data.get("database_id"), request.membership)
        job = services.auto_guess_start(ds=ds, user=request.user, table_names=serializer.validated_data["table_names"],
                                        request=request)
        return _job_started(job)


def _auto_guess_job(request: Request, job_id: str) -> Job:
    try:
        return Job.objects.get(pk=job_id, workspace=request.workspace, kind="auto_guess")
    except (Job.DoesNotExist, ValidationError, ValueError):
        raise NotFound("No such auto-guess job.", code="JOB_NOT_FOUND") from None


@extend_schema(tags=["metadata"], parameters=[WORKSPACE_HEADER])
class AutoGuessResultView(WorkspaceAPIView):
    role_map = {"GET": Role.ADMIN}  # suggestions quote profiled columns: the same people who run auto-guess

    @extend_schema(operation_id="metadata_auto_guess_result", responses={200: AutoGuessResultSerializer, **ERRORS},
                   summary="Progress of an auto-guess job and its suggestions")
    def get(self, request: Request, job_id: str) -> Response:
        job = _auto_guess_job(request, job_id)
        job.suggestions_list = list(job.suggestions.select_related("table", "column"))  # type: ignore[attr-defined]
        data = dict(JobSerializer(job).data)
        from .serializers import SuggestionSerializer

        data["job_id"] = str(job.pk)
        data["suggestions"] = SuggestionSerializer(job.suggestions_list, many=True).data  # type: ignore[attr-defined]
        return Response(data)


class AutoGuessDecisionView(WorkspaceAPIView):
    role_map = {"POST": Role.ADMIN}
    approve = True

    def decide(self, request: Request, job_id: str) -> Response:
        job = _auto_guess_job(request, job_id)
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        counts = services.suggestions_decide(job=job, user=request.user, approve=self.approve,
                                             suggestion_ids=serializer.validated_data.get("suggestion_ids"),
                                             request=request)
        return Response(counts)


@extend_schema(tags=["metadata"], parameters=[WORKSPACE_HEADER])
class AutoGuessApplyView(AutoGuessDecisionView):
    approve = True

    @extend_schema(operation_id="metadata_auto_guess_apply", request=DecisionSerializer,
                   responses={200: DecisionResultSerializer, **ERRORS},
                   summary="Approve suggestions (all pending, or the ids given); human edits are never overwritten")
    def post(self, request: Request, job_id: str) -> Response:
        return self.decide(request, job_id)


@extend_schema(tags=["metadata"], parameters=[WORKSPACE_HEADER])
class AutoGuessRejectView(AutoGuessDecisionView):
    approve = False

    @extend_schema(operation_id="metadata_auto_guess_reject", request=DecisionSerializer,
                   responses={200: DecisionResultSerializer, **ERRORS},
                   summary="Reject suggestions (all pending, or the ids given)")
    def post(self, request: Request, job_id: str) -> Response:
        return self.decide(request, job_id)


@extend_schema(tags=["databases"], parameters=[WORKSPACE_HEADER])
class AccessPolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Row- and column-level security per table, for a role or a member (workspace admins)."""

    queryset = AccessPolicy.objects.select_related("table")
    serializer_class = AccessPolicySerializer
    workspace_field = "data_source__workspace"
    filterset_fields = ["data_source", "role", "member"]
    role_map = {"list": Role.ADMIN, "retrieve": Role.ADMIN, "create": Role.ADMIN, "update": Role.ADMIN,
                "partial_update": Role.ADMIN, "destroy": Role.ADMIN}

    def _data(self, request: Request, *, creating: bool) -> dict[str, Any]:
        serializer = AccessPolicyWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if creating and not data.get("table"):
            raise ValidationFailed.for_field("table", "This field is required.")
        if "member_id" in data:
            from accounts.models import User

            member_id = data.pop("member_id")
            data["member"] = User.objects.filter(pk=member_id).first() if member_id else None
            if member_id and data["member"] is None:
                raise ValidationFailed.for_field("member_id", "Not a member of this workspace.")
        data.pop("database_id", None)
        return data

    @extend_schema(request=AccessPolicyWriteSerializer, responses={201: AccessPolicySerializer, **ERRORS},
                   summary="Add a row filter and/or hidden columns on a table for a role or a member")
    def create(self, request: Request) -> Response:
        ds = selectors.data_source_for(request.workspace, request.data.get("database_id")
                                       if isinstance(request.data, dict) else None, request.membership)
        policy = access.policy_create(ds=ds, user=request.user, data=self._data(request, creating=True),
                                      request=request)
        return Response(AccessPolicySerializer(policy).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AccessPolicyWriteSerializer, responses={200: AccessPolicySerializer, **ERRORS})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        policy = access.policy_update(policy=self.get_object(), user=request.user,
                                      data=self._data(request, creating=False), request=request)
        return Response(AccessPolicySerializer(policy).data)

    @extend_schema(request=AccessPolicyWriteSerializer, responses={200: AccessPolicySerializer, **ERRORS})
    def update(self, request: Request, pk: str | None = None) -> Response:
        return self.partial_update(request, pk)

    @extend_schema(responses={204: None, **ERRORS})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        access.policy_delete(policy=self.get_object(), user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
