"""Routes of query exports (kept apart from queries/urls.py while both grow)."""
from django.urls import re_path

from . import export_views

urlpatterns = [
    re_path(r"^queries/(?P<query_id>[^/]+)/export/?$", export_views.QueryExportView.as_view(), name="queries-export"),
    re_path(r"^exports/(?P<job_id>[^/]+)/download/?$", export_views.ExportDownloadView.as_view(),
            name="exports-download"),
]
