"""The vocabulary of analytic questions: measures, breakdowns, time buckets, windows and rankings.

General English only — nothing here names a table or column of any particular database.
"""

from __future__ import annotations

from .. import lexicon as lx

HEADS: list[tuple[str, ...]] = [
    ("who", "are"),
    ("who", "is"),
    ("who", "were"),
    ("who", "was"),
    ("what", "is"),
    ("what", "are"),
    ("what", "was"),
    ("what", "were"),
    ("show", "me"),
    ("give", "me"),
    ("tell", "me"),
    ("list",),
    ("show",),
    ("give",),
    ("get",),
    ("find",),
    ("display",),
    ("return",),
    ("compute",),
    ("calculate",),
    ("which",),
    ("what",),
]
COUNT_HEADS: list[tuple[str, ...]] = [("how", "many"), ("count",), ("number", "of"), ("count", "of")]

AGGREGATES: dict[str, str] = {
    "total": "SUM",
    "sum": "SUM",
    "average": "AVG",
    "avg": "AVG",
    "mean": "AVG",
    "maximum": "MAX",
    "max": "MAX",
    "minimum": "MIN",
    "min": "MIN",
}

# "top 5 …", "bottom 3 …": a ranking with a limit.
TOP_WORDS = {"top": True, "best": True, "largest": True, "biggest": True, "bottom": False, "worst": False}
# "sold the most", "the highest revenue": a ranking of one.
SUPERLATIVES = {
    "most": True,
    "highest": True,
    "largest": True,
    "biggest": True,
    "greatest": True,
    "least": False,
    "fewest": False,
    "lowest": False,
    "smallest": False,
}

GROUP_CUES: list[tuple[str, ...]] = [
    ("broken", "down", "by"),
    ("grouped", "by"),
    ("split", "by"),
    ("for", "each"),
    ("for", "every"),
    ("in", "each"),
    ("by",),
    ("per",),
    ("each",),
]

# Time buckets: the phrase → the bucket. Checked before group cues ("by month" is a bucket).
BUCKETS: list[tuple[tuple[str, ...], str]] = []
for _unit, _adverbs in (
    ("day", ("daily",)),
    ("week", ("weekly",)),
    ("month", ("monthly",)),
    ("quarter", ("quarterly",)),
    ("year", ("yearly", "annually", "annual")),
):
    for _cue in (("by",), ("per",), ("each",), ("every",), ("for", "each"), ("in", "each")):
        BUCKETS.append(((*_cue, _unit), _unit))
    BUCKETS.append(((_unit, "by", _unit), _unit))
    for _adverb in _adverbs:
        BUCKETS.append(((_adverb,), _unit))
BUCKETS.sort(key=lambda item: -len(item[0]))

UNITS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}
QUARTERS = {"q1": 1, "q2": 2, "q3": 3, "q4": 4}
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}

# Words that carry no meaning of their own in these questions.
FILLER = {
    "the",
    "a",
    "an",
    "of",
    "is",
    "are",
    "was",
    "were",
    "there",
    "do",
    "does",
    "did",
    "we",
    "have",
    "has",
    "had",
    "me",
    "please",
    "all",
    "in",
    "from",
    "for",
    "at",
    "to",
    "our",
    "overall",
    "with",
    "?",
    ".",
    ",",
}
# Verbs that only restate how rows relate ("orders placed", "customers who signed up"): explained, no meaning.
PASSIVE_VERBS = {"placed", "made", "received", "created", "recorded", "registered", "opened", "filed", "submitted", "logged"}

# Measures named by what they mean rather than by a column: "sold" → quantities, "revenue" → money.
QUANTITY_WORDS = {"quantity", "sold", "volume", "qty"}
MONEY_WORDS = lx.MONEY_WORDS
MEASURE_VERBS = {"sold": "quantity", "sell": "quantity", "spent": "money", "spend": "money", "earned": "money"}
# A bare measure ("revenue by category") is summed only when it is an amount of something.
ADDITIVE_WORDS = (
    QUANTITY_WORDS | MONEY_WORDS | {"unit", "units", "cost", "fee", "profit", "hour", "hours", "point", "points", "minutes"}
)

# Measures that are totals of what a group's rows add up to: "the average revenue per customer" averages each
# customer's total, not their orders' amounts.
TOTAL_NOUNS = {"revenue", "revenues", "sales", "spend", "spending", "turnover", "income", "earnings", "takings"}
# ... but never a price or a rate of something ("unit price" has "unit" in it, and prices do not add up).
RATE_WORDS = {"price", "rate", "ratio", "percent", "percentage", "pct", "average", "avg", "mean", "age", "rating", "score"}

NEGATIONS = {"not", "excluding", "except", "outside"}

# Comparisons of an amount or a count with a number ("total sales over 5000", "more than 3 orders").
# Not the ones about dates or text ("after", "before", "other than"): dates are windows, text is a value.
_AMOUNT_WORDS = {
    "greater", "more", "larger", "bigger", "higher", "great", "less", "fewer", "smaller", "lower", "than", "or",
    "equal", "to", "at", "least", "most", "no", "not", "above", "over", "exceed", "exceeding", "below", "under",
    "exactly",
}  # fmt: skip
AMOUNT_COMPARATORS: list[tuple[tuple[str, ...], str]] = [
    (phrase, operator)
    for phrase, operator in lx.COMPARATORS
    if set(phrase) <= _AMOUNT_WORDS and phrase not in (("not",), ("equal", "to"), ("not", "equal", "to"))
]
# Words that introduce such a comparison: "customers WHOSE total sales exceed 5000", "WHO placed more than
# 3 orders". Accepted only when the question has the comparison.
RELATIVES = {"whose", "who", "that", "where", "having"}

# "the share of orders that were online": the percentage of rows with a value.
SHARE_WORDS = {"percentage", "percent", "share", "proportion", "fraction"}
