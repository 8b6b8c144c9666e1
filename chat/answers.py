"""The short natural-language sentence that heads an assistant message, built from the result only
(never invented): one number, a few rows, a refusal with its suggestions, or an error."""
from __future__ import annotations

import re
from typing import Any

PREVIEW_ROWS = 50

_HOW_MANY = re.compile(r"^how\s+many\s+(?P<noun>.+?)\s+(?:are\s+there|do\s+we\s+have|exist|are|were|did\s+we\s+have)"
                       r"(?P<rest>\s.*?)?\s*[?.!]*$", re.IGNORECASE)
_WHAT_IS = re.compile(r"^what\s+(?:is|was|are|were)\s+(?P<thing>the\s+.+?)\s*[?.!]*$", re.IGNORECASE)


def format_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "empty" if value is None else str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


def _single_value(question: str, value: Any, column: str) -> str:
    shown = format_value(value)
    if match := _HOW_MANY.match(question.strip()):
        rest = (match["rest"] or "").strip()
        verb = "is" if value == 1 else "are"
        return f"There {verb} {shown} {match['noun']}{' ' + rest if rest else ''}."
    if match := _WHAT_IS.match(question.strip()):
        thing = match["thing"]
        return f"{thing[0].upper()}{thing[1:]} is {shown}."
    return f"The answer is {shown} ({column})."


def summarize(*, question: str, status: str, columns: list[dict[str, Any]], rows: list[list[Any]],
              rows_returned: int | None, truncated: bool, error_code: str = "", error_message: str = "",
              refusal: dict[str, Any] | None = None) -> str:
    if status == "not_answered":
        reason = (refusal or {}).get("reason") or error_message or "I could not answer that question."
        suggestions = [s for s in (refusal or {}).get("suggestions") or [] if s]
        text = reason.rstrip() if reason.rstrip().endswith((".", "!", "?")) else reason.rstrip() + "."
        if suggestions:
            text += " You could ask: " + "; ".join(f"“{s}”" for s in suggestions[:5]) + "."
        return text
    if status == "failed":
        return f"The query failed: {error_message or error_code or 'unknown error'}"
    if status == "pending":
        return "The query is still running; the result will follow."
    names = [c.get("name", "") for c in columns]
    count = rows_returned if rows_returned is not None else len(rows)
    if count == 0:
        return "No rows match."
    if count == 1 and len(names) == 1 and rows:
        return _single_value(question, rows[0][0], names[0])
    noun = "row" if count == 1 else "rows"
    text = f"Here {'is the' if count == 1 else 'are the'} {'first ' if truncated else ''}{format_value(count)} {noun}"
    text += f" ({', '.join(names)})." if names else "."
    if len(names) == 2 and rows and all(isinstance(r[1], (int, float)) and not isinstance(r[1], bool) for r in rows):
        top = max(rows, key=lambda r: r[1])
        text += f" The largest is {format_value(top[0])} with {format_value(top[1])}."
    return text


def citations(reasoning: dict[str, Any] | None) -> str:
    """The sources an answer drew on, as lines to append to its text: each document whose passages
    the assistant was given ("Source: <name>"), and an earlier answer whose SQL was reused."""
    lines: list[str] = []
    for entry in (reasoning or {}).get("context_retrieved") or []:
        if not isinstance(entry, dict):
            continue
        if entry.get("type") == "document" and entry.get("document_name"):
            line = f"Source: {entry['document_name']}"
        elif entry.get("type") == "answer" and entry.get("question") and \
                str((reasoning or {}).get("engine", "")).startswith("builtin+"):
            line = f"Source: an earlier answer to “{entry['question']}”"
        else:
            continue
        if line not in lines:
            lines.append(line)
    return "".join("\n" + line if i else "\n\n" + line for i, line in enumerate(lines))
