from typing import Any

from rest_framework import serializers

from .models import AIProvider, SystemPrompt, UserPrompt

# --- AI providers ------------------------------------------------------------------------------------


class AIProviderSerializer(serializers.ModelSerializer):
    """A provider as the API shows it: never the key, only whether one is stored."""

    has_api_key = serializers.BooleanField(read_only=True)
    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = AIProvider
        fields = ["id", "name", "provider", "model", "base_url", "has_api_key", "temperature", "max_tokens",
                  "timeout_seconds", "is_default", "created_by", "created_at", "updated_at"]
        read_only_fields = fields


class AIProviderWriteSerializer(serializers.Serializer):
    """Provider settings. The key is write-only; omit it on update to keep the stored one, send "" to clear it."""

    name = serializers.CharField(max_length=120, required=False, allow_blank=True,
                                 help_text="Defaults to provider:model.")
    provider = serializers.ChoiceField(choices=AIProvider.Kind.choices)
    model = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    base_url = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                     help_text="http(s) URL of the server; required for ollama and openai_compatible.")
    api_key = serializers.CharField(max_length=1000, required=False, allow_blank=True, write_only=True,
                                    trim_whitespace=True, style={"input_type": "password"})
    temperature = serializers.FloatField(min_value=0.0, max_value=2.0, required=False, default=0.0)
    max_tokens = serializers.IntegerField(min_value=1, max_value=200_000, required=False, default=1024)
    timeout_seconds = serializers.IntegerField(min_value=1, max_value=600, required=False, default=30)
    is_default = serializers.BooleanField(required=False, default=False)

    def validate_base_url(self, value: str) -> str:
        value = value.strip()
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Enter an http:// or https:// URL.")
        return value


class AIProviderUpdateSerializer(AIProviderWriteSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            if hasattr(field, "default"):
                field.default = serializers.empty


class ProviderTestSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    model = serializers.CharField(allow_blank=True)
    latency_ms = serializers.FloatField()
    message = serializers.CharField(help_text="On failure, the provider's reason (the key is never included).")


# --- system prompts ----------------------------------------------------------------------------------


class SystemPromptSerializer(serializers.ModelSerializer):
    prompt_id = serializers.UUIDField(source="id", read_only=True, help_text="Same as id (seed 001 name).")
    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = SystemPrompt
        fields = ["id", "prompt_id", "name", "prompt_text", "version", "is_active", "created_by", "created_at",
                  "updated_at"]
        read_only_fields = fields


class SystemPromptWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False, default="default",
                                 help_text="Posting an existing name adds its next version.")
    prompt_text = serializers.CharField(max_length=20_000)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None,
                                         help_text="Default: active when no prompt is active yet.")


class SystemPromptUpdateSerializer(serializers.Serializer):
    prompt_text = serializers.CharField(max_length=20_000, required=False)
    is_active = serializers.BooleanField(required=False, allow_null=True,
                                         help_text="Default: the new version is active if the prompt was.")


# --- user prompts ------------------------------------------------------------------------------------


def _clean_tags(value: list[str]) -> list[str]:
    tags: list[str] = []
    for tag in value:
        tag = tag.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


class UserPromptSerializer(serializers.ModelSerializer):
    prompt_id = serializers.UUIDField(source="id", read_only=True, help_text="Same as id (seed 001 name).")
    user_id = serializers.UUIDField(read_only=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), read_only=True)

    class Meta:
        model = UserPrompt
        fields = ["id", "prompt_id", "user_id", "title", "prompt_text", "tags", "created_at", "updated_at"]
        read_only_fields = fields


class UserPromptWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    prompt_text = serializers.CharField(max_length=20_000)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list,
                                 max_length=30)

    def validate_tags(self, value: list[str]) -> list[str]:
        return _clean_tags(value)


class UserPromptUpdateSerializer(UserPromptWriteSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            if hasattr(field, "default"):
                field.default = serializers.empty
