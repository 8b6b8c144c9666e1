"""Reads for core: the health report."""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection

VERSION = "0.1.0"


def _timed(check: Callable[[], str]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        backend = check()
        result: dict[str, Any] = {"status": "ok", "backend": backend}
    except Exception as exc:  # a health check reports failures, it does not raise them
        result = {"status": "error", "backend": "", "message": _safe_message(exc)}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def _safe_message(exc: Exception) -> str:
    # Exception texts of drivers can carry URLs with passwords; report the kind only.
    return f"{type(exc).__name__}: unavailable"


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _check_cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", 5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value written")
    cache.delete(key)
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def _check_channel_layer() -> str:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def roundtrip() -> None:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping"})
        message = await layer.receive(channel)
        if message.get("type") != "health.ping":
            raise RuntimeError("channel layer returned a different message")

    async_to_sync(roundtrip)()
    return type(layer).__name__


def _check_broker() -> str:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        return str(conn.transport.driver_type)


def health_report() -> dict[str, Any]:
    components = {
        "database": _timed(_check_database),
        "cache": _timed(_check_cache),
        "channel_layer": _timed(_check_channel_layer),
        "celery_broker": _timed(_check_broker),
    }
    failed = [name for name, result in components.items() if result["status"] != "ok"]
    return {"status": "error" if failed else "ok", "version": VERSION, "failed": failed, "components": components}
