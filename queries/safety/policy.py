"""Per-node policy checks that are not about statement kinds or deny-listed function names.

- Table alias column lists (`FROM customers c(a, b)`): rejected on every engine (UNSUPPORTED_SYNTAX). SQLite's
  renderer drops the list, silently changing which column a name refers to, and the lists confuse lineage.
- DuckDB `#n` positional columns and `COLUMNS(...)`: rejected (UNSUPPORTED_SYNTAX); they select columns by
  position / pattern, which neither the PII lineage nor the reviewer can see.
- MySQL user / system variables (`@v`, `@v := …`, `@@v`): rejected (FORBIDDEN_STATEMENT). They are session state;
  on pooled connections a value set by one user would be readable by the next.
- Sensitive system catalogs (credentials, server configuration, other sessions, column statistics that hold
  sampled values): FORBIDDEN_TABLE.
- DuckDB table-valued functions in FROM: allow-list only (range, generate_series, unnest, catalog functions).
- PostgreSQL `current_setting(...)`: only harmless settings named by a string literal.
- A non-recursive CTE named like a table that its own body or an earlier CTE reads
  (`WITH customers AS (SELECT … FROM customers)`): rejected (UNSUPPORTED_SYNTAX). One name then means two
  things in one statement, which PII lineage would follow to the CTE and so miss the table's personal
  columns; another name says the same.
"""

from __future__ import annotations

from sqlglot import exp

from .model import FORBIDDEN_FUNCTION, FORBIDDEN_STATEMENT, FORBIDDEN_TABLE, UNSUPPORTED_SYNTAX, Issue

ALIAS_COLUMNS_MESSAGE = "Column alias lists on tables are not supported; alias columns in the SELECT list instead."

# (schema or "" for any/none, table) pairs; schema "*" = every table of that schema.
FORBIDDEN_TABLES: dict[str, frozenset[tuple[str, str]]] = {
    "postgresql": frozenset(
        ("", name)
        for name in (
            "pg_authid",
            "pg_shadow",
            "pg_user",  # view over pg_shadow (passwd column masked, but usesuper/valuntil etc.)
            "pg_user_mapping",
            "pg_user_mappings",
            "pg_file_settings",
            "pg_hba_file_rules",
            "pg_ident_file_mappings",
            "pg_stat_activity",
            "pg_stat_ssl",
            "pg_stat_gssapi",
            "pg_stat_replication",
            "pg_stat_wal_receiver",
            "pg_stat_subscription",
            "pg_settings",
            "pg_config",
            "pg_db_role_setting",
            "pg_largeobject",
            "pg_largeobject_metadata",
            # sampled column values (most_common_vals, histogram_bounds): would leak PII columns unmasked
            "pg_statistic",
            "pg_statistic_ext_data",
            "pg_stats",
            "pg_stats_ext",
            "pg_stats_ext_exprs",
        )
    ),
    "mysql": frozenset(
        {
            ("mysql", "*"),
            ("performance_schema", "*"),
            ("sys", "*"),
            ("information_schema", "processlist"),
            ("", "processlist"),
            ("information_schema", "column_statistics"),
            ("information_schema", "user_attributes"),
            ("information_schema", "innodb_buffer_page"),
            ("information_schema", "innodb_buffer_page_lru"),
        }
    ),
    "sqlite": frozenset(
        {("", "sqlite_dbpage"), ("", "sqlite_stat1"), ("", "sqlite_stat2"), ("", "sqlite_stat3"), ("", "sqlite_stat4")}
    ),
    "duckdb": frozenset({("", "duckdb_settings"), ("", "duckdb_secrets"), ("", "duckdb_extensions")}),
}

# DuckDB table functions allowed in FROM (everything else is denied).
DUCKDB_TABLE_FUNCTIONS = frozenset(
    {
        "range",
        "generate_series",
        "unnest",
        "duckdb_tables",
        "duckdb_columns",
        "duckdb_views",
        "duckdb_schemas",
        "duckdb_databases",
        "duckdb_indexes",
        "duckdb_constraints",
        "duckdb_types",
        "duckdb_functions",
        "duckdb_keywords",
        "duckdb_sequences",
        "duckdb_dependencies",
    }
)
DUCKDB_TABLE_FUNCTION_CLASSES: tuple[type[exp.Expression], ...] = (exp.GenerateSeries, exp.Unnest, exp.Explode)

PG_SAFE_SETTINGS = frozenset(
    {
        "timezone",
        "datestyle",
        "intervalstyle",
        "server_version",
        "server_version_num",
        "server_encoding",
        "client_encoding",
        "lc_collate",
        "lc_ctype",
        "lc_numeric",
        "lc_monetary",
        "lc_time",
        "extra_float_digits",
        "transaction_isolation",
        "transaction_read_only",
        "default_transaction_read_only",
        "statement_timeout",
        "integer_datetimes",
        "standard_conforming_strings",
        "max_identifier_length",
        "block_size",
    }
)


def _table_is_forbidden(table: exp.Table, engine: str) -> bool:
    rules = FORBIDDEN_TABLES.get(engine)
    if not rules:
        return False
    name = table.name.lower()
    db = table.db.lower()
    if engine == "postgresql" and db not in ("", "pg_catalog", "information_schema"):
        return False  # a user schema may have its own table called e.g. pg_config
    for schema, rule_name in rules:
        if schema and schema != db:
            continue
        if rule_name == "*" or rule_name == name:
            return True
    return False


def _func_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        this = node.this
        return (this.name if isinstance(this, exp.Expression) else str(this)).lower()
    try:
        return node.sql_name().lower() if isinstance(node, exp.Func) else ""
    except Exception:
        return ""


def _duckdb_table_function_issue(table: exp.Table) -> Issue | None:
    func = table.this
    if isinstance(func, exp.Identifier) or not isinstance(func, exp.Expression):
        return None
    if isinstance(func, exp.Literal):
        return None  # string table reference: FILE_ACCESS elsewhere
    if isinstance(func, DUCKDB_TABLE_FUNCTION_CLASSES) and not isinstance(func, exp.Anonymous):
        return None
    name = _func_name(func) if isinstance(func, exp.Func) else ""
    if name and name in DUCKDB_TABLE_FUNCTIONS:
        return None
    shown = name or type(func).__name__.lower()
    return Issue(
        FORBIDDEN_FUNCTION,
        f'The table function "{shown}" is not allowed on DuckDB.',
        "Only range(), generate_series(), unnest() and the duckdb_* catalog functions can be used in FROM.",
    )


def _current_setting_issue(node: exp.Expression) -> Issue | None:
    if _func_name(node) != "current_setting":
        return None
    args = list(node.expressions) if isinstance(node, exp.Anonymous) else list(node.iter_expressions())
    first = args[0] if args else None
    if isinstance(first, exp.Literal) and first.is_string and str(first.this).lower() in PG_SAFE_SETTINGS:
        return None
    return Issue(
        FORBIDDEN_FUNCTION, "The function \"current_setting\" is only allowed for a few harmless settings (e.g. 'TimeZone')."
    )


def policy_issues(node: exp.Expression, engine: str) -> list[Issue]:
    """Issues for one node of the statement tree."""
    out: list[Issue] = []
    if isinstance(node, exp.Table):
        alias = node.args.get("alias")
        if isinstance(node.this, exp.Identifier) and isinstance(alias, exp.TableAlias) and alias.columns:
            out.append(Issue(UNSUPPORTED_SYNTAX, ALIAS_COLUMNS_MESSAGE))
        if isinstance(node.this, exp.Identifier) and _table_is_forbidden(node, engine):
            label = ".".join(p for p in (node.db, node.name) if p)
            out.append(
                Issue(FORBIDDEN_TABLE, f'Reading "{label}" is not allowed (credentials, server configuration or other sessions).')
            )
        if engine == "duckdb":
            issue = _duckdb_table_function_issue(node)
            if issue is not None:
                out.append(issue)
            func = node.this
            if isinstance(func, exp.Func) and _func_name(func) in {n for _, n in FORBIDDEN_TABLES["duckdb"]}:
                out.append(
                    Issue(FORBIDDEN_TABLE, f'Reading "{_func_name(func)}()" is not allowed (server configuration or secrets).')
                )
    elif isinstance(node, exp.With) and not node.args.get("recursive"):
        ctes = list(node.expressions)
        for position, cte in enumerate(ctes):
            name = cte.alias_or_name.lower()
            # Its own body or an earlier one naming it reads the table, not this CTE.
            if any(not t.db and t.name.lower() == name for earlier in ctes[: position + 1]
                   for t in earlier.this.find_all(exp.Table)):
                out.append(Issue(UNSUPPORTED_SYNTAX, f'The CTE "{cte.alias_or_name}" has the name of a table the '
                                 "statement reads; give the CTE a name of its own.", f"WITH {name}_cte AS (…)"))
    elif engine == "duckdb" and isinstance(node, (exp.PositionalColumn, exp.Columns)):
        kind = "#n positional column references" if isinstance(node, exp.PositionalColumn) else "COLUMNS(...)"
        out.append(Issue(UNSUPPORTED_SYNTAX, f"{kind} are not supported; name the columns you want."))
    elif engine == "mysql" and isinstance(node, (exp.Parameter, exp.SessionParameter)):
        out.append(
            Issue(
                FORBIDDEN_STATEMENT,
                "User and system variables (@var, @var := …, @@var) are not allowed: they are session state shared "
                "across pooled connections.",
            )
        )
    elif engine == "postgresql" and isinstance(node, exp.Func):
        issue = _current_setting_issue(node)
        if issue is not None:
            out.append(issue)
    return out
