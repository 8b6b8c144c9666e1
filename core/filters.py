"""Filters shared by the apps' filter sets."""
from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, turned into UTC.

    Python accepts UTC offsets up to ±23:59 and PostgreSQL only up to ±15:59, so a filter value such
    as `2024-01-01T00:00:00-18:00` must not reach the database as written.
    """

    def to_python(self, value: Any) -> Any:
        result = super().to_python(value)
        if result is None or result.tzinfo is None:
            return result
        try:
            return result.astimezone(datetime.UTC)
        except OverflowError:  # e.g. 9999-12-31T23:00:00-18:00 is past the last representable moment
            raise forms.ValidationError("Enter a date and time within years 1 to 9999.", code="invalid") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField
