"""From a linked question to a `QueryPlan`, by small rules that each explain some of the words.

Every rule that fires marks the words it used as explained. A question whose content words are not
all explained is refused: the engine will not guess what "only", "both" or an unknown noun meant.
That bookkeeping — not the cleverness of the rules — is what keeps precision high.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import lexicon as lx
from .linking import Mention, Token, identifier_words, rank_tables, schema_mentions, tokenize, value_mentions
from .plan import ColumnRef, Condition, Expression, OrderItem, QueryPlan
from .schema import Column, SchemaInfo, Table

# Schemas bigger than this are narrowed with BM25 before linking so the context stays small.
LARGE_SCHEMA_TABLES = 15
CONTEXT_TABLES = 8


class Refusal(Exception):
    """The engine declines; `reason` is shown to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Slot:
    """A span of the question linked to one or more schema elements or literals."""

    start: int
    end: int
    options: list[Mention]
    chosen: Mention | None = None
    role: str | None = None

    @property
    def kind(self) -> str:
        return (self.chosen or self.options[0]).kind

    @property
    def best(self) -> Mention:
        return self.chosen or self.options[0]

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass
class Interpretation:
    plan: QueryPlan
    confidence: float
    reasoning: list[str] = field(default_factory=list)
    mappings: list[dict[str, str]] = field(default_factory=list)


def _number(text: str) -> int | float | None:
    cleaned = text.rstrip("%")
    try:
        value = float(cleaned)
    except ValueError:
        return lx.NUMBER_WORDS.get(text.lower())
    return int(value) if value.is_integer() and "." not in cleaned else value


class Interpreter:
    """Parses one question against one schema. Use `interpret()`; it raises `Refusal` when unsure."""

    def __init__(self, question: str, schema: SchemaInfo, today: dt.date | None = None) -> None:
        self.question = question
        self.schema = schema
        self.today = today or dt.date.today()
        self.tokens: list[Token] = tokenize(question)
        self.lemmas = [token.lemma for token in self.tokens]
        self.explained: set[int] = set()
        self.penalties: list[tuple[float, str]] = []
        self.reasoning: list[str] = []
        self.plan = QueryPlan()
        self.slots: list[Slot] = []
        self.subject: str | None = None
        self.limit: int | None = None
        self.count_expression: Expression | None = None
        self.counted_table: str | None = None
        self.selected: list[tuple[int, Expression]] = []
        self.filters: list[tuple[int, Condition]] = []
        self.boundary = 0
        self.count_position = 0
        self.order_slots: list[Slot] = []
        self.descending: bool | None = None
        self.superlative_limit = False
        self.group_by_subject = False
        self.having_count: list[tuple[str, object, str]] = []
        self.select_all = False
        self.top_used = False
        self.order_count = False
        self.count_cue: tuple[str, ...] = ()
        self.negated: list[tuple[int, str]] = []
        self.placeholders: list[tuple[int, str]] = []
        self.date_groups: list[tuple[int, Expression]] = []

    # ------------------------------------------------------------------ helpers

    def penalise(self, factor: float, why: str) -> None:
        self.penalties.append((factor, why))

    def words_at(self, position: int, words: tuple[str, ...]) -> bool:
        """Whether the question has `words` (lemmas or lowercase forms) starting at `position`."""
        if position < 0 or position + len(words) > len(self.tokens):
            return False
        return all(
            self.tokens[position + i].lemma == word or self.tokens[position + i].lower == word for i, word in enumerate(words)
        )

    def match_any(self, position: int, phrases: list[tuple[str, ...]]) -> tuple[str, ...] | None:
        for phrase in sorted(phrases, key=len, reverse=True):
            if self.words_at(position, phrase):
                return phrase
        return None

    def cue_before(
        self, end: int, phrases: list[tuple[str, ...]], skippable: set[str] | None = None
    ) -> tuple[tuple[str, ...], int] | None:
        """A cue phrase ending just before token `end` (articles in between are allowed), and where it starts."""
        skippable = skippable or {"the", "a", "an", "their", "its"}
        position = end
        while position > 0 and self.lemmas[position - 1] in skippable:
            position -= 1
        for phrase in sorted(phrases, key=len, reverse=True):
            if self.words_at(position - len(phrase), phrase):
                return phrase, position - len(phrase)
        return None

    def skip(self, position: int, words: set[str]) -> int:
        while position < len(self.tokens) and self.lemmas[position] in words:
            position += 1
        return position

    def mark(self, start: int, end: int) -> None:
        self.explained.update(range(start, end))

    def slot_at(self, position: int) -> Slot | None:
        for slot in self.slots:
            if slot.start == position:
                return slot
        return None

    def slot_ending_at(self, end: int) -> Slot | None:
        for slot in self.slots:
            if slot.end == end:
                return slot
        return None

    def table(self, name: str) -> Table:
        table = self.schema.table(name)
        assert table is not None
        return table

    def column_info(self, ref: ColumnRef) -> Column | None:
        return self.schema.column(ref.table, ref.column)

    # ------------------------------------------------------------------ linking

    def allowed_tables(self) -> set[str] | None:
        """For large schemas, keep the BM25 top tables plus their foreign-key neighbours."""
        if len(self.schema.tables) <= LARGE_SCHEMA_TABLES:
            return None
        ranked = [name for name, score in rank_tables(self.schema, self.lemmas) if score > 0][:CONTEXT_TABLES]
        keep = set(ranked)
        for key in self.schema.foreign_keys:
            if key.table in ranked[:3] or key.ref_table in ranked[:3]:
                keep.update((key.table, key.ref_table))
        self.reasoning.append(f"context narrowed to {len(keep)} of {len(self.schema.tables)} tables")
        return keep

    def build_slots(self) -> None:
        allowed = self.allowed_tables()
        candidates = schema_mentions(self.tokens, self.schema, allowed)
        candidates += [m for m in value_mentions(self.tokens, self.schema, allowed) if self.keep_value(m)]
        for position, token in enumerate(self.tokens):
            number = _number(token.text) if token.kind == "number" or token.lower in lx.NUMBER_WORDS else None
            if number is not None:
                candidates.append(Mention(position, position + 1, "number", value=number, score=1.0))
            elif token.kind == "quoted":
                candidates.append(Mention(position, position + 1, "value", value=token.text, score=0.5))
        priority = {"number": 0, "value": 1, "table": 2, "column": 3}
        candidates.sort(key=lambda m: (-m.length, -m.score, priority[m.kind]))
        taken: set[int] = set()
        for mention in candidates:
            same = next((s for s in self.slots if (s.start, s.end) == (mention.start, mention.end)), None)
            if same is not None:
                if (
                    mention.score >= same.options[0].score - 0.15
                    and mention.kind in ("table", "column")
                    and same.kind in ("table", "column")
                ):
                    same.options.append(mention)
                continue
            if taken & set(range(mention.start, mention.end)):
                continue
            self.slots.append(Slot(mention.start, mention.end, [mention]))
            taken.update(range(mention.start, mention.end))
        self.slots.sort(key=lambda s: s.start)
        for slot in list(self.slots):
            if slot.length == 1 and self.tokens[slot.start].lower in ("number", "count") and self.words_at(slot.end, ("of",)):
                self.slots.remove(slot)

    def keep_value(self, mention: Mention) -> bool:
        """Drop value matches that are really structure words ("name", "total") typed in lowercase."""
        if mention.score >= 0.9:
            return True
        words = self.lemmas[mention.start : mention.end]
        structural = (
            lx.FILLER
            | set(lx.AGGREGATE_WORDS)
            | set(lx.SUPERLATIVE_WORDS)
            | lx.DISTINCT_WORDS
            | lx.ORDER_WORDS
            | lx.RELATION_VERBS
            | set(lx.NUMBER_WORDS)
            | {word for phrase, _ in lx.COMPARATORS for word in phrase}
            | {"number", "count", "each", "every", "per", "not", "no", "only", "both", "either", "other"}
        )
        if all(word in structural or len(word) <= 2 for word in words):
            return False
        return mention.length > 1 or len(words[0]) > 3

    def anchor_tables(self) -> list[str]:
        """Tables the question certainly talks about: named tables first, then values, then columns."""
        tables: list[str] = []
        values: list[str] = []
        columns: list[str] = []
        for slot in self.slots:
            kinds = {slot.chosen.kind} if slot.chosen else {m.kind for m in slot.options}
            if kinds == {"table"}:
                tables.append(slot.best.table or "")
            elif kinds == {"value"} and slot.best.table and len({c[0] for c in slot.best.candidates}) == 1:
                values.append(slot.best.table)
            elif kinds == {"column"} and (slot.chosen or len({m.table for m in slot.options}) == 1):
                columns.append(slot.best.table or "")
        anchors: list[str] = []
        for table in tables + values + columns:
            if table not in anchors:
                anchors.append(table)
        return anchors

    def owner_hint(self, slot: Slot) -> str | None:
        """The table a column is said to belong to: "price of the books", "book price", "their price"."""
        if slot.start > 0 and self.lemmas[slot.start - 1] in ("their", "its"):
            named = [s.best.table for s in self.slots if s.start < slot.start and {m.kind for m in s.options} == {"table"}]
            if named:
                return named[0]
        after = self.skip(slot.end, {"of", "the", "their", "all", "each", "a", "an", "for"})
        if after > slot.end and self.lemmas[slot.end] in ("of", "for"):
            following = self.slot_at(after)
            if following is not None:
                tables = [m.table for m in following.options if m.kind == "table"]
                if tables:
                    return tables[0]
        previous = self.slot_ending_at(slot.start)
        if previous is not None and previous.kind == "table" and len(previous.options) == 1:
            return previous.best.table
        return None

    def prefers_table(self, slot: Slot) -> bool:
        """After "how many", "number of", "most", "fewest" a noun counts rows of a table."""
        previous = self.skip_back(slot.start, {"the", "a", "an", "all", "each", "every"})
        if previous >= 0 and self.lemmas[previous] in ("of", "for") and self.slot_ending_at(previous) is not None:
            return True  # "the names of nurses": after "X of", a noun names whose X
        before = self.skip_back(slot.start, {"the", "a", "an", "all", "of", "different", "distinct"})
        if before < 0:
            return False
        return self.lemmas[before] in ("many", "number", "most", "fewest", "least", "count")

    def resolve(self) -> None:
        """Pick one meaning per slot, preferring tables the rest of the question talks about."""
        anchors = self.anchor_tables()
        for slot in self.slots:
            if len(slot.options) == 1:
                slot.chosen = slot.options[0]
                owner = self.owner_hint(slot) if slot.kind == "column" else None
                if owner is not None and owner != slot.chosen.table:
                    self.penalise(0.6, f"'{self.span(slot)}' is said to belong to {owner}, which has no such column")
                continue
            tables = [m for m in slot.options if m.kind == "table"]
            columns = [m for m in slot.options if m.kind == "column"]
            owner = self.owner_hint(slot)
            owned = [m for m in columns if m.table == owner]
            if owned:
                slot.chosen = max(owned, key=lambda m: m.score)
                continue
            if owner is not None and columns and not tables:
                self.penalise(0.6, f"'{self.span(slot)}' is said to belong to {owner}, which has no such column")
            references_table = (
                all(
                    any(
                        (k.table, k.column, k.ref_table) == (m.table, m.column, tables[0].table) for k in self.schema.foreign_keys
                    )
                    or m.table == tables[0].table
                    for m in columns
                )
                if tables
                else False
            )
            if tables and (self.prefers_table(slot) or references_table or not columns):
                slot.chosen = tables[0]
                continue
            in_anchor = [m for m in columns if m.table in anchors]
            if in_anchor:
                top = max(m.score for m in in_anchor)
                leaders = sorted((m for m in in_anchor if m.score == top), key=lambda m: anchors.index(m.table or ""))
                slot.chosen = leaders[0]
                if len({m.table for m in leaders}) > 1:
                    self.penalise(0.9, f"'{self.span(slot)}' matches columns in several tables")
                continue
            if tables:
                slot.chosen = tables[0]
                continue
            best = max(columns, key=lambda m: m.score)
            slot.chosen = best
            if len([m for m in columns if m.score == best.score]) > 1:
                self.penalise(0.6, f"'{self.span(slot)}' matches several columns equally well")

    def span(self, slot: Slot) -> str:
        return " ".join(token.text for token in self.tokens[slot.start : slot.end])

    # ------------------------------------------------------------------ passes

    def interpret(self) -> Interpretation:
        if not any(token.kind == "word" for token in self.tokens):
            raise Refusal("The question has no words I can read.")
        self.refuse_writes()
        self.build_slots()
        if not any(slot.kind in ("table", "column") for slot in self.slots) and not any(
            slot.kind == "value" and slot.best.table for slot in self.slots
        ):
            raise Refusal("Nothing in the question matches a table, column or value of this database.")
        self.resolve()
        self.boundary = self.find_boundary()
        self.head()
        self.top_n()
        self.ordering()
        self.grouping()
        self.counting()
        self.aggregates()
        self.superlatives()
        self.date_windows()
        self.comparisons()
        self.values()
        self.negated_relations()
        self.leftovers()
        self.relation_words()
        return self.assemble()

    def refuse_writes(self) -> None:
        first_words = [token.lemma for token in self.tokens[:3] if token.kind == "word"]
        if any(word in lx.WRITE_VERBS for word in first_words[:2]) or {"delete", "drop", "truncate"} & set(self.lemmas):
            raise Refusal("I only answer questions that read data; changing or deleting data is not something I do.")

    def find_boundary(self) -> int:
        for position, token in enumerate(self.tokens):
            if position > 0 and token.lemma in lx.CLAUSE_BOUNDARIES:
                return position
        return len(self.tokens)

    def head(self) -> None:
        """The opening words: "how many", "what is", "list", "which" … carry the shape."""
        for phrase in [
            ("how", "many"),
            ("what", "is"),
            ("what", "are"),
            ("what", "was"),
            ("what", "were"),
            ("which",),
            ("who",),
            ("what",),
            ("list",),
            ("show",),
            ("give",),
            ("find",),
            ("return",),
            ("tell", "me"),
            ("display",),
            ("count",),
            ("get",),
            ("name",),
            ("provide",),
            ("report",),
        ]:
            if self.words_at(0, phrase):
                if phrase == ("name",) and self.slot_at(0) is not None:
                    self.slot_at(0).role = "head"  # type: ignore[union-attr]
                self.mark(0, len(phrase))
                return

    def top_n(self) -> None:
        """ "top 5", "first 3", "the 3 oldest": a limit that goes with an ordering found later."""
        for position in range(len(self.tokens) - 1):
            number_slot = self.slot_at(position + 1)
            if self.lemmas[position] in ("top", "first") and number_slot and number_slot.kind == "number":
                self.limit = int(number_slot.best.value)  # type: ignore[arg-type]
                self.top_used = self.lemmas[position] == "top"
                number_slot.role = "limit"
                self.mark(position, position + 2)
        for slot in self.slots:
            if slot.kind == "number" and slot.role is None and slot.end < len(self.tokens):
                following = self.lemmas[slot.end]
                if following in lx.SUPERLATIVE_WORDS and slot.start > 0:
                    self.limit = int(slot.best.value)  # type: ignore[arg-type]
                    slot.role = "limit"
                    self.mark(slot.start, slot.end)

    def direction(self) -> bool | None:
        for position in range(len(self.tokens)):
            if self.match_any(position, lx.DESCENDING_PHRASES):
                phrase = self.match_any(position, lx.DESCENDING_PHRASES)
                self.mark(position, position + len(phrase or ()))
                return True
            if self.match_any(position, lx.ASCENDING_PHRASES):
                phrase = self.match_any(position, lx.ASCENDING_PHRASES)
                self.mark(position, position + len(phrase or ()))
                return False
        return None

    def drop_order_word_slots(self) -> None:
        """ "in descending order", "order by": the word "order" is not the orders table here."""
        for slot in list(self.slots):
            if slot.length != 1 or self.tokens[slot.start].lower != "order":
                continue
            following = self.lemmas[slot.start + 1] if slot.end < len(self.tokens) else ""
            previous = self.lemmas[slot.start - 1] if slot.start > 0 else ""
            if following in ("by", "of") or previous in lx.ORDER_WORDS or previous in ("in", "an", "reverse"):
                self.slots.remove(slot)

    def ordering(self) -> None:
        """ "sorted by X", "in descending order of X", "ordered by X", "by the number of Y" — and a bare
        "in alphabetical order", which orders by the first shown column."""
        self.drop_order_word_slots()
        skippable = {"the", "a", "an", "their", "its", "descending", "ascending", "decreasing", "increasing", "reverse"}
        for slot in self.slots:
            if slot.kind not in ("column", "table") or slot.role is not None:
                continue
            found = self.cue_before(slot.start, lx.ORDER_CUES, skippable)
            if found is None:
                continue
            cue, cue_start = found
            if cue == ("by",) and not self.order_context(cue_start):
                continue
            if slot.kind == "table":
                continue
            slot.role = "order"
            self.mark(cue_start, slot.end)
            self.order_slots.append(slot)
        self.order_by_count(skippable)
        descending = self.direction()
        if self.order_slots or self.order_count or descending is not None:
            self.descending = descending
            for position, lemma in enumerate(self.lemmas):
                if lemma in lx.ORDER_WORDS:
                    self.mark(position, position + 1)
                    if position + 1 < len(self.tokens) and self.lemmas[position + 1] in ("order", "by"):
                        self.mark(position + 1, position + 2)

    def order_by_count(self, skippable: set[str]) -> None:
        """ "sorted by the number of events", "in descending order of the count of companies"."""
        for position in range(len(self.tokens)):
            cue = self.match_any(position, [c for c in lx.ORDER_CUES if c != ("by",)] + [("by",)])
            if cue is None or (cue == ("by",) and not self.order_context(position)):
                continue
            after = self.skip(position + len(cue), skippable)
            count_cue = self.match_any(after, [("number", "of"), ("count", "of"), ("count",), ("amount", "of")])
            noun = self.slot_at(after)
            if count_cue is None and noun is not None and noun.kind == "table" and self.words_at(noun.end, ("count",)):
                noun.role = "count_order"  # "sorted by the course count"
                self.order_count = True
                self.mark(position, noun.end + 1)
                return
            if count_cue is None:
                continue
            if self.slot_at(after) is not None:
                continue  # "number of cities" is a column here
            end = after + len(count_cue)
            target = self.slot_at(self.skip(end, {"the", "a", "an"}))
            if target is not None and target.kind == "table" and target.role is None:
                target.role = "count_order"
                end = target.end
            self.order_count = True
            self.mark(position, end)
            return

    def order_context(self, position: int) -> bool:
        """A bare "by" orders only near order words ("sorted ... by") or after "top N", otherwise it groups."""
        if self.limit is not None:
            return True
        window = self.lemmas[max(0, position - 3) : position + 1]
        return any(word in lx.ORDER_WORDS for word in window)

    def grouping(self) -> None:
        """ "for each X", "per X", "in each X", and "by X" when something is aggregated."""
        aggregated = any(self.match_any(p, lx.COUNT_CUES) for p in range(len(self.tokens))) or any(
            lemma in lx.AGGREGATE_WORDS for lemma in self.lemmas
        )
        for slot in self.slots:
            if slot.kind not in ("column", "table") or slot.role is not None:
                continue
            found = self.cue_before(slot.start, lx.GROUP_CUES, {"the", "a", "an", "their", "its"} | lx.DISTINCT_WORDS)
            if found is None:
                continue
            cue, cue_start = found
            if cue == ("by",) and (
                self.order_context(cue_start) or not aggregated or (cue_start > 0 and self.is_relation_verb(cue_start - 1))
            ):
                continue
            slot.role = "group"
            self.mark(cue_start, slot.end)
            if cue_start > 0 and self.lemmas[cue_start - 1] in lx.DISTINCT_WORDS:
                self.mark(cue_start - 1, cue_start)
            if slot.end < len(self.tokens) and self.lemmas[slot.end] in lx.DISTINCT_WORDS:
                self.mark(slot.end, slot.end + 1)
        # "each different X", "each one": the word each/every after a grouped slot refers back to it.
        if any(slot.role == "group" for slot in self.slots):
            for position, lemma in enumerate(self.lemmas):
                if lemma in ("each", "every") and position + 1 < len(self.tokens) and self.lemmas[position + 1] in ("one", "of"):
                    self.mark(position, position + 2)

    def counting(self) -> None:
        """ "how many X", "the number of X", "count the X" → COUNT(*) over X (or COUNT(DISTINCT col))."""
        for position in range(len(self.tokens)):
            cue = self.match_any(position, lx.COUNT_CUES)
            if cue is None or any(slot.start <= position < slot.end for slot in self.slots):
                continue
            if self.tokens[position].lower in ("numbers", "counts"):
                continue  # "the numbers of all flights" asks for a number column, not a count
            after = self.skip(position + len(cue), {"the", "a", "an", "all", "of"})
            if after < len(self.tokens) and self.lemmas[after] in ("total", "sum"):
                self.mark(position, position + len(cue))
                total_slot = self.slot_at(after)
                if total_slot is not None and total_slot.kind == "column":
                    # "how many total pounds" where the column itself is called total_pounds
                    ref = ColumnRef(total_slot.best.table or "", total_slot.best.column or "")
                    info = self.column_info(ref)
                    if info is not None and info.is_numeric:
                        total_slot.role = "aggregate"
                        self.selected.append((total_slot.start, Expression(ref, "SUM")))
                        self.mark(after, total_slot.end)
                continue  # "how many total credits": a sum, left to the aggregate rule
            distinct = after < len(self.tokens) and self.lemmas[after] in lx.DISTINCT_WORDS
            if distinct:
                after += 1
            after = self.skip(after, {"the", "a", "an"})
            slot = self.slot_at(after)
            if position > 0 and self.lemmas[position - 1] == "total":
                self.mark(position - 1, position)
            if slot is None or slot.kind not in ("table", "column") or slot.role not in (None, "head"):
                if cue == ("how", "many") and self.count_expression is None:
                    # "how many pilots are older than 30": the counted noun may be a value or missing.
                    self.count_expression = Expression(ColumnRef("", "*"), "COUNT")
                    self.count_cue = cue
                    self.count_position = position
                    self.mark(position, position + len(cue))
                continue
            mention = slot.best
            columns = [m for m in slot.options if m.kind == "column"]
            if distinct and mention.kind == "table" and columns:
                mention = slot.chosen = max(columns, key=lambda m: m.score)
            numeric_twins = [
                m
                for m in columns
                if m.table == mention.table
                and (info := self.column_info(ColumnRef(m.table or "", m.column or "")))
                and info.is_numeric
                and not self.is_key(info)
            ]
            if mention.kind == "table" and numeric_twins:
                raise Refusal(f"'{self.span(slot)}' is both a table and a numeric column; count rows or read the column?")
            if mention.kind == "table":
                self.count_expression = Expression(ColumnRef(mention.table or "", "*"), "COUNT")
                self.counted_table = mention.table
                if distinct:
                    self.penalise(0.7, "'distinct' on a whole table")
            else:
                ref = ColumnRef(mention.table or "", mention.column or "")
                column = self.column_info(ref)
                if column is not None and column.is_numeric and not distinct and not self.is_key(column):
                    raise Refusal(f"'number of {self.span(slot)}' could mean a count or a sum of {column.name}.")
                self.count_expression = Expression(ref, "COUNT", distinct=True)
                if not distinct:
                    self.penalise(0.8, f"counting distinct values of {ref.column}")
            slot.role = "count"
            self.count_cue = cue
            self.count_position = position
            self.mark(position, slot.end)
            return

    def is_key(self, column: Column) -> bool:
        if column.primary_key or identifier_words(column.name)[-1:] in (["id"], ["code"], ["key"]):
            return True
        return any((k.table, k.column) == (column.table, column.name) for k in self.schema.foreign_keys)

    def aggregates(self) -> None:
        for slot in self.slots:
            if slot.kind != "column" or slot.role is not None:
                continue
            before = self.skip_back(slot.start, {"the", "a", "an", "of", "their", "its"})
            if before < 0 or self.lemmas[before] not in lx.AGGREGATE_WORDS:
                continue
            if self.skip_back(before, {"the", "a", "an"}) >= 0 and self.lemmas[self.skip_back(before, {"the", "a", "an"})] in (
                "than",
                "above",
                "below",
                "over",
                "under",
                "exceed",
                "exceeding",
            ):
                continue  # "above the average price" compares against a subquery
            function = lx.AGGREGATE_WORDS[self.lemmas[before]]
            if function in ("MAX", "MIN") and before >= self.boundary:
                continue  # "with the maximum price" is a superlative, handled later
            column = self.schema.column(slot.best.table or "", slot.best.column or "")
            if column is not None and not column.is_numeric and function in ("AVG", "SUM"):
                raise Refusal(f"'{column.name}' is not a number, so I cannot take its {function.lower()}.")
            slot.role = "aggregate"
            self.selected.append((slot.start, Expression(ColumnRef(slot.best.table or "", slot.best.column or ""), function)))
            self.mark(before, slot.end)
            self.distribute_aggregate(slot, function)

    def distribute_aggregate(self, slot: Slot, function: str) -> None:
        """ "the maximum price and score" takes the maximum of both."""
        while self.words_at(slot.end, ("and",)):
            following = self.slot_at(self.skip(slot.end + 1, {"the"}))
            if following is None or following.kind != "column" or following.role is not None:
                return
            column = self.column_info(ColumnRef(following.best.table or "", following.best.column or ""))
            if column is None or not column.is_numeric:
                return
            following.role = "aggregate"
            self.selected.append((following.start, Expression(ColumnRef(column.table, column.name), function)))
            self.mark(slot.end, following.end)
            slot = following

    def skip_back(self, position: int, words: set[str]) -> int:
        position -= 1
        while position >= 0 and self.lemmas[position] in words:
            position -= 1
        return position

    def superlatives(self) -> None:
        """ "the X with the highest Y" (order + limit 1), "the most common Y", "X with the most Z (rows)"."""
        for position, lemma in enumerate(self.lemmas):
            if lemma not in lx.SUPERLATIVE_WORDS or position in self.explained:
                continue
            descending = lx.SUPERLATIVE_WORDS[lemma]
            after = self.skip(position + 1, {"the", "a", "an", "of"})
            if after < len(self.tokens) and self.lemmas[after] in ("common", "popular", "frequent", "often", "frequently"):
                self.most_common(position, after, descending)
                continue
            counted_phrase = self.words_at(after, ("number", "of")) or self.words_at(after, ("amount", "of"))
            if counted_phrase:
                after = self.skip(after + 2, {"the", "a", "an"})
            slot = self.slot_at(after)
            adjective = self.slot_at(position)
            if adjective is not None and adjective.kind == "column" and adjective.role is None:
                slot = adjective  # "oldest" names the age column itself
            if slot is None and position > 0:
                # "whose price is the highest": the column comes before.
                back = self.skip_back(position, {"the", "is", "are", "was", "were"})
                slot = self.slot_ending_at(back + 1)
            if slot is None or slot.role is not None or slot.kind not in ("table", "column"):
                continue
            following = self.slot_at(slot.end)
            if (
                slot.kind == "table"
                and following is not None
                and following.kind == "column"
                and following.best.table == slot.best.table
            ):
                slot.role = "qualifier"  # "the largest payment amount": the table only names the column's owner
                slot = following
            if slot.kind == "table" and lemma not in ("most", "least", "fewest") and not counted_phrase:
                continue  # "the largest payment": largest by what? Not a count of rows.
            if slot.kind == "table":
                self.count_superlative(slot, descending)
            else:
                self.order_superlative(slot, descending, position)
            self.mark(position, position + 1)
            self.mark(min(position, slot.start), max(position + 1, slot.end))

    def most_common(self, position: int, after: int, descending: bool) -> None:
        slot = self.slot_at(self.skip(after + 1, {"the", "a", "an"}))
        if slot is None or slot.kind != "column" or slot.role is not None:
            return
        slot.role = "select"
        ref = ColumnRef(slot.best.table or "", slot.best.column or "")
        self.selected.append((slot.start, Expression(ref)))
        self.plan.group_by.append(Expression(ref))
        self.plan.order_by.append(OrderItem(Expression(ColumnRef(ref.table, "*"), "COUNT"), descending))
        self.superlative_limit = True
        self.mark(position, slot.end)

    def count_superlative(self, slot: Slot, descending: bool) -> None:
        slot.role = "count_superlative"
        self.plan.add_table(slot.best.table or "")
        self.plan.order_by.append(OrderItem(Expression(ColumnRef(slot.best.table or "", "*"), "COUNT"), descending))
        self.group_by_subject = True
        self.superlative_limit = True

    def order_superlative(self, slot: Slot, descending: bool, position: int) -> None:
        ref = ColumnRef(slot.best.table or "", slot.best.column or "")
        column = self.column_info(ref)
        word = self.lemmas[position]
        asks_value_only = (
            not any(s.role in ("select",) for s in self.slots)
            and position < self.boundary
            and not [s for s in self.slots if s.start < position and s.kind == "column" and s.role is None]
        )
        if word in ("most", "least") and column is not None and not column.is_numeric:
            return
        if (
            asks_value_only
            and self.limit is None
            and word
            in (
                "highest",
                "lowest",
                "largest",
                "smallest",
                "maximum",
                "minimum",
                "max",
                "min",
                "biggest",
                "greatest",
                "longest",
                "shortest",
                "oldest",
                "youngest",
                "latest",
                "earliest",
            )
        ):
            function = "MAX" if descending else "MIN"
            if word in ("oldest", "youngest") and column is not None and column.is_date:
                function = "MIN" if descending else "MAX"
            slot.role = "aggregate"
            self.selected.append((slot.start, Expression(ref, function)))
            return
        if column is not None and self.is_child_of_anchor(column.table):
            raise Refusal(f"'{word} {column.name}' could mean one {column.table} row or a total per row; I would be guessing.")
        slot.role = "order"
        if word in ("oldest", "youngest") and column is not None and column.is_date:
            descending = not descending  # the oldest has the earliest date
        self.plan.order_by.append(OrderItem(Expression(ref), descending))
        self.superlative_limit = True

    def date_column(self, explicit: Slot | None = None) -> ColumnRef | None:
        """The date column a time window applies to: the one named, else the only one in play."""
        if explicit is not None and explicit.kind == "column":
            column = self.column_info(ColumnRef(explicit.best.table or "", explicit.best.column or ""))
            if column is not None and column.is_date:
                return ColumnRef(column.table, column.name)
        tables = self.anchor_tables()
        for table_name in tables:
            dates = [c for c in self.table(table_name).columns if c.is_date and not c.is_numeric]
            if len(dates) == 1:
                return ColumnRef(table_name, dates[0].name)
            if len(dates) > 1:
                self.penalise(0.8, f"{table_name} has several date columns; used {dates[0].name}")
                return ColumnRef(table_name, dates[0].name)
        return None

    def year_column(self) -> ColumnRef | None:
        """A numeric column holding years ("year", "opening_year") in a table the question is about."""
        found: list[ColumnRef] = []
        for table_name in self.anchor_tables():
            years = [c for c in self.table(table_name).columns if "year" in identifier_words(c.name) and c.is_numeric]
            if len(years) > 1:
                return None
            if years:
                found.append(ColumnRef(table_name, years[0].name))
        if not found:
            return None
        self.penalise(0.9 if len(found) == 1 else 0.6, f"read the year as {found[0].table}.{found[0].column}")
        return found[0]

    def window(self, first: dt.date, after_last: dt.date, ref: ColumnRef, position: int) -> None:
        expression = Expression(ref)
        self.filters.append((position, Condition(expression, ">=", first.isoformat())))
        self.filters.append((position, Condition(Expression(ref), "<", after_last.isoformat())))
        self.reasoning.append(f"{ref.column} from {first.isoformat()} up to {after_last.isoformat()}")

    def date_windows(self) -> None:
        """ "in 2024", "last month", "this year", "in the last 30 days", and "by month" buckets."""
        for position in range(len(self.tokens)):
            if position in self.explained:
                continue
            lemma = self.lemmas[position]
            slot = self.slot_at(position + 1)
            if (
                lemma in ("in", "during", "of", "after", "before", "since")
                and slot is not None
                and slot.kind == "number"
                and slot.role is None
            ):
                year = slot.best.value
                if not (isinstance(year, int) and 1800 <= year <= 2200):
                    continue
                if self.slot_ending_at(position) is not None and self.slot_ending_at(position).kind == "column":
                    continue  # "founded in 1990" after a named column is a plain comparison
                year_column = self.year_column()
                ref = None if year_column is not None else self.date_column()
                operator = {"after": ">", "before": "<", "since": ">="}.get(lemma, "=")
                if year_column is not None:
                    self.filters.append((position, Condition(Expression(year_column), operator, year)))
                elif ref is not None and operator == "=":
                    self.window(dt.date(year, 1, 1), dt.date(year + 1, 1, 1), ref, position)
                elif ref is not None:
                    bound = dt.date(year + 1, 1, 1) if operator == ">" else dt.date(year, 1, 1)
                    self.filters.append(
                        (position, Condition(Expression(ref), ">=" if operator != "<" else "<", bound.isoformat()))
                    )
                else:
                    continue
                slot.role = "filter"
                self.mark(position, slot.end)
                continue
            if lemma in ("last", "past", "this", "previous") and position + 1 < len(self.tokens):
                self.relative_window(position)
            if lemma in ("by", "per", "each", "every", "monthly", "yearly") or lemma.endswith("ly"):
                self.date_bucket(position)

    def relative_window(self, position: int) -> None:
        """Calendar windows for "last month"/"this year"; rolling ones for "the last 30 days"."""
        today = self.today
        word = self.lemmas[position + 1]
        count_slot = self.slot_at(position + 1)
        amount = 1
        unit_position = position + 1
        if count_slot is not None and count_slot.kind == "number" and isinstance(count_slot.best.value, int):
            amount, unit_position = count_slot.best.value, position + 2
            word = self.lemmas[unit_position] if unit_position < len(self.tokens) else ""
        if word not in ("day", "week", "month", "year", "quarter"):
            return
        ref = self.date_column()
        if ref is None:
            return
        this = self.lemmas[position] == "this"
        calendar = amount == 1 and self.lemmas[position] in ("last", "previous", "this")
        if word == "year":
            if this:
                start, end = dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1)
            elif calendar:
                start, end = dt.date(today.year - 1, 1, 1), dt.date(today.year, 1, 1)
            else:
                start, end = today - dt.timedelta(days=365 * amount), today + dt.timedelta(days=1)
        elif word == "month":
            first_of_month = today.replace(day=1)
            if this:
                start, end = first_of_month, (first_of_month + dt.timedelta(days=32)).replace(day=1)
            elif calendar:
                end = first_of_month
                start = (first_of_month - dt.timedelta(days=1)).replace(day=1)
            else:
                start, end = today - dt.timedelta(days=30 * amount), today + dt.timedelta(days=1)
        elif word == "quarter":
            return
        else:
            days = amount * (7 if word == "week" else 1)
            start, end = today - dt.timedelta(days=days), today + dt.timedelta(days=1)
        if count_slot is not None and count_slot.kind == "number" and unit_position == position + 2:
            count_slot.role = "filter"
        before = position - 1 if position > 0 and self.lemmas[position - 1] in ("in", "during", "over", "for") else position
        self.window(start, end, ref, position)
        self.mark(before, unit_position + 1)

    def date_bucket(self, position: int) -> None:
        lemma = self.lemmas[position]
        if lemma in ("monthly", "yearly"):
            part, end = ("month" if lemma == "monthly" else "year"), position + 1
        elif (
            position + 1 < len(self.tokens)
            and self.lemmas[position + 1] in ("month", "year")
            and self.slot_at(position + 1) is None
        ):
            part, end = self.lemmas[position + 1], position + 2
        else:
            return
        ref = self.date_column()
        if ref is None:
            return
        self.date_groups.append((position, Expression(ref, date_part=part)))
        self.mark(position, end)

    def is_child_of_anchor(self, table: str) -> bool:
        """Whether `table` refers to another table the question names (many rows per named row)."""
        named = {slot.best.table for slot in self.slots if slot.kind == "table" and slot.best.table != table}
        return any(k.table == table and k.ref_table in named for k in self.schema.foreign_keys)

    def comparisons(self) -> None:
        for slot in self.slots:
            if slot.kind != "column" or slot.role not in (None,):
                continue
            parsed = self.comparison_after(slot)
            if parsed is None:
                continue
            operator, value, value2, end, subquery = parsed
            ref = ColumnRef(slot.best.table or "", slot.best.column or "")
            condition = Condition(Expression(ref), operator, value, value2, subquery)
            slot.role = "filter"
            self.filters.append((slot.start, condition))
            self.mark(slot.start, end)
        self.counted_comparisons()

    def comparison_after(self, slot: Slot) -> tuple[str, object, object, int, QueryPlan | None] | None:
        """After a column: [is/of] <comparator> <number|value|the average>. Returns op, values, end."""
        adjective = self.tokens[slot.start].lower if slot.length == 1 else ""
        position = self.skip(slot.end, lx.LINKING_VERBS - {"equal"})
        operator = None
        if (
            adjective in lx.ADJECTIVE_DIRECTION
            and lx.ADJECTIVE_DIRECTION[adjective] in (">", "<")
            and self.words_at(slot.end, ("than",))
        ):
            operator, position = lx.ADJECTIVE_DIRECTION[adjective], slot.end + 1
        if operator is None and self.words_at(position, ("between",)):
            first, second = self.slot_at(position + 1), self.slot_at(position + 3)
            if first and second and first.kind == "number" and second.kind == "number" and self.words_at(position + 2, ("and",)):
                first.role = second.role = "filter"
                return "BETWEEN", first.best.value, second.best.value, position + 4, None
            return None
        if operator is None:
            for phrase, op in lx.COMPARATORS:
                if self.words_at(position, phrase):
                    operator, position = op, position + len(phrase)
                    break
        target_position = self.skip(position, {"the", "a", "an"})
        target = self.slot_at(target_position)
        if operator is not None and self.words_at(target_position, ("average",)):
            return self.average_subquery(slot, operator, target_position)
        if target is None or target.kind not in ("number", "value") or target.role is not None:
            if operator is None and target is not None and target.kind == "number" and target.role is None:
                pass
            return None
        following = self.slot_at(self.skip(target.end, lx.DISTINCT_WORDS))
        if target.kind == "number" and following is not None and following.kind == "table":
            return None  # "more than one school": a count of rows, handled as HAVING
        if operator is None:
            if target.kind != "number" or target_position != slot.end:
                return None
            operator = "="
        column = self.column_info(ColumnRef(slot.best.table or "", slot.best.column or ""))
        if target.kind == "value" and target.best.table and column is not None:
            matching = [c for c in target.best.candidates if (c[0], c[1]) == (column.table, column.name)]
            value = matching[0][2] if matching else target.best.value
        else:
            value = target.best.value
        if target.kind == "number" and column is not None and not column.is_numeric and not column.is_date:
            if operator not in ("=", "!="):
                self.penalise(0.8, f"comparing text column {column.name} with a number")
        if operator in (">=", "<=") and self.words_at(target.end, ("or", "more")):
            self.mark(target.end, target.end + 2)
        elif self.words_at(target.end, ("or", "more")):
            operator = ">="
            self.mark(target.end, target.end + 2)
        elif self.words_at(target.end, ("or", "less")) or self.words_at(target.end, ("or", "fewer")):
            operator = "<="
            self.mark(target.end, target.end + 2)
        target.role = "filter"
        return operator, value, None, target.end, None

    def average_subquery(self, slot: Slot, operator: str, position: int) -> tuple[str, object, object, int, QueryPlan | None]:
        ref = ColumnRef(slot.best.table or "", slot.best.column or "")
        end = position + 1
        following = self.skip(end, {"of", "the"})
        after = self.slot_at(following)
        if after is not None and after.kind == "column" and after.best.column == ref.column:
            after.role = "filter"
            end = after.end
        elif after is not None and after.kind == "table" and after.best.table == ref.table:
            after.role = "filter"
            end = after.end
        inner = QueryPlan(select=[Expression(ref, "AVG")], tables=[ref.table])
        return operator, None, None, end, inner

    def counted_comparisons(self) -> None:
        """ "with more than 3 employees" → HAVING COUNT(*) > 3; "at least 20 points" → points >= 20."""
        for position in range(len(self.tokens)):
            if position in self.explained:
                continue
            for phrase, operator in lx.COMPARATORS:
                if not self.words_at(position, phrase) or operator == "!=" or phrase in (("not",),):
                    continue
                number_slot = self.slot_at(position + len(phrase))
                if number_slot is None or number_slot.kind != "number" or number_slot.role is not None:
                    continue
                after = self.skip(number_slot.end, {"different", "distinct"})
                target = self.slot_at(after)
                if target is None or target.role is not None or target.kind not in ("table", "column"):
                    break
                value = number_slot.best.value
                if target.kind == "table":
                    self.having_count.append((operator, value, target.best.table or ""))
                    target.role = "having"
                    self.plan.add_table(target.best.table or "")
                else:
                    ref = ColumnRef(target.best.table or "", target.best.column or "")
                    column = self.column_info(ref)
                    if column is None or not column.is_numeric or self.is_key(column):
                        raise Refusal(f"'{self.span(target)}' after a number: a count of rows or a value of {ref.column}?")
                    self.filters.append((position, Condition(Expression(ref), operator, value)))
                    target.role = "filter"
                number_slot.role = "filter"
                self.mark(position, target.end)
                break

    def values(self) -> None:
        """Value mentions become equality filters on their column; "or" between them becomes IN."""
        for slot in self.slots:
            if slot.kind != "value" or slot.role is not None:
                continue
            mention = slot.best
            column_slot = self.column_before_value(slot)
            if mention.table is None:
                if column_slot is None:
                    continue  # a quoted string we cannot place stays unexplained
                ref = ColumnRef(column_slot.best.table or "", column_slot.best.column or "")
                value = mention.value
                self.penalise(0.85, f"'{value}' was not found among known values of {ref.column}")
            else:
                ref, value = self.place_value(slot, column_slot)
                if mention.score < 0.9:
                    self.penalise(0.9, f"'{self.span(slot)}' matched a value without quotes or capitals")
            operator = "="
            negation = self.skip_back(
                slot.start if column_slot is None else column_slot.start, {"the", "a", "an", "is", "are", "in", "from", "of"}
            )
            if negation >= 0 and self.lemmas[negation] in ("not", "except", "excluding", "outside"):
                operator = "!="
                self.mark(negation, negation + 1)
            like = self.like_pattern(slot, column_slot)
            if like is not None:
                operator, value = "LIKE", like
            slot.role = "filter"
            self.filters.append((slot.start, Condition(Expression(ref), operator, value)))
            self.mark(slot.start, slot.end)
            if column_slot is not None:
                column_slot.role = "value_column"
                self.mark(min(column_slot.start, slot.start), max(column_slot.end, slot.end))
                if column_slot.start < slot.start:
                    self.mark(column_slot.start, slot.start)

    VALUE_LEAD_WORDS = {
        "is",
        "are",
        "was",
        "named",
        "called",
        "titled",
        "the",
        "a",
        "an",
        "of",
        "=",
        "as",
        "equal",
        "to",
        "contain",
        "containing",
        "contains",
        "include",
        "including",
        "start",
        "starting",
        "begin",
        "beginning",
        "end",
        "ending",
        "with",
        "like",
        "word",
        "substring",
        "string",
        "letter",
        "at",
        "in",
    }

    def column_before_value(self, slot: Slot) -> Slot | None:
        """ "location 'TD Garden'", "whose name is X", "Los Angeles county": the column of a value."""
        position = self.skip_back(slot.start, self.VALUE_LEAD_WORDS)
        before, after = self.slot_ending_at(position + 1), self.slot_at(slot.end)
        if slot.best.table is None:
            return before if before is not None and before.kind == "column" and before.role is None else None
        names = {(c[0], c[1]) for c in slot.best.candidates}
        best: tuple[float, Slot, Mention] | None = None
        for candidate in (before, after):
            if candidate is None or candidate.kind != "column" or candidate.role is not None:
                continue
            for option in candidate.options:
                if (option.table, option.column) in names and (best is None or option.score > best[0]):
                    best = (option.score, candidate, option)
        if best is None:
            return None
        best[1].chosen = best[2]
        return best[1]

    def place_value(self, slot: Slot, column_slot: Slot | None) -> tuple[ColumnRef, object]:
        mention = slot.best
        hits = mention.candidates
        if column_slot is not None:
            for table, column, value in hits:
                if (table, column) == (column_slot.best.table, column_slot.best.column):
                    return ColumnRef(table, column), value
        anchors = [s.best.table for s in self.slots if s.kind == "table"] + [
            s.best.table for s in self.slots if s.kind == "column" and s.role is not None
        ]
        # "Mark Giuliano": neighbouring values most likely come from one table (first + last name).
        neighbours = [self.slot_ending_at(slot.start), self.slot_at(slot.end)]
        for neighbour in neighbours:
            if neighbour is not None and neighbour.kind == "value" and neighbour.best.table:
                shared = {c[0] for c in neighbour.best.candidates} & {c[0] for c in hits}
                if shared:
                    anchors = sorted(shared) + anchors
        preferred = [hit for hit in hits if hit[0] in anchors] or hits
        if anchors:
            preferred.sort(key=lambda hit: anchors.index(hit[0]) if hit[0] in anchors else len(anchors))
        columns = {(hit[0], hit[1]) for hit in preferred if hit[0] == preferred[0][0]}
        if len({(hit[0], hit[1]) for hit in preferred}) > 1:
            self.penalise(0.6 if len(columns) > 1 else 0.9, f"'{self.span(slot)}' appears in several columns")
        table, column, value = preferred[0]
        return ColumnRef(table, column), value

    def like_pattern(self, slot: Slot, column_slot: Slot | None) -> str | None:
        words = self.lemmas[max(0, slot.start - 3) : slot.start]
        value = str(
            slot.best.value if slot.best.table is None else self.tokens[slot.start].text if slot.length == 1 else slot.best.value
        )
        if slot.best.table is not None and not {"contain", "containing", "include", "including", "like", "substring"} & set(
            words
        ):
            return None
        for index, word in enumerate(words):
            position = slot.start - len(words) + index
            if word in ("contain", "containing", "contains", "include", "including", "like", "substring"):
                self.mark(position, slot.start)
                return f"%{value}%"
            if word in ("start", "starting", "begin", "beginning"):
                self.mark(position, slot.start)
                return f"{value}%"
            if word in ("end", "ending"):
                self.mark(position, slot.start)
                return f"%{value}"
        return None

    def negated_relations(self) -> None:
        """ "rooms that do not have any reservation", "tracks without a race" → key NOT IN (rows of the other)."""
        for position, lemma in enumerate(self.lemmas):
            if lemma not in ("not", "without", "never", "no"):
                continue
            after = position + 1
            while after < len(self.tokens) and after - position <= 4 and self.slot_at(after) is None:
                if self.lemmas[after] not in (
                    "have",
                    "has",
                    "had",
                    "any",
                    "a",
                    "an",
                    "the",
                    "been",
                    "be",
                    "in",
                    "on",
                    "at",
                    "with",
                    "of",
                    "for",
                    "by",
                ) and not self.is_relation_verb(after):
                    break
                after += 1
            slot = self.slot_at(after)
            if slot is None or slot.kind != "table" or slot.role is not None:
                continue
            slot.role = "negated"
            self.negated.append((position, slot.best.table or ""))
            self.mark(position, slot.end)

    def is_relation_verb(self, position: int) -> bool:
        """Verbs like "enrolled", "made", "teaches" only restate the foreign key between two tables."""
        token = self.tokens[position]
        if token.kind != "word" or position in self.explained:
            return False
        word = token.lower
        if not (word in lx.RELATION_VERBS or (len(word) > 4 and word.endswith("ed")) or (len(word) > 5 and word.endswith("ing"))):
            return False
        # Only between two linked things: "heads who are acting" states a condition, not a link.
        linked_before = any(slot.end <= position for slot in self.slots)
        linked_after = any(position < slot.start <= position + 4 for slot in self.slots)
        return linked_before and linked_after

    def relation_words(self) -> None:
        """Mark relation verbs (and the "by" of a passive) as explained, each costing a little confidence."""
        for position in range(1, len(self.tokens)):
            if self.slot_at(position) is not None or position in self.explained:
                continue
            if self.is_relation_verb(position):
                self.mark(position, position + 1)
                self.penalise(0.97, f"read '{self.tokens[position].text}' as the link between tables")
                if position + 1 < len(self.tokens) and self.lemmas[position + 1] in ("by", "to", "in", "on", "at", "for"):
                    self.mark(position + 1, position + 2)

    def chain_starts(self) -> list[int]:
        """Where the user starts naming what to show: after the opening words, and after a later
        "Return the …" / "List the …" sentence."""
        starts = [0]
        for position in range(1, len(self.tokens)):
            if self.lemmas[position] in ("return", "list", "show", "give", "display", "find") or (
                self.lemmas[position] == "what" and self.tokens[position - 1].kind == "symbol"
            ):
                starts.append(position)
        return starts

    def projection_chain(self) -> set[int]:
        """Slots in the noun phrase the question asks for: "the name, age and rank of pilots".

        A chain continues across "and", commas, "of the" and words other rules already explained;
        any other word ends it. Columns outside a chain have no role and make the engine refuse.
        """
        glue = (
            {
                "and",
                ",",
                "the",
                "of",
                "their",
                "its",
                "his",
                "her",
                "all",
                "a",
                "an",
                "also",
                "as",
                "well",
                "along",
                "together",
                "is",
                "are",
                "was",
                "were",
                "what",
                "which",
                "for",
                "every",
                "each",
                "list",
                "show",
                "give",
                "return",
                "display",
                "find",
                "me",
                "tell",
                "name",
                "get",
            }
            | lx.DISTINCT_WORDS
            | (lx.HEAD_VERBS - {"who", "which"})
        )
        glue -= {"which", "what"}
        chained: set[int] = set()
        for start in self.chain_starts():
            position = start
            while position < len(self.tokens):
                if position == start and self.slot_at(position) is None:
                    position += 1
                    continue
                slot = self.slot_at(position)
                if slot is not None:
                    chained.add(slot.start)
                    position = slot.end
                    continue
                if self.lemmas[position] in ("is", "are", "was", "were") and any(
                    s.start in chained for s in self.slots if s.start >= start
                ):
                    break  # "what campuses ARE located …": the verb ends the asked-for phrase
                if self.lemmas[position] in glue or position in self.explained:
                    position += 1
                    continue
                break
        return chained

    def in_chain(self, position: int, chained: set[int]) -> bool:
        """Whether a bare word sits next to the asked-for phrase ("the name and age of …")."""
        glue = {
            "and",
            ",",
            "the",
            "of",
            "their",
            "its",
            "all",
            "a",
            "an",
            "what",
            "is",
            "are",
            "list",
            "show",
            "give",
            "return",
            "find",
            "display",
        }
        previous = position - 1
        while previous >= 0 and self.lemmas[previous] in glue:
            previous -= 1
        following = position + 1
        while following < len(self.tokens) and self.lemmas[following] in glue:
            following += 1
        touches_slot = any(slot.start in chained and (slot.end - 1 == previous or slot.start == following) for slot in self.slots)
        return previous < 0 or touches_slot or previous in self.explained and previous < self.boundary

    def after_of_column(self, slot: Slot) -> bool:
        """ "the name of the winning pilot": a column after "X of" qualifies X; it is not shown itself."""
        previous = self.skip_back(slot.start, {"the", "a", "an", "all", "each"})
        if previous < 0 or self.lemmas[previous] not in ("of", "for"):
            return False
        owner = self.slot_ending_at(self.skip_back(previous, {"the"}) + 1)
        return owner is not None and owner.kind == "column" or previous in self.placeholder_positions()

    def placeholder_positions(self) -> set[int]:
        return {position + 1 for position, lemma in enumerate(self.lemmas) if lemma in ("name", "id", "title")}

    def leftovers(self) -> None:
        """Columns still without a role are shown if they sit in the asked-for phrase; tables join in."""
        chained = self.projection_chain()
        for slot in self.slots:
            if slot.role is not None:
                continue
            if slot.kind == "column" and slot.start in chained and not self.after_of_column(slot):
                slot.role = "select"
                ref = ColumnRef(slot.best.table or "", slot.best.column or "")
                self.selected.append((slot.start, Expression(ref)))
                self.mark(slot.start, slot.end)
            elif slot.kind == "table":
                slot.role = "table" if slot.start in chained else "related"
                self.mark(slot.start, slot.end)
        for position, lemma in enumerate(self.lemmas):
            if position in self.explained or self.slot_at(position) is not None:
                continue
            in_chain = position < self.boundary or self.in_chain(position, chained)
            if lemma == "full" and self.words_at(position + 1, ("name",)):
                self.mark(position, position + 1)
                continue
            if lemma in ("name", "title") and in_chain:
                self.placeholders.append((position, "name"))
                self.mark(position, position + 1)
            elif lemma in ("id", "identifier") and in_chain:
                self.placeholders.append((position, "id"))
                self.mark(position, position + 1)
            elif lemma in ("count", "number") and self.count_expression is not None:
                self.mark(position, position + 1)
                if self.words_at(position + 1, ("of",)):
                    self.mark(position + 1, position + 2)
                    following = self.slot_at(self.skip(position + 2, {"the", "a", "an"}))
                    if following is not None and following.kind == "table" and following.best.table == self.counted_table:
                        following.role = "count"
                        self.mark(position, following.end)
        for position, lemma in enumerate(self.lemmas):
            if lemma in ("detail", "information", "info", "everything") and not self.selected:
                self.select_all = True
                self.mark(position, position + 1)

    def check_explained(self) -> None:
        unexplained = [
            token.text
            for position, token in enumerate(self.tokens)
            if position not in self.explained and token.lemma not in lx.FILLER and token.kind != "symbol"
        ]
        for slot in self.slots:
            if slot.role is None and slot.kind in ("number", "value"):
                text = self.span(slot)
                if text not in unexplained:
                    unexplained.append(text)
        if unexplained:
            shown = ", ".join(f"'{word}'" for word in unexplained[:5])
            raise Refusal(f"I could not work out what {shown} refers to in this question.")

    # ------------------------------------------------------------------ assemble

    def assemble(self) -> Interpretation:
        plan = self.plan
        self.choose_subject()
        if self.count_expression is not None:
            if self.count_expression.column is not None and self.count_expression.column.table == "":
                self.count_expression.column = ColumnRef(self.subject or "", "*")
            position = self.count_position
            self.selected.append((position, self.count_expression))
        self.resolve_placeholders()
        self.drop_grouping_without_aggregate()
        groups = [s for s in self.slots if s.role == "group"]
        group_refs = [self.group_reference(slot) for slot in groups]
        items = sorted(self.selected, key=lambda item: item[0])
        select = [expression for _, expression in items]
        plain = [e for e in select if not e.aggregate]
        if self.count_cue == ("how", "many") and plain and not groups and not self.date_groups:
            raise Refusal("'How many' together with other columns: I cannot tell what is counted per what.")
        if not select and self.select_all:
            select = [Expression(ColumnRef(self.subject or "", "*"))]
            self.reasoning.append(f"show every column of {self.subject}")
        if not select:
            select = self.default_projection()
        for ref in group_refs:
            plan.group_by.append(Expression(ref[0]))
        shown_tables = {e.column.table for e in select if e.column is not None and not e.aggregate}
        group_first = [
            Expression(ref[1])
            for slot, ref in zip(groups, group_refs, strict=True)
            if all(not self.same_values(ref[1], e.column) or e.aggregate for e in select)
            and not (slot.kind == "table" and slot.best.table in shown_tables)
        ]
        for _, bucket in self.date_groups:
            plan.group_by.append(bucket)
            group_first.append(bucket)
            plan.order_by.append(OrderItem(bucket))
        plan.select = []
        for expression in group_first + select:
            if not any(e == expression for e in plan.select):
                plan.select.append(expression)
            elif expression not in group_first:
                self.penalise(0.8, "the same column was named twice")
        if any(e.aggregate for e in plan.select) and not plan.group_by:
            plain = [e for e in plan.select if not e.aggregate]
            if plain:
                plan.group_by.extend(Expression(e.column) for e in plain)
                self.penalise(0.9, "grouping by the shown columns")
        if self.group_by_subject or self.having_count:
            self.add_subject_grouping()
        self.add_negations()
        for _, condition in sorted(self.filters, key=lambda item: item[0]):
            plan.conditions.append(condition)
        self.connector()
        if self.descending is None and self.top_used:
            self.descending = True  # "the top 3 by price" ranks from the largest
        for slot in self.order_slots:
            ref = ColumnRef(slot.best.table or "", slot.best.column or "")
            plan.order_by.append(OrderItem(Expression(ref), bool(self.descending)))
        if self.order_count:
            plan.order_by.append(OrderItem(Expression(ColumnRef(self.subject or "", "*"), "COUNT"), bool(self.descending)))
        if self.descending is not None and not plan.order_by and select:
            plan.order_by.append(OrderItem(Expression(select[0].column), bool(self.descending)))
        if self.superlative_limit:
            plan.limit = self.limit or 1
        elif self.limit is not None:
            if not plan.order_by:
                raise Refusal("I found a 'top N' but not what to rank by.")
            plan.limit = self.limit
        if any(e.aggregate == "COUNT" for e in select) and any(word in lx.DISTINCT_WORDS for word in self.lemmas):
            for position, lemma in enumerate(self.lemmas):
                if lemma in lx.DISTINCT_WORDS:
                    self.mark(position, position + 1)
        if (
            any(lemma in lx.DISTINCT_WORDS for lemma in self.lemmas)
            and not any(e.aggregate for e in plan.select)
            and not plan.group_by
        ):
            plan.distinct = True
            for position, lemma in enumerate(self.lemmas):
                if lemma in lx.DISTINCT_WORDS:
                    self.mark(position, position + 1)
        self.collect_tables()
        self.check_explained()
        confidence = 1.0
        for factor, why in self.penalties:
            confidence *= factor
            self.reasoning.append(f"uncertain: {why}")
        return Interpretation(plan, confidence, self.reasoning)

    def same_values(self, left: ColumnRef | None, right: ColumnRef | None) -> bool:
        """Two columns hold the same values when equal or joined by a foreign key."""
        if left is None or right is None:
            return False
        if left == right:
            return True
        return any(
            {(k.table, k.column), (k.ref_table, k.ref_column)} == {(left.table, left.column), (right.table, right.column)}
            for k in self.schema.foreign_keys
        )

    def drop_grouping_without_aggregate(self) -> None:
        """ "For each submission, find its author": with nothing aggregated, "each" just means every row."""
        aggregated = self.count_expression is not None or any(e.aggregate for _, e in self.selected)
        if aggregated or self.having_count or self.group_by_subject or self.order_count or self.date_groups:
            return
        for slot in self.slots:
            if slot.role != "group":
                continue
            if slot.kind == "table":
                slot.role = "table"
                if self.subject is None or self.subject == slot.best.table:
                    self.subject = slot.best.table
            else:
                slot.role = "select"
                self.selected.append((slot.start, Expression(ColumnRef(slot.best.table or "", slot.best.column or ""))))
            self.penalise(0.9, "'each' read as every row, since nothing is counted or totalled")

    def resolve_placeholders(self) -> None:
        """ "the name of …" / "the id of …" with no such column: the subject's name columns or key."""
        for position, kind in self.placeholders:
            if self.subject is None:
                raise Refusal("I could not tell whose name or id is asked for.")
            if kind == "name":
                refs = self.name_columns(self.subject)
            else:
                refs = [ColumnRef(self.subject, c.name) for c in self.table(self.subject).primary_keys]
            if len(refs) not in (1, 2) or (kind == "id" and len(refs) != 1):
                raise Refusal(f"I could not tell which column is the {kind} of {self.subject}.")
            self.penalise(0.9, f"'{kind}' read as {', '.join(ref.column for ref in refs)}")
            for offset, ref in enumerate(refs):
                self.selected.append((position + offset / 10, Expression(ref)))

    def add_negations(self) -> None:
        for position, table in self.negated:
            subject = self.subject or ""
            keys = [k for k in self.schema.foreign_keys if k.table == table and k.ref_table == subject]
            if len(keys) != 1:
                raise Refusal(f"I could not tell how {table} refers to {subject}.")
            key = keys[0]
            inner = QueryPlan(select=[Expression(ColumnRef(table, key.column))], tables=[table])
            inside = [
                f for f in self.filters if f[0] > position and f[1].expression.column and f[1].expression.column.table == table
            ]
            for item in inside:
                self.filters.remove(item)
                inner.conditions.append(item[1])
            condition = Condition(Expression(ColumnRef(subject, key.ref_column)), "NOT IN", subquery=inner)
            self.filters.append((position, condition))
            self.reasoning.append(f"rows of {subject} with no {table} row")

    def choose_subject(self) -> None:
        if self.counted_table:
            self.subject = self.counted_table
            return
        for slot in self.slots:
            if slot.kind == "table" and slot.role in ("table", "head") and slot.start < self.boundary:
                self.subject = slot.best.table
                return
        for _, expression in sorted(self.selected, key=lambda item: item[0]):
            if expression.column and expression.column.table:
                self.subject = expression.column.table
                return
        for slot in self.slots:
            if slot.kind == "table" and slot.role in ("table", "related"):
                self.subject = slot.best.table
                return
        for _, condition in self.filters:
            if condition.expression.column and condition.expression.column.table:
                self.subject = condition.expression.column.table
                return
        raise Refusal("I could not tell which table the question is about.")

    def name_columns(self, table_name: str) -> list[ColumnRef]:
        """The columns that identify a row to a person: name/title, or first + last name."""
        table = self.table(table_name)
        scored = []
        for column in table.columns:
            words = identifier_words(column.name)
            if words and words[-1] in ("name", "title") and len(words) <= 3 and not column.is_numeric:
                scored.append(column)
        exact = [c for c in scored if identifier_words(c.name)[-1:] == ["name"] and len(identifier_words(c.name)) == 1]
        if exact:
            return [ColumnRef(table.name, exact[0].name)]
        eponymous = [c for c in table.columns if identifier_words(c.name) == identifier_words(table.name) and not c.is_numeric]
        if not scored and len(eponymous) == 1:
            return [ColumnRef(table.name, eponymous[0].name)]  # "school"."School" names the school
        firsts = [c for c in scored if "first" in identifier_words(c.name)]
        lasts = [c for c in scored if "last" in identifier_words(c.name)]
        if firsts and lasts:
            return [ColumnRef(table.name, firsts[0].name), ColumnRef(table.name, lasts[0].name)]
        if len(scored) == 1:
            return [ColumnRef(table.name, scored[0].name)]
        own = [c for c in scored if identifier_words(c.name)[0] in identifier_words(table.name)]
        if len(own) == 1:
            return [ColumnRef(table.name, own[0].name)]
        return []

    def default_projection(self) -> list[Expression]:
        if self.subject is None:
            raise Refusal("I could not tell what to show.")
        refs = self.name_columns(self.subject)
        if not refs:
            raise Refusal(f"I could not tell which columns of {self.subject} to show.")
        self.penalise(0.9, f"showing the name of each {self.subject} row")
        self.reasoning.append(f"show {', '.join(ref.column for ref in refs)} to identify {self.subject}")
        return [Expression(ref) for ref in refs]

    def group_reference(self, slot: Slot) -> tuple[ColumnRef, ColumnRef]:
        """(group key, shown column). "for each department" over employees groups by the employee's
        department key; a table that is not referenced that way groups by its key and shows its name."""
        if slot.kind == "column":
            ref = ColumnRef(slot.best.table or "", slot.best.column or "")
            return ref, ref
        table = self.table(slot.best.table or "")
        for key in self.schema.foreign_keys:
            if key.ref_table == table.name and key.table == self.subject:
                ref = ColumnRef(key.table, key.column)
                self.penalise(0.9, f"grouping {key.table} by {key.column}")
                return ref, ref
        names = self.name_columns(table.name)
        keys = table.primary_keys
        if not names:
            raise Refusal(f"I could not tell how to name each {table.name}.")
        key_ref = ColumnRef(table.name, keys[0].name) if len(keys) == 1 else names[0]
        self.plan.add_table(table.name)
        return key_ref, names[0]

    def add_subject_grouping(self) -> None:
        plan = self.plan
        for operator, value, table in self.having_count:
            plan.having.append(Condition(Expression(ColumnRef(table or "", "*"), "COUNT"), operator, value))
        if plan.group_by:
            return
        plain = [e for e in plan.select if not e.aggregate and e.column]
        counted = {item.expression.column.table for item in plan.order_by if item.expression.column} | {
            t for _, _, t in self.having_count
        }
        subject = self.subject or ""
        if plain and all(e.column.table in counted for e in plain):  # type: ignore[union-attr]
            if len(plain) > 1:
                raise Refusal("I could not tell which of the shown columns the rows are counted per.")
            plan.group_by.extend(Expression(e.column) for e in plain)
            return
        for other in counted - {subject}:
            parent = any(k.table == subject and k.ref_table == other for k in self.schema.foreign_keys)
            child = any(k.table == other and k.ref_table == subject for k in self.schema.foreign_keys)
            if parent and not child:
                raise Refusal(f"Each {subject} row points to one {other}; counting them per {subject} would mislead.")
        table = self.table(subject)
        keys = table.primary_keys
        if counted <= {subject}:
            raise Refusal(f"Counting {subject} rows per {subject} row is always one; I misread the question.")
        if len(keys) == 1:
            plan.group_by.append(Expression(ColumnRef(subject, keys[0].name)))
        elif plain:
            plan.group_by.extend(Expression(e.column) for e in plain)
        else:
            raise Refusal("I could not tell what to count per row.")

    def connector(self) -> None:
        """Conditions joined by "or" become OR (or IN on one column); "and" on one column is refused."""
        plan = self.plan
        if len(plan.conditions) < 2:
            return
        positions = sorted(position for position, _ in self.filters)
        between = [self.lemmas[a:b] for a, b in zip(positions, positions[1:], strict=False)]
        ors = [i for i, words in enumerate(between) if "or" in words]
        for i in ors:
            start, end = positions[i], positions[i + 1]
            for position in range(start, end):
                if self.lemmas[position] in ("or", "either"):
                    self.mark(position, position + 1)
        for position, lemma in enumerate(self.lemmas):
            if lemma == "either":
                self.mark(position, position + 1)
        if not ors:
            columns = [c.expression.column for c in plan.conditions if c.operator == "="]
            if len(columns) != len(set(columns)):
                raise Refusal("Two values are required of the same column at once; I do not answer 'both … and …' questions.")
            return
        if len(ors) == len(between):
            columns = {c.expression.column for c in plan.conditions}
            if len(columns) == 1 and all(c.operator == "=" for c in plan.conditions):
                only = plan.conditions[0]
                plan.conditions = [Condition(only.expression, "IN", [c.value for c in plan.conditions])]
            else:
                plan.connector = "OR"
            return
        raise Refusal("The question mixes 'and' and 'or' conditions; I would be guessing how they group.")

    def collect_tables(self) -> None:
        plan = self.plan
        tables: list[str] = [self.subject or ""]
        expressions = list(plan.select) + list(plan.group_by) + [c.expression for c in plan.conditions + plan.having]
        expressions += [item.expression for item in plan.order_by]
        for expression in expressions:
            if expression.column is not None and expression.column.table and expression.column.table not in tables:
                tables.append(expression.column.table)
        for table in plan.tables:
            if table not in tables:
                tables.append(table)
        for slot in self.slots:
            table = slot.best.table or ""
            if slot.kind != "table" or table in tables:
                continue
            if slot.role == "related":
                tables.append(table)
                factor = 0.75 if self.count_expression is not None else 0.85
                self.penalise(factor, f"rows of {table} only restrict the answer through the join")
            elif slot.role == "table":
                listed = self.skip_back(slot.start, {"the", "a", "an"})
                listed_item = listed >= 0 and self.lemmas[listed] in ("and", ",")
                self.penalise(0.5 if listed_item else 0.9, f"'{self.span(slot)}' only describes {self.subject}")
        plan.tables = tables
        evidenced = {self.subject} | {slot.best.table for slot in self.slots if slot.kind in ("table", "value")}
        for table in tables:
            if table not in evidenced:
                self.penalise(0.7, f"joined {table} only because a column name matched there")
        if len(tables) > 1 and self.count_expression is not None and self.count_expression.column is not None:
            if self.count_expression.column.column == "*" and self.counted_table:
                self.penalise(0.9, "counting rows across a join")
