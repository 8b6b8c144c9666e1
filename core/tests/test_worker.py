"""A real Celery worker process, on Redis, against the test database (PostgreSQL)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from core import services
from core.models import Job

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def worker():
    db = connection.settings_dict
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL=settings.REDIS_URL,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-I", "core.tests.worker_tasks",
         "-Q", "interactive,queries,long_running", "--pool", "solo", "--loglevel", "WARNING", "-n", f"test-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    celery_app.conf.task_always_eager = False
    try:
        yield process
    finally:
        celery_app.conf.task_always_eager = True
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(predicate, timeout=45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_real_worker_runs_a_job_to_completion_and_reports_progress(worker, user):
    workspace = user.memberships.get().workspace
    job = services.job_create(workspace=workspace, user=user, kind="count")
    from core.tests.worker_tasks import count_to

    count_to.apply_async(args=[str(job.pk), 5], queue="long_running")
    finished = wait_for(lambda: Job.objects.get(pk=job.pk).status == Job.Status.SUCCEEDED)
    if not finished:
        worker.kill()
        pytest.fail(f"worker did not finish the job; its output:\n{worker.stdout.read()[-3000:]}")
    job.refresh_from_db()
    assert job.progress == 100 and job.result == {"counted": 5} and job.attempts == 1
    assert job.celery_task_id


def test_a_real_worker_sends_the_invitation_email(worker, user, make_user):
    from teams.models import Invitation
    from teams.services import member_invite

    workspace = user.memberships.get().workspace
    invitation, _ = member_invite(workspace=workspace, by=user, actor_membership=user.memberships.get(),
                                  email="friend@example.com", role="analyst")
    # on_commit fires at once under transaction=True tests; the worker picks the message up.
    assert wait_for(lambda: Invitation.objects.get(pk=invitation.pk).email_sent_at is not None), \
        "the worker did not send the invitation"


@pytest.mark.pg_server
def test_an_async_query_runs_on_the_queries_queue_of_a_real_worker(worker, user, postgres_source):
    from metadata.models import DataSource
    from metadata.services import data_source_create
    from queries.models import QueryRun
    from queries.services import query_execute

    membership = user.memberships.get()
    ds = data_source_create(workspace=membership.workspace, user=user,
                            data={**{k: v for k, v in postgres_source.items()}, "name": "pg"})
    run = query_execute(workspace=membership.workspace, user=user, membership=membership,
                        ds=DataSource.objects.get(pk=ds.pk), sql="SELECT count(*) AS n FROM customers", run_async=True)
    assert run.status == "pending"
    assert wait_for(lambda: QueryRun.objects.get(pk=run.pk).status == "completed"), \
        QueryRun.objects.get(pk=run.pk).error_message
    run.refresh_from_db()
    assert run.preview == [[2]] and run.celery_task_id
