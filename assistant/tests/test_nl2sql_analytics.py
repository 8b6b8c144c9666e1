"""Analytic questions — measures by dimensions, time buckets and windows, top-N, superlatives — judged by
what their SQL returns against SQL written independently, on the demo warehouse seen the way the
platform sees it (data dictionary applied) and on an unrelated HR database with no dictionary."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
import sqlglot

from assistant.nl2sql.dictionary import apply_dictionary
from assistant.nl2sql.engine import _answer, answer
from assistant.nl2sql.introspect_sqlite import introspect
from assistant.nl2sql.schema import SchemaInfo
from metadata.demo_warehouse import DICTIONARY, generate

from .sqlite_db import database

END = dt.date(2025, 6, 30)
TODAY = dt.date(2025, 6, 15)


def platform_schema(path: Path) -> SchemaInfo:
    """What `assistant.context.schema_info_for` builds after a sync: types, keys and samples from the
    database, alias/synonyms/description/PII from the data dictionary."""
    return apply_dictionary(introspect(path), DICTIONARY)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SchemaInfo]:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    generate(path, orders=1500, end_date=END)
    return path, platform_schema(path)


def run(path: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return [tuple(round(v, 2) if isinstance(v, float) else v for v in row) for row in connection.execute(sql)]
    finally:
        connection.close()


def engine_rows(path: Path, schema: SchemaInfo, question: str) -> list[tuple]:
    result = answer(question, schema, today=TODAY)
    assert result.sql is not None, result.refusal
    assert result.confidence >= 0.75
    return run(path, result.sql)


def same_rows(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> list[tuple]:
    """The engine's rows for `question`, which must be those of the reference `sql` (in any order, and not
    none: a reference returning nothing would prove nothing)."""
    path, schema = demo
    got, want = engine_rows(path, schema, question), run(path, sql)
    assert want, "the reference query must return rows"
    assert sorted(got, key=repr) == sorted(want, key=repr)
    return got


def one_number(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    """The engine answers `question` with one row, the one the reference `sql` returns."""
    path, schema = demo
    got, want = engine_rows(path, schema, question), run(path, sql)
    assert len(got) == 1 and got == want


LINE = "ROUND(oi.quantity * oi.unit_price * (1 - oi.discount), 2)"
DEMO_CASES = [
    (
        "How many customers are there per country?",
        "SELECT country, COUNT(*) FROM customers GROUP BY country",
        False,
    ),
    (
        "What is the total revenue by category?",
        f"SELECT parent.name, SUM({LINE}) FROM order_items oi JOIN products p ON p.product_id = oi.product_id "
        "JOIN categories c ON c.category_id = p.category_id JOIN categories parent ON parent.category_id = c.parent_category_id "
        "GROUP BY parent.name",
        False,
    ),
    (
        "revenue by category in Germany",
        f"SELECT parent.name, SUM({LINE}) FROM order_items oi JOIN products p ON p.product_id = oi.product_id "
        "JOIN categories c ON c.category_id = p.category_id JOIN categories parent ON parent.category_id = c.parent_category_id "
        "JOIN orders o ON o.order_id = oi.order_id JOIN customers cu ON cu.customer_id = o.customer_id "
        "WHERE cu.country = 'Germany' GROUP BY parent.name",
        False,
    ),
    (
        "top 5 customers by sales last quarter",
        "SELECT c.first_name, c.last_name, SUM(o.total_amount) AS s FROM customers c "
        "JOIN orders o ON o.customer_id = c.customer_id "
        "WHERE o.order_date >= '2025-01-01' AND o.order_date < '2025-04-01' GROUP BY c.customer_id ORDER BY s DESC LIMIT 5",
        True,
    ),
    (
        "how many orders per month in 2024?",
        "SELECT substr(order_date, 1, 7) AS m, COUNT(*) FROM orders WHERE order_date LIKE '2024-%' GROUP BY m ORDER BY m",
        True,
    ),
    (
        "how many orders per month in 2025",
        "SELECT substr(order_date, 1, 7) AS m, COUNT(*) FROM orders WHERE order_date LIKE '2025-%' GROUP BY m ORDER BY m",
        True,
    ),
    (
        "average order total by country",
        "SELECT c.country, AVG(o.total_amount) FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
        "GROUP BY c.country",
        False,
    ),
    (
        "What is the average order total per quarter?",
        "SELECT substr(order_date, 1, 4) || '-Q' || ((CAST(substr(order_date, 6, 2) AS INTEGER) + 2) / 3) AS q, "
        "AVG(total_amount) FROM orders GROUP BY q ORDER BY q",
        True,
    ),
    (
        "How many orders were placed last month?",
        "SELECT COUNT(*) FROM orders WHERE order_date >= '2025-05-01' AND order_date < '2025-06-01'",
        False,
    ),
    (
        # "average order value" is also a column of the monthly view, which cannot say which store
        "Which store has the highest average order value?",
        "SELECT s.name FROM stores s JOIN orders o ON o.store_id = s.store_id GROUP BY s.store_id "
        "ORDER BY AVG(o.total_amount) DESC LIMIT 1",
        True,
    ),
    (
        "Which store has the highest revenue?",
        "SELECT s.name FROM stores s JOIN orders o ON o.store_id = s.store_id GROUP BY s.store_id "
        "ORDER BY SUM(o.total_amount) DESC LIMIT 1",
        True,
    ),
]


@pytest.mark.parametrize(("question", "expected", "ordered"), DEMO_CASES)
def test_demo_warehouse_headline_questions(demo: tuple[Path, SchemaInfo], question: str, expected: str, ordered: bool) -> None:
    path, schema = demo
    got, want = engine_rows(path, schema, question), run(path, expected)
    assert want, "the reference query must return rows"
    assert got == want if ordered else sorted(got, key=repr) == sorted(want, key=repr)


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        # the list price, not the unit cost or an order line's price: "expensive" is first of all a price
        ("What are the names of the top 3 expensive products?", "SELECT name FROM products ORDER BY unit_price DESC LIMIT 3"),
        ("Which products are the most expensive?", "SELECT name FROM products ORDER BY unit_price DESC LIMIT 1"),
        ("What are the 3 cheapest products?", "SELECT name FROM products ORDER BY unit_price ASC LIMIT 3"),
    ],
)
def test_expensive_products_are_ranked_by_their_list_price(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    path, schema = demo
    got, want = engine_rows(path, schema, question), run(path, sql)
    prices = dict(run(path, "SELECT name, unit_price FROM products"))
    # ties in price may list other products of the same price
    assert [prices[name] for (name,) in got] == [prices[name] for (name,) in want]


def test_which_product_sold_the_most(demo: tuple[Path, SchemaInfo]) -> None:
    path, schema = demo
    totals = run(
        path,
        "SELECT p.name, SUM(oi.quantity) AS units FROM products p JOIN order_items oi ON oi.product_id = p.product_id "
        "GROUP BY p.product_id ORDER BY units DESC",
    )
    best = {name for name, units in totals if units == totals[0][1]}
    assert len(got := engine_rows(path, schema, "Which product sold the most?")) == 1
    assert got[0][0] in best


def test_exact_column_name_beats_description_and_synonyms(demo: tuple[Path, SchemaInfo]) -> None:
    sql = answer("How many customers are there per country?", demo[1], today=TODAY).sql or ""
    assert "region_id" not in sql and "country" in sql


@pytest.mark.parametrize("dialect", ["postgres", "duckdb"])
def test_time_buckets_render_in_other_dialects(demo: tuple[Path, SchemaInfo], dialect: str) -> None:
    for question in ("how many orders per month in 2024?", "What is the average order total per quarter?"):
        result = answer(question, demo[1], dialect=dialect, today=TODAY)
        assert result.sql is not None and "strftime(" not in result.sql
        sqlglot.parse_one(result.sql, read=dialect)


def test_suggestions_are_natural_varied_and_answerable(demo: tuple[Path, SchemaInfo]) -> None:
    schema = demo[1]
    result = answer("What is the weather in Paris tomorrow?", schema, today=TODAY)
    assert result.sql is None and len(result.suggestions) == 3
    assert not any(" rows " in s or "_" in s for s in result.suggestions)
    assert len({s.split()[2] for s in result.suggestions}) > 1  # not three questions of one shape
    for suggestion in result.suggestions:
        assert answer(suggestion, schema, today=TODAY).sql is not None, suggestion


@pytest.mark.parametrize(
    "question",
    [
        "total revenue by weather",  # a breakdown by nothing in the data
        "top 5 customers by mood",
        "revenue by sales region and favourite colour",
        "how many people are there",  # customers or employees?
        "How many products are discontinued?",  # a synonym of is_active: yes or no?
    ],
)
def test_refuses_analytic_questions_it_cannot_ground(demo: tuple[Path, SchemaInfo], question: str) -> None:
    result = answer(question, demo[1], today=TODAY)
    assert result.sql is None and result.refusal


# --------------------------------------------------------------------- another domain, no dictionary

HR = """
CREATE TABLE departments (dept_id INTEGER PRIMARY KEY, dept_name TEXT, location TEXT);
CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, full_name TEXT, dept_id INTEGER REFERENCES departments(dept_id),
                    job_level TEXT, salary REAL, hired_on DATE);
CREATE TABLE timesheets (entry_id INTEGER PRIMARY KEY, staff_id INTEGER REFERENCES staff(staff_id),
                         work_date DATE, hours REAL, project TEXT);
INSERT INTO departments VALUES (1, 'Engineering', 'Berlin'), (2, 'Sales', 'Paris'), (3, 'Support', 'Berlin');
INSERT INTO staff VALUES
  (1, 'Ada Byron', 1, 'Senior', 9000, '2020-03-01'), (2, 'Alan Turing', 1, 'Junior', 5000, '2023-07-15'),
  (3, 'Grace Hopper', 2, 'Senior', 8000, '2019-01-10'), (4, 'Linus T', 3, 'Junior', 4000, '2024-02-01'),
  (5, 'Edsger D', 2, 'Junior', 4500, '2024-05-20');
INSERT INTO timesheets VALUES
  (1, 1, '2024-01-05', 8, 'Apollo'), (2, 1, '2024-02-06', 6, 'Zeus'), (3, 2, '2024-02-07', 7.5, 'Apollo'),
  (4, 3, '2024-03-01', 4, 'Zeus'), (5, 4, '2024-03-15', 9, 'Hermes'), (6, 2, '2024-04-02', 3, 'Apollo'),
  (7, 5, '2024-04-20', 5, 'Hermes'), (8, 1, '2024-04-25', 2, 'Zeus'), (9, 3, '2023-12-30', 10, 'Apollo');
"""
HR_TODAY = dt.date(2024, 5, 10)


@pytest.fixture(scope="module")
def hr(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SchemaInfo]:
    path = tmp_path_factory.mktemp("hr") / "hr.sqlite"
    connection = sqlite3.connect(path)
    connection.executescript(HR)
    connection.commit()
    connection.close()
    return path, introspect(path)


HR_CASES = [
    ("How many staff are there per location?", [("Berlin", 3), ("Paris", 2)], False),
    ("What is the total hours by project?", [("Apollo", 28.5), ("Hermes", 14.0), ("Zeus", 12.0)], False),
    ("average salary by job level", [("Junior", 4500.0), ("Senior", 8500.0)], False),
    ("top 2 staff by hours last month", [("Edsger D", 5.0), ("Alan Turing", 3.0)], True),
    ("Which staff has the most hours?", [("Ada Byron",)], True),
    ("how many timesheets per month in 2024", [("2024-01", 1), ("2024-02", 2), ("2024-03", 2), ("2024-04", 3)], True),
    ("hours by project in Q1 2024", [("Apollo", 15.5), ("Hermes", 9.0), ("Zeus", 10.0)], False),
    ("total hours per quarter", [("2023-Q4", 10.0), ("2024-Q1", 34.5), ("2024-Q2", 10.0)], True),
    # a table named as the breakdown is shown by its name, not by the key pointing at it
    ("How many timesheets are there per department?", [("Engineering", 5), ("Sales", 3), ("Support", 1)], False),
]


@pytest.mark.parametrize(("question", "expected", "ordered"), HR_CASES)
def test_same_shapes_on_an_unseen_hr_database(hr: tuple[Path, SchemaInfo], question: str, expected: list, ordered: bool) -> None:
    path, schema = hr
    result = answer(question, schema, today=HR_TODAY)
    assert result.sql is not None, result.refusal
    got = run(path, result.sql)
    assert got == expected if ordered else sorted(got, key=repr) == sorted(expected, key=repr)


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        ("Which payment method is used the most?", "SELECT method FROM payments GROUP BY method ORDER BY COUNT(*) DESC LIMIT 1"),
        (
            "List the 5 best selling products",
            "SELECT p.name FROM order_items oi JOIN products p ON p.product_id = oi.product_id "
            "GROUP BY p.product_id ORDER BY SUM(oi.quantity) DESC LIMIT 5",
        ),
    ],
)
def test_most_used_and_best_selling(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    path, schema = demo
    got, want = engine_rows(path, schema, question), run(path, sql)
    assert [row[0] for row in got] == [row[0] for row in want]


# --------------------------------------------------------------------- totals and counts compared (HAVING)

SALES_BY_CUSTOMER = (
    "SELECT c.first_name, c.last_name FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
    "GROUP BY c.customer_id HAVING SUM(o.total_amount) > {limit} ORDER BY SUM(o.total_amount) DESC"
)
ORDERS_2024 = "o.order_date >= '2024-01-01' AND o.order_date < '2025-01-01'"


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        ("customers with total sales over 3000", SALES_BY_CUSTOMER.format(limit=3000)),
        ("Which customers spent more than $3,000 in total?", SALES_BY_CUSTOMER.format(limit=3000)),
        ("customers whose total revenue exceeds 2.5k", SALES_BY_CUSTOMER.format(limit=2500)),
        (
            "countries with total sales over 20000",
            "SELECT c.country FROM orders o JOIN customers c ON c.customer_id = o.customer_id GROUP BY c.country "
            "HAVING SUM(o.total_amount) > 20000 ORDER BY SUM(o.total_amount) DESC",
        ),
        (
            "categories with average price above 100",
            "SELECT k.name FROM products p JOIN categories k ON k.category_id = p.category_id GROUP BY k.category_id "
            "HAVING AVG(p.unit_price) > 100 ORDER BY AVG(p.unit_price) DESC",
        ),
        (
            "products with a total quantity sold of at least 50",
            "SELECT p.name FROM order_items i JOIN products p ON p.product_id = i.product_id GROUP BY p.product_id "
            "HAVING SUM(i.quantity) >= 50 ORDER BY SUM(i.quantity) DESC",
        ),
        (
            "customers with more than 5 orders in 2024",
            "SELECT c.first_name, c.last_name FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
            f"WHERE {ORDERS_2024} GROUP BY c.customer_id HAVING COUNT(*) > 5 ORDER BY COUNT(*) DESC",
        ),
    ],
)
def test_groups_kept_by_their_total_or_count(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    """The listed things whose total (or count of rows) passes the bar — not every row over it, and
    without a column nobody asked for."""
    same_rows(demo, question, sql)


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        (
            "How many customers have more than 3 orders?",
            "SELECT COUNT(*) FROM (SELECT customer_id FROM orders GROUP BY customer_id HAVING COUNT(*) > 3)",
        ),
        (
            "how many customers placed more than 3 orders last year",
            f"SELECT COUNT(*) FROM (SELECT customer_id FROM orders o WHERE {ORDERS_2024} GROUP BY customer_id "
            "HAVING COUNT(*) > 3)",
        ),
        (
            "How many countries have total sales over 20000?",
            "SELECT COUNT(*) FROM (SELECT c.country FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
            "GROUP BY c.country HAVING SUM(o.total_amount) > 20000)",
        ),
        (
            "how many customers have fewer than 2 orders",  # those with none are counted too
            "SELECT COUNT(*) FROM customers c WHERE (SELECT COUNT(*) FROM orders o WHERE o.customer_id = c.customer_id) < 2",
        ),
    ],
)
def test_how_many_groups_pass_the_bar_is_one_number(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    one_number(demo, question, sql)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("departments with total salary over 10000", [("Engineering",), ("Sales",)]),
        ("projects with total hours of at least 14", [("Apollo",), ("Hermes",)]),
        ("staff with more than 2 timesheets", [("Ada Byron",)]),
        ("How many departments have an average salary above 6000?", [(2,)]),
        # "in total" makes "more than 13 hours" a sum per project, not timesheets of over 13 hours
        ("projects with more than 13 hours in total", [("Apollo",), ("Hermes",)]),
        ("staff with at least 10 hours in total last quarter", [("Ada Byron",)]),
        ("which department has the highest average salary", [("Engineering",)]),
    ],
)
def test_totals_compared_on_an_unseen_hr_database(hr: tuple[Path, SchemaInfo], question: str, expected: list) -> None:
    path, schema = hr
    result = answer(question, schema, today=HR_TODAY)
    assert result.sql is not None, result.refusal
    assert sorted(run(path, result.sql)) == expected


# --------------------------------------------------------------------- a verb names the date a window applies to

SIGNUPS_2024 = "signup_date >= '2024-01-01' AND signup_date < '2025-01-01'"


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        # customers have a birth date and a signup date: "signed up" says which one
        ("How many customers signed up in 2024?", f"SELECT COUNT(*) FROM customers WHERE {SIGNUPS_2024}"),
        (
            "number of customers who signed up per month in 2024",
            f"SELECT strftime('%Y-%m', signup_date), COUNT(*) FROM customers WHERE {SIGNUPS_2024} GROUP BY 1 ORDER BY 1",
        ),
        ("Show the email of customers who signed up in 2024", f"SELECT email FROM customers WHERE {SIGNUPS_2024}"),
        (
            "List the email of customers who signed up between 2023 and 2024",
            "SELECT email FROM customers WHERE signup_date >= '2023-01-01' AND signup_date < '2025-01-01'",
        ),
        (
            "How many customers were born in 1990?",
            "SELECT COUNT(*) FROM customers WHERE birth_date >= '1990-01-01' AND birth_date < '1991-01-01'",
        ),
        (
            "How many products were launched in 2024?",
            "SELECT COUNT(*) FROM products WHERE launched_on >= '2024-01-01' AND launched_on < '2025-01-01'",
        ),
    ],
)
def test_the_verb_before_a_window_picks_the_date(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    same_rows(demo, question, sql)


def test_a_verb_naming_no_date_is_not_read_as_another_date(demo: tuple[Path, SchemaInfo]) -> None:
    """Nothing records when a customer churned: the window must not silently apply to the birth date."""
    result = answer("How many customers churned in 2024?", demo[1], today=TODAY)
    assert result.sql is None or "birth_date" not in result.sql


# --------------------------------------------------------------------- listing rows by amount and calendar windows

MAY_2025 = "order_date >= '2025-05-01' AND order_date < '2025-06-01'"
YESTERDAY = "order_date >= '2025-06-14' AND order_date < '2025-06-15'"
Q1_2025 = "order_date >= '2025-01-01' AND order_date < '2025-04-01'"


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        # an order has no name: its rows are shown whole
        ("orders in the last 7 days", "SELECT * FROM orders WHERE order_date >= '2025-06-08' AND order_date < '2025-06-16'"),
        ("List the orders placed yesterday", f"SELECT * FROM orders WHERE {YESTERDAY}"),
        # "over 1000" after orders is the order's one amount; "in May 2025" a calendar month
        ("Show orders over 1000 placed in May 2025", f"SELECT * FROM orders WHERE total_amount > 1000 AND {MAY_2025}"),
        ("orders with a total amount over 1000", "SELECT * FROM orders WHERE total_amount > 1000"),
        ("show payments in Q1 2025", "SELECT * FROM payments WHERE paid_at >= '2025-01-01' AND paid_at < '2025-04-01'"),
        # "month" is also a column of the monthly view; here it is the unit of the window
        ("orders last month", f"SELECT * FROM orders WHERE {MAY_2025}"),
        (
            "customers who signed up last month",
            "SELECT first_name, last_name FROM customers WHERE signup_date >= '2025-05-01' AND signup_date < '2025-06-01'",
        ),
        ("list orders placed last quarter", f"SELECT * FROM orders WHERE {Q1_2025}"),
        (
            "customers who signed up in March 2024",
            "SELECT first_name, last_name FROM customers WHERE signup_date >= '2024-03-01' AND signup_date < '2024-04-01'",
        ),
        # "cheaper" names the price it compares, not the product's name
        ("products cheaper than 10", "SELECT name FROM products WHERE unit_price < 10"),
        ("What was the revenue yesterday?", f"SELECT SUM(total_amount) FROM orders WHERE {YESTERDAY}"),
    ],
)
def test_rows_listed_by_amount_and_calendar_window(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    same_rows(demo, question, sql)


@pytest.mark.parametrize("question", ["price by category", "price in 2024"])
def test_prices_are_not_added_up(demo: tuple[Path, SchemaInfo], question: str) -> None:
    """A unit price is not an amount: summing it per category means nothing, so the engine asks which figure."""
    result = answer(question, demo[1], today=TODAY)
    assert result.sql is None and "add up" in (result.refusal or "")


@pytest.mark.parametrize("question", ["Which products have never been ordered?", "products that were never ordered"])
def test_never_ordered_products_are_those_on_no_order_line(demo: tuple[Path, SchemaInfo], question: str) -> None:
    # "ordered" names orders and order_items; only the order lines refer to products
    path, schema = demo
    got = engine_rows(path, schema, question)
    want = run(path, "SELECT name FROM products WHERE product_id NOT IN (SELECT product_id FROM order_items)")
    assert want and sorted(got) == sorted(want)


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        # "active" names the yes/no column is_active; "inactive" asks for its other value
        ("How many active customers do we have?", "SELECT COUNT(*) FROM customers WHERE is_active = 1"),
        ("number of inactive customers", "SELECT COUNT(*) FROM customers WHERE is_active = 0"),
        (
            "how many active products per category",
            "SELECT k.name, COUNT(*) FROM products p JOIN categories k ON k.category_id = p.category_id "
            "WHERE p.is_active = 1 GROUP BY k.category_id",
        ),
    ],
)
def test_an_adjective_naming_a_yes_no_column_filters_by_it(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    same_rows(demo, question, sql)


def test_top_customers_without_a_measure_are_ranked_by_revenue_and_say_so(demo: tuple[Path, SchemaInfo]) -> None:
    path, schema = demo
    result = answer("Who are our top 10 customers?", schema, today=TODAY)
    assert result.sql is not None, result.refusal
    assert any("ranked by revenue" in line for line in result.reasoning)
    assert result.confidence < answer("top 10 customers by revenue", schema, today=TODAY).confidence
    assert run(path, result.sql) == run(path, answer("top 10 customers by revenue", schema, today=TODAY).sql or "")


# --------------------------------------------------------------------- robustness

EVERYDAY = [
    "How many orders were shipped?",
    "Which customers spent more than $3,000 in total last year?",
    "How many customers signed up per month in 2024?",
    "Show orders over 1000 placed in May 2025",
    "top 5 products by revenue in Q1 2025",
    "How many customers have fewer than 2 orders?",
    "Which products have never been ordered?",
    "average salary by job title for employees hired after 2020",
    "number of active customers by country",
    "orders by channel yesterday",
    "how many new customers signed up last month",
    "average revenue per customer in 2024",
    "names of products that are not active",
]


@pytest.mark.parametrize("question", EVERYDAY)
def test_every_prefix_of_a_question_is_answered_or_refused(demo: tuple[Path, SchemaInfo], question: str) -> None:
    """A half-typed question ("how many customers signed") reaches every reader with a word missing: each
    prefix must come back as SQL that runs or as a refusal, never as an exception."""
    path, schema = demo
    words = question.split()
    for end in range(1, len(words) + 1):
        prefix = " ".join(words[:end])
        result = _answer(prefix, schema, "sqlite", TODAY)  # the readers themselves, not the fail-closed wrapper
        assert (result.sql is None) != (result.refusal is None), prefix
        if result.sql is not None:
            run(path, result.sql)


def test_the_engine_fails_closed(demo: tuple[Path, SchemaInfo], monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault inside a reader is a refusal for the user, not an error in their request."""
    import assistant.nl2sql.engine as engine

    def broken(*args: object, **kwargs: object) -> None:
        raise IndexError("a reader's bug")

    monkeypatch.setattr(engine.analytics, "interpret", broken)
    result = engine.answer("How many customers are there?", demo[1], today=TODAY)
    assert result.sql is None and result.refusal and "rephrase" in result.refusal


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        ("orders by channel", "SELECT channel, COUNT(*) FROM orders GROUP BY channel"),
        (
            "employees hired in 2023 by store",
            "SELECT s.name, COUNT(*) FROM employees e JOIN stores s ON s.store_id = e.store_id "
            "WHERE e.hire_date >= '2023-01-01' AND e.hire_date < '2024-01-01' GROUP BY s.store_id",
        ),
        ("How many orders were shipped?", "SELECT COUNT(*) FROM orders WHERE status = 'shipped'"),
        # "cancelled" is a status here, not the verb of a date
        (
            "how many orders were cancelled last month",
            "SELECT COUNT(*) FROM orders WHERE status = 'cancelled' AND order_date >= '2025-05-01' "
            "AND order_date < '2025-06-01'",
        ),
        (
            "how many products does each category have",
            "SELECT k.name, COUNT(*) FROM products p JOIN categories k ON k.category_id = p.category_id GROUP BY k.category_id",
        ),
    ],
)
def test_a_table_broken_down_is_counted(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    same_rows(demo, question, sql)


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        # an employee with 30 orders counts once in the average, not 30 times
        (
            "average salary of employees who have orders",
            "SELECT AVG(salary) FROM employees WHERE employee_id IN (SELECT employee_id FROM orders)",
        ),
        (
            "total salary of employees who have orders",
            "SELECT SUM(salary) FROM employees WHERE employee_id IN (SELECT employee_id FROM orders)",
        ),
    ],
)
def test_rows_restricted_by_a_join_are_totalled_once(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    path, schema = demo
    got, want = engine_rows(path, schema, question), run(path, sql)
    weighted = run(path, "SELECT AVG(e.salary) FROM employees e JOIN orders o ON o.employee_id = e.employee_id")
    assert want != weighted, "the data must tell the weighted answer apart"
    assert got == want


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        (
            "number of orders and total revenue by channel",
            "SELECT channel, COUNT(*), SUM(total_amount) FROM orders GROUP BY channel",
        ),
        (
            "revenue and number of orders per month in 2025",
            "SELECT strftime('%Y-%m', order_date), SUM(total_amount), COUNT(*) FROM orders "
            "WHERE order_date >= '2025-01-01' AND order_date < '2026-01-01' GROUP BY 1 ORDER BY 1",
        ),
        (
            "average price and number of products per category",
            "SELECT k.name, AVG(p.unit_price), COUNT(*) FROM products p JOIN categories k ON k.category_id = p.category_id "
            "GROUP BY k.category_id",
        ),
    ],
)
def test_several_figures_over_the_same_rows(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    same_rows(demo, question, sql)


def test_figures_over_different_rows_are_refused(demo: tuple[Path, SchemaInfo]) -> None:
    """Orders and customers counted per country are two different row sets: no single grouping gives both."""
    result = answer("how many orders and how many customers by country", demo[1], today=TODAY)
    assert result.sql is None and result.refusal


# --------------------------------------------------------------------- shares


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        (
            "What share of orders were online?",
            "SELECT ROUND(100.0 * SUM(channel = 'online') / COUNT(*), 1) FROM orders",
        ),
        (
            "percentage of orders cancelled in 2024",
            "SELECT ROUND(100.0 * SUM(status = 'cancelled') / COUNT(*), 1) FROM orders "
            "WHERE order_date >= '2024-01-01' AND order_date < '2025-01-01'",
        ),
        ("What percentage of customers are active?", "SELECT ROUND(100.0 * SUM(is_active) / COUNT(*), 1) FROM customers"),
        (
            "share of orders that were online by segment",  # a share within each group
            "SELECT c.segment, ROUND(100.0 * SUM(o.channel = 'online') / COUNT(*), 1) FROM orders o "
            "JOIN customers c ON c.customer_id = o.customer_id GROUP BY c.segment",
        ),
    ],
)
def test_the_share_of_rows_with_a_value(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    """The value is what is measured, not a filter: filtering first would make every share 100 %."""
    got = same_rows(demo, question, sql)
    assert any(0 < row[-1] < 100 for row in got)


SHOP = (
    "CREATE TABLE orders (order_id INTEGER PRIMARY KEY, channel TEXT, total DOUBLE);"
    "INSERT INTO orders VALUES (1, 'online', 10), (2, 'online', 20), (3, 'store', 5), (4, 'phone', 7);"
)


def test_a_share_runs_on_duckdb(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The percentage is rendered once, for SQLite, then moved to the source's dialect: here it runs on DuckDB."""
    duckdb = pytest.importorskip("duckdb")
    _, schema = database(tmp_path_factory, "nl2sql_shop_share", SHOP)
    result = answer("What share of orders were online?", schema, dialect="duckdb", today=TODAY)
    assert result.sql is not None, result.refusal
    connection = duckdb.connect()
    for statement in SHOP.split(";")[:-1]:
        connection.execute(statement)
    assert connection.execute(result.sql).fetchall() == [(50.0,)]


def test_a_refusal_names_each_doubt_once(demo: tuple[Path, SchemaInfo]) -> None:
    result = answer("revenue " * 300, demo[1], today=TODAY)
    assert result.sql is None and result.refusal
    assert len(result.refusal) < 1000


@pytest.mark.parametrize("question", ["customers with total sales under 100", "customers who spent less than 50 in total"])
def test_a_total_from_above_is_not_answered_without_the_rows_with_none(demo: tuple[Path, SchemaInfo], question: str) -> None:
    """Customers who bought nothing have total sales under 100 too: an answer read from the orders alone would
    silently leave them out, so the engine either includes them or refuses."""
    path, schema = demo
    result = answer(question, schema, today=TODAY)
    if result.sql is not None:
        never = run(path, "SELECT COUNT(*) FROM customers WHERE customer_id NOT IN (SELECT customer_id FROM orders)")[0][0]
        assert never and len(run(path, result.sql)) >= never


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        (
            "What is the average number of orders per customer?",
            "SELECT AVG(n) FROM (SELECT COUNT(*) AS n FROM orders WHERE customer_id IS NOT NULL GROUP BY customer_id)",
        ),
        (
            "average orders per customer in 2024",
            f"SELECT AVG(n) FROM (SELECT COUNT(*) AS n FROM orders o WHERE {ORDERS_2024} AND customer_id IS NOT NULL "
            "GROUP BY customer_id)",
        ),
        (
            "average number of employees per store",
            "SELECT AVG(n) FROM (SELECT COUNT(*) AS n FROM employees WHERE store_id IS NOT NULL GROUP BY store_id)",
        ),
    ],
)
def test_the_average_count_per_group_is_one_number(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    """The count per group averaged over the groups that have rows — not an average of some count column
    grouped by another count column (v_monthly_sales has order_count and customer_count)."""
    one_number(demo, question, sql)


def test_a_count_column_is_never_the_group_of_per(demo: tuple[Path, SchemaInfo]) -> None:
    result = answer("orders per customer", demo[1], today=TODAY)
    assert result.sql is not None and "customer_count" not in result.sql


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        ("How many customers have orders?", "SELECT COUNT(DISTINCT customer_id) FROM orders"),
        ("how many stores have any employees", "SELECT COUNT(DISTINCT store_id) FROM employees"),
    ],
)
def test_how_many_have_related_rows_counts_each_once(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    one_number(demo, question, sql)


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        (
            "which customer ordered most recently",
            "SELECT c.first_name, c.last_name FROM customers c JOIN orders o ON o.customer_id = c.customer_id "
            "WHERE o.order_date = (SELECT MAX(order_date) FROM orders WHERE customer_id IS NOT NULL)",
        ),
        (
            "the employee who was hired most recently",
            "SELECT first_name, last_name FROM employees WHERE hire_date = (SELECT MAX(hire_date) FROM employees)",
        ),
    ],
)
def test_who_did_it_most_recently(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    """Ranked by the date the verb names — the orders' order_date, not a view's copy of it — among the rows
    that belong to someone."""
    same_rows(demo, question, sql)


def test_all_stores_and_their_cities_names_each_store(demo: tuple[Path, SchemaInfo]) -> None:
    """The stores are listed, each by its name with its city — not the distinct cities (which a lone city
    column would be)."""
    same_rows(demo, "list all stores and their cities", "SELECT name, city FROM stores")


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        ("What is the average price of active products?", "SELECT ROUND(AVG(unit_price), 2) FROM products WHERE is_active = 1"),
        ("How many customers are not active?", "SELECT COUNT(*) FROM customers WHERE is_active = 0"),
    ],
)
def test_a_yes_no_column_named_as_a_quality_is_a_condition(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    """products.is_active is a BOOLEAN: "active products" keeps the rows where it holds, "not active" the others —
    one number over them, not one row per product name."""
    one_number(demo, question, sql)


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        (
            "average revenue per customer",
            "SELECT ROUND(AVG(total), 2) FROM (SELECT SUM(total_amount) AS total FROM orders WHERE customer_id IS NOT NULL "
            "GROUP BY customer_id)",
        ),
        (
            "What was the average revenue per store in 2024?",
            f"SELECT ROUND(AVG(total), 2) FROM (SELECT SUM(total_amount) AS total FROM orders o WHERE {ORDERS_2024} "
            "AND store_id IS NOT NULL GROUP BY store_id)",
        ),
    ],
)
def test_the_average_total_per_group_is_one_number(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    """Revenue is a total: per customer it is the sum of their orders, and the average is over those sums —
    not one average order amount per customer."""
    one_number(demo, question, sql)


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        (
            "how many new customers last month",
            "SELECT COUNT(*) FROM customers WHERE signup_date >= '2025-05-01' AND signup_date < '2025-06-01'",
        ),
        (
            "new customers by month in 2024",
            "SELECT strftime('%Y-%m', signup_date), COUNT(*) FROM customers "
            "WHERE signup_date >= '2024-01-01' AND signup_date < '2025-01-01' GROUP BY 1",
        ),
    ],
)
def test_new_rows_are_those_that_began_in_the_period(demo: tuple[Path, SchemaInfo], question: str, sql: str) -> None:
    """ "New customers" in a period are the customers whose own date (the sign-up) falls in it."""
    same_rows(demo, question, sql)


@pytest.mark.parametrize("question", ["how many new customers", "revenue from new customers last month"])
def test_new_rows_without_their_own_period_are_refused(demo: tuple[Path, SchemaInfo], question: str) -> None:
    """Without a period, or with one that applies to other rows (the orders' date), "new" is not guessed at."""
    assert answer(question, demo[1], today=TODAY).sql is None


def test_an_average_per_group_is_headed_average(demo: tuple[Path, SchemaInfo]) -> None:
    """The one figure is shown under the heading "average", not the inner query's "AVG(figure)"."""
    path, schema = demo
    result = answer("average revenue per customer", schema, today=TODAY)
    assert result.sql is not None
    connection = sqlite3.connect(path)
    try:
        cursor = connection.execute(result.sql)
        assert [column[0] for column in cursor.description] == ["average"]
    finally:
        connection.close()


def test_which_rows_use_the_most_common_value(demo: tuple[Path, SchemaInfo]) -> None:
    """ "Which customers use the most common payment method" asks for customers (each once), not the method."""
    same_rows(
        demo,
        "Which customers use the most common payment method?",
        "SELECT DISTINCT c.first_name, c.last_name FROM customers c JOIN orders o ON o.customer_id = c.customer_id "
        "JOIN payments p ON p.order_id = o.order_id WHERE p.method = "
        "(SELECT method FROM payments GROUP BY method ORDER BY COUNT(*) DESC LIMIT 1)",
    )
