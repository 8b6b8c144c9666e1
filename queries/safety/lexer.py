"""A small, conservative lexer over raw SQL text, for what sqlglot's tokenizer cannot tell us.

1. MySQL runs the body of `/*! ... */` (and the server reads `/*+ ... */` optimizer hints) while sqlglot
   treats both as plain comments. We scan outside string literals and quoted identifiers and report any
   block comment opening with `!` or `+`, including inside another comment (nesting rules differ between
   engines, so we do not try to be clever).
2. PostgreSQL/DuckDB `U&"..."` / `U&'...'` Unicode-escape names can spell a denied function without
   its letters appearing in the text; we reject the syntax.
3. String-literal boundaries depend on server settings (MySQL NO_BACKSLASH_ESCAPES, PostgreSQL
   standard_conforming_strings). Every scan runs with and without backslash escapes; the executed SQL
   must lex to the same literal boundaries under both readings, so no setting can shift code into or out
   of a string.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_EXEC_MARKERS = ("/*!", "/*+")


@dataclass
class Scan:
    executable_comment: bool = False
    unicode_escape: bool = False
    literals: list[tuple[int, int]] = field(default_factory=list)  # [start, end) of quoted literals
    comments: list[tuple[int, int]] = field(default_factory=list)  # [start, end) of comments


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
        if i > 0 and (sql[i - 1].isalnum() or sql[i - 1] == "_"):
            return None  # part of an identifier such as a$b$
        return tag
    return None


def _mysql_dash_comment(sql: str, i: int) -> bool:
    # MySQL: "--" starts a comment only when followed by whitespace/control character or end of input.
    nxt = sql[i + 2] if i + 2 < len(sql) else ""
    return nxt == "" or nxt.isspace() or ord(nxt) < 32


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


def _skip_block_comment(sql: str, i: int, nested: bool, out: Scan) -> int:
    n = len(sql)
    depth = 1
    j = i + 2
    while j < n and depth:
        if sql.startswith(_EXEC_MARKERS, j):
            out.executable_comment = True
        if sql.startswith("/*", j) and nested:
            depth += 1
            j += 2
        elif sql.startswith("*/", j):
            depth -= 1
            j += 2
        else:
            j += 1
    return j


def scan(sql: str, engine: str, backslash_escapes: bool) -> Scan:
    out = Scan()
    n = len(sql)
    i = 0
    mysql = engine == "mysql"
    dollar = engine in ("postgresql", "duckdb")
    while i < n:
        ch = sql[i]
        if sql.startswith(_EXEC_MARKERS, i):
            out.executable_comment = True
        if sql.startswith("/*", i):
            end = _skip_block_comment(sql, i, nested=not mysql, out=out)
            out.comments.append((i, end))
            i = end
            continue
        if (sql.startswith("--", i) and (not mysql or _mysql_dash_comment(sql, i))) or (ch == "#" and mysql):
            j = sql.find("\n", i)
            end = n if j < 0 else j + 1
            out.comments.append((i, end))
            i = end
            continue
        if ch in "uU" and dollar and sql[i + 1 : i + 2] == "&" and sql[i + 2 : i + 3] in ("'", '"'):
            out.unicode_escape = True
        if ch in ("'", '"', "`"):
            end = _skip_quoted(sql, i, ch, backslash_escapes and ch != "`")
            out.literals.append((i, end))
            i = end
            continue
        if ch == "$" and dollar:
            tag = _dollar_tag(sql, i)
            if tag:
                end = sql.find(tag, i + len(tag))
                end = n if end < 0 else end + len(tag)
                out.literals.append((i, end))
                i = end
                continue
        i += 1
    return out


def text_flags(sql: str, engine: str) -> tuple[bool, bool]:
    """(executable comment, unicode escape) under either escaping reading, from one pair of scans."""
    a, b = scan(sql, engine, True), scan(sql, engine, False)
    return a.executable_comment or b.executable_comment, a.unicode_escape or b.unicode_escape


def has_executable_comment(sql: str, engine: str) -> bool:
    """Conservative: True if either string-escaping interpretation exposes `/*!` or `/*+` outside literals."""
    return scan(sql, engine, True).executable_comment or scan(sql, engine, False).executable_comment


def has_unicode_escape(sql: str, engine: str) -> bool:
    return scan(sql, engine, True).unicode_escape or scan(sql, engine, False).unicode_escape


def literal_boundaries_stable(sql: str, engine: str) -> bool:
    """True when the text lexes to the same quoted literals with and without backslash escapes."""
    return scan(sql, engine, True).literals == scan(sql, engine, False).literals


def collapse_text(sql: str) -> str:
    """Fallback normal form for unparsable text: lower case, whitespace collapsed."""
    return " ".join(sql.lower().split())
