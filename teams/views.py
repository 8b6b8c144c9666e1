from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import NotFound
from core.permissions import WorkspaceRolePermission
from core.serializers import ErrorEnvelopeSerializer
from core.views import WORKSPACE_HEADER, WorkspaceContextMixin, WorkspaceScopedViewSet

from . import grants, services
from .models import Invitation, Membership, Workspace
from .roles import Role
from .selectors import workspaces_for_user
from .serializers import (
    AcceptInvitationSerializer,
    GrantResultSerializer,
    GrantWriteSerializer,
    InvitationCreatedSerializer,
    InvitationSerializer,
    InviteSerializer,
    MemberSerializer,
    ResourceGrantsSerializer,
    RoleChangeSerializer,
    WorkspaceSerializer,
    WorkspaceWriteSerializer,
)

ERRORS = {code: ErrorEnvelopeSerializer for code in (400, 401, 403, 404, 409, 429)}


@extend_schema(tags=["workspaces"])
class WorkspaceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The workspaces you belong to (the console's workspace switcher). Not tenant-scoped:
    membership itself is the scope."""

    serializer_class = WorkspaceSerializer
    http_method_names = ["get", "post", "patch"]

    def get_permissions(self):  # type: ignore[no-untyped-def]
        if self.action in ("create", "partial_update"):
            from core.permissions import NotApiKey

            return [*super().get_permissions(), NotApiKey()]
        return super().get_permissions()

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Workspace.objects.none()
        workspaces = Workspace.objects.filter(memberships__user=self.request.user).order_by("created_at")
        from accounts.models import ApiKey

        if isinstance(getattr(self.request, "auth", None), ApiKey):
            workspaces = workspaces.filter(pk=self.request.auth.workspace_id)  # a key sees its own workspace only
        return workspaces

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["roles"] = {m.workspace_id: m.role for m in workspaces_for_user(self.request.user)}
        return context

    @extend_schema(request=WorkspaceWriteSerializer, responses={201: WorkspaceSerializer, **ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = WorkspaceWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        workspace = services.workspace_create(name=serializer.validated_data["name"], owner=request.user,
                                              request=request)
        return Response(WorkspaceSerializer(workspace, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=WorkspaceWriteSerializer, responses={200: WorkspaceSerializer, **ERRORS})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        workspace = self.get_object()
        membership = Membership.objects.get(workspace=workspace, user=request.user)
        services.check_can_assign_role(actor_membership=membership, role=Role.ADMIN)
        serializer = WorkspaceWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.workspace_update(workspace=workspace, by=request.user, name=serializer.validated_data["name"],
                                  request=request)
        return Response(WorkspaceSerializer(workspace, context=self.get_serializer_context()).data)


@extend_schema(tags=["team"], parameters=[WORKSPACE_HEADER])
class TeamMemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Members of the current workspace. The member id is the user's id (seed 003)."""

    queryset = Membership.objects.select_related("user")
    serializer_class = MemberSerializer
    lookup_field = "user_id"
    filterset_fields = ["role"]
    ordering_fields = ["created_at", "role"]
    role_map = {"list": Role.VIEWER, "retrieve": Role.VIEWER, "create": Role.ADMIN,
                "partial_update": Role.ADMIN, "revoke": Role.VIEWER}

    @extend_schema(request=InviteSerializer, responses={201: InvitationCreatedSerializer, **ERRORS},
                   summary="Invite someone by email")
    def create(self, request: Request) -> Response:
        serializer = InviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation, token = services.member_invite(
            workspace=request.workspace, by=request.user, actor_membership=request.membership,
            request=request, **serializer.validated_data,
        )
        body = dict(InvitationSerializer(invitation).data, invite_url=services.invitation_url(token))
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=RoleChangeSerializer, responses={200: MemberSerializer, **ERRORS},
                   summary="Change a member's role")
    def partial_update(self, request: Request, user_id: str | None = None) -> Response:
        serializer = RoleChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.member_change_role(
            membership=self.get_object(), by=request.user, actor_membership=request.membership,
            role=serializer.validated_data["role"], request=request,
        )
        return Response(MemberSerializer(membership).data)

    @extend_schema(request=None, responses={204: None, **ERRORS},
                   summary="Remove a member (or leave, with your own id)")
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, user_id: str | None = None) -> Response:
        services.member_remove(membership=self.get_object(), by=request.user,
                               actor_membership=request.membership, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["team"], parameters=[WORKSPACE_HEADER])
class InvitationViewSet(mixins.ListModelMixin, WorkspaceScopedViewSet):
    """Invitations of the current workspace."""

    queryset = Invitation.objects.select_related("invited_by")
    serializer_class = InvitationSerializer
    filterset_fields = ["status"]
    role_map = {"list": Role.ADMIN, "revoke": Role.ADMIN}

    @extend_schema(request=None, responses={200: InvitationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        invitation = services.invitation_revoke(invitation=self.get_object(), by=request.user, request=request)
        return Response(InvitationSerializer(invitation).data)


@extend_schema(tags=["team"])
class AcceptInvitationView(APIView):
    @extend_schema(operation_id="team_invitations_accept", request=AcceptInvitationSerializer,
                   responses={200: WorkspaceSerializer, **ERRORS},
                   summary="Accept an invitation sent to your email address")
    def post(self, request: Request) -> Response:
        serializer = AcceptInvitationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.invitation_accept(token=serializer.validated_data["token"], user=request.user,
                                                request=request)
        if membership is None:
            raise NotFound()
        return Response(WorkspaceSerializer(membership.workspace,
                                            context={"roles": {membership.workspace_id: membership.role}}).data)


class _GrantsView(WorkspaceContextMixin, APIView):
    permission_classes = [IsAuthenticated, WorkspaceRolePermission]
    role_map = {"GET": Role.VIEWER, "PUT": Role.VIEWER, "DELETE": Role.VIEWER}

    def _resource(self, request: Request, resource_id: str) -> grants.Resource:
        return grants.resource_for_manager(workspace=request.workspace, membership=request.membership,
                                           resource_id=resource_id)


@extend_schema(tags=["team"], parameters=[WORKSPACE_HEADER])
class PermissionsView(_GrantsView):
    """Per-resource grants (seed 003 `PUT /permissions/{resource_id}`) on a data source, saved query, chat
    session or document of the workspace; what each permission means is in `teams.grants`. Workspace admins
    manage them all, owners of a saved query, creators of a session and uploaders of a document theirs."""

    @extend_schema(operation_id="permissions_retrieve", responses={200: ResourceGrantsSerializer, **ERRORS},
                   summary="Who holds which grant on this resource")
    def get(self, request: Request, resource_id: str) -> Response:
        resource = self._resource(request, resource_id)
        return Response(ResourceGrantsSerializer({"resource_id": resource.obj.pk, "resource_type": resource.kind,
                                                  "title": resource.title,
                                                  "grants": grants.grants_of(resource)}).data)

    @extend_schema(operation_id="permissions_update", request=GrantWriteSerializer,
                   responses={200: GrantResultSerializer, **ERRORS},
                   summary="Give one member a permission on this resource (none takes it away)")
    def put(self, request: Request, resource_id: str) -> Response:
        resource = self._resource(request, resource_id)
        serializer = GrantWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = grants.grant_set(resource=resource, actor=request.user, request=request,
                                  user_id=serializer.validated_data["user_id"],
                                  permission=serializer.validated_data["permission"])
        return Response(GrantResultSerializer(result).data)


@extend_schema(tags=["team"], parameters=[WORKSPACE_HEADER])
class PermissionMemberView(_GrantsView):
    @extend_schema(operation_id="permissions_member_destroy", responses={204: None, **ERRORS},
                   summary="Remove a member's grant: back to what their role gives them")
    def delete(self, request: Request, resource_id: str, user_id: str) -> Response:
        grants.grant_delete(resource=self._resource(request, resource_id), actor=request.user, user_id=user_id,
                            request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
