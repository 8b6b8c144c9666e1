"""Column lineage on the qualified copy: which output columns derive from a PII-tagged column.

Rules: an output column is PII when its expression reads a PII column anywhere (aliases, functions such
as lower()/CONCAT(), CASE, MIN/MAX/STRING_AGG/GROUP_CONCAT/ARRAY_AGG, window functions, scalar
subqueries, derived tables, CTEs, every branch of a set operation, expanded stars) — except inside
COUNT(...) and EXISTS(...), whose values are numbers/booleans. Window PARTITION BY / ORDER BY do not
make the window's value PII. VALUES rows, UNNEST(...), LATERAL and table functions derive every column from
every expression inside them (subqueries included). Whenever a reference cannot be resolved the tracer sets
`untraced`, and the gate then fails closed (every output column is PII if the statement reads a PII table).
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from .analysis import Qualified, scope_output_names


def _leaf_select_scopes(scope: Scope) -> list[Scope]:
    if isinstance(scope.expression, exp.SetOperation):
        out: list[Scope] = []
        for child in getattr(scope, "set_operation_scopes", None) or getattr(scope, "union_scopes", []):
            out.extend(_leaf_select_scopes(child))
        return out
    return [scope]


def _is_star(node: exp.Expression) -> bool:
    return isinstance(node, exp.Star) or (isinstance(node, exp.Column) and node.is_star)


class Lineage:
    def __init__(self, q: Qualified) -> None:
        self.q = q
        assert q.root is not None
        self.root: Scope = q.root
        self.scope_of: dict[int, Scope] = {}
        for s in q.root.traverse():
            # a recursive CTE's base branch also gets a source-less helper scope: keep the richest scope per node
            known = self.scope_of.get(id(s.expression))
            if known is None or len(s.sources) > len(known.sources):
                self.scope_of[id(s.expression)] = s
        self._active: set[tuple[int, str]] = set()
        self._memo: dict[tuple[int, int], frozenset[str]] = {}
        self.untraced = False
        # recursive CTEs: sqlglot does not list the CTE among the sources of its own recursive branch
        self.cte_scopes: dict[str, Scope] = {
            cte.alias_or_name: self.scope_of[id(cte.this)] for cte in q.tree.find_all(exp.CTE) if id(cte.this) in self.scope_of
        }

    # -- outputs of a scope -------------------------------------------------------------------------------------

    def projection_count(self, scope: Scope) -> int | None:
        leaf = _leaf_select_scopes(scope)[0]
        expr = leaf.expression
        if not isinstance(expr, exp.Select) or any(_is_star(p) for p in expr.selects):
            return None
        return len(expr.selects)

    def projection_pii(self, scope: Scope, index: int) -> frozenset[str]:
        key = (id(scope), index)
        if key in self._memo:
            return self._memo[key]
        out: set[str] = set()
        for leaf in _leaf_select_scopes(scope):
            expr = leaf.expression
            if isinstance(expr, exp.Select):
                selects = expr.selects
                if any(_is_star(p) for p in selects):
                    out |= self.all_pii(leaf)  # unexpanded star: cannot line up positions, be conservative
                elif index < len(selects):
                    out |= self.expr_pii(selects[index], leaf)
            else:
                out |= self.expr_pii(expr, leaf)
        result = frozenset(out)
        if not self._active:  # inside a recursion cut-off the result may be partial: do not memoize it
            self._memo[key] = result
        return result

    def output_pii(self, scope: Scope, name: str) -> frozenset[str]:
        names = scope_output_names(scope)
        if names is None:
            return self.all_pii(scope)
        index = next((i for i, n in enumerate(names) if n == name), None)
        if index is None:
            index = next((i for i, n in enumerate(names) if n.lower() == name.lower()), None)
        if index is None:
            self.untraced = True
            return self.all_pii(scope)
        return self.projection_pii(scope, index)

    def all_pii(self, scope: Scope) -> frozenset[str]:
        out: set[str] = set()
        for source in scope.sources.values():
            out |= self.source_pii(source, scope)
        if not isinstance(scope.expression, (exp.Select, exp.SetOperation)):
            out |= self.expr_pii(scope.expression, scope)  # VALUES rows, ...
        return frozenset(out)

    def source_pii(self, source: exp.Expression | Scope, scope: Scope) -> frozenset[str]:
        if isinstance(source, Scope):
            count = self.projection_count(source)
            if count is None:
                return self.all_pii(source)
            out: set[str] = set()
            for i in range(count):
                out |= self.projection_pii(source, i)
            return frozenset(out)
        if isinstance(source, exp.Table):
            info = self.q.info_for(source)
            if info is not None:
                return frozenset(f"{info.name}.{c.name}" for c in info.columns if c.pii)
            if not isinstance(source.this, exp.Identifier):
                return self.expr_pii(source.this, scope)
            return frozenset()
        if isinstance(source, exp.Expression):
            return self.expr_pii(source, scope)  # UNNEST(...), LATERAL, VALUES: derived from everything inside
        self.untraced = True
        return frozenset()

    def tables_pii(self, node: exp.Expression) -> frozenset[str]:
        """Every PII column of every pinned base table inside `node` (backstop for untracked subqueries)."""
        out: set[str] = set()
        for table in node.find_all(exp.Table):
            info = self.q.info_for(table)
            if info is not None:
                out |= {f"{info.name}.{c.name}" for c in info.columns if c.pii}
        return frozenset(out)

    # -- expressions ---------------------------------------------------------------------------------------------

    def expr_pii(self, node: exp.Expression, scope: Scope) -> frozenset[str]:
        if isinstance(node, (exp.Count, exp.Exists)):
            return frozenset()
        if isinstance(node, exp.Window):
            this = node.this
            return self.expr_pii(this, scope) if isinstance(this, exp.Expression) else frozenset()
        if isinstance(node, exp.Column):
            if node.is_star:
                return self._star_pii(node.table, scope)
            return self.column_pii(node, scope)
        if isinstance(node, exp.Star):
            return self._star_pii("", scope)
        if isinstance(node, exp.Query) and id(node) in self.scope_of:
            sub = self.scope_of[id(node)]
            count = self.projection_count(sub)
            if count is None:
                return self.all_pii(sub)
            out: set[str] = set()
            for i in range(count):
                out |= self.projection_pii(sub, i)
            return frozenset(out)
        if isinstance(node, (exp.Select, exp.SetOperation, exp.Values)) and id(node) not in self.scope_of:
            self.untraced = True
            return self.tables_pii(node)
        if isinstance(node, (exp.Columns, exp.PositionalColumn)):
            self.untraced = True
        out2: set[str] = set()
        for child in node.iter_expressions():
            out2 |= self.expr_pii(child, scope)
        return frozenset(out2)

    def _star_pii(self, table: str, scope: Scope) -> frozenset[str]:
        if table:
            source = self._find_source(scope, table)
            if source is None:
                self.untraced = True
                return frozenset()
            return self.source_pii(source, scope)
        return self.all_pii(scope)

    @staticmethod
    def _find_source(scope: Scope | None, alias: str) -> exp.Expression | Scope | None:
        while scope is not None:
            if alias in scope.sources:
                found: exp.Expression | Scope = scope.sources[alias]
                return found
            scope = scope.parent
        return None

    def column_pii(self, column: exp.Column, scope: Scope) -> frozenset[str]:
        name = column.name
        if not column.table:
            # a reference to another projection's alias (lateral alias, ORDER BY alias) ...
            expr = scope.expression
            if isinstance(expr, exp.Select):
                for projection in expr.selects:
                    if isinstance(projection, exp.Alias) and projection.alias == name and projection is not column.parent:
                        key = (id(projection), name)
                        if key in self._active:
                            return frozenset()
                        self._active.add(key)
                        try:
                            return self.expr_pii(projection.this, scope)
                        finally:
                            self._active.discard(key)
            # ... or an unresolved column: PII if any source in reach has a PII column of that name
            out: set[str] = set()
            s: Scope | None = scope
            while s is not None:
                for source in s.sources.values():
                    if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
                        info = self.q.info_for(source)
                        if info is not None:
                            out |= {f"{info.name}.{c.name}" for c in info.columns if c.pii and self.q.fold(c.name) == name}
                    elif isinstance(source, Scope):
                        out |= self.output_pii(source, name)
                    else:
                        out |= self.source_pii(source, s)  # table function / UNNEST: any of its columns
                s = s.parent
            return frozenset(out)
        source = self._find_source(scope, column.table) or self.cte_scopes.get(column.table)
        if isinstance(source, Scope):
            source = self.scope_of.get(id(source.expression), source)  # the recursive-CTE helper -> real scope
        if source is None:
            if not isinstance(column.parent, exp.Dot):
                self.untraced = True  # cannot say what `t.x` reads
            return frozenset()
        if isinstance(source, Scope):
            key = (id(source), name)
            if key in self._active:  # recursive CTE referencing itself
                return frozenset()
            self._active.add(key)
            try:
                return self.output_pii(source, name)
            finally:
                self._active.discard(key)
        if isinstance(source, exp.Table):
            info = self.q.info_for(source)
            if info is None:
                return self.source_pii(source, scope) if not isinstance(source.this, exp.Identifier) else frozenset()
            return frozenset(f"{info.name}.{c.name}" for c in info.columns if c.pii and self.q.fold(c.name) == name)
        return self.source_pii(source, scope)

    # -- the statement's outputs ---------------------------------------------------------------------------------

    def outputs(self) -> list[frozenset[str]] | None:
        """Per output column, the PII columns it derives from; None when the outputs cannot be lined up."""
        count = self.projection_count(self.root)
        if count is None:
            return None
        if any(isinstance(s.expression, exp.SetOperation) and s.expression.args.get("by_name") for s in self.root.traverse()):
            self.untraced = True  # UNION BY NAME pairs columns by name, not position
        return [self.projection_pii(self.root, i) for i in range(count)]

    def output_names(self) -> list[str] | None:
        leaf = _leaf_select_scopes(self.root)[0]
        expr = leaf.expression
        if not isinstance(expr, exp.Select) or any(_is_star(p) for p in expr.selects):
            return None
        return [p.alias_or_name for p in expr.selects]
