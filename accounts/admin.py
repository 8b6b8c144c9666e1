from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import ApiKey, AuthSession, Quota, User, UserSettings


class QuotaInline(admin.StackedInline):
    model = Quota
    can_delete = False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "username", "name", "role", "tier", "is_active", "created_at", "last_login")
    list_filter = ("role", "tier", "is_active")
    search_fields = ("email", "username", "name", "external_id")
    readonly_fields = ("created_at", "updated_at", "last_login", "password_changed_at", "is_staff")
    fieldsets = (
        (None, {"fields": ("email", "username", "password")}),
        ("Profile", {"fields": ("name", "external_id")}),
        ("Access", {"fields": ("role", "tier", "is_active", "is_staff")}),
        ("Dates", {"fields": ("last_login", "password_changed_at", "created_at", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),)
    filter_horizontal = ()
    inlines = [QuotaInline]
    actions = ["deactivate", "activate"]

    @admin.action(description="Deactivate selected users (signs them out everywhere)")
    def deactivate(self, request: Any, queryset: Any) -> None:
        from core.exceptions import DomainError

        from .services import user_deactivate

        done = 0
        for user in queryset.filter(is_active=True):
            try:
                user_deactivate(user=user, by=request.user, request=request)
                done += 1
            except DomainError as exc:  # e.g. the last installation admin
                self.message_user(request, f"{user.email}: {exc.message}", level="error")
        self.message_user(request, f"Deactivated {done} user(s).")

    @admin.action(description="Activate selected users")
    def activate(self, request: Any, queryset: Any) -> None:
        from .services import user_activate

        users = list(queryset.filter(is_active=False))
        for user in users:
            user_activate(user=user, by=request.user, request=request)
        self.message_user(request, f"Activated {len(users)} user(s).")


@admin.register(AuthSession)
class AuthSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "last_used_at", "revoked_at", "revoked_reason", "ip_address")
    list_filter = ("revoked_reason", "created_at")
    search_fields = ("user__email", "ip_address")
    readonly_fields = ("user", "created_at", "last_used_at", "ip_address", "user_agent")
    actions = ["revoke"]

    @admin.action(description="Revoke selected sessions (sign out)")
    def revoke(self, request: Any, queryset: Any) -> None:
        from django.utils import timezone

        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_reason="admin")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "workspace", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("created_at", "revoked_at")
    search_fields = ("name", "prefix", "user__email")
    # The hash is useless to a reader and the secret is never stored.
    exclude = ("key_hash",)
    readonly_fields = ("prefix", "user", "workspace", "last_used_at", "created_at")


@admin.register(UserSettings)
class UserSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "theme", "timezone", "language")
    list_filter = ("theme", "language")
    search_fields = ("user__email",)


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ("user", "daily_limit", "used_today", "last_reset")
    search_fields = ("user__email",)
