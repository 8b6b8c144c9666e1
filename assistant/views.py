"""AI providers and the prompt library over REST (seed 003 `ai-providers`, seed 001 `system-prompts`, `user-prompts`)."""
from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.exceptions import NotFound
from core.serializers import ErrorEnvelopeSerializer
from core.views import WORKSPACE_HEADER, WorkspaceScopedViewSet
from teams.roles import Role

from . import prompts, providers
from .models import AIProvider, SystemPrompt, UserPrompt
from .serializers import (
    AIProviderSerializer,
    AIProviderUpdateSerializer,
    AIProviderWriteSerializer,
    ProviderTestSerializer,
    SystemPromptSerializer,
    SystemPromptUpdateSerializer,
    SystemPromptWriteSerializer,
    UserPromptSerializer,
    UserPromptUpdateSerializer,
    UserPromptWriteSerializer,
)

ERRORS = {code: ErrorEnvelopeSerializer for code in (400, 401, 403, 404, 409, 429)}
ADMIN_WRITES = {"create": Role.ADMIN, "update": Role.ADMIN, "partial_update": Role.ADMIN, "destroy": Role.ADMIN}


@extend_schema(tags=["ai-providers"], parameters=[WORKSPACE_HEADER])
class AIProviderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Language models the workspace can use (seed 003 "AI Provider Management"). Keys are write-only."""

    queryset = AIProvider.objects.all()
    serializer_class = AIProviderSerializer
    filterset_fields = ["provider", "is_default"]
    ordering_fields = ["name", "created_at"]
    role_map = {"list": Role.VIEWER, "retrieve": Role.VIEWER, "test": Role.ADMIN, **ADMIN_WRITES}

    @extend_schema(request=AIProviderWriteSerializer, responses={201: AIProviderSerializer, **ERRORS},
                   summary="Configure a provider (the API key is stored encrypted and never returned)")
    def create(self, request: Request) -> Response:
        serializer = AIProviderWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        provider = providers.ai_provider_create(workspace=request.workspace, user=request.user,
                                                data=serializer.validated_data, request=request)
        return Response(AIProviderSerializer(provider).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AIProviderUpdateSerializer, responses={200: AIProviderSerializer, **ERRORS})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        serializer = AIProviderUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        provider = providers.ai_provider_update(provider=self.get_object(), user=request.user,
                                                data=serializer.validated_data, request=request)
        return Response(AIProviderSerializer(provider).data)

    @extend_schema(request=AIProviderUpdateSerializer, responses={200: AIProviderSerializer, **ERRORS})
    def update(self, request: Request, pk: str | None = None) -> Response:
        return self.partial_update(request, pk)

    @extend_schema(responses={204: None, **ERRORS})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        providers.ai_provider_delete(provider=self.get_object(), user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: ProviderTestSerializer, **ERRORS},
                   summary="Send a tiny prompt; a failure is success=false with the provider's reason, never an error")
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        result = providers.ai_provider_test(provider=self.get_object(), user=request.user, request=request)
        return Response(result)


ALL_VERSIONS = OpenApiParameter("all_versions", OpenApiTypes.BOOL, required=False,
                                description="List every version, not only the latest of each prompt.")


@extend_schema(tags=["system-prompts"], parameters=[WORKSPACE_HEADER])
@extend_schema_view(list=extend_schema(parameters=[ALL_VERSIONS]))
class SystemPromptViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """The workspace's system prompts (seed 001). Edits add versions; one version is active."""

    queryset = SystemPrompt.objects.all()
    serializer_class = SystemPromptSerializer
    filterset_fields = ["name", "is_active"]
    ordering_fields = ["name", "version", "created_at"]
    role_map = {"list": Role.VIEWER, "retrieve": Role.VIEWER, "versions": Role.VIEWER, "activate": Role.ADMIN,
                "deactivate": Role.ADMIN, **ADMIN_WRITES}

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.action != "list" or self.request.query_params.get("all_versions") in ("true", "1"):
            return queryset
        newer = SystemPrompt.objects.filter(workspace=OuterRef("workspace"), name=OuterRef("name"),
                                            version__gt=OuterRef("version"))
        return queryset.filter(~Exists(newer))

    @extend_schema(request=SystemPromptWriteSerializer, responses={201: SystemPromptSerializer, **ERRORS},
                   summary="Add a system prompt (or the next version of the one with this name)")
    def create(self, request: Request) -> Response:
        serializer = SystemPromptWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prompt = prompts.system_prompt_create(workspace=request.workspace, user=request.user, request=request,
                                              **serializer.validated_data)
        return Response(SystemPromptSerializer(prompt).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SystemPromptUpdateSerializer, responses={201: SystemPromptSerializer, **ERRORS},
                   summary="Edit: saves a new version (201, with its own id); earlier versions are kept")
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        serializer = SystemPromptUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prompt = prompts.system_prompt_revise(prompt=self.get_object(), user=request.user,
                                              data=serializer.validated_data, request=request)
        return Response(SystemPromptSerializer(prompt).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SystemPromptUpdateSerializer, responses={201: SystemPromptSerializer, **ERRORS},
                   summary="Edit: saves a new version (201, with its own id); earlier versions are kept")
    def update(self, request: Request, pk: str | None = None) -> Response:
        return self.partial_update(request, pk)

    @extend_schema(responses={204: None, **ERRORS}, summary="Delete the prompt and all its versions")
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        prompts.system_prompt_delete(prompt=self.get_object(), user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: SystemPromptSerializer(many=True), **ERRORS},
                   summary="Every version of this prompt, newest first")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        return Response(SystemPromptSerializer(prompts.versions_of(self.get_object()), many=True).data)

    @extend_schema(request=None, responses={200: SystemPromptSerializer, **ERRORS},
                   summary="Make this version the one the AI uses (also how to roll back)")
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        prompt = prompts.system_prompt_activate(prompt=self.get_object(), user=request.user, request=request)
        return Response(SystemPromptSerializer(prompt).data)

    @extend_schema(request=None, responses={200: SystemPromptSerializer, **ERRORS},
                   summary="Stop using this version; the built-in default prompt applies")
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        prompt = prompts.system_prompt_deactivate(prompt=self.get_object(), user=request.user, request=request)
        return Response(SystemPromptSerializer(prompt).data)


@extend_schema(tags=["user-prompts"], parameters=[WORKSPACE_HEADER])
class UserPromptViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """The caller's own saved prompt snippets (seed 001); nobody else's are visible."""

    queryset = UserPrompt.objects.all()
    serializer_class = UserPromptSerializer
    ordering_fields = ["title", "created_at", "updated_at"]
    role_map = {"list": Role.VIEWER, "retrieve": Role.VIEWER, "for_user": Role.VIEWER, "create": Role.VIEWER,
                "update": Role.VIEWER, "partial_update": Role.VIEWER, "destroy": Role.VIEWER}

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(user=self.request.user)

    @extend_schema(request=UserPromptWriteSerializer, responses={201: UserPromptSerializer, **ERRORS})
    def create(self, request: Request) -> Response:
        serializer = UserPromptWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prompt = prompts.user_prompt_create(workspace=request.workspace, user=request.user,
                                            data=serializer.validated_data, request=request)
        return Response(UserPromptSerializer(prompt).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserPromptUpdateSerializer, responses={200: UserPromptSerializer, **ERRORS})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        serializer = UserPromptUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prompt = prompts.user_prompt_update(prompt=self.get_object(), user=request.user,
                                            data=serializer.validated_data, request=request)
        return Response(UserPromptSerializer(prompt).data)

    @extend_schema(request=UserPromptUpdateSerializer, responses={200: UserPromptSerializer, **ERRORS})
    def update(self, request: Request, pk: str | None = None) -> Response:
        return self.partial_update(request, pk)

    @extend_schema(responses={204: None, **ERRORS})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        prompts.user_prompt_delete(prompt=self.get_object(), user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: UserPromptSerializer(many=True), **ERRORS},
                   summary="Seed 001 spelling: a user's prompts (only your own user id is allowed)")
    @action(detail=False, methods=["get"], url_path=r"user/(?P<user_id>[^/.]+)")
    def for_user(self, request: Request, user_id: str) -> Response:
        if user_id != str(request.user.pk):
            raise NotFound("No such user.", code="USER_NOT_FOUND")
        return self.list(request)


@extend_schema(exclude=True)
class SystemPromptAliasViewSet(SystemPromptViewSet):
    """`/system_prompts` (seed 001 spelling): the same endpoints, documented once under /system-prompts."""


@extend_schema(exclude=True)
class UserPromptAliasViewSet(UserPromptViewSet):
    """`/user_prompts` (seed 001 spelling): the same endpoints, documented once under /user-prompts."""
