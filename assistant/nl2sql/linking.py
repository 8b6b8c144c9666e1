"""Schema and value linking: which words of the question name which tables, columns and values.

Everything is lexical and deterministic. Identifiers are split into words (snake_case, camelCase,
common abbreviations expanded), words are reduced to a light lemma, and question spans are matched
against table/column phrases (exact lemma, then a crude stem, then a close spelling) and against the
value index. Large schemas are first narrowed with BM25 over per-table documents so the parser only
sees a small, relevant context.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Literal
from weakref import WeakKeyDictionary

from . import lexicon as lx
from .schema import Column, SchemaInfo, Table

# ----------------------------------------------------------------------------- words

IRREGULAR_PLURALS = {
    "people": "person",
    "children": "child",
    "men": "man",
    "women": "woman",
    "mice": "mouse",
    "feet": "foot",
    "teeth": "tooth",
    "geese": "goose",
    "indices": "index",
    "criteria": "criterion",
    "statuses": "status",
    "campuses": "campus",
    "buses": "bus",
    "bonuses": "bonus",
    "viruses": "virus",
    "addresses": "address",
    "analyses": "analysis",
    "theses": "thesis",
    "crises": "crisis",
    "media": "medium",
    "ids": "id",
    "phenomena": "phenomenon",
}
UNCHANGED = {
    "series",
    "species",
    "news",
    "status",
    "bus",
    "campus",
    "gas",
    "class",
    "address",
    "business",
    "this",
    "its",
    "his",
    "has",
    "was",
    "is",
    "as",
    "us",
    "yes",
    "less",
    "process",
    "access",
    "basis",
    "analysis",
    "sales",
    "physics",
    "mathematics",
    "economics",
    "politics",
    "always",
    "genus",
    "virus",
}

# Abbreviations found in real schemas, expanded so "stu_fname" can meet "student first name".
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "num": ("number",),
    "no": ("number",),
    "nbr": ("number",),
    "qty": ("quantity",),
    "amt": ("amount",),
    "dept": ("department",),
    "emp": ("employee",),
    "fname": ("first", "name"),
    "lname": ("last", "name"),
    "dob": ("date", "of", "birth"),
    "addr": ("address",),
    "desc": ("description",),
    "descr": ("description",),
    "cnt": ("count",),
    "yr": ("year",),
    "stu": ("student",),
    "prof": ("professor",),
    "crs": ("course",),
    "dt": ("date",),
    "pct": ("percent",),
    "loc": ("location",),
    "cust": ("customer",),
    "prod": ("product",),
    "avg": ("average",),
    "pop": ("population",),
    "tel": ("telephone",),
    "org": ("organisation",),
    "info": ("information",),
    "inst": ("institution",),
    "mgr": ("manager",),
    "std": ("student",),
    "cid": ("id",),
    "uid": ("user", "id"),
    "pid": ("id",),
    "sid": ("id",),
    "acc": ("account",),
    "acct": ("account",),
    "attr": ("attribute",),
    "ref": ("reference",),
    "doc": ("document",),
    "prev": ("previous",),
    "prereq": ("prerequisite",),
    "max": ("maximum",),
    "min": ("minimum",),
    "lat": ("latitude",),
    "long": ("longitude",),
    "lon": ("longitude",),
    "lng": ("longitude",),
    "hs": ("hour",),
    "gpa": ("gpa",),
    "ssn": ("ssn",),
    "mid": ("middle",),
    "sec": ("section",),
    "bldg": ("building",),
    "ht": ("height",),
    "wt": ("weight",),
    "st": ("street",),
    "apt": ("apartment",),
    "char": ("character",),
    "res": ("residence",),
    "temp": ("temperature",),
    "capacity": ("capacity",),
}

# Question words that stand for a schema word (the key) — general English, not any one database.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "aged": ("age",),
    "old": ("age",),
    "older": ("age",),
    "oldest": ("age",),
    "young": ("age",),
    "younger": ("age",),
    "youngest": ("age",),
    "tall": ("height",),
    "taller": ("height",),
    "tallest": ("height",),
    "short": ("height",),
    "shorter": ("height",),
    "shortest": ("height",),
    "heavy": ("weight",),
    "heavier": ("weight",),
    "heaviest": ("weight",),
    "light": ("weight",),
    "lighter": ("weight",),
    "lightest": ("weight",),
    "expensive": ("price", "cost"),
    "cheap": ("price", "cost"),
    "cheaper": ("price", "cost"),
    "cheapest": ("price", "cost"),
    "costly": ("price", "cost"),
    "priced": ("price",),
    "cost": ("price",),
    "costs": ("price", "cost"),
    "costing": ("price", "cost"),
    "populous": ("population",),
    "born": ("birth",),
    "birthday": ("birth",),
    "earn": ("salary",),
    "earns": ("salary",),
    "earned": ("salary", "earning"),
    "earning": ("salary", "earning"),
    "weigh": ("weight",),
    "weighs": ("weight",),
    "weighing": ("weight",),
    "scored": ("score", "point"),
    "paid": ("salary",),
    "wage": ("salary",),
    "pay": ("salary",),
    "gender": ("sex",),
    "sex": ("gender",),
    "surname": ("last", "name"),
    "forename": ("first", "name"),
    "nationality": ("country",),
    "nation": ("nationality", "country"),
    "nations": ("nationality", "country"),
    "country": ("nationality",),
    "title": ("name",),
    "phone": ("telephone", "phone"),
    "telephone": ("phone",),
    "email": ("email",),
    "e-mail": ("email",),
    "zip": ("postcode", "zip"),
    "postcode": ("zip",),
    "mark": ("score", "grade"),
    "score": ("point",),
    "point": ("score",),
    "revenue": ("sales",),
    "long": ("length",),
    "longest": ("length", "duration"),
    "length": ("duration",),
}


# Nouns people use for the same kind of row; a question's word finds a table named by another word of
# its group ("employees" for a staff table). General English, not any one database's vocabulary.
ENTITY_SYNONYMS: tuple[frozenset[str], ...] = tuple(
    frozenset(group.split())
    for group in (
        "employee staff worker personnel",
        "customer client",
        "company firm business enterprise corporation",
        "student pupil",
        "teacher instructor lecturer professor",
        "film movie",
        "car automobile vehicle",
        "author writer",
        "doctor physician",
        "shop store",
        "country nation",
        "town city",
        "trip journey",
        "player athlete",
        "plane aircraft airplane airplain",
        "ship vessel",
        "school college university institution",
        "product item good",
        "order purchase",
        "picture photo image",
        "show program programme",
        "task job",
        "organisation organization",
        "appointment booking reservation",
    )
)
ENTITY_SYNONYM_OF = {word: group - {word} for group in ENTITY_SYNONYMS for word in group}
# A general word for the kinds of thing a table may hold: "companies" over a manufacturers table (one way only:
# "manufacturers" never names a companies table).
ENTITY_KINDS = {
    "company": ("manufacturer", "supplier", "vendor", "maker", "publisher", "airline", "carrier", "producer"),
}


@dataclass(frozen=True)
class Token:
    """One word or literal of the question. `lemma` is what matching uses; `text` keeps the user's casing."""

    text: str
    lower: str
    lemma: str
    stem: str
    kind: Literal["word", "number", "quoted", "symbol", "date"]
    start: int
    end: int


TOKEN_RE = re.compile(
    r"\"([^\"]+)\"|“([^”]+)”|‘([^’]+)’|(?<![A-Za-z])'([^']+?)'(?![A-Za-z])"
    r"|(\d+(?:\.\d+)?%?)|([A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*)|([<>=!]=?|[^\s\w])"
)
# A calendar date, with a time or not ("1978-06-26", "2005-08-23 02:06:01"), quoted or bare.
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")


def lemma(word: str) -> str:
    """A light singular form: enough for "pilots"/"pilot" and "categories"/"category" to meet."""
    lowered = word.lower()
    if lowered in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[lowered]
    if lowered in UNCHANGED or len(lowered) <= 3 or not lowered.isalpha():
        return lowered
    if lowered.endswith("ies") and len(lowered) > 4:
        return lowered[:-3] + "y"
    if lowered.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return lowered[:-2]
    if lowered.endswith("s") and not lowered.endswith(("ss", "us", "is", "ous", "ics")):
        return lowered[:-1]
    return lowered


STEM_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ions", "ion", "ers", "er", "ed", "ly", "al", "es", "s")


def stem(word: str) -> str:
    """A crude stem so "enrolled"/"enrollment" or "located"/"location" meet at a lower score."""
    stemmed = lemma(word)
    for suffix in STEM_SUFFIXES:
        if stemmed.endswith(suffix) and len(stemmed) - len(suffix) >= 4:
            stemmed = stemmed[: -len(suffix)]
            break
    return stemmed.rstrip("e") if len(stemmed) > 4 else stemmed


def tokenize(text: str) -> list[Token]:
    """Split a question into words, numbers, quoted literals and symbols, keeping character offsets."""
    tokens: list[Token] = []
    dates = [(found.start(), found.end()) for found in DATE_RE.finditer(text)]
    for match in TOKEN_RE.finditer(text):
        quoted = match.group(1) or match.group(2) or match.group(3) or match.group(4)
        if quoted is not None and DATE_RE.fullmatch(quoted.strip()):
            literal = quoted.strip()
            tokens.append(Token(literal, literal, literal, literal, "date", match.start(), match.end()))
            continue
        span = next(((start, end) for start, end in dates if start <= match.start() < end), None)
        if span is not None:
            if not tokens or tokens[-1].kind != "date" or tokens[-1].end != span[1]:
                literal = text[span[0] : span[1]]
                tokens.append(Token(literal, literal, literal, literal, "date", span[0], span[1]))
            continue
        if quoted is not None:
            tokens.append(Token(quoted, quoted.lower(), quoted.lower(), quoted.lower(), "quoted", match.start(), match.end()))
        elif match.group(5) is not None:
            value = match.group(5)
            tokens.append(Token(value, value, value, value, "number", match.start(), match.end()))
        elif match.group(6) is not None:
            word = match.group(6)
            if word.lower().endswith("'s"):
                word = word[:-2]
            if word.lower().endswith("n't"):
                # "don't", "doesn't", "haven't": the negation is what matters.
                tokens.append(Token(word, "not", "not", "not", "word", match.start(), match.end()))
                continue
            tokens.append(Token(word, word.lower(), lemma(word), stem(word), "word", match.start(), match.end()))
        else:
            symbol = match.group(7)
            tokens.append(Token(symbol, symbol, symbol, symbol, "symbol", match.start(), match.end()))
    return tokens


def identifier_words(identifier: str) -> list[str]:
    """Split an identifier into lemmas, expanding abbreviations: "StuFName" -> student first name."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", identifier)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    parts = [part for part in re.split(r"[^A-Za-z0-9]+|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", spaced) if part]
    # "LName", "FName": a lone capital glued to the next word is an abbreviation ("lname" → last name).
    for index in range(len(parts) - 1, 0, -1):
        joined = (parts[index - 1] + parts[index]).lower()
        if len(parts[index - 1]) == 1 and joined in ABBREVIATIONS:
            parts[index - 1 : index + 1] = [joined]
    words: list[str] = []
    for part in parts:
        lowered = part.lower()
        words.extend(ABBREVIATIONS.get(lowered, (lemma(lowered),)))
    return words


def normalize_value(text: str) -> str:
    """The form values and question spans are compared in: lowercase words joined by single spaces."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


# ---------------------------------------------------------------------------- index


@dataclass(frozen=True)
class Phrase:
    """A word sequence that names a table or a column. `partial` phrases drop the table-name prefix."""

    words: tuple[str, ...]
    table: str
    column: str | None
    weight: float


@dataclass
class SchemaIndex:
    """Matching structures derived once per schema (cached): phrases, vocabulary, values, BM25 stats."""

    phrases_by_first: dict[str, list[Phrase]] = field(default_factory=lambda: defaultdict(list))
    vocabulary: set[str] = field(default_factory=set)
    stems: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    values: dict[str, list[tuple[str, str, str]]] = field(default_factory=lambda: defaultdict(list))
    max_value_words: int = 1
    table_documents: dict[str, Counter[str]] = field(default_factory=dict)
    document_frequency: Counter[str] = field(default_factory=Counter)
    compounds: dict[str, str] = field(default_factory=dict)
    # word → the (table, column) pairs whose name holds the word among others, the table's only such column
    qualified: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))


_INDEX_CACHE: WeakKeyDictionary[SchemaInfo, SchemaIndex] = WeakKeyDictionary()


# Prefixes that name a kind of table rather than its content ("ref_colors", "tbl_orders").
TABLE_PREFIXES = {"ref", "tbl", "dim", "fact", "lkp", "lookup"}


def _phrases_for_table(table: Table) -> list[Phrase]:
    words = identifier_words(table.name)
    phrases = [Phrase(tuple(words), table.name, None, 1.0)]
    if len(words) > 1 and words[0] in TABLE_PREFIXES:
        phrases.append(Phrase(tuple(words[1:]), table.name, None, 0.95))
    for alias in table.aliases:
        phrases.append(Phrase(tuple(identifier_words(alias)), table.name, None, 1.0))
    return phrases


# Other names of units ("price in USD" for price_in_dollars).
UNIT_ALIASES = {"dollar": ("usd",), "euro": ("eur",), "pound": ("gbp", "sterling"), "percent": ("percentage",)}
UNIT_OF = {alias: unit for unit, aliases in UNIT_ALIASES.items() for alias in aliases}

# Words of a column that people say in two ("first name" for forename).
NAME_PARTS = {"forename": ("first", "name"), "surname": ("last", "name"), "firstname": ("first", "name"),
              "lastname": ("last", "name"), "givenname": ("first", "name"), "familyname": ("last", "name")}

# Units a column name may end in ("_in_billions"); the words before them name the quantity.
UNIT_WORDS = frozenset({
    "billion", "million", "thousand", "hundred", "dollar", "euro", "pound", "usd", "eur", "gbp", "percent", "percentage",
    "g", "gb", "mb", "kb", "kg", "gram", "km", "meter", "metre", "cm", "mm", "mile", "foot", "inch", "minute", "hour",
    "second", "sec", "ms", "celsius", "fahrenheit", "litre", "liter",
})


def _phrases_for_column(
    table: Table, column: Column, table_nouns: frozenset[str] = frozenset(), keyed: bool = False
) -> list[Phrase]:
    table_words = identifier_words(table.name)
    words = identifier_words(column.name)
    phrases = [Phrase(tuple(words), table.name, column.name, 1.0)]
    if "number" not in words and "id" not in words:
        # "phone number", "room number": people add "number" to what the schema calls phone/room.
        phrases.append(Phrase((*words, "number"), table.name, column.name, 0.95))
    if len(words) > 1 and words[-1] == "code":
        # "product types" for product_type_code: the code is how the schema stores a category.
        phrases.append(Phrase(tuple(words[:-1]), table.name, column.name, 0.9))
        if words[0] in table_words and len(words) > 2:
            phrases.append(Phrase(tuple(words[1:-1]), table.name, column.name, 0.85))
    counted = counted_noun(words)
    if counted and column.is_numeric and counted[-1] not in table_nouns:
        # "apartments with more than 2 bedrooms" for bedroom_count, "stations with 15 platforms" for
        # number_of_platforms: the column holds how many there are of the noun
        phrases.append(Phrase(counted, table.name, column.name, 0.85))
    for alias in column.aliases:
        phrases.append(Phrase(tuple(identifier_words(alias)), table.name, column.name, 1.0))
    if len(words) > 1 and words[-1] == "by" and words[-2].endswith("ed") and len(words[-2]) > 4:
        # directed_by, produced_by: people name who did it — the director, the producer
        root = words[-2][:-2]
        for agent in {root + "or", root + "er"}:
            phrases.append(Phrase((*words[:-2], agent), table.name, column.name, 0.9))
    if words[0] not in table_words and len(table_words) <= 2 and not (column.primary_key or keyed) and words[-1] != "by":
        # "project name" for projects.name, "savings balance": the table's noun before its column
        phrases.append(Phrase((*table_words, *words), table.name, column.name, 0.95))
    if set(words) & NAME_PARTS.keys():
        # forename / surname are what people call the first and last name
        spelled = tuple(part for word in words for part in NAME_PARTS.get(word, (word,)))
        phrases.append(Phrase(spelled, table.name, column.name, 0.95))
    if len(words) > 1 and words[0] in ("is", "has", "if"):
        # is_active, if_full_time: the quality the yes/no column records
        phrases.append(Phrase(tuple(words[1:]), table.name, column.name, 0.9))
    if len(words) > 2 and words[-2] == "in" and words[-1] in UNIT_WORDS:
        # budget_in_billions, price_in_dollars: people name the quantity, not the unit it is stored in
        phrases.append(Phrase(tuple(words[:-2]), table.name, column.name, 0.9))
        for alias in UNIT_ALIASES.get(words[-1], ()):
            phrases.append(Phrase((*words[:-1], alias), table.name, column.name, 1.0))  # "price in USD"
    # "Pilot_name" in table "pilot" is what people call "name" when talking about pilots.
    for prefix_length in range(len(words) - 1, 0, -1):
        prefix = words[:prefix_length]
        # DPhone of department, gtype of video_games: the initial of a word of the table's name
        initial = prefix_length == 1 and len(prefix[0]) == 1 and any(w.startswith(prefix[0]) for w in table_words)
        if prefix == table_words[-prefix_length:] or (prefix_length == 1 and prefix[0] in table_words) or initial:
            phrases.append(Phrase(tuple(words[prefix_length:]), table.name, column.name, 0.9))
            if "number" not in words and "id" not in words:
                # "phone numbers" of customers for customer_phone
                phrases.append(Phrase((*words[prefix_length:], "number"), table.name, column.name, 0.85))
            if prefix_length > 1 and words[0] in table_words:
                # product_category_description of ref_product_categories is also the "category description"
                phrases.append(Phrase(tuple(words[1:]), table.name, column.name, 0.9))
            break
    if column.is_numeric or column.is_date or "year" in words:
        phrases.extend(_year_phrases(table, column, words))
    if column.is_date and not column.is_numeric:
        phrases.extend(_date_phrases(table, column, words))
    if words[-1] in ("email", "mail") and "address" not in words:
        # "email address" is one thing, the email, not the email and a postal address
        phrases.append(Phrase(("email", "address"), table.name, column.name, 0.9))
    if column.primary_key and len(table.primary_keys) == 1 and not set(words) & {"id", "number", "no", "code", "key"}:
        # "flight number" for flight.flno: a key named by an abbreviation is the table's number / id
        phrases.append(Phrase((*table_words, "number"), table.name, column.name, 0.9))
        phrases.append(Phrase((*table_words, "id"), table.name, column.name, 0.9))
    return [phrase for phrase in phrases if phrase.words]


COUNT_WORDS = ("count", "number", "num", "no")


def _verb_forms(word: str) -> set[str]:
    """open → opened, opening; founded → found, founding; join → joined, joining (no dictionary, so only
    the regular endings)."""
    root = word[:-2] if word.endswith("ed") else word[:-3] if word.endswith("ing") else word
    stems = {root, root + "e"} if word.endswith(("ed", "ing")) and not root.endswith("e") else {root}
    forms = set()
    for stem_ in stems:
        base = stem_[:-1] if stem_.endswith("e") else stem_
        forms |= {stem_, base + "ed", base + "ing"}
    return forms


def _year_phrases(table: Table, column: Column, words: list[str]) -> list[Phrase]:
    """ "opening year", "year of opening", "open year" for open_year; "founded year", "year founded" for a
    year column named only by its verb (founded, established)."""
    others = [w for w in words if w not in ("year", "yr") and w not in identifier_words(table.name)]
    if len(others) != 1 or len(others[0]) < 4:
        return []
    if "year" not in words and not others[0].endswith("ed"):
        return []
    phrases = []
    for form in sorted(_verb_forms(others[0])):
        phrases.append(Phrase((form, "year"), table.name, column.name, 0.85))
        phrases.append(Phrase(("year", form), table.name, column.name, 0.85))
    return phrases


def _date_phrases(table: Table, column: Column, words: list[str]) -> list[Phrase]:
    """ "publication date" for date_of_publication; "date" for a table's only date (createdate, Bdate)."""
    phrases = []
    if len(words) > 1 and words[0] == "date":
        rest = tuple(w for w in words[1:] if w != "of")
        if rest:
            phrases.append(Phrase((*rest, "date"), table.name, column.name, 0.9))
    dates = [c for c in table.columns if c.is_date and not c.is_numeric]
    if len(dates) == 1 and words != ["date"]:
        phrases.append(Phrase(("date",), table.name, column.name, 0.8))
    return phrases


def counted_noun(words: list[str]) -> tuple[str, ...]:
    """The noun a count column counts: bedroom_count, number_of_platforms, num_employees → the noun."""
    if len(words) == 2 and words[-1] == "count":
        return (words[0],)
    if len(words) >= 2 and words[0] in COUNT_WORDS:
        rest = words[2:] if words[1] == "of" else words[1:]
        return tuple(rest) if len(rest) == 1 else ()
    return ()


def _head_nouns(schema: SchemaInfo) -> dict[str, str]:
    """Tables named by their last word alone ("interactions" for medicine_enzyme_interaction) when no
    other table ends in, or is called, that word."""
    endings: dict[str, list[str]] = defaultdict(list)
    whole: set[str] = set()
    for table in schema.tables:
        words = identifier_words(table.name)
        if len(words) == 1:
            whole.add(words[0])
        endings[words[-1]].append(table.name)
    keyed = {(key.table, key.column) for key in schema.foreign_keys}
    links = {
        table.name
        for table in schema.tables
        if table.columns and len(table.columns) <= 3 and sum((table.name, c.name) in keyed for c in table.columns) >= 2
    }
    named: dict[str, str] = {}
    for word, tables in endings.items():
        if word in whole or len(word) <= 3 or word in ("id", "code", "type", "detail"):
            continue
        content = [name for name in tables if name not in links] if len(tables) > 1 else tables
        if len(content) == 1:
            named[content[0]] = word  # a pure link table (two keys) does not compete for the noun
    return named


def _leading_nouns(schema: SchemaInfo) -> dict[str, str]:
    """Tables named by their first word alone ("counties" for county_public_safety) when that word
    appears in no other table's name."""
    keyed = {(key.table, key.column) for key in schema.foreign_keys}
    uses: Counter[str] = Counter()
    for table in schema.tables:
        uses.update(set(identifier_words(table.name)))
    named: dict[str, str] = {}
    for table in schema.tables:
        words = identifier_words(table.name)
        if len(words) < 2 or words[0] in TABLE_PREFIXES:
            continue
        link = sum((table.name, c.name) in keyed for c in table.columns) >= 2 and len(table.columns) <= 3
        if link and words[1] != "of":
            continue  # a link table ("plays_games") is named by what it links, not by its first word
            # (but "member_of_club" holds the members of clubs)
        first = words[0]
        if uses[first] == 1 and len(first) > 3 and first not in GENERIC_COLUMN_WORDS and first not in STRUCTURE_WORDS:
            named[table.name] = first
    return named


# Prepositions and other small words that end some column names ("date_from", "valid_to").
FUNCTION_WORDS = frozenset({
    "from", "to", "by", "in", "on", "at", "for", "with", "of", "per", "until", "since", "after", "before", "off",
    "out", "up", "down", "over", "under", "into", "via", "all", "any", "each", "and", "or", "not", "yes", "is", "are",
})
# Last words of column names too common to name one column alone.
GENERIC_COLUMN_WORDS = frozenset({
    "id", "name", "code", "type", "date", "number", "no", "num", "count", "year", "time", "status", "description",
    "details", "detail", "amount", "value", "text", "flag", "key", "level", "rank", "order", "total", "other",
})


def _column_head_nouns(schema: SchemaInfo) -> dict[tuple[str, str], str]:
    """Columns named by their last word alone ("fee" for CampusFee) when no other column of the schema
    ends in, or is, that word and the word is not a generic one like "id" or "name"."""
    endings: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for table in schema.tables:
        for column in table.columns:
            words = identifier_words(column.name)
            if words:
                endings[words[-1]].append((table.name, column.name))
    return {
        owners[0]: word
        for word, owners in endings.items()
        if len(owners) == 1
        and word not in GENERIC_COLUMN_WORDS
        and len(word) > 2
        and word not in STRUCTURE_WORDS
        and word not in FUNCTION_WORDS  # "date_from": "from" in a question is a preposition
    }


def _compounds(schema: SchemaInfo) -> dict[str, str]:
    """Heads of one-word compound table names ("room" for classroom, "ship" for battleship) that name no
    other table and are no table's own word."""
    names = {table.name: identifier_words(table.name) for table in schema.tables}
    own = {word for words in names.values() for word in words}
    heads: dict[str, list[str]] = defaultdict(list)
    for name, words in names.items():
        if len(words) != 1:
            continue
        for cut in range(3, len(words[0]) - 3):
            heads[words[0][cut:]].append(name)
    return {head: tables[0] for head, tables in heads.items() if len(tables) == 1 and head not in own and len(head) >= 4}


def _build_index(schema: SchemaInfo) -> SchemaIndex:
    index = SchemaIndex()
    index.compounds = _compounds(schema)
    head_nouns = _head_nouns(schema)
    leading_nouns = _leading_nouns(schema)
    # (a count column does not name its noun when a table holds those rows: number_of_hosts vs host)
    table_nouns = frozenset(word for table in schema.tables for word in identifier_words(table.name))
    column_heads = _column_head_nouns(schema)
    keyed = {(key.table, key.column) for key in schema.foreign_keys}
    for table in schema.tables:
        document: Counter[str] = Counter()
        phrases = _phrases_for_table(table)
        if table.name in head_nouns and len(identifier_words(table.name)) > 1:
            phrases.append(Phrase((head_nouns[table.name],), table.name, None, 0.85))
        if table.name in leading_nouns:
            phrases.append(Phrase((leading_nouns[table.name],), table.name, None, 0.8))
        holders: dict[str, list[str]] = defaultdict(list)
        for column in table.columns:
            for word in set(identifier_words(column.name)):
                holders[word].append(column.name)
        for word, names in holders.items():
            if len(names) == 1 and identifier_words(names[0]) != [word]:
                index.qualified[word].append((table.name, names[0]))
        for column in table.columns:
            phrases.extend(_phrases_for_column(table, column, table_nouns, (table.name, column.name) in keyed))
            head = column_heads.get((table.name, column.name))
            if head is not None and len(identifier_words(column.name)) > 1:
                phrases.append(Phrase((head,), table.name, column.name, 0.8))
            for value in column.values:
                key = normalize_value(value)
                if key and len(key) <= 60:
                    index.values[key].append((table.name, column.name, value))
                    index.max_value_words = max(index.max_value_words, min(len(key.split()), 8))
        for phrase in phrases:
            index.phrases_by_first[phrase.words[0]].append(phrase)
            index.vocabulary.update(phrase.words)
            document.update(phrase.words)
        for text in [table.description] + [column.description for column in table.columns]:
            document.update(lemma(word) for word in re.findall(r"[A-Za-z]+", text))
        index.table_documents[table.name] = document
        index.document_frequency.update(set(document))
    for word in index.vocabulary:
        index.stems[stem(word)].add(word)
    return index


def schema_index(schema: SchemaInfo) -> SchemaIndex:
    """The cached index of `schema` (built on first use; schemas are immutable once built)."""
    index = _INDEX_CACHE.get(schema)
    if index is None:
        index = _build_index(schema)
        _INDEX_CACHE[schema] = index
    return index


# --------------------------------------------------------------------------- ranking


def rank_tables(schema: SchemaInfo, words: list[str], k1: float = 1.2, b: float = 0.75) -> list[tuple[str, float]]:
    """BM25 of each table's document (its name, columns, aliases, descriptions) against question lemmas."""
    index = schema_index(schema)
    documents = index.table_documents
    if not documents:
        return []
    average_length = sum(sum(doc.values()) for doc in documents.values()) / len(documents)
    count = len(documents)
    scores = []
    for name, document in documents.items():
        length = sum(document.values()) or 1
        score = 0.0
        for word in set(words):
            frequency = document.get(word, 0)
            if not frequency:
                continue
            df = index.document_frequency[word]
            idf = math.log(1 + (count - df + 0.5) / (df + 0.5))
            score += idf * frequency * (k1 + 1) / (frequency + k1 * (1 - b + b * length / max(average_length, 1)))
        scores.append((name, score))
    scores.sort(key=lambda item: -item[1])
    return scores


# -------------------------------------------------------------------------- mentions


@dataclass
class Mention:
    """A question span linked to a schema element or a literal. `start`/`end` index tokens."""

    start: int
    end: int
    kind: Literal["table", "column", "value", "number"]
    table: str | None = None
    column: str | None = None
    value: str | float | int | None = None
    score: float = 1.0
    candidates: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def length(self) -> int:
        return self.end - self.start


# Words that carry query structure; they only ever match a schema word exactly, never by stem or spelling
# ("count" is not "county", "played" is not "player").
STRUCTURE_WORDS = {
    "count",
    "number",
    "total",
    "average",
    "sum",
    "maximum",
    "minimum",
    "order",
    "sort",
    "most",
    "least",
    "each",
    "every",
    "many",
    "much",
    "more",
    "less",
    "than",
    "name",
    "list",
    "show",
    "give",
    "find",
}


def _word_match(token: Token, word: str, index: SchemaIndex) -> float:
    """How well one question token matches one schema word: 1 exact, 0.85 stem/synonym, 0.75 spelling."""
    if token.kind != "word":
        return 0.0
    if token.lemma == word or token.lower == word:
        return 1.0
    if token.lemma in STRUCTURE_WORDS or token.lower.endswith(("ed", "ing")) != word.endswith(("ed", "ing")):
        return 0.0
    short_noun = len(token.stem) < 5 and (word.endswith("ion") or token.lemma.endswith("ion"))
    if len(word) >= 4 and not short_noun and word in index.stems.get(token.stem, ()):
        # (not for a short stem left by "-ion": "states" and "station" are both "stat")
        return 0.85
    if len(word) >= 6 and len(token.lemma) >= 6 and _negated_twin(token.lemma, word):
        return 0.0  # "available" is the opposite of "unavailable", not a misspelling
    if len(word) >= 6 and len(token.lemma) >= 6 and difflib.SequenceMatcher(None, token.lemma, word).ratio() >= 0.88:
        return 0.75
    return 0.0


def same_words(first: str, second: str) -> bool:
    """Whether two identifiers say the same words, singular or plural ("Campus" and "Campuses")."""
    return [lemma(w) for w in identifier_words(first)] == [lemma(w) for w in identifier_words(second)]


def verb_names_column(verb: Token, particle: str | None, column_name: str) -> bool:
    """Whether a verb ("signed up", "hired", "registered") names the column ("signup_date", "hire_date",
    "registration_date"): a word of the column is the verb, its stem, or the verb joined to its particle."""
    root = verb.stem
    irregular = lx.IRREGULAR_PARTICIPLES.get(verb.lower, ())
    for word in identifier_words(column_name):
        if word in irregular:
            return True
        word_root = stem(word)
        if word in (verb.lower, verb.lemma) or word_root == root:
            return True
        if particle and word in (root + particle, verb.lemma + particle):
            return True
        shorter, longer = sorted((word_root, root), key=len)
        if len(shorter) >= 4 and longer.startswith(shorter):
            return True
        common = len(os.path.commonprefix([shorter, longer]))
        if common >= 5 and common >= len(shorter) - 1:
            return True  # "registered" / "registration" (register, registr), "published" / "publication"
    return False


FLAG_WORDS = {"is", "has", "flag", "yn"}


def flag_condition(table: Table, word: Token) -> tuple[Column, bool | int] | None:
    """ "active customers" over customers.is_active: the yes/no column the adjective names, with the value
    it asks for ("inactive" asks for no). A declared boolean is compared with TRUE/FALSE, a 0/1 one with 1/0."""
    for column in table.columns:
        if not column.is_flag:
            continue
        own = [w for w in identifier_words(column.name) if w not in FLAG_WORDS]
        if len(own) != 1:
            continue
        if own[0] in (word.lower, word.lemma):
            wanted = True
        elif _negated_twin(own[0], word.lower):
            wanted = False
        else:
            continue
        return column, wanted if "bool" in column.type.lower() else int(wanted)
    return None


def is_name_column(column: Column) -> bool:
    """A text column that names its rows to a person: its name ends in "name" or "title"."""
    return not column.is_numeric and identifier_words(column.name)[-1:] in (["name"], ["title"])


def _negated_twin(first: str, second: str) -> bool:
    """Whether one word is the other with a negating prefix ("available"/"unavailable")."""
    short, long = sorted((first, second), key=len)
    return any(long == prefix + short for prefix in ("un", "in", "im", "non", "dis", "ir", "il"))


SKIPPABLE_INSIDE = {"of", "the", "a", "an"}


def _match_phrase(tokens: list[Token], position: int, phrase: Phrase, index: SchemaIndex) -> tuple[int, float] | None:
    """Match `phrase` starting at `position`, allowing "of"/"the" between words ("year of birth")."""
    cursor, total = position, 0.0
    for i, word in enumerate(phrase.words):
        while i > 0 and cursor < len(tokens) and tokens[cursor].lemma in SKIPPABLE_INSIDE and tokens[cursor].lemma != word:
            cursor += 1
        if cursor >= len(tokens):
            return None
        score = _word_match(tokens[cursor], word, index)
        if score == 0.0:
            return None
        total += score
        cursor += 1
    return cursor, total / len(phrase.words) * phrase.weight


def _first_words(token: Token, index: SchemaIndex) -> set[str]:
    """Schema words a token could start a phrase with (exact, stem family, synonyms, close spelling)."""
    words = {token.lemma, token.lower}
    if token.lemma in STRUCTURE_WORDS:
        return words
    words |= index.stems.get(token.stem, set())
    if len(token.lemma) >= 6:
        words.update(difflib.get_close_matches(token.lemma, index.vocabulary, n=3, cutoff=0.88))
    return words


def _elliptical(
    tokens: list[Token],
    position: int,
    index: SchemaIndex,
    allowed_tables: set[str] | None,
    found: dict[tuple[int, int, str, str | None], Mention],
) -> None:
    """ "first and last name": the first word alone names the column "first name" (the noun is shared)."""
    if position + 3 >= len(tokens) or tokens[position + 1].lower not in ("and", "or", ","):
        return
    token, noun = tokens[position], tokens[position + 3]
    if token.kind != "word" or noun.kind != "word" or tokens[position + 2].kind != "word":
        return
    for phrase in index.phrases_by_first.get(token.lemma, ()):
        if phrase.column is None or phrase.words != (token.lemma, noun.lemma):
            continue
        if allowed_tables is not None and phrase.table not in allowed_tables:
            continue
        if not any(
            p.words == (tokens[position + 2].lemma, noun.lemma) and p.table == phrase.table
            for p in index.phrases_by_first.get(tokens[position + 2].lemma, ())
        ):
            continue  # only when the second word also names a column with that noun
        key = (position, position + 1, phrase.table, phrase.column)
        found.setdefault(key, Mention(position, position + 1, "column", phrase.table, phrase.column, score=0.95 * phrase.weight))


def schema_mentions(tokens: list[Token], schema: SchemaInfo, allowed_tables: set[str] | None = None) -> list[Mention]:
    """Every span that matches a table or column phrase, with a score; overlaps are resolved later."""
    index = schema_index(schema)
    found: dict[tuple[int, int, str, str | None], Mention] = {}
    for position, token in enumerate(tokens):
        if token.kind != "word":
            continue
        for first in _first_words(token, index):
            for phrase in index.phrases_by_first.get(first, ()):
                if allowed_tables is not None and phrase.table not in allowed_tables:
                    continue
                matched = _match_phrase(tokens, position, phrase, index)
                if matched is None:
                    continue
                end, score = matched
                kind: Literal["table", "column"] = "column" if phrase.column else "table"
                key = (position, end, phrase.table, phrase.column)
                if key not in found or found[key].score < score:
                    found[key] = Mention(position, end, kind, phrase.table, phrase.column, score=score)
        if position + 1 < len(tokens) and tokens[position + 1].kind == "word":
            joined = token.lower + tokens[position + 1].lemma
            for phrase in index.phrases_by_first.get(joined, ()):
                if len(phrase.words) == 1 and (allowed_tables is None or phrase.table in allowed_tables):
                    kind2: Literal["table", "column"] = "column" if phrase.column else "table"
                    key = (position, position + 2, phrase.table, phrase.column)
                    found.setdefault(key, Mention(position, position + 2, kind2, phrase.table, phrase.column, score=0.95))
        _elliptical(tokens, position, index, allowed_tables, found)
        compound = index.compounds.get(token.lemma)
        if compound is not None and (allowed_tables is None or compound in allowed_tables):
            # "rooms" for a classroom table: the word is the head of the table's compound name
            mention = Mention(position, position + 1, "table", compound, None, score=0.8)
            found.setdefault((position, position + 1, compound, None), mention)
        kinds = [(target, 0.8) for target in ENTITY_SYNONYM_OF.get(token.lemma, ())]
        kinds += [(target, 0.75) for target in ENTITY_KINDS.get(token.lemma, ())]
        for synonym_target, weight in kinds:
            for phrase in index.phrases_by_first.get(synonym_target, ()):
                if phrase.column is not None or len(phrase.words) != 1:
                    continue
                if allowed_tables is None or phrase.table in allowed_tables:
                    mention = Mention(position, position + 1, "table", phrase.table, None, score=weight * phrase.weight)
                    found.setdefault((position, position + 1, phrase.table, None), mention)
        for rank, synonym_target in enumerate(SYNONYMS.get(token.lower, ())):
            for phrase in index.phrases_by_first.get(synonym_target, ()):
                if phrase.column and len(phrase.words) == 1 and (allowed_tables is None or phrase.table in allowed_tables):
                    key = (position, position + 1, phrase.table, phrase.column)
                    if key not in found:
                        # the first synonym is the usual one: "expensive" is the price before the cost
                        score = 0.8 - 0.01 * rank
                        found[key] = Mention(position, position + 1, "column", phrase.table, phrase.column, score=score)
            for table_name, column_name in index.qualified.get(synonym_target, ()):
                if allowed_tables is None or table_name in allowed_tables:
                    # "the most expensive hotels" for price_range, "the highest priced rooms" for basePrice
                    key = (position, position + 1, table_name, column_name)
                    mention = Mention(position, position + 1, "column", table_name, column_name, score=0.75 - 0.01 * rank)
                    found.setdefault(key, mention)
    return list(found.values())


# Words that name a value of a sex/gender column stored as a code or a word ("female" → 'F').
GENDER_WORDS = {"female": "f", "male": "m", "woman": "f", "man": "m", "girl": "f", "boy": "m"}


def _gender_mentions(tokens: list[Token], schema: SchemaInfo, allowed_tables: set[str] | None) -> list[Mention]:
    """ "female students" → sex = 'F' when one sex/gender column stores F/M (or Female/Male) values."""
    mentions: list[Mention] = []
    for position, token in enumerate(tokens):
        letter = GENDER_WORDS.get(token.lemma) if token.kind == "word" else None
        if letter is None:
            continue
        hits: list[tuple[str, str, str]] = []
        for table in schema.tables:
            if allowed_tables is not None and table.name not in allowed_tables:
                continue
            for column in table.columns:
                if not {"sex", "gender"} & set(identifier_words(column.name)):
                    continue
                stored = [value for value in column.values if value.strip().lower() in (letter, token.lemma)]
                if len(stored) == 1:
                    hits.append((table.name, column.name, stored[0]))
        if hits:
            table_name, column_name, value = hits[0]
            mentions.append(Mention(position, position + 1, "value", table_name, column_name, value, 0.9, candidates=hits))
    return mentions


def value_mentions(tokens: list[Token], schema: SchemaInfo, allowed_tables: set[str] | None = None) -> list[Mention]:
    """Spans equal to a known column value (case/punctuation-insensitive), longest first."""
    index = schema_index(schema)
    mentions: list[Mention] = _gender_mentions(tokens, schema, allowed_tables)
    for start in range(len(tokens)):
        if tokens[start].kind == "symbol":
            continue
        for end in range(min(len(tokens), start + index.max_value_words), start, -1):
            span = tokens[start:end]
            if span[-1].kind == "symbol":
                continue
            key = normalize_value(" ".join(token.text for token in span))
            hits = index.values.get(key)
            if not hits:
                continue
            hits = [hit for hit in hits if allowed_tables is None or hit[0] in allowed_tables]
            if not hits:
                continue
            exact_case = any(hit[2] == " ".join(token.text for token in span) for hit in hits)
            capitalised = any(token.text[:1].isupper() for token in span if token.kind == "word" and token.start > 0)
            quoted = any(token.kind == "quoted" for token in span)
            score = 1.0 if quoted else 0.9 if (exact_case or capitalised) else 0.6
            table, column, value = hits[0]
            mentions.append(Mention(start, end, "value", table, column, value, score, candidates=list(hits)))
    return mentions
