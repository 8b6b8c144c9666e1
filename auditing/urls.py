"""Routes of the auditing app, included under /api/v1/ by config/urls.py.

(`audit-logs` and `admin/audit-logs` stay registered on the project router.)"""
from django.urls import include, path, re_path

from core.routers import Router

from . import views

router = Router()
router.register("webhooks", views.WebhookViewSet, basename="webhooks")

urlpatterns = [
    re_path(r"^analytics/?$", views.AnalyticsView.as_view(), name="analytics"),
    re_path(r"^analytics/queries/?$", views.QueryAnalyticsView.as_view(), name="analytics-queries"),
    re_path(r"^admin/metrics/?$", views.SystemMetricsView.as_view(), name="admin-metrics"),
    re_path(r"^search/?$", views.SearchView.as_view(), name="search"),
    path("", include(router.urls)),
]
