"""Rate limits per user tier (anonymous: per address), reported in X-RateLimit-* headers."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class TieredRateThrottle(SimpleRateThrottle):
    """A sliding-window limit whose rate depends on who calls.

    Authenticated callers are limited per user at their tier's rate (`RATE_LIMITS[user.tier]`);
    anonymous callers per client address at `RATE_LIMITS["anon"]`. A tier set to an empty value
    or "none" is unlimited.
    """

    cache_format = "throttle_%(scope)s_%(ident)s"

    def __init__(self) -> None:  # the rate is chosen per request, not per class
        pass

    def allow_request(self, request: Any, view: Any) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self.scope = getattr(user, "tier", "free") or "free"
            ident = str(user.pk)
        else:
            self.scope = "anon"
            ident = self.get_ident(request)
        self.rate = settings.RATE_LIMITS.get(self.scope) or None
        if self.rate in (None, "", "none"):
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.cache_format % {"scope": self.scope, "ident": ident}
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        allowed = len(self.history) < self.num_requests
        if allowed:
            self.history.insert(0, self.now)
            self.cache.set(self.key, self.history, self.duration)
        reset_at = (self.history[-1] if self.history else self.now) + self.duration
        # Seen by core.middleware.RateLimitHeadersMiddleware on the Django request.
        django_request = getattr(request, "_request", request)
        django_request.rate_limit = (self.num_requests, self.num_requests - len(self.history), int(reset_at))
        return allowed

    def wait(self) -> float | None:
        if not self.history:
            return float(self.duration)
        return max(0.0, self.duration - (self.now - self.history[-1]))
