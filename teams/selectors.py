from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from core.exceptions import Forbidden, NotFound

from .models import Membership, Workspace

WORKSPACE_HEADER = "X-Workspace-ID"


def workspace_context_for_request(request: Any) -> tuple[Workspace | None, Membership | None]:
    """The workspace a request acts in, and the caller's membership there.

    An API key is bound to its workspace. Otherwise the `X-Workspace-ID` header picks one of
    the caller's workspaces (an unknown one is a 404); without it, the default workspace of the
    user's settings, else their oldest membership.
    """
    user = request.user
    if not user or not user.is_authenticated:
        return None, None
    wanted = request.headers.get(WORKSPACE_HEADER, "").strip() or None
    api_key = getattr(request, "auth", None)
    from accounts.models import ApiKey

    if isinstance(api_key, ApiKey):
        if wanted and wanted != str(api_key.workspace_id):
            raise Forbidden("This API key belongs to another workspace.", code="WORKSPACE_MISMATCH")
        wanted = str(api_key.workspace_id)

    memberships = Membership.objects.select_related("workspace").filter(user=user)
    if wanted:
        try:
            membership = memberships.filter(workspace_id=wanted).first()
        except ValidationError:
            membership = None
        if membership is None:
            raise NotFound("No such workspace.", code="WORKSPACE_NOT_FOUND")
    else:
        membership = None
        preferred = getattr(getattr(user, "settings", None), "default_workspace_id", None)
        if preferred:
            membership = memberships.filter(workspace_id=preferred).first()
        if membership is None:
            membership = memberships.order_by("created_at").first()
        if membership is None:
            raise Forbidden("You are not a member of any workspace.", code="NO_WORKSPACE")
    return membership.workspace, membership


def workspaces_for_user(user: Any) -> QuerySet[Membership]:
    return Membership.objects.select_related("workspace").filter(user=user).order_by("created_at")


def members_of(workspace: Workspace) -> QuerySet[Membership]:
    return Membership.objects.select_related("user").filter(workspace=workspace).order_by("created_at")
