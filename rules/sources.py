"""Gets a document's text out of a file: plain text (UTF-8), .docx (python-docx) or .pdf (pypdf).

Errors say what a clerk can do about them: which file, which line or byte is wrong.
"""

from __future__ import annotations

import io
from pathlib import Path

SUFFIXES = (".txt", ".docx", ".pdf")


class SourceError(ValueError):
    """The file's text cannot be read; the message names the file and, if known, the place."""


def text_from_bytes(data: bytes, filename: str) -> str:
    """The text of a document file's bytes, chosen by the file name's suffix."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".docx":
        return _docx(data, filename)
    if suffix == ".pdf":
        return _pdf(data, filename)
    if suffix not in ("", ".txt", ".text"):
        raise SourceError(f"{filename}: unsupported file type '{suffix}'; send .txt, .docx or .pdf")
    return decode_text(data, filename)


def text_from_file(path: str | Path) -> str:
    """The text of a document file on disk."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise SourceError(f"{file}: cannot read the file: {exc.strerror or exc}") from exc
    return text_from_bytes(data, str(file))


def decode_text(data: bytes, filename: str) -> str:
    """Decode UTF-8 (with or without BOM); a bad byte is reported with its line and column."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(
            f"{filename}:{line}: byte {exc.start} (column {column}) is not valid UTF-8; "
            "save the file as UTF-8 and send it again"
        ) from exc


def _docx(data: bytes, filename: str) -> str:
    import docx  # python-docx; imported here so that plain-text use does not pay for it

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types on a broken file
        raise SourceError(f"{filename}: not a readable .docx file ({type(exc).__name__})") from exc
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    # Document order matters: the header (issuer, Số) and the Nơi nhận/signature block are
    # tables in most templates, between paragraphs of the body.
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
            continue
        for row in block.rows:
            seen: list[object] = []
            for cell in row.cells:
                if cell._tc in seen:  # a merged cell is listed once per grid column
                    continue
                seen.append(cell._tc)
                lines.extend(p.text for p in cell.paragraphs)
    return "\n".join(lines)


def _pdf(data: bytes, filename: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, OSError) as exc:
        raise SourceError(f"{filename}: not a readable .pdf file ({exc})") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise SourceError(
            f"{filename}: the PDF has no text layer (a scan?); send a text PDF or .docx"
        )
    return text
