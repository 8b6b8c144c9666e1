"""Personal data in single values: check digits (Luhn, IBAN mod-97), value patterns and person-name lists."""
from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

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
