"""Text out of each supported format. Runs in the worker, on files `files.sniff` already accepted."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings

from . import files


class ExtractionError(Exception):
    """The document could not be turned into text; the message is shown to the uploader."""


def max_text_chars() -> int:
    return int(getattr(settings, "DOCUMENT_MAX_TEXT_CHARS", 5_000_000))


def extract(path: Path, content_type: str, progress: Callable[[float], None] | None = None) -> str:
    """Plain text of the document, paragraphs separated by blank lines."""
    handler = {
        files.TEXT_PLAIN: _text, files.TEXT_MARKDOWN: _text, files.TEXT_CSV: _csv, files.TEXT_HTML: _html,
        files.PDF: _pdf, files.DOCX: _docx,
    }.get(content_type)
    if handler is None:
        raise ExtractionError(f"No text extractor for {content_type}.")
    text = handler(path, progress or (lambda fraction: None))
    text = text.replace("\x00", "")
    if len(text) > max_text_chars():
        text = text[: max_text_chars()]
    if not text.strip():
        raise ExtractionError("No text could be extracted from the document (is it a scanned image?).")
    return text


def _text(path: Path, progress: Callable[[float], None]) -> str:
    return files.decode_text(path.read_bytes())


def _csv(path: Path, progress: Callable[[float], None]) -> str:
    """Each row as `header: value` pairs, so a passage about a row carries its column names."""
    text = files.decode_text(path.read_bytes())
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(1_000_000)
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error:
        return text
    if not rows:
        return text
    header = [cell.strip() for cell in rows[0]]
    lines = [", ".join(header)]
    for row in rows[1:]:
        pairs = [f"{header[i] if i < len(header) and header[i] else f'column {i + 1}'}: {value.strip()}"
                 for i, value in enumerate(row) if value.strip()]
        if pairs:
            lines.append("; ".join(pairs) + ".")
    return "\n\n".join(lines)


class _HTMLText(HTMLParser):
    SKIP = {"script", "style", "noscript", "template", "svg", "iframe", "object", "head"}
    BLOCK = {"p", "div", "section", "article", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
             "ul", "ol", "pre", "blockquote", "dd", "dt", "header", "footer", "main", "aside", "nav", "hr", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.title: list[str] = []
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        elif tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skipping:
            self.parts.append(data)


def _html(path: Path, progress: Callable[[float], None]) -> str:
    parser = _HTMLText()
    parser.feed(files.decode_text(path.read_bytes()))
    parser.close()
    body = "".join(parser.parts)
    body = re.sub(r"[ \t]*\n[ \t]*", "\n", body)
    body = re.sub(r"\n{3,}", "\n\n", body)
    title = " ".join("".join(parser.title).split())
    return (f"{title}\n\n{body}" if title else body).strip()


def _pdf(path: Path, progress: Callable[[float], None]) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = reader.pages
        count = len(pages)
        out: list[str] = []
        total = 0
        for number, page in enumerate(pages):
            text = page.extract_text() or ""
            out.append(text.strip())
            total += len(text)
            progress((number + 1) / max(1, count))
            if total > max_text_chars():
                break
    except Exception as exc:
        raise ExtractionError(f"The PDF could not be read ({type(exc).__name__}).") from exc
    return "\n\n".join(part for part in out if part)


def _docx(path: Path, progress: Callable[[float], None]) -> str:
    import docx

    files.check_docx(path)  # again: the file on disk is what we open, whatever happened since upload
    try:
        document = docx.Document(str(path))
    except Exception as exc:
        raise ExtractionError(f"The Word document could not be read ({type(exc).__name__}).") from exc
    parts = [paragraph.text for paragraph in document.paragraphs]
    progress(0.7)
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells]
            parts.append(" | ".join(cell for cell in cells if cell))
    return "\n\n".join(part.strip() for part in parts if part and part.strip())
