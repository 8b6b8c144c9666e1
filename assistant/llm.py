"""The LLM engine: question → one read-only SQL statement, through any LangChain chat model.

    answer = generate_sql(provider, question=..., dialect="postgresql", schema_context=ddl,
                          examples=[(q, sql)], passages=[...], history=[("user", "...")],
                          system_prompt=active_system_prompt_text(workspace),
                          validate=lambda sql: ...)   # the caller passes the safety gate

The model is asked for a JSON object {sql, explanation, chart, refusal} in plain text (no
provider-specific tool calling, so any chat server works). Its SQL is only ever handed to
`validate`; nothing it returns is executed or evaluated here. A rejected statement goes back
to the model with the reason, at most MAX_REPAIRS more times.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from . import prompts
from .models import AIProvider
from .providers import ProviderNotChatModel, chat_model_for, describe_error

MAX_REPAIRS = 2
CHART_TYPES = frozenset({"bar", "line", "pie", "scatter", "area", "table", "number"})
Validator = Callable[[str], tuple[bool, str]]


@dataclass(frozen=True)
class LlmAnswer:
    """What the engine produced. `sql` is set only when `validate` accepted it.

    `error` says why there is no SQL for technical reasons (provider failure, nothing valid after
    the repairs); `refusal` is the model declining because the schema cannot answer the question.
    """

    sql: str | None
    explanation: str
    chart_hint: dict[str, str] | None
    attempts: int
    tokens: dict[str, int]
    latency_ms: float
    error: str | None = None
    refusal: str | None = None
    rejected: tuple[str, ...] = field(default=())  # each validation error fed back to the model, in order

    @property
    def ok(self) -> bool:
        return self.sql is not None


@dataclass(frozen=True)
class ParsedReply:
    sql: str | None
    explanation: str
    chart: dict[str, str] | None
    refusal: str | None


# --- parsing ---------------------------------------------------------------------------------------

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n?(.*?)```", re.DOTALL)
_SQL_START = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


def _text_of(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    parts = [block if isinstance(block, str) else str(block.get("text", "")) for block in content
             if isinstance(block, str) or (isinstance(block, dict) and block.get("type") in (None, "text"))]
    return "".join(parts)


def _json_objects(text: str) -> list[dict[str, Any]]:
    """Every JSON object in `text`, found by decoding from each '{' (robust to prose around it)."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    index = text.find("{")
    while index != -1:
        try:
            value, end = decoder.raw_decode(text, index)
        except ValueError:
            index = text.find("{", index + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        index = text.find("{", end)
    return found


def _chart(value: Any) -> dict[str, str] | None:
    if isinstance(value, str) and value.lower() in CHART_TYPES:
        return {"type": value.lower()}
    if not isinstance(value, dict) or str(value.get("type", "")).lower() not in CHART_TYPES:
        return None
    chart = {"type": str(value["type"]).lower()}
    for key in ("x", "y", "series", "title"):
        if isinstance(value.get(key), str) and value[key]:
            chart[key] = value[key][:200]
    return chart


def _clean_sql(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    sql = value.strip()
    fenced = _FENCE.search(sql)
    if fenced:
        sql = fenced.group(2).strip()
    return sql or None


def parse_reply(text: str) -> ParsedReply | None:
    """The model's answer from its text: a JSON object (bare or fenced), else a ```sql block, else bare SQL."""
    candidates: list[dict[str, Any]] = []
    for match in _FENCE.finditer(text):
        if match.group(1).lower() in ("json", ""):
            candidates.extend(_json_objects(match.group(2)))
    candidates.extend(_json_objects(text))
    for obj in candidates:
        if not ({"sql", "refusal", "explanation"} & set(obj)):
            continue
        refusal = obj.get("refusal")
        return ParsedReply(
            sql=_clean_sql(obj.get("sql")),
            explanation=str(obj.get("explanation") or "").strip()[:2000],
            chart=_chart(obj.get("chart")),
            refusal=str(refusal).strip()[:2000] if refusal else None,
        )
    for match in _FENCE.finditer(text):
        if match.group(1).lower() in ("sql", "") and _SQL_START.match(match.group(2)):
            prose = (text[:match.start()] + text[match.end():]).strip()
            return ParsedReply(sql=match.group(2).strip(), explanation=" ".join(prose.split())[:2000],
                               chart=None, refusal=None)
    if _SQL_START.match(text):
        return ParsedReply(sql=text.strip(), explanation="", chart=None, refusal=None)
    return None


# --- the engine -------------------------------------------------------------------------------------

def _usage(message: BaseMessage, tokens: dict[str, int]) -> None:
    usage = getattr(message, "usage_metadata", None) or {}
    tokens["prompt"] += int(usage.get("input_tokens") or 0)
    tokens["completion"] += int(usage.get("output_tokens") or 0)
    tokens["total"] += int(usage.get("total_tokens") or 0)


def build_messages(*, question: str, dialect: str, schema_context: str, examples: Sequence[tuple[str, str]],
                   passages: Sequence[str], history: Sequence[tuple[str, str]],
                   system_prompt: str | None) -> list[BaseMessage]:
    return [
        SystemMessage(content=prompts.system_text(system_prompt, dialect)),
        HumanMessage(content=prompts.question_text(question=question, dialect=dialect, schema_context=schema_context,
                                                   examples=examples, passages=passages, history=history)),
    ]


def generate_sql(
    provider: AIProvider,
    *,
    question: str,
    dialect: str,
    schema_context: str,
    examples: Sequence[tuple[str, str]] = (),
    passages: Sequence[str] = (),
    history: Sequence[tuple[str, str]] = (),
    system_prompt: str | None = None,
    validate: Validator,
    max_repairs: int = MAX_REPAIRS,
) -> LlmAnswer:
    """Ask `provider` for SQL answering `question`; never raises for provider or model misbehaviour.

    `validate(sql) -> (ok, error_message)` is the caller's gate (queries.safety.check, and it may
    also try the statement); a False sends `error_message` back to the model for a repair.
    """
    started = time.monotonic()
    tokens = {"prompt": 0, "completion": 0, "total": 0}
    rejected: list[str] = []
    last = ParsedReply(sql=None, explanation="", chart=None, refusal=None)

    def answer(**kwargs: Any) -> LlmAnswer:
        values: dict[str, Any] = {"sql": None, "explanation": last.explanation, "chart_hint": last.chart,
                                  "attempts": attempts, "tokens": dict(tokens), "rejected": tuple(rejected),
                                  "latency_ms": round((time.monotonic() - started) * 1000, 1)}
        values.update(kwargs)
        return LlmAnswer(**values)

    attempts = 0
    try:
        model = chat_model_for(provider)
    except ProviderNotChatModel as exc:
        return answer(error=str(exc))
    except Exception as exc:  # e.g. an undecryptable key
        return answer(error=describe_error(exc, provider))

    messages = build_messages(question=question, dialect=dialect, schema_context=schema_context, examples=examples,
                              passages=passages, history=history, system_prompt=system_prompt)
    while attempts <= max_repairs:
        attempts += 1
        try:
            reply = model.invoke(messages)
        except Exception as exc:
            # A timeout, a refused key, an unknown model: retrying the same call would fail the same way.
            return answer(error=describe_error(exc, provider))
        _usage(reply, tokens)
        text = _text_of(reply)
        parsed = parse_reply(text)
        if parsed is None:
            problem = "no JSON object or SQL found"
            rejected.append(f"Unparseable reply: {problem}")
            messages += [AIMessage(content=text), HumanMessage(content=prompts.unparseable_text(problem))]
            continue
        last = parsed
        if parsed.sql is None:
            if parsed.refusal:
                return answer(refusal=parsed.refusal)
            problem = "sql was empty and no refusal was given"
            rejected.append(f"Unparseable reply: {problem}")
            messages += [AIMessage(content=text), HumanMessage(content=prompts.unparseable_text(problem))]
            continue
        try:
            ok, error = validate(parsed.sql)
        except Exception as exc:  # a broken gate fails closed
            ok, error = False, f"The query could not be checked ({type(exc).__name__})."
        if ok:
            return answer(sql=parsed.sql)
        rejected.append(error or "Rejected by the safety gate.")
        messages += [AIMessage(content=text), HumanMessage(content=prompts.repair_text(rejected[-1]))]
    return answer(error=f"No acceptable SQL after {attempts} attempt(s): {rejected[-1] if rejected else 'unknown'}")


def safety_validator(engine: str, **check_options: Any) -> Validator:
    """A `validate` callback over queries.safety.check, for callers without a data source at hand."""
    from queries.safety import check

    def validate(sql: str) -> tuple[bool, str]:
        result = check(sql, engine=engine, **check_options)
        if result.ok:
            return True, ""
        return False, "; ".join(f"{issue.code}: {issue.message}" for issue in result.errors)

    return validate
