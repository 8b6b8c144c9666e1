"""Serve the ASGI app (HTTP + WebSocket) and a Celery worker (with beat) together.

`make run` calls this. Ctrl-C (or SIGTERM) stops both; if either exits, the other is stopped.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

# glibc malloc, tuned for a server (bench/load.py measured both):
# * MALLOC_ARENA_MAX: glibc gives every thread its own arena; daphne runs each request in a thread, and
#   the fragmentation grew a server by a third in ten minutes under load. Two arenas keep it flat.
# * MALLOC_MMAP_THRESHOLD_: glibc raises its mmap threshold each time a large block is freed, so after
#   the first sign-in argon2's 19 MiB working memory comes from the heap, where it stays: the server's
#   memory rose in 19 MiB steps with overlapping sign-ins. Fixing the threshold at glibc's default
#   (128 KiB) keeps large blocks mapped and returned to the system when freed.
MALLOC_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "131072"}


class Command(BaseCommand):
    help = "Run daphne (ASGI) and a Celery worker with beat, until interrupted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--no-worker", action="store_true", help="Serve HTTP/WebSocket only.")

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        commands = [[python, "-m", "daphne", "-b", options["host"], "-p", str(options["port"]), "config.asgi:application"]]
        if not options["no_worker"]:
            commands.append([
                python, "-m", "celery", "-A", "config", "worker", "--beat",
                "-Q", ",".join(settings.CELERY_TASK_QUEUES_NAMES), "--loglevel", "INFO",
                "--concurrency", os.environ.get("WORKER_CONCURRENCY", "2"),
                "-s", str(settings.DATA_DIR / "celerybeat-schedule"),
            ])
        environment = {**MALLOC_ENVIRONMENT, **os.environ}
        processes = [subprocess.Popen(cmd, env=environment) for cmd in commands]
        self.stdout.write(self.style.SUCCESS(
            f"InsightEngine on http://{options['host']}:{options['port']}/  "
            f"(API docs: /api/docs/, admin: /admin/). Ctrl-C stops."))

        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in processes):
                time.sleep(0.3)
        finally:
            for p in processes:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for p in processes:
                try:
                    p.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()
        failed = [p.returncode for p in processes if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stopping:
            raise SystemExit(1)
