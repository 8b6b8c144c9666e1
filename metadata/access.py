"""Row- and column-level security: which rows and columns of a data source a member may read.

Policies (`AccessPolicy`) are written by workspace admins per table, for a role or one member. For a
caller they resolve to one `Access`: the gate's `TablePolicy` list (row filters AND-ed, visible
columns) and the hidden columns per table, which the schema endpoints and the assistant leave out.

Without a membership (a caller the query path could not identify) every policy of the source applies
at once: the strictest reading, never the most lenient. For someone under any policy, views without a
policy of their own are closed (a view reads its tables with the database's rights, around the
rewrite); an admin opens one by giving it a policy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from auditing.services import record
from core.exceptions import ValidationFailed
from teams.roles import Role

from .models import AccessPolicy, DataSource, SchemaColumn, SchemaTable

DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite", "duckdb": "duckdb"}


@dataclass(frozen=True)
class Access:
    policies: tuple[Any, ...] = ()  # queries.safety.TablePolicy
    hidden: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)  # (schema, table) → columns

    def hidden_in(self, table: SchemaTable) -> frozenset[str]:
        return self.hidden.get((table.schema_name, table.name), frozenset())

    @property
    def key(self) -> str:
        """Identifies what this caller may see (part of cache keys of what depends on it)."""
        if not self.policies:
            return "all"
        import hashlib

        text = repr(sorted((p.schema, p.table, p.row_filter, p.visible_columns or ()) for p in self.policies))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


UNRESTRICTED = Access()


def access_for(ds: DataSource, membership: Any | None) -> Access:
    """What `membership`'s holder may read of `ds` (cached per source and person until a policy or sync changes)."""
    # A policy change touches the source's updated_at (read fresh with every request, in every process).
    who = f"{membership.user_id}:{membership.role}" if membership is not None else "anyone"
    synced = ds.last_synced_at.timestamp() if ds.last_synced_at else 0
    key = f"access:{ds.pk}:{ds.updated_at.timestamp()}:{synced}:{who}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    policies = AccessPolicy.objects.filter(data_source=ds).select_related("table")
    if membership is not None:
        from django.db.models import Q

        policies = policies.filter(Q(role=membership.role) | Q(member_id=membership.user_id))
    access = _combine(ds, list(policies))
    cache.set(key, access, 300)
    return access


def _combine(ds: DataSource, policies: list[AccessPolicy]) -> Access:
    if not policies:
        return UNRESTRICTED
    from queries.safety import TablePolicy

    by_table: dict[Any, list[AccessPolicy]] = {}
    for policy in policies:
        by_table.setdefault(policy.table_id, []).append(policy)
    columns: dict[Any, list[str]] = {}
    for table_id, name in SchemaColumn.objects.filter(table_id__in=by_table, is_removed=False).order_by(
            "table_id", "position").values_list("table_id", "name"):
        columns.setdefault(table_id, []).append(name)
    gate: list[Any] = []
    hidden: dict[tuple[str, str], frozenset[str]] = {}
    for table_id, group in by_table.items():
        table = group[0].table
        filters = [f"({p.row_filter})" for p in group if p.row_filter.strip()]
        hide = frozenset(c for p in group for c in p.hidden_columns)
        visible = tuple(c for c in columns.get(table_id, []) if c not in hide) if hide else None
        gate.append(TablePolicy(table=table.name, schema=table.schema_name, row_filter=" AND ".join(filters),
                                visible_columns=visible))
        if hide:
            hidden[(table.schema_name, table.name)] = hide
    # A view reads its tables with the database's rights, not through this rewrite: for someone under
    # policies, a view without a policy of its own could show what the policies withhold. Refused.
    for view in SchemaTable.objects.filter(data_source=ds, kind=SchemaTable.Kind.VIEW, is_removed=False).exclude(
            pk__in=by_table).prefetch_related("columns"):
        gate.append(TablePolicy(table=view.name, schema=view.schema_name, visible_columns=()))
        hidden[(view.schema_name, view.name)] = frozenset(c.name for c in view.columns.all())
    return Access(policies=tuple(gate), hidden=hidden)


def _invalidate(ds: DataSource) -> None:
    # What the gate, the assistant and the result cache hold for this source was computed under the old
    # rules: their keys carry updated_at.
    DataSource.objects.filter(pk=ds.pk).update(updated_at=timezone.now())
    from queries.services import result_cache_invalidate

    result_cache_invalidate(ds)


# --- writes --------------------------------------------------------------------------------------------

def _validated(ds: DataSource, data: dict[str, Any], current: AccessPolicy | None = None) -> dict[str, Any]:
    from queries.safety import ColumnInfo, TableInfo, check
    from queries.safety.rls import parse_filter

    from .selectors import find_table

    table = current.table if current is not None and "table" not in data else find_table(ds, data.get("table", ""))
    role = data.get("role", current.role if current else "")
    member = data.get("member", current.member if current else None)
    if bool(role) == bool(member):
        raise ValidationFailed.for_field("role", "Give either a role or a member, not both.")
    if role and role not in Role.values:
        raise ValidationFailed.for_field("role", f"Must be one of {', '.join(Role.values)}.")
    if member is not None and not ds.workspace.memberships.filter(user=member).exists():
        raise ValidationFailed.for_field("member_id", "Not a member of this workspace.")
    names = list(table.columns.filter(is_removed=False).values_list("name", flat=True))
    hidden = data.get("hidden_columns", current.hidden_columns if current else [])
    unknown = [c for c in hidden if c not in names]
    if unknown:
        raise ValidationFailed.for_field("hidden_columns", f"No such column in {table.qualified_name}: "
                                         f"{', '.join(unknown)}.")
    if hidden and len(set(hidden)) >= len(names):
        raise ValidationFailed.for_field("hidden_columns", "At least one column must stay visible.")
    row_filter = data.get("row_filter", current.row_filter if current else "").strip()
    if row_filter:
        try:
            parse_filter(row_filter, DIALECTS[ds.engine])
        except ValueError as exc:
            raise ValidationFailed.for_field("row_filter", str(exc)) from None
        info = TableInfo(table.name, schema=table.schema_name, columns=tuple(ColumnInfo(c) for c in names))
        probe = check(f"SELECT 1 FROM {_quoted(table, ds.engine)} WHERE {row_filter}", engine=ds.engine,
                      schema=[info])
        if not probe.ok:
            raise ValidationFailed.for_field("row_filter", probe.errors[0].message)
    return {"table": table, "role": role or "", "member": member, "row_filter": row_filter,
            "hidden_columns": sorted(set(hidden)), "description": data.get(
                "description", current.description if current else "")}


def _quoted(table: SchemaTable, engine: str) -> str:
    quote = "`" if engine == "mysql" else '"'
    parts = [p for p in (table.schema_name, table.name) if p]
    return ".".join(quote + p.replace(quote, quote * 2) + quote for p in parts)


@transaction.atomic
def policy_create(*, ds: DataSource, user: Any, data: dict[str, Any], request: Any = None) -> AccessPolicy:
    policy = AccessPolicy.objects.create(data_source=ds, created_by=user, **_validated(ds, data))
    record(actor=user, action="access_policy.created", target=policy, workspace=ds.workspace, request=request,
           details=_details(policy))
    _invalidate(ds)
    return policy


@transaction.atomic
def policy_update(*, policy: AccessPolicy, user: Any, data: dict[str, Any], request: Any = None) -> AccessPolicy:
    for name, value in _validated(policy.data_source, data, policy).items():
        setattr(policy, name, value)
    policy.save()
    record(actor=user, action="access_policy.updated", target=policy, workspace=policy.data_source.workspace,
           request=request, details=_details(policy))
    _invalidate(policy.data_source)
    return policy


@transaction.atomic
def policy_delete(*, policy: AccessPolicy, user: Any, request: Any = None) -> None:
    ds = policy.data_source
    record(actor=user, action="access_policy.deleted", target=policy, workspace=ds.workspace, request=request,
           details=_details(policy))
    policy.delete()
    _invalidate(ds)


def _details(policy: AccessPolicy) -> dict[str, Any]:
    return {"data_source_id": str(policy.data_source_id), "table": policy.table.qualified_name,
            "role": policy.role, "member_id": str(policy.member_id) if policy.member_id else None,
            "row_filter": policy.row_filter, "hidden_columns": policy.hidden_columns}
