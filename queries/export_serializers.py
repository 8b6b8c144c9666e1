"""Input and output shapes of query exports."""
from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.serializers import JobSerializer

from .exports import FORMATS


class ExportRequestSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=list(FORMATS), default="csv",
                                     help_text="csv, xlsx (Excel), json (an array of objects) or parquet.")
    include_headers = serializers.BooleanField(
        default=True, help_text="CSV/Excel: a first row of column names. JSON: objects (true) or arrays (false). "
                                "Parquet always names its columns.")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        # `async` is a Python keyword, so it cannot be declared as a class attribute.
        fields["async"] = serializers.BooleanField(
            required=False, default=False,
            help_text="Write the file in the background whatever its size; the response is the job.")
        return fields


class ExportResultSerializer(serializers.Serializer):
    """What a finished export job holds in `result`."""

    download_url = serializers.CharField()
    filename = serializers.CharField()
    format = serializers.ChoiceField(choices=list(FORMATS))
    content_type = serializers.CharField()
    rows = serializers.IntegerField()
    bytes = serializers.IntegerField()
    truncated = serializers.BooleanField(help_text="True when the export stopped at EXPORT_MAX_ROWS.")
    expires_at = serializers.DateTimeField()
    query_id = serializers.UUIDField()


class ExportQueuedSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    status = serializers.CharField()
    estimated_rows = serializers.IntegerField(allow_null=True)
    job = JobSerializer(help_text="Poll GET /jobs/{job_id} (or listen on ws/notifications/); when it has "
                                  "succeeded, `result` is an ExportResult with the download link.")
