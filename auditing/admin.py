from typing import Any

from django.contrib import admin

from .models import AuditEvent, Webhook, WebhookDelivery


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: operators can search the trail but never add, change or delete an event."""

    list_display = ("created_at", "actor_email", "action", "resource_type", "resource_id", "ip_address")
    list_filter = ("action", "resource_type", "created_at")
    search_fields = ("action", "actor_email", "resource_id", "request_id")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.fields]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("url", "workspace", "is_active", "consecutive_failures", "last_success_at", "disabled_at")
    list_filter = ("is_active", "created_at")
    search_fields = ("url", "description", "workspace__name")
    # The signing secret is stored encrypted and never shown here.
    exclude = ("secret_encrypted",)
    readonly_fields = ("consecutive_failures", "last_delivery_at", "last_success_at", "disabled_at",
                       "disabled_reason")
    raw_id_fields = ("workspace", "created_by")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only (a delivery is what happened)."""

    list_display = ("created_at", "webhook", "event", "status", "attempt", "response_status_code", "duration_ms")
    list_filter = ("status", "event", "is_test")
    search_fields = ("webhook__url", "event", "error")
    raw_id_fields = ("webhook",)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
