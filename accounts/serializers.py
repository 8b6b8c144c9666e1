from django.conf import settings
from rest_framework import serializers

from .models import ApiKey, Quota, User, UserSettings


class UserSerializer(serializers.ModelSerializer):
    user_id = serializers.UUIDField(source="id", read_only=True)

    class Meta:
        model = User
        fields = ["id", "user_id", "email", "username", "name", "role", "tier", "is_active", "external_id",
                  "created_at", "updated_at", "last_login"]
        read_only_fields = fields


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=256, trim_whitespace=False)
    username = serializers.RegexField(r"^[\w.+-]+$", max_length=150, required=False,
                                      error_messages={"invalid": "Letters, digits and . + - _ only (no @)."})
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class LoginSerializer(serializers.Serializer):
    """JSON `{email, password}`; the OAuth2 password form (`username`, `password`,
    `grant_type=password`) is accepted too, so Swagger's Authorize button works."""

    email = serializers.CharField(required=False, max_length=254, help_text="Email or username.")
    username = serializers.CharField(required=False, max_length=254, help_text="OAuth2 form: email or username.")
    password = serializers.CharField(write_only=True, max_length=256, trim_whitespace=False)
    grant_type = serializers.ChoiceField(choices=["password"], required=False)

    def validate(self, attrs):  # type: ignore[no-untyped-def]
        identifier = attrs.get("email") or attrs.get("username")
        if not identifier:
            raise serializers.ValidationError({"email": "This field is required."})
        attrs["identifier"] = identifier
        return attrs


class RefreshSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=2000)


class LogoutSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=2000, required=False)


class TokenSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(default="Bearer")
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")


class AuthResponseSerializer(TokenSerializer):
    user = UserSerializer()


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=256, trim_whitespace=False)
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class MeUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    username = serializers.RegexField(r"^[\w.+-]+$", max_length=150, required=False)


class UserStatsSerializer(serializers.Serializer):
    user_id = serializers.UUIDField()
    member_since = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)
    logins_last_30_days = serializers.IntegerField()
    active_sessions = serializers.IntegerField()
    workspaces = serializers.IntegerField()
    api_keys = serializers.IntegerField()
    jobs = serializers.DictField(child=serializers.IntegerField())
    quota = serializers.DictField()


class UserCreateSerializer(RegisterSerializer):
    role = serializers.ChoiceField(choices=User.Role.choices, default=User.Role.USER)
    external_id = serializers.CharField(max_length=255, required=False, allow_null=True, allow_blank=True)


class UserUpdateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, required=False)
    username = serializers.RegexField(r"^[\w.+-]+$", max_length=150, required=False)
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=User.Role.choices, required=False)
    tier = serializers.ChoiceField(choices=User.Tier.choices, required=False)
    is_active = serializers.BooleanField(required=False)
    external_id = serializers.CharField(max_length=255, required=False, allow_null=True, allow_blank=True)

    def validate_email(self, value: str) -> str:
        return value.lower()


class QuotaSerializer(serializers.ModelSerializer):
    user_id = serializers.UUIDField(read_only=True)
    daily_limit = serializers.IntegerField(min_value=0, max_value=10_000_000)
    used_today = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False)
    remaining_today = serializers.SerializerMethodField()

    class Meta:
        model = Quota
        fields = ["user_id", "daily_limit", "used_today", "remaining_today", "last_reset"]
        read_only_fields = ["user_id", "last_reset", "remaining_today"]

    def get_remaining_today(self, quota: Quota) -> int:
        return max(0, quota.daily_limit - quota.used_today)


class ApiKeySerializer(serializers.ModelSerializer):
    workspace_id = serializers.UUIDField(read_only=True)
    user_id = serializers.UUIDField(read_only=True)
    is_active = serializers.BooleanField(source="is_usable", read_only=True)

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "workspace_id", "user_id", "is_active", "created_at", "last_used_at",
                  "expires_at", "revoked_at"]
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The secret. Shown once; store it now.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class UserSettingsSerializer(serializers.ModelSerializer):
    theme = serializers.ChoiceField(choices=UserSettings.Theme.choices, required=False)
    timezone = serializers.CharField(max_length=64, required=False)
    language = serializers.ChoiceField(choices=[c for c, _ in settings.LANGUAGES], required=False)

    default_workspace_id = serializers.UUIDField(required=False, allow_null=True,
                                                 help_text="Workspace used when a request sends no X-Workspace-ID.")

    class Meta:
        model = UserSettings
        fields = ["theme", "timezone", "language", "default_workspace_id"]


class SecuritySettingsSerializer(serializers.Serializer):
    mfa_enabled = serializers.BooleanField()
    password_hashing = serializers.CharField()
    password_policy = serializers.DictField()
    encryption = serializers.DictField()
    tokens = serializers.DictField()
    login_lockout = serializers.DictField()
    rate_limits = serializers.DictField()
    rls_enabled = serializers.BooleanField()
    registration_open = serializers.BooleanField()
    api_keys = serializers.DictField()
