import copy
from typing import Any

from rest_framework import serializers

from .models import QueryRun


class ValidateSerializer(serializers.Serializer):
    sql = serializers.CharField(max_length=100_000, trim_whitespace=False)
    database_id = serializers.UUIDField(required=False, help_text="Defaults to the workspace's default data source.")


class ExecuteSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=["sql", "ai"], default="sql")
    input = serializers.CharField(max_length=100_000, trim_whitespace=False, required=False)
    sql = serializers.CharField(max_length=100_000, trim_whitespace=False, required=False,
                                help_text="Synonym of input in sql mode.")
    query = serializers.CharField(max_length=100_000, trim_whitespace=False, required=False,
                                  help_text="Synonym of input (seed 000 /query).")
    database_id = serializers.UUIDField(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        # `async` is a Python keyword, so it cannot be declared as a class attribute.
        fields["async"] = serializers.BooleanField(required=False, default=False,
                                                   help_text="Run on the queries queue and return at once.")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        text = attrs.get("input") or attrs.get("sql") or attrs.get("query")
        if not text or not text.strip():
            raise serializers.ValidationError({"input": "This field is required."})
        attrs["text"] = text
        return attrs


class IssueSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    suggestion = serializers.CharField(allow_null=True)


class ValidateResultSerializer(serializers.Serializer):
    is_valid = serializers.BooleanField()
    errors = IssueSerializer(many=True)
    warnings = IssueSerializer(many=True)
    normalized_sql = serializers.CharField()
    executed_sql = serializers.CharField()
    tables = serializers.ListField(child=serializers.CharField())
    estimated_rows = serializers.IntegerField(allow_null=True)


class ColumnMetaSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField()


# Fields are declared, not derived from the model: this serializer answers every execution, and a
# ModelSerializer would rebuild its fields from the model for each instance.
class QueryRunSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, Any]:
        # DRF deep-copies every declared field per instance (re-running each field's __init__), a third
        # of this serializer's cost. It only ever reads (every field is read-only), so a shallow copy,
        # which binding then gives its own name and parent, is enough.
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}

    query_id = serializers.UUIDField(source="id", read_only=True)
    id = serializers.UUIDField(read_only=True)
    database_id = serializers.UUIDField(source="data_source_id", read_only=True, allow_null=True)
    database_name = serializers.CharField(source="data_source_name", read_only=True)
    user_id = serializers.UUIDField(read_only=True, allow_null=True)
    mode = serializers.ChoiceField(choices=QueryRun.Mode.choices, read_only=True)
    question = serializers.CharField(read_only=True)
    sql = serializers.CharField(read_only=True, help_text="As written (or generated).")
    executed_sql = serializers.CharField(read_only=True, help_text="The re-rendered statement that ran, limit applied.")
    status = serializers.ChoiceField(choices=QueryRun.Status.choices, read_only=True)
    rows_returned = serializers.IntegerField(read_only=True, allow_null=True)
    truncated = serializers.BooleanField(read_only=True)
    execution_time_ms = serializers.FloatField(read_only=True, allow_null=True)
    columns = ColumnMetaSerializer(many=True, read_only=True)
    results = serializers.SerializerMethodField()
    warnings = serializers.JSONField(read_only=True)
    masked_columns = serializers.JSONField(read_only=True)
    cached = serializers.BooleanField(read_only=True)
    timed_out = serializers.BooleanField(read_only=True)
    error = serializers.SerializerMethodField()
    row_limit = serializers.IntegerField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    started_at = serializers.DateTimeField(read_only=True, allow_null=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)
    reasoning = serializers.JSONField(read_only=True, help_text=(
        "For questions (mode ai): engine, context_retrieved (list of {type: table, name} | {type: document, "
        "document_id, document_name, chunk, score} | {type: answer, question, score}), mappings, validation, "
        "confidence, attempts, tokens, latency_ms, steps, explanation, chart_hint, refusal {reason, suggestions}."))
    chart = serializers.JSONField(read_only=True, allow_null=True,
                                  help_text="For questions: {type: number|line|bar|table, x, y, spec (Vega-Lite)}.")

    def get_results(self, run: QueryRun) -> list[list[Any]] | None:
        if not self.context.get("with_results", True):
            return None
        if hasattr(run, "results"):
            return run.results
        if run.status != QueryRun.Status.COMPLETED:
            return None
        from .services import result_store_load

        stored = result_store_load(run)
        return stored["rows"] if stored else run.preview

    def get_error(self, run: QueryRun) -> dict[str, str] | None:
        if not run.error_code:
            return None
        return {"code": run.error_code, "message": run.error_message}


class PopularQuerySerializer(serializers.Serializer):
    fingerprint = serializers.CharField()
    sql = serializers.CharField()
    question = serializers.CharField(allow_blank=True)
    runs = serializers.IntegerField()
    users = serializers.IntegerField()
    last_run_at = serializers.DateTimeField()
    avg_execution_time_ms = serializers.FloatField(allow_null=True)


class SuggestionsRequestSerializer(serializers.Serializer):
    database_id = serializers.UUIDField(required=False, help_text="Defaults to the workspace's default data source.")
    limit = serializers.IntegerField(min_value=1, max_value=50, default=8)


class QuestionSuggestionSerializer(serializers.Serializer):
    question = serializers.CharField()
    source = serializers.ChoiceField(choices=["popular", "dictionary"])


class SuggestionsSerializer(serializers.Serializer):
    database_id = serializers.UUIDField()
    suggestions = QuestionSuggestionSerializer(many=True)


class CacheClearedSerializer(serializers.Serializer):
    cleared = serializers.CharField()


class CacheStatsSerializer(serializers.Serializer):
    backend = serializers.CharField()
    keys = serializers.IntegerField(allow_null=True)
    used_memory = serializers.CharField(allow_null=True)
    hits = serializers.IntegerField(allow_null=True)
    misses = serializers.IntegerField(allow_null=True)
