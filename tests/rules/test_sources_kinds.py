"""A file is read by what its bytes are, not only by its name; an empty, locked, RTF or
OpenDocument file gets a message naming it and saying what to do."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from rules import read_document
from rules.sources import SourceError, text_from_bytes

FILES = Path(__file__).resolve().parents[1] / "data" / "files"
LETTERS = {"docx": "nd30_tables.docx", "pdf": "nd30_two_columns.pdf", "doc": "nd30_legacy.doc"}


@pytest.mark.parametrize("kind", sorted(LETTERS))
@pytest.mark.parametrize("name", ["letter.docx", "letter.pdf", "letter.doc", "letter.txt",
                                  "letter"])
def test_a_file_whose_extension_lies_is_read_by_its_content(kind: str, name: str) -> None:
    """A PDF named .docx, a .docx named .doc or .txt (renamed by hand, or by a mail system),
    and so on, is read as what it is: the same Nơi nhận as under its own name."""
    data = (FILES / LETTERS[kind]).read_bytes()
    doc = read_document(text_from_bytes(data, name))
    assert len(doc.noi_nhan) == 5, (kind, name)


@pytest.mark.parametrize("name", ["a.docx", "a.pdf", "a.doc", "a.txt"])
@pytest.mark.parametrize("data", [b"", b" \r\n\t "])
def test_an_empty_file_says_it_is_empty(name: str, data: bytes) -> None:
    """A zero-byte (or blank) file is refused as empty, naming the file, whatever its type:
    not read as a document with no recipients, nor reported as a broken zip."""
    with pytest.raises(SourceError, match=rf"{name}: the file is empty"):
        text_from_bytes(data, name)


def test_a_password_protected_pdf_says_so() -> None:
    """A PDF locked with an opening password is refused with a message that says so."""
    writer = PdfWriter(clone_from=PdfReader(FILES / "nd30_two_columns.pdf"))
    writer.encrypt("secret", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(SourceError, match=r"locked\.pdf: the file is password-protected"):
        text_from_bytes(out.getvalue(), "locked.pdf")


def test_a_password_protected_docx_says_so() -> None:
    """Word saves a password-protected .docx as an encrypted OLE container (holding an
    EncryptedPackage stream): refused as password-protected, not as a broken zip."""
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    data = ole + "EncryptedPackage".encode("utf-16-le") + b"\0" * 1024
    with pytest.raises(SourceError, match=r"locked\.docx: the file is password-protected"):
        text_from_bytes(data, "locked.docx")


@pytest.mark.parametrize(("data", "what"), [
    (b"{\\rtf1\\ansi N\\'f4i nh\\'e2n: S\\'f4 T\\'fa ph\\'e1p}", "RTF"),
    (b"PK\x03\x04" + b"\0" * 26 + b"mimetypeapplication/vnd.oasis.opendocument.text",
     "OpenDocument"),
])
def test_rtf_and_opendocument_files_are_named_for_what_they_are(data: bytes, what: str) -> None:
    """An RTF or OpenDocument file (often named .doc) is refused with what it is and how to
    make a .docx of it."""
    with pytest.raises(SourceError, match=rf"x\.doc: the file is an? {what} .*save it as \.docx"):
        text_from_bytes(data, "x.doc")
