"""The console's pages through Django's test client: sign-in through the accounts services, a
login the API can revoke, CSRF on every form, the token for the page's JavaScript, the CSP header,
and admin pages refused to non-admins."""
from __future__ import annotations

import re
import uuid

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import AuthSession
from conftest import PASSWORD
from metadata.tests.fixtures import register, sync
from teams.tests.factories import Role, make_workspace

pytestmark = pytest.mark.django_db

PAGES = ["/console/chat/", "/console/editor/", "/console/sources/", "/console/admin/api-keys/",
         "/console/saved/", "/console/templates/", "/console/schedules/", "/console/documents/"]
ADMIN_PAGES = ["/console/admin/members/", "/console/admin/ai-providers/", "/console/admin/audit-log/",
               "/console/admin/webhooks/", "/console/admin/analytics/"]


def sign_in(client: Client, email: str, password: str = PASSWORD) -> None:
    response = client.post("/console/login/", {"email": email, "password": password})
    assert response.status_code == 302, response.content[:500]


@pytest.mark.parametrize("path", PAGES + ADMIN_PAGES)
def test_pages_need_a_login(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/?next=" + path)


def test_sign_in_opens_an_api_login_session_and_lands_in_chat(client: Client, user) -> None:
    response = client.post("/console/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert AuthSession.objects.filter(user=user, revoked_at__isnull=True).count() == 1
    page = client.get("/console/chat/")
    assert page.status_code == 200
    assert b"Conversations" in page.content


def test_wrong_password_shows_the_error_and_keeps_you_out(client: Client, user) -> None:
    response = client.post("/console/login/", {"email": user.email, "password": "nope nope nope"})
    assert response.status_code == 400
    assert b"Invalid email or password." in response.content
    assert client.get("/console/chat/").status_code == 302


def test_next_parameter_is_followed_only_within_the_site(client: Client, user) -> None:
    response = client.post("/console/login/?next=/console/editor/", {"email": user.email, "password": PASSWORD})
    assert response["Location"] == "/console/editor/"
    client.logout()
    response = client.post("/console/login/?next=https://evil.example/", {"email": user.email, "password": PASSWORD})
    assert response["Location"] == "/console/"


def test_forms_are_csrf_protected(user) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post("/console/login/", {"email": user.email, "password": PASSWORD}).status_code == 403
    page = client.get("/console/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    response = client.post("/console/login/", {"email": user.email, "password": PASSWORD,
                                               "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    # The token endpoint and sign-out are POST-only and CSRF-checked too.
    assert client.post("/console/token/").status_code == 403
    assert client.post("/console/logout/").status_code == 403


def test_token_works_on_the_api_and_dies_with_the_console_login(client: Client, user) -> None:
    sign_in(client, user.email)
    assert client.get("/console/token/").status_code == 405
    body = client.post("/console/token/").json()
    assert body["token_type"] == "Bearer" and 0 < body["expires_in"] <= 300
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert api.get("/api/v1/auth/me").status_code == 200

    client.post("/console/logout/")
    assert api.get("/api/v1/auth/me").status_code == 401
    assert client.post("/console/token/").status_code == 401
    assert client.get("/console/chat/").status_code == 302


def test_a_revoked_api_session_ends_the_console_session(client: Client, user) -> None:
    sign_in(client, user.email)
    AuthSession.objects.filter(user=user).update(revoked_at="2020-01-01T00:00:00Z")
    response = client.get("/console/chat/")
    assert response.status_code == 302 and response["Location"].startswith("/console/login/")


def test_pages_send_a_strict_content_security_policy(client: Client, user) -> None:
    sign_in(client, user.email)
    for path in ["/console/login/", *PAGES]:
        csp = client.get(path)["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
    html = client.get("/console/chat/").content.decode()
    assert "<script>" not in html and " on" + "click=" not in html


def test_viewer_sees_no_admin_pages(client: Client, make_user) -> None:
    owner, viewer = make_user(), make_user()
    workspace = make_workspace(owner, members={viewer: Role.VIEWER})
    sign_in(client, viewer.email)
    client.post("/console/workspace/", {"workspace": str(workspace.pk)})
    page = client.get("/console/chat/").content.decode()
    assert "Viewer" in page and "/console/admin/members/" not in page
    for path in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 403, path
        assert b"for workspace admins and owners" in response.content


def test_admin_sees_admin_pages(client: Client, make_user) -> None:
    owner, admin = make_user(), make_user()
    workspace = make_workspace(owner, members={admin: Role.ADMIN})
    sign_in(client, admin.email)
    client.post("/console/workspace/", {"workspace": str(workspace.pk)})
    assert "/console/admin/members/" in client.get("/console/chat/").content.decode()
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 200, path


def test_workspace_switcher_remembers_the_choice_and_refuses_foreign_workspaces(client: Client, make_user) -> None:
    owner, member, stranger = make_user(), make_user(), make_user()
    workspace = make_workspace(owner, name="Finance", members={member: Role.ANALYST})
    foreign = make_workspace(stranger, name="Other company")
    sign_in(client, member.email)
    response = client.post("/console/workspace/", {"workspace": str(workspace.pk), "next": "/console/editor/"})
    assert response["Location"] == "/console/editor/"
    member.settings.refresh_from_db()
    assert member.settings.default_workspace_id == workspace.pk
    assert f'data-workspace-id="{workspace.pk}"' in client.get("/console/editor/").content.decode()

    client.post("/console/workspace/", {"workspace": str(foreign.pk)})
    member.settings.refresh_from_db()
    assert member.settings.default_workspace_id == workspace.pk
    assert "Other company" not in client.get("/console/editor/").content.decode()


def test_sign_up_creates_the_account_through_the_accounts_service(client: Client) -> None:
    response = client.post("/console/signup/", {"name": "Ada", "email": "ada@example.com",
                                                "password": PASSWORD, "password_again": PASSWORD})
    assert response.status_code == 302
    page = client.get("/console/chat/").content.decode()
    assert "Ada" in page  # the personal workspace the service creates
    weak = Client().post("/console/signup/", {"email": "bob@example.com", "password": "password",
                                              "password_again": "password"})
    assert weak.status_code == 400 and b"too common" in weak.content
    taken = Client().post("/console/signup/", {"email": "ada@example.com", "password": PASSWORD,
                                               "password_again": PASSWORD})
    assert taken.status_code == 400 and b"Already registered" in taken.content


def test_sign_up_can_be_closed(client: Client, settings) -> None:
    settings.ALLOW_REGISTRATION = False
    assert client.get("/console/signup/").status_code == 403


def test_forgotten_password_flow_by_email(client: Client, user) -> None:
    sign_in(Client(), user.email)  # an older login, which the reset must end
    response = client.post("/console/password-reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/console/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and b"Choose a new password" in form.content
    new_password = "a brand new secret 42"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    assert not AuthSession.objects.filter(user=user, revoked_at__isnull=True).exists()
    sign_in(Client(), user.email, new_password)


def test_unknown_email_gets_the_same_answer_and_no_mail(client: Client, db) -> None:
    response = client.post("/console/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and len(mail.outbox) == 0


def test_root_page_links_to_the_console(client: Client, db) -> None:
    response = client.get("/")
    assert response.status_code == 200 and b"/console/" in response.content


def test_analyst_uses_the_library_and_schedules_but_not_the_admin_pages(client: Client, make_user) -> None:
    owner, analyst = make_user(), make_user()
    workspace = make_workspace(owner, members={analyst: Role.ANALYST})
    sign_in(client, analyst.email)
    client.post("/console/workspace/", {"workspace": str(workspace.pk)})
    nav = client.get("/console/saved/").content.decode()
    assert "/console/saved/" in nav and "/console/schedules/" in nav
    assert "/console/admin/webhooks/" not in nav and "/console/admin/analytics/" not in nav
    for path in ["/console/admin/webhooks/", "/console/admin/analytics/"]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "unsafe-inline" not in response["Content-Security-Policy"]
    saved = client.get("/console/saved/").content.decode()
    assert "console/js/library.js" in saved and "console/js/actions.js" in saved and 'id="sq-new"' in saved
    assert 'id="add-schedule"' in client.get("/console/schedules/").content.decode()


def test_viewer_gets_read_only_library_and_schedule_pages(client: Client, make_user) -> None:
    owner, viewer = make_user(), make_user()
    workspace = make_workspace(owner, members={viewer: Role.VIEWER})
    sign_in(client, viewer.email)
    client.post("/console/workspace/", {"workspace": str(workspace.pk)})
    assert 'id="sq-new"' not in client.get("/console/saved/").content.decode()
    assert 'id="add-schedule"' not in client.get("/console/schedules/").content.decode()


def test_admin_sees_the_operations_pages_in_the_navigation(client: Client, make_user) -> None:
    owner, admin = make_user(), make_user()
    workspace = make_workspace(owner, members={admin: Role.ADMIN})
    sign_in(client, admin.email)
    client.post("/console/workspace/", {"workspace": str(workspace.pk)})
    nav = client.get("/console/chat/").content.decode()
    for path in ["/console/admin/webhooks/", "/console/admin/analytics/", "/console/schedules/", "/console/saved/"]:
        assert f'href="{path}"' in nav, path
    webhooks = client.get("/console/admin/webhooks/")
    html = webhooks.content.decode()
    # The events the API accepts, but not the test-only ping.
    assert 'value="query_completed"' in html and 'value="ping"' not in html
    assert "console/js/ops.js" in html and "<script>" not in html and " style=" not in html
    analytics = client.get("/console/admin/analytics/").content.decode()
    assert "vendor/vega-embed/vega-embed.min.js" in analytics and 'id="an-per-day"' in analytics
    for path in ["/console/admin/webhooks/", "/console/admin/analytics/", "/console/schedules/"]:
        csp = client.get(path)["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-eval" not in csp, path


@pytest.fixture
def shared_result(user, client_for, sqlite_file, django_capture_on_commit_callbacks):
    workspace = user.memberships.get().workspace
    api = client_for(user, workspace)
    ds = register(api, engine="sqlite", database="shop.sqlite3")
    sync(api, ds["id"], django_capture_on_commit_callbacks)
    response = api.post("/api/v1/queries/execute",
                        {"input": "SELECT country, count(*) AS n FROM customers GROUP BY country ORDER BY country"},
                        format="json")
    assert response.status_code == 200, response.content
    return api, response.json()["query_id"]


def test_share_page_asks_for_the_password_under_the_strict_policy(shared_result) -> None:
    api, query_id = shared_result
    link = api.post(f"/api/v1/queries/{query_id}/share-link", {"expiration_days": 3, "password": "open sesame"},
                    format="json").json()
    visitor = Client(enforce_csrf_checks=True)
    prompt = visitor.get(f"/share/{link['token']}")
    assert prompt.status_code == 401
    html = prompt.content.decode()
    assert '<label for="share-password">Password</label>' in html and "Germany" not in html
    csp = prompt["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "form-action 'self'" in csp
    assert prompt["Referrer-Policy"] == "no-referrer"

    wrong = visitor.post(f"/share/{link['token']}", {"password": "not it"})
    assert wrong.status_code == 401 and "wrong" in wrong.content.decode()
    opened = visitor.post(f"/share/{link['token']}", {"password": "open sesame"})
    html = opened.content.decode()
    assert opened.status_code == 200 and "Germany" in html and "GROUP BY" in html
    assert "<script" not in html and " style=" not in html and "console/css/console.css" in html
    assert opened["Content-Security-Policy"] and opened["Referrer-Policy"] == "no-referrer"


def test_share_page_without_password_shows_the_snapshot(shared_result) -> None:
    api, query_id = shared_result
    link = api.post(f"/api/v1/queries/{query_id}/share-link", {"expiration_days": 1}, format="json").json()
    page = Client().get(f"/share/{link['token']}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "France" in html and 'name="password"' not in html and "SQL" in html
    assert Client().get("/share/" + "z" * 43).status_code == 404


def _member(client: Client, make_user, role: Role) -> tuple[object, object]:
    owner, member = make_user(), make_user()
    workspace = make_workspace(owner, members={member: role})
    sign_in(client, member.email)
    client.post("/console/workspace/", {"workspace": str(workspace.pk)})
    return workspace, member


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST, Role.ADMIN])
def test_documents_page_for_every_role_uploads_only_from_analyst_up(client: Client, make_user, role: Role) -> None:
    _member(client, make_user, role)
    response = client.get("/console/documents/")
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "<script>" not in html and " style=" not in html and " on" + "click=" not in html
    assert 'href="/console/documents/"' in html and 'aria-current="page"' in html
    assert "console/js/documents.js" in html and 'id="doc-search"' in html and 'id="documents"' in html
    # Every control of the page has a label.
    for control in ("doc-q", "doc-status", "doc-name"):
        assert f'<label for="{control}"' in html, control
    can_upload = role != Role.VIEWER
    assert ('id="upload"' in html) is can_upload
    assert ('<label for="doc-file"' in html) is can_upload
    assert f'data-can-upload="{"1" if can_upload else ""}"' in html
    assert f'data-is-admin="{"1" if role == Role.ADMIN else ""}"' in html


def test_dictionary_page_shows_version_history_and_restore_for_admins(client: Client, make_user) -> None:
    _member(client, make_user, Role.ADMIN)
    html = client.get(f"/console/sources/{uuid.uuid4()}/dictionary/").content.decode()
    assert 'id="versions"' in html and "Version history" in html and "Restore puts back" in html
    analyst_client = Client()
    _member(analyst_client, make_user, Role.ANALYST)
    html = analyst_client.get(f"/console/sources/{uuid.uuid4()}/dictionary/").content.decode()
    assert 'id="versions"' in html and "Restore puts back" not in html and 'data-can-edit=""' in html


def test_pages_carry_the_user_for_the_scripts_and_label_their_screen_reader_only_headers(
        client: Client, make_user) -> None:
    _, admin = _member(client, make_user, Role.ADMIN)
    html = client.get("/console/sources/").content.decode()
    assert f'data-user-id="{admin.pk}"' in html and "console/js/access.js" in html
    members = client.get("/console/admin/members/").content.decode()
    assert '<span class="visually-hidden">Actions</span>' in members and 'class="table-wrap"' in members
    chat = client.get(f"/console/chat/{uuid.uuid4()}/").content.decode()
    assert '<label for="question" class="visually-hidden">' in chat
    assert '<label for="session-shared"' in chat and 'id="suggested"' in chat


def test_viewer_gets_no_sharing_switch_nor_suggestions_in_a_conversation(client: Client, make_user) -> None:
    _member(client, make_user, Role.VIEWER)
    chat = client.get(f"/console/chat/{uuid.uuid4()}/").content.decode()
    assert 'id="session-shared"' not in chat and 'id="suggested"' not in chat and 'id="copy-link"' in chat
