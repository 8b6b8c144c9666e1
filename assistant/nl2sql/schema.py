"""The engine's view of a database: tables, columns, keys, known values and the words people use.

Pure data, no Django: the platform builds a `SchemaInfo` from its synced data dictionary, the
command line builds one by introspecting a SQLite file (`introspect_sqlite.py`), and tests build
them by hand. Everything the engine knows about a database comes through here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NUMERIC_TYPE_WORDS = ("int", "real", "num", "dec", "float", "double", "money", "bit")
DATE_TYPE_WORDS = ("date", "time", "year")


YES_WORDS = frozenset({"1", "y", "yes", "t", "true"})
NO_WORDS = frozenset({"0", "n", "no", "f", "false"})


@dataclass(eq=False)
class Column:
    """A column. `values` holds distinct values known from samples or a value index.

    `pii` columns may still be matched against the question (the user typed the value), but their
    values never appear in reasoning, mappings or suggestions.
    """

    name: str
    type: str = ""
    primary_key: bool = False
    values: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    description: str = ""
    pii: bool = False
    table: str = ""

    @property
    def is_flag(self) -> bool:
        """A yes/no column: declared boolean, or an is_/has_ column holding only 0 and 1."""
        if "bool" in self.type.lower():
            return True
        words = self.name.lower().split("_")
        return words[0] in ("is", "has") and bool(self.values) and set(self.values) <= {"0", "1"}

    @property
    def yes_no(self) -> tuple[str | bool | None, str | bool | None] | None:
        """The stored forms of yes and of no when the column only holds such answers (a declared boolean,
        1/0, Y/N, Yes/No, T/F, true/false), else None. A column holding one answer must say it is a flag by
        its name."""
        if "bool" in self.type.lower():
            return True, False
        if not self.values or self.primary_key:
            return None
        folded = {value.strip().lower(): value for value in self.values}
        if not set(folded) <= YES_WORDS | NO_WORDS:
            return None
        yes = next((folded[v] for v in folded if v in YES_WORDS), None)
        no = next((folded[v] for v in folded if v in NO_WORDS), None)
        named = bool({"is", "has", "if", "yn"} & set(self.name.lower().split("_")))
        if yes is None or (no is None and not named):
            return None
        return yes, no

    @property
    def is_numeric(self) -> bool:
        lowered = self.type.lower()
        if any(word in lowered for word in ("char", "text", "clob")):
            return False
        return any(word in lowered for word in NUMERIC_TYPE_WORDS)

    @property
    def is_date(self) -> bool:
        lowered = self.type.lower()
        return any(word in lowered for word in DATE_TYPE_WORDS) or "date" in self.name.lower()

    @property
    def numbers_as_text(self) -> bool:
        """A text column whose every known value is a number ("room_count" stored as text): it can be
        averaged, totalled and ranked once cast to a number; compared as text it would sort '9' after '10'."""
        if self.is_numeric or not self.values:
            return False
        for value in self.values:
            try:
                float(str(value).strip())
            except ValueError:
                return False
        return True

    @property
    def is_text(self) -> bool:
        return not self.is_numeric


@dataclass(eq=False)
class Table:
    """A table with its columns. Aliases/description come from the data dictionary when there is one."""

    name: str
    columns: list[Column] = field(default_factory=list)
    aliases: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        for column in self.columns:
            column.table = self.name

    def column(self, name: str) -> Column | None:
        lowered = name.lower()
        for column in self.columns:
            if column.name.lower() == lowered:
                return column
        return None

    @property
    def primary_keys(self) -> list[Column]:
        return [column for column in self.columns if column.primary_key]


@dataclass(frozen=True)
class ForeignKey:
    """`table.column` references `ref_table.ref_column`; joins follow these and nothing else."""

    table: str
    column: str
    ref_table: str
    ref_column: str


@dataclass(eq=False)
class SchemaInfo:
    """A whole database as the engine sees it. Identity-hashed so derived indexes can be cached on it."""

    tables: list[Table] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)

    def table(self, name: str) -> Table | None:
        lowered = name.lower()
        for table in self.tables:
            if table.name.lower() == lowered:
                return table
        return None

    def column(self, table: str, column: str) -> Column | None:
        found = self.table(table)
        return found.column(column) if found else None


# Column names too common to say which table they point at.
_GENERIC_KEY_NAMES = frozenset({"id", "code", "name", "key", "no", "num", "number", "type"})


def inferred_foreign_keys(tables: list[Table], declared: list[ForeignKey]) -> list[ForeignKey]:
    """Joins the database never declared: a column named exactly like another table's single-column
    primary key ("customer_id" in accounts, customers.customer_id) refers to that table. Many databases
    declare no foreign keys at all; without these the engine could not join their tables.

    Not from a relation without a primary key (a view), not for generic names ("id", "code"), not when
    the column is its own table's primary key (which side would refer to which is a guess), not when
    the types disagree, and not when the column already has a declared key — unless that key points
    back into its own table under another name (a declaration mistake: actor.musical_id "referring" to
    actor.actor_id)."""
    primary: dict[str, list[tuple[Table, Column]]] = {}
    for table in tables:
        keys = table.primary_keys
        if len(keys) == 1:
            primary.setdefault(keys[0].name.lower(), []).append((table, keys[0]))
    inferred: list[ForeignKey] = []
    for table in tables:
        own_keys = {c.name.lower() for c in table.primary_keys}
        if not own_keys:
            continue  # a relation without a key is usually a view or an extract that carries its own columns
        for column in table.columns:
            name = column.name.lower()
            if name in _GENERIC_KEY_NAMES or name in own_keys or len(primary.get(name, [])) != 1:
                continue
            target_table, target = primary[name][0]
            if target_table is table or (column.type and target.type and column.is_numeric != target.is_numeric):
                continue
            existing = [k for k in declared if (k.table, k.column) == (table.name, column.name)]
            if any(k.ref_table != table.name or k.ref_column.lower() == name for k in existing):
                continue
            inferred.append(ForeignKey(table.name, column.name, target_table.name, target.name))
    return inferred
