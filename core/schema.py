"""OpenAPI descriptions of our authentication classes (drf-spectacular extensions)."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SessionJWTScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.SessionJWTAuthentication"
    name = "BearerAuth"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "`access_token` from /api/v1/auth/login or /auth/refresh."}

    def get_security_requirement(self, auto_schema):  # type: ignore[no-untyped-def]
        # The same token can be had through Swagger's OAuth2 password form (tokenUrl = /auth/login).
        return [{self.name: []}, {"OAuth2Password": []}]


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {"type": "apiKey", "in": "header", "name": "X-API-Key",
                "description": "A key created at /api/v1/api-keys; acts within its workspace."}


def strip_trailing_slashes(result, generator, request, public):  # type: ignore[no-untyped-def]
    """Routes accept an optional trailing slash (`/?`); document the seeds' form, without it."""
    result["paths"] = {
        (path.rstrip("/") if path != "/" else path): item for path, item in result.get("paths", {}).items()
    }
    return result


# Errors the framework itself may answer on an operation, whatever its view documents:
# authentication (401), permissions and the workspace guard (403), an unknown object or workspace
# or page (404), a malformed query or body (400), an oversized body (413), an unsupported body type (415)
# and the rate limit (429). All of them carry the error envelope.
METHODS = ("get", "put", "post", "patch", "delete")


def document_framework_errors(result, generator, request, public):  # type: ignore[no-untyped-def]
    """Add the error responses every view can give, so that the schema lists all of them."""
    envelope = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
    if "ErrorEnvelope" not in result.get("components", {}).get("schemas", {}):
        return result
    for item in result.get("paths", {}).values():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = operation.get("parameters", [])
            secured = any(requirement for requirement in operation.get("security", [{}]))
            codes = {429}
            if secured:
                codes |= {401, 403}
            if any(p["in"] in ("path", "query") for p in parameters) or "requestBody" in operation:
                codes.add(400)
            # An unknown object or workspace, and a page past the end (DRF pagination's 404).
            if any(p["in"] == "path" or p["name"] in ("X-Workspace-ID", "page") for p in parameters):
                codes.add(404)
            if "requestBody" in operation:
                codes |= {413, 415}
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(str(code), {"content": envelope, "description": ""})
            operation["responses"] = dict(sorted(responses.items()))
    return result
