"""Writes for core: the Job life cycle that every long-running task reports through.

A task receives a job id and calls `job_start`, then `job_progress` as it goes, and finally
`job_succeed` or `job_fail`. Every change is pushed to the owner's WebSocket group. State
transitions are conditional UPDATEs, so a cancelled or reaped job is never resurrected by a
late progress report, and a redelivered task does not run a finished job twice.
"""
from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .exceptions import Conflict
from .models import Job

logger = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Raised inside a task when its job was cancelled (or reaped) while it ran."""


def user_group(user_id: Any) -> str:
    return f"user.{user_id}"


def job_payload(job: Job) -> dict[str, Any]:
    from .serializers import JobSerializer

    return dict(JobSerializer(job).data)


def job_notify(job: Job) -> None:
    """Push the job's state to its owner's sockets; never fails the caller."""
    if job.created_by_id is None:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            user_group(job.created_by_id), {"type": "job.update", "job": _json_safe(job_payload(job))}
        )
    except Exception:  # the channel layer (Redis) may be down; the Job row is the truth
        logger.warning("Could not push job %s update to the channel layer", job.pk, exc_info=True)


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def job_create(*, workspace: Any, user: Any, kind: str, params: dict[str, Any] | None = None) -> Job:
    return Job.objects.create(workspace=workspace, created_by=user, kind=kind, params=params or {})


def job_enqueue(job: Job, task: Any, *args: Any, queue: str | None = None) -> None:
    """Send `task(job.id, *args)` once the surrounding transaction commits."""

    def send() -> None:
        options = {"queue": queue} if queue else {}
        result = task.apply_async(args=[str(job.pk), *args], **options)
        Job.objects.filter(pk=job.pk, celery_task_id="").update(celery_task_id=result.id or "",
                                                                updated_at=timezone.now())

    transaction.on_commit(send)


def job_start(job_id: Any, *, task_id: str = "") -> Job | None:
    """Mark the job running. Returns None when it is already finished (cancelled, or a
    redelivered message for work that completed), so the task must do nothing."""
    now = timezone.now()
    updated = Job.objects.filter(pk=job_id, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).update(
        status=Job.Status.RUNNING, started_at=now, heartbeat_at=now, celery_task_id=task_id, updated_at=now,
    )
    if not updated:
        return None
    Job.objects.filter(pk=job_id).update(attempts=F("attempts") + 1, updated_at=now)
    job = Job.objects.get(pk=job_id)
    job_notify(job)
    return job


def job_progress(job: Job, progress: int, message: str = "") -> None:
    """Report progress (0–100). Raises JobCancelled if the job stopped being ours to run."""
    progress = max(0, min(100, int(progress)))
    now = timezone.now()
    updated = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(
        progress=progress, message=message[:500], heartbeat_at=now, updated_at=now
    )
    if not updated:
        raise JobCancelled(str(job.pk))
    job.progress, job.message, job.heartbeat_at, job.updated_at = progress, message[:500], now, now
    job_notify(job)


def _finish(job: Job, status: str, **fields: Any) -> Job:
    now = timezone.now()
    updated = Job.objects.filter(pk=job.pk, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).update(
        status=status, finished_at=now, heartbeat_at=now, updated_at=now, **fields
    )
    job.refresh_from_db()
    if updated:
        job_notify(job)
    return job


def job_succeed(job: Job, result: dict[str, Any] | None = None, message: str = "Done") -> Job:
    return _finish(job, Job.Status.SUCCEEDED, progress=100, result=result, message=message)


def job_fail(job: Job, error: str, message: str = "Failed") -> Job:
    return _finish(job, Job.Status.FAILED, error=error[:10000], message=message)


def job_cancel(*, job: Job, by: Any = None) -> Job:
    if job.is_finished:
        raise Conflict(f"The job has already {job.status}.", code="JOB_FINISHED")
    job = _finish(job, Job.Status.CANCELLED, message="Cancelled")
    if job.celery_task_id:
        from config.celery import app

        try:
            app.control.revoke(job.celery_task_id)
        except Exception:  # revoking is best effort; the task also checks the row
            logger.warning("Could not revoke task %s", job.celery_task_id, exc_info=True)
    return job


def jobs_reap_stale() -> int:
    """Fail running jobs whose worker stopped reporting (killed, lost). Returns how many."""
    cutoff = timezone.now() - settings.JOB_STALE_AFTER
    stale = list(Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff))
    for job in stale:
        _finish(job, Job.Status.FAILED, error="The worker stopped reporting progress.", message="Failed")
    return len(stale)
