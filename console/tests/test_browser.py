"""End to end in a real browser (Debian's chromium driven by Playwright) against a real server:
daphne + the embedded worker on a temporary SQLite database with the seeded demo warehouse.

Each test saves a screenshot under var/test-artifacts/ and fails on any JavaScript console error
(which includes Content-Security-Policy violations) or failed request.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

pytestmark = pytest.mark.browser

ROOT = Path(settings.BASE_DIR)
ARTIFACTS = ROOT / "var" / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ANALYST = ("analyst@insightengine.local", "insight-analyst-2024")
ADMIN = ("admin@insightengine.local", "insight-admin-2024")


def _playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("[browser] playwright is not installed (pip install -r requirements-dev.txt)", pytrace=False)
        pytest.skip("[browser] no chromium driver: playwright is not installed")
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    workdir = tempfile.mkdtemp(prefix="ie-browser-")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(DJANGO_SETTINGS_MODULE=os.environ.get("E2E_SETTINGS_MODULE", "config.settings"), DATA_DIR=workdir,
               DEMO_WAREHOUSE_ORDERS="1500", LOG_LEVEL="WARNING", WORKER_CONCURRENCY="1")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=180)
    subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=180)
    port = _free_port()
    log_path = Path(workdir) / "serve.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen([*manage, "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/api/v1/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("the server did not come up: " + log_path.read_text()[-2000:])
        try:
            urllib.request.urlopen(base + "/static/vendor/vega-embed/vega-embed.min.js", timeout=5)
        except OSError:
            pytest.fail("the console's front-end libraries are not served: run `npm ci` and add "
                        "console.vendor.VENDOR_STATICFILES_DIRS to STATICFILES_DIRS")
        yield base
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _playwright()
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield instance
        instance.close()


class Page:
    """A fresh browser context with a page that records console errors and failed requests."""

    def __init__(self, browser: Any, base: str, name: str, width: int = 1280) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.base, self.name, self.problems = base, name, []
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("response", lambda r: self.problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)

    def sign_in(self, account: tuple[str, str], path: str = "/console/") -> None:
        self.page.goto(self.base + path)
        self.page.get_by_label("Email or username").fill(account[0])
        self.page.get_by_label("Password").fill(account[1])
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_selector("header.topbar")

    def finish(self) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}.png"), full_page=True)
        self.context.close()
        assert self.problems == [], self.problems


def test_ask_in_chat_and_see_the_table_and_chart(browser: Any, server: str) -> None:
    ui = Page(browser, server, "chat-question")
    ui.sign_in(ANALYST)
    page = ui.page
    assert page.url.endswith("/console/chat/")
    page.get_by_label("Title").fill("Customers")
    page.get_by_role("button", name="Start a conversation").click()
    page.wait_for_selector("#connection.ok")
    page.get_by_label("Your question").fill("How many customers are there?")
    page.get_by_role("button", name="Ask").click()
    page.wait_for_selector(".turn .result-table table")
    page.wait_for_selector(".turn .chart .big-number")
    assert "5,000" in page.inner_text(".turn .answer")
    assert page.inner_text(".turn .chart .big-number") == "5,000"
    assert "customers" in page.inner_text(".turn pre.sql").lower()
    page.get_by_text("Show reasoning").click()
    assert "Confidence" in page.inner_text(".turn details.reasoning")

    # A chart drawn by Vega-Lite (on a canvas) for a series, under the strict CSP.
    page.get_by_label("Your question").fill("Revenue by month")
    page.get_by_role("button", name="Ask").click()
    page.wait_for_selector(".turn:nth-of-type(2) .chart canvas")
    page.wait_for_selector(".turn:nth-of-type(2) .result-table table")
    ui.finish()


def test_run_and_cancel_a_query_in_the_editor(browser: Any, server: str) -> None:
    ui = Page(browser, server, "editor-run-cancel", width=1024)
    ui.sign_in(ANALYST, "/console/editor/")
    page = ui.page
    page.wait_for_selector("#schema details")
    assert "Customers" in page.inner_text("#schema")  # the dictionary's alias

    page.get_by_label("SQL", exact=True).fill("SELECT nme FROM customers")
    page.get_by_role("button", name="Validate").click()
    page.wait_for_selector("#issues li.error")
    assert 'Unknown column "nme"' in page.inner_text("#issues")

    page.get_by_label("SQL", exact=True).fill("SELECT count(*) FROM orders o1, orders o2, orders o3")
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("#cancel:not([disabled])")
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_selector("text=The query was cancelled")

    page.get_by_label("SQL", exact=True).fill("SELECT city, count(*) AS n FROM customers GROUP BY city ORDER BY n DESC")
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("#result table")
    assert "Done:" in page.inner_text("#run-status")
    page.wait_for_selector("#history li .badge:text('cancelled')")
    ui.finish()


def test_sync_a_data_source_with_progress_to_100(browser: Any, server: str) -> None:
    ui = Page(browser, server, "source-sync")
    ui.sign_in(ADMIN, "/console/sources/")
    page = ui.page
    row = page.locator("#source-list li", has_text="Demo retail warehouse")
    row.get_by_role("button", name="Sync schema").click()
    page.wait_for_selector("text=Synced 100%", timeout=90_000)
    assert row.locator("progress").get_attribute("value") == "100"
    ui.finish()


def test_viewer_does_not_see_admin_pages(browser: Any, server: str) -> None:
    ui = Page(browser, server, "analyst-no-admin")
    ui.sign_in(ANALYST)
    assert ui.page.locator("nav >> text=Members").count() == 0
    response = ui.page.goto(server + "/console/admin/members/")
    assert response.status == 403
    # The expected 403 of that page (reported twice: as a response and by the console).
    ui.problems = [p for p in ui.problems if "/console/admin/members/" not in p and "status of 403" not in p]
    ui.finish()
