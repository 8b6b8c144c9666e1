"""Uploading, processing, listing, downloading and deleting documents through the API."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditing.models import AuditEvent
from conftest import assert_error
from core.models import Job
from knowledge import retrieval
from knowledge.models import Chunk, Document
from teams.tests.factories import make_workspace

from .factories import PNG, make_docx, make_docx_bomb, make_pdf, make_zip

pytestmark = pytest.mark.django_db

FILLER = ("Our warehouse team reviews stock levels every Monday morning. Suppliers send invoices monthly. "
          "The office closes early on public holidays. ")

CASES = {
    "churn.txt": (FILLER * 6 + "\n\nChurn rate is the share of customers active at the start of a month who "
                  "cancelled before its end.\n\n" + FILLER * 6).encode(),
    "margin.md": ("# Finance definitions\n\n" + FILLER * 4 + "\n\n## Gross margin\n\nGross margin equals net revenue "
                  "minus cost of goods sold, divided by net revenue.\n\n" + FILLER * 4).encode(),
    "regions.csv": b"region,manager,quarterly_target\nNorth,Alice Moreau,120000\nSouth,Bruno Keita,95000\n"
                   b"Westfjord,Chidi Okafor,87000\n",
    "refunds.html": (b"<!doctype html><html><head><title>Refund policy</title><style>.x{color:red}</style>"
                     b"<script>var secretToken='zzzscripttoken';</script></head><body><h1>Refunds</h1>"
                     b"<p>Refunds are issued within 14 days of the return being received.</p>"
                     + FILLER.encode() + b"</body></html>"),
    "aov.pdf": make_pdf(["Quarterly report", "Average order value is total revenue divided by the number of "
                         "orders placed."]),
    "shipping.docx": make_docx(["Shipping policy", FILLER, "Orders ship within two business days from the "
                                "Rotterdam depot."], table=[["Carrier", "Zone"], ["Kestrel Freight", "EU"]]),
}
QUESTIONS = {
    "churn.txt": ("how is churn rate defined", "cancelled before its end"),
    "margin.md": ("gross margin definition", "cost of goods sold"),
    "regions.csv": ("who manages Westfjord region", "Chidi Okafor"),
    "refunds.html": ("when are refunds issued", "within 14 days"),
    "aov.pdf": ("average order value", "divided by the number of"),
    "shipping.docx": ("how fast do orders ship", "two business days"),
}
CONTENT_TYPES = {"churn.txt": "text/plain", "margin.md": "text/markdown", "regions.csv": "text/csv",
                 "refunds.html": "text/html", "aov.pdf": "application/pdf",
                 "shipping.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@pytest.mark.parametrize("name", list(CASES))
def test_each_type_is_processed_and_its_passage_ranks_first(name: str, clients: Any, team: Any, upload: Any,
                                                            documents_dir: Path) -> None:
    for other, content in CASES.items():  # the others are the competition for the ranking
        if other != name:
            assert upload(clients["analyst"], other, content).status_code == 202
    response = upload(clients["analyst"], name, CASES[name])
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["name"] == name and body["filename"] == name
    assert body["content_type"] == CONTENT_TYPES[name] == body["mime_type"]
    assert body["size"] == len(CASES[name])

    detail = clients["viewer"].get(f"/api/v1/documents/{body['id']}").json()
    assert detail["status"] == "ready", detail
    assert detail["progress"] == 100 and detail["chunk_count"] >= 1
    assert Job.objects.get(pk=detail["job_id"]).status == Job.Status.SUCCEEDED

    question, expected = QUESTIONS[name]
    passages = retrieval.search(team["workspace"], question, k=3)
    assert passages and passages[0].document_name == name, passages
    assert expected in passages[0].text
    assert str(passages[0].document_id) == body["id"]

    # The file is stored outside the web root under a generated name, not the client's.
    stored = list((documents_dir / team["workspace"].pk.hex).iterdir())
    assert len(stored) == len(CASES) and all(name not in p.name for p in stored)


def test_html_scripts_and_styles_are_dropped(clients: Any, team: Any, upload: Any) -> None:
    upload(clients["analyst"], "refunds.html", CASES["refunds.html"])
    text = " ".join(Chunk.objects.values_list("text", flat=True))
    assert "Refunds are issued" in text and "Refund policy" in text
    assert "zzzscripttoken" not in text and "color:red" not in text


def test_seed_002_upload_path(clients: Any, upload: Any) -> None:
    response = upload(clients["analyst"], "churn.txt", CASES["churn.txt"], path="/api/v1/upload")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["file_size"] == len(CASES["churn.txt"]) and body["mime_type"] == "text/plain"
    assert body["file_path"] == f"/api/v1/documents/{body['id']}/download"
    assert Document.objects.get(pk=body["id"]).status == Document.Status.READY


def test_list_filters_and_search(clients: Any, upload: Any) -> None:
    upload(clients["analyst"], "churn.txt", CASES["churn.txt"])
    upload(clients["analyst"], "margin.md", CASES["margin.md"])
    listing = clients["viewer"].get("/api/v1/documents").json()
    assert listing["count"] == 2
    assert {d["name"] for d in listing["results"]} == {"churn.txt", "margin.md"}
    assert [d["name"] for d in clients["viewer"].get("/api/v1/documents?search=marg").json()["results"]] == [
        "margin.md"]
    assert clients["viewer"].get("/api/v1/documents?status=failed").json()["count"] == 0
    assert clients["viewer"].get("/api/v1/documents?status=ready").json()["count"] == 2
    passages = clients["viewer"].get("/api/v1/documents/search?q=gross margin").json()
    assert passages[0]["document_name"] == "margin.md" and passages[0]["kind"] == "document"


# --- bad inputs -----------------------------------------------------------------------------------------

def test_oversize_file_is_413_and_leaves_nothing(clients: Any, upload: Any, settings: Any,
                                                 documents_dir: Path) -> None:
    settings.DOCUMENT_MAX_BYTES = 1000
    error = assert_error(upload(clients["analyst"], "big.txt", b"a" * 1001), 413, "FILE_TOO_LARGE")
    assert "limit" in error["message"]
    assert not Document.objects.exists()
    assert not any(p.is_file() for p in documents_dir.rglob("*"))


@pytest.mark.parametrize("name, content, found", [
    ("notes.txt", make_zip({"a.txt": b"hello"}), "zip archive"),
    ("notes.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, "executable"),
    ("report.pdf", PNG, "PNG image"),
    ("report.docx", make_zip({"a.txt": b"hello"}), "zip archive"),
    ("report.pdf", b"Just some text pretending to be a PDF.", "text"),
    ("policy.txt", make_pdf(["hello"]), "PDF"),
    ("data.csv", b"\x00\x01\x02\x03binary\x00\x00" * 20, "binary data"),
])
def test_content_that_contradicts_the_name_is_415(clients: Any, upload: Any, name: str, content: bytes,
                                                  found: str, documents_dir: Path) -> None:
    error = assert_error(upload(clients["analyst"], name, content), 415, "UNSUPPORTED_FILE_TYPE")
    assert found in error["message"]
    assert not Document.objects.exists()
    assert not any(p.is_file() for p in documents_dir.rglob("*"))


def test_unsupported_extension_is_415(clients: Any, upload: Any) -> None:
    assert_error(upload(clients["analyst"], "tool.exe", b"plain text really"), 415, "UNSUPPORTED_FILE_TYPE")


def test_docx_bomb_is_rejected(clients: Any, upload: Any, documents_dir: Path) -> None:
    bomb = make_docx_bomb(64 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    error = assert_error(upload(clients["analyst"], "bomb.docx", bomb), 422, "ARCHIVE_BOMB")
    assert "decompression bomb" in error["message"]
    assert not any(p.is_file() for p in documents_dir.rglob("*"))


def test_docx_over_the_uncompressed_limit_is_rejected(clients: Any, upload: Any, settings: Any) -> None:
    settings.DOCUMENT_ZIP_MAX_UNCOMPRESSED_BYTES = 10_000
    assert_error(upload(clients["analyst"], "big.docx", make_docx(["x" * 20_000])), 422, "ARCHIVE_BOMB")


def test_docx_with_too_many_entries_is_rejected(clients: Any, upload: Any, settings: Any) -> None:
    settings.DOCUMENT_ZIP_MAX_ENTRIES = 50
    entries = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}
    entries.update({f"word/media/{i}.bin": b"x" for i in range(60)})
    assert_error(upload(clients["analyst"], "many.docx", make_zip(entries)), 422, "ARCHIVE_TOO_MANY_ENTRIES")


@pytest.mark.parametrize("entry", ["../../evil.sh", "/etc/cron.d/evil", "word/../../x", "C:\\evil.bat"])
def test_docx_with_path_traversal_entries_is_rejected(clients: Any, upload: Any, entry: str) -> None:
    archive = make_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>", entry: b"x"})
    assert_error(upload(clients["analyst"], "evil.docx", archive), 422, "ARCHIVE_UNSAFE_PATH")


def test_corrupt_pdf_is_rejected(clients: Any, upload: Any) -> None:
    assert_error(upload(clients["analyst"], "broken.pdf", b"%PDF-1.4\n garbage garbage \n%%EOF"), 422,
                 "FILE_CORRUPT")


def test_empty_file_is_400(clients: Any, upload: Any, documents_dir: Path) -> None:
    assert_error(upload(clients["analyst"], "empty.txt", b""), 400, "EMPTY_FILE")
    assert not any(p.is_file() for p in documents_dir.rglob("*"))


def test_missing_file_field_is_400(clients: Any) -> None:
    assert_error(clients["analyst"].post("/api/v1/documents", {"other": "x"}, format="multipart"), 400,
                 "FILE_REQUIRED")
    assert_error(clients["analyst"].post("/api/v1/documents", {"file": "x"}, format="json"), 415)


@pytest.mark.parametrize("raw, expected", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\windows\\system.ini.txt", "system.ini.txt"),
    ("nul\x00byte.txt", "nulbyte.txt"),
    ("...hidden.md", "hidden.md"),
    ("a" * 400 + ".txt", "a" * 196 + ".txt"),
    ("re<port>:?.md", "re_port___.md"),
])
def test_names_are_sanitised(clients: Any, upload: Any, raw: str, expected: str, team: Any,
                             documents_dir: Path) -> None:
    response = upload(clients["analyst"], raw, b"Plain text about names")
    assert response.status_code == 202, response.content
    assert response.json()["name"] == expected
    stored = [p for p in documents_dir.rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].parent == documents_dir / team["workspace"].pk.hex


def test_too_many_documents_is_409(clients: Any, upload: Any, settings: Any) -> None:
    settings.DOCUMENT_MAX_COUNT = 2
    assert upload(clients["analyst"], "a.txt", b"first document").status_code == 202
    assert upload(clients["analyst"], "b.txt", b"second document").status_code == 202
    error = assert_error(upload(clients["analyst"], "c.txt", b"third document"), 409, "DOCUMENT_LIMIT_REACHED")
    assert "2 documents" in error["message"]


def test_same_content_twice_is_409(clients: Any, upload: Any) -> None:
    assert upload(clients["analyst"], "a.txt", b"same words").status_code == 202
    assert_error(upload(clients["analyst"], "b.txt", b"same words"), 409, "DUPLICATE_DOCUMENT")


def test_document_without_text_fails_processing_with_a_reason(clients: Any, upload: Any) -> None:
    body = upload(clients["analyst"], "blank.pdf", make_pdf([""])).json()
    detail = clients["viewer"].get(f"/api/v1/documents/{body['id']}").json()
    assert detail["status"] == "failed" and "No text" in detail["error"]
    assert Job.objects.get(pk=detail["job_id"]).status == Job.Status.FAILED


# --- roles, tenants, downloads, deletion ----------------------------------------------------------------

def test_viewers_read_but_cannot_upload_or_delete(clients: Any, upload: Any) -> None:
    assert_error(upload(clients["viewer"], "a.txt", b"viewer text"), 403, "PERMISSION_DENIED")
    doc = upload(clients["analyst"], "a.txt", b"analyst text").json()
    assert clients["viewer"].get(f"/api/v1/documents/{doc['id']}").status_code == 200
    assert_error(clients["viewer"].delete(f"/api/v1/documents/{doc['id']}"), 403)
    assert Document.objects.filter(pk=doc["id"]).exists()


def test_analysts_delete_their_own_admins_delete_any(clients: Any, upload: Any) -> None:
    doc = upload(clients["analyst"], "a.txt", b"analyst text").json()
    assert_error(clients["other_analyst"].delete(f"/api/v1/documents/{doc['id']}"), 403)
    assert clients["owner"].delete(f"/api/v1/documents/{doc['id']}").status_code == 204


def test_another_workspace_sees_nothing(clients: Any, upload: Any, team: Any, make_user: Any,
                                        client_for: Any) -> None:
    doc = upload(clients["analyst"], "churn.txt", CASES["churn.txt"]).json()
    stranger = make_user()
    other_workspace = make_workspace(stranger, name="Other corp")
    other = client_for(stranger, other_workspace)
    for response in (other.get(f"/api/v1/documents/{doc['id']}"),
                     other.get(f"/api/v1/documents/{doc['id']}/download"),
                     other.delete(f"/api/v1/documents/{doc['id']}")):
        assert_error(response, 404, "NOT_FOUND")
    assert other.get("/api/v1/documents").json()["count"] == 0
    assert other.get("/api/v1/documents/search?q=churn rate").json() == []
    assert retrieval.search(other_workspace, "churn rate customers cancelled") == []
    assert retrieval.search(team["workspace"], "churn rate customers cancelled")
    # Pinning a workspace the caller is not a member of is refused too.
    intruder = client_for(stranger, team["workspace"])
    assert_error(intruder.get(f"/api/v1/documents/{doc['id']}/download"), 404)


def test_download_returns_the_original_bytes_to_members(clients: Any, upload: Any) -> None:
    content = CASES["aov.pdf"]
    doc = upload(clients["analyst"], "aov.pdf", content).json()
    response = clients["viewer"].get(f"/api/v1/documents/{doc['id']}/download")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert 'attachment; filename="aov.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action="document.downloaded", resource_id=doc["id"]).exists()
    assert_error(clients["viewer"].get("/api/v1/documents/not-a-uuid/download"), 404)


def test_download_requires_login(clients: Any, upload: Any) -> None:
    from rest_framework.test import APIClient

    doc = upload(clients["analyst"], "a.txt", b"some text").json()
    assert_error(APIClient().get(f"/api/v1/documents/{doc['id']}/download"), 401)


def test_delete_removes_file_chunks_and_passages(clients: Any, upload: Any, team: Any, documents_dir: Path,
                                                 django_capture_on_commit_callbacks: Any) -> None:
    doc = upload(clients["analyst"], "churn.txt", CASES["churn.txt"]).json()
    stored = [p for p in documents_dir.rglob("*") if p.is_file()]
    assert len(stored) == 1 and Chunk.objects.filter(document_id=doc["id"]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert clients["analyst"].delete(f"/api/v1/documents/{doc['id']}").status_code == 204
    assert not stored[0].exists()
    assert not Chunk.objects.exists()
    assert retrieval.search(team["workspace"], "churn rate") == []
    assert_error(clients["analyst"].get(f"/api/v1/documents/{doc['id']}"), 404)


def test_upload_and_delete_are_audited(clients: Any, upload: Any, team: Any,
                                       django_capture_on_commit_callbacks: Any) -> None:
    doc = upload(clients["analyst"], "a.txt", b"audited text").json()
    with django_capture_on_commit_callbacks(execute=True):
        clients["analyst"].delete(f"/api/v1/documents/{doc['id']}")
    events = AuditEvent.objects.filter(resource_id=doc["id"]).order_by("created_at")
    assert [e.action for e in events] == ["document.uploaded", "document.deleted"]
    assert all(e.workspace_id == team["workspace"].pk and e.actor_id == team["analyst"].pk for e in events)
    assert events[0].details["sha256"] and events[0].details["content_type"] == "text/plain"


def test_reprocess_rebuilds_the_same_chunks(clients: Any, upload: Any, django_capture_on_commit_callbacks: Any) -> None:
    doc = upload(clients["analyst"], "churn.txt", CASES["churn.txt"]).json()
    before = list(Chunk.objects.order_by("index").values_list("text", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = clients["analyst"].post(f"/api/v1/documents/{doc['id']}/reprocess")
    assert response.status_code == 202, response.content
    assert list(Chunk.objects.order_by("index").values_list("text", flat=True)) == before
    assert Document.objects.get(pk=doc["id"]).status == Document.Status.READY


def test_a_declared_oversize_body_is_refused_before_it_is_read(clients: Any, upload: Any, settings: Any) -> None:
    settings.DOCUMENT_MAX_BYTES = 1000
    assert_error(upload(clients["analyst"], "big.txt", b"a" * 200_000), 413, "FILE_TOO_LARGE")


def test_text_without_an_extension_is_accepted_by_content(clients: Any, upload: Any) -> None:
    body = upload(clients["analyst"], "README", b"Plain words about the data warehouse.").json()
    assert body["content_type"] == "text/plain" and body["name"] == "README"
    assert clients["viewer"].get(f"/api/v1/documents/{body['id']}").json()["status"] == "ready"


def test_purging_a_workspace_removes_its_folder(clients: Any, upload: Any, team: Any, documents_dir: Path) -> None:
    from knowledge.services import documents_purge_files

    upload(clients["analyst"], "a.txt", b"text to purge")
    folder = documents_dir / team["workspace"].pk.hex
    assert folder.is_dir()
    documents_purge_files(workspace_id=team["workspace"].pk)
    assert not folder.exists()
