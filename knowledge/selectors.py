"""Reads for the knowledge base."""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Document


def visible_documents(queryset: QuerySet[Document], *, user: Any) -> QuerySet[Document]:
    """All of the workspace's documents but those taken away from `user` by a grant (`teams.grants`)."""
    from teams.grants import Kind, denied_ids

    return queryset.exclude(pk__in=denied_ids(user, Kind.DOCUMENT))


def documents_of(workspace: Any, user: Any = None) -> QuerySet[Document]:
    documents = Document.objects.filter(workspace=workspace).select_related("job", "uploaded_by")
    return documents if user is None else visible_documents(documents, user=user)


def document_stats(workspace: Any) -> dict[str, int]:
    from django.db.models import Count, Sum

    totals = Document.objects.filter(workspace=workspace).aggregate(count=Count("id"), bytes=Sum("size"),
                                                                     chunks=Sum("chunk_count"))
    return {key: int(value or 0) for key, value in totals.items()}
