"""The knowledge base: documents a workspace uploaded, their indexed chunks, and answered questions."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models import BaseModel


class Document(BaseModel):
    """An uploaded file (metric definitions, policies, ...) that the assistant may cite.

    The bytes live outside the web root under a generated name
    (`DOCUMENTS_DIR/<workspace id>/<stored_name>`); `name` is the sanitised original name, shown
    to people and used for downloads only. `content_type` is what the content turned out to be,
    never what the client claimed.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="documents")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="documents")
    name = models.CharField(max_length=255, help_text="Sanitised original file name.")
    stored_name = models.CharField(max_length=64, unique=True, editable=False,
                                   help_text="Generated file name on disk, inside the workspace's folder.")
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    sha256 = models.CharField(max_length=64, db_index=True)
    content_type = models.CharField(max_length=100, help_text="Sniffed from the content.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    error = models.TextField(blank=True)
    chunk_count = models.PositiveIntegerField(default=0)
    text_chars = models.PositiveIntegerField(default=0, help_text="Characters of text extracted.")
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "document"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "sha256"], name="document_unique_content_per_workspace"),
        ]
        indexes = [models.Index(fields=["workspace", "status"])]

    def __str__(self) -> str:
        return self.name


DocumentStatus = Document.Status


class Chunk(models.Model):
    """A passage of a document, with what BM25 needs precomputed.

    `terms` maps each stemmed term to its count in the passage and `token_count` is the
    passage length in terms. `embedding` holds a dense vector when an embedding function is
    configured (KNOWLEDGE_EMBEDDING_FUNCTION); it is compared in-process for now.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="+",
                                  help_text="Denormalised from the document so retrieval filters on one table.")
    index = models.PositiveIntegerField()
    text = models.TextField()
    token_count = models.PositiveIntegerField(default=0)
    terms = models.JSONField(default=dict)
    embedding = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["document", "index"]
        verbose_name = "chunk"
        constraints = [models.UniqueConstraint(fields=["document", "index"], name="chunk_unique_index")]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.index}"


class AnsweredQuestion(BaseModel):
    """A question the assistant answered well, indexed so a similar question finds it again."""

    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="answered_questions")
    data_source = models.ForeignKey("metadata.DataSource", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="answered_questions",
                                    help_text="The source the SQL ran on (its SQL means nothing elsewhere).")
    fingerprint = models.CharField(max_length=64, help_text="Hash of the data source, normalised question and SQL.")
    question = models.TextField()
    sql = models.TextField(blank=True)
    answer_text = models.TextField(blank=True)
    token_count = models.PositiveIntegerField(default=0)
    terms = models.JSONField(default=dict)
    embedding = models.JSONField(null=True, blank=True)
    times_answered = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "answered question"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "fingerprint"], name="answered_question_unique"),
        ]

    def __str__(self) -> str:
        return self.question[:80]
