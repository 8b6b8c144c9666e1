"""`guess_table`: all dictionary suggestions for a table and its columns."""
from __future__ import annotations

from typing import Any

from .context import _table_ctx
from .describe import _COLUMN_SYNONYMS, _TABLE_SYNONYMS, _describe, _synonyms_for
from .names import _analyze_name, _NameInfo, _plural, _sentence, _singular
from .pii import _PII_PHRASES
from .profiles import PII_TAG_THRESHOLD, TAG_VOCABULARY, Suggestion, TableProfile, _clamp
from .roles import _facts


def _alias(name: str, info: _NameInfo, what: str) -> tuple[str, float, str]:
    alias = " ".join(info.words) or name
    notes: list[str] = []
    conf = 0.9
    if info.dropped_prefix:
        notes.append(f"prefix '{info.dropped_prefix}' dropped")
    if info.expansions:
        notes.append("expanded " + ", ".join(f"{a} → {b}" for a, b in info.expansions))
        conf -= min(0.15, 0.05 * len(info.expansions))
    if info.cryptic:
        notes.append("contains unexplained abbreviations")
        conf = 0.4
    reason = f"from the {what} name '{name}'" + (f" ({'; '.join(notes)})" if notes else "")
    return alias, conf, reason


def guess_table(profile: TableProfile) -> list[Suggestion]:
    """Dictionary suggestions for the table and every column, in a stable order."""
    n_pk = sum(1 for c in profile.columns if c.is_primary_key)
    ctx = _table_ctx(profile.name, profile.row_count, n_pk)
    table = profile.name
    out: list[Suggestion] = []

    def add(column: str | None, field_name: str, value: Any, conf: float, reason: str) -> None:
        out.append(Suggestion("column" if column is not None else "table", table, column, field_name, value,
                              _clamp(conf), reason or "heuristic"))

    facts = [(col, _facts(col, ctx)) for col in profile.columns]

    # table level
    table_info = _analyze_name(ctx.name or table)
    table_alias, alias_conf, alias_reason = _alias(ctx.name or table, table_info, "table")
    add(None, "alias", table_alias, alias_conf, alias_reason)
    pii_cols = [(col, f) for col, f in facts if f.pii.kind and f.pii.confidence >= PII_TAG_THRESHOLD]
    if profile.comment.strip():
        add(None, "description", profile.comment.strip(), 0.95, "taken from the database comment")
    else:
        n = len(profile.columns)
        text = f"{table_alias}{' (view)' if profile.kind.lower() == 'view' else ''}: {n} column{'s' if n != 1 else ''}"
        if profile.row_count is not None:
            text += f", {profile.row_count:,} row{'s' if profile.row_count != 1 else ''}"
        refs: list[str] = []
        for col, _ in facts:
            if col.is_foreign_key and col.references:
                parts = col.references.split(".")
                target = parts[-2] if len(parts) >= 2 else parts[0]
                if target not in refs:
                    refs.append(target)
        if refs:
            text += f"; references {', '.join(refs)}"
        text += "."
        kinds = list(dict.fromkeys(_PII_PHRASES[f.pii.kind] for _, f in pii_cols if f.pii.kind))
        if kinds:
            text += f" Contains personal data ({', '.join(kinds)})."
        add(None, "description", text, 0.7, "from the table name, column count, row count and declared foreign keys")
    if pii_cols:
        add(None, "tags", ["PII"], max(f.pii.confidence for _, f in pii_cols),
            "personal data in " + ", ".join(col.name for col, _ in pii_cols))
    entity_key = " ".join([*table_info.terms[:-1], _singular(table_info.terms[-1])]) if table_info.terms else ""
    plural = bool(table_info.terms) and _singular(table_info.terms[-1]) != table_info.terms[-1]
    exclude = {table.casefold(), table_alias.casefold(), entity_key}
    syns = _synonyms_for(entity_key, _TABLE_SYNONYMS, exclude)
    if syns:
        add(None, "synonyms", [_plural(s) if plural else s for s in syns], 0.6, f"common business synonyms for '{entity_key}'")

    # columns
    for col, f in facts:
        info = f.info
        alias, conf, reason = _alias(col.name, info, "column")
        if info.terms == ("id",) and ctx.entity:
            alias, conf, reason = f"{_sentence(ctx.entity).title()} ID", 0.75, f"bare 'id' column of {table}"
        add(col.name, "alias", alias, conf, reason)
        text, conf, reason = _describe(col, info, f.tclass, f.samples, f.pii, f.role, ctx)
        add(col.name, "description", text, conf, reason)
        if f.role.role:
            add(col.name, "semantic_role", f.role.role, f.role.confidence, f.role.reason)
        tags: list[str] = []
        confs: list[float] = []
        reasons: list[str] = []
        if col.is_primary_key:
            tags.append("PK")
            confs.append(0.99)
            reasons.append("declared primary key")
        if col.is_foreign_key:
            tags.append("FK")
            confs.append(0.99)
            reasons.append("declared foreign key")
        if f.pii.kind and f.pii.confidence >= PII_TAG_THRESHOLD:
            tags.append("PII")
            confs.append(f.pii.confidence)
            reasons.append(f"{_PII_PHRASES[f.pii.kind]}: {f.pii.reason}")
        if f.role.role and f.role.confidence >= 0.5 and f.role.role in TAG_VOCABULARY:
            tags.append(f.role.role)
            confs.append(f.role.confidence)
            reasons.append(f"{f.role.role}: {f.role.reason}")
        if tags:
            add(col.name, "tags", tags, min(confs), "; ".join(reasons))
        key = " ".join(info.terms)
        syns = _synonyms_for(key, _COLUMN_SYNONYMS, {col.name.casefold(), alias.casefold(), key})
        if syns:
            add(col.name, "synonyms", syns, 0.6, f"common business synonyms for '{key}'")
    return out
