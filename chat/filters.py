import django_filters
from django.db.models import QuerySet

from .models import ChatSession


class ChatSessionFilter(django_filters.FilterSet):
    project = django_filters.UUIDFilter(field_name="project_id")
    data_source = django_filters.UUIDFilter(field_name="data_source_id")
    shared = django_filters.BooleanFilter()
    q = django_filters.CharFilter(method="search", label="Text in the title")
    include_deleted = django_filters.BooleanFilter(method="keep", label="Also list your deleted (restorable) sessions")

    class Meta:
        model = ChatSession
        fields = ["project", "data_source", "shared"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(title__icontains=value)

    def keep(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset  # applied by the view's scope, which must see it before narrowing
