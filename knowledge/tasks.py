"""Background work for the knowledge base. Thin: re-fetch, call the service, report on the Job."""
from __future__ import annotations

import logging

from celery import shared_task

from auditing.webhooks import emit
from core import services as jobs

from . import services
from .extraction import ExtractionError
from .files import UnsafeFile
from .models import Document

logger = logging.getLogger(__name__)


@shared_task(name="knowledge.process_document", bind=True, acks_late=True, ignore_result=True,
             soft_time_limit=600, time_limit=660)
def process_document(self, job_id: str) -> None:  # type: ignore[no-untyped-def]
    job = jobs.job_start(job_id, task_id=self.request.id or "")
    if job is None:
        return  # cancelled, or a redelivered message for finished work
    document_id = job.params.get("document_id")
    try:
        document = Document.objects.get(pk=document_id)
        result = services.document_process(document=document, job=job)
    except jobs.JobCancelled:
        return
    except Document.DoesNotExist:
        jobs.job_fail(job, "The document was deleted.")
    except (ExtractionError, UnsafeFile) as exc:
        message = getattr(exc, "message", None) or str(exc)
        services.document_mark_failed(document_id=document_id, error=message)
        jobs.job_fail(job, message)
    except Exception as exc:
        logger.warning("Processing document %s failed", document_id, exc_info=True)
        message = f"Processing failed ({type(exc).__name__})."
        services.document_mark_failed(document_id=document_id, error=message)
        jobs.job_fail(job, message)
    else:
        jobs.job_succeed(job, result, message=f"Indexed {result['chunks']} passages")
        emit(job.workspace_id, "document_processed", {"document_id": document_id, "name": document.name,
                                                      "chunks": result["chunks"]})
