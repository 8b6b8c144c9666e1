"""Heuristic data-dictionary suggestions from a table profile (no LLM, no network, stdlib only).

`guess_table` turns a `TableProfile` (names, types, keys, sample values) into `Suggestion`s for the
table and each of its columns: alias, description, semantic role, tags and synonyms, each with a
confidence in [0, 1] and a short human reason. A person approves them later, so the heuristics stay
conservative: descriptions only restate what the name, type, keys and samples show.

Personal data (PII) is detected from the column name (``email``, ``phone``, ``first_name``, ``dob``,
``iban``, ...) and from the sampled values (e-mail addresses, phone numbers, person names, street
addresses, US SSNs, Indonesian NIKs, Luhn-valid card numbers, mod-97-valid IBANs, IP addresses).
The two kinds of evidence are combined as independent signals: ``1 - (1 - name) * (1 - values)``.
Sample values of a column judged to be personal data never appear in a description.
"""
from __future__ import annotations

from .names import humanize
from .pii import detect_pii
from .profiles import MAX_SAMPLES as MAX_SAMPLES
from .profiles import PII_TAG_THRESHOLD as PII_TAG_THRESHOLD
from .profiles import TAG_VOCABULARY, ColumnProfile, Suggestion, TableProfile
from .roles import guess_semantic_role
from .samples import _type_class as _type_class
from .suggest import guess_table
from .values import iban_valid, luhn_valid

__all__ = [
    "TAG_VOCABULARY",
    "ColumnProfile",
    "Suggestion",
    "TableProfile",
    "detect_pii",
    "guess_semantic_role",
    "guess_table",
    "humanize",
    "iban_valid",
    "luhn_valid",
]
