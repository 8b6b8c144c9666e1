"""Rendering fixes for what sqlglot writes differently from what the database accepts.

The gate executes the re-rendered AST, so a statement the user wrote correctly must come back in a
form the server still runs. sqlglot's MySQL output targets MySQL 8; the `mysql` engine also serves
MariaDB, and two renderings break there (found by running the legitimate corpus live):

* `a REGEXP b` is written as `REGEXP_LIKE(a, b)`, a function MariaDB (and MySQL 5.7) lacks. The
  operator form means the same on all of them.
* an unquoted `dual` is written as the quoted identifier `` `dual` ``, which both servers look up as a
  real table. Left as the user wrote it, `FROM dual` stays the dummy table (a quoted `` `dual` `` stays
  quoted, so a real table of that name is still reachable).

The generator classes are compiled (sqlglot[c]) and cannot be subclassed, so their class-level
tables are amended once, at import. Both changes only make the output say what the input said.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp
from sqlglot.dialects.mysql import MySQL

_APPLIED = False


def apply() -> None:
    global _APPLIED
    if _APPLIED:
        return
    generator = MySQL.Generator
    function_form = generator.TRANSFORMS.get(exp.RegexpLike)

    def regexp(self: Any, expression: exp.RegexpLike) -> str:
        if expression.args.get("flag") is not None:  # REGEXP_LIKE(a, b, 'i') has no operator form
            return function_form(self, expression) if function_form else self.function_fallback_sql(expression)
        return self.binary(expression, "REGEXP")

    generator.TRANSFORMS[exp.RegexpLike] = regexp
    generator.RESERVED_KEYWORDS.discard("dual")
    _APPLIED = True
