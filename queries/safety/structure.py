"""Parsing and the structural (fail-closed) checks: one statement, read-only, no denied functions."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel
from sqlglot.tokens import TokenType

from .model import (
    EMPTY_QUERY,
    FILE_ACCESS,
    FORBIDDEN_FUNCTION,
    FORBIDDEN_STATEMENT,
    MULTIPLE_STATEMENTS,
    NOT_READ_ONLY,
    PARSE_ERROR,
    SELECT_INTO,
    TOO_COMPLEX,
    TOO_LONG,
    Issue,
)
from .policy import policy_issues
from .quiet import quiet_sqlglot
from .rules import ALLOWED_ROOTS, WRITE_NODES, denied_classes, function_names, is_denied_name, is_pathlike, statement_code

MAX_SQL_LENGTH = 100_000
MAX_AST_NODES = 5_000
MAX_TOKENS = 20_000  # checked before parsing: tokenizing is several times cheaper than parsing


@dataclass
class Parsed:
    statements: list[exp.Expression] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)


def _first_line(message: str) -> str:
    line = (message or "").strip().splitlines()[0] if (message or "").strip() else "invalid SQL"
    return line[:300]


def parse(sql: str, dialect: str) -> Parsed:
    """Parse into statements; never raises. Empty list + no errors means the text holds no statement."""
    out = Parsed()
    if len(sql) > MAX_SQL_LENGTH:
        out.errors.append(Issue(TOO_LONG, f"The statement is too long ({len(sql)} characters; limit {MAX_SQL_LENGTH})."))
        return out
    if "\x00" in sql:
        out.errors.append(Issue(PARSE_ERROR, "The statement contains a NUL character."))
        return out
    try:
        token_count = len(Dialect.get_or_raise(dialect).tokenize(sql))
    except Exception:
        token_count = 0  # let the parser report the error
    if token_count > MAX_TOKENS:
        out.errors.append(Issue(TOO_COMPLEX, f"The statement is too complex ({token_count} tokens; limit {MAX_TOKENS})."))
        return out
    try:
        # sqlglot logs a warning for every "falling back to Command" parse; we reject those anyway.
        with quiet_sqlglot():
            trees = sqlglot.parse(sql, read=dialect, error_level=ErrorLevel.RAISE)
    except Exception as exc:  # ParseError, TokenError, RecursionError, anything: fail closed
        out.errors.append(Issue(PARSE_ERROR, f"Could not parse the SQL: {_first_line(str(exc))}"))
        return out
    out.statements = [t for t in trees if t is not None]
    nodes = 0
    for tree in out.statements:
        for _ in tree.walk():
            nodes += 1
            if nodes > MAX_AST_NODES:
                out.statements = []
                out.errors.append(
                    Issue(TOO_COMPLEX, f"The statement is too complex (more than {MAX_AST_NODES} syntax nodes); simplify it.")
                )
                return out
    return out


def into_file_issues(sql: str, dialect: str) -> list[Issue]:
    """`INTO OUTFILE` / `INTO DUMPFILE` found on the token stream (sqlglot's MySQL parser rejects it as a parse error,
    which would hide the real reason)."""
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    except Exception:
        return []
    for current, following in zip(tokens, tokens[1:], strict=False):
        if current.token_type == TokenType.INTO and following.text.upper() in ("OUTFILE", "DUMPFILE"):
            return [Issue(SELECT_INTO, f"SELECT … INTO {following.text.upper()} writes a file on the server; it is not allowed.")]
    return []


def check_statement_count(parsed: Parsed) -> list[Issue]:
    if parsed.errors:
        return []
    if not parsed.statements:
        return [Issue(EMPTY_QUERY, "The query is empty.")]
    if len(parsed.statements) > 1:
        return [
            Issue(
                MULTIPLE_STATEMENTS,
                f"Only one statement can be run at a time; found {len(parsed.statements)}.",
                "Remove everything after the first statement.",
            )
        ]
    return []


def _root_kind(tree: exp.Expression) -> str:
    return type(tree).__name__.upper()


def _statement_label(tree: exp.Expression) -> str:
    """What the user wrote, roughly: the keyword for sqlglot's Command fallback, else the node type."""
    if isinstance(tree, exp.Command):
        keyword = str(tree.this or "").strip().split(" ")[0].upper()
        if keyword.isalpha():
            return keyword
    if isinstance(tree, (exp.Alias, exp.Column, exp.Identifier)):
        return "an unsupported statement"
    return _root_kind(tree)


def check_tree(tree: exp.Expression, engine: str, dialect: str) -> list[Issue]:
    """Fail-closed structural checks on one parsed statement."""
    issues: list[Issue] = []
    seen: set[tuple[str, str]] = set()

    def add(issue: Issue) -> None:
        key = (issue.code, issue.message)
        if key not in seen:
            seen.add(key)
            issues.append(issue)

    if not isinstance(tree, ALLOWED_ROOTS) or (isinstance(tree, exp.Subquery) and not _is_query(tree.unnest())):
        kind = _statement_label(tree)
        if isinstance(tree, WRITE_NODES):
            add(Issue(NOT_READ_ONLY, f"Only read-only queries are allowed; this is a {kind} statement."))
        else:
            add(
                Issue(
                    FORBIDDEN_STATEMENT,
                    f"Only a single read-only query (SELECT, WITH … SELECT, UNION/INTERSECT/EXCEPT, VALUES) is allowed; "
                    f"got {kind}.",
                )
            )

    typed_denied = denied_classes(engine, dialect)
    for node in tree.walk():
        code = statement_code(node) if node is not tree else None
        if code == NOT_READ_ONLY:
            add(Issue(NOT_READ_ONLY, f"Data-modifying {_root_kind(node)} is not allowed in a read-only query."))
        elif code == FORBIDDEN_STATEMENT:
            add(Issue(FORBIDDEN_STATEMENT, f"{_root_kind(node)} statements are not allowed."))
        for issue in policy_issues(node, engine):
            add(issue)
        if not _well_formed(node):
            add(
                Issue(
                    PARSE_ERROR,
                    "Expected a query inside the parentheses (CTE, subquery, EXISTS); found something else.",
                )
            )
        if isinstance(node, exp.Into):
            add(Issue(SELECT_INTO, "SELECT … INTO writes its result somewhere; only plain SELECT is allowed."))
        elif isinstance(node, exp.Lock):
            add(Issue(NOT_READ_ONLY, "Locking clauses (FOR UPDATE / FOR SHARE) are not allowed in a read-only query."))
        elif isinstance(node, exp.Func):
            names = function_names(node)
            if isinstance(node, typed_denied) or any(is_denied_name(n, engine) for n in names if n):
                shown = (names[0] if names else type(node).__name__).lower()
                add(Issue(FORBIDDEN_FUNCTION, f'The function "{shown}" is not allowed.'))
        elif isinstance(node, exp.Table):
            for part in node.parts:
                name = part.name if isinstance(part, exp.Expression) else str(part)
                if isinstance(part, (exp.Identifier, exp.Literal, exp.Var)) and is_pathlike(name):
                    add(Issue(FILE_ACCESS, f'"{name}" looks like a file or URL; reading files is not allowed.'))
            if isinstance(node.this, exp.Literal) and node.this.is_string:
                add(Issue(FILE_ACCESS, "Reading from a string table reference is not allowed."))
    return issues


def _is_query(node: object) -> bool:
    return isinstance(node, (exp.Query, exp.Values))


def _well_formed(node: exp.Expression) -> bool:
    """sqlglot is lenient where databases are not: `WITH w AS (CHECKPOINT)`, `FROM (BEGIN) AS w` and
    `EXISTS (COMMIT)` parse (as identifiers). Require a real query wherever one is expected."""
    if isinstance(node, exp.CTE):
        return _is_query(node.this)
    if isinstance(node, exp.Exists):
        return _is_query(node.this)
    if isinstance(node, exp.Subquery):
        inner = node.this
        if isinstance(inner, exp.Table):
            return bool(inner.args.get("joins"))  # parenthesised join: FROM (a JOIN b ON ...)
        return _is_query(inner)
    return True


def unwrap_root(tree: exp.Expression) -> exp.Expression:
    """Strip redundant parentheses around the whole query: `((SELECT 1))` -> `SELECT 1`."""
    while (
        isinstance(tree, exp.Subquery)
        and not tree.alias
        and all(v is None or v == [] for k, v in tree.args.items() if k != "this")
    ):
        inner = tree.this
        if not isinstance(inner, exp.Query):
            break
        tree = inner
    return tree
