"""Analytic questions: a measure or a count, broken down, filtered, windowed in time and ranked.

"total revenue by category", "how many orders per month in 2024", "top 5 customers by sales last
quarter", "which product sold the most". The question is cut into items (cues, schema phrases,
values, dates); every word must be one of them or the question is not this shape and the general
parser gets it. Then one fact table is chosen — the table holding the measure, or the rows counted —
and every other table is joined to it along many-to-one keys only, so no fact row is counted twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .. import lexicon as lx
from ..linking import (
    Mention,
    Token,
    counted_noun,
    flag_condition,
    identifier_words,
    is_name_column,
    tokenize,
    value_mentions,
    verb_names_column,
)
from ..plan import ColumnRef, Condition, Expression, OrderItem, QueryPlan
from ..schema import Column, ForeignKey, SchemaInfo
from . import words as w
from .dates import number_of, window_at
from .links import DESCRIPTION, MAX_PHRASE_WORDS, Link, Reach, link_index, many_to_one


class NotAnalytic(Exception):
    """The question is not of this shape; the general parser should try it."""


class Unsure(Exception):
    """The question is of this shape but answering would be a guess; `reason` is shown."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Item:
    kind: str
    start: int
    end: int
    links: list[Link] = field(default_factory=list)
    value: object = None
    split: tuple[str, list[Link]] | None = None  # "total revenue": also SUM of "revenue"
    negated: bool = False
    mention: Mention | None = None


@dataclass
class Spec:
    """What the question asks, before choosing tables."""

    count: Item | None = None
    measure: Item | None = None
    function: str | None = None
    entity: Item | None = None
    rank: Item | None = None  # what a "top N" / superlative ranks by (a measure or counted table)
    rank_family: str | None = None  # "sold" → quantity, without a named column
    groups: list[Item] = field(default_factory=list)
    buckets: list[str] = field(default_factory=list)
    windows: list[tuple[dt.date, dt.date, str]] = field(default_factory=list)
    values: list[Item] = field(default_factory=list)
    limit: int | None = None
    descending: bool = True
    threshold: tuple[str, int | float] | None = None  # "total sales over 5000": (">", 5000) on the measure
    count_groups: bool = False  # "how many customers have more than 3 orders": the kept groups are counted
    # "the number of orders and the total revenue by channel": further figures over the same rows,
    # (position, function, phrase); COUNT with the phrase naming the rows counted
    extras: list[tuple[int, str, Item]] = field(default_factory=list)
    share: bool = False  # "what share of orders were online": the percentage of the counted rows with the value
    per_group_average: bool = False  # "the average number of orders per customer": the count per group, averaged
    averaged_total: bool = False  # "the average revenue per customer": the total per group, averaged


@dataclass
class Choice:
    """One way to map the spec onto tables, with its score."""

    fact: str
    score: float
    measure: ColumnRef | None
    groups: list[Link]
    values: list[tuple[str, str, str]]
    entity: str | None
    date: ColumnRef | None
    keys: list[ForeignKey]
    notes: list[str]
    penalty: float = 1.0


class Analytic:
    def __init__(self, question: str, schema: SchemaInfo, today: dt.date) -> None:
        self.question = question
        self.schema = schema
        self.today = today
        self.tokens = tokenize(question)
        self.lemmas = [t.lemma for t in self.tokens]
        self.index = link_index(schema)
        self.reasoning: list[str] = []
        self.count_head = False
        self.which_head = False
        self.date_verb: tuple[Token, str | None] | None = None  # "signed up" before a window names its date
        self.assumed: list[str] = []  # readings the question did not spell out (each lowers the confidence)
        self.in_total = False  # "… in total": a compared amount is a sum
        self.new_tables: set[str] = set()  # "new customers": the rows of these tables that began in the window

    # ------------------------------------------------------------------ items

    def at(self, position: int, phrase: tuple[str, ...]) -> bool:
        if position + len(phrase) > len(self.tokens):
            return False
        return all(self.lemmas[position + i] == word or self.tokens[position + i].lower == word for i, word in enumerate(phrase))

    def first_phrase(self, position: int, phrases: list[tuple[str, ...]]) -> tuple[str, ...] | None:
        for phrase in sorted(phrases, key=len, reverse=True):
            if self.at(position, phrase):
                return phrase
        return None

    def schema_span(self, position: int) -> Item | None:
        if self.tokens[position].kind != "word":
            return None
        for length in range(min(MAX_PHRASE_WORDS, len(self.tokens) - position), 0, -1):
            key = tuple(self.lemmas[position : position + length])
            links = self.index.phrases.get(key)
            if not links:
                continue
            item = Item("span", position, position + length, list(links))
            if length > 1 and key[0] in w.AGGREGATES:
                rest = self.index.phrases.get(key[1:])
                if rest:
                    item.split = (w.AGGREGATES[key[0]], list(rest))
            return item
        return None

    def items(self) -> list[Item]:
        values: dict[int, Mention] = {}
        for mention in value_mentions(self.tokens, self.schema):
            if mention.start not in values or values[mention.start].length < mention.length:
                values[mention.start] = mention
        items: list[Item] = []
        position = 0
        head = self.first_phrase(0, w.COUNT_HEADS)
        if head is not None and head != ("number", "of") and head != ("count", "of"):
            self.count_head = True
            items.append(Item("count", 0, len(head)))
            position = len(head)
        else:
            head = self.first_phrase(0, w.HEADS)
            if head is not None:
                self.which_head = head in (("which",), ("what",))
                position = len(head)
        negate = False
        while position < len(self.tokens):
            token = self.tokens[position]
            lemma = self.lemmas[position]
            bucket = next((unit for phrase, unit in w.BUCKETS if self.at(position, phrase)), None)
            if bucket is not None:
                phrase = next(phrase for phrase, unit in w.BUCKETS if self.at(position, phrase))
                items.append(Item("bucket", position, position + len(phrase), value=bucket))
                position += len(phrase)
                continue
            window = window_at(self.tokens, self.today, position)
            if window is not None:
                end, span = window
                items.append(Item("window", position, end, value=span))
                position = end
                continue
            limit = number_of(self.tokens[position + 1]) if position + 1 < len(self.tokens) else None
            if lemma in w.TOP_WORDS and isinstance(limit, int):
                items.append(Item("top", position, position + 2, value=(limit, w.TOP_WORDS[lemma])))
                position += 2
                continue
            threshold = self.threshold_at(position)
            if threshold is not None:
                end, operator, number = threshold
                items.append(Item("threshold", position, end, value=(operator, number)))
                position = end
                continue
            dated = 0 if position in values else self.verb_before_window(position)
            if dated:
                position += dated  # recorded in self.date_verb
                continue
            if self.at(position, ("in", "total")):
                self.in_total = True
                position += 2  # "spent more than 5000 in total" restates the sum
                continue
            if lemma in w.SHARE_WORDS and self.at(position + 1, ("of",)):
                items.append(Item("share", position, position + 2))
                position += 2
                continue
            count_cue = self.first_phrase(position, [("number", "of"), ("count", "of"), ("how", "many")])
            if count_cue is not None:
                items.append(Item("count", position, position + len(count_cue)))
                position += len(count_cue)
                continue
            if lemma in w.NEGATIONS:
                negate = True
                position += 1
                continue
            flag = self.flag_at(position)
            if flag is not None:
                items.append(Item("value", position, position + 1, mention=flag, negated=negate))
                negate = False
                position += 1
                continue
            mention = values.get(position)
            span = self.schema_span(position)
            if mention is not None and (span is None or mention.length > span.end - span.start) and self.real_value(mention):
                items.append(Item("value", position, mention.end, mention=mention, negated=negate))
                negate = False
                position = mention.end
                continue
            if (
                span is not None
                and span.end == position + 1
                and lemma in w.AGGREGATES
                and position + 1 < len(self.tokens)
                and self.schema_span(position + 1) is not None
            ):
                # "total sales by country": "total" names a column too, but before a measure it is the sum
                items.append(Item("aggregate", position, position + 1, value=w.AGGREGATES[lemma]))
                position += 1
                continue
            if span is not None and not (lemma in w.FILLER and span.end - span.start == 1):
                items.append(span)
                position = span.end
                continue
            group = self.first_phrase(position, w.GROUP_CUES)
            if group is not None:
                items.append(Item("group", position, position + len(group)))
                position += len(group)
                continue
            if lemma in w.AGGREGATES:
                items.append(Item("aggregate", position, position + 1, value=w.AGGREGATES[lemma]))
            elif lemma in w.SUPERLATIVES:
                items.append(Item("superlative", position, position + 1, value=w.SUPERLATIVES[lemma]))
            elif token.lower in w.MEASURE_VERBS:
                items.append(Item("verb", position, position + 1, value=w.MEASURE_VERBS[token.lower]))
            elif lemma in ("distinct", "different", "unique"):
                items.append(Item("distinct", position, position + 1))
            elif token.lower in w.RELATIVES:
                items.append(Item("relative", position, position + 1))
            elif lemma == "and":
                items.append(Item("and", position, position + 1))
            elif lemma == "new" and self.names_table(position + 1):
                # "new customers last month": customers whose own date falls in the window (checked when built)
                named = self.schema_span(position + 1)
                self.new_tables |= {link.table for link in named.links if link.column is None}  # type: ignore[union-attr]
            elif token.lower in w.PASSIVE_VERBS and self.particle_ends(position):
                # "users who are logged in": a verb and a particle ending the question state a condition
                raise NotAnalytic(f"'{token.text}' states a condition")
            elif {lemma, token.lower} & (w.FILLER | w.PASSIVE_VERBS) or token.kind == "symbol" and token.text in "?.,":
                pass
            else:
                raise NotAnalytic(f"'{token.text}'")
            position += 1
        if negate:
            raise NotAnalytic("a negation without a value")
        return items

    def names_table(self, position: int) -> bool:
        """Whether a phrase naming a table starts at `position`."""
        named = self.schema_span(position) if position < len(self.tokens) else None
        return named is not None and any(link.column is None for link in named.links)

    def threshold_at(self, position: int) -> tuple[int, str, int | float] | None:
        """(end, operator, number) for "more than 3", "over 5000", "at least 10" starting at `position`."""
        phrase = self.first_phrase(position, [p for p, _ in w.AMOUNT_COMPARATORS])
        if phrase is None:
            return None
        end = position + len(phrase)
        number = number_of(self.tokens[end]) if end < len(self.tokens) else None
        if number is None or self.tokens[end].text.endswith("%"):
            return None
        operator = next(op for p, op in w.AMOUNT_COMPARATORS if p == phrase)
        return end + 1, operator, number

    def flag_at(self, position: int) -> Mention | None:
        """ "active customers": an adjective before a table that names one of its yes/no columns."""
        token = self.tokens[position]
        if token.kind != "word":
            return None
        following = self.schema_span(position + 1) if position + 1 < len(self.tokens) else None
        if following is None:
            # "what percentage of customers are active": the adjective after the verb
            back = position - 1
            while back >= 0 and self.lemmas[back] in ("are", "is", "were", "was", "be", "that", "who", "which"):
                back -= 1
            if back == position - 1 or back < 0:
                return None
            following = next((self.schema_span(start) for start in range(back, -1, -1)
                              if (span := self.schema_span(start)) is not None and span.end == back + 1), None)
            if following is None:
                return None
        for link in following.links:
            table = self.schema.table(link.table)
            found = flag_condition(table, token) if link.column is None and table is not None else None
            if found is not None:
                column, value = found
                return Mention(position, position + 1, "value", table.name, column.name, value, 1.0,  # type: ignore[union-attr]
                               [(table.name, column.name, value)])  # type: ignore[list-item,union-attr]
        return None

    def verb_before_window(self, position: int) -> int:
        """ "customers who signed up in 2024", "products launched last year": a participle (and its particle)
        right before a time window says which date the window applies to."""
        token = self.tokens[position]
        participle = len(token.lower) >= 5 and token.lower.endswith("ed") or token.lower in lx.IRREGULAR_PARTICIPLES
        if token.kind != "word" or not participle or self.date_verb is not None:
            return 0
        after = position + 1
        particle = None
        if after < len(self.tokens) and self.lemmas[after] in lx.PARTICLES:
            particle, after = self.lemmas[after], after + 1
        if after >= len(self.tokens):
            return 0  # "how many orders were shipped": a verb ending the question
        bucket = any(self.at(after, phrase) for phrase, _ in w.BUCKETS)
        if not bucket and window_at(self.tokens, self.today, after) is None:
            return 0
        self.date_verb = (token, particle)
        return after - position

    def particle_ends(self, position: int) -> bool:
        """Whether only a particle follows `position` ("logged in", "checked out"), unlike "orders placed in
        2024" or "bookings made"."""
        rest = [self.lemmas[i] for i in range(position + 1, len(self.tokens)) if self.tokens[i].kind != "symbol"]
        return len(rest) == 1 and rest[0] in ("in", "on", "out", "off", "up")

    def real_value(self, mention: Mention) -> bool:
        """Values typed in lowercase that are also ordinary words ("active", "total") are not filters."""
        if mention.score >= 0.9:
            return True
        return all(
            self.lemmas[i] not in w.FILLER | set(w.AGGREGATES) | set(w.SUPERLATIVES) for i in range(mention.start, mention.end)
        )

    # ------------------------------------------------------------------ spec

    def spec(self, items: list[Item], split: bool) -> Spec:
        spec = Spec()
        spans: list[Item] = []
        kinds = [item.kind for item in items]
        i = 0
        while i < len(items):
            item = items[i]
            following = items[i + 1] if i + 1 < len(items) else None
            if item.kind == "bucket":
                spec.buckets.append(str(item.value))
            elif item.kind == "window":
                spec.windows.append(item.value)  # type: ignore[arg-type]
            elif item.kind == "value":
                spec.values.append(item)
            elif item.kind == "top":
                if spec.limit is not None:
                    raise NotAnalytic("two rankings")
                spec.limit, spec.descending = item.value  # type: ignore[misc]
                if following is None or following.kind != "span":
                    raise NotAnalytic("top N of what")
                spec.entity = following
                i += 1
                if i + 1 < len(items) and items[i + 1].kind == "group":
                    i += 1
                    target = items[i + 1] if i + 1 < len(items) else None
                    if target is not None and target.kind == "count" and i + 2 < len(items) and items[i + 2].kind == "span":
                        spec.rank, spec.function = items[i + 2], "COUNT"
                        i += 2
                    elif target is not None and target.kind == "aggregate" and i + 2 < len(items) and items[i + 2].kind == "span":
                        spec.rank, spec.function = items[i + 2], str(target.value)
                        i += 2
                    elif target is not None and target.kind == "span":
                        spec.rank = target
                        i += 1
                    else:
                        raise NotAnalytic("top N by what")
            elif item.kind == "group":
                if following is None or following.kind != "span":
                    raise NotAnalytic("grouped by what")
                spec.groups.append(following)
                i += 1
            elif item.kind == "aggregate" and item.value == "AVG" and following is not None and following.kind == "count":
                spec.per_group_average = True  # "the average number of orders per customer"; the count comes next
            elif item.kind == "aggregate":
                if following is None or following.kind != "span":
                    raise NotAnalytic("an aggregate of what")
                if i > 0 and items[i - 1].kind == "and" and (spec.function is not None or spec.count is not None):
                    spec.extras.append((item.start, str(item.value), following))  # "… and the average price"
                elif spec.function is not None:
                    raise NotAnalytic("two measures not listed with 'and'")
                else:
                    spec.function, spec.measure = str(item.value), following
                i += 1
            elif item.kind == "count":
                while following is not None and following.kind == "value" and following.end == following.start + 1:
                    spec.values.append(following)  # "how many active customers": the adjective filters them
                    i += 1
                    following = items[i + 1] if i + 1 < len(items) else None
                nxt = following
                if nxt is not None and nxt.kind == "distinct":
                    raise NotAnalytic("count distinct is left to the general parser")
                if nxt is None or nxt.kind != "span":
                    raise NotAnalytic("count of what")
                if i > 0 and items[i - 1].kind == "and" and (spec.count is not None or spec.measure is not None):
                    spec.extras.append((item.start, "COUNT", nxt))  # "… and the number of orders"
                elif spec.count is not None:
                    raise NotAnalytic("count of what")
                else:
                    spec.count = nxt
                i += 1
            elif item.kind == "superlative":
                if spec.limit is not None:
                    raise NotAnalytic("two rankings")
                spec.limit, spec.descending = 1, bool(item.value)
                if following is not None and following.kind == "span":
                    spec.rank = following
                    i += 1
                elif following is not None and following.kind == "count" and i + 2 < len(items) and items[i + 2].kind == "span":
                    spec.rank, spec.function = items[i + 2], "COUNT"
                    i += 2
                elif (
                    following is not None
                    and following.kind == "aggregate"
                    and i + 2 < len(items)
                    and items[i + 2].kind == "span"
                    and spec.function is None
                ):
                    # "which department has the highest average salary": ranked by the average
                    spec.rank, spec.function = items[i + 2], str(following.value)
                    i += 2
            elif item.kind == "verb":
                spec.rank_family = str(item.value)
            elif item.kind == "threshold":
                if spec.threshold is not None or spec.limit is not None:
                    raise NotAnalytic("a comparison with a ranking")
                spec.threshold = item.value  # type: ignore[assignment]
                if following is not None and following.kind == "span":
                    # "customers with more than 3 orders": the rows of the table that follows are counted
                    if self.count_head and spec.count is not None and spec.entity is None and spec.measure is None:
                        # "how many customers have more than 3 orders": customers kept, then counted
                        spec.entity, spec.count_groups = spec.count, True
                        spec.count = None
                    if spec.count is not None or spec.measure is not None or spec.rank_family is not None:
                        raise NotAnalytic("a comparison inside a count")
                    if self.names_a_column(following):
                        if not self.in_total:
                            raise NotAnalytic("'more than 10 hours' may be each row's hours, not a total")
                        spec.measure, spec.function = following, "SUM"  # "more than 10 hours in total"
                    else:
                        spec.count = following
                    i += 1
            elif item.kind == "share":
                if following is None or following.kind != "span" or spec.count is not None or spec.measure is not None:
                    raise NotAnalytic("a share of what")
                spec.count, spec.share = following, True
                i += 1
            elif item.kind == "relative":
                pass  # checked below: only a comparison may follow "whose" / "who"
            elif item.kind == "and":
                listed = bool(spec.count or spec.measure or spans)
                if following is not None and following.kind == "span" and listed and self.amount(following):
                    # "the number of orders and total revenue": a further figure, named by a phrase
                    spec.extras.append((following.start, "", following))
                    i += 1
                elif following is None or following.kind not in ("aggregate", "count"):
                    raise NotAnalytic("'and' between things that are not measures")
            elif item.kind == "span":
                spans.append(item)
            else:
                raise NotAnalytic(item.kind)
            i += 1
        if split and spec.threshold is not None and self.own_column_compared(spans):
            # "orders with a total amount over 1000": the listed rows' own "total amount", compared row by row
            raise NotAnalytic("a comparison of the listed rows' own column")
        if split and spec.measure is None and spec.count is None:
            splittable = [s for s in spans if s.split]
            if len(splittable) == 1:
                function, links = splittable[0].split  # type: ignore[misc]
                spans.remove(splittable[0])
                spec.function, spec.measure = function, Item("span", splittable[0].start + 1, splittable[0].end, links)
            elif not splittable and spec.rank is not None and spec.rank.split and spec.function is None:
                # "the highest average order value": ranked by the average of the order value
                function, links = spec.rank.split
                spec.function, spec.rank = function, Item("span", spec.rank.start + 1, spec.rank.end, links)
        if spec.function == "AVG" and spec.measure is not None and spec.groups and not self.names_a_column(spec.measure):
            # "the average orders per customer": rows of a table named after "average" are counted per group
            spec.count, spec.measure, spec.function, spec.per_group_average = spec.measure, None, None, True
        if (
            spec.function == "AVG"
            and spec.measure is not None
            and len(spec.groups) == 1
            and set(self.lemmas[spec.measure.start : spec.measure.end]) & w.TOTAL_NOUNS
            and not (spec.buckets or spec.limit is not None or spec.threshold is not None or spec.extras or spec.share)
        ):
            spec.averaged_total = True  # revenue is a total: per customer it is the sum of their rows
        if spec.per_group_average and (
            spec.count is None or len(spec.groups) != 1 or spec.buckets or spec.limit is not None
            or spec.threshold is not None or spec.extras or spec.share
        ):
            raise NotAnalytic("an average of a count needs one count per one kind of group")
        if spec.share and (len(spec.values) != 1 or spec.limit is not None or spec.threshold is not None or spec.extras):
            raise NotAnalytic("a share needs exactly one value to measure")
        if spec.threshold is not None:
            self.threshold_spec(spec, spans, kinds)
        elif "relative" in kinds and self.date_verb is None and not spec.share:
            raise NotAnalytic("a relative clause")  # "who signed up in 2024" is the date's verb
        # What is left names the thing ranked ("which product …") or a bare measure ("revenue by …").
        if spec.limit == 1 and spec.entity is None and self.which_head and spans:
            spec.entity = spans.pop(0)
        if spec.limit is not None and spec.entity is None:
            raise NotAnalytic("a ranking of nothing named")
        if spec.rank_family and spec.limit is None and spec.threshold is None:
            raise NotAnalytic("'sold' without a ranking")
        if spec.rank is None and spec.limit is not None and spec.rank_family is None:
            if spans and spec.entity is not None:
                spec.rank = spans.pop(0)
            elif spec.entity is not None and "top" in kinds and self.index.phrases.get(("revenue",)):
                # "who are our top 10 customers": read as "… by revenue", when the data knows what revenue is
                spec.rank = Item("span", spec.entity.end, spec.entity.end, list(self.index.phrases[("revenue",)]))
                self.assumed.append("no measure was named; ranked by revenue")
            else:
                raise NotAnalytic("ranked by what")
        if spec.count is None and spec.measure is None and spec.limit is None and len(spans) == 1:
            if (spec.groups or spec.buckets) and not self.names_a_column(spans[0]):
                spec.count = spans.pop()  # "orders by channel": the orders are counted
            elif spec.groups or spec.buckets or spec.windows and self.names_a_column(spans[0]):
                spec.measure = spans.pop()
            elif self.count_head:
                spec.count = spans.pop()
        if spans and spec.count is not None and not spec.extras and len(spans) == 1 and "and" in kinds and self.amount(spans[0]):
            # "revenue and number of orders per month": a bare amount listed before the count
            first = spans.pop()
            spec.extras.append((first.start, "", first))
        if spec.extras and (spec.limit is not None or spec.threshold is not None or spec.entity is not None):
            raise NotAnalytic("several measures with a ranking or a comparison")
        if spans:
            raise NotAnalytic("unplaced words")
        counted_extra = any(function == "COUNT" for _, function, _ in spec.extras)
        if "count" in kinds and spec.count is None and spec.function != "COUNT" and not spec.count_groups and not counted_extra:
            raise NotAnalytic("a count cue that counts nothing")
        if spec.count is None and spec.measure is None and spec.limit is None and spec.rank_family is None:
            raise NotAnalytic("nothing measured")
        if spec.count is not None and spec.measure is not None:
            raise NotAnalytic("a count and a measure")
        return spec

    @staticmethod
    def own_column_compared(spans: list[Item]) -> bool:
        """Whether the phrase that could be split ("total amount") is a column of the table listed first."""
        whole = next((span for span in spans if span.split), None)
        if whole is None or not spans or spans[0] is whole:
            return False
        listed = {link.table for link in spans[0].links if link.column is None}
        return any(link.column is not None and link.table in listed for link in whole.links)

    @staticmethod
    def names_a_column(item: Item) -> bool:
        """ "revenue" names a column before a table; "orders" names the table ("orders last month" lists them)."""
        best = max((link.tier for link in item.links), default=0.0)
        return all(link.column is not None for link in item.links if link.tier == best)

    def threshold_spec(self, spec: Spec, spans: list[Item], kinds: list[str]) -> None:
        """ "customers whose total sales exceed 5000", "customers with more than 3 orders in 2024", "customers who
        spent more than 500": the listed thing is grouped and the total or count compared (HAVING)."""
        if self.count_head and spec.count is not None and (spec.measure is not None or spec.rank_family is not None):
            # "how many countries have total sales over 20000": the countries kept are counted
            if spec.entity is not None or spec.groups:
                raise NotAnalytic("a count of what")
            spec.entity, spec.count_groups = spec.count, True
            spec.count = None
        if spec.rank_family is not None and spec.measure is None and spec.count is None:
            spec.function = spec.function or "SUM"  # "spent more than 500": the amount spent, added up
        if spec.count is None and spec.measure is None and spec.rank_family is None:
            raise NotAnalytic("a comparison of nothing measured")
        if spec.measure is not None and spec.function is None:
            raise NotAnalytic("'sales over 5000' may be each row's amount, not a total")
        additive = spec.count is not None or spec.function in ("SUM", None)
        if spec.threshold is not None and spec.threshold[0] in ("<", "<=") and additive:
            # "customers with fewer than 2 orders / total sales under 100" include those with none, which rows
            # read from the orders cannot show; the general parser keeps them (or refuses). An average below
            # 50 has no such rows: nothing to average is no average.
            raise NotAnalytic("a count or total from above also means none")
        if spec.entity is None and spans and spans[0].start < min(
            (item.start for item in (spec.count, spec.measure) if item is not None), default=len(self.tokens)
        ):
            spec.entity = spans.pop(0)
        if spec.entity is None and not spec.groups:
            raise NotAnalytic("a comparison with nothing listed")

    # ------------------------------------------------------------------ choose tables

    def numeric(self, table: str, column: str) -> Column | None:
        info = self.schema.column(table, column)
        if info is None or not info.is_numeric or self.is_key(info):
            return None
        return info

    def is_key(self, column: Column) -> bool:
        if column.primary_key or identifier_words(column.name)[-1:] in (["id"], ["key"], ["code"]):
            return True
        return any((k.table, k.column) == (column.table, column.name) for k in self.schema.foreign_keys)

    def family_columns(self, family: str) -> list[Link]:
        """Numeric columns whose name, alias, synonym or description says they hold `family` measures."""
        vocabulary = w.QUANTITY_WORDS if family == "quantity" else w.MONEY_WORDS
        links = []
        for (table, column), found in self.index.column_words.items():
            if self.numeric(table, column) is None:
                continue
            tier = max((found[word] for word in vocabulary if word in found), default=0.0)
            if tier:
                links.append(Link(table, column, tier))
        return links

    def date_column(self, fact: str, reach: dict[str, Reach]) -> tuple[ColumnRef, int] | None:
        """The date a window or bucket applies to: the one the verb before the window names ("signed up in
        2024" → signup_date), else the fact table's own date, else its nearest parent's."""
        if self.date_verb is not None:
            verb, particle = self.date_verb
            named = [
                (ColumnRef(table_name, column.name), reach[table_name].distance)
                for table_name in reach
                for column in self.schema.table(table_name).columns  # type: ignore[union-attr]
                if column.is_date and not column.is_numeric and verb_names_column(verb, particle, column.name)
            ]
            if len(named) == 1:
                return named[0]
            if len(named) > 1:
                raise Unsure(f"'{verb.text}' could be {', '.join(ref.column for ref, _ in named)}; say which date")
            if verb.lower not in w.PASSIVE_VERBS:
                raise Unsure(f"I could not tell which date '{verb.text}' refers to")
        for table_name in sorted(reach, key=lambda t: reach[t].distance):
            table = self.schema.table(table_name)
            assert table is not None
            dates = [c for c in table.columns if c.is_date and not c.is_numeric and not c.pii]
            if len(dates) > 1:
                named = [c for c in dates if set(identifier_words(c.name)) & set(identifier_words(table.name))]
                dates = named if len(named) == 1 else dates
            if len(dates) == 1:
                return ColumnRef(table_name, dates[0].name), reach[table_name].distance
            if len(dates) > 1:
                raise Unsure(f"{table_name} has several dates ({', '.join(c.name for c in dates)}); say which one")
        return None

    def candidates(self, spec: Spec) -> list[Choice]:
        facts: list[tuple[str, ColumnRef | None, float]] = []
        if spec.count is not None:
            facts = [(link.table, None, link.tier) for link in spec.count.links if link.column is None]
            if not facts:
                raise NotAnalytic("counting a column")
        elif spec.measure is not None:
            for link in spec.measure.links:
                if link.column is not None and self.numeric(link.table, link.column):
                    facts.append((link.table, ColumnRef(link.table, link.column), link.tier))
            if not facts and spec.function is None:
                raise NotAnalytic("a bare phrase that is not a measure")
            if not facts:
                raise Unsure(f"'{self.text(spec.measure)}' is not a number I can total or average")
        else:
            rank_links = spec.rank.links if spec.rank is not None else self.family_columns(spec.rank_family or "")
            for link in rank_links:
                if link.column is None:
                    facts.append((link.table, None, link.tier))
                elif self.numeric(link.table, link.column):
                    facts.append((link.table, ColumnRef(link.table, link.column), link.tier))
            if spec.rank is None and spec.rank_family is not None:
                facts = [f for f in facts if f[2] > DESCRIPTION] or facts
            if spec.function == "COUNT":
                facts = [f for f in facts if f[1] is None]
            if not facts:
                raise Unsure("I could not tell what to rank by")
        choices = []
        for fact, measure, tier in facts:
            choice = self.place(spec, fact, measure, tier)
            if choice is not None:
                choices.append(choice)
        return choices

    def place(self, spec: Spec, fact: str, measure: ColumnRef | None, tier: float) -> Choice | None:
        reach = many_to_one(self.schema, fact)
        score, notes, keys, penalty = tier, [], [], 1.0
        table = self.schema.table(fact)
        assert table is not None
        if table.primary_keys:
            score += 0.3  # a base table rather than a view over it
        if measure is not None and spec.function is None and spec.limit is not None:
            score += 0.2  # "top 5 customers by sales": an amount, rather than a count of sales rows
        entity = None
        groups: list[Link] = []
        if spec.entity is not None:
            options = [link for link in spec.entity.links if link.table in reach and not self.unasked_key(link)]
            if not options:
                return None
            best = max(options, key=lambda link: (link.tier, -reach[link.table].distance, link.column is None))
            if best.column is not None:
                # "which state has the most customers": rank the values of a column.
                groups.append(best)
            else:
                entity = best.table
                if entity == fact and (measure is None or spec.threshold is not None):
                    return None  # counting rows of the ranked table itself is always one
            score += best.tier - reach[best.table].distance * 0.5
        for group in spec.groups:
            # "per customer" is never a customer_count column: a count is not something to group by
            links = [link for link in group.links if link.column is None or not counted_noun(identifier_words(link.column))]
            found = self.best_link(links, reach)
            if found is None:
                return None
            link, tied = found
            if tied:
                penalty *= 0.85
                notes.append(f"'{self.text(group)}' read as {link.table}.{link.column or link.table}; other columns match too")
            groups.append(link)
            score += link.tier - reach[link.table].distance * 0.5
        values = []
        for item in spec.values:
            assert item.mention is not None
            hits = [hit for hit in item.mention.candidates if hit[0] in reach]
            if not hits:
                return None
            hits.sort(key=lambda hit: reach[hit[0]].distance)
            if len({(h[0], h[1]) for h in hits if reach[h[0]].distance == reach[hits[0][0]].distance}) > 1:
                penalty *= 0.85
                notes.append(f"'{self.text(item)}' appears in several columns; used {hits[0][0]}.{hits[0][1]}")
            values.append(hits[0])
            score += 1.0 - reach[hits[0][0]].distance * 0.5
        date = None
        if spec.windows or spec.buckets:
            found_date = self.date_column(fact, reach)
            if found_date is None:
                return None
            date, distance = found_date
            score -= distance * 0.5
        used = {fact} | {self.group_table(link, reach) for link in groups} | {hit[0] for hit in values}
        used |= {entity} if entity else set()
        used |= {date.table} if date else set()
        for table_name in used:
            for key in reach[table_name].keys:
                if key not in keys:
                    keys.append(key)
            if reach[table_name].ways > 1:
                penalty *= 0.85
                notes.append(f"more than one way to join {fact} to {table_name}; used {reach[table_name].keys[-1].column}")
        return Choice(fact, score, measure, groups, values, entity, date, keys, notes, penalty)

    def unasked_key(self, link: Link) -> bool:
        """A key column ("country_id") when the question names the thing ("countries"), not its id."""
        if link.column is None or lx.KEY_WORDS & set(self.lemmas):
            return False
        return identifier_words(link.column)[-1:] in (["id"], ["key"])

    def group_table(self, link: Link, reach: dict[str, Reach]) -> str:
        """The table a breakdown is read from: a table named as a group is read through the key to it, and
        joined when it has a name to show."""
        if link.column is None and reach[link.table].keys:
            if self.shown_names(link.table, reach[link.table].keys[-1]):
                return link.table
            return reach[link.table].keys[-1].table
        return link.table

    def best_link(self, links: list[Link], reach: dict[str, Reach]) -> tuple[Link, bool] | None:
        """The best reachable link: highest tier, then nearest; a column beats a table at equal footing."""
        options = [link for link in links if link.table in reach]
        if not options:
            return None

        def rank(link: Link) -> tuple[float, int, int]:
            return (link.tier, -reach[link.table].distance, 1 if link.column else 0)

        options.sort(key=rank, reverse=True)
        best = options[0]
        tied = [o for o in options[1:] if rank(o) == rank(best) and o.table != best.table]
        return best, bool(tied)

    # ------------------------------------------------------------------ plan

    def eponymous_key(self, ref: ColumnRef) -> ForeignKey | None:
        """The foreign key `ref` is when it is named after the table it points at ("room" → rooms,
        "party_id" → party) and the question did not ask for the key itself."""
        for key in self.schema.foreign_keys:
            if (key.table, key.column) != (ref.table, ref.column):
                continue
            own = [w for w in identifier_words(key.column) if w not in lx.KEY_WORDS]
            if own and own == identifier_words(key.ref_table) and not lx.KEY_WORDS & set(self.lemmas):
                return key
        return None

    def shown_names(self, table_name: str, key: ForeignKey) -> list[ColumnRef]:
        """The name columns of a grouped table, when the key pointing at it is not already its name."""
        table = self.schema.table(table_name)
        if table is None or not table.primary_keys:
            return []
        names = self.display(table_name)[1:]
        if any(ref.column == key.ref_column for ref in names):
            return []  # "per department" over a dept_name key: the key is the name
        return names

    def display(self, table_name: str) -> list[ColumnRef]:
        """The key and the columns that name a row to a person (name/title, or first + last name)."""
        table = self.schema.table(table_name)
        assert table is not None
        keys = [ColumnRef(table.name, c.name) for c in table.primary_keys]
        named = [c for c in table.columns if is_name_column(c)] or [
            # country.country, city.city: a text column named as its table names the rows
            c for c in table.columns if not c.is_numeric and identifier_words(c.name) == identifier_words(table.name)
        ]
        exact = [
            c
            for c in named
            if len(identifier_words(c.name)) == 1 or identifier_words(c.name)[:-1] == identifier_words(table.name)
        ]
        firsts = [c for c in named if "first" in identifier_words(c.name)]
        lasts = [c for c in named if "last" in identifier_words(c.name)]
        if exact:
            names = [exact[0]]
        elif firsts and lasts:
            names = [firsts[0], lasts[0]]
        elif len(named) == 1:
            names = named
        else:
            names = []
        refs = keys[:1] + [ColumnRef(table.name, c.name) for c in names]
        if not refs:
            raise Unsure(f"I could not tell how to name each {table.name}")
        return refs

    def group_refs(self, link: Link, reach: dict[str, Reach]) -> tuple[list[ColumnRef], list[ColumnRef]]:
        """(grouped, shown). "per department": grouped by the key that points at the department and shown
        by the department's name when it has one (a person reads names, not keys); by the key otherwise."""
        if link.column is not None:
            ref = ColumnRef(link.table, link.column)
            key = self.eponymous_key(ref)
            names = self.shown_names(key.ref_table, key) if key is not None else []
            if names:
                # "which room has the most reservations" over reservations.room → rooms: the room's name
                return [ref, *names], names
            return [ref], [ref]
        if link.table in reach and reach[link.table].keys:
            key = reach[link.table].keys[-1]
            names = self.shown_names(link.table, key)
            grouped = [ColumnRef(key.table, key.column)]
            return grouped + names, names or grouped
        refs = self.display(link.table)
        return refs, refs

    def build(self, spec: Spec, choice: Choice) -> QueryPlan:
        plan = QueryPlan()
        fact = choice.fact
        if self.new_tables and (fact not in self.new_tables or choice.date is None or choice.date.table != fact):
            # "revenue from new customers": new by the customers' date, not the orders' — not read yet
            raise Unsure("'new' needs a period over those rows' own date, e.g. 'new customers last month'")
        if spec.count is not None or (spec.function == "COUNT") or (choice.measure is None):
            metric = Expression(ColumnRef(fact, "*"), "COUNT")
        else:
            function = spec.function or ("SUM" if spec.limit is not None or self.additive(spec, choice.measure) else None)
            function = "SUM" if spec.averaged_total else function
            if function is None:
                raise Unsure(f"'{choice.measure.column}' is not an amount to add up; say total, average, highest or lowest")
            metric = Expression(choice.measure, function)
        shown: list[Expression] = []
        group_by: list[Expression] = []
        if choice.entity is not None and (choice.entity != fact or choice.measure is not None and spec.function is None):
            refs = self.display(choice.entity)
            names = refs[1:] or refs[:1] if self.schema.table(choice.entity).primary_keys else refs  # type: ignore[union-attr]
            if choice.entity == fact and choice.measure is not None:
                # "top 5 products by price": the measure is the product's own column; no totals.
                metric = Expression(choice.measure)
            else:
                group_by.extend(Expression(ref) for ref in refs)
            shown.extend(Expression(ref) for ref in names)
        reach = many_to_one(self.schema, fact)
        for link in choice.groups:
            grouped, named = self.group_refs(link, reach)
            shown.extend(Expression(ref) for ref in named)
            group_by.extend(Expression(ref) for ref in grouped)
        buckets = [Expression(choice.date, date_part=part) for part in spec.buckets] if choice.date else []
        metrics = [(spec.measure.start if spec.measure else spec.count.start if spec.count else 0, metric)]
        metrics += [(start, self.extra_metric(function, item, choice)) for start, function, item in spec.extras]
        metric_list = [m for _, m in sorted(metrics, key=lambda pair: pair[0])]
        # "Which product sold the most?" asks for the product; "top 5 … by sales" also shows the sales.
        # "Customers with more than 3 orders" asks which customers, not how many orders each has.
        answer_only = (spec.limit == 1 or spec.threshold is not None) and not spec.groups and not buckets and bool(shown)
        plan.select = buckets + shown + ([] if answer_only else metric_list)
        plan.group_by = buckets + [e for i, e in enumerate(group_by) if e not in group_by[:i]]
        assert all(e.column is not None for e in plan.group_by)
        for first, after, label in spec.windows:
            assert choice.date is not None
            if first > dt.date(1, 1, 1):
                plan.conditions.append(Condition(Expression(choice.date), ">=", first.isoformat()))
            if after < dt.date(9999, 1, 1):
                plan.conditions.append(Condition(Expression(choice.date), "<", after.isoformat()))
            self.reasoning.append(f"{label}: {choice.date.column} from {first.isoformat()} up to {after.isoformat()}")
        for item, (table, column, value) in zip(spec.values, choice.values, strict=True):
            condition = Condition(Expression(ColumnRef(table, column)), "!=" if item.negated else "=", value)
            if spec.share:
                # "what share of orders were online": the value is what is measured, not a filter
                share = Expression(ColumnRef(fact, "*"), "SHARE", share_of=condition)
                plan.select = [share if e is metric else e for e in plan.select]
                self.reasoning.append(f"the percentage of {fact} rows with {column} {condition.operator} {value}")
            else:
                plan.conditions.append(condition)
        if spec.threshold is not None:
            operator, number = spec.threshold
            plan.having.append(Condition(metric, operator, number))
            if spec.count_groups:
                # one count over the kept groups: the engine counts around the grouped query
                plan.select = [Expression(ColumnRef(fact, "*"), "COUNT")]
            else:
                plan.order_by.append(OrderItem(metric, True))
            self.reasoning.append(f"kept the groups whose {self.metric_words(metric)} is {operator} {number}")
        if spec.limit is not None:
            plan.order_by.append(OrderItem(metric, spec.descending))
            plan.limit = spec.limit
        elif buckets:
            plan.order_by.extend(OrderItem(bucket) for bucket in buckets)
        if spec.per_group_average or spec.averaged_total:
            # the count (or total) per group, averaged by the engine around the grouped query (groups without
            # rows have nothing to average: it is the average over the groups that have some)
            plan.select, plan.order_by = [metric], []
            plan.averaged_groups = True
            what = f"number of {fact} rows" if spec.per_group_average else f"total {self.metric_words(metric)}"
            self.reasoning.append(f"averaged the {what} over the groups that have any")
        plan.tables = [fact] + [t for t in self.tables_of(plan) if t != fact]
        plan.join_keys = list(choice.keys)
        return plan

    def amount(self, item: Item) -> bool:
        """Whether a phrase names an amount that can be added up ("revenue", "total revenue"), not a
        category to list ("origins", "party names")."""
        links = list(item.links) + (list(item.split[1]) if item.split else [])
        return any(
            link.column is not None and self.numeric(link.table, link.column) is not None
            and (item.split is not None or self.additive(Spec(), ColumnRef(link.table, link.column)))
            for link in links
        )

    def extra_metric(self, function: str, item: Item, choice: Choice) -> Expression:
        """A further figure over the chosen rows: a count of them, or an aggregate of one of their columns."""
        fact = choice.fact
        if function == "COUNT":
            if any(link.table == fact and link.column is None for link in item.links):
                return Expression(ColumnRef(fact, "*"), "COUNT")
            raise Unsure(f"'{self.text(item)}' are not the rows the other figures are computed over")
        columns = [link for link in item.links if link.table == fact and link.column and self.numeric(fact, link.column)]
        if not columns and not function and item.split is not None:
            # "total revenue" over orders: the sum of what "revenue" names there
            function, links = item.split
            columns = [link for link in links if link.table == fact and link.column and self.numeric(fact, link.column)]
        if not columns:
            raise Unsure(f"'{self.text(item)}' is not a number of the rows the other figures are computed over")
        ref = ColumnRef(fact, max(columns, key=lambda link: link.tier).column or "")
        if not function:
            if not self.additive(Spec(), ref):
                raise Unsure(f"'{ref.column}' is not an amount to add up; say total, average, highest or lowest")
            function = "SUM"
        return Expression(ref, function)

    @staticmethod
    def metric_words(metric: Expression) -> str:
        assert metric.column is not None
        if metric.column.column == "*":
            return f"number of {metric.column.table} rows"
        return f"{(metric.aggregate or '').lower()} of {metric.column.column}"

    def additive(self, spec: Spec, measure: ColumnRef) -> bool:
        words = set(self.lemmas[spec.measure.start : spec.measure.end]) if spec.measure else set()
        words |= set(identifier_words(measure.column))
        return bool(words & w.ADDITIVE_WORDS) and not words & w.RATE_WORDS

    @staticmethod
    def tables_of(plan: QueryPlan) -> list[str]:
        tables: list[str] = []
        expressions = plan.select + plan.group_by + [c.expression for c in plan.conditions]
        expressions += [e.share_of.expression for e in plan.select if e.share_of is not None]
        for expression in expressions:
            if expression.column is not None and expression.column.table not in tables:
                tables.append(expression.column.table)
        return tables

    def text(self, item: Item) -> str:
        return " ".join(t.text for t in self.tokens[item.start : item.end])

    # ------------------------------------------------------------------ entry

    def interpret(self) -> tuple[QueryPlan, float, list[str]]:
        items = self.items()
        attempts = [False, True] if any(item.split for item in items) else [False]
        best: tuple[float, Spec, Choice] | None = None
        problems: list[str] = []
        unsure_reason: str | None = None
        for split in attempts:
            try:
                spec = self.spec(items, split)
            except NotAnalytic as error:
                problems.append(str(error))
                continue
            try:
                choices = self.candidates(spec)
            except Unsure as unsure:
                problems.append(unsure.reason)
                unsure_reason = unsure_reason or unsure.reason
                continue
            if not choices:
                continue
            choices.sort(key=lambda c: -c.score)
            top = choices[0]
            rivals = [
                c for c in choices[1:] if abs(c.score - top.score) < 1e-9 and (c.fact, c.measure) != (top.fact, top.measure)
            ]
            if rivals:
                names = ", ".join(f"{c.measure.table}.{c.measure.column}" if c.measure else c.fact for c in [top, *rivals])
                raise Unsure(f"the question could be about {names}; name the table or column")
            if best is None:
                best = (top.score, spec, top)
        if best is None:
            if unsure_reason is not None:
                raise Unsure(unsure_reason)
            if problems and len(problems) == len(attempts):
                raise NotAnalytic(problems[0])
            if any(item.kind == "threshold" for item in items):
                # "clubs with at least 2 members" through a link table: the general parser counts across it
                raise NotAnalytic("a comparison over tables not joined many-to-one")
            raise Unsure("the tables the question names are not linked so that this can be computed without double counting")
        _, spec, choice = best
        plan = self.build(spec, choice)
        self.reasoning.append(f"measured over {choice.fact}" + (f" ({choice.measure.column})" if choice.measure else " rows"))
        self.reasoning.extend(f"uncertain: {note}" for note in [*choice.notes, *self.assumed])
        return plan, 0.95 * choice.penalty * 0.9 ** len(self.assumed), self.reasoning


def interpret(question: str, schema: SchemaInfo, today: dt.date) -> tuple[QueryPlan, float, list[str]] | None:
    """The plan for an analytic question, None when the question is not of this shape.

    Raises `Unsure` when it is of this shape but the tables to use would be a guess.
    """
    try:
        return Analytic(question, schema, today).interpret()
    except NotAnalytic:
        return None
