"""Domain errors and the one handler that renders every API error as the DESIGN.md envelope:

    {"error": {"code": "VALIDATION_ERROR", "message": "...", "details": [{"field": ..., "message": ...}]}}
"""
from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger("insightengine.errors")


class DomainError(Exception):
    """An error a service raises on purpose; carries its code and HTTP status."""

    code = "BAD_REQUEST"
    status_code = status.HTTP_400_BAD_REQUEST
    message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 details: list[dict[str, str]] | None = None, status_code: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.message = message or self.message
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.details = details or []
        self.headers = headers or {}
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "VALIDATION_ERROR"
    status_code = status.HTTP_400_BAD_REQUEST
    message = "Invalid input."

    @classmethod
    def for_field(cls, field: str, message: str, code: str | None = None) -> ValidationFailed:
        return cls(message, code=code, details=[{"field": field, "message": message}])


class NotFound(DomainError):
    code = "NOT_FOUND"
    status_code = status.HTTP_404_NOT_FOUND
    message = "Not found."


class Forbidden(DomainError):
    code = "PERMISSION_DENIED"
    status_code = status.HTTP_403_FORBIDDEN
    message = "You do not have permission to perform this action."


class Conflict(DomainError):
    code = "CONFLICT"
    status_code = status.HTTP_409_CONFLICT
    message = "The request conflicts with the current state."


class AuthenticationError(DomainError):
    code = "AUTHENTICATION_FAILED"
    status_code = status.HTTP_401_UNAUTHORIZED
    message = "Authentication failed."


class TooManyRequests(DomainError):
    code = "RATE_LIMITED"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    message = "Too many requests."


def envelope(code: str, message: str, details: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def _flatten(detail: Any, field: str | None = None) -> list[dict[str, str]]:
    """Turn DRF's nested error detail into a flat list of {field, message}."""
    out: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if field is None else f"{field}.{key}"
            if key in ("non_field_errors", "__all__"):
                name = field or "non_field_errors"
            out.extend(_flatten(value, name))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                out.extend(_flatten(value, f"{field}[{index}]" if field else str(index)))
            else:
                out.extend(_flatten(value, field))
    else:
        out.append({"field": field or "non_field_errors", "message": str(detail)})
    return out


_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ParseError: "PARSE_ERROR",
    exceptions.NotAuthenticated: "NOT_AUTHENTICATED",
    exceptions.AuthenticationFailed: "AUTHENTICATION_FAILED",
    exceptions.PermissionDenied: "PERMISSION_DENIED",
    exceptions.NotFound: "NOT_FOUND",
    exceptions.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    exceptions.NotAcceptable: "NOT_ACCEPTABLE",
    exceptions.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    exceptions.Throttled: "RATE_LIMITED",
}


# The app database went away (connection dropped or refused, server restarting, SQLite locked for too
# long): a transient condition the client can retry, answered as such rather than as a bug. Whatever the
# request was writing in a transaction was rolled back with the connection.
DATABASE_UNAVAILABLE = ("DATABASE_UNAVAILABLE", "The database is unavailable for a moment. Try again in a few seconds.")
DATABASE_RETRY_AFTER = "5"


def is_database_unavailable(exc: BaseException) -> bool:
    """An error of the app database's connection (Django wraps the driver's; a user's data source raises
    its own driver's errors), not a bug: SQLite reports "no such column" as an OperationalError too."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    import sqlite3

    if isinstance(exc.__cause__, sqlite3.Error):
        text = str(exc).lower()
        return any(sign in text for sign in ("locked", "busy", "unable to open", "disk i/o"))
    return True


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception raised in an API view becomes the envelope."""
    request = context.get("request")
    headers: dict[str, str] = {}

    if isinstance(exc, DomainError):
        return Response(envelope(exc.code, exc.message, exc.details), status=exc.status_code,
                        headers=exc.headers or None)
    if isinstance(exc, RecursionError):
        return Response(envelope("PARSE_ERROR", "The request body is nested too deeply."),
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        return Response(envelope("PAYLOAD_TOO_LARGE", f"The request body is larger than {limit_mb:g} MB."),
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):
        return Response(envelope("BAD_REQUEST", "The request was malformed."), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.ValidationError):
        details = _flatten(exc.detail)
        message = details[0]["message"] if len(details) == 1 else "Invalid input."
        if len(details) == 1 and details[0]["field"] not in ("non_field_errors",):
            message = f"{details[0]['field']}: {details[0]['message']}"
        return Response(envelope("VALIDATION_ERROR", message, details), status=status.HTTP_400_BAD_REQUEST)

    if isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
        if code is None:
            code = str(getattr(exc, "default_code", "error")).upper()
        detail = exc.detail
        token_code = None
        if isinstance(detail, dict):
            # simplejwt puts {"detail": ..., "code": "token_not_valid", "messages": [...]}.
            token_code = detail.get("code")
            message = str(detail.get("detail") or "Authentication failed.")
        elif isinstance(detail, list):
            message = "; ".join(str(d) for d in detail)
        else:
            message = str(detail)
        if token_code == "token_not_valid" or getattr(detail, "code", None) == "token_not_valid":
            code = "TOKEN_INVALID"
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
            message = f"Too many requests. Try again in {headers['Retry-After']} seconds."
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)) and request:
            view = context.get("view")
            header = view.get_authenticate_header(request) if view is not None else None
            if header:
                headers["WWW-Authenticate"] = header
        return Response(envelope(code, message), status=exc.status_code, headers=headers or None)

    request_id = getattr(getattr(request, "_request", request), "request_id", "-")
    if is_database_unavailable(exc):
        logger.error("App database unavailable (request %s): %s", request_id, exc)
        return Response(envelope(*DATABASE_UNAVAILABLE), status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": DATABASE_RETRY_AFTER})
    logger.exception("Unhandled error in API view (request %s)", request_id)
    return Response(
        envelope("INTERNAL_ERROR", f"An unexpected error occurred. Quote request id {request_id} when reporting it."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def json_error(code: str, message: str, status_code: int, details: list[dict[str, str]] | None = None,
               headers: dict[str, str] | None = None) -> JsonResponse:
    response = JsonResponse(envelope(code, message, details), status=status_code)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def axes_lockout_response(request: Any, credentials: Any = None, *args: Any, **kwargs: Any) -> JsonResponse:
    """django-axes' AXES_LOCKOUT_CALLABLE: a lock-out in the API's own error shape."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return json_error(
        "ACCOUNT_LOCKED",
        f"Too many failed login attempts. Try again in {seconds // 60} minutes.",
        status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(seconds)},
    )
