"""The error envelope everywhere, request ids, the tenant guard, and the OpenAPI documents."""
from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from conftest import assert_error
from core.views import WorkspaceScopedViewSet

pytestmark = pytest.mark.django_db


def test_unknown_api_path_is_a_404_envelope(api_client):
    assert_error(api_client.get("/api/v1/no-such-thing"), 404, "NOT_FOUND")
    assert_error(api_client.get("/api/v2/auth/me"), 404, "NOT_FOUND")


def test_wrong_method_is_405_envelope(auth_client):
    assert_error(auth_client.delete("/api/v1/auth/me"), 405, "METHOD_NOT_ALLOWED")
    assert_error(auth_client.get("/api/v1/auth/login"), 405, "METHOD_NOT_ALLOWED")


def test_paths_work_with_and_without_trailing_slash(auth_client):
    assert auth_client.get("/api/v1/auth/me").status_code == 200
    assert auth_client.get("/api/v1/auth/me/").status_code == 200
    assert auth_client.get("/api/v1/workspaces").status_code == 200
    assert auth_client.get("/api/v1/workspaces/").status_code == 200


def test_unhandled_error_is_a_500_envelope_with_a_request_id_that_is_logged(auth_client, monkeypatch, caplog):
    def explode(**kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr("accounts.selectors.user_stats", explode)
    with caplog.at_level(logging.ERROR, logger="insightengine.errors"):
        response = auth_client.get("/api/v1/auth/stats")
    error = assert_error(response, 500, "INTERNAL_ERROR")
    request_id = response["X-Request-ID"]
    assert request_id in error["message"]
    assert "hunter2" not in response.content.decode()
    assert any(request_id in record.getMessage() for record in caplog.records)


def test_request_id_is_returned_and_a_well_formed_incoming_one_kept(api_client):
    response = api_client.get("/api/v1/health", HTTP_X_REQUEST_ID="trace-abc-12345")
    assert response["X-Request-ID"] == "trace-abc-12345"
    response = api_client.get("/api/v1/health", HTTP_X_REQUEST_ID="bad id with spaces\n")
    assert len(response["X-Request-ID"]) == 32


def test_a_viewset_cannot_bypass_the_workspace_scope():
    with pytest.raises(ImproperlyConfigured, match="bypass the workspace scope"):
        class Leaky(WorkspaceScopedViewSet):  # noqa: F841
            def get_queryset(self):
                return None


def test_openapi_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    text = out.read_text()
    for path in ("/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/refresh", "/api/v1/users/{id}/quota",
                 "/api/v1/team/members", "/api/v1/audit-logs", "/api/v1/jobs/{id}", "/api/v1/health",
                 "/api/v1/api-keys", "/api/v1/settings/security"):
        assert f"{path}:" in text, path
    assert "BearerAuth" in text and "ApiKeyAuth" in text and "OAuth2Password" in text


def test_docs_pages_are_served_without_a_cdn(api_client):
    schema = api_client.get("/api/schema/")
    assert schema.status_code == 200
    for url in ("/api/docs/", "/api/redoc/"):
        page = api_client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


def test_home_page_links_to_the_docs(client):
    page = client.get("/")
    assert page.status_code == 200
    assert b"/api/docs/" in page.content


def test_an_oversized_body_is_413_not_500(api_client):
    import json

    body = json.dumps({"email": "a@b.cc", "password": "x" * (3 * 1024 * 1024)})
    response = api_client.generic("POST", "/api/v1/auth/register", body, content_type="application/json")
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_null_bytes_and_huge_strings_are_validation_errors(api_client):
    response = api_client.post("/api/v1/auth/register",
                               {"email": "a@b.cc", "password": "a long passphrase 42", "name": "a\x00b"}, format="json")
    assert_error(response, 400, "VALIDATION_ERROR")
    response = api_client.post("/api/v1/auth/register",
                               {"email": "a@b.cc", "password": "a long passphrase 42", "name": "n" * 5000}, format="json")
    assert_error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("body", ["[]", "\"text\"", "null", "123"])
def test_json_that_is_not_an_object_is_a_validation_error(api_client, body):
    response = api_client.generic("POST", "/api/v1/auth/login", body, content_type="application/json")
    assert_error(response, 400)
