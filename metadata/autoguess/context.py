"""What a table name says about its rows: the entity, and whether it holds people or businesses."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .names import _analyze_name, _NameInfo, _phrase, _singular

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
