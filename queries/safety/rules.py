"""What the gate refuses: statement node types and per-engine function deny lists.

Function names are matched case-insensitively on the last part of the name (so `pg_catalog.pg_sleep`,
`"PG_SLEEP"` and `Pg_Sleep` all match `pg_sleep`). A trailing `*` is a prefix pattern.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache

import sqlglot
from sqlglot import exp

from .model import FORBIDDEN_STATEMENT, NOT_READ_ONLY
from .quiet import quiet_sqlglot


def _classes(*names: str) -> tuple[type[exp.Expression], ...]:
    # getattr keeps us working across sqlglot versions that add/rename node types
    found = [getattr(exp, name) for name in names if isinstance(getattr(exp, name, None), type)]
    return tuple(found)


# Statements/clauses that modify data or schema, anywhere in the tree (writable CTEs, subqueries...).
WRITE_NODES = _classes(
    "Insert",
    "Update",
    "Delete",
    "Merge",
    "Create",
    "Drop",
    "Alter",
    "AlterColumn",
    "AlterRename",
    "AlterSet",
    "AddConstraint",
    "AddPartition",
    "DropPartition",
    "RenameColumn",
    "TruncateTable",
    "Grant",
    "Revoke",
    "LoadData",
    "MultitableInserts",
    "ConditionalInsert",
    "Undrop",
    "SwapTable",
    "Comment",
)

# Everything else that is not a query: session/transaction control, admin, introspection, procedural code.
OTHER_STATEMENT_NODES = _classes(
    "Command",
    "Set",
    "SetItem",
    "Transaction",
    "Commit",
    "Rollback",
    "Pragma",
    "Attach",
    "Detach",
    "Install",
    "Use",
    "Show",
    "Describe",
    "Summarize",
    "Kill",
    "Execute",
    "ExecuteSql",
    "StoredProcedure",
    "Declare",
    "DeclareItem",
    "Block",
    "IfBlock",
    "WhileBlock",
    "LoopBlock",
    "RepeatBlock",
    "Return",
    "Leave",
    "Iterate",
    "EndStatement",
    "Semicolon",
    "LockingStatement",
    "ConnectTo",
    "Disconnect",
    "AlterSession",
    "Copy",
    "Analyze",
    "Cache",
    "Uncache",
    "Refresh",
    "Export",
    "Put",
    "Get",
    "UserDefinedFunction",
    "Heredoc",
)

ALLOWED_ROOTS = _classes("Select", "Union", "Intersect", "Except", "Values", "Subquery")


def statement_code(node: exp.Expression) -> str | None:
    """Error code for a node that must not appear in a read-only query, else None."""
    if isinstance(node, WRITE_NODES):
        return NOT_READ_ONLY
    if isinstance(node, OTHER_STATEMENT_NODES):
        return FORBIDDEN_STATEMENT
    return None


# --- functions -------------------------------------------------------------------------------------------------

GENERIC_DENY: tuple[str, ...] = (
    # sleeping / stalling
    "pg_sleep*",
    "sleep",
    "benchmark",
    # file system and external access
    "pg_read_*",
    "pg_ls_*",
    "pg_stat_file",
    "pg_file_*",
    "lo_import",
    "lo_export",
    "load_file",
    "load_extension",
    "readfile",
    "writefile",
    "read_csv*",
    "read_parquet",
    "read_json*",
    "read_text",
    "read_blob",
    "read_ndjson*",
    "parquet_scan",
    "csv_scan",
    "sniff_csv",
    # remote / dynamic SQL
    "dblink*",
    "query_to_xml*",
    "json_execute_serialized_sql",
    "sys_exec",
    "sys_eval",
    "eval",
    # configuration / process control
    "set_config",
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "getenv",
)

ENGINE_DENY: dict[str, tuple[str, ...]] = {
    "postgresql": (
        "pg_sleep*",
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_ls_*",
        "pg_stat_file",
        "pg_file_*",
        "pg_logdir_ls",
        "lo_*",
        "loread",
        "lowrite",
        "dblink*",
        "set_config",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_signal_backend",
        "pg_reload_conf",
        "pg_rotate_logfile*",
        "query_to_xml*",
        "cursor_to_xml*",
        "table_to_xml*",
        "schema_to_xml*",
        "database_to_xml*",
        "pg_advisory_*",
        "pg_try_advisory_*",
        "pg_advisory*",
        "pg_notify",
        "nextval",
        "setval",
        "currval",
        "lastval",
        "txid_current*",  # assigns a transaction id
        "pg_current_xact_id*",
        "pg_current_logfile",
        "inet_server_addr",
        "inet_server_port",
        "pg_stat_reset*",
        "pg_switch_wal",
        "pg_switch_xlog",
        "pg_create_*",
        "pg_drop_*",
        "pg_copy_*",
        "pg_promote",
        "pg_backup_*",
        "pg_start_backup",
        "pg_stop_backup",
        "pg_replication_origin_*",
        "pg_replication_slot_advance",
        "pg_logical_emit_message",
        "pg_logical_slot_*",
        "pg_import_system_collations",
        "pg_wal_replay_*",
        "pg_log_backend_memory_contexts",
        "pg_prewarm",
        "brin_summarize_*",
        "gin_clean_pending_list",
        "pg_xact_commit_timestamp_origin",
        # functions that run SQL given as a string (the gate cannot see inside it)
        "ts_stat",
        "ts_rewrite",
        "crosstab*",
        "connectby",
    ),
    "mysql": (
        "sleep",
        "benchmark",
        "load_file",
        "get_lock",
        "release_lock",
        "release_all_locks",
        "is_free_lock",
        "is_used_lock",
        "master_pos_wait",
        "master_gtid_wait",
        "last_insert_id",  # LAST_INSERT_ID(expr) sets session state
        "nextval",
        "setval",
        "lastval",
        "source_pos_wait",
        "wait_for_executed_gtid_set",
        "wait_until_sql_thread_after_gtids",
        "sys_exec",
        "sys_eval",
        "sys_get",
        "sys_set",
        "lib_mysqludf_*",
    ),
    "sqlite": (
        "load_extension",
        "readfile",
        "writefile",
        "fts3_tokenizer",
        "fts5",
        "edit",
        "zipfile",
        "fsdir",
        "lsdir",
        "sqlar_*",
        "eval",
    ),
    "duckdb": (
        "read_*",
        "*_scan",
        "parquet_*",
        "csv_scan",
        "sniff_csv",
        "glob",
        "query",
        "query_table",
        "sqlite_attach",
        "postgres_attach",
        "postgres_query",
        "postgres_execute",
        "mysql_query",
        "mysql_execute",
        "getenv",
        "st_read*",
        "iceberg_*",
        "delta_*",
        "duckdb_secrets",
        "which_secret",
        "load_aws_credentials",
        "checkpoint",
        "force_checkpoint",
        "json_execute_serialized_sql",
        "install_extension",
        "load_extension",
        "current_setting",
        "duckdb_settings",
        "duckdb_extensions",
        # process state, logging/profiling files, sequences, secrets, extensions
        "enable_logging",
        "disable_logging",
        "truncate_duckdb_logs",
        "enable_profiling",
        "disable_profiling",
        "create_external_resource",
        "register_external_resource",
        "nextval",
        "currval",
        "setseed",
        "getvariable",
        "pragma_*",
        "install",
        "force_install",
        "load",
    ),
}


@lru_cache(maxsize=8)
def _patterns(engine: str) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    exact: set[str] = set()
    prefixes: list[re.Pattern[str]] = []
    for pat in GENERIC_DENY + ENGINE_DENY.get(engine, ()):
        if "*" in pat:
            prefixes.append(re.compile(fnmatch.translate(pat)))
        else:
            exact.add(pat)
    return frozenset(exact), tuple(prefixes)


def is_denied_name(name: str, engine: str) -> bool:
    key = name.strip().strip('"`[]').lower()
    exact, patterns = _patterns(engine)
    # a quoted name such as "pg_catalog.pg_sleep" is one identifier to the database, but check its last part anyway
    keys = {key, key.rsplit(".", 1)[-1].strip('"`[] ')}
    return any(k in exact or any(p.match(k) for p in patterns) for k in keys)


@lru_cache(maxsize=8)
def denied_classes(engine: str, dialect: str) -> tuple[type[exp.Expression], ...]:
    """Typed sqlglot function classes a deny-listed name parses into (e.g. READ_CSV -> exp.ReadCSV)."""
    found: set[type[exp.Expression]] = set()
    names = [p for p in GENERIC_DENY + ENGINE_DENY.get(engine, ()) if "*" not in p]
    names += [p.rstrip("*").rstrip("_") for p in GENERIC_DENY + ENGINE_DENY.get(engine, ()) if p.endswith("*")]
    for name in names:
        for args in ("'a'", "'a', 'b'"):
            try:
                with quiet_sqlglot():
                    tree = sqlglot.parse_one(f"SELECT {name}({args})", read=dialect)
            except Exception:
                continue
            for func in tree.find_all(exp.Func):
                cls = type(func)
                if cls is exp.Anonymous or issubclass(cls, (exp.Binary, exp.Predicate, exp.Connector)):
                    continue
                if any(is_denied_name(n, engine) for n in cls.sql_names()):
                    found.add(cls)
    return tuple(found)


def function_names(node: exp.Func) -> list[str]:
    """Every name a function node may be known by: the written name for anonymous calls, the SQL names for typed."""
    names: list[str] = []
    if isinstance(node, exp.Anonymous):
        this = node.this
        names.append(this.name if isinstance(this, exp.Expression) else str(this))
    else:
        if isinstance(node, (exp.Binary, exp.Predicate, exp.Connector)):
            return names
        try:
            names.extend(type(node).sql_names())
        except Exception:
            pass
        try:
            names.append(node.sql_name())
        except Exception:
            pass
    return names


_PATHLIKE = re.compile(
    r"""(?ix)
    [/\\*?~]                                    # path separators, globs, home dir
    | ^[a-z][a-z0-9+.-]*:                       # any URL scheme (s3:, http:, gcs:, file:, az:, hf: ...)
    | \.(csv|tsv|txt|parquet|json|jsonl|ndjson|xlsx?|arrow|avro|orc|db|duckdb|sqlite3?|gz|zst|zstd|bz2|xz|lz4)$
    """
)


def is_pathlike(name: str) -> bool:
    """A table reference that names a file or URL (DuckDB replacement scans read these directly)."""
    return bool(name) and bool(_PATHLIKE.search(name))
