"""Database helpers for hot paths the ORM makes slow."""
from __future__ import annotations

import uuid
from typing import Any

from django.db import connections, models, router
from django.utils import timezone

# Values of these field types go to the driver as they are; others (UUIDs, datetimes, JSON,
# relations) are adapted by the field, exactly as the ORM would.
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.FloatField)


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]], *, batch_size: int = 2000) -> int:
    """INSERT many rows given as {attname: value} without building model instances.

    `bulk_create` compiles SQL per value through every field; for tens of thousands of rows
    (a schema sync of a large database) that dominates the time. Missing values take the field's
    default; auto_now(_add) fields get the current time; UUID primary keys are generated.
    """
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    fields = list(model._meta.concrete_fields)
    now = timezone.now()
    plain = [isinstance(f, _PLAIN) and not f.is_relation for f in fields]
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    params = []
    for row in rows:
        values = []
        for field, is_plain in zip(fields, plain, strict=True):
            if field.attname in row:
                value = row[field.attname]
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            elif field.primary_key and isinstance(field, models.UUIDField):
                value = uuid.uuid4()
            else:
                value = field.get_default()
            values.append(value if is_plain else field.get_db_prep_save(value, connection))
        params.append(values)
    with connection.cursor() as cursor:
        for start in range(0, len(params), batch_size):
            cursor.executemany(sql, params[start:start + batch_size])
    return len(params)


class RowLoader:
    """A model's concrete columns for a hand-written SELECT, and rows turned back into instances
    through the same converters the ORM applies (UUIDs, booleans, datetimes, JSON per backend).

    For the few queries every request makes (authentication): composing them through the ORM costs a
    millisecond each, a hundred times what the database needs. The SQL is built from the model's
    metadata, so renamed fields or tables follow; the instances are ordinary model instances.
    """

    def __init__(self, model: type[models.Model], alias: str, using: str = "default") -> None:
        self.model, self.alias, self.using = model, alias, using
        self.fields = list(model._meta.concrete_fields)
        self._converters: list[list[Any]] | None = None

    def columns(self) -> str:
        quote = connections[self.using].ops.quote_name
        return ", ".join(f"{self.alias}.{quote(f.column)}" for f in self.fields)

    def _converters_for(self) -> list[list[Any]]:
        if self._converters is None:
            connection = connections[self.using]
            self._converters = []
            for field in self.fields:
                column = field.get_col(self.alias)
                self._converters.append([*connection.ops.get_db_converters(column),
                                         *field.get_db_converters(connection)])
        return self._converters

    def load(self, values: tuple[Any, ...] | list[Any]) -> models.Model:
        connection = connections[self.using]
        converted = []
        for value, converters, field in zip(values, self._converters_for(), self.fields, strict=True):
            for convert in converters:
                value = convert(value, field.get_col(self.alias), connection)
            converted.append(value)
        return self.model.from_db(self.using, [f.attname for f in self.fields], converted)
