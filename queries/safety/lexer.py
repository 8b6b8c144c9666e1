"""A small, conservative lexer over the raw SQL text.

It exists for one job sqlglot cannot do for us: MySQL runs the body of `/*! ... */` (and `/*+ ... */`
optimizer hints are processed by the server), while sqlglot treats both as plain comments. We scan the
text outside string literals and quoted identifiers and report any block comment that starts with `!` or
`+` — or any such opener appearing inside another comment (comment nesting differs between engines, so we
do not try to be clever). String-literal boundaries depend on server settings (MySQL
NO_BACKSLASH_ESCAPES, PostgreSQL E'' strings), so the scan runs with and without backslash escapes and
reports a hit from either pass.
"""

from __future__ import annotations

_EXEC_MARKERS = ("/*!", "/*+")


def _dollar_tag(sql: str, i: int) -> str | None:
    """PostgreSQL/DuckDB dollar-quote opener at i ($$ or $tag$), else None."""
    j = i + 1
    n = len(sql)
    while j < n and (sql[j].isalnum() or sql[j] == "_"):
        j += 1
    if j < n and sql[j] == "$":
        tag = sql[i : j + 1]
        if len(tag) > 2 and tag[1].isdigit():  # $1 is a parameter, not a tag
            return None
        return tag
    return None


def _mysql_dash_comment(sql: str, i: int) -> bool:
    # MySQL: "--" starts a comment only when followed by whitespace/control character or end of input.
    nxt = sql[i + 2] if i + 2 < len(sql) else ""
    return nxt == "" or nxt.isspace() or ord(nxt) < 32


def _scan(sql: str, engine: str, backslash_escapes: bool) -> bool:
    """True when an executable comment / optimizer hint opener is found outside literals."""
    n = len(sql)
    i = 0
    mysql = engine == "mysql"
    dollar = engine in ("postgresql", "duckdb")
    while i < n:
        ch = sql[i]
        two = sql[i : i + 2]
        if sql.startswith(_EXEC_MARKERS, i):
            return True
        if two == "/*":
            # block comment: skip to the matching end; flag nested openers conservatively
            depth = 1
            j = i + 2
            while j < n and depth:
                if sql.startswith(_EXEC_MARKERS, j):
                    return True
                if sql.startswith("/*", j) and not mysql:
                    depth += 1
                    j += 2
                elif sql.startswith("*/", j):
                    depth -= 1
                    j += 2
                else:
                    j += 1
            i = j
            continue
        if two == "--" and (not mysql or _mysql_dash_comment(sql, i)):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if ch == "#" and mysql:
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if ch in ("'", '"', "`"):
            i = _skip_quoted(sql, i, ch, backslash_escapes and ch != "`")
            continue
        if ch == "$" and dollar:
            tag = _dollar_tag(sql, i)
            if tag:
                end = sql.find(tag, i + len(tag))
                i = n if end < 0 else end + len(tag)
                continue
        i += 1
    return False


def _skip_quoted(sql: str, i: int, quote: str, backslash_escapes: bool) -> int:
    n = len(sql)
    j = i + 1
    while j < n:
        c = sql[j]
        if backslash_escapes and c == "\\":
            j += 2
            continue
        if c == quote:
            if j + 1 < n and sql[j + 1] == quote:  # doubled quote
                j += 2
                continue
            return j + 1
        j += 1
    return n


def has_executable_comment(sql: str, engine: str) -> bool:
    """Conservative: True if either string-escaping interpretation exposes `/*!` or `/*+` outside literals."""
    return _scan(sql, engine, backslash_escapes=True) or _scan(sql, engine, backslash_escapes=False)


def collapse_text(sql: str) -> str:
    """Fallback normal form for unparsable text: lower case, whitespace collapsed."""
    return " ".join(sql.lower().split())
