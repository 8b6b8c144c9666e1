from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^schema/?$", views.DefaultSchemaView.as_view(), name="schema"),
    re_path(r"^metadata/tables/?$", views.TableListView.as_view(), name="metadata-tables"),
    re_path(r"^metadata/tables/(?P<table_name>[^/]+)/?$", views.TableDetailView.as_view(), name="metadata-table"),
    re_path(r"^metadata/columns/(?P<table_name>[^/]+)/(?P<column_name>[^/]+)/?$", views.ColumnDetailView.as_view(),
            name="metadata-column"),
    re_path(r"^metadata/versions/?$", views.VersionListView.as_view(), name="metadata-versions"),
    re_path(r"^metadata/versions/(?P<version_id>[^/]+)/restore/?$", views.VersionRestoreView.as_view(),
            name="metadata-version-restore"),
    re_path(r"^metadata/auto-guess/?$", views.AutoGuessView.as_view(), name="metadata-auto-guess"),
    re_path(r"^metadata/auto-guess/(?P<job_id>[^/]+)/?$", views.AutoGuessResultView.as_view(),
            name="metadata-auto-guess-result"),
    re_path(r"^metadata/auto-guess/(?P<job_id>[^/]+)/apply/?$", views.AutoGuessApplyView.as_view(),
            name="metadata-auto-guess-apply"),
    re_path(r"^metadata/auto-guess/(?P<job_id>[^/]+)/reject/?$", views.AutoGuessRejectView.as_view(),
            name="metadata-auto-guess-reject"),
]
