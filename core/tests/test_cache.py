"""The Redis cache backend degrades to an empty cache when Redis is unreachable."""
from __future__ import annotations

import socket

import pytest

from core.cache import ResilientRedisCache


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def test_an_unreachable_redis_reads_as_misses_and_drops_writes():
    cache = ResilientRedisCache(f"redis://127.0.0.1:{closed_port()}/0",
                                {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}})
    assert cache.get("k") is None and cache.get("k", "fallback") == "fallback"
    cache.set("k", 1, 10)
    assert cache.add("k", 1) is False and cache.get_many(["a", "b"]) == {} and cache.has_key("k") is False
    assert cache.delete("k") is False and cache.touch("k") is False
    assert cache.get_or_set("k", 42) == 42  # computed, not stored
    cache.set_many({"a": 1})
    cache.delete_many(["a"])
    with pytest.raises(ValueError):
        cache.incr("counter")  # as for a missing key: callers already handle it
