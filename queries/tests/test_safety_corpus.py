"""The attack and legitimate-query corpora through the gate (pure Python, no database)."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlglot
from sqlglot import exp

from queries.safety import ENGINES, ColumnInfo, TableInfo, check

from .safety_corpus import ATTACKS, LEGIT, SHOP_PII, SHOP_SCHEMA

DIALECT = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite", "duckdb": "duckdb"}

SCHEMA = [
    TableInfo(name, columns=tuple(ColumnInfo(c, pii=(name, c) in SHOP_PII) for c in cols), row_count=1000)
    for name, cols in SHOP_SCHEMA.items()
]


def test_corpus_sizes() -> None:
    assert len(ATTACKS) >= 120
    assert len(LEGIT) >= 200
    attack_engines = Counter(engine for engine, _, _ in ATTACKS)
    legit_engines = Counter(engine for engine, _ in LEGIT)
    for engine in ENGINES:
        assert attack_engines[engine] >= 20, engine
        assert legit_engines[engine] >= 40, engine
    assert len({(e, s) for e, s, _ in ATTACKS}) == len(ATTACKS), "duplicate attack cases"


@pytest.mark.parametrize(("engine", "sql", "code"), ATTACKS, ids=[f"{e}-{i}" for i, (e, _, _) in enumerate(ATTACKS)])
def test_attack_is_rejected(engine: str, sql: str, code: str) -> None:
    result = check(sql, engine=engine)
    assert not result.ok, f"accepted: {sql!r} -> {result.sql!r}"
    assert result.sql == ""
    assert result.limit is None
    codes = [issue.code for issue in result.errors]
    assert code in codes, f"{sql!r}: expected {code}, got {codes}"
    assert all(issue.message for issue in result.errors)


@pytest.mark.parametrize(("engine", "sql", "code"), ATTACKS[::7])
def test_attack_is_rejected_with_schema_too(engine: str, sql: str, code: str) -> None:
    # schema-aware checks run after the structural ones and must not mask them
    result = check(sql, engine=engine, schema=SCHEMA)
    assert not result.ok
    assert code in [issue.code for issue in result.errors]


def _limit_of(tree: exp.Expression) -> int | None:
    node = tree.args.get("limit")
    if isinstance(node, exp.Limit) and isinstance(node.expression, exp.Literal):
        return int(node.expression.this)
    if isinstance(node, exp.Fetch) and isinstance(node.args.get("count"), exp.Literal):
        return int(node.args["count"].this)
    return None


@pytest.mark.parametrize(("engine", "sql"), LEGIT, ids=[f"{e}-{i}" for i, (e, _) in enumerate(LEGIT)])
def test_legit_query_is_accepted(engine: str, sql: str) -> None:
    result = check(sql, engine=engine, max_rows=500)
    assert result.ok, f"{sql!r}: {[(i.code, i.message) for i in result.errors]}"
    assert result.errors == ()
    assert result.sql and result.normalized_sql and result.fingerprint
    assert result.limit is not None and 0 <= result.limit <= 500
    # the executed statement is one read-only query that carries the enforced limit
    trees = sqlglot.parse(result.sql, read=DIALECT[engine])
    assert len(trees) == 1 and trees[0] is not None
    assert isinstance(trees[0], (exp.Select, exp.SetOperation))
    assert _limit_of(trees[0]) == result.limit
    # re-checking the executed SQL is stable (idempotent gate)
    again = check(result.sql, engine=engine, max_rows=500)
    assert again.ok and again.sql == result.sql


@pytest.mark.parametrize(("engine", "sql"), LEGIT, ids=[f"{e}-{i}" for i, (e, _) in enumerate(LEGIT)])
def test_legit_query_has_no_false_schema_errors(engine: str, sql: str) -> None:
    result = check(sql, engine=engine, schema=SCHEMA)
    assert result.ok, f"{sql!r}: {[(i.code, i.message) for i in result.errors]}"


NO_PII_SCHEMA = [TableInfo(t.name, columns=tuple(ColumnInfo(c.name) for c in t.columns), row_count=1000) for t in SCHEMA]


@pytest.mark.parametrize(("engine", "sql"), LEGIT[::2] + [(e, s) for e, s, _ in ATTACKS[::5]])
def test_the_simple_case_shortcut_decides_exactly_as_the_full_analysis(engine: str, sql: str, monkeypatch) -> None:
    # The gate skips qualification and lineage for one PII-free table whose columns are all known;
    # the result must be the one the full analysis gives, with and without PII in the schema.
    from queries.safety import gate

    for schema in (SCHEMA, NO_PII_SCHEMA):
        shortcut = check(sql, engine=engine, schema=schema, max_rows=500)
        monkeypatch.setattr(gate, "_plainly_known", lambda *_: False)
        full = check(sql, engine=engine, schema=schema, max_rows=500)
        monkeypatch.undo()
        assert shortcut == full, sql
