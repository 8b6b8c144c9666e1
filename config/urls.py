from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts import views as account_views
from auditing.views import AuditLogViewSet, InstallationAuditLogViewSet
from core.routers import Router
from core.views import HealthView, JobViewSet, api_not_found
from metadata.views import AccessPolicyViewSet, DataSourceViewSet
from queries.views import QueryRunViewSet
from teams import views as team_views

router = Router()
router.register("users", account_views.UserViewSet, basename="users")
router.register("admin/users", account_views.UserViewSet, basename="admin-users")
router.register("api-keys", account_views.ApiKeyViewSet, basename="api-keys")
router.register("workspaces", team_views.WorkspaceViewSet, basename="workspaces")
router.register("team/members", team_views.TeamMemberViewSet, basename="team-members")
router.register("team/invitations", team_views.InvitationViewSet, basename="team-invitations")
router.register("audit-logs", AuditLogViewSet, basename="audit-logs")
router.register("admin/audit-logs", InstallationAuditLogViewSet, basename="admin-audit-logs")
router.register("jobs", JobViewSet, basename="jobs")
router.register("databases", DataSourceViewSet, basename="databases")
router.register("access-policies", AccessPolicyViewSet, basename="access-policies")
router.register("queries", QueryRunViewSet, basename="queries")

api_v1 = [
    re_path(r"^auth/register/?$", account_views.RegisterView.as_view(), name="auth-register"),
    re_path(r"^auth/login/?$", account_views.LoginView.as_view(), name="auth-login"),
    re_path(r"^auth/refresh/?$", account_views.RefreshView.as_view(), name="auth-refresh"),
    re_path(r"^auth/logout/?$", account_views.LogoutView.as_view(), name="auth-logout"),
    re_path(r"^auth/me/?$", account_views.MeView.as_view(), name="auth-me"),
    re_path(r"^auth/password/?$", account_views.PasswordChangeView.as_view(), name="auth-password"),
    re_path(r"^auth/stats/?$", account_views.StatsView.as_view(), name="auth-stats"),
    re_path(r"^settings/?$", account_views.SettingsView.as_view(), name="settings"),
    re_path(r"^settings/security/?$", account_views.SecuritySettingsView.as_view(), name="settings-security"),
    re_path(r"^team/invitations/accept/?$", team_views.AcceptInvitationView.as_view(), name="invitation-accept"),
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    re_path(r"^permissions/(?P<resource_id>[^/]+)/?$", team_views.PermissionsView.as_view(), name="permissions"),
    re_path(r"^permissions/(?P<resource_id>[^/]+)/(?P<user_id>[^/]+)/?$", team_views.PermissionMemberView.as_view(),
            name="permissions-member"),
    path("", include("metadata.urls")),
    path("", include("queries.urls")),
    path("", include("queries.export_urls")),
    path("", include("assistant.urls")),
    path("", include("chat.urls")),
    path("", include("knowledge.urls")),
    path("", include("auditing.urls")),
    path("", include(router.urls)),
]

urlpatterns = [
    path("", TemplateView.as_view(template_name="index.html"), name="home"),
    path("console/", include("console.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/", include(api_v1)),
    path("", include("queries.share_urls")),
    # Anything else under /api/ is a 404 in the error envelope, in DEBUG too.
    re_path(r"^api/", api_not_found),
]


def _bad_request(request, exception=None):  # type: ignore[no-untyped-def]
    """Django-level 400s (a disallowed Host header, a malformed multipart body)."""
    from django.http import HttpResponseBadRequest

    from core.exceptions import json_error
    from core.middleware import is_api_path

    if is_api_path(request.path):
        return json_error("BAD_REQUEST", "The request was malformed.", 400)
    return HttpResponseBadRequest("Bad request")


handler400 = _bad_request
