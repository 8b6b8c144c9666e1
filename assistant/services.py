"""A question's one path (DESIGN.md "A question"): retrieve → generate → validate → execute → explain.

`answer()` is what `POST /queries/execute` (mode ai), `POST /query`, chat, schedules and the command
line call. The engine is the workspace's default AI provider: the built-in engine when there is none
(or it is "builtin"), otherwise the LLM engine through LangChain. Either way the SQL reaches the
database only through `queries.services.query_execute` — the safety gate, quota, history, audit and
masking of every other statement — and the answer carries its reasoning and a chart suggestion.

Knowledge (the `knowledge` app): the LLM engine reads the best document passages (named, so it can
cite them) and earlier answered questions of the same data source as examples; both are listed in
`reasoning.context_retrieved` with their scores. The built-in engine cannot read prose, so it is
given no passages and cites none. A completed answer is indexed so a similar question finds it.

Earlier answers and the built-in engine (precision first): when it refuses a question whose words
are exactly those of an earlier answered question on the same data source (same terms in the same
order, after case, stop words and inflection are set aside), that answer's SQL is run again —
through the gate and the query engine like any statement, under the asking user's rights and
masking. A merely similar earlier question is only offered as the first suggestion; its SQL is never
run for a question it was not written for.

`progress(stage, details)` is called as each stage starts: "retrieving", "generating" (again with
`repair` for each LLM repair), "validating" and "executing" (with the vetted `sql`). An exception
it raises stops the answer there: that is how a caller whose client went away cancels.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from auditing.services import record
from metadata.models import DataSource
from queries import services as query_services
from queries.models import QueryRun

from .charts import chart_for
from .context import DIALECTS, ddl_context, qualify_tables, schema_info_for
from .nl2sql import engine as builtin_engine
from .nl2sql.linking import rank_tables, tokenize, value_mentions

logger = logging.getLogger(__name__)

NOT_ANSWERED = "NOT_ANSWERED"
MAX_CONTEXT_TABLES = 8
MAX_PASSAGES = 3  # document passages given to the LLM engine
MAX_ANSWER_EXAMPLES = 3  # earlier answered questions given to the LLM engine as examples
RELATIVE_SCORE_FLOOR = 0.4  # a passage scoring under this share of the best one is noise, not context
SIMILAR_QUESTION = 0.5  # term overlap (Jaccard) from which an earlier question is offered as a suggestion
MEMORY_ENGINE = "builtin+earlier_answer"

Progress = Callable[[str, dict[str, Any]], None]


@dataclass
class Draft:
    """What an engine proposes, before the query engine runs it."""

    sql: str | None
    engine: str
    confidence: float | None = None
    mappings: list[dict[str, Any]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    refusal: str | None = None
    suggestions: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    validation: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 1
    tokens: dict[str, int] | None = None
    chart_hint: str | None = None
    explanation: str = ""
    knowledge: list[dict[str, Any]] = field(default_factory=list)  # documents and answers the engine used


@dataclass(frozen=True)
class Knowledge:
    """What the workspace's knowledge base offers for one question (see `retrieve_knowledge`)."""

    documents: tuple[Any, ...] = ()  # knowledge.retrieval.Passage, kind "document"
    answers: tuple[Any, ...] = ()  # kind "answer", asked of the same data source

    def passage_texts(self) -> list[str]:
        """For the LLM prompt: each passage with its document's name, so the model can cite it."""
        return [f"[{p.document_name}, part {p.chunk_index + 1}]\n{p.text}" for p in self.documents]

    def examples(self) -> list[tuple[str, str]]:
        return [(p.question, p.sql) for p in self.answers if p.question and p.sql]

    def document_entries(self) -> list[dict[str, Any]]:
        return [{"type": "document", "document_id": str(p.document_id), "document_name": p.document_name,
                 "chunk": p.chunk_index, "score": round(p.score, 4)} for p in self.documents]

    def answer_entries(self) -> list[dict[str, Any]]:
        return [{"type": "answer", "question": p.question, "score": round(p.score, 4)} for p in self.answers]


# --- retrieval ------------------------------------------------------------------------------------------

def linked_tables(info: Any, question: str, limit: int = MAX_CONTEXT_TABLES) -> list[str]:
    """The tables a question is most likely about: lexical ranking of names, aliases, descriptions
    and columns, tables whose values the question quotes, then their foreign-key neighbours."""
    tokens = tokenize(question)
    words = [t.lemma for t in tokens if t.kind == "word"]
    ranked = [name for name, score in rank_tables(info, words) if score > 0]
    by_value = [m.table for m in value_mentions(tokens, info) if m.table]
    chosen: list[str] = []
    for name in by_value + ranked:
        if name not in chosen:
            chosen.append(name)
    chosen = chosen[: max(1, limit - 2)]
    for fk in info.foreign_keys:  # the join paths between what was chosen
        for a, b in ((fk.table, fk.ref_table), (fk.ref_table, fk.table)):
            if a in chosen and b not in chosen and len(chosen) < limit:
                chosen.append(b)
    if not chosen:
        chosen = [t.name for t in info.tables[:limit]]
    return chosen


def _above_floor(passages: list[Any], limit: int) -> tuple[Any, ...]:
    if not passages:
        return ()
    floor = passages[0].score * RELATIVE_SCORE_FLOOR
    return tuple(p for p in passages[:limit] if p.score >= floor)


def retrieve_knowledge(workspace: Any, ds: DataSource, question: str, *, documents: bool = True,
                       user: Any = None) -> Knowledge:
    """The best document passages and earlier answers (same data source) for `question`; with `user`,
    never from a document taken away from them (`teams.grants`).

    Knowledge only ever helps: a failure here is logged and the question is answered without it.
    """
    from knowledge import retrieval

    try:
        found_documents = retrieval.search(workspace, question, k=MAX_PASSAGES, sources=("documents",),
                                           user=user) if documents else []
        found_answers = retrieval.search(workspace, question, k=MAX_ANSWER_EXAMPLES, sources=("answers",),
                                         data_source=ds)
    except Exception:
        logger.warning("Knowledge retrieval failed; answering without it", exc_info=True)
        return Knowledge()
    return Knowledge(documents=_above_floor(found_documents, MAX_PASSAGES),
                     answers=_above_floor(found_answers, MAX_ANSWER_EXAMPLES))


def _terms(text: str) -> list[str]:
    from knowledge.text import tokens as knowledge_tokens

    return knowledge_tokens(text)


def _earlier_answer(question: str, knowledge: Knowledge) -> tuple[Any | None, Any | None]:
    """(the earlier answer asked in the same words, the most similar earlier answer) — either may be None."""
    asked = _terms(question)
    if not asked:
        return None, None
    same, similar, best = None, None, 0.0
    for passage in knowledge.answers:
        earlier = _terms(passage.question)
        if earlier == asked and passage.sql and same is None:
            same = passage
        overlap = len(set(asked) & set(earlier)) / len(set(asked) | set(earlier))
        if overlap > best:
            similar, best = passage, overlap
    return same, (similar if best >= SIMILAR_QUESTION else None)


# --- engines --------------------------------------------------------------------------------------------

def default_provider(workspace: Any) -> Any | None:
    from .providers import default_provider as workspace_default

    return workspace_default(workspace)


def _builtin(question: str, info: Any, dialect: str, today: dt.date) -> Draft:
    result = builtin_engine.answer(question, info, dialect=dialect, today=today)
    return Draft(sql=result.sql, engine="builtin", confidence=result.confidence, mappings=result.mappings,
                 steps=list(result.reasoning), refusal=result.refusal, suggestions=list(result.suggestions))


def _validator(ds: DataSource, workspace: Any, schemas: dict[str, str], membership: Any) -> Any:
    """The LLM engine's check of each attempt: the safety gate (with the asker's access policies), then
    the database's own planner."""

    def validate(sql: str) -> tuple[bool, str]:
        qualified = qualify_tables(sql, ds.engine, schemas)
        gate = query_services.check_sql(ds, qualified, limit=None, workspace=workspace, membership=membership)
        if not gate.ok:
            return False, "; ".join(f"{i.code}: {i.message}" + (f" ({i.suggestion})" if i.suggestion else "")
                                    for i in gate.errors)
        problem = query_services.dry_run(ds, gate.sql)
        return (problem is None), problem or ""

    return validate


def _reporting_validator(validate: Any, progress: Progress) -> Any:
    """The validator, telling `progress` when each attempt is checked and when a repair starts."""
    from . import llm

    attempts = 0

    def check(sql: str) -> tuple[bool, str]:
        nonlocal attempts
        attempts += 1
        progress("validating", {"attempt": attempts})
        ok, error = validate(sql)
        if not ok and attempts <= llm.MAX_REPAIRS:
            progress("generating", {"attempt": attempts + 1, "repair": error})
        return ok, error

    return check


def _llm(provider: Any, question: str, ds: DataSource, workspace: Any, info: Any, schemas: dict[str, str],
         history: list[tuple[str, str]], knowledge: Knowledge, tables: list[str], progress: Progress,
         membership: Any = None) -> Draft:
    from . import llm
    from .prompts import active_system_prompt_text

    examples = list(golden_examples(ds, question, user_id=getattr(membership, "user_id", None)))
    for example in knowledge.examples():
        if example not in examples:
            examples.append(example)
    examples = usable_examples(examples, ds=ds, workspace=workspace, info=info, schemas=schemas, membership=membership)
    used = set(examples)
    knowledge = Knowledge(documents=knowledge.documents,
                          answers=tuple(p for p in knowledge.answers if (p.question, p.sql) in used))
    answer = llm.generate_sql(
        provider, question=question, dialect=DIALECTS[ds.engine], schema_context=ddl_context(info, tables),
        examples=examples, passages=knowledge.passage_texts(), history=history,
        system_prompt=active_system_prompt_text(workspace),
        validate=_reporting_validator(_validator(ds, workspace, schemas, membership), progress))
    validation = [{"code": "REPAIRED", "message": message} for message in answer.rejected]
    return Draft(sql=answer.sql, engine=f"llm:{provider.provider}/{provider.model}", confidence=None,
                 steps=[answer.explanation] if answer.explanation else [], context=tables,
                 refusal=answer.refusal or (answer.error if not answer.sql else None),
                 attempts=answer.attempts, tokens=answer.tokens or None,
                 chart_hint=(answer.chart_hint or {}).get("type"), explanation=answer.explanation,
                 validation=validation, knowledge=knowledge.document_entries() + knowledge.answer_entries())


def usable_examples(examples: list[tuple[str, str]], *, ds: DataSource, workspace: Any, info: Any,
                    schemas: dict[str, str], membership: Any) -> list[tuple[str, str]]:
    """The examples a prompt for this asker may carry. Saved queries and earlier answers were written by
    people who may see more: SQL naming a column hidden from the asker, or a table taken away, would put
    it in the prompt (and a model can repeat its prompt), so only SQL the asker's own gate accepts is kept;
    SQL comparing a PII column with a written value (`email = '…'`) is left out for everyone."""
    kept: list[tuple[str, str]] = []
    for question, sql in examples:
        try:
            ok = query_services.check_sql(ds, qualify_tables(sql, ds.engine, schemas), limit=None,
                                          workspace=workspace, membership=membership).ok
        except Exception:  # an example that cannot be checked is not shown
            ok = False
        if ok and not _names_pii_value(sql, info, DIALECTS[ds.engine]):
            kept.append((question, sql))
    return kept


def _names_pii_value(sql: str, info: Any, dialect: str) -> bool:
    """Whether `sql` compares a PII column with a string it spells out (that string is personal data)."""
    pii = {column.name.lower() for table in info.tables for column in table.columns if column.pii}
    if not pii:
        return False
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except Exception:
        return True
    for literal in tree.find_all(exp.Literal):
        predicate = literal.find_ancestor(exp.Predicate) if literal.is_string else None
        if predicate is not None and any(c.name.lower() in pii for c in predicate.find_all(exp.Column)):
            return True
    return False


def _with_earlier_answer(draft: Draft, question: str, knowledge: Knowledge, passes: Callable[[str], bool]) -> Draft:
    """The built-in engine refused: reuse an earlier answer to the very same question (same source)
    if its SQL still passes the gate, or offer the most similar earlier question as a suggestion."""
    same, similar = _earlier_answer(question, knowledge)
    if same is not None and passes(same.sql):
        return Draft(sql=same.sql, engine=MEMORY_ENGINE, confidence=0.6,
                     steps=[*draft.steps, f"The built-in engine could not read the question; it was answered "
                            f"before in the same words (“{same.question}”), so that answer's SQL is run again."],
                     knowledge=[{"type": "answer", "question": same.question, "score": round(same.score, 4)}],
                     explanation=f"Reused the answer to the earlier question “{same.question}”.")
    if similar is not None and similar is not same and similar.question not in draft.suggestions:
        draft.suggestions = [similar.question, *draft.suggestions]
    return draft


def golden_examples(ds: DataSource, question: str, limit: int = 3, *, user_id: Any = None) -> list[tuple[str, str]]:
    """Saved queries of this source that answer a question like this one: vetted by the people who
    saved them (unvetted past runs would teach the model their mistakes), and readable by the asker."""
    from queries.library import golden_examples_for

    return golden_examples_for(ds, question, limit=limit, user_id=user_id)


# --- the pipeline ---------------------------------------------------------------------------------------

def _no_progress(stage: str, details: dict[str, Any]) -> None:
    return None


def answer(*, question: str, ds: DataSource, workspace: Any, user: Any, membership: Any, limit: int | None = None,
           run_async: bool = False, history: list[tuple[str, str]] | None = None, request: Any = None,
           today: dt.date | None = None, progress: Progress | None = None) -> QueryRun:
    """Answer `question` over `ds`; returns the QueryRun (mode ai) with reasoning and chart.

    `progress(stage, details)`, if given, is called as each stage starts (see the module docstring).
    """
    started = time.perf_counter()
    report = progress or _no_progress
    question = question.strip()
    from metadata.access import access_for
    from teams.grants import require_source

    require_source(membership, ds)  # before anything of the source reaches a prompt
    report("retrieving", {})
    info, schemas = schema_info_for(ds, access_for(ds, membership))
    provider = default_provider(workspace)
    builtin = provider is None or provider.provider == "builtin"
    knowledge = retrieve_knowledge(workspace, ds, question, documents=not builtin, user=user)
    if builtin:
        report("generating", {"engine": "builtin", "answers": len(knowledge.answers)})
        draft = _builtin(question, info, DIALECTS[ds.engine], today or timezone.localdate())
        if draft.sql is None:
            draft = _with_earlier_answer(draft, question, knowledge, lambda sql: query_services.check_sql(
                ds, qualify_tables(sql, ds.engine, schemas), limit=limit, workspace=workspace,
                membership=membership).ok)
    else:
        tables = linked_tables(info, question)
        report("generating", {"engine": "llm", "tables": tables, "documents": len(knowledge.documents),
                              "answers": len(knowledge.answers)})
        draft = _llm(provider, question, ds, workspace, info, schemas, history or [], knowledge, tables, report,
                     membership)

    if draft.sql is None:
        return _refused(draft, question=question, ds=ds, workspace=workspace, user=user, request=request,
                        started=started)
    if builtin:  # the LLM engine's attempts were each reported as they were validated
        report("validating", {"attempt": draft.attempts})
    sql = qualify_tables(draft.sql, ds.engine, schemas)
    gate = query_services.check_sql(ds, sql, limit=limit, workspace=workspace, membership=membership)
    if not gate.ok:
        # An engine produced something the gate refuses: it is never run, and never shown as an answer.
        logger.warning("Generated SQL rejected by the gate (%s): %s", draft.engine, gate.errors[0].message)
        draft.validation += [{"code": i.code, "message": i.message} for i in gate.errors]
        draft.refusal = "The generated query did not pass the safety checks, so it was not run."
        return _refused(draft, question=question, ds=ds, workspace=workspace, user=user, request=request,
                        started=started)
    report("executing", {"sql": gate.sql})
    run = query_services.query_execute(workspace=workspace, user=user, membership=membership, ds=ds, sql=sql,
                                       mode=QueryRun.Mode.AI, question=question, limit=limit,
                                       run_async=run_async, request=request, reasoning=_reasoning(draft, started))
    if not draft.context:
        draft.context = [name.split(".")[-1] for name in gate.tables]  # what the SQL reads
    draft.validation = [*draft.validation, *({"code": w["code"], "message": w["message"]} for w in run.warnings)]
    run.reasoning = _reasoning(draft, started)
    if run.is_async:  # the worker adds the chart when the rows exist
        QueryRun.objects.filter(pk=run.pk).update(reasoning=run.reasoning)
        return run
    run.chart = chart_for(run.columns, run.preview, draft.chart_hint) if run.status == QueryRun.Status.COMPLETED \
        else None
    QueryRun.objects.filter(pk=run.pk).update(reasoning=run.reasoning, chart=run.chart)
    if run.status == QueryRun.Status.COMPLETED:
        _remember(workspace, ds, question, sql, draft, run)
    return run


def _remember(workspace: Any, ds: DataSource, question: str, sql: str, draft: Draft, run: QueryRun) -> None:
    """Index a completed answer so a similar later question finds it. The text names the columns,
    never result values (a result may hold personal data; the index feeds prompts)."""
    from knowledge.retrieval import index_answer

    columns = ", ".join(str(c.get("name", "")) for c in run.columns or [] if isinstance(c, dict))
    text = " ".join(part for part in (draft.explanation, f"Columns: {columns}." if columns else "") if part)
    try:
        index_answer(workspace, question, sql, text, data_source=ds)
    except Exception:  # remembering is a bonus: the answer stands without it
        logger.warning("Could not index the answer to %r", question, exc_info=True)


def context_entries(draft: Draft) -> list[dict[str, Any]]:
    """`reasoning.context_retrieved`: the tables, then the document passages and earlier answers used."""
    return [{"type": "table", "name": name} for name in draft.context] + list(draft.knowledge)


def _reasoning(draft: Draft, started: float) -> dict[str, Any]:
    return {
        "engine": draft.engine,
        "context_retrieved": context_entries(draft),
        "mappings": draft.mappings,
        "validation": draft.validation,
        "confidence": draft.confidence,
        "attempts": draft.attempts,
        "tokens": draft.tokens,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        "steps": draft.steps,
        "explanation": draft.explanation,
        "chart_hint": draft.chart_hint,
        "refusal": {"reason": draft.refusal, "suggestions": draft.suggestions} if draft.refusal else None,
    }


def _refused(draft: Draft, *, question: str, ds: DataSource, workspace: Any, user: Any, request: Any,
             started: float) -> QueryRun:
    """Not answered: a failed run that says why and what can be asked instead (no quota spent)."""
    reason = draft.refusal or "The question could not be answered."
    now = timezone.now()
    run = QueryRun.objects.create(
        workspace=workspace, data_source=ds, data_source_name=ds.name, user=user, mode=QueryRun.Mode.AI,
        question=question, sql=draft.sql or "", status=QueryRun.Status.FAILED, started_at=now, finished_at=now,
        error_code=NOT_ANSWERED, error_message=reason, reasoning=_reasoning(draft, started))
    record(actor=user, action="assistant.not_answered", target=run, workspace=workspace, request=request,
           details={"data_source_id": str(ds.pk), "engine": draft.engine})
    return run


def suggestions(ds: DataSource, *, user: Any, limit: int = 8, membership: Any = None) -> list[dict[str, str]]:
    """Questions this data source can answer: from its dictionary (what the built-in engine can
    handle there) and the workspace's most-run questions."""
    from django.db.models import Count

    out: list[dict[str, str]] = []
    seen: set[str] = set()
    popular = (QueryRun.objects.filter(data_source=ds, mode=QueryRun.Mode.AI, status=QueryRun.Status.COMPLETED)
               .exclude(question="").values("question").annotate(runs=Count("id")).order_by("-runs")[:limit])
    for row in popular:
        key = row["question"].strip().lower()
        if key not in seen:
            seen.add(key)
            out.append({"question": row["question"], "source": "popular"})
    from metadata.access import access_for

    info, _ = schema_info_for(ds, access_for(ds, membership))
    for text in dictionary_questions(info, limit=limit * 2):
        if len(out) >= limit:
            break
        if text.lower() not in seen and builtin_engine.answer(text, info, dialect=DIALECTS[ds.engine]).sql:
            seen.add(text.lower())
            out.append({"question": text, "source": "dictionary"})
    return out[:limit]


def dictionary_questions(info: Any, limit: int = 16) -> list[str]:
    """Candidate questions from the schema: counts, breakdowns by a category, totals and trends."""
    from .nl2sql.linking import identifier_words

    questions: list[str] = []
    for table in info.tables:
        noun = table.aliases[0] if table.aliases else " ".join(identifier_words(table.name))
        measures = [c for c in table.columns if c.is_numeric and not c.primary_key
                    and not c.name.lower().endswith("id") and not c.pii]
        categories = [c for c in table.columns if c.is_text and not c.is_date and not c.pii and c.values
                      and not c.primary_key and 1 < len(c.values) <= 50]
        dates = [c for c in table.columns if c.is_date]
        questions.append(f"How many {noun} are there?")
        if categories:
            label = _label(categories[0])
            questions.append(f"How many {noun} are there per {label}?")
        if measures:
            questions.append(f"What is the total {_label(measures[0])} of {noun}?")
            if categories:
                questions.append(f"What is the average {_label(measures[0])} of {noun} by {_label(categories[0])}?")
        if dates and measures:
            questions.append(f"What is the total {_label(measures[0])} of {noun} by month?")
        if len(questions) >= limit:
            break
    return questions[:limit]


def _label(column: Any) -> str:
    from .nl2sql.linking import identifier_words

    return column.aliases[0] if column.aliases else " ".join(identifier_words(column.name))
