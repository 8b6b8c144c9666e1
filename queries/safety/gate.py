"""The gate: `check()` turns user SQL into either a safe, re-rendered, row-limited statement or errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlglot import exp

from . import advice
from .analysis import Qualified, qualify_copy, unknown_columns
from .catalog import Catalog, base_tables, referenced_tables, table_label, unknown_tables
from .fingerprints import fingerprint_text, fingerprint_tree, render
from .lexer import literal_boundaries_stable, text_flags
from .limits import apply_limit, effective_limit, user_limit
from .lineage import Lineage
from .model import (
    DIALECTS,
    EMPTY_QUERY,
    EXECUTABLE_COMMENT,
    PARSE_ERROR,
    PII_COLUMN,
    TOO_LONG,
    UNSUPPORTED_ENGINE,
    CheckResult,
    Issue,
    TableInfo,
)
from .rls import TablePolicy, apply_policies
from .structure import MAX_SQL_LENGTH, check_statement_count, check_tree, into_file_issues, parse, unwrap_root


def _result(
    *,
    errors: Sequence[Issue],
    warnings: Sequence[Issue] = (),
    sql: str = "",
    normalized_sql: str = "",
    fingerprint: str = "",
    tables: Sequence[str] = (),
    limit: int | None = None,
    pii_columns: Sequence[int] = (),
    output_columns: Sequence[str] = (),
    pii_untraced: bool = False,
) -> CheckResult:
    ok = not errors
    return CheckResult(
        ok=ok,
        sql=sql if ok else "",
        normalized_sql=normalized_sql,
        fingerprint=fingerprint,
        errors=tuple(errors),
        warnings=tuple(warnings),
        tables=tuple(tables),
        limit=limit if ok else None,
        pii_columns=tuple(pii_columns),
        output_columns=tuple(output_columns),
        pii_untraced=pii_untraced,
    )


def _safely(produce: Callable[[], list[Issue]]) -> list[Issue]:
    """Advisory analyses (warnings, "did you mean") must never turn into a failure of the gate itself."""
    try:
        return produce()
    except Exception:
        return []


def _normalized(statements: Sequence[exp.Expression], dialect: str) -> str:
    try:
        return "; ".join(render(s, dialect) for s in statements)
    except Exception:
        return ""


def _fingerprint(sql: str, statements: Sequence[exp.Expression], dialect: str) -> str:
    try:
        if len(statements) == 1:
            return fingerprint_tree(statements[0], dialect)
    except Exception:
        pass
    return fingerprint_text(sql)


def _dedupe(issues: Sequence[Issue]) -> list[Issue]:
    seen: set[tuple[str, str]] = set()
    out: list[Issue] = []
    for issue in issues:
        key = (issue.code, issue.message)
        if key not in seen:
            seen.add(key)
            out.append(issue)
    return out


def _written_names(tree: exp.Expression, engine: str) -> list[str] | None:
    """Output names from the statement as written (no schema needed); None if any is not a plain name."""
    leaf = tree
    while isinstance(leaf, exp.SetOperation):
        leaf = leaf.left
    leaf = unwrap_root(leaf)
    if not isinstance(leaf, exp.Select):
        return None
    names: list[str] = []
    for projection in leaf.selects:
        if isinstance(projection, exp.Alias):
            ident = projection.args.get("alias")
        elif isinstance(projection, exp.Column) and not projection.is_star:
            ident = projection.this
        else:
            return None
        if not isinstance(ident, exp.Identifier):
            return None
        name = ident.name
        if engine == "postgresql" and not ident.quoted:
            name = name.lower()
        names.append(name)
    return names


def _leftmost_select(tree: exp.Expression) -> exp.Select | None:
    leaf = tree
    while isinstance(leaf, exp.SetOperation):
        leaf = leaf.left
    leaf = unwrap_root(leaf)
    return leaf if isinstance(leaf, exp.Select) else None


def _is_star(node: exp.Expression) -> bool:
    return isinstance(node, exp.Star) or (isinstance(node, exp.Column) and node.is_star)


def _names_come_from_stars(tree: exp.Expression) -> bool:
    """Only plain columns, aliases and stars: star expansion then yields the real output names."""
    leaf = _leftmost_select(tree)
    return (
        leaf is not None
        and any(_is_star(p) for p in leaf.selects)
        and all(_is_star(p) or isinstance(p, (exp.Column, exp.Alias)) for p in leaf.selects)
    )


def _projection_count(tree: exp.Expression) -> int | None:
    leaf = _leftmost_select(tree)
    if leaf is None or any(_is_star(p) for p in leaf.selects):
        return None
    return len(leaf.selects)


def _plainly_known(tree: exp.Expression, catalog: Catalog) -> bool:
    """The common simple case, decided without the optimizer: the statement reads one table, which has no
    PII column, and every column it names (no stars) is one of that table's. Qualification could then find
    no unknown column and lineage no PII, so both are skipped; anything else takes the full analysis."""
    tables = base_tables(tree)
    if not tables or len({table_label(t).lower() for t in tables}) != 1:
        return False
    info = catalog.resolve(tables[0])
    if info is None or any(column.pii for column in info.columns):
        return False
    exact = catalog.engine == "postgresql"  # names are case-sensitive there: unquoted fold to lower case
    known = {column.name if exact else column.name.lower() for column in info.columns}
    for node in tree.find_all(exp.Column, exp.Star):
        if isinstance(node, exp.Star) or node.is_star:
            return False
        ident = node.this
        if not isinstance(ident, exp.Identifier):
            return False
        name = ident.name if exact and ident.quoted else ident.name.lower()
        if name not in known:
            return False
    return True


def _reads_pii(tree: exp.Expression, catalog: Catalog) -> bool:
    """Any referenced base table, anywhere in the statement (subqueries, CTEs, arguments), has a PII column."""
    return any(info is not None and any(c.pii for c in info.columns) for info in (catalog.resolve(t) for t in base_tables(tree)))


_UNTRACED_WARNING = Issue(
    PII_COLUMN,
    "The query reads a table with PII columns and its output could not be traced to them.",
    "Treat every output column as PII.",
)


def _lineage(
    tree: exp.Expression, qualified: Qualified | None, catalog: Catalog, engine: str
) -> tuple[list[int], list[str], list[Issue], bool]:
    """pii output indexes, output names, PII warnings, pii_untraced (mask every column)."""
    written = _written_names(tree, engine)
    outputs: list[frozenset[str]] | None = None
    names: list[str] | None = written
    untraced = False
    if qualified is not None and qualified.root is not None:
        try:
            lineage = Lineage(qualified)
            outputs = lineage.outputs()
            untraced = lineage.untraced
            if names is None and _names_come_from_stars(tree):
                expanded = lineage.output_names()
                if expanded is not None and outputs is not None and len(expanded) == len(outputs):
                    original = {qualified.fold(c.name): c.name for t in catalog.tables for c in t.columns}
                    names = [original.get(n, n) for n in expanded]
        except Exception:
            outputs = None
    if outputs is not None and names is not None and len(names) != len(outputs):
        names = None
    if outputs is None or untraced:
        if _reads_pii(tree, catalog):
            # fail closed: without lineage every output column may carry PII
            count = len(outputs) if outputs is not None else _projection_count(tree)
            return list(range(count)) if count is not None else [], list(names or []), [_UNTRACED_WARNING], True
        if outputs is None:
            return [], list(names or []), [], False
    assert outputs is not None
    indexes = [i for i, sources in enumerate(outputs) if sources]
    return indexes, list(names or []), advice.pii_warnings(names, outputs, indexes), False


def _check(sql: str, engine: str, schema: Sequence[TableInfo] | None, limit: int | None, max_rows: int,
           policies: Sequence[TablePolicy] = ()) -> CheckResult:
    if not isinstance(sql, str):
        return _result(errors=[Issue(PARSE_ERROR, "The query must be text.")])
    dialect = DIALECTS.get(engine)
    if dialect is None:
        return _result(errors=[Issue(UNSUPPORTED_ENGINE, f'Unsupported database engine "{engine}".')])
    if not sql.strip():
        return _result(errors=[Issue(EMPTY_QUERY, "The query is empty.")])

    if len(sql) > MAX_SQL_LENGTH:
        return _result(
            errors=[Issue(TOO_LONG, f"The statement is too long ({len(sql)} characters; limit {MAX_SQL_LENGTH}).")],
            fingerprint=fingerprint_text(sql[:1000]),
        )
    errors: list[Issue] = []
    executable_comment, unicode_escape = text_flags(sql, engine)
    if executable_comment:
        errors.append(
            Issue(
                EXECUTABLE_COMMENT,
                "Executable comments (/*! … */) and optimizer hints (/*+ … */) are not allowed.",
                "Remove the /*! … */ or /*+ … */ comment.",
            )
        )
    if unicode_escape:
        errors.append(Issue(PARSE_ERROR, "Unicode-escape names and strings (U&\"…\", U&'…') are not supported."))
    parsed = parse(sql, dialect)
    if parsed.errors:  # sqlglot cannot parse MySQL's INTO OUTFILE; say why instead of just "parse error"
        errors += into_file_issues(sql, dialect)
    errors += parsed.errors
    errors += check_statement_count(parsed)
    statements = [unwrap_root(s) for s in parsed.statements]
    normalized = _normalized(statements, dialect) if not parsed.errors else ""
    fp = _fingerprint(sql, statements, dialect)
    for statement in statements:
        errors += check_tree(statement, engine, dialect)
    tables = referenced_tables(statements[0]) if len(statements) == 1 else ()
    if errors or len(statements) != 1:
        return _result(errors=_dedupe(errors), normalized_sql=normalized, fingerprint=fp, tables=tables)

    tree = statements[0]
    catalog = Catalog(engine, tuple(schema)) if schema is not None else None
    warnings: list[Issue] = []
    pii_indexes: list[int] = []
    pii_untraced = False
    names: list[str] = _written_names(tree, engine) or []
    if catalog is not None:
        errors += unknown_tables(tree, catalog)
    if catalog is not None and not errors and _plainly_known(tree, catalog):
        pass  # nothing to qualify or trace: one table without PII, every column named as it is stored
    elif catalog is not None:
        qualified = qualify_copy(tree, catalog, dialect) if not errors else None
        if qualified is not None:
            q, tables_info = qualified, catalog.tables
            errors += _safely(lambda: unknown_columns(q, tables_info))
        pii_indexes, names, pii_warn, pii_untraced = _lineage(tree, qualified, catalog, engine)
        warnings += pii_warn

    wrote_limit = user_limit(tree) is not None
    warnings = (
        _safely(lambda: advice.large_tables(tree, catalog, wrote_limit))
        + _safely(lambda: advice.select_star(tree))
        + _safely(lambda: advice.cartesian_joins(tree))
        + warnings
    )
    if errors:
        return _result(
            errors=_dedupe(errors),
            warnings=_dedupe(warnings),
            normalized_sql=normalized,
            fingerprint=fp,
            tables=tables,
            pii_columns=pii_indexes,
            output_columns=names,
            pii_untraced=pii_untraced,
        )

    if policies:
        tree, rls_errors = apply_policies(tree, policies, dialect)
        if rls_errors:
            return _result(errors=rls_errors, normalized_sql=normalized, fingerprint=fp, tables=tables)
    limited, applied = apply_limit(tree, effective_limit(limit, max_rows))
    executed = render(limited, dialect)
    verify_errors = _verify(executed, engine, dialect)
    if verify_errors:
        return _result(errors=verify_errors, normalized_sql=normalized, fingerprint=fp, tables=tables)
    return _result(
        errors=(),
        warnings=_dedupe(warnings),
        sql=executed,
        normalized_sql=normalized,
        fingerprint=fp,
        tables=tables,
        limit=applied,
        pii_columns=pii_indexes,
        output_columns=names,
        pii_untraced=pii_untraced,
    )


def _verify(executed: str, engine: str, dialect: str) -> list[Issue]:
    """Fail closed if the re-rendered statement does not parse back into one allowed statement."""
    parsed = parse(executed, dialect)
    problems = parsed.errors + check_statement_count(parsed)
    if not problems:
        problems = check_tree(parsed.statements[0], engine, dialect)
    if problems:
        return [Issue(PARSE_ERROR, "The statement could not be safely re-rendered for execution.")]
    if not literal_boundaries_stable(executed, engine):
        # e.g. a PostgreSQL string ending in a backslash: with standard_conforming_strings=off (or MySQL without
        # NO_BACKSLASH_ESCAPES) the server would end the literal somewhere else than we did.
        return [
            Issue(
                PARSE_ERROR,
                "A string literal has a backslash before a quote, which the database could read differently.",
                "Avoid a backslash right before a quote (for example at the end of a string).",
            )
        ]
    return []


def check(
    sql: str,
    *,
    engine: str,
    schema: Sequence[TableInfo] | None = None,
    limit: int | None = None,
    max_rows: int = 10000,
    policies: Sequence[TablePolicy] = (),
) -> CheckResult:
    """Validate one user statement. Never raises; anything unexpected fails closed as PARSE_ERROR.

    `policies` (row filters, visible columns) are applied to every read of a governed table; pass a
    `schema` without the caller's hidden columns so that naming one is an unknown column."""
    try:
        return _check(sql, engine, schema, limit, max_rows, tuple(policies))
    except Exception as exc:  # pragma: no cover - defensive
        try:
            fp = fingerprint_text(sql) if isinstance(sql, str) else ""
        except Exception:
            fp = ""
        return _result(errors=[Issue(PARSE_ERROR, f"The query could not be analysed ({type(exc).__name__}).")], fingerprint=fp)


def fingerprint(sql: str, *, engine: str) -> str:
    """Literal-insensitive normal form for grouping; falls back to collapsed lower-case text."""
    try:
        dialect = DIALECTS.get(engine)
        if dialect is None:
            return fingerprint_text(sql)
        parsed = parse(sql, dialect)
        if parsed.errors:
            return fingerprint_text(sql)
        return _fingerprint(sql, [unwrap_root(s) for s in parsed.statements], dialect)
    except Exception:
        return fingerprint_text(sql) if isinstance(sql, str) else ""
