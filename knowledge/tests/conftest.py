from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from teams.roles import Role
from teams.tests.factories import make_workspace


@pytest.fixture(autouse=True)
def documents_dir(settings: Any, tmp_path: Path) -> Path:
    """Uploaded files of a test live in its own temporary folder."""
    settings.DOCUMENTS_DIR = tmp_path / "documents"
    return settings.DOCUMENTS_DIR


@pytest.fixture
def team(make_user: Callable[..., Any]) -> dict[str, Any]:
    owner, analyst, viewer, other_analyst = make_user(), make_user(), make_user(), make_user()
    workspace = make_workspace(owner, members={analyst: Role.ANALYST, viewer: Role.VIEWER,
                                               other_analyst: Role.ANALYST})
    return {"workspace": workspace, "owner": owner, "analyst": analyst, "viewer": viewer,
            "other_analyst": other_analyst}


@pytest.fixture
def clients(team: dict[str, Any], client_for: Callable[..., APIClient]) -> dict[str, APIClient]:
    return {role: client_for(team[role], team["workspace"]) for role in ("owner", "analyst", "viewer",
                                                                         "other_analyst")}


@pytest.fixture
def upload(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """POST a file (processing runs eagerly once the request's transaction commits)."""

    def send(client: APIClient, name: str, content: bytes, path: str = "/api/v1/documents") -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, {"file": SimpleUploadedFile(name, content)}, format="multipart")

    return send
