"""End to end in a real browser (Debian's chromium driven by Playwright) against a real server:
daphne + the embedded worker on a temporary SQLite database with the seeded demo warehouse.

Each test saves a screenshot under var/test-artifacts/ and fails on any JavaScript console error
(which includes Content-Security-Policy violations) or failed request.
"""
from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
def workdir() -> str:
    """The server's DATA_DIR: its SQLite database, broker and data-source files."""
    return tempfile.mkdtemp(prefix="ie-browser-")


@pytest.fixture(scope="module")
def server(workdir: str) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(DJANGO_SETTINGS_MODULE=os.environ.get("E2E_SETTINGS_MODULE", "config.settings"), DATA_DIR=workdir,
               DEMO_WAREHOUSE_ORDERS="1500", LOG_LEVEL="WARNING", WORKER_CONCURRENCY="1",
               # The webhook test fires at a receiver on this machine.
               WEBHOOK_ALLOW_PRIVATE_NETWORKS="1")
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
    # What can be done with the answer: save it as a query, share it, export it.
    actions = page.locator(".turn").first.locator(".turn-actions")
    for label in ("Save as query", "Share link", "Export"):
        actions.locator("summary", has_text=label).wait_for()
    actions.locator("summary", has_text="Save as query").click()
    assert actions.get_by_label("Title").input_value() == "How many customers are there?"
    actions.get_by_role("button", name="Save query").click()
    actions.get_by_role("link", name="Open in Saved queries").wait_for()

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


# --- data sources, dictionary, library, sharing, operations ----------------------------------------

def _supplier_file(workdir: str, workspace_id: str, name: str) -> None:
    """A small SQLite database in the workspace's data-source folder (where the API allows files)."""
    folder = Path(workdir) / "datasources" / workspace_id
    folder.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(folder / name)
    connection.executescript(
        "CREATE TABLE suppliers (supplier_id INTEGER PRIMARY KEY, supplier_name TEXT NOT NULL, contact_email TEXT,"
        " country_code TEXT, created_at TEXT);"
        "CREATE TABLE deliveries (delivery_id INTEGER PRIMARY KEY, supplier_id INTEGER REFERENCES suppliers,"
        " delivered_on TEXT, amount_eur REAL);")
    connection.executemany("INSERT INTO suppliers VALUES (?, ?, ?, ?, ?)", [
        (i, f"Supplier {i}", f"buyer{i}@supplier{i}.example", ["DE", "FR", "IT"][i % 3], f"2024-01-{i % 28 + 1:02d}")
        for i in range(1, 41)])
    connection.executemany("INSERT INTO deliveries VALUES (?, ?, ?, ?)", [
        (i, i % 40 + 1, f"2024-03-{i % 28 + 1:02d}", 100.0 + i) for i in range(1, 201)])
    connection.commit()
    connection.close()


def test_add_a_new_file_data_source_and_watch_its_sync_reach_100(browser: Any, server: str, workdir: str) -> None:
    ui = Page(browser, server, "source-add-sync")
    ui.sign_in(ADMIN, "/console/sources/")
    page = ui.page
    _supplier_file(workdir, page.get_attribute("body", "data-workspace-id"), "suppliers.sqlite3")
    page.get_by_label("Name", exact=True).fill("Supplier ledger")
    page.get_by_label("Engine").select_option("sqlite")
    assert page.locator("#ds-host").is_hidden()  # server fields only for server engines
    page.locator("#ds-database").fill("suppliers.sqlite3")
    page.get_by_role("button", name="Add and test").click()
    row = page.locator("#source-list li", has_text="Supplier ledger")
    row.get_by_text("✔ Connected").wait_for()  # the new source is tested straight away
    row.get_by_role("button", name="Sync schema").click()
    row.get_by_text("Synced 100%").wait_for(timeout=90_000)
    assert row.locator("progress").get_attribute("value") == "100"
    assert "2 tables" in row.inner_text()
    ui.finish()


def test_auto_guess_suggestion_is_approved_and_applied(browser: Any, server: str, workdir: str) -> None:
    ui = Page(browser, server, "dictionary-auto-guess")
    ui.sign_in(ADMIN, "/console/sources/")
    page = ui.page
    _supplier_file(workdir, page.get_attribute("body", "data-workspace-id"), "guess.sqlite3")
    source_id = page.evaluate("""async () => {
        const ds = await IE.api("POST", "/databases", {name: "Guess ledger", engine: "sqlite", database: "guess.sqlite3"});
        const started = await IE.api("POST", "/databases/" + ds.id + "/sync-schema");
        await IE.waitForJob(started.job_id, () => {});
        return ds.id;
    }""")
    page.goto(f"{server}/console/sources/{source_id}/dictionary/")
    page.wait_for_selector("#tables details")
    page.get_by_role("button", name="Suggest descriptions").click()
    approve = page.locator("#suggestions button", has_text="Approve").nth(1)  # the first is "Approve all"
    approve.wait_for(timeout=90_000)
    first = page.locator("#suggestions .side-by-side > div").nth(0).inner_text()
    suggested = page.locator("#suggestions .side-by-side > div").nth(1).locator("div").first.inner_text()
    target, kind = (part.strip() for part in first.split("\n")[0].split("·"))
    buttons = page.locator("#suggestions button").count()
    approve.click()
    # Decided: one suggestion fewer to review, and the dictionary shows the new value once it has reloaded
    # (the reload runs after the decision answers: wait for the value, never read the old form once).
    page.wait_for_function("n => document.querySelectorAll('#suggestions button').length < n", arg=buttons)
    table, _, column = target.partition(".")
    box = page.locator("#tables > details", has_text=table).first
    if column:
        form = box.locator("details", has_text=column).first.locator("form")
    else:
        form = box.locator("form").first
    field = form.locator(f"[name={kind}]")
    def shown() -> bool:
        value = field.input_value()
        if kind in ("alias", "description"):
            return value == suggested
        return all(part.strip() in value for part in suggested.split(","))

    deadline = time.monotonic() + 30
    while not shown():
        assert time.monotonic() < deadline, f"the dictionary never showed {suggested!r} for {target} · {kind}"
        page.wait_for_timeout(100)
    ui.finish()


def test_share_a_result_with_a_password_and_open_it_in_a_fresh_browser(browser: Any, server: str) -> None:
    ui = Page(browser, server, "share-link-create")
    ui.sign_in(ANALYST, "/console/editor/")
    page = ui.page
    page.wait_for_selector("#schema details")
    page.get_by_label("SQL", exact=True).fill("SELECT city, count(*) AS n FROM customers GROUP BY city ORDER BY n DESC")
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("#result table")
    first_city = page.inner_text("#result tbody tr:first-child td:first-child")

    # Exports: a small one downloads at once; a background one shows progress, then a download.
    page.locator("#result-actions summary", has_text="Export").click()
    with page.expect_download() as small:
        page.get_by_role("button", name="Export", exact=True).click()
    assert small.value.suggested_filename.endswith(".csv")
    page.get_by_label("Format").select_option("json")
    page.get_by_label("Prepare in the background").check()
    page.get_by_role("button", name="Export", exact=True).click()
    page.get_by_text("The export is ready").wait_for(timeout=60_000)
    with page.expect_download() as big:
        page.locator("#result-actions button", has_text="Download").click()
    assert big.value.suggested_filename.endswith(".json")

    page.locator("#result-actions summary", has_text="Share link").click()
    page.get_by_label("Expires after (days)").fill("2")
    page.get_by_label("Password").fill("open sesame 42")
    page.get_by_role("button", name="Create share link").click()
    url = page.locator("input.share-url").input_value()
    assert url.startswith(server + "/share/")
    ui.finish()

    visitor = Page(browser, server, "share-link-open")
    response = visitor.page.goto(url)
    assert response.status == 401
    visitor.problems = [p for p in visitor.problems if "401" not in p]  # the expected prompt
    visitor.page.get_by_role("heading", name="This result is protected").wait_for()
    assert first_city not in visitor.page.inner_text("main")
    visitor.page.get_by_label("Password").fill("open sesame 42")
    visitor.page.get_by_role("button", name="Open").click()
    visitor.page.get_by_role("heading", name="Result", exact=True).wait_for()
    assert first_city in visitor.page.inner_text("main")
    assert "GROUP BY" in visitor.page.inner_text("pre.sql")
    visitor.finish()


def test_saved_query_with_a_parameter_runs_from_the_saved_queries_page(browser: Any, server: str) -> None:
    ui = Page(browser, server, "saved-query-parameters")
    ui.sign_in(ANALYST, "/console/templates/")
    page = ui.page
    # A template with a parameter, cloned into a saved query.
    page.get_by_role("button", name="Top customers by revenue").click()
    page.get_by_label("Title").fill("My top customers")
    page.get_by_role("button", name="Clone").click()
    page.get_by_role("link", name="Open it to run").click()
    page.get_by_role("heading", name="My top customers").wait_for()
    page.get_by_label("How many").fill("3")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_selector("#sq-result table")
    assert page.locator("#sq-result tbody tr").count() == 3

    # A new saved query with a typed parameter defined in the form, tagged, then found by its tag.
    page.get_by_role("button", name="New saved query").click()
    page.get_by_label("Title").fill("Customers up to an id")
    page.locator("#sqe-sql").fill(
        "SELECT customer_id, first_name FROM customers WHERE customer_id <= {{max_id}} ORDER BY customer_id")
    page.locator("#sqe-p-max_id-type").select_option("number")
    page.locator("#sqe-p-max_id-label").fill("Largest id")
    page.locator("#sqe-p-max_id-default").fill("5")
    page.locator("#sqe-tags").fill("browser-test")
    page.get_by_role("button", name="Save query").click()
    page.get_by_role("heading", name="Customers up to an id").wait_for()
    assert page.get_by_label("Largest id").input_value() == "5"
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_selector("#sq-result table")
    assert page.locator("#sq-result tbody tr").count() == 5
    page.get_by_label("Largest id").fill("2")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_function("() => document.querySelectorAll('#sq-result tbody tr').length === 2")

    page.locator("#sq-tags button", has_text="browser-test").click()
    page.wait_for_function("() => document.querySelectorAll('#sq-list li').length === 1")
    assert "Customers up to an id" in page.inner_text("#sq-list")

    # Shared with the workspace admin, read-only.
    page.get_by_text("Share with members").click()
    page.get_by_label("Member").select_option(label="Demo Admin — admin@insightengine.local (owner)")
    page.get_by_role("button", name="Share", exact=True).click()
    page.locator("#sq-shared-with", has_text="admin@insightengine.local").wait_for()
    ui.finish()


class _Receiver(BaseHTTPRequestHandler):
    received: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 (the http.server API)
        self.received.append(self.headers.get("X-InsightEngine-Event", ""))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"thanks")

    def log_message(self, *args: Any) -> None:
        pass


def test_admin_runs_webhooks_schedules_and_usage_analytics(browser: Any, server: str) -> None:
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    ui = Page(browser, server, "admin-operations")
    ui.sign_in(ADMIN, "/console/admin/webhooks/")
    page = ui.page
    try:
        page.get_by_label("URL").fill(f"http://127.0.0.1:{receiver.server_address[1]}/hook")
        page.get_by_label("Schedule completed").check()
        page.get_by_role("button", name="Add webhook").click()
        page.get_by_text("Copy its signing secret now").wait_for()
        item = page.locator("#webhooks li", has_text="127.0.0.1")
        item.get_by_role("button", name="Send test").click()
        item.get_by_text("✔ Delivered (HTTP 200)").wait_for()
        item.locator("table", has_text="ping").wait_for()
        assert "succeeded" in item.locator("tbody").inner_text()
        assert _Receiver.received == ["ping"]
    finally:
        receiver.shutdown()

    page.get_by_role("link", name="Schedules").click()
    # The list drawn means the page's script is running, so the form posts through the API (on a
    # busy machine a click before that would submit the bare HTML form).
    page.wait_for_function("() => !document.getElementById('schedules').innerText.includes('Loading')")
    page.get_by_label("Name", exact=True).fill("Morning customers")
    page.get_by_label("Question").fill("How many customers are there?")
    page.get_by_label("Frequency").select_option("weekly")
    page.get_by_label("Day of week").select_option("friday")
    page.get_by_role("button", name="Add schedule").click()
    schedule = page.locator("#schedules li", has_text="Morning customers")
    schedule.wait_for()
    assert "Every friday at 08:00" in schedule.inner_text()
    schedule.get_by_role("button", name="Run now").click()
    schedule.locator("tbody tr", has_text="manual").wait_for(timeout=60_000)

    page.get_by_role("link", name="Analytics").click()
    page.wait_for_selector(".card-value")
    page.wait_for_selector("#an-per-day canvas")
    page.wait_for_selector("#an-tables canvas")
    assert page.locator("#an-users tr").count() >= 1
    ui.finish()


# --- documents, results, dictionary history, tablet layout ------------------------------------------

def test_upload_a_document_watch_it_get_ready_search_it_and_delete_it(browser: Any, server: str, tmp_path: Path) -> None:
    ui = Page(browser, server, "documents-upload-search-delete")
    ui.sign_in(ANALYST, "/console/documents/")
    page = ui.page
    page.wait_for_function("() => !document.getElementById('documents').innerText.includes('Loading')")
    upload = tmp_path / "glossary.txt"
    upload.write_text("Glossary of the sales team.\n\nA zanzibarquota is the monthly revenue target of one store, "
                      "net of refunds. Stores report their zanzibarquota every first Monday.\n")
    page.get_by_label("File").set_input_files(str(upload))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.get_by_text("✔ Uploaded glossary.txt").wait_for()
    row = page.locator("#documents tr", has_text="glossary.txt")
    row.locator(".badge", has_text="ready").wait_for(timeout=90_000)  # polled while it is processed
    assert row.locator("progress").count() == 0
    assert int(row.locator("td.num").nth(1).inner_text()) >= 1  # its passages

    page.get_by_label("Words to look for").fill("zanzibarquota target")
    page.get_by_role("button", name="Search", exact=True).click()
    hit = page.locator("#passages li", has_text="glossary.txt").first
    hit.wait_for()
    assert "monthly revenue target" in hit.inner_text()

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete glossary.txt").click()
    page.wait_for_function("() => !document.getElementById('documents').innerText.includes('glossary.txt')")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_function("() => !document.getElementById('passages').innerText.includes('glossary.txt')"
                           " && !document.getElementById('passages').innerText.includes('Searching')")
    ui.finish()


def test_change_the_chart_type_and_open_the_answer_sql_in_the_editor(browser: Any, server: str) -> None:
    ui = Page(browser, server, "chart-type-and-editor")
    ui.sign_in(ANALYST)
    page = ui.page
    page.get_by_label("Title").fill("Charts")
    page.get_by_role("button", name="Start a conversation").click()
    page.wait_for_selector("#connection.ok")
    page.get_by_label("Shared with the workspace").check()
    page.get_by_text("Every member of the workspace can read it now").wait_for()
    page.get_by_label("Your question").fill("Revenue by month")
    page.get_by_role("button", name="Ask").click()
    turn = page.locator(".turn").first
    turn.locator(".chart canvas").wait_for()
    switcher = turn.get_by_role("group", name="Chart type")
    assert switcher.get_by_role("button", name="Line").get_attribute("aria-pressed") == "true"
    switcher.get_by_role("button", name="Bar").click()
    turn.locator(".chart canvas").wait_for()
    assert switcher.get_by_role("button", name="Bar").get_attribute("aria-pressed") == "true"
    switcher.get_by_role("button", name="Table only").click()
    turn.get_by_text("Chart hidden").wait_for()
    assert turn.locator(".chart canvas").count() == 0

    # The reasoning names the tables, and the mappings of the question's words.
    turn.get_by_text("Show reasoning").click()
    reasoning = turn.locator("details.reasoning").inner_text()
    assert "Tables" in reasoning and "orders" in reasoning.lower() and "{" not in reasoning

    sql = turn.locator("pre.sql").inner_text()
    turn.get_by_role("button", name="Open in SQL editor").click()
    page.wait_for_url("**/console/editor/")
    page.wait_for_selector("#schema details")
    assert page.get_by_label("SQL", exact=True).input_value().split()[:4] == sql.split()[:4]
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("#result table")
    page.locator("#result-chart").get_by_role("group", name="Chart type").wait_for()
    ui.finish()


def test_dictionary_version_history_shows_a_change_and_restores_it(browser: Any, server: str) -> None:
    ui = Page(browser, server, "dictionary-version-history")
    ui.sign_in(ADMIN, "/console/sources/")
    page = ui.page
    page.locator("#source-list li", has_text="Demo retail warehouse").get_by_role("link", name="Dictionary").click()
    page.wait_for_selector("#tables details")
    page.wait_for_selector("#versions li")
    table = page.locator("#tables > details").first
    table.locator("summary").first.click()
    form = table.locator("form").first
    alias = form.locator("[name=alias]")
    before = alias.input_value()
    alias.fill("Renamed by the browser test")
    form.get_by_role("button", name="Save table").click()
    form.get_by_text("✔ Saved").wait_for()
    change = page.locator("#versions > li").first
    change.get_by_text("Renamed by the browser test").wait_for()
    assert change.locator(".badge").inner_text() == "manual"

    page.once("dialog", lambda dialog: dialog.accept())
    change.get_by_role("button", name="Restore").click()
    page.locator("#versions > li").first.locator(".badge", has_text="restore").wait_for()
    page.reload()
    page.wait_for_selector("#tables details")
    page.locator("#tables > details").first.locator("summary").first.click()
    assert page.locator("#tables > details").first.locator("form [name=alias]").first.input_value() == before
    ui.finish()


def test_tablet_width_pages_fit_the_screen_and_work_with_the_keyboard(browser: Any, server: str) -> None:
    ui = Page(browser, server, "tablet-768", width=768)
    ui.sign_in(ADMIN, "/console/chat/")
    page = ui.page
    pages = ["/console/chat/", "/console/editor/", "/console/saved/", "/console/templates/", "/console/sources/",
             "/console/documents/", "/console/schedules/", "/console/admin/members/", "/console/admin/ai-providers/",
             "/console/admin/webhooks/", "/console/admin/analytics/", "/console/admin/audit-log/",
             "/console/admin/api-keys/"]
    page.goto(server + "/console/sources/")
    pages.append(page.locator("#source-list a", has_text="Dictionary").first.get_attribute("href"))
    session = page.evaluate("async () => (await IE.api('POST', '/chat/sessions', {title: 'On a tablet'})).id")
    pages.append(f"/console/chat/{session}/")
    too_wide, unlabelled = {}, {}
    for path in pages:
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
        widths = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        if widths[0] > widths[1]:
            too_wide[path] = widths
        # Every form control has a name a screen reader can announce.
        missing = page.evaluate("""() => [...document.querySelectorAll("input, select, textarea, button")]
            .filter((e) => e.type !== "hidden" && !(e.labels && e.labels.length) && !e.getAttribute("aria-label")
                           && !e.getAttribute("aria-labelledby") && !e.textContent.trim())
            .map((e) => e.outerHTML.slice(0, 120))""")
        if missing:
            unlabelled[path] = missing
    assert too_wide == {}, too_wide
    assert unlabelled == {}, unlabelled

    # The first Tab reaches the skip link, which moves the focus past the navigation.
    page.goto(server + "/console/documents/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.url.endswith("#content")
    ui.finish()


def test_admin_grants_and_removes_access_to_a_data_source(browser: Any, server: str) -> None:
    ui = Page(browser, server, "source-access-grant")
    ui.sign_in(ADMIN, "/console/sources/")
    page = ui.page
    row = page.locator("#source-list li", has_text="Demo retail warehouse")
    row.locator("summary", has_text="Access").click()
    row.get_by_text("No grants").wait_for()
    row.get_by_label("Member").select_option(label="Demo Analyst — analyst@insightengine.local (analyst)")
    row.get_by_label("Permission").select_option("view_pii")
    row.get_by_role("button", name="Set access").click()
    grant = row.locator("details.access li", has_text="analyst@insightengine.local")
    grant.get_by_text("Read, PII unmasked").wait_for()
    grant.get_by_role("button", name="Remove the grant of analyst@insightengine.local").click()
    row.get_by_text("No grants").wait_for()
    ui.finish()
