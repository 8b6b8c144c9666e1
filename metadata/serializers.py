from typing import Any

from rest_framework import serializers

from core.serializers import JobSerializer

from .models import DataSource, DictionaryVersion, SchemaColumn, SchemaRelationship, SchemaTable, Suggestion


class DataSourceSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="engine", read_only=True, help_text="Same as engine (seed 003 name).")
    has_password = serializers.BooleanField(read_only=True)
    tables_count = serializers.SerializerMethodField()

    class Meta:
        model = DataSource
        fields = ["id", "name", "engine", "type", "host", "port", "database", "username", "has_password", "ssl",
                  "options", "read_only", "is_default", "status", "status_message", "server_version",
                  "tables_count", "last_tested_at", "last_synced_at", "created_at", "updated_at"]
        read_only_fields = fields

    def get_tables_count(self, ds: DataSource) -> int:
        counts = self.context.get("tables_count")
        if counts is not None:
            return int(counts.get(ds.pk, 0))
        return ds.tables.filter(is_removed=False).count()


class DataSourceWriteSerializer(serializers.Serializer):
    """Connection settings. `type` is accepted as a synonym of `engine` (seed 003)."""

    name = serializers.CharField(max_length=120)
    engine = serializers.ChoiceField(choices=DataSource.Engine.choices, required=False)
    type = serializers.ChoiceField(choices=DataSource.Engine.choices, required=False, write_only=True)
    host = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    port = serializers.IntegerField(min_value=1, max_value=65535, required=False, allow_null=True)
    database = serializers.CharField(max_length=500)
    username = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    password = serializers.CharField(max_length=1000, required=False, allow_blank=True, write_only=True,
                                     trim_whitespace=False, style={"input_type": "password"})
    ssl = serializers.BooleanField(required=False, default=False)
    options = serializers.DictField(required=False, default=dict)
    read_only = serializers.BooleanField(required=False, default=True)
    is_default = serializers.BooleanField(required=False, default=False)

    def validate_options(self, value: dict[str, Any]) -> dict[str, Any]:
        allowed = {"schemas", "sslmode", "connect_timeout", "query_timeout"}
        unknown = set(value) - allowed
        if unknown:
            raise serializers.ValidationError(f"Unknown options: {', '.join(sorted(unknown))}.")
        if "schemas" in value and (not isinstance(value["schemas"], list)
                                   or not all(isinstance(s, str) and s for s in value["schemas"])):
            raise serializers.ValidationError("schemas must be a list of schema names.")
        for key in ("connect_timeout", "query_timeout"):
            if key in value and (isinstance(value[key], bool) or not isinstance(value[key], int)
                                 or not 1 <= value[key] <= 3600):
                raise serializers.ValidationError(f"{key} must be whole seconds between 1 and 3600.")
        if "sslmode" in value and value["sslmode"] not in ("disable", "allow", "prefer", "require", "verify-ca",
                                                             "verify-full"):
            raise serializers.ValidationError("sslmode must be a PostgreSQL sslmode.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        engine = attrs.pop("type", None)
        attrs["engine"] = attrs.get("engine") or engine
        if not self.partial and not attrs["engine"]:
            raise serializers.ValidationError({"engine": "This field is required."})
        if attrs.get("engine") is None:
            attrs.pop("engine")
        return attrs


class DataSourceUpdateSerializer(DataSourceWriteSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = False
            if hasattr(field, "default") and name not in ("type",):
                field.default = serializers.empty


class ConnectionTestSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    latency_ms = serializers.FloatField()
    server_version = serializers.CharField(allow_blank=True)
    warnings = serializers.ListField(child=serializers.CharField(),
                                     help_text="Advice, e.g. when the account has more rights than reading needs.")


class JobStartedSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    status = serializers.CharField()
    job = JobSerializer()


class ColumnSerializer(serializers.Serializer):
    name = serializers.CharField()
    alias = serializers.CharField()
    type = serializers.CharField(source="data_type")
    description = serializers.CharField()
    nullable = serializers.BooleanField()
    default = serializers.CharField()
    comment = serializers.CharField()
    is_primary_key = serializers.BooleanField()
    tags = serializers.ListField(child=serializers.CharField())
    synonyms = serializers.ListField(child=serializers.CharField())
    sample_values = serializers.ListField(child=serializers.JSONField())
    distinct_count = serializers.IntegerField(allow_null=True)
    curated_fields = serializers.ListField(child=serializers.CharField())


def column_data(column: SchemaColumn, tags: list[str]) -> dict[str, Any]:
    pii = "PII" in tags
    return {
        "name": column.name, "alias": column.alias, "type": column.data_type, "description": column.description,
        "nullable": column.nullable, "default": column.default, "comment": column.comment,
        "is_primary_key": column.is_primary_key, "tags": tags, "synonyms": column.synonyms,
        "sample_values": [] if pii else column.sample_values, "distinct_count": column.distinct_count,
        "curated_fields": column.curated_fields,
    }


class TableSummarySerializer(serializers.ModelSerializer):
    qualified_name = serializers.CharField(read_only=True)
    columns_count = serializers.IntegerField(read_only=True)
    database_id = serializers.UUIDField(source="data_source_id", read_only=True)

    class Meta:
        model = SchemaTable
        fields = ["id", "database_id", "schema_name", "name", "qualified_name", "kind", "alias", "description", "tags",
                  "synonyms", "comment", "columns_count", "row_count", "row_count_is_estimate", "is_removed",
                  "curated_fields", "updated_at"]
        read_only_fields = fields


class TableDetailSerializer(TableSummarySerializer):
    columns = ColumnSerializer(many=True, read_only=True)
    relationships = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta(TableSummarySerializer.Meta):
        fields = [*TableSummarySerializer.Meta.fields, "columns", "relationships"]
        read_only_fields = fields


class RelationshipSerializer(serializers.ModelSerializer):
    from_table = serializers.CharField(source="from_table.qualified_name")
    to_table = serializers.CharField(source="to_table.qualified_name")

    class Meta:
        model = SchemaRelationship
        fields = ["name", "from_table", "from_columns", "to_table", "to_columns"]


class SchemaSerializer(serializers.Serializer):
    database_id = serializers.UUIDField()
    database_name = serializers.CharField()
    engine = serializers.CharField()
    last_synced_at = serializers.DateTimeField(allow_null=True)
    tables = TableDetailSerializer(many=True)
    relationships = RelationshipSerializer(many=True)


class DictionaryEditSerializer(serializers.Serializer):
    alias = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=50)
    synonyms = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=50)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send at least one of alias, description, tags, synonyms.")
        return attrs


class DictionaryVersionSerializer(serializers.ModelSerializer):
    table = serializers.CharField(source="table.qualified_name")
    column = serializers.CharField(source="column.name", allow_null=True, default=None)
    edited_by = serializers.EmailField(source="edited_by.email", allow_null=True, default=None)

    class Meta:
        model = DictionaryVersion
        fields = ["id", "table", "column", "before", "after", "source", "edited_by", "created_at"]
        read_only_fields = fields


class AutoGuessRequestSerializer(serializers.Serializer):
    database_id = serializers.UUIDField(required=False)
    table_names = serializers.ListField(child=serializers.CharField(max_length=300), required=False, default=list,
                                        max_length=2000)


class SuggestionSerializer(serializers.ModelSerializer):
    table = serializers.CharField(source="table.qualified_name")
    column = serializers.CharField(source="column.name", allow_null=True, default=None)

    class Meta:
        model = Suggestion
        fields = ["id", "table", "column", "field", "value", "current_value", "confidence", "reason", "status"]
        read_only_fields = fields


class AutoGuessResultSerializer(JobSerializer):
    job_id = serializers.UUIDField(source="id", read_only=True)
    suggestions = SuggestionSerializer(many=True, read_only=True)

    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "job_id", "suggestions"]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    suggestion_ids = serializers.ListField(child=serializers.UUIDField(), required=False, allow_null=True,
                                           max_length=10000, help_text="Omit to decide every pending suggestion.")


class DecisionResultSerializer(serializers.Serializer):
    applied = serializers.IntegerField()
    rejected = serializers.IntegerField()
    skipped = serializers.IntegerField()


class AccessPolicySerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    database_id = serializers.UUIDField(source="data_source_id", read_only=True)
    table = serializers.CharField(source="table.qualified_name", read_only=True)
    role = serializers.CharField(read_only=True)
    member_id = serializers.UUIDField(read_only=True, allow_null=True)
    row_filter = serializers.CharField(read_only=True)
    hidden_columns = serializers.ListField(child=serializers.CharField(), read_only=True)
    description = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class AccessPolicyWriteSerializer(serializers.Serializer):
    database_id = serializers.UUIDField(required=False, help_text="Defaults to the workspace's default data source.")
    table = serializers.CharField(max_length=500, required=False, help_text="`table` or `schema.table`.")
    role = serializers.ChoiceField(choices=["owner", "admin", "analyst", "viewer"], required=False, allow_blank=True)
    member_id = serializers.UUIDField(required=False, allow_null=True)
    row_filter = serializers.CharField(max_length=5000, required=False, allow_blank=True,
                                       help_text="A condition over the table's columns, e.g. region = 'EMEA'.")
    hidden_columns = serializers.ListField(child=serializers.CharField(max_length=255), max_length=1000,
                                           required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
