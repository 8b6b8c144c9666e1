"""Public share links: a snapshot of one result, opened without an account.

The token (`secrets.token_urlsafe(32)`, 256 bits) is shown once; only its SHA-256 is stored, so a leaked
database does not leak working links. The optional password is stored with Django's password hasher.
Five wrong passwords lock the link for 15 minutes. Expired and revoked links answer 410 Gone (whoever holds
the token already knows the link existed; the distinct code tells them to ask for a new one); an unknown
token is a 404. Every access and refusal is audited with no actor.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from auditing.services import record
from core.exceptions import Conflict, DomainError, NotFound, ValidationFailed
from teams.roles import Role, role_at_least

from .models import QueryRun, SavedQuery, ShareLink

MAX_FAILED_PASSWORDS = 5
LOCK_FOR = timedelta(minutes=15)
MAX_EXPIRATION_DAYS = 365
SNAPSHOT_ROWS = 1000


class ShareLinkGone(DomainError):
    code = "SHARE_LINK_EXPIRED"
    status_code = 410
    message = "This link has expired."


class PasswordRequired(DomainError):
    code = "PASSWORD_REQUIRED"
    status_code = 401
    message = "This link is protected by a password."


class ShareLinkLocked(DomainError):
    code = "SHARE_LINK_LOCKED"
    status_code = 429
    message = "Too many wrong passwords."


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_url(token: str) -> str:
    return f"{settings.SITE_URL}/share/{token}"


# --- selectors -----------------------------------------------------------------------------------------------

def share_links_of(*, workspace: Any, user: Any, membership: Any) -> QuerySet[ShareLink]:
    """The caller's links; a workspace admin sees every link of the workspace (to revoke them)."""
    queryset = ShareLink.objects.filter(workspace=workspace).select_related("created_by")
    if membership is not None and role_at_least(membership.role, Role.ADMIN):
        return queryset
    return queryset.filter(created_by=user)


def share_link_find(token: str) -> ShareLink:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise NotFound("No such link.", code="SHARE_LINK_NOT_FOUND")
    link = ShareLink.objects.filter(token_hash=token_hash(token)).first()
    if link is None:
        raise NotFound("No such link.", code="SHARE_LINK_NOT_FOUND")
    return link


# --- services ------------------------------------------------------------------------------------------------

def _snapshot(run: QueryRun, *, title: str) -> dict[str, Any]:
    from .services import result_store_load

    stored = result_store_load(run)
    rows = (stored["rows"] if stored else run.preview) or []
    return {
        "title": title, "question": run.question, "sql": run.sql, "mode": run.mode,
        "database_name": run.data_source_name, "columns": run.columns, "rows": rows[:SNAPSHOT_ROWS],
        "rows_returned": run.rows_returned, "truncated": bool(run.truncated or len(rows) > SNAPSHOT_ROWS),
        "masked_columns": run.masked_columns, "chart": run.chart, "ran_at": run.finished_at.isoformat()
        if run.finished_at else None, "execution_time_ms": run.execution_time_ms,
    }


def _clean_options(expiration_days: Any, password: Any) -> tuple[int, str]:
    if expiration_days in (None, ""):
        expiration_days = 7
    if isinstance(expiration_days, bool) or not isinstance(expiration_days, int) or not (
            1 <= expiration_days <= MAX_EXPIRATION_DAYS):
        raise ValidationFailed.for_field("expiration_days", f"A whole number of days from 1 to {MAX_EXPIRATION_DAYS}.")
    password = password or ""
    if not isinstance(password, str) or (password and not 4 <= len(password) <= 128):
        raise ValidationFailed.for_field("password", "From 4 to 128 characters, or empty for none.")
    return expiration_days, password


def share_link_create(*, run: QueryRun, user: Any, expiration_days: Any = 7, password: Any = "",
                      saved_query: SavedQuery | None = None, title: str = "",
                      request: Any = None) -> tuple[ShareLink, str]:
    """A link to a snapshot of `run` (finished, the caller's own). Returns the link and its token, which
    is never shown again."""
    days, password = _clean_options(expiration_days, password)
    if run.status != QueryRun.Status.COMPLETED:
        raise Conflict("Only a completed query can be shared.", code="QUERY_NOT_COMPLETED")
    token = secrets.token_urlsafe(32)
    title = title or (saved_query.title if saved_query else "") or run.question or "Query result"
    link = ShareLink.objects.create(
        workspace_id=run.workspace_id, created_by=user, query_run=run, saved_query=saved_query,
        token_hash=token_hash(token), password_hash=make_password(password) if password else "",
        title=title[:200], snapshot=_snapshot(run, title=title[:200]),
        expires_at=timezone.now() + timedelta(days=days))
    record(actor=user, action="share_link.created", target=link, workspace=run.workspace, request=request,
           details={"query_id": str(run.pk), "expires_at": link.expires_at.isoformat(),
                    "password": bool(password), "saved_query_id": str(saved_query.pk) if saved_query else None})
    from auditing.webhooks import emit

    emit(run.workspace_id, "share_link_created", {"share_link_id": link.pk, "query_id": run.pk,
                                                  "expires_at": link.expires_at, "created_by": user.pk})
    return link, token


def share_link_revoke(*, link: ShareLink, user: Any, request: Any = None) -> ShareLink:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at", "updated_at"])
    record(actor=user, action="share_link.revoked", target=link, workspace=link.workspace, request=request)
    return link


def _denied(link: ShareLink, reason: str, request: Any) -> None:
    record(actor=None, action="share_link.denied", target=link, workspace=link.workspace_id, request=request,
           details={"reason": reason})


def share_link_open(*, token: str, password: str | None, request: Any = None) -> ShareLink:
    """The link's snapshot for an anonymous visitor, or the reason it cannot be shown."""
    link = share_link_find(token)
    now = timezone.now()
    if link.revoked_at is not None:
        _denied(link, "revoked", request)
        raise ShareLinkGone("This link was revoked by its owner.", code="SHARE_LINK_REVOKED")
    if link.expires_at is not None and link.expires_at <= now:
        _denied(link, "expired", request)
        raise ShareLinkGone("This link has expired.")
    if link.locked_until is not None and link.locked_until > now:
        _denied(link, "locked", request)
        raise _locked(link.locked_until - now)
    if link.password_hash:
        if not password:
            raise PasswordRequired()
        if not check_password(password, link.password_hash):
            _wrong_password(link, request)
    ShareLink.objects.filter(pk=link.pk).update(access_count=F("access_count") + 1, last_accessed_at=now,
                                                failed_attempts=0)
    record(actor=None, action="share_link.accessed", target=link, workspace=link.workspace_id, request=request,
           details={"password": bool(link.password_hash)})
    return link


def _locked(remaining: timedelta) -> ShareLinkLocked:
    seconds = max(1, int(remaining.total_seconds() + 0.999))
    return ShareLinkLocked(f"Too many wrong passwords. Try again in {max(1, seconds // 60)} minutes.",
                           headers={"Retry-After": str(seconds)})


def _wrong_password(link: ShareLink, request: Any) -> None:
    """Count a wrong password under a row lock; the fifth locks the link. Always raises."""
    with transaction.atomic():
        locked = ShareLink.objects.select_for_update().get(pk=link.pk)
        locked.failed_attempts += 1
        lock = locked.failed_attempts >= MAX_FAILED_PASSWORDS
        if lock:
            locked.failed_attempts, locked.locked_until = 0, timezone.now() + LOCK_FOR
        ShareLink.objects.filter(pk=link.pk).update(failed_attempts=locked.failed_attempts,
                                                    locked_until=locked.locked_until)
    _denied(link, "locked_out" if lock else "wrong_password", request)
    if lock:
        raise _locked(LOCK_FOR)
    raise PasswordRequired("The password is wrong.", code="INVALID_PASSWORD")


def runs_shareable_by(user: Any, workspace: Any) -> QuerySet[QueryRun]:
    """Runs the caller may publish: their own, in this workspace."""
    return QueryRun.objects.filter(workspace=workspace, user=user)


def share_link_expired_or_revoked() -> Q:
    return Q(revoked_at__isnull=False) | Q(expires_at__lte=timezone.now())
