"""Connections to the databases users register: URLs, guard rails, pooled engines, probes.

Everything that opens a connection to a user's database goes through `engine_for`.
"""
from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from django.conf import settings
from sqlalchemy.engine import URL, Engine

from core.crypto import SecretDecryptionError, decrypt
from core.exceptions import ValidationFailed

from .models import DataSource

DEFAULT_PORTS = {DataSource.Engine.POSTGRESQL: 5432, DataSource.Engine.MYSQL: 3306}
_METADATA_ADDRESSES = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                       ipaddress.ip_address("100.100.100.200")}


class ConnectionRefused(Exception):
    """The data source's settings point somewhere we will not connect to."""


# --- guard rails ---------------------------------------------------------------------------------

def workspace_files_dir(workspace_id: Any) -> Path:
    """Each workspace has its own folder of SQLite/DuckDB files: a file of another workspace can
    never be registered, whatever its name."""
    root = Path(settings.DATA_SOURCE_FILES_DIR).resolve()
    directory = root / str(workspace_id)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def resolve_data_file(database: str, *, workspace_id: Any, must_exist: bool = True) -> Path:
    """The absolute path of a SQLite/DuckDB file, which must lie inside the workspace's folder."""
    root = workspace_files_dir(workspace_id)
    if not database or "\x00" in database:
        raise ValidationFailed.for_field("database", "Give the file name of the database in the data directory.")
    candidate = Path(database)
    path = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if path != root and root not in path.parents:
        raise ValidationFailed.for_field(
            "database", "Database files must be inside this workspace's data directory; other paths are not allowed.",
            code="PATH_NOT_ALLOWED")
    if must_exist and not path.is_file():
        raise ValidationFailed.for_field("database", f"No database file named “{database}” in the data directory.",
                                         code="FILE_NOT_FOUND")
    return path


def _app_database_addresses() -> set[tuple[str, int, str]]:
    """(address, port, database name) of InsightEngine's own database, when it is a server."""
    db = settings.DATABASES["default"]
    if "sqlite" in db["ENGINE"] or not db.get("HOST"):
        return set()
    port = int(db.get("PORT") or 5432)
    try:
        return {(info[4][0], port, str(db.get("NAME") or "")) for info in socket.getaddrinfo(db["HOST"], None)}
    except socket.gaierror:
        return set()


def check_host_allowed(host: str, port: int | None = None, database: str | None = None) -> None:
    """Refuse hosts that resolve to link-local or cloud-metadata addresses, the app's own database
    and (if configured) private networks — a registered data source must not become a way into
    the server's network. Checked when a data source is saved *and* on every connect, so a DNS
    name that later resolves elsewhere (rebinding) is caught too."""
    if not host or len(host) > 255 or not re.fullmatch(r"[A-Za-z0-9.\-:\[\]_]+", host):
        raise ValidationFailed.for_field("host", "Enter a host name or IP address.")
    try:
        infos = socket.getaddrinfo(host.strip("[]"), None)
    except socket.gaierror:
        return  # unresolvable now: connecting will fail with a clear message, nothing to guard
    app_db = _app_database_addresses()
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        mapped = getattr(address, "ipv4_mapped", None)
        for candidate in filter(None, (address, mapped)):
            if candidate in _METADATA_ADDRESSES or candidate.is_link_local or candidate.is_multicast \
                    or candidate.is_unspecified or candidate.is_reserved:
                raise ValidationFailed.for_field("host", f"Connections to {address} are not allowed.",
                                                 code="HOST_NOT_ALLOWED")
            if settings.DATA_SOURCE_BLOCK_PRIVATE_NETWORKS and (candidate.is_private or candidate.is_loopback):
                raise ValidationFailed.for_field("host", f"Connections to private address {address} are not allowed here.",
                                                 code="HOST_NOT_ALLOWED")
            if port is not None and (str(candidate), port, database or "") in app_db:
                raise ValidationFailed.for_field("host", "This is InsightEngine's own database; it cannot be a data source.",
                                                 code="HOST_NOT_ALLOWED")


# --- URLs and engines ---------------------------------------------------------------------------

def _timeouts(ds: DataSource) -> tuple[int, int]:
    options = ds.options or {}
    connect = int(options.get("connect_timeout") or settings.DATA_SOURCE_CONNECT_TIMEOUT)
    query = int(options.get("query_timeout") or settings.DATA_SOURCE_QUERY_TIMEOUT)
    return connect, query


def build_url_and_args(ds: DataSource) -> tuple[URL, dict[str, Any]]:
    connect_timeout, query_timeout = _timeouts(ds)
    password = decrypt(ds.password_encrypted) or None
    if ds.engine == DataSource.Engine.POSTGRESQL:
        check_host_allowed(ds.host, ds.port or 5432, ds.database)
        url = URL.create("postgresql+psycopg", username=ds.username or None, password=password, host=ds.host,
                         port=ds.port or 5432, database=ds.database)
        options = f"-c statement_timeout={query_timeout * 1000}"
        if ds.read_only:
            options += " -c default_transaction_read_only=on"
        args: dict[str, Any] = {"connect_timeout": connect_timeout, "options": options,
                                "application_name": "insightengine"}
        args["sslmode"] = (ds.options or {}).get("sslmode") or ("require" if ds.ssl else "prefer")
        return url, args
    if ds.engine == DataSource.Engine.MYSQL:
        check_host_allowed(ds.host, ds.port or 3306, ds.database)
        url = URL.create("mysql+pymysql", username=ds.username or None, password=password, host=ds.host,
                         port=ds.port or 3306, database=ds.database, query={"charset": "utf8mb4"})
        args = {"connect_timeout": connect_timeout, "read_timeout": query_timeout + 5,
                "write_timeout": query_timeout + 5}
        if ds.ssl:
            args["ssl"] = {"check_hostname": True}
        return url, args
    if ds.engine == DataSource.Engine.SQLITE:
        path = resolve_data_file(ds.database, workspace_id=ds.workspace_id)
        mode = "ro" if ds.read_only else "rw"
        # Read-only at the file level: the driver refuses writes whatever SQL reaches it.
        url = URL.create("sqlite", database=f"file:{quote(str(path))}?mode={mode}", query={"uri": "true"})
        return url, {"timeout": connect_timeout, "check_same_thread": False}
    if ds.engine == DataSource.Engine.DUCKDB:
        path = resolve_data_file(ds.database, workspace_id=ds.workspace_id)
        # No file system or network access from SQL (read_csv, COPY, httpfs, logging to files), and
        # the setting cannot be switched back from a statement.
        return URL.create("duckdb", database=str(path)), {
            "read_only": bool(ds.read_only),
            "config": {"enable_external_access": False, "lock_configuration": True},
        }
    raise ValidationFailed.for_field("engine", f"Unsupported engine “{ds.engine}”.")


_engines: dict[str, tuple[str, Engine]] = {}
_engines_lock = threading.Lock()


def _fingerprint(ds: DataSource) -> str:
    return "|".join(str(x) for x in (ds.engine, ds.host, ds.port, ds.database, ds.username, ds.password_encrypted,
                                      ds.ssl, sorted((ds.options or {}).items()), ds.read_only))


def engine_for(ds: DataSource) -> Engine:
    """A pooled engine per data source, rebuilt when its connection settings change."""
    key, fingerprint = str(ds.pk), _fingerprint(ds)
    with _engines_lock:
        cached = _engines.get(key)
        if cached and cached[0] == fingerprint:
            return cached[1]
        if cached:
            cached[1].dispose()
        url, connect_args = build_url_and_args(ds)
        kwargs: dict[str, Any] = {"connect_args": connect_args, "pool_pre_ping": True}
        if ds.engine in (DataSource.Engine.POSTGRESQL, DataSource.Engine.MYSQL):
            kwargs.update(pool_size=settings.DATA_SOURCE_POOL_SIZE, max_overflow=settings.DATA_SOURCE_POOL_SIZE,
                          pool_recycle=1800, pool_timeout=settings.DATA_SOURCE_CONNECT_TIMEOUT)
        engine = sa.create_engine(url, **kwargs)
        _guard_connects(ds, engine)
        _engines[key] = (fingerprint, engine)
        return engine


_control_engines: dict[str, tuple[str, Engine]] = {}


def control_engine_for(ds: DataSource) -> Engine:
    """An unpooled engine for control statements (cancel, kill): it must work when the data
    source's pool is exhausted by the very queries it has to stop."""
    from sqlalchemy.pool import NullPool

    key, fingerprint = str(ds.pk), _fingerprint(ds)
    with _engines_lock:
        cached = _control_engines.get(key)
        if cached and cached[0] == fingerprint:
            return cached[1]
        url, connect_args = build_url_and_args(ds)
        engine = sa.create_engine(url, connect_args=connect_args, poolclass=NullPool)
        _guard_connects(ds, engine)
        _control_engines[key] = (fingerprint, engine)
        return engine


def _guard_connects(ds: DataSource, engine: Engine) -> None:
    """Re-check the host on every new connection: DNS may answer differently than when the data
    source was saved (rebinding)."""
    if ds.engine not in (DataSource.Engine.POSTGRESQL, DataSource.Engine.MYSQL):
        return
    host, port, database = ds.host, ds.port or DEFAULT_PORTS[ds.engine], ds.database

    @sa.event.listens_for(engine, "do_connect")
    def _recheck(dialect: Any, conn_rec: Any, cargs: Any, cparams: Any) -> None:
        check_host_allowed(host, port, database)


def dispose_engine(ds_id: Any) -> None:
    with _engines_lock:
        cached = _engines.pop(str(ds_id), None)
    if cached:
        cached[1].dispose()


# --- probing ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConnectionTest:
    success: bool
    message: str
    latency_ms: float
    server_version: str = ""
    warnings: tuple[str, ...] = ()


_PRIVILEGE_SQL = {
    DataSource.Engine.POSTGRESQL: "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
    DataSource.Engine.MYSQL: "SELECT COUNT(*) > 0 FROM information_schema.USER_PRIVILEGES "
                             "WHERE PRIVILEGE_TYPE IN ('SUPER', 'FILE', 'INSERT', 'DELETE', 'DROP') "
                             "AND GRANTEE = CONCAT(\"'\", SUBSTRING_INDEX(CURRENT_USER(), '@', 1), \"'@'\", "
                             "SUBSTRING_INDEX(CURRENT_USER(), '@', -1), \"'\")",
}


_VERSION_SQL = {
    DataSource.Engine.POSTGRESQL: "SELECT version()",
    DataSource.Engine.MYSQL: "SELECT VERSION()",
    DataSource.Engine.SQLITE: "SELECT 'SQLite ' || sqlite_version()",
    DataSource.Engine.DUCKDB: "SELECT 'DuckDB ' || version()",
}


def _connection_lost_markers() -> tuple[str, ...]:
    from queries.executors import CONNECTION_LOST_MARKERS

    return CONNECTION_LOST_MARKERS


def friendly_error(exc: BaseException, ds: DataSource) -> str:
    """A message a person can act on, never containing the password."""
    text = str(getattr(exc, "orig", None) or exc)
    lowered = text.lower()
    where = f"{ds.host}:{ds.port or DEFAULT_PORTS.get(ds.engine, '')}" if ds.host else ds.database
    if "password authentication failed" in lowered or "access denied" in lowered or (
            "role" in lowered and "does not exist" in lowered):
        message = f"Authentication failed for user “{ds.username}”: check the username and password."
    elif "does not exist" in lowered and "database" in lowered or "unknown database" in lowered:
        message = f"The database “{ds.database}” does not exist on {where}."
    elif any(s in lowered for s in ("could not translate host", "name or service not known", "nodename nor servname",
                                      "getaddrinfo failed", "temporary failure in name resolution")):
        message = f"The host “{ds.host}” could not be resolved."
    elif any(s in lowered for s in ("connection refused", "can't connect", "could not connect", "timed out",
                                      "timeout expired", "no route to host", "network is unreachable")):
        message = f"Could not reach {where}: the server is not answering (is it running, and is the port open?)."
    elif "unable to open database file" in lowered or "no such file" in lowered:
        message = f"The database file “{ds.database}” cannot be opened."
    elif any(marker in lowered for marker in _connection_lost_markers()) or "adminshutdown" in lowered:
        message = (f"{where} closed the connection while it was being read (the server restarted, or an "
                   "administrator ended the session). Nothing was changed; try again.")
    elif "ssl" in lowered:
        message = "The SSL/TLS handshake failed: check the server's SSL settings."
    else:
        message = f"Connection failed: {type(getattr(exc, 'orig', None) or exc).__name__}."
    try:
        password = decrypt(ds.password_encrypted)
    except SecretDecryptionError:
        password = ""
    return message.replace(password, "***") if password else message


def probe_connection(ds: DataSource) -> ConnectionTest:
    started = time.perf_counter()
    try:
        engine = engine_for(ds)
        warnings: list[str] = []
        with engine.connect() as connection:
            version = str(connection.execute(sa.text(_VERSION_SQL[ds.engine])).scalar() or "")
            if ds.engine in _PRIVILEGE_SQL:
                try:
                    if connection.execute(sa.text(_PRIVILEGE_SQL[ds.engine])).scalar():
                        warnings.append("This account can write or read server files (superuser or global "
                                        "write/FILE privileges). Give InsightEngine a read-only account.")
                except Exception:  # privilege introspection is advice, never a failure
                    connection.rollback()
    except ValidationFailed as exc:
        return ConnectionTest(False, exc.message, _elapsed(started))
    except SecretDecryptionError:
        return ConnectionTest(False, "The stored password cannot be decrypted: FERNET_KEYS no longer holds the key it "
                                     "was encrypted with. Enter the password again.", _elapsed(started))
    except Exception as exc:  # any driver error becomes a readable failure, never a 500
        dispose_engine(ds.pk)
        return ConnectionTest(False, friendly_error(exc, ds), _elapsed(started))
    return ConnectionTest(True, "Connected successfully.", _elapsed(started), version[:200], tuple(warnings))


def _elapsed(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
