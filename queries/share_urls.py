"""The public HTML page of a share link, at the site root (`/share/{token}`), outside the API."""
from django.urls import re_path

from . import library_views

urlpatterns = [
    re_path(r"^share/(?P<token>[A-Za-z0-9_\-]{1,100})/?$", library_views.share_page, name="share-page"),
]
