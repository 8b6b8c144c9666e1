"""Operators: every model is in Django admin, its list page loads with search and filters."""
import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_model_changelist_loads_with_search(client, system_admin, user):
    from core import services

    services.job_create(workspace=user.memberships.get().workspace, user=user, kind="export")
    client.force_login(system_admin)
    ours = {"core", "accounts", "teams", "auditing"}
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ours:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
        if model_admin.search_fields:
            assert client.get(url, {"q": "example"}).status_code == 200, url
        checked += 1
    assert checked >= 10


def test_a_plain_user_cannot_enter_admin(client, user):
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_login_with_email_and_password(client, system_admin, password):
    response = client.post("/admin/login/", {"username": system_admin.email, "password": password})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
