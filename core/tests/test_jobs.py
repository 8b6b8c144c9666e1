"""The Job life cycle, read over REST."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import assert_error
from core import services
from core.models import Job
from core.tasks import reap_stale_jobs
from teams.tests.factories import make_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def workspace(user):
    return user.memberships.get().workspace


def test_progress_is_visible_over_rest(auth_client, user, workspace):
    job = services.job_create(workspace=workspace, user=user, kind="schema_sync")
    assert auth_client.get(f"/api/v1/jobs/{job.pk}").json()["status"] == "queued"
    running = services.job_start(job.pk, task_id="t-1")
    services.job_progress(running, 40, "Reading columns of orders")
    body = auth_client.get(f"/api/v1/jobs/{job.pk}").json()
    assert (body["status"], body["progress"], body["message"]) == ("running", 40, "Reading columns of orders")
    assert body["attempts"] == 1
    services.job_succeed(running, {"tables": 12})
    body = auth_client.get(f"/api/v1/jobs/{job.pk}").json()
    assert body["status"] == "succeeded" and body["progress"] == 100 and body["result"] == {"tables": 12}
    assert body["finished_at"] is not None


def test_job_list_filters_by_status(auth_client, user, workspace):
    services.job_create(workspace=workspace, user=user, kind="export")
    done = services.job_start(services.job_create(workspace=workspace, user=user, kind="export").pk)
    services.job_fail(done, "disk full")
    listing = auth_client.get("/api/v1/jobs", {"status": "failed"}).json()
    assert listing["count"] == 1 and listing["results"][0]["error"] == "disk full"
    assert_error(auth_client.get("/api/v1/jobs", {"status": "bogus"}), 400, "VALIDATION_ERROR")


def test_another_workspaces_job_is_404(auth_client, make_user):
    stranger = make_user()
    job = services.job_create(workspace=stranger.memberships.get().workspace, user=stranger, kind="export")
    assert_error(auth_client.get(f"/api/v1/jobs/{job.pk}"), 404, "NOT_FOUND")
    assert_error(auth_client.post(f"/api/v1/jobs/{job.pk}/cancel"), 404, "NOT_FOUND")


def test_members_see_their_own_jobs_admins_see_all(user, make_user, client_for):
    owner = make_user()
    shared = make_workspace(owner, members={user: "analyst"})
    owners_job = services.job_create(workspace=shared, user=owner, kind="export")
    mine = services.job_create(workspace=shared, user=user, kind="export")
    analyst = client_for(user, workspace=shared)
    assert [j["id"] for j in analyst.get("/api/v1/jobs").json()["results"]] == [str(mine.pk)]
    assert_error(analyst.get(f"/api/v1/jobs/{owners_job.pk}"), 404)
    assert client_for(owner, workspace=shared).get("/api/v1/jobs").json()["count"] == 2


def test_cancel_stops_the_task_at_its_next_progress_report(auth_client, user, workspace):
    job = services.job_start(services.job_create(workspace=workspace, user=user, kind="export").pk)
    response = auth_client.post(f"/api/v1/jobs/{job.pk}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    with pytest.raises(services.JobCancelled):
        services.job_progress(job, 50)
    # A late success report does not resurrect it, and a redelivered message does not restart it.
    assert services.job_succeed(job).status == "cancelled"
    assert services.job_start(job.pk) is None
    assert_error(auth_client.post(f"/api/v1/jobs/{job.pk}/cancel"), 409, "JOB_FINISHED")


def test_viewer_cannot_cancel(user, make_user, client_for):
    owner = make_user()
    shared = make_workspace(owner, members={user: "viewer"})
    job = services.job_create(workspace=shared, user=user, kind="export")
    assert_error(client_for(user, workspace=shared).post(f"/api/v1/jobs/{job.pk}/cancel"), 403, "PERMISSION_DENIED")
    job.refresh_from_db()
    assert job.status == "queued"


def test_reaper_fails_jobs_whose_worker_went_silent(user, workspace, settings):
    stale = services.job_start(services.job_create(workspace=workspace, user=user, kind="sync").pk)
    fresh = services.job_start(services.job_create(workspace=workspace, user=user, kind="sync").pk)
    Job.objects.filter(pk=stale.pk).update(heartbeat_at=timezone.now() - settings.JOB_STALE_AFTER - timedelta(seconds=1))
    assert reap_stale_jobs() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == "failed" and "stopped reporting" in stale.error
    assert fresh.status == "running"


def test_progress_is_clamped_and_enqueue_waits_for_commit(user, workspace, django_capture_on_commit_callbacks):
    job = services.job_start(services.job_create(workspace=workspace, user=user, kind="x").pk)
    services.job_progress(job, 250)
    job.refresh_from_db()
    assert job.progress == 100

    class FakeResult:
        id = "task-42"

    sent = []

    class Task:
        @staticmethod
        def apply_async(args, **options):
            sent.append((args, options))
            return FakeResult()

    queued = services.job_create(workspace=workspace, user=user, kind="y")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.job_enqueue(queued, Task, queue="long_running")
    assert sent == [] and len(callbacks) == 1
    callbacks[0]()
    assert sent == [([str(queued.pk)], {"queue": "long_running"})]
    queued.refresh_from_db()
    assert queued.celery_task_id == "task-42"
