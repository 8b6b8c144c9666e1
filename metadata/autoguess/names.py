"""Identifier names: tokenising, abbreviation and acronym expansion, humanising, singular/plural."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

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
