from rest_framework import serializers

from .models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    user_id = serializers.UUIDField(source="actor_id", read_only=True, allow_null=True)
    user_email = serializers.CharField(source="actor_email", read_only=True)
    timestamp = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id", "user_id", "user_email", "action", "resource_type", "resource_id", "details",
            "ip_address", "user_agent", "request_id", "timestamp",
        ]
        read_only_fields = fields


# --- webhooks -------------------------------------------------------------------------------------

from .models import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent  # noqa: E402

SUBSCRIBABLE_CHOICES = [(e.value, e.label) for e in WebhookEvent if e != WebhookEvent.PING]


class WebhookSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active", read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=SUBSCRIBABLE_CHOICES), read_only=True)
    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "description", "active", "consecutive_failures", "disabled_at",
                  "disabled_reason", "last_delivery_at", "last_success_at", "created_by", "created_at", "updated_at"]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown once: verify X-InsightEngine-Signature with it.")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookWriteSerializer(serializers.Serializer):
    """`events` (a list) or seed 003's single `event`; `active` as in seed 003."""

    url = serializers.URLField(max_length=2000)
    events = serializers.ListField(child=serializers.ChoiceField(choices=SUBSCRIBABLE_CHOICES), required=False,
                                   min_length=1, max_length=len(SUBSCRIBABLE_CHOICES))
    event = serializers.CharField(required=False, write_only=True, help_text="Seed 003's single event (one of `events`' values).")
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)

    def validate(self, attrs: dict) -> dict:
        if "event" in attrs:
            event = attrs.pop("event")
            if event not in dict(SUBSCRIBABLE_CHOICES):
                raise serializers.ValidationError({"event": f'"{event}" is not a valid choice.'})
            attrs["events"] = sorted({*attrs.get("events", []), event})
        if not self.partial and not attrs.get("events"):
            raise serializers.ValidationError({"events": "Name at least one event."})
        if "active" in attrs:
            attrs["is_active"] = attrs.pop("active")
        return attrs


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event = serializers.CharField(read_only=True, help_text="A subscribable event, or `ping` for test deliveries.")
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)
    status_code = serializers.IntegerField(source="response_status_code", read_only=True, allow_null=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "event", "status", "status_code", "attempt", "duration_ms", "error", "response_snippet",
                  "is_test", "payload", "next_attempt_at", "delivered_at", "created_at"]
        read_only_fields = fields


# --- analytics, metrics, search -------------------------------------------------------------------

class DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    queries = serializers.IntegerField()
    failed = serializers.IntegerField()
    avg_execution_time_ms = serializers.FloatField(allow_null=True)


class TopTableSerializer(serializers.Serializer):
    table = serializers.CharField()
    queries = serializers.IntegerField()


class TopUserSerializer(serializers.Serializer):
    user_id = serializers.UUIDField()
    email = serializers.EmailField()
    name = serializers.CharField()
    queries = serializers.IntegerField()
    failed = serializers.IntegerField()


class QuerySummarySerializer(serializers.Serializer):
    total_queries = serializers.IntegerField()
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    questions = serializers.IntegerField(help_text="Runs that started as a plain-language question.")
    queries_today = serializers.IntegerField()
    queries_this_week = serializers.IntegerField(help_text="Since Monday 00:00 UTC.")
    avg_execution_time_ms = serializers.FloatField(allow_null=True, help_text="Completed runs.")
    success_rate = serializers.FloatField(help_text="completed / (completed + failed), 0–1.")
    error_rate = serializers.FloatField(help_text="failed / (completed + failed), 0–1.")


class QueryAnalyticsSerializer(QuerySummarySerializer):
    days = serializers.IntegerField()
    per_day = DaySerializer(many=True)
    top_tables = TopTableSerializer(many=True)
    top_users = TopUserSerializer(many=True)


class UserAnalyticsSerializer(QuerySummarySerializer):
    scope = serializers.CharField()
    workspace_id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    chat_sessions = serializers.IntegerField()
    saved_queries = serializers.IntegerField()
    last_query_at = serializers.DateTimeField(allow_null=True)
    per_day = DaySerializer(many=True)


class SystemMetricsSerializer(serializers.Serializer):
    scope = serializers.CharField()
    total_users = serializers.IntegerField()
    active_accounts = serializers.IntegerField(help_text="Users not deactivated.")
    new_users_7d = serializers.IntegerField()
    active_users_24h = serializers.IntegerField(help_text="Signed in, used a session or key, ran a query or left "
                                                          "an audit event in the last 24 hours.")
    total_workspaces = serializers.IntegerField()
    total_data_sources = serializers.IntegerField()
    total_projects = serializers.IntegerField()
    total_conversations = serializers.IntegerField()
    total_messages = serializers.IntegerField()
    total_documents = serializers.IntegerField()
    total_queries = serializers.IntegerField()
    queries_today = serializers.IntegerField()
    queries_this_week = serializers.IntegerField()
    avg_execution_time_ms = serializers.FloatField(allow_null=True)
    error_rate = serializers.FloatField()


SEARCH_TYPE_CHOICES = [("queries", "queries"), ("saved_queries", "saved_queries"), ("templates", "templates"),
                       ("tables", "tables"), ("sessions", "sessions"), ("documents", "documents")]
HIT_TYPE_CHOICES = [("query", "query"), ("saved_query", "saved_query"), ("template", "template"),
                    ("table", "table"), ("session", "session"), ("document", "document")]


class SearchRequestSerializer(serializers.Serializer):
    q = serializers.CharField(max_length=500, trim_whitespace=True)
    type = serializers.ListField(child=serializers.ChoiceField(choices=SEARCH_TYPE_CHOICES), required=False,
                                 allow_empty=False, max_length=len(SEARCH_TYPE_CHOICES),
                                 help_text="What to search; default everything. `queries` is your query history.")
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)

    def to_internal_value(self, data: dict) -> dict:
        # Seed 003 sends a list; a single string is accepted too.
        if hasattr(data, "get") and isinstance(data.get("type"), str):
            data = {**data, "type": [data["type"]]}
        return super().to_internal_value(data)


class SearchHitSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=HIT_TYPE_CHOICES)
    id = serializers.CharField()
    title = serializers.CharField()
    snippet = serializers.CharField()
    relevance = serializers.FloatField(help_text="0–1, higher is better.")
    extra = serializers.DictField()


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    count = serializers.IntegerField()
    results = SearchHitSerializer(many=True)
