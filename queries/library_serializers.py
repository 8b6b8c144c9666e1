"""Input and output shapes of saved queries, templates, share links and schedules."""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Permission, QueryTemplate, SavedQuery, Schedule, ScheduleRun, ShareLink


class ParameterSerializer(serializers.Serializer):
    name = serializers.RegexField(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
    type = serializers.ChoiceField(choices=["date", "number", "text", "choice"], default="text")
    default = serializers.JSONField(required=False, allow_null=True)
    options = serializers.ListField(child=serializers.JSONField(), required=False)
    label = serializers.CharField(required=False, max_length=120)


class UserRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    name = serializers.CharField()


# --- saved queries ---------------------------------------------------------------------------------------------

class SavedQueryWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    sql = serializers.CharField(required=False, allow_blank=True, max_length=100_000, trim_whitespace=False)
    question = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=20)
    database_id = serializers.UUIDField(required=False, allow_null=True,
                                        help_text="Defaults to the workspace's default data source.")
    parameters = ParameterSerializer(many=True, required=False,
                                     help_text="Typed {{name}} parameters: date, number, text, choice (with options).")

    def to_internal_value(self, data: Any) -> Any:
        values = super().to_internal_value(data)
        if "parameters" in values and isinstance(data, dict):
            values["parameters"] = data.get("parameters")  # the service validates types and defaults exactly
        return values


class ShareEntrySerializer(serializers.Serializer):
    user_id = serializers.UUIDField()
    email = serializers.EmailField()
    permission = serializers.ChoiceField(choices=Permission.choices)


class SavedQuerySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField()
    sql = serializers.CharField()
    question = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    parameters = ParameterSerializer(many=True)
    database_id = serializers.UUIDField(source="data_source_id", allow_null=True)
    database_name = serializers.SerializerMethodField()
    template_id = serializers.UUIDField(allow_null=True)
    created_by = serializers.UUIDField(source="owner_id")
    owner = serializers.SerializerMethodField()
    permission = serializers.SerializerMethodField(help_text="Your right: owner, write or read.")
    shared_with = serializers.SerializerMethodField(help_text="Owner only: whom it is shared with.")
    run_count = serializers.IntegerField()
    last_run_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_database_name(self, saved: SavedQuery) -> str | None:
        return saved.data_source.name if saved.data_source_id else None

    @extend_schema_field(UserRefSerializer)
    def get_owner(self, saved: SavedQuery) -> dict[str, Any]:
        return {"id": saved.owner_id, "email": saved.owner.email, "name": saved.owner.name}

    @extend_schema_field(serializers.CharField(help_text="owner, write or read"))
    def get_permission(self, saved: SavedQuery) -> str | None:
        from .library import permission_of

        return permission_of(saved, self.context["request"].user)

    @extend_schema_field(ShareEntrySerializer(many=True))
    def get_shared_with(self, saved: SavedQuery) -> list[dict[str, Any]]:
        if saved.owner_id != self.context["request"].user.pk:
            return []
        return [{"user_id": s.user_id, "email": s.user.email, "permission": s.permission} for s in saved.shares.all()]


class RunSavedQuerySerializer(serializers.Serializer):
    parameters = serializers.DictField(child=serializers.JSONField(allow_null=True), required=False,
                                       help_text="{name: value}; missing ones take their defaults.")
    limit = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["async"] = serializers.BooleanField(required=False, default=False)
        return fields


class ShareSavedQuerySerializer(serializers.Serializer):
    user_ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=100)
    permission = serializers.ChoiceField(choices=Permission.choices, default=Permission.READ)


class SharesSerializer(serializers.Serializer):
    shared_with = ShareEntrySerializer(many=True)


# --- templates -------------------------------------------------------------------------------------------------

class TemplateWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    sql = serializers.CharField(required=False, allow_blank=True, max_length=100_000, trim_whitespace=False)
    question = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    category = serializers.CharField(max_length=40)
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=20)
    parameters = ParameterSerializer(many=True, required=False)

    def to_internal_value(self, data: Any) -> Any:
        values = super().to_internal_value(data)
        if "parameters" in values and isinstance(data, dict):
            values["parameters"] = data.get("parameters")
        return values


class TemplateSerializer(serializers.ModelSerializer):
    parameters = ParameterSerializer(many=True)
    tags = serializers.ListField(child=serializers.CharField())
    workspace_id = serializers.UUIDField(allow_null=True, help_text="null for a built-in template.")

    class Meta:
        model = QueryTemplate
        fields = ["id", "slug", "title", "description", "sql", "question", "category", "tags", "parameters",
                  "is_builtin", "workspace_id", "created_at", "updated_at"]


class CloneTemplateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=200)
    database_id = serializers.UUIDField(required=False, allow_null=True)


# --- share links -----------------------------------------------------------------------------------------------

class ShareLinkRequestSerializer(serializers.Serializer):
    expiration_days = serializers.IntegerField(min_value=1, max_value=365, default=7)
    password = serializers.CharField(required=False, allow_blank=True, min_length=4, max_length=128,
                                     trim_whitespace=False)


class SavedQueryShareLinkRequestSerializer(ShareLinkRequestSerializer):
    parameters = serializers.DictField(child=serializers.JSONField(allow_null=True), required=False)


class ShareLinkSerializer(serializers.ModelSerializer):
    query_id = serializers.UUIDField(source="query_run_id", allow_null=True)
    saved_query_id = serializers.UUIDField(allow_null=True)
    has_password = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    created_by = serializers.UUIDField(source="created_by_id", allow_null=True)

    class Meta:
        model = ShareLink
        fields = ["id", "title", "query_id", "saved_query_id", "created_by", "has_password", "status", "expires_at",
                  "revoked_at", "access_count", "last_accessed_at", "created_at"]

    def get_has_password(self, link: ShareLink) -> bool:
        return bool(link.password_hash)

    @extend_schema_field(serializers.CharField(help_text="active, expired or revoked"))
    def get_status(self, link: ShareLink) -> str:
        from django.utils import timezone

        if link.revoked_at:
            return "revoked"
        if link.expires_at and link.expires_at <= timezone.now():
            return "expired"
        return "active"


class ShareLinkCreatedSerializer(ShareLinkSerializer):
    url = serializers.URLField(help_text="Shown once: the token is not stored.")
    token = serializers.CharField(help_text="Shown once: only its hash is stored.")

    class Meta(ShareLinkSerializer.Meta):
        fields = ["url", "token", *ShareLinkSerializer.Meta.fields]


class SnapshotSerializer(serializers.Serializer):
    title = serializers.CharField()
    question = serializers.CharField(allow_blank=True)
    sql = serializers.CharField()
    mode = serializers.CharField()
    database_name = serializers.CharField(allow_blank=True)
    columns = serializers.JSONField()
    rows = serializers.JSONField()
    rows_returned = serializers.IntegerField(allow_null=True)
    truncated = serializers.BooleanField()
    masked_columns = serializers.JSONField()
    chart = serializers.JSONField(allow_null=True)
    ran_at = serializers.DateTimeField(allow_null=True)
    execution_time_ms = serializers.FloatField(allow_null=True)


class PublicShareSerializer(serializers.Serializer):
    title = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    snapshot = SnapshotSerializer()


class SharePasswordSerializer(serializers.Serializer):
    password = serializers.CharField(required=False, allow_blank=True, max_length=128, trim_whitespace=False)


# --- schedules -------------------------------------------------------------------------------------------------

class ScheduleWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    saved_query_id = serializers.UUIDField(required=False, allow_null=True)
    query_id = serializers.UUIDField(required=False, allow_null=True, help_text="Seed 003's name for saved_query_id.")
    parameters = serializers.DictField(child=serializers.JSONField(allow_null=True), required=False)
    question = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    database_id = serializers.UUIDField(required=False, allow_null=True)
    frequency = serializers.ChoiceField(choices=Schedule.Frequency.choices)
    time = serializers.TimeField(required=False, allow_null=True, help_text="Local time HH:MM.")
    day_of_week = serializers.JSONField(required=False, allow_null=True,
                                        help_text="monday … sunday, or 0 (Monday) … 6 (Sunday).")
    day_of_month = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=31)
    cron = serializers.CharField(required=False, allow_blank=True, max_length=120)
    timezone = serializers.CharField(required=False, max_length=64, help_text="IANA name, e.g. Europe/Berlin.")
    notify_emails = serializers.ListField(child=serializers.EmailField(), required=False, max_length=20)
    format = serializers.RegexField(r"^(csv|json)$", required=False, help_text="csv or json (the attachment).")
    webhook_url = serializers.CharField(required=False, allow_blank=True, max_length=500)
    is_active = serializers.BooleanField(required=False)
    active = serializers.BooleanField(required=False, help_text="Synonym of is_active.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "query_id" in attrs:
            attrs.setdefault("saved_query_id", attrs.pop("query_id"))
        if "active" in attrs:
            attrs.setdefault("is_active", attrs.pop("active"))
        if self.partial is False and not attrs.get("name"):
            attrs["name"] = "Scheduled query"
        return attrs


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}:\d{2}(\.\d{1,6})?$", "example": "08:00:00"})
class LocalTimeField(serializers.TimeField):
    """A time of day without a UTC offset, as stored ("08:00:00"); OpenAPI's `format: time` means
    an RFC 3339 time, which requires one."""


class ScheduleSerializer(serializers.ModelSerializer):
    format = serializers.CharField(help_text="csv or json")
    time = LocalTimeField(allow_null=True, help_text="Local time of day (hourly: only the minute counts).")
    saved_query_id = serializers.UUIDField(allow_null=True)
    database_id = serializers.UUIDField(source="data_source_id", allow_null=True)
    owner_id = serializers.UUIDField()
    day_of_week = serializers.SerializerMethodField()
    next_run_at = serializers.SerializerMethodField()

    class Meta:
        model = Schedule
        fields = ["id", "name", "saved_query_id", "parameters", "question", "database_id", "frequency", "time",
                  "day_of_week", "day_of_month", "cron", "timezone", "notify_emails", "format", "webhook_url",
                  "is_active", "owner_id", "last_run_at", "next_run_at", "created_at", "updated_at"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_day_of_week(self, schedule: Schedule) -> str | None:
        from .schedules import DAYS

        return DAYS[schedule.day_of_week] if schedule.day_of_week is not None else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_run_at(self, schedule: Schedule) -> Any:
        if not schedule.is_active:
            return None
        from .schedules import next_run

        return next_run(schedule)


class ScheduleRunSerializer(serializers.ModelSerializer):
    status = serializers.CharField(help_text="running, succeeded or failed")
    query_id = serializers.UUIDField(source="query_run_id", allow_null=True)
    rows_returned = serializers.SerializerMethodField()

    class Meta:
        model = ScheduleRun
        fields = ["id", "period_start", "status", "query_id", "rows_returned", "error", "emailed_to",
                  "webhook_status", "manual", "created_at", "finished_at"]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_rows_returned(self, schedule_run: ScheduleRun) -> int | None:
        return schedule_run.query_run.rows_returned if schedule_run.query_run_id else None
