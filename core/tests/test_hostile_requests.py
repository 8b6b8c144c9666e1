"""Oversized and malformed bodies, headers, query strings and uploads on every operation that takes
a body (read from the OpenAPI schema, so new endpoints are covered as they appear): always a clear
4xx in the error envelope, never a 500."""
from __future__ import annotations

import re
import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator

from conftest import assert_error

pytestmark = pytest.mark.django_db

SKIP = re.compile(r"/stream-|/auth/logout")
BIG = 3 * 1024 * 1024  # over DATA_UPLOAD_MAX_MEMORY_SIZE

# name: (body, content type, the status expected once the body is read). Every variant may also
# meet 415 (the operation takes another type: documents take multipart, login takes JSON).
BODIES = {
    "malformed JSON": (b'{"name": ', "application/json", 400),
    "invalid UTF-8": (b'{"name": "\xff\xfe"}', "application/json", 400),
    "oversized JSON": (b'{"name": "' + b"x" * BIG + b'"}', "application/json", 413),
    "unsupported type": (b"<name>x</name>", "application/xml", 415),
    # JSON-only operations refuse any multipart body unread (415): no file is spooled to disk and ignored.
    "multipart without boundary": (b"x", "multipart/form-data", 415),
    "multipart with a big file": (
        b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\n"
        b"Content-Type: application/octet-stream\r\n\r\n" + b"\0" * BIG + b"\r\n--b--\r\n",
        "multipart/form-data; boundary=b", 415),
}
UPLOADS = re.compile(r"/documents/?$|/upload/?$")  # the operations that do take files


def body_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted((method, path) for path, item in schema["paths"].items() for method, operation in item.items()
                  if method in ("post", "put", "patch") and "requestBody" in operation and not SKIP.search(path))


@pytest.fixture
def owner(user, client_for):
    return client_for(user, user.memberships.get().workspace)


def concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", lambda m: str(uuid.uuid4()), path)


@pytest.mark.parametrize("variant", BODIES)
def test_every_body_taking_operation_refuses_a_hostile_body_with_a_4xx(owner, variant):
    body, content_type, expected = BODIES[variant]
    operations = body_operations()
    assert len(operations) > 50
    exact = 0
    for method, path in operations:
        response = owner.generic(method.upper(), concrete(path), body, content_type=content_type)
        # Refused before the body is read (an operator-only operation, an unknown object) is fine too,
        # and so is a 400 for an XML body on an operation that parses any body as JSON (exports).
        allowed = {expected, 403, 404, 415} | ({400} if variant == "unsupported type" else set())
        if UPLOADS.search(path) and variant.startswith("multipart"):
            allowed |= {400, 413}  # a broken or unsupported file, told as such
        if path.endswith("/export"):
            allowed |= {400, 413}  # reads any body as JSON (it answers with files of any type)
        assert response.status_code in allowed, (method, path, response.status_code, response.content[:300])
        assert_error(response, response.status_code)
        exact += response.status_code == expected
    assert exact >= 20, exact  # most operations got as far as reading the body


@pytest.mark.parametrize("headers", [
    {"HTTP_AUTHORIZATION": "Bearer not.a.jwt"},
    {"HTTP_AUTHORIZATION": "Bearer " + "a" * 10000},
    {"HTTP_AUTHORIZATION": "Basic Zm9vOmJhcg=="},
    {"HTTP_X_API_KEY": "ie_" + "z" * 5000},
    {"HTTP_X_WORKSPACE_ID": "not-a-uuid"},
    {"HTTP_X_WORKSPACE_ID": "\u00e9" * 300},
    {"HTTP_ACCEPT": "application/x-nothing-we-render"},
    {"HTTP_X_REQUEST_ID": "x" * 5000},
], ids=lambda headers: next(iter(headers)))
def test_malformed_headers_are_a_4xx_or_ignored_never_a_500(user, api_client, client_for, headers):
    from conftest import login

    token = login(api_client, user.email)["access_token"]
    for path in ("/api/v1/auth/me", "/api/v1/saved-queries", "/api/v1/databases", "/api/v1/audit-logs"):
        merged = {"HTTP_AUTHORIZATION": f"Bearer {token}", **headers}
        response = api_client.get(path, **merged)
        assert response.status_code < 500, (path, headers, response.status_code, response.content[:300])
        if response.status_code >= 400:
            assert_error(response, response.status_code)


@pytest.mark.parametrize("query", ["q=a%00b", "page=-1", "page=99999999999999999999", "limit=-5", "limit=abc",
                                   "ordering=%00", "date_from=2024-01-01T00:00:00-18:30", "date_from=not-a-date",
                                   "date_to=9999-12-31T23:59:59-23:59", "database_id=not-a-uuid"])
def test_malformed_query_strings_are_a_4xx_or_ignored_never_a_500(owner, query):
    for path in ("/api/v1/queries", "/api/v1/audit-logs", "/api/v1/saved-queries", "/api/v1/templates",
                 "/api/v1/metadata/tables", "/api/v1/chat/sessions", "/api/v1/documents"):
        response = owner.get(f"{path}?{query}")
        assert response.status_code < 500, (path, query, response.status_code, response.content[:300])
        if response.status_code >= 400:
            assert_error(response, response.status_code)


def test_a_null_character_in_a_path_or_query_is_a_validation_error(owner):
    assert_error(owner.get("/api/v1/templates?category=a%00b"), 400, "VALIDATION_ERROR")
    assert_error(owner.get("/api/v1/metadata/tables/cust%00omers"), 400, "VALIDATION_ERROR")


def test_an_unknown_api_path_with_a_write_method_is_a_404_envelope_not_the_csrf_page(api_client):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert_error(api_client.generic(method, "/api/v1/no/such/thing", b"a=b",
                                        content_type="application/x-www-form-urlencoded"), 404, "NOT_FOUND")
