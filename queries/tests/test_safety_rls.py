"""Row- and column-level security in the gate, proved by execution: through the gate, a statement on
the full database must return exactly what the same statement returns on a database that holds only
the allowed rows and columns — whatever aliases, subqueries, CTEs or set operations it uses."""
from __future__ import annotations

import sqlite3
from collections import Counter

import pytest

from queries.safety import ColumnInfo, TableInfo, TablePolicy, check
from queries.safety.rls import parse_filter

SCHEMA_SQL = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, region TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, region TEXT, total REAL, secret TEXT);
"""
CUSTOMERS = [(i, f"c{i}", ["EMEA", "AMER", "APAC"][i % 3]) for i in range(1, 13)]
ORDERS = [(i, 1 + i % 12, ["EMEA", "AMER", "APAC"][i % 3], float(i * 10), f"s{i}") for i in range(1, 41)]
POLICY = TablePolicy("orders", row_filter="region = 'EMEA'", visible_columns=("id", "customer_id", "region", "total"))
GATE_SCHEMA = [  # what the caller may know: no `secret`
    TableInfo("customers", columns=(ColumnInfo("id"), ColumnInfo("name"), ColumnInfo("region"))),
    TableInfo("orders", columns=tuple(ColumnInfo(c) for c in POLICY.visible_columns)),
]


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    root = tmp_path_factory.mktemp("rls")
    full, truth = sqlite3.connect(root / "full.db"), sqlite3.connect(root / "truth.db")
    for connection in (full, truth):
        connection.executescript(SCHEMA_SQL)
        connection.executemany("INSERT INTO customers VALUES (?, ?, ?)", CUSTOMERS)
    full.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", ORDERS)
    truth.execute("DROP TABLE orders")
    truth.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, region TEXT, total REAL)")
    truth.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", [o[:4] for o in ORDERS if o[2] == "EMEA"])
    yield full, truth
    full.close()
    truth.close()


ESCAPES = [
    "SELECT * FROM orders",
    "SELECT count(*), sum(total) FROM orders",
    "SELECT o.id, o.total FROM orders o",
    "SELECT o.id, o.total FROM orders AS o WHERE o.total > 50",
    "SELECT * FROM (SELECT * FROM orders) x",
    "SELECT count(*) FROM customers WHERE id IN (SELECT customer_id FROM orders)",
    "SELECT region FROM orders UNION SELECT region FROM orders",
    "SELECT region FROM customers UNION ALL SELECT region FROM orders",
    "SELECT id FROM orders EXCEPT SELECT id FROM orders WHERE total > 100",
    "WITH x AS (SELECT * FROM orders), y AS (SELECT * FROM x) SELECT count(*), sum(total) FROM y",
    "SELECT a.id, b.id FROM orders a JOIN orders b ON a.customer_id = b.customer_id",
    "SELECT c.id, (SELECT sum(o.total) FROM orders o WHERE o.customer_id = c.id) FROM customers c",
    "SELECT c.name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)",
    "SELECT c.region, count(o.id) FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.region",
    "SELECT * FROM main.orders",
    "SELECT * FROM ORDERS",
    'SELECT * FROM "orders"',
    "SELECT id, rank() OVER (ORDER BY total DESC) FROM orders",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) "
    "SELECT n.i, count(o.id) FROM n, orders o GROUP BY n.i",
    "SELECT region, max(total) FROM orders GROUP BY region HAVING count(*) > 0",
    "SELECT * FROM customers c, orders o WHERE o.customer_id = c.id AND o.region <> 'EMEA'",
]


def _rows(connection, sql):
    return Counter(tuple(row) for row in connection.execute(sql).fetchall())


@pytest.mark.parametrize("sql", ESCAPES)
def test_no_statement_reads_past_the_policy(databases, sql):
    full, truth = databases
    gated = check(sql, engine="sqlite", schema=GATE_SCHEMA, max_rows=10_000, policies=[POLICY])
    assert gated.ok, gated.errors
    assert "'EMEA'" in gated.sql
    assert _rows(full, gated.sql) == _rows(truth, sql), gated.sql


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mysql", "duckdb"])
@pytest.mark.parametrize("sql", [
    "WITH orders AS (SELECT * FROM orders) SELECT * FROM orders",
    "WITH o2 AS (SELECT * FROM orders), orders AS (SELECT * FROM o2) SELECT count(*) FROM orders",
])
def test_a_cte_named_like_a_table_it_reads_is_refused(engine, sql):
    # One name for two things: refused before any policy (or PII lineage) has to guess which is which.
    result = check(sql, engine=engine, policies=[POLICY])
    assert not result.ok and result.errors[0].code == "UNSUPPORTED_SYNTAX"


@pytest.mark.parametrize("sql", ["SELECT secret FROM orders", "SELECT o.secret FROM orders o",
                                 "SELECT id FROM orders WHERE secret = 's1'",
                                 "SELECT (SELECT max(secret) FROM orders) AS s"])
def test_a_hidden_column_does_not_exist_for_the_caller(databases, sql):
    full, _ = databases
    assert not check(sql, engine="sqlite", schema=GATE_SCHEMA, policies=[POLICY]).ok
    # Even without the schema the derived table has no such column: the database refuses it.
    without_schema = check(sql, engine="sqlite", policies=[POLICY])
    assert without_schema.ok
    with pytest.raises(sqlite3.OperationalError):
        full.execute(without_schema.sql)


def test_tables_without_a_policy_and_other_engines_are_untouched():
    assert "EMEA" not in check("SELECT * FROM customers", engine="sqlite", policies=[POLICY]).sql
    for engine in ("postgresql", "mysql", "duckdb"):
        gated = check("SELECT o.total FROM public.orders o", engine=engine, policies=[
            TablePolicy("orders", schema="public", row_filter="region = 'EMEA'")])
        assert gated.ok and "'EMEA'" in gated.sql, (engine, gated.sql)


def test_a_row_filter_must_be_one_plain_condition():
    assert parse_filter("region = 'EMEA' AND total > 10", "sqlite") is not None
    for bad in ["region = 'EMEA'; DROP TABLE orders", "1) UNION SELECT * FROM orders --",
                "id IN (SELECT id FROM orders)", "", "region ="]:
        with pytest.raises(ValueError):
            parse_filter(bad, "sqlite")
    broken = check("SELECT * FROM orders", engine="sqlite", policies=[TablePolicy("orders", row_filter="x =")])
    assert not broken.ok and broken.errors[0].code == "RLS_UNSUPPORTED"  # fails closed, never unfiltered


def test_no_visible_columns_refuses_the_table():
    result = check("SELECT count(*) FROM orders", engine="sqlite",
                   policies=[TablePolicy("orders", visible_columns=())])
    assert not result.ok and result.errors[0].code == "RLS_UNSUPPORTED"


@pytest.mark.pg_server
def test_ctes_and_subqueries_on_postgresql_read_only_allowed_rows():
    import uuid

    import psycopg

    from conftest import TEST_POSTGRES_DSN

    name = f"ie_rls_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(TEST_POSTGRES_DSN, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    params = dict(item.split("=", 1) for item in TEST_POSTGRES_DSN.split())
    try:
        with psycopg.connect(**{**params, "dbname": name}, autocommit=True) as connection:
            connection.execute("CREATE TABLE orders (id INTEGER, region TEXT, total REAL, secret TEXT)")
            connection.cursor().executemany("INSERT INTO orders VALUES (%s, %s, %s, %s)",
                                            [o[:1] + o[2:] for o in ORDERS])
            for sql in ["WITH o2 AS (SELECT * FROM orders) SELECT count(*), sum(total) FROM o2",
                        "SELECT count(*) FROM (SELECT * FROM public.orders) x WHERE x.id IN (SELECT id FROM orders)"]:
                gated = check(sql, engine="postgresql", policies=[TablePolicy(
                    "orders", row_filter="region = 'EMEA'", visible_columns=("id", "region", "total"))])
                assert gated.ok, gated.errors
                count = connection.execute(gated.sql).fetchone()[0]
                assert count == sum(1 for o in ORDERS if o[2] == "EMEA"), gated.sql
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


CATALOG_READS = {
    "sqlite": ["SELECT sql FROM sqlite_master", "SELECT sql FROM sqlite_schema", "SELECT * FROM main.sqlite_master",
               "SELECT name FROM pragma_table_info('orders')", "SELECT name FROM pragma_table_xinfo('orders')"],
    "postgresql": ["SELECT column_name FROM information_schema.columns", "SELECT attname FROM pg_attribute",
                   "SELECT attname FROM pg_catalog.pg_attribute", "SELECT pg_get_viewdef('v')",
                   "SELECT col_description('orders'::regclass, 5)"],
    "mysql": ["SELECT column_name FROM information_schema.columns", "SELECT * FROM mysql.user"],
    "duckdb": ["SELECT * FROM duckdb_columns()", "SELECT column_name FROM information_schema.columns",
               "SELECT * FROM pragma_table_info('orders')"],
}


@pytest.mark.parametrize("engine,sql", [(e, s) for e, cases in CATALOG_READS.items() for s in cases])
def test_someone_under_a_policy_cannot_read_the_catalog_which_would_name_hidden_columns(databases, engine, sql):
    refused = check(sql, engine=engine, schema=GATE_SCHEMA, policies=[POLICY])
    assert not refused.ok, refused.sql
    if engine == "sqlite" and "pragma" not in sql:
        full, _ = databases  # the threat is real: SQLite's catalog spells the hidden column out
        assert "secret" in str(full.execute(sql).fetchall())


def test_row_functions_stay_usable_under_a_policy():
    for sql in ("SELECT value FROM json_each('[1, 2]')", "SELECT * FROM generate_series(1, 3)"):
        assert check(sql, engine="sqlite", schema=GATE_SCHEMA, policies=[POLICY]).ok, sql
    assert check("SELECT * FROM generate_series(1, 3)", engine="postgresql", schema=GATE_SCHEMA,
                 policies=[POLICY]).ok
