"""Projects, chat sessions, messages, context and the SSE streams (seed 000 `chat/*`, seed 002 `projects`,
seed 004 `session_id`). Sessions are the caller's own plus shared ones; another tenant's are 404."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.exceptions import DomainError, NotFound
from core.serializers import ErrorEnvelopeSerializer
from core.views import WORKSPACE_HEADER, WorkspaceScopedViewSet
from metadata.views import WorkspaceAPIView
from teams.roles import Role

from . import metrics, selectors, services, sse
from .filters import ChatSessionFilter
from .models import ChatMessage, ChatSession, Project
from .serializers import (
    ChatMessageSerializer,
    ChatSessionSerializer,
    ChatSessionWriteSerializer,
    ContextSerializer,
    DeletedMessageSerializer,
    MessageCreateSerializer,
    MetricsQuerySerializer,
    MetricsSerializer,
    ProjectSerializer,
    ProjectWriteSerializer,
    SessionIdSerializer,
    SessionMetricsSerializer,
    StreamQuerySerializer,
)

ERRORS = {code: ErrorEnvelopeSerializer for code in (400, 401, 403, 404, 429)}
SSE_RESPONSE = {(200, "text/event-stream"): OpenApiResponse(
    OpenApiTypes.STR, description="Server-sent events; each `data:` line is JSON.")}


class MessageCursorPagination(CursorPagination):
    """Oldest first; `?cursor=` from `next`/`previous`, `?limit=` up to 200."""

    ordering = ("created_at", "id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200


@extend_schema(tags=["projects"], parameters=[WORKSPACE_HEADER])
class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Folders of conversations (seed 002). Deleting one soft-deletes its conversations."""

    queryset = Project.objects.all()
    serializer_class = ProjectSerializer
    ordering_fields = ["name", "created_at", "updated_at"]
    role_map = {"list": Role.VIEWER, "retrieve": Role.VIEWER, "create": Role.ANALYST, "update": Role.ANALYST,
                "partial_update": Role.ANALYST, "destroy": Role.ANALYST}

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        sessions = selectors.visible_sessions(ChatSession.objects.order_by("-updated_at"), user=self.request.user)
        return queryset.prefetch_related(Prefetch("sessions", queryset=sessions, to_attr="visible_sessions"))

    @extend_schema(request=ProjectWriteSerializer, responses={201: ProjectSerializer, **ERRORS})
    def create(self, request: Request) -> Response:
        serializer = ProjectWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_create(workspace=request.workspace, user=request.user,
                                          data=serializer.validated_data, request=request)
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProjectWriteSerializer, responses={200: ProjectSerializer, **ERRORS})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        serializer = ProjectWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.project_update(project=self.get_object(), user=request.user, membership=request.membership,
                                data=serializer.validated_data, request=request)
        return Response(ProjectSerializer(self.get_object()).data)

    @extend_schema(request=ProjectWriteSerializer, responses={200: ProjectSerializer, **ERRORS})
    def update(self, request: Request, pk: str | None = None) -> Response:
        return self.partial_update(request, pk)

    @extend_schema(responses={204: None, **ERRORS},
                   summary="Delete the project; its conversations are soft-deleted (restorable for the retention period)")
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.project_delete(project=self.get_object(), user=request.user, membership=request.membership,
                                request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["chat"], parameters=[WORKSPACE_HEADER])
class ChatSessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Conversations with the assistant (seed 000 `chat/sessions`). Yours, plus those shared with the workspace."""

    queryset = ChatSession.objects.all()
    serializer_class = ChatSessionSerializer
    filterset_class = ChatSessionFilter
    ordering_fields = ["created_at", "updated_at", "last_message_at", "title"]
    role_map = {"list": Role.VIEWER, "retrieve": Role.VIEWER, "messages": Role.VIEWER, "context": Role.VIEWER,
                "create": Role.ANALYST, "update": Role.ANALYST, "partial_update": Role.ANALYST,
                "destroy": Role.ANALYST, "restore": Role.ANALYST, "post_message": Role.ANALYST,
                "for_user": Role.VIEWER}

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        include_deleted = self.action == "list" and \
            self.request.query_params.get("include_deleted", "").lower() in ("true", "1")
        return selectors.visible_sessions(queryset, user=self.request.user, deleted=self.action == "restore",
                                          include_deleted=include_deleted)

    @extend_schema(request=ChatSessionWriteSerializer, responses={201: ChatSessionSerializer, **ERRORS})
    def create(self, request: Request) -> Response:
        serializer = ChatSessionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.session_create(workspace=request.workspace, user=request.user,
                                          data=serializer.validated_data, request=request)
        return Response(ChatSessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ChatSessionWriteSerializer, responses={200: ChatSessionSerializer, **ERRORS},
                   summary="Rename, move to a project, change data source or sharing")
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        serializer = ChatSessionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.session_update(session=self.get_object(), user=request.user,
                                          membership=request.membership, data=serializer.validated_data,
                                          request=request)
        return Response(ChatSessionSerializer(session).data)

    @extend_schema(request=ChatSessionWriteSerializer, responses={200: ChatSessionSerializer, **ERRORS})
    def update(self, request: Request, pk: str | None = None) -> Response:
        return self.partial_update(request, pk)

    @extend_schema(responses={204: None, **ERRORS},
                   summary="Deactivate (soft delete): restorable for CHAT_RETENTION_DAYS, then purged")
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.session_delete(session=self.get_object(), user=request.user, membership=request.membership,
                                request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: ChatSessionSerializer, **ERRORS},
                   summary="Bring back a deleted session (within the retention period)")
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str | None = None) -> Response:
        session = services.session_restore(session=self.get_object(), user=request.user,
                                           membership=request.membership, request=request)
        return Response(ChatSessionSerializer(session).data)

    @extend_schema(responses={200: ChatMessageSerializer(many=True), **ERRORS},
                   summary="The session's messages, oldest first (cursor pagination)")
    @action(detail=True, methods=["get"], pagination_class=MessageCursorPagination, filter_backends=[])
    def messages(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        page = self.paginate_queryset(ChatMessage.objects.filter(session=session))
        return self.get_paginated_response(ChatMessageSerializer(page, many=True).data)

    @extend_schema(request=MessageCreateSerializer, responses={201: ChatMessageSerializer, **ERRORS,
                                                                 422: ErrorEnvelopeSerializer},
                   summary="Ask a question: stores it, answers it with the session's history, returns the answer")
    @messages.mapping.post
    def post_message(self, request: Request, pk: str | None = None) -> Response:
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        reply = services.message_post(session=self.get_object(), user=request.user, membership=request.membership,
                                      content=data["content"], data_source_id=data.get("data_source_id"),
                                      files=data.get("files"), request=request)
        return Response(ChatMessageSerializer(reply).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ContextSerializer, **ERRORS},
                   summary="The recent history formatted for an AI model: {role, content}, SQL in assistant turns")
    @action(detail=True, methods=["get"], filter_backends=[])
    def context(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        messages = selectors.context_messages(selectors.session_turns(session.pk))
        return Response({"session_id": str(session.pk), "data_source_id": session.data_source_id,
                         "messages": messages})


@extend_schema(exclude=True)
class ChatSessionAliasViewSet(ChatSessionViewSet):
    """Seed 001 `/chat_sessions` spelling; also `GET /chat_sessions/user/{user_id}` (your own id only)."""

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        super().destroy(request, pk)
        return Response(DeletedMessageSerializer({"message": "Chat session deleted successfully"}).data)

    @action(detail=False, methods=["get"], url_path=r"user/(?P<user_id>[^/.]+)")
    def for_user(self, request: Request, user_id: str) -> Response:
        if user_id != str(request.user.pk):
            raise NotFound("No such user.", code="USER_NOT_FOUND")
        return self.list(request)


@extend_schema(exclude=True)
class ConversationAliasViewSet(ChatSessionViewSet):
    """Seed 002 `/conversations` spelling of the same endpoints."""


@extend_schema(tags=["chat"], parameters=[WORKSPACE_HEADER])
class SessionIdView(WorkspaceAPIView):
    """Seed 004 `GET /session_id`: a new, empty session is created at once and its id returned, so the id
    works everywhere (messages, WebSocket, SSE) immediately."""

    role_map = {"GET": Role.ANALYST}

    @extend_schema(operation_id="session_id_new", responses={201: SessionIdSerializer, **ERRORS},
                   summary="Start a new chat session and return its id")
    def get(self, request: Request) -> Response:
        session = services.session_create(workspace=request.workspace, user=request.user, request=request)
        return Response({"session_id": str(session.pk), "created_at": session.created_at},
                        status=status.HTTP_201_CREATED)


@extend_schema(tags=["chat"], parameters=[WORKSPACE_HEADER])
class StreamQueryView(WorkspaceAPIView):
    """Seed 000 `POST /chat/stream-query`: ask a question and receive its progress as server-sent events:
    `status` (stage retrieving, generating, validating, executing), `message`, `sql`, `rows`, `chart`, then
    `done` or `error`. Without `session_id` a new session is created (its id is on every event)."""

    role_map = {"POST": Role.ANALYST}
    renderer_classes = [JSONRenderer, sse.EventStreamRenderer]

    @extend_schema(operation_id="chat_stream_query", request=StreamQuerySerializer,
                   responses={**SSE_RESPONSE, **ERRORS}, summary="Ask with live progress (SSE)")
    def post(self, request: Request) -> Any:
        serializer = StreamQuerySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("session_id"):
            sessions = selectors.visible_sessions(ChatSession.objects.filter(workspace=request.workspace),
                                                  user=request.user)
            session = sessions.filter(pk=data["session_id"]).select_related("workspace", "data_source").first()
            if session is None:
                raise NotFound("No such chat session.", code="SESSION_NOT_FOUND")
        else:
            session = None
        ds = services.pick_data_source(session, data.get("data_source_id")) if session else None
        if session is None:
            from metadata.selectors import data_source_for

            ds = data_source_for(request.workspace, data.get("data_source_id"), request.membership)
            session = services.session_create(workspace=request.workspace, user=request.user,
                                              data={"data_source_id": ds.pk}, request=request)
        services.check_can_post(session=session, user=request.user, membership=request.membership)
        return sse.stream_turn(request, lambda listener: services.question_events(
            session=session, user=request.user, membership=request.membership, content=data["content"],
            data_source=ds, request=request, listener=listener))


@extend_schema(tags=["chat"], parameters=[WORKSPACE_HEADER])
class StreamSessionView(WorkspaceAPIView):
    """Seed 000 `GET /chat/stream-session/{id}`: every event of the session (anyone's questions and the
    answers) as server-sent events, for collaborators. Starts with a `ready` event; a comment line every
    15 s keeps proxies from closing it. Needs the ASGI server; across processes it needs the Redis
    channel layer (the in-memory layer only reaches streams in the same process)."""

    role_map = {"GET": Role.VIEWER}
    renderer_classes = [JSONRenderer, sse.EventStreamRenderer]

    @extend_schema(operation_id="chat_stream_session", responses={**SSE_RESPONSE, **ERRORS, 501: ErrorEnvelopeSerializer},
                   summary="Watch a session live (SSE)")
    def get(self, request: Request, session_id: str) -> Any:
        sessions = selectors.visible_sessions(ChatSession.objects.filter(workspace=request.workspace),
                                              user=request.user)
        try:
            session = sessions.filter(pk=session_id).first()
        except Exception:
            session = None
        if session is None:
            raise NotFound("No such chat session.", code="SESSION_NOT_FOUND")
        if not sse.is_asgi(request):
            raise DomainError("Live session streams need the ASGI server (daphne).", code="NOT_SUPPORTED",
                              status_code=501)
        return sse.group_stream(services.session_group(session.pk),
                                {"type": "ready", "session_id": str(session.pk)})


DAYS = OpenApiParameter("days", OpenApiTypes.INT, required=False,
                        description="The last N days, today included: 1–365 (default 30; for a session, its life).")
METRICS_EXAMPLE = OpenApiExample("Two days", response_only=True, value={
    "period": {"start": "2025-03-01", "end": "2025-03-02", "days": 2},
    "questions": 4, "answered": 3, "refused": 1, "failed": 0, "pending": 0, "success_rate": 0.75,
    "latency_ms": {"p50": 42.0, "p95": 910.5, "measured": 4}, "total_tokens": 300,
    "tokens_by_provider": [{"provider": "openai/gpt-4o-mini", "questions": 2, "prompt_tokens": 240,
                            "completion_tokens": 60, "total_tokens": 300},
                           {"provider": "builtin", "questions": 2, "prompt_tokens": 0, "completion_tokens": 0,
                            "total_tokens": 0}],
    "per_day": [{"date": "2025-03-01", "questions": 0, "answered": 0, "refused": 0, "failed": 0, "pending": 0,
                 "success_rate": None, "latency_ms": {"p50": None, "p95": None, "measured": 0},
                 "total_tokens": 0},
                {"date": "2025-03-02", "questions": 4, "answered": 3, "refused": 1, "failed": 0, "pending": 0,
                 "success_rate": 0.75, "latency_ms": {"p50": 42.0, "p95": 910.5, "measured": 4},
                 "total_tokens": 300}]})


def _days(request: Request) -> int | None:
    serializer = MetricsQuerySerializer(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data.get("days")


@extend_schema(tags=["metrics"], parameters=[WORKSPACE_HEADER, DAYS])
class MetricsView(WorkspaceAPIView):
    """Seed 004 `GET /metrics`: how the assistant did in this workspace — questions asked, answered vs
    refused vs failed, success rate, latency p50/p95, tokens by provider, and a per-day series. Every
    door counts (chat, REST questions, schedules). Members of any role may read it."""

    role_map = {"GET": Role.VIEWER}

    @extend_schema(operation_id="metrics_workspace", responses={200: MetricsSerializer, **ERRORS},
                   examples=[METRICS_EXAMPLE], summary="Assistant metrics of the workspace")
    def get(self, request: Request) -> Response:
        days = _days(request) or metrics.DEFAULT_DAYS
        return Response(MetricsSerializer(metrics.workspace_metrics(request.workspace, days=days)).data)


@extend_schema(tags=["metrics"], parameters=[WORKSPACE_HEADER, DAYS])
class SessionMetricsView(WorkspaceAPIView):
    """Seed 004 `GET /metrics/sessions/{session_id}`: the same figures for one chat session you can see
    (your own or a shared one); anything else is 404."""

    role_map = {"GET": Role.VIEWER}

    @extend_schema(operation_id="metrics_session", responses={200: SessionMetricsSerializer, **ERRORS},
                   summary="Assistant metrics of one chat session")
    def get(self, request: Request, session_id: str) -> Response:
        days = _days(request)
        sessions = selectors.visible_sessions(ChatSession.objects.filter(workspace=request.workspace),
                                              user=request.user)
        try:
            session = sessions.filter(pk=session_id).first()
        except (ValueError, DjangoValidationError):
            session = None
        if session is None:
            raise NotFound("No such chat session.", code="SESSION_NOT_FOUND")
        return Response(SessionMetricsSerializer(metrics.session_metrics(session, days=days)).data)
