"""Share links: snapshot as JSON and HTML without an account, hashed tokens, passwords, lock-out, expiry,
revocation, audit, tenant isolation."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.urls import include, path
from django.utils import timezone
from rest_framework.test import APIClient

from auditing.models import AuditEvent
from conftest import assert_error
from metadata.tests.fixtures import register, share_files, sync
from queries.models import ShareLink
from teams.tests.factories import make_workspace

pytestmark = pytest.mark.django_db

# config/urls.py plus the root /share/ page, as the lead adds it.
urlpatterns = [path("", include("queries.share_urls")), path("", include("config.urls"))]


@pytest.fixture
def team(user, make_user, client_for, sqlite_file, files_dir, django_capture_on_commit_callbacks):
    analyst = make_user()
    workspace = make_workspace(user, members={analyst: "analyst"})
    share_files(files_dir, workspace)
    owner = client_for(user, workspace)
    ds = register(owner, engine="sqlite", database="shop.sqlite3")
    sync(owner, ds["id"], django_capture_on_commit_callbacks)
    owner.put("/api/v1/metadata/columns/customers/email", {"tags": ["PII"]}, format="json")
    return {"owner": owner, "analyst": client_for(analyst, workspace), "ds": ds, "workspace": workspace}


def run(client, sql="SELECT customer_id, email FROM customers ORDER BY customer_id"):
    response = client.post("/api/v1/queries/execute", {"input": sql}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def make_link(client, query_id, **data):
    response = client.post(f"/api/v1/queries/{query_id}/share-link", data, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_link_shows_the_masked_snapshot_without_an_account_and_stores_only_a_hash(team):
    result = run(team["analyst"])
    link = make_link(team["analyst"], result["query_id"], expiration_days=3)
    assert link["url"].endswith(f"/share/{link['token']}") and len(link["token"]) >= 40
    assert link["status"] == "active" and link["has_password"] is False
    stored = ShareLink.objects.get(pk=link["id"])
    assert stored.token_hash == hashlib.sha256(link["token"].encode()).hexdigest()
    assert link["token"] not in str(ShareLink.objects.filter(pk=link["id"]).values().first())
    assert timedelta(days=2, hours=23) < stored.expires_at - timezone.now() <= timedelta(days=3)
    body = APIClient().get(f"/api/v1/share/{link['token']}").json()
    snapshot = body["snapshot"]
    assert snapshot["sql"] == result["sql"] and snapshot["columns"] == result["columns"]
    assert snapshot["rows"] == result["results"] and snapshot["rows"][0][1] != "ana@example.com"  # masked
    assert AuditEvent.objects.filter(action="share_link.accessed", resource_id=link["id"], actor_id=None).exists()
    assert ShareLink.objects.get(pk=link["id"]).access_count == 1
    # a snapshot: later changes to the data do not show
    assert APIClient().get(f"/api/v1/share/{link['token']}").json()["snapshot"] == snapshot


def test_password_header_body_wrong_and_lockout(team):
    result = run(team["analyst"])
    link = make_link(team["analyst"], result["query_id"], password="s3cret-pass")
    assert not ShareLink.objects.get(pk=link["id"]).password_hash.startswith("s3cret")
    anonymous = APIClient()
    url = f"/api/v1/share/{link['token']}"
    assert_error(anonymous.get(url), 401, "PASSWORD_REQUIRED")
    assert anonymous.get(url, HTTP_X_SHARE_PASSWORD="s3cret-pass").status_code == 200
    assert anonymous.post(url, {"password": "s3cret-pass"}, format="json").status_code == 200
    for _ in range(4):
        assert_error(anonymous.get(url, HTTP_X_SHARE_PASSWORD="guess"), 401, "INVALID_PASSWORD")
    locked = anonymous.post(url, {"password": "guess"}, format="json")
    assert_error(locked, 429, "SHARE_LINK_LOCKED")
    assert 800 < int(locked["Retry-After"]) <= 900
    # locked even for the right password, until the lock expires
    assert_error(anonymous.get(url, HTTP_X_SHARE_PASSWORD="s3cret-pass"), 429, "SHARE_LINK_LOCKED")
    ShareLink.objects.filter(pk=link["id"]).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert anonymous.get(url, HTTP_X_SHARE_PASSWORD="s3cret-pass").status_code == 200
    assert AuditEvent.objects.filter(action="share_link.denied", resource_id=link["id"]).count() >= 5


def test_expired_revoked_and_unknown(team):
    result = run(team["analyst"])
    expired = make_link(team["analyst"], result["query_id"])
    ShareLink.objects.filter(pk=expired["id"]).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert_error(APIClient().get(f"/api/v1/share/{expired['token']}"), 410, "SHARE_LINK_EXPIRED")
    revoked = make_link(team["analyst"], result["query_id"])
    assert team["analyst"].delete(f"/api/v1/share-links/{revoked['id']}").status_code == 204
    assert_error(APIClient().get(f"/api/v1/share/{revoked['token']}"), 410, "SHARE_LINK_REVOKED")
    assert_error(APIClient().get("/api/v1/share/" + "x" * 43), 404, "SHARE_LINK_NOT_FOUND")
    assert_error(APIClient().get("/api/v1/share/short"), 404)
    listed = team["analyst"].get("/api/v1/share-links").json()["results"]
    assert {item["status"] for item in listed} == {"expired", "revoked"}


def test_options_are_validated(team):
    result = run(team["analyst"])
    url = f"/api/v1/queries/{result['query_id']}/share-link"
    for bad in ({"expiration_days": 0}, {"expiration_days": 1000}, {"expiration_days": "soon"}, {"password": "ab"}):
        assert_error(team["analyst"].post(url, bad, format="json"), 400)
    failed = team["analyst"].post("/api/v1/queries/execute", {"input": "SELECT nope FROM customers"}, format="json")
    assert failed.status_code == 422


def test_only_your_own_runs_and_links_and_other_tenants_get_404(team, make_user, client_for):
    result = run(team["analyst"])
    assert_error(team["owner"].post(f"/api/v1/queries/{result['query_id']}/share-link", {}, format="json"), 404)
    link = make_link(team["analyst"], result["query_id"])
    stranger = client_for(make_user())
    assert_error(stranger.post(f"/api/v1/queries/{result['query_id']}/share-link", {}, format="json"), 404)
    assert_error(stranger.delete(f"/api/v1/share-links/{link['id']}"), 404)
    assert_error(stranger.get(f"/api/v1/share-links/{link['id']}"), 404)
    assert stranger.get("/api/v1/share-links").json()["count"] == 0
    # the workspace admin can see and revoke members' links
    assert team["owner"].get(f"/api/v1/share-links/{link['id']}").status_code == 200
    assert team["owner"].delete(f"/api/v1/share-links/{link['id']}").status_code == 204


def test_saved_query_share_link_runs_and_snapshots(team):
    saved = team["analyst"].post("/api/v1/saved-queries", {
        "title": "Country", "sql": "SELECT customer_id FROM customers WHERE country = {{c}} ORDER BY customer_id",
        "parameters": [{"name": "c", "type": "text", "default": "Germany"}]}, format="json").json()
    link = team["analyst"].post(f"/api/v1/saved-queries/{saved['id']}/share-link",
                                {"parameters": {"c": "France"}, "expiration_days": 1}, format="json")
    assert link.status_code == 201, link.content
    body = APIClient().get(f"/api/v1/share/{link.json()['token']}").json()
    assert body["title"] == "Country" and body["snapshot"]["rows"] == [[2]]


@pytest.mark.urls("queries.tests.test_share_links")
def test_html_page_renders_the_snapshot_and_a_password_form(team):
    result = run(team["analyst"], "SELECT country, count(*) AS n FROM customers GROUP BY country ORDER BY country")
    open_link = make_link(team["analyst"], result["query_id"])
    page = APIClient().get(f"/share/{open_link['token']}")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "France" in html and "Germany" in html and "<script" not in html and "GROUP BY" in html
    assert page["Referrer-Policy"] == "no-referrer"
    protected = make_link(team["analyst"], result["query_id"], password="open sesame")
    form = APIClient(enforce_csrf_checks=True).get(f"/share/{protected['token']}")
    assert form.status_code == 401 and 'name="password"' in form.content.decode()
    assert "Germany" not in form.content.decode()
    browser = APIClient(enforce_csrf_checks=True)  # a form post, as the page's form sends it
    wrong = browser.post(f"/share/{protected['token']}", {"password": "nope"}, format="multipart")
    assert wrong.status_code == 401 and "wrong" in wrong.content.decode()
    right = browser.post(f"/share/{protected['token']}", {"password": "open sesame"}, format="multipart")
    assert right.status_code == 200 and "Germany" in right.content.decode()
    assert APIClient().get("/share/" + "y" * 43).status_code == 404
    ShareLink.objects.filter(pk=open_link["id"]).update(revoked_at=timezone.now())
    assert APIClient().get(f"/share/{open_link['token']}").status_code == 410
