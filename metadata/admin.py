from typing import Any

from django.contrib import admin

from .models import (
    AccessPolicy,
    DataSource,
    DictionaryVersion,
    SchemaColumn,
    SchemaRelationship,
    SchemaTable,
    Suggestion,
)


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "engine", "host", "database", "workspace", "status", "is_default", "last_synced_at")
    list_filter = ("engine", "status", "is_default", "read_only")
    search_fields = ("name", "host", "database", "workspace__name")
    # The encrypted password is never shown or edited here.
    exclude = ("password_encrypted",)
    readonly_fields = ("status", "status_message", "server_version", "last_tested_at", "last_synced_at")
    raw_id_fields = ("workspace", "created_by")
    actions = ["resync"]

    @admin.action(description="Re-sync the schema of selected data sources")
    def resync(self, request: Any, queryset: Any) -> None:
        from .services import schema_sync_start

        jobs = [schema_sync_start(ds=ds, user=request.user, request=request) for ds in queryset]
        self.message_user(request, f"Schema sync queued for {len(jobs)} data source(s): "
                                   + ", ".join(str(job.pk) for job in jobs))


class ColumnInline(admin.TabularInline):
    model = SchemaColumn
    extra = 0
    fields = ("name", "data_type", "alias", "description", "tags", "is_primary_key", "is_removed")
    readonly_fields = ("name", "data_type", "is_primary_key", "is_removed")
    show_change_link = True


@admin.register(SchemaTable)
class SchemaTableAdmin(admin.ModelAdmin):
    list_display = ("__str__", "data_source", "kind", "alias", "row_count", "is_removed")
    list_filter = ("kind", "is_removed", "data_source__engine")
    search_fields = ("name", "alias", "description", "data_source__name")
    raw_id_fields = ("data_source",)
    inlines = [ColumnInline]


@admin.register(SchemaColumn)
class SchemaColumnAdmin(admin.ModelAdmin):
    list_display = ("__str__", "data_type", "alias", "is_primary_key", "is_removed")
    list_filter = ("is_primary_key", "is_removed")
    search_fields = ("name", "alias", "description", "table__name")
    raw_id_fields = ("table",)


@admin.register(SchemaRelationship)
class SchemaRelationshipAdmin(admin.ModelAdmin):
    list_display = ("__str__", "data_source")
    search_fields = ("name", "from_table__name", "to_table__name")
    raw_id_fields = ("data_source", "from_table", "to_table")


@admin.register(DictionaryVersion)
class DictionaryVersionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "source", "edited_by", "created_at")
    list_filter = ("source", "created_at")
    search_fields = ("table__name", "column__name", "edited_by__email")
    raw_id_fields = ("data_source", "table", "column", "edited_by")


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "field", "confidence", "status")
    list_filter = ("status", "field")
    search_fields = ("table__name", "column__name", "reason")
    raw_id_fields = ("job", "data_source", "table", "column", "decided_by")


@admin.register(AccessPolicy)
class AccessPolicyAdmin(admin.ModelAdmin):
    list_display = ("table", "data_source", "role", "member", "row_filter", "created_at")
    list_filter = ("role",)
    search_fields = ("table__name", "row_filter", "member__email", "data_source__name")
    raw_id_fields = ("data_source", "table", "member", "created_by")
