import pytest

from core.db import insert_rows
from core.models import Job

pytestmark = pytest.mark.django_db


def test_insert_rows_fills_defaults_timestamps_and_ids_like_the_orm(user):
    workspace = user.memberships.get().workspace
    inserted = insert_rows(Job, [{"workspace_id": workspace.pk, "kind": "a", "params": {"x": [1, 2]}},
                                 {"workspace_id": workspace.pk, "kind": "b", "created_by_id": user.pk}])
    assert inserted == 2
    a, b = Job.objects.get(kind="a"), Job.objects.get(kind="b")
    assert a.params == {"x": [1, 2]} and a.status == "queued" and a.progress == 0 and a.result is None
    assert a.created_at is not None and a.updated_at is not None and a.pk != b.pk
    assert b.created_by == user and b.params == {}
    assert insert_rows(Job, []) == 0
