from django.urls import include, path, re_path

from core.routers import Router

from . import library_views, views

library = Router()
library.register("saved-queries", library_views.SavedQueryViewSet, basename="saved-queries")
library.register("templates", library_views.TemplateViewSet, basename="templates")
library.register("share-links", library_views.ShareLinkViewSet, basename="share-links")
library.register("schedules", library_views.ScheduleViewSet, basename="schedules")

urlpatterns = [
    re_path(r"^queries/validate/?$", views.ValidateView.as_view(), name="queries-validate"),
    re_path(r"^queries/execute/?$", views.ExecuteView.as_view(), name="queries-execute"),
    re_path(r"^query/?$", views.QueryAliasView.as_view(), name="query"),
    re_path(r"^queries/suggestions/?$", views.SuggestionsView.as_view(), name="queries-suggestions"),
    re_path(r"^queries/cancel/(?P<query_id>[^/]+)/?$", views.CancelView.as_view(), name="queries-cancel"),
    re_path(r"^queries/(?P<query_id>[^/]+)/share-link/?$", library_views.QueryShareLinkView.as_view(),
            name="queries-share-link"),
    re_path(r"^share/(?P<token>[A-Za-z0-9_\-]{1,100})/?$", library_views.PublicShareView.as_view(), name="share-open"),
    re_path(r"^admin/cache/?$", views.CacheView.as_view(), name="admin-cache"),
    re_path(r"^admin/cache/stats/?$", views.CacheStatsView.as_view(), name="admin-cache-stats"),
    path("", include(library.urls)),
]

