"""Fault injection for worker processes started by test_faults (imported with `celery worker -I`).

FAULTS_HANG_AT_PROGRESS=N: once a job reports progress >= N, the worker hangs there (as a worker
stuck in a long sync would), so that the test can kill it at a known point mid-way.
"""
import os
import time

from core import services

_hang_at = os.environ.get("FAULTS_HANG_AT_PROGRESS")
if _hang_at:
    _original = services.job_progress

    def job_progress(job, progress, message=""):  # type: ignore[no-untyped-def]
        _original(job, progress, message)
        if progress >= int(_hang_at):
            time.sleep(600)

    services.job_progress = job_progress
