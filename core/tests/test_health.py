import pytest
from django.test import override_settings

from conftest import assert_error  # noqa: F401  (health errors are not envelopes: it reports components)

pytestmark = pytest.mark.django_db


def test_health_reports_every_component_without_auth(api_client):
    response = api_client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["failed"] == []
    assert set(body["components"]) == {"database", "cache", "channel_layer", "celery_broker"}
    for component in body["components"].values():
        assert component["status"] == "ok"
        assert component["latency_ms"] >= 0


def test_health_is_503_naming_a_dead_broker(api_client):
    from config.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = api_client.get("/api/v1/health")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["celery_broker"]
    assert "127.0.0.1:1" not in response.content.decode()


def test_health_is_503_naming_a_dead_cache(api_client):
    dead = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": "redis://:secret@127.0.0.1:1/0",
                        "OPTIONS": {"socket_connect_timeout": 0.5}}}
    with override_settings(CACHES=dead):
        from django.core.cache import caches

        caches._settings = caches.settings = dead  # the handler caches its settings
        try:
            response = api_client.get("/api/v1/health")
        finally:
            del caches._settings
    assert response.status_code == 503
    assert "cache" in response.json()["failed"]
    assert "secret" not in response.content.decode()
