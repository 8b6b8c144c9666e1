"""Schema-aware analysis on a private copy of the AST: qualification and unknown-column checks.

The executed SQL never comes from here; this copy is rewritten freely (tables pinned to the synced schema,
identifiers case-folded the way the engine folds them) so sqlglot's optimizer can resolve every column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope, traverse_scope
from sqlglot.schema import MappingSchema

from .catalog import Catalog, base_tables, did_you_mean, suggest
from .model import UNKNOWN_COLUMN, Issue, TableInfo
from .quiet import quiet_sqlglot

PSEUDO_COLUMNS: dict[str, frozenset[str]] = {
    "postgresql": frozenset({"ctid", "xmin", "xmax", "cmin", "cmax", "tableoid", "oid"}),
    "mysql": frozenset(),
    "sqlite": frozenset({"rowid", "oid", "_rowid_"}),
    "duckdb": frozenset({"rowid"}),
}


@dataclass
class Qualified:
    """The analysis copy and what we know about the base tables it reads."""

    tree: exp.Expression
    root: Scope | None
    engine: str
    # (folded schema key, folded table name) of a pinned table in the copy -> TableInfo
    table_info: dict[tuple[str, str], TableInfo] = field(default_factory=dict)
    complete: bool = True  # every referenced table has column metadata

    def fold(self, name: str) -> str:
        return fold(self.engine, name)

    def info_for(self, table: exp.Table) -> TableInfo | None:
        return self.table_info.get((table.db, table.name))


def fold(engine: str, name: str) -> str:
    # PostgreSQL identifiers are exact once unquoted ones are lower-cased (which qualify() does);
    # the other engines compare column names case-insensitively.
    return name if engine == "postgresql" else name.lower()


def _pin_tables(tree: exp.Expression, catalog: Catalog) -> tuple[dict[tuple[str, str], TableInfo], bool]:
    """Point every base-table reference at the TableInfo it resolves to (exact stored names, quoted)."""
    infos: dict[tuple[str, str], TableInfo] = {}
    complete = True
    engine = catalog.engine
    for table in base_tables(tree):
        info = catalog.resolve(table)
        if info is None:
            complete = False
            continue
        if not info.columns:
            complete = False
        if not table.alias:
            # keep the name the query uses to refer to the table, folded the way the engine folds it
            ident = table.this
            name = ident.name
            if engine == "postgresql" and not (isinstance(ident, exp.Identifier) and ident.quoted):
                name = name.lower()
            table.set("alias", exp.TableAlias(this=exp.to_identifier(name, quoted=True)))
        key = (fold(engine, catalog.schema_key(info)), fold(engine, info.name))
        table.set("catalog", None)
        table.set("db", exp.to_identifier(key[0], quoted=True))
        table.set("this", exp.to_identifier(key[1], quoted=True))
        infos[key] = info
    return infos, complete


def _mapping(catalog: Catalog) -> MappingSchema:
    data: dict[str, dict[str, dict[str, str]]] = {}
    for info in catalog.tables:
        if not info.columns:
            continue
        cols = {fold(catalog.engine, c.name): "UNKNOWN" for c in info.columns}
        data.setdefault(fold(catalog.engine, catalog.schema_key(info)), {})[fold(catalog.engine, info.name)] = cols
    return MappingSchema(data, normalize=False)


def _lower_identifiers(tree: exp.Expression) -> None:
    for ident in tree.find_all(exp.Identifier):
        if isinstance(ident.parent, exp.Table) and ident.quoted and ident.arg_key in ("this", "db"):
            continue  # already pinned
        ident.set("this", ident.name.lower())


def qualify_copy(tree: exp.Expression, catalog: Catalog, dialect: str) -> Qualified | None:
    """Qualified copy of `tree` with stars expanded, or None when sqlglot cannot qualify it."""
    copy = tree.copy()
    if catalog.engine != "postgresql":
        _lower_identifiers(copy)
    infos, complete = _pin_tables(copy, catalog)
    try:
        with quiet_sqlglot():
            qualified = qualify(
                copy,
                dialect=dialect,
                schema=_mapping(catalog),
                validate_qualify_columns=False,
                allow_partial_qualification=True,
                quote_identifiers=False,
                identify=False,
            )
            root = build_scope(qualified)
    except Exception:
        return None
    return Qualified(tree=qualified, root=root, engine=catalog.engine, table_info=infos, complete=complete)


# --- unknown columns ------------------------------------------------------------------------------------------


def _find_source(scope: Scope | None, alias: str) -> exp.Expression | Scope | None:
    while scope is not None:
        if alias in scope.sources:
            source: exp.Expression | Scope = scope.sources[alias]
            return source
        scope = scope.parent
    return None


def scope_output_names(scope: Scope) -> list[str] | None:
    """Output column names of a derived scope, None when not determinable (unexpanded star, ...)."""
    expr = scope.expression
    while isinstance(expr, exp.SetOperation):
        expr = expr.left
    if isinstance(expr, exp.Subquery):
        expr = expr.unnest()
    if not isinstance(expr, exp.Select):
        return None
    names: list[str] = []
    for projection in expr.selects:
        if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star):
            return None
        names.append(projection.alias_or_name)
    if scope.outer_columns:
        return list(scope.outer_columns)
    return names


def _source_columns(q: Qualified, source: exp.Expression | Scope) -> list[str] | None:
    if isinstance(source, Scope):
        return scope_output_names(source)
    if isinstance(source, exp.Table):
        info = q.info_for(source)
        if info is None or not info.columns:
            return None
        names = [q.fold(c.name) for c in info.columns]
        alias_cols = source.args.get("alias").columns if source.args.get("alias") else []
        return [c.name for c in alias_cols] or names
    return None


def _projection_aliases(scope: Scope, column: exp.Column) -> set[str]:
    """Aliases of the select's projections other than the one `column` sits in (alias references)."""
    expr = scope.expression
    if not isinstance(expr, exp.Select):
        return set()
    own: exp.Expression | None = column
    while own is not None and own.parent is not expr:
        own = own.parent
    return {p.alias for p in expr.selects if isinstance(p, exp.Alias) and p is not own}


def _in_lambda(column: exp.Column) -> bool:
    lam = column.find_ancestor(exp.Lambda)
    if lam is None:
        return False
    params = {p.name for p in lam.expressions}
    return column.name in params


def unknown_columns(q: Qualified, tables: tuple[TableInfo, ...]) -> list[Issue]:
    """UNKNOWN_COLUMN issues; only reported where every source's columns are known (no guessing)."""
    issues: list[Issue] = []
    reported: set[str] = set()
    pseudo = PSEUDO_COLUMNS.get(q.engine, frozenset())
    original_names = {q.fold(c.name): c.name for t in tables for c in t.columns}

    def report(written: str, message: str, candidates: list[str]) -> None:
        if written.lower() in reported:
            return
        reported.add(written.lower())
        shown = [original_names.get(c, c) for c in candidates]
        matches = suggest(written.split(".")[-1], shown)
        issues.append(Issue(UNKNOWN_COLUMN, message + did_you_mean(matches), matches[0] if matches else None))

    for scope in traverse_scope(q.tree):
        if not isinstance(scope.expression, exp.Select):
            continue
        for column in scope.columns:
            name = column.name
            if not name or name == "*" or name.lower() in pseudo or _in_lambda(column):
                continue
            shown_name = original_names.get(name, name)
            if column.table:
                source = _find_source(scope, column.table)
                if source is None:
                    # `t.id` where nothing in scope is called t (could be a struct field: do not guess)
                    if q.complete and not isinstance(column.parent, exp.Dot):
                        report(
                            f"{column.table}.{name}",
                            f'Unknown column "{column.table}.{shown_name}": there is no table or alias "{column.table}".',
                            [],
                        )
                    continue
                known = _source_columns(q, source)
                if known is not None and name not in known:
                    label = source.name if isinstance(source, exp.Table) else column.table
                    report(name, f'Unknown column "{shown_name}" in "{label}".', known)
                continue
            if name in _projection_aliases(scope, column):
                continue
            candidates: list[str] = []
            all_known = True
            s: Scope | None = scope
            while s is not None:
                for src in s.sources.values():
                    cols = _source_columns(q, src)
                    if cols is None:
                        all_known = False
                    else:
                        candidates.extend(cols)
                s = s.parent
            if all_known and scope.sources and name not in candidates:
                report(name, f'Unknown column "{shown_name}".', candidates)
    return issues
