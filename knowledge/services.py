"""Writes for the knowledge base: upload (check → store → enqueue), processing, deletion.

Uploads are checked before anything is recorded: size while streaming, type by content, zip
guards for .docx, the workspace's document count. Processing (extract → chunk → index) runs in
a Celery task that reports on a Job; it is idempotent, so a redelivered task rebuilds the same
chunks.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from auditing.services import record
from core import services as jobs
from core.exceptions import Conflict, Forbidden, ValidationFailed
from core.models import Job
from teams.models import Workspace
from teams.roles import Role, role_at_least

from . import extraction, files
from .models import Chunk, Document
from .retrieval import embed_texts
from .text import chunk_text, term_frequencies

logger = logging.getLogger(__name__)

JOB_KIND = "document_process"


class DocumentLimitReached(Conflict):
    code = "DOCUMENT_LIMIT_REACHED"


def max_documents() -> int:
    return int(getattr(settings, "DOCUMENT_MAX_COUNT", 500))


def document_path(document: Document) -> Path:
    return files.stored_path(document.workspace_id, document.stored_name)


# --- upload -------------------------------------------------------------------------------------------

def check_document_capacity(*, workspace: Workspace) -> None:
    limit = max_documents()
    if Document.objects.filter(workspace=workspace).count() >= limit:
        raise DocumentLimitReached(f"This workspace already has {limit} documents, the most allowed. "
                                   "Delete some before uploading more.")


def document_upload(*, workspace: Workspace, user: Any, upload: Any, request: Any = None) -> Document:
    """Store, check and register an uploaded file, then process it in the background.

    Raises ValidationFailed (missing/empty), FileTooLarge (413), UnsupportedFileType (415),
    UnsafeFile (422), DocumentLimitReached / Conflict (409). On any failure nothing is left on disk.
    """
    if upload is None or isinstance(upload, str):
        raise ValidationFailed.for_field("file", "Send the document as a multipart form field named 'file'.",
                                         code="FILE_REQUIRED")
    check_document_capacity(workspace=workspace)  # cheap early answer; checked again under the lock
    name = files.sanitize_name(getattr(upload, "name", ""))
    stored = files.store_upload(upload, workspace.pk)
    try:
        if stored.size == 0:
            raise ValidationFailed.for_field("file", "The file is empty.", code="EMPTY_FILE")
        content_type = files.sniff(stored.path, name)
        with transaction.atomic():
            Workspace.objects.select_for_update().filter(pk=workspace.pk).first()  # one upload at a time
            check_document_capacity(workspace=workspace)
            duplicate = Document.objects.filter(workspace=workspace, sha256=stored.sha256).first()
            if duplicate is not None:
                raise Conflict(f"This file is already uploaded as {duplicate.name!r}.", code="DUPLICATE_DOCUMENT",
                               details=[{"field": "file", "message": f"Same content as document {duplicate.pk}."}])
            document = Document.objects.create(
                workspace=workspace, uploaded_by=user if getattr(user, "is_authenticated", False) else None,
                name=name, stored_name=stored.stored_name, size=stored.size, sha256=stored.sha256,
                content_type=content_type,
            )
            job = jobs.job_create(workspace=workspace, user=document.uploaded_by, kind=JOB_KIND,
                                  params={"document_id": str(document.pk)})
            document.job = job
            document.save(update_fields=["job", "updated_at"])
            record(actor=user, action="document.uploaded", target=document, workspace=workspace, request=request,
                   details={"name": name, "size": stored.size, "content_type": content_type,
                            "sha256": stored.sha256, "job_id": str(job.pk)})
            from .tasks import process_document

            jobs.job_enqueue(job, process_document, queue="long_running")
    except BaseException:
        stored.path.unlink(missing_ok=True)
        raise
    document.refresh_from_db()
    return document


# --- processing ---------------------------------------------------------------------------------------

def document_process(*, document: Document, job: Job | None = None) -> dict[str, Any]:
    """Extract, chunk and index the document; replaces any chunks it had. Returns a summary."""

    def progress(percent: float, message: str) -> None:
        if job is not None:
            jobs.job_progress(job, int(percent), message)

    Document.objects.filter(pk=document.pk).update(status=Document.Status.PROCESSING, error="",
                                                   updated_at=timezone.now())
    progress(5, "Extracting text")
    path = document_path(document)
    if not path.exists():
        raise extraction.ExtractionError("The stored file is missing.")
    text = extraction.extract(path, document.content_type,
                              progress=lambda fraction: progress(5 + 45 * fraction, "Extracting text"))
    progress(55, "Splitting into passages")
    pieces = chunk_text(text)
    progress(65, f"Indexing {len(pieces)} passages")
    vectors = embed_texts(pieces)
    if vectors is not None:
        progress(90, "Computing embeddings")
    chunks = []
    for index, piece in enumerate(pieces):
        terms, length = term_frequencies(piece)
        chunks.append(Chunk(document=document, workspace_id=document.workspace_id, index=index, text=piece,
                            terms=terms, token_count=length, embedding=vectors[index] if vectors else None))
    with transaction.atomic():
        if not Document.objects.select_for_update().filter(pk=document.pk).exists():
            raise Document.DoesNotExist  # deleted while we worked
        Chunk.objects.filter(document=document).delete()
        Chunk.objects.bulk_create(chunks, batch_size=500)
        Document.objects.filter(pk=document.pk).update(
            status=Document.Status.READY, error="", chunk_count=len(chunks), text_chars=len(text),
            updated_at=timezone.now())
    return {"document_id": str(document.pk), "chunks": len(chunks), "characters": len(text),
            "embedded": vectors is not None}


def document_mark_failed(*, document_id: Any, error: str) -> None:
    Document.objects.filter(pk=document_id).update(status=Document.Status.FAILED, error=error[:2000],
                                                   updated_at=timezone.now())
    document = Document.objects.filter(pk=document_id).only("workspace_id", "name").first()
    if document is not None:
        from auditing.webhooks import emit

        emit(document.workspace_id, "document_failed", {"document_id": document_id, "name": document.name,
                                                        "error": error[:2000]})


def document_reprocess(*, document: Document, user: Any, request: Any = None) -> Document:
    """Run extraction and indexing again (after a failure, or when the tokenizer changed)."""
    if document.job_id and Job.objects.filter(pk=document.job_id, status__in=[Job.Status.QUEUED,
                                                                               Job.Status.RUNNING]).exists():
        raise Conflict("The document is already being processed.", code="DOCUMENT_PROCESSING")
    from .tasks import process_document

    with transaction.atomic():
        job = jobs.job_create(workspace=document.workspace, user=user, kind=JOB_KIND,
                              params={"document_id": str(document.pk)})
        Document.objects.filter(pk=document.pk).update(job=job, status=Document.Status.PENDING, error="",
                                                       updated_at=timezone.now())
        record(actor=user, action="document.reprocessed", target=document, workspace=document.workspace,
               request=request, details={"job_id": str(job.pk)})
        jobs.job_enqueue(job, process_document, queue="long_running")
    document.refresh_from_db()
    return document


# --- deletion -----------------------------------------------------------------------------------------

def check_can_delete(*, document: Document, user: Any, membership: Any) -> None:
    """Analysts delete what they uploaded or were granted `write` on; workspace admins and owners anything."""
    from teams.grants import Level, level_of

    if membership is None or not role_at_least(membership.role, Role.ANALYST):
        raise Forbidden("Your role in this workspace does not allow deleting documents.")
    if document.uploaded_by_id != getattr(user, "pk", None) and not role_at_least(membership.role, Role.ADMIN) \
            and level_of(getattr(user, "pk", None), document.pk) != Level.WRITE:
        raise Forbidden("Only the uploader, a member granted write on it or a workspace admin may delete this "
                        "document.")


def document_delete(*, document: Document, user: Any, request: Any = None) -> None:
    """Delete the document, its passages and its file (the file once the transaction commits)."""
    path = document_path(document)
    job_id = document.job_id
    with transaction.atomic():
        record(actor=user, action="document.deleted", target=document, workspace=document.workspace,
               request=request, details={"name": document.name, "size": document.size, "sha256": document.sha256})
        document.delete()
        transaction.on_commit(lambda: _remove_file(path))
    if job_id:
        job = Job.objects.filter(pk=job_id, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).first()
        if job is not None:
            try:
                jobs.job_cancel(job=job, by=user)
            except Conflict:
                pass  # finished in the meantime


def _remove_file(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        logger.warning("Could not remove document file %s", path, exc_info=True)


def document_download_recorded(*, document: Document, user: Any, request: Any = None) -> Path:
    """The file to send, after recording who downloaded it."""
    path = document_path(document)
    if not path.exists():
        raise Conflict("The stored file is missing; delete the document and upload it again.", code="FILE_MISSING")
    record(actor=user, action="document.downloaded", target=document, workspace=document.workspace,
           request=request, details={"name": document.name})
    return path


def documents_purge_files(*, workspace_id: Any) -> None:
    """Remove a deleted workspace's document folder (rows go with the workspace by cascade; files do not).

    For the workspace-deletion service to call after its transaction commits.
    """
    import shutil

    folder = files.workspace_dir(workspace_id)
    if folder.is_dir() and folder.parent == files.documents_root():
        shutil.rmtree(folder, ignore_errors=True)
