"""Long-running metadata work. Thin: re-fetch, call the service, report on the Job."""
import logging

from celery import shared_task

from auditing.webhooks import emit
from core import services as jobs
from core.models import Job

from . import connectors, services
from .models import DataSource

logger = logging.getLogger(__name__)


def _run(job_id: str, task_id: str, work) -> None:  # type: ignore[no-untyped-def]
    job = jobs.job_start(job_id, task_id=task_id)
    if job is None:
        return  # cancelled, or a redelivered message for finished work
    try:
        result = work(job)
    except jobs.JobCancelled:
        return
    except DataSource.DoesNotExist:
        jobs.job_fail(job, "The data source was deleted.")
    except Exception as exc:
        logger.warning("Job %s (%s) failed", job.pk, job.kind, exc_info=True)
        ds = DataSource.objects.filter(pk=job.params.get("data_source_id")).first()
        message = connectors.friendly_error(exc, ds) if ds is not None else f"{type(exc).__name__}"
        if ds is not None:
            DataSource.objects.filter(pk=ds.pk).update(status=DataSource.Status.ERROR, status_message=message[:500])
        jobs.job_fail(job, message)
        if job.kind == "schema_sync":
            emit(job.workspace_id, "data_source_sync_failed",
                 {"data_source_id": job.params.get("data_source_id"), "job_id": job.pk, "error": message})
    else:
        jobs.job_succeed(job, result)
        if job.kind == "schema_sync":
            emit(job.workspace_id, "data_source_synced", {"data_source_id": job.params.get("data_source_id"),
                                                          "job_id": job.pk, "summary": result})


@shared_task(name="metadata.sync_schema", bind=True, acks_late=True, ignore_result=True)
def sync_schema(self, job_id: str) -> None:  # type: ignore[no-untyped-def]
    def work(job: Job):  # type: ignore[no-untyped-def]
        ds = DataSource.objects.get(pk=job.params["data_source_id"])
        return services.schema_sync(ds=ds, job=job)

    _run(job_id, self.request.id or "", work)


@shared_task(name="metadata.auto_guess", bind=True, acks_late=True, ignore_result=True)
def auto_guess(self, job_id: str) -> None:  # type: ignore[no-untyped-def]
    _run(job_id, self.request.id or "", lambda job: services.auto_guess_run(job=job))
