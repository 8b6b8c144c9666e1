from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models import BaseModel


class DataSource(BaseModel):
    """A database a workspace registered: where it is, how to reach it, what state it is in.

    The password is stored encrypted (core.crypto) and never leaves the server.
    """

    class Engine(models.TextChoices):
        POSTGRESQL = "postgresql", "PostgreSQL"
        MYSQL = "mysql", "MySQL / MariaDB"
        SQLITE = "sqlite", "SQLite"
        DUCKDB = "duckdb", "DuckDB"

    class Status(models.TextChoices):
        UNKNOWN = "unknown", "Not tested"
        CONNECTED = "connected", "Connected"
        ERROR = "error", "Error"

    FILE_ENGINES = (Engine.SQLITE, Engine.DUCKDB)

    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="data_sources")
    name = models.CharField(max_length=120)
    engine = models.CharField(max_length=16, choices=Engine.choices)
    host = models.CharField(max_length=255, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True)
    database = models.CharField(max_length=500, help_text="Database name, or for SQLite/DuckDB a file in the data directory.")
    username = models.CharField(max_length=255, blank=True)
    password_encrypted = models.TextField(blank=True, editable=False)
    ssl = models.BooleanField(default=False)
    options = models.JSONField(default=dict, blank=True,
                               help_text="Engine options: schemas (list), sslmode, connect_timeout, query_timeout.")
    read_only = models.BooleanField(default=True, help_text="Connect read-only where the engine supports it.")
    is_default = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNKNOWN)
    status_message = models.CharField(max_length=500, blank=True)
    server_version = models.CharField(max_length=200, blank=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["name"]
        verbose_name = "data source"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="datasource_unique_name"),
            models.UniqueConstraint(fields=["workspace"], condition=models.Q(is_default=True),
                                    name="datasource_one_default_per_workspace"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.engine})"

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)


class DictionaryFields(models.Model):
    """What humans curate about a table or column; synced facts live beside it."""

    alias = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    synonyms = models.JSONField(default=list, blank=True)
    # Dictionary fields a person set by hand; auto-guess never overwrites them.
    curated_fields = models.JSONField(default=list, blank=True)

    class Meta:
        abstract = True


class SchemaTable(BaseModel, DictionaryFields):
    """A table or view of a data source, as last synced, with its dictionary entry."""

    class Kind(models.TextChoices):
        TABLE = "table", "Table"
        VIEW = "view", "View"

    data_source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="tables")
    schema_name = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TABLE)
    comment = models.TextField(blank=True)
    row_count = models.BigIntegerField(null=True, blank=True)
    row_count_is_estimate = models.BooleanField(default=False)
    is_removed = models.BooleanField(default=False, help_text="Gone from the database at the last sync.")
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["schema_name", "name"]
        verbose_name = "table"
        constraints = [
            models.UniqueConstraint(fields=["data_source", "schema_name", "name"], name="schematable_unique_name"),
        ]

    def __str__(self) -> str:
        return self.qualified_name

    @property
    def qualified_name(self) -> str:
        return f"{self.schema_name}.{self.name}" if self.schema_name else self.name


class SchemaColumn(BaseModel, DictionaryFields):
    """A column of a synced table, with its dictionary entry and low-cardinality samples."""

    table = models.ForeignKey(SchemaTable, on_delete=models.CASCADE, related_name="columns")
    name = models.CharField(max_length=255)
    position = models.PositiveIntegerField(default=0)
    data_type = models.CharField(max_length=255, blank=True)
    nullable = models.BooleanField(default=True)
    default = models.TextField(blank=True)
    comment = models.TextField(blank=True)
    is_primary_key = models.BooleanField(default=False)
    sample_values = models.JSONField(default=list, blank=True)
    distinct_count = models.BigIntegerField(null=True, blank=True)
    is_removed = models.BooleanField(default=False)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["table", "position"]
        verbose_name = "column"
        constraints = [models.UniqueConstraint(fields=["table", "name"], name="schemacolumn_unique_name")]

    def __str__(self) -> str:
        return f"{self.table}.{self.name}"

    @property
    def is_pii(self) -> bool:
        return "PII" in (self.tags or [])


class SchemaRelationship(BaseModel):
    """A foreign key between two synced tables (the join paths retrieval uses)."""

    data_source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="relationships")
    name = models.CharField(max_length=255, blank=True)
    from_table = models.ForeignKey(SchemaTable, on_delete=models.CASCADE, related_name="outgoing")
    from_columns = models.JSONField(default=list)
    to_table = models.ForeignKey(SchemaTable, on_delete=models.CASCADE, related_name="incoming")
    to_columns = models.JSONField(default=list)
    is_removed = models.BooleanField(default=False)

    class Meta:
        ordering = ["from_table", "name"]
        verbose_name = "relationship"

    def __str__(self) -> str:
        return f"{self.from_table}({', '.join(self.from_columns)}) → {self.to_table}({', '.join(self.to_columns)})"


class DictionaryVersion(BaseModel):
    """One edit of a dictionary entry: who, when, and the fields before and after."""

    data_source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="dictionary_versions")
    table = models.ForeignKey(SchemaTable, on_delete=models.CASCADE, related_name="versions")
    column = models.ForeignKey(SchemaColumn, null=True, blank=True, on_delete=models.CASCADE, related_name="versions")
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    source = models.CharField(max_length=16, default="manual", help_text="manual, auto_guess, restore, seed")
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "dictionary version"

    def __str__(self) -> str:
        target = f"{self.table}.{self.column.name}" if self.column_id else str(self.table)
        return f"{target} @ {self.created_at:%Y-%m-%d %H:%M}"


class Suggestion(BaseModel):
    """A dictionary change auto-guess proposes; applied only when a person approves it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPLIED = "applied", "Applied"
        REJECTED = "rejected", "Rejected"
        SKIPPED = "skipped", "Skipped (a person edited this field)"

    job = models.ForeignKey("core.Job", on_delete=models.CASCADE, related_name="suggestions")
    data_source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="suggestions")
    table = models.ForeignKey(SchemaTable, on_delete=models.CASCADE, related_name="suggestions")
    column = models.ForeignKey(SchemaColumn, null=True, blank=True, on_delete=models.CASCADE, related_name="suggestions")
    field = models.CharField(max_length=32)
    value = models.JSONField()
    current_value = models.JSONField(null=True, blank=True)
    confidence = models.FloatField()
    reason = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["table", "column", "field"]
        verbose_name = "suggestion"

    def __str__(self) -> str:
        return f"{self.field} of {self.column or self.table}: {self.value!r} ({self.confidence:.0%})"

DataSourceEngine = DataSource.Engine
DataSourceStatus = DataSource.Status
SuggestionStatus = Suggestion.Status


class AccessPolicy(BaseModel):
    """Row- and column-level security on one table, for a workspace role or one member.

    `row_filter` is a condition over the table's own columns (`region = 'EMEA'`); `hidden_columns`
    are invisible to whom it applies — in schema endpoints, to the assistant, and to SQL, where
    naming one is an unknown column. Several policies on a table for one person add up: every
    filter must hold, every hidden column stays hidden.
    """

    data_source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="access_policies")
    table = models.ForeignKey(SchemaTable, on_delete=models.CASCADE, related_name="access_policies")
    role = models.CharField(max_length=16, blank=True, help_text="A workspace role the policy applies to …")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="access_policies", help_text="… or one member.")
    row_filter = models.TextField(blank=True)
    hidden_columns = models.JSONField(default=list, blank=True)
    description = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["table", "role", "created_at"]
        verbose_name = "access policy"
        verbose_name_plural = "access policies"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(role="") & models.Q(member__isnull=False))
                | (~models.Q(role="") & models.Q(member__isnull=True)),
                name="access_policy_role_xor_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.table} for {self.role or self.member}"
