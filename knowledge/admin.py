from django.contrib import admin

from .models import AnsweredQuestion, Chunk, Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "content_type", "size", "status", "chunk_count", "created_at"]
    list_filter = ["status", "content_type"]
    search_fields = ["name", "sha256"]
    readonly_fields = ["stored_name", "sha256", "size", "content_type", "job", "chunk_count", "text_chars"]
    raw_id_fields = ["workspace", "uploaded_by"]


@admin.register(Chunk)
class ChunkAdmin(admin.ModelAdmin):
    list_display = ["document", "index", "token_count"]
    raw_id_fields = ["document", "workspace"]
    exclude = ["terms", "embedding"]


@admin.register(AnsweredQuestion)
class AnsweredQuestionAdmin(admin.ModelAdmin):
    list_display = ["question", "workspace", "times_answered", "updated_at"]
    search_fields = ["question", "sql"]
    raw_id_fields = ["workspace"]
    exclude = ["terms", "embedding"]
