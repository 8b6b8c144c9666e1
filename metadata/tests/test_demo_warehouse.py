"""The demo retail warehouse: consistent, deterministic, fully described by its data dictionary."""
from __future__ import annotations

import hashlib
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from metadata.demo_warehouse import DEFAULT_FILENAME, DICTIONARY, generate

END = date(2025, 6, 30)
ORDERS = 3000
ALLOWED_TAGS = {"PK", "FK", "PII", "metric", "dimension", "time", "id", "category"}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("demo") / DEFAULT_FILENAME
    counts = generate(path, seed=7, orders=ORDERS, end_date=END)
    return path, counts


@pytest.fixture
def db(warehouse):
    conn = sqlite3.connect(warehouse[0])
    yield conn
    conn.close()


def _objects(conn: sqlite3.Connection) -> dict[str, str]:
    rows = conn.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
                        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").fetchall()
    return dict(rows)


def _dump_hash(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        digest = hashlib.sha256()
        for name, kind in sorted(_objects(conn).items()):
            if kind != "table":
                continue
            pk = [r[1] for r in conn.execute(f"PRAGMA table_info({name})") if r[5]]
            for row in conn.execute(f"SELECT * FROM {name} ORDER BY {', '.join(pk)}"):
                digest.update(repr((name, row)).encode())
        return digest.hexdigest()
    finally:
        conn.close()


def test_counts_match_file_and_sizes_are_realistic(warehouse, db):
    _path, counts = warehouse
    tables = {n for n, k in _objects(db).items() if k == "table"}
    assert set(counts) == tables
    for table, n in counts.items():
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == n
    assert counts["orders"] == ORDERS
    assert counts["customers"] == 5000
    assert 35 <= counts["stores"] <= 45
    assert 250 <= counts["employees"] <= 350
    assert 25 <= counts["categories"] <= 35
    assert 500 <= counts["products"] <= 700
    assert counts["order_items"] > counts["orders"]
    assert 0.03 <= counts["returns"] / counts["order_items"] <= 0.07


def test_schema_declares_keys_and_views(db):
    objects = _objects(db)
    assert {"v_monthly_sales", "v_order_lines"} <= {n for n, k in objects.items() if k == "view"}
    for table in ("customers", "stores", "employees", "categories", "products", "orders", "order_items", "payments",
                  "returns"):
        assert db.execute(f"PRAGMA foreign_key_list({table})").fetchall(), table
    for name, kind in objects.items():
        if kind == "table":
            assert any(r[5] for r in db.execute(f"PRAGMA table_info({name})")), f"{name} has no primary key"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchone()[0] >= 2
    for view in ("v_monthly_sales", "v_order_lines"):
        assert db.execute(f"SELECT COUNT(*) FROM {view}").fetchone()[0] > 0


def test_money_is_consistent(db):
    bad_totals = db.execute("""
        SELECT COUNT(*) FROM orders o
        JOIN (SELECT order_id, SUM(quantity * unit_price * (1 - discount)) AS lines
              FROM order_items GROUP BY order_id) i ON i.order_id = o.order_id
        WHERE ABS(o.total_amount - (i.lines + o.shipping_cost)) > 0.01""").fetchone()[0]
    assert bad_totals == 0
    assert db.execute("SELECT COUNT(*) FROM orders WHERE order_id NOT IN (SELECT order_id FROM order_items)"
                      ).fetchone()[0] == 0
    overpaid = db.execute("""
        SELECT COUNT(*) FROM orders o JOIN (SELECT order_id, SUM(amount) AS paid FROM payments GROUP BY order_id) p
        ON p.order_id = o.order_id WHERE p.paid > o.total_amount + 0.005""").fetchone()[0]
    assert overpaid == 0
    assert db.execute("""SELECT COUNT(*) FROM payments p JOIN orders o ON o.order_id = p.order_id
                         WHERE o.status = 'cancelled' AND p.status = 'completed'""").fetchone()[0] == 0
    assert db.execute("""SELECT COUNT(*) FROM orders o WHERE o.status IN ('completed', 'shipped')
                         AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.order_id)""").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM payments WHERE (method = 'credit_card') <> (card_last4 IS NOT NULL)"
                      ).fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM products WHERE unit_cost >= unit_price").fetchone()[0] == 0
    assert db.execute("""SELECT COUNT(*) FROM returns r JOIN order_items oi ON oi.order_item_id = r.order_item_id
                         WHERE r.refund_amount > oi.quantity * oi.unit_price * (1 - oi.discount) + 0.01"""
                      ).fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM orders WHERE channel = 'in_store' AND store_id IS NULL").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM orders WHERE channel <> 'in_store' AND store_id IS NOT NULL"
                      ).fetchone()[0] == 0


def test_dates_are_consistent_and_span_the_window(db):
    first, last = db.execute("SELECT MIN(order_date), MAX(order_date) FROM orders").fetchone()
    assert len(first) == 19 and first[10] == " "  # 'YYYY-MM-DD HH:MM:SS'
    assert date.fromisoformat(last[:10]) == END
    first_day = date.fromisoformat(first[:10])
    assert first_day >= date(2023, 4, 1)
    assert (END.year - first_day.year) * 12 + END.month - first_day.month >= 24
    checks = {
        "order before signup": """SELECT COUNT(*) FROM orders o JOIN customers c ON c.customer_id = o.customer_id
                                  WHERE date(o.order_date) <= c.signup_date""",
        "sold before launch": """SELECT COUNT(*) FROM order_items oi JOIN orders o ON o.order_id = oi.order_id
                                 JOIN products p ON p.product_id = oi.product_id
                                 WHERE date(o.order_date) <= p.launched_on""",
        "return before order": """SELECT COUNT(*) FROM returns r
                                  JOIN order_items oi ON oi.order_item_id = r.order_item_id
                                  JOIN orders o ON o.order_id = oi.order_id
                                  WHERE r.returned_at <= o.order_date OR date(r.returned_at) > :end""",
        "return of undelivered order": """SELECT COUNT(*) FROM returns r
                                  JOIN order_items oi ON oi.order_item_id = r.order_item_id
                                  JOIN orders o ON o.order_id = oi.order_id
                                  WHERE o.status NOT IN ('completed', 'returned')""",
        "sale before store opened": """SELECT COUNT(*) FROM orders o JOIN stores s ON s.store_id = o.store_id
                                       WHERE date(o.order_date) < s.opened_on""",
        "served before hired": """SELECT COUNT(*) FROM orders o JOIN employees e ON e.employee_id = o.employee_id
                                  WHERE date(o.order_date) < e.hire_date OR e.store_id <> o.store_id""",
        "paid before ordered": """SELECT COUNT(*) FROM payments p JOIN orders o ON o.order_id = p.order_id
                                  WHERE p.paid_at < o.order_date""",
        "born after signup": "SELECT COUNT(*) FROM customers WHERE birth_date >= signup_date",
        "future order": "SELECT COUNT(*) FROM orders WHERE date(order_date) > :end",
    }
    for label, sql in checks.items():
        assert db.execute(sql, {"end": END.isoformat()}).fetchone()[0] == 0, label


def test_data_looks_like_a_retailer(db):
    # Nov/Dec peak above the yearly average (2024 is a full year inside the window).
    monthly = dict(db.execute("SELECT month, total_revenue FROM v_monthly_sales WHERE month LIKE '2024-%'"))
    assert len(monthly) == 12
    average = sum(monthly.values()) / 12
    assert max(monthly["2024-11"], monthly["2024-12"]) > 1.15 * average
    # Yearly growth: H1 2025 above H1 2024.
    h1 = dict(db.execute("""SELECT substr(order_date, 1, 4), SUM(total_amount) FROM orders
                            WHERE status <> 'cancelled' AND substr(order_date, 6, 2) <= '06' GROUP BY 1"""))
    assert h1["2025"] > h1["2024"]
    # Pareto: the top 20 % of buyers bring in more than half of the revenue.
    spend = [r[0] for r in db.execute("""SELECT SUM(total_amount) FROM orders WHERE status <> 'cancelled'
                                         GROUP BY customer_id ORDER BY 1 DESC""")]
    assert sum(spend[: len(spend) // 5]) > 0.5 * sum(spend)
    # The questions newcomers ask actually return rows.
    germany = db.execute("""SELECT parent_category_name, ROUND(SUM(line_amount), 2) FROM v_order_lines
                            WHERE customer_country = 'Germany' AND order_status <> 'cancelled'
                            GROUP BY 1 ORDER BY 2 DESC""").fetchall()
    assert len(germany) >= 5
    assert {r[0] for r in db.execute("SELECT DISTINCT channel FROM orders")} == {"online", "in_store", "mobile"}
    assert {r[0] for r in db.execute("SELECT DISTINCT segment FROM customers")} == {
        "Consumer", "Corporate", "Small Business"}
    assert db.execute("SELECT COUNT(DISTINCT country) FROM customers").fetchone()[0] >= 8
    assert db.execute("SELECT COUNT(*) FROM customers WHERE email NOT LIKE '%_@_%._%'").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM categories WHERE parent_category_id IS NULL").fetchone()[0] >= 5


def test_dictionary_matches_the_database_exactly(db):
    objects = _objects(db)
    assert set(DICTIONARY) == set(objects)
    for table in objects:
        entry = DICTIONARY[table]
        assert entry["alias"].strip() and entry["description"].strip(), table
        assert isinstance(entry.get("synonyms", []), list)
        info = db.execute(f"PRAGMA table_info({table})").fetchall()
        columns = {r[1] for r in info}
        assert set(entry["columns"]) == columns, table
        pks = {r[1] for r in info if r[5]}
        fks = {r[3] for r in db.execute(f"PRAGMA foreign_key_list({table})")}
        for name, col in entry["columns"].items():
            where = f"{table}.{name}"
            assert col["alias"].strip() and col["description"].strip(), where
            assert set(col.get("tags", [])) <= ALLOWED_TAGS, where
            assert isinstance(col.get("synonyms", []), list), where
            assert ("PK" in col["tags"]) == (name in pks), where
            assert ("FK" in col["tags"]) == (name in fks), where


def test_personal_columns_are_tagged_pii():
    personal = {
        "customers": ["first_name", "last_name", "email", "phone", "birth_date", "street_address", "postal_code"],
        "employees": ["first_name", "last_name", "email", "salary"],
        "payments": ["card_last4"],
    }
    for table, columns in personal.items():
        for column in columns:
            assert "PII" in DICTIONARY[table]["columns"][column]["tags"], f"{table}.{column}"
    # Analytical columns stay usable (not PII).
    for table, column in (("customers", "country"), ("orders", "total_amount"), ("products", "name")):
        assert "PII" not in DICTIONARY[table]["columns"][column]["tags"]


def test_deterministic_and_atomic_overwrite(warehouse, tmp_path):
    path, counts = warehouse
    again = tmp_path / "again.sqlite3"
    again.write_text("not a database")  # overwritten atomically
    assert generate(again, seed=7, orders=ORDERS, end_date=END) == counts
    assert _dump_hash(again) == _dump_hash(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.sqlite3"]  # no temp file left behind

    other = tmp_path / "other.sqlite3"
    generate(other, seed=8, orders=ORDERS, end_date=END)
    assert _dump_hash(other) != _dump_hash(path)
