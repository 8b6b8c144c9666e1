"""Dates in questions: years, quarters, months, "last quarter", "in the last 30 days", relative to today."""

from __future__ import annotations

import datetime as dt

from ..linking import Token
from . import words as w


def number_of(token: Token) -> int | float | None:
    if token.kind != "number":
        return None
    text = token.text.rstrip("%")
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() and "." not in text else value


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _at(lemmas: list[str], position: int, phrase: tuple[str, ...]) -> bool:
    return tuple(lemmas[position : position + len(phrase)]) == phrase


def window_at(tokens: list[Token], today: dt.date, position: int) -> tuple[int, tuple[dt.date, dt.date, str]] | None:
    """A date window starting at `position`: "in 2024", "last quarter", "in the last 30 days"."""
    if position >= len(tokens):
        return None
    lemmas = [token.lemma for token in tokens]
    start = position
    if lemmas[position] in ("in", "during", "for", "over", "within"):
        position += 1
        if position < len(tokens) and lemmas[position] == "the":
            position += 1
    if position >= len(tokens):
        return None
    word = lemmas[position]
    number = number_of(tokens[position])
    if isinstance(number, int) and 1900 <= number <= 2100 and tokens[position].text.isdigit():
        return position + 1, (dt.date(number, 1, 1), dt.date(number + 1, 1, 1), f"in {number}")
    if word in w.QUARTERS and position + 1 < len(tokens):
        year = number_of(tokens[position + 1])
        if isinstance(year, int) and 1900 <= year <= 2100:
            first = dt.date(year, 3 * w.QUARTERS[word] - 2, 1)
            return position + 2, (first, _add_months(first, 3), f"{word.upper()} {year}")
    if word in w.MONTHS and position + 1 < len(tokens) and position > start:
        year = number_of(tokens[position + 1])
        if isinstance(year, int) and 1900 <= year <= 2100:
            first = dt.date(year, w.MONTHS[word], 1)
            return position + 2, (first, _add_months(first, 1), f"{word} {year}")
    if word in ("since", "after", "before") and position == start and position + 1 < len(tokens):
        year = number_of(tokens[position + 1])
        if isinstance(year, int) and 1900 <= year <= 2100 and tokens[position + 1].text.isdigit():
            if word == "before":
                return position + 2, (dt.date(1, 1, 1), dt.date(year, 1, 1), f"before {year}")
            first = dt.date(year + 1 if word == "after" else year, 1, 1)
            return position + 2, (first, dt.date(9999, 1, 1), f"{word} {year}")
    if word in ("last", "past", "previous", "this", "current") and position + 1 < len(tokens):
        amount = number_of(tokens[position + 1])
        unit_at = position + 2 if isinstance(amount, int) else position + 1
        if unit_at >= len(tokens) or lemmas[unit_at] not in w.UNITS:
            return None
        unit = lemmas[unit_at]
        label = " ".join(t.text for t in tokens[position : unit_at + 1])
        if isinstance(amount, int):
            days = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}[unit] * amount
            return unit_at + 1, (today - dt.timedelta(days=days), today + dt.timedelta(days=1), label)
        current = word in ("this", "current")
        if unit == "year":
            first = dt.date(today.year if current else today.year - 1, 1, 1)
            return unit_at + 1, (first, dt.date(first.year + 1, 1, 1), label)
        if unit == "quarter":
            first = _quarter_start(today) if current else _add_months(_quarter_start(today), -3)
            return unit_at + 1, (first, _add_months(first, 3), label)
        if unit == "month":
            first = today.replace(day=1) if current else _add_months(today, -1)
            return unit_at + 1, (first, _add_months(first, 1), label)
        if unit == "week":
            monday = today - dt.timedelta(days=today.weekday())
            first = monday if current else monday - dt.timedelta(days=7)
            return unit_at + 1, (first, first + dt.timedelta(days=7), label)
        first = today if current else today - dt.timedelta(days=1)
        return unit_at + 1, (first, first + dt.timedelta(days=1), label)
    if word in ("today", "yesterday") and position == start or word in ("today", "yesterday"):
        first = today if word == "today" else today - dt.timedelta(days=1)
        return position + 1, (first, first + dt.timedelta(days=1), word)
    if _at(lemmas, position, ("year", "to", "date")) or word == "ytd":
        end = position + (3 if word == "year" else 1)
        return end, (dt.date(today.year, 1, 1), today + dt.timedelta(days=1), "year to date")
    return None
