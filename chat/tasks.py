from __future__ import annotations

from celery import shared_task


@shared_task(name="chat.answer_question", acks_late=True)
def answer_question(*, session_id: str, user_id: str, content: str, data_source_id: str) -> None:
    """Runs a WebSocket question on a worker; its events reach the sockets through the channel layer."""
    from . import services

    services.turn_run(session_id=session_id, user_id=user_id, content=content, data_source_id=data_source_id)


@shared_task(name="chat.purge_deleted_sessions")
def purge_deleted_sessions() -> int:
    """Hard-deletes sessions soft-deleted longer ago than CHAT_RETENTION_DAYS."""
    from .services import sessions_purge_expired

    return sessions_purge_expired()
