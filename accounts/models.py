from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.models import BaseModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _unique_username(self, email: str) -> str:
        base = "".join(c for c in email.split("@")[0].lower() if c.isalnum() or c in "._-")[:30] or "user"
        candidate, n = base, 1
        while self.model.objects.filter(username__iexact=candidate).exists():
            n += 1
            candidate = f"{base}{n}"
        return candidate

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("Users must have an email address.")
        email = self.normalize_email(email).lower()
        extra.setdefault("username", self._unique_username(email))
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(role=User.Role.ADMIN)
        return self.create_user(email, password, **extra)


class User(BaseModel, AbstractBaseUser, PermissionsMixin):
    """A person (or the owner of API keys). Logs in with email; username is unique too.

    `role` is the installation-wide role: `admin` users are operators of the installation
    (Django admin, user administration); roles inside a workspace live on teams.Membership.
    """

    class Role(models.TextChoices):
        USER = "user", "User"
        ADMIN = "admin", "Admin"

    class Tier(models.TextChoices):
        FREE = "free", "Free"
        PRO = "pro", "Pro"
        ENTERPRISE = "enterprise", "Enterprise"

    email = models.EmailField("email address", max_length=254, unique=True)
    username = models.CharField(max_length=150, unique=True)
    name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.USER)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.FREE,
                            help_text="Rate-limit tier (RATE_LIMITS in settings).")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, editable=False, help_text="Derived from role: admins use Django admin.")
    external_id = models.CharField(max_length=255, null=True, blank=True, unique=True,
                                   help_text="The id a front end or identity provider knows this user by.")
    password_changed_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        verbose_name = "user"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self._password_was_changed = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = (self.email or "").strip().lower()
        # One notion of "operator": the admin role opens Django admin with full rights.
        self.is_staff = self.is_superuser = self.role == self.Role.ADMIN
        changed = getattr(self, "_password_was_changed", False) and not self._state.adding
        if changed:
            self.password_changed_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "password_changed_at"}
        super().save(*args, **kwargs)
        self._password_was_changed = False
        if changed:
            # Whoever changed it (the user, an operator in Django admin, `changepassword`), every
            # login of the old password ends now.
            AuthSession.objects.filter(user=self, revoked_at__isnull=True).update(
                revoked_at=timezone.now(), revoked_reason="password_change")

    @property
    def is_system_admin(self) -> bool:
        return self.is_active and self.role == self.Role.ADMIN


def default_daily_limit() -> int:
    return settings.DEFAULT_DAILY_QUERY_LIMIT


class Quota(models.Model):
    """A user's daily budget of queries; reset lazily on the first use of a new day (UTC)."""

    user = models.OneToOneField(User, primary_key=True, on_delete=models.CASCADE, related_name="quota")
    daily_limit = models.PositiveIntegerField(default=default_daily_limit)
    used_today = models.PositiveIntegerField(default=0)
    last_reset = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "quota"

    def __str__(self) -> str:
        return f"{self.user}: {self.used_today}/{self.daily_limit}"


class UserSettings(models.Model):
    """Preferences the console and API honour: theme, timezone, language."""

    class Theme(models.TextChoices):
        LIGHT = "light", "Light"
        DARK = "dark", "Dark"
        SYSTEM = "system", "System"

    user = models.OneToOneField(User, primary_key=True, on_delete=models.CASCADE, related_name="settings")
    theme = models.CharField(max_length=8, choices=Theme.choices, default=Theme.SYSTEM)
    timezone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(max_length=8, default="en")
    default_workspace = models.ForeignKey(
        "teams.Workspace", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Used when a request names no workspace (X-Workspace-ID).",
    )

    class Meta:
        verbose_name = "user settings"
        verbose_name_plural = "user settings"

    def __str__(self) -> str:
        return f"settings of {self.user}"


class AuthSession(BaseModel):
    """One login: every refresh and access token issued from it carries its id (`sid`).

    Logging out, a password change, deactivation or the reuse of a rotated refresh token
    revokes the session, which refuses all of its tokens at once, not at their expiry.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_sessions")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=64, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "login session"

    def __str__(self) -> str:
        return f"{self.user} @ {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


API_KEY_PREFIX = "ie_"


def hash_api_key(raw: str) -> str:
    # Keys are 32 random bytes: a fast hash is safe here (nothing to brute-force) and keeps
    # authenticating a request cheap, unlike a password hash.
    return hashlib.sha256(raw.encode()).hexdigest()


def generate_api_key() -> tuple[str, str]:
    """Returns (the full key shown once, its public prefix)."""
    prefix = secrets.token_hex(4)
    return f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


class ApiKey(BaseModel):
    """A credential for service clients: acts for its owner within one workspace."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({API_KEY_PREFIX}{self.prefix}_…)"

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

UserRole = User.Role
UserTier = User.Tier
