from django.urls import include, path, re_path

from core.routers import Router

from . import views

router = Router()
router.register("documents", views.DocumentViewSet, basename="documents")

urlpatterns = [
    re_path(r"^upload/?$", views.UploadView.as_view(), name="upload"),
    path("", include(router.urls)),
]
