"""/api/v1/team/members and /api/v1/team/invitations: members of the current workspace,
invitations by email, roles, removal, and the tenant boundary between workspaces."""
from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_create
from auditing.models import AuditEvent
from conftest import assert_error, login
from teams.models import Invitation, Membership, hash_token
from teams.roles import Role
from teams.tests.factories import make_workspace

MEMBERS = "/api/v1/team/members"
INVITATIONS = "/api/v1/team/invitations"
ACCEPT = "/api/v1/team/invitations/accept"


def member_url(user) -> str:
    return f"{MEMBERS}/{user.pk}"


def revoke_url(user) -> str:
    return f"{MEMBERS}/{user.pk}/revoke"


def token_of(invite_url: str) -> str:
    [token] = parse_qs(urlparse(invite_url).query)["token"]
    return token


@pytest.fixture
def team(make_user):
    """A shared workspace with one member of each role."""
    owner, admin, analyst, viewer = make_user(), make_user(), make_user(), make_user()
    workspace = make_workspace(owner, members={admin: Role.ADMIN, analyst: Role.ANALYST, viewer: Role.VIEWER})
    return {"workspace": workspace, "owner": owner, "admin": admin, "analyst": analyst, "viewer": viewer}


@pytest.fixture
def invite(client_for, team, django_capture_on_commit_callbacks):
    """POST an invitation as `by` (default: the owner); on-commit callbacks (the email) run."""

    def do(email: str, role: str = Role.ANALYST, by=None):
        client = client_for(by or team["owner"], team["workspace"])
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(MEMBERS, {"email": email, "role": role}, format="json")

    return do


def _ids(response) -> set[str]:
    return {row["id"] for row in response.json()["results"]}


# --- listing and the workspace header ----------------------------------------------------------

def test_list_shows_members_of_the_workspace_in_the_header(team, make_user, client_for):
    outsider = make_user()
    make_workspace(outsider, name="Elsewhere")

    response = client_for(team["viewer"], team["workspace"]).get(MEMBERS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    rows = {row["id"]: row for row in body["results"]}
    assert set(rows) == {str(team[k].pk) for k in ("owner", "admin", "analyst", "viewer")}
    assert str(outsider.pk) not in rows
    assert rows[str(team["admin"].pk)]["role"] == Role.ADMIN
    assert rows[str(team["admin"].pk)]["email"] == team["admin"].email
    assert set(rows[str(team["owner"].pk)]) == {"id", "name", "email", "username", "role", "joined_at"}


def test_without_header_the_oldest_workspace_is_used(team, client_for):
    # The analyst's oldest membership is their personal workspace, where they are alone.
    response = client_for(team["analyst"]).get(MEMBERS)

    assert response.status_code == 200
    assert _ids(response) == {str(team["analyst"].pk)}


def test_list_filters_by_role(team, client_for):
    response = client_for(team["owner"], team["workspace"]).get(MEMBERS, {"role": Role.VIEWER})

    assert response.status_code == 200
    assert _ids(response) == {str(team["viewer"].pk)}


def test_retrieve_one_member_by_user_id(team, client_for):
    response = client_for(team["viewer"], team["workspace"]).get(member_url(team["analyst"]))

    assert response.status_code == 200
    assert response.json()["id"] == str(team["analyst"].pk)
    assert response.json()["role"] == Role.ANALYST


@pytest.mark.parametrize("kind", ["unknown", "malformed", "not_mine"])
def test_unknown_or_foreign_workspace_header_is_not_found(team, make_user, kind):
    header = {
        "unknown": lambda: str(uuid.uuid4()),
        "malformed": lambda: "not-a-uuid",
        "not_mine": lambda: str(make_workspace(make_user(), name="Theirs").pk),
    }[kind]()
    client = APIClient()
    tokens = login(client, team["analyst"].email)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}", HTTP_X_WORKSPACE_ID=header)

    assert_error(client.get(MEMBERS), 404, "WORKSPACE_NOT_FOUND")
    assert_error(client.post(MEMBERS, {"email": "x@example.com"}, format="json"), 404, "WORKSPACE_NOT_FOUND")
    assert_error(client.get(INVITATIONS), 404, "WORKSPACE_NOT_FOUND")
    assert not Invitation.objects.exists()


def test_members_require_authentication(db):
    assert_error(APIClient().get(MEMBERS), 401, "NOT_AUTHENTICATED")


# --- inviting ------------------------------------------------------------------------------------

def test_invite_by_email_sends_the_link(team, invite):
    response = invite("New.Person@Example.com", Role.VIEWER)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "new.person@example.com"
    assert body["role"] == Role.VIEWER
    assert body["status"] == Invitation.Status.PENDING
    assert body["invited_by"] == team["owner"].email
    assert body["invite_url"].startswith(f"{settings.SITE_URL}/invitations/accept?token=")
    token = token_of(body["invite_url"])

    invitation = Invitation.objects.get(pk=body["id"])
    assert invitation.workspace == team["workspace"]
    assert invitation.token_hash == hash_token(token) != token  # only the hash is stored
    assert invitation.email_sent_at is not None
    assert invitation.expires_at > timezone.now() + settings.INVITATION_TTL - timedelta(minutes=5)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.com"]
    assert team["workspace"].name in message.subject
    assert body["invite_url"] in message.body

    event = AuditEvent.objects.get(action="member.invited", workspace_id=team["workspace"].pk)
    assert event.actor_id == team["owner"].pk
    assert event.resource_id == str(invitation.pk)
    assert event.details["email"] == "new.person@example.com"
    assert token not in str(event.details)


def test_invite_shows_up_in_invitation_list_without_token(team, invite, client_for):
    created = invite("list.me@example.com").json()

    response = client_for(team["admin"], team["workspace"]).get(INVITATIONS)

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == created["id"]
    assert row["email_sent_at"] is not None
    assert "invite_url" not in row and "token" not in row and "token_hash" not in row


def test_invite_an_existing_member_is_a_conflict(team, invite):
    response = invite(team["analyst"].email.upper())

    error = assert_error(response, 409, "ALREADY_MEMBER")
    assert error["details"] == [{"field": "email", "message": "Already a member."}]
    assert not Invitation.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("payload", [
    {"email": "not-an-email"},
    {"email": ""},
    {},
    {"email": "ok@example.com", "role": "superuser"},
])
def test_invite_with_invalid_input_is_a_validation_error(team, client_for, payload):
    response = client_for(team["owner"], team["workspace"]).post(MEMBERS, payload, format="json")

    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"] and error["details"][0]["field"] in {"email", "role"}
    assert not Invitation.objects.exists()


def test_reinviting_revokes_the_previous_pending_invitation(team, invite, make_user, client_for):
    first = invite("again@example.com").json()
    second = invite("AGAIN@example.com", Role.VIEWER).json()

    assert first["id"] != second["id"]
    statuses = dict(Invitation.objects.values_list("id", "status"))
    assert statuses == {uuid.UUID(first["id"]): "revoked", uuid.UUID(second["id"]): "pending"}
    assert len(mail.outbox) == 2
    from auditing.models import AuditEvent

    event = AuditEvent.objects.get(action="member.invited", resource_id=second["id"])
    assert event.details["replaced_pending_invitations"] == 1

    invitee = make_user(email="again@example.com")
    client = client_for(invitee)
    assert_error(client.post(ACCEPT, {"token": token_of(first["invite_url"])}, format="json"),
                 404, "INVITATION_NOT_FOUND")
    response = client.post(ACCEPT, {"token": token_of(second["invite_url"])}, format="json")
    assert response.status_code == 200, response.content
    assert Membership.objects.get(workspace=team["workspace"], user=invitee).role == Role.VIEWER


@pytest.mark.parametrize("who", ["analyst", "viewer"])
def test_non_admins_cannot_invite(team, invite, who):
    assert_error(invite("someone@example.com", by=team[who]), 403, "PERMISSION_DENIED")
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_admin_can_invite_but_not_an_owner(team, invite):
    assert_error(invite("boss@example.com", Role.OWNER, by=team["admin"]), 403, "PERMISSION_DENIED")
    assert not Invitation.objects.exists()

    response = invite("helper@example.com", Role.ADMIN, by=team["admin"])
    assert response.status_code == 201, response.content
    assert response.json()["role"] == Role.ADMIN


def test_owner_can_invite_an_owner(team, invite, make_user, client_for):
    response = invite("coowner@example.com", Role.OWNER)
    assert response.status_code == 201, response.content

    invitee = make_user(email="coowner@example.com")
    accepted = client_for(invitee).post(ACCEPT, {"token": token_of(response.json()["invite_url"])}, format="json")
    assert accepted.status_code == 200
    assert Membership.objects.get(workspace=team["workspace"], user=invitee).role == Role.OWNER


# --- accepting -------------------------------------------------------------------------------------

def test_accept_by_the_invited_user_creates_the_membership(team, invite, make_user, client_for):
    invitee = make_user(email="joiner@example.com")
    token = token_of(invite("Joiner@example.com", Role.VIEWER).json()["invite_url"])

    response = client_for(invitee).post(ACCEPT, {"token": token}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == str(team["workspace"].pk)
    assert body["role"] == Role.VIEWER
    assert Membership.objects.get(workspace=team["workspace"], user=invitee).role == Role.VIEWER
    invitation = Invitation.objects.get(token_hash=hash_token(token))
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.accepted_at is not None
    assert AuditEvent.objects.filter(action="member.joined", workspace_id=team["workspace"].pk,
                                     actor_id=invitee.pk).exists()
    # The new member can now act in the workspace and appears in its member list.
    members = client_for(invitee, team["workspace"]).get(MEMBERS)
    assert members.status_code == 200
    assert str(invitee.pk) in _ids(members)
    workspaces = client_for(invitee).get("/api/v1/workspaces").json()["results"]
    assert {w["id"]: w["role"] for w in workspaces}[str(team["workspace"].pk)] == Role.VIEWER


def test_accept_with_another_email_is_forbidden(team, invite, make_user, client_for):
    intruder = make_user(email="intruder@example.com")
    token = token_of(invite("rightful@example.com").json()["invite_url"])

    assert_error(client_for(intruder).post(ACCEPT, {"token": token}, format="json"),
                 403, "INVITATION_EMAIL_MISMATCH")

    assert not Membership.objects.filter(workspace=team["workspace"], user=intruder).exists()
    assert Invitation.objects.get().status == Invitation.Status.PENDING


def test_accepting_twice_is_a_conflict(team, invite, make_user, client_for):
    invitee = make_user(email="twice@example.com")
    token = token_of(invite("twice@example.com").json()["invite_url"])
    client = client_for(invitee)
    assert client.post(ACCEPT, {"token": token}, format="json").status_code == 200

    assert_error(client.post(ACCEPT, {"token": token}, format="json"), 409, "INVITATION_USED")
    assert Membership.objects.filter(workspace=team["workspace"], user=invitee).count() == 1


def test_expired_invitation_cannot_be_accepted(team, invite, make_user, client_for):
    invitee = make_user(email="late@example.com")
    token = token_of(invite("late@example.com").json()["invite_url"])
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_error(client_for(invitee).post(ACCEPT, {"token": token}, format="json"), 409, "INVITATION_EXPIRED")
    assert not Membership.objects.filter(workspace=team["workspace"], user=invitee).exists()


def test_garbage_token_is_not_found(user, auth_client):
    assert_error(auth_client.post(ACCEPT, {"token": "garbage"}, format="json"), 404, "INVITATION_NOT_FOUND")


def test_missing_token_is_a_validation_error(auth_client):
    error = assert_error(auth_client.post(ACCEPT, {}, format="json"), 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "token"


def test_revoked_invitation_is_not_found(team, invite, make_user, client_for):
    invitee = make_user(email="withdrawn@example.com")
    created = invite("withdrawn@example.com").json()
    revoked = client_for(team["admin"], team["workspace"]).post(f"{INVITATIONS}/{created['id']}/revoke")
    assert revoked.status_code == 200, revoked.content

    assert_error(client_for(invitee).post(ACCEPT, {"token": token_of(created["invite_url"])}, format="json"),
                 404, "INVITATION_NOT_FOUND")
    assert not Membership.objects.filter(workspace=team["workspace"], user=invitee).exists()


def test_accept_requires_authentication(team, invite):
    token = token_of(invite("anon@example.com").json()["invite_url"])

    assert_error(APIClient().post(ACCEPT, {"token": token}, format="json"), 401, "NOT_AUTHENTICATED")
    assert Invitation.objects.get().status == Invitation.Status.PENDING


def test_accept_when_already_a_member_is_a_conflict(team, invite, make_user, client_for):
    invitee = make_user(email="sneaky@example.com")
    token = token_of(invite("sneaky@example.com").json()["invite_url"])
    Membership.objects.create(workspace=team["workspace"], user=invitee, role=Role.VIEWER)

    assert_error(client_for(invitee).post(ACCEPT, {"token": token}, format="json"), 409, "ALREADY_MEMBER")
    assert Membership.objects.get(workspace=team["workspace"], user=invitee).role == Role.VIEWER
    assert Invitation.objects.get().status == Invitation.Status.PENDING


# --- role changes ---------------------------------------------------------------------------------

def test_owner_changes_a_members_role(team, client_for):
    response = client_for(team["owner"], team["workspace"]).patch(
        member_url(team["viewer"]), {"role": Role.ADMIN}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(team["viewer"].pk)
    assert response.json()["role"] == Role.ADMIN
    assert Membership.objects.get(workspace=team["workspace"], user=team["viewer"]).role == Role.ADMIN
    event = AuditEvent.objects.get(action="member.role_changed", workspace_id=team["workspace"].pk)
    assert event.actor_id == team["owner"].pk
    assert event.details == {"user_id": str(team["viewer"].pk), "from": Role.VIEWER, "to": Role.ADMIN}


def test_admin_changes_a_non_owner_role(team, client_for):
    response = client_for(team["admin"], team["workspace"]).patch(
        member_url(team["analyst"]), {"role": Role.VIEWER}, format="json")

    assert response.status_code == 200, response.content
    assert Membership.objects.get(workspace=team["workspace"], user=team["analyst"]).role == Role.VIEWER


def test_invalid_role_is_a_validation_error(team, client_for):
    client = client_for(team["owner"], team["workspace"])

    for payload in ({"role": "god"}, {}):
        error = assert_error(client.patch(member_url(team["viewer"]), payload, format="json"), 400,
                             "VALIDATION_ERROR")
        assert error["details"][0]["field"] == "role"
    assert Membership.objects.get(workspace=team["workspace"], user=team["viewer"]).role == Role.VIEWER


@pytest.mark.parametrize("who", ["analyst", "viewer"])
def test_non_admins_cannot_change_roles(team, client_for, who):
    response = client_for(team[who], team["workspace"]).patch(member_url(team["viewer"]), {"role": Role.ADMIN},
                                                              format="json")

    assert_error(response, 403, "PERMISSION_DENIED")
    assert Membership.objects.get(workspace=team["workspace"], user=team["viewer"]).role == Role.VIEWER


def test_admin_cannot_make_anyone_an_owner(team, client_for):
    client = client_for(team["admin"], team["workspace"])

    for target in (team["analyst"], team["admin"]):
        assert_error(client.patch(member_url(target), {"role": Role.OWNER}, format="json"), 403,
                     "PERMISSION_DENIED")
    assert not Membership.objects.filter(workspace=team["workspace"], role=Role.OWNER).exclude(
        user=team["owner"]).exists()


def test_admin_cannot_change_or_remove_an_owner(team, client_for):
    client = client_for(team["admin"], team["workspace"])

    assert_error(client.patch(member_url(team["owner"]), {"role": Role.VIEWER}, format="json"), 403,
                 "PERMISSION_DENIED")
    assert_error(client.post(revoke_url(team["owner"])), 403, "PERMISSION_DENIED")
    assert Membership.objects.get(workspace=team["workspace"], user=team["owner"]).role == Role.OWNER


def test_last_owner_cannot_be_demoted(team, client_for):
    client = client_for(team["owner"], team["workspace"])

    assert_error(client.patch(member_url(team["owner"]), {"role": Role.ADMIN}, format="json"), 409, "LAST_OWNER")
    assert Membership.objects.get(workspace=team["workspace"], user=team["owner"]).role == Role.OWNER


def test_last_owner_cannot_leave(team, client_for):
    client = client_for(team["owner"], team["workspace"])

    assert_error(client.post(revoke_url(team["owner"])), 409, "LAST_OWNER")
    assert Membership.objects.filter(workspace=team["workspace"], user=team["owner"]).exists()


def test_an_owner_can_step_down_once_there_is_another_owner(team, client_for):
    client = client_for(team["owner"], team["workspace"])
    assert client.patch(member_url(team["admin"]), {"role": Role.OWNER}, format="json").status_code == 200

    response = client.patch(member_url(team["owner"]), {"role": Role.ADMIN}, format="json")

    assert response.status_code == 200, response.content
    roles = dict(Membership.objects.filter(workspace=team["workspace"]).values_list("user_id", "role"))
    assert roles[team["owner"].pk] == Role.ADMIN
    assert roles[team["admin"].pk] == Role.OWNER
    # The new sole owner is now the last owner.
    assert_error(client_for(team["admin"], team["workspace"]).patch(
        member_url(team["admin"]), {"role": Role.ANALYST}, format="json"), 409, "LAST_OWNER")


# --- removal and leaving --------------------------------------------------------------------------

def test_owner_removes_a_member_who_then_loses_access(team, client_for):
    key, _ = api_key_create(user=team["analyst"], workspace=team["workspace"], name="ci")
    removed_client = client_for(team["analyst"], team["workspace"])
    assert removed_client.get(MEMBERS).status_code == 200

    response = client_for(team["owner"], team["workspace"]).post(revoke_url(team["analyst"]))

    assert response.status_code == 204
    assert not Membership.objects.filter(workspace=team["workspace"], user=team["analyst"]).exists()
    key.refresh_from_db()
    assert key.revoked_at is not None
    event = AuditEvent.objects.get(action="member.removed", workspace_id=team["workspace"].pk)
    assert event.actor_id == team["owner"].pk
    assert event.details["user_id"] == str(team["analyst"].pk)
    # The removed user can no longer see the workspace at all.
    assert_error(removed_client.get(MEMBERS), 404, "WORKSPACE_NOT_FOUND")
    assert_error(removed_client.get(f"/api/v1/workspaces/{team['workspace'].pk}"), 404, "NOT_FOUND")
    # And is gone from the member list.
    assert str(team["analyst"].pk) not in _ids(client_for(team["owner"], team["workspace"]).get(MEMBERS))


def test_admin_removes_another_admin(team, make_user, client_for):
    second_admin = make_user()
    Membership.objects.create(workspace=team["workspace"], user=second_admin, role=Role.ADMIN)

    response = client_for(team["admin"], team["workspace"]).post(revoke_url(second_admin))

    assert response.status_code == 204
    assert not Membership.objects.filter(workspace=team["workspace"], user=second_admin).exists()


def test_viewer_can_leave(team, client_for):
    client = client_for(team["viewer"], team["workspace"])

    response = client.post(revoke_url(team["viewer"]))

    assert response.status_code == 204
    assert not Membership.objects.filter(workspace=team["workspace"], user=team["viewer"]).exists()
    assert AuditEvent.objects.filter(action="member.left", workspace_id=team["workspace"].pk,
                                     actor_id=team["viewer"].pk).exists()
    assert_error(client.get(MEMBERS), 404, "WORKSPACE_NOT_FOUND")


@pytest.mark.parametrize("who", ["analyst", "viewer"])
def test_non_admins_cannot_remove_others(team, client_for, who):
    target = team["viewer"] if who == "analyst" else team["analyst"]

    assert_error(client_for(team[who], team["workspace"]).post(revoke_url(target)), 403, "PERMISSION_DENIED")
    assert Membership.objects.filter(workspace=team["workspace"], user=target).exists()


def test_removing_a_non_member_is_not_found(team, client_for):
    client = client_for(team["owner"], team["workspace"])

    assert_error(client.post(f"{MEMBERS}/{uuid.uuid4()}/revoke"), 404, "NOT_FOUND")
    assert_error(client.post(f"{MEMBERS}/not-a-uuid/revoke"), 404, "NOT_FOUND")


# --- tenant boundary -----------------------------------------------------------------------------

def test_member_ids_of_another_workspace_are_not_found(team, make_user, client_for):
    other_owner, other_member = make_user(), make_user()
    make_workspace(other_owner, name="Other", members={other_member: Role.VIEWER})
    client = client_for(team["owner"], team["workspace"])

    assert_error(client.get(member_url(other_member)), 404, "NOT_FOUND")
    assert_error(client.patch(member_url(other_member), {"role": Role.ADMIN}, format="json"), 404, "NOT_FOUND")
    assert_error(client.post(revoke_url(other_owner)), 404, "NOT_FOUND")
    assert Membership.objects.get(user=other_member, workspace__name="Other").role == Role.VIEWER
    assert Membership.objects.filter(user=other_owner, workspace__name="Other").exists()


def test_members_are_reached_only_through_the_workspace_in_the_header(team, client_for):
    """The owner of two workspaces cannot reach workspace A's viewer while acting in workspace B."""
    second = make_workspace(team["owner"], name="Second")
    client = client_for(team["owner"], second)

    assert_error(client.get(member_url(team["viewer"])), 404, "NOT_FOUND")
    assert_error(client.post(revoke_url(team["viewer"])), 404, "NOT_FOUND")
    assert Membership.objects.filter(workspace=team["workspace"], user=team["viewer"]).exists()


# --- invitations list and revoke -----------------------------------------------------------------

def test_invitation_list_is_for_admins_of_the_workspace_only(team, invite, make_user, client_for):
    mine = invite("mine@example.com").json()
    stranger = make_user()
    other = make_workspace(stranger, name="Other")
    with_other = client_for(stranger, other)
    assert with_other.post(MEMBERS, {"email": "theirs@example.com"}, format="json").status_code == 201

    for who in ("owner", "admin"):
        response = client_for(team[who], team["workspace"]).get(INVITATIONS)
        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [mine["id"]]
    for who in ("analyst", "viewer"):
        assert_error(client_for(team[who], team["workspace"]).get(INVITATIONS), 403, "PERMISSION_DENIED")


def test_invitation_list_filters_by_status(team, invite, client_for):
    invite("a@example.com")
    invite("a@example.com")  # revokes the first
    client = client_for(team["admin"], team["workspace"])

    pending = client.get(INVITATIONS, {"status": "pending"}).json()["results"]
    revoked = client.get(INVITATIONS, {"status": "revoked"}).json()["results"]

    assert [row["status"] for row in pending] == ["pending"]
    assert [row["status"] for row in revoked] == ["revoked"]


def test_revoke_an_invitation(team, invite, client_for):
    created = invite("bye@example.com").json()
    client = client_for(team["admin"], team["workspace"])

    response = client.post(f"{INVITATIONS}/{created['id']}/revoke")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == Invitation.Status.REVOKED
    assert Invitation.objects.get(pk=created["id"]).status == Invitation.Status.REVOKED
    assert AuditEvent.objects.filter(action="member.invitation_revoked", resource_id=created["id"],
                                     actor_id=team["admin"].pk).exists()
    assert_error(client.post(f"{INVITATIONS}/{created['id']}/revoke"), 409, "INVITATION_NOT_PENDING")


def test_non_admins_cannot_revoke_invitations(team, invite, client_for):
    created = invite("stay@example.com").json()

    for who in ("analyst", "viewer"):
        assert_error(client_for(team[who], team["workspace"]).post(f"{INVITATIONS}/{created['id']}/revoke"),
                     403, "PERMISSION_DENIED")
    assert Invitation.objects.get(pk=created["id"]).status == Invitation.Status.PENDING


def test_another_workspaces_invitation_cannot_be_revoked(team, invite, make_user, client_for):
    created = invite("theirs@example.com").json()
    stranger = make_user()
    other = make_workspace(stranger, name="Other")

    assert_error(client_for(stranger, other).post(f"{INVITATIONS}/{created['id']}/revoke"), 404, "NOT_FOUND")
    assert Invitation.objects.get(pk=created["id"]).status == Invitation.Status.PENDING


def test_email_is_sent_only_after_commit(team, client_for):
    """Without the transaction committing, no email leaves (the task runs on commit)."""
    response = client_for(team["owner"], team["workspace"]).post(MEMBERS, {"email": "later@example.com"},
                                                                 format="json")

    assert response.status_code == 201
    assert mail.outbox == []
    assert Invitation.objects.get().email_sent_at is None


def test_api_keys_in_other_workspaces_survive_removal(team, client_for):
    personal = Membership.objects.get(user=team["analyst"], workspace__is_personal=True).workspace
    elsewhere, _ = api_key_create(user=team["analyst"], workspace=personal, name="personal")

    assert client_for(team["owner"], team["workspace"]).post(revoke_url(team["analyst"])).status_code == 204

    assert ApiKey.objects.get(pk=elsewhere.pk).revoked_at is None
