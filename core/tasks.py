from celery import shared_task

from . import services


@shared_task(name="core.reap_stale_jobs", ignore_result=True)
def reap_stale_jobs() -> int:
    """Periodic: fail jobs left 'running' by a worker that died."""
    return services.jobs_reap_stale()
