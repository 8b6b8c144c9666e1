from django.contrib import admin

from .models import ChatMessage, ChatSession, Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "created_by", "color", "updated_at")
    search_fields = ("name", "description")
    raw_id_fields = ("workspace", "created_by")


class ChatMessageInline(admin.TabularInline):
    model = ChatMessage
    fields = ("role", "author", "content", "status", "query_run", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(ChatSession)
class ChatSessionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "workspace", "created_by", "project", "shared", "deleted_at", "last_message_at")
    list_filter = ("shared", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("title",)
    raw_id_fields = ("workspace", "created_by", "project", "data_source")
    inlines = [ChatMessageInline]


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ("__str__", "session", "role", "status", "author", "created_at")
    list_filter = ("role", "status")
    search_fields = ("content",)
    raw_id_fields = ("session", "author", "reply_to", "query_run", "data_source")
