from django.urls import include, path, re_path

from core.routers import Router

from . import views

router = Router()
router.register("projects", views.ProjectViewSet, basename="projects")
router.register("chat/sessions", views.ChatSessionViewSet, basename="chat-sessions")
# Seed 001 and seed 002 spellings: the same views, left out of the OpenAPI document.
router.register("chat_sessions", views.ChatSessionAliasViewSet, basename="chat-sessions-alias")
router.register("conversations", views.ConversationAliasViewSet, basename="conversations-alias")

urlpatterns = [
    re_path(r"^session_id/?$", views.SessionIdView.as_view(), name="session-id"),
    re_path(r"^chat/stream-query/?$", views.StreamQueryView.as_view(), name="chat-stream-query"),
    re_path(r"^chat/stream-session/(?P<session_id>[^/]+)/?$", views.StreamSessionView.as_view(),
            name="chat-stream-session"),
    re_path(r"^metrics/?$", views.MetricsView.as_view(), name="metrics"),
    re_path(r"^metrics/sessions/(?P<session_id>[^/]+)/?$", views.SessionMetricsView.as_view(),
            name="metrics-session"),
    path("", include(router.urls)),
]
