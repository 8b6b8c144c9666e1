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
