"""The built-in engine's front door: `answer(question, schema)` → SQL with a confidence, or a refusal.

Offline and deterministic. When the parser is unsure — an unexplained word, an ambiguous column, a
join it would have to guess — the result is a refusal that says why and lists questions the engine
can answer over this schema. A wrong answer shown with confidence is worse than no answer.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from . import analytics, suggestions
from .parser import Interpretation, Interpreter, Refusal
from .plan import ColumnRef, Condition, Expression, JoinError, QueryPlan, Renderer, to_dialect
from .rephrase import rephrase
from .schema import SchemaInfo

logger = logging.getLogger(__name__)

# Below this the engine refuses rather than show SQL; tuned for precision on held-out databases.
MIN_CONFIDENCE = 0.75
# Alternative join paths of equal length make the join a guess.
AMBIGUOUS_JOIN_PENALTY = 0.6
# Two named tables joined through a parent both refer to and the question never named.
SHARED_PARENT_PENALTY = 0.5


@dataclass(frozen=True)
class Result:
    """What the engine says. Exactly one of `sql` / `refusal` is set."""

    sql: str | None
    refusal: str | None
    confidence: float
    mappings: list[dict[str, str]] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)


def _describe(expression: Expression) -> str:
    column = expression.column
    name = "rows" if column is None or column.column == "*" else f"{column.table}.{column.column}"
    return f"{expression.aggregate}({name})" if expression.aggregate else name


def _mappings(plan: QueryPlan, schema: SchemaInfo) -> list[dict[str, str]]:
    """Phrase-free summary of what was used; values of PII columns are masked."""
    mapped: list[dict[str, str]] = []
    for expression in plan.select:
        mapped.append({"role": "show", "target": _describe(expression)})
    for condition in plan.conditions:
        column = condition.expression.column
        info = schema.column(column.table, column.column) if column else None
        value = "<hidden>" if info is not None and info.pii else str(condition.value)
        if condition.subquery is not None:
            value = "(subquery)"
        mapped.append(
            {"role": "filter", "target": _describe(condition.expression), "operator": condition.operator, "value": value}
        )
    for expression in plan.group_by:
        mapped.append({"role": "group", "target": _describe(expression)})
    for item in plan.order_by:
        mapped.append({"role": "order", "target": _describe(item.expression), "direction": "desc" if item.descending else "asc"})
    return mapped


def suggestions_for(schema: SchemaInfo, limit: int = 3) -> list[str]:
    """Example questions this engine answers over `schema`: a breakdown, a total, a trend."""
    return suggestions.suggestions_for(schema, lambda question: _answer(question, schema, "sqlite", None).sql is not None, limit)


def _per_row_groups(schema: SchemaInfo, interpretation: Interpretation) -> None:
    """An aggregate over one table grouped by that table's own key is an aggregate of one row each:
    "how old is each student and how many students are each age" counts per age, "the total revenue of
    each manufacturer" is per name. Drop the key when something else groups the rows; refuse when
    nothing does ("the average population of each city" has no average to take)."""
    plan = interpretation.plan
    if len(plan.tables) != 1 or not plan.group_by or plan.join_keys:
        return
    table = schema.table(plan.tables[0])
    if table is None or len(table.primary_keys) != 1:
        return
    key = table.primary_keys[0].name.lower()
    aggregated = any(e.aggregate for e in plan.select) or any(i.expression.aggregate for i in plan.order_by) or plan.having
    by_key = [e for e in plan.group_by if e.column is not None and e.column.column.lower() == key and not e.date_part]
    if not aggregated or not by_key:
        return
    others = [e for e in plan.group_by if e not in by_key]
    if not others:
        raise Refusal(
            f"Each {table.name} row is one {table.name}, so a total or average per {table.name} is just its own "
            "value; ask for it over all of them, or per some other column."
        )
    plan.group_by = others
    grouped = {e.column for e in others}
    plan.select = [
        e for e in plan.select if e.aggregate or e.column is None or e.column.column.lower() != key or e.column in grouped
    ]
    interpretation.reasoning.append(f"grouped by {', '.join(e.column.column for e in others if e.column)}, not per {table.name}")


def _single_row_ranked(plan: QueryPlan) -> None:
    """An aggregate with no grouping is one row; ranking or cutting it by a plain column means the
    question was misread ("the flight number of flights with the three lowest distances" is not a count)."""
    if plan.group_by or plan.limit is None or not any(e.aggregate for e in plan.select):
        return
    if any(not item.expression.aggregate for item in plan.order_by):
        raise Refusal("A total over all rows is one row; I could not tell what is ranked.")


def _groups_counted(plan: QueryPlan) -> bool:
    """ "How many customers have more than 3 orders": one count over the groups the HAVING keeps, not a
    count per group. When so, the plan is turned into the list of kept groups, to be counted around."""
    if len(plan.select) != 1 or not plan.group_by or not plan.having or plan.order_by or plan.limit is not None:
        return False
    only = plan.select[0]
    if only.aggregate != "COUNT" or only.distinct or only.column is None or only.column.column != "*":
        return False
    plan.select = list(plan.group_by)
    return True


def _averaged(sql: str) -> str:
    """The grouped query of one figure per group, `SELECT <figure> FROM …`, averaged over its groups."""
    head, rest = sql.split(" FROM ", 1)
    return f"SELECT AVG(figure) AS average FROM ({head} AS figure FROM {rest}) AS per_group"


def _rows_once(schema: SchemaInfo, plan: QueryPlan, renderer: Renderer) -> QueryPlan | None:
    """ "The average salary of employees who have orders": joining the orders repeats each employee once per
    order, which weights the average (and multiplies a total or a count). When the totalled rows' table is
    only restricted by rows below it, the restriction becomes `key IN (…)` and each row counts once."""
    if plan.group_by or plan.having or plan.order_by or plan.limit is not None or plan.distinct or not plan.select:
        return None
    if not all(e.aggregate for e in plan.select) or all(e.aggregate in ("MIN", "MAX") for e in plan.select):
        return None
    owners = {e.column.table for e in plan.select if e.column is not None}
    if len(owners) != 1 or len(renderer.order) < 2:
        return None
    owner = owners.pop()
    below = [k for k in renderer.keys if k.ref_table == owner and k.table != owner]
    if len(below) != 1 or any(k.table == owner for k in renderer.keys):
        return None  # joined up to a parent as well, or by two keys: left as it is
    key = below[0]
    table = schema.table(owner)
    if table is None or [c.name for c in table.primary_keys] != [key.ref_column]:
        return None
    inner_conditions = [c for c in plan.conditions if c.expression.column is not None and c.expression.column.table != owner]
    outer_conditions = [c for c in plan.conditions if c not in inner_conditions]
    if plan.connector != "AND" and inner_conditions and outer_conditions:
        return None
    inner = QueryPlan(
        select=[Expression(ColumnRef(key.table, key.column))],
        tables=[t for t in renderer.order if t != owner],
        conditions=inner_conditions,
        connector=plan.connector,
        join_keys=[k for k in renderer.keys if k != key],
    )
    restriction = Condition(Expression(ColumnRef(owner, key.ref_column)), "IN", subquery=inner)
    return QueryPlan(select=list(plan.select), tables=[owner], conditions=[*outer_conditions, restriction])


def _which_unanswered(question: str, plan: QueryPlan) -> None:
    """ "Which department has the highest average GPA, and what is it?" asks for the department: an answer
    made only of figures per group, none of them saying which group, is a misreading."""
    if not question.lower().startswith(("which ", "who ")) or not plan.group_by or not plan.select:
        return
    if all(e.aggregate for e in plan.select):
        raise Refusal("The question asks which one, but I could only compute the figures, not say whose they are.")


def _render(schema: SchemaInfo, interpretation: Interpretation, dialect: str) -> tuple[str, float]:
    counted = _groups_counted(interpretation.plan)
    renderer = Renderer(schema, interpretation.plan)
    once = _rows_once(schema, interpretation.plan, renderer)
    if once is not None:
        interpretation.reasoning.append("each row totalled once, however many joined rows match")
        interpretation.plan = once
        renderer = Renderer(schema, once)
    sql = renderer.sql()
    if counted:
        sql = f"SELECT COUNT(*) FROM ({sql}) AS kept"
        interpretation.reasoning.append("counted the groups that meet the condition")
    if interpretation.plan.averaged_groups:
        sql = _averaged(sql)
    confidence = interpretation.confidence
    if len(renderer.path_keys) > 2:
        confidence *= 0.7 ** (len(renderer.path_keys) - 2)
        interpretation.reasoning.append("uncertain: a long join path")
    if renderer.shared_parents:
        confidence *= SHARED_PARENT_PENALTY
        interpretation.reasoning.append(
            f"uncertain: the tables are related only through a shared {', '.join(renderer.shared_parents)}"
        )
    if renderer.alternatives > 1:
        confidence *= AMBIGUOUS_JOIN_PENALTY
        interpretation.reasoning.append("uncertain: more than one join path was possible")
    if renderer.keys:
        joins = ", ".join(f"{k.table}.{k.column} = {k.ref_table}.{k.ref_column}" for k in renderer.keys)
        interpretation.reasoning.append(f"joined along foreign keys: {joins}")
    return to_dialect(sql, dialect), confidence


def answer(question: str, schema: SchemaInfo, dialect: str = "sqlite", today: dt.date | None = None) -> Result:
    """Translate `question` over `schema` into one read-only SELECT, or refuse with a reason.

    Fails closed: a fault in one of the readers becomes a refusal (and a logged error), never an exception
    in the caller's request."""
    try:
        result = _answer(question, schema, dialect, today)
        if result.sql is None:
            return Result(None, result.refusal, result.confidence, result.mappings, result.reasoning, suggestions_for(schema))
        return result
    except Exception:
        logger.exception("built-in engine failed on a question")
        return Result(None, "I could not read this question; please rephrase it.", 0.0)


def _answer(question: str, schema: SchemaInfo, dialect: str, today: dt.date | None) -> Result:
    today = today or dt.date.today()
    question = rephrase(question)
    try:
        analytic = analytics.interpret(question, schema, today)
        if analytic is not None:
            interpretation = Interpretation(analytic[0], analytic[1], analytic[2])
        else:
            interpretation = Interpreter(question, schema, today).interpret()
        _per_row_groups(schema, interpretation)
        _single_row_ranked(interpretation.plan)
        _which_unanswered(question, interpretation.plan)
        sql, confidence = _render(schema, interpretation, dialect)
    except analytics.Unsure as unsure:
        return Result(None, f"I am not sure enough to answer: {unsure.reason}.", 0.0)
    except Refusal as refusal:
        return Result(None, refusal.reason, 0.0)
    except JoinError as error:
        return Result(None, f"The tables involved are not connected by foreign keys ({error}).", 0.0)
    mappings = _mappings(interpretation.plan, schema)
    reasoning = interpretation.reasoning + [f"confidence {confidence:.2f}"]
    if confidence < MIN_CONFIDENCE:
        doubts = [r.removeprefix("uncertain: ") for r in interpretation.reasoning if r.startswith("uncertain")]
        reasons = "; ".join(dict.fromkeys(doubts))  # each doubt once, however often it arose
        return Result(
            None,
            f"I am not confident enough to answer ({reasons or 'low confidence'}).",
            confidence,
            mappings,
            reasoning,
        )
    return Result(sql, None, round(confidence, 3), mappings, reasoning)
