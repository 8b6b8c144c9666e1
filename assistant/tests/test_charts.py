"""Chart suggestions chosen from a result's shape."""
from assistant.charts import chart_for

NUM = {"name": "n", "type": "integer"}


def test_one_number_is_a_big_number():
    chart = chart_for([NUM], [[42]])
    assert chart["type"] == "number" and chart["spec"]["data"]["values"] == [{"n": 42}]
    assert chart["spec"]["$schema"].endswith("vega-lite/v5.json")


def test_a_time_series_is_a_line_and_several_measures_fold_into_series():
    columns = [{"name": "month", "type": "text"}, {"name": "revenue", "type": "number"}]
    rows = [["2024-01", 10.5], ["2024-02", 12.0], ["2024-03", 9.0]]
    chart = chart_for(columns, rows)
    assert chart["type"] == "line" and chart["x"] == "month" and chart["y"] == "revenue"
    assert chart["spec"]["encoding"]["x"]["type"] == "temporal"
    two = chart_for([*columns, {"name": "orders", "type": "integer"}], [[*r, 3] for r in rows])
    assert two["type"] == "line" and two["y"] == ["revenue", "orders"]
    assert two["spec"]["transform"] == [{"fold": ["revenue", "orders"], "as": ["series", "value"]}]
    years = chart_for([{"name": "order_year", "type": "integer"}, NUM], [[2023, 5], [2024, 7]])
    assert years["type"] == "line" and years["spec"]["encoding"]["x"]["type"] == "ordinal"


def test_categories_are_bars_sorted_by_value_and_too_many_are_a_table():
    columns = [{"name": "country", "type": "text"}, NUM]
    chart = chart_for(columns, [["DE", 3], ["FR", 5]])
    assert chart["type"] == "bar" and chart["spec"]["encoding"]["y"]["sort"] == "-x"
    assert chart_for(columns, [[f"c{i}", i] for i in range(51)])["type"] == "table"


def test_other_shapes_empty_results_and_repeated_names_are_safe():
    assert chart_for([], [])["type"] == "table"
    assert chart_for([NUM], [])["spec"] is None
    text = [{"name": "name", "type": "text"}, {"name": "email", "type": "text"}]
    assert chart_for(text, [["a", "b"]])["type"] == "table"
    same = chart_for([{"name": "x", "type": "text"}, {"name": "x", "type": "integer"}], [["a", 1]])
    assert same["type"] == "bar" and same["y"] == "x_2"
    assert chart_for([NUM, {"name": "m", "type": "integer"}], [[1, 2]], hint="bar")["type"] == "bar"


def test_field_names_with_dots_and_brackets_are_escaped_for_vega_lite():
    columns = [{"name": "strftime('%Y-%m', o.order_date)", "type": "text"}, {"name": "sum(o.total)", "type": "number"}]
    chart = chart_for(columns, [["2024-01", 1.0], ["2024-02", 2.0]])
    encoding = chart["spec"]["encoding"]
    assert encoding["x"]["field"] == "strftime('%Y-%m', o\\.order_date)" and encoding["y"]["field"] == "sum(o\\.total)"
    assert encoding["x"]["title"] == "strftime('%Y-%m', o.order_date)"
    assert chart["spec"]["data"]["values"][0] == {"strftime('%Y-%m', o.order_date)": "2024-01", "sum(o.total)": 1.0}


def test_bars_labelled_by_first_and_last_name():
    columns = [{"name": "first_name", "type": "text"}, {"name": "last_name", "type": "text"}, NUM]
    chart = chart_for(columns, [["Ada", "Byron", 9], ["Alan", "Turing", 4]])
    assert chart["type"] == "bar" and chart["x"] == "first_name last_name" and chart["y"] == "n"
    assert chart["spec"]["transform"] == [
        {"calculate": "datum[\"first_name\"] + ' ' + datum[\"last_name\"]", "as": "first_name last_name"}
    ]
    assert chart["spec"]["encoding"]["y"]["field"] == "first_name last_name"
    # a number in the middle, or more columns, stay a table
    assert chart_for([columns[0], NUM, columns[1]], [["Ada", 9, "Byron"]])["type"] == "table"
