"""AI providers: LangChain chat models for a stored provider, the connection test, and the writes.

The API key is decrypted only to hand it to the client library. Messages shown to people quote
the provider's own reason for a failure, with the key (or any piece of it) masked.
"""
from __future__ import annotations

import re
import time
from typing import Any, TypedDict
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage

from auditing.services import record
from core.exceptions import Conflict, ValidationFailed

from .models import AIProvider

Kind = AIProvider.Kind

# Small on purpose: a question is interactive, and the repair loop already retries with context.
DEFAULT_MAX_RETRIES = 0
TEST_PROMPT = "Reply with the single word: pong"
TEST_MAX_TOKENS = 16
MESSAGE_LIMIT = 500


class ProviderNotChatModel(Exception):
    """The built-in engine has no chat model; the caller should use assistant.nl2sql instead."""


class ProviderTestResult(TypedDict):
    success: bool
    model: str
    latency_ms: float
    message: str


# --- chat models ----------------------------------------------------------------------------------

def chat_model_for(provider: AIProvider, *, max_retries: int = DEFAULT_MAX_RETRIES,
                   max_tokens: int | None = None) -> BaseChatModel:
    """A LangChain chat model for `provider`, with its timeout, temperature and token cap.

    Raises ProviderNotChatModel for the built-in engine. Nothing here talks to the network.
    """
    timeout = float(provider.timeout_seconds)
    tokens = max_tokens or provider.max_tokens
    key = provider.api_key()
    base_url = provider.base_url.rstrip("/") or None
    if provider.provider == Kind.BUILTIN:
        raise ProviderNotChatModel("The built-in engine answers offline and has no chat model.")
    if provider.provider in (Kind.OPENAI, Kind.OPENAI_COMPATIBLE):
        from langchain_openai import ChatOpenAI

        # Self-hosted compatible servers often need no key, but the client insists on one; an
        # explicit placeholder also keeps it from falling back to OPENAI_API_KEY from the environment.
        return ChatOpenAI(model=provider.model, api_key=key or "not-needed", base_url=base_url, timeout=timeout,
                          max_retries=max_retries, temperature=provider.temperature, max_tokens=tokens)
    if provider.provider == Kind.ANTHROPIC:
        from langchain_anthropic import ChatAnthropic

        options: dict[str, Any] = {"base_url": base_url} if base_url else {}
        return ChatAnthropic(model=provider.model, api_key=key or "not-needed", timeout=timeout,
                             max_retries=max_retries, temperature=provider.temperature, max_tokens=tokens, **options)
    if provider.provider == Kind.OLLAMA:
        from langchain_ollama import ChatOllama

        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return ChatOllama(model=provider.model, base_url=base_url, temperature=provider.temperature,
                          num_predict=tokens, client_kwargs={"timeout": timeout, "headers": headers})
    raise ValueError(f"Unknown provider kind {provider.provider!r}.")


# --- errors ---------------------------------------------------------------------------------------

def _redact(text: str, secret: str) -> str:
    """Mask the key and any long-enough piece of it (vendors echo keys partially, e.g. 'sk-ab***yz')."""
    if not secret:
        return text
    text = text.replace(secret, "[redacted]")

    def mask(match: re.Match[str]) -> str:
        word = match.group(0)
        return "[redacted]" if len(word) >= 6 and word in secret else word

    return re.sub(r"[A-Za-z0-9_\-]{6,}", mask, text)


def _status_reason(exc: Any) -> str:
    """The provider's own words from an HTTP error body (OpenAI, Anthropic and Ollama shapes)."""
    body = getattr(exc, "body", None)
    for candidate in (body, body.get("error") if isinstance(body, dict) else None):
        if isinstance(candidate, dict) and isinstance(candidate.get("message"), str):
            return candidate["message"]
        if isinstance(candidate, str) and candidate:
            return candidate
    error = getattr(exc, "error", None)  # ollama.ResponseError
    if isinstance(error, str) and error:
        return error
    return str(getattr(exc, "message", "") or exc)


def _root_cause(exc: BaseException) -> str:
    seen: BaseException = exc
    while seen.__cause__ is not None and seen.__cause__ is not seen:
        seen = seen.__cause__
    return str(seen) or type(seen).__name__


_STATUS_LABELS = {
    400: "The provider rejected the request",
    401: "The provider rejected the API key",
    403: "The API key is not allowed to use this model",
    404: "Unknown model or endpoint",
    408: "The provider timed out",
    413: "The prompt is too large for the provider",
    422: "The provider could not process the request",
    429: "Rate limited or out of quota at the provider",
}


def describe_error(exc: BaseException, provider: AIProvider) -> str:
    """A one-line message for people: what went wrong, with the provider's reason, never the key."""
    import anthropic
    import httpx
    import openai

    timeout = provider.timeout_seconds
    where = provider.base_url or provider.get_provider_display()
    status = getattr(exc, "status_code", None)
    if isinstance(exc, (openai.APITimeoutError, anthropic.APITimeoutError, httpx.TimeoutException, TimeoutError)):
        message = f"No answer from {where} within {timeout} s (timed out)."
    elif isinstance(exc, (openai.APIConnectionError, anthropic.APIConnectionError, httpx.TransportError,
                          ConnectionError)):
        message = f"Cannot reach {where}: {_root_cause(exc)}"
    elif isinstance(status, int):
        label = _STATUS_LABELS.get(status, "The provider returned an error")
        if status >= 500:
            label = "The provider had a server error"
        message = f"{label} ({status}): {_status_reason(exc)}"
    elif isinstance(exc, ProviderNotChatModel):
        message = str(exc)
    else:
        message = f"{type(exc).__name__}: {exc}"
    try:
        secret = provider.api_key()
    except Exception:  # an undecryptable key must not turn an error message into a crash
        secret = ""
    return _redact(" ".join(message.split()), secret)[:MESSAGE_LIMIT]


# --- connection test ------------------------------------------------------------------------------

def provider_test(provider: AIProvider) -> ProviderTestResult:
    """Send a tiny prompt and report {success, model, latency_ms, message}. Never raises."""
    if provider.provider == Kind.BUILTIN:
        return {"success": True, "model": provider.model or "builtin", "latency_ms": 0.0,
                "message": "The built-in engine runs offline; there is nothing to connect to."}
    started = time.monotonic()
    try:
        check_base_url(provider.base_url)
        model = chat_model_for(provider, max_tokens=TEST_MAX_TOKENS)
        reply = model.invoke([HumanMessage(content=TEST_PROMPT)])
    except Exception as exc:
        return {"success": False, "model": provider.model, "latency_ms": _elapsed_ms(started),
                "message": describe_error(exc, provider)}
    text = " ".join(str(reply.text).split())[:80]
    return {"success": True, "model": provider.model, "latency_ms": _elapsed_ms(started),
            "message": f"Connected; the model replied {text!r}." if text else "Connected; the model replied."}


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


# --- validation -----------------------------------------------------------------------------------

def check_base_url(url: str) -> None:
    """http(s) only, no credentials in the URL, and not a host the server must never call
    (cloud metadata, link-local; private networks when the installation blocks them)."""
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed.for_field("base_url", "Enter an http:// or https:// URL.")
    if parts.username or parts.password:
        raise ValidationFailed.for_field("base_url", "Put credentials in api_key, not in the URL.")
    try:
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise ValidationFailed.for_field("base_url", "The port in the URL is not valid.") from None
    from metadata.connectors import check_host_allowed

    try:
        check_host_allowed(parts.hostname)
    except ValidationFailed as exc:
        raise ValidationFailed.for_field("base_url", exc.message, code=exc.code) from None


def check_provider_settings(data: dict[str, Any], *, has_api_key: bool) -> None:
    """The rules that depend on the kind of provider; `data` is the merged state after the write."""
    kind = data.get("provider")
    details: list[dict[str, str]] = []
    if kind != Kind.BUILTIN and not data.get("model"):
        details.append({"field": "model", "message": "A model is required for this provider."})
    if kind in AIProvider.NEEDS_BASE_URL and not data.get("base_url"):
        details.append({"field": "base_url", "message": "A server URL is required for this provider."})
    if kind in AIProvider.NEEDS_API_KEY and not has_api_key:
        details.append({"field": "api_key", "message": "An API key is required for this provider."})
    if details:
        raise ValidationFailed(details[0]["message"] if len(details) == 1 else "Invalid input.", details=details)
    check_base_url(data.get("base_url") or "")


# --- writes ---------------------------------------------------------------------------------------

SETTINGS_FIELDS = ("provider", "model", "base_url", "temperature", "max_tokens", "timeout_seconds")


def _audit_details(provider: AIProvider) -> dict[str, Any]:
    return {"name": provider.name, "provider": provider.provider, "model": provider.model,
            "base_url": provider.base_url, "has_api_key": provider.has_api_key, "is_default": provider.is_default}


def _make_default(provider: AIProvider) -> None:
    AIProvider.objects.filter(workspace=provider.workspace_id, is_default=True).exclude(pk=provider.pk).update(
        is_default=False)


def _name_taken() -> Conflict:
    return Conflict("An AI provider with this name already exists.", code="NAME_TAKEN",
                    details=[{"field": "name", "message": "Already used in this workspace."}])


@transaction.atomic
def ai_provider_create(*, workspace: Any, user: Any, data: dict[str, Any], request: Any = None) -> AIProvider:
    data = dict(data)
    api_key = data.pop("api_key", None) or ""
    check_provider_settings(data, has_api_key=bool(api_key))
    if not data.get("name"):
        data["name"] = f"{data['provider']}:{data['model']}" if data.get("model") else str(data["provider"])
    if AIProvider.objects.filter(workspace=workspace, name=data["name"]).exists():
        raise _name_taken()
    provider = AIProvider(workspace=workspace, created_by=user, **data)
    provider.set_api_key(api_key)
    if not AIProvider.objects.filter(workspace=workspace).exists():
        provider.is_default = True
    if provider.is_default:
        _make_default(provider)
    try:
        with transaction.atomic():
            provider.save()
    except IntegrityError:
        raise _name_taken() from None
    record(actor=user, action="ai_provider.created", target=provider, workspace=workspace, request=request,
           details=_audit_details(provider))
    return provider


@transaction.atomic
def ai_provider_update(*, provider: AIProvider, user: Any, data: dict[str, Any], request: Any = None) -> AIProvider:
    data = dict(data)
    changed: list[str] = []
    if "api_key" in data:
        # An empty string clears the key; leaving the field out keeps it.
        provider.set_api_key(data.pop("api_key") or "")
        changed.append("api_key")
    merged = {f: data.get(f, getattr(provider, f)) for f in SETTINGS_FIELDS}
    check_provider_settings(merged, has_api_key=provider.has_api_key)
    if data.get("name") and data["name"] != provider.name and AIProvider.objects.filter(
            workspace=provider.workspace_id, name=data["name"]).exists():
        raise _name_taken()
    if data.get("is_default") is False and provider.is_default:
        data.pop("is_default")  # there is always a default; choose another provider to move it
    for key, value in data.items():
        if getattr(provider, key) != value:
            setattr(provider, key, value)
            changed.append(key)
    if provider.is_default:
        _make_default(provider)
    try:
        with transaction.atomic():
            provider.save()
    except IntegrityError:
        raise _name_taken() from None
    record(actor=user, action="ai_provider.updated", target=provider, workspace=provider.workspace, request=request,
           details={"changed": sorted(changed), "name": provider.name})
    return provider


@transaction.atomic
def ai_provider_delete(*, provider: AIProvider, user: Any, request: Any = None) -> None:
    record(actor=user, action="ai_provider.deleted", target=provider, workspace=provider.workspace, request=request,
           details={"name": provider.name, "provider": provider.provider, "model": provider.model})
    was_default, workspace_id = provider.is_default, provider.workspace_id
    provider.delete()
    if was_default:
        successor = AIProvider.objects.filter(workspace=workspace_id).order_by("created_at").first()
        if successor:
            AIProvider.objects.filter(pk=successor.pk).update(is_default=True)


def ai_provider_test(*, provider: AIProvider, user: Any, request: Any = None) -> ProviderTestResult:
    result = provider_test(provider)
    record(actor=user, action="ai_provider.tested", target=provider, workspace=provider.workspace, request=request,
           details={"name": provider.name, "success": result["success"], "latency_ms": result["latency_ms"],
                    "message": result["message"]})
    return result


def default_provider(workspace: Any) -> AIProvider | None:
    """The provider a question uses when none is named (None: use the built-in engine)."""
    return AIProvider.objects.filter(workspace=workspace, is_default=True).first()
