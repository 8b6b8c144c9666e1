"""Security review round 2: PII lineage through VALUES / UNNEST / table functions, fail-closed `pii_untraced`,
and the size guards. Rejections are in the attack corpus (safety_corpus._ATTACKS_REVIEW)."""

from __future__ import annotations

import pytest

from queries.safety import CheckResult, ColumnInfo, TableInfo, check

C = ColumnInfo

SCHEMA = [
    TableInfo(
        "customers",
        columns=(C("id"), C("email", pii=True), C("first_name", pii=True), C("last_name"), C("phone", pii=True), C("country")),
    ),
    TableInfo("orders", columns=(C("id"), C("customer_id"), C("status"), C("total"), C("created_at"))),
    TableInfo("employees", columns=(C("id"), C("name"), C("salary", pii=True))),
    TableInfo("products", columns=(C("id"), C("name"), C("price"))),
]


def ok(sql: str, engine: str) -> CheckResult:
    result = check(sql, engine=engine, schema=SCHEMA)
    assert result.ok, [(i.code, i.message) for i in result.errors]
    return result


def masked(result: CheckResult, index: int) -> bool:
    return result.pii_untraced or index in result.pii_columns


# Every output column of these may carry PII: either traced (pii_columns) or untraceable (pii_untraced).
LEAKS = [
    ("sqlite", "VALUES ((SELECT email FROM customers LIMIT 1))"),
    ("postgresql", "VALUES ((SELECT email FROM customers LIMIT 1))"),
    ("mysql", "SELECT * FROM (VALUES ROW((SELECT email FROM customers LIMIT 1))) v"),
    ("sqlite", "SELECT * FROM (VALUES ((SELECT group_concat(salary) FROM employees)))"),
    ("postgresql", "SELECT a FROM (VALUES ((SELECT email FROM customers))) v(a)"),
    ("postgresql", "SELECT x FROM unnest(ARRAY(SELECT email FROM customers)) AS t(x)"),
    ("postgresql", "SELECT t.* FROM unnest((SELECT array_agg(email) FROM customers)) t"),
    ("duckdb", "SELECT t.* FROM unnest((SELECT array_agg(email) FROM customers)) t"),
    ("duckdb", "SELECT * FROM unnest((SELECT list(email) FROM customers))"),
    ("sqlite", "SELECT * FROM json_each((SELECT json_group_array(email||' '||phone) FROM customers))"),
    ("sqlite", "SELECT value FROM json_each((SELECT json_group_array(email||' '||phone) FROM customers))"),
    ("postgresql", "SELECT u.* FROM customers c, unnest(ARRAY[c.email]) AS u"),
    ("postgresql", "SELECT e FROM customers c, unnest(ARRAY[c.email]) AS u(e)"),
    ("postgresql", "SELECT * FROM jsonb_array_elements_text((SELECT jsonb_agg(email) FROM customers))"),
    ("postgresql", "SELECT l.* FROM orders o, LATERAL (SELECT email FROM customers c WHERE c.id = o.customer_id) l"),
    ("postgresql", "SELECT (SELECT max(salary) FROM employees) + 0 AS s"),
    ("postgresql", "SELECT CASE WHEN true THEN (SELECT min(email) FROM customers) END AS s"),
    ("postgresql", "SELECT coalesce(NULL, (SELECT email FROM customers LIMIT 1)) AS s FROM products"),
    ("duckdb", "SELECT [x FOR x IN (SELECT list(email) FROM customers)] AS s"),
    ("duckdb", "SELECT id FROM orders UNION BY NAME SELECT email AS id FROM customers"),
]


@pytest.mark.parametrize(("engine", "sql"), LEAKS)
def test_pii_through_values_unnest_and_table_functions(engine: str, sql: str) -> None:
    result = ok(sql, engine)
    assert result.pii_untraced or result.pii_columns, (result.pii_columns, result.output_columns)
    if not result.pii_untraced:
        assert all(masked(result, i) for i in range(len(result.output_columns)))


@pytest.mark.parametrize(
    ("engine", "sql"),
    [
        ("postgresql", "SELECT * FROM customers c, generate_series(1, 2) g"),
        ("sqlite", "SELECT * FROM json_each('[1]') j JOIN customers c ON c.id = j.value"),
        ("duckdb", "SELECT t.* FROM customers c, unnest([1, 2]) t"),
        (
            "postgresql",
            "SELECT x.* FROM (SELECT 1 AS a) s, LATERAL unnest(ARRAY[1]) x WHERE EXISTS (SELECT email FROM customers)",
        ),
    ],
)
def test_untraceable_star_with_pii_table_fails_closed(engine: str, sql: str) -> None:
    result = ok(sql, engine)
    if result.pii_untraced:
        return
    # traced precisely: then the PII columns of customers must be there
    assert result.pii_columns, result.output_columns


def test_pii_untraced_defaults_false_and_is_precise_when_traceable() -> None:
    r = ok("SELECT id, email FROM customers", "postgresql")
    assert r.pii_untraced is False and r.pii_columns == (1,)
    r = ok("SELECT x FROM unnest(ARRAY[1, 2]) AS t(x)", "postgresql")
    assert r.pii_untraced is False and r.pii_columns == ()
    r = ok("SELECT * FROM generate_series(1, 3)", "duckdb")
    assert r.pii_untraced is False and r.pii_columns == ()
    r = ok("SELECT a FROM (VALUES (1), (2)) v(a)", "postgresql")
    assert r.pii_untraced is False and r.pii_columns == ()


def test_untraceable_without_pii_tables_is_not_untraced() -> None:
    r = ok("SELECT t.* FROM unnest((SELECT array_agg(name) FROM products)) t", "postgresql")
    assert r.pii_untraced is False and r.pii_columns == ()
    r = ok("VALUES ((SELECT max(price) FROM products))", "sqlite")
    assert r.pii_untraced is False


def test_pii_in_values_rows_is_traced() -> None:
    r = ok("SELECT a FROM (VALUES ((SELECT email FROM customers))) v(a)", "postgresql")
    assert r.pii_columns == (0,)
    r = ok("SELECT * FROM (VALUES ((SELECT group_concat(salary) FROM employees)))", "sqlite")
    assert r.pii_columns == (0,)


def test_count_of_pii_is_not_pii_even_in_values() -> None:
    r = ok("SELECT a FROM (VALUES ((SELECT count(email) FROM customers))) v(a)", "postgresql")
    assert r.pii_columns == () and not r.pii_untraced


def test_union_by_name_fails_closed() -> None:
    r = ok("SELECT id, status FROM orders UNION ALL BY NAME SELECT email AS status, id FROM customers", "duckdb")
    assert r.pii_untraced and r.pii_columns == (0, 1)


def test_recursive_cte_still_precise() -> None:
    sql = (
        "WITH RECURSIVE r(n, e) AS (SELECT 1, email FROM customers UNION ALL SELECT n + 1, e FROM r WHERE n < 3) "
        "SELECT n, e FROM r"
    )
    r = ok(sql, "postgresql")
    assert r.pii_columns == (1,) and not r.pii_untraced
    swapped = (
        "WITH RECURSIVE r(n, e) AS (SELECT 1, email FROM customers UNION ALL SELECT length(e), e FROM r WHERE n < 3) "
        "SELECT n FROM r"
    )
    assert masked(ok(swapped, "postgresql"), 0)


# --- size guards -------------------------------------------------------------------------------------------------


def test_too_long() -> None:
    r = check("SELECT 1 -- " + "x" * 100_000, engine="postgresql")
    assert [i.code for i in r.errors] == ["TOO_LONG"]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT " + "1+" * 6000 + "1",
        "SELECT 1 WHERE " + " OR ".join(["a = 1"] * 3000),
        "SELECT " + ", ".join(["lower(upper(x))"] * 2000) + " FROM t",
    ],
)
def test_too_complex(sql: str) -> None:
    for engine in ("postgresql", "mysql", "sqlite", "duckdb"):
        r = check(sql, engine=engine)
        assert not r.ok and "TOO_COMPLEX" in [i.code for i in r.errors], engine


def test_moderate_in_list_is_still_fine() -> None:
    ok("SELECT id FROM orders WHERE id IN (" + ", ".join(str(i) for i in range(1000)) + ")", "postgresql")


@pytest.mark.parametrize("sql", [
    "WITH customers AS (SELECT * FROM customers) SELECT email FROM customers",
    "WITH a AS (SELECT email AS x FROM customers), customers AS (SELECT x FROM a) SELECT x FROM customers",
])
def test_a_cte_shadowing_a_pii_table_cannot_hide_its_columns(sql):
    # Lineage would follow the name to the CTE and miss the table's personal column: refused instead.
    from queries.safety import ColumnInfo, TableInfo, check

    schema = [TableInfo("customers", columns=(ColumnInfo("id"), ColumnInfo("email", pii=True)))]
    result = check(sql, engine="postgresql", schema=schema)
    assert not result.ok and result.errors[0].code == "UNSUPPORTED_SYNTAX"
