"""The interpreter's state, its small helpers, and linking: which span of the question means what."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .. import lexicon as lx
from ..linking import (
    FUNCTION_WORDS,
    SYNONYMS,
    UNIT_OF,
    UNIT_WORDS,
    Mention,
    Token,
    identifier_words,
    is_name_column,
    rank_tables,
    schema_mentions,
    tokenize,
    value_mentions,
)
from ..plan import ColumnRef, Condition, Expression, QueryPlan
from ..schema import Column, SchemaInfo, Table

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


class InterpreterBase:
    """State and helpers shared by the passes; `Interpreter` (in `interpreter.py`) runs them."""

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
        self.exists_tables: list[str] = []
        self.select_all = False
        self.top_used = False
        self.order_count = False
        self.count_cue: tuple[str, ...] = ()
        self.negated: list[tuple[int, str]] = []
        self.placeholders: list[tuple[int, str]] = []
        self.date_groups: list[tuple[int, Expression]] = []
        self.through_tables: set[str] = set()
        self.paired_names: dict[int, ColumnRef] = {}  # "names" read as first name, with this last name
        self.restricting: list[str] = []
        self.when_asked = False  # "When did …": a date is asked for
        self.where_asked = False  # "Where is …": a location is asked for

    # ------------------------------------------------------------------ helpers

    def window_unit(self, slot: Slot) -> bool:
        """ "month" in "last month": the unit of a time window, whatever columns are also called month."""
        if slot.length != 1 or self.lemmas[slot.start] not in ("day", "week", "month", "quarter", "year"):
            return False
        before = slot.start - 1
        if before >= 0 and self.tokens[before].kind == "number":
            before -= 1
        return before >= 0 and self.lemmas[before] in ("last", "past", "this", "previous", "current")

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
        candidates = [m for m in schema_mentions(self.tokens, self.schema, allowed) if not self.passive_verb(m)]
        candidates += [
            m for m in value_mentions(self.tokens, self.schema, allowed) if self.keep_value(m) and not self.passive_verb(m)
        ]
        for position, token in enumerate(self.tokens):
            number = _number(token.text) if token.kind == "number" or token.lower in lx.NUMBER_WORDS else None
            if number is not None:
                candidates.append(Mention(position, position + 1, "number", value=number, score=1.0))
            elif token.kind == "quoted" or (token.kind == "word" and self.searched_for(position)):
                # (an unquoted word searched for: "names that start with Orbit", "containing the letter a")
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

    def passive_verb(self, mention: Mention) -> bool:
        """ "problems that are reported by the staff": a lowercase participle before "by" is a verb, even
        where a column ends in the same word (date_problem_reported) or a status is called 'Reported'."""
        token = self.tokens[mention.start]
        return (
            mention.kind in ("column", "value")
            and mention.length == 1
            and token.text.islower()
            and mention.score < 1.0
            and token.lower.endswith("ed")
            and self.words_at(mention.end, ("by",))
        )

    STRUCTURE_VALUE_WORDS = frozenset({"at", "least", "most", "than", "more", "less", "or", "and", "not", "no", "each"})

    def keep_value(self, mention: Mention) -> bool:
        """Drop value matches that are really structure words ("name", "total") typed in lowercase."""
        words = self.lemmas[mention.start : mention.end]
        plain = all(t.kind == "word" and t.text.islower() for t in self.tokens[mention.start : mention.end])
        if plain and all(word in lx.FILLER or word in self.STRUCTURE_VALUE_WORDS for word in words):
            return False  # "at least two": the word "at" is no value 'at', however exactly it matches one
        if mention.score >= 0.9:
            return True
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
        named: list[str] = []
        for slot in self.slots:
            kinds = {slot.chosen.kind} if slot.chosen else {m.kind for m in slot.options}
            if kinds == {"table"}:
                tables.append(slot.best.table or "")
            elif not slot.chosen and "table" in kinds:
                # "Which products …": the word names the products table (and its name column)
                top = max(m.score for m in slot.options)
                named.extend(m.table or "" for m in slot.options if m.kind == "table" and m.score == top)
            elif kinds == {"value"} and slot.best.table and len({c[0] for c in slot.best.candidates}) == 1:
                values.append(slot.best.table)
            elif kinds == {"column"} and (slot.chosen or len({m.table for m in slot.options}) == 1):
                columns.append(slot.best.table or "")
        anchors: list[str] = []
        for table in tables + named + values + columns:
            if table not in anchors:
                anchors.append(table)
        return anchors

    def head_table(self, slot: Slot) -> str | None:
        """The table of the first column the question asks about, when `slot` comes after it and that
        column belongs to one table only."""
        for other in self.slots:
            if other is slot or other.start > slot.start:
                return None
            if other.kind == "column":
                owners = {m.table for m in other.options if m.kind == "column"}
                return next(iter(owners)) if len(owners) == 1 else None
        return None

    def owner_hint(self, slot: Slot) -> str | None:
        """The table a column is said to belong to: "price of the books", "book price", "their price"."""
        if slot.start > 0 and self.lemmas[slot.start - 1] in ("their", "its"):
            named = [s.best.table for s in self.slots if s.start < slot.start and {m.kind for m in s.options} == {"table"}]
            if named:
                return named[0]
        end = slot.end
        while end < len(self.tokens) and self.lemmas[end] in ("and", ","):
            # "the name and position of physicians": every item of the list belongs to what follows it
            following = self.slot_at(self.skip(end + 1, {"the", "a", "an", "their", "its"}))
            if following is None or following.kind != "column":
                break
            end = following.end
        after = self.skip(end, {"of", "the", "their", "all", "each", "a", "an", "for"})
        if after > end and self.lemmas[end] in ("of", "for"):
            after = self.past_ranking_words(after)  # "the names of the top 3 expensive products"
            following = self.slot_at(after)
            if following is not None:
                tables = [m.table for m in following.options if m.kind == "table"]
                if tables:
                    return tables[0]
        adjective = slot.length == 1 and (
            self.lemmas[slot.start] in lx.ADJECTIVE_DIRECTION or self.tokens[slot.start].lower in SYNONYMS
        )
        following = self.slot_at(slot.end)
        if adjective and following is not None and {m.kind for m in following.options} == {"table"}:
            return following.best.table  # "the most expensive products": the products' price
        previous = self.slot_ending_at(slot.start)
        if previous is not None and previous.kind == "table" and len(previous.options) == 1:
            return previous.best.table
        if previous is not None and previous.kind == "table":
            # "manufacturer codes": a word naming a table (and also some key column) before a column it has
            owners = {m.table for m in slot.options if m.kind == "column"}
            tables = [m.table for m in previous.options if m.kind == "table" and m.table in owners]
            if tables:
                return tables[0]
        return self.list_owner(slot)

    def past_ranking_words(self, position: int) -> int:
        """The position after "top 3", "first 5", "three" and adjectives that rank ("expensive", "oldest")."""
        while position < len(self.tokens):
            here = self.slot_at(position)
            if self.lemmas[position] in ("top", "first", "last") or (here is not None and here.kind == "number"):
                position = here.end if here is not None and here.kind == "number" else position + 1
            elif here is not None and here.kind == "column" and here.length == 1 and (
                self.lemmas[position] in lx.ADJECTIVE_DIRECTION or self.tokens[position].lower in SYNONYMS
            ):
                position += 1
            else:
                break
        return position

    def list_owner(self, slot: Slot) -> str | None:
        """ "the customer last name, id and phone number": an item of a list of columns belongs to the one
        table its neighbours in the list unambiguously belong to."""
        owners = {m.table for m in slot.options if m.kind == "column"}
        neighbours = []
        before = slot.start - 1
        if before >= 0 and self.lemmas[before] in ("and", ","):
            neighbours.append(self.slot_ending_at(self.skip_back(before, {"the", "a", "an", "its", "their"}) + 1))
        if slot.end < len(self.tokens) and self.lemmas[slot.end] in ("and", ","):
            neighbours.append(self.slot_at(self.skip(slot.end + 1, {"the", "a", "an", "its", "their"})))
        found = {
            next(iter({m.table for m in n.options}))
            for n in neighbours
            if n is not None and n.kind == "column" and len({m.table for m in n.options}) == 1
        }
        if len(found) == 1 and found <= owners:
            return next(iter(found))
        return None

    def prefers_table(self, slot: Slot) -> bool:
        """After "how many", "number of", "most", "fewest" a noun counts rows of a table."""
        previous = self.skip_back(slot.start, {"the", "a", "an", "all", "each", "every"})
        adjective = self.slot_ending_at(previous + 1)
        if adjective is not None and adjective.kind == "column" and self.yes_no_of(adjective, slot):
            previous = self.skip_back(adjective.start, {"the", "a", "an", "all", "each", "every"})  # "of active products"
        if previous >= 0 and self.lemmas[previous] in ("of", "for") and self.slot_ending_at(previous) is not None:
            return True  # "the names of nurses": after "X of", a noun names whose X
        before = self.skip_back(slot.start, {"the", "a", "an", "all", "of"} | lx.DISTINCT_WORDS | lx.RELATED_WORDS)
        if before < 0:
            return False
        return self.lemmas[before] in ("many", "number", "most", "fewest", "least", "count")

    def searched_for(self, position: int) -> bool:
        """Whether the word at `position` is text searched for: right after "start(s) with", "ending with",
        "contains", "including the letter"."""
        lettered = position > 0 and self.lemmas[position - 1] in ("letter", "character")
        if self.lemmas[position] in lx.SEARCHED_WORDS and not lettered:
            return False  # "the letter a" searches for the a, not for "the" or "letter"
        text = self.tokens[position].text
        if not (lettered or text[:1].isupper()) or self.lemmas[position] in FUNCTION_WORDS:
            return False  # "counties that contain any cities": an ordinary word, not text searched for
        before = self.skip_back(position, lx.SEARCHED_WORDS - {"a"})
        if before < 0:
            return False
        if self.lemmas[before] in lx.CONTAIN_WORDS:
            return True
        return self.lemmas[before] == "with" and before > 0 and self.lemmas[before - 1] in lx.AFFIX_VERBS

    def yes_no_of(self, adjective: Slot, slot: Slot) -> bool:
        """Whether `adjective` names a yes/no column of a table `slot` may name ("active" before "products")."""
        tables = {m.table for m in slot.options if m.kind == "table"}
        for mention in adjective.options:
            column = self.column_info(ColumnRef(mention.table or "", mention.column or ""))
            if mention.table in tables and column is not None and column.yes_no is not None:
                return True
        return False

    def stated_unit(self) -> None:
        """ "the most expensive catalog in USD" over price_in_dollars / price_in_euros: the unit said in the
        question picks the column of that unit, and the words are explained by it."""
        for position in range(len(self.tokens) - 1):
            if self.lemmas[position] != "in" or self.slot_at(position + 1) is not None:
                continue
            unit = UNIT_OF.get(self.lemmas[position + 1], self.lemmas[position + 1])
            if unit not in UNIT_WORDS:
                continue
            for slot in self.slots:
                columns = [m for m in slot.options if m.kind == "column"]
                named = [m for m in columns if identifier_words(m.column or "")[-2:] == ["in", unit]]
                if len(columns) > 1 and len(named) == 1:
                    slot.options = named
                    self.mark(position, position + 2)

    def resolve(self) -> None:
        """Pick one meaning per slot, preferring tables the rest of the question talks about."""
        self.stated_unit()
        anchors = self.anchor_tables()
        for slot in self.slots:
            if len(slot.options) == 1:
                slot.chosen = slot.options[0]
                owner = self.owner_hint(slot) if slot.kind == "column" else None
                if (
                    owner is not None
                    and owner != slot.chosen.table
                    and not self.through_owner(slot, owner)
                    and not self.own_name(slot, owner)
                ):
                    self.penalise(0.6, f"'{self.span(slot)}' is said to belong to {owner}, which has no such column")
                continue
            tables = [m for m in slot.options if m.kind == "table"]
            columns = [m for m in slot.options if m.kind == "column"]
            owner = self.owner_hint(slot)
            owned = [m for m in columns if m.table == owner] or [m for m in columns if m.table == self.with_owner(slot)]
            if owned:
                slot.chosen = max(owned, key=lambda m: m.score)
                tied = sum(m.score == slot.chosen.score for m in owned) > 1
                if tied and self.lemmas[slot.start : slot.end] != ["id"]:
                    self.penalise_tie(slot)
                continue
            if owner is not None and columns and not tables:
                if self.through_owner(slot, owner) or self.own_name(slot, owner):
                    continue
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
                    head = self.head_table(slot)
                    if head is not None and head in {m.table for m in leaders}:
                        # "the campus fee of X in year 1996": the year of the fee, not of the campus
                        slot.chosen = next(m for m in leaders if m.table == head)
                    self.penalise(0.9, f"'{self.span(slot)}' matches columns in several tables")
                elif len({m.column for m in leaders}) > 1:
                    self.penalise_tie(slot)  # price_in_dollars and price_in_euros: a guess within one table
                continue
            if tables:
                slot.chosen = tables[0]
                continue
            best = max(columns, key=lambda m: m.score)
            tied = [m for m in columns if m.score == best.score]
            keyed = self.key_pair(tied)
            if keyed is not None:
                # "incident type codes": a key and the column it refers to hold the same values; the
                # referencing side is where the rows being counted or listed live.
                slot.chosen = keyed
                self.penalise(0.9, f"'{self.span(slot)}' read as {keyed.table}.{keyed.column}, a key to the same values")
                continue
            slot.chosen = best
            if len(tied) > 1:
                self.penalise_tie(slot)

    def penalise_tie(self, slot: Slot) -> None:
        """Several columns fit the slot's words equally well: the pick is a guess (unless the words name a
        date window's unit, which the window reads itself)."""
        if not self.window_unit(slot):
            self.penalise(0.6, f"'{self.span(slot)}' matches several columns equally well")

    def with_owner(self, slot: Slot) -> str | None:
        """The table named right before "with" / "whose" / "having" and an id: "the supplier with id 2" → the
        supplier's id. Only a preference among columns of several tables, never a penalty."""
        if self.lemmas[slot.start : slot.end] not in (["id"], ["identifier"]):
            return None
        before = self.skip_back(slot.start, {"the", "a", "an"})
        if before < 1 or self.lemmas[before] not in ("with", "whose", "having"):
            return None
        named = self.slot_ending_at(before)
        if named is None or {m.kind for m in named.options} != {"table"}:
            return None
        return named.best.table

    def through_owner(self, slot: Slot, owner: str) -> bool:
        """ "the names of gymnasts" where gymnast rows point at people rows holding the names: a column the
        owner lacks, read from the one table the owner refers to that has it (one hop, many-to-one)."""
        keys = [k for k in self.schema.foreign_keys if k.table == owner and k.ref_table != owner]
        targets = {k.ref_table for k in keys}
        table = self.table(owner)
        if table is None:
            return False
        if not targets:
            return self.from_child(slot, owner)
        if len(targets) > 1 and len([c for c in table.columns if c.name not in {k.column for k in keys}]) <= 1:
            return False  # a table linking others ("train stations" of trains and stations): which holds it is a guess
        own_names = any(is_name_column(c) for c in table.columns)
        if own_names and set(self.lemmas[slot.start : slot.end]) & {"name", "title"}:
            return False  # "the names of courses" are their titles, not their department's name (see own_name)
        via = [m for m in slot.options if m.kind == "column" and m.table in targets]
        if not via:
            return self.from_child(slot, owner)
        if len({m.table for m in via}) != 1:
            return False
        chosen = max(via, key=lambda m: m.score)
        if any((k.ref_table, k.ref_column) == (chosen.table, chosen.column) for k in keys):
            return False  # the key the owner points with: the owner's own column holds the same values
        slot.chosen = chosen
        self.through_tables.add(slot.chosen.table or "")
        self.penalise(0.9, f"'{self.span(slot)}' of {owner} read from {slot.chosen.table}")
        return True

    def from_child(self, slot: Slot, owner: str) -> bool:
        """ "the nicknames of schools" where school_details rows point at schools: a column the owner lacks, read
        from the one table pointing at it that has it."""
        table = self.table(owner)
        head = self.lemmas[slot.end - 1]
        if table is None or slot.length == 1 and any(identifier_words(c.name)[-1:] == [head] for c in table.columns):
            return False  # "the details of visitors" are their own tourist_details, not their visits' details
        children = {k.table for k in self.schema.foreign_keys if k.ref_table == owner and k.table != owner}
        pointers = {(k.table, k.column) for k in self.schema.foreign_keys}
        via = [
            m
            for m in slot.options
            if m.kind == "column"
            and m.table in children
            and (m.table, m.column) not in pointers
            and identifier_words(m.column or "")[-1:] != ["id"]
        ]  # never the child's own ids: "the ids of nurses" are not their appointments' ids
        if len({m.table for m in via}) != 1:
            return False
        slot.chosen = max(via, key=lambda m: m.score)
        self.through_tables.add(slot.chosen.table or "")
        self.penalise(0.85, f"'{self.span(slot)}' of {owner} read from {slot.chosen.table}, whose rows point at it")
        return True

    def own_name(self, slot: Slot, owner: str) -> bool:
        """ "the name of the courses" where a course's name is its title: the one title/name column of the
        owner, when the slot is just the word "name" and the owner has no column called so."""
        if self.lemmas[slot.start : slot.end] != ["name"]:
            return False
        table = self.table(owner)
        if table is None:
            return False
        keys = {k.column for k in self.schema.foreign_keys if k.table == table.name}
        # (dept_name pointing at the department names the department, not the course)
        named = [c for c in table.columns if is_name_column(c) and c.name not in keys]
        firsts = [c for c in named if "first" in identifier_words(c.name)]
        lasts = [c for c in named if "last" in identifier_words(c.name)]
        if len(named) == 2 and len(firsts) == 1 and len(lasts) == 1:
            # "the names of customers" who have a first and a last name: both, as "full name" would be
            slot.options.append(Mention(slot.start, slot.end, "column", table=table.name, column=firsts[0].name, score=0.9))
            slot.chosen = slot.options[-1]
            self.paired_names[slot.start] = ColumnRef(table.name, lasts[0].name)
            self.penalise(0.9, f"'{self.span(slot)}' of {owner} read as {firsts[0].name} and {lasts[0].name}")
            return True
        if len(named) != 1:
            return False
        slot.options.append(Mention(slot.start, slot.end, "column", table=table.name, column=named[0].name, score=0.9))
        slot.chosen = slot.options[-1]
        self.penalise(0.9, f"'{self.span(slot)}' of {owner} read as {named[0].name}")
        return True

    def key_pair(self, tied: list[Mention]) -> Mention | None:
        """Of exactly two tied columns that are the two ends of one foreign key: the referencing one when
        something is counted (the rows that use the values), else the referenced one (the list of them)."""
        if len(tied) != 2:
            return None
        counting = any(self.match_any(position, lx.COUNT_CUES) for position in range(len(self.tokens)))
        for first, second in (tied, tied[::-1]):
            if any((k.table, k.column, k.ref_table, k.ref_column) == (first.table, first.column, second.table, second.column)
                   for k in self.schema.foreign_keys):
                return first if counting else second
        return None

    def span(self, slot: Slot) -> str:
        return " ".join(token.text for token in self.tokens[slot.start : slot.end])
