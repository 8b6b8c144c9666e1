from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import Forbidden
from core.permissions import IsSystemAdmin, NotApiKey
from core.serializers import ErrorEnvelopeSerializer
from core.views import WORKSPACE_HEADER, WorkspaceScopedViewSet
from teams.roles import Role, role_at_least

from . import selectors, services
from .authentication import SESSION_CLAIM
from .models import ApiKey, User
from .serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    AuthResponseSerializer,
    LoginSerializer,
    LogoutSerializer,
    MeUpdateSerializer,
    PasswordChangeSerializer,
    QuotaSerializer,
    RefreshSerializer,
    RegisterSerializer,
    SecuritySettingsSerializer,
    TokenSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserSettingsSerializer,
    UserStatsSerializer,
    UserUpdateSerializer,
)

ERRORS = {code: ErrorEnvelopeSerializer for code in (400, 401, 403, 404, 409, 429)}


def _auth_body(user: User, tokens: dict[str, Any]) -> dict[str, Any]:
    return {"user": UserSerializer(user).data, **tokens}


class PublicAuthView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser]


@extend_schema(tags=["auth"])
class RegisterView(PublicAuthView):
    @extend_schema(
        operation_id="auth_register",
        request=RegisterSerializer,
        responses={201: AuthResponseSerializer, **ERRORS},
        summary="Create an account; returns the user and tokens",
        examples=[OpenApiExample("register", value={"email": "ana@example.com", "password": "a long passphrase",
                                                    "name": "Ana"}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, tokens = services.user_register(**serializer.validated_data, request=request)
        return Response(_auth_body(user, tokens), status=status.HTTP_201_CREATED)


@extend_schema(tags=["auth"])
class LoginView(PublicAuthView):
    @extend_schema(
        operation_id="auth_login",
        request={"application/json": LoginSerializer, "application/x-www-form-urlencoded": LoginSerializer},
        responses={200: AuthResponseSerializer, **ERRORS},
        summary="Log in with email (or username) and password",
        description="After 5 failures for one account from one address, login is refused for 15 minutes "
                    "(429 ACCOUNT_LOCKED with Retry-After).",
    )
    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, tokens = services.auth_login(
            identifier=serializer.validated_data["identifier"],
            password=serializer.validated_data["password"],
            request=request,
        )
        return Response(_auth_body(user, tokens))


@extend_schema(tags=["auth"])
class RefreshView(PublicAuthView):
    @extend_schema(
        operation_id="auth_refresh",
        request=RefreshSerializer,
        responses={200: TokenSerializer, **ERRORS},
        summary="Exchange a refresh token for new tokens (the old one stops working)",
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.token_refresh(refresh_token=serializer.validated_data["refresh_token"],
                                               request=request))


@extend_schema(tags=["auth"])
class LogoutView(APIView):
    @extend_schema(
        operation_id="auth_logout",
        request=LogoutSerializer,
        responses={204: None, **ERRORS},
        summary="End this login: its access and refresh tokens stop working at once",
    )
    def post(self, request: Request) -> Response:
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session_id = request.auth.get(SESSION_CLAIM) if hasattr(request.auth, "get") else None
        services.auth_logout(user=request.user, session_id=session_id,
                             refresh_token=serializer.validated_data.get("refresh_token"), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["auth"])
class MeView(APIView):
    @extend_schema(operation_id="auth_me", responses={200: UserSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)

    @extend_schema(operation_id="auth_me_update", request=MeUpdateSerializer, responses={200: UserSerializer, **ERRORS})
    def patch(self, request: Request) -> Response:
        if not NotApiKey().has_permission(request, self):
            raise Forbidden(NotApiKey.message)
        serializer = MeUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, by=request.user, data=serializer.validated_data,
                                    request=request)
        return Response(UserSerializer(user).data)


@extend_schema(tags=["auth"])
class PasswordChangeView(APIView):
    permission_classes = [IsAuthenticated, NotApiKey]

    @extend_schema(
        operation_id="auth_password_change",
        request=PasswordChangeSerializer,
        responses={200: TokenSerializer, **ERRORS},
        summary="Change your password; every other login is signed out, new tokens are returned",
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.password_change(user=request.user, **serializer.validated_data, request=request))


@extend_schema(tags=["auth"])
class StatsView(APIView):
    @extend_schema(operation_id="auth_stats", responses={200: UserStatsSerializer, **ERRORS},
                   summary="Your usage: logins, sessions, workspaces, keys, jobs and quota")
    def get(self, request: Request) -> Response:
        return Response(UserStatsSerializer(selectors.user_stats(user=request.user)).data)


@extend_schema(tags=["users"])
class UserViewSet(viewsets.ModelViewSet):
    """Users of the installation — for system administrators (seeds 001/002: /users, /admin/users)."""

    queryset = User.objects.order_by("email")
    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated, NotApiKey, IsSystemAdmin]
    filterset_fields = ["role", "is_active", "tier"]
    ordering_fields = ["email", "created_at", "last_login"]
    search_fields = ["email", "username", "name"]
    http_method_names = ["get", "post", "put", "patch", "delete"]

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        q = self.request.query_params.get("q") or self.request.query_params.get("search")
        if q:
            from django.db.models import Q

            queryset = queryset.filter(Q(email__icontains=q) | Q(username__icontains=q) | Q(name__icontains=q))
        return queryset

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer, **ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = UserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(**serializer.validated_data, by=request.user, request=request)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserUpdateSerializer, responses={200: UserSerializer, **ERRORS})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = UserUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user=self.get_object(), by=request.user, data=serializer.validated_data,
                                    request=request)
        return Response(UserSerializer(user).data)

    @extend_schema(request=UserUpdateSerializer, responses={200: UserSerializer, **ERRORS})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(responses={204: None, **ERRORS})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.user_delete(user=self.get_object(), by=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: UserSerializer, **ERRORS},
                   summary="Deactivate: the user's tokens and API keys stop working at once")
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        user = services.user_deactivate(user=self.get_object(), by=request.user, request=request)
        return Response(UserSerializer(user).data)

    @extend_schema(request=None, responses={200: UserSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        user = services.user_activate(user=self.get_object(), by=request.user, request=request)
        return Response(UserSerializer(user).data)

    @extend_schema(methods=["GET"], request=None, responses={200: QuotaSerializer, **ERRORS})
    @extend_schema(methods=["PUT"], request=QuotaSerializer, responses={200: QuotaSerializer, **ERRORS})
    @action(detail=True, methods=["get", "put"])
    def quota(self, request: Request, pk: str | None = None) -> Response:
        user = self.get_object()
        if request.method == "GET":
            return Response(QuotaSerializer(services.quota_for(user)).data)
        serializer = QuotaSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        quota = services.quota_update(user=user, by=request.user, request=request,
                                      daily_limit=serializer.validated_data.get("daily_limit"),
                                      used_today=serializer.validated_data.get("used_today"))
        return Response(QuotaSerializer(quota).data)


@extend_schema(tags=["api-keys"], parameters=[WORKSPACE_HEADER])
class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.DestroyModelMixin, WorkspaceScopedViewSet):
    """Keys for service clients, sent as `X-API-Key`. A key acts for its owner within this workspace."""

    queryset = ApiKey.objects.select_related("workspace")
    serializer_class = ApiKeySerializer
    role_map = {"list": Role.VIEWER, "retrieve": Role.VIEWER, "create": Role.VIEWER,
                "destroy": Role.VIEWER, "revoke": Role.VIEWER}

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        if role_at_least(self.request.membership.role, Role.ADMIN):
            return queryset  # admins see and can revoke every key of their workspace
        return queryset.filter(user=self.request.user)

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer, **ERRORS},
                   summary="Create a key; the secret is in this response only")
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if isinstance(request.auth, ApiKey):
            raise Forbidden("API keys cannot create other API keys.")
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key, raw = services.api_key_create(user=request.user, workspace=request.workspace,
                                           **serializer.validated_data, request=request)
        body = dict(ApiKeySerializer(key).data, key=raw)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, **ERRORS}, summary="Revoke a key")
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.api_key_revoke(key=self.get_object(), by=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: ApiKeySerializer, **ERRORS}, summary="Revoke a key")
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        key = services.api_key_revoke(key=self.get_object(), by=request.user, request=request)
        return Response(ApiKeySerializer(key).data)


@extend_schema(tags=["settings"])
class SettingsView(APIView):
    permission_classes = [IsAuthenticated, NotApiKey]

    @extend_schema(operation_id="settings_get", responses={200: UserSettingsSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(UserSettingsSerializer(services.user_settings_for(request.user)).data)

    @extend_schema(operation_id="settings_update", request=UserSettingsSerializer,
                   responses={200: UserSettingsSerializer, **ERRORS})
    def put(self, request: Request) -> Response:
        serializer = UserSettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = services.user_settings_update(user=request.user, data=serializer.validated_data)
        return Response(UserSettingsSerializer(updated).data)

    @extend_schema(operation_id="settings_partial_update", request=UserSettingsSerializer,
                   responses={200: UserSettingsSerializer, **ERRORS})
    def patch(self, request: Request) -> Response:
        return self.put(request)


@extend_schema(tags=["settings"])
class SecuritySettingsView(APIView):
    @extend_schema(operation_id="settings_security", responses={200: SecuritySettingsSerializer, **ERRORS},
                   summary="The security configuration this installation actually runs with")
    def get(self, request: Request) -> Response:
        return Response(SecuritySettingsSerializer(selectors.security_settings()).data)
