"""A task that only the real-worker test loads (`celery worker -I core.tests.worker_tasks`):
it drives a Job through the same progress API every long-running task uses."""
from celery import shared_task

from core import services


@shared_task(name="tests.count_to", bind=True, acks_late=True)
def count_to(self, job_id: str, steps: int) -> None:
    job = services.job_start(job_id, task_id=self.request.id or "")
    if job is None:
        return
    for step in range(1, steps + 1):
        services.job_progress(job, step * 100 // steps, f"step {step} of {steps}")
    services.job_succeed(job, {"counted": steps})
