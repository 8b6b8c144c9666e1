from rest_framework import serializers

from .models import Job


class ErrorDetailSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. VALIDATION_ERROR.")
    message = serializers.CharField()
    details = ErrorDetailSerializer(many=True)


class ErrorEnvelopeSerializer(serializers.Serializer):
    """The shape of every error response."""

    error = ErrorBodySerializer()


class ComponentHealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "error"])
    latency_ms = serializers.FloatField()
    backend = serializers.CharField()
    message = serializers.CharField(required=False)


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "error"])
    version = serializers.CharField()
    failed = serializers.ListField(child=serializers.CharField())
    components = serializers.DictField(child=ComponentHealthSerializer())


class JobSerializer(serializers.ModelSerializer):
    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Job
        fields = [
            "id", "kind", "status", "progress", "message", "result", "error", "attempts",
            "created_by", "created_at", "updated_at", "started_at", "finished_at",
        ]
        read_only_fields = fields
