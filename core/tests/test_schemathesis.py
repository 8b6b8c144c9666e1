"""Hostile input from schemathesis, against the OpenAPI document the app serves.

Two users, Alice and Bob, each own a workspace with a small SQLite data source. schemathesis
generates requests from the schema (valid and invalid ones) and sends them as Alice, in-process
through the WSGI application and the test database. Every response must

* not be a server error, and agree with the schema (status code, content type, headers, body);
* survive `cross_tenant_replay`: the same request sent again with Bob's token — once inside
  Alice's workspace (the `X-Workspace-ID` she used), once inside Bob's own — must neither return
  anything of Alice's nor succeed on something of hers, and must leave no trace of Bob acting in
  her workspace.

Two runs: every operation on its own (a few examples each, on generated ids and on Alice's real
objects), and stateful chains over the links schemathesis infers between operations (create →
read → update → delete). A third test proves the replay check catches a leak. The budget is fixed
and the generation derandomized, so a run is repeatable and bounded (EXAMPLES, SCENARIOS, STEPS).
"""
from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, close_old_connections, transaction
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.core.errors import NoLinksFound
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import login
from teams.models import Membership
from teams.roles import Role

pytestmark = pytest.mark.django_db

# Examples per operation and generation mode, and the stateful budget (scenarios x steps).
EXAMPLES = 4
SCENARIOS = 6
STEPS = 6

# Not fuzzed: streams hold the connection open by design (their tests live with chat); logout
# and a password change would end the session the run relies on.
EXCLUDED = re.compile(r"/stream-|/auth/logout$|/auth/password$")
# Not replayed as Bob: anonymous by design, or opened by a secret in the request itself
# (a share-link token, an invitation token).
PUBLIC = re.compile(r"/auth/(login|register|refresh)$|/health$|/share/\{token\}|/team/invitations/accept$")

# Not worth stateful chains as Alice (no links to follow, or all 403 for a non-operator): covered
# by the per-operation test.
NOT_STATEFUL = re.compile(r"^/api/v1/(users|admin)/|^/api/v1/users$|/auth/|/share/\{token\}|/invitations/accept$|/health$")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _text(response: Any) -> str:
    """The body as text, whatever it is (exports may be binary)."""
    return (response.content or b"").decode("utf-8", "replace")


def is_server_error(response: Any) -> bool:
    """A 5xx, except the documented 502 of a data source that cannot be reached: the user's own
    database, which the fuzzer may have pointed at a host that does not exist, not this server."""
    if response.status_code == 502:
        try:
            return not response.json()["error"]["code"].startswith("DATA_SOURCE_")
        except (ValueError, KeyError, TypeError, AttributeError):
            return True
    return response.status_code >= 500


def no_server_error(ctx: Any, response: Any, case: Any) -> None:
    """schemathesis' `not_a_server_error`, with the one exception of `is_server_error`."""
    if is_server_error(response):
        raise AssertionError(f"Server error {response.status_code}: {_text(response)[:500]}")


CHECKS = [no_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]

SOURCE_SQL = """
CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, email TEXT NOT NULL, country TEXT);
CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(customer_id),
                     total REAL, placed_at TEXT);
INSERT INTO customers VALUES (1, 'ana@example.com', 'Germany'), (2, 'bo@example.com', 'France');
INSERT INTO orders VALUES (1, 1, 12.5, '2024-01-02'), (2, 2, 30.0, '2024-02-03');
"""


@dataclass
class Tenant:
    user: Any
    workspace: Any
    token: str

    def headers(self, workspace: Any = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "X-Workspace-ID": str((workspace or self.workspace).pk)}


@dataclass
class World:
    alice: Tenant
    bob: Tenant
    carol: Any
    # Path parameters of Alice's seeded objects: by name, or by name@path-prefix.
    parameters: dict[str, Any] = field(default_factory=dict)
    # The first object of each collection Alice can list, for its `{id}` paths.
    collections: dict[str, str] = field(default_factory=dict)
    # Identifiers Alice's responses have shown (confirmed as hers in the database before use).
    alice_ids: set[str] = field(default_factory=set)


def _ids_in(text: str) -> set[str]:
    return set(UUID.findall(text.lower()))


def _source(tenant: Tenant, client: Any, capture: Any) -> str:
    """A small SQLite data source in the tenant's workspace, registered and synced."""
    from metadata.connectors import workspace_files_dir

    path = workspace_files_dir(tenant.workspace.pk) / "shop.sqlite3"
    connection = sqlite3.connect(path)
    connection.executescript(SOURCE_SQL)
    connection.commit()
    connection.close()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tenant.token}")
    response = client.post("/api/v1/databases", {"name": "Shop", "engine": "sqlite", "database": path.name},
                           format="json")
    assert response.status_code == 201, response.content
    with capture(execute=True):
        assert client.post(f"/api/v1/databases/{response.json()['id']}/sync-schema").status_code == 202
    return response.json()["id"]


def _seed(world: World, client: Any, database: str, settings: Any) -> None:
    """One of each of Alice's objects, made through the API, so that operations on `{id}` paths
    reach real objects (hers, as Alice; not Bob's, as Bob). Records the path parameters to use."""
    from auditing import webhooks

    def post(path: str, body: Any, expected: int = 201, **kwargs: Any) -> dict[str, Any]:
        response = client.post(f"/api/v1/{path}", body, **{"format": "json", **kwargs})
        assert response.status_code == expected, (path, response.status_code, response.content[:500])
        world.alice_ids |= _ids_in(response.content.decode())
        return response.json()

    client.credentials(**{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in world.alice.headers().items()})
    carol = world.carol
    run = post("queries/execute", {"mode": "sql", "sql": "SELECT country FROM customers", "database_id": database},
               expected=200)
    saved = post("saved-queries", {"title": "By country", "sql": "SELECT country FROM customers",
                                   "database_id": database})
    link = post(f"saved-queries/{saved['id']}/share-link", {})
    session = post("chat/sessions", {"title": "Questions", "data_source_id": database})
    export = post(f"queries/{run['id']}/export", {"format": "csv", "async": True}, expected=202)
    guess = post("metadata/auto-guess", {"database_id": database}, expected=202)
    client.patch("/api/v1/metadata/tables/customers", {"description": "People who buy"}, format="json")
    post("projects", {"name": "Launch"})
    post("templates", {"title": "Countries", "category": "sales", "sql": "SELECT country FROM customers"})
    post("schedules", {"saved_query_id": saved["id"], "frequency": "daily", "time": "08:00"})
    post("user-prompts", {"prompt_text": "Answer in one sentence."})
    post("system-prompts", {"name": "House style", "prompt_text": "Prefer tables.", "is_active": False})
    post("api-keys", {"name": "ci"})
    post("access-policies", {"database_id": database, "table": "customers", "role": "viewer",
                             "hidden_columns": ["email"]})
    post("ai-providers", {"provider": "openai_compatible", "model": "m", "base_url": "http://127.0.0.1:9/v1",
                          "api_key": "sk-not-a-real-key-0123"})
    post("documents", {"file": SimpleUploadedFile("notes.txt", b"Revenue counts paid orders only.")},
         expected=202, format="multipart")
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    webhook, _ = webhooks.webhook_create(workspace=world.alice.workspace, user=world.alice.user,
                                         url="http://127.0.0.1:9/hook", events=["query_completed"])
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    world.alice_ids.add(str(webhook.pk))
    versions = client.get("/api/v1/metadata/versions").json()["results"]
    world.parameters = {
        "table_name": "customers", "column_name": "email", "token": link["token"], "user_id": str(carol.pk),
        "session_id": session["id"], "query_id": run["id"],
        "version_id": versions[0]["id"] if versions else None,
        "job_id@/api/v1/exports": export["job_id"], "job_id@/api/v1/metadata": guess["job_id"],
        "user_id@/api/v1/user-prompts": str(world.alice.user.pk),
        "query_id@/api/v1/queries/cancel": run["id"],
    }
    # An `{id}` is the first object of the collection the path names (as Alice lists it).
    collections = {}
    for name in ("access-policies", "ai-providers", "api-keys", "audit-logs", "chat/sessions", "databases",
                 "documents", "jobs", "projects", "queries", "saved-queries", "schedules", "share-links",
                 "system-prompts", "team/invitations", "templates", "user-prompts", "webhooks", "workspaces"):
        body = client.get(f"/api/v1/{name}").json()
        items = body["results"] if isinstance(body, dict) else body
        if items:
            collections[f"/api/v1/{name}"] = str(items[0]["id"])
    collections["/api/v1/users"] = collections["/api/v1/admin/users"] = str(world.alice.user.pk)
    # Operations on /databases/{id} get a copy, so that the source everything else queries keeps
    # working when the fuzzer points that one at a host that does not exist.
    collections["/api/v1/databases"] = post("databases", {"name": "Scratch", "engine": "sqlite",
                                                          "database": "shop.sqlite3"})["id"]
    world.collections = collections


@pytest.fixture
def world(make_user, settings, tmp_path, api_client, django_capture_on_commit_callbacks) -> World:
    settings.RATE_LIMITS = {tier: "none" for tier in settings.RATE_LIMITS}
    settings.DATA_SOURCE_FILES_DIR = tmp_path / "sources"
    tenants = []
    for name in ("alice", "bob"):
        user = make_user(email=f"{name}@example.com", name=name.title())
        workspace = user.memberships.get().workspace
        tenants.append(Tenant(user, workspace, login(api_client, user.email)["access_token"]))
    alice, bob = tenants
    databases = [_source(tenant, api_client, django_capture_on_commit_callbacks) for tenant in tenants]
    # Carol is an analyst in Alice's workspace: a member to manage, and someone to share with.
    carol = make_user(email="carol@example.com", name="Carol")
    Membership.objects.create(workspace=alice.workspace, user=carol, role=Role.ANALYST)
    world = World(alice, bob, carol=carol)
    world.alice_ids = {str(alice.user.pk), str(alice.workspace.pk), str(carol.pk)}
    with django_capture_on_commit_callbacks(execute=False):
        _seed(world, api_client, databases[0], settings)
    return world


@pytest.fixture
def app() -> Iterator[Any]:
    """The WSGI application inside the test's transaction, one savepoint per request.

    As in production, where each request is its own transaction, a request that fails in the
    database (PostgreSQL then refuses every further statement of the transaction) must not take
    the following ones down with it. Connections stay open across requests, as with Django's
    test client.
    """
    handler = WSGIHandler()

    def application(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        savepoint = transaction.savepoint()
        result = handler(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        try:
            transaction.savepoint_commit(savepoint)
        except DatabaseError:
            transaction.savepoint_rollback(savepoint)
        return [body]

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def schema(app: Any) -> Any:
    loaded = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)
    return loaded.exclude(path_regex=EXCLUDED.pattern)


def _owner_lookups() -> list[tuple[Any, str, str]]:
    """For each model with a UUID key: the lookup from it to its workspace, and to its user.

    Found by following foreign keys (three at most), so that a column is Alice's because its
    table's data source is in her workspace.
    """
    from django.apps import apps
    from django.db import models

    from accounts.models import User
    from teams.models import Workspace

    def path_to(model: Any, target: Any, depth: int = 3) -> str | None:
        if depth == 0:
            return None
        forward = [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]
        for f in forward:
            if f.related_model is target:
                return f.name
        for f in forward:
            if f.related_model not in (model, User, Workspace):
                rest = path_to(f.related_model, target, depth - 1)
                if rest:
                    return f"{f.name}__{rest}"
        return None

    lookups = []
    for model in apps.get_models():
        if not isinstance(model._meta.pk, models.UUIDField):
            continue
        names = {f.name for f in model._meta.concrete_fields}
        workspace = "pk" if model is Workspace else path_to(model, Workspace) or (
            "workspace_id" if "workspace_id" in names else "")
        user = "pk" if model is User else path_to(model, User) or ""
        if workspace or user:
            lookups.append((model, workspace, user))
    return lookups


OWNER_LOOKUPS: list[tuple[Any, str, str]] = []


def alice_owned(world: World, candidates: set[str]) -> set[str]:
    """Those of `candidates` that are keys of Alice's objects: in her workspace, or hers alone."""
    from django.db.models import Q

    from teams.models import Membership

    if not candidates:
        return set()
    if not OWNER_LOOKUPS:
        OWNER_LOOKUPS.extend(_owner_lookups())
    # Her workspaces that Bob is not in (she may create more during the run).
    workspaces = list(Membership.objects.filter(user=world.alice.user).exclude(
        workspace__in=Membership.objects.filter(user=world.bob.user).values("workspace")).values_list(
        "workspace", flat=True))
    owned: set[str] = set()
    for model, workspace, user in OWNER_LOOKUPS:
        mine = Q()
        if workspace:
            mine |= Q(**{f"{workspace}__in": workspaces})
        if user:
            mine |= Q(**{user: world.alice.user.pk})
        owned |= {str(pk) for pk in model._base_manager.filter(mine, pk__in=candidates).values_list("pk", flat=True)}
    return owned


def _leaks(world: World, sent: str, body: str) -> set[str]:
    """Alice's objects (or email) in a response to Bob, beyond what Bob sent himself."""
    found = alice_owned(world, (_ids_in(body) & world.alice_ids) - _ids_in(sent))
    if world.alice.user.email in body and world.alice.user.email not in sent:
        found.add(world.alice.user.email)
    return found


def bob_replays(world: World, case: Any) -> None:
    """Bob sends Alice's request, in her workspace and in his own: nothing of hers comes back,
    nothing of hers is touched, and there is no trace of him acting in her workspace."""
    from auditing.models import AuditEvent

    sent = json.dumps([case.path_parameters, case.query, case.body], default=str)
    touches_alice = bool(alice_owned(world, _ids_in(sent) & world.alice_ids))
    for workspace in (world.alice.workspace, world.bob.workspace):
        replay = case.call(headers=world.bob.headers(workspace))
        where = "in Alice's workspace" if workspace is world.alice.workspace else "in his own workspace"
        if is_server_error(replay):
            raise AssertionError(f"Bob's replay {where}: server error {replay.status_code}")
        leaked = _leaks(world, sent, _text(replay))
        if leaked:
            raise AssertionError(f"Bob's replay {where} returned Alice's data {sorted(leaked)}: "
                                 f"{replay.status_code} {_text(replay)[:300]}")
        if touches_alice and replay.status_code < 400:
            raise AssertionError(f"Bob's replay {where} succeeded on Alice's object: "
                                 f"{replay.status_code} {_text(replay)[:300]}")
        trace = AuditEvent.objects.filter(actor_id=world.bob.user.pk, workspace_id=world.alice.workspace.pk)
        if trace.exists():
            raise AssertionError(f"Bob's replay {where} acted in Alice's workspace: "
                                 f"{list(trace.values_list('action', flat=True))}")


def make_replay_check(world: World) -> Any:
    def cross_tenant_replay(ctx: Any, response: Any, case: Any) -> None:
        """After each of Alice's calls, Bob replays it (a DELETE he replays before, in `call`)."""
        if 200 <= response.status_code < 300:
            world.alice_ids |= _ids_in(_text(response))
        if not PUBLIC.search(case.operation.path) and case.method.upper() != "DELETE":
            bob_replays(world, case)

    return cross_tenant_replay


def call(world: World, case: Any) -> Any:
    """Alice's call: her bearer token in her workspace, and no generated API key competing with it.
    Bob replays a DELETE first, while there is still something to delete."""
    headers = {name: value for name, value in (case.headers or {}).items() if name.lower() != "x-api-key"}
    case.headers = {**headers, **world.alice.headers()}
    if case.method.upper() == "DELETE" and not PUBLIC.search(case.operation.path):
        bob_replays(world, case)
    return case.call(headers=world.alice.headers())


def known_path(world: World, operation: Any) -> dict[str, Any] | None:
    """Path parameters naming Alice's seeded objects, when every one of them is known."""
    values = {}
    for parameter in operation.path_parameters:
        name = parameter.name
        scoped = [value for key, value in world.parameters.items()
                  if key.startswith(f"{name}@") and operation.path.startswith(key.split("@", 1)[1])]
        if scoped:
            value = scoped[-1]
        elif name == "id":
            value = world.collections.get(operation.path.split("/{id}")[0])
        else:
            value = world.parameters.get(name)
        if value is None:
            return None
        values[name] = value
    return values


SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def test_every_operation_as_alice_holds_to_the_schema_and_bob_gets_nothing(world, schema):
    """Each operation with generated input, valid and invalid; operations on `{id}` paths also on
    Alice's real objects. Deletions go last, so that the objects are there for everything else."""
    check = make_replay_check(world)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 150
    operations.sort(key=lambda operation: operation.method.upper() == "DELETE")
    failures: list[str] = []
    for operation in operations:
        path = known_path(world, operation) if operation.path_parameters else None
        for parameters in ([None, path] if path else [None]):
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=parameters)

                @SETTINGS
                @hypothesis.given(case=strategy)
                def run(case: Any) -> None:
                    case.validate_response(call(world, case), checks=CHECKS, additional_checks=[check])

                try:
                    run()
                except hypothesis.errors.Unsatisfiable:
                    continue
                except (Exception, FailureGroup) as exc:  # collect them all, then fail once with the list
                    where = "Alice's objects" if parameters else "generated"
                    failures.append(f"{operation.label} [{mode.value}, {where}]: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)


def test_stateful_chains_as_alice_hold_to_the_schema_and_bob_gets_nothing(world, schema):
    """Per family of endpoints (/projects, /saved-queries, ...), chains along the links schemathesis
    infers: what one call creates, the next reads, changes or deletes; Bob replays every step."""
    check = make_replay_check(world)
    stateful = schema.exclude(path_regex=NOT_STATEFUL.pattern)
    families = sorted({result.ok().path.split("/")[3] for result in stateful.get_all_operations()})
    failures: list[str] = []
    chained = []
    for family in families:
        try:
            machine = stateful.include(path_regex=f"^/api/v1/{family}(/|$)").as_state_machine()
            machine()  # raises when the family has no links to follow
        except NoLinksFound:
            continue
        chained.append(family)

        class Machine(machine):  # type: ignore[misc, valid-type]
            def call(self, case: Any, **kwargs: Any) -> Any:
                return call(world, case)

            def validate_response(self, response: Any, case: Any, additional_checks: Any = None,
                                  **kwargs: Any) -> None:
                case.validate_response(response, checks=CHECKS, additional_checks=[check])

        try:
            Machine.run(settings=hypothesis.settings(SETTINGS, max_examples=SCENARIOS, stateful_step_count=STEPS))
        except (Exception, FailureGroup) as exc:
            failures.append(f"{family}: {str(exc)[:3000]}")
    assert len(chained) > 10, chained
    assert not failures, "\n\n".join(failures)


def test_the_replay_check_catches_a_leak(world, schema, monkeypatch):
    """The check itself: with the workspace scope switched off, Bob reading Alice's project fails it."""
    from core.views import WorkspaceScopedViewSet

    project = world.collections["/api/v1/projects"]
    case = schema["/api/v1/projects/{id}"]["GET"].Case(path_parameters={"id": project})
    bob_replays(world, case)  # scoped: Bob gets a 404 and nothing of Alice's
    monkeypatch.setattr(WorkspaceScopedViewSet, "get_queryset", lambda self: self.queryset.all())
    with pytest.raises(AssertionError, match="returned Alice's data"):
        bob_replays(world, case)
