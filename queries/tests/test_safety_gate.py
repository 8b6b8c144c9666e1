"""Unit tests of the safety gate: limits, schema checks, warnings, PII lineage, fingerprints, robustness."""

from __future__ import annotations

import pytest
import sqlglot

from queries.safety import ENGINES, CheckResult, ColumnInfo, Issue, TableInfo, check, fingerprint

C = ColumnInfo

SCHEMA = [
    TableInfo(
        "customers",
        columns=(C("id"), C("email", pii=True), C("first_name", pii=True), C("last_name"), C("phone", pii=True), C("country")),
        row_count=2_500_000,
    ),
    TableInfo("orders", columns=(C("id"), C("customer_id"), C("status"), C("total"), C("created_at")), row_count=150_000),
    TableInfo("products", columns=(C("id"), C("name"), C("price")), row_count=300),
    TableInfo("ledger", schema="finance", columns=(C("id"), C("amount")), row_count=10),
]


def codes(issues: tuple[Issue, ...]) -> list[str]:
    return [i.code for i in issues]


def ok(sql: str, engine: str = "postgresql", **kwargs: object) -> CheckResult:
    result = check(sql, engine=engine, **kwargs)  # type: ignore[arg-type]
    assert result.ok, [(i.code, i.message) for i in result.errors]
    return result


# --- interface -------------------------------------------------------------------------------------------------


def test_engines_constant() -> None:
    assert ENGINES == ("postgresql", "mysql", "sqlite", "duckdb")


def test_result_shape_for_accepted_query() -> None:
    r = ok("select id, total from orders where id = 1")
    assert r.sql == "SELECT id, total FROM orders WHERE id = 1 LIMIT 10000"
    assert r.normalized_sql == "SELECT id, total FROM orders WHERE id = 1"
    assert r.fingerprint == "SELECT id, total FROM orders WHERE id = ?"
    assert r.tables == ("orders",)
    assert r.limit == 10000
    assert r.output_columns == ("id", "total")
    assert r.pii_columns == ()


def test_result_shape_for_rejected_query() -> None:
    r = check("DELETE FROM orders WHERE id = 7", engine="postgresql")
    assert not r.ok and r.sql == "" and r.limit is None
    assert r.normalized_sql == "DELETE FROM orders WHERE id = 7"
    assert r.fingerprint == "DELETE FROM orders WHERE id = ?"
    assert codes(r.errors) == ["NOT_READ_ONLY"]


def test_unparsable_has_no_normalized_sql() -> None:
    r = check("SELEC id FROM", engine="mysql")
    assert codes(r.errors) == ["PARSE_ERROR"]
    assert r.normalized_sql == ""
    assert r.fingerprint == "selec id from"


JUNK = ["(" * 5000, "SELECT " + "(" * 3000 + "1" + ")" * 3000, "\x00SELECT 1", "x" * 300_000, "'", "`", '"', "(BEGIN)", "(1)"]


@pytest.mark.parametrize("junk", JUNK)
def test_never_raises_and_fails_closed(junk: str) -> None:
    for engine in ENGINES:
        r = check(junk, engine=engine)
        assert isinstance(r, CheckResult)
        if not r.ok:
            assert r.sql == ""


def test_unknown_engine_is_an_error_not_an_exception() -> None:
    r = check("SELECT 1", engine="oracle")
    assert not r.ok and codes(r.errors) == ["UNSUPPORTED_ENGINE"]


def test_executed_sql_is_rerendered_without_comments() -> None:
    r = ok("SELECT id /* secret note */ FROM orders -- trailing", engine="mysql")
    assert r.sql == "SELECT id FROM orders LIMIT 10000"


def test_string_literals_that_look_dangerous_are_fine() -> None:
    r = ok("SELECT '; DROP TABLE orders; --' AS a, '/*! x */' AS b", engine="mysql")
    assert "DROP TABLE" in r.sql  # inside the literal, re-rendered as a literal
    assert len(sqlglot.parse(r.sql, read="mysql")) == 1


def test_mysql_executable_comment_inside_string_is_not_flagged_but_outside_is() -> None:
    assert check("SELECT '/*!50000 x */'", engine="mysql").ok
    assert codes(check("SELECT 1 /*!50000 , 2 */", engine="mysql").errors) == ["EXECUTABLE_COMMENT"]


# --- row limit -------------------------------------------------------------------------------------------------


def test_no_limit_gets_max_rows() -> None:
    r = ok("SELECT id FROM orders", max_rows=250)
    assert r.limit == 250 and r.sql.endswith("LIMIT 250")


def test_request_limit_is_used_when_below_cap() -> None:
    assert ok("SELECT id FROM orders", limit=20, max_rows=250).limit == 20


def test_request_limit_is_capped() -> None:
    assert ok("SELECT id FROM orders", limit=5000, max_rows=250).limit == 250


def test_higher_user_limit_is_capped() -> None:
    r = ok("SELECT id FROM orders LIMIT 1000000", max_rows=100)
    assert r.limit == 100 and "LIMIT 100" in r.sql and "1000000" not in r.sql


def test_lower_user_limit_is_kept_with_offset() -> None:
    r = ok("SELECT id FROM orders ORDER BY id LIMIT 5 OFFSET 40", max_rows=100)
    assert r.limit == 5 and r.sql.endswith("LIMIT 5 OFFSET 40")


def test_mysql_offset_comma_limit() -> None:
    r = ok("SELECT id FROM orders LIMIT 40, 5", engine="mysql", max_rows=100)
    assert r.limit == 5
    assert "40" in r.sql


@pytest.mark.parametrize(
    ("engine", "sql"),
    [
        ("postgresql", "SELECT id FROM orders LIMIT $1"),
        ("postgresql", "SELECT id FROM orders LIMIT (SELECT 5)"),
        ("postgresql", "SELECT id FROM orders LIMIT 2 + 3"),
        ("postgresql", "SELECT id FROM orders LIMIT ALL"),
        ("sqlite", "SELECT id FROM orders LIMIT -1"),
        ("mysql", "SELECT id FROM orders LIMIT ?"),
        ("postgresql", "SELECT id FROM orders FETCH FIRST 50 PERCENT ROWS ONLY"),
    ],
)
def test_non_literal_limit_is_replaced(engine: str, sql: str) -> None:
    r = ok(sql, engine=engine, max_rows=77)
    assert r.limit == 77
    assert r.sql.endswith("LIMIT 77")


def test_fetch_first_literal_is_kept() -> None:
    r = ok("SELECT id FROM orders FETCH FIRST 5 ROWS ONLY", max_rows=100)
    assert r.limit == 5


@pytest.mark.parametrize("engine", ENGINES)
def test_union_gets_outer_limit(engine: str) -> None:
    r = ok("SELECT id FROM orders UNION SELECT id FROM products", engine=engine, max_rows=10)
    assert r.limit == 10
    tree = sqlglot.parse_one(r.sql, read={"postgresql": "postgres"}.get(engine, engine))
    assert isinstance(tree, sqlglot.exp.Union)
    assert tree.args["limit"].expression.this == "10"


def test_union_with_lower_limit_keeps_it() -> None:
    assert ok("SELECT id FROM orders UNION ALL SELECT id FROM products LIMIT 3", max_rows=10).limit == 3


def test_inner_limits_untouched_outer_applied() -> None:
    r = ok("SELECT * FROM (SELECT id FROM orders LIMIT 999999) s", max_rows=10)
    assert "LIMIT 999999" in r.sql and r.sql.endswith("LIMIT 10")


def test_values_is_wrapped() -> None:
    r = ok("VALUES (1, 'a'), (2, 'b')", engine="postgresql", max_rows=1)
    assert r.sql == "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS _q LIMIT 1"


def test_parenthesised_query_with_limit() -> None:
    r = ok("(SELECT id FROM orders ORDER BY id LIMIT 500)", engine="sqlite", max_rows=100)
    assert r.limit == 100
    assert sqlglot.parse_one(r.sql, read="sqlite") is not None


# --- unknown tables and columns --------------------------------------------------------------------------------


def test_unknown_table_did_you_mean() -> None:
    r = check("SELECT * FROM custmers", engine="postgresql", schema=SCHEMA)
    assert not r.ok
    (issue,) = r.errors
    assert issue.code == "UNKNOWN_TABLE"
    assert issue.message == 'Unknown table "custmers". Did you mean "customers"?'
    assert issue.suggestion == "customers"


def test_unknown_table_without_suggestion() -> None:
    (issue,) = check("SELECT 1 FROM zzz", engine="mysql", schema=SCHEMA).errors
    assert issue.code == "UNKNOWN_TABLE" and issue.suggestion is None


def test_unknown_column_did_you_mean() -> None:
    r = check("SELECT custmer_id FROM orders", engine="postgresql", schema=SCHEMA)
    (issue,) = r.errors
    assert issue.code == "UNKNOWN_COLUMN"
    assert '"custmer_id"' in issue.message and issue.suggestion == "customer_id"


def test_unknown_qualified_column() -> None:
    (issue,) = check("SELECT o.totl FROM orders o", engine="duckdb", schema=SCHEMA).errors
    assert issue.code == "UNKNOWN_COLUMN" and issue.suggestion == "total"


def test_unknown_column_in_where_and_join() -> None:
    r = check(
        "SELECT o.id FROM orders o JOIN customers c ON c.idd = o.customer_id WHERE o.stat = 'x'",
        engine="sqlite",
        schema=SCHEMA,
    )
    assert codes(r.errors) == ["UNKNOWN_COLUMN", "UNKNOWN_COLUMN"]
    assert {i.suggestion for i in r.errors} == {"id", "status"}


def test_ctes_aliases_and_projection_aliases_are_not_flagged() -> None:
    sql = (
        "WITH spend AS (SELECT customer_id, sum(total) AS spent FROM orders GROUP BY customer_id) "
        "SELECT c.id AS cid, s.spent AS amount FROM customers c JOIN spend s ON s.customer_id = c.id "
        "WHERE s.spent > 10 ORDER BY amount DESC"
    )
    for engine in ENGINES:
        ok(sql, engine=engine, schema=SCHEMA)


def test_case_folding() -> None:
    ok("SELECT ID, Total FROM Orders", engine="postgresql", schema=SCHEMA)
    ok("SELECT ID, Total FROM Orders", engine="mysql", schema=SCHEMA)
    # PostgreSQL: a quoted identifier is exact
    r = check('SELECT "Total" FROM orders', engine="postgresql", schema=SCHEMA)
    assert codes(r.errors) == ["UNKNOWN_COLUMN"] and r.errors[0].suggestion == "total"
    ok('SELECT "Total" FROM orders', engine="sqlite", schema=SCHEMA)


def test_schema_qualified_tables() -> None:
    ok("SELECT amount FROM finance.ledger", schema=SCHEMA)
    ok("SELECT id FROM public.orders", schema=SCHEMA)
    assert codes(check("SELECT amount FROM ledger2", schema=SCHEMA, engine="postgresql").errors) == ["UNKNOWN_TABLE"]
    assert codes(check("SELECT id FROM finance.orders", schema=SCHEMA, engine="postgresql").errors) == ["UNKNOWN_TABLE"]


def test_system_catalogs_are_allowed() -> None:
    ok("SELECT table_name FROM information_schema.tables", schema=SCHEMA)
    ok("SELECT name FROM sqlite_master", engine="sqlite", schema=SCHEMA)


def test_without_schema_no_schema_checks() -> None:
    ok("SELECT whatever FROM nowhere")


def test_tables_lists_base_tables_not_ctes() -> None:
    r = ok("WITH x AS (SELECT id FROM orders) SELECT x.id FROM x JOIN finance.ledger l ON l.id = x.id")
    assert r.tables == ("orders", "finance.ledger")


# --- warnings --------------------------------------------------------------------------------------------------


def test_warnings_large_table_without_limit_and_filter() -> None:
    r = ok("SELECT id, country FROM customers", schema=SCHEMA)
    assert set(codes(r.warnings)) == {"NO_LIMIT_LARGE_TABLE", "NO_FILTER_LARGE_TABLE"}
    assert r.limit == 10000  # the cap still applies


def test_no_warning_with_limit_and_filter() -> None:
    r = ok("SELECT id FROM customers WHERE country = 'NL' LIMIT 10", schema=SCHEMA)
    assert r.warnings == ()


def test_aggregation_is_not_unfiltered_scan() -> None:
    r = ok("SELECT country, count(*) FROM customers GROUP BY country", schema=SCHEMA)
    assert "NO_FILTER_LARGE_TABLE" not in codes(r.warnings)


def test_no_limit_warning_threshold() -> None:
    assert "NO_LIMIT_LARGE_TABLE" in codes(ok("SELECT id FROM orders", schema=SCHEMA).warnings)  # 150k rows
    assert ok("SELECT id FROM products", schema=SCHEMA).warnings == ()  # 300 rows


def test_select_star_warning() -> None:
    assert codes(ok("SELECT * FROM products").warnings) == ["SELECT_STAR"]
    assert codes(ok("SELECT p.* FROM products p").warnings) == ["SELECT_STAR"]
    assert ok("SELECT count(*) FROM products").warnings == ()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT o.id FROM orders o, products p",
        "SELECT o.id FROM orders o CROSS JOIN products p",
        "SELECT o.id FROM orders o JOIN products p",
    ],
)
def test_cartesian_join_warning(sql: str) -> None:
    r = check(sql, engine="postgresql")
    assert "CARTESIAN_JOIN" in codes(r.warnings)


@pytest.mark.parametrize("engine", ENGINES)
def test_joined_tables_are_not_cartesian(engine: str) -> None:
    for sql in (
        "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id",
        "SELECT o.id FROM orders o JOIN customers c USING (id)",
        "SELECT o.id FROM orders o, customers c WHERE c.id = o.customer_id",
    ):
        assert "CARTESIAN_JOIN" not in codes(ok(sql, engine=engine).warnings), sql


def test_warnings_never_block() -> None:
    r = ok("SELECT * FROM customers, orders", schema=SCHEMA)
    assert {"SELECT_STAR", "CARTESIAN_JOIN", "NO_LIMIT_LARGE_TABLE", "NO_FILTER_LARGE_TABLE", "PII_COLUMN"} <= set(
        codes(r.warnings)
    )


# --- PII lineage -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT id, email FROM customers", (1,)),
        ("SELECT email AS contact, id FROM customers", (0,)),
        ("SELECT id, lower(email) AS e FROM customers", (1,)),
        ("SELECT CONCAT(first_name, ' ', last_name) AS full_name, country FROM customers", (0,)),
        ("SELECT s.x FROM (SELECT upper(email) AS x FROM customers) s", (0,)),
        ("WITH c AS (SELECT phone AS p, country FROM customers) SELECT country, p FROM c", (1,)),
        ("WITH a AS (SELECT email AS e FROM customers), b AS (SELECT e AS f FROM a) SELECT f, 1 AS one FROM b", (0,)),
        ("SELECT id, status FROM orders UNION ALL SELECT id, email FROM customers", (1,)),
        ("SELECT id, country FROM customers UNION SELECT id, status FROM orders", ()),
        ("SELECT * FROM customers", (1, 2, 4)),
        ("SELECT o.id, c.* FROM orders o JOIN customers c ON c.id = o.customer_id", (2, 3, 5)),
        ("SELECT COUNT(email) AS n, COUNT(DISTINCT email) AS d FROM customers", ()),
        ("SELECT MIN(email) AS a, MAX(phone) AS b, count(*) AS n FROM customers", (0, 1)),
        ("SELECT country, CASE WHEN email LIKE '%@x.com' THEN 'x' ELSE 'other' END AS k FROM customers", (1,)),
        ("SELECT o.id, (SELECT c.email FROM customers c WHERE c.id = o.customer_id) AS em FROM orders o", (1,)),
        ("SELECT id, row_number() OVER (PARTITION BY email ORDER BY id) AS rn FROM customers", ()),
        ("SELECT id, first_value(email) OVER (ORDER BY id) AS fe FROM customers", (1,)),
        ("SELECT o.id, o.total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = 'a@b.c'", ()),
        ("SELECT email FROM customers WHERE id = 1", (0,)),
    ],
)
def test_pii_lineage(engine: str, sql: str, expected: tuple[int, ...]) -> None:
    r = ok(sql, engine=engine, schema=SCHEMA)
    assert r.pii_columns == expected, r.output_columns
    assert sum(1 for w in r.warnings if w.code == "PII_COLUMN") == len(expected)


def test_pii_warning_names_the_column() -> None:
    r = ok("SELECT email AS contact FROM customers WHERE id = 1", schema=SCHEMA)
    (warning,) = [w for w in r.warnings if w.code == "PII_COLUMN"]
    assert warning.code == "PII_COLUMN"
    assert '"contact"' in warning.message and '"customers.email"' in warning.message


def test_pii_aggregates() -> None:
    assert ok("SELECT string_agg(email, ',') AS s FROM customers", schema=SCHEMA).pii_columns == (0,)
    assert ok("SELECT group_concat(email) AS s FROM customers", engine="mysql", schema=SCHEMA).pii_columns == (0,)
    assert ok("SELECT array_agg(phone) AS s FROM customers", engine="duckdb", schema=SCHEMA).pii_columns == (0,)


def test_pii_recursive_cte_terminates() -> None:
    sql = (
        "WITH RECURSIVE r(n, e) AS (SELECT 1, email FROM customers UNION ALL SELECT n + 1, e FROM r WHERE n < 3) "
        "SELECT n, e FROM r"
    )
    assert ok(sql, schema=SCHEMA).pii_columns == (1,)


def test_star_output_columns_are_expanded() -> None:
    r = ok("SELECT * FROM products", schema=SCHEMA)
    assert r.output_columns == ("id", "name", "price")


def test_no_schema_no_pii() -> None:
    assert ok("SELECT email FROM customers").pii_columns == ()


# --- fingerprints ----------------------------------------------------------------------------------------------


def test_fingerprint_groups_formatting_case_and_literals() -> None:
    a = fingerprint("select * from t where id=1", engine="postgresql")
    b = fingerprint("SELECT *\n FROM t WHERE id = 42", engine="postgresql")
    assert a == b == "SELECT * FROM t WHERE id = ?"
    assert check("select * from t where id=1", engine="postgresql").fingerprint == a


def test_fingerprint_strings_in_lists_and_comments() -> None:
    a = fingerprint("SELECT id FROM t WHERE s = 'x' AND k IN (1, 2, 3) -- hi", engine="mysql")
    b = fingerprint("select id  from t where s = 'yy' and k in (7)", engine="mysql")
    assert a == b


def test_fingerprint_distinguishes_structure() -> None:
    assert fingerprint("SELECT a FROM t", engine="sqlite") != fingerprint("SELECT b FROM t", engine="sqlite")


def test_fingerprint_fallback_for_unparsable() -> None:
    assert fingerprint("SELEC  Broken\n  stuff", engine="duckdb") == "selec broken stuff"
    assert fingerprint("SELECT 1", engine="nope") == "select 1"


def test_pii_without_traceable_lineage_warns() -> None:
    schema = [*SCHEMA, TableInfo("raw_import")]  # synced without column metadata
    r = ok("SELECT * FROM customers c JOIN raw_import r ON r.id = c.id WHERE c.id = 1", schema=schema)
    assert "PII_COLUMN" in codes(r.warnings)
    traced = ok("SELECT c.email, c.country FROM customers c JOIN raw_import r ON r.id = c.id WHERE c.id = 1", schema=schema)
    assert traced.pii_columns == (0,)


def test_output_columns_without_schema() -> None:
    assert ok('SELECT id, total AS "Sum", lower(status) AS s FROM orders').output_columns == ("id", "Sum", "s")
    assert ok("SELECT id, lower(status) FROM orders").output_columns == ()
    assert ok("SELECT * FROM orders").output_columns == ()
    assert ok("SELECT Id FROM orders", engine="mysql").output_columns == ("Id",)
    assert ok("SELECT Id FROM orders", engine="postgresql").output_columns == ("id",)
