"""The built-in engine, judged by what its SQL returns on a small shop database, and by its refusals."""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
from pathlib import Path

import pytest
from django.core.management import call_command

from assistant.nl2sql.engine import Result, answer
from assistant.nl2sql.introspect_sqlite import introspect
from assistant.nl2sql.plan import quote_identifier, quote_literal
from assistant.nl2sql.schema import SchemaInfo

TODAY = dt.date(2024, 4, 10)

SHOP = """
CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, name TEXT, country TEXT, city TEXT, email TEXT);
CREATE TABLE products (product_id INTEGER PRIMARY KEY, name TEXT, category TEXT, price REAL);
CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(customer_id),
                     order_date DATE, amount REAL, status TEXT);
CREATE TABLE order_items (order_id INTEGER REFERENCES orders(order_id),
                          product_id INTEGER REFERENCES products(product_id), quantity INTEGER);
CREATE TABLE "order notes" ("note id" INTEGER PRIMARY KEY, "order" INTEGER REFERENCES orders(order_id), "text" TEXT);
INSERT INTO customers VALUES
  (1, 'Anna Schmidt', 'Germany', 'Berlin', 'anna@example.com'),
  (2, 'Jonas Weber', 'Germany', 'Munich', 'jonas@example.com'),
  (3, 'Marie Dubois', 'France', 'Paris', 'marie@example.com'),
  (4, 'John Smith', 'USA', 'Boston', 'john@example.com'),
  (5, 'Lena Rossi', 'Italy', 'Rome', 'lena@example.com');
INSERT INTO products VALUES
  (1, 'Laptop', 'Electronics', 1200), (2, 'Mouse', 'Electronics', 25), (3, 'Desk', 'Furniture', 300),
  (4, 'Chair', 'Furniture', 150), (5, 'Pen', 'Office', 2);
INSERT INTO orders VALUES
  (1, 1, '2024-01-15', 1225, 'shipped'), (2, 1, '2024-03-02', 300, 'shipped'), (3, 2, '2024-03-20', 2, 'cancelled'),
  (4, 3, '2023-11-05', 150, 'shipped'), (5, 4, '2024-02-10', 1200, 'pending'), (6, 1, '2024-02-28', 25, 'shipped');
INSERT INTO order_items VALUES (1, 1, 1), (1, 2, 1), (2, 3, 1), (3, 5, 1), (4, 4, 1), (5, 1, 1), (6, 2, 1);
INSERT INTO "order notes" VALUES (1, 1, 'gift wrap'), (2, 5, 'leave at door');
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("nl2sql") / "shop.sqlite"
    connection = sqlite3.connect(path)
    connection.executescript(SHOP)
    connection.commit()
    connection.close()
    return path


@pytest.fixture(scope="module")
def schema(shop: Path) -> SchemaInfo:
    info = introspect(shop)
    customers = info.table("customers")
    assert customers is not None
    email = customers.column("email")
    assert email is not None
    email.pii = True
    return info


def ask(schema: SchemaInfo, question: str) -> Result:
    return answer(question, schema, today=TODAY)


def rows(shop: Path, question: str, schema: SchemaInfo) -> list[tuple[object, ...]]:
    """Answer `question` and run the SQL; the test fails with the refusal if there was one."""
    result = ask(schema, question)
    assert result.sql is not None, result.refusal
    assert result.confidence > 0
    connection = sqlite3.connect(shop)
    try:
        return connection.execute(result.sql).fetchall()
    finally:
        connection.close()


def as_set(result: list[tuple[object, ...]]) -> set[tuple[object, ...]]:
    return set(result)


# ------------------------------------------------------------------------- shapes


def test_count(shop: Path, schema: SchemaInfo) -> None:
    assert rows(shop, "How many customers are there?", schema) == [(5,)]


def test_count_with_value_filter_links_the_value_to_its_column(shop: Path, schema: SchemaInfo) -> None:
    assert rows(shop, "How many customers are in Germany?", schema) == [(2,)]


def test_value_linking_ignores_case(shop: Path, schema: SchemaInfo) -> None:
    assert rows(shop, "How many customers are in germany?", schema) == [(2,)]


def test_sum(shop: Path, schema: SchemaInfo) -> None:
    assert rows(shop, "What is the total amount of orders?", schema) == [(2902.0,)]


def test_average(shop: Path, schema: SchemaInfo) -> None:
    assert rows(shop, "What is the average price of products?", schema) == [(335.4,)]


def test_min_and_max(shop: Path, schema: SchemaInfo) -> None:
    assert rows(shop, "What is the maximum price of products?", schema) == [(1200.0,)]
    assert rows(shop, "What is the minimum price of products?", schema) == [(2.0,)]


def test_group_by(shop: Path, schema: SchemaInfo) -> None:
    result = rows(shop, "How many customers are there in each country?", schema)
    assert as_set(result) == {("France", 1), ("Germany", 2), ("Italy", 1), ("USA", 1)}


def test_order_by(shop: Path, schema: SchemaInfo) -> None:
    result = rows(shop, "List the names of products sorted by price in descending order.", schema)
    assert result == [("Laptop",), ("Desk",), ("Chair",), ("Mouse",), ("Pen",)]


def test_top_n(shop: Path, schema: SchemaInfo) -> None:
    assert rows(shop, "Show the names of the top 3 products by price.", schema) == [("Laptop",), ("Desk",), ("Chair",)]


def test_numeric_comparison(shop: Path, schema: SchemaInfo) -> None:
    result = rows(shop, "Which products have a price greater than 100?", schema)
    assert as_set(result) == {("Laptop",), ("Desk",), ("Chair",)}


def test_range(shop: Path, schema: SchemaInfo) -> None:
    result = rows(shop, "List the names of products with price between 10 and 500.", schema)
    assert as_set(result) == {("Mouse",), ("Desk",), ("Chair",)}


def test_year_window_on_a_date_column(shop: Path, schema: SchemaInfo) -> None:
    assert rows(shop, "How many orders were placed in 2024?", schema) == [(5,)]


def test_last_month_is_relative_to_today(shop: Path, schema: SchemaInfo) -> None:
    assert rows(shop, "What is the total amount of orders last month?", schema) == [(302.0,)]


def test_by_month_buckets(shop: Path, schema: SchemaInfo) -> None:
    result = rows(shop, "Show the total amount of orders by month.", schema)
    assert result == [("2023-11", 150.0), ("2024-01", 1225.0), ("2024-02", 1225.0), ("2024-03", 302.0)]


def test_distinct(shop: Path, schema: SchemaInfo) -> None:
    result = rows(shop, "What are the different categories of products?", schema)
    assert sorted(result) == [("Electronics",), ("Furniture",), ("Office",)]


def test_having_count_over_a_join(shop: Path, schema: SchemaInfo) -> None:
    assert rows(shop, "Which customers have more than 2 orders?", schema) == [("Anna Schmidt",)]


def test_nested_average(shop: Path, schema: SchemaInfo) -> None:
    assert rows(shop, "Which products have a price above the average price?", schema) == [("Laptop",)]


def test_superlative_on_a_column(shop: Path, schema: SchemaInfo) -> None:
    assert rows(shop, "Which product has the highest price?", schema) == [("Laptop",)]


def test_superlative_on_a_count(shop: Path, schema: SchemaInfo) -> None:
    assert rows(shop, "Which customer has the most orders?", schema) == [("Anna Schmidt",)]


def test_join_along_a_foreign_key(shop: Path, schema: SchemaInfo) -> None:
    result = rows(shop, "What are the amounts of orders of customers in Germany?", schema)
    assert sorted(result) == [(2.0,), (25.0,), (300.0,), (1225.0,)]


def test_rows_without_related_rows(shop: Path, schema: SchemaInfo) -> None:
    assert rows(shop, "What are the names of customers who have no orders?", schema) == [("Lena Rossi",)]


def test_identifiers_that_need_quoting(shop: Path, schema: SchemaInfo) -> None:
    assert rows(shop, "How many order notes are there?", schema) == [(2,)]


# ----------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "question",
    [
        "delete all customers",
        "Drop the orders table",
        "update products set price to 0",
        "asdf qwer zxcv",
        "What is the weather in Paris tomorrow?",
        "",
    ],
)
def test_refuses_rather_than_guesses(schema: SchemaInfo, question: str) -> None:
    result = ask(schema, question)
    assert result.sql is None
    assert result.refusal
    assert result.confidence < 0.75


def test_refusal_offers_questions_it_can_answer(schema: SchemaInfo) -> None:
    result = ask(schema, "What is the weather in Paris tomorrow?")
    assert result.suggestions
    assert all(isinstance(suggestion, str) and suggestion.endswith("?") for suggestion in result.suggestions)


def test_ambiguous_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "two.sqlite"
    connection = sqlite3.connect(path)
    connection.executescript(
        "CREATE TABLE a (id INTEGER PRIMARY KEY, label TEXT, size INTEGER);"
        "CREATE TABLE b (id INTEGER PRIMARY KEY, label TEXT, size INTEGER);"
        "INSERT INTO a VALUES (1, 'x', 3); INSERT INTO b VALUES (1, 'y', 4);"
    )
    connection.close()
    result = answer("What is the average size?", introspect(path))
    assert result.sql is None


def test_pii_values_never_reach_the_reasoning(schema: SchemaInfo) -> None:
    result = ask(schema, "What is the name of the customer with email anna@example.com?")
    text = json.dumps([result.reasoning, result.mappings, result.suggestions, result.refusal])
    assert "anna@example.com" not in text


# ------------------------------------------------------------------- SQL building


def test_literals_are_data_and_identifiers_are_quoted() -> None:
    assert quote_literal("O'Brien'; DROP TABLE x; --") == "'O''Brien''; DROP TABLE x; --'"
    assert quote_literal(3) == "3"
    assert quote_identifier("order notes") == '"order notes"'
    assert quote_identifier("order") == '"order"'
    assert quote_identifier("amount") == "amount"


def test_value_with_a_quote_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "quotes.sqlite"
    connection = sqlite3.connect(path)
    connection.executescript(
        "CREATE TABLE pubs (id INTEGER PRIMARY KEY, name TEXT, city TEXT);"
        "INSERT INTO pubs VALUES (1, 'O''Neill''s', 'Dublin'), (2, 'The Crown', 'London');"
    )
    connection.close()
    result = answer("Which city is O'Neill's in?", introspect(path))
    if result.sql is not None:
        connection = sqlite3.connect(path)
        assert connection.execute(result.sql).fetchall() == [("Dublin",)]
        connection.close()


def test_other_dialects_via_sqlglot(schema: SchemaInfo) -> None:
    result = answer("How many customers are in Germany?", schema, dialect="postgres")
    assert result.sql == "SELECT COUNT(*) FROM customers WHERE country = 'Germany'"


# ------------------------------------------------------------------------ command


def test_ask_jsonl_answers_one_line_per_question(shop: Path) -> None:
    lines = [
        {"db_path": str(shop), "question": "How many products are there?"},
        {"db_path": str(shop), "question": "delete all customers"},
        {"db_path": str(shop), "question": "What is the average price of products?"},
    ]
    stdin = io.StringIO("".join(json.dumps(line) + "\n" for line in lines))
    stdout = io.StringIO()
    call_command("ask", "--jsonl", stdin=stdin, stdout=stdout)
    replies = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert len(replies) == 3
    connection = sqlite3.connect(shop)
    assert connection.execute(replies[0]["sql"]).fetchall() == [(5,)]
    assert "refusal" in replies[1] and "sql" not in replies[1]
    assert connection.execute(replies[2]["sql"]).fetchall() == [(335.4,)]
    connection.close()


def test_ask_prints_sql_reasoning_and_confidence(shop: Path) -> None:
    stdout = io.StringIO()
    call_command("ask", "How many customers are in Germany?", db=str(shop), stdout=stdout)
    output = stdout.getvalue()
    assert "SELECT COUNT(*) FROM customers WHERE country = 'Germany'" in output
    assert "confidence" in output


def test_large_schema_keeps_a_small_relevant_context() -> None:
    """Hundreds of tables: BM25 narrows the context, and the answer is still the right table."""
    from assistant.nl2sql.schema import Column, Table

    tables = [
        Table(f"module_{i}_records", [Column("record_id", "INTEGER", primary_key=True), Column(f"metric_{i}", "REAL")])
        for i in range(300)
    ]
    tables.append(
        Table(
            "invoices", [Column("invoice_id", "INTEGER", primary_key=True), Column("total_due", "REAL"), Column("region", "TEXT")]
        )
    )
    result = answer("What is the average total due of invoices?", SchemaInfo(tables=tables))
    assert result.sql == "SELECT AVG(total_due) FROM invoices"
    assert any("context narrowed" in step for step in result.reasoning)
