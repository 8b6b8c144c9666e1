"""Shared fixtures and the service markers.

A test marked `postgres`, `redis`, `worker` or `browser` skips with the reason when that
service is absent — unless REQUIRE_SERVICES=1 (CI), where it fails instead.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

# Source-database fixtures (SQLite/DuckDB files, PostgreSQL and MariaDB servers) shared by apps.
pytest_plugins = ["metadata.tests.fixtures"]

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
# Servers that connector tests register as *data sources* (not the app database).
TEST_POSTGRES_DSN = os.environ.get("TEST_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
TEST_MYSQL = {
    "host": os.environ.get("TEST_MYSQL_HOST", "127.0.0.1"),
    "port": int(os.environ.get("TEST_MYSQL_PORT", "3306")),
    "user": os.environ.get("TEST_MYSQL_USER", "root"),
    "password": os.environ.get("TEST_MYSQL_PASSWORD", ""),
}


def _postgres() -> tuple[bool, str]:
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return True, ""
    return False, "PostgreSQL is not the app database (set DATABASE_URL=postgres://...)"


def _redis() -> tuple[bool, str]:
    url = settings.REDIS_URL
    if not url:
        return False, "REDIS_URL is not set"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:
        return False, f"Redis at REDIS_URL is unreachable ({type(exc).__name__})"
    return True, ""


def _pg_server() -> tuple[bool, str]:
    try:
        import psycopg

        psycopg.connect(TEST_POSTGRES_DSN, connect_timeout=2).close()
    except Exception as exc:
        return False, f"no PostgreSQL server for source-database tests at TEST_POSTGRES_DSN ({type(exc).__name__})"
    return True, ""


def _mariadb() -> tuple[bool, str]:
    try:
        import pymysql

        pymysql.connect(**TEST_MYSQL, connect_timeout=2).close()
    except Exception as exc:
        return False, f"no MariaDB/MySQL server for source-database tests at TEST_MYSQL_* ({type(exc).__name__})"
    return True, ""


def _browser() -> tuple[bool, str]:
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return True, ""
    return False, "chromium is not installed"


def _worker() -> tuple[bool, str]:
    for check in (_postgres, _redis):
        ok, reason = check()
        if not ok:
            return ok, reason
    return True, ""


SERVICE_CHECKS: dict[str, Callable[[], tuple[bool, str]]] = {
    "postgres": _postgres,
    "redis": _redis,
    "worker": _worker,
    "pg_server": _pg_server,
    "mariadb": _mariadb,
    "browser": _browser,
}


def pytest_configure(config: pytest.Config) -> None:
    # Transactional tests empty every table with TRUNCATE between tests; the audit table refuses that
    # on PostgreSQL unless the session opts in (auditing migration 0004). The test connections do.
    database = settings.DATABASES["default"]
    if "postgresql" in database["ENGINE"]:
        options = database.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c insightengine.allow_audit_truncate=on".strip()


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, check in SERVICE_CHECKS.items():
        if item.get_closest_marker(marker) is None:
            continue
        ok, reason = check()
        if ok:
            continue
        if REQUIRE_SERVICES:
            pytest.fail(f"[{marker}] required by REQUIRE_SERVICES=1 but unavailable: {reason}", pytrace=False)
        pytest.skip(f"[{marker}] {reason}")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters live in the cache; each test starts from zero."""
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


PASSWORD = "correct horse battery 9"


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    from accounts.tests.factories import UserFactory

    return UserFactory


@pytest.fixture
def user(make_user: Callable[..., Any]) -> Any:
    return make_user()


@pytest.fixture
def system_admin(make_user: Callable[..., Any]) -> Any:
    return make_user(role="admin")


def login(client: APIClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = client.post("/api/v1/auth/login", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def auth_client(user: Any) -> APIClient:
    """A client logged in as `user` (Bearer token)."""
    client = APIClient()
    tokens = login(client, user.email)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    client.tokens = tokens  # type: ignore[attr-defined]
    return client


@pytest.fixture
def client_for() -> Callable[..., APIClient]:
    """Build a logged-in client for any user, optionally pinned to a workspace."""

    def build(user: Any, workspace: Any = None) -> APIClient:
        client = APIClient()
        tokens = login(client, user.email)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
        if workspace is not None:
            headers["HTTP_X_WORKSPACE_ID"] = str(workspace.pk)
        client.credentials(**headers)
        client.tokens = tokens  # type: ignore[attr-defined]
        return client

    return build


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Every error body is the envelope {"error": {"code", "message", "details"}}."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], list)
    for detail in body["error"]["details"]:
        assert set(detail) == {"field", "message"}, detail
    if code is not None:
        assert body["error"]["code"] == code, body
    assert "Traceback" not in response.content.decode(errors="replace")
    return body["error"]
