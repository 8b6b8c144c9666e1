import django_filters
from django.db.models import Q

from .models import Document


class DocumentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Document.Status.choices)
    content_type = django_filters.CharFilter()
    uploaded_by = django_filters.UUIDFilter(field_name="uploaded_by_id")
    search = django_filters.CharFilter(method="search_text", label="Text in the document name")
    q = django_filters.CharFilter(method="search_text", label="Same as search")

    class Meta:
        model = Document
        fields = ["status", "content_type", "uploaded_by"]

    def search_text(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Q(name__icontains=value) | Q(sha256=value.lower()))
