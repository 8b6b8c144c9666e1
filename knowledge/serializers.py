from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Document


class DocumentUploadSerializer(serializers.Serializer):
    """Input of an upload: one multipart field `file`."""

    file = serializers.FileField(help_text="The document: txt, md, csv, html, pdf or docx.",
                                 allow_empty_file=True, use_url=False)


# Plain strings in the schema until SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] names these choice sets
# (DocumentStatusEnum, PassageKindEnum); as enums now they would collide with other apps' `status`/`kind`.
_STATUS_HELP = "pending → processing → ready, or failed (see error)."
_KIND_HELP = "document (a passage of an upload) or answer (an earlier answered question)."


class DocumentSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=Document.Status.choices, read_only=True, help_text=_STATUS_HELP)
    uploaded_by = serializers.UUIDField(source="uploaded_by_id", read_only=True, allow_null=True)
    job_id = serializers.UUIDField(read_only=True, allow_null=True)
    progress = serializers.SerializerMethodField(help_text="Processing progress 0–100 (100 once ready).")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = ["id", "name", "size", "content_type", "sha256", "status", "error", "chunk_count", "text_chars",
                  "progress", "job_id", "uploaded_by", "download_url", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(min_value=0, max_value=100))
    def get_progress(self, document: Document) -> int:
        if document.status in (Document.Status.READY, Document.Status.FAILED):
            return 100
        job = document.job if document.job_id else None
        return int(job.progress) if job is not None else 0

    @extend_schema_field(serializers.CharField())
    def get_download_url(self, document: Document) -> str:
        return f"/api/v1/documents/{document.pk}/download"


class DocumentUploadedSerializer(DocumentSerializer):
    """An upload's answer: the document, plus seed 002's field names for the same facts."""

    filename = serializers.CharField(source="name", read_only=True)
    file_size = serializers.IntegerField(source="size", read_only=True)
    mime_type = serializers.CharField(source="content_type", read_only=True)
    file_path = serializers.SerializerMethodField(help_text="Where to download it (members of the workspace only).")

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "filename", "file_size", "mime_type", "file_path"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_file_path(self, document: Document) -> str:
        return self.get_download_url(document)


class PassageSerializer(serializers.Serializer):
    document_id = serializers.UUIDField(allow_null=True)
    document_name = serializers.CharField()
    chunk_index = serializers.IntegerField()
    text = serializers.CharField()
    score = serializers.FloatField()
    kind = serializers.ChoiceField(choices=[("document", "document"), ("answer", "answer")], help_text=_KIND_HELP)
    question = serializers.CharField(allow_blank=True)
    sql = serializers.CharField(allow_blank=True)


class KnowledgeSearchSerializer(serializers.Serializer):
    q = serializers.CharField(max_length=2000)
    k = serializers.IntegerField(min_value=1, max_value=50, default=5)


def passage_data(passage: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(passage)
