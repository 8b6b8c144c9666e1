"""AI providers (LLM connections) and the prompt library: admin-managed system prompts, users' snippets."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from core.crypto import decrypt, encrypt
from core.models import BaseModel


class AIProvider(BaseModel):
    """A language model a workspace can use to turn questions into SQL.

    The API key is stored encrypted (core.crypto) and never leaves the server: not in API
    responses, not in logs, not in audit details. `builtin` is the offline engine and needs
    neither a model nor a key.
    """

    class Kind(models.TextChoices):
        BUILTIN = "builtin", "Built-in (offline)"
        OPENAI = "openai", "OpenAI"
        ANTHROPIC = "anthropic", "Anthropic"
        OLLAMA = "ollama", "Ollama"
        OPENAI_COMPATIBLE = "openai_compatible", "OpenAI-compatible server"

    # Kinds that talk to a server named by base_url rather than a vendor's fixed endpoint.
    NEEDS_BASE_URL = (Kind.OLLAMA, Kind.OPENAI_COMPATIBLE)
    # Kinds whose vendor refuses every request without a key.
    NEEDS_API_KEY = (Kind.OPENAI, Kind.ANTHROPIC)

    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="ai_providers")
    name = models.CharField(max_length=120)
    provider = models.CharField(max_length=32, choices=Kind.choices)
    model = models.CharField(max_length=200, blank=True, help_text="Model name as the provider spells it.")
    base_url = models.CharField(max_length=500, blank=True,
                                help_text="Server URL (required for Ollama and OpenAI-compatible servers).")
    api_key_encrypted = models.TextField(blank=True, editable=False)
    temperature = models.FloatField(default=0.0)
    max_tokens = models.PositiveIntegerField(default=1024)
    timeout_seconds = models.PositiveIntegerField(default=30)
    is_default = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["name"]
        verbose_name = "AI provider"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="aiprovider_unique_name"),
            models.UniqueConstraint(fields=["workspace"], condition=models.Q(is_default=True),
                                    name="aiprovider_one_default_per_workspace"),
            models.CheckConstraint(condition=models.Q(temperature__gte=0, temperature__lte=2),
                                   name="aiprovider_temperature_range"),
            models.CheckConstraint(condition=models.Q(max_tokens__gte=1), name="aiprovider_max_tokens_positive"),
            models.CheckConstraint(condition=models.Q(timeout_seconds__gte=1, timeout_seconds__lte=600),
                                   name="aiprovider_timeout_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.provider}{':' + self.model if self.model else ''})"

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key_encrypted)

    def set_api_key(self, raw: str) -> None:
        self.api_key_encrypted = encrypt(raw or "")

    def api_key(self) -> str:
        """The plaintext key, for the client library only. A method, so that no serializer picks it up."""
        return decrypt(self.api_key_encrypted)


class SystemPrompt(BaseModel):
    """One version of an admin-managed system prompt.

    Editing a prompt adds a row with the same name and the next version number, so earlier
    wordings stay available for comparison and rollback. At most one version in a workspace is
    active; the LLM engine uses it (or the built-in default when none is).
    """

    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="system_prompts")
    name = models.CharField(max_length=120, default="default")
    prompt_text = models.TextField()
    version = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["name", "-version"]
        verbose_name = "system prompt"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name", "version"], name="systemprompt_unique_version"),
            models.UniqueConstraint(fields=["workspace"], condition=models.Q(is_active=True),
                                    name="systemprompt_one_active_per_workspace"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}{' (active)' if self.is_active else ''}"


class UserPrompt(BaseModel):
    """A prompt snippet a user saved for reuse; private to that user."""

    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="user_prompts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_prompts")
    title = models.CharField(max_length=200, blank=True)
    prompt_text = models.TextField()
    tags = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "user prompt"

    def __str__(self) -> str:
        return self.title or self.prompt_text[:60]


AIProviderKind = AIProvider.Kind
