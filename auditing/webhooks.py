"""Webhooks: subscriptions, `emit` (the door other apps call), signed deliveries with retries.

    from auditing.webhooks import emit
    emit(workspace, "query_completed", {"query_id": str(run.pk), ...})

`emit` costs one query when nobody listens. Deliveries are created after the caller's transaction
commits (a rolled-back run notifies no one) and sent by the Celery task `auditing.deliver_webhook`.

Delivery is at least once, with an idempotency key: every attempt of a delivery carries the same id
(header `X-InsightEngine-Delivery`, and `id` in the body), so a receiver that remembers the ids it
has processed applies each event once. An attempt is claimed on the row (status `sending`) before
the request goes out, so a duplicate task message never sends a delivery twice at the same time; an
attempt whose worker died (killed mid-request) is found by `deliveries_reap_stale` (every minute,
from beat) and retried while attempts remain, else marked failed — never left pending for good.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core import crypto
from core.exceptions import ValidationFailed

from . import ssrf
from .models import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent
from .services import record

logger = logging.getLogger(__name__)

SUBSCRIBABLE = tuple(e.value for e in WebhookEvent if e != WebhookEvent.PING)
SIGNATURE_HEADER = "X-InsightEngine-Signature"


def max_retries() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_RETRIES", 6))


def max_consecutive_failures() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_CONSECUTIVE_FAILURES", 10))


# An attempt in flight for longer than this was abandoned by its worker: the delivery task's hard time
# limit (90 s) kills anything slower, and one POST takes at most the connect + read timeouts.
ATTEMPT_TIMEOUT = timedelta(seconds=120)


def stale_after() -> timedelta:
    """How overdue a pending or retrying delivery may be before the reaper takes it (its message was lost)."""
    return timedelta(seconds=int(getattr(settings, "WEBHOOK_STALE_AFTER_SECONDS", 900)))


def retry_countdown(attempt: int) -> int:
    """Seconds before attempt `attempt + 1`: 2, 4, 8, … (attempt counts from 1)."""
    return 2 ** attempt


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over "<timestamp>.<body>" — what a receiver recomputes."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300) -> bool:
    """Receiver-side check (also documentation by example): signature matches and is recent."""
    try:
        fresh = abs(time.time() - int(timestamp)) <= tolerance
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


# --- subscriptions --------------------------------------------------------------------------------

def _clean_events(events: Any) -> list[str]:
    if isinstance(events, str):
        events = [events]
    if not isinstance(events, (list, tuple)) or not events:
        raise ValidationFailed.for_field("events", "Name at least one event.")
    unknown = [e for e in events if e not in SUBSCRIBABLE]
    if unknown:
        raise ValidationFailed.for_field("events", f"Unknown event(s): {', '.join(map(str, unknown))}. "
                                                   f"Known: {', '.join(SUBSCRIBABLE)}.")
    return sorted(set(events))


def check_url(url: str) -> str:
    """Validation for create/update: the same guard a delivery passes, for early feedback."""
    try:
        ssrf.check(url)
    except ssrf.UnsafeURL as exc:
        raise ValidationFailed.for_field("url", str(exc), code="UNSAFE_URL") from None
    return url


def webhook_create(*, workspace: Any, user: Any, url: str, events: Any, description: str = "",
                   is_active: bool = True, request: Any = None) -> tuple[Webhook, str]:
    """Create a webhook; returns it and its signing secret (the only time the secret is readable)."""
    check_url(url)
    secret = "whsec_" + secrets.token_urlsafe(32)
    webhook = Webhook.objects.create(workspace=workspace, created_by=user, url=url, events=_clean_events(events),
                                     description=description, secret_encrypted=crypto.encrypt(secret),
                                     is_active=is_active)
    record(actor=user, action="webhook.created", target=webhook, workspace=workspace, request=request,
           details={"url": url, "events": webhook.events})
    return webhook, secret


def webhook_update(*, webhook: Webhook, user: Any, data: dict[str, Any], request: Any = None) -> Webhook:
    changes: dict[str, Any] = {}
    if "url" in data and data["url"] != webhook.url:
        changes["url"] = check_url(data["url"])
    if "events" in data:
        events = _clean_events(data["events"])
        if events != webhook.events:
            changes["events"] = events
    if "description" in data and data["description"] != webhook.description:
        changes["description"] = data["description"]
    if "is_active" in data and data["is_active"] != webhook.is_active:
        changes["is_active"] = data["is_active"]
        if data["is_active"]:
            # Re-enabling starts the failure count afresh.
            changes.update(consecutive_failures=0, disabled_at=None, disabled_reason="")
    if not changes:
        return webhook
    before = {key: getattr(webhook, key) for key in changes}
    for key, value in changes.items():
        setattr(webhook, key, value)
    webhook.save(update_fields=[*changes, "updated_at"])
    record(actor=user, action="webhook.updated", target=webhook, workspace=webhook.workspace_id, request=request,
           details={key: {"from": before[key], "to": changes[key]} for key in changes
                    if key in ("url", "events", "description", "is_active")})
    return webhook


def webhook_rotate_secret(*, webhook: Webhook, user: Any, request: Any = None) -> str:
    secret = "whsec_" + secrets.token_urlsafe(32)
    webhook.secret_encrypted = crypto.encrypt(secret)
    webhook.save(update_fields=["secret_encrypted", "updated_at"])
    record(actor=user, action="webhook.secret_rotated", target=webhook, workspace=webhook.workspace_id,
           request=request)
    return secret


def webhook_delete(*, webhook: Webhook, user: Any, request: Any = None) -> None:
    record(actor=user, action="webhook.deleted", target=webhook, workspace=webhook.workspace_id, request=request,
           details={"url": webhook.url, "events": webhook.events})
    webhook.delete()


# --- emitting -------------------------------------------------------------------------------------

def _envelope(delivery: WebhookDelivery) -> dict[str, Any]:
    return {"id": str(delivery.pk), "event": delivery.event, "created_at": delivery.created_at.isoformat(),
            "workspace_id": str(delivery.webhook.workspace_id), "data": delivery.payload}


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    # UUIDs, datetimes and Decimals from callers become strings once, at emit time.
    result: dict[str, Any] = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    return result


def emit(workspace: Any, event: str, payload: dict[str, Any] | None = None) -> None:
    """Notify the workspace's webhooks subscribed to `event`. Safe to call inside a transaction:
    deliveries are created and enqueued only once it commits. Never raises into the caller."""
    if event not in SUBSCRIBABLE:
        raise ValueError(f"Unknown webhook event {event!r}")
    workspace_id = getattr(workspace, "pk", workspace)
    try:
        data = _jsonable(payload or {})
    except (TypeError, ValueError):
        logger.exception("Webhook payload for %s is not JSON-serialisable", event)
        return

    def create_and_enqueue() -> None:
        try:
            _create_deliveries(workspace_id, event, data)
        except Exception:  # a notification must never break the work that caused it
            logger.exception("Could not create webhook deliveries for %s", event)

    transaction.on_commit(create_and_enqueue)


def _subscribed(workspace_id: Any, event: str) -> bool:
    """Whether any active webhook of the workspace takes `event`, in one pre-composed statement: every
    query run ends here, and through the ORM the lookup cost about a millisecond."""
    from django.db import connection

    q = connection.ops.quote_name
    meta = Webhook._meta
    workspace = meta.get_field("workspace")
    sql = (f"SELECT {q(meta.get_field('events').column)} FROM {q(meta.db_table)} "
           f"WHERE {q(workspace.column)} = %s AND {q(meta.get_field('is_active').column)} = %s")
    events_field = meta.get_field("events")
    with connection.cursor() as cursor:
        cursor.execute(sql, [workspace.target_field.get_db_prep_value(workspace_id, connection), True])
        rows = cursor.fetchall()
    for (events,) in rows:
        for convert in events_field.get_db_converters(connection):
            events = convert(events, events_field.get_col(meta.db_table), connection)
        if isinstance(events, str):
            events = json.loads(events)
        if event in (events or []):
            return True
    return False


def _create_deliveries(workspace_id: Any, event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    from .tasks import deliver_webhook

    if not _subscribed(workspace_id, event):
        return []  # the usual case, answered without composing an ORM query
    hooks = [h for h in Webhook.objects.filter(workspace_id=workspace_id, is_active=True).only("id", "events")
             if event in h.events]
    if not hooks:
        return []
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(webhook=hook, event=event, payload=data) for hook in hooks])
    for delivery in deliveries:
        try:
            deliver_webhook.apply_async(args=[str(delivery.pk)], queue="interactive")
        except Exception:  # one broken enqueue (or eager run) must not cost the other webhooks theirs
            logger.exception("Could not enqueue webhook delivery %s", delivery.pk)
    return deliveries


# --- delivering -----------------------------------------------------------------------------------

def attempt_delivery(delivery: WebhookDelivery) -> ssrf.HttpOutcome:
    """One POST of `delivery` (whose attempt the caller has claimed), recorded on the instance
    (status and saving left to the caller)."""
    webhook = delivery.webhook
    body = json.dumps(_envelope(delivery), separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "InsightEngine-Webhooks/1.0",
        "X-InsightEngine-Event": delivery.event,
        "X-InsightEngine-Delivery": str(delivery.pk),
        "X-InsightEngine-Timestamp": timestamp,
        SIGNATURE_HEADER: sign(crypto.decrypt(webhook.secret_encrypted), timestamp, body),
    }
    outcome = ssrf.post(webhook.url, body=body, headers=headers)
    delivery.response_status_code = outcome.status_code
    delivery.duration_ms = outcome.duration_ms
    delivery.error = outcome.error[:500]
    delivery.response_snippet = outcome.snippet[:1000]
    return outcome


def deliver(delivery_id: Any) -> int | None:
    """Make the next attempt of a delivery. Returns the seconds to wait before retrying, or None
    when the delivery is finished (succeeded, failed for good, or nothing to do)."""
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update().select_related("webhook")
                    .filter(pk=delivery_id).first())
        if delivery is None or delivery.status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED):
            return None  # idempotent: a redelivered task message does nothing
        if (delivery.status == DeliveryStatus.SENDING
                and delivery.updated_at > timezone.now() - ATTEMPT_TIMEOUT):
            return None  # another worker is sending it right now: a duplicate message must not send it too
        if not delivery.webhook.is_active and not delivery.is_test:
            delivery.status, delivery.error = DeliveryStatus.FAILED, "The webhook is disabled."
            delivery.save(update_fields=["status", "error", "updated_at"])
            return None
        # Claim the attempt before the request goes out: a worker killed mid-request leaves a
        # `sending` row with the attempt counted, which the reaper (or the redelivered message,
        # once the claim is older than any attempt can take) picks up.
        delivery.attempt += 1
        delivery.status = DeliveryStatus.SENDING
        delivery.save(update_fields=["attempt", "status", "updated_at"])
    outcome = attempt_delivery(delivery)
    now = timezone.now()
    delivery.delivered_at = now
    blocked = outcome.error.startswith("Blocked:")
    redirect = outcome.status_code is not None and 300 <= outcome.status_code < 400
    retry_in: int | None = None
    if outcome.ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.next_attempt_at = None
    elif delivery.is_test or blocked or redirect or delivery.attempt > max_retries():
        # Blocked addresses and redirects do not fix themselves within minutes: no retry.
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        retry_in = retry_countdown(delivery.attempt)
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = now + timedelta(seconds=retry_in)
    delivery.save()
    if delivery.status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED) and not delivery.is_test:
        _finished(delivery)
    return retry_in


def _finished(delivery: WebhookDelivery) -> None:
    """Bookkeeping once a delivery is final: failure streak, auto-disable, audit."""
    webhook = delivery.webhook
    now = timezone.now()
    succeeded = delivery.status == DeliveryStatus.SUCCEEDED
    if succeeded:
        Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=0, last_delivery_at=now,
                                                     last_success_at=now)
    else:
        Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=F("consecutive_failures") + 1,
                                                     last_delivery_at=now)
    record(actor=None, action="webhook.delivered" if succeeded else "webhook.delivery_failed", target=delivery,
           workspace=webhook.workspace_id, resource_type="webhook_delivery",
           details={"webhook_id": str(webhook.pk), "event": delivery.event, "attempts": delivery.attempt,
                    "status_code": delivery.response_status_code, "error": delivery.error})
    if succeeded:
        return
    limit = max_consecutive_failures()
    disabled = Webhook.objects.filter(pk=webhook.pk, is_active=True, consecutive_failures__gte=limit).update(
        is_active=False, disabled_at=now,
        disabled_reason=f"Disabled after {limit} consecutive failed deliveries (last: {delivery.error})"[:500])
    if disabled:
        record(actor=None, action="webhook.disabled", target=webhook, workspace=webhook.workspace_id,
               details={"url": webhook.url, "consecutive_failures": limit, "last_error": delivery.error})


def deliveries_reap_stale() -> int:
    """Finish deliveries that a dead worker or a lost task message left unfinished: an attempt in
    flight for longer than any attempt can take, or a pending/retrying delivery long overdue. Each is
    queued again while it has attempts left (the receiver may have seen the lost attempt: it dedupes
    on the delivery id), else marked failed. Returns how many were taken; reaping twice does nothing."""
    now = timezone.now()
    overdue = now - stale_after()
    stale = (Q(status=DeliveryStatus.SENDING, updated_at__lt=now - ATTEMPT_TIMEOUT)
             | Q(status=DeliveryStatus.PENDING, updated_at__lt=overdue)
             | Q(status=DeliveryStatus.RETRYING, next_attempt_at__lt=overdue))
    reaped = 0
    for pk in list(WebhookDelivery.objects.filter(stale).values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            # Re-checked under the row lock; a delivery a worker holds right now is skipped.
            delivery = (WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                        .select_related("webhook").filter(stale, pk=pk).first())
            if delivery is None:
                continue
            reaped += 1
            lost = ("The worker making this attempt stopped before it finished."
                    if delivery.status == DeliveryStatus.SENDING else "The queued attempt never ran.")
            if delivery.is_test or delivery.attempt > max_retries() or not delivery.webhook.is_active:
                delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
                delivery.error = f"Abandoned: {lost}"[:500]
                delivery.save(update_fields=["status", "next_attempt_at", "error", "updated_at"])
                if not delivery.is_test:
                    _finished(delivery)
                continue
            delivery.status, delivery.next_attempt_at = DeliveryStatus.RETRYING, now
            delivery.error = f"{lost} Retrying."[:500]
            delivery.save(update_fields=["status", "next_attempt_at", "error", "updated_at"])
            transaction.on_commit(lambda pk=str(delivery.pk): _enqueue(pk))
    return reaped


def _enqueue(delivery_id: str) -> None:
    from .tasks import deliver_webhook

    try:
        deliver_webhook.apply_async(args=[delivery_id], queue="interactive")
    except Exception:  # the broker may be down: the next reaping finds the delivery again
        logger.exception("Could not enqueue webhook delivery %s", delivery_id)


def webhook_test(*, webhook: Webhook, user: Any, request: Any = None) -> WebhookDelivery:
    """Send a `ping` now, in the request, once (no retries; the failure streak is untouched)."""
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event=WebhookEvent.PING, is_test=True,
        payload={"message": "Test delivery from InsightEngine.", "webhook_id": str(webhook.pk),
                 "sent_by": getattr(user, "email", "")})
    deliver(delivery.pk)
    delivery.refresh_from_db()
    record(actor=user, action="webhook.tested", target=webhook, workspace=webhook.workspace_id, request=request,
           details={"delivery_id": str(delivery.pk), "status": delivery.status,
                    "status_code": delivery.response_status_code})
    return delivery
