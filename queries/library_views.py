"""REST endpoints of saved queries, templates, share links and schedules (thin: parse, call, serialize)."""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import DomainError, NotFound
from core.permissions import WorkspaceRolePermission
from core.serializers import ErrorEnvelopeSerializer
from core.views import WORKSPACE_HEADER, WorkspaceContextMixin, WorkspaceScopedViewSet
from metadata.views import WorkspaceAPIView
from teams.roles import Role, role_at_least

from . import library, schedules, sharing
from .library_serializers import (
    CloneTemplateSerializer,
    PublicShareSerializer,
    RunSavedQuerySerializer,
    SavedQuerySerializer,
    SavedQueryShareLinkRequestSerializer,
    SavedQueryWriteSerializer,
    ScheduleRunSerializer,
    ScheduleSerializer,
    ScheduleWriteSerializer,
    ShareLinkCreatedSerializer,
    ShareLinkRequestSerializer,
    ShareLinkSerializer,
    SharePasswordSerializer,
    ShareSavedQuerySerializer,
    SharesSerializer,
    TemplateSerializer,
    TemplateWriteSerializer,
)
from .models import Permission, QueryRun, QueryTemplate, SavedQuery, Schedule, ShareLink
from .serializers import QueryRunSerializer

ERRORS = {code: ErrorEnvelopeSerializer for code in (400, 401, 403, 404, 409, 422, 429)}


def _run_response(run: QueryRun) -> Response:
    queued = run.status in (QueryRun.Status.PENDING, QueryRun.Status.RUNNING)
    return Response(QueryRunSerializer(run).data, status=status.HTTP_202_ACCEPTED if queued else status.HTTP_200_OK)


def _link_created(link: ShareLink, token: str) -> Response:
    data = dict(ShareLinkSerializer(link).data)
    return Response({"url": sharing.share_url(token), "token": token, **data}, status=status.HTTP_201_CREATED)


# --- saved queries ---------------------------------------------------------------------------------------------

@extend_schema(tags=["saved-queries"], parameters=[WORKSPACE_HEADER])
class SavedQueryViewSet(WorkspaceScopedViewSet):
    """Your saved queries and those shared with you. Read shares view and run; write shares also edit;
    only the owner deletes, shares or publishes a link."""

    queryset = SavedQuery.objects.all()
    serializer_class = SavedQuerySerializer
    filter_backends: list[Any] = []
    role_map = {"list": Role.VIEWER, "retrieve": Role.VIEWER, "create": Role.ANALYST, "update": Role.ANALYST,
                "partial_update": Role.ANALYST, "destroy": Role.ANALYST, "run": Role.VIEWER, "share": Role.ANALYST,
                "unshare": Role.ANALYST, "share_link": Role.ANALYST}

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(pk__in=library.saved_queries_visible(workspace=self.request.workspace,
                                                                    user=self.request.user).values("pk"))

    def _get(self, pk: Any, need: str = Permission.READ) -> SavedQuery:
        return library.saved_query_get(workspace=self.request.workspace, user=self.request.user, saved_query_id=pk,
                                       need=need)

    def _out(self, saved: SavedQuery) -> dict[str, Any]:
        return SavedQuerySerializer(saved, context={"request": self.request}).data

    @extend_schema(responses={200: SavedQuerySerializer(many=True), **ERRORS}, parameters=[
        OpenApiParameter("sort", str, enum=["recent", "popular", "title"], required=False),
        OpenApiParameter("search", str, required=False), OpenApiParameter("tag", str, required=False),
        OpenApiParameter("page", int, required=False), OpenApiParameter("limit", int, required=False)])
    def list(self, request: Request) -> Response:
        params = request.query_params
        queryset = library.saved_query_list(workspace=request.workspace, user=request.user,
                                            sort=params.get("sort") or "recent", search=params.get("search", ""),
                                            tag=params.get("tag", ""))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(SavedQuerySerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=SavedQueryWriteSerializer, responses={201: SavedQuerySerializer, **ERRORS})
    def create(self, request: Request) -> Response:
        serializer = SavedQueryWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        saved = library.saved_query_create(workspace=request.workspace, user=request.user,
                                           data=serializer.validated_data, request=request)
        return Response(self._out(self._get(saved.pk)), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: SavedQuerySerializer, **ERRORS})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self._out(self._get(pk)))

    @extend_schema(request=SavedQueryWriteSerializer, responses={200: SavedQuerySerializer, **ERRORS})
    def update(self, request: Request, pk: str | None = None, partial: bool = False) -> Response:
        saved = self._get(pk, need=Permission.WRITE)
        serializer = SavedQueryWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        library.saved_query_update(saved=saved, user=request.user, data=serializer.validated_data, request=request)
        return Response(self._out(self._get(pk)))

    @extend_schema(request=SavedQueryWriteSerializer, responses={200: SavedQuerySerializer, **ERRORS})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self.update(request, pk, partial=True)

    @extend_schema(responses={204: None, **ERRORS})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        library.saved_query_delete(saved=self._get(pk, need=library.OWNER), user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=RunSavedQuerySerializer, responses={200: QueryRunSerializer, 202: QueryRunSerializer,
                                                              **ERRORS},
                   summary="Run with parameter values (bound as literals, never pasted); the QueryRun")
    @action(detail=True, methods=["post"])
    def run(self, request: Request, pk: str | None = None) -> Response:
        saved = self._get(pk)
        serializer = RunSavedQuerySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        run = library.saved_query_run(saved=saved, user=request.user, membership=request.membership,
                                      values=data.get("parameters"), limit=data.get("limit"),
                                      run_async=data["async"], request=request)
        return _run_response(run)

    @extend_schema(request=ShareSavedQuerySerializer, responses={200: SharesSerializer, **ERRORS},
                   summary="Share with members of this workspace (read: view and run; write: also edit)")
    @action(detail=True, methods=["post"])
    def share(self, request: Request, pk: str | None = None) -> Response:
        saved = self._get(pk, need=library.OWNER)
        serializer = ShareSavedQuerySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        library.saved_query_share(saved=saved, user=request.user, user_ids=serializer.validated_data["user_ids"],
                                  permission=serializer.validated_data["permission"], request=request)
        return Response({"shared_with": self._out(self._get(pk))["shared_with"]})

    @extend_schema(request=None, responses={204: None, **ERRORS}, summary="Stop sharing with one user")
    @action(detail=True, methods=["delete"], url_path=r"share/(?P<user_id>[^/]+)")
    def unshare(self, request: Request, pk: str | None = None, user_id: str | None = None) -> Response:
        library.saved_query_unshare(saved=self._get(pk, need=library.OWNER), user=request.user, user_id=user_id,
                                    request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=SavedQueryShareLinkRequestSerializer, responses={201: ShareLinkCreatedSerializer, **ERRORS},
                   summary="Run it now and publish a snapshot of the result as a public link")
    @action(detail=True, methods=["post"], url_path="share-link")
    def share_link(self, request: Request, pk: str | None = None) -> Response:
        saved = self._get(pk, need=library.OWNER)
        serializer = SavedQueryShareLinkRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        run = library.saved_query_run(saved=saved, user=request.user, membership=request.membership,
                                      values=data.get("parameters"), request=request)
        link, token = sharing.share_link_create(run=run, user=request.user, saved_query=saved,
                                                expiration_days=data["expiration_days"],
                                                password=data.get("password", ""), request=request)
        return _link_created(link, token)


# --- templates -------------------------------------------------------------------------------------------------

@extend_schema(tags=["templates"], parameters=[WORKSPACE_HEADER])
class TemplateViewSet(WorkspaceContextMixin, viewsets.GenericViewSet):
    """Built-in templates (global, read-only) and the workspace's own (managed by its admins).

    Not a WorkspaceScopedViewSet: that guard scopes to one workspace, and built-ins belong to none. The
    queryset is still always the caller's workspace plus the global built-ins (`library.templates_visible`).
    """

    permission_classes = [IsAuthenticated, WorkspaceRolePermission]
    serializer_class = TemplateSerializer
    filter_backends: list[Any] = []
    role_map = {"list": Role.VIEWER, "retrieve": Role.VIEWER, "create": Role.ADMIN, "update": Role.ADMIN,
                "partial_update": Role.ADMIN, "destroy": Role.ADMIN, "clone": Role.ANALYST}

    def get_queryset(self) -> QuerySet:
        workspace = getattr(self.request, "workspace", None)
        if getattr(self, "swagger_fake_view", False) or workspace is None:
            return QueryTemplate.objects.none()
        return library.templates_visible(workspace=workspace)

    def _get(self, pk: Any) -> QueryTemplate:
        return library.template_get(workspace=self.request.workspace, template_id=pk)

    @extend_schema(responses={200: TemplateSerializer(many=True), **ERRORS}, parameters=[
        OpenApiParameter("category", str, required=False), OpenApiParameter("search", str, required=False),
        OpenApiParameter("page", int, required=False), OpenApiParameter("limit", int, required=False)])
    def list(self, request: Request) -> Response:
        queryset = library.template_list(workspace=request.workspace, category=request.query_params.get("category", ""),
                                         search=request.query_params.get("search", ""))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(TemplateSerializer(page, many=True).data)

    @extend_schema(responses={200: TemplateSerializer, **ERRORS})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(TemplateSerializer(self._get(pk)).data)

    @extend_schema(request=TemplateWriteSerializer, responses={201: TemplateSerializer, **ERRORS})
    def create(self, request: Request) -> Response:
        serializer = TemplateWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        template = library.template_create(workspace=request.workspace, user=request.user,
                                           data=serializer.validated_data, request=request)
        return Response(TemplateSerializer(template).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TemplateWriteSerializer, responses={200: TemplateSerializer, **ERRORS})
    def update(self, request: Request, pk: str | None = None, partial: bool = False) -> Response:
        template = self._get(pk)
        serializer = TemplateWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        template = library.template_update(template=template, user=request.user, membership=request.membership,
                                           data=serializer.validated_data, request=request)
        return Response(TemplateSerializer(template).data)

    @extend_schema(request=TemplateWriteSerializer, responses={200: TemplateSerializer, **ERRORS})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self.update(request, pk, partial=True)

    @extend_schema(responses={204: None, **ERRORS})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        library.template_delete(template=self._get(pk), user=request.user, membership=request.membership,
                                request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=CloneTemplateSerializer, responses={201: SavedQuerySerializer, **ERRORS},
                   summary="Copy into a saved query of yours (on the chosen or default data source)")
    @action(detail=True, methods=["post"])
    def clone(self, request: Request, pk: str | None = None) -> Response:
        template = self._get(pk)
        serializer = CloneTemplateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        saved = library.template_clone(template=template, workspace=request.workspace, user=request.user,
                                       data=serializer.validated_data, request=request)
        saved = library.saved_query_get(workspace=request.workspace, user=request.user, saved_query_id=saved.pk)
        return Response(SavedQuerySerializer(saved, context={"request": request}).data, status=status.HTTP_201_CREATED)


# --- share links -----------------------------------------------------------------------------------------------

@extend_schema(tags=["share-links"], parameters=[WORKSPACE_HEADER])
class QueryShareLinkView(WorkspaceAPIView):
    """Seed 003's `POST /queries/{id}/share-link`: a public snapshot of one of your results. A chat answer's
    message carries its query run: share that run."""

    role_map = {"POST": Role.ANALYST}

    @extend_schema(operation_id="queries_share_link", request=ShareLinkRequestSerializer,
                   responses={201: ShareLinkCreatedSerializer, **ERRORS})
    def post(self, request: Request, query_id: str) -> Response:
        from django.core.exceptions import ValidationError

        serializer = ShareLinkRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            run = sharing.runs_shareable_by(request.user, request.workspace).get(pk=query_id)
        except (QueryRun.DoesNotExist, ValidationError, ValueError):
            raise NotFound("No such query.", code="NOT_FOUND") from None
        link, token = sharing.share_link_create(run=run, user=request.user,
                                                expiration_days=serializer.validated_data["expiration_days"],
                                                password=serializer.validated_data.get("password", ""),
                                                request=request)
        return _link_created(link, token)


@extend_schema(tags=["share-links"], parameters=[WORKSPACE_HEADER])
class ShareLinkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Your share links (workspace admins: all of the workspace's). DELETE revokes."""

    queryset = ShareLink.objects.select_related("created_by")
    serializer_class = ShareLinkSerializer
    filter_backends: list[Any] = []
    role_map = {"list": Role.VIEWER, "retrieve": Role.VIEWER, "destroy": Role.VIEWER}

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        if role_at_least(self.request.membership.role, Role.ADMIN):
            return queryset
        return queryset.filter(created_by=self.request.user)

    @extend_schema(responses={204: None, **ERRORS}, summary="Revoke: the link answers 410 from now on")
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        sharing.share_link_revoke(link=self.get_object(), user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["share-links"])
class PublicShareView(APIView):
    """A shared snapshot, without an account. Password: `X-Share-Password` header, or POST {password}.
    Errors: 401 PASSWORD_REQUIRED / INVALID_PASSWORD, 404 unknown, 410 SHARE_LINK_EXPIRED / SHARE_LINK_REVOKED,
    429 SHARE_LINK_LOCKED (5 wrong passwords; Retry-After)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def _open(self, request: Request, token: str, password: str | None) -> Response:
        link = sharing.share_link_open(token=token, password=password, request=request)
        return Response({"title": link.title, "expires_at": link.expires_at, "snapshot": link.snapshot})

    @extend_schema(operation_id="share_open", responses={200: PublicShareSerializer, 410: ErrorEnvelopeSerializer,
                                                         **ERRORS},
                   parameters=[OpenApiParameter("X-Share-Password", OpenApiTypes.STR, OpenApiParameter.HEADER,
                                                required=False)])
    def get(self, request: Request, token: str) -> Response:
        return self._open(request, token, request.headers.get("X-Share-Password"))

    @extend_schema(operation_id="share_open_with_password", request=SharePasswordSerializer,
                   responses={200: PublicShareSerializer, 410: ErrorEnvelopeSerializer, **ERRORS})
    def post(self, request: Request, token: str) -> Response:
        serializer = SharePasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password = serializer.validated_data.get("password") or request.headers.get("X-Share-Password")
        return self._open(request, token, password)


@csrf_exempt  # an anonymous form with nothing to forge: the password is the credential, and tries are limited
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    """`/share/{token}`: the snapshot as a server-rendered page (no JavaScript), with a password form."""
    from core.throttling import TieredRateThrottle

    def _private(response: HttpResponse) -> HttpResponse:
        # Every answer (the snapshot, the password prompt, the errors): not cached, and the token in the URL
        # never leaves in a Referer header. The Content-Security-Policy comes from the site's middleware.
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response

    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    throttle = TieredRateThrottle()
    if not throttle.allow_request(request, None):
        wait = int((throttle.wait() or 60) + 0.999)
        return _private(render(request, "queries/share_link.html", {"error": "Too many requests. Try again shortly."},
                               status=429, headers={"Retry-After": str(wait)}))
    password = request.POST.get("password") if request.method == "POST" else request.headers.get("X-Share-Password")
    context: dict[str, Any] = {"token": token}
    try:
        link = sharing.share_link_open(token=token, password=password, request=request)
    except DomainError as error:
        context.update(error=error.message, code=error.code, ask_password=error.code in (
            "PASSWORD_REQUIRED", "INVALID_PASSWORD"), wrong=error.code == "INVALID_PASSWORD")
        response = render(request, "queries/share_link.html", context, status=error.status_code)
        for key, value in error.headers.items():
            response[key] = value
        return _private(response)
    snapshot = link.snapshot
    context.update(link=link, snapshot=snapshot, chart=_chart_bars(snapshot))
    return _private(render(request, "queries/share_link.html", context))


def _chart_bars(snapshot: dict[str, Any]) -> dict[str, Any] | None:
    """A chart without JavaScript: horizontal bars (CSS widths) for bar/line charts, a big number for one value."""
    chart = snapshot.get("chart") or {}
    columns = [c.get("name") for c in snapshot.get("columns") or []]
    rows = snapshot.get("rows") or []
    if chart.get("type") == "number" and rows and rows[0]:
        return {"type": "number", "value": rows[0][0], "label": columns[0] if columns else ""}
    x, y = chart.get("x"), chart.get("y")
    if chart.get("type") not in ("bar", "line") or x not in columns or y not in columns:
        return None
    xi, yi = columns.index(x), columns.index(y)
    points = [(row[xi], row[yi]) for row in rows[:50] if isinstance(row[yi], (int, float))]
    top = max((abs(v) for _, v in points), default=0) or 1
    return {"type": "bars", "x": x, "y": y,
            "bars": [{"label": label, "value": value, "percent": round(100 * abs(value) / top)}
                     for label, value in points]}


# --- schedules -------------------------------------------------------------------------------------------------

@extend_schema(tags=["schedules"], parameters=[WORKSPACE_HEADER])
class ScheduleViewSet(WorkspaceScopedViewSet):
    """Scheduled queries (seed 003): a saved query or a question, run by django-celery-beat in the schedule's
    time zone, the result emailed (CSV or JSON) and optionally POSTed to a webhook. Members manage their own;
    workspace admins see and manage all."""

    queryset = Schedule.objects.select_related("owner", "saved_query", "data_source")
    serializer_class = ScheduleSerializer
    filter_backends: list[Any] = []
    role_map = {"list": Role.VIEWER, "retrieve": Role.VIEWER, "runs": Role.VIEWER, "create": Role.ANALYST,
                "update": Role.ANALYST, "partial_update": Role.ANALYST, "destroy": Role.ANALYST,
                "run_now": Role.ANALYST}

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        if role_at_least(self.request.membership.role, Role.ADMIN):
            return queryset
        return queryset.filter(owner=self.request.user)

    @extend_schema(responses={200: ScheduleSerializer(many=True), **ERRORS})
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ScheduleSerializer(page, many=True).data)

    @extend_schema(responses={200: ScheduleSerializer, **ERRORS})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(ScheduleSerializer(self.get_object()).data)

    @extend_schema(request=ScheduleWriteSerializer, responses={201: ScheduleSerializer, **ERRORS})
    def create(self, request: Request) -> Response:
        serializer = ScheduleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        schedule = schedules.schedule_create(workspace=request.workspace, user=request.user,
                                             data=serializer.validated_data, request=request)
        return Response(ScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ScheduleWriteSerializer, responses={200: ScheduleSerializer, **ERRORS})
    def update(self, request: Request, pk: str | None = None, partial: bool = False) -> Response:
        schedule = self.get_object()
        serializer = ScheduleWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        schedule = schedules.schedule_update(schedule=schedule, user=request.user, data=serializer.validated_data,
                                             request=request)
        return Response(ScheduleSerializer(schedule).data)

    @extend_schema(request=ScheduleWriteSerializer, responses={200: ScheduleSerializer, **ERRORS})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self.update(request, pk, partial=True)

    @extend_schema(responses={204: None, **ERRORS})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        schedules.schedule_delete(schedule=self.get_object(), user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: ScheduleRunSerializer(many=True), **ERRORS}, summary="Run history, newest first")
    @action(detail=True, methods=["get"])
    def runs(self, request: Request, pk: str | None = None) -> Response:
        schedule = self.get_object()
        page = self.paginate_queryset(schedule.runs.select_related("query_run").order_by("-period_start"))
        return self.get_paginated_response(ScheduleRunSerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: None, **ERRORS},
                   summary="Run once now, outside the calendar (queued; see the run history)")
    @action(detail=True, methods=["post"], url_path="run")
    def run_now(self, request: Request, pk: str | None = None) -> Response:
        from django.db import transaction

        from .tasks import run_schedule

        schedule = self.get_object()
        transaction.on_commit(lambda: run_schedule.apply_async(args=[str(schedule.pk)], kwargs={"manual": True},
                                                               queue="queries"))
        return Response(status=status.HTTP_202_ACCEPTED)
