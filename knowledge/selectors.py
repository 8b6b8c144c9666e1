"""Reads for the knowledge base."""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Document


def documents_of(workspace: Any) -> QuerySet[Document]:
    return Document.objects.filter(workspace=workspace).select_related("job", "uploaded_by")


def document_stats(workspace: Any) -> dict[str, int]:
    from django.db.models import Count, Sum

    totals = Document.objects.filter(workspace=workspace).aggregate(count=Count("id"), bytes=Sum("size"),
                                                                     chunks=Sum("chunk_count"))
    return {key: int(value or 0) for key, value in totals.items()}
