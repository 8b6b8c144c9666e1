"""Plain-English paraphrases folded into the phrasing the parser reads, before it reads the question.

People say the same thing many ways: "with most number of orders", "the greatest number of orders" and
"the most orders" ask one question; "two or more" is "at least two". Each rule here maps a family of
paraphrases onto one form the parser already understands, so the parser's rules stay few and its
bookkeeping (every word explained, or a refusal) stays strict. Quoted text is never rewritten: it is data.
Rules are about English, never about a schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_COUNT = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten)"

# Past participles of verbs that only restate a link between two things ("used by", "taken by").
_PARTICIPLE = r"[a-z]+ed|made|taken|written|held|done|won|run|taught|owned|given|driven|seen|bought|sold|led"

_CHOSEN = r"(?:used|chosen|picked|selected)"

_HOW_MANY = rf"(?:(?:more|fewer|less)\s+than|at\s+least|at\s+most|over|under)\s+{_COUNT}\b|the\s+(?:most|fewest|least)\b"

def _times(number: str, factor: int) -> str:
    value = float(number) * factor
    return str(int(value)) if value.is_integer() else str(value)


_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # "for each each investor", "the the": a word typed twice is said once
    # (not at the end: "for each each?" lost a word, and no guess restores it)
    (re.compile(r"\b([A-Za-z]+)\s+\1\b(?=\s+[A-Za-z])", re.I), r"\1"),
    # "for each of the different majors", "each of the documents" → "each major", "each document"
    (re.compile(r"\beach\s+of\s+the(?:\s+different)?\b", re.I), "each"),
    # "in more than a single shop" is more than one
    (re.compile(r"\b((?:more|fewer|less)\s+than|at\s+(?:least|most))\s+a\s+single\b", re.I), r"\1 1"),
    # "more than once", "at least twice" → "more than 1 times", "at least 2 times"
    (re.compile(r"\b((?:more|fewer|less)\s+than|at\s+(?:least|most))\s+once\b", re.I), r"\1 1 times"),
    (re.compile(r"\b((?:more|fewer|less)\s+than|at\s+(?:least|most))\s+twice\b", re.I), r"\1 2 times"),
    # "staff members", "faculty members": the members of a collective noun are the staff, the faculty
    (re.compile(r"\b(staff|faculty|crew)\s+members?\b", re.I), r"\1"),
    # "the full name of the customer" is the first and last name
    (re.compile(r"\bfull\s+(name)(s?)\b", re.I), r"first and last \1\2"),
    # "Sort the result in ascending order of age", "order the results by name": "sorted in/by"
    (re.compile(r"\b(?:sort|order|rank|list)\s+(?:the|all\s+the)\s+results?\s+(?=in\b|by\b|alphabetically|ascending|descending)",
                re.I), "sorted "),
    # "how many different kinds of lens brands", "types of beds": "kinds of X" is X; "types of X" the X types
    (re.compile(r"\b(?:kinds|sorts)\s+of\s+(different\s+)?", re.I), r"\1"),
    (re.compile(r"\btypes\s+of\s+(?:different\s+)?([a-z]+?)s?\b(?=\s*(?:[?.,]|$|are\b|is\b|exist|there\b|do\b|does\b))",
                re.I), r"\1 types"),
    # "which payment method is used the most", "the product ordered most often": the most common
    (re.compile(rf"\b(?:is|are|was|were)\s+{_CHOSEN}\s+(?:the\s+)?most(?:\s+(?:often|frequently))?\b", re.I),
     "is the most common"),
    (re.compile(rf"\b(?:is|are|was|were)\s+{_CHOSEN}\s+(?:the\s+)?least(?:\s+(?:often|frequently))?\b", re.I),
     "is the least common"),
    # "which type code appears the most often", "the most frequently used policy": the most common
    (re.compile(r"\b(?:appears?|occurs?)\s+(?:the\s+)?most(?:\s+(?:often|frequently))?\b", re.I), "is the most common"),
    (re.compile(r"\b(?:the\s+)?most\s+(?:frequently|often|commonly)\s+used\b", re.I), "the most common"),
    # "the 5 best selling products" sold the most
    (re.compile(r"\b(?:the\s+)?(\d+|five|three|ten)\s+best[- ]selling\s+([a-z]+)", re.I), r"the top \1 \2 by units sold"),
    # "the price (in USD)": the unit said in brackets is said plainly
    (re.compile(r"\s*\(\s*(in\s+[A-Za-z]+)\s*\)", re.I), r" \1"),
    # "$180" is the number 180; "15,000" is 15000; "$5k", "2.5k" are thousands
    (re.compile(r"\$\s?(?=\d)"), ""),
    (re.compile(r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?![\d,])"), lambda m: m.group(0).replace(",", "")),
    (re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)k\b", re.I), lambda m: _times(m.group(1), 1000)),
    # "with most number of orders", "the largest number of orders" → "the most orders"
    (re.compile(r"\b(?:the\s+)?(?:most|largest|greatest|highest|biggest)\s+(?:number|count)\s+of\b", re.I),
     "the most"),
    (re.compile(r"\b(?:the\s+)?(?:least|fewest|smallest|lowest)\s+(?:number|count)\s+of\b", re.I),
     "the fewest"),
    # "with most orders" → "with the most orders" (the article is what marks a superlative)
    (re.compile(r"\b(with|has|have|had)\s+(most|fewest|least)\b(?!\s+(?:once|one|\d))", re.I), r"\1 the \2"),
    # "the payment method used by more than 3 parties", "the major that is studied by the most students":
    # the passive verb only restates the link; what counts is the number of rows.
    (re.compile(rf"\b(?:is|are|was|were|has\s+been|have\s+been)\s+(?:{_PARTICIPLE})\s+by\s+({_HOW_MANY})", re.I),
     r"have \1"),
    (re.compile(rf"\b(?:{_PARTICIPLE})\s+by\s+({_HOW_MANY})", re.I), r"with \1"),
    # "mills not located in 'Donceel'", "mountains that do not belong to the range X": "not in"
    (re.compile(r"\b(?:(?:do|does|did)\s+not|don't|doesn't|didn't|not)\s+(?:belong\s+to|located\s+in|based\s+in|situated\s+in"
                r"|come\s+from|born\s+in|live\s+in)\b", re.I), "not in"),
    # "the average money requested by all entrepreneurs" is over all of them, not one row per entrepreneur
    (re.compile(r"\bby\s+(all|every)\b", re.I), r"of \1"),
    # "how many races correspond to each?" — "correspond to" restates that each race has one class
    (re.compile(r"\b(?:correspond|corresponds)\s+to\s+each\b", re.I), "for each"),
    # "the countries and the number of members from each." — "each" points back at what is listed
    (re.compile(r"\s+(?:from|for|of|in|with|to|using|(?:that|which|who)\s+(?:have|has|use|uses))\s+each"
                r"(?:\s+(?:one|of\s+them))?\s*(?=[.?!]?\s*$)", re.I), ""),
    # "and how many flights does each one complete?", "how many cards does each hold?": the verb only says
    # the counted rows belong to each of those listed
    (re.compile(r"(\bhow\s+many\s+[a-z ]+?)\s+(?:does|do|did|has|have|had)\s+each(?:\s+one|\s+of\s+them)?\s+[a-z]+"
                r"(?:\s+(?:in|on|at|to|with|for))?\s*(?=[.?!]?\s*$)", re.I), r"\1"),
    # "the most recent race", "registered most recently" → "the latest race", "registered latest"
    (re.compile(r"\b(?:the\s+)?most\s+recent(?:ly)?\b", re.I), "the latest"),
    (re.compile(r"\b(?:the\s+)?least\s+recent(?:ly)?\b", re.I), "the earliest"),
    # "sorted by the cost from the highest to the lowest": the articles add nothing to the direction
    (re.compile(r"\bfrom\s+the\s+([a-z]+est)\s+to\s+the\s+([a-z]+est)\b", re.I), r"from \1 to \2"),
    # "two or more", "3 or fewer"
    # ("300 or less than 100" is two comparisons, not "at most 300")
    (re.compile(rf"\b{_COUNT}\s+or\s+more\b(?!\s+than)", re.I), r"at least \1"),
    (re.compile(rf"\b{_COUNT}\s+or\s+(?:fewer|less)\b(?!\s+than)", re.I), r"at most \1"),
    # "aged 32 or older", "in 2010 or later", "2000 or before": bounds that include the number (but
    # "after 1961 or before 1959" is two comparisons)
    (re.compile(rf"\b{_COUNT}\s+or\s+(?:older|later|after|above|higher|greater|bigger|larger)\b(?!\s+(?:than\b|\d))", re.I),
     r"at least \1"),
    (re.compile(rf"\b{_COUNT}\s+or\s+(?:younger|earlier|before|below|lower|smaller)\b(?!\s+(?:than\b|\d))", re.I), r"at most \1"),
    # "the locations where tracks are located", "the cities where people live": the columns of those rows
    (re.compile(r"\bwhere\s+((?:the\s+)?[a-z]+)\s+(?:are|is|were|was)\s+(?:located|situated|based)\b(?=\s*[.?!]?\s*$)"),
     r"of \1"),
    (re.compile(r"\bwhere\s+((?:the\s+)?[a-z]+)\s+(?:live|lives|lived)\b(?=\s*[.?!]?\s*$)"), r"of \1"),
    # "students over 20 years old", "people who are 18 years old": their age
    (re.compile(r"\b(older|younger)\s+than\s+(\d+)\s+years?(?:\s+old)?\b", re.I), r"\1 than \2"),
    (re.compile(r"\b((?:over|under|above|below|more\s+than|less\s+than|at\s+least|at\s+most|exactly)\s+)?(\d+)\s+years?\s+old\b",
                re.I), r"aged \1\2"),
    (re.compile(r"\bnot\s+aged\s+(?=\d)", re.I), "aged not "),  # "actors who are not 20 years old"
    # "List every individual's first name": each one's
    (re.compile(r"\bevery\s+(?=\w+'s\b)", re.I), "each "),
    # "For each country, what is the average elevation of that country's airports?": the group said again
    (re.compile(r"\b(each\s+(\w+)\b.*?)\b(?:that|this|the\s+same)\s+\2's\s+", re.I), r"\1"),
    # "the member in charge of the most events", "physicians in charge of a patient": they manage them
    (re.compile(r"\bin\s+charge\s+of\b", re.I), "managing"),
    # "the accounting dept"
    (re.compile(r"\bdept(s?)\b\.?", re.I), r"department\1"),
    # "the number and average age of students": the number of students and their average age
    (re.compile(r"\b(the\s+)?(number|count)\s+and\s+(?:the\s+)?(average|mean|total|maximum|minimum|highest|lowest)\s+"
                r"([a-z]+)\s+of\s+([a-z]+)\b", re.I), r"\1\2 of \5 and \3 \4 of \5"),
    # "the average and oldest age": the oldest age is the maximum age, the youngest the minimum
    (re.compile(r"\b(average|mean|minimum|maximum|min|max|total)(\s*(?:,|and)\s*(?:the\s+)?)oldest\s+age\b", re.I),
     r"\1\2maximum age"),
    (re.compile(r"\b(average|mean|minimum|maximum|min|max|total)(\s*(?:,|and)\s*(?:the\s+)?)youngest\s+age\b", re.I),
     r"\1\2minimum age"),
    # "clubs that have at least a member from …": at least one, not "the least"
    (re.compile(r"\bat\s+least\s+an?\b", re.I), "at least 1"),
    # "aged either 35 or 36", "either 'Person' or 'Wiley'": "either" only stresses the "or"
    (re.compile(r"\beither\s+(?!of\b|one\b)", re.I), ""),
    # "for different years" asks for one row per year
    (re.compile(r"\b(for|across|by)\s+(?:the\s+|all\s+)?different\b", re.I), r"\1 each"),
    # "the average age of students with different sex", "rooms in different decor": one row per value
    # (only closing the question: "players with different positions who …" is not a breakdown)
    (re.compile(r"\b(?:with|in|having|under)\s+(?:the\s+)?different\s+([a-z]+(?:\s+[a-z]+)?)\s*(?=[.?!]?\s*$)", re.I),
     r"for each \1"),
    # "the types and nationalities of every ship": every ship is all ships ("for every" still groups)
    (re.compile(r"\bof\s+every\b", re.I), "of all"),
    # "by ascending order of age" → "in ascending order of age"
    (re.compile(r"\bby\s+(?:the\s+)?(ascending|descending|alphabetical|increasing|decreasing)\s+order\b", re.I),
     r"in \1 order"),
]

# Quoted literals are data: "Find 'two or more'" keeps its words.
_QUOTED = re.compile(r"\"[^\"]*\"|(?:(?<=\s)|^)'[^']*'|“[^”]*”")


def rephrase(question: str) -> str:
    """`question` with known paraphrases replaced by their plain form; quoted text untouched."""
    pieces: list[str] = []
    last = 0
    for match in _QUOTED.finditer(question):
        pieces.append(_rewrite(question[last : match.start()]))
        pieces.append(match.group(0))
        last = match.end()
    pieces.append(_rewrite(question[last:]))
    return "".join(pieces)


def _rewrite(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
