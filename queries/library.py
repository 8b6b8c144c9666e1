"""Saved queries and templates: services (writes, `<entity>_<verb>`) and selectors (reads).

Access to a saved query: its owner has every right; a member it is shared with reads and runs it (`read`)
or also edits it (`write`); only the owner deletes it, shares it or makes a public link to it. Everything is
scoped to the workspace, and someone without access gets a 404, as for another tenant's object.
"""
from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from auditing.services import record
from core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from metadata.models import DataSource
from teams.models import Membership
from teams.roles import Role, role_at_least

from . import parameters as params
from .models import Permission, QueryRun, QueryTemplate, SavedQuery, SavedQueryShare

OWNER = "owner"


# --- selectors -----------------------------------------------------------------------------------------------

def saved_queries_visible(*, workspace: Any, user: Any) -> QuerySet[SavedQuery]:
    """The caller's own saved queries and those shared with them, in this workspace."""
    return (SavedQuery.objects.filter(workspace=workspace)
            .filter(Q(owner=user) | Q(shares__user=user)).distinct()
            .select_related("owner", "data_source").prefetch_related("shares__user"))


def saved_query_list(*, workspace: Any, user: Any, sort: str = "recent", search: str = "",
                     tag: str = "") -> QuerySet[SavedQuery]:
    queryset = saved_queries_visible(workspace=workspace, user=user)
    if search:
        queryset = queryset.filter(Q(title__icontains=search) | Q(description__icontains=search)
                                   | Q(sql__icontains=search) | Q(question__icontains=search))
    if tag:
        # Tags are a JSON list; a contains-lookup is not available on SQLite, so match the quoted element.
        queryset = queryset.filter(tags__icontains=f'"{tag}"')
    order = {"recent": ["-updated_at"], "popular": ["-run_count", "-last_run_at", "-updated_at"],
             "title": ["title", "-updated_at"]}.get(sort)
    if order is None:
        raise ValidationFailed.for_field("sort", "One of recent, popular, title.")
    return queryset.order_by(*order)


def permission_of(saved: SavedQuery, user: Any) -> str | None:
    """owner, write, read or None (no access)."""
    if saved.owner_id == user.pk:
        return OWNER
    for share in saved.shares.all():  # prefetched by the selectors
        if share.user_id == user.pk:
            return share.permission
    return None


def saved_query_get(*, workspace: Any, user: Any, saved_query_id: Any, need: str = Permission.READ) -> SavedQuery:
    """One saved query the caller may access with at least `need` (read, write or owner)."""
    try:
        saved = saved_queries_visible(workspace=workspace, user=user).get(pk=saved_query_id)
    except (SavedQuery.DoesNotExist, ValidationError, ValueError, TypeError):
        raise NotFound("No such saved query.", code="SAVED_QUERY_NOT_FOUND") from None
    granted = permission_of(saved, user)
    rank = {Permission.READ: 0, Permission.WRITE: 1, OWNER: 2}
    if granted is None or rank[granted] < rank[need]:
        what = "edit" if need == Permission.WRITE else "delete or share"
        raise Forbidden(f"This saved query is shared with you read-only; you cannot {what} it."
                        if granted == Permission.READ or need == OWNER else "You cannot access this saved query.",
                        code="SAVED_QUERY_READ_ONLY" if need != OWNER else "NOT_OWNER")
    saved.my_permission = granted  # type: ignore[attr-defined]
    return saved


_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"the", "a", "an", "of", "by", "for", "in", "on", "to", "and", "or", "is", "are", "what", "which", "how",
         "many", "much", "per", "each", "me", "show", "list", "give", "with", "from", "my", "our", "all", "top"}


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


def golden_examples_for(ds: DataSource, question: str, limit: int = 3, *, user_id: Any = None) -> list[tuple[str, str]]:
    """Saved queries with a question and parameter-free SQL on `ds`, most word overlap with `question`
    first (ties: most run): examples the assistant may show its engine. Only queries that already ran
    through the gate are kept, so their SQL is known to be valid, and only those the asker (`user_id`)
    may read — their own and those shared with them: a private saved query stays private."""
    wanted = _words(question)
    if not wanted or limit <= 0 or user_id is None:
        return []
    readable = Q(owner_id=user_id) | Q(pk__in=SavedQueryShare.objects.filter(user_id=user_id).values("saved_query_id"))
    candidates = (SavedQuery.objects.filter(readable, data_source=ds).exclude(question="").exclude(sql="")
                  .exclude(sql__contains="{{").order_by("-run_count", "-updated_at")
                  .values_list("question", "sql", "run_count")[:500])
    scored = []
    for text, sql, runs in candidates:
        overlap = len(wanted & _words(text))
        if overlap:
            scored.append((overlap / len(wanted | _words(text)), overlap, runs, text, sql))
    scored.sort(key=lambda item: (item[1], item[0], item[2]), reverse=True)
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for *_, text, sql in scored:
        if text.lower() in seen:
            continue
        seen.add(text.lower())
        out.append((text, sql))
        if len(out) == limit:
            break
    return out


# --- services: saved queries -----------------------------------------------------------------------------------

def _clean_tags(tags: Any) -> list[str]:
    if tags in (None, ""):
        return []
    if not isinstance(tags, list) or len(tags) > 20 or not all(isinstance(t, str) for t in tags):
        raise ValidationFailed.for_field("tags", "A list of at most 20 tags.")
    out: list[str] = []
    for tag in tags:
        tag = tag.strip()[:40]
        if tag and tag not in out:
            out.append(tag)
    return out


def check_statement(*, ds: DataSource, workspace: Any, sql: str, specs: list[dict[str, Any]],
                    membership: Any = None) -> None:
    """Vet a statement when it is saved: bound with its defaults (or samples), then the safety gate under
    the saver's access rules (whoever runs it later does so under theirs)."""
    if not sql:
        return
    from .services import SqlRejected, check_sql, issues_as_details

    bound = params.bind(sql, params.resolve(specs, {}, use_samples=True), engine=ds.engine)
    gate = check_sql(ds, bound, limit=None, workspace=workspace,
                     **({"membership": membership} if membership is not None else {}))
    if not gate.ok:
        raise SqlRejected(gate.errors[0].message, code=gate.errors[0].code, details=issues_as_details(gate.errors))


def _prepared(workspace: Any, data: dict[str, Any], current: SavedQuery | None = None,
              user: Any = None) -> dict[str, Any]:
    """Merge `data` over `current`, validate, and return the fields to store."""
    from metadata.selectors import data_source_for

    fields: dict[str, Any] = {}
    for name in ("title", "description", "sql", "question"):
        if name in data:
            fields[name] = (data[name] or "").strip() if name != "sql" else (data[name] or "").strip().rstrip(";")
    if "tags" in data:
        fields["tags"] = _clean_tags(data["tags"])
    if "database_id" in data or current is None or (current.data_source_id is None):
        fields["data_source"] = data_source_for(workspace, data.get("database_id") or (
            current.data_source_id if current is not None else None))
    ds = fields.get("data_source") or current.data_source  # type: ignore[union-attr]
    sql = fields.get("sql", current.sql if current else "")
    question = fields.get("question", current.question if current else "")
    if not fields.get("title", current.title if current else ""):
        raise ValidationFailed.for_field("title", "This field is required.")
    if not sql and not question:
        raise ValidationFailed("Give the SQL, the question, or both.", code="VALIDATION_ERROR",
                               details=[{"field": "sql", "message": "Required when there is no question."}])
    specs_in = data["parameters"] if "parameters" in data else (current.parameters if current else [])
    fields["parameters"] = params.validate_specs(specs_in, sql)
    if "sql" in fields or "parameters" in fields or "data_source" in fields:
        membership = Membership.objects.filter(workspace=workspace, user=user).first() if user is not None else None
        check_statement(ds=ds, workspace=workspace, sql=sql, specs=fields["parameters"], membership=membership)
    return fields


def saved_query_create(*, workspace: Any, user: Any, data: dict[str, Any], template: QueryTemplate | None = None,
                       request: Any = None) -> SavedQuery:
    fields = _prepared(workspace, data, user=user)
    saved = SavedQuery.objects.create(workspace=workspace, owner=user, template=template, **fields)
    record(actor=user, action="saved_query.created", target=saved, workspace=workspace, request=request,
           details={"title": saved.title, "template_id": str(template.pk) if template else None})
    return saved


def saved_query_update(*, saved: SavedQuery, user: Any, data: dict[str, Any], request: Any = None) -> SavedQuery:
    fields = _prepared(saved.workspace, data, current=saved, user=user)
    for name, value in fields.items():
        setattr(saved, name, value)
    saved.save()
    record(actor=user, action="saved_query.updated", target=saved, workspace=saved.workspace, request=request,
           details={"fields": sorted(data)})
    return saved


def saved_query_delete(*, saved: SavedQuery, user: Any, request: Any = None) -> None:
    record(actor=user, action="saved_query.deleted", target=saved, workspace=saved.workspace, request=request,
           details={"title": saved.title})
    saved.delete()


def saved_query_share(*, saved: SavedQuery, user: Any, user_ids: list[Any], permission: str,
                      request: Any = None) -> list[SavedQueryShare]:
    """Share with members of the saved query's workspace (others are refused without saying who exists)."""
    if permission not in Permission.values:
        raise ValidationFailed.for_field("permission", "read or write.")
    wanted = {str(u) for u in user_ids}
    members = {str(m.user_id): m for m in Membership.objects.filter(workspace=saved.workspace,
                                                                    user_id__in=list(wanted)).select_related("user")}
    unknown = sorted(wanted - set(members))
    if unknown:
        raise ValidationFailed("Some users are not members of this workspace.", code="NOT_A_MEMBER",
                               details=[{"field": "user_ids", "message": f"{u} is not a member of this workspace."}
                                        for u in unknown])
    if str(saved.owner_id) in wanted:
        raise ValidationFailed.for_field("user_ids", "The owner already has every right.")
    shares = []
    with transaction.atomic():
        for member in members.values():
            share, _ = SavedQueryShare.objects.update_or_create(
                saved_query=saved, user=member.user, defaults={"permission": permission, "granted_by": user})
            shares.append(share)
    record(actor=user, action="saved_query.shared", target=saved, workspace=saved.workspace, request=request,
           details={"user_ids": sorted(wanted), "permission": permission})
    return shares


def saved_query_unshare(*, saved: SavedQuery, user: Any, user_id: Any, request: Any = None) -> None:
    try:
        deleted, _ = SavedQueryShare.objects.filter(saved_query=saved, user_id=user_id).delete()
    except (ValidationError, ValueError, TypeError):
        deleted = 0
    if not deleted:
        raise NotFound("This saved query is not shared with that user.", code="SHARE_NOT_FOUND")
    record(actor=user, action="saved_query.unshared", target=saved, workspace=saved.workspace, request=request,
           details={"user_id": str(user_id)})


def saved_query_run(*, saved: SavedQuery, user: Any, membership: Any, values: Any = None, limit: int | None = None,
                    run_async: bool = False, request: Any = None) -> QueryRun:
    """Run a saved query as `user`: its SQL with the parameters bound (or its question, through the
    assistant, when it has no SQL). Returns the QueryRun."""
    ds = saved.data_source
    if ds is None:
        raise Conflict("The data source of this saved query was removed; choose another one.",
                       code="DATA_SOURCE_MISSING")
    if saved.sql:
        resolved = params.resolve(saved.parameters, values)
        sql = params.bind(saved.sql, resolved, engine=ds.engine)
        from .services import query_execute

        run = query_execute(workspace=saved.workspace, user=user, membership=membership, ds=ds, sql=sql,
                            question=saved.question, limit=limit, run_async=run_async, request=request)
    else:
        if values:
            params.resolve([], values)  # a question has no parameters: name the unknown ones
        from assistant.services import answer

        run = answer(question=saved.question, ds=ds, workspace=saved.workspace, user=user, membership=membership,
                     limit=limit, run_async=run_async, request=request)
    SavedQuery.objects.filter(pk=saved.pk).update(run_count=F("run_count") + 1, last_run_at=timezone.now())
    record(actor=user, action="saved_query.run", target=saved, workspace=saved.workspace, request=request,
           details={"query_id": str(run.pk), "status": run.status})
    return run


# --- templates ---------------------------------------------------------------------------------------------------

CATEGORIES = ("sales", "customers", "products", "operations", "finance", "marketing", "other")


def templates_visible(*, workspace: Any) -> QuerySet[QueryTemplate]:
    """Built-ins (global) and the workspace's own templates."""
    return QueryTemplate.objects.filter(Q(workspace__isnull=True, is_builtin=True) | Q(workspace=workspace))


def template_list(*, workspace: Any, category: str = "", search: str = "") -> QuerySet[QueryTemplate]:
    queryset = templates_visible(workspace=workspace)
    if category:
        queryset = queryset.filter(category__iexact=category)
    if search:
        queryset = queryset.filter(Q(title__icontains=search) | Q(description__icontains=search)
                                   | Q(tags__icontains=search) | Q(question__icontains=search))
    return queryset.order_by("-is_builtin", "category", "title")


def template_get(*, workspace: Any, template_id: Any) -> QueryTemplate:
    try:
        return templates_visible(workspace=workspace).get(pk=template_id)
    except (QueryTemplate.DoesNotExist, ValidationError, ValueError, TypeError):
        raise NotFound("No such template.", code="TEMPLATE_NOT_FOUND") from None


def _template_fields(data: dict[str, Any], current: QueryTemplate | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in ("title", "description", "sql", "question"):
        if name in data:
            fields[name] = (data[name] or "").strip() if name != "sql" else (data[name] or "").strip().rstrip(";")
    if "category" in data:
        category = (data["category"] or "").strip().lower()
        if category not in CATEGORIES:
            raise ValidationFailed.for_field("category", f"One of {', '.join(CATEGORIES)}.")
        fields["category"] = category
    if "tags" in data:
        fields["tags"] = _clean_tags(data["tags"])
    sql = fields.get("sql", current.sql if current else "")
    question = fields.get("question", current.question if current else "")
    if not fields.get("title", current.title if current else ""):
        raise ValidationFailed.for_field("title", "This field is required.")
    if not fields.get("category", current.category if current else ""):
        raise ValidationFailed.for_field("category", "This field is required.")
    if not sql and not question:
        raise ValidationFailed.for_field("sql", "Give the SQL, the question, or both.")
    specs_in = data["parameters"] if "parameters" in data else (current.parameters if current else [])
    fields["parameters"] = params.validate_specs(specs_in, sql)
    if sql:
        params.bind(sql, params.resolve(fields["parameters"], {}, use_samples=True), engine="postgresql")
    return fields


def _require_workspace_template(template: QueryTemplate, membership: Any) -> None:
    if template.is_builtin or template.workspace_id is None:
        raise Forbidden("Built-in templates are read-only; clone one to change it.", code="TEMPLATE_READ_ONLY")
    if not role_at_least(membership.role, Role.ADMIN):
        raise Forbidden("Only workspace admins manage templates.", code="PERMISSION_DENIED")


def template_create(*, workspace: Any, user: Any, data: dict[str, Any], request: Any = None) -> QueryTemplate:
    template = QueryTemplate.objects.create(workspace=workspace, created_by=user, **_template_fields(data))
    record(actor=user, action="template.created", target=template, workspace=workspace, request=request)
    return template


def template_update(*, template: QueryTemplate, user: Any, membership: Any, data: dict[str, Any],
                    request: Any = None) -> QueryTemplate:
    _require_workspace_template(template, membership)
    for name, value in _template_fields(data, current=template).items():
        setattr(template, name, value)
    template.save()
    record(actor=user, action="template.updated", target=template, workspace=template.workspace, request=request)
    return template


def template_delete(*, template: QueryTemplate, user: Any, membership: Any, request: Any = None) -> None:
    _require_workspace_template(template, membership)
    record(actor=user, action="template.deleted", target=template, workspace=template.workspace, request=request)
    template.delete()


def template_clone(*, template: QueryTemplate, workspace: Any, user: Any, data: dict[str, Any],
                   request: Any = None) -> SavedQuery:
    """A saved query of the caller's, copied from the template (on the chosen or default data source)."""
    payload = {"title": data.get("title") or template.title, "description": template.description,
               "sql": template.sql, "question": template.question, "tags": list(template.tags),
               "parameters": list(template.parameters), "database_id": data.get("database_id")}
    return saved_query_create(workspace=workspace, user=user, data=payload, template=template, request=request)
