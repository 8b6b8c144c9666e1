"""Every operation of the API, called by each workspace role with made-up ids and empty bodies: none
answers with a server error, and permissions only grow with the role (what a viewer may do, an
analyst, admin and owner may too). Operations are read from the OpenAPI schema, so new endpoints are
covered as they appear."""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

from teams.tests.factories import make_workspace

pytestmark = pytest.mark.django_db

ROLES = ["viewer", "analyst", "admin", "owner"]
DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
HEADER = """# Who may call what

Every operation of the API and the least workspace role it allows, as measured by
`core/tests/test_endpoint_matrix.py` (which fails when this table and the code disagree; regenerate with
`WRITE_PERMISSIONS_DOC=1 .venv/bin/python -m pytest core/tests/test_endpoint_matrix.py`).
"any member" means every workspace role; some operations narrow further per object (your own history,
a session's creator, a saved query's owner or grantees), and installation-admin operations also require
the operator flag (`/users`, `/admin/...`).

| operation | least role |
|---|---|
"""
# Streams hold the connection open by design; logout would end the token the walk relies on.
SKIP = re.compile(r"/stream-|/auth/logout")
PARAMETERS = {"table_name": "customers", "column_name": "email", "token": "x" * 43}


def operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, methods in schema["paths"].items():
        for method in methods:
            if method in ("get", "post", "put", "patch", "delete") and not SKIP.search(path):
                found.append((method, path))
    return sorted(found)


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PARAMETERS.get(m.group(1), str(uuid.uuid4())), path)


@pytest.fixture
def clients(make_user, client_for):
    owner = make_user()
    members = {role: make_user() for role in ROLES if role != "owner"}
    workspace = make_workspace(owner, members={user: role for role, user in members.items()})
    users = {**members, "owner": owner}
    return {role: client_for(users[role], workspace) for role in ROLES}


def test_no_operation_fails_with_a_server_error_and_rights_only_grow_with_the_role(clients):
    denied: dict[tuple[str, str], list[str]] = {}
    errors: list[str] = []
    walked = operations()
    assert len(walked) > 150  # the whole API, not a sample
    for method, path in walked:
        url = concrete(path)
        for role in ROLES:
            response = getattr(clients[role], method)(url, {}, format="json")
            if response.status_code >= 500:
                errors.append(f"{method.upper()} {path} as {role}: {response.status_code}")
            if response.status_code == 403:
                denied.setdefault((method, path), []).append(role)
    assert not errors, "\n".join(errors)
    inversions = [f"{m.upper()} {p}: denied to {roles}" for (m, p), roles in denied.items()
                  if roles != ROLES[: len(roles)] and len(roles) < len(ROLES)]
    assert not inversions, "\n".join(inversions)
    table = HEADER + "".join(
        f"| `{method.upper()} {path.removeprefix('/api/v1')}` | "
        f"{_least(denied.get((method, path), []))} |\n" for method, path in walked)
    if os.environ.get("WRITE_PERMISSIONS_DOC"):
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(table)
    assert DOC.is_file() and DOC.read_text() == table, (
        "docs/permissions.md disagrees with the code; regenerate it (see its header) and review the diff")
    # The walk reaches the permission checks: what only admins may do is denied below them.
    assert denied[("post", "/api/v1/access-policies")] == ["viewer", "analyst"]
    assert denied[("post", "/api/v1/queries/execute")] == ["viewer"]


def _least(denied_roles: list[str]) -> str:
    if len(denied_roles) == len(ROLES):
        return "installation admins only"
    least = ROLES[len(denied_roles)]
    return "any member" if least == "viewer" else least
