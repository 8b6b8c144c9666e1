"""Passes that read conditions (comparisons, values, negated relations) and check every word was explained."""

from __future__ import annotations

import difflib

from .. import lexicon as lx
from ..linking import Mention, identifier_words
from ..plan import ColumnRef, Condition, Expression, QueryPlan
from .base import Refusal, Slot
from .shape import ShapePasses


class ConditionPasses(ShapePasses):
    def comparisons(self) -> None:
        for slot in self.slots:
            if slot.kind != "column" or slot.role not in (None,):
                continue
            parsed = self.comparator_before(slot) or self.comparison_after(slot) or self.average_before(slot)
            if parsed is None:
                continue
            operator, value, value2, end, subquery = parsed
            ref = ColumnRef(slot.best.table or "", slot.best.column or "")
            condition = Condition(Expression(ref), operator, value, value2, subquery)
            slot.role = "filter"
            self.filters.append((slot.start, condition))
            self.mark(slot.start, end)
            elided = self.elided_comparison(end, operator == "=") if subquery is None and value2 is None else None
            if elided is not None:
                operator, value, start, end = elided
                self.filters.append((start, Condition(Expression(ref), operator, value)))
                self.mark(start, end)
        self.counted_comparisons()
        self.numbered_columns()

    def numbered_columns(self) -> None:
        """ "courses with 3 credits", "rooms that have exactly 2 beds": a number right before a numeric column
        the rows hold, after "with" / "have", is that column's value."""
        for number in self.slots:
            if number.kind != "number" or number.role is not None:
                continue
            before = self.skip_back(number.start, {"exactly", "only", "just"})
            if before < 0 or self.lemmas[before] not in ("with", "have", "has", "having"):
                continue
            target = self.slot_at(number.end)
            if target is None or target.kind != "column" or target.role is not None or target.length != 1:
                continue
            ref = ColumnRef(target.best.table or "", target.best.column or "")
            column = self.column_info(ref)
            if column is None or not column.is_numeric or self.is_key(column) or column.is_date:
                continue
            self.filters.append((number.start, Condition(Expression(ref), "=", number.best.value)))
            number.role = target.role = "filter"
            self.mark(before + 1, target.end)

    def comparator_before(self, slot: Slot) -> tuple[str, object, object, int, QueryPlan | None] | None:
        """ "games held after season 2007", "members under age 30": a one-word comparison, then the column, then
        the number."""
        before = slot.start - 1
        operator = lx.COMPARATORS_BEFORE.get(self.lemmas[before]) if before >= 0 and before not in self.explained else None
        target = self.slot_at(slot.end)
        if operator is None or target is None or target.kind != "number" or target.role is not None:
            return None
        column = self.column_info(ColumnRef(slot.best.table or "", slot.best.column or ""))
        if column is None or not (column.is_numeric or column.is_date or column.numbers_as_text):
            return None
        following = self.slot_at(self.skip(target.end, lx.DISTINCT_WORDS))
        if following is not None and following.kind == "table":
            return None  # "over age 30 players": not this shape
        self.mark(before, slot.start)
        target.role = "filter"
        return operator, target.best.value, None, target.end, None

    def average_before(self, slot: Slot) -> tuple[str, object, object, int, QueryPlan | None] | None:
        """ "departments with greater than average budget", "with a below average enrollment": the comparison
        with the column's average stands before the column."""
        average = self.skip_back(slot.start, {"the"})
        if average < 1 or self.lemmas[average] != "average" or average in self.explained:
            return None
        for phrase, operator in lx.COMPARATORS:
            start = average - len(phrase)
            if operator in ("<", ">", "<=", ">=") and start >= 0 and self.words_at(start, phrase):
                if any(position in self.explained for position in range(start, average)):
                    return None
                ref = ColumnRef(slot.best.table or "", slot.best.column or "")
                column = self.column_info(ref)
                if column is None or not (column.is_numeric or column.numbers_as_text):
                    return None
                self.mark(start, slot.start)
                inner = QueryPlan(select=[Expression(ref, "AVG")], tables=[ref.table])
                self.unread_narrowing(slot.end)
                return operator, None, None, slot.end, inner
        return None

    def elided_comparison(self, end: int, equal: bool = False) -> tuple[str, object, int, int] | None:
        """ "price lower than 600 or higher than 900": a comparison right after "or"/"and" with no column
        of its own compares the same column. Returns the operator, value, start and end."""
        if not self.words_at(end, ("or",)) and not self.words_at(end, ("and",)):
            return None
        start = end + 1
        found = next(((phrase, op) for phrase, op in lx.COMPARATORS if self.words_at(start, phrase)), None)
        if found is None and self.words_at(end, ("or",)) and equal:
            found = ((), "=")  # "aged either 36 or 37": a second value of the same column
        if found is None:
            return None
        phrase, operator = found
        target = self.slot_at(self.skip(start + len(phrase), {"the", "a", "an"}))
        if target is None or target.kind != "number" or target.role is not None:
            return None
        following = self.slot_at(self.skip(target.end, lx.DISTINCT_WORDS))
        if following is not None and following.kind in ("table", "column"):
            return None  # "more than 300 or fewer than 3 students": another quantity
        target.role = "filter"
        return operator, target.best.value, start, target.end

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
        before = slot.start - 1
        comparative = lx.COMPARATIVES.get(self.lemmas[before]) if before >= 0 and self.words_at(slot.end, ("than",)) else None
        if comparative is None and adjective in lx.ADJECTIVE_DIRECTION and self.words_at(slot.end, ("than",)):
            comparative = {"more": ">", "less": "<"}.get(self.lemmas[before]) if before >= 0 else None  # "more expensive"
        if operator is None and comparative is not None and before not in self.explained:
            # "a higher salary than every instructor in Biology": the comparative stands before the column
            operator, position = comparative, slot.end + 1
            self.mark(before, before + 1)
        if operator is None and self.words_at(position, ("between",)):
            first, second = self.slot_at(position + 1), self.slot_at(position + 3)
            if first and second and first.kind == "number" and second.kind == "number" and self.words_at(position + 2, ("and",)):
                first.role = second.role = "filter"
                return "BETWEEN", first.best.value, second.best.value, position + 4, None
            return None
        if operator is None:
            for phrase, op in lx.COMPARATORS:
                if self.words_at(position, phrase):
                    named = self.slot_at(position)
                    if (
                        phrase[0] in lx.ADJECTIVE_DIRECTION
                        and named is not None
                        and named.kind == "column"
                        and (named.best.table, named.best.column) != (slot.best.table, slot.best.column)
                    ):
                        return None  # "products cheaper than 10": "cheaper" names the price it compares
                    operator, position = op, position + len(phrase)
                    break
        target_position = self.skip(position, {"the", "a", "an"})
        target = self.slot_at(target_position)
        if operator is not None and self.words_at(target_position, ("average",)):
            return self.set_subquery(slot, operator, target_position, target_position + 1, "AVG")
        if operator is not None:
            quantified = self.quantified_set(slot, operator, position)
            if quantified is not None:
                return quantified
        if target is None or target.kind not in ("number", "value") or target.role is not None:
            if operator is None and target is not None and target.kind == "number" and target.role is None:
                pass
            return None
        following = self.slot_at(self.skip(target.end, lx.DISTINCT_WORDS))
        if target.kind == "number" and following is not None and following.kind == "table":
            return None  # "more than one school": a count of rows, handled as HAVING
        if operator is None:
            stated = set(self.lemmas[slot.end : target_position]) <= {"is", "are", "was", "were", "of"}
            if target.kind != "number" or not stated:
                return None  # "age 35", "whose age is 35", "with an age of 35"
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
        if self.words_at(target.end + 2, ("than",)):
            pass  # "over 1500 or less than 500": a second comparison, not "1500 or less"
        elif operator in (">=", "<=") and self.words_at(target.end, ("or", "more")):
            self.mark(target.end, target.end + 2)
        elif self.words_at(target.end, ("or", "more")):
            operator = ">="
            self.mark(target.end, target.end + 2)
        elif self.words_at(target.end, ("or", "less")) or self.words_at(target.end, ("or", "fewer")):
            operator = "<="
            self.mark(target.end, target.end + 2)
        target.role = "filter"
        return operator, value, None, target.end, None

    def quantified_set(
        self, slot: Slot, operator: str, position: int
    ) -> tuple[str, object, object, int, QueryPlan | None] | None:
        """ "a salary higher than (that of) every instructor in Biology" is higher than the highest of them; "than
        some / at least one" than the lowest; "less than the largest salary" than the largest. The rows compared
        are the column's own table; anything else is left unread (and so refused)."""
        start = position
        if self.words_at(position, ("that", "of")) or self.words_at(position, ("those", "of")):
            position += 2
        quantifier = next((phrase for phrase in lx.SET_QUANTIFIERS if self.words_at(position, phrase)), None)
        if quantifier is not None:
            above = operator in (">", ">=")
            universal = lx.SET_QUANTIFIERS[quantifier]
            function = "MAX" if above == universal else "MIN"
            end = self.skip(position + len(quantifier), {"of", "the"})
            owner = self.slot_at(end)
            rows = [m for m in owner.options if m.kind == "table" and m.table == slot.best.table] if owner else []
            if owner is None or not rows or owner.role is not None:
                return None
            owner.chosen = rows[0]  # "every product": the rows, though "product" could also name a column
            return self.set_subquery(slot, operator, start, end, function)
        position = self.skip(position, {"the"})
        extreme = lx.EXTREMES.get(self.lemmas[position]) if position < len(self.tokens) else None
        if extreme is None:
            return None
        named = self.slot_at(position + 1)
        if named is None or named.kind != "column" or named.best.column != slot.best.column:
            return None
        if named.best.table != slot.best.table:
            return None
        return self.set_subquery(slot, operator, start, position + 1, extreme)

    def set_subquery(
        self, slot: Slot, operator: str, start: int, end: int, function: str
    ) -> tuple[str, object, object, int, QueryPlan | None]:
        """The comparison of `slot` with `function` of its own column over a set of rows: the words from `start`
        to `end` name the set ("the average", "every instructor"); what follows may narrow it ("… in Physics")."""
        ref = ColumnRef(slot.best.table or "", slot.best.column or "")
        self.mark(start, end)
        following = self.skip(end, {"of", "the"})
        after = self.slot_at(following)
        if after is not None and after.kind == "column" and after.best.column == ref.column:
            after.role = "filter"
            end = after.end
        elif after is not None and after.kind == "table" and after.best.table == ref.table:
            after.role = "filter"
            end = after.end
        inner = QueryPlan(select=[Expression(ref, function)], tables=[ref.table])
        # "less than the average salary of instructors in the Physics department": the value right after
        # the average narrows the average, not the rows compared with it.
        owner = self.slot_at(self.skip(end, {"of", "the", "all"}))
        if owner is not None and owner.kind == "table" and owner.best.table == ref.table and owner.role is None:
            owner.role = "filter"  # "the average age OF PEOPLE from Rotterdam"
            self.mark(end, owner.end)
            end = owner.end
        look = self.skip(end, {"in", "from", "at", "of", "for", "the", "a", "an"})
        narrowing = self.slot_at(look) if look > end else None
        if narrowing is not None and narrowing.kind == "value" and narrowing.role is None and narrowing.best.table:
            hits = {(table, column): value for table, column, value in narrowing.best.candidates if table == ref.table}
            if not hits:
                # "than every product in the Books category": the value is in a table the rows point at
                parents = {k.ref_table for k in self.schema.foreign_keys if k.table == ref.table}
                hits = {(table, column): value for table, column, value in narrowing.best.candidates if table in parents}
            if len(hits) == 1:
                (table, column), value = next(iter(hits.items()))
                inner.add_table(table)
                inner.conditions.append(Condition(Expression(ColumnRef(table, column)), "=", value))
                narrowing.role = "filter"
                self.mark(narrowing.start, narrowing.end)
                self.value_kind_word(narrowing, ColumnRef(table, column))
                end = narrowing.end
        self.unread_narrowing(end)
        return operator, None, None, end, inner

    def unread_narrowing(self, end: int) -> None:
        """ "above any wine produced in 2006": a number or value right after the set compared with may narrow
        it or the rows compared; when it was not read as narrowing the set, which of the two is a guess."""
        position = end
        while position < len(self.tokens) and self.lemmas[position] not in ("and", "or", ",", "order", "sort", "rank"):
            slot = self.slot_at(position)
            if slot is not None and slot.kind in ("number", "value"):
                raise Refusal(f"I could not tell whether '{self.span(slot)}' narrows what is compared or the rows listed.")
            position += 1

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
                # "more than 2 corresponding documents", "at least 3 different players": the rows counted
                after = self.skip(number_slot.end, lx.DISTINCT_WORDS | lx.RELATED_WORDS)
                target = self.slot_at(after)
                if target is None and after < len(self.tokens) and self.tokens[after].lower == "times":
                    # "tweeted more than 1 times": the rows of the table the verb names are counted
                    verb = self.verb_table(position)
                    if verb is not None:
                        self.having_count.append((operator, number_slot.best.value, verb[1]))
                        self.plan.add_table(verb[1])
                        number_slot.role = "filter"
                        self.mark(verb[0], verb[0] + 1)
                        self.through_tables.add(verb[1])  # named by its verb
                        self.mark(position, after + 1)
                    break
                if target is None:
                    amount = self.amount_compared(position)
                    if amount is not None:
                        # "orders over 1000": the one amount an order has
                        self.filters.append((position, Condition(Expression(amount), operator, number_slot.best.value)))
                        self.penalise(0.9, f"'{' '.join(phrase)} {number_slot.best.value}' read as {amount.column}")
                        number_slot.role = "filter"
                        self.mark(position, number_slot.end)
                    break
                if target.role is not None or target.kind not in ("table", "column"):
                    break
                value = number_slot.best.value
                if target.kind == "table" and (operator, value) in ((">=", 1), (">", 0)):
                    # "customers with at least one order": existence, which the join itself expresses.
                    target.role = "related"
                    self.exists_tables.append(target.best.table or "")
                elif target.kind == "table" and self.stored_count(target) is not None:
                    # "parties with more than 20 hosts" over party.number_of_hosts: the count the data keeps
                    stored = self.stored_count(target)
                    self.filters.append((position, Condition(Expression(stored), operator, value)))  # type: ignore[arg-type]
                    target.role = "qualifier"
                elif target.kind == "table":
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

    def amount_compared(self, position: int) -> ColumnRef | None:
        """The money column of the table named right before a comparison with a bare number ("orders over
        1000" over orders.total_amount), when the table has exactly one."""
        named = self.slot_ending_at(position)
        if named is None or named.kind != "table" or not named.best.table:
            return None
        amounts = [
            column
            for column in self.table(named.best.table).columns
            if column.is_numeric and not self.is_key(column) and set(identifier_words(column.name)) & lx.MONEY_WORDS
        ]
        return ColumnRef(named.best.table, amounts[0].name) if len(amounts) == 1 else None

    KEY_NOUNS = frozenset({"id", "number", "no", "code"})

    def key_values(self) -> None:
        """ "the aircraft with id 12", "the flight with number 99": a bare key word after a table and before
        a number or a value is that table's primary key."""
        for position in range(1, len(self.tokens) - 1):
            if self.lemmas[position] not in self.KEY_NOUNS or position in self.explained:
                continue
            if self.slot_at(position) is not None:
                continue  # a column of its own ("flight number"): read as that column
            # "with id 12", "that has an id of 12", "whose id is 1"
            literal = self.slot_at(self.skip(position + 1, {"of", "is", "equal", "to", "="}))
            if literal is None or literal.role is not None or literal.kind not in ("number", "value"):
                continue
            back = self.skip_back(position, {"with", "whose", "the", "a", "an", "has", "having", "of", "that", "which"})
            owner = self.slot_ending_at(back + 1)
            if owner is None or {m.kind for m in owner.options} != {"table"}:
                continue
            keys = self.table(owner.best.table or "").primary_keys
            if len(keys) != 1:
                continue
            value = literal.best.value if literal.kind == "number" else self.span(literal)
            if keys[0].is_numeric != isinstance(value, int | float):
                continue
            ref = ColumnRef(owner.best.table or "", keys[0].name)
            self.filters.append((position, Condition(Expression(ref), "=", value)))
            literal.role = "filter"
            self.mark(back + 1, literal.end)
            self.reasoning.append(f"'{self.tokens[position].text} {self.span(literal)}' read as {ref.table}.{ref.column}")

    IRREGULAR_PARTICIPLES = {"won": "win", "made": "make", "taken": "take", "held": "hold", "taught": "teach", "bought": "buy",
                             "sold": "sell", "written": "write", "given": "give", "paid": "pay", "done": "do", "run": "run"}

    def verb_table(self, position: int, refers_to: set[str] | None = None) -> tuple[int, str] | None:
        """The verb before `position` and the one table its stem names ("tweeted" → tweets, "visited" →
        visits, "reserved" → reservations, "booked" → products_booked), or None. When several do, the one
        that refers to a table of `refers_to` ("products never ordered": order_items, not orders)."""
        back = self.skip_back(position, {"the", "a", "an", "has", "have", "had", "been", "was", "were", "is", "are", "be", "for"})
        if back < 0 or self.tokens[back].kind != "word":
            return None
        word = self.tokens[back].lower
        root = self.IRREGULAR_PARTICIPLES.get(word)
        if root is None:
            if not word.endswith("ed") or len(word) < 5:
                return None
            root = word[:-2] if not word.endswith("ied") else word[:-3] + "y"
            if root.endswith(root[-1] * 2) and root[-1] not in "ls":
                root = root[:-1]  # "planned" → "plan"
        exact = [t.name for t in self.schema.tables if {word, root} & set(identifier_words(t.name))]
        found = exact or [
            table.name
            for table in self.schema.tables
            if len(root) >= 4 and any(w.startswith(root) or w.startswith(root.rstrip("e")) for w in identifier_words(table.name))
        ]
        if len(found) > 1 and refers_to:
            found = [t for t in found if any(k.table == t and k.ref_table in refers_to for k in self.schema.foreign_keys)]
        return (back, found[0]) if len(found) == 1 else None

    def flags(self, adjectives: bool = False) -> None:
        """ "customers who are active", "students on scholarship", "medicines that are not FDA approved": a
        yes/no column named and not asked for is a condition that it holds (after "not", that it does not).
        With `adjectives`, only those right before their own table ("active products"), read before the
        question's head so the table stays whose rows are measured."""
        for slot in self.slots:
            if slot.kind != "column" or slot.role is not None:
                continue
            if adjectives:
                following = self.slot_at(slot.end)
                if following is None or following.kind != "table" or following.best.table != slot.best.table:
                    continue
            ref = ColumnRef(slot.best.table or "", slot.best.column or "")
            column = self.column_info(ref)
            stored = column.yes_no if column is not None else None
            own = [w for w in identifier_words(ref.column) if w not in ("is", "has", "if", "yn", "flag")]
            if stored is None or {"sex", "gender"} & set(own):
                continue
            if [t.lemma for t in self.tokens[slot.start : slot.end]] != own:
                continue  # named by an alias ("discontinued" for is_active): which answer it means is unknown
            negation = self.skip_back(slot.start, {"the", "a", "an", "is", "are", "was", "were", "be", "been", "currently"})
            negated = negation >= 0 and self.lemmas[negation] in ("not", "non", "never")
            value = stored[1] if negated else stored[0]
            if value is None:
                continue  # "not returned" over a column that only ever holds yes: nothing says how no is stored
            if negated:
                self.mark(negation, negation + 1)
            slot.role = "filter"
            self.filters.append((slot.start, Condition(Expression(ref), "=", value)))
            self.mark(slot.start, slot.end)
            self.reasoning.append(f"'{self.span(slot)}' read as {ref.column} = {value}")

    def values(self) -> None:
        """Value mentions become equality filters on their column; "or" between them becomes IN."""
        for slot in self.slots:
            if slot.kind != "value" or slot.role is not None:
                continue
            mention = slot.best
            inside = self.contained_in(slot)
            if inside is not None:
                # "trains that have 'Express' in their names": the text is part of the column named after it
                ref = ColumnRef(inside.best.table or "", inside.best.column or "")
                inside.role = "filter"
                slot.role = "filter"
                self.filters.append((slot.start, Condition(Expression(ref), "LIKE", f"%{self.tokens[slot.start].text}%")))
                self.mark(self.skip_back(slot.start, lx.SEARCHED_WORDS), inside.end)
                continue
            column_slot = self.column_before_value(slot)
            named = self.searched_column(slot)
            if named is not None and column_slot is None and mention.table is not None:
                # "Which maker name contains 'Anvil'": the named column is searched, whichever column
                # happens to hold the text as a whole value
                column_slot = named
                named.chosen = named.best
            like = self.like_pattern(slot, column_slot)
            if like is not None and column_slot is not None and column_slot.kind == "column" and mention.table is not None:
                # "which accelerator name contains 'Opera'": the named column is searched, wherever else the
                # text happens to be a whole value
                owner = self.owner_hint(column_slot)
                owned = [m for m in column_slot.options if m.kind == "column" and m.table == owner]
                if owned:
                    column_slot.chosen = owned[0]
                ref, value = ColumnRef(column_slot.best.table or "", column_slot.best.column or ""), mention.value
            elif mention.table is None:
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
                slot.start if column_slot is None else min(slot.start, column_slot.start),
                {"the", "a", "an", "is", "are", "in", "from", "of"},
            )
            if negation >= 0 and self.lemmas[negation] in ("not", "except", "excluding", "outside"):
                operator = "!="
                self.mark(negation, negation + 1)
            elif self.negated_verb_before(slot if column_slot is None else min(slot, column_slot, key=lambda s: s.start), ref):
                operator = "!="
            if like is not None:
                operator, value = "LIKE", like
            slot.role = "filter"
            self.filters.append((slot.start, Condition(Expression(ref), operator, value)))
            self.mark(slot.start, slot.end)
            self.value_kind_word(slot, ref)
            self.value_table_word(slot, ref)
            self.value_compound_word(slot, ref)
            if column_slot is not None:
                column_slot.role = "value_column"
                self.mark(min(column_slot.start, slot.start), max(column_slot.end, slot.end))
                if column_slot.start < slot.start:
                    self.mark(column_slot.start, slot.start)

    def negated_verb_before(self, slot: Slot, ref: ColumnRef) -> bool:
        """ "customers who do not use Cash as payment method", "who did not pay with Cash": a negated verb
        right before a value negates the value. The verb and its auxiliary are explained with it. Only when
        the question is about the value's own table: "the dorms that do not have a TV Lounge" excludes
        dorms having one (a NOT IN over amenities), which is not the same as amenities other than it."""
        if any(other.kind in ("table", "column") and other.best.table != ref.table for other in self.slots):
            return False
        position, verbs = slot.start - 1, []
        while position >= 0 and self.lemmas[position] in ("the", "a", "an", "with", "as", "in", "by", "for", "their", "its"):
            position -= 1
        while position >= 0 and len(verbs) < 2:
            token = self.tokens[position]
            if (
                token.kind != "word"
                or position in self.explained
                or self.slot_at(position) is not None
                or any(other.start <= position < other.end for other in self.slots)
                or token.text[:1].isupper()
                or token.lemma in lx.NEGATIONS
            ):
                break
            verbs.append(position)
            position -= 1
        if not verbs or position < 0 or self.lemmas[position] != "not" or position in self.explained:
            return False
        auxiliary = position - 1
        self.mark(position, verbs[0] + 1)
        if auxiliary >= 0 and self.lemmas[auxiliary] in ("do", "does", "did", "doe"):
            self.mark(auxiliary, auxiliary + 1)
        self.penalise(0.9, f"'not {' '.join(self.tokens[v].text for v in reversed(verbs))}' read as a value to exclude")
        return True

    def value_table_word(self, slot: Slot, ref: ColumnRef) -> None:
        """ "students enrolled in class ACCT-211": the word before a value names the value's own table;
        it says where the value is, so it is explained by the condition on that table."""
        before = self.slot_ending_at(slot.start)
        if (
            before is not None
            and before.role is None
            and before.length == 1
            and any(m.kind == "table" and m.table == ref.table for m in before.options)
            and any(other.kind == "table" and other is not before for other in self.slots)
            and not set(self.lemmas[max(0, before.start - 4) : before.start]) & lx.NEGATIONS
        ):
            before.chosen = next(m for m in before.options if m.kind == "table" and m.table == ref.table)
            before.role = "qualifier"
            self.mark(before.start, before.end)

    def value_kind_word(self, slot: Slot, ref: ColumnRef) -> None:
        """'from Hartford city', 'in Colorado state': a word after a value that names the value's column."""
        position = slot.end
        if position >= len(self.tokens) or position in self.explained or self.tokens[position].kind != "word":
            return
        there = self.slot_at(position)
        if there is not None and there.role is not None:
            return
        if self.lemmas[position] in identifier_words(ref.column):
            self.mark(position, position + 1)
            # "the California state": not also a value 'State' of another column; "the 'sesame' product": the
            # table word qualifies the value, unless it is the only thing the question names ("food allergies").
            others = [s for s in self.slots if s is not there and s is not slot and s.kind in ("table", "column")]
            same_column = there is not None and there.kind == "column" and (there.best.table, there.best.column) == (
                ref.table, ref.column)
            if there is not None and there.length == 1 and (there.kind == "value" or there.kind == "table" and others
                                                             or same_column):
                there.role = "qualifier"

    def value_compound_word(self, slot: Slot, ref: ColumnRef) -> None:
        """ "video games with type Collectible card game" over a GType column: the word before the value is
        the last word (or the tail of the one-word name) of the value's column, so it names that column."""
        position = self.skip_back(slot.start, {"is", "are", "was", "of", "as", "=", ":"})
        if position < 0 or position in self.explained or self.tokens[position].kind != "word":
            return
        there = self.slot_at(position)
        if there is not None and (there.role is not None or there.end != position + 1):
            return
        words = identifier_words(ref.column)
        word = self.lemmas[position]
        compound = len(words) == 1 and words[0] != word and words[0].endswith(word)
        if len(word) >= 4 and (compound or (len(words) > 1 and words[-1] == word)):
            self.mark(position, position + 1)
            if there is not None:
                there.role = "qualifier"

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

    def searched_column(self, slot: Slot) -> Slot | None:
        """The text column named right before "contains" / "starts with" and the searched `slot`."""
        position = self.skip_back(slot.start, self.VALUE_LEAD_WORDS)
        if not (lx.CONTAIN_WORDS | {"substring", "like"}) & set(
            self.lemmas[position + 1 : slot.start]
        ):
            return None
        before = self.slot_ending_at(position + 1)
        if before is None or before.kind != "column" or len({(m.table, m.column) for m in before.options}) != 1:
            return None
        column = self.column_info(ColumnRef(before.best.table or "", before.best.column or ""))
        return before if column is not None and not column.is_numeric else None

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
        directed = self.directed_column(slot, [hit for hit in preferred if (hit[0], hit[1]) in columns])
        if directed is not None:
            return ColumnRef(directed[0], directed[1]), directed[2]
        if len({(hit[0], hit[1]) for hit in preferred}) > 1 and not self.one_key_family(preferred):
            self.penalise(0.6 if len(columns) > 1 else 0.9, f"'{self.span(slot)}' appears in several columns")
        table, column, value = preferred[0]
        return ColumnRef(table, column), value

    def one_key_family(self, hits: list[tuple[str, str, str]]) -> bool:
        """Whether every column holding the value is one key and the keys that point at it ("History" in
        department.dept_name, course.dept_name and student.dept_name): then the value means one thing."""
        roots = set()
        for table, column, _ in hits:
            seen = {(table, column)}
            while True:
                parent = next(
                    ((k.ref_table, k.ref_column) for k in self.schema.foreign_keys if (k.table, k.column) == (table, column)),
                    None,
                )
                if parent is None or parent in seen:
                    break
                seen.add(parent)
                table, column = parent
            roots.add((table, column))
        return len(roots) == 1

    DIRECTION_WORDS = {
        "from": {"origin", "source", "src", "from", "departure", "start", "leaving"},
        "to": {"destination", "dest", "dst", "to", "arrival", "end", "target"},
    }

    def directed_column(self, slot: Slot, hits: list[tuple[str, str, str]]) -> tuple[str, str, str] | None:
        """ "flights from Los Angeles to Honolulu": a value found in both an origin and a destination column
        goes to the one its preposition names; None when that does not single one out."""
        if len(hits) < 2 or slot.start == 0:
            return None
        words = self.DIRECTION_WORDS.get(self.lemmas[slot.start - 1])
        if words is None:
            return None
        matching = [hit for hit in hits if set(identifier_words(hit[1])) & words]
        if len(matching) != 1:
            return None
        self.mark(slot.start - 1, slot.start)
        return matching[0]

    def contained_in(self, slot: Slot) -> Slot | None:
        """The text column after "have 'X' in their …" / "with 'X' in the …", for a quoted `slot`."""
        if slot.length != 1 or self.tokens[slot.start].kind != "quoted" or not self.words_at(slot.end, ("in",)):
            return None
        verb = self.skip_back(slot.start, lx.SEARCHED_WORDS)
        if verb < 0 or self.lemmas[verb] not in ("have", "has", "had", "with"):
            return None
        target = self.slot_at(self.skip(slot.end + 1, {"their", "its", "the", "his", "her"}))
        if target is None or target.kind != "column" or target.role is not None:
            return None
        owner = self.slot_ending_at(self.skip_back(verb, {"that", "which", "who", "whose"}) + 1)
        if self.lemmas[target.start : target.end] == ["name"] and owner is not None and owner.kind == "column":
            return None  # "publishers that have 'Murray' in their names": whose names, the publishers' or the rows'?
        column = self.column_info(ColumnRef(target.best.table or "", target.best.column or ""))
        return target if column is not None and not column.is_numeric else None

    def like_pattern(self, slot: Slot, column_slot: Slot | None) -> str | None:
        # the three words before the text, not counting "the letter" ("begins with the letter 'S'")
        reach = self.skip_back(slot.start, lx.SEARCHED_WORDS - {"a"} - {"the"}) + 1
        words = self.lemmas[max(0, reach - 3) : slot.start]
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
                ) and not self.is_relation_verb(after) and not self.verb_of_any(position, after):
                    break
                after += 1
            slot = self.slot_at(after)
            if slot is None and self.negated_verb(position, after):
                continue
            if slot is None or slot.kind != "table" or slot.role is not None:
                continue
            slot.role = "negated"
            self.negated.append((position, slot.best.table or ""))
            self.mark(position, slot.end)

    def verb_of_any(self, negation: int, position: int) -> bool:
        """ "users who did not leave any review": after "do not", any verb before "any"/"a" and a table only says
        that no such rows exist, whatever it is."""
        token = self.tokens[position]
        return (
            position == negation + 1
            and negation > 0
            and self.lemmas[negation - 1] in ("do", "does", "did")
            and token.kind == "word"
            and token.text.islower()
            and position not in self.explained
            and self.words_at(position + 1, ("any",))
            and self.slot_at(position + 2) is not None
            and self.slot_at(position + 2).kind == "table"
        )

    def negated_verb(self, position: int, after: int) -> bool:
        """ "books that are not published", "wrestlers who have never been eliminated": a participle ending
        the clause names the table of the events (publication, elimination) that must not exist."""
        verb = after
        while verb < len(self.tokens) and self.lemmas[verb] in ("been", "be", "yet", "ever"):
            verb += 1
        if verb >= len(self.tokens) or self.slot_at(verb) is not None or verb in self.explained:
            return False
        rest = [t for t in self.tokens[verb + 1 :] if t.kind != "symbol"]
        if rest and self.lemmas[verb + 1] not in ("?", "."):
            return False  # only at the end: "not published by X" says more than that
        subject_tables = {s.best.table or "" for s in self.slots if s.end <= position and s.kind in ("table", "column")}
        found = self.verb_table(verb + 1, subject_tables)
        if found is None or found[0] != verb:
            return False
        if not any(k.table == found[1] and k.ref_table in subject_tables for k in self.schema.foreign_keys):
            return False  # the events must refer to what the question is about
        self.negated.append((position, found[1]))
        self.through_tables.add(found[1])
        self.mark(position, verb + 1)
        return True

    def is_relation_verb(self, position: int) -> bool:
        """Verbs like "enrolled", "made", "teaches" only restate the foreign key between two tables."""
        token = self.tokens[position]
        if token.kind != "word" or position in self.explained:
            return False
        word = token.lower
        if token.text[:1].isupper():
            return False  # "the United States": a capitalised word inside a question is a name, not a verb
        if not (word in lx.RELATION_VERBS or (len(word) > 4 and word.endswith("ed")) or (len(word) > 5 and word.endswith("ing"))):
            return False
        # Only between two linked things: "heads who are acting" states a condition, not a link.
        linked_before = any(slot.end <= position for slot in self.slots)
        linked_after = any(position < slot.start <= position + 4 for slot in self.slots)
        if linked_before and not linked_after and word in lx.RELATION_VERBS:
            # "the country that player belongs to", "the school they go to": the preposition ends the clause
            ending = position + 1 < len(self.tokens) and self.lemmas[position + 1] in ("to", "in", "for", "at", "on", "with")
            rest = [t for t in self.tokens[position + 2 :] if t.kind != "symbol"]
            subject = self.skip_back(position, {"is", "are", "was", "were", "do", "does", "did", "currently", "now"})
            stated = subject >= 0 and (
                self.slot_ending_at(subject + 1) is not None or self.lemmas[subject] in ("they", "he", "she", "it")
            )  # "the country that player belongs to", not "the organisations which are involved in"
            linked_after = ending and not rest and stated and sum(slot.end <= position for slot in self.slots) >= 2
        return linked_before and linked_after

    RESTATING_PARTICIPLES = frozenset({
        "made", "placed", "recorded", "created", "issued", "filed", "booked", "received", "submitted", "registered",
    })

    def restating_participle(self, position: int) -> bool:
        """ "Count the total number of settlements made": a participle after the counted rows, ending the
        question, only says the rows exist."""
        if self.count_expression is None or self.tokens[position].lower not in self.RESTATING_PARTICIPLES:
            return False
        rest = [i for i in range(position + 1, len(self.tokens)) if self.tokens[i].kind != "symbol"]
        if any(self.lemmas[i] not in lx.FILLER and self.lemmas[i] not in ("in", "total", "so", "far") for i in rest):
            return False
        before = self.skip_back(position, {"have", "has", "been", "be", "is", "are", "was", "were", "that", "which"})
        counted = self.slot_ending_at(before + 1)
        return counted is not None and counted.kind == "table"

    def relation_words(self) -> None:
        """Mark relation verbs (and the "by" of a passive) as explained, each costing a little confidence."""
        for position in range(1, len(self.tokens)):
            if position not in self.explained and self.restating_participle(position):
                self.mark(position, len(self.tokens))
                continue
            if self.slot_at(position) is not None or position in self.explained:
                continue
            if self.is_relation_verb(position):
                self.mark(position, position + 1)
                self.penalise(0.97, f"read '{self.tokens[position].text}' as the link between tables")
                if position + 1 < len(self.tokens) and self.lemmas[position + 1] in ("by", "to", "in", "on", "at", "for"):
                    self.mark(position + 1, position + 2)
            elif self.lemmas[position] == "by" and self.by_owner(position):
                self.mark(position, position + 1)  # "the accounts by the customer named X": whose they are

    def by_owner(self, position: int) -> bool:
        """ "volumes by the artist named Gorgoroth", "accounts by the customer with first name X": "by" before a
        table that rows named just before it point at says whose they are, like "of"."""
        owner = self.slot_at(self.skip(position + 1, {"the", "a", "an"}))
        if owner is None or owner.kind != "table" or owner.role not in ("related", "table", None):
            return False
        back = self.skip_back(position, {"that", "which", "are", "is", "were", "was"})
        rows = self.slot_ending_at(back + 1)
        if rows is None or rows.kind != "table":
            return False
        return any(k.table == rows.best.table and k.ref_table == owner.best.table for k in self.schema.foreign_keys)

    def chain_starts(self) -> list[int]:
        """Where the user starts naming what to show: after the opening words, and after a later
        "Return the …" / "List the …" sentence."""
        starts = [0]
        for position in range(1, len(self.tokens)):
            if self.lemmas[position] in ("return", "list", "show", "give", "display", "find", "provide", "report") or (
                self.lemmas[position] in ("what", "tell")
                and (
                    self.tokens[position - 1].kind == "symbol"
                    # "… and what are the companies?" (but "Which film …? And what is the rate?" keeps the film)
                    or self.lemmas[position - 1] == "and" and self.lemmas[0] != "which"
                )
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
                "full",
                "id",
                "identifier",
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
                if self.lemmas[position] == "in" and position + 1 in self.explained and position == start + 1:
                    position += 1  # "List in alphabetical order the names of …": the order comes first
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
        if previous - 1 in self.explained and self.names_themselves(slot):
            return False  # "the names of studios": the column is the names
        owner = self.slot_ending_at(self.skip_back(previous, {"the"}) + 1)
        return owner is not None and owner.kind == "column" or previous in self.placeholder_positions()

    def names_themselves_before(self, slot: Slot) -> bool:
        """Whether `slot` is a text column (not a key) that "names" after it only restates."""
        column = self.column_info(ColumnRef(slot.best.table or "", slot.best.column or ""))
        if column is None or column.is_numeric or column.is_date or self.is_key(column):
            return False
        return identifier_words(column.name)[-1:] != ["name"]

    def names_themselves(self, slot: Slot) -> bool:
        """ "the names of studios" over film.studio: after "names of", a text column (not a table, not a key)
        is what names its values."""
        previous = self.skip_back(slot.start, {"the", "a", "an", "all", "each"})
        if previous < 1 or self.lemmas[previous] != "of" or self.lemmas[previous - 1] != "name":
            return False
        named = self.slot_ending_at(previous)
        if named is not None and (named.length > 1 or named.role not in (None, "qualifier")):
            return False  # "the official names of host cities": a name column is asked for
        column = self.column_info(ColumnRef(slot.best.table or "", slot.best.column or ""))
        return column is not None and not (column.is_numeric or column.is_date or self.is_key(column))

    def placeholder_positions(self) -> set[int]:
        return {position + 1 for position, lemma in enumerate(self.lemmas) if lemma in ("name", "id", "title")}

    def column_suffix_words(self) -> None:
        """ "each affiliation type", "the decor types": a category column named with "type" that its own
        name leaves out (affiliation, decor). The word is part of the column's name, not unexplained."""
        for slot in self.slots:
            position = slot.end
            if slot.kind != "column" or position >= len(self.tokens) or position in self.explained:
                continue
            if self.lemmas[position] not in ("type", "kind", "category"):
                continue
            there = self.slot_at(position)
            if there is not None and (there.length != 1 or there.role is not None or any(
                    m.table == slot.best.table or m.score >= 1.0 for m in there.options)):
                continue  # a column of this table, or exactly a "type" column: not just a word for the category
            if any(other.start <= position < other.end for other in self.slots if other is not there):
                continue
            column = self.column_info(ColumnRef(slot.best.table or "", slot.best.column or ""))
            if column is None or column.is_numeric or self.lemmas[position] in identifier_words(column.name):
                continue
            if there is not None:
                there.role = "qualifier"  # (another table's "..._type" column matched the word only in part)
            self.mark(position, position + 1)

    def leftovers(self) -> None:
        """Columns still without a role are shown if they sit in the asked-for phrase; tables join in."""
        self.column_suffix_words()
        chained = self.projection_chain()
        for slot in self.slots:
            if slot.kind == "column" and slot.role is None and slot.start in chained and self.names_themselves(slot):
                # "the names of studios": the studios are the names (not some other table's name column)
                previous = self.skip_back(slot.start, {"the", "a", "an", "all", "each"})
                named = self.slot_ending_at(previous)
                if named is not None:
                    named.role = "qualifier"
                self.mark(previous - 1, previous + 1)
        for slot in self.slots:
            following = self.slot_at(slot.end)
            if (
                slot.kind == "column"
                and slot.role is None
                and following is not None
                and following.role is None
                and self.lemmas[following.start : following.end] == ["name"]
                and following.best.table != slot.best.table
                and self.names_themselves_before(slot)
            ):
                following.role = "qualifier"  # "the pilot names" over flight.pilot: the pilots are the names
                self.mark(following.start, following.end)
        for slot in self.slots:
            if slot.role is not None:
                continue
            restated = self.slot_at(self.skip(slot.end + 1, {"the", "a", "an"})) if self.words_at(slot.end, ("with",)) else None
            if (
                slot.kind == "column"
                and restated is not None
                and restated.role is not None
                and (restated.best.table, restated.best.column) == (slot.best.table, slot.best.column)
            ):
                slot.role = "qualifier"  # "a member from the city with city code 'BAL'": the column named twice
                self.mark(slot.start, slot.end + 1)
                continue
            if slot.kind == "column" and slot.start in chained and not self.after_of_column(slot):
                slot.role = "select"
                ref = ColumnRef(slot.best.table or "", slot.best.column or "")
                self.selected.append((slot.start, Expression(ref)))
                if slot.start in self.paired_names:
                    self.selected.append((slot.start + 0.5, Expression(self.paired_names[slot.start])))
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
                if self.words_at(position + 1, ("about",)) or self.words_at(position + 1, ("regarding",)):
                    self.mark(position + 1, position + 2)
        aggregated = self.count_expression is not None or any(e.aggregate for _, e in self.selected)
        for position, lemma in enumerate(self.lemmas):
            # "how many countries are there in total": the total restates the count.
            if (
                aggregated
                and lemma in ("total", "altogether")
                and position not in self.explained
                and self.slot_at(position) is None
            ):
                if lemma == "altogether" or (position > 0 and self.lemmas[position - 1] == "in"):
                    self.mark(position - (lemma == "total"), position + 1)

    def rows_named_otherwise(self) -> None:
        """ "the total enrollment of all schools" over a table called university: when every column asked for is
        of one table and no table is named, the one word left after "all" / "every" names its rows."""
        if len(self.plan.tables) != 1 or any(slot.kind == "table" for slot in self.slots):
            return
        left = [
            position
            for position, token in enumerate(self.tokens)
            if position not in self.explained and token.lemma not in lx.FILLER and token.kind != "symbol"
        ]
        if len(left) != 1 or any(slot.role is None and slot.kind in ("number", "value") for slot in self.slots):
            return
        position = left[0]
        token = self.tokens[position]
        before = self.skip_back(position, {"the"})
        if before < 0 or self.lemmas[before] not in ("all", "every") or token.kind != "word":
            return
        if self.lemmas[before] == "all" and token.lower == token.lemma:
            return  # "all" before a word that is not a plural: an adjective or a verb, not the rows
        following = self.tokens[position + 1].lower if position + 1 < len(self.tokens) else "?"
        if following not in ("?", ".", ",", "that", "who", "which", "whose", "with", "in", "from", "where", "ordered", "sorted"):
            return
        if not self.word_of_table(token.lemma, self.plan.tables[0]):
            return  # "of all visitors" over universities: nothing in the table says its rows are visitors
        self.mark(position, position + 1)
        self.penalise(0.9, f"'{token.text}' read as the rows of {self.plan.tables[0]}")

    def word_of_table(self, word: str, table_name: str) -> bool:
        """Whether the table's own names support reading `word` as its rows: a column named by it (schools →
        university.school), its name misspelt (appelations), or an abbreviation of it in a name (cust → customer)."""
        table = self.table(table_name)
        if table is None:
            return False
        names = {w for column in table.columns for w in identifier_words(column.name)} | set(identifier_words(table.name))
        names |= {name[:-2] for name in names if name.endswith("id") and len(name) > 5}  # custid → cust
        for name in names:
            if name == word or len(name) >= 4 and (word.startswith(name) or name.startswith(word)):
                return True
        return any(len(word) >= 6 and _close(word, w) for w in identifier_words(table.name))

    def check_explained(self) -> None:
        self.rows_named_otherwise()
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


def _close(first: str, second: str) -> bool:
    """Spelt the same but for one or two letters left out, added or swapped ("appelations", "appellations")."""
    return difflib.SequenceMatcher(None, first, second).ratio() >= 0.9
