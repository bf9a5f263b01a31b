"""Getting the text out of what a clerk submits: plain text, .txt, .docx or .pdf."""

from __future__ import annotations

import io
from pathlib import PurePath

from router.errors import ClerkError

ALLOWED = (".txt", ".docx", ".pdf")


def decode_text(data: bytes, what: str = "The text") -> str:
    """UTF-8 text (a BOM is allowed), or a 422 telling the clerk to re-save it as UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ClerkError(
            422,
            "invalid_utf8",
            f"{what} is not valid UTF-8 (bad byte at position {error.start}); "
            "save it as UTF-8 and submit it again.",
        ) from error


def extract_text(filename: str, data: bytes) -> str:
    """The text of an uploaded file, chosen by its extension."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".txt":
        return decode_text(data, f"The file {filename!r}")
    if suffix == ".docx":
        return _docx_text(filename, data)
    if suffix == ".pdf":
        return _pdf_text(filename, data)
    raise ClerkError(
        415,
        "unsupported_file",
        f"Cannot read {filename!r}: upload a .txt, .docx or .pdf file.",
    )


def _docx_text(filename: str, data: bytes) -> str:
    import docx  # python-docx is slow to import; only uploads need it

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises many unrelated types for a bad file
        raise ClerkError(
            422, "unreadable_docx", f"{filename!r} is not a readable .docx file ({error})."
        ) from error
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:  # Nơi nhận and signature often sit in a two-column table
        for row in table.rows:
            for cell in row.cells:
                lines.extend(paragraph.text for paragraph in cell.paragraphs)
    return "\n".join(lines)


def _pdf_text(filename: str, data: bytes) -> str:
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception as error:  # pypdf raises many types for a damaged file
        raise ClerkError(
            422, "unreadable_pdf", f"{filename!r} is not a readable PDF ({error})."
        ) from error
