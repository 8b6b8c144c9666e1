"""Words the built-in engine places in the schema: a quantity whose column names its unit, the earliest and
latest of a date, and other readings that were refused for one unplaced word.

Every answer is checked by the rows it returns on a small database; every refusal by its reason.
"""

from __future__ import annotations

import pytest

from .sqlite_db import ask, database, fetch, rows


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
    # … unless the question says which unit
    assert rows(path, schema, "What is the price in euros of the phone with the most memory?") == [(830.0,)]
    assert rows(path, schema, "What is the average price (in USD) of phones?") == [(566.6666666666666,)]


def test_oldest_and_youngest_without_an_age_are_read_from_birth_or_founding(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    script = """
    CREATE TABLE employee (emp_num INTEGER PRIMARY KEY, emp_fname TEXT, emp_lname TEXT, emp_dob DATETIME);
    CREATE TABLE organizations (organization_id INTEGER PRIMARY KEY, organization_name TEXT, date_formed DATETIME);
    CREATE TABLE club (club_id INTEGER PRIMARY KEY, name TEXT, opened DATETIME, closed DATETIME);
    INSERT INTO employee VALUES (1, 'Ann', 'Lee', '1980-02-01'), (2, 'Bo', 'Kim', '1961-07-30'), (3, 'Cy', 'Ott', '1999-01-05');
    INSERT INTO organizations VALUES (1, 'Labour', '1900-02-27'), (2, 'Greens', '1990-09-18'), (3, 'Tories', '1834-12-18');
    INSERT INTO club VALUES (1, 'Rovers', '1950-01-01', '1990-01-01'), (2, 'City', '1960-01-01', '1970-01-01');
    """
    path, schema = database(tmp_path_factory, "nl2sql_oldest", script)
    assert rows(path, schema, "What is the first and last name of the oldest employee?") == [("Bo", "Kim")]
    assert rows(path, schema, "Give the first name of the youngest employee.") == [("Cy",)]
    assert rows(path, schema, "Find the name of the youngest organization.") == [("Greens",)]
    assert rows(path, schema, "Which organization is the oldest?") == [("Tories",)]
    # neither a birth nor a founding date: which of two dates makes a club old is a guess
    assert ask(schema, "Which club is the oldest?").sql is None


def test_the_earliest_row_is_ranked_by_the_date_named_after_its_table(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE payment (payment_id INTEGER PRIMARY KEY, amount REAL, payment_date DATETIME, last_update DATETIME);
    INSERT INTO payment VALUES (1, 2.99, '2005-05-25 11:30:37', '2006-02-15'), (2, 0.99, '2005-05-24 22:53:30', '2006-02-16'),
      (3, 5.99, '2005-06-15 00:54:12', '2006-02-14');
    """
    path, schema = database(tmp_path_factory, "nl2sql_earliest", script)
    assert rows(path, schema, "What was the date of the earliest payment?") == [("2005-05-24 22:53:30",)]
    assert rows(path, schema, "What is the amount of the latest payment?") == [(5.99,)]


def test_a_column_named_with_its_whole_table_name_answers_to_the_last_words(tmp_path_factory: pytest.TempPathFactory) -> None:
    # product_category_description of ref_product_categories is the "category description", not the
    # product's own description
    script = """
    CREATE TABLE ref_product_categories (product_category_code TEXT PRIMARY KEY, product_category_description TEXT);
    CREATE TABLE products (product_id INTEGER PRIMARY KEY, product_name TEXT, product_description TEXT,
      product_category_code TEXT REFERENCES ref_product_categories(product_category_code));
    INSERT INTO ref_product_categories VALUES ('Herbs', 'Herbs'), ('Spices', 'Spices and seasonings');
    INSERT INTO products VALUES (1, 'cumin', 'ground seeds', 'Spices'), (2, 'basil', 'fresh leaves', 'Herbs');
    """
    path, schema = database(tmp_path_factory, "nl2sql_category_description", script)
    question = "What is the category description of the product named 'cumin'?"
    assert rows(path, schema, question) == [("Spices and seasonings",)]
    # the product's own description is another column: never shown for the category's
    result = ask(schema, "Find the category descriptions of the products whose descriptions include letter 't'.")
    assert result.sql is None or fetch(path, result.sql) == [("Herbs",)]


def test_both_says_the_rows_meet_each_condition(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE dorm (dormid INTEGER PRIMARY KEY, dorm_name TEXT);
    CREATE TABLE dorm_amenity (amenid INTEGER PRIMARY KEY, amenity_name TEXT);
    CREATE TABLE has_amenity (dormid INTEGER REFERENCES dorm(dormid), amenid INTEGER REFERENCES dorm_amenity(amenid));
    INSERT INTO dorm VALUES (1, 'Smith Hall'), (2, 'Bud Jones Hall'), (3, 'Fawlty Towers');
    INSERT INTO dorm_amenity VALUES (1, 'TV Lounge'), (2, 'Study Room'), (3, 'Pub');
    INSERT INTO has_amenity VALUES (1, 1), (1, 2), (2, 1), (3, 2), (3, 3);
    """
    path, schema = database(tmp_path_factory, "nl2sql_both", script)
    question = "What is the name of the dorm with both a TV Lounge and Study Room listed as amenities?"
    assert rows(path, schema, question) == [("Smith Hall",)]


def test_a_yes_no_column_named_as_a_quality_keeps_the_rows_that_have_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE customer (customer_id INTEGER PRIMARY KEY, first_name TEXT, active BOOLEAN);
    CREATE TABLE medicine (id INTEGER PRIMARY KEY, name TEXT, fda_approved TEXT);
    CREATE TABLE product (product_id INTEGER PRIMARY KEY, name TEXT, is_active BOOLEAN);
    INSERT INTO customer VALUES (1, 'MARY', 1), (2, 'LINDA', 0), (3, 'SUSAN', 1);
    INSERT INTO medicine VALUES (1, 'Amisulpride', 'No'), (2, 'Aripiprazole', 'Yes'), (3, 'Asenapine', 'Yes');
    INSERT INTO product VALUES (1, 'Kettle', 1), (2, 'Toaster', 0);
    """
    path, schema = database(tmp_path_factory, "nl2sql_yes_no", script)
    assert rows(path, schema, "Count the number of customers who are active.") == [(2,)]
    assert rows(path, schema, "List the first names of customers who are not active.") == [("LINDA",)]
    assert sorted(rows(path, schema, "What are the names of the medicines that are FDA approved?")) == [
        ("Aripiprazole",),
        ("Asenapine",),
    ]
    assert rows(path, schema, "How many medicines are not FDA approved?") == [(1,)]
    assert rows(path, schema, "Which products are active?") == [("Kettle",)]


def test_a_yes_no_column_named_by_another_word_is_not_guessed(tmp_path_factory: pytest.TempPathFactory) -> None:
    # "discontinued" names is_active in the data dictionary, but whether it means yes or no is unknown
    script = """
    CREATE TABLE product (product_id INTEGER PRIMARY KEY, name TEXT, is_active BOOLEAN);
    INSERT INTO product VALUES (1, 'Kettle', 1), (2, 'Toaster', 0);
    """
    path, schema = database(tmp_path_factory, "nl2sql_yes_no_alias", script)
    product = schema.table("product")
    assert product is not None
    next(c for c in product.columns if c.name == "is_active").aliases = ("discontinued",)
    assert ask(schema, "How many products are discontinued?").sql is None


def test_a_column_saying_who_did_it_answers_to_the_doer(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE film (film_id INTEGER PRIMARY KEY, title TEXT, directed_by TEXT, produced_by TEXT);
    INSERT INTO film VALUES (1, 'Alien', 'Ridley Scott', 'Walter Hill'), (2, 'Gladiator', 'Ridley Scott', 'Douglas Wick'),
      (3, 'Heat', 'Michael Mann', 'Art Linson');
    """
    path, schema = database(tmp_path_factory, "nl2sql_agents", script)
    assert rows(path, schema, "What are the title and director of each film?") == [
        ("Alien", "Ridley Scott"),
        ("Gladiator", "Ridley Scott"),
        ("Heat", "Michael Mann"),
    ]
    # the directors, each once — not one row per film
    assert sorted(rows(path, schema, "Who are all the directors?")) == [("Michael Mann",), ("Ridley Scott",)]
    assert rows(path, schema, "Who is the producer of Heat?") == [("Art Linson",)]


def test_where_asks_for_the_location_column(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE club (clubid INTEGER PRIMARY KEY, clubname TEXT, clubdesc TEXT, clublocation TEXT);
    CREATE TABLE member (memberid INTEGER PRIMARY KEY, name TEXT, age INTEGER);
    INSERT INTO club VALUES (1, 'Tennis Club', 'Rackets', 'AKW'), (2, 'Pen and Paper Gaming', 'Dice', 'HHH');
    INSERT INTO member VALUES (1, 'Linda', 30);
    """
    path, schema = database(tmp_path_factory, "nl2sql_where", script)
    assert rows(path, schema, 'Where is the club "Pen and Paper Gaming" located?') == [("HHH",)]
    assert rows(path, schema, "Where is the Tennis Club?") == [("AKW",)]
    # members have no location column: nothing says where Linda is
    assert ask(schema, "Where does the member named Linda live?").sql is None


def test_in_one_year_or_another(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE movie (movie_id INTEGER PRIMARY KEY, title TEXT, year INTEGER, director TEXT);
    INSERT INTO movie VALUES (1, 'Magnolia', 1999, 'Anderson'), (2, 'Gladiator', 2000, 'Scott'), (3, 'Memento', 2001, 'Nolan');
    """
    path, schema = database(tmp_path_factory, "nl2sql_year_or", script)
    assert sorted(rows(path, schema, "Which directors had a movie in either 1999 or 2000?")) == [("Anderson",), ("Scott",)]
    assert rows(path, schema, "Which directors had a movie in 2001?") == [("Nolan",)]


def test_quoted_text_in_a_named_column_is_searched_for(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE train (id INTEGER PRIMARY KEY, train_number INTEGER, name TEXT);
    INSERT INTO train VALUES (1, 16724, 'Ananthapuri Express'), (2, 16127, 'Guruvayur Express'), (3, 56701, 'Madurai Passenger');
    """
    path, schema = database(tmp_path_factory, "nl2sql_contained", script)
    assert rows(path, schema, "How many trains have 'Express' in their names?") == [(2,)]
    assert rows(path, schema, "List the train numbers of trains with 'Passenger' in the name.") == [(56701,)]


def test_the_names_of_a_text_column_are_its_values(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE film (film_id INTEGER PRIMARY KEY, title TEXT, studio TEXT, director TEXT);
    CREATE TABLE workshop (workshop_id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE submission (submission_id INTEGER PRIMARY KEY, author TEXT, college TEXT,
      workshop_id INTEGER REFERENCES workshop(workshop_id));
    INSERT INTO film VALUES (1, 'Jaws', 'Universal', 'Spielberg'), (2, 'E.T.', 'Universal', 'Spielberg'),
      (3, 'Alien', 'Fox', 'Scott');
    INSERT INTO workshop VALUES (1, 'ABC'), (2, 'Conference 2007');
    INSERT INTO submission VALUES (1, 'Steve Niehaus', 'Notre Dame', 1), (2, 'Sammy Green', 'Florida', 2);
    """
    path, schema = database(tmp_path_factory, "nl2sql_names_of_values", script)
    assert rows(path, schema, "List the names of studios that have at least two films.") == [("Universal",)]
    # "the names of authors" are the author column's values, not also the name of some other table's rows
    assert rows(path, schema, 'Show the names of authors from college "Florida".') == [("Sammy Green",)]
    assert rows(path, schema, 'Show the author names from college "Florida".') == [("Sammy Green",)]


def test_or_between_two_groups_of_conditions(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, staff_first_name TEXT, staff_last_name TEXT);
    CREATE TABLE problems (problem_id INTEGER PRIMARY KEY, reported_by_staff_id INTEGER REFERENCES staff(staff_id));
    CREATE TABLE addresses (address_id INTEGER PRIMARY KEY, city TEXT, state TEXT, zip TEXT);
    INSERT INTO staff VALUES (1, 'Dameon', 'Frami'), (2, 'Jolie', 'Weber'), (3, 'Dameon', 'Weber'), (4, 'Jolie', 'Frami');
    INSERT INTO problems VALUES (1, 1), (2, 2), (3, 3), (4, 4), (5, 1);
    INSERT INTO addresses VALUES (1, 'Austin', 'Texas', '73301'), (2, 'Austin', 'Minnesota', '55912'),
      (3, 'Phoenix', 'Arizona', '85001'), (4, 'Phoenix', 'Oregon', '97535');
    """
    path, schema = database(tmp_path_factory, "nl2sql_or_groups", script)
    question = "What are the ids of problems reported by the staff named Dameon Frami or Jolie Weber?"
    assert sorted(rows(path, schema, question)) == [(1,), (2,), (5,)]
    question = "What are the zips of the addresses in Austin, Texas or in Phoenix, Arizona?"
    assert sorted(rows(path, schema, question)) == [("73301",), ("85001",)]
    # groups that do not match column for column are not guessed at
    assert ask(schema, "What are the zips of the addresses in Austin, Texas or in Arizona?").sql is None


def test_how_many_over_a_table_of_counts_is_their_total(tmp_path_factory: pytest.TempPathFactory) -> None:
    # each degrees row says how many degrees a campus conferred in a year
    script = """
    CREATE TABLE campuses (id INTEGER PRIMARY KEY, campus TEXT);
    CREATE TABLE degrees (year INTEGER, campus INTEGER REFERENCES campuses(id), degrees INTEGER);
    INSERT INTO campuses VALUES (1, 'San Jose'), (2, 'Long Beach');
    INSERT INTO degrees VALUES (2000, 1, 120), (2000, 2, 80), (2001, 1, 130), (2001, 2, 90);
    """
    path, schema = database(tmp_path_factory, "nl2sql_count_table", script)
    assert rows(path, schema, "How many degrees are there in total in the year of 2001?") == [(220,)]
    assert rows(path, schema, "How many degrees, in total, are there in the year 2000?") == [(200,)]


def test_how_many_of_a_column_holding_counts_is_their_total(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE rooms (room_id TEXT PRIMARY KEY, room_name TEXT, beds INTEGER, bed_type TEXT);
    CREATE TABLE airport (airport_id INTEGER PRIMARY KEY, airport_name TEXT, international_passengers INTEGER,
      domestic_passengers INTEGER);
    CREATE TABLE furniture (furniture_id INTEGER PRIMARY KEY, name TEXT, num_of_component INTEGER);
    INSERT INTO rooms VALUES ('RND', 'Recluse', 1, 'King'), ('IBS', 'Interim', 2, 'Queen'), ('AOB', 'Abscond', 2, 'King');
    INSERT INTO airport VALUES (1, 'London Heathrow', 61000000, 5000000), (2, 'London Gatwick', 30000000, 4000000);
    INSERT INTO furniture VALUES (1, 'Chair', 4), (2, 'Table', 6);
    """
    path, schema = database(tmp_path_factory, "nl2sql_held_counts", script)
    assert rows(path, schema, "How many beds are there in total?") == [(5,)]
    assert rows(path, schema, "How many furniture components are there in total?") == [(10,)]
    question = "How many international and domestic passengers are there in the airport London Heathrow?"
    assert rows(path, schema, question) == [(61000000, 5000000)]


def test_the_highest_rank_is_rank_one(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE pilot (pilot_id INTEGER PRIMARY KEY, pilot_name TEXT, rank INTEGER, join_year INTEGER, age INTEGER);
    INSERT INTO pilot VALUES (1, 'Patrick', 34, 2009, 33), (2, 'Jarrett', 13, 2008, 37), (3, 'Dan', 45, 2007, 28);
    """
    path, schema = database(tmp_path_factory, "nl2sql_rank", script)
    assert rows(path, schema, "What is the joined year of the pilot of the highest rank?") == [(2008,)]
    assert rows(path, schema, "Find the lowest rank of all pilots.") == [(45,)]
    # a plain number is still largest-first
    assert rows(path, schema, "What is the name of the pilot with the highest age?") == [("Jarrett",)]


def test_the_number_of_rows_named_with_a_value(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE student (stuid INTEGER PRIMARY KEY, fname TEXT, age INTEGER, sex TEXT, city_code TEXT);
    CREATE TABLE customers_cards (card_id INTEGER PRIMARY KEY, customer_name TEXT, card_type_code TEXT);
    INSERT INTO student VALUES (1, 'Ann', 19, 'F', 'BAL'), (2, 'Bo', 20, 'M', 'BAL'), (3, 'Cy', 22, 'M', 'NYC'),
      (4, 'Di', 21, 'F', 'NYC'), (5, 'Ed', 24, 'M', 'BAL');
    INSERT INTO customers_cards VALUES (1, 'Blanche', 'Credit'), (2, 'Blanche', 'Debit'), (3, 'Ezra', 'Credit');
    """
    path, schema = database(tmp_path_factory, "nl2sql_number_of_valued", script)
    assert rows(path, schema, "Find the number of female students.") == [(2,)]
    assert sorted(rows(path, schema, "Find the average age and number of male students from each city.")) == [
        (22.0, 1, "NYC"),
        (22.0, 2, "BAL"),
    ]
    assert rows(path, schema, "Count the number of credit cards.") == [(2,)]


def test_forename_and_surname_are_the_first_and_last_name(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE drivers (driverid INTEGER PRIMARY KEY, forename TEXT, surname TEXT, nationality TEXT);
    INSERT INTO drivers VALUES (1, 'Nico', 'Rosberg', 'German'), (2, 'Lewis', 'Hamilton', 'British'),
      (3, 'Michael', 'Schumacher', 'German');
    """
    path, schema = database(tmp_path_factory, "nl2sql_forename", script)
    question = "What is the first and last name of all the German drivers?"
    assert sorted(rows(path, schema, question)) == [("Michael", "Schumacher"), ("Nico", "Rosberg")]


def test_text_searched_for_without_quotes(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE airlines (alid INTEGER PRIMARY KEY, name TEXT, country TEXT);
    CREATE TABLE students (student_id INTEGER PRIMARY KEY, personal_name TEXT, city TEXT);
    CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, customer_name TEXT, customer_address TEXT);
    CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(customer_id));
    INSERT INTO airlines VALUES (1, 'Orbit Airlines', 'Greece'), (2, 'Air Orbital', 'Chad'), (3, 'Orbital Express', 'Peru');
    INSERT INTO students VALUES (1, 'Karson', 'Oslo'), (2, 'Wilson', 'Lima'), (3, 'Ann', 'Rome');
    INSERT INTO customers VALUES (1, 'Ann', '12 Main St, Nashville TN'), (2, 'Bo', '3 Elm Rd, Austin TX');
    INSERT INTO orders VALUES (1, 1);
    """
    path, schema = database(tmp_path_factory, "nl2sql_searched", script)
    assert sorted(rows(path, schema, "What are the countries of all airlines whose names start with Orbit?")) == [
        ("Greece",),
        ("Peru",),
    ]
    question = 'Find the number of students who have the word "son" in their personal names.'
    assert rows(path, schema, question) == [(2,)]
    assert rows(path, schema, "What are the names of customers whose address contains TN?") == [("Ann",)]
    assert sorted(rows(path, schema, "Which students have personal names containing the letter a?")) == [
        ("Ann",),
        ("Karson",),
    ]
    # whose names? the publishers' (a column) or the catalogs' — never the catalogs' own name column
    result = ask(schema, "Which airline countries have substring 'Orb' in their names?")
    assert result.sql is None
    # an ordinary word after "contain" is no text to search for
    assert rows(path, schema, "What are the names of customers that do not have any orders?") == [("Bo",)]


def test_a_table_noun_before_its_column_names_the_column(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE accounts (custid INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE savings (custid INTEGER PRIMARY KEY REFERENCES accounts(custid), balance REAL);
    CREATE TABLE checking (custid INTEGER PRIMARY KEY REFERENCES accounts(custid), balance REAL);
    INSERT INTO accounts VALUES (1, 'Brown'), (2, 'Wang'), (3, "O'mahony");
    INSERT INTO savings VALUES (1, 200000), (2, 999999), (3, 230000);
    INSERT INTO checking VALUES (1, 10000), (2, 2000), (3, 3000);
    """
    path, schema = database(tmp_path_factory, "nl2sql_table_column", script)
    assert rows(path, schema, "Find the average checking balance.") == [(5000.0,)]
    question = "Find the name of accounts whose savings balance is higher than the average savings balance."
    assert rows(path, schema, question) == [("Wang",)]
    assert rows(path, schema, "List in alphabetical order the names of all accounts.") == [("Brown",), ("O'mahony",), ("Wang",)]


def test_every_shown_column_of_a_breakdown_is_a_group(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE airlines (alid INTEGER PRIMARY KEY, name TEXT, country TEXT);
    CREATE TABLE routes (rid INTEGER PRIMARY KEY, alid INTEGER REFERENCES airlines(alid), price REAL);
    CREATE TABLE manufacturers (code INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE products (code INTEGER PRIMARY KEY, name TEXT, price REAL, manufacturer INTEGER REFERENCES manufacturers(code));
    INSERT INTO airlines VALUES (1, 'Aer Lingus', 'Ireland'), (2, 'Ryanair', 'Ireland'), (3, 'KLM', 'Netherlands');
    INSERT INTO routes VALUES (1, 1, 10), (2, 1, 20), (3, 2, 30), (4, 3, 40);
    INSERT INTO manufacturers VALUES (1, 'Sony'), (2, 'Creative Labs');
    INSERT INTO products VALUES (1, 'Hard drive', 240, 1), (2, 'Memory', 120, 1), (3, 'Speakers', 70, 2);
    """
    path, schema = database(tmp_path_factory, "nl2sql_breakdown_groups", script)
    assert sorted(rows(path, schema, "For each country and airline name, how many routes are there?")) == [
        ("Ireland", "Aer Lingus", 2),
        ("Ireland", "Ryanair", 1),
        ("Netherlands", "KLM", 1),
    ]
    # the most expensive product of each manufacturer is one row per group: not read, so not one row overall
    question = "For each manufacturer name, what are the names and prices of their most expensive product?"
    assert ask(schema, question).sql is None


def test_and_what_asks_for_more_columns(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE university (school_id INTEGER PRIMARY KEY, school TEXT, location TEXT, affiliation TEXT);
    INSERT INTO university VALUES (1, 'University of Delaware', 'Newark, DE', 'Public'),
      (2, 'Lebanon Valley College', 'Annville, PA', 'Private'), (3, 'Rutgers University', 'New Brunswick, NJ', 'Public');
    """
    path, schema = database(tmp_path_factory, "nl2sql_and_what", script)
    assert sorted(rows(path, schema, "What are the public schools and what are their locations?")) == [
        ("Rutgers University", "New Brunswick, NJ"),
        ("University of Delaware", "Newark, DE"),
    ]


def test_rows_whose_value_is_the_most_common_one(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, customer_name TEXT, payment_method TEXT);
    INSERT INTO customers VALUES (1, 'Dorothea', 'Cash'), (2, 'Kitty', 'Cheque'), (3, 'Melody', 'Cash'),
      (4, 'Clayton', 'Credit Card'), (5, 'Jasmin', 'Cash'), (6, 'Lucas', 'Cheque');
    """
    path, schema = database(tmp_path_factory, "nl2sql_most_common_rows", script)
    question = "Find the name of the customers who use the most frequently used payment method."
    assert sorted(rows(path, schema, question)) == [("Dorothea",), ("Jasmin",), ("Melody",)]
    assert rows(path, schema, "Which payment method appears the most often?") == [("Cash",)]
    assert rows(path, schema, "Which payment method is the most common?") == [("Cash",)]


def test_in_charge_of_restates_the_link(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE member (member_id INTEGER PRIMARY KEY, member_name TEXT);
    CREATE TABLE party_events (event_id INTEGER PRIMARY KEY, event_name TEXT,
      member_in_charge_id INTEGER REFERENCES member(member_id));
    INSERT INTO member VALUES (1, 'Hon Tony Abbott'), (2, 'Hon Bob Baldwin'), (3, 'Hon Kevin Andrews');
    INSERT INTO party_events VALUES (1, 'Annaual Meeting', 1), (2, 'Conference', 1), (3, 'Election Meeting', 2);
    """
    path, schema = database(tmp_path_factory, "nl2sql_in_charge", script)
    assert rows(path, schema, "Return the name of the member who is in charge of the most events.") == [("Hon Tony Abbott",)]
    assert rows(path, schema, "Show all member names who are not in charge of any event.") == [("Hon Kevin Andrews",)]


def test_a_general_word_names_a_table_of_that_kind(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE manufacturers (code INTEGER PRIMARY KEY, name TEXT, headquarter TEXT, founder TEXT, revenue REAL);
    CREATE TABLE inst (instid INTEGER PRIMARY KEY, name TEXT, country TEXT);
    INSERT INTO manufacturers VALUES (1, 'Sony', 'Tokyo', 'Andy', 120), (2, 'Creative Labs', 'Austin', 'Owen', 100),
      (3, 'Hewlett-Packard', 'Los Angeles', 'James', 50), (4, 'Iomega', 'Beijing', 'Mary', 150);
    INSERT INTO inst VALUES (1, 'Google', 'USA'), (2, 'Tohoku University', 'Japan');
    """
    path, schema = database(tmp_path_factory, "nl2sql_kinds", script)
    assert rows(path, schema, "What is the headquarter of the company whose founder is James?") == [("Los Angeles",)]
    assert sorted(rows(path, schema, "What are the names of companies with revenue between 100 and 150?")) == [
        ("Creative Labs",),
        ("Iomega",),
        ("Sony",),
    ]
    assert rows(path, schema, "Find the founder of the company whose name begins with the letter 'S'.") == [("Andy",)]
    assert rows(path, schema, "How many institutions are there?") == [(2,)]


def test_with_a_number_of_a_numeric_column_is_its_value(tmp_path_factory: pytest.TempPathFactory) -> None:
    script = """
    CREATE TABLE course (cid TEXT PRIMARY KEY, CName TEXT, credits INTEGER);
    CREATE TABLE section (sid INTEGER PRIMARY KEY, cid TEXT REFERENCES course(cid), room TEXT);
    INSERT INTO course VALUES ('600.101', 'Computer Literacy', 3), ('600.103', 'Intro', 1), ('600.107', 'Python', 3);
    INSERT INTO section VALUES (1, '600.101', 'A'), (2, '600.101', 'B'), (3, '600.103', 'C');
    """
    path, schema = database(tmp_path_factory, "nl2sql_numbered_column", script)
    assert rows(path, schema, "What are the names of courses with 1 credit?") == [("Intro",)]
    assert sorted(rows(path, schema, "List the names of courses with 3 credits.")) == [("Computer Literacy",), ("Python",)]
    # a number before a table still counts its rows
    assert rows(path, schema, "Which courses have more than 1 section?") == [("Computer Literacy",)]
