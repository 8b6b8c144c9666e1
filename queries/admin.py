from django.contrib import admin

from .models import QueryRun


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
