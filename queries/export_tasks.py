"""Background exports. Thin: re-fetch, call the service, report on the Job.

Celery autodiscovers `tasks.py` only: queries/tasks.py imports this module."""
import logging

from celery import shared_task
from django.conf import settings

from core import services as jobs
from core.exceptions import DomainError

from . import exports

logger = logging.getLogger(__name__)

_LIMIT = int(getattr(settings, "EXPORT_TIMEOUT", 600))


@shared_task(name="exports.build", bind=True, acks_late=True, ignore_result=True,
             soft_time_limit=_LIMIT + 60, time_limit=_LIMIT + 120)
def export_build(self, job_id: str) -> None:  # type: ignore[no-untyped-def]
    """Write the file of a queued export. Idempotent: a finished or cancelled job is left alone."""
    job = jobs.job_start(job_id, task_id=self.request.id or "")
    if job is None:
        return
    try:
        result = exports.export_build(job=job)
    except jobs.JobCancelled:
        return
    except DomainError as exc:
        jobs.job_fail(job, f"{exc.code}: {exc.message}")
    except Exception as exc:
        logger.warning("Export job %s failed", job.pk, exc_info=True)
        jobs.job_fail(job, f"The export failed ({type(exc).__name__}).")
    else:
        jobs.job_succeed(job, result, message=f"{result['rows']:,} rows written")


@shared_task(name="exports.purge_expired", ignore_result=True)
def purge_expired_exports() -> int:
    """Periodic: delete export files older than EXPORT_TTL_HOURS."""
    return exports.exports_purge_expired()
