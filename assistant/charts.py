"""A chart for a result, chosen from its shape, as a Vega-Lite spec.

* one row of one number → a big number ("number");
* a time-like first column and numbers → a line per number column ("line");
* a category column and one number, not too many categories → bars, largest first ("bar"); two or three
  naming columns before the number (first and last name) label each bar together;
* anything else → the table is the best view ("table", no spec).

The spec carries its data inline (the rows the user sees), so a client renders it as is.
`hint` lets an engine ask for a kind ("bar", "line", …); it is followed only when the shape fits.
"""
from __future__ import annotations

import json
import re
from typing import Any

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
MAX_BARS = 50
MAX_POINTS = 5000

_NUMBER_TYPES = {"integer", "number"}
_TIME_TYPES = {"date", "timestamp"}
_TIME_NAME = re.compile(r"(^|_)(date|day|week|month|quarter|year|time|period|hour)s?($|_)", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?)?)?")


def _is_time(column: dict[str, str], values: list[Any]) -> bool:
    if column.get("type") in _TIME_TYPES:
        return True
    present = [v for v in values if v is not None]
    if not present:
        return False
    if all(isinstance(v, str) and _ISO_DATE.match(v) for v in present):
        return True  # '2024-03', '2024-03-01' …
    # A year or a month number under a time-like name ("year", "order_month").
    return bool(_TIME_NAME.search(column.get("name", ""))) and all(isinstance(v, int) for v in present)


def _is_number(column: dict[str, str], values: list[Any]) -> bool:
    if column.get("type") in _NUMBER_TYPES:
        return True
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present)


def _field_names(columns: list[dict[str, str]]) -> list[str]:
    """Unique field names (a result may repeat a name; Vega-Lite needs them distinct)."""
    seen: dict[str, int] = {}
    names = []
    for column in columns:
        name = str(column.get("name") or "value")
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return names


def _ref(name: str) -> str:
    """A data key as a Vega-Lite field reference: `.` and `[ ]` would otherwise read as nested access
    (a column named `strftime('%Y-%m', order_date)` or `t.total`)."""
    return re.sub(r"([.\[\]\\])", r"\\\1", name)


def _values(names: list[str], rows: list[list[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(names, row, strict=False)) for row in rows]


def chart_for(columns: list[dict[str, str]], rows: list[list[Any]], hint: str | None = None,
              title: str = "") -> dict[str, Any]:
    """{"type": number|line|bar|table, "x", "y", "spec"} for a result."""
    if not columns or not rows:
        return {"type": "table", "x": None, "y": None, "spec": None}
    names = _field_names(columns)
    by_column = [[row[i] if i < len(row) else None for row in rows[:MAX_POINTS]] for i in range(len(columns))]
    numbers = [i for i, column in enumerate(columns) if _is_number(column, by_column[i])]

    if len(rows) == 1 and len(columns) == 1 and numbers == [0]:
        return _number(names[0], rows[0][0], title)
    if len(columns) >= 2 and _is_time(columns[0], by_column[0]):
        ys = [i for i in numbers if i != 0]
        if ys and hint in (None, "line", "area", "auto") and len(rows) <= MAX_POINTS:
            return _line(names, rows, ys, columns[0], title)
    if len(columns) == 2 and numbers == [1] and 0 not in numbers and len(rows) <= MAX_BARS:
        return _bar(names, rows, title)
    if 3 <= len(columns) <= 4 and numbers == [len(columns) - 1] and len(rows) <= MAX_BARS:
        return _labelled_bar(names, rows, title)  # "first name, last name, total": one bar per person
    if hint == "bar" and len(columns) >= 2 and 1 in numbers and len(rows) <= MAX_BARS:
        return _bar(names[:2], [row[:2] for row in rows], title)
    return {"type": "table", "x": None, "y": None, "spec": None}


def _base(title: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = {"$schema": VEGA_LITE_SCHEMA, "data": {"values": values}}
    if title:
        spec["title"] = title
    return spec


def _number(name: str, value: Any, title: str) -> dict[str, Any]:
    spec = _base(title, [{name: value}])
    spec.update(mark={"type": "text", "fontSize": 48, "fontWeight": "bold"},
                encoding={"text": {"field": _ref(name), "type": "quantitative", "format": ",~r"}})
    return {"type": "number", "x": None, "y": name, "spec": spec}


def _line(names: list[str], rows: list[list[Any]], ys: list[int], x_column: dict[str, str],
          title: str) -> dict[str, Any]:
    x = names[0]
    values = _values(names, rows)
    x_type = "temporal" if x_column.get("type") in _TIME_TYPES or all(
        isinstance(v.get(x), str) for v in values if v.get(x) is not None) else "ordinal"
    spec = _base(title, values)
    x_encoding = {"field": _ref(x), "type": x_type, "title": x}
    if len(ys) == 1:
        y = names[ys[0]]
        spec.update(mark={"type": "line", "point": True},
                    encoding={"x": x_encoding, "y": {"field": _ref(y), "type": "quantitative", "title": y},
                              "tooltip": [{"field": _ref(x), "title": x},
                                          {"field": _ref(y), "type": "quantitative", "title": y}]})
        return {"type": "line", "x": x, "y": y, "spec": spec}
    folded = [names[i] for i in ys]
    spec.update(transform=[{"fold": [_ref(n) for n in folded], "as": ["series", "value"]}],
                mark={"type": "line", "point": True},
                encoding={"x": x_encoding, "y": {"field": "value", "type": "quantitative"},
                          "color": {"field": "series", "type": "nominal"},
                          "tooltip": [{"field": _ref(x), "title": x}, {"field": "series"},
                                      {"field": "value", "type": "quantitative"}]})
    return {"type": "line", "x": x, "y": folded, "spec": spec}


def _bar(names: list[str], rows: list[list[Any]], title: str) -> dict[str, Any]:
    category, value = names[0], names[1]
    spec = _base(title, _values(names, rows))
    spec.update(mark={"type": "bar"},
                encoding={"y": {"field": _ref(category), "type": "nominal", "sort": "-x", "title": category},
                          "x": {"field": _ref(value), "type": "quantitative", "title": value},
                          "tooltip": [{"field": _ref(category), "title": category},
                                      {"field": _ref(value), "type": "quantitative", "title": value}]})
    return {"type": "bar", "x": category, "y": value, "spec": spec}


def _labelled_bar(names: list[str], rows: list[list[Any]], title: str) -> dict[str, Any]:
    """Bars labelled by several columns joined ("Ada Byron" from first and last name)."""
    parts, value = names[:-1], names[-1]
    label = " ".join(parts)
    spec = _base(title, _values(names, rows))
    joined = " + ' ' + ".join(f"datum[{json.dumps(part)}]" for part in parts)
    spec.update(transform=[{"calculate": joined, "as": label}],
                mark={"type": "bar"},
                encoding={"y": {"field": _ref(label), "type": "nominal", "sort": "-x", "title": label},
                          "x": {"field": _ref(value), "type": "quantitative", "title": value},
                          "tooltip": [{"field": _ref(label), "title": label},
                                      {"field": _ref(value), "type": "quantitative", "title": value}]})
    return {"type": "bar", "x": label, "y": value, "spec": spec}
