"""Column type classification and the summary of a column's sampled values."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Any

from .profiles import MAX_SAMPLES
from .values import _classify_text

# --------------------------------------------------------------------------------------------------
# Types and samples
# --------------------------------------------------------------------------------------------------

_INT_NAMES = frozenset({"int", "integer", "bigint", "smallint", "tinyint", "mediumint", "int1", "int2", "int4", "int8",
                        "int16", "int32", "int64", "int128", "uint8", "uint16", "uint32", "uint64", "serial",
                        "bigserial", "smallserial", "long", "short", "byte", "hugeint", "ubigint", "uinteger",
                        "usmallint", "utinyint", "counter"})
_FLOAT_NAMES = frozenset({"real", "float", "double", "float4", "float8", "float32", "float64", "money", "smallmoney",
                          "decfloat", "binary_float", "binary_double"})
_TEXT_NAMES = frozenset({"string", "text", "clob", "nclob", "citext", "name", "str", "utf8", "tinytext", "mediumtext",
                         "longtext", "ntext", "bpchar", "character", "set"})
_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_NUMERIC_STR_RE = re.compile(r"[-+]?\d{1,15}(?:\.(\d{1,10}))?")
_ENUM_VALUE_RE = re.compile(r"'((?:[^']|'')*)'")
_PRECISION_RE = re.compile(r"\(\s*\d+\s*(?:,\s*(-?\d+)\s*)?\)")


@lru_cache(maxsize=4096)
def _type_class(data_type: str) -> str:
    """int, decimal, bool, date, datetime, time, interval, text, enum, uuid, json, binary, inet or other."""
    t = data_type.strip().lower()
    while t.startswith(("nullable(", "lowcardinality(")) and t.endswith(")"):  # ClickHouse wrappers
        t = t[t.index("(") + 1:-1].strip()
    if t in ("tinyint(1)", "year"):
        return "bool" if t == "tinyint(1)" else "int"  # MySQL's BOOLEAN and YEAR
    base = t.split("(")[0].strip()
    first = base.split(" ")[0] if base else ""
    if "[]" in t or first in ("array", "struct", "map", "list", "json", "jsonb", "variant", "object", "hstore"):
        return "json"
    if first in ("bool", "boolean", "logical") or (first == "bit" and ("(" not in t or "(1)" in t)):
        return "bool"
    if "interval" in base:
        return "interval"
    if first.startswith("timestamp") or "datetime" in first or first in ("smalldatetime", "timestamptz"):
        return "datetime"
    if first == "date":
        return "date"
    if first.startswith("time"):
        return "time"
    if first == "enum":
        return "enum"
    if first in ("uuid", "uniqueidentifier", "guid"):
        return "uuid"
    if first in ("inet", "cidr"):
        return "inet"
    if first in ("number", "numeric", "decimal", "dec", "bignumeric", "bigdecimal"):
        m = _PRECISION_RE.search(t)
        if m and m.group(1) is not None and int(m.group(1)) == 0:
            return "int"
        if m and m.group(1) is None and first in ("number", "numeric", "decimal"):
            return "int"  # NUMBER(10): precision only, scale 0
        return "decimal"
    if any(part in _INT_NAMES for part in base.split()):
        return "int"
    if first in _FLOAT_NAMES or first.startswith(("float", "double")):
        return "decimal"
    if "char" in first or "text" in first or first in _TEXT_NAMES or first.startswith("varchar"):
        return "text"
    if first in ("bytea", "blob", "binary", "varbinary", "longblob", "mediumblob", "image", "raw", "bytes"):
        return "binary"
    return "other"


@dataclass
class _Samples:
    texts: list[str]  # strings and integers as text: what PII patterns are matched against
    numbers: list[float]
    decimals: int  # decimal places seen in numeric samples (for formatting ranges)
    total: int  # usable non-null samples
    temporal: int  # date/time objects or ISO date strings
    with_time: int  # ... of which carry a time of day
    numeric_text: int  # strings that parse as numbers
    distinct: list[str]  # sorted distinct display values when there are at most 13
    n_distinct: int
    counts: dict[str, int]


def _collect_samples(values: tuple[Any, ...]) -> _Samples:
    texts: list[str] = []
    numbers: list[float] = []
    decimals = 0
    total = temporal = with_time = numeric_text = 0
    seen: set[str] = set()
    for v in values[:MAX_SAMPLES]:
        if v is None:
            continue
        if type(v) is str:
            s = v.strip()
            if not s:
                continue
            display = s
            texts.append(s)
            if s[0].isdigit():
                if len(s) >= 8 and (m := _ISO_DATE_RE.fullmatch(s)):
                    temporal += 1
                    with_time += m.group(1) is not None
                elif len(s) <= 26 and (m := _NUMERIC_STR_RE.fullmatch(s)):
                    numeric_text += 1
                    numbers.append(float(s))
                    if m.group(1):
                        decimals = max(decimals, min(len(m.group(1)), 4))
            elif s[0] in "+-" and len(s) <= 26 and (m := _NUMERIC_STR_RE.fullmatch(s)):
                numeric_text += 1
                numbers.append(float(s))
        elif isinstance(v, bool):
            display = "true" if v else "false"
        elif isinstance(v, int):
            display = str(v)
            texts.append(display)
            numbers.append(float(v))
        elif isinstance(v, float | Decimal):
            if v != v:  # NaN
                continue
            numbers.append(float(v))
            if isinstance(v, Decimal):
                exponent = v.as_tuple().exponent
                places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
            else:
                r = repr(v)
                places = len(r.split(".")[1]) if "." in r and "e" not in r else 0
            decimals = max(decimals, min(places, 4))
            display = str(v)
        elif isinstance(v, datetime):
            temporal += 1
            with_time += 1
            display = v.isoformat()
        elif isinstance(v, date | time):
            temporal += 1
            with_time += isinstance(v, time)
            display = v.isoformat()
        elif isinstance(v, str):  # str subclasses
            s = v.strip()
            if not s:
                continue
            display = s
            texts.append(s)
        else:
            continue
        total += 1
        seen.add(display)
    counts: dict[str, int] = {}
    for s in texts:
        for kind in _classify_text(s):
            counts[kind] = counts.get(kind, 0) + 1
    distinct = sorted(seen, key=lambda x: (x.casefold(), x)) if len(seen) <= 13 else []
    return _Samples(texts, numbers, decimals, total, temporal, with_time, numeric_text, distinct, len(seen), counts)
