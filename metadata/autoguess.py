"""Heuristic data-dictionary suggestions from a table profile (no LLM, no network, stdlib only).

`guess_table` turns a `TableProfile` (names, types, keys, sample values) into `Suggestion`s for the
table and each of its columns: alias, description, semantic role, tags and synonyms, each with a
confidence in [0, 1] and a short human reason. A person approves them later, so the heuristics stay
conservative: descriptions only restate what the name, type, keys and samples show.

Personal data (PII) is detected from the column name (``email``, ``phone``, ``first_name``, ``dob``,
``iban``, ...) and from the sampled values (e-mail addresses, phone numbers, person names, street
addresses, US SSNs, Indonesian NIKs, Luhn-valid card numbers, mod-97-valid IBANs, IP addresses).
The two kinds of evidence are combined as independent signals: ``1 - (1 - name) * (1 - values)``.
Sample values of a column judged to be personal data never appear in a description.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Any

__all__ = [
    "TAG_VOCABULARY",
    "ColumnProfile",
    "Suggestion",
    "TableProfile",
    "detect_pii",
    "guess_semantic_role",
    "guess_table",
    "humanize",
    "iban_valid",
    "luhn_valid",
]

TAG_VOCABULARY = ("PK", "FK", "PII", "metric", "dimension", "time", "id", "category")

PII_TAG_THRESHOLD = 0.6  # a column gets the PII tag (and a "personal data" description) from here on
_REPORT_THRESHOLD = 0.3  # below this detect_pii() reports no kind
MAX_SAMPLES = 50


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    data_type: str
    nullable: bool = True
    is_primary_key: bool = False
    is_foreign_key: bool = False
    references: str | None = None
    sample_values: tuple[Any, ...] = ()
    distinct_count: int | None = None
    comment: str = ""


@dataclass(frozen=True)
class TableProfile:
    name: str
    columns: tuple[ColumnProfile, ...]
    row_count: int | None = None
    kind: str = "table"
    comment: str = ""


@dataclass(frozen=True)
class Suggestion:
    target: str
    table: str
    column: str | None
    field: str
    value: Any
    confidence: float
    reason: str


# --------------------------------------------------------------------------------------------------
# Names: tokenising, abbreviation expansion, humanising
# --------------------------------------------------------------------------------------------------

_SEP_RE = re.compile(r"[\W_]+")
_DROP_PREFIXES = frozenset({"tbl", "tb", "t", "dim", "fact", "fct", "vw", "v"})
_KEEP_ALNUM = {"ipv4": "IPv4", "ipv6": "IPv6", "md5": "MD5", "sha1": "SHA1", "sha256": "SHA256", "b2b": "B2B",
               "b2c": "B2C", "utf8": "UTF-8", "s3": "S3", "2fa": "2FA", "e164": "E.164", "cvv2": "CVV2", "iso8601": "ISO 8601"}
_ACRONYMS = {
    "id": "ID", "ids": "IDs", "uuid": "UUID", "guid": "GUID", "sku": "SKU", "upc": "UPC", "ean": "EAN", "url": "URL",
    "uri": "URI", "ip": "IP", "ssn": "SSN", "nik": "NIK", "ktp": "KTP", "npwp": "NPWP", "iban": "IBAN", "bic": "BIC",
    "vat": "VAT", "gst": "GST", "usd": "USD", "eur": "EUR", "gbp": "GBP", "idr": "IDR", "jpy": "JPY", "api": "API",
    "sla": "SLA", "kpi": "KPI", "roi": "ROI", "crm": "CRM", "erp": "ERP", "utc": "UTC", "pk": "PK", "fk": "FK",
    "po": "PO", "utm": "UTM", "gmv": "GMV", "mrr": "MRR", "arr": "ARR", "arpu": "ARPU", "ltv": "LTV", "nps": "NPS",
    "ctr": "CTR", "cpc": "CPC", "cpm": "CPM", "cvv": "CVV", "cvc": "CVC", "pin": "PIN", "os": "OS", "hq": "HQ",
    "json": "JSON", "xml": "XML", "csv": "CSV", "pdf": "PDF", "html": "HTML", "sms": "SMS", "otp": "OTP", "mac": "MAC",
    "tin": "TIN", "dni": "DNI", "cpf": "CPF", "nric": "NRIC", "uom": "UoM", "qr": "QR", "gps": "GPS",
}
_ABBREVIATIONS = {
    "cust": "Customer", "nm": "Name", "qty": "Quantity", "amt": "Amount", "dt": "Date", "ts": "Timestamp",
    "addr": "Address", "num": "Number", "no": "Number", "nbr": "Number", "nr": "Number", "desc": "Description",
    "descr": "Description", "dscr": "Description", "cat": "Category", "prod": "Product", "emp": "Employee",
    "dept": "Department", "org": "Organization", "acct": "Account", "txn": "Transaction", "trx": "Transaction",
    "inv": "Invoice", "ord": "Order", "pmt": "Payment", "ref": "Reference", "cnt": "Count", "pct": "Percent",
    "avg": "Average", "mgr": "Manager", "cd": "Code", "val": "Value", "yr": "Year", "mth": "Month", "wk": "Week",
    "hr": "Hour", "tot": "Total", "bal": "Balance", "prc": "Price", "tel": "Telephone", "ph": "Phone",
    "fname": "First Name", "lname": "Last Name", "dob": "Date of Birth", "src": "Source", "dest": "Destination",
    "dst": "Destination", "loc": "Location", "svc": "Service", "seq": "Sequence", "ver": "Version", "usr": "User",
    "msg": "Message", "ctry": "Country", "cntry": "Country", "lat": "Latitude", "lng": "Longitude", "lon": "Longitude",
    "rcpt": "Receipt", "sts": "Status", "upd": "Updated", "ind": "Indicator", "flg": "Flag", "vend": "Vendor",
    "supp": "Supplier", "whse": "Warehouse", "cc": "Credit Card", "tz": "Time Zone", "ccy": "Currency",
    "curr": "Currency", "dttm": "Date Time", "tstamp": "Timestamp", "pwd": "Password", "max": "Maximum",
    "qtr": "Quarter", "attr": "Attribute", "cfg": "Config", "img": "Image", "pos": "Position", "sub": "Sub",
    "stat": "Status", "grp": "Group", "lvl": "Level", "lang": "Language", "prev": "Previous", "pmnt": "Payment",
}
_NUMBER_OF = frozenset({"num", "no", "nbr", "nr", "number", "n"})
_SMALL_WORDS = frozenset({"of", "and", "or", "the", "per", "a", "an", "for", "to"})
_KNOWN_SHORT = frozenset({"by", "to", "of", "st", "nd", "rd", "th", "mm", "dd", "km", "kg", "ml", "px", "fx", "pct"})


@dataclass(frozen=True)
class _NameInfo:
    words: tuple[str, ...]  # display words: ("Customer", "Name")
    terms: tuple[str, ...]  # lower-case meaning tokens after expansion: ("customer", "name")
    raw: tuple[str, ...]  # lower-case tokens as written, prefix dropped: ("cust", "nm")
    expansions: tuple[tuple[str, str], ...]
    dropped_prefix: str
    cryptic: int  # short vowel-less tokens nobody could read


def _camel_split(part: str) -> list[str]:
    out: list[str] = []
    start = 0
    n = len(part)
    for i in range(1, n):
        prev, ch = part[i - 1], part[i]
        if (prev.isdigit() != ch.isdigit()
                or (prev.islower() and ch.isupper())
                or (prev.isupper() and ch.isupper() and i + 1 < n and part[i + 1].islower())):
            out.append(part[start:i])
            start = i
    out.append(part[start:])
    return out


@lru_cache(maxsize=32768)
def _analyze_name(identifier: str) -> _NameInfo:
    text = identifier.strip().strip('"`[]')
    letters = [c for c in text if c.isalpha()]
    all_upper = bool(letters) and not any(c.islower() for c in letters)
    tokens: list[str] = []
    for part in _SEP_RE.split(text):
        if not part:
            continue
        if part.lower() in _KEEP_ALNUM:
            tokens.append(part)
        else:
            tokens.extend(_camel_split(part))
    merged: list[str] = []
    i = 0
    while i < len(tokens):  # "e_mail" / "E-Mail" -> "email"
        if tokens[i].lower() == "e" and i + 1 < len(tokens) and tokens[i + 1].lower() == "mail":
            merged.append("email")
            i += 2
            continue
        merged.append(tokens[i])
        i += 1
    dropped = ""
    if len(merged) > 1 and merged[0].lower() in _DROP_PREFIXES and not merged[1].isdigit():
        dropped = merged.pop(0)
    lowers = [t.lower() for t in merged]
    words: list[str] = []
    terms: list[str] = []
    expansions: list[tuple[str, str]] = []
    cryptic = 0
    for idx, (tok, low) in enumerate(zip(merged, lowers, strict=True)):
        if low.isdigit():
            words.append(low)
            terms.append(low)
        elif low in _KEEP_ALNUM:
            words.append(_KEEP_ALNUM[low])
            terms.append(low)
        elif low in _ACRONYMS:
            words.append(_ACRONYMS[low])
            terms.append(low)
        elif idx == 0 and low in _NUMBER_OF and len(lowers) > 1 and lowers[1].endswith("s") and not lowers[1].isdigit():
            words += ["Number", "of"]
            terms += ["number", "of"]
            expansions.append((low, "Number of"))
        elif low in _ABBREVIATIONS:
            expanded = _ABBREVIATIONS[low]
            words.extend(expanded.split())
            terms.extend(w.lower() for w in expanded.split())
            expansions.append((low, expanded))
        elif not all_upper and tok.isupper() and 2 <= len(tok) <= 5:
            words.append(tok)  # an acronym written as such: "totalUSD", "HTTPStatus"
            terms.append(low)
        else:
            words.append(low[:1].upper() + low[1:])
            terms.append(low)
            if len(low) <= 3 and low.isalpha() and low not in _KNOWN_SHORT and not any(v in low for v in "aeiouy"):
                cryptic += 1
    words = [w.lower() if i and w.lower() in _SMALL_WORDS else w for i, w in enumerate(words)]
    return _NameInfo(tuple(words), tuple(terms), tuple(lowers), tuple(expansions), dropped, cryptic)


def humanize(identifier: str) -> str:
    """Readable label for a table or column name: "cust_nm" -> "Customer Name", "tbl_sales_2024" -> "Sales 2024"."""
    info = _analyze_name(identifier)
    return " ".join(info.words) if info.words else identifier.strip()


def _lower_word(word: str) -> str:
    if len(word) > 1 and (word.isupper() or word[1:] != word[1:].lower()):
        return word  # acronym ("ID", "IDs", "IPv4")
    return word.lower()


def _phrase(words: tuple[str, ...] | list[str]) -> str:
    return " ".join(_lower_word(w) for w in words)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


_SINGULAR_EXCEPTIONS = {
    "people": "person", "children": "child", "men": "man", "women": "woman", "staff": "staff", "data": "data",
    "news": "news", "series": "series", "species": "species", "movies": "movie", "cookies": "cookie",
    "houses": "house", "warehouses": "warehouse", "spouses": "spouse", "uses": "use", "causes": "cause",
    "analyses": "analysis", "indices": "index", "sales": "sale", "goods": "goods",
}


@lru_cache(maxsize=8192)
def _singular(word: str) -> str:
    w = word.lower()
    if w in _SINGULAR_EXCEPTIONS:
        return _SINGULAR_EXCEPTIONS[w]
    if len(w) <= 3 or w.endswith(("ss", "us", "is", "ics")):
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return w[:-2]
    if w.endswith("ses") and w[:-2].endswith(("us", "ss")):
        return w[:-2]  # statuses, addresses
    if w.endswith("s"):
        return w[:-1]
    return w


_UNCOUNTABLE = frozenset({"staff", "personnel", "inventory", "stock", "merchandise", "goods", "feedback", "equipment"})


def _plural(phrase: str) -> str:
    head, _, last = phrase.rpartition(" ")
    w = last
    if w.lower() in _UNCOUNTABLE or not w:
        out = w
    elif w.endswith("y") and len(w) > 1 and w[-2] not in "aeiou":
        out = w[:-1] + "ies"
    elif w.endswith(("s", "x", "ch", "sh", "z")):
        out = w + "es"
    else:
        out = w + "s"
    return f"{head} {out}" if head else out


# --------------------------------------------------------------------------------------------------
# Check digits
# --------------------------------------------------------------------------------------------------

def luhn_valid(number: str) -> bool:
    """Luhn (mod 10) check used by payment card numbers; spaces and dashes are ignored."""
    digits = str(number).replace(" ", "").replace("-", "")
    if len(digits) < 2 or not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
    "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
_IBAN_RE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")


def iban_valid(value: str) -> bool:
    """IBAN structure (known country and length) plus the ISO 13616 mod-97 check; whitespace is ignored."""
    s = "".join(str(value).split()).upper()
    if not _IBAN_RE.fullmatch(s) or _IBAN_LENGTHS.get(s[:2]) != len(s):
        return False
    rearranged = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


# --------------------------------------------------------------------------------------------------
# Value patterns
# --------------------------------------------------------------------------------------------------

_EMAIL = r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}"
_EMAIL_RE = re.compile(_EMAIL)
_EMAIL_SEARCH_RE = re.compile(r"(?<![\w.])" + _EMAIL)
_SSN_RE = re.compile(r"(\d{3})-(\d{2})-(\d{4})")
_SSN_SEARCH_RE = re.compile(r"\b(\d{3})-(\d{2})-(\d{4})\b")
_IPV4_RE = re.compile(r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}")
_PHONE_CHARS_RE = re.compile(r"\+?[\d\s().\-/]{6,24}")
_NON_DIGIT_RE = re.compile(r"\D")
_DIGIT_RE = re.compile(r"\d")
_IBAN_START_RE = re.compile(r"\b([A-Z]{2})\d{2}")
_CARD_SEARCH_RE = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_NUMERIC_STR_RE = re.compile(r"[-+]?\d{1,15}(?:\.(\d{1,10}))?")
_ADDRESS_NUMBER_RE = re.compile(r"(?<![\w.])\d{1,5}[A-Za-z]?\b")

_NIK_PROVINCES = frozenset({11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63,
                            64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96, 97})

_STREET_WORDS = frozenset({
    "street", "st", "road", "rd", "avenue", "ave", "av", "boulevard", "blvd", "lane", "ln", "drive", "dr", "court",
    "ct", "way", "place", "pl", "square", "sq", "terrace", "parkway", "pkwy", "highway", "hwy", "circle", "crescent",
    "close", "alley", "jalan", "jl", "gang", "gg", "rue", "avenida", "calle", "via", "rua", "strasse", "straße", "str",
    "weg", "gasse", "platz", "allee", "laan", "straat", "gatan", "vej", "carrer", "viale", "piazza", "corso",
    "chemin", "plaza", "apt", "suite", "unit", "flat",
})
_STREET_SUFFIXES = ("strasse", "straße", "weg", "gasse", "platz", "allee", "straat", "laan", "gatan", "vej")
_ADDRESS_SPLIT_RE = re.compile(r"[\W\d_]+")

_FIRST_NAMES = frozenset("""
james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony donald
steven stephen paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary
nicholas eric jonathan larry justin scott brandon benjamin samuel gregory alexander patrick raymond dennis jerry
tyler aaron henry adam peter nathan zachary kyle noah ethan jeremy sean liam lucas oliver mason logan harry oscar
mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra ashley
kimberly emily donna michelle carol amanda melissa deborah stephanie rebecca sharon laura cynthia kathleen amy
angela shirley anna brenda pamela emma nicole helen samantha katherine christine debra rachel carolyn janet
catherine maria heather diane julie olivia sophia isabella mia charlotte amelia harper evelyn abigail ella chloe
hannah natalie zoe alice lucy jose juan luis carlos jorge pedro miguel antonio manuel francisco javier alejandro
diego pablo sofia lucia valentina camila paula ana carmen isabel elena beatriz joao hans klaus jurgen jürgen
stefan wolfgang andreas markus lukas felix leon sebastian julia lena katharina sabine monika ursula petra jean
pierre marie sophie camille nicolas julien antoine francois françois luca marco giuseppe giovanni alessandro
francesca giulia chiara sven lars erik anders ingrid astrid pieter budi agus ahmad muhammad siti dewi putri rizky
andi eko joko bambang hendra wahyu yusuf rina fitri ratna wulan ketut nyoman raj rahul amit anil sunil vijay ravi
arjun rohan priya pooja anjali neha deepika sanjay suresh ramesh lakshmi wei ming hui xin hiroshi takashi kenji
yuki haruto sakura minjun jiwoo seojun mohammed mohamed ali omar hassan hussein fatima aisha khalid ibrahim youssef
layla olga ivan dmitri sergei natasha tatiana igor vladimir anastasia
""".split())
_LAST_NAMES = frozenset("""
smith johnson williams jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson anderson taylor
thomas moore jackson martin thompson harris clark lewis robinson walker allen scott nelson carter mitchell perez
roberts turner phillips campbell parker evans edwards collins stewart sanchez morris rogers reed cook morgan murphy
bailey rivera cooper richardson cox howard ward torres peterson ramirez watson brooks kelly sanders bennett barnes
ross henderson coleman jenkins perry powell patterson hughes flores washington butler simmons foster gonzales
bryant russell griffin diaz hayes müller mueller schmidt schneider fischer weber meyer wagner becker schulz hoffmann
koch richter schröder neumann dubois bernard durand lefebvre moreau laurent rossi russo ferrari esposito bianchi
romano colombo ricci silva santos oliveira souza pereira costa ferreira almeida santoso wijaya kusuma pratama
saputra hidayat setiawan gunawan susanto halim tan lim wong nguyen tran pham huynh kim park choi jung kang cho yoon
wang zhang chen liu yang huang zhao zhou wu xu sun zhu guo lin sato suzuki takahashi tanaka watanabe ito yamamoto
nakamura kobayashi singh kumar sharma patel gupta shah khan ahmed hassan ivanov smirnov kuznetsov popov novak
kowalski nowak jansen janssen peeters larsen hansen nielsen jensen andersen johansson karlsson nilsson eriksson
o'brien byrne
""".split())
_NAME_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "du", "del", "della", "la", "le", "bin",
                             "binti", "al", "el", "dos", "das", "ter", "ten", "y"})
_NON_NAME_WORDS = frozenset("""
inc ltd llc plc corp corporation co company gmbh ag sa bv pt tbk group holdings store shop market mart bank hotel
restaurant cafe university school hospital city town county province state states united kingdom republic new
north south east west central san santa los las saint st street road avenue lane the and of for with pro plus max
mini ultra edition pack set kit bottle water steel box bag shirt shoes cable phone case cover mug table chair lamp
book card gift premium standard basic deluxe classic small large medium business consumer corporate home office
online retail wholesale active inactive pending shipped delivered cancelled canceled completed open closed yes no
true false null none unknown other total credit debit cash paypal visa mastercard monday tuesday wednesday thursday
friday saturday sunday january february march april june july august september october november december
""".split())


def _nik_plausible(d: str) -> bool:
    """Indonesian NIK: province, regency, district, birth date (day + 40 for women), serial."""
    if int(d[:2]) not in _NIK_PROVINCES or d[2:4] == "00" or d[4:6] == "00" or d[12:] == "0000":
        return False
    day = int(d[6:8])
    if day > 40:
        day -= 40
    return 1 <= day <= 31 and 1 <= int(d[8:10]) <= 12


def _ssn_plausible(area: str, group: str, serial: str) -> bool:
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _card_plausible(digits: str) -> bool:
    if not 13 <= len(digits) <= 19:
        return False
    if digits[0] in "3456" or (digits[0] == "2" and 2221 <= int(digits[:4]) <= 2720):
        return luhn_valid(digits)
    return False


def _person_name_kind(s: str) -> str | None:
    """'person_name' (a known first/last name), 'person_name_weak' (capitalised words only) or None."""
    if len(s) > 60:
        return None
    if "," in s:
        parts = [p.strip() for p in s.split(",")]
        if len(parts) != 2 or not parts[0] or not parts[1]:
            return None
        words = parts[1].split() + parts[0].split()  # "Smith, John"
    else:
        words = s.split()
    if not 1 <= len(words) <= 4:
        return None
    core: list[str] = []
    for w in words:
        low = w.lower()
        if low in _NAME_PARTICLES and core:
            continue
        bare = w.rstrip(".").replace("'", "").replace("’", "").replace("-", "")
        if not bare or not bare.isalpha() or not w[0].isupper() or low.rstrip(".") in _NON_NAME_WORDS:
            return None
        core.append(low.rstrip("."))
    if not core:
        return None
    if core[0] in _FIRST_NAMES or (len(core) >= 2 and core[-1] in _LAST_NAMES):
        return "person_name"
    return "person_name_weak"


def _looks_like_address(s: str) -> bool:
    if not 6 <= len(s) <= 120:
        return False
    if _ADDRESS_NUMBER_RE.search(s) is None:
        return False
    for w in _ADDRESS_SPLIT_RE.split(s.lower()):
        if w in _STREET_WORDS or (len(w) > 6 and w.endswith(_STREET_SUFFIXES)):
            return True
    return False


def _embedded_iban(s: str) -> bool:
    for m in _IBAN_START_RE.finditer(s):
        length = _IBAN_LENGTHS.get(m.group(1))
        if not length:
            continue
        chars: list[str] = []
        for ch in s[m.start():]:
            if ch == " " and chars:
                continue
            if not (ch.isascii() and ch.isalnum()):
                break
            chars.append(ch)
            if len(chars) == length:
                break
        if len(chars) == length and iban_valid("".join(chars)):
            return True
    return False


def _phone_kinds(s: str, digits: str, separated: bool) -> set[str]:
    """'phone' for clear phone formats, plus 'phone_loose' for anything with a phone-like digit count."""
    nd = len(digits)
    kinds: set[str] = set()
    if 7 <= nd <= 15:
        kinds.add("phone_loose")
    if s[0] == "+":
        if 8 <= nd <= 15:
            kinds.add("phone")
    elif "(" in s and ")" in s:
        if 10 <= nd <= 15:
            kinds.add("phone")
    elif separated:
        if 10 <= nd <= 13 and ("." not in s or s.count(".") >= 2):
            kinds.add("phone")
    elif s[0] == "0" and s[1] != "0" and 9 <= nd <= 13:
        kinds.add("phone")  # national format without separators: 08123456789 (but not zero-padded ids)
    return kinds


def _classify_text(s: str) -> frozenset[str]:
    # short values repeat a lot (statuses, cities, codes); long free text is not worth caching
    return _classify_short(s) if len(s) <= 120 else _classify_value(s)


def _classify_value(s: str) -> frozenset[str]:
    """PII value kinds a (stripped) sample string matches; embedded matches in free text end with '~'."""
    n = len(s)
    if n < 3 or n > 2000:
        return frozenset()
    kinds: set[str] = set()
    if n <= 200:
        if "@" in s and " " not in s and _EMAIL_RE.fullmatch(s):
            return frozenset({"email"})
        if _DIGIT_RE.search(s) is None:
            name = _person_name_kind(s)
            if name == "person_name":
                kinds.update(("person_name", "person_name_weak"))
            elif name:
                kinds.add(name)
        else:
            compact = s.replace(" ", "").replace("-", "")
            if compact.isascii() and compact.isdigit():
                if _card_plausible(compact):
                    kinds.add("card_number")
                if len(s) == 16 and s.isdigit() and _nik_plausible(s):
                    kinds.add("nik")
                m = _SSN_RE.fullmatch(s)
                if m and _ssn_plausible(*m.groups()):
                    kinds.add("ssn")
                if not kinds:
                    kinds |= _phone_kinds(s, compact, compact != s)
            elif s.count(".") == 3 and _IPV4_RE.fullmatch(s):
                kinds.add("ip_address")
            elif ":" in s and s.count(":") >= 2 and all(c in "0123456789abcdefABCDEF:." for c in s):
                try:
                    ipaddress.IPv6Address(s)
                    kinds.add("ip_address")
                except ValueError:
                    pass
            elif s[:2].isalpha() and s[2:4].isdigit() and n >= 15 and iban_valid(s):
                kinds.add("iban")
            elif _PHONE_CHARS_RE.fullmatch(s):
                kinds |= _phone_kinds(s, _NON_DIGIT_RE.sub("", s), True)
            elif _looks_like_address(s):
                kinds.add("address")
    if not kinds and n >= 16 and " " in s:
        if "@" in s and _EMAIL_SEARCH_RE.search(s):
            kinds.add("email~")
        if _embedded_iban(s):
            kinds.add("iban~")
        for m in _CARD_SEARCH_RE.finditer(s):
            if _card_plausible(m.group().replace(" ", "").replace("-", "")):
                kinds.add("card_number~")
                break
        for m in _SSN_SEARCH_RE.finditer(s):
            if _ssn_plausible(*m.groups()):
                kinds.add("ssn~")
                break
    return frozenset(kinds)


_classify_short = lru_cache(maxsize=32768)(_classify_value)


# --------------------------------------------------------------------------------------------------
# Types and samples
# --------------------------------------------------------------------------------------------------

_INT_NAMES = frozenset({"int", "integer", "bigint", "smallint", "tinyint", "mediumint", "int1", "int2", "int4", "int8",
                        "int16", "int32", "int64", "int128", "uint8", "uint16", "uint32", "uint64", "serial",
                        "bigserial", "smallserial", "long", "short", "byte", "hugeint", "ubigint", "uinteger",
                        "usmallint", "utinyint", "counter"})
_FLOAT_NAMES = frozenset({"real", "float", "double", "float4", "float8", "float32", "float64", "money", "smallmoney",
                          "decfloat", "binary_float", "binary_double"})
_TEXT_NAMES = frozenset({"string", "text", "clob", "nclob", "citext", "name", "str", "utf8", "tinytext", "mediumtext",
                         "longtext", "ntext", "bpchar", "character", "set"})
_ENUM_VALUE_RE = re.compile(r"'((?:[^']|'')*)'")
_PRECISION_RE = re.compile(r"\(\s*\d+\s*(?:,\s*(-?\d+)\s*)?\)")


@lru_cache(maxsize=4096)
def _type_class(data_type: str) -> str:
    """int, decimal, bool, date, datetime, time, interval, text, enum, uuid, json, binary, inet or other."""
    t = data_type.strip().lower()
    while t.startswith(("nullable(", "lowcardinality(")) and t.endswith(")"):  # ClickHouse wrappers
        t = t[t.index("(") + 1:-1].strip()
    if t in ("tinyint(1)", "year"):
        return "bool" if t == "tinyint(1)" else "int"  # MySQL's BOOLEAN and YEAR
    base = t.split("(")[0].strip()
    first = base.split(" ")[0] if base else ""
    if "[]" in t or first in ("array", "struct", "map", "list", "json", "jsonb", "variant", "object", "hstore"):
        return "json"
    if first in ("bool", "boolean", "logical") or (first == "bit" and ("(" not in t or "(1)" in t)):
        return "bool"
    if "interval" in base:
        return "interval"
    if first.startswith("timestamp") or "datetime" in first or first in ("smalldatetime", "timestamptz"):
        return "datetime"
    if first == "date":
        return "date"
    if first.startswith("time"):
        return "time"
    if first == "enum":
        return "enum"
    if first in ("uuid", "uniqueidentifier", "guid"):
        return "uuid"
    if first in ("inet", "cidr"):
        return "inet"
    if first in ("number", "numeric", "decimal", "dec", "bignumeric", "bigdecimal"):
        m = _PRECISION_RE.search(t)
        if m and m.group(1) is not None and int(m.group(1)) == 0:
            return "int"
        if m and m.group(1) is None and first in ("number", "numeric", "decimal"):
            return "int"  # NUMBER(10): precision only, scale 0
        return "decimal"
    if any(part in _INT_NAMES for part in base.split()):
        return "int"
    if first in _FLOAT_NAMES or first.startswith(("float", "double")):
        return "decimal"
    if "char" in first or "text" in first or first in _TEXT_NAMES or first.startswith("varchar"):
        return "text"
    if first in ("bytea", "blob", "binary", "varbinary", "longblob", "mediumblob", "image", "raw", "bytes"):
        return "binary"
    return "other"


@dataclass
class _Samples:
    texts: list[str]  # strings and integers as text: what PII patterns are matched against
    numbers: list[float]
    decimals: int  # decimal places seen in numeric samples (for formatting ranges)
    total: int  # usable non-null samples
    temporal: int  # date/time objects or ISO date strings
    with_time: int  # ... of which carry a time of day
    numeric_text: int  # strings that parse as numbers
    distinct: list[str]  # sorted distinct display values when there are at most 13
    n_distinct: int
    counts: dict[str, int]


def _collect_samples(values: tuple[Any, ...]) -> _Samples:
    texts: list[str] = []
    numbers: list[float] = []
    decimals = 0
    total = temporal = with_time = numeric_text = 0
    seen: set[str] = set()
    for v in values[:MAX_SAMPLES]:
        if v is None:
            continue
        if type(v) is str:
            s = v.strip()
            if not s:
                continue
            display = s
            texts.append(s)
            if s[0].isdigit():
                if len(s) >= 8 and (m := _ISO_DATE_RE.fullmatch(s)):
                    temporal += 1
                    with_time += m.group(1) is not None
                elif len(s) <= 26 and (m := _NUMERIC_STR_RE.fullmatch(s)):
                    numeric_text += 1
                    numbers.append(float(s))
                    if m.group(1):
                        decimals = max(decimals, min(len(m.group(1)), 4))
            elif s[0] in "+-" and len(s) <= 26 and (m := _NUMERIC_STR_RE.fullmatch(s)):
                numeric_text += 1
                numbers.append(float(s))
        elif isinstance(v, bool):
            display = "true" if v else "false"
        elif isinstance(v, int):
            display = str(v)
            texts.append(display)
            numbers.append(float(v))
        elif isinstance(v, float | Decimal):
            if v != v:  # NaN
                continue
            numbers.append(float(v))
            if isinstance(v, Decimal):
                exponent = v.as_tuple().exponent
                places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
            else:
                r = repr(v)
                places = len(r.split(".")[1]) if "." in r and "e" not in r else 0
            decimals = max(decimals, min(places, 4))
            display = str(v)
        elif isinstance(v, datetime):
            temporal += 1
            with_time += 1
            display = v.isoformat()
        elif isinstance(v, date | time):
            temporal += 1
            with_time += isinstance(v, time)
            display = v.isoformat()
        elif isinstance(v, str):  # str subclasses
            s = v.strip()
            if not s:
                continue
            display = s
            texts.append(s)
        else:
            continue
        total += 1
        seen.add(display)
    counts: dict[str, int] = {}
    for s in texts:
        for kind in _classify_text(s):
            counts[kind] = counts.get(kind, 0) + 1
    distinct = sorted(seen, key=lambda x: (x.casefold(), x)) if len(seen) <= 13 else []
    return _Samples(texts, numbers, decimals, total, temporal, with_time, numeric_text, distinct, len(seen), counts)


# --------------------------------------------------------------------------------------------------
# Table context
# --------------------------------------------------------------------------------------------------

_PEOPLE_WORDS = frozenset("""
customer client user employee person contact member patient student staff subscriber applicant candidate guest
passenger driver agent author buyer teacher lead prospect donor volunteer worker beneficiary tenant resident citizen
player shopper visitor recipient sender owner manager salesperson rep profile individual doctor physician nurse
parent father mother spouse child holder cardholder consumer traveler traveller attendee participant learner
pelanggan karyawan pegawai mahasiswa siswa penduduk kunde kunden mitarbeiter cliente usuario empleado account_holder
""".split())
_BUSINESS_WORDS = frozenset("""
store shop warehouse branch supplier vendor company office merchant outlet plant facility site location depot
business organization organisation firm bank hotel restaurant school hospital venue partner server host device
""".split())


@dataclass(frozen=True)
class _TableCtx:
    name: str
    table_h: str  # "order items"
    entity: str | None  # "order item"
    entity_terms: frozenset[str]
    people_like: bool
    business_like: bool
    row_count: int | None = None
    n_pk: int = 0


@lru_cache(maxsize=8192)
def _table_ctx_base(table_name: str) -> _TableCtx:
    bare = table_name.rsplit(".", 1)[-1] if table_name else ""
    info = _analyze_name(bare) if bare else _NameInfo((), (), (), (), "", 0)
    words = [w for w in info.words if not w.isdigit()]
    entity = None
    if words:
        entity = _phrase(words[:-1] + [_singular(words[-1]) if not words[-1].isupper() else words[-1]])
    singular_terms = {_singular(t) for t in info.terms if not t.isdigit()}
    people = bool(singular_terms & _PEOPLE_WORDS)
    business = not people and bool(singular_terms & _BUSINESS_WORDS)
    return _TableCtx(bare, _phrase(info.words), entity, frozenset(singular_terms), people, business)


def _table_ctx(table_name: str, row_count: int | None = None, n_pk: int = 0) -> _TableCtx:
    base = _table_ctx_base(table_name)
    if row_count is None and n_pk == 0:
        return base
    return _TableCtx(base.name, base.table_h, base.entity, base.entity_terms, base.people_like, base.business_like,
                     row_count, n_pk)


# --------------------------------------------------------------------------------------------------
# PII
# --------------------------------------------------------------------------------------------------

_PII_PHRASES = {
    "email": "e-mail address", "phone": "phone number", "person_name": "person name", "address": "street address",
    "postal_code": "postal code", "birth_date": "date of birth", "national_id": "national identification number",
    "passport": "passport number", "driver_license": "driver's license number", "tax_id": "tax identification number",
    "iban": "bank account number (IBAN)", "bank_account": "bank account number", "card_number": "payment card number",
    "card_security_code": "card security code", "ip_address": "IP address", "username": "user name",
}
_PII_PLURALS = {
    "email": "e-mail addresses", "phone": "phone numbers", "person_name": "person names", "address": "street addresses",
    "national_id": "national identification numbers", "card_number": "payment card numbers", "iban": "IBANs",
    "ip_address": "IP addresses",
}
_VALUE_PHRASES = {
    "email": "e-mail addresses", "card_number": "card numbers passing the Luhn check", "iban": "IBANs passing the mod-97 check",
    "ssn": "US social security numbers (###-##-####)", "nik": "Indonesian NIK numbers", "ip_address": "IP addresses",
    "phone": "phone numbers", "phone_loose": "phone-like numbers", "address": "street addresses",
    "person_name": "person names", "person_name_weak": "capitalised name-like words",
}
# (kind, token sequence, confidence); matched against the raw and the expanded name tokens
_PII_NAME_RULES: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("email", ("email",), 0.85), ("email", ("emailaddress",), 0.85), ("email", ("mail",), 0.55),
    ("phone", ("phone",), 0.85), ("phone", ("telephone",), 0.85), ("phone", ("mobile",), 0.75),
    ("phone", ("phonenumber",), 0.85), ("phone", ("msisdn",), 0.85), ("phone", ("cell",), 0.6),
    ("phone", ("cellphone",), 0.85), ("phone", ("fax",), 0.7), ("phone", ("whatsapp",), 0.8), ("phone", ("telp",), 0.85),
    ("phone", ("no", "hp"), 0.85), ("phone", ("nomor", "hp"), 0.85), ("phone", ("handphone",), 0.85),
    ("phone", ("telefon",), 0.85), ("phone", ("telefono",), 0.85),
    ("person_name", ("first", "name"), 0.85), ("person_name", ("firstname",), 0.85), ("person_name", ("given", "name"), 0.85),
    ("person_name", ("givenname",), 0.85), ("person_name", ("last", "name"), 0.85), ("person_name", ("lastname",), 0.85),
    ("person_name", ("surname",), 0.85), ("person_name", ("family", "name"), 0.85), ("person_name", ("familyname",), 0.85),
    ("person_name", ("full", "name"), 0.85), ("person_name", ("fullname",), 0.85), ("person_name", ("middle", "name"), 0.8),
    ("person_name", ("maiden", "name"), 0.85), ("person_name", ("forename",), 0.85), ("person_name", ("contact", "person"), 0.75),
    ("address", ("address",), 0.75), ("address", ("street",), 0.75), ("address", ("streetaddress",), 0.8),
    ("address", ("alamat",), 0.75), ("address", ("strasse",), 0.75),
    ("postal_code", ("zip",), 0.6), ("postal_code", ("zipcode",), 0.6), ("postal_code", ("postal", "code"), 0.6),
    ("postal_code", ("postalcode",), 0.6), ("postal_code", ("postcode",), 0.6), ("postal_code", ("post", "code"), 0.6),
    ("postal_code", ("kode", "pos"), 0.6), ("postal_code", ("plz",), 0.6),
    ("birth_date", ("birth", "date"), 0.85), ("birth_date", ("birthdate",), 0.85), ("birth_date", ("date", "of", "birth"), 0.85),
    ("birth_date", ("dateofbirth",), 0.85), ("birth_date", ("birthday",), 0.85), ("birth_date", ("birth", "year"), 0.6),
    ("birth_date", ("tgl", "lahir"), 0.85), ("birth_date", ("tanggal", "lahir"), 0.85), ("birth_date", ("geburtsdatum",), 0.85),
    ("national_id", ("ssn",), 0.85), ("national_id", ("social", "security"), 0.85), ("national_id", ("national", "id"), 0.85),
    ("national_id", ("nationalid",), 0.85), ("national_id", ("nik",), 0.75), ("national_id", ("ktp",), 0.85),
    ("national_id", ("nin",), 0.7), ("national_id", ("nino",), 0.8), ("national_id", ("citizen", "id"), 0.8),
    ("national_id", ("identity", "number"), 0.8), ("national_id", ("id", "card"), 0.7), ("national_id", ("bsn",), 0.75),
    ("national_id", ("aadhaar",), 0.85), ("national_id", ("aadhar",), 0.85), ("national_id", ("cpf",), 0.8),
    ("national_id", ("dni",), 0.8), ("national_id", ("nric",), 0.85), ("national_id", ("curp",), 0.85),
    ("national_id", ("pesel",), 0.85), ("national_id", ("personnummer",), 0.85), ("national_id", ("personal", "id"), 0.55),
    ("passport", ("passport",), 0.85),
    ("driver_license", ("driver", "license"), 0.8), ("driver_license", ("drivers", "license"), 0.8),
    ("driver_license", ("driving", "licence"), 0.8), ("driver_license", ("driver", "licence"), 0.8),
    ("tax_id", ("tax", "id"), 0.75), ("tax_id", ("taxid",), 0.75), ("tax_id", ("tin",), 0.65), ("tax_id", ("npwp",), 0.75),
    ("tax_id", ("tax", "number"), 0.75), ("tax_id", ("steuer", "id"), 0.75),
    ("iban", ("iban",), 0.9), ("bank_account", ("bank", "account"), 0.75), ("bank_account", ("account", "number"), 0.45),
    ("card_number", ("card", "number"), 0.85), ("card_number", ("cardnumber",), 0.85), ("card_number", ("card", "no"), 0.85),
    ("card_number", ("credit", "card"), 0.85), ("card_number", ("creditcard",), 0.85), ("card_number", ("debit", "card"), 0.85),
    ("card_number", ("ccnum",), 0.85), ("card_number", ("pan",), 0.5),
    ("card_security_code", ("cvv",), 0.9), ("card_security_code", ("cvc",), 0.9), ("card_security_code", ("cvv2",), 0.9),
    ("ip_address", ("ip",), 0.8), ("ip_address", ("ipaddress",), 0.8), ("ip_address", ("ipv4",), 0.8),
    ("ip_address", ("ipv6",), 0.8), ("ip_address", ("remote", "addr"), 0.75),
    ("username", ("username",), 0.6), ("username", ("user", "name"), 0.6), ("username", ("login", "name"), 0.6),
)
_RULES_BY_FIRST_TOKEN: dict[str, list[tuple[str, tuple[str, ...], float]]] = {}
for _rule in _PII_NAME_RULES:
    _RULES_BY_FIRST_TOKEN.setdefault(_rule[1][0], []).append(_rule)
_PERSON_NAME_TOKENS = frozenset({"name", "nm", "nama"})
# tokens allowed after the matched keyword ("phone_number_2", "email_address_primary"); anything else
# ("email_domain", "phone_type", "address_updated_at") means the column is about the thing, not the thing itself
_ALLOWED_TAIL = frozenset({"number", "no", "num", "nr", "nbr", "address", "addr", "line", "home", "work", "mobile",
                           "primary", "secondary", "main", "alt", "alternate", "personal", "private", "business",
                           "e164", "full", "raw", "value", "text", "str", "plain", "code", "name", "nm", "1st",
                           "2nd", "of", "birth", "date", "dt", "verbatim", "original", "encrypted", "enc", "cleartext"})
_NEGATING_PREFIX = frozenset({"is", "has", "can", "was", "should", "num", "n", "nbr", "count", "cnt", "total", "max",
                              "min", "avg", "sum", "pct"})
_ADDRESS_NOT_PERSONAL = frozenset({"ip", "email", "mac", "web", "url", "server", "host", "wallet", "memory", "internet",
                                   "remote", "network", "contract", "smart", "bitcoin", "eth", "crypto", "mail"})
_TYPE_VETO = {
    "email": {"bool", "int", "decimal", "date", "datetime", "time", "interval", "uuid", "binary"},
    "person_name": {"bool", "int", "decimal", "date", "datetime", "time", "interval", "uuid", "binary"},
    "address": {"bool", "int", "decimal", "date", "datetime", "time", "interval", "uuid", "binary"},
    "username": {"bool", "int", "decimal", "date", "datetime", "time", "interval", "uuid", "binary"},
    "birth_date": {"bool", "decimal", "time", "interval", "uuid", "binary"},
    "ip_address": {"bool", "decimal", "date", "datetime", "time", "interval", "uuid"},
}
_DEFAULT_VETO = {"bool", "decimal", "date", "datetime", "time", "interval", "uuid"}
# how much a name signal is kept when >= 5 samples exist and none of them has the expected shape
_CONTRADICTION = {"email": 0.5, "ip_address": 0.5, "iban": 0.6, "card_number": 0.6, "phone": 0.7, "person_name": 0.8}
_KIND_ORDER = ("email", "phone", "card_number", "iban", "national_id", "person_name", "address", "birth_date",
               "ip_address", "passport", "driver_license", "tax_id", "bank_account", "card_security_code",
               "postal_code", "username")


@dataclass(frozen=True)
class _PiiResult:
    kind: str | None
    confidence: float
    reason: str
    by_name: bool = False
    keyword_start: int = -1  # index in name terms where the PII keyword starts (for "Billing street address")


def _a(phrase: str) -> str:
    return f"{'an' if phrase[:1] in 'aeioAEIO' else 'a'} {phrase}"


def _find_seq(tokens: tuple[str, ...], seq: tuple[str, ...]) -> int:
    n = len(seq)
    for i in range(len(tokens) - n + 1):
        if tokens[i:i + n] == seq:
            return i
    return -1


def _name_rule(kind: str, seq: tuple[str, ...], conf: float, tokens: tuple[str, ...], start: int, info: _NameInfo,
               col: ColumnProfile, ctx: _TableCtx, add: Callable[[str, float, str, int, float], None]) -> None:
    tail = tokens[start + len(seq):]
    id_ok = kind in ("national_id", "passport", "tax_id", "driver_license")  # "passport_id" yes, "ip_address_id" no
    if not all(t in _ALLOWED_TAIL or t.isdigit() or (id_ok and t == "id") for t in tail):
        return
    if kind == "birth_date" and tail and not set(tail) <= {"date", "dt", "of", "birth"}:
        return
    before = set(tokens[:start])
    if kind == "address" and before & _ADDRESS_NOT_PERSONAL:
        return
    why = f"column name '{col.name}' indicates {_a(_PII_PHRASES[kind])}"
    cap = 1.0
    if kind in ("address", "postal_code", "tax_id", "phone", "email", "bank_account"):
        if {_singular(t) for t in before} & _BUSINESS_WORDS or (ctx.business_like and not before & _PEOPLE_WORDS):
            # a store's phone or a supplier's address is contact data of a business, not of a person
            conf = min(conf, 0.45 if kind in ("phone", "email") else 0.4)
            cap = 0.5
            why += " of a business rather than a person"
    index = _find_seq(info.terms, seq)
    add(kind, conf, why, max(index, 0), cap)


def _name_evidence(info: _NameInfo, tclass: str, col: ColumnProfile,
                   ctx: _TableCtx) -> dict[str, tuple[float, str, int, float]]:
    """PII kind -> (confidence, reason, keyword index in info.terms, cap on the combined confidence) from the name."""
    found: dict[str, tuple[float, str, int, float]] = {}
    if col.is_foreign_key or not info.terms:
        return found

    def add(kind: str, conf: float, why: str, index: int, cap: float = 1.0) -> None:
        if tclass in _TYPE_VETO.get(kind, _DEFAULT_VETO):
            return
        if conf > found.get(kind, (0.0, "", -1))[0]:
            found[kind] = (conf, why, index, cap)

    for tokens in ((info.terms, info.raw) if info.raw != info.terms else (info.terms,)):
        if len(tokens) > 1 and tokens[0] in _NEGATING_PREFIX:
            continue  # "is_email_verified", "num_phones", "count_address"
        for start, token in enumerate(tokens):
            for kind, seq, conf in _RULES_BY_FIRST_TOKEN.get(token, ()):
                if tokens[start:start + len(seq)] == seq:
                    _name_rule(kind, seq, conf, tokens, start, info, col, ctx, add)
        # "<person>_name" / bare "name" in a people table
        for i, t in enumerate(tokens):
            if t not in _PERSON_NAME_TOKENS or not all(x in _ALLOWED_TAIL or x.isdigit() for x in tokens[i + 1:]):
                continue
            index = next((j for j, x in enumerate(info.terms) if x in _PERSON_NAME_TOKENS), 0)
            before_singular = {_singular(x) for x in tokens[:i]}
            if before_singular & _PEOPLE_WORDS and tokens[:i] != ("user",):
                add("person_name", 0.75, f"column name '{col.name}' is the name of a person-like entity", index)
            elif i == 0 and len(tokens) == 1 and ctx.people_like:
                add("person_name", 0.7, f"column '{col.name}' in the people-like table '{ctx.name}'", index)
    if tclass == "inet":
        add("ip_address", 0.7, f"column type {col.data_type} holds IP addresses", 0)
    return found


def _value_evidence(kind: str, s: _Samples, with_name: bool) -> tuple[float, str]:
    n = len(s.texts)
    if n == 0:
        return 0.0, ""
    c = s.counts

    def precise(key: str, weight: float) -> tuple[float, int, str]:
        full, embedded = c.get(key, 0), c.get(key + "~", 0)
        hits = full + embedded
        verb = "contain" if embedded else "are"
        return weight * min(1.0, hits / n / 0.8), hits, f"{hits} of {n} sampled values {verb} {_VALUE_PHRASES[key]}"

    def fuzzy(key: str, weight: float) -> tuple[float, int, str]:
        hits = c.get(key, 0)
        return weight * hits / n, hits, f"{hits} of {n} sampled values look like {_VALUE_PHRASES[key]}"

    options: list[tuple[float, int, str]] = []
    if kind == "email":
        options.append(precise("email", 0.95))
    elif kind == "card_number":
        options.append(precise("card_number", 0.9))
    elif kind == "iban":
        options.append(precise("iban", 0.95))
    elif kind == "ip_address":
        options.append(precise("ip_address", 0.85))
    elif kind == "national_id":
        options += [precise("ssn", 0.85), fuzzy("nik", 0.75)]
    elif kind == "phone":
        options.append(fuzzy("phone", 0.8))
        if with_name:
            options.append(fuzzy("phone_loose", 0.7))
    elif kind == "address":
        options.append(fuzzy("address", 0.8))
    elif kind == "person_name":
        options.append(fuzzy("person_name", 0.85))
        if with_name:
            options.append(fuzzy("person_name_weak", 0.65))
    else:
        return 0.0, ""
    conf, hits, why = max(options, key=lambda o: (o[0], o[1]))
    if hits == 0:
        return 0.0, ""
    damp = min(1.0, 0.5 + 0.1 * n)  # one matching sample is weaker evidence than nine of ten
    if kind in ("email", "iban") and c.get(kind + "~"):
        # a checksum-valid IBAN or an e-mail address inside free text is worth reporting even when rare
        return max(conf * damp, 0.4), why
    return conf * damp, why


def _no_match_phrase(kind: str, n: int) -> str:
    shape = {"email": "e-mail address", "ip_address": "IP address", "iban": "valid IBAN",
             "card_number": "Luhn-valid card number", "phone": "phone number", "person_name": "person name"}[kind]
    return f"but none of {n} sampled values looks like {_a(shape)}"


def _pii(col: ColumnProfile, info: _NameInfo, tclass: str, samples: _Samples, ctx: _TableCtx) -> _PiiResult:
    names = _name_evidence(info, tclass, col, ctx)
    kinds = set(names)
    for key in samples.counts:
        base = key.rstrip("~")
        kinds.add({"ssn": "national_id", "nik": "national_id", "phone_loose": "phone",
                   "person_name_weak": "person_name"}.get(base, base))
    best: _PiiResult | None = None
    best_rank: tuple[float, int] = (0.0, 0)
    n_texts = len(samples.texts)
    for kind in kinds:
        name_conf, name_why, index, cap = names.get(kind, (0.0, "", -1, 1.0))
        value_conf, value_why = _value_evidence(kind, samples, with_name=name_conf > 0)
        if kind == "person_name" and name_conf == 0 and samples.counts.get("person_name", 0) < 0.3 * max(n_texts, 1):
            value_conf = 0.0  # capitalised words alone ("Steel Water Bottle") are not evidence of a person
        if name_conf and value_conf:
            conf = 1 - (1 - name_conf) * (1 - value_conf)
            why = f"{name_why}; {value_why}"
        elif name_conf:
            conf, why = name_conf, name_why
            if kind in _CONTRADICTION and n_texts >= 5:
                conf *= _CONTRADICTION[kind]
                why = f"{name_why}, {_no_match_phrase(kind, n_texts)}"
        else:
            conf, why = value_conf, value_why
        conf = min(conf, cap)
        rank = (round(conf, 6), -_KIND_ORDER.index(kind))
        if conf > 0 and rank > best_rank:
            best_rank = rank
            best = _PiiResult(kind, round(min(conf, 0.99), 2), why, name_conf > 0, index)
    if best is None:
        return _PiiResult(None, 0.0, "no personal-data pattern in the column name or sampled values")
    if best.confidence < _REPORT_THRESHOLD:
        return _PiiResult(None, best.confidence, f"weak evidence only: {best.reason}")
    return best


# --------------------------------------------------------------------------------------------------
# Semantic roles
# --------------------------------------------------------------------------------------------------

_ID_LAST = frozenset({"id", "ids", "uuid", "guid", "key", "pk", "fk", "sk"})
_ID_NUMBER_LAST = frozenset({"number", "no", "num", "nbr", "nr"})
_ID_NUMBER_SUBJECTS = frozenset({"order", "invoice", "account", "ticket", "reference", "transaction", "document",
                                 "serial", "po", "tracking", "booking", "reservation", "confirmation", "receipt",
                                 "case", "claim", "policy", "contract", "shipment", "batch", "lot", "registration",
                                 "membership", "employee", "customer", "member", "badge", "item", "part", "check"})
_TIME_LAST = frozenset({"date", "time", "timestamp", "datetime", "dttm", "tstamp"})
_PERIOD_WORDS = frozenset({"year", "month", "week", "quarter", "day", "period", "hour", "weekday"})
_AT_ON_SUBJECTS = frozenset({"start", "end", "due", "expiry", "expire", "expires", "login", "logout", "sent", "seen",
                             "paid", "run", "valid", "effective"})
_METRIC_WORDS = frozenset("""
amount price total subtotal quantity cost revenue salary wage score sales profit margin discount tax fee balance count
sum average mean rate ratio percent percentage weight height length width depth volume duration age units value budget
spend spending income expense points rating distance size stock inventory views clicks impressions visits freight
commission bonus premium payment paid refund charge fare rent capacity speed temperature minutes seconds km miles kg
lbs gross net gmv mrr arr arpu ltv nps ctr cpc cpm roi cogs earnings turnover probability latency
""".split())
_MONEY_WORDS = frozenset("""
amount price cost revenue salary wage sales profit discount tax fee balance budget spend spending income expense freight
commission bonus premium payment paid refund charge fare rent gmv mrr arr arpu ltv cogs earnings turnover usd eur gbp
idr jpy subtotal
""".split())
_COUNT_WORDS = frozenset({"quantity", "count", "units", "number"})
_PCT_WORDS = frozenset({"percent", "percentage", "rate", "ratio", "share", "probability"})
_SCORE_WORDS = frozenset({"score", "rating", "rank", "points", "nps"})
_CATEGORY_WORDS = frozenset("""
status state type kind category segment tier class classification group level priority stage phase mode method source
medium flag gender sex currency language locale plan grade band bucket severity outcome result reason platform device
browser channel role gender channel condition size color colour
""".split())
_DIMENSION_WORDS = frozenset("""
country city region province state territory district area zone brand name title label code sku department team store
location address email phone description notes note comment comments remarks url website postal zip latitude longitude
street neighborhood county nationality occupation company manufacturer supplier vendor model
""".split())
_NUMERIC_DIMENSION = frozenset({"zip", "postal", "code", "phone", "latitude", "longitude", "lat", "lng", "lon", "year",
                                "fax", "sort"})
_FREE_TEXT_WORDS = frozenset({"description", "notes", "note", "comment", "comments", "remarks", "remark", "memo", "body",
                              "text", "message", "summary", "details", "bio", "feedback", "review"})
_EPOCH_RANGES = ((9.46e8, 2.6e9, "Unix epoch seconds"), (9.46e11, 2.6e12, "Unix epoch milliseconds"))


@dataclass(frozen=True)
class _Role:
    role: str | None
    confidence: float
    reason: str
    detail: str = ""  # money | count | pct | score | epoch unit | enum


def _low_cardinality(col: ColumnProfile, s: _Samples, row_count: int | None) -> bool:
    dc = col.distinct_count
    if dc is not None:
        return 0 < dc <= 20 and (row_count is None or dc <= max(2, row_count // 2))
    n = s.total
    return n >= 8 and s.n_distinct <= min(12, max(3, n // 4))


def _time_name(terms: tuple[str, ...]) -> bool:
    if not terms:
        return False
    last = terms[-1]
    if last in _TIME_LAST or terms[0] in ("date", "timestamp", "datetime"):
        return True
    if last in ("at", "on") and len(terms) > 1:
        prev = terms[-2]
        return prev.endswith("ed") or prev in _AT_ON_SUBJECTS
    return False


def _epoch_unit(numbers: list[float]) -> str:
    if not numbers:
        return ""
    for low, high, unit in _EPOCH_RANGES:
        if all(low <= x <= high for x in numbers):
            return unit
    return ""


def _role(col: ColumnProfile, info: _NameInfo, tclass: str, s: _Samples, pii: _PiiResult, ctx: _TableCtx) -> _Role:
    terms = info.terms
    term_set = set(terms)
    last = terms[-1] if terms else ""
    if col.is_primary_key:
        return _Role("id", 0.95, "declared primary key")
    if col.is_foreign_key:
        target = f" to {col.references}" if col.references else ""
        return _Role("id", 0.95, f"declared foreign key{target}")
    if tclass in ("json", "binary"):
        return _Role(None, 0.0, f"{col.data_type} values have no analytic role")
    if tclass == "uuid":
        return _Role("id", 0.85, "UUID type")
    if last in _ID_LAST and tclass in ("int", "text", "other", "enum"):
        return _Role("id", 0.85, f"name ends with '{info.raw[-1] if info.raw else last}'")
    if (last in _ID_NUMBER_LAST and len(terms) > 1 and terms[-2] in _ID_NUMBER_SUBJECTS and pii.kind is None
            and tclass in ("int", "text", "other")):
        return _Role("id", 0.75, f"name '{col.name}' is a business number")
    if tclass in ("date", "datetime", "time"):
        return _Role("time", 0.95, f"{col.data_type} type")
    if tclass == "interval":
        return _Role("metric", 0.8, "interval (duration) type")
    if pii.kind and pii.kind != "birth_date":
        return _Role("dimension", 0.7, f"personal-data attribute ({_PII_PHRASES[pii.kind]}), not a measure")
    temporal_share = s.temporal / s.total if s.total else 0.0
    if _time_name(terms) or (last in _PERIOD_WORDS and tclass in ("int", "text")) or pii.kind == "birth_date":
        if tclass == "bool":
            return _Role("category", 0.8, "boolean type")
        if temporal_share >= 0.6:
            return _Role("time", 0.9, f"name '{col.name}' and {s.temporal} of {s.total} sampled values are dates")
        if tclass in ("int", "decimal"):
            unit = _epoch_unit(s.numbers)
            if unit:
                return _Role("time", 0.85, f"name '{col.name}' and sampled values are {unit}", unit)
            if last in _PERIOD_WORDS:
                return _Role("time", 0.8, f"name '{col.name}' is a calendar {last}", "period")
        elif s.total and temporal_share < 0.3 and tclass == "text":
            return _Role("time", 0.45, f"name '{col.name}' suggests a date, but sampled values are not ISO dates")
        else:
            return _Role("time", 0.7, f"name '{col.name}' suggests a date or time")
    if temporal_share >= 0.8 and tclass in ("text", "other"):
        return _Role("time", 0.8, f"{s.temporal} of {s.total} sampled values are ISO dates")
    if tclass == "bool":
        return _Role("category", 0.8, "boolean type")
    if tclass == "enum":
        return _Role("category", 0.9, "enumerated type", "enum")
    low = _low_cardinality(col, s, ctx.row_count)
    money = bool(term_set & _MONEY_WORDS) or "money" in col.data_type.lower()
    detail = ("pct" if term_set & _PCT_WORDS else "count" if term_set & _COUNT_WORDS and not money else "money" if money
              else "score" if term_set & _SCORE_WORDS else "")
    if tclass in ("int", "decimal"):
        if term_set & _CATEGORY_WORDS and not term_set & _METRIC_WORDS:
            return _Role("category", 0.75, f"numeric code with a category-like name '{col.name}'")
        if term_set & _METRIC_WORDS:
            if "total" in term_set and tclass == "decimal" and not detail:
                detail = "money"
            return _Role("metric", 0.9, f"numeric column with a measure-like name '{col.name}'", detail)
        if term_set & _NUMERIC_DIMENSION:
            return _Role("dimension", 0.6, f"numeric code or coordinate '{col.name}', not a measure")
        if tclass == "decimal":
            if "total" in term_set:
                detail = "money"
            return _Role("metric", 0.75, f"decimal type {col.data_type}", detail)
        if low and col.distinct_count is not None:
            return _Role("category", 0.55, f"integer with only {col.distinct_count} distinct values")
        return _Role("metric", 0.55, "integer column that is not a key", detail)
    # text and unknown types
    if s.total and s.numeric_text / s.total >= 0.9 and term_set & _METRIC_WORDS:
        return _Role("metric", 0.6, f"numbers stored as text under a measure-like name '{col.name}'", detail)
    cardinality = (f"{col.distinct_count} distinct values" if col.distinct_count is not None
                   else f"{s.n_distinct} distinct values among {s.total} samples")
    if term_set & _CATEGORY_WORDS:
        if low:
            return _Role("category", 0.9, f"category-like name '{col.name}' and {cardinality}")
        if col.distinct_count is None and s.total < 8:
            return _Role("category", 0.75, f"category-like name '{col.name}'")
        return _Role("dimension", 0.6, f"category-like name '{col.name}' but {cardinality}")
    if low:
        return _Role("category", 0.7, f"low cardinality ({cardinality})")
    if term_set & _DIMENSION_WORDS:
        return _Role("dimension", 0.75, f"descriptive attribute name '{col.name}'")
    return _Role("dimension", 0.5, "text attribute")


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


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------

def _clamp(x: float) -> float:
    return round(min(1.0, max(0.0, x)), 2)


@dataclass(frozen=True)
class _ColumnFacts:
    info: _NameInfo
    tclass: str
    samples: _Samples
    pii: _PiiResult
    role: _Role


def _facts(col: ColumnProfile, ctx: _TableCtx) -> _ColumnFacts:
    info = _analyze_name(col.name)
    tclass = _type_class(col.data_type)
    samples = _collect_samples(col.sample_values)
    pii = _pii(col, info, tclass, samples, ctx)
    role = _role(col, info, tclass, samples, pii, ctx)
    return _ColumnFacts(info, tclass, samples, pii, role)


def detect_pii(column: ColumnProfile, *, table_name: str = "") -> tuple[str | None, float, str]:
    """(PII kind or None, confidence, reason) from the column name and its sampled values.

    `table_name` adds context: a bare ``name`` column is a person's name only in a people-like table
    (customers, employees, ...), and addresses/phones of stores or suppliers are not personal data.
    """
    info = _analyze_name(column.name)
    tclass = _type_class(column.data_type)
    result = _pii(column, info, tclass, _collect_samples(column.sample_values), _table_ctx(table_name))
    return result.kind, _clamp(result.confidence), result.reason


def guess_semantic_role(column: ColumnProfile, *, table_name: str = "") -> tuple[str | None, float, str]:
    """(role, confidence, reason); role is one of id, time, metric, dimension, category, or None (JSON/binary)."""
    facts = _facts(column, _table_ctx(table_name))
    return facts.role.role, _clamp(facts.role.confidence), facts.role.reason


def _alias(name: str, info: _NameInfo, what: str) -> tuple[str, float, str]:
    alias = " ".join(info.words) or name
    notes: list[str] = []
    conf = 0.9
    if info.dropped_prefix:
        notes.append(f"prefix '{info.dropped_prefix}' dropped")
    if info.expansions:
        notes.append("expanded " + ", ".join(f"{a} → {b}" for a, b in info.expansions))
        conf -= min(0.15, 0.05 * len(info.expansions))
    if info.cryptic:
        notes.append("contains unexplained abbreviations")
        conf = 0.4
    reason = f"from the {what} name '{name}'" + (f" ({'; '.join(notes)})" if notes else "")
    return alias, conf, reason


def guess_table(profile: TableProfile) -> list[Suggestion]:
    """Dictionary suggestions for the table and every column, in a stable order."""
    n_pk = sum(1 for c in profile.columns if c.is_primary_key)
    ctx = _table_ctx(profile.name, profile.row_count, n_pk)
    table = profile.name
    out: list[Suggestion] = []

    def add(column: str | None, field_name: str, value: Any, conf: float, reason: str) -> None:
        out.append(Suggestion("column" if column is not None else "table", table, column, field_name, value,
                              _clamp(conf), reason or "heuristic"))

    facts = [(col, _facts(col, ctx)) for col in profile.columns]

    # table level
    table_info = _analyze_name(ctx.name or table)
    table_alias, alias_conf, alias_reason = _alias(ctx.name or table, table_info, "table")
    add(None, "alias", table_alias, alias_conf, alias_reason)
    pii_cols = [(col, f) for col, f in facts if f.pii.kind and f.pii.confidence >= PII_TAG_THRESHOLD]
    if profile.comment.strip():
        add(None, "description", profile.comment.strip(), 0.95, "taken from the database comment")
    else:
        n = len(profile.columns)
        text = f"{table_alias}{' (view)' if profile.kind.lower() == 'view' else ''}: {n} column{'s' if n != 1 else ''}"
        if profile.row_count is not None:
            text += f", {profile.row_count:,} row{'s' if profile.row_count != 1 else ''}"
        refs: list[str] = []
        for col, _ in facts:
            if col.is_foreign_key and col.references:
                parts = col.references.split(".")
                target = parts[-2] if len(parts) >= 2 else parts[0]
                if target not in refs:
                    refs.append(target)
        if refs:
            text += f"; references {', '.join(refs)}"
        text += "."
        kinds = list(dict.fromkeys(_PII_PHRASES[f.pii.kind] for _, f in pii_cols if f.pii.kind))
        if kinds:
            text += f" Contains personal data ({', '.join(kinds)})."
        add(None, "description", text, 0.7, "from the table name, column count, row count and declared foreign keys")
    if pii_cols:
        add(None, "tags", ["PII"], max(f.pii.confidence for _, f in pii_cols),
            "personal data in " + ", ".join(col.name for col, _ in pii_cols))
    entity_key = " ".join([*table_info.terms[:-1], _singular(table_info.terms[-1])]) if table_info.terms else ""
    plural = bool(table_info.terms) and _singular(table_info.terms[-1]) != table_info.terms[-1]
    exclude = {table.casefold(), table_alias.casefold(), entity_key}
    syns = _synonyms_for(entity_key, _TABLE_SYNONYMS, exclude)
    if syns:
        add(None, "synonyms", [_plural(s) if plural else s for s in syns], 0.6, f"common business synonyms for '{entity_key}'")

    # columns
    for col, f in facts:
        info = f.info
        alias, conf, reason = _alias(col.name, info, "column")
        if info.terms == ("id",) and ctx.entity:
            alias, conf, reason = f"{_sentence(ctx.entity).title()} ID", 0.75, f"bare 'id' column of {table}"
        add(col.name, "alias", alias, conf, reason)
        text, conf, reason = _describe(col, info, f.tclass, f.samples, f.pii, f.role, ctx)
        add(col.name, "description", text, conf, reason)
        if f.role.role:
            add(col.name, "semantic_role", f.role.role, f.role.confidence, f.role.reason)
        tags: list[str] = []
        confs: list[float] = []
        reasons: list[str] = []
        if col.is_primary_key:
            tags.append("PK")
            confs.append(0.99)
            reasons.append("declared primary key")
        if col.is_foreign_key:
            tags.append("FK")
            confs.append(0.99)
            reasons.append("declared foreign key")
        if f.pii.kind and f.pii.confidence >= PII_TAG_THRESHOLD:
            tags.append("PII")
            confs.append(f.pii.confidence)
            reasons.append(f"{_PII_PHRASES[f.pii.kind]}: {f.pii.reason}")
        if f.role.role and f.role.confidence >= 0.5 and f.role.role in TAG_VOCABULARY:
            tags.append(f.role.role)
            confs.append(f.role.confidence)
            reasons.append(f"{f.role.role}: {f.role.reason}")
        if tags:
            add(col.name, "tags", tags, min(confs), "; ".join(reasons))
        key = " ".join(info.terms)
        syns = _synonyms_for(key, _COLUMN_SYNONYMS, {col.name.casefold(), alias.casefold(), key})
        if syns:
            add(col.name, "synonyms", syns, 0.6, f"common business synonyms for '{key}'")
    return out
