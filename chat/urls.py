from django.urls import include, path

from core.routers import Router

router = Router()

urlpatterns = [
    path("", include(router.urls)),
]
