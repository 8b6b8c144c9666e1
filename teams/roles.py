from django.db import models


class Role(models.TextChoices):
    """Roles inside a workspace, from least to most powerful."""

    VIEWER = "viewer", "Viewer"
    ANALYST = "analyst", "Analyst"
    ADMIN = "admin", "Admin"
    OWNER = "owner", "Owner"


RANK = {Role.VIEWER: 0, Role.ANALYST: 1, Role.ADMIN: 2, Role.OWNER: 3}


def role_at_least(role: str, required: str) -> bool:
    return RANK.get(Role(role), -1) >= RANK[Role(required)] if role in Role.values else False
