"""Everything that touches uploaded bytes before they are trusted: names, storage, type sniffing, zip guards.

Nothing here believes the client: the name is sanitised and only used for display and as a
hint between text formats; the type is decided by the content (magic bytes, then parse
attempts); a .docx is a zip and is checked for bombs and hostile entry names before any
library opens it.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from rest_framework import status

from core.exceptions import DomainError, ValidationFailed

MAX_NAME_LENGTH = 200

TEXT_PLAIN = "text/plain"
TEXT_MARKDOWN = "text/markdown"
TEXT_CSV = "text/csv"
TEXT_HTML = "text/html"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

EXTENSIONS: dict[str, str] = {
    ".txt": TEXT_PLAIN, ".text": TEXT_PLAIN, ".md": TEXT_MARKDOWN, ".markdown": TEXT_MARKDOWN,
    ".csv": TEXT_CSV, ".html": TEXT_HTML, ".htm": TEXT_HTML, ".pdf": PDF, ".docx": DOCX,
}
TEXT_TYPES = (TEXT_PLAIN, TEXT_MARKDOWN, TEXT_CSV, TEXT_HTML)
SUPPORTED = "txt, md, csv, html, pdf, docx"

# Signatures of things that are never a document we accept, so the error can say what it is.
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"), (b"MZ", "a Windows executable"), (b"\x7fELF", "an ELF executable"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"), (b"\xfe\xed\xfa\xcf", "a Mach-O executable"),
    (b"\x1f\x8b", "a gzip archive"), (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"), (b"Rar!\x1a\x07", "a RAR archive"),
    (b"BZh", "a bzip2 archive"), (b"\xfd7zXZ\x00", "an xz archive"), (b"\x28\xb5\x2f\xfd", "a zstd archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office (OLE) file; save it as .docx"),
    (b"RIFF", "a RIFF media file"), (b"OggS", "an Ogg media file"), (b"ID3", "an MP3 file"),
    (b"\x00asm", "a WebAssembly module"), (b"SQLite format 3\x00", "an SQLite database"),
]


class UnsupportedFileType(DomainError):
    code = "UNSUPPORTED_FILE_TYPE"
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    message = f"Unsupported file type. Supported: {SUPPORTED}."


class FileTooLarge(DomainError):
    code = "FILE_TOO_LARGE"
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


class UnsafeFile(DomainError):
    """Content that parses but is hostile or broken: zip bombs, traversal entries, corrupt PDFs."""

    code = "FILE_REJECTED"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


def max_bytes() -> int:
    return int(getattr(settings, "DOCUMENT_MAX_BYTES", 20 * 1024 * 1024))


def documents_root() -> Path:
    return Path(getattr(settings, "DOCUMENTS_DIR", None) or Path(settings.DATA_DIR) / "documents")


def workspace_dir(workspace_id: Any) -> Path:
    return documents_root() / uuid.UUID(str(workspace_id)).hex


def stored_path(workspace_id: Any, stored_name: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", stored_name):  # generated names only; never a path from outside
        raise ValueError("Invalid stored name")
    return workspace_dir(workspace_id) / stored_name


# --- names --------------------------------------------------------------------------------------------

def sanitize_name(raw: str | None) -> str:
    """A display name safe anywhere it is shown or sent back in Content-Disposition.

    Keeps only the last path component (either separator), drops NUL and control characters,
    characters Windows forbids and leading dots, and caps the length keeping the extension.
    """
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = name.replace("\x00", "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    if len(name) > MAX_NAME_LENGTH:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 16 else ""
        name = stem[: MAX_NAME_LENGTH - len(ext)].rstrip() + ext
    return name or "document"


def extension_of(name: str) -> str:
    return os.path.splitext(name)[1].lower()


# --- storing ------------------------------------------------------------------------------------------

@dataclass
class StoredUpload:
    path: Path
    stored_name: str
    size: int
    sha256: str


def store_upload(upload: IO[bytes] | Any, workspace_id: Any) -> StoredUpload:
    """Stream the upload to a generated name in the workspace's folder, hashing and counting as it goes.

    Stops as soon as the size limit is passed, so an oversized file never lands whole on disk.
    """
    limit = max_bytes()
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        raise _too_large(limit)
    folder = workspace_dir(workspace_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored_name = uuid.uuid4().hex
    target = folder / stored_name
    digest = hashlib.sha256()
    size = 0
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(descriptor, "wb") as out:
            chunks = upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b"")
            for piece in chunks:
                size += len(piece)
                if size > limit:
                    raise _too_large(limit)
                digest.update(piece)
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return StoredUpload(path=target, stored_name=stored_name, size=size, sha256=digest.hexdigest())


def _too_large(limit: int) -> FileTooLarge:
    return FileTooLarge(f"The file is larger than the {limit / (1024 * 1024):g} MB limit for documents.",
                        details=[{"field": "file", "message": "File too large."}])


# --- sniffing -----------------------------------------------------------------------------------------

def sniff(path: Path, name: str) -> str:
    """The content type of the file at `path`, decided by its bytes; the name only picks among text formats.

    Raises UnsupportedFileType when the content is something we do not accept or contradicts the
    name's extension (a zip named .txt, a PNG named .pdf), UnsafeFile when it is hostile.
    """
    extension = extension_of(name)
    if extension and extension not in EXTENSIONS:
        raise UnsupportedFileType(f"Files ending in {extension[:20]} are not supported. Supported: {SUPPORTED}.",
                                  details=[{"field": "file", "message": "Unsupported extension."}])
    claimed = EXTENSIONS.get(extension)
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head:
        raise ValidationFailed.for_field("file", "The file is empty.", code="EMPTY_FILE")

    if b"%PDF-" in head[:1024]:
        actual = PDF
        check_pdf(path)
    elif head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        actual = DOCX if check_docx(path) else ""
        if not actual:
            _mismatch("a zip archive", claimed)
    else:
        for signature, description in _SIGNATURES:
            if head.startswith(signature):
                _mismatch(description, claimed)
        if not looks_like_text(head):
            _mismatch("binary data", claimed)
        actual = claimed if claimed in TEXT_TYPES else (TEXT_HTML if _looks_like_html(head) else TEXT_PLAIN)

    if claimed is not None and (claimed in TEXT_TYPES) != (actual in TEXT_TYPES) or (
            claimed in (PDF, DOCX) and claimed != actual):
        described = {PDF: "a PDF document", DOCX: "a Word (.docx) document"}.get(actual, "text")
        _mismatch(described, claimed)
    return actual


def _mismatch(found: str, claimed: str | None) -> None:
    if claimed is None:
        message = f"The file's content is {found}, which is not a supported document. Supported: {SUPPORTED}."
    else:
        message = (f"The file's name says {claimed} but its content is {found}. "
                   f"Upload the document in its real format (supported: {SUPPORTED}).")
    raise UnsupportedFileType(message, details=[{"field": "file", "message": f"Content is {found}."}])


def looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    try:
        sample = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a multi-byte character cut at the end of the sample
            sample = head[: exc.start].decode("utf-8", errors="replace")
        else:
            sample = head.decode("cp1252", errors="replace")
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    return control <= max(2, len(sample) // 100)


def decode_text(data: bytes) -> str:
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _looks_like_html(head: bytes) -> bool:
    start = head[:1024].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html")) or b"<body" in head[:4096].lower()


# --- containers ---------------------------------------------------------------------------------------

def zip_limits() -> dict[str, int]:
    return {
        "entries": int(getattr(settings, "DOCUMENT_ZIP_MAX_ENTRIES", 2000)),
        "uncompressed": int(getattr(settings, "DOCUMENT_ZIP_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024)),
        "ratio": int(getattr(settings, "DOCUMENT_ZIP_MAX_RATIO", 100)),
    }


def check_docx(path: Path) -> bool:
    """True when the zip is a Word document that is safe to open; raises UnsafeFile when hostile.

    Declared sizes bound what zipfile will inflate (it stops at the declared size and checks the
    CRC), so checking the central directory is enough to stop a bomb before anything is read.
    """
    limits = zip_limits()
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > limits["entries"]:
                raise UnsafeFile(f"The archive has {len(entries)} entries; at most {limits['entries']} are allowed.",
                                 code="ARCHIVE_TOO_MANY_ENTRIES")
            total = 0
            for entry in entries:
                entry_name = entry.filename
                parts = re.split(r"[\\/]", entry_name)
                if entry_name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", entry_name) \
                        or "\x00" in entry_name:
                    raise UnsafeFile("The archive contains an entry with an unsafe path.", code="ARCHIVE_UNSAFE_PATH",
                                     details=[{"field": "file", "message": f"Entry {entry_name[:100]!r}."}])
                total += entry.file_size
                if entry.file_size > 1024 * 1024 and entry.file_size > limits["ratio"] * max(1, entry.compress_size):
                    raise _bomb()
            if total > limits["uncompressed"]:
                raise _bomb()
            if total > 1024 * 1024 and total > limits["ratio"] * max(1, path.stat().st_size):
                raise _bomb()
            names = {entry.filename for entry in entries}
            return "[Content_Types].xml" in names and "word/document.xml" in names
    except zipfile.BadZipFile:
        raise UnsafeFile("The file looks like a zip archive but is corrupt.", code="FILE_CORRUPT") from None


def _bomb() -> UnsafeFile:
    return UnsafeFile("The archive expands to far more than its size (a decompression bomb); it was rejected.",
                      code="ARCHIVE_BOMB")


def check_pdf(path: Path) -> None:
    """Open the PDF enough to know it is one (its cross-reference table and page tree)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnsafeFile("The PDF is password-protected; upload an unprotected copy.", code="FILE_ENCRYPTED")
        pages = len(reader.pages)
    except UnsafeFile:
        raise
    except Exception:
        raise UnsafeFile("The PDF is corrupt or unreadable.", code="FILE_CORRUPT") from None
    limit = int(getattr(settings, "DOCUMENT_MAX_PAGES", 2000))
    if pages > limit:
        raise UnsafeFile(f"The PDF has {pages} pages; at most {limit} are allowed.", code="TOO_MANY_PAGES")
