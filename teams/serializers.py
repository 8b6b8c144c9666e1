from rest_framework import serializers

from .models import Invitation, Membership, Workspace
from .roles import Role


class WorkspaceSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text="Your role in this workspace.")

    class Meta:
        model = Workspace
        fields = ["id", "name", "is_personal", "role", "max_query_rows", "created_at", "updated_at"]
        read_only_fields = ["id", "is_personal", "role", "max_query_rows", "created_at", "updated_at"]

    def get_role(self, workspace: Workspace) -> str | None:
        roles = self.context.get("roles", {})
        return roles.get(workspace.pk)


class WorkspaceWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)


class MemberSerializer(serializers.ModelSerializer):
    """A member as seed 003 shows it: the user's id is the member id."""

    id = serializers.UUIDField(source="user.id", read_only=True)
    name = serializers.CharField(source="user.name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "name", "email", "username", "role", "joined_at"]
        read_only_fields = fields


class InviteSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.ANALYST)


class RoleChangeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationSerializer(serializers.ModelSerializer):
    invited_by = serializers.EmailField(source="invited_by.email", read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "status", "invited_by", "expires_at", "accepted_at", "email_sent_at",
                  "created_at"]
        read_only_fields = fields


class InvitationCreatedSerializer(InvitationSerializer):
    invite_url = serializers.CharField(read_only=True, help_text="The acceptance link (also emailed). Shown once.")

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "invite_url"]
        read_only_fields = fields


class AcceptInvitationSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)


PERMISSION_LEVELS = [("none", "none"), ("read", "read"), ("write", "write"), ("view_pii", "view_pii")]
RESOURCE_TYPES = [("data_source", "data_source"), ("saved_query", "saved_query"), ("chat_session", "chat_session"),
                  ("document", "document")]


class GrantWriteSerializer(serializers.Serializer):
    user_id = serializers.UUIDField()
    permission = serializers.ChoiceField(
        choices=PERMISSION_LEVELS,
        help_text="data sources: none | read | view_pii; saved queries, chat sessions, documents: none | read | write")


class GrantSerializer(serializers.Serializer):
    user_id = serializers.UUIDField()
    email = serializers.EmailField()
    permission = serializers.ChoiceField(choices=PERMISSION_LEVELS)
    granted_by = serializers.UUIDField(allow_null=True)
    updated_at = serializers.DateTimeField()


class GrantResultSerializer(serializers.Serializer):
    resource_id = serializers.UUIDField()
    resource_type = serializers.ChoiceField(choices=RESOURCE_TYPES)
    user_id = serializers.UUIDField()
    email = serializers.EmailField()
    permission = serializers.ChoiceField(choices=PERMISSION_LEVELS)


class ResourceGrantsSerializer(serializers.Serializer):
    resource_id = serializers.UUIDField()
    resource_type = serializers.ChoiceField(choices=RESOURCE_TYPES)
    title = serializers.CharField()
    grants = GrantSerializer(many=True)
