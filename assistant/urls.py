from django.urls import include, path

from core.routers import Router

from . import views

router = Router()
router.register("ai-providers", views.AIProviderViewSet, basename="ai-providers")
router.register("system-prompts", views.SystemPromptViewSet, basename="system-prompts")
router.register("user-prompts", views.UserPromptViewSet, basename="user-prompts")
# Seed 001 spellings: the same views, left out of the OpenAPI document.
router.register("system_prompts", views.SystemPromptAliasViewSet, basename="system-prompts-alias")
router.register("user_prompts", views.UserPromptAliasViewSet, basename="user-prompts-alias")

urlpatterns = [
    path("", include(router.urls)),
]
