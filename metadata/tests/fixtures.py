"""Real databases for connector tests: SQLite and DuckDB files, PostgreSQL and MariaDB servers."""
from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import login

ODD_SQLITE = '''
CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, email TEXT NOT NULL, country TEXT, segment TEXT);
CREATE TABLE "Order Items" (
    "Item ID" INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customers(customer_id),
    "select" TEXT,
    "MixedCase" REAL DEFAULT 1.5,
    "naïve ünïcode" TEXT,
    "he said ""hi""" TEXT
);
CREATE TABLE "select" ("from" INTEGER, "where" TEXT);
CREATE VIEW big_customers AS SELECT customer_id, email FROM customers WHERE customer_id > 1;
INSERT INTO customers VALUES (1, 'ana@example.com', 'Germany', 'Consumer'), (2, 'bo@example.com', 'France', 'Corporate'),
                             (3, 'cy@example.com', 'Germany', 'Consumer');
INSERT INTO "Order Items" VALUES (1, 1, 'a', 2.0, 'x', 'y'), (2, 2, 'b', 3.0, 'x', 'z');
'''


@pytest.fixture
def files_dir(tmp_path, settings, user):
    """The data-file folder of `user`'s personal workspace (each workspace has its own)."""
    from metadata.connectors import workspace_files_dir

    root = tmp_path / "datasources"
    root.mkdir()
    settings.DATA_SOURCE_FILES_DIR = root
    return workspace_files_dir(user.memberships.get().workspace.pk)


def share_files(files_dir, workspace) -> None:
    """Give another workspace its own copies of the fixture database files."""
    import shutil

    from metadata.connectors import workspace_files_dir

    target = workspace_files_dir(workspace.pk)
    for path in files_dir.iterdir():
        if path.is_file():
            shutil.copy(path, target / path.name)


@pytest.fixture
def sqlite_file(files_dir):
    path = files_dir / "shop.sqlite3"
    connection = sqlite3.connect(path)
    connection.executescript(ODD_SQLITE)
    connection.commit()
    connection.close()
    return path


@pytest.fixture
def duckdb_file(files_dir):
    import duckdb

    path = files_dir / "shop.duckdb"
    connection = duckdb.connect(str(path))
    connection.execute("CREATE SCHEMA sales")
    connection.execute("CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, email VARCHAR, country VARCHAR)")
    connection.execute("CREATE TABLE sales.orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER, "
                       "\"Total Amount\" DECIMAL(10,2))")
    connection.execute("CREATE TABLE sales.lines (line_id INTEGER PRIMARY KEY, "
                       "order_id INTEGER REFERENCES sales.orders(order_id))")
    connection.execute("CREATE VIEW german AS SELECT * FROM customers WHERE country = 'Germany'")
    connection.execute("INSERT INTO customers VALUES (1, 'ana@example.com', 'Germany'), (2, 'bo@example.com', 'France')")
    connection.execute("COMMENT ON TABLE customers IS 'People who buy'")
    connection.close()
    return path


def _server_schema(dialect: str) -> list[str]:
    return [
        'CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, country VARCHAR(50))',
        f'CREATE TABLE {q(dialect, "Order Items")} ({q(dialect, "Item ID")} INTEGER PRIMARY KEY, '
        f'customer_id INTEGER REFERENCES customers(customer_id), {q(dialect, "select")} VARCHAR(20), '
        f'{q(dialect, "MixedCase")} DECIMAL(10,2) DEFAULT 1.5, {q(dialect, "naïve ünïcode")} VARCHAR(20))',
        "CREATE VIEW big_customers AS SELECT customer_id, email FROM customers",
        "INSERT INTO customers VALUES (1, 'ana@example.com', 'Germany'), (2, 'bo@example.com', 'France')",
    ]


def q(dialect: str, name: str) -> str:
    return f"`{name}`" if dialect == "mysql" else f'"{name}"'


@pytest.fixture
def postgres_source() -> Iterator[dict[str, Any]]:
    """A throw-away PostgreSQL database with two schemas and odd identifiers."""
    import psycopg

    name = f"ie_src_{uuid.uuid4().hex[:8]}"
    from conftest import TEST_POSTGRES_DSN

    admin = psycopg.connect(TEST_POSTGRES_DSN, autocommit=True, connect_timeout=3)
    params = dict(item.split("=", 1) for item in TEST_POSTGRES_DSN.split())
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(**{**params, "dbname": name}, autocommit=True) as conn:
            for statement in _server_schema("postgresql"):
                conn.execute(statement)
            conn.execute("CREATE SCHEMA sales")
            conn.execute("CREATE TABLE sales.orders (order_id SERIAL PRIMARY KEY, "
                         "customer_id INTEGER REFERENCES public.customers(customer_id), total NUMERIC(10,2))")
            conn.execute("COMMENT ON TABLE customers IS 'People who buy'")
            conn.execute("COMMENT ON COLUMN customers.email IS 'Contact address'")
        yield {"engine": "postgresql", "host": params.get("host", "127.0.0.1"), "port": int(params.get("port", 5432)),
               "database": name, "username": params.get("user", "postgres")}
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def mariadb_source() -> Iterator[dict[str, Any]]:
    import pymysql

    name = f"ie_src_{uuid.uuid4().hex[:8]}"
    from conftest import TEST_MYSQL

    admin = pymysql.connect(**TEST_MYSQL, autocommit=True, connect_timeout=3)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        conn = pymysql.connect(**TEST_MYSQL, database=name, autocommit=True, charset="utf8mb4")
        with conn.cursor() as cursor:
            for statement in _server_schema("mysql"):
                cursor.execute(statement)
            cursor.execute("ALTER TABLE customers COMMENT = 'People who buy'")
        conn.close()
        yield {"engine": "mysql", "host": TEST_MYSQL["host"], "port": TEST_MYSQL["port"], "database": name,
               "username": TEST_MYSQL["user"], "password": TEST_MYSQL["password"]}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture
def owner_client(user, client_for):
    return client_for(user)


@pytest.fixture
def workspace(user):
    return user.memberships.get().workspace


def register(client, **data) -> dict[str, Any]:
    payload = {"name": data.pop("name", "Shop"), **data}
    response = client.post("/api/v1/databases", payload, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def sync(client, ds_id, capture) -> dict[str, Any]:
    with capture(execute=True):
        response = client.post(f"/api/v1/databases/{ds_id}/sync-schema")
    assert response.status_code == 202, response.content
    job = client.get(f"/api/v1/jobs/{response.json()['job_id']}").json()
    return job


__all__ = ["login", "register", "share_files", "sync"]
