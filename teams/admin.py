from django.contrib import admin

from .models import Invitation, Membership, ResourceGrant, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "is_personal", "created_by", "created_at")
    list_filter = ("is_personal", "created_at")
    search_fields = ("name", "id")
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "workspace", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "workspace__name")
    raw_id_fields = ("user", "workspace")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "workspace", "role", "status", "expires_at", "email_sent_at")
    list_filter = ("status", "role")
    search_fields = ("email", "workspace__name")
    exclude = ("token_hash",)
    raw_id_fields = ("workspace", "invited_by")


@admin.register(ResourceGrant)
class ResourceGrantAdmin(admin.ModelAdmin):
    list_display = ("user", "resource_type", "resource_id", "permission", "workspace", "granted_by", "updated_at")
    list_filter = ("resource_type", "permission")
    search_fields = ("user__email", "workspace__name", "resource_id")
    raw_id_fields = ("workspace", "user", "granted_by")
