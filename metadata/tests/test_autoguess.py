"""Tests for the heuristic data-dictionary suggestions (pure Python, no database)."""
from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal

import pytest

from metadata.autoguess import (
    TAG_VOCABULARY,
    ColumnProfile,
    Suggestion,
    TableProfile,
    detect_pii,
    guess_semantic_role,
    guess_table,
    humanize,
    iban_valid,
    luhn_valid,
)

# --------------------------------------------------------------------------------------------------
# helpers and fixtures
# --------------------------------------------------------------------------------------------------

EMAILS = ("ana.garcia@example.com", "john.smith@mail.co.uk", "b.santoso@contoh.co.id", "lee_wei@example.org",
          "m.mueller@beispiel.de", "sarah+news@example.com", "olivia.brown@example.net", "r.kumar@example.in",
          "emily.davis@example.com", "carlos.lopez@example.es")
PHONES = ("+1 555-123-4567", "(555) 987-6543", "+44 20 7946 0958", "+62 812-3456-7890", "0812-3456-7890",
          "555-222-3333", "+49 30 1234567", "08123456789", "+33 1 23 45 67 89", "(021) 555-0199")
FIRST = ("John", "Maria", "Ahmad", "Sarah", "Wei", "Lena", "Carlos", "Emily", "Budi", "Olivia")
LAST = ("Smith", "Garcia", "Hidayat", "Johnson", "Chen", "Müller", "Lopez", "Davis", "Santoso", "Nguyen")
FULL_NAMES = tuple(f"{f} {last}" for f, last in zip(FIRST, LAST, strict=True))
CARDS = ("4111111111111111", "5555555555554444", "378282246310005", "6011111111111117", "4012888888881881",
         "5105105105105100", "4111 1111 1111 1111", "3530111333300000", "4222222222222", "2223003122003222")
IBANS = ("DE89370400440532013000", "GB82WEST12345698765432", "GB82 WEST 1234 5698 7654 32", "FR1420041010050500013M02606",
         "NL91ABNA0417164300", "ES9121000418450200051332", "IT60X0542811101000000123456", "BE68539007547034")
PRODUCTS = ("Steel Water Bottle", "Ceramic Coffee Mug", "Wireless Mouse", "Yoga Mat Pro", "Organic Green Tea",
            "Leather Wallet", "Bluetooth Speaker", "Cotton T-Shirt", "Desk Lamp", "Running Shoes")
COUNTRIES = ("Germany", "United States", "Indonesia", "France", "Brazil", "Japan", "United Kingdom", "India",
             "South Africa", "Canada")
CITIES = ("Berlin", "New York", "Jakarta", "Paris", "São Paulo", "Tokyo", "London", "Mumbai", "Cape Town", "Toronto")


def col(name: str, data_type: str = "varchar(255)", *samples: object, **kw: object) -> ColumnProfile:
    return ColumnProfile(name=name, data_type=data_type, sample_values=tuple(samples), **kw)  # type: ignore[arg-type]


def kind_of(column: ColumnProfile, table: str = "") -> str | None:
    return detect_pii(column, table_name=table)[0]


def luhn_failing_16(rng: random.Random) -> str:
    while True:
        number = "4" + "".join(rng.choice("0123456789") for _ in range(15))
        if not luhn_valid(number):
            return number


CUSTOMERS = TableProfile(
    name="customers",
    row_count=48_213,
    columns=(
        col("customer_id", "INTEGER", *range(1, 21), nullable=False, is_primary_key=True, distinct_count=48_213),
        col("first_name", "varchar(80)", *FIRST),
        col("last_name", "varchar(80)", *LAST),
        col("email", "varchar(255)", *EMAILS),
        col("phone", "varchar(32)", *PHONES),
        col("segment", "varchar(20)", *(("Consumer", "Corporate", "Small Business") * 5), distinct_count=3),
        col("country", "varchar(60)", *COUNTRIES, distinct_count=42),
        col("city", "varchar(60)", *CITIES, distinct_count=1_310),
        col("date_of_birth", "date", date(1980, 5, 17), date(1992, 11, 2)),
        col("signup_date", "date", date(2021, 3, 1), date(2023, 7, 9)),
        col("is_active", "boolean", True, False, True),
    ),
)

ORDERS = TableProfile(
    name="orders",
    row_count=100_000,
    columns=(
        col("order_id", "BIGINT", *range(100_001, 100_031), nullable=False, is_primary_key=True),
        col("customer_id", "INTEGER", 17, 2_201, 993, is_foreign_key=True, references="customers.customer_id"),
        col("store_id", "INTEGER", 3, 7, 1, is_foreign_key=True, references="stores.store_id"),
        col("order_date", "timestamp without time zone", datetime(2024, 1, 5, 10, 3), datetime(2024, 2, 1, 18, 45)),
        col("status", "varchar(20)", *(("shipped", "delivered", "pending", "cancelled") * 5), distinct_count=4),
        col("total_amount", "DECIMAL(10,2)", Decimal("19.99"), Decimal("1249.00"), Decimal("5.50"), Decimal("87.25")),
        col("quantity", "INTEGER", 1, 2, 3, 10),
        col("sku", "varchar(32)", "SKU-10023", "WB-500-BLU", "MUG-CER-01", "SKU-99120", "TS-COT-M"),
        col("shipping_address", "TEXT", "123 Main St, Springfield", "Jl. Sudirman No. 5, Jakarta", "Hauptstraße 5, Berlin"),
    ),
)


def by(suggestions: list[Suggestion], column: str | None, field: str) -> Suggestion | None:
    found = [s for s in suggestions if s.column == column and s.field == field]
    assert len(found) <= 1, found
    return found[0] if found else None


# --------------------------------------------------------------------------------------------------
# humanize
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("identifier", "expected"), [
    ("cust_nm", "Customer Name"),
    ("orderDate", "Order Date"),
    ("tbl_sales_2024", "Sales 2024"),
    ("customer_id", "Customer ID"),
    ("customerID", "Customer ID"),
    ("CUST_NM", "Customer Name"),
    ("qty", "Quantity"),
    ("total_amt", "Total Amount"),
    ("order_dt", "Order Date"),
    ("created_ts", "Created Timestamp"),
    ("ship_addr", "Ship Address"),
    ("order_no", "Order Number"),
    ("invoice_num", "Invoice Number"),
    ("num_items", "Number of Items"),
    ("prod_cat_desc", "Product Category Description"),
    ("emp_dept", "Employee Department"),
    ("org_acct_txn_ref", "Organization Account Transaction Reference"),
    ("inv_amt", "Invoice Amount"),
    ("ord_pmt_cnt", "Order Payment Count"),
    ("avg_pct", "Average Percent"),
    ("dob", "Date of Birth"),
    ("dim_customer", "Customer"),
    ("fact_sales", "Sales"),
    ("vw_active_users", "Active Users"),
    ("v_orders", "Orders"),
    ("t_orders", "Orders"),
    ("HTTPStatus", "HTTP Status"),
    ("address_line1", "Address Line 1"),
    ("sales2024", "Sales 2024"),
    ("e_mail", "Email"),
    ("sku", "SKU"),
    ("totalUSD", "Total USD"),
    ("customers", "Customers"),
    ("order_items", "Order Items"),
    ("tbl", "Tbl"),
    ("", ""),
])
def test_humanize(identifier: str, expected: str) -> None:
    assert humanize(identifier) == expected


# --------------------------------------------------------------------------------------------------
# check digits
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("number", ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "378282246310005",
                                    "5555555555554444", "6011111111111117", "79927398713"])
def test_luhn_valid(number: str) -> None:
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["4111111111111112", "5555555555554445", "378282246310006", "79927398710", "",
                                    "7", "4111-1111-1111-111x", "abcdefghijklmnop"])
def test_luhn_invalid(number: str) -> None:
    assert not luhn_valid(number)


@pytest.mark.parametrize("value", ["DE89370400440532013000", "GB82WEST12345698765432", "GB82 WEST 1234 5698 7654 32",
                                   "de89370400440532013000", "NL91ABNA0417164300", "FR1420041010050500013M02606"])
def test_iban_valid(value: str) -> None:
    assert iban_valid(value)


@pytest.mark.parametrize("value", ["DE89370400440532013001", "DE88370400440532013000", "GB82WEST12345698765431",
                                   "GB82WEST1234569876543", "XX89370400440532013000", "DE8937040044053201300",
                                   "not an iban", "", "1234567890123456"])
def test_iban_invalid(value: str) -> None:
    assert not iban_valid(value)


# --------------------------------------------------------------------------------------------------
# PII by column name
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data_type", "expected"), [
    ("email", "varchar(255)", "email"),
    ("e_mail", "varchar(255)", "email"),
    ("EmailAddress", "varchar(255)", "email"),
    ("customer_email", "text", "email"),
    ("phone", "varchar(32)", "phone"),
    ("phone_number", "varchar(32)", "phone"),
    ("mobile_no", "varchar(32)", "phone"),
    ("tel", "varchar(32)", "phone"),
    ("first_name", "varchar(80)", "person_name"),
    ("lastName", "varchar(80)", "person_name"),
    ("surname", "varchar(80)", "person_name"),
    ("full_name", "varchar(80)", "person_name"),
    ("contact_name", "varchar(80)", "person_name"),
    ("cust_nm", "varchar(80)", "person_name"),
    ("street_address", "text", "address"),
    ("billing_address", "text", "address"),
    ("zip_code", "varchar(10)", "postal_code"),
    ("postal_code", "varchar(10)", "postal_code"),
    ("birth_date", "date", "birth_date"),
    ("dob", "date", "birth_date"),
    ("ssn", "char(11)", "national_id"),
    ("national_id", "varchar(20)", "national_id"),
    ("nik", "char(16)", "national_id"),
    ("passport_number", "varchar(20)", "passport"),
    ("iban", "varchar(34)", "iban"),
    ("card_number", "varchar(19)", "card_number"),
    ("cc_number", "varchar(19)", "card_number"),
    ("ip_address", "varchar(45)", "ip_address"),
    ("client_ip", "inet", "ip_address"),
    ("tax_id", "varchar(20)", "tax_id"),
])
def test_pii_detected_by_name(name: str, data_type: str, expected: str) -> None:
    kind, confidence, reason = detect_pii(col(name, data_type), table_name="customers")
    assert kind == expected
    assert 0.6 <= confidence <= 1.0
    assert reason


def test_bare_name_is_personal_only_in_people_like_tables() -> None:
    assert kind_of(col("name", "varchar(100)"), "customers") == "person_name"
    assert kind_of(col("name", "varchar(100)"), "employees") == "person_name"
    assert kind_of(col("name", "varchar(100)"), "products") is None
    assert kind_of(col("name", "varchar(100)", *PRODUCTS), "products") is None
    assert kind_of(col("product_name", "varchar(100)", *PRODUCTS), "products") is None


def test_business_contact_details_are_not_tagged_as_personal() -> None:
    kind, confidence, _ = detect_pii(col("phone", "varchar(32)"), table_name="stores")
    assert confidence < 0.6
    kind, confidence, _ = detect_pii(col("phone", "varchar(32)", *PHONES), table_name="stores")
    assert confidence < 0.6
    kind, confidence, _ = detect_pii(col("address", "text", "1 Market St", "77 Sunset Blvd"), table_name="warehouses")
    assert confidence < 0.6
    kind, confidence, _ = detect_pii(col("store_phone", "varchar(32)"), table_name="orders")
    assert confidence < 0.6
    # ...but a person's contact at a supplier is
    kind, confidence, _ = detect_pii(col("contact_email", "varchar(255)"), table_name="suppliers")
    assert kind == "email" and confidence >= 0.6


@pytest.mark.parametrize(("name", "data_type"), [
    ("email_verified", "boolean"),
    ("is_email_valid", "boolean"),
    ("email_count", "integer"),
    ("num_phones", "integer"),
    ("phone_type", "varchar(10)"),
    ("email_domain", "varchar(100)"),
    ("address_type", "varchar(10)"),
    ("email_sent_at", "timestamp"),
    ("ip_address_id", "integer"),
])
def test_names_about_pii_are_not_pii(name: str, data_type: str) -> None:
    kind, confidence, _ = detect_pii(col(name, data_type), table_name="customers")
    assert kind is None or confidence < 0.6, (kind, confidence)


def test_foreign_key_named_like_pii_is_not_pii() -> None:
    column = col("email_id", "integer", 1, 2, 3, is_foreign_key=True, references="emails.email_id")
    assert kind_of(column, "customers") is None


def test_name_contradicted_by_values_is_weakened() -> None:
    kind, confidence, reason = detect_pii(col("card_number", "varchar(19)", *[luhn_failing_16(random.Random(i))
                                                                            for i in range(10)]))
    assert confidence < 0.6
    assert "none of 10" in reason


# --------------------------------------------------------------------------------------------------
# PII by values
# --------------------------------------------------------------------------------------------------

def test_emails_in_an_innocent_column() -> None:
    kind, confidence, reason = detect_pii(col("contact", "varchar(255)", *EMAILS), table_name="orders")
    assert kind == "email"
    assert confidence >= 0.9
    assert "10 of 10 sampled values are e-mail addresses" in reason


def test_card_numbers_in_a_value_column() -> None:
    kind, confidence, reason = detect_pii(col("value", "varchar(32)", *CARDS))
    assert kind == "card_number"
    assert confidence >= 0.8
    assert "Luhn" in reason


def test_card_numbers_stored_as_integers() -> None:
    numbers = [int(c.replace(" ", "")) for c in CARDS]
    assert kind_of(col("value", "BIGINT", *numbers)) == "card_number"


def test_ibans_in_notes() -> None:
    kind, confidence, _ = detect_pii(col("notes", "text", *IBANS))
    assert kind == "iban" and confidence >= 0.8


def test_ibans_embedded_in_free_text() -> None:
    notes = tuple(f"Refund sent to {iban} on request" for iban in IBANS)
    kind, confidence, reason = detect_pii(col("notes", "text", *notes))
    assert kind == "iban" and confidence >= 0.8
    assert "contain" in reason


def test_a_single_iban_in_free_text_is_reported_but_not_tagged() -> None:
    notes = ("Refund to DE89 3704 0044 0532 0130 00 approved", "gift wrap please", "leave at door", "call first")
    kind, confidence, _ = detect_pii(col("notes", "text", *notes))
    assert kind == "iban" and 0.3 <= confidence < 0.6
    s = guess_table(TableProfile("orders", (col("notes", "text", *notes),)))
    assert "Some sampled values contain IBANs" in by(s, "notes", "description").value
    assert "PII" not in by(s, "notes", "tags").value
    assert "DE89" not in by(s, "notes", "description").value


def test_phone_numbers_by_value() -> None:
    kind, confidence, _ = detect_pii(col("contact_info", "varchar(40)", *PHONES))
    assert kind == "phone" and confidence >= 0.6


def test_person_names_by_value() -> None:
    kind, confidence, _ = detect_pii(col("holder", "varchar(100)", *FULL_NAMES))
    assert kind == "person_name" and confidence >= 0.6
    kind, _, _ = detect_pii(col("holder", "varchar(100)", "Smith, John", "Garcia, Maria", "Chen, Wei", "Davis, Emily"))
    assert kind == "person_name"


def test_street_addresses_by_value() -> None:
    addresses = ("123 Main St", "42 Baker Street", "Jl. Sudirman No. 5", "Hauptstraße 5", "12 Rue de Rivoli",
                 "9 Elm Avenue Apt 3", "Via Roma 10", "77 Sunset Blvd")
    kind, confidence, _ = detect_pii(col("location", "varchar(200)", *addresses))
    assert kind == "address" and confidence >= 0.6


def test_national_ids_by_value() -> None:
    ssns = ("123-45-6789", "219-09-9999", "078-05-1120", "536-22-1234", "401-33-5555")
    kind, confidence, reason = detect_pii(col("ref", "varchar(11)", *ssns))
    assert kind == "national_id" and confidence >= 0.6
    assert "social security" in reason
    niks = ("3174012503900001", "3273015708850002", "1271036112790003", "3578110101000004", "5171044402950005")
    kind, confidence, reason = detect_pii(col("ident", "char(16)", *niks))
    assert kind == "national_id" and confidence >= 0.6 and "NIK" in reason


def test_ip_addresses_by_value() -> None:
    ips = ("192.168.1.10", "10.0.0.254", "203.0.113.7", "8.8.8.8", "2001:db8::1")
    kind, confidence, _ = detect_pii(col("source", "varchar(45)", *ips))
    assert kind == "ip_address" and confidence >= 0.6


def test_ssn_embedded_in_text() -> None:
    notes = ("Customer called, SSN 536-22-1234 verified", "SSN on file 401-33-5555 per agent", "ID check 219-09-9999 ok")
    assert kind_of(col("comments", "text", *notes)) == "national_id"


# --------------------------------------------------------------------------------------------------
# not PII
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data_type", "samples"), [
    ("order_id", "BIGINT", tuple(range(100_001, 100_051))),
    ("id", "INTEGER", tuple(range(1, 51))),
    ("price", "DECIMAL(10,2)", (Decimal("19.99"), Decimal("5.00"), Decimal("1249.50"), Decimal("0.99"))),
    ("unit_price", "float", (19.99, 5.0, 1249.5, 0.99)),
    ("amount", "varchar(20)", ("19.99", "1249.00", "5.50", "87.25", "1200000.00")),
    ("product_name", "varchar(100)", PRODUCTS),
    ("title", "varchar(100)", PRODUCTS),
    ("sku", "varchar(32)", ("SKU-10023", "WB-500-BLU", "MUG-CER-01", "SKU-99120", "TS-COT-M", "ABC123456789")),
    ("country", "varchar(60)", COUNTRIES),
    ("city", "varchar(60)", CITIES),
    ("order_date", "varchar(20)", ("2024-01-15", "2024-02-29", "2023-12-31", "2024-03-01 10:30:00")),
    ("status", "varchar(20)", ("shipped", "delivered", "pending", "cancelled")),
    ("segment", "varchar(20)", ("Consumer", "Corporate", "Small Business")),
    ("tracking_code", "varchar(40)", ("1Z999AA10123456784", "9400111899223856926363", "JJD000390007729466")),
    ("uuid", "uuid", ("550e8400-e29b-41d4-a716-446655440000", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")),
    ("version", "varchar(20)", ("1.2.3", "2.0.0", "10.4.1")),
    ("quantity", "INTEGER", (1, 2, 3, 10, 25)),
    ("revenue", "BIGINT", (1_250_000, 98_000_000, 5_000_000_000)),
    ("account_code", "char(10)", ("0000012345", "0000098765", "0000000042", "0001234567", "0000555555")),
    ("batch", "varchar(20)", ("20240115103000", "20240116091500", "20240117120000")),
    ("created", "varchar(30)", ("2024-01-15 10:30:00", "2024-01-16T09:15:00Z", "15.01.2024")),
    ("measure", "varchar(20)", ("12345678.90", "1,234,567.89", "-42.5", "+3.75")),
])
def test_not_pii(name: str, data_type: str, samples: tuple[object, ...]) -> None:
    kind, confidence, reason = detect_pii(col(name, data_type, *samples), table_name="orders")
    assert kind is None, (kind, confidence, reason)
    assert reason


def test_sixteen_digit_numbers_failing_luhn_are_not_cards() -> None:
    rng = random.Random(7)
    numbers = tuple(luhn_failing_16(rng) for _ in range(30))
    assert kind_of(col("value", "varchar(32)", *numbers)) is None
    assert kind_of(col("reference", "BIGINT", *[int(n) for n in numbers])) is None


def test_random_sixteen_digit_ids_are_not_flagged() -> None:
    rng = random.Random(11)
    numbers = tuple(str(rng.randrange(10**15, 10**16)) for _ in range(50))
    kind, confidence, _ = detect_pii(col("external_ref", "varchar(16)", *numbers))
    assert kind is None or confidence < 0.6


def test_product_names_in_a_people_free_table_stay_clean() -> None:
    suggestions = guess_table(TableProfile("products", (col("name", "varchar(100)", *PRODUCTS),)))
    tags = by(suggestions, "name", "tags")
    assert tags is None or "PII" not in tags.value


# --------------------------------------------------------------------------------------------------
# semantic roles
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("column", "expected"), [
    (col("order_id", "BIGINT", is_primary_key=True), "id"),
    (col("customer_id", "INTEGER", is_foreign_key=True, references="customers.customer_id"), "id"),
    (col("session_id", "varchar(36)"), "id"),
    (col("customerId", "INTEGER"), "id"),
    (col("external_key", "uuid"), "id"),
    (col("invoice_number", "varchar(20)", "INV-0001", "INV-0002"), "id"),
    (col("created_at", "timestamp with time zone"), "time"),
    (col("order_date", "DATE"), "time"),
    (col("order_dt", "varchar(10)", "2024-01-15", "2024-02-01", "2024-03-09"), "time"),
    (col("happened", "TEXT", "2024-01-15T10:00:00Z", "2024-02-01T08:30:00Z", "2024-03-09T23:59:59Z"), "time"),
    (col("fiscal_year", "INTEGER", 2022, 2023, 2024), "time"),
    (col("event_ts", "BIGINT", 1_700_000_000, 1_710_000_000), "time"),
    (col("updated_on", "varchar(30)"), "time"),
    (col("amount", "DECIMAL(12,2)"), "metric"),
    (col("price", "numeric"), "metric"),
    (col("total", "money"), "metric"),
    (col("qty", "INTEGER"), "metric"),
    (col("salary", "INTEGER"), "metric"),
    (col("score", "REAL"), "metric"),
    (col("weight_kg", "double precision"), "metric"),
    (col("status", "varchar(20)", "open", "closed", "open", "open", "closed", "pending", "open", "closed"), "category"),
    (col("segment", "TEXT", distinct_count=3), "category"),
    (col("channel", "varchar(20)", distinct_count=4), "category"),
    (col("is_active", "boolean"), "category"),
    (col("rating_level", "enum('low','mid','high')"), "category"),
    (col("country", "varchar(60)", *COUNTRIES, distinct_count=180), "dimension"),
    (col("product_name", "varchar(100)", *PRODUCTS, distinct_count=5_000), "dimension"),
    (col("latitude", "DECIMAL(9,6)"), "dimension"),
    (col("email", "varchar(255)", *EMAILS), "dimension"),
])
def test_semantic_roles(column: ColumnProfile, expected: str) -> None:
    role, confidence, reason = guess_semantic_role(column, table_name="orders")
    assert role == expected, (role, confidence, reason)
    assert 0.0 < confidence <= 1.0
    assert reason


def test_json_and_binary_have_no_role() -> None:
    assert guess_semantic_role(col("payload", "jsonb"))[0] is None
    assert guess_semantic_role(col("avatar", "bytea"))[0] is None


# --------------------------------------------------------------------------------------------------
# guess_table
# --------------------------------------------------------------------------------------------------

def _check_invariants(suggestions: list[Suggestion], profile: TableProfile) -> None:
    assert suggestions
    for s in suggestions:
        assert s.target in ("table", "column")
        assert s.table == profile.name
        assert (s.column is None) == (s.target == "table")
        assert s.field in ("alias", "description", "tags", "semantic_role", "synonyms")
        assert 0.0 <= s.confidence <= 1.0, s
        assert isinstance(s.reason, str) and s.reason.strip(), s
        if s.field in ("tags", "synonyms"):
            assert isinstance(s.value, list) and s.value and all(isinstance(v, str) and v for v in s.value), s
        else:
            assert isinstance(s.value, str) and s.value.strip(), s
        if s.field == "tags":
            assert set(s.value) <= set(TAG_VOCABULARY), s
            assert len(s.value) == len(set(s.value)), s
    for column in profile.columns:
        assert by(suggestions, column.name, "alias") is not None, column.name
        assert by(suggestions, column.name, "description") is not None, column.name
    assert by(suggestions, None, "alias") is not None
    assert by(suggestions, None, "description") is not None


@pytest.mark.parametrize("profile", [CUSTOMERS, ORDERS], ids=["customers", "orders"])
def test_guess_table_invariants(profile: TableProfile) -> None:
    _check_invariants(guess_table(profile), profile)


def test_guess_table_customers() -> None:
    s = guess_table(CUSTOMERS)
    assert by(s, None, "alias").value == "Customers"
    assert by(s, None, "description").value.startswith("Customers: 11 columns, 48,213 rows.")
    assert "clients" in by(s, None, "synonyms").value
    assert by(s, None, "tags").value == ["PII"]

    for name in ("first_name", "last_name", "email", "phone", "date_of_birth"):
        tags = by(s, name, "tags")
        assert tags is not None and "PII" in tags.value, name
        assert tags.confidence >= 0.6, (name, tags)
        assert "(personal data)" in by(s, name, "description").value
    assert by(s, "email", "description").value == "Customer e-mail address (personal data)."
    assert by(s, "first_name", "description").value == "Customer first name (personal data)."

    assert by(s, "customer_id", "tags").value == ["PK", "id"]
    assert by(s, "customer_id", "description").value == "Primary key of customers."
    assert by(s, "segment", "description").value == "Segment of the customer. One of: Consumer, Corporate, Small Business."
    assert by(s, "segment", "tags").value == ["category"]
    assert by(s, "signup_date", "description").value == "Date the customer signed up."
    assert by(s, "is_active", "description").value == "Whether the customer is active (true/false)."
    for name in ("segment", "country", "city", "signup_date", "is_active"):
        tags = by(s, name, "tags")
        assert tags is None or "PII" not in tags.value, name


def test_guess_table_orders() -> None:
    s = guess_table(ORDERS)
    assert by(s, None, "description").value == "Orders: 9 columns, 100,000 rows; references customers, stores. " \
                                               "Contains personal data (street address)."
    assert by(s, "order_id", "tags").value == ["PK", "id"]
    assert by(s, "customer_id", "tags").value == ["FK", "id"]
    assert by(s, "customer_id", "description").value == "Reference to customers (customers.customer_id)."
    assert by(s, "order_date", "description").value == "Date and time the order was placed."
    assert by(s, "order_date", "semantic_role").value == "time"

    total = by(s, "total_amount", "description").value
    assert total.startswith("Monetary amount")
    assert "5.50" in total and "1,249.00" in total
    assert by(s, "total_amount", "tags").value == ["metric"]
    assert "PII" not in by(s, "total_amount", "tags").value
    assert {"sales", "turnover"} <= set(by(s, "total_amount", "synonyms").value)

    assert "units" in by(s, "quantity", "synonyms").value
    assert "purchase date" in by(s, "order_date", "synonyms").value
    assert by(s, "status", "description").value == "Status of the order. One of: cancelled, delivered, pending, shipped."
    assert "PII" not in (by(s, "sku", "tags").value if by(s, "sku", "tags") else [])
    assert "PII" in by(s, "shipping_address", "tags").value


def test_descriptions_never_leak_personal_sample_values() -> None:
    for profile in (CUSTOMERS, ORDERS):
        text = " ".join(s.value for s in guess_table(profile) if s.field == "description")
        for value in (*EMAILS, *PHONES, *FIRST, *LAST, "123 Main St"):
            assert value not in text


def test_guess_table_is_deterministic() -> None:
    assert guess_table(ORDERS) == guess_table(ORDERS)
    assert guess_table(CUSTOMERS) == guess_table(CUSTOMERS)


def test_comments_win_and_views_are_named() -> None:
    profile = TableProfile("vw_active_users", (col("usr_nm", "text", comment="Login handle."),), kind="view")
    s = guess_table(profile)
    assert by(s, None, "alias").value == "Active Users"
    assert by(s, None, "description").value.startswith("Active Users (view): 1 column")
    desc = by(s, "usr_nm", "description")
    assert desc.value == "Login handle." and desc.confidence >= 0.9
    commented = guess_table(TableProfile("t", (col("a", "int"),), comment="Legacy table."))
    assert by(commented, None, "description").value == "Legacy table."


def test_composite_key_and_bare_id() -> None:
    profile = TableProfile("order_items", (
        col("order_id", "int", is_primary_key=True, is_foreign_key=True, references="orders.order_id"),
        col("product_id", "int", is_primary_key=True, is_foreign_key=True, references="products.product_id"),
        col("unit_price", "numeric(10,2)"),
    ))
    s = guess_table(profile)
    assert by(s, "order_id", "description").value == "Part of the primary key of order items. References orders.order_id."
    assert by(s, "order_id", "tags").value == ["PK", "FK", "id"]
    assert by(s, "unit_price", "description").value == "Monetary amount: unit price of the order item."
    assert by(s, None, "synonyms").value == ["order lines", "line items"]
    s2 = guess_table(TableProfile("customers", (col("id", "int", is_primary_key=True),)))
    assert by(s2, "id", "alias").value == "Customer ID"


def test_cryptic_names_get_low_alias_confidence() -> None:
    s = guess_table(TableProfile("xq", (col("zz_bcd", "text"),)))
    assert by(s, "zz_bcd", "alias").confidence < 0.5


def test_abbreviation_expansion_is_explained() -> None:
    s = guess_table(TableProfile("orders", (col("cust_nm", "text"),)))
    alias = by(s, "cust_nm", "alias")
    assert alias.value == "Customer Name"
    assert "cust → Customer" in alias.reason


@pytest.mark.parametrize(("data_type", "expected"), [
    ("INTEGER", "int"), ("bigint", "int"), ("NUMBER(10)", "int"), ("int unsigned", "int"), ("varchar(255)", "text"),
    ("character varying(50)", "text"), ("nvarchar(max)", "text"), ("TEXT", "text"), ("Nullable(String)", "text"),
    ("DECIMAL(10,2)", "decimal"), ("NUMBER(10,2)", "decimal"), ("double precision", "decimal"), ("money", "decimal"),
    ("timestamp without time zone", "datetime"), ("TIMESTAMP(6) WITH TIME ZONE", "datetime"), ("datetime2(7)", "datetime"),
    ("DATE", "date"), ("time without time zone", "time"), ("boolean", "bool"), ("bit(1)", "bool"), ("tinyint(1)", "bool"),
    ("uuid", "uuid"), ("jsonb", "json"), ("text[]", "json"), ("bytea", "binary"), ("inet", "inet"), ("interval", "interval"),
    ("enum('a','b')", "enum"), ("point", "other"),
])
def test_type_classes(data_type: str, expected: str) -> None:
    from metadata.autoguess import _type_class

    assert _type_class(data_type) == expected


def test_empty_table() -> None:
    s = guess_table(TableProfile("empty", ()))
    assert by(s, None, "description").value == "Empty: 0 columns."


# --------------------------------------------------------------------------------------------------
# performance
# --------------------------------------------------------------------------------------------------

def _synthetic_schema(n_tables: int, seed: int) -> list[TableProfile]:
    rng = random.Random(seed)
    kinds = [
        ("id", "INTEGER", lambda: rng.randrange(1, 10**6)),
        ("email", "varchar(255)", lambda: f"user{rng.randrange(10**6)}@example.com"),
        ("phone", "varchar(32)", lambda: f"+1 555-{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}"),
        ("amount", "DECIMAL(10,2)", lambda: Decimal(rng.randrange(100, 10**6)) / 100),
        ("status", "varchar(20)", lambda: rng.choice(("open", "closed", "pending"))),
        ("created_at", "timestamp", lambda: datetime(2024, 1, 1, rng.randrange(24))),
        ("note", "text", lambda: f"Order {rng.randrange(10**6)} handled by team {rng.choice('ABC')}"),
        ("code", "varchar(16)", lambda: f"SKU-{rng.randrange(10**8)}"),
        ("name", "varchar(100)", lambda: f"{rng.choice(FIRST)} {rng.choice(LAST)}"),
        ("ref", "varchar(20)", lambda: str(rng.randrange(10**15, 10**16))),
    ]
    tables = []
    for t in range(n_tables):
        cols = []
        for c in range(20):
            base, data_type, gen = kinds[(t + c) % len(kinds)]
            cols.append(ColumnProfile(f"{base}_{c}", data_type, sample_values=tuple(gen() for _ in range(50)),
                                      is_primary_key=c == 0))
        tables.append(TableProfile(f"table_{t}", tuple(cols), row_count=rng.randrange(10**6)))
    return tables


def test_a_schema_of_100_tables_of_20_columns_gets_a_guess_for_every_table() -> None:
    # (Speed is measured by benchmarks, not asserted here: a busy machine would make this flaky.)
    tables = _synthetic_schema(100, seed=1)
    results = [guess_table(t) for t in tables]
    assert len(results) == 100 and all(results)
