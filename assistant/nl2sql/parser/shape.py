"""Passes that read the shape of a question: its head, top-N, ordering, grouping, counts, aggregates,
superlatives and date windows."""

from __future__ import annotations

import datetime as dt

from .. import lexicon as lx
from ..analytics.dates import window_at
from ..analytics.words import MONTHS, PASSIVE_VERBS, QUARTERS
from ..linking import counted_noun, identifier_words, verb_names_column
from ..linking import lemma as lemma_of
from ..plan import ColumnRef, Condition, Expression, OrderItem, QueryPlan
from ..schema import Column
from .base import InterpreterBase, Refusal, Slot


class ShapePasses(InterpreterBase):
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
        if self.words_at(0, ("when",)):
            # "When was the school founded?": the date the verb names is what is asked
            self.when_asked = True
            end = 2 if len(self.tokens) > 1 and self.lemmas[1] in lx.AUXILIARIES else 1
            self.mark(0, end)
            return
        if self.words_at(0, ("where",)):
            # "Where is the club 'Tennis Club' located?": its location is what is asked
            self.where_asked = True
            end = 2 if len(self.tokens) > 1 and self.lemmas[1] in lx.AUXILIARIES else 1
            self.mark(0, end)
            return
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
                ranked = self.slot_at(number_slot.end)
                if (
                    ranked is not None
                    and ranked.kind == "column"
                    and ranked.length == 1
                    and lx.ADJECTIVE_DIRECTION.get(self.lemmas[ranked.start]) == ""
                ):
                    ranked.role = "order"  # "the top 3 expensive rooms": ranked by what "expensive" names
                    self.order_slots.append(ranked)
                    self.mark(ranked.start, ranked.end)
                elif ranked is not None and ranked.kind == "column" and self.top_used and self.ranks_by(ranked):
                    ranked.role = "order"  # "the students with the top 5 GPAs": ranked by the GPA
                    self.order_slots.append(ranked)
                    self.mark(ranked.start, ranked.end)
        for slot in self.slots:
            if slot.kind == "number" and slot.role is None and slot.end < len(self.tokens):
                following = self.lemmas[slot.end]
                if following in lx.SUPERLATIVE_WORDS and slot.start > 0:
                    self.limit = int(slot.best.value)  # type: ignore[arg-type]
                    slot.role = "limit"
                    self.mark(slot.start, slot.end)
                elif self.counted_rows_ranked(slot):
                    # "the 3 departments with the most courses", "the two chains with the largest number of stores"
                    self.limit = int(slot.best.value)  # type: ignore[arg-type]
                    slot.role = "limit"
                    self.mark(slot.start, slot.end)

    def counted_rows_ranked(self, slot: Slot) -> bool:
        """ "the N <rows> … <superlative> …": a small whole number between "the" and a table or column,
        with a superlative later in the question."""
        value = slot.best.value
        if not isinstance(value, int) or not 1 < value <= 100 or slot.start == 0 or self.lemmas[slot.start - 1] != "the":
            return False
        named = self.slot_at(slot.end)
        if named is None or named.kind not in ("table", "column"):
            return False
        return any(lemma in lx.SUPERLATIVE_WORDS for lemma in self.lemmas[named.end :])

    def ranks_by(self, slot: Slot) -> bool:
        """Whether the column right after "top N" is a number to rank by (not a key, and what follows is
        not "of …", which would make it the thing listed: "the top 3 names of …")."""
        column = self.column_info(ColumnRef(slot.best.table or "", slot.best.column or ""))
        if column is None or not column.is_numeric or column.primary_key or self.is_key(column):
            return False
        return slot.end >= len(self.tokens) or self.lemmas[slot.end] not in ("of", "for", "per")

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
            if following in ("by", "of") or previous in lx.ORDER_WORDS or previous in ("in", "reverse"):
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
                ordering_word = self.slot_at(cue_start) is None and not any(
                    other.start <= cue_start < other.end for other in self.slots
                )  # "the amounts of orders of customers": the orders table, not an order
                if cue != ("by",) and ordering_word and not self.words_at(slot.end, ("count",)):
                    # "in the alphabetical order of their addresses": ordered by a whole table is no order
                    raise Refusal(f"I could not tell which column of {slot.best.table} to order by.")
                continue
            slot.role = "order"
            self.mark(cue_start, slot.end)
            self.order_slots.append(slot)
            following = self.slot_at(self.skip(slot.end + 1, {"the", "their", "its"})) if self.words_at(
                slot.end, ("and",)) else None
            if following is not None and following.kind == "column" and following.role is None:
                following.role = "order"  # "ordered by their titles and credits": a second sort key
                self.mark(slot.end, following.end)
                self.order_slots.append(following)
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
            if count_cue == ("amount", "of") and (target is None or target.kind != "table"):
                continue  # "by amount of money requested" names a column, not a count
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
            if cue == ("by",) and slot.kind == "table" and self.restricted_owner(slot) and self.by_owner(cue_start):
                continue  # "weeks on top of volumes by artists aged at most 25": whose volumes, not a breakdown
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

    def restricted_owner(self, slot: Slot) -> bool:
        """Whether a condition on `slot`'s rows follows it ("artists that are …", "artists aged over 30")."""
        return slot.end < len(self.tokens) and self.lemmas[slot.end] in lx.RESTRICTING_WORDS

    def free_measure(self, slot: Slot | None) -> ColumnRef | None:
        """The numeric, non-key column a still unused column mention names, or None."""
        if slot is None or slot.kind != "column" or slot.role is not None:
            return None
        ref = ColumnRef(slot.best.table or "", slot.best.column or "")
        column = self.column_info(ref)
        if column is None or not column.is_numeric or self.is_key(column):
            return None
        return ref

    def aggregated_number(self, position: int) -> bool:
        """ "the average number of working horses", "the maximum and minimum number of cows": after an
        aggregate, "number of X" is the value of the numeric column X, not a count of rows."""
        functions: list[tuple[int, str]] = []
        back = position - 1
        while back >= 0 and (self.lemmas[back] in lx.AGGREGATE_WORDS or self.lemmas[back] in ("and", ",", "or")):
            if self.lemmas[back] in lx.AGGREGATE_WORDS and back not in self.explained:
                functions.append((back, lx.AGGREGATE_WORDS[self.lemmas[back]]))
            back -= 1
        if not functions or self.lemmas[back + 1] in ("and", ",", "or"):
            return False
        slot = self.slot_at(self.skip(position + 2, {"the", "a", "an"}))
        ref = self.free_measure(slot)
        if slot is None or ref is None:
            return False
        slot.role = "aggregate"
        for offset, (at, function) in enumerate(sorted(functions)):
            self.selected.append((at + offset / 100, Expression(ref, function)))
        self.mark(back + 1, slot.end)
        return True

    def counting(self) -> None:
        """ "how many X", "the number of X", "count the X" → COUNT(*) over X (or COUNT(DISTINCT col))."""
        for position in range(len(self.tokens)):
            cue = self.match_any(position, lx.COUNT_CUES)
            if cue is None or any(slot.start <= position < slot.end for slot in self.slots):
                continue
            if self.tokens[position].lower in ("numbers", "counts"):
                continue  # "the numbers of all flights" asks for a number column, not a count
            if cue == ("number", "of") and self.aggregated_number(position):
                continue
            previous = self.slot_ending_at(position)
            if cue[0] == "number" and previous is not None and previous.kind == "column":
                self.mark(position, position + 1)  # "the address and phone number of the buildings": part of the
                continue  # column's name, not a count
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
            following = self.slot_at(slot.end) if slot is not None else None
            if (
                distinct
                and slot is not None
                and following is not None
                and any(m.kind == "table" for m in slot.options)
                and following.kind == "column"
                and following.best.table in {m.table for m in slot.options if m.kind == "table"}
            ):
                slot.role = "qualifier"  # "the number of distinct player positions": positions, of players
                self.mark(slot.start, slot.end)
                slot = following
            elif cue == ("how", "many") and slot is not None and following is not None and self.counts_of(slot, following):
                slot.role = "qualifier"  # "how many furniture components": the components of furniture rows
                self.mark(slot.start, slot.end)
                slot = following
            if cue != ("how", "many") and self.value_before_table(slot, following):
                slot = following  # "the number of female students": students counted, the value filters them
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
            stored = [m for m in numeric_twins if identifier_words(m.column or "") == identifier_words(m.table or "")]
            if mention.kind == "table" and len(stored) == 1 and not distinct:
                # "how many degrees were conferred in 2000" over degrees(year, campus, degrees): each row holds
                # how many, so the answer is their total
                ref = ColumnRef(stored[0].table or "", stored[0].column or "")
                slot.role = "aggregate"
                self.selected.append((position, Expression(ref, "SUM")))
                self.mark(position, slot.end)
                self.penalise(0.9, f"'{self.span(slot)}' counted as the total of {ref.table}.{ref.column}")
                return
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
                    if cue == ("how", "many") and self.holds_counts(column):
                        # "how many beds are there in total" over rooms.beds: each row holds how many
                        slot.role = "aggregate"
                        self.selected.append((position, Expression(ref, "SUM")))
                        self.mark(position, slot.end)
                        self.reasoning.append(f"'{self.span(slot)}' totalled: each {ref.table} row holds how many")
                        other = self.slot_at(slot.end + 1) if self.words_at(slot.end, ("and",)) else None
                        other_ref = ColumnRef(other.best.table or "", other.best.column or "") if other else None
                        other_column = self.column_info(other_ref) if other_ref else None
                        if other and other_ref and other_column and other.role is None and other_column.is_numeric:
                            # "how many international and domestic passengers": both totalled
                            other.role = "aggregate"
                            self.selected.append((other.start, Expression(other_ref, "SUM")))
                            self.mark(slot.end, other.end)
                        return
                    raise Refusal(f"'number of {self.span(slot)}' could mean a count or a sum of {column.name}.")
                self.count_expression = Expression(ref, "COUNT", distinct=True)
                if not distinct:
                    self.penalise(0.8, f"counting distinct values of {ref.column}")
            slot.role = "count"
            self.count_cue = cue
            self.count_position = position
            self.mark(position, slot.end)
            return

    def value_before_table(self, slot: Slot | None, following: Slot | None) -> bool:
        """Whether `slot` is a value of the table `following` names ("female students", "credit cards")."""
        if slot is None or following is None or slot.kind != "value" or following.kind != "table":
            return False
        return following.best.table in {candidate[0] for candidate in slot.best.candidates}

    def counts_of(self, slot: Slot, following: Slot) -> bool:
        """Whether `slot` names a table and `following` one of its numeric columns that holds counts."""
        if slot.kind != "table" or following.kind != "column" or following.best.table != slot.best.table:
            return False
        column = self.column_info(ColumnRef(following.best.table or "", following.best.column or ""))
        return column is not None and column.is_numeric and not self.is_key(column) and self.holds_counts(column)

    def holds_counts(self, column: Column) -> bool:
        """Whether a numeric column holds how many of something: named as a count (num_of_component,
        bedroom_count) or as a plural noun (beds), or the question says "in total"."""
        said_total = any(
            word in ("total", "altogether") and self.slot_at(position) is None for position, word in enumerate(self.lemmas)
        )
        if said_total:
            return True
        if counted_noun(identifier_words(column.name)):
            return True
        last = column.name.lower().split("_")[-1]
        return len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is")) and lemma_of(last) != last

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
                if before < 0 or self.lemmas[before] not in lx.LIST_SUPERLATIVES or before >= self.boundary:
                    continue
                if len(self.aggregate_list(before)[0]) < 2:
                    continue  # "the average and largest salary": a superlative only inside a list
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
            ahead = self.skip_back(before, {"the", "a", "an"})
            if ahead >= 0 and self.lemmas[ahead] in lx.SUPERLATIVE_WORDS and self.lemmas[before] in lx.AGGREGATE_WORDS:
                continue  # "the highest average rating" ranks by the average, handled with the superlatives
            function = lx.AGGREGATE_WORDS.get(self.lemmas[before]) or lx.LIST_SUPERLATIVES[self.lemmas[before]]
            if function in ("MAX", "MIN") and before >= self.boundary:
                continue  # "with the maximum price" is a superlative, handled later
            column = self.schema.column(slot.best.table or "", slot.best.column or "")
            functions, first = self.aggregate_list(before)
            for other in functions:
                if column is not None and not column.is_numeric and other in ("AVG", "SUM") and not column.numbers_as_text:
                    raise Refusal(f"'{column.name}' is not a number, so I cannot take its {other.lower()}.")
            slot.role = "aggregate"
            for offset, other in enumerate(functions):
                ref = ColumnRef(slot.best.table or "", slot.best.column or "")
                self.selected.append((first + offset / 100, Expression(ref, other)))
            self.mark(first, slot.end)
            for word in self.slots:
                if word.role is None and word.kind == "column" and first <= word.start and word.end <= slot.start:
                    word.role = "qualifier"  # "total salary" where "total" also names a column: the aggregate
            self.distribute_aggregate(slot, function)

    def aggregate_list(self, last: int) -> tuple[list[str], int]:
        """ "the minimum, maximum, and average seating": every function named before the column, in order."""
        word = self.lemmas[last]
        functions = [lx.AGGREGATE_WORDS.get(word) or lx.LIST_SUPERLATIVES[word]]
        first = last
        position = last - 1
        while position >= 1 and self.lemmas[position] in ("and", ",", "or"):
            previous = position - 1
            while previous >= 0 and self.lemmas[previous] in ("and", ","):
                previous -= 1
            word = self.lemmas[previous] if previous >= 0 else ""
            function = lx.AGGREGATE_WORDS.get(word) or lx.LIST_SUPERLATIVES.get(word)
            if function is None or function in functions or self.slot_at(previous) is not None:
                break
            functions.insert(0, function)
            first = previous
            position = previous - 1
        return functions, first

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
            before = self.skip_back(position, {"the"})
            if before >= 0 and self.lemmas[before] == "than" and lemma in lx.EXTREMES:
                continue  # "less than the largest salary" compares with it (read with the comparisons)
            descending = lx.SUPERLATIVE_WORDS[lemma]
            after = self.skip(position + 1, {"the", "a", "an", "of"})
            if self.aggregate_superlative(position, after, descending):
                continue
            if after < len(self.tokens) and self.lemmas[after] in ("common", "popular", "frequent", "often", "frequently"):
                if self.lemmas[after] in ("often", "frequently") and self.verb_counted(position, after + 1, descending):
                    continue  # "the film that is rented most often": counted by the rentals table
                self.most_common(position, after, descending)
                continue
            if lemma in ("latest", "earliest") and self.verb_dated(position, descending):
                continue
            counted_phrase = self.words_at(after, ("number", "of")) or self.words_at(after, ("amount", "of"))
            if counted_phrase:
                after = self.skip(after + 2, {"the", "a", "an"})
            slot = self.slot_at(after)
            if slot is not None and slot.kind == "value" and slot.role is None and lemma in ("most", "least", "fewest"):
                counted = self.slot_at(slot.end)
                if counted is not None and counted.kind == "table" and counted.best.table in {c[0] for c in slot.best.candidates}:
                    slot = counted  # "the most female students": students counted, the value filters them
            adjective = self.slot_at(position)
            if (
                adjective is not None
                and adjective.kind == "column"
                and adjective.length > 1
                and adjective.start == position
                and self.words_at(adjective.end, ("of",))
            ):
                continue  # "the latest logon date of the students": the word is part of the column asked for
            if adjective is not None and adjective.kind == "column" and adjective.role is None:
                if (
                    slot is not None
                    and slot.kind == "column"
                    and (slot.best.table, slot.best.column) == (adjective.best.table, adjective.best.column)
                ):
                    adjective.role = "qualifier"  # "the oldest age": the adjective and the noun are one column
                else:
                    slot = adjective  # "oldest" names the age column itself
            times = after < len(self.tokens) and self.tokens[after].lower == "times"
            if slot is None and lemma in ("most", "least", "fewest") and times:
                self.verb_counted(position, after + 1, descending)  # "the user who tweeted the most times"
                continue
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
            if slot.kind == "table" and lemma in ("latest", "newest", "earliest") and not counted_phrase:
                if not self.chronological(slot.best.table or "", descending):
                    continue
            elif slot.kind == "table" and lemma in ("oldest", "youngest") and not counted_phrase:
                if not self.by_birth(slot.best.table or "", descending):
                    continue
            elif slot.kind == "table" and lemma not in ("most", "least", "fewest") and not counted_phrase:
                continue  # "the largest payment": largest by what? Not a count of rows.
            elif slot.kind == "table" and self.owner_with_most(slot, position, descending):
                pass
            elif slot.kind == "table":
                self.count_superlative(slot, descending)
            elif not self.order_superlative(slot, descending, position):
                continue  # left unexplained: the question is refused rather than answered without it
            self.mark(position, position + 1)
            self.mark(min(position, slot.start), max(position + 1, slot.end))

    def verb_dated(self, position: int, descending: bool) -> bool:
        """ "the student who registered latest", "who most recently registered": ranked by the one date
        the verb names (registration_date), wherever it is kept."""
        back = self.skip_back(position, {"the"})
        while back > 0 and (self.slot_at(back) is not None or self.slot_ending_at(back + 1) is not None or self.lemmas[back] in (
            "for", "in", "to", "on", "at", "a", "an", "the", "some", "any",
        )) and position - back <= 5:
            back -= 1  # "who registered for courses most recently": past the things the verb was done to
        for verb in (self.skip(position + 1, {"the"}), self.skip_back(position, {"the"}), back):
            if verb < 0 or verb >= len(self.tokens) or verb in self.explained or self.slot_at(verb) is not None:
                continue
            token = self.tokens[verb]
            if token.kind != "word" or not (token.lower.endswith("ed") or token.lower in lx.IRREGULAR_PARTICIPLES):
                continue
            dates = [
                ColumnRef(table.name, column.name)
                for table in self.schema.tables
                for column in table.columns
                if column.is_date and not column.is_numeric and verb_names_column(token, None, column.name)
            ]
            if len(dates) > 1:
                # a view repeating a table's date (v_order_lines.order_date) is not another date
                dates = [d for d in dates if self.table(d.table) is not None and self.table(d.table).primary_keys] or dates
            if len(dates) != 1:
                continue
            self.plan.add_table(dates[0].table)
            self.plan.order_by.append(OrderItem(Expression(dates[0]), descending))
            self.superlative_limit = True
            self.through_tables.add(dates[0].table)
            self.reasoning.append(f"'{token.text}' ranked by {dates[0].table}.{dates[0].column}")
            start = position - 1 if position > 0 and self.lemmas[position - 1] == "the" else position
            self.mark(start, position + 1)
            self.mark(verb, verb + 1)
            return True
        return False

    def verb_counted(self, position: int, end: int, descending: bool) -> bool:
        """Rank the subject's rows by how many rows of the table the verb before `position` names."""
        start = position - 1 if position > 0 and self.lemmas[position - 1] == "the" else position
        verb = self.verb_table(start)
        if verb is None:
            return False
        self.plan.add_table(verb[1])
        self.plan.order_by.append(OrderItem(Expression(ColumnRef(verb[1], "*"), "COUNT"), descending))
        self.group_by_subject = True
        self.superlative_limit = True
        self.mark(verb[0], verb[0] + 1)
        self.through_tables.add(verb[1])  # named by its verb
        self.mark(start, end)
        return True

    def most_common(self, position: int, after: int, descending: bool) -> None:
        slot = self.slot_at(self.skip(after + 1, {"the", "a", "an"}))
        start = position
        if slot is None:
            # "which allergy type is the most common": the column comes before the verb; "the class of races
            # that is most common": before "of" and the table it belongs to.
            back = self.skip_back(position, {"the", "is", "are", "was", "were", "that", "which"})
            verbs = set(self.lemmas[back + 1 : position]) & {"is", "are", "was", "were"}
            if back < position - 1 and verbs:
                slot = self.slot_ending_at(back + 1)
                owner = slot
                if owner is not None and owner.kind == "table" and owner.start >= 2 and self.lemmas[owner.start - 1] == "of":
                    column_slot = self.slot_ending_at(owner.start - 1)
                    if column_slot is not None and any(
                        m.kind == "column" and m.table == owner.best.table for m in column_slot.options
                    ):
                        owner.role = "qualifier"
                        self.mark(owner.start - 1, owner.end)
                        slot = column_slot
                        self.mark(owner.end, position)
                columns = [m for m in slot.options if m.kind == "column"] if slot is not None else []
                if slot is not None and owner is not None and owner is not slot:
                    columns = [m for m in columns if m.table == owner.best.table]
                if slot is not None and slot.role is None and columns:
                    slot.chosen = max(columns, key=lambda m: m.score)
                    start = slot.start
                    self.mark(after, after + 1)
        if slot is None or slot.kind != "column" or slot.role is not None:
            return
        ref = ColumnRef(slot.best.table or "", slot.best.column or "")
        other_rows = start == position and self.other_subject_before(position, ref.table)
        if other_rows:
            self.plan.distinct = True  # each customer once, however many of their payments used the method
        if start == position and (self.relative_before(position) or other_rows):
            # "the customers who use the most common payment method": the rows whose value is the mode
            inner = QueryPlan(select=[Expression(ref)], tables=[ref.table], group_by=[Expression(ref)], limit=1)
            inner.conditions = [Condition(Expression(ref), "IS NOT NULL")]
            inner.order_by = [OrderItem(Expression(ColumnRef(ref.table, "*"), "COUNT"), descending)]
            slot.role = "filter"
            self.filters.append((position, Condition(Expression(ref), "=", subquery=inner)))
            self.mark(position, slot.end)
            self.reasoning.append(f"rows whose {ref.column} is the most common one")
            return
        slot.role = "select"
        column = self.column_info(ref)
        table = self.table(ref.table)
        if column is not None and column.primary_key and len(table.primary_keys) == 1:
            # "which allergy is the most common": each allergy is listed once in its own table; how common
            # it is shows where it is used (the one table that refers to it).
            users = [
                k
                for k in self.schema.foreign_keys
                if (k.ref_table.lower(), k.ref_column.lower()) == (ref.table.lower(), ref.column.lower())
            ]
            if len(users) != 1:
                raise Refusal(f"Every {ref.column} appears once in {ref.table}; I could not tell where to count how often.")
            ref = ColumnRef(users[0].table, users[0].column)
            self.reasoning.append(f"counted how often each {column.name} is used in {users[0].table}")
        asked_before = [p for p, e in self.selected if e.aggregate and p < position]
        if self.count_expression is not None and self.count_position < position:
            asked_before.append(self.count_position)
        if asked_before:
            # "the total access count of documents of the most common type": the type only picks the rows
            self.reasoning.append(f"the most common {ref.column} only selects the rows totalled")
        else:
            self.selected.append((slot.start, Expression(ref)))
        self.plan.group_by.append(Expression(ref))
        paired = self.slot_at(slot.end + 1) if slot.end < len(self.tokens) and self.lemmas[slot.end] == "and" else None
        if paired is not None and paired.kind == "column" and paired.role is None and paired.best.table == ref.table:
            # "the most common first and last name": the pair is what repeats
            paired.role = "select"
            second = ColumnRef(paired.best.table or "", paired.best.column or "")
            self.selected.append((paired.start, Expression(second)))
            self.plan.group_by.append(Expression(second))
            self.mark(slot.end, paired.end)
        self.plan.order_by.append(OrderItem(Expression(ColumnRef(ref.table, "*"), "COUNT"), descending))
        self.superlative_limit = True
        self.mark(min(start, position), max(slot.end, after + 1))

    def other_subject_before(self, position: int, table: str) -> bool:
        """ "Which customers use the most common payment method": the rows asked for are another table's,
        named (after "which" / "what") before a verb that leads to the superlative."""
        if not self.lemmas or self.lemmas[0] not in ("which", "what", "list", "show", "find"):
            return False
        head = self.slot_at(self.skip(1, {"the", "all"}))
        if head is None or head.kind != "table" or head.best.table == table:
            return False
        between = [p for p in range(head.end, position) if self.slot_at(p) is None and p not in self.explained]
        return bool(between) and all(self.tokens[p].kind == "word" for p in between)

    def relative_before(self, position: int) -> bool:
        """Whether a relative clause ("who use", "that have") leads to `position`, after something asked."""
        relatives = [p for p in range(1, position) if self.lemmas[p] in ("who", "that", "which", "whose")]
        if not relatives:
            return False  # ("Which payment method is the most common": the opening "which" asks for it)
        return any(s.start < relatives[-1] and s.kind in ("table", "column") for s in self.slots)

    def aggregate_superlative(self, position: int, after: int, descending: bool) -> bool:
        """ "the item with the highest average rating", "the type with the largest total amount": rows
        grouped per what is shown (or per the subject), ranked by an average or total of a number."""
        if after >= len(self.tokens) or lx.AGGREGATE_WORDS.get(self.lemmas[after]) not in ("SUM", "AVG"):
            return False
        slot = self.slot_at(self.skip(after + 1, {"of"}))
        ref = self.free_measure(slot)
        if slot is None or ref is None:
            return False
        slot.role = "order"
        self.plan.add_table(ref.table)
        self.plan.order_by.append(OrderItem(Expression(ref, lx.AGGREGATE_WORDS[self.lemmas[after]]), descending))
        self.group_by_subject = True
        self.superlative_limit = True
        self.mark(position, slot.end)
        return True

    def stored_count(self, slot: Slot) -> ColumnRef | None:
        """ "the party with the most hosts" where party has a number_of_hosts column: the count the data
        already keeps, rather than counting rows of another table."""
        noun = self.lemmas[slot.end - 1]
        found = [
            ColumnRef(table_name, column.name)
            for table_name in self.anchor_tables()
            if table_name != slot.best.table
            for column in self.table(table_name).columns
            if column.is_numeric and counted_noun(identifier_words(column.name)) == (noun,)
        ]
        return found[0] if len(found) == 1 else None

    def owner_with_most(self, slot: Slot, position: int, descending: bool) -> bool:
        """ "the projects launched by the organisation with the most projects": the superlative picks the owner
        (the organisation whose projects are most), and the projects listed are that owner's: their key is in
        the one owner ranked first by its count of them."""
        counted = slot.best.table or ""
        before = self.skip_back(position, {"the", "with", "that", "which", "who", "has", "have", "had", "having"})
        owner = self.slot_ending_at(before + 1)
        if owner is None or owner.kind != "table" or owner.role is not None or owner.best.table == counted:
            return False
        listed = [s for s in self.slots if s.end <= owner.start and s.kind == "table" and s.best.table == counted]
        keys = [k for k in self.schema.foreign_keys if k.table == counted and k.ref_table == owner.best.table]
        if not listed or len(keys) != 1:
            return False
        pointer = ColumnRef(counted, keys[0].column)
        ranked = QueryPlan(
            select=[Expression(pointer)],
            tables=[counted],
            conditions=[Condition(Expression(pointer), "IS NOT NULL")],  # rows with no owner are no owner's
            group_by=[Expression(pointer)],
            order_by=[OrderItem(Expression(ColumnRef(counted, "*"), "COUNT"), descending)],
            limit=1,
        )
        self.filters.append((owner.start, Condition(Expression(pointer), "IN", subquery=ranked)))
        owner.role = slot.role = "qualifier"
        self.through_tables.add(owner.best.table or "")
        self.reasoning.append(f"the {owner.best.table} with the {'most' if descending else 'fewest'} {counted} rows")
        self.mark(owner.start, slot.end)
        return True

    def count_superlative(self, slot: Slot, descending: bool) -> None:
        stored = self.stored_count(slot)
        if stored is not None:
            slot.role = "qualifier"
            self.plan.order_by.append(OrderItem(Expression(stored), descending))
            self.superlative_limit = True
            self.reasoning.append(f"ranked by the stored count {stored.table}.{stored.column}")
            return
        slot.role = "count_superlative"
        self.plan.add_table(slot.best.table or "")
        self.plan.order_by.append(OrderItem(Expression(ColumnRef(slot.best.table or "", "*"), "COUNT"), descending))
        self.group_by_subject = True
        self.superlative_limit = True

    def chronological(self, table_name: str, descending: bool) -> bool:
        """ "the latest race", "the earliest order": rows ranked by the table's one date (or year) column."""
        table = self.table(table_name)
        if table is None:
            return False
        times = [c for c in table.columns if c.is_date and not c.is_numeric]
        if not times:
            times = [c for c in table.columns if "year" in identifier_words(c.name) and c.is_numeric]
        if len(times) > 1:
            # payment_date beside last_update: the date named after the table is when its rows happened
            table_words = set(identifier_words(table.name))
            named = [c for c in times if table_words & set(identifier_words(c.name))]
            times = named if len(named) == 1 else times
        if len(times) != 1:
            return False  # several dates (ordered, shipped, paid): which one is "latest" is a guess
        self.plan.order_by.append(OrderItem(Expression(ColumnRef(table.name, times[0].name)), descending))
        self.superlative_limit = True
        self.reasoning.append(f"ranked {table.name} by {times[0].name}")
        return True

    def by_birth(self, table_name: str, descending: bool) -> bool:
        """ "the oldest employee" with no age column: born (or founded) first — the earliest date of birth
        (emp_dob) or founding (date_formed, founded); "youngest" the latest."""
        table = self.table(table_name)
        if table is None:
            return False
        born = [c for c in table.columns if lx.BIRTH_WORDS & set(identifier_words(c.name)) and (c.is_date or c.is_numeric)]
        if not born:
            born = [c for c in table.columns if lx.FOUNDING_WORDS & set(identifier_words(c.name)) and (c.is_date or c.is_numeric)]
        if len(born) != 1:
            return False
        self.plan.order_by.append(OrderItem(Expression(ColumnRef(table.name, born[0].name)), not descending))
        self.superlative_limit = True
        self.reasoning.append(f"ranked {table.name} by {born[0].name}: the oldest was born or founded first")
        return True

    def order_superlative(self, slot: Slot, descending: bool, position: int) -> bool:
        ref = ColumnRef(slot.best.table or "", slot.best.column or "")
        column = self.column_info(ref)
        word = self.lemmas[position]
        asks_value_only = (
            not any(s.role in ("select",) for s in self.slots)
            and position < self.boundary
            and not [s for s in self.slots if s.start < position and s.kind == "column" and s.role is None]
            # "the name of the oldest student", "who is the oldest student": a row is asked for, not the age
            and not any(lemma in ("name", "who", "whom", "title") for lemma in self.lemmas[:position])
        )
        if word in ("most", "least") and column is not None and not column.is_numeric:
            return False
        if column is not None and identifier_words(column.name)[-1:] in (["rank"], ["ranking"]) and word in lx.RANK_WORDS:
            descending = not descending  # the highest rank is rank 1
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
            return True
        if column is not None and self.is_child_of_anchor(column.table):
            raise Refusal(f"'{word} {column.name}' could mean one {column.table} row or a total per row; I would be guessing.")
        slot.role = "order"
        if word in ("oldest", "youngest") and column is not None and column.is_date:
            descending = not descending  # the oldest has the earliest date
        self.plan.order_by.append(OrderItem(Expression(ref), descending))
        self.superlative_limit = True
        return True

    def date_column(self, explicit: Slot | None = None, position: int | None = None) -> ColumnRef | None:
        """The date column a time window (starting at `position`) applies to: the one named, the one the
        verb before the window names ("signed up in 2024"), else the only one in play."""
        if explicit is not None and explicit.kind == "column":
            column = self.column_info(ColumnRef(explicit.best.table or "", explicit.best.column or ""))
            if column is not None and column.is_date:
                return ColumnRef(column.table, column.name)
        dated = self.dated_by_verb(position) if position is not None else None
        if dated is not None:
            self.mark(dated[1], position)
            return dated[0]
        if position and self.tokens[position - 1].lower in PASSIVE_VERBS and position - 1 not in self.explained:
            self.mark(position - 1, position)  # "orders placed in May": the verb only restates the date
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
            if position + 1 < len(self.tokens) and self.tokens[position + 1].kind == "date":
                self.date_literal(position)
                continue
            if self.calendar_window(position) or self.year_range(position):
                continue
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
                ref = None if year_column is not None else self.date_column(position=position)
                operator = {"after": ">", "before": "<", "since": ">="}.get(lemma, "=")
                other = self.slot_at(slot.end + 1) if self.words_at(slot.end, ("or",)) else None
                if year_column is not None and operator == "=" and other is not None and other.kind == "number":
                    # "a movie in 1999 or 2000": either year
                    self.filters.append((position, Condition(Expression(year_column), "IN", [year, other.best.value])))
                    other.role = "filter"
                    self.mark(slot.end, other.end)
                elif year_column is not None:
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

    def when_column(self) -> None:
        """For "When did the staff member join the company?": the date (or year) column the verb names
        (date_joined_staff), else the only date column of the tables in play when the verb only says that
        something happened. The verb is explained by it; nothing found leaves the question refused."""
        if not self.when_asked:
            return
        for position in reversed(range(len(self.tokens))):  # the verb comes last: "… founded?"
            token = self.tokens[position]
            if position in self.explained or token.kind != "word":
                continue
            named = self.slot_at(position)
            if named is not None and named.kind == "column" and named.role is None and named.length == 1:
                column = self.column_info(ColumnRef(named.best.table or "", named.best.column or ""))
                dated = column is not None and (column.is_date or column.is_numeric)
                if column is not None and dated and verb_names_column(token, None, column.name):
                    named.role = "select"  # "When was the school founded?" over university.founded
                    self.selected.append((position, Expression(ColumnRef(column.table, column.name))))
                    self.mark(position, position + 1)
                    self.only_the_date_asked()
                    return
            if named is not None:
                continue
            particle = self.lemmas[position + 1] if position + 1 < len(self.tokens) else None
            particle = particle if particle in lx.PARTICLES else None
            found = [
                ColumnRef(table_name, column.name)
                for table_name in self.anchor_tables()
                for column in self.table(table_name).columns
                if (column.is_date or "year" in identifier_words(column.name) or identifier_words(column.name) == [token.lower])
                and verb_names_column(token, particle, column.name)
            ]
            if len(found) == 1:
                self.selected.append((position, Expression(found[0])))
                self.mark(position, position + (2 if particle else 1))
                self.only_the_date_asked()
                return
        dates = [
            ColumnRef(table_name, column.name)
            for table_name in self.anchor_tables()
            for column in self.table(table_name).columns
            if column.is_date and not column.is_numeric
        ]
        happened = [i for i, t in enumerate(self.tokens) if t.lemma in lx.HAPPEN_VERBS and i not in self.explained]
        if len(dates) == 1 and happened:
            self.selected.append((happened[0], Expression(dates[0])))
            self.mark(happened[0], happened[0] + 1)
            self.only_the_date_asked()

    def where_column(self) -> None:
        """For "Where is the club 'Tennis Club' located?", "Where does Linda live?": the one location column
        (location, address, city …) of the table the question is about; several, or none, leave the question
        refused. A trailing "located" / "live" / "based" only restates the question."""
        if not self.where_asked:
            return
        if any(slot.role == "select" for slot in self.slots) or self.selected:
            return
        tables = [t for t in self.anchor_tables() if t]
        if not tables:
            return
        table = self.table(tables[0])
        if table is None:
            return
        def says_where(column: Column, words: frozenset[str]) -> bool:
            # a word of the name, or a compound ending in location / address (clublocation)
            endings = tuple(words & {"location", "address"})
            return any(w in words or (endings and w.endswith(endings)) for w in identifier_words(column.name))

        places = [c for c in table.columns if says_where(c, lx.PLACE_WORDS) and not self.is_key(c)]
        if len(places) > 1:
            named = [c for c in places if says_where(c, frozenset({"location", "address"}))]
            places = named if len(named) == 1 else places
        if len(places) != 1:
            return
        ref = ColumnRef(table.name, places[0].name)
        self.selected.append((0, Expression(ref)))
        for slot in self.slots:
            if slot.kind == "column" and slot.role is None and (slot.best.table, slot.best.column) == (ref.table, ref.column):
                slot.role = "qualifier"
                self.mark(slot.start, slot.end)
        for position, lemma in enumerate(self.lemmas):
            if lemma in lx.PLACE_VERBS and position not in self.explained:
                self.mark(position, position + 1)
        self.reasoning.append(f"'where' read as {table.name}.{places[0].name}")

    def only_the_date_asked(self) -> None:
        """ "When was the school founded?" asks for the date alone: a text column naming the thing
        ("school" for university.School) only says whose date it is."""
        for slot in self.slots:
            if slot.kind != "column" or slot.role is not None:
                continue
            column = self.column_info(ColumnRef(slot.best.table or "", slot.best.column or ""))
            if column is not None and not column.is_numeric and not column.is_date:
                slot.role = "qualifier"
                self.mark(slot.start, slot.end)

    def year_range(self, position: int) -> bool:
        """ "opened between 2000 and 2005": the year column (or the date) from the first year to the last."""
        if self.lemmas[position] != "between" or position + 3 >= len(self.tokens):
            return False
        first, second = self.slot_at(position + 1), self.slot_at(position + 3)
        if first is None or second is None or not self.words_at(position + 2, ("and",)):
            return False
        years = [slot.best.value for slot in (first, second) if slot.kind == "number" and slot.role is None]
        if len(years) != 2 or not all(isinstance(y, int) and 1800 <= y <= 2200 for y in years) or years[0] > years[1]:
            return False
        named = self.slot_ending_at(position)
        if named is not None and named.kind == "column":
            return False  # "a price between 2000 and 2005" after a named column is a plain range
        year_column = self.year_column()
        ref = None if year_column is not None else self.date_column(position=position)
        if year_column is not None:
            self.filters.append((position, Condition(Expression(year_column), "BETWEEN", years[0], years[1])))
        elif ref is not None:
            self.window(dt.date(years[0], 1, 1), dt.date(years[1] + 1, 1, 1), ref, position)
        else:
            return False
        first.role = second.role = "filter"
        self.mark(position, position + 4)
        return True

    def calendar_window(self, position: int) -> bool:
        """ "in May 2025", "in Q1 2024", "yesterday", "year to date": windows named by the calendar."""
        found = window_at(self.tokens, self.today, position)
        if found is None:
            return False
        end, (first, after_last, label) = found
        words = label.lower().split()
        if not (words[0] in MONTHS or words[0] in QUARTERS or label in ("today", "yesterday", "year to date")):
            return False  # years and "last month" have their own readings
        if any(i in self.explained for i in range(position, end)):
            return False
        ref = self.date_column(position=position)
        if ref is None:
            return False
        self.window(first, after_last, ref, position)
        for slot in self.slots:
            if position <= slot.start < end and slot.role is None:
                slot.role = "filter"
        self.mark(position, end)
        return True

    DATE_OPERATORS = {"after": ">", "since": ">=", "from": ">=", "before": "<", "until": "<=", "on": "="}

    def date_literal(self, position: int) -> None:
        """ "reported after 1978-06-26", "rented before '2005-08-23 02:06:01'": the date column compared with
        the literal as written (dates are stored as ISO text, which orders like the dates)."""
        operator = self.DATE_OPERATORS.get(self.lemmas[position])
        if operator is None:
            return
        literal = self.tokens[position + 1].text
        dated = self.dated_by_verb(position)
        named = self.slot_ending_at(position)
        ref, verb = dated if dated is not None else (self.only_date_column(named), position)
        if ref is None:
            return
        if named is not None and named.kind == "column" and (named.best.table, named.best.column) == (ref.table, ref.column):
            named.role = "filter"  # "the problems reported after …": the column named is the one compared
            verb = named.start
        if operator == "=" and len(literal) == 10:
            first = dt.date.fromisoformat(literal)
            self.window(first, first + dt.timedelta(days=1), ref, position)
        else:
            self.filters.append((position, Condition(Expression(ref), operator, literal)))
        written = self.slot_at(position + 1)
        if written is not None:
            written.role = "filter"  # the literal may also be a stored value; it is the bound here
        self.mark(verb, position + 2)

    def only_date_column(self, named: Slot | None) -> ColumnRef | None:
        """The date column named right before, else the only date column of the tables in play."""
        if named is not None and named.kind == "column":
            column = self.column_info(ColumnRef(named.best.table or "", named.best.column or ""))
            if column is not None and column.is_date:
                return ColumnRef(column.table, column.name)
        found = [
            ColumnRef(table_name, column.name)
            for table_name in self.anchor_tables()
            for column in self.table(table_name).columns
            if column.is_date and not column.is_numeric
        ]
        return found[0] if len(found) == 1 else None

    def dated_by_verb(self, position: int) -> tuple[ColumnRef, int] | None:
        """ "problems reported after …" over date_problem_reported and date_problem_closed, "customers who
        signed up last month" over birth_date and signup_date: the participle (and its particle) before the
        date names which date column is meant. (column, position of the verb)"""
        verb_at, particle = position - 1, None
        if verb_at > 0 and self.lemmas[verb_at] in lx.PARTICLES and verb_at not in self.explained:
            particle, verb_at = self.lemmas[verb_at], verb_at - 1
        if verb_at < 0 or verb_at in self.explained:
            return None
        word = self.tokens[verb_at]
        if word.kind != "word" or not (word.lower.endswith("ed") or word.lower in lx.IRREGULAR_PARTICIPLES):
            return None
        found = [
            ColumnRef(table_name, column.name)
            for table_name in self.anchor_tables()
            for column in self.table(table_name).columns
            if column.is_date and not column.is_numeric and verb_names_column(word, particle, column.name)
        ]
        return (found[0], verb_at) if len(found) == 1 else None

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
        ref = self.date_column(position=position)
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
            found = window_at(self.tokens, today, position)  # calendar quarters, as the breakdown reader reads them
            if found is None:
                return
            start, end = found[1][0], found[1][1]
        else:
            days = amount * (7 if word == "week" else 1)
            start, end = today - dt.timedelta(days=days), today + dt.timedelta(days=1)
        if count_slot is not None and count_slot.kind == "number" and unit_position == position + 2:
            count_slot.role = "filter"
        before = position - 1 if position > 0 and self.lemmas[position - 1] in ("in", "during", "over", "for") else position
        self.window(start, end, ref, position)
        self.mark(before, unit_position + 1)
        for slot in self.slots:
            if slot.role is None and position <= slot.start <= unit_position:
                slot.role = "filter"  # "last month" where a column is also called month: the window's unit

    def date_bucket(self, position: int) -> None:
        lemma = self.lemmas[position]
        if any(slot.kind == "column" and slot.start <= position < slot.end for slot in self.slots):
            return  # "monthly rental" names a column, not a time bucket
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
        ref = self.date_column(position=position)
        if ref is None:
            return
        self.date_groups.append((position, Expression(ref, date_part=part)))
        self.mark(position, end)

    def is_child_of_anchor(self, table: str) -> bool:
        """Whether `table` refers to another table the question names (many rows per named row)."""
        named = {slot.best.table for slot in self.slots if slot.kind == "table" and slot.best.table != table}
        return any(k.table == table and k.ref_table in named for k in self.schema.foreign_keys)
