from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AIProvider, SystemPrompt, UserPrompt
from .prompts import next_version


@admin.register(AIProvider)
class AIProviderAdmin(admin.ModelAdmin):
    """The API key is neither shown nor editable here (api_key_encrypted is not editable); set it via the API."""

    list_display = ["name", "workspace", "provider", "model", "is_default", "has_api_key", "created_at"]
    list_filter = ["provider", "is_default"]
    search_fields = ["name", "model", "base_url", "workspace__name"]
    readonly_fields = ["has_api_key", "created_by", "created_at", "updated_at"]
    exclude = ["api_key_encrypted"]
    raw_id_fields = ["workspace"]

    @admin.display(boolean=True, description="API key stored")
    def has_api_key(self, obj: AIProvider) -> bool:
        return obj.has_api_key


@admin.register(SystemPrompt)
class SystemPromptAdmin(admin.ModelAdmin):
    """Versions are history: a saved one is read-only here, and a version added here starts inactive.
    Activate through the API or console (`POST /system-prompts/{id}/activate`), which keeps exactly one active."""

    list_display = ["name", "version", "workspace", "is_active", "created_by", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "prompt_text", "workspace__name"]
    readonly_fields = ["version", "is_active", "created_by", "created_at", "updated_at"]
    raw_id_fields = ["workspace"]

    def get_readonly_fields(self, request: HttpRequest, obj: SystemPrompt | None = None) -> list[str]:
        if obj is None:
            return list(self.readonly_fields)
        return [*self.readonly_fields, "workspace", "name", "prompt_text"]

    def save_model(self, request: HttpRequest, obj: SystemPrompt, form: Any, change: bool) -> None:
        if not change:  # as in the API: the next version number of this name (added inactive)
            obj.version = next_version(obj.workspace_id, obj.name)
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


@admin.register(UserPrompt)
class UserPromptAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "workspace", "updated_at"]
    search_fields = ["title", "prompt_text", "user__email"]
    raw_id_fields = ["workspace", "user"]
