from django.urls import path
from django.views.generic import RedirectView

from . import views
from .security import csp

app_name = "console"

page = views.console_page

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:chat", permanent=False), name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("signup/", views.signup_view, name="signup"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password-reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("workspace/", views.switch_workspace, name="switch_workspace"),
    path("token/", views.token_view, name="token"),
    path("chat/", page("console/chat_list.html", title="Chat"), name="chat"),
    path("chat/<uuid:session_id>/", page("console/chat_session.html", title="Conversation"), name="chat_session"),
    path("editor/", page("console/editor.html", title="SQL editor"), name="editor"),
    path("sources/", page("console/sources.html", title="Data sources"), name="sources"),
    path("sources/<uuid:source_id>/dictionary/", page("console/dictionary.html", title="Data dictionary"),
         name="dictionary"),
    path("documents/", page("console/documents.html", title="Documents"), name="documents"),
    path("saved/", page("console/saved_queries.html", title="Saved queries"), name="saved_queries"),
    path("templates/", page("console/templates.html", title="Query templates"), name="templates"),
    path("schedules/", page("console/schedules.html", title="Schedules"), name="schedules"),
    path("admin/webhooks/", page("console/admin_webhooks.html", admin_only=True, title="Webhooks",
                                 extra=views.webhook_event_choices), name="admin_webhooks"),
    path("admin/analytics/", page("console/admin_analytics.html", admin_only=True, title="Usage analytics"),
         name="admin_analytics"),
    path("admin/members/", page("console/admin_members.html", admin_only=True, title="Members"),
         name="admin_members"),
    path("admin/ai-providers/", page("console/admin_ai_providers.html", admin_only=True, title="AI providers"),
         name="admin_ai_providers"),
    path("admin/api-keys/", page("console/admin_api_keys.html", title="API keys"), name="admin_api_keys"),
    path("admin/audit-log/", page("console/admin_audit.html", admin_only=True, title="Audit log"),
         name="admin_audit"),
]

# Every console response carries the strict Content-Security-Policy.
for pattern in urlpatterns:
    pattern.callback = csp(pattern.callback)  # type: ignore[attr-defined]
