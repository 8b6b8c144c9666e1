"""Follow-up questions for the built-in engine, which sees one question at a time.

"and per segment?", "what about Germany?", "only for 2024" are combined with the previous question
by replacing or adding its grouping, place or year phrase:

    How many customers are there?            + "and per segment?"   → How many customers are there per segment?
    How many customers are there per segment? + "what about Germany?" → … per segment in Germany?
    How many orders are there per status?     + "only for 2024"      → … per status in 2024?

Deterministic and deliberately narrow: anything else is asked as written. LLM engines do not go
through this; they get the conversation history itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_LEAD = re.compile(r"^(?:(?:and|ok|okay|so|now|then|also)\b[\s,]*)+", re.IGNORECASE)
_ABOUT = r"(?:(?:what|how)\s+about\s+)?"
_ONLY = r"(?:(?:only|just)\s+)?"
_GROUP = re.compile(rf"^{_ABOUT}(?:(?:broken\s+down|split|grouped)\s+)?(?:by|per|for\s+each)\s+(?P<group>[\w][\w\s-]*)$",
                    re.IGNORECASE)
_YEAR = re.compile(rf"^{_ABOUT}{_ONLY}(?:(?:in|for|during)\s+)?(?:the\s+year\s+)?(?P<year>(?:19|20)\d\d)$",
                   re.IGNORECASE)
_PLACE = re.compile(rf"^{_ABOUT}{_ONLY}(?:in|for|from)\s+(?P<place>.+)$", re.IGNORECASE)
# "what about Germany" names a value; "what about products" is a new question, so only capitalised words.
_ABOUT_VALUE = re.compile(r"^(?i:what|how)\s+(?i:about)\s+(?P<place>[A-Z0-9][\w'-]*(?:\s+[A-Z0-9][\w'-]*)*)$")

_PARTS = re.compile(
    r"^(?P<stem>.+?)"
    r"(?:\s+(?:per|by|for\s+each)\s+(?P<group>[^?]+?))?"
    r"(?:\s+in\s+(?P<place>(?!(?:19|20)\d\d\b)[^?]+?))?"
    r"(?:\s+in\s+(?P<year>(?:19|20)\d\d))?"
    r"\s*[?.!]*$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Resolution:
    question: str
    rewritten: bool
    kind: str = ""  # "group", "place" or "year" when rewritten


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip("?.! ").strip()


def resolve(text: str, previous: str | None) -> Resolution:
    """The question to ask for `text`, given the previous (already resolved) question."""
    original = text.strip()
    if not previous or not original:
        return Resolution(original, False)
    follow = _LEAD.sub("", _clean(original)).strip()
    change: tuple[str, str] | None = None
    if match := _GROUP.match(follow):
        change = ("group", _clean(match["group"]))
    elif match := _YEAR.match(follow):
        change = ("year", match["year"])
    elif match := _PLACE.match(follow):
        change = ("place", _clean(match["place"]))
    elif match := _ABOUT_VALUE.match(follow):
        change = ("place", _clean(match["place"]))
    if change is None:
        return Resolution(original, False)
    parts = _PARTS.match(_clean(previous) + "?")
    if parts is None:  # pragma: no cover - the stem matches anything
        return Resolution(original, False)
    pieces = {"group": parts["group"], "place": parts["place"], "year": parts["year"]}
    kind, value = change
    pieces[kind] = value
    question = parts["stem"].strip()
    if pieces["group"]:
        question += f" per {pieces['group']}"
    if pieces["place"]:
        question += f" in {pieces['place']}"
    if pieces["year"]:
        question += f" in {pieces['year']}"
    return Resolution(question + "?", True, kind)
