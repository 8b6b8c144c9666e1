"""Per-resource grants (`PUT /api/v1/permissions/{resource_id}`, seed 003): one member's permission on
one data source, saved query, chat session or document, over what their role gives them.

What each permission means, by kind of resource (the role still applies on top: a viewer given `read`
on a data source reads saved queries on it but runs no ad-hoc SQL):

=============  ==============================  ===============================  ==============================
kind           without a grant                 read / write                     none / view_pii
=============  ==============================  ===============================  ==============================
data source    every member, by role           read: the same, said explicitly  none: hidden and refused
                                                                                view_pii: PII columns unmasked
saved query    its owner                       read: run it; write: also edit   none: share taken away
chat session   its creator; all when shared    read: see it; write: also ask    none: hidden even when shared
document       every member                    read: the same; write: also      none: hidden, and never cited
                                               reprocess and delete             in that member's answers
=============  ==============================  ===============================  ==============================

Who grants: workspace admins and owners for everything; also the owner of a saved query, the creator
of a chat session and the uploader of a document for theirs. Admins and owners cannot be shut out of a
data source or document (they manage them) and the owner/creator of a resource always keeps every
right. Saved-query grants live in `queries.SavedQueryShare` (the table `/saved-queries/{id}/share`
writes), the others in `ResourceGrant`. Every change is audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.exceptions import Forbidden, NotFound, ValidationFailed

from .models import Membership, ResourceGrant
from .roles import Role, role_at_least

Level = ResourceGrant.Level
Kind = ResourceGrant.ResourceType
SAVED_QUERY = "saved_query"

LEVELS: dict[str, tuple[str, ...]] = {
    Kind.DATA_SOURCE: (Level.NONE, Level.READ, Level.VIEW_PII),
    SAVED_QUERY: (Level.NONE, Level.READ, Level.WRITE),
    Kind.CHAT_SESSION: (Level.NONE, Level.READ, Level.WRITE),
    Kind.DOCUMENT: (Level.NONE, Level.READ, Level.WRITE),
}
READABLE = (Level.READ, Level.WRITE, Level.VIEW_PII)


def _is_admin(membership: Any) -> bool:
    return membership is not None and role_at_least(membership.role, Role.ADMIN)


# --- reads used on every path ---------------------------------------------------------------------

def level_of(user_id: Any, resource_id: Any) -> str | None:
    """The member's grant on one resource (None: no grant, the role's default applies)."""
    return ResourceGrant.objects.filter(resource_id=resource_id, user_id=user_id).values_list(
        "permission", flat=True).first()


def ids_with(user: Any, kind: str, levels: tuple[str, ...]) -> Any:
    """Ids of `kind` resources on which `user` holds one of `levels` (a subquery)."""
    return ResourceGrant.objects.filter(user=user, resource_type=kind, permission__in=levels).values("resource_id")


def denied_ids(user: Any, kind: str) -> Any:
    return ids_with(user, kind, (Level.NONE,))


@dataclass(frozen=True)
class SourceRights:
    usable: bool
    sees_pii: bool


def source_rights(membership: Any, data_source: Any) -> SourceRights:
    """May this member use the data source, and see its PII unmasked? (One lookup.)

    Admins and owners always may and do; without a membership (nobody identified) no PII is shown."""
    if membership is None:
        return SourceRights(usable=True, sees_pii=False)
    if _is_admin(membership):
        return SourceRights(usable=True, sees_pii=True)
    level = level_of(membership.user_id, getattr(data_source, "pk", data_source))
    return SourceRights(usable=level != Level.NONE, sees_pii=level == Level.VIEW_PII)


def require_source(membership: Any, data_source: Any) -> SourceRights:
    """The rights, or NotFound for a source taken away from this member (told apart from nothing)."""
    rights = source_rights(membership, data_source)
    if not rights.usable:
        raise NotFound("No such data source.", code="DATA_SOURCE_NOT_FOUND")
    return rights


def usable_sources(queryset: Any, membership: Any) -> Any:
    if membership is None or _is_admin(membership):
        return queryset
    return queryset.exclude(pk__in=denied_ids(membership.user_id, Kind.DATA_SOURCE))


# --- the resource behind an id --------------------------------------------------------------------

@dataclass(frozen=True)
class Resource:
    kind: str
    obj: Any
    owner_id: Any  # the owner / creator / uploader: always every right

    @property
    def title(self) -> str:
        return str(getattr(self.obj, "name", "") or getattr(self.obj, "title", "") or self.obj.pk)


def _find(workspace: Any, resource_id: Any) -> Resource:
    from chat.models import ChatSession
    from knowledge.models import Document
    from metadata.models import DataSource
    from queries.models import SavedQuery

    kinds = (
        (Kind.DATA_SOURCE, DataSource.objects.filter(workspace=workspace), "created_by_id"),
        (SAVED_QUERY, SavedQuery.objects.filter(workspace=workspace), "owner_id"),
        (Kind.CHAT_SESSION, ChatSession.objects.filter(workspace=workspace, deleted_at__isnull=True),
         "created_by_id"),
        (Kind.DOCUMENT, Document.objects.filter(workspace=workspace), "uploaded_by_id"),
    )
    for kind, queryset, owner_field in kinds:
        try:
            obj = queryset.filter(pk=resource_id).first()
        except (ValidationError, ValueError):
            obj = None
        if obj is not None:
            return Resource(kind=str(kind), obj=obj, owner_id=getattr(obj, owner_field, None))
    raise NotFound("No data source, saved query, chat session or document with this id in your workspace.",
                   code="RESOURCE_NOT_FOUND")


def _may_see(resource: Resource, membership: Any) -> bool:
    """Whether the caller may know the resource exists (else it is 404, as for a stranger)."""
    if _is_admin(membership) or resource.owner_id == membership.user_id:
        return True
    if resource.kind == SAVED_QUERY:
        return resource.obj.shares.filter(user_id=membership.user_id).exists()
    level = level_of(membership.user_id, resource.obj.pk)
    if level == Level.NONE:
        return False
    if resource.kind == Kind.CHAT_SESSION:
        return bool(resource.obj.shared or level)
    return True


def resource_for_manager(*, workspace: Any, membership: Any, resource_id: Any) -> Resource:
    """The resource, if the caller may manage its grants (403 when they can see but not manage it)."""
    resource = _find(workspace, resource_id)
    if not _may_see(resource, membership):
        raise NotFound("No data source, saved query, chat session or document with this id in your workspace.",
                       code="RESOURCE_NOT_FOUND")
    if _is_admin(membership):
        return resource
    if resource.kind in (SAVED_QUERY, Kind.CHAT_SESSION, Kind.DOCUMENT) and resource.owner_id == membership.user_id:
        return resource
    raise Forbidden("Only workspace admins (and the owner of a saved query, the creator of a conversation or the "
                    "uploader of a document) manage who may use it.", code="NOT_RESOURCE_MANAGER")


# --- listing and changing -------------------------------------------------------------------------

def grants_of(resource: Resource) -> list[dict[str, Any]]:
    if resource.kind == SAVED_QUERY:
        rows = resource.obj.shares.select_related("user", "granted_by").order_by("created_at")
    else:
        rows = ResourceGrant.objects.filter(resource_id=resource.obj.pk).select_related(
            "user", "granted_by").order_by("created_at")
    return [{"user_id": row.user_id, "email": row.user.email, "permission": row.permission,
             "granted_by": row.granted_by_id, "updated_at": row.updated_at} for row in rows]


def _target_membership(resource: Resource, user_id: Any) -> Membership:
    try:
        member = Membership.objects.select_related("user").filter(
            workspace_id=resource.obj.workspace_id, user_id=user_id).first()
    except (ValidationError, ValueError):
        member = None
    if member is None:
        raise ValidationFailed.for_field("user_id", "Not a member of this workspace.", code="NOT_A_MEMBER")
    return member


def _check_level(resource: Resource, member: Membership, permission: str) -> None:
    allowed = LEVELS[resource.kind]
    if permission not in allowed:
        raise ValidationFailed.for_field(
            "permission", f"A {resource.kind.replace('_', ' ')} takes one of: {', '.join(allowed)}.",
            code="INVALID_PERMISSION")
    if member.user_id == resource.owner_id and resource.kind != Kind.DATA_SOURCE:
        raise ValidationFailed.for_field("user_id", "The owner of this resource always has every right.",
                                         code="OWNER_HAS_EVERY_RIGHT")
    if permission == Level.NONE and _is_admin(member) and resource.kind in (Kind.DATA_SOURCE, Kind.DOCUMENT):
        raise ValidationFailed.for_field(
            "user_id", "Admins and owners manage every data source and document; change their role first.",
            code="ADMIN_CANNOT_BE_EXCLUDED")
    if permission == Level.WRITE and member.role == Role.VIEWER:
        raise ValidationFailed.for_field("permission", "Viewers read only; make them an analyst to let them write.",
                                         code="VIEWER_CANNOT_WRITE")


def grant_set(*, resource: Resource, actor: Any, user_id: Any, permission: Any, request: Any = None
              ) -> dict[str, Any]:
    from auditing.services import record

    permission = str(permission or "").strip().lower()
    member = _target_membership(resource, user_id)
    _check_level(resource, member, permission)
    with transaction.atomic():
        if resource.kind == SAVED_QUERY:
            from queries.models import SavedQueryShare

            if permission == Level.NONE:
                SavedQueryShare.objects.filter(saved_query=resource.obj, user=member.user).delete()
            else:
                SavedQueryShare.objects.update_or_create(saved_query=resource.obj, user=member.user,
                                                         defaults={"permission": permission, "granted_by": actor})
        else:
            ResourceGrant.objects.update_or_create(
                resource_id=resource.obj.pk, user=member.user,
                defaults={"workspace_id": resource.obj.workspace_id, "resource_type": resource.kind,
                          "permission": permission, "granted_by": actor})
        _touched(resource)
        record(actor=actor, action="permission.granted", target=resource.obj, workspace=resource.obj.workspace,
               request=request, details={"resource_type": resource.kind, "user_id": str(member.user_id),
                                         "permission": permission})
    return {"resource_id": resource.obj.pk, "resource_type": resource.kind, "user_id": member.user_id,
            "email": member.user.email, "permission": permission}


def grant_delete(*, resource: Resource, actor: Any, user_id: Any, request: Any = None) -> None:
    """Back to what the member's role gives them."""
    from auditing.services import record

    try:
        if resource.kind == SAVED_QUERY:
            deleted, _ = resource.obj.shares.filter(user_id=user_id).delete()
        else:
            deleted, _ = ResourceGrant.objects.filter(resource_id=resource.obj.pk, user_id=user_id).delete()
    except (ValidationError, ValueError):
        deleted = 0
    if not deleted:
        raise NotFound("That member holds no grant on this resource.", code="GRANT_NOT_FOUND")
    _touched(resource)
    record(actor=actor, action="permission.revoked", target=resource.obj, workspace=resource.obj.workspace,
           request=request, details={"resource_type": resource.kind, "user_id": str(user_id)})


def _touched(resource: Resource) -> None:
    """What is cached per data source (schema for the assistant, results) is keyed on its updated_at."""
    if resource.kind == Kind.DATA_SOURCE:
        from django.utils import timezone

        type(resource.obj).objects.filter(pk=resource.obj.pk).update(updated_at=timezone.now())
