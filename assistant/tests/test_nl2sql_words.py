"""Words the built-in engine places in the schema: a quantity whose column names its unit, the earliest and
latest of a date, and other readings that were refused for one unplaced word.

Every answer is checked by the rows it returns on a small database; every refusal by its reason.
"""

from __future__ import annotations

import pytest

from .sqlite_db import ask, database, rows


def test_a_column_named_with_its_unit_answers_to_the_quantity(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE department (department_id INTEGER PRIMARY KEY, name TEXT, budget_in_billions REAL);
    CREATE TABLE phone (phone_id INTEGER PRIMARY KEY, carrier TEXT, memory_in_g INTEGER,
      price_in_dollars REAL, price_in_euros REAL);
    INSERT INTO department VALUES (1, 'Treasury', 12.5), (2, 'Defense', 480.0), (3, 'Energy', 30.2);
    INSERT INTO phone VALUES (1, 'Sprint', 32, 300, 280), (2, 'TMobile', 64, 500, 460), (3, 'Sprint', 128, 900, 830);
    """
    path, schema = database(tmp_path_factory, "nl2sql_units", script)
    assert rows(path, schema, "What are the maximum and minimum budget of the departments?") == [(480.0, 12.5)]
    assert rows(path, schema, "Which department has the largest budget?") == [("Defense",)]
    assert rows(path, schema, "List the distinct carriers of phones with memories bigger than 32.") == [("TMobile",), ("Sprint",)]
    # two columns hold a price in different units: the engine does not pick one
    guesses = ("What is the price of the phone with the most memory?", "List the carriers of phones whose price is above 400")
    for question in guesses:
        result = ask(schema, question)
        assert result.sql is None
        assert "'price' matches several columns" in (result.refusal or "")
