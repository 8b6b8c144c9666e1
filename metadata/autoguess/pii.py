"""Personal data (PII) in a column, from its name and its sampled values."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .context import _BUSINESS_WORDS, _PEOPLE_WORDS, _table_ctx, _TableCtx
from .names import _analyze_name, _NameInfo, _singular
from .profiles import _REPORT_THRESHOLD, ColumnProfile, _clamp
from .samples import _collect_samples, _Samples, _type_class

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


def detect_pii(column: ColumnProfile, *, table_name: str = "") -> tuple[str | None, float, str]:
    """(PII kind or None, confidence, reason) from the column name and its sampled values.

    `table_name` adds context: a bare ``name`` column is a person's name only in a people-like table
    (customers, employees, ...), and addresses/phones of stores or suppliers are not personal data.
    """
    info = _analyze_name(column.name)
    tclass = _type_class(column.data_type)
    result = _pii(column, info, tclass, _collect_samples(column.sample_values), _table_ctx(table_name))
    return result.kind, _clamp(result.confidence), result.reason
