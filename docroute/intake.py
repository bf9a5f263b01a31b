"""Getting the text out of what a clerk submits: plain text, .txt, .docx, .pdf or .doc.

The reading itself is the rules engine's (`rules.sources`, shared with `docroute expand`); this
module turns its errors into answers a clerk can act on.
"""

from __future__ import annotations

from pathlib import PurePath

from foundation.errors import ClerkError
from rules.sources import SUFFIXES, SourceError, text_from_bytes
from rules.sources import decode_text as decode_utf8

ALLOWED = SUFFIXES


def decode_text(data: bytes, what: str = "The text") -> str:
    """UTF-8 text (a BOM is allowed), or a 422 naming the line and byte to fix."""
    try:
        return decode_utf8(data, what)
    except SourceError as error:
        raise ClerkError(422, "invalid_utf8", str(error)) from error


def check_suffix(filename: str) -> None:
    """415 unless the file is .txt, .docx or .pdf."""
    if PurePath(filename or "").suffix.lower() not in ALLOWED:
        raise ClerkError(
            415,
            "unsupported_file",
            f"Cannot read {filename!r}: upload a .txt, .docx, .pdf or .doc file.",
        )


def extract_text(filename: str, data: bytes) -> str:
    """The text of an uploaded file, chosen by its extension (in this process: the API reads
    uploads through `docroute.extraction`, in a bounded pool)."""
    check_suffix(filename)
    try:
        return text_from_bytes(data, filename)
    except SourceError as error:
        raise ClerkError(422, "unreadable_file", str(error)) from error
