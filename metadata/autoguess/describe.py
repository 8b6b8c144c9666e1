"""Column descriptions and business synonyms."""
from __future__ import annotations

from .context import _TableCtx
from .names import _analyze_name, _NameInfo, _phrase, _sentence, _singular
from .pii import _PII_PHRASES, _PII_PLURALS, _PiiResult
from .profiles import PII_TAG_THRESHOLD, ColumnProfile
from .roles import _FREE_TEXT_WORDS, _ID_LAST, _low_cardinality, _Role
from .samples import _ENUM_VALUE_RE, _Samples

# --------------------------------------------------------------------------------------------------
# Descriptions
# --------------------------------------------------------------------------------------------------

_VERB_PHRASES = {
    "created": "was created", "creation": "was created", "create": "was created", "inserted": "was created",
    "updated": "was last updated", "modified": "was last updated", "changed": "was last changed",
    "deleted": "was deleted", "removed": "was removed", "shipped": "was shipped", "ship": "was shipped",
    "shipping": "was shipped", "dispatched": "was dispatched", "delivered": "was delivered", "delivery": "was delivered",
    "paid": "was paid", "payment": "was paid", "cancelled": "was cancelled", "canceled": "was cancelled",
    "cancellation": "was cancelled", "closed": "was closed", "opened": "was opened", "signup": "signed up",
    "registered": "registered", "registration": "registered", "joined": "joined", "join": "joined", "hired": "was hired",
    "hire": "was hired", "terminated": "was terminated", "termination": "was terminated", "approved": "was approved",
    "completed": "was completed", "completion": "was completed", "published": "was published", "received": "was received",
    "resolved": "was resolved", "submitted": "was submitted", "placed": "was placed", "ordered": "was placed",
    "invoiced": "was invoiced", "booked": "was booked", "returned": "was returned", "refunded": "was refunded",
    "processed": "was processed", "sent": "was sent", "scheduled": "is scheduled", "expired": "expired",
    "activated": "was activated", "deactivated": "was deactivated", "verified": "was verified",
    "confirmed": "was confirmed", "enrolled": "enrolled", "admitted": "was admitted", "discharged": "was discharged",
}
_PEOPLE_VERBS = frozenset({"created", "creation", "create", "inserted", "updated", "modified", "changed", "deleted",
                           "removed", "signup", "registered", "registration", "joined", "join", "hired", "hire",
                           "terminated", "termination", "approved", "activated", "deactivated", "verified",
                           "confirmed", "enrolled", "admitted", "discharged"})
_ENTITY_EVENTS = {
    "order": "was placed", "transaction": "took place", "sale": "took place", "payment": "was made",
    "invoice": "was issued", "shipment": "was shipped", "booking": "was made", "reservation": "was made",
    "visit": "took place", "session": "started", "ticket": "was opened", "purchase": "was made", "review": "was written",
    "event": "took place", "login": "took place", "call": "took place", "appointment": "is scheduled",
}
_DATE_NOUNS = frozenset({"start", "end", "due", "expiry", "expiration", "effective", "valid", "renewal", "maturity",
                         "settlement", "posting", "value", "release", "launch", "close", "open", "birth", "report",
                         "snapshot", "load", "etl", "as"})
_TIME_FILLER = frozenset({"date", "time", "timestamp", "datetime", "dttm", "tstamp", "at", "on", "dt", "ts", "utc",
                          "local", "last"})


def _of_entity(phrase: str, info: _NameInfo, ctx: _TableCtx) -> str:
    """'segment' -> 'segment of the customer' unless the column name already names the table's entity."""
    if not ctx.entity:
        return phrase
    column_terms = {_singular(t) for t in info.terms}
    if ctx.entity_terms and ctx.entity_terms <= column_terms:
        return phrase
    return f"{phrase} of the {ctx.entity}"


def _fmt_number(x: float, places: int) -> str:
    return f"{x:,.{places}f}"


def _time_description(col: ColumnProfile, info: _NameInfo, tclass: str, s: _Samples, role: _Role,
                      ctx: _TableCtx) -> tuple[str, float]:
    if role.detail == "period":
        return f"{_sentence(_of_entity(_phrase(info.words), info, ctx))} (as a number).", 0.6
    if tclass == "date":
        kind = "Date"
    elif tclass == "time":
        kind = "Time of day"
    elif tclass == "datetime" or s.with_time or role.detail.startswith("Unix"):
        kind = "Date and time"
    else:
        kind = "Date"
    suffix = ""
    if role.detail.startswith("Unix"):
        suffix = f" Stored as {role.detail}."
    elif tclass in ("text", "other"):
        suffix = " Stored as text."
    rest = [t for t in info.terms if t not in _TIME_FILLER]
    verb_rest = [t for t in rest if t != "last"]  # "last_modified_at" -> "modified"
    joined = "".join(verb_rest)
    verb_key = joined if joined in _VERB_PHRASES else None
    non_entity = [t for t in verb_rest if _singular(t) not in ctx.entity_terms]
    if verb_key is None and len(non_entity) == 1 and non_entity[0] in _VERB_PHRASES:
        verb_key = non_entity[0]
    if ctx.entity and verb_key and (not ctx.people_like or verb_key in _PEOPLE_VERBS):
        return f"{kind} the {ctx.entity} {_VERB_PHRASES[verb_key]}.{suffix}", 0.75
    if ctx.entity and verb_rest and not non_entity and rest == verb_rest:
        event = _ENTITY_EVENTS.get(_singular(rest[-1]))
        if event:
            return f"{kind} the {ctx.entity} {event}.{suffix}", 0.7
        return f"{kind} of the {ctx.entity}.{suffix}", 0.6
    if len(rest) == 1 and rest[0] in _DATE_NOUNS:
        owner = f" of the {ctx.entity}" if ctx.entity else ""
        return f"{_sentence(rest[0])} {kind.lower()}{owner}.{suffix}", 0.65
    if rest:
        words = [w for w in info.words if w.lower() not in _TIME_FILLER or w.lower() == "last"]
        return f"{kind} of the {_phrase(words)}.{suffix}", 0.6
    if ctx.entity:
        return f"{kind} of the {ctx.entity}.{suffix}", 0.55
    return f"{kind}.{suffix}", 0.5


def _values_sentence(values: list[str], prefix: str) -> str:
    if not values or any(len(v) > 40 for v in values):
        return ""
    return f" {prefix}: {', '.join(values)}."


def _pii_description(col: ColumnProfile, info: _NameInfo, pii: _PiiResult, ctx: _TableCtx) -> str:
    assert pii.kind is not None
    phrase = _PII_PHRASES[pii.kind]
    if pii.kind == "person_name":
        terms = set(info.terms)
        phrase = ("first name" if terms & {"first", "firstname", "given", "givenname", "forename"}
                  else "last name" if terms & {"last", "lastname", "surname", "family", "familyname"}
                  else "middle name" if "middle" in terms else "full name" if terms & {"full", "fullname"} else "name")
    elif pii.kind == "birth_date" and "year" in info.terms:
        phrase = "year of birth"
    if not pii.by_name:
        return f"{_sentence(_phrase(info.words))}; sampled values contain {_PII_PLURALS[pii.kind]} (personal data)."
    owner = ""
    prefix_words = info.words[:pii.keyword_start] if pii.keyword_start > 0 else ()
    if prefix_words and len(prefix_words) <= 3:
        owner = _phrase(prefix_words)
    elif ctx.people_like and ctx.entity:
        owner = ctx.entity
    if owner and not phrase.startswith(owner.split()[-1]):
        return f"{_sentence(owner)} {phrase} (personal data)."
    return f"{_sentence(phrase)} (personal data)."


def _describe(col: ColumnProfile, info: _NameInfo, tclass: str, s: _Samples, pii: _PiiResult, role: _Role,
              ctx: _TableCtx) -> tuple[str, float, str]:
    if col.comment.strip():
        return col.comment.strip(), 0.95, "taken from the database comment"
    if col.is_primary_key:
        text = (f"Part of the primary key of {ctx.table_h}." if ctx.n_pk > 1 else f"Primary key of {ctx.table_h}.")
        if col.is_foreign_key and col.references:
            text += f" References {col.references}."
        return text, 0.95, "declared primary key"
    if col.is_foreign_key:
        if col.references:
            parts = col.references.split(".")
            target = parts[-2] if len(parts) >= 2 else parts[0]
            return (f"Reference to {_phrase(_analyze_name(target).words) or target} ({col.references}).", 0.95,
                    f"declared foreign key to {col.references}")
        subject = [w for w, t in zip(info.words, info.terms, strict=False) if t not in _ID_LAST]
        what = _phrase(subject) if subject else "another table"
        return f"Reference to {what} (foreign key).", 0.7, "declared foreign key without a known target"
    if pii.kind and pii.confidence >= PII_TAG_THRESHOLD:
        return _pii_description(col, info, pii, ctx), min(0.9, pii.confidence), f"personal data: {pii.reason}"
    text, conf, reason = _describe_plain(col, info, tclass, s, pii, role, ctx)
    if pii.kind and not pii.by_name and pii.kind in _PII_PLURALS:
        text += f" Some sampled values contain {_PII_PLURALS[pii.kind]} (possible personal data)."
        reason += f"; {pii.reason}"
    return text, conf, reason


def _describe_plain(col: ColumnProfile, info: _NameInfo, tclass: str, s: _Samples, pii: _PiiResult, role: _Role,
                    ctx: _TableCtx) -> tuple[str, float, str]:
    phrase = _phrase(info.words) or col.name
    if role.role == "id":
        subject = [w for w in info.words if w.lower() not in _ID_LAST]
        if info.terms and info.terms[-1] in _ID_LAST:
            if subject:
                return f"Identifier of the {_phrase(subject)}.", 0.6, f"name ends with '{info.raw[-1]}'"
            if ctx.entity:
                return f"Identifier of the {ctx.entity}.", 0.6, "column named like an identifier"
        return f"{_sentence(phrase)} (identifier).", 0.55, role.reason
    if role.role == "time":
        text, conf = _time_description(col, info, tclass, s, role, ctx)
        return text, conf, role.reason
    if role.role == "metric":
        base = _of_entity(phrase, info, ctx)
        if role.detail == "money":
            text, conf = f"Monetary amount: {base}.", 0.7
        elif role.detail == "count":
            text, conf = f"{_sentence(base)} (count).", 0.65
        elif role.detail == "pct":
            text, conf = f"{_sentence(base)} (percentage or rate).", 0.6
        elif role.detail == "score":
            text, conf = f"{_sentence(base)} (score).", 0.6
        elif tclass == "interval":
            text, conf = f"{_sentence(base)} (duration).", 0.6
        else:
            text, conf = f"{_sentence(base)} (numeric measure).", 0.5
        if len(s.numbers) >= 2 and min(s.numbers) != max(s.numbers) and not pii.kind:
            places = s.decimals
            text += (f" Sampled values range from {_fmt_number(min(s.numbers), places)}"
                     f" to {_fmt_number(max(s.numbers), places)}.")
        return text, conf, role.reason
    base = _sentence(_of_entity(phrase, info, ctx))
    if role.role == "category" and tclass == "bool":
        terms = info.terms
        if terms and terms[0] in ("is", "has", "can", "was", "should") and len(terms) > 1:
            who = ctx.entity or "record"
            return f"Whether the {who} {terms[0]} {_phrase(info.words[1:])} (true/false).", 0.7, "boolean type"
        return f"Yes/no flag: {phrase}.", 0.6, "boolean type"
    if role.role == "category" and not pii.kind:
        if role.detail == "enum":
            values = [v.replace("''", "'") for v in _ENUM_VALUE_RE.findall(col.data_type)]
            listed = _values_sentence(values, "One of")
            return f"{base}.{listed}", 0.85 if listed else 0.6, "values declared by the enumerated type"
        if s.distinct and col.distinct_count is not None and len(s.distinct) == col.distinct_count <= 12:
            listed = _values_sentence(s.distinct, "One of")
            if listed:
                return f"{base}.{listed}", 0.85, f"all {col.distinct_count} distinct values were sampled"
        if s.distinct and col.distinct_count is None and s.n_distinct <= 8 and _low_cardinality(col, s, ctx.row_count):
            listed = _values_sentence(s.distinct, "One of")
            if listed:
                return f"{base}.{listed}", 0.65, f"{s.n_distinct} distinct values among {s.total} samples"
        if s.distinct and col.distinct_count is not None and col.distinct_count > len(s.distinct) and len(s.distinct) <= 8:
            listed = _values_sentence(s.distinct, "Values include")
            if listed:
                return f"{base}.{listed}", 0.55, f"{len(s.distinct)} of {col.distinct_count} distinct values were sampled"
        return f"{base}.", 0.5, role.reason
    if set(info.terms) & _FREE_TEXT_WORDS and tclass in ("text", "other"):
        return f"Free-text {_of_entity(phrase, info, ctx)}.", 0.55, "free-text column name"
    if tclass == "json":
        return f"{base} (JSON document).", 0.5, f"{col.data_type} type"
    if tclass == "binary":
        return f"{base} (binary data).", 0.5, f"{col.data_type} type"
    return f"{base}.", 0.45, "from the column name"


# --------------------------------------------------------------------------------------------------
# Synonyms
# --------------------------------------------------------------------------------------------------

_TABLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer": ("client", "buyer"), "client": ("customer",), "order": ("purchase", "sales order"),
    "order item": ("order line", "line item"), "order line": ("order item", "line item"), "product": ("item", "article"),
    "employee": ("staff member", "worker"), "supplier": ("vendor", "provider"), "vendor": ("supplier",),
    "store": ("shop", "outlet"), "invoice": ("bill",), "payment": ("transaction",), "transaction": ("payment",),
    "user": ("account", "member"), "category": ("product group",), "region": ("territory", "area"),
    "shipment": ("delivery", "consignment"), "sale": ("transaction", "order"), "campaign": ("promotion",),
    "department": ("division",), "lead": ("prospect",), "warehouse": ("depot", "distribution center"),
    "subscription": ("membership",), "review": ("rating", "feedback"),
}
_COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "revenue": ("sales", "turnover", "income"), "total amount": ("sales", "turnover", "order value"),
    "sales": ("revenue", "turnover"), "sales amount": ("revenue", "turnover"), "total sales": ("revenue", "turnover"),
    "order total": ("order value", "sales"), "net sales": ("net revenue",), "gross sales": ("gross revenue",),
    "amount": ("value", "sum"), "quantity": ("units", "qty"), "units": ("quantity", "qty"),
    "price": ("unit price",), "unit price": ("price",), "list price": ("retail price",), "cost": ("expense",),
    "discount": ("rebate", "markdown"), "profit": ("margin", "earnings"), "margin": ("profit",),
    "salary": ("pay", "wage", "compensation"), "order date": ("purchase date", "date ordered"),
    "ship date": ("shipping date", "dispatch date"), "created at": ("creation date", "created on"),
    "updated at": ("last modified", "modified date"), "signup date": ("registration date", "join date"),
    "email": ("e-mail", "mail address"), "email address": ("e-mail",), "phone": ("telephone", "contact number"),
    "phone number": ("telephone", "contact number"), "mobile": ("cell phone", "mobile number"),
    "first name": ("given name",), "last name": ("surname", "family name"), "full name": ("name",),
    "customer name": ("client name",), "date of birth": ("birthday", "birth date"), "birth date": ("birthday", "date of birth"),
    "country": ("nation",), "city": ("town",), "postal code": ("zip code", "postcode"), "zip code": ("postal code", "postcode"),
    "zip": ("postal code",), "segment": ("customer group", "tier"), "status": ("state",), "category": ("type", "group"),
    "product name": ("item name", "product title"), "sku": ("product code", "item number"), "region": ("territory", "area"),
    "channel": ("sales channel",), "description": ("details",), "gender": ("sex",), "store": ("shop", "outlet"),
    "balance": ("outstanding amount",), "payment method": ("payment type", "tender"),
    "shipping address": ("delivery address",), "department": ("division",), "hire date": ("start date", "date hired"),
    "due date": ("deadline",), "invoice date": ("billing date",), "stock": ("inventory", "on hand"),
    "rating": ("score", "stars"), "score": ("rating",), "tax": ("tax amount",), "freight": ("shipping cost",),
    "shipping cost": ("freight", "delivery charge"),
}


def _synonyms_for(key: str, table: dict[str, tuple[str, ...]], exclude: set[str]) -> list[str]:
    return [syn for syn in table.get(key, ()) if syn.casefold() not in exclude]
