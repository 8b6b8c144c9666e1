"""Built-in query templates for the demo retail warehouse (metadata/demo_warehouse.py).

Global (no workspace) and read-only; a user clones one into a saved query. The SQL is written in the common
subset of SQLite, PostgreSQL, MySQL and DuckDB, so a warehouse with the same tables elsewhere runs it too.
Changing this list: add a migration that calls `sync` again (see 0004_builtin_templates).
"""
from __future__ import annotations

from typing import Any

PERIOD = [
    {"name": "start_date", "type": "date", "default": "2000-01-01", "label": "From (inclusive)"},
    {"name": "end_date", "type": "date", "default": "2100-01-01", "label": "Until (exclusive)"},
]
TOP_N = {"name": "top_n", "type": "number", "default": 10, "label": "How many"}

BUILTIN_TEMPLATES: list[dict[str, Any]] = [
    # --- sales ---
    {"slug": "monthly-sales", "category": "sales", "title": "Monthly sales",
     "description": "Orders, customers, net sales and average order value per month (cancelled orders excluded).",
     "question": "What are the monthly sales?", "tags": ["revenue", "trend"],
     "sql": "SELECT month, order_count, customer_count, net_sales, total_revenue, avg_order_value\n"
            "FROM v_monthly_sales\nORDER BY month"},
    {"slug": "revenue-by-channel", "category": "sales", "title": "Revenue by sales channel",
     "description": "Orders and revenue per channel (online, in store, mobile) in a period.",
     "question": "What is the revenue by channel?", "tags": ["revenue", "channel"], "parameters": PERIOD,
     "sql": "SELECT o.channel, COUNT(*) AS orders, ROUND(SUM(o.total_amount), 2) AS revenue\n"
            "FROM orders AS o\n"
            "WHERE o.status <> 'cancelled' AND o.order_date >= {{start_date}} AND o.order_date < {{end_date}}\n"
            "GROUP BY o.channel\nORDER BY revenue DESC"},
    {"slug": "revenue-by-region", "category": "sales", "title": "Revenue by region",
     "description": "Revenue per region, from the customers' countries.",
     "question": "What is the revenue by region?", "tags": ["revenue", "geography"], "parameters": PERIOD,
     "sql": "SELECT r.name AS region, COUNT(DISTINCT o.order_id) AS orders,\n"
            "       ROUND(SUM(o.total_amount), 2) AS revenue\n"
            "FROM orders AS o\nJOIN customers AS c ON c.customer_id = o.customer_id\n"
            "JOIN regions AS r ON r.region_id = c.region_id\n"
            "WHERE o.status <> 'cancelled' AND o.order_date >= {{start_date}} AND o.order_date < {{end_date}}\n"
            "GROUP BY r.name\nORDER BY revenue DESC"},
    {"slug": "store-performance", "category": "sales", "title": "Store performance",
     "description": "Orders and revenue per store, largest first.",
     "question": "Which stores have the highest revenue?", "tags": ["stores", "revenue"], "parameters": [TOP_N],
     "sql": "SELECT s.name AS store, s.city, s.store_type, COUNT(o.order_id) AS orders,\n"
            "       ROUND(SUM(o.total_amount), 2) AS revenue\n"
            "FROM stores AS s\nJOIN orders AS o ON o.store_id = s.store_id\n"
            "WHERE o.status <> 'cancelled'\nGROUP BY s.store_id, s.name, s.city, s.store_type\n"
            "ORDER BY revenue DESC\nLIMIT {{top_n}}"},
    # --- customers ---
    {"slug": "top-customers", "category": "customers", "title": "Top customers by revenue",
     "description": "The customers who spent the most, with their order count.",
     "question": "Who are the top customers by revenue?", "tags": ["revenue", "customers"],
     "parameters": [TOP_N],
     "sql": "SELECT c.customer_id, c.first_name, c.last_name, c.country, COUNT(o.order_id) AS orders,\n"
            "       ROUND(SUM(o.total_amount), 2) AS revenue\n"
            "FROM customers AS c\nJOIN orders AS o ON o.customer_id = c.customer_id\n"
            "WHERE o.status <> 'cancelled'\nGROUP BY c.customer_id, c.first_name, c.last_name, c.country\n"
            "ORDER BY revenue DESC\nLIMIT {{top_n}}"},
    {"slug": "customers-by-segment", "category": "customers", "title": "Customers by segment",
     "description": "How many customers each segment has, and how many are active.",
     "question": "How many customers are there per segment?", "tags": ["segments"],
     "sql": "SELECT c.segment, COUNT(*) AS customers,\n"
            "       SUM(CASE WHEN c.is_active THEN 1 ELSE 0 END) AS active_customers\n"
            "FROM customers AS c\nGROUP BY c.segment\nORDER BY customers DESC"},
    {"slug": "customers-by-country", "category": "customers", "title": "Customers by country",
     "description": "Customers per country with their revenue.",
     "question": "How many customers are there per country?", "tags": ["geography"],
     "sql": "SELECT c.country, COUNT(DISTINCT c.customer_id) AS customers,\n"
            "       ROUND(COALESCE(SUM(o.total_amount), 0), 2) AS revenue\n"
            "FROM customers AS c\nLEFT JOIN orders AS o ON o.customer_id = c.customer_id AND o.status <> 'cancelled'\n"
            "GROUP BY c.country\nORDER BY customers DESC"},
    {"slug": "new-customers", "category": "customers", "title": "New customers in a period",
     "description": "Customers who signed up in a period, by segment.",
     "question": "How many new customers signed up?", "tags": ["growth"], "parameters": PERIOD,
     "sql": "SELECT c.segment, COUNT(*) AS new_customers\nFROM customers AS c\n"
            "WHERE c.signup_date >= {{start_date}} AND c.signup_date < {{end_date}}\n"
            "GROUP BY c.segment\nORDER BY new_customers DESC"},
    # --- products ---
    {"slug": "best-selling-products", "category": "products", "title": "Best-selling products",
     "description": "Products by units sold and revenue after discounts.",
     "question": "What are the best selling products?", "tags": ["products", "revenue"], "parameters": [TOP_N],
     "sql": "SELECT p.name AS product, p.brand, SUM(oi.quantity) AS units,\n"
            "       ROUND(SUM(oi.quantity * oi.unit_price * (1 - oi.discount)), 2) AS revenue\n"
            "FROM order_items AS oi\nJOIN products AS p ON p.product_id = oi.product_id\n"
            "JOIN orders AS o ON o.order_id = oi.order_id\nWHERE o.status <> 'cancelled'\n"
            "GROUP BY p.product_id, p.name, p.brand\nORDER BY revenue DESC\nLIMIT {{top_n}}"},
    {"slug": "category-margin", "category": "products", "title": "Margin by category",
     "description": "Revenue, cost and gross margin per product category.",
     "question": "What is the margin by category?", "tags": ["margin", "categories"],
     "sql": "SELECT category_name AS category, ROUND(SUM(line_amount), 2) AS revenue,\n"
            "       ROUND(SUM(line_cost), 2) AS cost, ROUND(SUM(line_amount) - SUM(line_cost), 2) AS margin\n"
            "FROM v_order_lines\nWHERE order_status <> 'cancelled'\nGROUP BY category_name\nORDER BY margin DESC"},
    {"slug": "return-rate-by-category", "category": "products", "title": "Return rate by category",
     "description": "Share of order lines returned, per category.",
     "question": "What is the return rate by category?", "tags": ["returns", "quality"],
     "sql": "SELECT category_name AS category, COUNT(*) AS lines, SUM(is_returned) AS returned,\n"
            "       ROUND(100.0 * SUM(is_returned) / COUNT(*), 2) AS return_rate_pct\n"
            "FROM v_order_lines\nGROUP BY category_name\nORDER BY return_rate_pct DESC"},
    # --- operations ---
    {"slug": "orders-by-status", "category": "operations", "title": "Orders by status",
     "description": "Order counts and value per status for one channel.",
     "question": "How many orders are there per status?", "tags": ["fulfilment"],
     "parameters": [{"name": "channel", "type": "choice", "options": ["online", "in_store", "mobile"],
                     "default": "online", "label": "Channel"}],
     "sql": "SELECT o.status, COUNT(*) AS orders, ROUND(SUM(o.total_amount), 2) AS value\n"
            "FROM orders AS o\nWHERE o.channel = {{channel}}\nGROUP BY o.status\nORDER BY orders DESC"},
    {"slug": "payment-methods", "category": "operations", "title": "Payment methods",
     "description": "Payments and amounts per method and status.",
     "question": "How do customers pay?", "tags": ["payments"],
     "sql": "SELECT p.method, p.status, COUNT(*) AS payments, ROUND(SUM(p.amount), 2) AS amount\n"
            "FROM payments AS p\nGROUP BY p.method, p.status\nORDER BY amount DESC"},
    {"slug": "return-reasons", "category": "operations", "title": "Return reasons",
     "description": "Why products come back, with the refunded amount.",
     "question": "What are the most common return reasons?", "tags": ["returns"],
     "sql": "SELECT r.reason, COUNT(*) AS returns, ROUND(SUM(r.refund_amount), 2) AS refunded\n"
            "FROM returns AS r\nGROUP BY r.reason\nORDER BY returns DESC"},
    {"slug": "staff-per-store", "category": "operations", "title": "Staff per store",
     "description": "Employees and payroll per store.",
     "question": "How many employees does each store have?", "tags": ["staff", "stores"],
     "sql": "SELECT s.name AS store, COUNT(e.employee_id) AS employees, ROUND(SUM(e.salary), 2) AS payroll\n"
            "FROM stores AS s\nLEFT JOIN employees AS e ON e.store_id = s.store_id\n"
            "GROUP BY s.store_id, s.name\nORDER BY employees DESC"},
]


def sync(template_model: Any) -> int:
    """Create or update the built-ins (by slug) and drop built-ins no longer listed. Takes the model class
    so a data migration can pass its historical model."""
    slugs = []
    for item in BUILTIN_TEMPLATES:
        slugs.append(item["slug"])
        template_model.objects.update_or_create(
            slug=item["slug"], is_builtin=True,
            defaults={"workspace": None, "title": item["title"], "description": item["description"],
                      "sql": item["sql"], "question": item.get("question", ""), "category": item["category"],
                      "tags": item.get("tags", []), "parameters": item.get("parameters", [])})
    template_model.objects.filter(is_builtin=True).exclude(slug__in=slugs).delete()
    return len(slugs)
