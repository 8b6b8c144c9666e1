"""Writes: projects, sessions, and the question → answer turn shared by REST, SSE and WebSocket.

A turn is a generator of events (`question_events`): REST collects it, the SSE endpoint streams
it, the WebSocket consumer runs it off the event loop. Every event also goes to the session's
channel-layer group `chat.<session_id>`, so collaborators watching the session see it live.
"""
from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from auditing.services import record
from core.exceptions import DomainError, Forbidden, NotFound, ValidationFailed
from metadata.models import DataSource
from metadata.selectors import data_source_for
from teams.roles import Role, role_at_least

from . import history, selectors
from .answers import PREVIEW_ROWS, citations, summarize
from .followup import resolve
from .models import ChatMessage, ChatSession, Project

logger = logging.getLogger(__name__)

STAGES = ("retrieving", "generating", "validating", "executing")
MAX_CONTENT_CHARS = 4000
TITLE_CHARS = 80


def session_group(session_id: Any) -> str:
    return f"chat.{session_id}"


def json_safe(data: Any) -> Any:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def broadcast(session_id: Any, event: dict[str, Any]) -> None:
    """Push an event to everyone watching the session. The channel layer may be down (Redis): the
    database has the messages, so a failed push is logged, never raised."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(session_group(session_id), {"type": "chat.event", "event": event})
    except Exception as exc:  # one line per event: during an outage a traceback each would drown the log
        logger.warning("Could not push a chat event for session %s: %s: %s", session_id, type(exc).__name__, exc)


# --- projects -------------------------------------------------------------------------------------------

def _check_owner_or_admin(obj: Any, user: Any, membership: Any, what: str) -> None:
    if obj.created_by_id != user.pk and not role_at_least(membership.role, Role.ADMIN):
        raise Forbidden(f"Only the creator of this {what} or a workspace admin may change it.")


def project_create(*, workspace: Any, user: Any, data: dict[str, Any], request: Any = None) -> Project:
    project = Project.objects.create(workspace=workspace, created_by=user, **data)
    record(actor=user, action="chat.project.created", target=project, workspace=workspace, request=request)
    return project


def project_update(*, project: Project, user: Any, membership: Any, data: dict[str, Any], request: Any = None) -> Project:
    _check_owner_or_admin(project, user, membership, "project")
    for name, value in data.items():
        setattr(project, name, value)
    project.save()
    return project


@transaction.atomic
def project_delete(*, project: Project, user: Any, membership: Any, request: Any = None) -> int:
    """Deletes the project; its sessions are soft-deleted (restorable for the retention period)."""
    _check_owner_or_admin(project, user, membership, "project")
    now = timezone.now()
    count = ChatSession.objects.filter(project=project, deleted_at__isnull=True).update(deleted_at=now, updated_at=now)
    record(actor=user, action="chat.project.deleted", target=project, workspace=project.workspace_id,
           request=request, details={"name": project.name, "sessions_deleted": count})
    project.delete()
    return count


# --- sessions -------------------------------------------------------------------------------------------

def _project_in(workspace: Any, project_id: Any) -> Project | None:
    if project_id is None:
        return None
    project = Project.objects.filter(workspace=workspace, pk=project_id).first()
    if project is None:
        raise NotFound("No such project.", code="PROJECT_NOT_FOUND")
    return project


def _session_fields(workspace: Any, data: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {k: data[k] for k in ("title", "shared") if k in data}
    if "project_id" in data:
        fields["project"] = _project_in(workspace, data["project_id"])
    if "data_source_id" in data:
        fields["data_source"] = (data_source_for(workspace, data["data_source_id"])
                                 if data["data_source_id"] else None)
    return fields


def session_create(*, workspace: Any, user: Any, data: dict[str, Any] | None = None, request: Any = None) -> ChatSession:
    session = ChatSession.objects.create(workspace=workspace, created_by=user, **_session_fields(workspace, data or {}))
    record(actor=user, action="chat.session.created", target=session, workspace=workspace, request=request)
    return session


def session_update(*, session: ChatSession, user: Any, membership: Any, data: dict[str, Any],
                   request: Any = None) -> ChatSession:
    _check_owner_or_admin(session, user, membership, "conversation")
    for name, value in _session_fields(session.workspace, data).items():
        setattr(session, name, value)
    session.save()
    return session


def session_delete(*, session: ChatSession, user: Any, membership: Any, request: Any = None) -> ChatSession:
    _check_owner_or_admin(session, user, membership, "conversation")
    session.deleted_at = timezone.now()
    session.save(update_fields=["deleted_at", "updated_at"])
    history.invalidate(session.pk)
    record(actor=user, action="chat.session.deleted", target=session, workspace=session.workspace_id, request=request)
    return session


def session_restore(*, session: ChatSession, user: Any, membership: Any, request: Any = None) -> ChatSession:
    _check_owner_or_admin(session, user, membership, "conversation")
    if session.deleted_at is None:
        return session
    session.deleted_at = None
    session.save(update_fields=["deleted_at", "updated_at"])
    record(actor=user, action="chat.session.restored", target=session, workspace=session.workspace_id, request=request)
    return session


def sessions_purge_expired() -> int:
    """Hard-deletes sessions deleted longer ago than CHAT_RETENTION_DAYS (run daily by beat)."""
    deleted, _ = ChatSession.objects.filter(deleted_at__lt=selectors.retention_cutoff()).delete()
    return deleted


# --- a question and its answer --------------------------------------------------------------------------

def check_can_post(*, session: ChatSession, user: Any, membership: Any) -> None:
    """Asking needs an analyst (viewers read), in a session that is yours, shared or granted to you
    with `write` (a `read` grant only lets you follow it)."""
    from .selectors import session_access

    if session.deleted_at is not None:
        raise NotFound("No such chat session.", code="SESSION_NOT_FOUND")
    access = session_access(session, user)
    if access is None:
        raise NotFound("No such chat session.", code="SESSION_NOT_FOUND")
    if not role_at_least(membership.role, Role.ANALYST):
        raise Forbidden("Viewers can read this conversation but not ask questions in it.")
    if access != "write":
        raise Forbidden("You were given read access to this conversation: you can follow it but not ask in it.",
                        code="READ_ONLY_GRANT")


def clean_content(content: Any) -> str:
    text = content.strip() if isinstance(content, str) else ""
    if not text:
        raise ValidationFailed.for_field("content", "Write a question.")
    if len(text) > MAX_CONTENT_CHARS:
        raise ValidationFailed.for_field("content", f"At most {MAX_CONTENT_CHARS} characters.")
    return text


def pick_data_source(session: ChatSession, data_source_id: Any | None) -> DataSource:
    if data_source_id:
        return data_source_for(session.workspace, data_source_id)
    if session.data_source_id:
        return session.data_source  # type: ignore[return-value]
    return data_source_for(session.workspace, None)


def message_payload(message: ChatMessage) -> dict[str, Any]:
    result = message.result or {}
    return json_safe({
        "id": str(message.pk), "session_id": str(message.session_id), "role": message.role,
        "content": message.content, "resolved_content": message.resolved_content,
        "status": message.status, "author_id": message.author_id,
        "reply_to": message.reply_to_id, "query_id": message.query_run_id,
        "data_source_id": message.data_source_id, "sql": result.get("sql", ""),
        "columns": result.get("columns", []), "rows": result.get("rows"),
        "rows_returned": result.get("rows_returned"), "truncated": result.get("truncated", False),
        "chart": result.get("chart"), "reasoning": result.get("reasoning"), "error": result.get("error"),
        "attachments": message.attachments, "created_at": message.created_at,
    })


def _store(session: ChatSession, **fields: Any) -> ChatMessage:
    with transaction.atomic():
        message = ChatMessage.objects.create(session=session, **fields)
        changes = {"last_message_at": message.created_at, "updated_at": message.created_at}
        if not session.title and fields.get("role") == ChatMessage.Role.USER:
            changes["title"] = fields["content"][:TITLE_CHARS]
            session.title = changes["title"]
        ChatSession.objects.filter(pk=session.pk).update(**changes)
        history.invalidate(session.pk)
    return message


def _uses_builtin_engine(workspace: Any) -> bool:
    from assistant.services import default_provider

    provider = default_provider(workspace)
    return provider is None or provider.provider == "builtin"


def _run_result(run: Any) -> tuple[str, dict[str, Any]]:
    """(message status, result snapshot) of a QueryRun."""
    from assistant.services import NOT_ANSWERED
    from queries.models import QueryRun

    reasoning = run.reasoning or {}
    if run.status == QueryRun.Status.COMPLETED:
        status = ChatMessage.Status.COMPLETED
    elif run.error_code == NOT_ANSWERED:
        status = ChatMessage.Status.NOT_ANSWERED
    elif run.status in (QueryRun.Status.PENDING, QueryRun.Status.RUNNING):
        status = ChatMessage.Status.PENDING
    else:
        status = ChatMessage.Status.FAILED
    rows = getattr(run, "results", None)
    if rows is None:
        rows = run.preview or []
    result = {
        "sql": run.executed_sql or run.sql or "", "columns": run.columns or [],
        "rows": rows[:PREVIEW_ROWS] if status == ChatMessage.Status.COMPLETED else None,
        "rows_returned": run.rows_returned, "truncated": bool(run.truncated) or len(rows) > PREVIEW_ROWS,
        "chart": run.chart, "reasoning": reasoning,
        "error": {"code": run.error_code, "message": run.error_message} if run.error_code else None,
    }
    return status, json_safe(result)


class TurnCancelled(BaseException):
    """Raised by a listener whose client went away: stops the turn at the next stage boundary.

    A BaseException (like GeneratorExit) so that no `except Exception` on the way — the LLM
    engine fails closed on a broken validator — mistakes it for a failure to report."""


def question_events(*, session: ChatSession, user: Any, membership: Any, content: str,
                    data_source: DataSource | None = None, files: list[str] | None = None,
                    request: Any = None, publish: bool = True,
                    listener: Callable[[dict[str, Any]], None] | None = None) -> Iterator[dict[str, Any]]:
    """One turn, as events: status(retrieving) → message(user) → status(generating) → status(validating)
    → sql → status(executing) → rows → chart → message(assistant) → done | error.

    The status events are the assistant's own stage boundaries (`answer(progress=...)`), sent as
    each stage starts: to the session's group (`publish`) and to `listener` at that moment, and
    yielded here once the assistant returns (a generator cannot yield from inside the call). A
    repair by the LLM engine shows as generating → validating again.

    Inputs are checked by the caller (`check_can_post`, `clean_content`, `pick_data_source`). Closing
    the generator (a client went away) stops the turn at the next event; a listener raising
    `TurnCancelled` stops it at the assistant's next stage boundary (before the query runs, if it
    has not started). A query already running finishes, and its run is kept.
    """
    turn_id = uuid.uuid4()
    base = {"session_id": str(session.pk), "turn_id": str(turn_id)}
    sent: list[str] = []  # the stages announced so far

    def event(kind: str, **payload: Any) -> dict[str, Any]:
        item = json_safe({"type": kind, **base, **payload})
        if publish:
            broadcast(session.pk, item)
        if listener is not None:
            listener(item)
        return item

    def stage(name: str, **details: Any) -> dict[str, Any]:
        sent.append(name)
        return event("status", stage=name, **details)

    yield stage("retrieving")  # before any work: the client knows at once that it is on
    from assistant.services import answer

    ds = data_source or pick_data_source(session, None)
    turns = selectors.session_turns(session.pk)
    builtin = _uses_builtin_engine(session.workspace)
    resolution = resolve(content, selectors.previous_question(turns)) if builtin else resolve(content, None)
    question = _store(session, id=turn_id, role=ChatMessage.Role.USER, author=user, content=content,
                      resolved_content=resolution.question, data_source=ds, attachments=list(files or []))
    if session.data_source_id is None:
        ChatSession.objects.filter(pk=session.pk, data_source__isnull=True).update(data_source=ds)
    yield event("message", message=message_payload(question),
                follow_up={"rewritten": resolution.rewritten, "kind": resolution.kind,
                           "question": resolution.question})

    live: list[dict[str, Any]] = []  # made during the assistant call, yielded after it

    def progress(name: str, details: dict[str, Any]) -> None:
        if name == "executing":
            live.append(event("sql", sql=details.get("sql", "")))
            live.append(stage("executing"))
        elif not sent or sent[-1] != name or details.get("repair"):
            public = {k: v for k, v in details.items() if k in ("engine", "attempt", "repair", "documents", "answers")}
            live.append(stage(name, **public))

    try:
        run = answer(question=resolution.question, ds=ds, workspace=session.workspace, user=user,
                     membership=membership, history=selectors.assistant_history(turns), request=request,
                     progress=progress)
    except DomainError as exc:
        yield from live
        error = {"code": exc.code, "message": exc.message, "details": exc.details}
        reply = _store(session, role=ChatMessage.Role.ASSISTANT, content=exc.message, reply_to=question,
                       status=ChatMessage.Status.FAILED, data_source=ds, result={"error": error})
        yield event("message", message=message_payload(reply))
        yield event("error", message_id=str(reply.pk), error=error, status_code=exc.status_code)
        return
    except Exception:
        yield from live
        logger.exception("The assistant failed on a chat question (session %s)", session.pk)
        error = {"code": "INTERNAL_ERROR", "message": "The assistant failed unexpectedly.", "details": []}
        reply = _store(session, role=ChatMessage.Role.ASSISTANT, content=error["message"], reply_to=question,
                       status=ChatMessage.Status.FAILED, data_source=ds, result={"error": error})
        yield event("message", message=message_payload(reply))
        yield event("error", message_id=str(reply.pk), error=error, status_code=500)
        return
    yield from live

    status, result = _run_result(run)
    reasoning = result["reasoning"] or {}
    if status == ChatMessage.Status.COMPLETED:
        yield event("rows", query_id=str(run.pk), columns=result["columns"], rows=result["rows"],
                    rows_returned=result["rows_returned"], truncated=result["truncated"],
                    execution_time_ms=run.execution_time_ms)
        if result["chart"]:
            yield event("chart", query_id=str(run.pk), chart=result["chart"])
    text = summarize(question=resolution.question, status=status, columns=result["columns"],
                     rows=result["rows"] or [], rows_returned=result["rows_returned"], truncated=result["truncated"],
                     error_code=run.error_code, error_message=run.error_message, refusal=reasoning.get("refusal"))
    text += citations(reasoning)
    reply = _store(session, role=ChatMessage.Role.ASSISTANT, content=text, reply_to=question, status=status,
                   query_run=run, data_source=ds, result=result)
    yield event("message", message=message_payload(reply))
    if status == ChatMessage.Status.FAILED:
        yield event("error", message_id=str(reply.pk), query_id=str(run.pk), error=result["error"], status_code=422)
    else:
        yield event("done", message_id=str(reply.pk), query_id=str(run.pk), status=status)


def message_post(*, session: ChatSession, user: Any, membership: Any, content: Any, data_source_id: Any = None,
                 files: list[str] | None = None, request: Any = None) -> ChatMessage:
    """REST: run a whole turn and return the assistant's message."""
    check_can_post(session=session, user=user, membership=membership)
    text = clean_content(content)
    ds = pick_data_source(session, data_source_id)
    last: dict[str, Any] | None = None
    for item in question_events(session=session, user=user, membership=membership, content=text, data_source=ds,
                                files=files, request=request):
        if item["type"] in ("done", "error"):
            last = item
    assert last is not None
    return ChatMessage.objects.select_related("session").get(pk=last["message_id"])


def turn_run(*, session_id: str, user_id: str, content: str, data_source_id: str) -> None:
    """A whole turn for the WebSocket (here or on a worker): re-fetches and re-checks everything, then
    publishes its events to the session's group. A refusal to post becomes an `error` event there."""
    from accounts.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    found = selectors.session_for_socket(session_id, user) if user else None
    if found is None:
        return
    session, membership = found
    try:
        check_can_post(session=session, user=user, membership=membership)
        ds = pick_data_source(session, data_source_id)
    except DomainError as exc:
        broadcast(session.pk, {"type": "error", "session_id": str(session.pk),
                               "error": {"code": exc.code, "message": exc.message, "details": exc.details}})
        return
    for _ in question_events(session=session, user=user, membership=membership, content=content, data_source=ds):
        pass


def turn_dispatch(*, session_id: str, user_id: str, content: str, data_source_id: str) -> None:
    """Runs the turn here, or enqueues it on the "queries" queue when CHAT_ANSWER_IN_WORKER is set."""
    from django.conf import settings

    kwargs = {"session_id": session_id, "user_id": user_id, "content": content, "data_source_id": data_source_id}
    if getattr(settings, "CHAT_ANSWER_IN_WORKER", False):
        from .tasks import answer_question

        transaction.on_commit(lambda: answer_question.apply_async(kwargs=kwargs, queue="queries"))
        return
    turn_run(**kwargs)
