"""Tiered links from question phrases to tables and columns, and many-to-one paths between tables.

A phrase that is a column's own name outranks its dictionary alias, which outranks its synonyms; a
description is only consulted for measure words ("sold", "revenue") that name nothing directly.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from ..linking import identifier_words, lemma
from ..schema import Column, ForeignKey, SchemaInfo, Table

NAME, ALIAS, STRIPPED, SYNONYM, DESCRIPTION = 3.0, 2.0, 1.5, 1.0, 0.5
MAX_PHRASE_WORDS = 6


@dataclass(frozen=True)
class Link:
    """A table (`column` None) or a column that a phrase names, and how directly (`tier`)."""

    table: str
    column: str | None
    tier: float


@dataclass
class LinkIndex:
    phrases: dict[tuple[str, ...], list[Link]]
    # (table, column) → every word of its name, aliases and description, for measure-word lookups.
    column_words: dict[tuple[str, str], dict[str, float]]


_CACHE: WeakKeyDictionary[SchemaInfo, LinkIndex] = WeakKeyDictionary()


def phrase_words(text: str) -> tuple[str, ...]:
    return tuple(identifier_words(text))


def _add(index: dict[tuple[str, ...], list[Link]], words: tuple[str, ...], link: Link) -> None:
    if not words or len(words) > MAX_PHRASE_WORDS:
        return
    existing = index[words]
    for i, other in enumerate(existing):
        if (other.table, other.column) == (link.table, link.column):
            if other.tier < link.tier:
                existing[i] = link
            return
    existing.append(link)


def _table_phrases(table: Table) -> list[tuple[tuple[str, ...], float]]:
    words = phrase_words(table.name)
    phrases = [(words, NAME)]
    if len(words) > 1 and len(words[0]) <= 4:
        phrases.append((words[1:], STRIPPED))  # "v_order_lines", "tbl_orders", "dim_product"
    for position, alias in enumerate(table.aliases):
        phrases.append((phrase_words(alias), ALIAS if position == 0 else SYNONYM))
    return phrases


def _column_phrases(table: Table, column: Column) -> list[tuple[tuple[str, ...], float]]:
    table_words = phrase_words(table.name)
    words = phrase_words(column.name)
    phrases = [(words, NAME)]
    if len(words) > 1 and (words[0] in table_words or words[0] == lemma(table_words[-1])):
        phrases.append((words[1:], STRIPPED))  # orders.order_date is "the date" of an order
    if len(words) > 1 and words[-1] in ("code", "name") and words[:-1] != table_words:
        phrases.append((words[:-1], STRIPPED))  # "category_name" is what people call "category"
    for position, alias in enumerate(column.aliases):
        phrases.append((phrase_words(alias), ALIAS if position == 0 else SYNONYM))
    return phrases


def link_index(schema: SchemaInfo) -> LinkIndex:
    cached = _CACHE.get(schema)
    if cached is not None:
        return cached
    phrases: dict[tuple[str, ...], list[Link]] = defaultdict(list)
    column_words: dict[tuple[str, str], dict[str, float]] = {}
    for table in schema.tables:
        for words, tier in _table_phrases(table):
            _add(phrases, words, Link(table.name, None, tier))
        for column in table.columns:
            found: dict[str, float] = {}
            for words, tier in _column_phrases(table, column):
                _add(phrases, words, Link(table.name, column.name, tier))
                for word in words:
                    found[word] = max(found.get(word, 0.0), tier)
            for word in re.findall(r"[A-Za-z]+", column.description):
                found.setdefault(lemma(word), DESCRIPTION)
                found.setdefault(word.lower(), DESCRIPTION)
            column_words[(table.name, column.name)] = found
    index = LinkIndex(dict(phrases), column_words)
    _CACHE[schema] = index
    return index


# --------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class Reach:
    """How a table is reached from the fact table along many-to-one keys."""

    distance: int
    keys: tuple[ForeignKey, ...]
    ways: int


def many_to_one(schema: SchemaInfo, fact: str) -> dict[str, Reach]:
    """Tables reachable from `fact` by following foreign keys from the referencing side only.

    Joining along such a path never repeats a fact row, so sums and counts over the fact stay right.
    `ways` > 1 means another path of the same length exists (the join would be a guess).
    """
    reach = {fact: Reach(0, (), 1)}
    queue = deque([fact])
    while queue:
        current = queue.popleft()
        for key in schema.foreign_keys:
            if key.table != current or key.ref_table == current:
                continue
            here = reach[current]
            target = key.ref_table
            if target not in reach:
                reach[target] = Reach(here.distance + 1, (*here.keys, key), here.ways)
                queue.append(target)
            elif reach[target].distance == here.distance + 1:
                old = reach[target]
                reach[target] = Reach(old.distance, old.keys, old.ways + here.ways)
    return reach
