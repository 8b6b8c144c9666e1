"""Response headers of console pages: a strict Content-Security-Policy.

No inline script, no eval: every script is a file under /static/ (htmx runs with allowEval off,
Vega with its AST interpreter instead of `new Function`). Connections go to this origin only
(the JSON API and the WebSockets).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


# Paths of server-rendered HTML pages that get the policy from the middleware.
HTML_PREFIXES = ("/console/", "/share/")


def apply_security_headers(response: HttpResponse) -> HttpResponse:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def csp(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate a view so that its responses carry the console's security headers."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return apply_security_headers(view(request, *args, **kwargs))

    return wrapped


class ContentSecurityPolicyMiddleware:
    """The same headers for every HTML page of the site (the root page, the console, the public
    share-link pages); the API and the docs pages (Swagger UI needs inline scripts) are left alone.
    Console views carry the headers themselves through `csp` too. A header a view set itself (the
    share page's stricter Referrer-Policy) is kept."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path == "/" or request.path.startswith(HTML_PREFIXES):
            apply_security_headers(response)
        return response
