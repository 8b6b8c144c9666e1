"""chat_model_for and the provider connection test, with the real client libraries and a loopback server."""
from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from langchain_anthropic import ChatAnthropic
from langchain_ollama import ChatOllama
from langchain_openai import ChatOpenAI

from assistant.models import AIProvider
from assistant.providers import ProviderNotChatModel, chat_model_for, describe_error, provider_test
from assistant.tests.fake_llm_server import (
    ANTHROPIC_401,
    OLLAMA_404_MODEL,
    OPENAI_401,
    OPENAI_404_MODEL,
    FakeLLMServer,
    dead_port,
)

KEY = "sk-provider-Test-Key-9876543210"


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


def make(kind: str, *, base_url: str = "", model: str = "fake-gpt", timeout: int = 5, key: str = KEY,
         temperature: float = 0.3, max_tokens: int = 256) -> AIProvider:
    provider = AIProvider(name="p", provider=kind, model=model, base_url=base_url, timeout_seconds=timeout,
                          temperature=temperature, max_tokens=max_tokens)
    provider.set_api_key(key)
    return provider


def base_for(server: FakeLLMServer, kind: str) -> str:
    return server.openai_url if kind in ("openai", "openai_compatible") else server.url


# --- chat_model_for ------------------------------------------------------------------------------------

def test_openai_compatible_gets_a_chat_openai_with_the_base_url_and_limits():
    model = chat_model_for(make("openai_compatible", base_url="http://llm.internal:8000/v1/"))
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "http://llm.internal:8000/v1" and model.model_name == "fake-gpt"
    assert model.request_timeout == 5.0 and model.max_retries == 0
    assert model.temperature == 0.3 and model.max_tokens == 256
    assert model.openai_api_key is not None and model.openai_api_key.get_secret_value() == KEY


def test_anthropic_gets_a_chat_anthropic():
    model = chat_model_for(make("anthropic", model="claude-x"))
    assert isinstance(model, ChatAnthropic)
    assert model.model == "claude-x" and model.default_request_timeout == 5.0 and model.max_retries == 0
    assert model.max_tokens == 256 and model.anthropic_api_key.get_secret_value() == KEY


def test_ollama_gets_a_chat_ollama_with_a_timeout():
    model = chat_model_for(make("ollama", base_url="http://127.0.0.1:11434", model="llama3", key=""))
    assert isinstance(model, ChatOllama)
    assert model.base_url == "http://127.0.0.1:11434" and model.num_predict == 256
    assert model.client_kwargs == {"timeout": 5.0, "headers": {}}


def test_the_builtin_engine_has_no_chat_model():
    with pytest.raises(ProviderNotChatModel):
        chat_model_for(AIProvider(name="b", provider="builtin"))


def test_without_a_key_the_environment_key_is_not_picked_up(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    model = chat_model_for(make("openai_compatible", base_url="http://llm.internal/v1", key=""))
    assert model.openai_api_key.get_secret_value() != "sk-from-the-environment"


# --- provider_test ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["openai", "openai_compatible", "anthropic", "ollama"])
def test_a_working_provider_reports_success_and_the_key_reaches_the_server(server, kind):
    result = provider_test(make(kind, base_url=base_for(server, kind)))
    assert result["success"] is True and result["model"] == "fake-gpt" and result["latency_ms"] > 0
    assert "pong" in result["message"]
    [request] = server.requests
    headers = request.headers
    assert KEY in (headers.get("x-api-key", ""), headers.get("authorization", "").removeprefix("Bearer "))
    assert "pong" in request.text()


def test_the_builtin_engine_always_passes_without_a_request(server):
    result = provider_test(AIProvider(name="b", provider="builtin"))
    assert result["success"] is True and not server.requests


@pytest.mark.parametrize("kind, status, body, reason", [
    ("openai", 401, OPENAI_401, "Incorrect API key provided"),
    ("anthropic", 401, ANTHROPIC_401, "invalid x-api-key"),
    ("openai", 404, OPENAI_404_MODEL, "does not exist"),
    ("ollama", 404, OLLAMA_404_MODEL, "try pulling it first"),
    ("openai_compatible", 500, {"error": {"message": "CUDA out of memory"}}, "CUDA out of memory"),
    ("openai", 429, {"error": {"message": "You exceeded your current quota", "type": "insufficient_quota"}},
     "exceeded your current quota"),
])
def test_provider_errors_are_success_false_with_the_providers_reason(server, kind, status, body, reason):
    server.fail(status, body)
    result = provider_test(make(kind, base_url=base_for(server, kind)))
    assert result["success"] is False and reason in result["message"] and str(status) in result["message"]
    assert KEY not in result["message"]


@pytest.mark.parametrize("kind", ["openai_compatible", "anthropic", "ollama"])
def test_a_dead_port_is_a_connection_failure(kind):
    result = provider_test(make(kind, base_url=f"http://127.0.0.1:{dead_port()}"))
    assert result["success"] is False and "Cannot reach" in result["message"]


@pytest.mark.parametrize("kind", ["openai_compatible", "anthropic", "ollama"])
def test_a_slow_provider_times_out(server, kind):
    server.reply("pong", delay=3)
    result = provider_test(make(kind, base_url=base_for(server, kind), timeout=1))
    assert result["success"] is False and "timed out" in result["message"]
    assert result["latency_ms"] < 2900


def test_a_metadata_address_is_refused_before_any_request():
    result = provider_test(make("openai_compatible", base_url="http://169.254.169.254/v1"))
    assert result["success"] is False and "not allowed" in result["message"]


def test_the_key_never_reaches_the_logs(server, caplog):
    server.fail(401, {"error": {"message": f"bad key {KEY}"}})
    with caplog.at_level(logging.DEBUG):
        provider_test(make("openai", base_url=server.openai_url))
        server.reply("pong")
        provider_test(make("anthropic", base_url=server.url))
    assert KEY not in caplog.text


def test_describe_error_masks_pieces_of_the_key():
    provider = make("openai")
    message = describe_error(RuntimeError(f"token {KEY[3:20]}... rejected"), provider)
    assert KEY[3:20] not in message and "[redacted]" in message
