"""From a linked question to a `QueryPlan`, by small rules that each explain some of the words.

Every rule that fires marks the words it used as explained. A question whose content words are not
all explained is refused: the engine will not guess what "only", "both" or an unknown noun meant.
That bookkeeping — not the cleverness of the rules — is what keeps precision high.
"""

from __future__ import annotations

from .. import lexicon as lx
from ..linking import identifier_words, is_name_column, same_words
from ..linking import lemma as singular
from ..plan import ColumnRef, Condition, Expression, JoinError, OrderItem, QueryPlan, join_tree
from .base import Interpretation, Refusal, Slot
from .conditions import ConditionPasses


class Interpreter(ConditionPasses):
    """Parses one question against one schema. Use `interpret()`; it raises `Refusal` when unsure."""

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
        self.flags(adjectives=True)
        self.head()
        self.top_n()
        self.ordering()
        self.grouping()
        self.counting()
        self.aggregates()
        self.superlatives()
        self.date_windows()
        self.key_values()
        self.comparisons()
        self.values()
        self.flags()
        self.negated_relations()
        self.when_column()
        self.where_column()
        self.leftovers()
        self.relation_words()
        return self.assemble()

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
            if not self.count_per_listed(items):
                raise Refusal("'How many' together with other columns: I cannot tell what is counted per what.")
        if not select and self.select_all:
            select = [Expression(ColumnRef(self.subject or "", "*"))]
            self.reasoning.append(f"show every column of {self.subject}")
        if not select:
            select = self.default_projection()
        for grouped, shown in group_refs:
            plan.group_by.append(Expression(grouped))
            if shown.table != grouped.table:
                plan.group_by.append(Expression(shown))  # the name read one join away is grouped too
        shown_tables = {e.column.table for e in select if e.column is not None and not e.aggregate}
        shown_groups = [
            (slot.start, Expression(ref[1]))
            for slot, ref in zip(groups, group_refs, strict=True)
            if all(not self.same_values(ref[1], e.column) or e.aggregate for e in select)
            and not (slot.kind == "table" and slot.best.table in shown_tables)
        ]
        group_first = [expression for _, expression in shown_groups]
        for _, bucket in self.date_groups:
            plan.group_by.append(bucket)
            group_first.append(bucket)
            plan.order_by.append(OrderItem(bucket))
        plan.select = []
        asked = items if [expression for _, expression in items] == select else []
        for expression in self.in_asked_order(group_first, shown_groups, asked, select):
            if not any(e == expression for e in plan.select):
                plan.select.append(expression)
            elif expression not in group_first:
                self.penalise(0.8, "the same column was named twice")
        if any(e.aggregate for e in plan.select) and not plan.group_by:
            plain = [e for e in plan.select if not e.aggregate]
            if plain:
                plan.group_by.extend(Expression(e.column) for e in plain)
                self.penalise(0.9, "grouping by the shown columns")
        elif any(e.aggregate for e in plan.select):
            # "for each country and airline name, how many routes": every shown column is a group
            missing = [
                e
                for e in plan.select
                if not e.aggregate and e.column is not None and e not in plan.group_by
                and Expression(e.column) not in plan.group_by and not self.determined_by_groups(e.column)
            ]
            if missing and not self.superlative_limit:
                plan.group_by.extend(Expression(e.column) for e in missing)
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
        if self.order_count and not plan.group_by and not self.group_by_subject and not self.having_count:
            plain = [e for e in plan.select if not e.aggregate and e.column is not None and e.column.column != "*"]
            if not plain:
                raise Refusal("I found 'ordered by the count' but not what is counted per what.")
            # "software platforms in descending order of the count": one row per platform.
            plan.group_by.extend(Expression(e.column) for e in plain)
            self.penalise(0.9, "counting per shown value to order by the count")
        if self.order_count:
            plan.order_by.append(OrderItem(Expression(ColumnRef(self.subject or "", "*"), "COUNT"), bool(self.descending)))
        if self.descending is not None and not plan.order_by and select:
            # "denominations and the number of schools in descending order": the count is what is ranked.
            ranked = next((e for e in select if e.aggregate), None)
            if ranked is None and self.top_used:
                raise Refusal("I found a 'top N' but not what to rank by.")  # not by the first column shown
            ranked = ranked or select[0]
            plan.order_by.append(OrderItem(ranked, bool(self.descending)))
        if self.superlative_limit and self.extremes_of_one_column():
            pass
        elif self.superlative_limit:
            if not self.superlative_as_subquery():
                plan.limit = self.limit or 1
        elif self.limit is not None:
            if not plan.order_by and not self.top_used:
                self.first_by_date()
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
        self.distinct_groups()
        self.subject_listed_first()
        self.categories_once()
        self.collect_tables()
        if any(e.column is not None and e.column.column == "*" and not e.aggregate for e in plan.select) and len(plan.tables) > 1:
            # Every column of every joined table is never what was meant; which table's columns is a guess.
            raise Refusal(f"I could not tell which columns to show: the question joins {', '.join(plan.tables)}.")
        self.check_explained()
        confidence = 1.0
        for factor, why in self.penalties:
            confidence *= factor
            self.reasoning.append(f"uncertain: {why}")
        return Interpretation(plan, confidence, self.reasoning)

    def names_referenced_table(self, ref: ColumnRef) -> bool:
        """Whether `ref` is a foreign key named like the table it refers to ("DEPT_CODE" → department) and the
        question said the table's name, not the key's ("different departments", not "department codes")."""
        said = [s for s in self.slots if (s.best.table, s.best.column) == (ref.table, ref.column)]
        if any(lemma in lx.KEY_WORDS for s in said for lemma in self.lemmas[s.start : s.end]):
            return False
        for key in self.schema.foreign_keys:
            if (key.table, key.column) == (ref.table, ref.column):
                own = [w for w in identifier_words(key.column) if w not in lx.KEY_WORDS]
                if own == identifier_words(key.ref_table):
                    return True
        return False

    def listed(self, slot: Slot) -> bool:
        """Whether `slot` is an item of a list of things asked for ("the address and email", "X, Y and Z")."""
        before = self.skip_back(slot.start, {"the", "a", "an", "their", "its", "respective", "corresponding"})
        if before >= 0 and self.lemmas[before] in ("and", ","):
            return True
        return slot.end < len(self.tokens) and self.lemmas[slot.end] in ("and", ",") and slot.start < self.boundary

    def extremes_of_one_column(self) -> bool:
        """ "the ages of the oldest and youngest students": two opposite superlatives on one column ask for
        its largest and smallest values, not for one row ranked both ways. Refused when anything else is
        shown, since no single row is both."""
        plan = self.plan
        if len(plan.order_by) != 2 or self.limit is not None:
            return False
        first, second = plan.order_by
        if first.expression != second.expression or first.descending == second.descending or first.expression.aggregate:
            return False
        ref = first.expression.column
        if any(e.aggregate or e.column != ref for e in plan.select) or plan.group_by:
            raise Refusal("The question asks for the largest and the smallest at once; ask for the values, or one at a time.")
        plan.select = [Expression(ref, "MAX" if item.descending else "MIN") for item in plan.order_by]
        plan.order_by = []
        self.reasoning.append("the largest and smallest values of one column")
        return True

    def subject_listed_first(self) -> None:
        """ "List all stores and their cities": the rows listed are the stores, each named, with their city —
        not the distinct cities."""
        plan = self.plan
        if plan.group_by or self.count_expression is not None or not plan.select or any(e.aggregate for e in plan.select):
            return
        for slot in self.slots:
            if slot.kind != "table" or slot.best.table != self.subject:
                continue
            leading = self.words_at(slot.end, ("and",)) and slot.end + 1 < len(self.tokens) and self.lemmas[slot.end + 1] in (
                "their", "its", "respective", "corresponding",
            )
            if not leading or any(e.column is None or e.column.table != self.subject for e in plan.select):
                return
            refs = [ref for ref in self.called_by_column(self.subject) or self.name_columns(self.subject)
                    if Expression(ref) not in plan.select]
            plan.select[:0] = [Expression(ref) for ref in refs]
            if refs:
                self.reasoning.append(f"each {self.subject} row named by {', '.join(ref.column for ref in refs)}")
            return

    def show_listed_table(self, slot: Slot) -> bool:
        """ "the names of parties and their respective regions": a table named among the things to show
        shows what identifies its rows. Only for plain lists (with a count or grouping, a second table's
        names would change what is counted), and only when the list is of things shown: "their" or a
        column before the "and" — "the phone numbers of the customers and staff" lists owners."""
        plan = self.plan
        table = slot.best.table or ""
        before = self.skip_back(slot.start, {"the", "a", "an"})
        possessive = before >= 0 and self.lemmas[before] in ("their", "its", "respective", "corresponding")
        previous = self.slot_ending_at(self.skip_back(slot.start, {"the", "a", "an", "their", "its", "respective",
                                                                   "corresponding", "and", ","}) + 1)
        if not possessive and (previous is None or previous.kind != "column"):
            return False
        if plan.group_by or any(e.aggregate for e in plan.select) or self.count_expression is not None or not plan.select:
            return False
        refs = self.called_by_column(table) or self.name_columns(table)
        if not refs:
            return False
        plan.select.extend(Expression(ref) for ref in refs)
        self.penalise(0.9, f"showing the name of each {table} row")
        return True

    def superlative_as_subquery(self) -> bool:
        """Rewrites the superlative's ORDER BY … LIMIT 1 as a condition when it ranks another table's rows,
        and says whether it did. "Scientists working on the project with the most hours": the superlative
        picks the project, and every scientist on it is the answer — `hours = (SELECT MAX(hours) …)`, not
        the first joined row."""
        plan = self.plan
        if self.limit is not None or plan.group_by or len(plan.order_by) != 1 or plan.connector != "AND":
            return False
        item = plan.order_by[0]
        ref = item.expression.column
        shown = {e.column.table for e in plan.select if e.column is not None}
        if item.expression.aggregate or ref is None or ref.table in shown or ref.table == self.subject or not shown:
            return False
        # conditions on the ranked rows choose among them ("who registered for English most recently")
        own = [
            c
            for c in plan.conditions
            if c.subquery is None and c.expression.column is not None and c.expression.column.table == ref.table
        ]
        # … and only among rows that belong to something shown ("the customer who ordered most recently": an
        # order with no customer is nobody's latest order)
        own += [
            Condition(Expression(ColumnRef(ref.table, k.column)), "IS NOT NULL")
            for k in self.schema.foreign_keys
            if k.table == ref.table and k.ref_table in shown
        ]
        extreme = QueryPlan(select=[Expression(ref, "MAX" if item.descending else "MIN")], tables=[ref.table], conditions=own)
        plan.conditions.append(Condition(Expression(ref), "=", subquery=extreme))
        plan.add_table(ref.table)
        plan.order_by.clear()
        self.reasoning.append(f"the {ref.table} row with the {'largest' if item.descending else 'smallest'} {ref.column}")
        return True

    def in_asked_order(
        self,
        group_first: list[Expression],
        shown_groups: list[tuple[float, Expression]],
        items: list[tuple[float, Expression]],
        select: list[Expression],
    ) -> list[Expression]:
        """Columns in the order the question names them ("the count for each nationality" → count first).

        Time buckets always lead (a series reads left to right); a grouped column asked for only by
        "for each X" goes where it was said, unless what is shown is a time series. "How many … in each
        X" reads as a breakdown and shows X first."""
        if self.date_groups or not shown_groups or not items or self.count_cue == ("how", "many"):
            return group_first + select
        merged = sorted(shown_groups + list(items), key=lambda item: item[0])
        return [expression for _, expression in merged]

    def categories_once(self) -> None:
        """ "Show all majors", "what ranks do we have": a lone category column is listed once per value."""
        plan = self.plan
        if plan.distinct or len(plan.select) != 1 or plan.group_by or plan.order_by or plan.limit:
            return
        expression = plan.select[0]
        if expression.aggregate or expression.column is None or expression.column.column == "*":
            return
        column = self.column_info(expression.column)
        if column is None or column.primary_key or plan.conditions:
            return
        words = identifier_words(column.name)
        if (
            words[-1:]
            and (words[-1] in lx.CATEGORY_WORDS or words[-1] == "by")  # directed_by: who directed, once each
            and not any(s.kind == "table" and s.role == "related" and s.best.table != column.table for s in self.slots)
        ):
            plan.distinct = True
            self.reasoning.append(f"each {column.name} once")

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
        if self.superlative_limit and any(slot.role == "group" for slot in self.slots):
            # "for each manufacturer, their most expensive product": one top row per group, not one overall
            raise Refusal("I do not yet pick the top row within each group; ask for one group at a time.")
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
            if table == subject:
                self.negate_within(position, table)
                continue
            keys = [k for k in self.schema.foreign_keys if k.table == table and k.ref_table == subject]
            inner_tables = [table]
            if not keys:
                # "dorms that do not have any amenity": dorm ← has_amenity → dorm_amenity.
                bridges = self.bridges(subject, table)
                if len(bridges) == 1:
                    bridge, keys = bridges[0], [bridges[0][0]]
                    inner_tables = [bridge[0].table, table]
                    self.penalise(0.9, f"'no {table}' read through {bridge[0].table}")
            if len(keys) > 1:
                # prereq(course_id, prereq_id) → course: the key named like the referenced column is the row's own.
                same = [k for k in keys if k.column.lower() == k.ref_column.lower()]
                if len(same) == 1:
                    keys = same
                    self.penalise(0.85, f"{table} refers to {subject} twice; used {same[0].column}")
            if len(keys) != 1:
                raise Refusal(f"I could not tell how {table} refers to {subject}.")
            key = keys[0]
            inner = QueryPlan(select=[Expression(ColumnRef(key.table, key.column))], tables=list(inner_tables))
            inside = [
                f for f in self.filters if f[0] > position and f[1].expression.column and f[1].expression.column.table == table
            ]
            if not inside and len(inner_tables) > 1:
                inner.tables = inner_tables[:1]  # no condition on the far table: the bridge rows are enough
            # "students who do not participate in any activity": the activity is the far side of the negated
            # link table, part of what is negated, not a join of the outer query.
            far = {k.ref_table for k in self.schema.foreign_keys if k.table == inner_tables[-1]} - {subject}
            for slot in self.slots:
                if slot.kind == "table" and slot.role == "related" and slot.start > position and (
                    slot.best.table in inner_tables or (slot.best.table in far and len(inner_tables) == 1)
                ):
                    slot.role = "negated"  # "shops that have no devices in stock": stock is the bridge itself
            for item in inside:
                self.filters.remove(item)
                inner.conditions.append(item[1])
            condition = Condition(Expression(ColumnRef(subject, key.ref_column)), "NOT IN", subquery=inner)
            self.filters.append((position, condition))
            self.reasoning.append(f"rows of {subject} with no {table} row")

    def negate_within(self, position: int, table: str) -> None:
        """ "countries that do not have a stadium opened after 2006": values of the shown column that
        never occur on a row meeting the conditions (EXCEPT, written as DISTINCT … NOT IN)."""
        plain = [e for e in self.plan.select if not e.aggregate and e.column is not None]
        inside = [f for f in self.filters if f[0] > position and f[1].expression.column and f[1].expression.column.table == table]
        if len(plain) != 1 or len(self.plan.select) != 1 or not inside or plain[0].column.table != table:  # type: ignore[union-attr]
            raise Refusal(f"I could not tell which {table} rows are excluded.")
        shown = plain[0].column
        inner = QueryPlan(select=[Expression(shown)], tables=[table])
        for item in inside:
            self.filters.remove(item)
            inner.conditions.append(item[1])
        self.filters.append((position, Condition(Expression(shown), "NOT IN", subquery=inner)))
        self.plan.distinct = True
        self.penalise(0.9, f"{shown.column} values with no such {table} row")  # type: ignore[union-attr]

    def bridges(self, subject: str, table: str) -> list[tuple[object, object]]:
        """Link tables with one key to `subject` and one to `table` (many-to-many through a bridge)."""
        found = []
        if subject == table:
            return found
        for bridge in self.schema.tables:
            if bridge.name in (subject, table):
                continue
            to_subject = [k for k in self.schema.foreign_keys if k.table == bridge.name and k.ref_table == subject]
            to_table = [k for k in self.schema.foreign_keys if k.table == bridge.name and k.ref_table == table]
            if len(to_subject) == 1 and len(to_table) == 1:
                found.append((to_subject[0], to_table[0]))
        return found

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
        # "How many different statuses are there?": the counted column's table, then a grouped or ordered one.
        candidates = [self.count_expression] if self.count_expression is not None else []
        candidates += self.plan.group_by + [item.expression for item in self.plan.order_by]
        candidates += [Expression(ColumnRef(slot.best.table or "", slot.best.column or "")) for slot in self.order_slots]
        for expression in candidates:
            if expression.column is not None and expression.column.table:
                self.subject = expression.column.table
                ref = expression.column
                if self.names_referenced_table(ref):
                    # "how many different projects": values of a key pointing at the projects table
                    self.penalise(0.7, f"{ref.table}.{ref.column} refers to another table, which may be the one meant")
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
        eponymous = [c for c in table.columns if same_words(c.name, table.name) and not c.is_numeric]
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

    def first_by_date(self) -> None:
        """ "the first 5 customers": the earliest by the subject table's one date, when it has exactly one."""
        table = self.table(self.subject or "")
        dates = [c for c in table.columns if c.is_date and not c.is_numeric]
        if len(dates) != 1:
            return
        self.plan.order_by.append(OrderItem(Expression(ColumnRef(table.name, dates[0].name))))
        self.penalise(0.9, f"'first' read as the earliest by {dates[0].name}")

    def names_own_table(self, slot: Slot) -> bool:
        """Whether the words of a column mention say its table's name ("flight number" for flight.flno)."""
        table_words = [singular(w) for w in identifier_words(slot.best.table or "")]
        said = [self.lemmas[i] for i in range(slot.start, slot.end)]
        return bool(table_words) and said[: len(table_words)] == table_words and slot.length > len(table_words)

    def default_projection(self) -> list[Expression]:
        if self.subject is None:
            raise Refusal("I could not tell what to show.")
        refs = self.called_by_column(self.subject) or self.name_columns(self.subject)
        ranked_or_distinct = (
            self.order_slots or self.top_used or self.superlative_limit or {"distinct", "different", "unique"} & set(self.lemmas)
        )
        if not refs and not ranked_or_distinct and not any(is_name_column(c) for c in self.table(self.subject).columns):
            # "orders over 1000 placed in May 2025": rows nothing names are shown whole
            self.penalise(0.9, f"showing every column of {self.subject}, which has no name column")
            self.reasoning.append(f"show every column of {self.subject}")
            return [Expression(ColumnRef(self.subject, "*"))]
        if not refs:
            raise Refusal(f"I could not tell which columns of {self.subject} to show.")
        self.penalise(0.9, f"showing the name of each {self.subject} row")
        self.reasoning.append(f"show {', '.join(ref.column for ref in refs)} to identify {self.subject}")
        return [Expression(ref) for ref in refs]

    def called_by_column(self, table: str) -> list[ColumnRef]:
        """ "Which countries …" over a `regions` table known as "countries" (one row per country): the word
        that named the table also names one of its columns, and that column is what identifies the rows."""
        for slot in self.slots:
            if slot.kind == "table" and slot.best.table == table and slot.role in ("table", "head"):
                own = {o.column for o in slot.options if o.kind == "column" and o.table == table and o.score >= slot.best.score}
                if len(own) == 1:
                    column = next(iter(own))
                    info = self.column_info(ColumnRef(table, column or ""))
                    if info is not None and not info.is_numeric:
                        return [ColumnRef(table, column or "")]
        return []

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
                names = self.name_columns(table.name)
                shown = any(self.same_values(ref, e.column) for _, e in self.selected)
                if len(names) == 1 and names[0].column != key.ref_column and not shown:
                    # "events for each party": a person reads the party's name, not its key
                    self.plan.add_table(table.name)
                    return ref, names[0]
                return ref, ref
        own = {o.column for o in slot.options if o.kind == "column" and o.table == table.name and o.score >= slot.best.score}
        if len(own) == 1:
            # "each allergy type" over an Allergy_Type table with an AllergyType column: the words name the
            # column too, and its values (not the table's rows) are what is grouped
            ref = ColumnRef(table.name, next(iter(own)) or "")
            info = self.column_info(ref)
            category = identifier_words(ref.column)[-1:] in ([word] for word in lx.CATEGORY_WORDS)
            if info is not None and not info.is_numeric and not info.primary_key and category:
                self.plan.add_table(table.name)
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
        if len(plain) == 1 and self.attribute_counted(plain[0].column):  # type: ignore[arg-type]
            plan.group_by.append(Expression(plain[0].column))
            self.penalise(0.9, f"counting per {plain[0].column.column}")  # type: ignore[union-attr]
            return
        if counted <= {subject}:
            raise Refusal(f"Counting {subject} rows per {subject} row is always one; I misread the question.")
        if len(keys) == 1:
            plan.group_by.append(Expression(ColumnRef(subject, keys[0].name)))
        elif plain:
            plan.group_by.extend(Expression(e.column) for e in plain)
        else:
            raise Refusal("I could not tell what to count per row.")

    RELATIVE_WORDS = frozenset(
        {"that", "which", "who", "with", "has", "have", "had", "is", "are", "was", "were", "from", "where"}
    )

    def attribute_counted(self, ref: ColumnRef) -> bool:
        """ "Which school has the fewest professors", "the hometowns that are shared by two gymnasts": the
        shown column is itself what the rows are counted per when it is the subject of the clause (not "the
        type of the organization with the most staff", which counts per organization) and not a name."""
        info = self.column_info(ref)
        if info is None or info.primary_key or is_name_column(info):
            return False
        for slot in self.slots:
            if slot.kind == "column" and (slot.best.table, slot.best.column) == (ref.table, ref.column):
                if slot.end < len(self.tokens) and self.lemmas[slot.end] in self.RELATIVE_WORDS:
                    return True
        return False

    def determined_by_groups(self, ref: ColumnRef) -> bool:
        """Whether one value of `ref` per group is given: its table's key, or a key pointing at that table,
        is among the groups (an account's name, grouped by the account id)."""
        table = self.table(ref.table)
        if table is None or len(table.primary_keys) != 1:
            return False
        key = table.primary_keys[0].name
        for group in self.plan.group_by:
            if group.column is None:
                continue
            if (group.column.table, group.column.column) == (ref.table, key):
                return True
            if any(
                (k.table, k.column, k.ref_table, k.ref_column) == (group.column.table, group.column.column, ref.table, key)
                for k in self.schema.foreign_keys
            ):
                return True
        return False

    def connector(self) -> None:
        """Conditions joined by "or" become OR (or IN on one column); "and" on one column is refused."""
        plan = self.plan
        self.drop_repeated_conditions()
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
            clash = self.clashing_column()
            if clash is not None and self.per_sex(clash):
                return
            if clash is not None:
                self.intersect(clash)
                return
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
        if self.or_of_groups(len(positions), ors):
            return
        raise Refusal("The question mixes 'and' and 'or' conditions; I would be guessing how they group.")

    def or_of_groups(self, count: int, ors: list[int]) -> bool:
        """ "staff named Dameon Frami or Jolie Weber", "addresses in East Julianaside, Texas or in Gleasonmouth,
        Arizona": one "or" between two groups of conditions on the same columns of one table asks for the rows
        meeting every condition of either group."""
        plan = self.plan
        if len(ors) != 1 or len(plan.conditions) != count:
            return False
        cut = ors[0] + 1
        left, right = plan.conditions[:cut], plan.conditions[cut:]
        if len(left) < 2 or len(left) != len(right):
            return False
        if any(c.subquery is not None or c.expression.column is None or c.expression.aggregate for c in plan.conditions):
            return False

        def columns(group: list[Condition]) -> list[ColumnRef]:
            return sorted((c.expression.column for c in group), key=repr)  # type: ignore[arg-type]

        tables = {c.expression.column.table for c in plan.conditions}  # type: ignore[union-attr]
        table = self.table(next(iter(tables))) if len(tables) == 1 else None
        if columns(left) != columns(right) or table is None or len(table.primary_keys) != 1:
            return False
        key = ColumnRef(table.name, table.primary_keys[0].name)
        plan.conditions = [
            Condition(Expression(key), "IN", subquery=QueryPlan(select=[Expression(key)], tables=[table.name], conditions=group))
            for group in (left, right)
        ]
        plan.connector = "OR"
        self.reasoning.append(f"{table.name} rows meeting every condition of either group")
        return True

    def verb_named_key(self) -> None:
        """ "problems reported by the staff …" over problems with reported_by_staff_id and
        closed_by_staff_id: the verb names which of two keys joins the tables."""
        plan = self.plan
        if len(plan.tables) != 2 or plan.join_keys:
            return
        first, second = plan.tables
        keys = [k for k in self.schema.foreign_keys if {k.table, k.ref_table} == {first, second} and k.table != k.ref_table]
        if len(keys) < 2:
            return
        said = {token.lower for token in self.tokens if token.kind == "word"}
        common = {"id", "by", "of", "to", "the"} | set(identifier_words(first)) | set(identifier_words(second))
        named = [k for k in keys if said & (set(identifier_words(k.column)) - common)]
        if len(named) == 1:
            plan.join_keys = named
            self.reasoning.append(f"joined on {named[0].table}.{named[0].column}, the key the question's words name")

    def distinct_groups(self) -> None:
        """ "the different statuses of cities and the average population with each status": the rows are
        grouped by status, so each status is already shown once."""
        grouped = {e.column for e in self.plan.group_by if e.column is not None}
        for position, lemma in enumerate(self.lemmas):
            if lemma not in lx.DISTINCT_WORDS or position in self.explained:
                continue
            following = self.slot_at(self.skip(position + 1, {"the", "a", "an"}))
            if following is not None and following.kind == "column" and ColumnRef(
                following.best.table or "", following.best.column or ""
            ) in grouped:
                self.mark(position, position + 1)

    def count_per_listed(self, items: list[tuple[float, Expression]]) -> bool:
        """ "What are the different card types, and how many cards are there of each?": a list of columns,
        then "and how many": the count is per listed value (grouped by the shown columns)."""
        position = self.count_position
        before = self.skip_back(position, {","})
        if before < 0 or self.lemmas[before] != "and" or not any(p < position for p, e in items if not e.aggregate):
            return False
        if any(p > position for p, e in items if not e.aggregate):
            return False
        self.mark(before, before + 1)
        for index in range(position, len(self.tokens)):
            if self.lemmas[index] == "each" and self.slot_at(index + 1) is None:
                self.mark(index, index + 1)  # "how many races correspond to each"
        self.reasoning.append("counted per listed value")  # (the grouping itself costs confidence below)
        return True

    def drop_repeated_conditions(self) -> None:
        """ "female students (sex is F)": the same condition said twice is one condition."""
        seen: list[Condition] = []
        kept_filters: list[tuple[int, Condition]] = []
        for position, condition in sorted(self.filters, key=lambda item: item[0]):
            if condition.subquery is None and condition in seen:
                self.plan.conditions.remove(condition)
                continue
            seen.append(condition)
            kept_filters.append((position, condition))
        self.filters = kept_filters

    def clashing_column(self) -> ColumnRef | None:
        """A column that two AND-ed conditions cannot both hold on one row: two different values, or
        ranges that do not overlap ("older than 23 and younger than 20")."""
        conditions = [c for c in self.plan.conditions if c.subquery is None and c.expression.column is not None]
        for i, first in enumerate(conditions):
            for second in conditions[i + 1 :]:
                if (
                    first.expression.column != second.expression.column
                    or first.expression.aggregate
                    or second.expression.aggregate
                ):
                    continue
                if first.operator == second.operator == "=" and first.value != second.value:
                    return first.expression.column
                if {first.operator, second.operator} == {"=", "!="} and "but" in self.lemmas:
                    return first.expression.column  # "allergic to milk but not cat": a difference of sets
                bounds = {first.operator[0]: first.value, second.operator[0]: second.value}
                if {first.operator[0], second.operator[0]} == {">", "<"}:
                    low, high = bounds[">"], bounds["<"]
                    if isinstance(low, int | float) and isinstance(high, int | float) and low >= high:
                        return first.expression.column
        return None

    def intersect(self, column: ColumnRef) -> None:
        """ "hometowns shared by people older than 23 and younger than 20", "publishers with books in
        2001 and books in 2005": the shown values found on rows of each kind (INTERSECT), written as
        DISTINCT … IN (…) AND … IN (…)."""
        plan = self.plan
        plain = [e for e in plan.select if not e.aggregate and e.column is not None and e.column.column != "*"]
        if plan.group_by or plan.having or self.having_count or self.negated or len(plain) != len(plan.select):
            raise Refusal("Two conditions on the same column at once: I can only intersect them for shown columns.")
        shown = plain[0].column if len(plain) == 1 else self.row_key(plain)
        if shown is None:
            raise Refusal("Two conditions on the same column at once: I can only intersect them for one shown column.")
        split = [c for c in plan.conditions if c.expression.column == column and c.subquery is None]
        shared = [c for c in plan.conditions if c not in split]
        if len(split) != 2 or any(c.subquery is not None for c in shared):
            raise Refusal("More than two conditions on one column: I would be guessing how they combine.")
        if shown == column:
            raise Refusal("The shown column is the one with two conditions; no row can meet both.")
        plan.conditions = []
        for condition in split:
            inner = QueryPlan(select=[Expression(shown)], tables=[shown.table])
            operator = "IN"
            if condition.operator == "!=":
                condition = Condition(condition.expression, "=", condition.value)
                operator = "NOT IN"
            inner.conditions = [condition, *shared]
            for other in inner.conditions:
                if other.expression.column is not None:
                    inner.add_table(other.expression.column.table)
            plan.conditions.append(Condition(Expression(shown), operator, subquery=inner))
        if any(c.operator == "NOT IN" for c in plan.conditions):
            for position, lemma in enumerate(self.lemmas):
                if lemma == "but" and self.words_at(position + 1, ("not",)):
                    self.mark(position, position + 2)
        plan.distinct = len(plain) == 1  # (rows picked by their key are each one row already)
        said = False
        for position, lemma in enumerate(self.lemmas):
            if lemma in ("both", "shared", "share", "common", "also"):
                self.mark(position, position + 1)
                said = True
        kind = "difference" if any(c.operator == "NOT IN" for c in plan.conditions) else "intersection"
        if not said:
            # ("both … and …" says the rows must meet each condition; without it the reading is a guess)
            self.penalise(0.9, f"{shown.column} values found on rows meeting each condition ({kind})")
        self.reasoning.append(f"{shown.column} values by two conditions on {column.column} ({kind})")

    def per_sex(self, column: ColumnRef) -> bool:
        """ "The average age of male and female students", "the number of male and female professors": a
        total asked for each of the two sexes is one row per sex, not rows that are both."""
        plan = self.plan
        split = [c for c in plan.conditions if c.expression.column == column and c.subquery is None]
        info = self.column_info(column)
        if (
            info is None
            or identifier_words(info.name)[-1:] not in (["sex"], ["gender"])
            or len(split) != 2
            or any(c.operator != "=" for c in split)
            or plan.group_by
            or not plan.select
            or not all(e.aggregate for e in plan.select)
        ):
            return False
        plan.conditions = [c for c in plan.conditions if c not in split]
        plan.conditions.append(Condition(Expression(column), "IN", [c.value for c in split]))
        plan.group_by.append(Expression(column))
        plan.select.append(Expression(column))
        self.reasoning.append(f"one row for each {column.column}")
        return True

    def row_key(self, shown: list[Expression]) -> ColumnRef | None:
        """ "The first names and ages of students playing both Football and Lacrosse": several columns of
        one table are intersected by that table's key, so each student meeting both conditions is one row."""
        tables = {e.column.table for e in shown if e.column is not None}
        if len(tables) != 1:
            return None
        table = self.table(next(iter(tables)))
        keys = table.primary_keys
        return ColumnRef(table.name, keys[0].name) if len(keys) == 1 else None

    def once_per_row(self, joined: list[str]) -> None:
        """ "The names of physicians who prescribe Thesisin": a table that only restricts the rows, joined on
        its many side, repeats each physician once per prescription; each is shown once."""
        plan = self.plan
        if not self.restricting or plan.distinct or plan.group_by or plan.limit is not None:
            return
        if any(e.aggregate or e.column is None or e.column.column == "*" for e in plan.select):
            return
        shown = {e.column.table for e in plan.select if e.column is not None}
        many = any(
            k.table in self.restricting or k.table not in shown
            for k in self.schema.foreign_keys
            if k.ref_table in shown and k.table in joined and k.table not in shown
        )
        if many:
            plan.distinct = True
            self.reasoning.append("each row once, however many joined rows match")

    def counted_existence(self, slot: Slot) -> bool:
        """ "How many customers have orders?", "how many customers have any orders": the rows counted are the
        subject's that have rows of a table pointing at them."""
        count = self.count_expression
        if count is None or count.column != ColumnRef(self.subject or "", "*") or self.plan.group_by:
            return False
        verb = self.skip_back(slot.start, {"any", "some", "a", "an"})
        if verb < 0 or self.lemmas[verb] not in ("have", "has", "had", "with"):
            return False
        return any(k.table == slot.best.table and k.ref_table == self.subject for k in self.schema.foreign_keys)

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
            if slot.role in ("related", "table") and self.listed(slot) and self.show_listed_table(slot):
                tables.append(table)
            elif slot.role == "related" and self.counted_existence(slot):
                # "how many customers have orders": those with at least one, each counted once
                tables.append(table)
                self.exists_tables.append(table)
            elif slot.role == "related":
                tables.append(table)
                factor = 0.75 if self.count_expression is not None else 0.85
                self.penalise(factor, f"rows of {table} only restrict the answer through the join")
                self.restricting.append(table)
            elif slot.role == "table":
                self.penalise(0.5 if self.listed(slot) else 0.7, f"'{self.span(slot)}' only describes {self.subject}")
        try:
            joined = join_tree(self.schema, tables)[0] if len(tables) > 1 else tables
        except JoinError:
            joined = tables  # reported when the plan is rendered
        self.once_per_row(joined)
        for condition in plan.conditions:
            inner = condition.subquery
            if (
                condition.operator == "NOT IN"
                and inner is not None
                and inner.tables
                and inner.tables[0] != self.subject  # values of the subject's own column: negate_within
                and inner.tables[0] in joined
            ):
                # "scientists not working on the project with the most hours": the excluded rows and the rows
                # joined for the other conditions are the same table; which conditions go where is a guess.
                raise Refusal(f"The question both excludes and joins {inner.tables[0]} rows; I cannot tell which "
                              "conditions belong to the excluded ones.")
        for slot in self.slots:
            shown = any(e.column is not None and e.column.table == slot.best.table for e in plan.select)
            if slot.kind == "table" and slot.role == "table" and not shown and self.listed(slot):
                # "the address and email of the customer": a table named in the list of things to show
                self.penalise(0.5, f"'{self.span(slot)}' is asked for but names a whole table, not a column")
        plan.tables = tables
        self.verb_named_key()
        evidenced = {self.subject} | {slot.best.table for slot in self.slots if slot.kind in ("table", "value")}
        evidenced |= self.through_tables
        # "on flight number 99" for flight.flno: the column's phrase names its table too
        evidenced |= {slot.best.table for slot in self.slots if slot.kind == "column" and self.names_own_table(slot)}
        for table in tables:
            if table not in evidenced:
                self.penalise(0.7, f"joined {table} only because a column name matched there")
        if (
            self.exists_tables
            and self.count_expression is not None
            and self.count_expression.column == ColumnRef(self.subject or "", "*")
            and not plan.group_by
        ):
            keys = self.table(self.subject or "").primary_keys
            if len(keys) != 1:
                raise Refusal(f"I could not tell how to count {self.subject} rows that have {self.exists_tables[0]}.")
            # Each counted row once, however many related rows it has.
            self.count_expression.column = ColumnRef(self.subject or "", keys[0].name)
            self.count_expression.distinct = True
        elif len(tables) > 1 and self.count_expression is not None and self.count_expression.column is not None:
            if self.count_expression.column.column == "*" and self.counted_table:
                self.penalise(0.9, "counting rows across a join")
