"""Request id, rate-limit headers, and the error envelope for anything outside DRF's handler."""
from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .exceptions import DATABASE_RETRY_AFTER, DATABASE_UNAVAILABLE, is_database_unavailable, json_error

logger = logging.getLogger("insightengine.errors")
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIDLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class RequestIDMiddleware:
    """Every request gets an id (a well-formed incoming X-Request-ID is kept), logged and returned."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_INCOMING_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class NullCharacterMiddleware:
    """A NUL character in an API path or query parameter is a 400, before any view sees it.

    Serializer fields refuse NUL in bodies; path and query values reach lookups directly, and
    PostgreSQL cannot hold NUL in text (it fails the statement, and the request with a 500).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api_path(request.path):
            fields = ["path"] if "\x00" in request.path else []
            fields += sorted({name.replace("\x00", "") or "query" for name, values in request.GET.lists()
                              if "\x00" in name or any("\x00" in value for value in values)})
            if fields:
                return json_error("VALIDATION_ERROR", "Null characters are not allowed.", 400,
                                  details=[{"field": field, "message": "Null characters are not allowed."}
                                           for field in fields])
        return self.get_response(request)


class RateLimitHeadersMiddleware:
    """Copies what the throttle measured onto the response as X-RateLimit-* headers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        info = getattr(request, "rate_limit", None)
        if info is not None:
            limit, remaining, reset = info
            response["X-RateLimit-Limit"] = str(limit)
            response["X-RateLimit-Remaining"] = str(max(0, remaining))
            response["X-RateLimit-Reset"] = str(reset)
        return response


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


class ApiExceptionMiddleware:
    """Errors that never reach DRF's handler (e.g. raised in a plain Django view under /api/)
    still leave as the envelope with a request id, never as a stack trace."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_path(request.path) or settings.DEBUG and not getattr(settings, "API_ENVELOPE_IN_DEBUG", True):
            return None
        request_id = getattr(request, "request_id", "-")
        if is_database_unavailable(exception):
            logger.error("App database unavailable (request %s): %s", request_id, exception)
            return json_error(*DATABASE_UNAVAILABLE, 503, headers={"Retry-After": DATABASE_RETRY_AFTER})
        logger.exception("Unhandled error (request %s)", request_id)
        return json_error(
            "INTERNAL_ERROR",
            f"An unexpected error occurred. Quote request id {request_id} when reporting it.",
            500,
        )
