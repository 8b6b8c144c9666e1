"""Typed `{{name}}` parameters of saved queries and templates, bound as literal nodes of the parsed statement.

Why a sqlglot literal is as safe as a driver bind parameter: a driver placeholder keeps the value out of the
SQL *text* the server parses. Here the value never becomes SQL text either — the statement is parsed with the
parameter slots as placeholders first, and only then is each slot replaced by a `Literal` node holding the typed,
validated value. The generator quotes that node for the dialect (doubling `'`, and in MySQL also `\\`), and
`bind()` re-parses what it rendered and requires the very same tree back: if any value could change the shape of
the statement (break out of its quotes, add a clause or a comment), the trees would differ and binding fails
closed. Numbers and dates are validated to their type before they become nodes, so they cannot carry text at all.
The bound statement then goes through the safety gate like any other (one read-only statement, re-rendered).

Driver placeholders were not used because every door reaches the database through the gate and
`queries.services.query_execute`, which take a statement, not a statement plus values; a literal in the AST keeps
that single path (and makes the executed SQL in the history show the values that were used).
"""
from __future__ import annotations

import datetime as dt
import math
import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlglot
from sqlglot import exp

from core.exceptions import ValidationFailed

PARAMETER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
TYPES = ("date", "number", "text", "choice")
MAX_PARAMETERS = 30
MAX_TEXT = 1000
MAX_OPTIONS = 200
DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite", "duckdb": "duckdb"}


def names_in(sql: str) -> list[str]:
    """Parameter names referenced by `sql`, in order of first use."""
    seen: dict[str, None] = {}
    for match in PARAMETER.finditer(sql or ""):
        seen.setdefault(match.group(1), None)
    return list(seen)


def coerce(spec: dict[str, Any], value: Any, *, field: str) -> Any:
    """The value as the parameter's type (date, Decimal, str), or ValidationFailed."""
    kind = spec["type"]
    if kind == "date":
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise ValidationFailed.for_field(field, "Enter a date as YYYY-MM-DD.", code="INVALID_PARAMETER")
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            raise ValidationFailed.for_field(field, "Enter a number.", code="INVALID_PARAMETER")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationFailed.for_field(field, "Enter a number.", code="INVALID_PARAMETER") from None
        if not number.is_finite() or (isinstance(value, float) and not math.isfinite(value)) or abs(number) > Decimal(
                "1e30"):
            raise ValidationFailed.for_field(field, "Enter a finite number.", code="INVALID_PARAMETER")
        return number
    if kind == "text":
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ValidationFailed.for_field(field, "Enter text.", code="INVALID_PARAMETER")
        text = str(value)
        if len(text) > MAX_TEXT:
            raise ValidationFailed.for_field(field, f"At most {MAX_TEXT} characters.", code="INVALID_PARAMETER")
        if "\x00" in text:
            raise ValidationFailed.for_field(field, "Text may not contain NUL characters.", code="INVALID_PARAMETER")
        if "\\'" in text or text.endswith("\\"):
            # Engines disagree on a backslash before a quote (MySQL escapes, the others do not); the safety
            # gate refuses such literals, so say so here, about the value.
            raise ValidationFailed.for_field(field, "A backslash before a quote or at the end is not allowed.",
                                             code="INVALID_PARAMETER")
        return text
    if kind == "choice":
        options = spec.get("options") or []
        for option in options:
            if value == option or (not isinstance(value, bool) and str(value) == str(option)):
                return option
        raise ValidationFailed.for_field(field, f"Choose one of: {', '.join(map(str, options))}.",
                                         code="INVALID_PARAMETER")
    raise ValidationFailed.for_field(field, f"Unknown parameter type {kind!r}.", code="INVALID_PARAMETER")


def validate_specs(specs: Any, sql: str) -> list[dict[str, Any]]:
    """Clean parameter definitions: known types, unique names, choice options, typed defaults; every
    `{{name}}` in `sql` must be defined."""
    if specs in (None, ""):
        specs = []
    if not isinstance(specs, list) or len(specs) > MAX_PARAMETERS:
        raise ValidationFailed.for_field("parameters", f"A list of at most {MAX_PARAMETERS} parameters.")
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        field = f"parameters[{index}]"
        if not isinstance(spec, dict):
            raise ValidationFailed.for_field(field, "Each parameter is an object {name, type, default}.")
        name, kind = spec.get("name"), spec.get("type", "text")
        if not isinstance(name, str) or not NAME.match(name):
            raise ValidationFailed.for_field(f"{field}.name", "Letters, digits and _ (not first), at most 63.")
        if name in seen:
            raise ValidationFailed.for_field(f"{field}.name", f"{name} is defined twice.")
        if kind not in TYPES:
            raise ValidationFailed.for_field(f"{field}.type", f"One of {', '.join(TYPES)}.")
        seen.add(name)
        item: dict[str, Any] = {"name": name, "type": kind}
        if isinstance(spec.get("label"), str) and spec["label"].strip():
            item["label"] = spec["label"].strip()[:120]
        if kind == "choice":
            options = spec.get("options")
            if not isinstance(options, list) or not options or len(options) > MAX_OPTIONS or not all(
                    isinstance(o, (str, int, float)) and not isinstance(o, bool) for o in options):
                raise ValidationFailed.for_field(f"{field}.options",
                                                 f"A choice needs 1 to {MAX_OPTIONS} options (text or numbers).")
            for option in options:
                if isinstance(option, str):
                    coerce({"type": "text"}, option, field=f"{field}.options")
            item["options"] = options
        default = spec.get("default")
        if default is not None and default != "":
            value = coerce(item, default, field=f"{field}.default")
            item["default"] = value.isoformat() if isinstance(value, dt.date) else (
                _number_json(value) if isinstance(value, Decimal) else value)
        else:
            item["default"] = None
        cleaned.append(item)
    missing = [name for name in names_in(sql) if name not in seen]
    if missing:
        raise ValidationFailed("The SQL uses parameters that are not defined: " + ", ".join(missing) + ".",
                               code="UNDEFINED_PARAMETER",
                               details=[{"field": "parameters", "message": f"Define {name}."} for name in missing])
    return cleaned


def _number_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def resolve(specs: list[dict[str, Any]], values: Any, *, use_samples: bool = False) -> dict[str, Any]:
    """Typed values for every defined parameter: given, else the default. Unknown names, a missing value
    without a default or a mistyped value are errors (all reported at once). `use_samples` fills a missing
    value with a harmless sample of its type (to vet a statement when it is saved)."""
    if values in (None, ""):
        values = {}
    if not isinstance(values, dict):
        raise ValidationFailed.for_field("parameters", "An object {name: value}.")
    known = {spec["name"]: spec for spec in specs}
    details = [{"field": f"parameters.{name}", "message": "Unknown parameter."} for name in values if name not in known]
    resolved: dict[str, Any] = {}
    for name, spec in known.items():
        value = values.get(name)
        if value is None or value == "":
            value = spec.get("default")
        if value is None or (value == "" and spec["type"] != "text"):
            if use_samples:
                value = {"date": dt.date.today(), "number": 0, "text": "",
                         "choice": (spec.get("options") or [""])[0]}[spec["type"]]
            else:
                details.append({"field": f"parameters.{name}", "message": "A value is required."})
                continue
        try:
            resolved[name] = coerce(spec, value, field=f"parameters.{name}")
        except ValidationFailed as error:
            details.extend(error.details)
    if details:
        message = details[0]["message"] if len(details) == 1 else "Some parameters are invalid."
        raise ValidationFailed(f"{details[0]['field']}: {message}" if len(details) == 1 else message,
                               code="INVALID_PARAMETERS", details=details)
    return resolved


def literal(value: Any) -> exp.Expression:
    """The AST node for a typed value: dates as ISO strings (compared as text by SQLite, cast from an
    untyped literal by PostgreSQL, MySQL and DuckDB), numbers as numeric literals, text as string literals."""
    if isinstance(value, dt.date):
        return exp.Literal.string(value.isoformat())
    if isinstance(value, Decimal):
        text = format(abs(value), "f")
        node: exp.Expression = exp.Literal.number(text)
        return exp.Paren(this=exp.Neg(this=node)) if value < 0 else node
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return literal(Decimal(str(value)))
    return exp.Literal.string(str(value))


def bind(sql: str, values: dict[str, Any], *, engine: str) -> str:
    """`sql` with each `{{name}}` replaced by the literal node of `values[name]`, rendered for the engine's
    dialect. Fails closed (ValidationFailed) if a slot is inside a string or comment, or if the rendered
    statement does not parse back to the same tree."""
    used = PARAMETER.findall(sql)
    if not used:
        return sql
    dialect = DIALECTS.get(engine, engine)
    prefix = f"iep{secrets.token_hex(4)}_"
    text = PARAMETER.sub(lambda m: f":{prefix}{m.group(1)}", sql)
    try:
        statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as error:
        raise ValidationFailed.for_field("sql", f"The SQL could not be parsed: {str(error)[:300]}",
                                         code="PARSE_ERROR") from None
    if len(statements) != 1:
        raise ValidationFailed.for_field("sql", "A saved query is exactly one statement.", code="MULTIPLE_STATEMENTS")
    tree = statements[0]
    slots = [node for node in tree.find_all(exp.Placeholder) if str(node.name).startswith(prefix)]
    if len(slots) != len(used):
        raise ValidationFailed.for_field(
            "sql", "A {{parameter}} stands where a value goes, not inside quotes or comments "
                   "(for a pattern write '%' || {{name}} || '%').", code="PARAMETER_POSITION")
    for node in slots:
        name = str(node.name)[len(prefix):]
        if name not in values:
            raise ValidationFailed.for_field(f"parameters.{name}", "A value is required.", code="INVALID_PARAMETERS")
        node.replace(literal(values[name]))
    rendered = tree.sql(dialect=dialect)
    try:
        again = sqlglot.parse_one(rendered, read=dialect)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        again = None
    if again != tree:
        raise ValidationFailed.for_field("parameters", "A parameter value could not be bound safely.",
                                         code="INVALID_PARAMETERS")
    return rendered
