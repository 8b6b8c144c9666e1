"""The one way anything is written to the audit log: explicit calls from services."""
from __future__ import annotations

import logging
from typing import Any

from core.middleware import current_request_id

from .models import AuditEvent

logger = logging.getLogger(__name__)

# Never stored, whatever a caller passes in details.
_SECRET_KEYS = {"password", "new_password", "current_password", "token", "refresh_token", "access_token",
                "api_key", "key", "secret"}


def client_ip(request: Any) -> str | None:
    if request is None:
        return None
    from accounts.backends import client_ip as resolve

    return resolve(request) or None


def _scrub(details: Any) -> Any:
    """Redact secret keys at any depth (dicts nested in dicts or lists)."""
    if isinstance(details, dict):
        return {k: ("[redacted]" if str(k).lower() in _SECRET_KEYS else _scrub(v)) for k, v in details.items()}
    if isinstance(details, (list, tuple)):
        return [_scrub(v) for v in details]
    return details


def record(
    *,
    actor: Any,
    action: str,
    target: Any = None,
    details: dict[str, Any] | None = None,
    request: Any = None,
    workspace: Any = None,
    resource_type: str | None = None,
) -> AuditEvent:
    """Append an audit event. `target` is a model instance (its type and id are recorded)."""
    django_request = getattr(request, "_request", request)
    if workspace is None and django_request is not None:
        workspace = getattr(request, "workspace", None) or getattr(django_request, "workspace", None)
    actor_is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        workspace_id=getattr(workspace, "pk", workspace),
        actor_id=actor.pk if actor_is_user else None,
        actor_email=actor.email if actor_is_user else "",
        action=action,
        resource_type=resource_type or (target._meta.model_name if target is not None else ""),
        resource_id=str(target.pk) if target is not None else "",
        details=_scrub(details or {}),
        ip_address=client_ip(django_request),
        user_agent=(django_request.META.get("HTTP_USER_AGENT", "")[:400] if django_request is not None else ""),
        request_id=getattr(django_request, "request_id", "") or current_request_id().replace("-", "")[:64],
    )
