"""Semantic roles of columns (id, time, metric, dimension, category) and the per-column facts behind them."""
from __future__ import annotations

from dataclasses import dataclass

from .context import _table_ctx, _TableCtx
from .names import _analyze_name, _NameInfo
from .pii import _PII_PHRASES, _pii, _PiiResult
from .profiles import ColumnProfile, _clamp
from .samples import _collect_samples, _Samples, _type_class

# --------------------------------------------------------------------------------------------------
# Semantic roles
# --------------------------------------------------------------------------------------------------

_ID_LAST = frozenset({"id", "ids", "uuid", "guid", "key", "pk", "fk", "sk"})
_ID_NUMBER_LAST = frozenset({"number", "no", "num", "nbr", "nr"})
_ID_NUMBER_SUBJECTS = frozenset({"order", "invoice", "account", "ticket", "reference", "transaction", "document",
                                 "serial", "po", "tracking", "booking", "reservation", "confirmation", "receipt",
                                 "case", "claim", "policy", "contract", "shipment", "batch", "lot", "registration",
                                 "membership", "employee", "customer", "member", "badge", "item", "part", "check"})
_TIME_LAST = frozenset({"date", "time", "timestamp", "datetime", "dttm", "tstamp"})
_PERIOD_WORDS = frozenset({"year", "month", "week", "quarter", "day", "period", "hour", "weekday"})
_AT_ON_SUBJECTS = frozenset({"start", "end", "due", "expiry", "expire", "expires", "login", "logout", "sent", "seen",
                             "paid", "run", "valid", "effective"})
_METRIC_WORDS = frozenset("""
amount price total subtotal quantity cost revenue salary wage score sales profit margin discount tax fee balance count
sum average mean rate ratio percent percentage weight height length width depth volume duration age units value budget
spend spending income expense points rating distance size stock inventory views clicks impressions visits freight
commission bonus premium payment paid refund charge fare rent capacity speed temperature minutes seconds km miles kg
lbs gross net gmv mrr arr arpu ltv nps ctr cpc cpm roi cogs earnings turnover probability latency
""".split())
_MONEY_WORDS = frozenset("""
amount price cost revenue salary wage sales profit discount tax fee balance budget spend spending income expense freight
commission bonus premium payment paid refund charge fare rent gmv mrr arr arpu ltv cogs earnings turnover usd eur gbp
idr jpy subtotal
""".split())
_COUNT_WORDS = frozenset({"quantity", "count", "units", "number"})
_PCT_WORDS = frozenset({"percent", "percentage", "rate", "ratio", "share", "probability"})
_SCORE_WORDS = frozenset({"score", "rating", "rank", "points", "nps"})
_CATEGORY_WORDS = frozenset("""
status state type kind category segment tier class classification group level priority stage phase mode method source
medium flag gender sex currency language locale plan grade band bucket severity outcome result reason platform device
browser channel role gender channel condition size color colour
""".split())
_DIMENSION_WORDS = frozenset("""
country city region province state territory district area zone brand name title label code sku department team store
location address email phone description notes note comment comments remarks url website postal zip latitude longitude
street neighborhood county nationality occupation company manufacturer supplier vendor model
""".split())
_NUMERIC_DIMENSION = frozenset({"zip", "postal", "code", "phone", "latitude", "longitude", "lat", "lng", "lon", "year",
                                "fax", "sort"})
_FREE_TEXT_WORDS = frozenset({"description", "notes", "note", "comment", "comments", "remarks", "remark", "memo", "body",
                              "text", "message", "summary", "details", "bio", "feedback", "review"})
_EPOCH_RANGES = ((9.46e8, 2.6e9, "Unix epoch seconds"), (9.46e11, 2.6e12, "Unix epoch milliseconds"))


@dataclass(frozen=True)
class _Role:
    role: str | None
    confidence: float
    reason: str
    detail: str = ""  # money | count | pct | score | epoch unit | enum


def _low_cardinality(col: ColumnProfile, s: _Samples, row_count: int | None) -> bool:
    dc = col.distinct_count
    if dc is not None:
        return 0 < dc <= 20 and (row_count is None or dc <= max(2, row_count // 2))
    n = s.total
    return n >= 8 and s.n_distinct <= min(12, max(3, n // 4))


def _time_name(terms: tuple[str, ...]) -> bool:
    if not terms:
        return False
    last = terms[-1]
    if last in _TIME_LAST or terms[0] in ("date", "timestamp", "datetime"):
        return True
    if last in ("at", "on") and len(terms) > 1:
        prev = terms[-2]
        return prev.endswith("ed") or prev in _AT_ON_SUBJECTS
    return False


def _epoch_unit(numbers: list[float]) -> str:
    if not numbers:
        return ""
    for low, high, unit in _EPOCH_RANGES:
        if all(low <= x <= high for x in numbers):
            return unit
    return ""


def _role(col: ColumnProfile, info: _NameInfo, tclass: str, s: _Samples, pii: _PiiResult, ctx: _TableCtx) -> _Role:
    terms = info.terms
    term_set = set(terms)
    last = terms[-1] if terms else ""
    if col.is_primary_key:
        return _Role("id", 0.95, "declared primary key")
    if col.is_foreign_key:
        target = f" to {col.references}" if col.references else ""
        return _Role("id", 0.95, f"declared foreign key{target}")
    if tclass in ("json", "binary"):
        return _Role(None, 0.0, f"{col.data_type} values have no analytic role")
    if tclass == "uuid":
        return _Role("id", 0.85, "UUID type")
    if last in _ID_LAST and tclass in ("int", "text", "other", "enum"):
        return _Role("id", 0.85, f"name ends with '{info.raw[-1] if info.raw else last}'")
    if (last in _ID_NUMBER_LAST and len(terms) > 1 and terms[-2] in _ID_NUMBER_SUBJECTS and pii.kind is None
            and tclass in ("int", "text", "other")):
        return _Role("id", 0.75, f"name '{col.name}' is a business number")
    if tclass in ("date", "datetime", "time"):
        return _Role("time", 0.95, f"{col.data_type} type")
    if tclass == "interval":
        return _Role("metric", 0.8, "interval (duration) type")
    if pii.kind and pii.kind != "birth_date":
        return _Role("dimension", 0.7, f"personal-data attribute ({_PII_PHRASES[pii.kind]}), not a measure")
    temporal_share = s.temporal / s.total if s.total else 0.0
    if _time_name(terms) or (last in _PERIOD_WORDS and tclass in ("int", "text")) or pii.kind == "birth_date":
        if tclass == "bool":
            return _Role("category", 0.8, "boolean type")
        if temporal_share >= 0.6:
            return _Role("time", 0.9, f"name '{col.name}' and {s.temporal} of {s.total} sampled values are dates")
        if tclass in ("int", "decimal"):
            unit = _epoch_unit(s.numbers)
            if unit:
                return _Role("time", 0.85, f"name '{col.name}' and sampled values are {unit}", unit)
            if last in _PERIOD_WORDS:
                return _Role("time", 0.8, f"name '{col.name}' is a calendar {last}", "period")
        elif s.total and temporal_share < 0.3 and tclass == "text":
            return _Role("time", 0.45, f"name '{col.name}' suggests a date, but sampled values are not ISO dates")
        else:
            return _Role("time", 0.7, f"name '{col.name}' suggests a date or time")
    if temporal_share >= 0.8 and tclass in ("text", "other"):
        return _Role("time", 0.8, f"{s.temporal} of {s.total} sampled values are ISO dates")
    if tclass == "bool":
        return _Role("category", 0.8, "boolean type")
    if tclass == "enum":
        return _Role("category", 0.9, "enumerated type", "enum")
    low = _low_cardinality(col, s, ctx.row_count)
    money = bool(term_set & _MONEY_WORDS) or "money" in col.data_type.lower()
    detail = ("pct" if term_set & _PCT_WORDS else "count" if term_set & _COUNT_WORDS and not money else "money" if money
              else "score" if term_set & _SCORE_WORDS else "")
    if tclass in ("int", "decimal"):
        if term_set & _CATEGORY_WORDS and not term_set & _METRIC_WORDS:
            return _Role("category", 0.75, f"numeric code with a category-like name '{col.name}'")
        if term_set & _METRIC_WORDS:
            if "total" in term_set and tclass == "decimal" and not detail:
                detail = "money"
            return _Role("metric", 0.9, f"numeric column with a measure-like name '{col.name}'", detail)
        if term_set & _NUMERIC_DIMENSION:
            return _Role("dimension", 0.6, f"numeric code or coordinate '{col.name}', not a measure")
        if tclass == "decimal":
            if "total" in term_set:
                detail = "money"
            return _Role("metric", 0.75, f"decimal type {col.data_type}", detail)
        if low and col.distinct_count is not None:
            return _Role("category", 0.55, f"integer with only {col.distinct_count} distinct values")
        return _Role("metric", 0.55, "integer column that is not a key", detail)
    # text and unknown types
    if s.total and s.numeric_text / s.total >= 0.9 and term_set & _METRIC_WORDS:
        return _Role("metric", 0.6, f"numbers stored as text under a measure-like name '{col.name}'", detail)
    cardinality = (f"{col.distinct_count} distinct values" if col.distinct_count is not None
                   else f"{s.n_distinct} distinct values among {s.total} samples")
    if term_set & _CATEGORY_WORDS:
        if low:
            return _Role("category", 0.9, f"category-like name '{col.name}' and {cardinality}")
        if col.distinct_count is None and s.total < 8:
            return _Role("category", 0.75, f"category-like name '{col.name}'")
        return _Role("dimension", 0.6, f"category-like name '{col.name}' but {cardinality}")
    if low:
        return _Role("category", 0.7, f"low cardinality ({cardinality})")
    if term_set & _DIMENSION_WORDS:
        return _Role("dimension", 0.75, f"descriptive attribute name '{col.name}'")
    return _Role("dimension", 0.5, "text attribute")


@dataclass(frozen=True)
class _ColumnFacts:
    info: _NameInfo
    tclass: str
    samples: _Samples
    pii: _PiiResult
    role: _Role


def _facts(col: ColumnProfile, ctx: _TableCtx) -> _ColumnFacts:
    info = _analyze_name(col.name)
    tclass = _type_class(col.data_type)
    samples = _collect_samples(col.sample_values)
    pii = _pii(col, info, tclass, samples, ctx)
    role = _role(col, info, tclass, samples, pii, ctx)
    return _ColumnFacts(info, tclass, samples, pii, role)


def guess_semantic_role(column: ColumnProfile, *, table_name: str = "") -> tuple[str | None, float, str]:
    """(role, confidence, reason); role is one of id, time, metric, dimension, category, or None (JSON/binary)."""
    facts = _facts(column, _table_ctx(table_name))
    return facts.role.role, _clamp(facts.role.confidence), facts.role.reason
