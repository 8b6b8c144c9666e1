"""What the built-in engine groups by and how often it shows each row: a table's name instead of the key
pointing at it, a category listed once, the shown column counted per its own values, a row restricted by
a join shown once, a ranked single-row total refused, and a table named by the first word of its name.

Every answer is checked by the rows it returns on a small database; every refusal by its reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.nl2sql.schema import SchemaInfo

from .sqlite_db import ask, database, fetch, rows

CLINIC = """
CREATE TABLE party (party_id INTEGER PRIMARY KEY, party_name TEXT);
CREATE TABLE party_events (event_id INTEGER PRIMARY KEY, party_id INTEGER REFERENCES party(party_id), event_name TEXT);
CREATE TABLE department (dept_code TEXT PRIMARY KEY, dept_name TEXT, school_code TEXT);
CREATE TABLE professor (prof_id INTEGER PRIMARY KEY, prof_name TEXT, dept_code TEXT REFERENCES department(dept_code));
CREATE TABLE student (student_id INTEGER PRIMARY KEY, name TEXT, major INTEGER, hometown TEXT);
CREATE TABLE physician (employee_id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE medication (code INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE prescribes (physician INTEGER REFERENCES physician(employee_id),
                         medication INTEGER REFERENCES medication(code), prescribed_on TEXT);
CREATE TABLE flight (flno INTEGER PRIMARY KEY, origin TEXT, distance INTEGER);
CREATE TABLE apartments (apt_id INTEGER PRIMARY KEY, apt_number TEXT, bedroom_count INTEGER, number_of_baths INTEGER);
CREATE TABLE problems (problem_id INTEGER PRIMARY KEY, date_problem_reported TEXT, date_problem_closed TEXT);
CREATE TABLE rentals (rental_id INTEGER PRIMARY KEY, rental_date TEXT, fee REAL);
CREATE TABLE county_public_safety (county_id INTEGER PRIMARY KEY, name TEXT, population INTEGER, crime_rate REAL);
INSERT INTO party VALUES (1, 'Greens'), (2, 'Reds'), (3, 'Blues');
INSERT INTO party_events VALUES (1, 1, 'Rally'), (2, 1, 'Gala'), (3, 2, 'Picnic');
INSERT INTO department VALUES ('PHY', 'Physics', 'SCI'), ('CHE', 'Chemistry', 'SCI'), ('BIO', 'Biology', 'SCI'),
  ('HIS', 'History', 'ART'), ('ECO', 'Economics', 'BUS');
INSERT INTO professor VALUES (1, 'Curie', 'PHY'), (2, 'Pauling', 'CHE'), (3, 'Darwin', 'BIO'), (4, 'Bloch', 'HIS'),
  (5, 'Braudel', 'HIS'), (6, 'Keynes', 'ECO'), (7, 'Smith', 'ECO'), (8, 'Hayek', 'ECO'), (9, 'Ricardo', 'ECO');
INSERT INTO student VALUES (1, 'Ann', 600, 'Lima'), (2, 'Bo', 520, 'Lima'), (3, 'Cy', 600, 'Oslo'), (4, 'Di', 600, 'Rome');
INSERT INTO physician VALUES (1, 'Molly Clock'), (2, 'John Dorian');
INSERT INTO medication VALUES (1, 'Thesisin'), (2, 'Procrastin');
INSERT INTO prescribes VALUES (1, 1, '2024-01-01'), (1, 1, '2024-02-01'), (2, 2, '2024-03-01');
INSERT INTO flight VALUES (7, 'Lima', 900), (8, 'Oslo', 300), (9, 'Rome', 500), (10, 'Lima', 100);
INSERT INTO apartments VALUES (1, 'Apt. 1', 1, 1), (2, 'Suite 2', 3, 2), (3, 'Apt. 3', 5, 3);
INSERT INTO problems VALUES (1, '1977-01-05 10:00:00', '1979-01-01 00:00:00'), (2, '1978-06-27 08:00:00', '1978-07-01 00:00:00'),
  (3, '1980-02-02 12:00:00', '1980-03-01 00:00:00');
INSERT INTO rentals VALUES (1, '2005-08-23 02:06:01', 5.0), (2, '2005-08-23 09:00:00', 7.0), (3, '2005-08-24 10:00:00', 3.0);
INSERT INTO county_public_safety VALUES (1, 'Abbotsford', 128165, 118.0), (2, 'Burnaby', 204320, 123.0),
  (3, 'Campbell River', 30810, 178.0);
"""


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SchemaInfo]:
    return database(tmp_path_factory, "nl2sql_grouping", CLINIC)


@pytest.mark.parametrize("question", ["How many events are there for each party?", "Count the events of each party."])
def test_a_breakdown_by_a_referenced_table_shows_its_names(clinic: tuple[Path, SchemaInfo], question: str) -> None:
    # (in either column order: "count the events of each party" names the count first)
    shown = sorted(sorted(row, key=str) for row in rows(*clinic, question))
    assert shown == [[1, "Reds"], [2, "Greens"]]


def test_a_breakdown_keeps_the_key_when_the_key_is_asked_for(clinic: tuple[Path, SchemaInfo]) -> None:
    result = rows(*clinic, "Show the party id and the number of events for each party.")
    assert sorted(result) == [(1, 2), (2, 1)]


def test_a_category_is_listed_once_even_when_stored_as_a_number(clinic: tuple[Path, SchemaInfo]) -> None:
    assert sorted(rows(*clinic, "Show all majors.")) == [(520,), (600,)]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which school has the fewest professors?", [("ART",)]),
        ("Which school has the smallest amount of professors?", [("ART",)]),
    ],
)
def test_a_shown_attribute_is_what_the_rows_are_counted_per(
    clinic: tuple[Path, SchemaInfo], question: str, expected: list[tuple[object, ...]]
) -> None:
    # each science department has the fewest professors (one), but the sciences together have three
    assert rows(*clinic, question) == expected


def test_a_name_of_the_entity_is_still_counted_per_entity(clinic: tuple[Path, SchemaInfo]) -> None:
    assert rows(*clinic, "What is the name of the department with the most professors?") == [("Economics",)]


@pytest.mark.parametrize(
    "question",
    [
        "What are the names of the physicians who prescribe medication Thesisin?",
        "List the names of physicians who prescribe Thesisin.",
    ],
)
def test_rows_restricted_through_a_join_are_shown_once(clinic: tuple[Path, SchemaInfo], question: str) -> None:
    # Molly Clock prescribed Thesisin twice
    assert rows(*clinic, question) == [("Molly Clock",)]


def test_a_total_ranked_by_a_plain_column_is_refused(clinic: tuple[Path, SchemaInfo]) -> None:
    result = ask(clinic[1], "Show the number of flights with the three lowest distances.")
    assert result.sql is None
    assert result.refusal


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("List the names of counties in descending order of population.", [("Burnaby",), ("Abbotsford",), ("Campbell River",)]),
        ("What are the minimum and maximum crime rate of counties?", [(118.0, 178.0)]),
    ],
)
def test_a_table_is_named_by_the_first_word_of_its_name(
    clinic: tuple[Path, SchemaInfo], question: str, expected: list[tuple[object, ...]]
) -> None:
    assert rows(*clinic, question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Show the apartment numbers of apartments with more than 2 bedrooms.", [("Suite 2",), ("Apt. 3",)]),
        ("Return the apartment number with the largest number of bedrooms.", [("Apt. 3",)]),
        ("Which apartments have fewer than 2 baths? Give their apartment numbers.", [("Apt. 1",)]),
    ],
)
def test_a_count_column_is_named_by_the_noun_it_counts(
    clinic: tuple[Path, SchemaInfo], question: str, expected: list[tuple[object, ...]]
) -> None:
    assert rows(*clinic, question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What are the ids of the problems which are reported after 1978-06-26?", [(2,), (3,)]),
        ("Which problems were closed before 1979-01-01? Give me their ids.", [(2,)]),
        ("How many rentals happened after '2005-08-23 02:06:01'?", [(2,)]),
        ("What is the total fee of rentals on 2005-08-23?", [(12.0,)]),
    ],
)
def test_a_written_date_is_compared_with_the_date_column_it_names(
    clinic: tuple[Path, SchemaInfo], question: str, expected: list[tuple[object, ...]]
) -> None:
    assert rows(*clinic, question) == expected


def test_a_date_with_two_candidate_columns_and_no_verb_is_not_guessed(clinic: tuple[Path, SchemaInfo]) -> None:
    assert ask(clinic[1], "How many problems are there after 1978-06-26?").sql is None


STAFFING = """
CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, first_name TEXT, salary INTEGER);
CREATE TABLE classroom (room_id INTEGER PRIMARY KEY, building TEXT, capacity INTEGER);
CREATE TABLE lessons (lesson_id INTEGER PRIMARY KEY, staff_id INTEGER REFERENCES staff(staff_id), price REAL);
CREATE TABLE student (stu_id INTEGER PRIMARY KEY, fname TEXT, age INTEGER, sex TEXT);
CREATE TABLE sports_info (stu_id INTEGER REFERENCES student(stu_id), sport_name TEXT, hours INTEGER);
INSERT INTO staff VALUES (1, 'Ludie', 500), (2, 'Janessa', 900), (3, 'Camylle', 700), (4, 'Dina', 300);
INSERT INTO classroom VALUES (1, 'Lamberton', 40), (2, 'Lamberton', 80), (3, 'Taylor', 60);
INSERT INTO lessons VALUES (1, 1, 10.0), (2, 1, 20.0), (3, 1, 30.0), (4, 2, 15.0), (5, 2, 25.0), (6, 3, 12.0);
INSERT INTO student VALUES (1, 'Ann', 18, 'F'), (2, 'Ann', 22, 'F'), (3, 'Bo', 20, 'M'), (4, 'Cy', 24, 'M');
INSERT INTO sports_info VALUES (1, 'Football', 2), (1, 'Lacrosse', 3), (2, 'Football', 1), (3, 'Lacrosse', 4), (4, 'Football', 5),
  (4, 'Lacrosse', 1);
"""


@pytest.fixture(scope="module")
def staffing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SchemaInfo]:
    return database(tmp_path_factory, "nl2sql_staffing", STAFFING)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many employees are there?", [(4,)]),
        ("What is the first name of the employee with the highest salary?", [("Janessa",)]),
        ("How many rooms does the Lamberton building have?", [(2,)]),
        ("What are the first names of the 2 staff with the most lessons?", [("Ludie",), ("Janessa",)]),
        ("What is the first name of the 3 employees who get paid the least?", [("Dina",), ("Ludie",), ("Camylle",)]),
        ("What is the average price of lessons for each each staff id?", [(20.0, 1), (20.0, 2), (12.0, 3)]),
        ("What are the first names for each of the staff?", [("Ludie",), ("Janessa",), ("Camylle",), ("Dina",)]),
    ],
)
def test_tables_found_by_synonym_compound_head_and_ranked_counts(
    staffing: tuple[Path, SchemaInfo], question: str, expected: list[tuple[object, ...]]
) -> None:
    result = rows(*staffing, question)
    ranked = "most" in question or "least" in question
    assert (result if ranked else sorted(result)) == (expected if ranked else sorted(expected))


def test_a_word_typed_twice_at_the_end_is_not_guessed(staffing: tuple[Path, SchemaInfo]) -> None:
    assert ask(staffing[1], "What is the average price of lessons for each each?").sql is None


def test_several_columns_of_rows_meeting_both_conditions(staffing: tuple[Path, SchemaInfo]) -> None:
    # the two Anns are two students; only the first plays both sports
    question = "Find the first name and age of the students who are playing both Football and Lacrosse."
    result = rows(*staffing, question)
    assert sorted(result) == [("Ann", 18), ("Cy", 24)]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Show the average age for male and female students.", [(20.0, "F"), (22.0, "M")]),
        ("What are the average ages for male and female students?", [(20.0, "F"), (22.0, "M")]),
    ],
)
def test_a_total_for_male_and_female_is_one_row_per_sex(
    staffing: tuple[Path, SchemaInfo], question: str, expected: list[tuple[object, ...]]
) -> None:
    assert sorted(rows(*staffing, question), key=lambda row: row[1]) == expected


COLLEGE = """
CREATE TABLE department (dept_name TEXT PRIMARY KEY, building TEXT);
CREATE TABLE course (course_id TEXT PRIMARY KEY, title TEXT, dept_name TEXT REFERENCES department(dept_name));
CREATE TABLE student (id INTEGER PRIMARY KEY, name TEXT, dept_name TEXT REFERENCES department(dept_name));
CREATE TABLE club (club_id INTEGER PRIMARY KEY, club_name TEXT);
CREATE TABLE member_of_club (stu_id INTEGER REFERENCES student(id), club_id INTEGER REFERENCES club(club_id), position TEXT);
INSERT INTO department VALUES ('Statistics', 'Taylor'), ('Psychology', 'Watson'), ('History', 'Painter');
INSERT INTO course VALUES ('S1', 'Data Mining', 'Statistics'), ('S2', 'Surveys', 'Statistics'), ('P1', 'Surveys', 'Psychology'),
  ('P2', 'Memory', 'Psychology'), ('H1', 'Rome', 'History');
INSERT INTO student VALUES (1, 'Ann', 'History'), (2, 'Bo', 'Statistics');
INSERT INTO club VALUES (1, 'Tennis Club'), (2, 'Chess Club');
INSERT INTO member_of_club VALUES (1, 1, 'President'), (2, 1, 'Member'), (2, 2, 'Member');
"""


@pytest.fixture(scope="module")
def college(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SchemaInfo]:
    return database(tmp_path_factory, "nl2sql_college", COLLEGE)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # "Statistics" is in department.dept_name and in the two keys pointing at it: one value, not three
        ("Find the title of course that is provided by both Statistics and Psychology departments.", [("Surveys",)]),
        (
            "What are the titles of courses that are in the Statistics department but not the Psychology department?",
            [("Data Mining",)],
        ),
        # a link table called "member of club" holds the members
        ('How many members does the club "Tennis Club" have?', [(2,)]),
    ],
)
def test_values_of_one_key_family_and_members_of_a_link_table(
    college: tuple[Path, SchemaInfo], question: str, expected: list[tuple[object, ...]]
) -> None:
    assert rows(*college, question) == expected


VISITS = """
CREATE TABLE tourist_attractions (attraction_id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE visitors (visitor_id INTEGER PRIMARY KEY, visitor_details TEXT);
CREATE TABLE visits (visit_id INTEGER PRIMARY KEY, attraction_id INTEGER REFERENCES tourist_attractions(attraction_id),
                     visitor_id INTEGER REFERENCES visitors(visitor_id));
INSERT INTO tourist_attractions VALUES (1, 'Museum'), (2, 'Zoo'), (3, 'Park');
INSERT INTO visitors VALUES (1, 'Alison'), (2, 'Rosalind');
INSERT INTO visits VALUES (1, 1, 1), (2, 1, 2), (3, 1, 1), (4, 2, 2);
"""


@pytest.fixture(scope="module")
def visits(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SchemaInfo]:
    return database(tmp_path_factory, "nl2sql_visits", VISITS)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Show the names of tourist attractions that are visited at least twice.", [("Museum",)]),
        ("Which tourist attraction was visited the most times? Give its name.", [("Museum",)]),
    ],
)
def test_times_count_the_rows_of_the_table_the_verb_names(
    visits: tuple[Path, SchemaInfo], question: str, expected: list[tuple[object, ...]]
) -> None:
    assert rows(*visits, question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "What are the names of the tourist attractions that are visited at most once?",
        "Which tourist attractions have fewer than 2 visits? Give their names.",
    ],
)
def test_a_count_that_may_be_zero_keeps_the_rows_with_none(visits: tuple[Path, SchemaInfo], question: str) -> None:
    # the Park was never visited: "at most once" includes it
    assert sorted(rows(*visits, question)) == [("Park",), ("Zoo",)]


def test_often_counts_the_rows_of_the_table_the_verb_names(visits: tuple[Path, SchemaInfo]) -> None:
    assert rows(*visits, "Which tourist attraction is visited most often? Give its name.") == [("Museum",)]


def test_an_amount_of_time_is_not_a_number_of_times(visits: tuple[Path, SchemaInfo]) -> None:
    assert ask(visits[1], "Which tourist attraction was visited for the least amount of time?").sql is None


INN = """
CREATE TABLE rooms (room_id TEXT PRIMARY KEY, room_name TEXT, bed_type TEXT);
CREATE TABLE reservations (code INTEGER PRIMARY KEY, room TEXT REFERENCES rooms(room_id), last_name TEXT);
INSERT INTO rooms VALUES ('RND', 'Recluse and defiance', 'King'), ('IBS', 'Interim but salutary', 'Queen'),
  ('AOB', 'Abscond or bolster', 'King');
INSERT INTO reservations VALUES (1, 'RND', 'Sweazy'), (2, 'IBS', 'Sweazy'), (3, 'IBS', 'Kip'), (4, 'IBS', 'Lo'), (5, 'AOB', 'Lo');
"""


def test_a_key_named_after_its_table_shows_the_names(tmp_path_factory: pytest.TempPathFactory) -> None:
    # reservations.room points at rooms: the breakdown is per room, shown by the room's name, not its key
    inn, schema = database(tmp_path_factory, "nl2sql_inn", INN)
    assert rows(inn, schema, "Which room has the largest number of reservations?") == [("Interim but salutary",)]
    assert rows(inn, schema, "Which room id has the largest number of reservations?") == [("IBS",)]


UNDECLARED = """
CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, customer_first_name TEXT, customer_last_name TEXT);
CREATE TABLE accounts (account_id INTEGER PRIMARY KEY, customer_id INTEGER, account_name TEXT);
CREATE TABLE musical (musical_id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE actor (actor_id INTEGER PRIMARY KEY, name TEXT, musical_id INTEGER REFERENCES actor(actor_id));
CREATE TABLE notes (id INTEGER PRIMARY KEY, code TEXT, customer_id TEXT);
INSERT INTO customers VALUES (1, 'Art', 'Turcotte'), (2, 'Blanche', 'Huels'), (3, 'Dee', 'Lo');
INSERT INTO accounts VALUES (10, 1, '162'), (11, 1, '900'), (12, 2, '338');
INSERT INTO musical VALUES (1, 'The Phantom of the Opera'), (2, 'Cats');
INSERT INTO actor VALUES (1, 'Ray', 1), (2, 'Kim', 1), (3, 'Lee', 2);
"""


def test_joins_the_database_never_declared_are_inferred_from_key_names(tmp_path_factory: pytest.TempPathFactory) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_undeclared", UNDECLARED)
    keys = {(k.table, k.column, k.ref_table, k.ref_column) for k in schema.foreign_keys}
    assert ("accounts", "customer_id", "customers", "customer_id") in keys
    # a declaration pointing a column back into its own table under another name is a mistake
    assert ("actor", "musical_id", "musical", "musical_id") in keys
    # text against an integer key is not the same value
    assert not any(k[0] == "notes" for k in keys)
    assert rows(path, schema, "How many accounts does the customer with first name Art have?") == [(2,)]
    assert sorted(rows(path, schema, "Show names of actors who have been in the musical named Cats.")) == [("Lee",)]


def test_top_n_of_a_numeric_column_ranks_by_it(staffing: tuple[Path, SchemaInfo]) -> None:
    result = rows(*staffing, "What are the first names of the staff with the top 2 salaries?")
    assert result == [("Janessa",), ("Camylle",)]


ACTORS = """
CREATE TABLE actor (actor_id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT);
CREATE TABLE film_actor (actor_id INTEGER REFERENCES actor(actor_id), film TEXT);
INSERT INTO actor VALUES (1, 'Kim', 'Lee'), (2, 'Kim', 'Park'), (3, 'Kim', 'Park'), (4, 'Ann', 'Lee'), (5, 'Ann', 'Lee'),
  (6, 'Ann', 'Lee');
INSERT INTO film_actor VALUES (1, 'Up'), (1, 'Go'), (2, 'Up');
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # by first name alone Kim is as common as Ann; the full name Ann Lee is the most common
        ("What is the most popular full name of the actors?", [("Ann", "Lee")]),
        ("List the full names of actors whose last name is Park.", [("Kim", "Park"), ("Kim", "Park")]),
    ],
)
def test_a_full_name_is_the_first_and_last_name(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]]
) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_actors", ACTORS)
    assert rows(path, schema, question) == expected


FEES = """
CREATE TABLE campuses (id INTEGER PRIMARY KEY, campus TEXT, year INTEGER);
CREATE TABLE csu_fees (campus INTEGER REFERENCES campuses(id), year INTEGER, campus_fee INTEGER);
CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, customer_last_name TEXT, phone_number TEXT);
CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(customer_id));
INSERT INTO campuses VALUES (1, 'San Jose State University', 1857), (2, 'Chico State', 1996);
INSERT INTO csu_fees VALUES (1, 1996, 1951), (1, 2000, 2001), (2, 1996, 1700);
INSERT INTO customers VALUES (7, 'Muller', '555-0107'), (8, 'Ross', '555-0108');
INSERT INTO orders VALUES (1, 8), (2, 7), (3, 7);
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # campuses have a year too (founded); the year asked about is the fee's
        ('What is the campus fee of "San Jose State University" in year 1996?', [(1951,)]),
        # "id" between two customer columns is the customer's id, not the order's
        ("What is the customer last name, id and phone number with the most orders?", [("Muller", 7, "555-0107")]),
    ],
)
def test_a_column_of_several_tables_belongs_to_what_the_question_is_about(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]]
) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_fees", FEES)
    assert rows(path, schema, question) == expected


SCHOOLS = """
CREATE TABLE school (school_id INTEGER PRIMARY KEY, school TEXT, location TEXT, denomination TEXT);
CREATE TABLE player (player_id INTEGER PRIMARY KEY, player TEXT, team TEXT, age INTEGER,
                     school_id INTEGER REFERENCES school(school_id));
INSERT INTO school VALUES (1, 'Barker', 'Sydney', 'Anglican'), (2, 'Knox', 'Perth', 'Uniting');
INSERT INTO player VALUES (1, 'Timothy', 'Columbus', 20, 1), (2, 'Jose', 'Cleveland', 31, 2), (3, 'Ann', 'Columbus', 25, 2);
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # a relation verb ending the clause with its preposition only restates the join
        ("What is the location of the school that player Jose belongs to?", [("Perth",)]),
        ("What is the denomination of the school the most players belong to?", [("Uniting",)]),
        # "sort the result in …" orders the rows
        ("What are the names of the players? Sort the result in descending order of age.", None),
    ],
)
def test_clause_final_relation_verbs_and_sorted_results(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]] | None
) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_schools", SCHOOLS)
    result = rows(path, schema, question)
    if expected is None:
        assert result == [("Jose",), ("Ann",), ("Timothy",)]
    else:
        assert sorted(result) == expected


def test_a_relative_clause_cut_off_after_its_verb_is_refused(tmp_path_factory: pytest.TempPathFactory) -> None:
    _, schema = database(tmp_path_factory, "nl2sql_schools", SCHOOLS)
    assert ask(schema, "Find the names of the schools which are involved in").sql is None


GAMES = """
CREATE TABLE video_games (game_id INTEGER PRIMARY KEY, gname TEXT, gtype TEXT);
INSERT INTO video_games VALUES (1, 'RNG Stone', 'Collectible card game'), (2, 'Grand Term', 'Role-playing game'),
  (3, 'Works of Widenius', 'Collectible card game');
"""


def test_a_word_before_a_value_naming_its_column_is_the_column(tmp_path_factory: pytest.TempPathFactory) -> None:
    # "type" is the last word of GType ("G Type"): it names the column of the value that follows
    path, schema = database(tmp_path_factory, "nl2sql_games", GAMES)
    assert rows(path, schema, "How many video games have type Collectible card game?") == [(2,)]


FLIGHTS = """
CREATE TABLE aircraft (aid INTEGER PRIMARY KEY, name TEXT, distance INTEGER);
CREATE TABLE flight (flno INTEGER PRIMARY KEY, origin TEXT, aid INTEGER REFERENCES aircraft(aid));
INSERT INTO aircraft VALUES (12, 'Boeing 747-400', 8430), (13, 'Airbus A340-300', 7120);
INSERT INTO flight VALUES (99, 'Los Angeles', 13), (100, 'Chicago', 12);
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is the name and distance for aircraft with id 12?", [("Boeing 747-400", 8430)]),
        ("What is the name and distance for the aircraft that has an id of 12?", [("Boeing 747-400", 8430)]),
        ("What is the aircraft name for the flight with number 99?", [("Airbus A340-300",)]),
        # flno is the flight's number: "flight number" names the key and the table at once
        ("What is the name of the aircraft that was on flight number 99?", [("Airbus A340-300",)]),
        ("Show all flight numbers with aircraft Airbus A340-300.", [(99,)]),
    ],
)
def test_a_bare_key_word_before_a_number_is_the_tables_key(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]]
) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_flights", FLIGHTS)
    assert rows(path, schema, question) == expected


PARTIES = """
CREATE TABLE party (party_id INTEGER PRIMARY KEY, location TEXT, number_of_hosts INTEGER);
CREATE TABLE host (host_id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE party_host (party_id INTEGER REFERENCES party(party_id), host_id INTEGER REFERENCES host(host_id));
INSERT INTO party VALUES (1, 'Hemkade 48 Zaandam', 31), (2, 'Heineken Music Hall', 5);
INSERT INTO host VALUES (1, 'Ed'), (2, 'Bo'), (3, 'Cy');
INSERT INTO party_host VALUES (1, 1), (2, 2), (2, 3);
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # the party keeps its own count of hosts (31); only some of them are listed in party_host
        ("What is the location of the party with the most hosts?", [("Hemkade 48 Zaandam",)]),
        ("Show the locations of parties with more than 20 hosts.", [("Hemkade 48 Zaandam",)]),
    ],
)
def test_a_count_the_table_keeps_is_used_for_most_and_more_than(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]]
) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_parties", PARTIES)
    assert rows(path, schema, question) == expected


WRESTLING = """
CREATE TABLE wrestler (wrestler_id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE elimination (elimination_id INTEGER PRIMARY KEY, wrestler_id INTEGER REFERENCES wrestler(wrestler_id), time TEXT);
INSERT INTO wrestler VALUES (1, 'Rey'), (2, 'Punk'), (3, 'Orton');
INSERT INTO elimination VALUES (1, 2, '10:45');
"""


@pytest.mark.parametrize(
    "question", ["List the names of wrestlers that have not been eliminated.", "Which wrestlers were never eliminated?"]
)
def test_a_negated_participle_names_the_events_that_must_not_exist(
    tmp_path_factory: pytest.TempPathFactory, question: str
) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_wrestling", WRESTLING)
    assert sorted(rows(path, schema, question)) == [("Orton",), ("Rey",)]


ROOMS = """
CREATE TABLE rooms (room_id TEXT PRIMARY KEY, room_name TEXT, bed_type TEXT, nationality TEXT);
INSERT INTO rooms VALUES ('A', 'Alpha', 'King', 'Peru'), ('B', 'Beta', 'Queen', 'Peru'), ('C', 'Gamma', 'King', 'Chile'),
  ('D', 'Delta', 'Double', 'Peru');
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many different types of beds are there?", [(3,)]),
        ("How many different kinds of bed types are there?", [(3,)]),
        ("List the nations that have more than two rooms.", [("Peru",)]),
    ],
)
def test_kinds_and_types_of_and_nations(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]]
) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_rooms", ROOMS)
    assert rows(path, schema, question) == expected


SHOP = """
CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT, country TEXT);
CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(customer_id));
INSERT INTO customers VALUES (1, 'Ada', 'Lovelace', 'UK'), (2, 'Kurt', 'Godel', 'Austria'), (3, 'Emmy', 'Noether', 'Germany');
INSERT INTO orders VALUES (1, 1), (2, 1), (3, 2);
"""


@pytest.mark.parametrize(
    "question", ["List the names of customers who have not placed an order.", "Which customers have never placed an order?"]
)
def test_customers_without_an_order_by_first_and_last_name(tmp_path_factory: pytest.TempPathFactory, question: str) -> None:
    # "an order" is the orders table here, not the word of "in an order"; a customer's name is first + last
    path, schema = database(tmp_path_factory, "nl2sql_shop", SHOP)
    assert rows(path, schema, question) == [("Emmy", "Noether")]


CAMPUSES = """
CREATE TABLE campuses (id INTEGER PRIMARY KEY, campus TEXT, location TEXT, county TEXT, year INTEGER);
CREATE TABLE students (student_id INTEGER PRIMARY KEY, fname TEXT, lname TEXT, age INTEGER);
INSERT INTO campuses VALUES (1, 'Cal Poly', 'San Luis Obispo', 'San Luis Obispo', 1901),
  (2, 'Cal State LA', 'Los Angeles', 'Los Angeles', 1947), (3, 'Cal State Northridge', 'Northridge', 'Los Angeles', 1958);
INSERT INTO students VALUES (1, 'Ann', 'Lee', 18), (2, 'Bo', 'Kim', 30), (3, 'Cy', 'Ray', 21);
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # "campuses" is the plural of the campus column that names each row
        ("What campuses are in Los Angeles county?", [("Cal State LA",), ("Cal State Northridge",)]),
        ("Find all the campuses opened in 1958.", [("Cal State Northridge",)]),
        ("What campuses opened between 1940 and 1960?", [("Cal State LA",), ("Cal State Northridge",)]),
        # "younger" after "age" is the comparison of that same column
        ("Find the first name of students whose age is younger than the average age.", [("Ann",), ("Cy",)]),
    ],
)
def test_a_plural_table_named_by_its_singular_column(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]]
) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_campuses", CAMPUSES)
    assert sorted(rows(path, schema, question)) == expected


CLUBS = """
CREATE TABLE club (club_id INTEGER PRIMARY KEY, club_name TEXT);
CREATE TABLE student (stu_id INTEGER PRIMARY KEY, fname TEXT, sex TEXT, major TEXT);
CREATE TABLE member_of_club (stu_id INTEGER REFERENCES student(stu_id), club_id INTEGER REFERENCES club(club_id));
INSERT INTO club VALUES (1, 'Chess'), (2, 'Rowing');
INSERT INTO student VALUES (1, 'Ann', 'F', 'Math'), (2, 'Bea', 'F', 'Art'), (3, 'Cy', 'M', 'Math'), (4, 'Dan', 'M', 'Math'),
  (5, 'Eli', 'M', 'Math'), (6, 'Fay', 'F', 'Art');
INSERT INTO member_of_club VALUES (1, 2), (2, 2), (3, 1), (4, 1), (5, 1);
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # Chess has the most members, Rowing the most female ones: the value filters the rows counted
        ("Find the name of the club that has the most female students.", [("Rowing",)]),
        ("Find the name of the club that has the most students.", [("Chess",)]),
        ("Find the major that is studied by the most female students.", [("Art",)]),
        # "corresponding" only restates the link to the rows counted
        ("Which majors have more than 2 corresponding students?", [("Math",)]),
    ],
)
def test_the_rows_counted_are_those_the_words_describe(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]]
) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_clubs", CLUBS)
    assert rows(path, schema, question) == expected


CONTACTS = """
CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, customer_name TEXT, customer_phone TEXT,
                        customer_email TEXT, customer_address TEXT);
INSERT INTO customers VALUES (1, 'Harold', '555-0101', 'harold@example.org', '1 Main St'),
  (2, 'Maude', '555-0202', 'maude@example.org', '2 Elm St');
"""


def test_phone_numbers_and_email_addresses_are_one_column_each(tmp_path_factory: pytest.TempPathFactory) -> None:
    # customer_phone is the "phone number", customer_email the "email address" (not also customer_address)
    path, schema = database(tmp_path_factory, "nl2sql_contacts", CONTACTS)
    question = "Find the phone number and email address of customer Harold."
    assert rows(path, schema, question) == [("555-0101", "harold@example.org")]


BRANCHES = """
CREATE TABLE branch (branch_id INTEGER PRIMARY KEY, name TEXT, open_year INTEGER);
CREATE TABLE school (school_id INTEGER PRIMARY KEY, school TEXT, founded REAL, enrollment INTEGER);
INSERT INTO branch VALUES (1, 'Alley', 2009), (2, 'Brook', 2001), (3, 'Cove', 2015);
INSERT INTO school VALUES (1, 'Elm High', 1890, 400), (2, 'Oak High', 1921, 900);
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # open_year is the "year of opening" / "opening year"; "founded" the "founded year"
        ("Return the names of branches, ordered by year of opening ascending.", [("Brook",), ("Alley",), ("Cove",)]),
        ("What are the names of the branches ordered by opening year?", [("Brook",), ("Alley",), ("Cove",)]),
        ("Return the founded year for the school with the largest enrollment.", [(1921.0,)]),
        # "When was … founded?" asks for the date (here a year) the verb names, and only that
        ("When was the school with the largest enrollment founded?", [(1921.0,)]),
    ],
)
def test_a_year_column_named_by_its_verb(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]]
) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_branches", BRANCHES)
    assert rows(path, schema, question) == expected


DATED = """
CREATE TABLE catalogs (catalog_id INTEGER PRIMARY KEY, catalog_name TEXT, date_of_publication DATETIME,
                       date_of_latest_revision DATETIME);
CREATE TABLE tweets (id INTEGER PRIMARY KEY, text TEXT, createdate DATETIME);
CREATE TABLE students (student_id INTEGER PRIMARY KEY, family_name TEXT, date_of_latest_logon DATETIME);
INSERT INTO catalogs VALUES (1, 'Chocolate', '2013-03-15', '2017-09-26'), (2, 'Coffee', '2012-04-13', '2017-03-30');
INSERT INTO tweets VALUES (1, 'later', '2018-03-09'), (2, 'earlier', '2018-02-01');
INSERT INTO students VALUES (1, 'Jaskolski', '2017-06-19'), (2, 'Langosh', '2018-01-01'), (3, 'Other', '2016-01-01');
"""


@pytest.mark.parametrize(
    ("question", "expected", "ordered"),
    [
        # "publication date" is date_of_publication; "date" alone a table's only date column
        ("What is the publication date of the catalog named Coffee?", [("2012-04-13",)], False),
        ("List the text of all tweets in the order of date.", [("earlier",), ("later",)], True),
        # "the first" of rows with one date are the earliest by it
        ("Show the text of the first 1 tweets.", [("earlier",)], True),
        # "latest" is part of the column's name here, not a superlative over it
        (
            "Find the latest logon date of the students whose family name is Jaskolski or Langosh.",
            [("2017-06-19",), ("2018-01-01",)],
            False,
        ),
    ],
)
def test_date_columns_by_their_own_words(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]], ordered: bool
) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_dated", DATED)
    got = rows(path, schema, question)
    assert got == expected if ordered else sorted(got) == expected


STAFF = """
CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT, date_joined_staff DATETIME,
                    date_left_staff DATETIME, date_of_birth DATETIME);
INSERT INTO staff VALUES (1, 'Janessa', 'Sawayn', '2016-06-06', '2018-03-10', '1970-01-01'),
  (2, 'Camylle', 'Weissnat', '2017-01-01', '2018-01-01', '1980-01-01');
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When did the staff member with first name Janessa and last name Sawayn join?", [("2016-06-06",)]),
        ("When did the staff member with first name Janessa and last name Sawayn leave?", [("2018-03-10",)]),
    ],
)
def test_when_asks_for_the_date_its_verb_names(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]]
) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_staff", STAFF)
    assert rows(path, schema, question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # the most common major only picks the students counted ...
        ("Count the number of students that have the major that is most common.", [(4,)]),
        ("How many students are in the most common major?", [(4,)]),
        # ... unless it is asked for first
        ("What is the most common major and how many students have it?", [("Math", 4)]),
    ],
)
def test_the_most_common_value_as_a_restriction_or_as_an_answer(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]]
) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_clubs", CLUBS)
    assert rows(path, schema, question) == expected


FARMS = """
CREATE TABLE farm (farm_id INTEGER PRIMARY KEY, year INTEGER, working_horses REAL, cows REAL);
INSERT INTO farm VALUES (1, 1927, 3900, 2407), (2, 1928, 4090, 2518), (3, 1929, 4198, 2604);
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # after an aggregate, "number of cows" is the cows column, not a count of farms
        ("What are the maximum and minimum number of cows across all farms?", [(2604.0, 2407.0)]),
        ("What is the average number of working horses of all farms?", [(4062.67,)]),
        ("How many farms are there?", [(3,)]),
    ],
)
def test_an_aggregate_of_a_number_of_column(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]]
) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_farms", FARMS)
    got = [tuple(round(v, 2) if isinstance(v, float) else v for v in row) for row in rows(path, schema, question)]
    assert got == expected


SHOPS = """
CREATE TABLE stores (store_id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE employees (employee_id INTEGER PRIMARY KEY, name TEXT, store_id INTEGER REFERENCES stores(store_id));
INSERT INTO stores VALUES (1, 'Berlin'), (2, 'Paris'), (3, 'Rome');
INSERT INTO employees VALUES (1, 'Ann', 1), (2, 'Bo', 2), (3, 'Cy', NULL);
"""


@pytest.mark.parametrize("question", ["Which stores have no employees?", "List the names of stores without employees."])
def test_no_related_rows_despite_a_null_key(tmp_path_factory: pytest.TempPathFactory, question: str) -> None:
    """An employee with no store must not hide the store with no employees (NOT IN over a NULL is never true)."""
    path, schema = database(tmp_path_factory, "nl2sql_shops", SHOPS)
    assert rows(path, schema, question) == [("Rome",)]



DEPARTMENTS = """
CREATE TABLE department (dept_code TEXT PRIMARY KEY, dept_name TEXT);
CREATE TABLE student (stu_num INTEGER PRIMARY KEY, dept_code TEXT REFERENCES department(dept_code), stu_gpa REAL);
INSERT INTO department VALUES ('ACCT', 'Accounting'), ('BIOL', 'Biology');
INSERT INTO student VALUES (1, 'ACCT', 2.5), (2, 'ACCT', 3.0), (3, 'BIOL', 3.8);
"""


def test_which_group_is_not_answered_with_its_figure_alone(tmp_path_factory: pytest.TempPathFactory) -> None:
    """ "Which …, and what is …" asks for the group first: a figure with no group beside it would look like an
    answer and is not one; the engine names the group or refuses."""
    path, schema = database(tmp_path_factory, "nl2sql_departments", DEPARTMENTS)
    result = ask(schema, "Which department has the highest average student GPA, and what is the average gpa?")
    assert result.sql is None or any("Biology" in row for row in fetch(path, result.sql))


STAFF_PAY = """
CREATE TABLE instructor (id INTEGER PRIMARY KEY, name TEXT, dept_name TEXT, salary REAL, year INTEGER);
INSERT INTO instructor VALUES (1, 'Ada', 'Biology', 50000, 2006), (2, 'Ben', 'Biology', 70000, 2007),
  (3, 'Cal', 'Physics', 60000, 2006), (4, 'Dee', 'Physics', 90000, 2007), (5, 'Eve', 'History', 40000, 2006);
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # than every / any of them: than the highest of them
        ("Names of instructors with a higher salary than any of the instructors in the Biology department?", [("Dee",)]),
        ("Find instructors whose salary is greater than that of every instructor in Biology.", [("Dee",)]),
        # than some / at least one of them: than the lowest of them
        ("Names of instructors with salary greater than that of some instructor in Biology.", [("Ben",), ("Cal",), ("Dee",)]),
        ("Which instructors have a salary lower than all instructors in Physics?", [("Ada",), ("Eve",)]),
        # than the largest / smallest value of the column
        ("Names of instructors whose salary is less than the largest salary", [("Ada",), ("Ben",), ("Cal",), ("Eve",)]),
        ("Names of instructors whose salary is more than the minimum salary of instructors in Physics", [("Ben",), ("Dee",)]),
        # the comparison with the average before the column
        ("Names of instructors with above average salary", [("Ben",), ("Dee",)]),
        ("Give the names of the instructors with a lower than average salary.", [("Ada",), ("Cal",), ("Eve",)]),
        ("What are the names of instructors who earned less than the maximum salary?", [("Ada",), ("Ben",), ("Cal",), ("Eve",)]),
        ("Names of instructors earning more than the average salary", [("Ben",), ("Dee",)]),
    ],
)
def test_a_value_compared_with_a_set_of_rows(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]]
) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_staff_pay", STAFF_PAY)
    assert sorted(rows(path, schema, question)) == expected


def test_a_set_narrowed_by_words_it_cannot_read_is_refused(tmp_path_factory: pytest.TempPathFactory) -> None:
    # "hired in 2006" could narrow the instructors compared with or the instructors listed
    _, schema = database(tmp_path_factory, "nl2sql_staff_pay", STAFF_PAY)
    assert ask(schema, "Names of instructors with a salary above any instructor hired in 2006").sql is None


SUPPLY = """
CREATE TABLE products (product_id INTEGER PRIMARY KEY, product_name TEXT, price REAL);
CREATE TABLE suppliers (supplier_id INTEGER PRIMARY KEY, supplier_name TEXT);
CREATE TABLE product_suppliers (product_id INTEGER REFERENCES products(product_id),
  supplier_id INTEGER REFERENCES suppliers(supplier_id), PRIMARY KEY (product_id, supplier_id));
INSERT INTO products VALUES (1, 'Bolt', 2), (2, 'Nut', 1), (3, 'Gear', 30);
INSERT INTO suppliers VALUES (1, 'Acme'), (2, 'Globex');
INSERT INTO product_suppliers VALUES (1, 2), (3, 2), (2, 1);
"""


def test_an_id_after_a_table_and_with_is_that_tables_id(tmp_path_factory: pytest.TempPathFactory) -> None:
    # "the supplier with id 2" is suppliers.supplier_id, not the products' own id
    path, schema = database(tmp_path_factory, "nl2sql_supply", SUPPLY)
    assert sorted(rows(path, schema, "What are the ids of products from the supplier with id 2?")) == [(1,), (3,)]


UNIVERSITIES = """
CREATE TABLE university (school_id INTEGER PRIMARY KEY, school TEXT, enrollment INTEGER, affiliation TEXT);
CREATE TABLE match (match_id INTEGER PRIMARY KEY, school_id INTEGER REFERENCES university(school_id), score INTEGER);
INSERT INTO university VALUES (1, 'Delaware', 19000, 'Public'), (2, 'Lebanon Valley', 2100, 'Private'),
  (3, 'Rutgers', 56000, 'Public');
INSERT INTO match VALUES (1, 1, 70), (2, 3, 81);
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is the total and minimum enrollment of all schools?", [(77100, 2100)]),
        ("Return the maximum enrollment across all schools.", [(56000,)]),
        ("What is the average enrollment of every institution?", [(25700.0,)]),
    ],
)
def test_the_rows_of_the_only_table_asked_about_named_by_another_word(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]]
) -> None:
    # every column asked for is the university table's, and "schools" is the one word left after "all"
    path, schema = database(tmp_path_factory, "nl2sql_universities", UNIVERSITIES)
    assert rows(path, schema, question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "What is the maximum enrollment of all small schools?",  # "small" would filter: two words unplaced
        "What is the maximum enrollment of all visitors?",  # nothing in the table's names says its rows are visitors
    ],
)
def test_a_word_left_after_all_is_not_always_the_rows(tmp_path_factory: pytest.TempPathFactory, question: str) -> None:
    _, schema = database(tmp_path_factory, "nl2sql_universities", UNIVERSITIES)
    assert ask(schema, question).sql is None


CATALOGUE = """
CREATE TABLE ref_colors (color_code TEXT PRIMARY KEY, color_description TEXT);
CREATE TABLE ref_categories (category_code TEXT PRIMARY KEY, unit_of_measure TEXT);
CREATE TABLE products (product_id INTEGER PRIMARY KEY, product_name TEXT,
  color_code TEXT REFERENCES ref_colors(color_code), category_code TEXT REFERENCES ref_categories(category_code));
CREATE TABLE station (station_id INTEGER PRIMARY KEY, name TEXT, location TEXT);
CREATE TABLE train (train_id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE train_station (train_id INTEGER REFERENCES train(train_id), station_id INTEGER REFERENCES station(station_id));
INSERT INTO ref_colors VALUES ('1', 'red'), ('2', 'green');
INSERT INTO ref_categories VALUES ('Herbs', 'handful'), ('Spices', 'weight');
INSERT INTO products VALUES (1, 'catnip', '2', 'Herbs'), (2, 'cumin', '1', 'Spices');
INSERT INTO station VALUES (1, 'Euston', 'London'), (2, 'Central', 'Glasgow');
INSERT INTO train VALUES (1, 'Express');
INSERT INTO train_station VALUES (1, 1);
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is the color description of the product with name 'catnip'?", [("green",)]),
        ("Give the unit of measure for the product with the name 'cumin'.", [("weight",)]),
    ],
)
def test_a_column_of_one_of_the_tables_a_row_points_at(
    tmp_path_factory: pytest.TempPathFactory, question: str, expected: list[tuple[object, ...]]
) -> None:
    # products point at colours and at categories; only the colours have a colour description
    path, schema = database(tmp_path_factory, "nl2sql_catalogue", CATALOGUE)
    assert rows(path, schema, question) == expected


def test_a_column_read_through_a_linking_table_is_refused(tmp_path_factory: pytest.TempPathFactory) -> None:
    # train_station only links trains and stations: its "locations" would list only stations with a train
    _, schema = database(tmp_path_factory, "nl2sql_catalogue", CATALOGUE)
    result = ask(schema, "What are all locations of train stations?")
    assert result.sql is None or "train_station" not in result.sql.lower(), result.sql


LETTINGS = """
CREATE TABLE apartments (apt_id INTEGER PRIMARY KEY, apt_number TEXT, bedroom_count INTEGER);
CREATE TABLE apartment_bookings (booking_id INTEGER PRIMARY KEY, apt_id INTEGER REFERENCES apartments(apt_id),
  booking_status_code TEXT);
CREATE TABLE payments (payment_id INTEGER PRIMARY KEY, payment_method TEXT, apt_id INTEGER REFERENCES apartments(apt_id));
INSERT INTO apartments VALUES (1, 'Suite 634', 5), (2, 'Apt. 585', 2);
INSERT INTO apartment_bookings VALUES (10, 1, 'Confirmed'), (11, 2, 'Provisional'), (12, 1, 'Provisional');
INSERT INTO payments VALUES (1, 'Visa', 1), (2, 'Cash', 2), (3, 'Visa', 2);
"""


def test_a_column_of_the_rows_pointing_at_the_named_row(tmp_path_factory: pytest.TempPathFactory) -> None:
    # apartments have no status; their bookings do, and point at them
    path, schema = database(tmp_path_factory, "nl2sql_lettings", LETTINGS)
    question = "What is the booking status code of the apartment with apartment number 'Suite 634'?"
    assert sorted(rows(path, schema, question)) == [("Confirmed",), ("Provisional",)]


def test_the_ids_of_rows_pointing_at_the_named_row_are_not_its_ids(tmp_path_factory: pytest.TempPathFactory) -> None:
    _, schema = database(tmp_path_factory, "nl2sql_lettings", LETTINGS)
    result = ask(schema, "What are the booking ids of apartments with more than 4 bedrooms?")
    assert result.sql is None or "booking_id" in result.sql, result.sql
    result = ask(schema, "Show the payment ids of the apartment with apartment number 'Suite 634'.")
    assert result.sql is None or "payment_id" in result.sql, result.sql


def test_a_method_listed_alone_is_listed_once(tmp_path_factory: pytest.TempPathFactory) -> None:
    path, schema = database(tmp_path_factory, "nl2sql_lettings", LETTINGS)
    assert sorted(rows(path, schema, "What are all the payment methods?")) == [("Cash",), ("Visa",)]


def test_a_column_the_named_table_has_is_not_read_from_the_rows_pointing_at_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    # visitors have their own details; "details of all visitors" are not their visits' details
    script = """
    CREATE TABLE visitors (tourist_id INTEGER PRIMARY KEY, tourist_details TEXT);
    CREATE TABLE visits (visit_id INTEGER PRIMARY KEY, tourist_id INTEGER REFERENCES visitors(tourist_id), visit_details TEXT);
    INSERT INTO visitors VALUES (1, 'Vincent'), (2, 'Marcelle');
    INSERT INTO visits VALUES (1, 1, 'museum'), (2, 2, 'park');
    """
    path, schema = database(tmp_path_factory, "nl2sql_visitors", script)
    result = ask(schema, "Show details of all visitors.")
    assert result.sql is None or sorted(fetch(path, result.sql)) == [("Marcelle",), ("Vincent",)], result.sql


def test_a_column_prefixed_by_its_tables_initial(tmp_path_factory: pytest.TempPathFactory) -> None:
    # DPhone of department is its phone; PName of player its name
    script = """
    CREATE TABLE department (DNO INTEGER PRIMARY KEY, DName TEXT, DPhone TEXT, Room TEXT);
    CREATE TABLE player (pID INTEGER PRIMARY KEY, pName TEXT, DNO INTEGER REFERENCES department(DNO));
    INSERT INTO department VALUES (1, 'Math', '7003', '268'), (2, 'Art', '7004', '101');
    INSERT INTO player VALUES (1, 'Ann', 1), (2, 'Bob', 2);
    CREATE TABLE video_games (GameID INTEGER PRIMARY KEY, GName TEXT, GType TEXT);
    INSERT INTO video_games VALUES (1, 'RNG Stone', 'Collectible card game'), (2, 'Grand Term Assignment', 'Role-playing game'),
      (3, 'Call of Destiny', 'Frist-person shooter'), (4, 'Works of Widenius', 'Role-playing game');
    """
    path, schema = database(tmp_path_factory, "nl2sql_initials", script)
    # GType of video_games: the initial of the second word of the table's name
    assert rows(path, schema, "What is the type of video game Call of Destiny?") == [("Frist-person shooter",)]
    assert len(rows(path, schema, "What are the different types of video games?")) == 3
    assert rows(path, schema, "What are the phones of departments in room 268?") == [("7003",)]
    assert sorted(rows(path, schema, "Find the players whose names contain letter 'n'.")) == [("Ann",)]


def test_a_synonym_finds_the_only_column_whose_name_holds_its_word(tmp_path_factory: pytest.TempPathFactory) -> None:
    # "expensive" is the price, here price_range; "birthday" the birth, here date_of_birth
    script = """
    CREATE TABLE hotels (hotel_id INTEGER PRIMARY KEY, hotel_name TEXT, price_range REAL, date_of_birth TEXT);
    INSERT INTO hotels VALUES (1, 'Ritz', 900, '1906-05-24'), (2, 'Inn', 80, '1990-01-01'), (3, 'Lodge', 300, '1950-07-07');
    """
    path, schema = database(tmp_path_factory, "nl2sql_hotels", script)
    assert rows(path, schema, "What are the names of the two most expensive hotels?") == [("Ritz",), ("Lodge",)]
    assert rows(path, schema, "What is the birthday of the hotel named Inn?") == [("1990-01-01",)]


def test_any_verb_between_do_not_and_any_table_says_no_such_rows(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE assets (asset_id INTEGER PRIMARY KEY, asset_model TEXT);
    CREATE TABLE fault_log (entry_id INTEGER PRIMARY KEY, asset_id INTEGER REFERENCES assets(asset_id), note TEXT);
    INSERT INTO assets VALUES (1, 'pump'), (2, 'valve'), (3, 'motor');
    INSERT INTO fault_log VALUES (1, 1, 'leak'), (2, NULL, 'unknown');
    """
    path, schema = database(tmp_path_factory, "nl2sql_assets", script)
    question = "Which assets did not incur any fault log? List the asset model."
    assert sorted(rows(path, schema, question)) == [("motor",), ("valve",)]


def test_who_did_something_most_recently_is_ranked_by_the_date_the_verb_names(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    script = """
    CREATE TABLE students (student_id INTEGER PRIMARY KEY, student_details TEXT, birth_date TEXT);
    CREATE TABLE registrations (student_id INTEGER REFERENCES students(student_id), course TEXT, registration_date TEXT);
    INSERT INTO students VALUES (1, 'Marry', '2001-01-01'), (2, 'Martin', '1999-05-05');
    INSERT INTO registrations VALUES (1, 'English', '2008-09-01'), (2, 'French', '2008-10-04'), (2, 'Art', '2008-11-14');
    """
    path, schema = database(tmp_path_factory, "nl2sql_registered", script)
    assert rows(path, schema, "What is detail of the student who most recently registered?") == [("Martin",)]
    assert rows(path, schema, "What are the details of the student who registered least recently?") == [("Marry",)]
    question = "What details do we have on the students who registered for English most recently?"
    assert rows(path, schema, question) == [("Marry",)]


def test_the_rows_of_the_owner_with_the_most_of_them(tmp_path_factory: pytest.TempPathFactory) -> None:
    # the superlative picks the store; the employees listed are that store's (head office staff have no store)
    script = """
    CREATE TABLE stores (store_id INTEGER PRIMARY KEY, store_name TEXT);
    CREATE TABLE employees (employee_id INTEGER PRIMARY KEY, employee_name TEXT, store_id INTEGER REFERENCES stores(store_id));
    INSERT INTO stores VALUES (1, 'North'), (2, 'South');
    INSERT INTO employees VALUES (1, 'Ann', 1), (2, 'Bo', 2), (3, 'Cy', 2), (4, 'Di', NULL), (5, 'Ed', NULL), (6, 'Flo', NULL);
    """
    path, schema = database(tmp_path_factory, "nl2sql_owner_most", script)
    question = "What are the names of the employees of the store with the most employees?"
    assert sorted(rows(path, schema, question)) == [("Bo",), ("Cy",)]
    question = "List the employee names of the store with the fewest employees."
    assert sorted(rows(path, schema, question)) == [("Ann",)]


def test_by_before_the_table_rows_point_at_says_whose_they_are(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE artist (artist_id INTEGER PRIMARY KEY, artist TEXT, age INTEGER);
    CREATE TABLE volume (volume_id INTEGER PRIMARY KEY, issue_date TEXT, weeks_on_top INTEGER,
      artist_id INTEGER REFERENCES artist(artist_id));
    INSERT INTO artist VALUES (1, 'Gorgoroth', 22), (2, 'Ophiolatry', 35), (3, 'Bathory', 24);
    INSERT INTO volume VALUES (1, '1972', 1, 1), (2, '1973', 4, 2), (3, '1975', 2, 1), (4, '1976', 6, 3);
    """
    path, schema = database(tmp_path_factory, "nl2sql_by_owner", script)
    question = "Return the issue dates of volumes that are by the artist named Gorgoroth."
    assert sorted(rows(path, schema, question)) == [("1972",), ("1975",)]
    assert sorted(rows(path, schema, "Return the issue dates of volumes by artists aged over 30.")) == [("1973",)]
    # an average over the volumes of the young artists, not one average per artist
    question = "Return the average weeks on top for volumes by artists that are at most 25 years old."
    assert rows(path, schema, question) == [(3.0,)]


def test_a_set_compared_with_narrowed_through_the_table_its_rows_point_at(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE categories (category_id INTEGER PRIMARY KEY, category_name TEXT);
    CREATE TABLE products (product_id INTEGER PRIMARY KEY, product_name TEXT, price REAL,
      category_id INTEGER REFERENCES categories(category_id));
    INSERT INTO categories VALUES (1, 'Audio'), (2, 'Books');
    INSERT INTO products VALUES (1, 'Speaker', 120, 1), (2, 'Headphones', 80, 1), (3, 'Atlas', 90, 2),
      (4, 'Novel', 15, 2), (5, 'Amplifier', 300, 1);
    """
    path, schema = database(tmp_path_factory, "nl2sql_set_through_parent", script)
    # "cost" / "costing" is the price
    assert sorted(rows(path, schema, "Which products cost between 80 and 120?")) == [("Atlas",), ("Headphones",), ("Speaker",)]
    assert sorted(rows(path, schema, "names of products costing more than 100")) == [("Amplifier",), ("Speaker",)]
    question = "Products whose price is higher than every product in the Books category"
    assert sorted(rows(path, schema, question)) == [("Amplifier",), ("Speaker",)]
    question = "Products whose price is lower than some product in Audio"
    assert sorted(rows(path, schema, question)) == [("Atlas",), ("Headphones",), ("Novel",), ("Speaker",)]


def test_irregular_participles_restate_the_link(tmp_path_factory: pytest.TempPathFactory) -> None:
    # "built", "taken": verbs that only say the rows of one table belong to a row of the other
    script = """
    CREATE TABLE architect (id INTEGER PRIMARY KEY, name TEXT, nationality TEXT);
    CREATE TABLE bridge (bridge_id INTEGER PRIMARY KEY, name TEXT, architect_id INTEGER REFERENCES architect(id));
    INSERT INTO architect VALUES (1, 'Frank', 'American'), (2, 'Zaha', 'Iraqi');
    INSERT INTO bridge VALUES (1, 'Hale', 1), (2, 'Kolob', 1), (3, 'Sheikh', 2);
    """
    path, schema = database(tmp_path_factory, "nl2sql_built", script)
    question = "What are the ids and names of the architects who built at least 2 bridges?"
    assert rows(path, schema, question) == [(1, "Frank")]
    assert rows(path, schema, "What are the names of the bridges built by the architect named Zaha?") == [("Sheikh",)]
