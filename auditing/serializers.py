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
