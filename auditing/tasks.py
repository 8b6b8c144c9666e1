from typing import Any

from celery import shared_task

from . import webhooks


@shared_task(bind=True, name="auditing.deliver_webhook", ignore_result=True, max_retries=None,
             soft_time_limit=60, time_limit=90)
def deliver_webhook(self: Any, delivery_id: str) -> None:
    """Send one webhook delivery; on failure re-queue itself after 2, 4, 8, … seconds.

    The attempt count lives on the delivery row (not in Celery's retry counter), so a redelivered
    message or a worker restart cannot make a delivery retry forever or skip its backoff."""
    retry_in = webhooks.deliver(delivery_id)
    if self.request.is_eager:
        # Eager mode (tests, CELERY_TASK_ALWAYS_EAGER) has no queue to wait in: attempt again now.
        while retry_in is not None:
            retry_in = webhooks.deliver(delivery_id)
        return
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


@shared_task(name="auditing.reap_stale_deliveries", ignore_result=True)
def reap_stale_deliveries() -> int:
    """Periodic: retry (or fail, once out of attempts) deliveries a dead worker or a lost message left
    unfinished."""
    return webhooks.deliveries_reap_stale()
