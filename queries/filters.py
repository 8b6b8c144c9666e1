import django_filters
from django.db.models import Q

from core.filters import IsoDateTimeFilter

from .models import QueryRun


class QueryRunFilter(django_filters.FilterSet):
    database_id = django_filters.UUIDFilter(field_name="data_source_id")
    status = django_filters.ChoiceFilter(choices=QueryRun.Status.choices)
    mode = django_filters.ChoiceFilter(choices=QueryRun.Mode.choices)
    date_from = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    date_to = IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    q = django_filters.CharFilter(method="search", label="Text in the SQL or the question")

    class Meta:
        model = QueryRun
        fields = ["database_id", "status", "mode", "date_from", "date_to"]

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Q(sql__icontains=value) | Q(question__icontains=value))
