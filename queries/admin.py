from django.contrib import admin

from .models import QueryRun, QueryTemplate, SavedQuery, SavedQueryShare, Schedule, ScheduleRun, ShareLink


@admin.register(QueryRun)
class QueryRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "data_source_name", "mode", "status", "rows_returned", "execution_time_ms",
                    "cached")
    list_filter = ("status", "mode", "cached", "timed_out", "created_at")
    search_fields = ("sql", "question", "user__email", "data_source_name", "error_code")
    raw_id_fields = ("workspace", "data_source", "user")
    readonly_fields = [f.name for f in QueryRun._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(SavedQuery)
class SavedQueryAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "workspace", "data_source", "run_count", "updated_at")
    search_fields = ("title", "sql", "question", "owner__email")
    raw_id_fields = ("workspace", "owner", "data_source", "template")


@admin.register(QueryTemplate)
class QueryTemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "is_builtin", "workspace", "updated_at")
    list_filter = ("category", "is_builtin")
    search_fields = ("title", "slug", "sql")
    raw_id_fields = ("workspace", "created_by")


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("title", "created_by", "workspace", "expires_at", "revoked_at", "access_count", "locked_until")
    list_filter = ("revoked_at",)
    search_fields = ("title", "created_by__email")
    raw_id_fields = ("workspace", "created_by", "query_run", "saved_query")
    readonly_fields = ("token_hash", "password_hash", "snapshot", "access_count", "failed_attempts")


class ScheduleRunInline(admin.TabularInline):
    model = ScheduleRun
    extra = 0
    fields = ("period_start", "status", "query_run", "error", "manual", "finished_at")
    readonly_fields = fields
    raw_id_fields = ("query_run",)
    can_delete = False


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "workspace", "frequency", "timezone", "is_active", "last_run_at")
    list_filter = ("frequency", "is_active")
    search_fields = ("name", "owner__email")
    raw_id_fields = ("workspace", "owner", "saved_query", "data_source", "periodic_task")
    inlines = [ScheduleRunInline]


@admin.register(SavedQueryShare)
class SavedQueryShareAdmin(admin.ModelAdmin):
    list_display = ("saved_query", "user", "permission", "granted_by", "created_at")
    list_filter = ("permission",)
    search_fields = ("saved_query__title", "user__email")
    raw_id_fields = ("saved_query", "user", "granted_by")


@admin.register(ScheduleRun)
class ScheduleRunAdmin(admin.ModelAdmin):
    list_display = ("schedule", "period_start", "status", "manual", "webhook_status", "finished_at")
    list_filter = ("status", "manual")
    search_fields = ("schedule__name", "error")
    raw_id_fields = ("schedule", "query_run")
