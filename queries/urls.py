from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^queries/validate/?$", views.ValidateView.as_view(), name="queries-validate"),
    re_path(r"^queries/execute/?$", views.ExecuteView.as_view(), name="queries-execute"),
    re_path(r"^query/?$", views.QueryAliasView.as_view(), name="query"),
    re_path(r"^queries/suggestions/?$", views.SuggestionsView.as_view(), name="queries-suggestions"),
    re_path(r"^queries/cancel/(?P<query_id>[^/]+)/?$", views.CancelView.as_view(), name="queries-cancel"),
    re_path(r"^admin/cache/?$", views.CacheView.as_view(), name="admin-cache"),
    re_path(r"^admin/cache/stats/?$", views.CacheStatsView.as_view(), name="admin-cache-stats"),
]
