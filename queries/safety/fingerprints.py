"""Normal forms of a statement: the canonical rendering and the literal-insensitive fingerprint."""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from .lexer import collapse_text
from .quiet import quiet_sqlglot

PLACEHOLDER = "?"


def render(tree: exp.Expression, dialect: str) -> str:
    """Single-line rendering in the dialect, comments dropped (comments never reach the database)."""
    with quiet_sqlglot():
        return tree.sql(dialect=dialect, comments=False)


def _placeholder() -> exp.Expression:
    return exp.Var(this=PLACEHOLDER)


def _is_placeholder(node: exp.Expression) -> bool:
    return isinstance(node, exp.Var) and node.this == PLACEHOLDER


def _replace_literals(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Literal):
        return _placeholder()
    if isinstance(node, exp.Neg) and isinstance(node.this, (exp.Literal, exp.Var)):
        return _placeholder()
    if isinstance(node, (exp.Parameter, exp.Placeholder)):
        return _placeholder()
    return node


def _collapse_lists(node: exp.Expression) -> exp.Expression:
    # IN (?, ?, ?) and IN (?) group together
    if isinstance(node, exp.In):
        items = node.expressions
        if items and all(_is_placeholder(i) for i in items):
            node.set("expressions", [_placeholder()])
    return node


def fingerprint_tree(tree: exp.Expression, dialect: str) -> str:
    tree = tree.copy().transform(_replace_literals, copy=False).transform(_collapse_lists, copy=False)
    try:
        tree = normalize_identifiers(tree, dialect=dialect)
    except Exception:
        pass
    return render(tree, dialect)


def fingerprint_text(sql: str) -> str:
    return collapse_text(sql)
