from celery import shared_task

from .models import QueryRun
from .services import run_now, runs_reap_stale


@shared_task(name="queries.execute", bind=True, acks_late=True, ignore_result=True)
def execute_query(self, run_id: str) -> None:  # type: ignore[no-untyped-def]
    """Run a queued query. Idempotent: a finished or cancelled run is left alone."""
    run = QueryRun.objects.select_related("data_source", "workspace", "user").filter(pk=run_id).first()
    if run is None or run.is_finished or run.data_source is None:
        return
    QueryRun.objects.filter(pk=run.pk).update(celery_task_id=self.request.id or "")
    run_now(run)


@shared_task(name="queries.reap_stale_runs", ignore_result=True)
def reap_stale_runs() -> int:
    """Periodic: fail query runs a dead process left unfinished."""
    return runs_reap_stale()


@shared_task(name="queries.run_schedule", acks_late=True, ignore_result=True)
def run_schedule(schedule_id: str, manual: bool = False) -> str | None:
    """Beat's entry for a schedule: one run per period (the ScheduleRun row decides), or a manual run."""
    from .schedules import schedule_execute

    schedule_run = schedule_execute(schedule_id=schedule_id, manual=manual)
    return str(schedule_run.pk) if schedule_run else None

from .export_tasks import export_build, purge_expired_exports  # noqa: E402,F401  (Celery autodiscovers tasks.py only)
