"""Input and output records of the heuristics (table/column profiles, suggestions) and shared constants."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TAG_VOCABULARY = ("PK", "FK", "PII", "metric", "dimension", "time", "id", "category")

PII_TAG_THRESHOLD = 0.6  # a column gets the PII tag (and a "personal data" description) from here on
_REPORT_THRESHOLD = 0.3  # below this detect_pii() reports no kind
MAX_SAMPLES = 50


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    data_type: str
    nullable: bool = True
    is_primary_key: bool = False
    is_foreign_key: bool = False
    references: str | None = None
    sample_values: tuple[Any, ...] = ()
    distinct_count: int | None = None
    comment: str = ""


@dataclass(frozen=True)
class TableProfile:
    name: str
    columns: tuple[ColumnProfile, ...]
    row_count: int | None = None
    kind: str = "table"
    comment: str = ""


@dataclass(frozen=True)
class Suggestion:
    target: str
    table: str
    column: str | None
    field: str
    value: Any
    confidence: float
    reason: str


def _clamp(x: float) -> float:
    return round(min(1.0, max(0.0, x)), 2)
