from django.contrib import admin

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("kind", "status", "progress", "workspace", "created_by", "created_at", "finished_at")
    list_filter = ("status", "kind", "created_at")
    search_fields = ("kind", "message", "error", "id")
    readonly_fields = ("created_at", "updated_at", "started_at", "finished_at", "heartbeat_at", "celery_task_id")
    raw_id_fields = ("workspace", "created_by")
