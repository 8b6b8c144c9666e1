"""Writes for workspaces, memberships and invitations (check first, then do)."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from auditing.services import record
from auditing.webhooks import emit
from core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed

from .models import Invitation, Membership, Workspace, hash_token
from .roles import Role, role_at_least


@transaction.atomic
def workspace_create(*, name: str, owner: Any, is_personal: bool = False, request: Any = None) -> Workspace:
    workspace = Workspace.objects.create(name=name, is_personal=is_personal, created_by=owner)
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    record(actor=owner, action="workspace.created", target=workspace, workspace=workspace, request=request,
           details={"name": name, "personal": is_personal})
    return workspace


def workspace_create_personal(*, user: Any, request: Any = None) -> Workspace:
    label = user.name or user.username
    return workspace_create(name=f"{label}'s workspace", owner=user, is_personal=True, request=request)


def workspace_update(*, workspace: Workspace, by: Any, name: str, request: Any = None) -> Workspace:
    old = workspace.name
    workspace.name = name
    workspace.save(update_fields=["name", "updated_at"])
    record(actor=by, action="workspace.updated", target=workspace, workspace=workspace, request=request,
           details={"name": {"from": old, "to": name}})
    return workspace


def _owners(workspace: Workspace) -> int:
    return Membership.objects.filter(workspace=workspace, role=Role.OWNER).count()


def check_can_assign_role(*, actor_membership: Membership, role: str) -> None:
    if role == Role.OWNER and actor_membership.role != Role.OWNER:
        raise Forbidden("Only an owner can make someone an owner.")
    if not role_at_least(actor_membership.role, Role.ADMIN):
        raise Forbidden("Only workspace admins manage members.")


def check_can_manage_member(*, actor_membership: Membership, target: Membership) -> None:
    if target.role == Role.OWNER and actor_membership.role != Role.OWNER:
        raise Forbidden("Only an owner can change or remove another owner.")


@transaction.atomic
def member_invite(*, workspace: Workspace, by: Any, actor_membership: Membership, email: str, role: str,
                  request: Any = None) -> tuple[Invitation, str]:
    """Invite `email`; returns the invitation and its token (shown once, also emailed)."""
    from accounts.models import User

    email = email.strip().lower()
    check_can_assign_role(actor_membership=actor_membership, role=role)
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise Conflict(f"{email} is already a member of this workspace.", code="ALREADY_MEMBER",
                       details=[{"field": "email", "message": "Already a member."}])
    # Inviting again re-issues the invitation: the previous link stops working.
    replaced = Invitation.objects.filter(
        workspace=workspace, email__iexact=email, status=Invitation.Status.PENDING
    ).update(status=Invitation.Status.REVOKED)
    token = Invitation.new_token()
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                workspace=workspace, email=email, role=role, token_hash=hash_token(token), invited_by=by,
                expires_at=timezone.now() + settings.INVITATION_TTL,
            )
    except IntegrityError:
        # A concurrent invitation of the same address won the one-pending-per-email constraint.
        raise Conflict(f"An invitation for {email} is being sent right now.", code="INVITATION_PENDING") from None
    record(actor=by, action="member.invited", target=invitation, workspace=workspace, request=request,
           details={"email": email, "role": role, "replaced_pending_invitations": replaced,
                    "existing_user": User.objects.filter(email__iexact=email).exists()})
    from .tasks import send_invitation_email

    transaction.on_commit(lambda: send_invitation_email.delay(str(invitation.pk), token))
    emit(workspace, "member_invited", {"invitation_id": invitation.pk, "email": invitation.email, "role": role})
    return invitation, token


def invitation_url(token: str) -> str:
    return f"{settings.SITE_URL}/invitations/accept?token={token}"


@transaction.atomic
def invitation_accept(*, token: str, user: Any, request: Any = None) -> Membership:
    invitation = (
        Invitation.objects.select_for_update().select_related("workspace").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None or invitation.status == Invitation.Status.REVOKED:
        raise NotFound("This invitation does not exist or was withdrawn.", code="INVITATION_NOT_FOUND")
    if invitation.status == Invitation.Status.ACCEPTED:
        raise Conflict("This invitation has already been accepted.", code="INVITATION_USED")
    if invitation.is_expired:
        raise Conflict("This invitation has expired. Ask for a new one.", code="INVITATION_EXPIRED")
    if invitation.email.lower() != user.email.lower():
        raise Forbidden("This invitation was sent to another email address.", code="INVITATION_EMAIL_MISMATCH")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(workspace=invitation.workspace, user=user, role=invitation.role)
    except IntegrityError:
        raise Conflict("You are already a member of this workspace.", code="ALREADY_MEMBER") from None
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_at", "updated_at"])
    record(actor=user, action="member.joined", target=membership, workspace=invitation.workspace, request=request,
           details={"role": invitation.role, "invitation_id": str(invitation.pk)})
    emit(invitation.workspace, "member_joined", {"user_id": user.pk, "email": user.email, "role": membership.role})
    return membership


def invitation_revoke(*, invitation: Invitation, by: Any, request: Any = None) -> Invitation:
    if invitation.status != Invitation.Status.PENDING:
        raise Conflict(f"The invitation is already {invitation.status}.", code="INVITATION_NOT_PENDING")
    invitation.status = Invitation.Status.REVOKED
    invitation.save(update_fields=["status", "updated_at"])
    record(actor=by, action="member.invitation_revoked", target=invitation, workspace=invitation.workspace,
           request=request, details={"email": invitation.email})
    return invitation


@transaction.atomic
def member_change_role(*, membership: Membership, by: Any, actor_membership: Membership, role: str,
                       request: Any = None) -> Membership:
    if role not in Role.values:
        raise ValidationFailed.for_field("role", f"Must be one of {', '.join(Role.values)}.")
    check_can_assign_role(actor_membership=actor_membership, role=role)
    check_can_manage_member(actor_membership=actor_membership, target=membership)
    # Lock the workspace's owners so two concurrent demotions cannot leave it ownerless.
    list(Membership.objects.select_for_update().filter(workspace=membership.workspace, role=Role.OWNER))
    if membership.role == Role.OWNER and role != Role.OWNER and _owners(membership.workspace) <= 1:
        raise Conflict("The last owner cannot be demoted. Make someone else an owner first.", code="LAST_OWNER")
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    record(actor=by, action="member.role_changed", target=membership, workspace=membership.workspace,
           request=request, details={"user_id": str(membership.user_id), "from": old, "to": role})
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, by: Any, actor_membership: Membership, request: Any = None) -> None:
    leaving_self = membership.user_id == by.pk
    if not leaving_self:
        if not role_at_least(actor_membership.role, Role.ADMIN):
            raise Forbidden("Only workspace admins remove members.")
        check_can_manage_member(actor_membership=actor_membership, target=membership)
    list(Membership.objects.select_for_update().filter(workspace=membership.workspace, role=Role.OWNER))
    if membership.role == Role.OWNER and _owners(membership.workspace) <= 1:
        raise Conflict("The last owner cannot be removed. Make someone else an owner first.", code="LAST_OWNER")
    workspace, user_id, email = membership.workspace, membership.user_id, membership.user.email
    membership.delete()
    # Keys acting in this workspace stop with the membership.
    from accounts.models import ApiKey

    ApiKey.objects.filter(workspace=workspace, user_id=user_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    record(actor=by, action="member.left" if leaving_self else "member.removed", resource_type="membership",
           workspace=workspace, request=request, details={"user_id": str(user_id), "email": email})
    emit(workspace, "member_removed", {"user_id": user_id, "email": email, "left": leaving_self})
