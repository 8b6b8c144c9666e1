"""Secrets at rest: MultiFernet over the keys in settings.FERNET_KEYS (first key encrypts).

Rotation: put a new key first in FERNET_KEYS, keep the old ones after it, run
`manage.py rotate_secrets` (re-encrypts every stored secret with the new key), then drop the old keys.
"""
from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretDecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


def _as_fernet_key(raw: str) -> bytes:
    raw = raw.strip()
    try:
        if len(base64.urlsafe_b64decode(raw.encode())) == 32:
            return raw.encode()
    except (ValueError, TypeError):
        pass
    # Any other string (e.g. the Django SECRET_KEY fallback) is stretched into a valid key.
    return base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest())


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_as_fernet_key(k)) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FERNET_KEYS))


def encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretDecryptionError("A stored secret could not be decrypted with the configured FERNET_KEYS.") from None


def rotate(token: str) -> str:
    """Re-encrypt with the first key (no-op for empty values)."""
    if not token:
        return ""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretDecryptionError("A stored secret could not be decrypted with the configured FERNET_KEYS.") from None
