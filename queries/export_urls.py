"""Routes of query exports (kept apart from queries/urls.py while both grow)."""
urlpatterns: list = []
