"""Question shapes of the built-in engine added for held-out accuracy: each one checked by the rows its
SQL returns on a small club database, plus the refusals that keep it honest."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.nl2sql.introspect_sqlite import introspect
from assistant.nl2sql.linking import lemma, schema_mentions, tokenize
from assistant.nl2sql.schema import SchemaInfo

from .sqlite_db import ask, build
from .sqlite_db import rows as answered_rows

CLUB = """
CREATE TABLE people (person_id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT, sex TEXT, age INTEGER,
                     hometown TEXT, salary REAL);
CREATE TABLE clubs (club_id INTEGER PRIMARY KEY, club_name TEXT, city TEXT);
CREATE TABLE memberships (person_id INTEGER REFERENCES people(person_id), club_id INTEGER REFERENCES clubs(club_id));
CREATE TABLE person_award (award_id INTEGER PRIMARY KEY, person_id INTEGER REFERENCES people(person_id),
                           award_year INTEGER);
INSERT INTO people VALUES
  (1, 'Ada', 'Lovelace', 'F', 36, 'London', 900),
  (2, 'Alan', 'Turing', 'M', 41, 'London', 1200),
  (3, 'Grace', 'Hopper', 'F', 18, 'New York', 700),
  (4, 'Edsger', 'Dijkstra', 'M', 25, 'Rotterdam', 800),
  (5, 'Barbara', 'Liskov', 'F', 19, 'Rotterdam', 1000),
  (6, 'Tony', 'Hoare', 'M', 50, 'Colombo', 1100);
INSERT INTO clubs VALUES (1, 'Chess', 'London'), (2, 'Rowing', 'Oxford'), (3, 'Go', 'Delft');
INSERT INTO memberships VALUES (1, 1), (2, 1), (2, 2), (3, 3), (4, 3);
INSERT INTO person_award VALUES (1, 1, 2001), (2, 2, 2005), (3, 2, 2007);
"""


@pytest.fixture(scope="module")
def club(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory, "nl2sql_constructs", CLUB)


@pytest.fixture(scope="module")
def schema(club: Path) -> SchemaInfo:
    return introspect(club)



def rows(club: Path, question: str, schema: SchemaInfo) -> list[tuple[object, ...]]:
    return answered_rows(club, schema, question)


# ------------------------------------------------------------------------ words and linking


def test_ids_is_the_plural_of_id() -> None:
    assert lemma("ids") == "id"
    assert lemma("IDs") == "id"


def test_ids_are_shown(club: Path, schema: SchemaInfo) -> None:
    assert sorted(rows(club, "What are the ids of people from London?", schema)) == [(1,), (2,)]


def test_first_and_last_name_share_the_noun(club: Path, schema: SchemaInfo) -> None:
    result = rows(club, "Show the first and last name of people older than 40.", schema)
    assert sorted(result) == [("Alan", "Turing"), ("Tony", "Hoare")]


def test_female_and_male_are_values_of_the_sex_column(club: Path, schema: SchemaInfo) -> None:
    assert rows(club, "How many female people are there?", schema) == [(3,)]
    assert sorted(rows(club, "Show the ages of all male people.", schema)) == [(25,), (41,), (50,)]


def test_a_table_is_named_by_its_last_word_when_no_other_table_ends_so(schema: SchemaInfo) -> None:
    mentions = schema_mentions(tokenize("awards"), schema)
    assert [(m.kind, m.table) for m in mentions] == [("table", "person_award")]


# ------------------------------------------------------------------------------ shapes


def test_list_of_aggregates_over_one_column(club: Path, schema: SchemaInfo) -> None:
    result = rows(club, "What is the minimum, maximum, and average age of people?", schema)
    assert result == [(18, 50, 31.5)]
    assert rows(club, "What is the average and largest salary of people?", schema) == [(950.0, 1200.0)]


def test_in_total_restates_the_count(club: Path, schema: SchemaInfo) -> None:
    assert rows(club, "How many clubs are there in total?", schema) == [(3,)]


def test_most_common_after_the_column(club: Path, schema: SchemaInfo) -> None:
    # London and Rotterdam both have two people; the answer is one of them, ordered by the count.
    result = rows(club, "Which hometown is the most common?", schema)
    assert result in ([("London",)], [("Rotterdam",)])
    assert "GROUP BY hometown ORDER BY COUNT(*) DESC LIMIT 1" in (ask(schema, "Which hometown is the most common?").sql or "")


def test_columns_in_the_order_asked(club: Path, schema: SchemaInfo) -> None:
    # "the average … for each X" shows the average first; "how many … in each X" is a breakdown, X first.
    averaged = rows(club, "What is the average age of people for each hometown?", schema)
    assert sorted(averaged) == [(18.0, "New York"), (22.0, "Rotterdam"), (38.5, "London"), (50.0, "Colombo")]
    counted = rows(club, "Find the number of people living in each hometown.", schema)
    assert sorted(counted) == [(1, "Colombo"), (1, "New York"), (2, "London"), (2, "Rotterdam")]
    breakdown = rows(club, "How many people are there in each hometown?", schema)
    assert sorted(breakdown) == [("Colombo", 1), ("London", 2), ("New York", 1), ("Rotterdam", 2)]


def test_rows_without_related_rows_through_a_link_table(club: Path, schema: SchemaInfo) -> None:
    result = rows(club, "What are the first names of people who do not have any club?", schema)
    assert sorted(result) == [("Barbara",), ("Tony",)]


def test_rows_without_related_rows_named_by_the_last_word(club: Path, schema: SchemaInfo) -> None:
    assert rows(club, "How many people do not have any awards?", schema) == [(4,)]


def test_values_never_found_with_a_condition(club: Path, schema: SchemaInfo) -> None:
    # EXCEPT on one table: hometowns with no person older than 40 (London and Colombo have one).
    result = rows(club, "Which hometowns do not have people older than 40?", schema)
    assert sorted(result) == [("New York",), ("Rotterdam",)]


def test_at_least_one_related_row_counts_each_row_once(club: Path, schema: SchemaInfo) -> None:
    assert rows(club, "How many people have at least one membership?", schema) == [(4,)]


def test_both_conditions_on_one_column_intersect(club: Path, schema: SchemaInfo) -> None:
    # Rotterdam has people aged 19 and 25; London 36 and 41; nobody in one town is both over 30 and under 20.
    result = rows(club, "Which hometowns have both people younger than 20 and people older than 20?", schema)
    assert result == [("Rotterdam",)]
    assert rows(club, "Show the hometowns shared by people older than 30 and younger than 20.", schema) == []
    sql = ask(schema, "Which hometowns have both people younger than 20 and people older than 20?").sql or ""
    assert sql.startswith("SELECT DISTINCT hometown") and sql.count(" IN (SELECT") == 2


def test_two_values_of_one_column_intersect(club: Path, schema: SchemaInfo) -> None:
    result = rows(club, "Which hometowns have both people with first name Ada and people with first name Alan?", schema)
    assert result == [("London",)]


def test_a_lone_category_column_is_listed_once(club: Path, schema: SchemaInfo) -> None:
    assert (ask(schema, "Show all cities of clubs.").sql or "").startswith("SELECT DISTINCT city FROM clubs")
    assert sorted(rows(club, "Show all cities of clubs.", schema)) == [("Delft",), ("London",), ("Oxford",)]
    # Names are not categories: listed as they are.
    assert not (ask(schema, "Show all club names.").sql or "").startswith("SELECT DISTINCT")


def test_but_not_is_a_difference_of_sets(club: Path, schema: SchemaInfo) -> None:
    # London has Ada and Alan: "Ada but not Alan" leaves no town; "Ada but not Grace" keeps London.
    assert rows(club, "Which hometowns have people with first name Ada but not Alan?", schema) == []
    assert rows(club, "Which hometowns have people with first name Ada but not Grace?", schema) == [("London",)]
    sql = ask(schema, "Which hometowns have people with first name Ada but not Grace?").sql or ""
    assert "NOT IN (SELECT hometown" in sql


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "question",
    [
        # Two ranges on the one column that is shown: no row can be both, and there is nothing to intersect.
        "Show the ages of people older than 40 and younger than 20.",
        # Counting an intersection is not supported: refuse rather than count rows.
        "How many hometowns have both people older than 40 and people younger than 20?",
    ],
)
def test_refuses_intersections_it_cannot_write(schema: SchemaInfo, question: str) -> None:
    result = ask(schema, question)
    assert result.sql is None, result.sql
