"""Text handling shared by indexing and retrieval: a small tokenizer with light stemming, and chunking.

The same `terms()` runs over passages when they are indexed and over the question when it is
searched, so whatever it does to a word happens on both sides.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

CHUNK_CHARS = 800
OVERLAP_CHARS = 150

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=\S)")
_PARAGRAPH = re.compile(r"\n\s*\n+")

STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her
here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
now of off on once only or other our ours ourselves out over own same she should so some such than that
the their theirs them themselves then there these they this those through to too under until up very was
we were what when where which while who whom why will with would you your yours yourself yourselves
""".split())


def stem(word: str) -> str:
    """Light suffix stripping (plural, -ing, -ed, -ly): 'customers' and 'customer' meet, 'revenue' stays."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, replacement, min_stem in (
        ("ational", "ate", 3), ("ization", "ize", 3), ("fulness", "ful", 3), ("iveness", "ive", 3),
        ("ies", "y", 2), ("sses", "ss", 2), ("ing", "", 3), ("edly", "", 3), ("ed", "", 3), ("ly", "", 4),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= min_stem:
            word = word[: -len(suffix)] + replacement
            break
    else:
        if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
            word = word[:-1]
    # 'shipping' → 'shipp' → 'ship', 'canceled' / 'cancelled' → 'cancel'
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    if len(word) > 4 and word.endswith("ll"):
        word = word[:-1]
    if len(word) >= 4 and word.endswith("e"):
        word = word[:-1]  # 'active' and 'activity' → 'activ', 'rate' and 'rated' → 'rat'
    return word


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def tokens(text: str) -> list[str]:
    """Stemmed terms of `text`, in order, stopwords dropped."""
    out = []
    for match in _WORD.finditer(normalize(text)):
        word = match.group().replace("’", "'").split("'")[0]
        if not word or word in STOPWORDS or len(word) > 64:
            continue
        out.append(stem(word))
    return out


def term_frequencies(text: str) -> tuple[dict[str, int], int]:
    """({term: count}, number of terms): the precomputed representation a chunk stores."""
    found = tokens(text)
    return dict(Counter(found)), len(found)


def _sentences(paragraph: str, size: int) -> list[str]:
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        while len(sentence) > size:  # one enormous "sentence" (a table row, minified text): cut at a space
            cut = sentence.rfind(" ", 0, size)
            cut = cut if cut > size // 2 else size
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence.strip():
            pieces.append(sentence.strip())
    return pieces


def chunk_text(text: str, size: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS) -> list[str]:
    """Split into passages of about `size` characters on paragraph, then sentence, boundaries.

    Each passage after the first starts with the last sentences (up to `overlap` characters) of
    the one before, so a definition that straddles a boundary is whole in at least one passage.
    """
    units: list[tuple[str, bool]] = []  # (piece, starts a paragraph)
    for paragraph in _PARAGRAPH.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        paragraph = re.sub(r"[ \t\f\v]+", " ", paragraph).strip()
        if not paragraph:
            continue
        for position, piece in enumerate(_sentences(paragraph, size)):
            units.append((piece, position == 0))

    chunks: list[str] = []
    current: list[tuple[str, bool]] = []
    length = 0
    for piece, starts_paragraph in units:
        if current and length + len(piece) + 2 > size:
            chunks.append(_join(current))
            carried: list[tuple[str, bool]] = []
            carried_length = 0
            for previous in reversed(current):
                if carried_length + len(previous[0]) > overlap:
                    break
                carried.insert(0, previous)
                carried_length += len(previous[0]) + 2
            while carried and carried_length + len(piece) + 2 > size:
                carried_length -= len(carried.pop(0)[0]) + 2
            current, length = carried, carried_length
        current.append((piece, starts_paragraph))
        length += len(piece) + 2  # the separator is one or two characters; count two
    if current:
        last = _join(current)
        if not chunks or last not in chunks[-1]:
            chunks.append(last)
    return chunks


def _join(units: list[tuple[str, bool]]) -> str:
    out = ""
    for index, (piece, starts_paragraph) in enumerate(units):
        if index:
            out += "\n\n" if starts_paragraph else " "
        out += piece
    return out
