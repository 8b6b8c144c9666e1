"""Re-encrypt every stored secret with the first key of FERNET_KEYS.

Rotation: prepend a new key to FERNET_KEYS (keep the old ones after it), run this command,
then remove the old keys.
"""
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from core.crypto import SecretDecryptionError, rotate


class Command(BaseCommand):
    help = "Re-encrypt stored secrets (data-source passwords, AI provider keys, …) with the newest FERNET_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        from metadata.models import DataSource

        rotated = failed = 0
        with transaction.atomic():
            for ds in DataSource.objects.select_for_update().exclude(password_encrypted=""):
                try:
                    ds.password_encrypted = rotate(ds.password_encrypted)
                except SecretDecryptionError:
                    failed += 1
                    self.stderr.write(f"Cannot decrypt the password of data source {ds.pk} ({ds.name}) — skipped.")
                    continue
                ds.save(update_fields=["password_encrypted"])
                rotated += 1
            from assistant.models import AIProvider

            for provider in AIProvider.objects.select_for_update().exclude(api_key_encrypted=""):
                try:
                    provider.api_key_encrypted = rotate(provider.api_key_encrypted)
                except SecretDecryptionError:
                    failed += 1
                    self.stderr.write(f"Cannot decrypt the API key of AI provider {provider.pk} ({provider.name}) "
                                      "— skipped.")
                    continue
                provider.save(update_fields=["api_key_encrypted"])
                rotated += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {rotated} secret(s); {failed} could not be decrypted."))
        if failed:
            raise SystemExit(1)
