from typing import Any

from teams.models import Membership, Workspace
from teams.roles import Role
from teams.services import workspace_create


def make_workspace(owner: Any, name: str = "Acme analytics", members: dict[Any, str] | None = None) -> Workspace:
    """A shared workspace owned by `owner`, with `members` {user: role} added."""
    workspace = workspace_create(name=name, owner=owner)
    for user, role in (members or {}).items():
        Membership.objects.create(workspace=workspace, user=user, role=role)
    return workspace


__all__ = ["make_workspace", "Role"]
