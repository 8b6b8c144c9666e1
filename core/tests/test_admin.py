"""Operators: every model is in Django admin, its list page loads with search and filters."""
import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_model_changelist_loads_with_search(client, system_admin, user):
    from core import services

    services.job_create(workspace=user.memberships.get().workspace, user=user, kind="export")
    client.force_login(system_admin)
    ours = {"core", "accounts", "teams", "auditing", "metadata", "queries", "assistant", "chat", "knowledge"}
    from django.apps import apps

    missing = [m._meta.label for m in apps.get_models() if m._meta.app_label in ours and m not in admin.site._registry]
    assert missing == [], f"not in Django admin: {missing}"
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


def test_admin_actions_deactivate_users_resync_sources_and_rerun_failed_jobs(
        client, system_admin, make_user, user, sqlite_file, django_capture_on_commit_callbacks):
    from accounts.models import AuthSession
    from auditing.models import AuditEvent
    from core.models import Job
    from metadata.models import DataSource

    client.force_login(system_admin)
    victim = make_user()
    AuthSession.objects.create(user=victim)
    response = client.post(reverse("admin:accounts_user_changelist"),
                           {"action": "deactivate", "_selected_action": [str(victim.pk)]})
    assert response.status_code == 302
    victim.refresh_from_db()
    assert victim.is_active is False
    assert not AuthSession.objects.filter(user=victim, revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="user.deactivated", resource_id=str(victim.pk)).exists()

    workspace = user.memberships.get().workspace
    ds = DataSource.objects.create(workspace=workspace, name="Shop", engine="sqlite", database="shop.sqlite3")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:metadata_datasource_changelist"),
                    {"action": "resync", "_selected_action": [str(ds.pk)]})
    sync = Job.objects.get(kind="schema_sync", params__data_source_id=str(ds.pk))
    assert sync.status == Job.Status.SUCCEEDED and sync.created_by == system_admin
    assert DataSource.objects.get(pk=ds.pk).last_synced_at is not None

    Job.objects.filter(pk=sync.pk).update(status=Job.Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:core_job_changelist"),
                               {"action": "rerun_failed", "_selected_action": [str(sync.pk)]}, follow=True)
    assert "Re-ran 1 job(s)." in response.content.decode()
    assert Job.objects.filter(kind="schema_sync", status=Job.Status.SUCCEEDED).exclude(pk=sync.pk).count() == 1
