"""Plans the built-in engine builds for shapes found wrong or refused on the development databases:
a second comparison with its column left out, "the latest X", "the most common X" of a lookup table,
aggregates per row of one table, joins through a parent nobody named, and names that look like verbs.

Every answer is checked by the rows it returns on a small school database; every refusal by its reason.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assistant.nl2sql.introspect_sqlite import introspect
from assistant.nl2sql.linking import schema_mentions, tokenize
from assistant.nl2sql.schema import SchemaInfo

from .sqlite_db import ask, build, fetch, rows

SCHOOL = """
CREATE TABLE departments (dept_id INTEGER PRIMARY KEY, dept_name TEXT, budget INTEGER, dept_phone TEXT);
CREATE TABLE instructors (instructor_id INTEGER PRIMARY KEY, name TEXT, age INTEGER, salary INTEGER,
                          dept_id INTEGER REFERENCES departments(dept_id), home_state TEXT);
CREATE TABLE courses (course_id INTEGER PRIMARY KEY, title TEXT, dept_id INTEGER REFERENCES departments(dept_id));
CREATE TABLE stations (station_id INTEGER PRIMARY KEY, instructor_id INTEGER REFERENCES instructors(instructor_id));
CREATE TABLE allergy_types (allergy TEXT PRIMARY KEY, allergy_type TEXT);
CREATE TABLE has_allergy (instructor_id INTEGER REFERENCES instructors(instructor_id),
                          allergy TEXT REFERENCES allergy_types(allergy));
CREATE TABLE makers (code INTEGER PRIMARY KEY, name TEXT, country TEXT);
CREATE TABLE products (code INTEGER PRIMARY KEY, name TEXT, price REAL, maker INTEGER REFERENCES makers(code));
CREATE TABLE orders (order_id INTEGER PRIMARY KEY, product INTEGER REFERENCES products(code), qty INTEGER);
CREATE TABLE players (player_id INTEGER PRIMARY KEY, player TEXT, position TEXT, sex TEXT);
CREATE TABLE rooms (room_id INTEGER PRIMARY KEY, block TEXT, unavailable INTEGER, bed_count TEXT);
CREATE TABLE exams (exam_id INTEGER PRIMARY KEY, title TEXT, exam_date TEXT, entry_fee REAL);
CREATE TABLE shipments (shipment_id INTEGER PRIMARY KEY, ordered_date TEXT, shipped_date TEXT);
INSERT INTO departments VALUES (1, 'Physics', 500, '555-0101'), (2, 'History', 300, '555-0102'), (3, 'State', 100, NULL);
INSERT INTO instructors VALUES (1, 'Curie', 40, 900, 1, 'Ohio'), (2, 'Bloch', 35, 700, 2, 'Iowa'),
  (3, 'Dirac', 40, 800, 1, 'Ohio'), (4, 'Braudel', 62, 650, 2, 'Utah'), (5, 'Noether', 19, 400, 1, 'Iowa');
INSERT INTO courses VALUES (1, 'Optics', 1), (2, 'Algebra', 1), (3, 'Annales', 2);
INSERT INTO stations VALUES (1, 1), (2, 2);
INSERT INTO allergy_types VALUES ('Milk', 'food'), ('Cat', 'animal'), ('Pollen', 'environment'), ('Peanut', 'food');
INSERT INTO has_allergy VALUES (1, 'Pollen'), (2, 'Pollen'), (3, 'Milk'), (4, 'Pollen'), (5, 'Peanut');
INSERT INTO makers VALUES (1, 'Acme', 'Japan'), (2, 'Anvil Works', 'Peru');
INSERT INTO products VALUES (1, 'Anvil', 10.0, 1), (2, 'Rocket', 30.0, 1), (3, 'Magnet', 40.0, 2), (4, 'Lamp', 20.0, 2);
INSERT INTO orders VALUES (1, 1, 5), (2, 3, 1);
INSERT INTO players VALUES (1, 'Ann', 'Guard', 'F'), (2, 'Bo', 'Guard', 'M'), (3, 'Cy', 'Center', 'M'), (4, 'Di', 'Forward', 'F');
INSERT INTO rooms VALUES (1, 'A', 0, '9'), (2, 'A', 1, '10'), (3, 'B', 0, '2');
INSERT INTO exams VALUES (1, 'Midterm', '2024-02-01', 10), (2, 'Final', '2024-06-20', 30), (3, 'Quiz', '2023-11-03', 5);
INSERT INTO shipments VALUES (1, '2024-01-01', '2024-01-09'), (2, '2024-01-05', '2024-01-06');
"""


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory, "nl2sql_plans", SCHOOL)


@pytest.fixture(scope="module")
def schema(school: Path) -> SchemaInfo:
    return introspect(school)




def refusal(schema: SchemaInfo, question: str) -> str:
    result = ask(schema, question)
    assert result.sql is None, f"answered {result.sql!r}"
    assert result.refusal
    return result.refusal


# ------------------------------------------------------------------------ comparisons


@pytest.mark.parametrize(
    "question",
    [
        "Which instructors have a salary lower than 500 or higher than 850? Give their names.",
        "What are the names of instructors whose salary is over 850 or less than 500?",
        "List the names of instructors with salary higher than 850 or lower than 500.",
    ],
)
def test_a_second_comparison_without_its_column_compares_the_same_column(school: Path, schema: SchemaInfo, question: str) -> None:
    assert sorted(rows(school, schema, question)) == [("Curie",), ("Noether",)]


def test_over_n_or_less_than_m_is_two_comparisons_not_at_most_n(school: Path, schema: SchemaInfo) -> None:
    # "over 850 or less" would be every salary up to 850; "over 850 or less than 500" is two ranges.
    assert ("Bloch",) not in rows(school, schema, "Names of instructors with salary over 850 or less than 500?")


def test_a_second_comparison_on_another_quantity_is_not_folded_into_the_first(schema: SchemaInfo) -> None:
    result = ask(schema, "Which departments have a budget over 400 or more than 2 instructors?")
    assert result.sql is None or "budget > 400 OR budget > 2" not in result.sql.replace('"', "")


# ------------------------------------------------------------------------ latest / earliest


def test_the_latest_row_is_ranked_by_the_tables_only_date(school: Path, schema: SchemaInfo) -> None:
    assert rows(school, schema, "What is the title of the latest exam?") == [("Final",)]
    assert rows(school, schema, "What is the title of the most recent exam?") == [("Final",)]
    assert rows(school, schema, "Give the title of the earliest exam.") == [("Quiz",)]


def test_the_latest_row_of_a_table_with_several_dates_is_refused(schema: SchemaInfo) -> None:
    # Ordered or shipped? Picking one would answer a question nobody asked.
    refusal(schema, "What is the id of the latest shipment?")


# ------------------------------------------------------------------------ most common


def test_the_most_common_value_of_a_lookup_key_is_counted_where_it_is_used(school: Path, schema: SchemaInfo) -> None:
    # allergy_types lists each allergy once; has_allergy says how common each is.
    assert rows(school, schema, "Which allergy is the most common?") == [("Pollen",)]


# ------------------------------------------------------------------------ aggregates per row


def test_a_count_per_row_of_its_own_table_groups_by_the_other_column(school: Path, schema: SchemaInfo) -> None:
    assert sorted(rows(school, schema, "How old is each instructor and how many instructors are each age?")) == [
        (19, 1), (35, 1), (40, 2), (62, 1),
    ]


def test_an_aggregate_per_row_with_nothing_else_to_group_by_is_refused(schema: SchemaInfo) -> None:
    # Each department has one budget: "the average budget of each department" has nothing to average.
    reason = refusal(schema, "What is the minimum, maximum and average budget for every department?")
    assert "own value" in reason


# ------------------------------------------------------------------------ joins and names


def test_tables_related_only_through_a_parent_nobody_named_are_not_joined(schema: SchemaInfo) -> None:
    # instructors and courses both belong to a department; that is not who teaches what.
    reason = refusal(schema, "Which instructors teach the course Optics?")
    assert "departments" in reason


def test_a_capitalised_name_is_not_read_as_a_verb_nor_stemmed_into_a_table(schema: SchemaInfo) -> None:
    # "United" is no verb and "States" is no "stations": the place is unknown, so the engine must refuse
    # rather than answer "instructors without a station".
    refusal(schema, "What are the names of instructors that are not headquartered in the United States?")


def test_a_table_listed_with_their_shows_its_name(school: Path, schema: SchemaInfo) -> None:
    assert sorted(rows(school, schema, "What are the names of instructors and their respective departments?")) == [
        ("Bloch", "History"), ("Braudel", "History"), ("Curie", "Physics"), ("Dirac", "Physics"), ("Noether", "Physics"),
    ]


def test_a_table_listed_beside_another_table_is_no_column_to_show(schema: SchemaInfo) -> None:
    # "the salaries of the instructors and departments" lists owners, not a column of departments to show.
    result = ask(schema, "What are the salaries of all the instructors and departments?")
    assert result.sql is None or "dept_name" not in result.sql


@pytest.mark.parametrize("question", ["What is the name of the oldest instructor?", "Who is the oldest instructor?"])
def test_the_oldest_row_is_a_row_not_the_largest_age(school: Path, schema: SchemaInfo, question: str) -> None:
    # Not the maximum age per name (every instructor would be listed with their own age).
    assert rows(school, schema, question) == [("Braudel",)]


def test_the_oldest_age_is_the_largest_age(school: Path, schema: SchemaInfo) -> None:
    assert rows(school, schema, "What is the oldest age among the instructors?") == [(62,)]


def test_a_word_naming_the_values_column_is_not_a_second_value(school: Path, schema: SchemaInfo) -> None:
    # 'State' is also a department's name; after "Ohio" the word only says Ohio is a state.
    assert sorted(rows(school, schema, "What are the names of the instructors from outside the Ohio state?")) == [
        ("Bloch",), ("Braudel",), ("Noether",),
    ]


def test_the_oldest_and_youngest_are_the_largest_and_smallest_values(school: Path, schema: SchemaInfo) -> None:
    assert rows(school, schema, "What are the ages of the oldest and youngest instructors?") == [(62, 19)]
    # No one instructor is both: the engine says so rather than rank one row both ways.
    refusal(schema, "Who are the oldest and youngest instructors?")


def test_each_category_named_like_its_table_groups_by_the_category(school: Path, schema: SchemaInfo) -> None:
    # Grouped by the allergy's key but shown by its type, each type would appear once per allergy.
    assert sorted(rows(school, schema, "How many instructors are affected by each allergy type?")) == [
        ("environment", 3), ("food", 2),
    ]


def test_a_passive_verb_that_ends_the_question_is_a_condition_not_filler(schema: SchemaInfo) -> None:
    # "logged in" says which exams count; answering with every exam would drop it silently.
    refusal(schema, "How many exams are logged in?")


def test_a_table_word_before_a_column_says_whose_column_it_is(school: Path, schema: SchemaInfo) -> None:
    # "maker code" is the maker's code (the products made by maker 2), not the product's own code 2.
    assert rows(school, schema, "What is the average price of products with maker code equal to 2?") == [(30.0,)]


def test_every_item_of_a_list_belongs_to_the_table_after_it(school: Path, schema: SchemaInfo) -> None:
    # "the name and price of products": the products' names, though the condition is on makers.
    assert sorted(rows(school, schema, "Find the name and price of products made by makers whose country is Peru.")) == [
        ("Lamp", 20.0), ("Magnet", 40.0),
    ]


def test_phone_number_is_a_column_not_a_count(school: Path, schema: SchemaInfo) -> None:
    assert rows(school, schema, "What are the name and phone number of the departments with a budget over 400?") == [
        ("Physics", "555-0101"),
    ]


def test_available_is_not_a_misspelling_of_unavailable(schema: SchemaInfo) -> None:
    found = {(m.table, m.column) for m in schema_mentions(tokenize("available rooms"), schema)}
    assert ("rooms", "unavailable") not in found
    assert ("rooms", "unavailable") in {(m.table, m.column) for m in schema_mentions(tokenize("unavalable"), schema)}


def test_ordering_by_a_whole_table_is_refused(schema: SchemaInfo) -> None:
    # Ordered by which column of departments? Not silently by the instructors' names.
    assert "order by" in refusal(schema, "List the names of instructors in the alphabetical order of their departments.")


def test_distinct_values_of_a_column_named_after_its_table(school: Path, schema: SchemaInfo) -> None:
    # "player positions": the positions (3), not the players (4), though the table has a player column.
    assert rows(school, schema, "Count the number of distinct player positions.") == [(3,)]


def test_a_named_column_is_searched_for_the_text(school: Path, schema: SchemaInfo) -> None:
    # 'Anvil' is a whole product name, but the question searches the makers' names.
    assert rows(school, schema, 'Which maker name contains substring "Anvil"?') == [("Anvil Works",)]


def test_the_highest_total_ranks_groups_by_their_sum(school: Path, schema: SchemaInfo) -> None:
    # Physics pays 900 + 800 + 400 in salaries, History 700 + 650.
    assert rows(school, schema, "Which department has the highest total salary of instructors?") == [("Physics",)]
    # Physics averages 700, History 675.
    question = "What is the name of the department whose instructors have the lowest average salary?"
    assert rows(school, schema, question) == [("History",)]


def test_a_condition_said_twice_is_one_condition(school: Path, schema: SchemaInfo) -> None:
    assert sorted(rows(school, schema, "What are the positions of female (sex is F) players?")) == [("Forward",), ("Guard",)]


@pytest.mark.parametrize(
    "question",
    [
        "What are the different positions, and how many players are there of each?",
        "What are the different positions of players, and how many players correspond to each?",
    ],
)
def test_how_many_after_a_list_counts_per_listed_value(school: Path, schema: SchemaInfo, question: str) -> None:
    assert sorted(rows(school, schema, question)) == [("Center", 1), ("Forward", 1), ("Guard", 2)]


def test_how_many_beside_columns_without_a_list_is_still_refused(schema: SchemaInfo) -> None:
    refusal(schema, "How many players have positions?")


def test_a_column_is_named_by_its_last_word_when_no_other_column_ends_so(school: Path, schema: SchemaInfo) -> None:
    # "fee" for entry_fee; "name" or "id" would be too common to name one column.
    assert rows(school, schema, "What is the highest fee of all exams?") == [(30.0,)]
    assert rows(school, schema, "Which exam has the lowest fee? Give its title.") == [("Quiz",)]


def test_a_negated_verb_before_a_value_of_the_same_table_excludes_the_value(school: Path, schema: SchemaInfo) -> None:
    assert rows(school, schema, "What are the names of makers that do not operate in Japan?") == [("Anvil Works",)]


def test_a_negated_verb_before_a_value_of_a_related_table_is_not_a_simple_inequality(schema: SchemaInfo) -> None:
    # Instructors without a Pollen allergy, not instructors joined to any allergy other than Pollen.
    result = ask(schema, "What are the names of instructors who do not have the allergy Pollen?")
    assert result.sql is None or "!=" not in result.sql


def test_n_or_older_includes_n_and_a_second_bare_number_is_another_value(school: Path, schema: SchemaInfo) -> None:
    assert sorted(rows(school, schema, "What are the names of instructors aged 40 or older?")) == [
        ("Braudel",), ("Curie",), ("Dirac",),
    ]
    assert sorted(rows(school, schema, "What are the names of instructors aged 35 or 62?")) == [("Bloch",), ("Braudel",)]
    # Two comparisons, not "at most 62": "older than 50 or younger than 20".
    assert sorted(rows(school, schema, "Names of instructors aged over 50 or below 20?")) == [("Braudel",), ("Noether",)]


def test_id_and_name_are_both_asked_for(school: Path, schema: SchemaInfo) -> None:
    assert rows(school, schema, "Show the id and name of the instructor with the highest salary.") == [(1, "Curie")]


def test_a_category_column_may_be_called_a_type(school: Path, schema: SchemaInfo) -> None:
    assert sorted(rows(school, schema, "How many players are there for each position type?")) == [
        ("Center", 1), ("Forward", 1), ("Guard", 2),
    ]


def test_every_as_a_determiner_means_all(school: Path, schema: SchemaInfo) -> None:
    assert rows(school, schema, "What are the names and ages of every instructor older than 50?") == [("Braudel", 62)]


def test_different_values_grouped_with_each_are_shown_once(school: Path, schema: SchemaInfo) -> None:
    question = "Show the different positions of players and the number of players with each position."
    assert sorted(rows(school, schema, question)) == [("Center", 1), ("Forward", 1), ("Guard", 2)]


def test_a_column_the_table_lacks_is_read_from_the_one_table_it_points_to(tmp_path: Path) -> None:
    # Gymnasts are people: the names live in people, one hop along the gymnast's key.
    path = tmp_path / "gym.sqlite"
    connection = sqlite3.connect(path)
    connection.executescript("""
        CREATE TABLE people (people_id INTEGER PRIMARY KEY, name TEXT, age INTEGER);
        CREATE TABLE gymnast (gymnast_id INTEGER PRIMARY KEY REFERENCES people(people_id), total_points REAL);
        CREATE TABLE course (course_id INTEGER PRIMARY KEY, title TEXT, dept_id INTEGER REFERENCES dept(dept_id));
        CREATE TABLE dept (dept_id INTEGER PRIMARY KEY, dept_name TEXT);
        INSERT INTO people VALUES (1, 'Ana', 20), (2, 'Bea', 22), (3, 'Cid', 30);
        INSERT INTO gymnast VALUES (1, 57.5), (3, 60.0);
        INSERT INTO course VALUES (1, 'Optics', 1);
        INSERT INTO dept VALUES (1, 'Physics');
    """)
    connection.commit()
    connection.close()
    schema = introspect(path)
    result = ask(schema, "What are the names of gymnasts?")
    assert result.sql is not None, result.refusal
    assert sorted(fetch(path, result.sql)) == [("Ana",), ("Cid",)]
    # A course has its own name (its title): never its department's name.
    result = ask(schema, "What are the names of courses?")
    assert result.sql is None or "dept_name" not in result.sql


def test_top_n_is_ranked_by_the_adjective_not_by_the_first_shown_column(school: Path, schema: SchemaInfo) -> None:
    # Not "ORDER BY name DESC": the two most expensive are the Magnet and the Rocket.
    assert rows(school, schema, "What are the names of the top 2 expensive products?") == [("Magnet",), ("Rocket",)]


def test_numbers_stored_as_text_are_averaged_and_totalled_as_numbers(school: Path, schema: SchemaInfo) -> None:
    assert rows(school, schema, "What is the total bed count of all rooms?") == [(21.0,)]
    assert rows(school, schema, "What is the average bed count of the rooms in block A?") == [(9.5,)]


def test_the_name_of_a_row_whose_table_calls_it_a_title(school: Path, schema: SchemaInfo) -> None:
    assert sorted(rows(school, schema, "What are the names of the courses of the Physics department?")) == [
        ("Algebra",), ("Optics",),
    ]


def test_ordered_by_two_columns(school: Path, schema: SchemaInfo) -> None:
    # Curie and Dirac are both 40: the salary puts Dirac (800) before Curie (900).
    question = "List the names of instructors ordered by their ages and salaries."
    assert rows(school, schema, question) == [("Noether",), ("Bloch",), ("Dirac",), ("Curie",), ("Braudel",)]


def test_a_named_table_the_answer_would_not_use_is_refused(tmp_path: Path) -> None:
    # "and of employees": answering with the companies' names alone would drop half of the question.
    path = tmp_path / "employment.sqlite"
    connection = sqlite3.connect(path)
    connection.executescript("""
        CREATE TABLE company (company_id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE people (people_id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE employment (company_id INTEGER REFERENCES company(company_id),
                                 people_id INTEGER REFERENCES people(people_id));
        INSERT INTO company VALUES (1, 'Acme');
        INSERT INTO people VALUES (1, 'Ada');
        INSERT INTO employment VALUES (1, 1);
    """)
    connection.commit()
    connection.close()
    result = ask(introspect(path), "Show the names of companies and of employees.")
    assert result.sql is None, result.sql


def test_from_and_to_pick_the_origin_and_destination_column(tmp_path: Path) -> None:
    path = tmp_path / "flights.sqlite"
    connection = sqlite3.connect(path)
    connection.executescript("""
        CREATE TABLE flight (flno INTEGER PRIMARY KEY, origin TEXT, destination TEXT, price REAL);
        INSERT INTO flight VALUES (1, 'Lima', 'Quito', 100), (2, 'Quito', 'Lima', 300), (3, 'Lima', 'Cusco', 50);
    """)
    connection.commit()
    connection.close()
    schema = introspect(path)
    for question, expected in [
        ("What is the average price of flights to Lima?", [(300.0,)]),
        ("What is the average price of flights from Lima?", [(75.0,)]),
        ("What is the average price of flights from Quito to Lima?", [(300.0,)]),
    ]:
        result = ask(schema, question)
        assert result.sql is not None, result.refusal
        assert fetch(path, result.sql) == expected, question


def test_the_column_of_a_table_that_is_most_common(school: Path, schema: SchemaInfo) -> None:
    assert rows(school, schema, "Give the position of players that is most common.") == [("Guard",)]
    assert rows(school, schema, "Which position is the most common?") == [("Guard",)]


def test_alphabetic_order_and_from_least_to_greatest(school: Path, schema: SchemaInfo) -> None:
    assert rows(school, schema, "List the titles of all exams in alphabetic order.") == [("Final",), ("Midterm",), ("Quiz",)]
    assert rows(school, schema, "List the titles of exams ordered by entry fee from greatest to least.") == [
        ("Final",), ("Midterm",), ("Quiz",),
    ]


def test_a_verb_picks_which_of_two_keys_joins_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "problems.sqlite"
    connection = sqlite3.connect(path)
    connection.executescript("""
        CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, first_name TEXT);
        CREATE TABLE problems (problem_id INTEGER PRIMARY KEY, description TEXT, status TEXT,
                               reported_by_staff_id INTEGER REFERENCES staff(staff_id),
                               closed_by_staff_id INTEGER REFERENCES staff(staff_id));
        INSERT INTO staff VALUES (1, 'Ann'), (2, 'Ben');
        INSERT INTO problems VALUES (1, 'printer jam', 'Reported', 1, 2), (2, 'no network', 'Closed', 2, 1);
    """)
    connection.commit()
    connection.close()
    schema = introspect(path)
    for question, expected in [
        ("What are the descriptions of the problems reported by the staff whose first name is Ann?", [("printer jam",)]),
        ("What are the descriptions of the problems closed by the staff whose first name is Ann?", [("no network",)]),
    ]:
        result = ask(schema, question)
        assert result.sql is not None, result.refusal
        assert fetch(path, result.sql) == expected, question


def test_a_table_word_before_a_value_of_that_table(tmp_path: Path) -> None:
    # "enrolled in class ACCT-211": "class" says whose code ACCT-211 is (and names some columns too).
    path = tmp_path / "enroll.sqlite"
    connection = sqlite3.connect(path)
    connection.executescript("""
        CREATE TABLE class (class_code TEXT PRIMARY KEY, crs_code TEXT);
        CREATE TABLE student (stu_num INTEGER PRIMARY KEY, stu_fname TEXT, stu_class TEXT);
        CREATE TABLE enroll (class_code TEXT REFERENCES class(class_code), stu_num INTEGER REFERENCES student(stu_num));
        INSERT INTO class VALUES ('10012', 'ACCT-211'), ('10013', 'ACCT-212');
        INSERT INTO student VALUES (1, 'Ann', 'Jr'), (2, 'Ben', 'So'), (3, 'Cy', 'Sr');
        INSERT INTO enroll VALUES ('10012', 1), ('10012', 2), ('10013', 3);
    """)
    connection.commit()
    connection.close()
    schema = introspect(path)
    assert rows(path, schema, "How many students enrolled in class ACCT-211?") == [(2,)]


def test_a_participle_after_the_counted_rows_only_says_they_exist(school: Path, schema: SchemaInfo) -> None:
    assert rows(school, schema, "Count the total number of shipments made.") == [(2,)]
    assert rows(school, schema, "How many shipments have been made in total?") == [(2,)]
