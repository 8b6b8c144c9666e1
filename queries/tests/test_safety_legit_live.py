"""Every LEGIT query of the safety corpus, executed live: the gate's statement returns what the user wrote.

`check(...).sql` (the re-rendered, limit-enforced statement) is what the product executes, never the raw text.
For each (engine, sql) in `safety_corpus.LEGIT`, on a real SQLite file, DuckDB file, PostgreSQL database and
MariaDB database filled with the same small deterministic shop data (built once per module):

* the original statement (run with the engine's own driver) and the gate's statement with a limit larger than
  any result both succeed, with the same number of columns and the same rows — in order when the original's
  outermost query has ORDER BY, as a multiset otherwise, by row count only when the original has LIMIT without
  ORDER BY (which rows come back is the engine's choice) or samples, and by shape (columns, row count) when the
  result depends on the clock;
* the gate's statement with max_rows=3 returns at most 3 rows: the first 3 of the original's rows when ordered,
  a sub-multiset of them otherwise;
* for a sample of cases per engine, the gate's statement run through the product's executor
  (`queries.executors.run_statement` on a DataSource) returns the same result as the original.

PostgreSQL and MariaDB cases carry the `pg_server` / `mariadb` markers: they skip (with the reason) when those
servers are unreachable, and fail under REQUIRE_SERVICES=1.
"""
from __future__ import annotations

import datetime as dt
import decimal
import shutil
import sqlite3
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from queries.safety import check

from .safety_corpus import DUCK, LEGIT, LITE, MY, PG, SHOP_SCHEMA

BIG = 10_000  # larger than any result of the shop data
SMALL = 3
DIALECT = {PG: "postgres", MY: "mysql", LITE: "sqlite", DUCK: "duckdb"}
SERVER_MARK = {PG: pytest.mark.pg_server, MY: pytest.mark.mariadb}

# --- cases that need special treatment (every key must be a LEGIT case; see test_the_special_cases_are_current) --

# Cannot be executed on a live database at all. Keep this short: each entry is a LEGIT query not proven correct.
UNCHECKABLE: dict[tuple[str, str], str] = {
    (LITE, "(SELECT id FROM orders ORDER BY total DESC LIMIT 3)"):
        "SQLite's grammar has no parenthesised top-level SELECT: the original is a syntax error on SQLite "
        "(the gate re-renders it without the parentheses, and that runs)",
}

# The result depends on the clock: the two statements run a few milliseconds apart, so only the shape
# (column count, row count) is compared.
VOLATILE: dict[tuple[str, str], str] = {
    (PG, "SELECT current_date, current_timestamp, current_setting('TimeZone')"): "current_timestamp differs per statement",
    (PG, "SELECT age(now(), created_at) FROM customers"): "now() differs per statement",
    (LITE, "SELECT date('now', '-7 days') AS week_ago"): "date('now') may cross midnight between the statements",
}

# Which rows come back is the engine's choice: only the row count is compared. (LIMIT/OFFSET/FETCH without
# ORDER BY on the original's outermost query is detected from the syntax tree and treated the same way.)
ROW_COUNT_ONLY: dict[tuple[str, str], str] = {
    (DUCK, "SELECT id FROM orders USING SAMPLE 10"): "a random sample of 10 rows",
}

# Executable only after an adaptation, applied identically to the original and to the gate's input.
# MySQL: `shop` is the corpus' name for the database; the throw-away database has a unique name.
RENAME_DATABASE = {(MY, "SELECT id FROM shop.orders")}
# MySQL: the portable query quotes a table name with ANSI double quotes, which MariaDB's default sql_mode reads as
# a string literal (a syntax error). Both statements run with ANSI_QUOTES, where the original means what it says.
ANSI_QUOTES = {(MY, 'SELECT deleted_at, update_count, insert_id, set_name FROM "drop table"')}

# Real gate bugs: the gate's statement does not return the original's result on the live database. They stay
# visible as strict xfails (a fix turns them into XPASS failures, and the entry must then go).
GATE_BUGS: dict[tuple[str, str], str] = {}  # (engine, sql) → why the gate's rendering breaks it (strict xfail)


# --- the shop data -------------------------------------------------------------------------------------------

NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
D = decimal.Decimal
LAST_NAMES = ["McDonald", "McBride", "Mcintosh", "Adams", "Baker", "Carter", "Diaz", "Evans", "Fischer", "Garcia",
              "Hughes", "Ito", "Jensen", "Khan", "Lopez", "Martin", "Nakamura", "Olsen", "Patel", "Quinn", "Rossi",
              "Schmidt", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Young", "Zimmer", "Macy"]
COUNTRIES = ["US", "DE", None, "FR", "GB", "US", "DE", "FR", "ES", "US"]
# statuses by order number modulo 20: distinct order counts and distinct buyer counts per status
STATUS_CYCLE = ["paid"] * 8 + ["shipped"] * 5 + ["pending"] * 4 + ["refunded"] * 2 + ["cancelled"]
EVENT_KINDS = [("view", 80), ("click", 50), ("add_to_cart", 30), ("purchase", 20), ("signup", 12), ("logout", 8)]


def shop_rows() -> dict[str, list[tuple[Any, ...]]]:
    """30 customers (3 without orders), 100 orders over 2023–2025 plus 2 recent ones, ~200 order items,
    12 products, a 4-level employee hierarchy, 200 events, and the oddly named tables. Deterministic apart
    from the 2 recent orders (relative to now, for the date-filter queries). Sort keys are unique."""
    customers = []
    for i in range(1, 31):
        created = dt.datetime(2023, 1, 1, 8) + dt.timedelta(days=11 * i, hours=i % 7, minutes=i)
        deleted = created + dt.timedelta(days=200) if i in (5, 17, 29) else None
        customers.append((i, f"c{i}@example.com", f"First{i}", LAST_NAMES[i - 1], COUNTRIES[i % 10], created, deleted))

    orders = []
    for i in range(1, 101):
        status = STATUS_CYCLE[i % 20]
        total = {50: D("0.00"), 21: D("12.50"), 29: D("17.25")}.get(i, D(i * 7919 % 150000) / 100)
        created = dt.datetime(2023, 1, 2, 9) + dt.timedelta(days=10 * i, hours=i % 11, minutes=i)
        shipped = None if status in ("pending", "cancelled") else created + dt.timedelta(days=i % 9 + 1, hours=3)
        orders.append((i, (i * 7) % 27 + 1, status, total, created, i % 4, shipped))
    orders.append((101, 1, "paid", D("42.42"), NOW - dt.timedelta(hours=2), 0, None))
    orders.append((102, 2, "pending", D("77.77"), NOW - dt.timedelta(days=3), 1, None))
    assert len({o[3] for o in orders}) == len(orders), "order totals must be unique (ORDER BY total)"

    products = [(i, f"Product {i:02d}", ["books", "games", "garden", "tools"][i % 4], D(5 * i) + D("0.99"))
                for i in range(1, 13)]
    price = {p[0]: p[3] for p in products}
    items = []
    for order in orders:
        i = order[0]
        for k in range(1 + i % 3):
            product = (i + 5 * k) % 12 + 1
            items.append((i, product, 1 + (3 * i + k) % 7, price[product]))

    employees = [
        (1, None, "Ada", D(300000), "exec"),
        (2, 1, "Ben", D(200000), "sales"), (3, 1, "Cleo", D(210000), "engineering"), (4, 1, "Dan", D(190000), "support"),
        (5, 2, "Eve", D(90000), "sales"), (6, 2, "Finn", D(95000), "sales"), (7, 2, "Gus", D(80000), "sales"),
        (8, 3, "Hana", D(150000), "engineering"), (9, 3, "Ivo", D(140000), "engineering"),
        (10, 8, "Jo", D(120000), "engineering"), (11, 8, "Kai", D(110000), "engineering"),
        (12, 4, "Lea", D(60000), "support"), (13, 4, "Max", D(65000), "support"),
        (14, 6, "Nia", D(70000), "sales"), (15, 10, "Oli", D(100000), "engineering"),
    ]

    kinds = [kind for kind, n in EVENT_KINDS for _ in range(n)]
    events = [(i, None if i % 25 == 0 else (11 * i) % 30 + 1, kinds[(37 * i) % 200],
               dt.datetime(2024, 1, 1) + dt.timedelta(days=2 * i, minutes=i)) for i in range(1, 201)]

    drop_table = [(dt.datetime(2024, 5, i + 1, 12) if i % 2 else None, i, 1000 + i, f"set {i}") for i in range(1, 6)]
    delete_log = [(1, "admin", "; DROP TABLE orders; --"), (2, "ops", "DELETE FROM orders"),
                  (3, "ops", "bulk UPDATE of totals"), (4, None, None), (5, "admin", "routine cleanup"),
                  (6, "auditor", "UPDATE")]
    return {"customers": customers, "orders": orders, "order_items": items, "products": products,
            "employees": employees, "events": events, "drop table": drop_table, "delete_log": delete_log}


INT, TEXT, MONEY, TS = "int", "text", "money", "ts"
COLUMN_TYPES: dict[str, tuple[str, ...]] = {
    "customers": (INT, TEXT, TEXT, TEXT, TEXT, TS, TS),
    "orders": (INT, INT, TEXT, MONEY, TS, INT, TS),
    "order_items": (INT, INT, INT, MONEY),
    "products": (INT, TEXT, TEXT, MONEY),
    "employees": (INT, INT, TEXT, MONEY, TEXT),
    "events": (INT, INT, TEXT, TS),
    "drop table": (TS, INT, INT, TEXT),
    "delete_log": (INT, TEXT, TEXT),
}
SQL_TYPES = {
    LITE: {INT: "INTEGER", TEXT: "TEXT", MONEY: "NUMERIC(10, 2)", TS: "TEXT"},
    DUCK: {INT: "INTEGER", TEXT: "VARCHAR", MONEY: "DECIMAL(10, 2)", TS: "TIMESTAMP"},
    PG: {INT: "INTEGER", TEXT: "TEXT", MONEY: "NUMERIC(10, 2)", TS: "TIMESTAMP"},
    MY: {INT: "INT", TEXT: "VARCHAR(200)", MONEY: "DECIMAL(10, 2)", TS: "DATETIME"},
}


def quote(engine: str, name: str) -> str:
    return f"`{name}`" if engine == MY else f'"{name}"'


def build_shop(engine: str, execute: Callable[[str], Any], executemany: Callable[[str, list[Any]], Any]) -> None:
    assert set(COLUMN_TYPES) == set(SHOP_SCHEMA)
    placeholder = "?" if engine in (LITE, DUCK) else "%s"
    for table, rows in shop_rows().items():
        columns = SHOP_SCHEMA[table]
        definition = ", ".join(f"{quote(engine, c)} {SQL_TYPES[engine][t]}{' PRIMARY KEY' if c == 'id' else ''}"
                               for c, t in zip(columns, COLUMN_TYPES[table], strict=True))
        execute(f"CREATE TABLE {quote(engine, table)} ({definition})")
        if engine == LITE:  # no native decimal or datetime types: REAL and ISO text
            rows = [tuple(float(v) if isinstance(v, D) else v.isoformat(" ") if isinstance(v, dt.datetime) else v
                          for v in row) for row in rows]
        executemany(f"INSERT INTO {quote(engine, table)} VALUES ({', '.join([placeholder] * len(columns))})", rows)


# --- the live databases ----------------------------------------------------------------------------------------

@dataclass
class Result:
    columns: int
    rows: list[tuple[Any, ...]]


@dataclass
class Live:
    engine: str
    execute: Callable[[str, list[str]], Result]  # (sql, session statements to run first)
    source: dict[str, Any]  # DataSource fields
    file: Path | None = None
    database: str = ""
    ansi_quotes: list[str] = field(default_factory=list)

    def run(self, sql: str, *, ansi_quotes: bool = False) -> Result:
        return self.execute(sql, self.ansi_quotes if ansi_quotes else [])


def _fetch(cursor: Any) -> Result:
    return Result(len(cursor.description or ()), [tuple(row) for row in cursor.fetchall()])


@pytest.fixture(scope="module")
def live_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    path = tmp_path_factory.mktemp("legit-live") / "legit_shop.sqlite3"
    connection = sqlite3.connect(path)
    build_shop(LITE, connection.execute, connection.executemany)
    connection.commit()
    connection.close()
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def execute(sql: str, session: list[str]) -> Result:
        return _fetch(reader.execute(sql))

    yield Live(LITE, execute, {"database": path.name}, file=path)
    reader.close()


@pytest.fixture(scope="module")
def live_duckdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    import duckdb

    path = tmp_path_factory.mktemp("legit-live") / "legit_shop.duckdb"
    connection = duckdb.connect(str(path))
    build_shop(DUCK, connection.execute, connection.executemany)
    connection.close()  # checkpointed: the file alone holds the data (copied for the executor tests)
    reader = duckdb.connect(str(path), read_only=True)

    def execute(sql: str, session: list[str]) -> Result:
        return _fetch(reader.execute(sql))

    yield Live(DUCK, execute, {"database": path.name}, file=path)
    reader.close()


@pytest.fixture(scope="module")
def live_postgresql() -> Iterator[Live]:
    import psycopg

    from conftest import TEST_POSTGRES_DSN

    name = f"ie_legit_{uuid.uuid4().hex[:8]}"
    params = dict(item.split("=", 1) for item in TEST_POSTGRES_DSN.split())
    admin = psycopg.connect(TEST_POSTGRES_DSN, autocommit=True, connect_timeout=3)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        connection = psycopg.connect(**{**params, "dbname": name}, autocommit=True)
        with connection.cursor() as cursor:
            build_shop(PG, cursor.execute, cursor.executemany)

        def execute(sql: str, session: list[str]) -> Result:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return _fetch(cursor)

        yield Live(PG, execute, {"host": params.get("host", "127.0.0.1"), "port": int(params.get("port", 5432)),
                                 "database": name, "username": params.get("user", "postgres"),
                                 "password": params.get("password", "")}, database=name)
        connection.close()
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module")
def live_mysql() -> Iterator[Live]:
    import pymysql

    from conftest import TEST_MYSQL

    name = f"ie_legit_{uuid.uuid4().hex[:8]}"
    admin = pymysql.connect(**TEST_MYSQL, autocommit=True, connect_timeout=3)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        connection = pymysql.connect(**TEST_MYSQL, database=name, autocommit=True, charset="utf8mb4")
        with connection.cursor() as cursor:
            build_shop(MY, cursor.execute, cursor.executemany)
            cursor.execute("SELECT @@SESSION.sql_mode")
            default_mode = cursor.fetchone()[0]

        def execute(sql: str, session: list[str]) -> Result:
            with connection.cursor() as cursor:
                for statement in session:
                    cursor.execute(statement)
                try:
                    cursor.execute(sql)
                    return _fetch(cursor)
                finally:
                    if session:
                        cursor.execute("SET SESSION sql_mode = %s", (default_mode,))

        yield Live(MY, execute, {"host": TEST_MYSQL["host"], "port": TEST_MYSQL["port"], "database": name,
                                 "username": TEST_MYSQL["user"], "password": TEST_MYSQL["password"]},
                   database=name, ansi_quotes=["SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',ANSI_QUOTES')"])
        connection.close()
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture
def live(request: pytest.FixtureRequest, engine: str) -> Live:
    return request.getfixturevalue(f"live_{engine}")


# --- comparing results ---------------------------------------------------------------------------------------

def canon(value: Any) -> Any:
    """What the user sees (the product's JSON form), with numbers compared to 6 decimals and int == float."""
    from queries.executors import jsonable

    value = jsonable(value)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return round(float(value), 6)
    if isinstance(value, list):
        return tuple(canon(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, canon(v)) for k, v in value.items()))
    return value


def canon_rows(rows: list[Any]) -> list[tuple[Any, ...]]:
    return [tuple(canon(v) for v in row) for row in rows]


def outer_query(engine: str, sql: str) -> exp.Expression | None:
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT[engine])
    except sqlglot.errors.SqlglotError:
        return None
    while isinstance(tree, (exp.Subquery, exp.Paren)):  # "(SELECT ... ORDER BY ... LIMIT 3)"
        tree = tree.this
    return tree


def comparison(engine: str, sql: str) -> str:
    """ordered | multiset | count | shape — how the original's and the gate's results must agree."""
    if (engine, sql) in VOLATILE:
        return "shape"
    if (engine, sql) in ROW_COUNT_ONLY:
        return "count"
    tree = outer_query(engine, sql)
    if tree is None:  # e.g. PostgreSQL's "TABLE orders": neither ORDER BY nor LIMIT
        return "multiset"
    ordered = tree.args.get("order") is not None
    limited = any(tree.args.get(k) is not None for k in ("limit", "offset", "fetch"))
    if ordered:
        return "ordered"
    return "count" if limited else "multiset"


def assert_same(mode: str, expected: list[Any], got: list[Any], context: str) -> None:
    assert len(got) == len(expected), f"{context}: {len(expected)} rows expected, got {len(got)}"
    if mode == "ordered":
        assert got == expected, context
    elif mode == "multiset":
        assert sorted(got, key=repr) == sorted(expected, key=repr), context


def executable(live: Live, engine: str, sql: str) -> str:
    if (engine, sql) in RENAME_DATABASE:
        return sql.replace("shop.", f"{live.database}.")
    return sql


def case_id(index: int, engine: str) -> str:
    return f"{engine}-{index}"  # the ids of test_safety_corpus.py


def case_marks(engine: str, sql: str) -> list[Any]:
    marks: list[Any] = [SERVER_MARK[engine]] if engine in SERVER_MARK else []
    if (engine, sql) in GATE_BUGS:
        marks.append(pytest.mark.xfail(strict=True, reason=f"gate bug: {GATE_BUGS[(engine, sql)]}"))
    return marks


CASES = [pytest.param(engine, sql, id=case_id(i, engine), marks=case_marks(engine, sql))
         for i, (engine, sql) in enumerate(LEGIT) if (engine, sql) not in UNCHECKABLE]


# --- the tests -----------------------------------------------------------------------------------------------

def test_the_special_cases_are_current() -> None:
    legit = set(LEGIT)
    for name, cases in [("UNCHECKABLE", UNCHECKABLE), ("VOLATILE", VOLATILE), ("ROW_COUNT_ONLY", ROW_COUNT_ONLY),
                        ("RENAME_DATABASE", RENAME_DATABASE), ("ANSI_QUOTES", ANSI_QUOTES), ("GATE_BUGS", GATE_BUGS)]:
        stale = set(cases) - legit
        assert not stale, f"{name} lists cases that are no longer in LEGIT: {stale}"
    assert len(UNCHECKABLE) <= len(LEGIT) // 10, "too many LEGIT queries are not proven correct live"
    assert len(VOLATILE) + len(ROW_COUNT_ONLY) <= len(LEGIT) // 10
    assert len(CASES) == len(LEGIT) - len(UNCHECKABLE)


@pytest.mark.parametrize(("engine", "sql"), CASES)
def test_the_gate_statement_returns_the_original_result(live: Live, engine: str, sql: str) -> None:
    source = executable(live, engine, sql)
    ansi = (engine, sql) in ANSI_QUOTES
    mode = comparison(engine, source)

    gated = check(source, engine=engine, max_rows=BIG)
    assert gated.ok, [(issue.code, issue.message) for issue in gated.errors]
    try:
        original = live.run(source, ansi_quotes=ansi)
    except Exception as exc:  # the case itself (or the shop data) is broken, not the gate
        pytest.fail(f"the original statement fails on {engine}: {type(exc).__name__}: {exc}\n  {source}")
    try:
        result = live.run(gated.sql, ansi_quotes=ansi)
    except Exception as exc:
        pytest.fail(f"the gate's statement fails on {engine}: {type(exc).__name__}: {exc}\n"
                    f"  original: {source}\n  gate:     {gated.sql}")
    context = f"{engine} [{mode}]\n  original: {source}\n  gate:     {gated.sql}"
    assert result.columns == original.columns, context
    expected, got = canon_rows(original.rows), canon_rows(result.rows)
    assert len(expected) < BIG
    assert_same(mode, expected, got, context)

    small = check(source, engine=engine, max_rows=SMALL)
    assert small.ok and small.limit is not None and small.limit <= SMALL
    capped = live.run(small.sql, ansi_quotes=ansi)
    context = f"{engine} max_rows={SMALL} [{mode}]\n  original: {source}\n  gate:     {small.sql}"
    assert capped.columns == original.columns, context
    assert len(capped.rows) == min(SMALL, len(expected)), context
    few = canon_rows(capped.rows)
    if mode == "ordered":
        assert few == expected[:SMALL], context
    elif mode == "multiset":
        assert not Counter(few) - Counter(expected), f"{context}: rows that the original does not return"


# --- through the product's executor ----------------------------------------------------------------------------

EXECUTOR_CASES_PER_ENGINE = 10


def executor_sample() -> list[Any]:
    """~10 cases per engine, spread over the corpus (portable and engine-specific), fully comparable ones."""
    sample = []
    for engine in DIALECT:
        indexed = [(i, sql) for i, (e, sql) in enumerate(LEGIT) if e == engine and (e, sql) not in UNCHECKABLE
                   and (e, sql) not in GATE_BUGS and (e, sql) not in ANSI_QUOTES and (e, sql) not in RENAME_DATABASE
                   and comparison(e, sql) in ("ordered", "multiset")]
        step = max(1, len(indexed) // EXECUTOR_CASES_PER_ENGINE)
        for i, sql in indexed[::step][:EXECUTOR_CASES_PER_ENGINE]:
            sample.append(pytest.param(engine, sql, id=case_id(i, engine), marks=case_marks(engine, sql)))
    return sample


@pytest.fixture
def data_source(live: Live, user: Any, settings: Any) -> Any:
    """A read-only DataSource on the live shop database (SQLite/DuckDB: a copy in the workspace's folder)."""
    from core.crypto import encrypt
    from metadata.connectors import workspace_files_dir
    from metadata.models import DataSource

    workspace = user.memberships.get().workspace
    fields = dict(live.source)
    password = fields.pop("password", "")
    if live.file is not None:
        target = workspace_files_dir(workspace.pk) / live.file.name
        if not target.exists():
            shutil.copy(live.file, target)
    return DataSource.objects.create(workspace=workspace, created_by=user, name=f"legit-{live.engine}",
                                     engine=live.engine, read_only=True, password_encrypted=encrypt(password),
                                     **fields)


@pytest.mark.django_db
@pytest.mark.parametrize(("engine", "sql"), executor_sample())
def test_the_product_executor_returns_the_original_result(live: Live, data_source: Any, engine: str, sql: str) -> None:
    from queries import executors

    mode = comparison(engine, sql)
    original = live.run(sql)
    expected = canon_rows(original.rows)

    gated = check(sql, engine=engine, max_rows=BIG)
    assert gated.ok
    result = executors.run_statement(data_source, gated.sql, max_rows=BIG, timeout_s=30)
    context = f"{engine} executor [{mode}]\n  original: {sql}\n  gate:     {gated.sql}"
    assert len(result.columns) == original.columns, context
    assert result.truncated is False, context
    assert_same(mode, expected, canon_rows(result.rows), context)

    small = check(sql, engine=engine, max_rows=SMALL)
    capped = executors.run_statement(data_source, small.sql, max_rows=SMALL, timeout_s=30)
    assert len(capped.rows) == min(SMALL, len(expected)), context
    if mode == "ordered":
        assert canon_rows(capped.rows) == expected[:SMALL], context


