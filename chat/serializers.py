from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import ChatSession, Project
from .services import MAX_CONTENT_CHARS, message_payload

_HEX = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


class ConversationSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    updated_at = serializers.DateTimeField()


class ProjectSerializer(serializers.ModelSerializer):
    conversations = serializers.SerializerMethodField()
    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Project
        fields = ["id", "name", "description", "color", "created_by", "conversations", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(ConversationSummarySerializer(many=True))
    def get_conversations(self, project: Project) -> list[dict[str, Any]]:
        # Prefetched by the view with the caller's visible, live sessions.
        sessions = getattr(project, "visible_sessions", None)
        if sessions is None:
            return []
        return [{"id": str(s.pk), "title": s.title, "updated_at": s.updated_at} for s in sessions]



class ProjectWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(allow_blank=True, required=False, max_length=5000)
    color = serializers.CharField(required=False, max_length=7, help_text="Hex colour: #rgb or #rrggbb.")

    def validate_color(self, value: str) -> str:
        if not _HEX.match(value):
            raise serializers.ValidationError("Use a hex colour such as #4f46e5 or #48f.")
        return value.lower()


class ChatSessionSerializer(serializers.ModelSerializer):
    session_id = serializers.UUIDField(source="id", read_only=True, help_text="Same as id (seed 001 name).")
    user_id = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True,
                                    help_text="The creator (seed 001 name).")
    project_id = serializers.UUIDField(read_only=True, allow_null=True)
    data_source_id = serializers.UUIDField(read_only=True, allow_null=True)
    is_deleted = serializers.BooleanField(read_only=True)

    class Meta:
        model = ChatSession
        fields = ["id", "session_id", "title", "user_id", "project_id", "data_source_id", "shared", "is_deleted",
                  "deleted_at", "last_message_at", "created_at", "updated_at"]
        read_only_fields = fields


class ChatSessionWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, allow_blank=True, required=False)
    project_id = serializers.UUIDField(allow_null=True, required=False)
    data_source_id = serializers.UUIDField(allow_null=True, required=False,
                                           help_text="The data source questions go to; default: the workspace's.")
    shared = serializers.BooleanField(required=False, help_text="Every workspace member may read; analysts may post.")


class SessionIdSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()


class ChatMessageSerializer(serializers.Serializer):
    """A message; assistant messages carry the answer's SQL, result preview, chart and reasoning."""

    id = serializers.UUIDField()
    session_id = serializers.UUIDField()
    role = serializers.CharField(help_text="user or assistant")
    content = serializers.CharField(help_text="The question, or the answer in a sentence.")
    resolved_content = serializers.CharField(help_text="User messages: the question actually asked (follow-ups "
                                             "combined with the earlier question).")
    status = serializers.CharField(help_text="Assistant messages: completed, not_answered, failed or pending.")
    author_id = serializers.UUIDField(allow_null=True)
    reply_to = serializers.UUIDField(allow_null=True)
    query_id = serializers.UUIDField(allow_null=True)
    data_source_id = serializers.UUIDField(allow_null=True)
    sql = serializers.CharField()
    columns = serializers.ListField(child=serializers.DictField())
    rows = serializers.ListField(child=serializers.ListField(), allow_null=True,
                                 help_text="The first rows of the result (at most 50).")
    rows_returned = serializers.IntegerField(allow_null=True)
    truncated = serializers.BooleanField()
    chart = serializers.JSONField(allow_null=True)
    reasoning = serializers.JSONField(allow_null=True)
    error = serializers.JSONField(allow_null=True)
    attachments = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return message_payload(instance)


class MessageCreateSerializer(serializers.Serializer):
    content = serializers.CharField(max_length=MAX_CONTENT_CHARS)
    files = serializers.ListField(child=serializers.CharField(max_length=255), required=False, max_length=10,
                                  help_text="Ids of uploaded files, kept with the message.")
    data_source_id = serializers.UUIDField(required=False, allow_null=True,
                                           help_text="Ask this data source instead of the session's.")


class StreamQuerySerializer(serializers.Serializer):
    session_id = serializers.UUIDField(required=False, allow_null=True,
                                       help_text="Continue this session; without it a new session is created.")
    content = serializers.CharField(max_length=MAX_CONTENT_CHARS, required=False)
    question = serializers.CharField(max_length=MAX_CONTENT_CHARS, required=False, help_text="Same as content.")
    data_source_id = serializers.UUIDField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        text = (attrs.get("content") or attrs.get("question") or "").strip()
        if not text:
            raise serializers.ValidationError({"content": "Write a question."})
        attrs["content"] = text
        return attrs


class ContextMessageSerializer(serializers.Serializer):
    role = serializers.CharField(help_text="user or assistant")
    content = serializers.CharField()


class ContextSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    data_source_id = serializers.UUIDField(allow_null=True)
    messages = ContextMessageSerializer(many=True)


class DeletedMessageSerializer(serializers.Serializer):
    message = serializers.CharField()


# --- metrics (seed 004) ---------------------------------------------------------------------------------

class MetricsQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(required=False, min_value=1, max_value=365,
                                    help_text="The last N days, today included (default 30; for a session, "
                                              "its whole life).")


class LatencySerializer(serializers.Serializer):
    p50 = serializers.FloatField(allow_null=True, help_text="Milliseconds, question to result.")
    p95 = serializers.FloatField(allow_null=True)
    measured = serializers.IntegerField(help_text="Finished questions with a measured latency.")


class MetricFiguresSerializer(serializers.Serializer):
    questions = serializers.IntegerField(help_text="Questions that reached the assistant.")
    answered = serializers.IntegerField(help_text="Answered: the query ran and returned a result.")
    refused = serializers.IntegerField(help_text="Not answered: the engine declined, or its SQL failed the "
                                                 "safety gate.")
    failed = serializers.IntegerField(help_text="The query ran and failed, timed out or was cancelled.")
    pending = serializers.IntegerField(help_text="Still running.")
    success_rate = serializers.FloatField(allow_null=True, help_text="answered / questions (null without "
                                                                     "questions).")
    latency_ms = LatencySerializer()
    total_tokens = serializers.IntegerField(help_text="LLM tokens spent (0 for the built-in engine).")


class ProviderTokensSerializer(serializers.Serializer):
    provider = serializers.CharField(help_text='"builtin" or "<provider>/<model>".')
    questions = serializers.IntegerField()
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()


class MetricsPeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    days = serializers.IntegerField()


class DayMetricsSerializer(MetricFiguresSerializer):
    date = serializers.DateField()


class MetricsSerializer(MetricFiguresSerializer):
    period = MetricsPeriodSerializer()
    tokens_by_provider = ProviderTokensSerializer(many=True)
    per_day = DayMetricsSerializer(many=True, help_text="Every day of the period, oldest first, zeros included.")


class SessionMetricsSerializer(MetricsSerializer):
    session_id = serializers.UUIDField()
