"""Create the demo admin and demo analyst (idempotent) and print their credentials."""
from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User, UserSettings
from accounts.services import user_create
from teams.models import Membership, Workspace
from teams.roles import Role

DEMO_WORKSPACE = "Demo workspace"


class Command(BaseCommand):
    help = "Create the demo admin, demo analyst and the shared demo workspace (safe to re-run)."

    def handle(self, *args: Any, **options: Any) -> None:
        admin_email = os.environ.get("DEMO_ADMIN_EMAIL", "admin@insightengine.local").strip().lower()
        admin_password = os.environ.get("DEMO_ADMIN_PASSWORD", "insight-admin-2024")
        analyst_email = os.environ.get("DEMO_ANALYST_EMAIL", "analyst@insightengine.local").strip().lower()
        analyst_password = os.environ.get("DEMO_ANALYST_PASSWORD", "insight-analyst-2024")

        with transaction.atomic():
            admin = self._ensure_user(admin_email, admin_password, "Demo Admin", User.Role.ADMIN)
            analyst = self._ensure_user(analyst_email, analyst_password, "Demo Analyst", User.Role.USER)
            workspace = Workspace.objects.filter(name=DEMO_WORKSPACE, is_personal=False, created_by=admin).first()
            if workspace is None:
                workspace = Workspace.objects.create(name=DEMO_WORKSPACE, created_by=admin)
            Membership.objects.get_or_create(workspace=workspace, user=admin, defaults={"role": Role.OWNER})
            Membership.objects.get_or_create(workspace=workspace, user=analyst, defaults={"role": Role.ANALYST})
            # Both land in the shared demo workspace, where the demo data lives.
            UserSettings.objects.update_or_create(user=admin, defaults={"default_workspace": workspace})
            UserSettings.objects.update_or_create(user=analyst, defaults={"default_workspace": workspace})

        self.stdout.write(self.style.SUCCESS("Demo accounts ready:"))
        self.stdout.write(f"  admin    {admin_email} / {admin_password}   (operator; owner of “{DEMO_WORKSPACE}”)")
        self.stdout.write(f"  analyst  {analyst_email} / {analyst_password}   (analyst in “{DEMO_WORKSPACE}”)")

    def _ensure_user(self, email: str, password: str, name: str, role: str) -> User:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            return user_create(email=email, password=password, name=name, role=role)
        # Re-running keeps the account but makes the printed credentials true again.
        user.set_password(password)
        user.role = role
        user.is_active = True
        user.save()
        return user
