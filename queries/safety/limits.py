"""Row limit enforced in code, on the AST that is then rendered and executed."""

from __future__ import annotations

from sqlglot import exp

WRAP_ALIAS = "_q"


def effective_limit(limit: int | None, max_rows: int) -> int:
    cap = max(int(max_rows), 0)
    if not limit or limit <= 0:
        return cap
    return min(int(limit), cap)


def literal_int(node: exp.Expression | None) -> int | None:
    """The non-negative integer a LIMIT/FETCH count holds, or None when it is not a plain integer literal."""
    if isinstance(node, exp.Literal) and not node.is_string:
        text = str(node.this).strip()
        if text.isdigit():
            return int(text)
    return None


def user_limit(tree: exp.Expression) -> exp.Expression | None:
    """The LIMIT/FETCH node of the outermost query as written (None when absent)."""
    node = tree.args.get("limit") if isinstance(tree, (exp.Select, exp.SetOperation, exp.Subquery)) else None
    return node if isinstance(node, exp.Expression) else None


def _count_of(limit_node: exp.Expression) -> int | None:
    if isinstance(limit_node, exp.Fetch):
        options = limit_node.args.get("limit_options")
        if limit_node.args.get("percent") or limit_node.args.get("with_ties"):
            return None
        if isinstance(options, exp.Expression) and (options.args.get("percent") or options.args.get("with_ties")):
            return None  # FETCH … PERCENT / WITH TIES can return more rows than the count
        return literal_int(limit_node.args.get("count"))
    if isinstance(limit_node, exp.Limit):
        return literal_int(limit_node.expression)
    return None


def _wrap(query: exp.Expression) -> exp.Select:
    alias = exp.TableAlias(this=exp.to_identifier(WRAP_ALIAS))
    return exp.select("*").from_(exp.Subquery(this=query, alias=alias))


def apply_limit(tree: exp.Expression, effective: int) -> tuple[exp.Expression, int]:
    """Return a copy of the statement whose outermost LIMIT is at most `effective`, and that LIMIT."""
    tree = tree.copy()
    if isinstance(tree, exp.Subquery):
        # parenthesised query with its own ORDER/LIMIT/OFFSET: SELECT * FROM (inner) AS _q ORDER ... LIMIT ...
        inner = tree.this
        outer = _wrap(inner)
        for key in ("order", "limit", "offset"):
            value = tree.args.get(key)
            if value is not None:
                outer.set(key, value)
        tree = outer
    elif isinstance(tree, exp.Values):
        tree = _wrap(tree)
    if not isinstance(tree, (exp.Select, exp.SetOperation)):
        tree = _wrap(tree)

    existing = tree.args.get("limit")
    kept = _count_of(existing) if isinstance(existing, exp.Expression) else None
    if kept is not None and kept <= effective:
        return tree, kept
    if isinstance(existing, exp.Limit) and not existing.args.get("limit_options"):
        existing.set("expression", exp.Literal.number(effective))
    else:
        tree.set("limit", exp.Limit(expression=exp.Literal.number(effective)))
    return tree, effective
