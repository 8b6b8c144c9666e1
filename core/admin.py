from typing import Any

from django.contrib import admin

from .models import Job


def rerun(job: Job, user: Any, request: Any) -> Job | None:
    """Start a failed or cancelled job's work again as a new job (None: this kind cannot be re-run from here)."""
    params = job.params or {}
    if job.kind == "schema_sync":
        from metadata.models import DataSource
        from metadata.services import schema_sync_start

        ds = DataSource.objects.filter(pk=params.get("data_source_id")).first()
        return schema_sync_start(ds=ds, user=user, request=request) if ds else None
    if job.kind == "auto_guess":
        from metadata.models import DataSource, SchemaTable
        from metadata.services import auto_guess_start

        ds = DataSource.objects.filter(pk=params.get("data_source_id")).first()
        names = [t.qualified_name for t in SchemaTable.objects.filter(pk__in=params.get("table_ids") or [],
                                                                        is_removed=False)]
        return auto_guess_start(ds=ds, user=user, table_names=names, request=request) if ds and names else None
    if job.kind == "document_process":
        from knowledge.models import Document
        from knowledge.services import document_reprocess

        document = Document.objects.filter(pk=params.get("document_id")).first()
        return document_reprocess(document=document, user=user, request=request).job if document else None
    return None


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("kind", "status", "progress", "workspace", "created_by", "created_at", "finished_at")
    list_filter = ("status", "kind", "created_at")
    search_fields = ("kind", "message", "error", "id")
    readonly_fields = ("created_at", "updated_at", "started_at", "finished_at", "heartbeat_at", "celery_task_id")
    raw_id_fields = ("workspace", "created_by")
    actions = ["rerun_failed"]

    @admin.action(description="Re-run selected failed or cancelled jobs (schema sync, auto-guess, document)")
    def rerun_failed(self, request: Any, queryset: Any) -> None:
        from .exceptions import DomainError

        started, skipped = [], []
        for job in queryset.filter(status__in=[Job.Status.FAILED, Job.Status.CANCELLED]):
            try:
                new = rerun(job, request.user, request)
            except DomainError as exc:
                self.message_user(request, f"{job.kind} {job.pk}: {exc.message}", level="error")
                continue
            (started if new else skipped).append(job)
        self.message_user(request, f"Re-ran {len(started)} job(s)."
                                   + (f" Not re-runnable here: {', '.join(j.kind for j in skipped)}." if skipped else ""))
