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
DEMO_DATA_SOURCE = "Demo retail warehouse"


class Command(BaseCommand):
    help = "Create the demo admin, demo analyst and the shared demo workspace (safe to re-run)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--skip-warehouse", action="store_true", help="Only the accounts, no demo database.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.existing: list[str] = []
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

        if not options["skip_warehouse"]:
            self._warehouse(workspace, admin)
        self.stdout.write(self.style.SUCCESS("Demo accounts ready:"))
        for email, password, role in ((admin_email, admin_password, f"operator; owner of “{DEMO_WORKSPACE}”"),
                                      (analyst_email, analyst_password, f"analyst in “{DEMO_WORKSPACE}”")):
            shown = "(existing account: password unchanged)" if email in self.existing else f"/ {password}"
            self.stdout.write(f"  {email} {shown}   ({role})")

    def _ensure_user(self, email: str, password: str, name: str, role: str) -> User:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            return user_create(email=email, password=password, name=name, role=role)
        # Re-running never touches an existing account: an operator may have changed its password.
        self.existing.append(email)
        return user

    def _warehouse(self, workspace: Workspace, admin: User) -> None:
        """Generate the retail warehouse once, register it, sync it, apply the curated dictionary."""
        import time

        from metadata import services as metadata_services
        from metadata.connectors import workspace_files_dir
        from metadata.demo_warehouse import DEFAULT_FILENAME, DICTIONARY, generate
        from metadata.models import DataSource, SchemaColumn, SchemaTable

        path = workspace_files_dir(workspace.pk) / DEFAULT_FILENAME
        if not path.exists():
            started = time.perf_counter()
            orders = int(os.environ.get("DEMO_WAREHOUSE_ORDERS", "100000"))
            counts = generate(path, orders=orders)
            self.stdout.write(f"Generated the demo warehouse ({counts.get('orders', 0):,} orders) "
                              f"in {time.perf_counter() - started:.1f} s.")
        ds = DataSource.objects.filter(workspace=workspace, name=DEMO_DATA_SOURCE).first()
        if ds is None:
            ds = metadata_services.data_source_create(
                workspace=workspace, user=admin,
                data={"name": DEMO_DATA_SOURCE, "engine": DataSource.Engine.SQLITE, "database": DEFAULT_FILENAME,
                      "is_default": True, "read_only": True},
            )
        summary = metadata_services.schema_sync(ds=ds)
        edits = 0
        for table_name, entry in DICTIONARY.items():
            table = SchemaTable.objects.filter(data_source=ds, name=table_name, schema_name="").first()
            if table is None:
                continue
            changes = {f: entry[f] for f in ("alias", "description", "synonyms", "tags") if f in entry}
            if changes and not set(changes) & set(table.curated_fields or []):
                metadata_services.dictionary_update(obj=table, user=admin, changes=changes, source="seed")
                edits += 1
            for column_name, column_entry in (entry.get("columns") or {}).items():
                column = SchemaColumn.objects.filter(table=table, name=column_name).first()
                if column is None:
                    continue
                changes = {f: column_entry[f] for f in ("alias", "description", "synonyms", "tags") if f in column_entry}
                # Never undo what a person changed since the last seed.
                changes = {f: v for f, v in changes.items() if f not in (column.curated_fields or [])}
                if changes:
                    metadata_services.dictionary_update(obj=column, user=admin, changes=changes, source="seed")
                    edits += 1
        self.stdout.write(f"Demo data source “{DEMO_DATA_SOURCE}”: {summary['tables']} tables, "
                          f"{summary['columns']} columns synced; dictionary entries checked: {edits}.")
