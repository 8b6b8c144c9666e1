import django_filters

from core.filters import IsoDateTimeFilter

from .models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    """Seed 003's filters: user_id, action, resource_type, date_from, date_to (+ resource_id, q)."""

    user_id = django_filters.UUIDFilter(field_name="actor_id")
    action = django_filters.CharFilter(field_name="action")
    resource_type = django_filters.CharFilter(field_name="resource_type")
    resource_id = django_filters.CharFilter(field_name="resource_id")
    date_from = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    date_to = IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    q = django_filters.CharFilter(method="search", label="Search action, actor email or resource id")

    class Meta:
        model = AuditEvent
        fields = ["user_id", "action", "resource_type", "resource_id", "date_from", "date_to"]

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        from django.db.models import Q

        return queryset.filter(Q(action__icontains=value) | Q(actor_email__icontains=value) | Q(resource_id=value))
