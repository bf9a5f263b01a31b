"""Gets a document's text out of a file: .txt (UTF-8), .docx, .pdf or legacy Word .doc.

- .docx (python-docx): paragraphs and tables in document order (the header and the Nơi nhận /
  signature tables), text boxes, soft line breaks, and Word's list bullets (which are
  numbering, not text) written back as `- `.
- .pdf (pdfminer.six): its layout analysis keeps the columns of the standard tables apart
  and joins glyphs placed one by one (PDF printers), where pypdf gave a letter per line;
  measured on the files of `tests/data/files/` (see `bench/extract.py`). The text drawn in
  signature widgets (e-signed files stamp their number and date there) is read too.
- .doc (antiword, a Debian package): Word 97-2003 files; without antiword, a message that tells
  the clerk to save the file as .docx.

A text layer that is not Vietnamese (a legacy font or broken OCR: few of its words are
Vietnamese syllables) is refused with a message, rather than read as a document with no
recipients. Errors say what a clerk can do: which file, which line or byte is wrong.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from rules.text import fold

SUFFIXES = (".txt", ".docx", ".pdf", ".doc")

# A Vietnamese syllable, folded: onset, vowels, coda (Vietnamese has no other word shape).
_SYLLABLE = re.compile(r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
                       r"[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?$")
_LETTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzđ"
    "áàảãạăắằẳẵặâấầẩẫậéèẻẽẹêếềểễệíìỉĩịóòỏõọôốồổỗộơớờởỡợúùủũụưứừửữựýỳỷỹỵ"
)
_PUNCTUATION = " .,;:!?()[]{}\"'“”‘’«»-–—/*…"
_VIETNAMESE_SHARE = 0.5  # real text scores 0.8-0.95; a garbled layer well under 0.5
_MIN_WORDS = 30


class SourceError(ValueError):
    """The file's text cannot be read; the message names the file and, if known, the place."""


def text_from_bytes(data: bytes, filename: str) -> str:
    """The text of a document file's bytes, chosen by the file name's suffix."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".docx":
        return _checked(_docx(data, filename), filename)
    if suffix == ".pdf":
        return _checked(_pdf(data, filename), filename)
    if suffix == ".doc":
        return _checked(_doc(data, filename), filename)
    if suffix not in ("", ".txt", ".text"):
        raise SourceError(
            f"{filename}: unsupported file type '{suffix}'; send .txt, .docx, .pdf or .doc"
        )
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


def vietnamese_share(text: str) -> tuple[float, int]:
    """The share of the words of `text` that are Vietnamese: a syllable written in Vietnamese
    letters, or an abbreviation in plain capitals (`UBND`); and how many words there were."""
    words = [w.strip(_PUNCTUATION) for w in text[:20000].split()]
    words = [w for w in words if any(ch.isalpha() for ch in w)]
    if not words:
        return 0.0, 0
    good = sum(1 for word in words if _is_vietnamese(word))
    return good / len(words), len(words)


def _is_vietnamese(word: str) -> bool:
    if not all(ch in _LETTERS for ch in word.lower()):
        return bool(re.fullmatch(r"[A-Z0-9Đ&/.-]+", word))  # UBND, KH&CN, 15/2024/NĐ-CP
    return bool(_SYLLABLE.match(fold(word))) or word.isupper()


def _checked(text: str, filename: str) -> str:
    share, count = vietnamese_share(text)
    if count >= _MIN_WORDS and share < _VIETNAMESE_SHARE:
        raise SourceError(
            f"{filename}: the text in the file is not readable Vietnamese (only {share:.0%} "
            f"of its {count} words are Vietnamese words): it was made with a legacy font or "
            "a broken OCR. Send the .docx, or a PDF exported again with Unicode fonts"
        )
    return text


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _docx(data: bytes, filename: str) -> str:
    import docx  # python-docx; imported here so that plain-text use does not pay for it

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types on a broken file
        raise SourceError(f"{filename}: not a readable .docx file ({type(exc).__name__})") from exc
    from docx.table import Table

    lines: list[str] = []
    # Document order matters: the header (issuer, Số) and the Nơi nhận/signature block are
    # tables in most templates, between paragraphs of the body.
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table_lines(block))
        else:
            lines.extend(_paragraph_lines(block))
    return "\n".join(lines)


def _table_lines(table: Any) -> list[str]:
    lines: list[str] = []
    for row in table.rows:
        seen: list[object] = []
        for cell in row.cells:
            if cell._tc in seen:  # a merged cell is listed once per grid column
                continue
            seen.append(cell._tc)
            for inner in cell.iter_inner_content():
                if hasattr(inner, "rows"):
                    lines.extend(_table_lines(inner))
                else:
                    lines.extend(_paragraph_lines(inner))
    return lines


def _paragraph_lines(paragraph: Any) -> list[str]:
    """A paragraph's text (soft breaks are new lines), a `- ` for a Word list item, and the
    text of the text boxes anchored in it (once: not again from their VML fallback)."""
    text = paragraph.text
    if text.strip() and _is_list_item(paragraph):
        text = f"- {text}"
    lines = [text]
    for box in paragraph._p.iter(f"{_W}txbxContent"):
        if any(a.tag == _MC_FALLBACK for a in box.iterancestors()):
            continue
        for inner in box.iter(f"{_W}p"):
            lines.append("".join(t.text or "" for t in inner.iter(f"{_W}t")))
    return lines


def _is_list_item(paragraph: Any) -> bool:
    ppr = paragraph._p.pPr
    if ppr is not None and ppr.numPr is not None:
        return True
    style = paragraph.style
    while style is not None:
        spr = style.element.pPr
        if spr is not None and spr.numPr is not None:
            return True
        style = style.base_style
    return False


def _pdf(data: bytes, filename: str) -> str:
    from pdfminer.high_level import extract_text
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psparser import PSException

    try:
        text = extract_text(io.BytesIO(data))
        stamped = _widget_text(data)
    except (PDFSyntaxError, PSException, ValueError, KeyError, TypeError, OSError) as exc:
        raise SourceError(f"{filename}: not a readable .pdf file ({type(exc).__name__})") from exc
    except Exception as exc:  # pdfminer raises its own types from deep inside on broken files
        raise SourceError(f"{filename}: not a readable .pdf file ({type(exc).__name__})") from exc
    # E-signing software stamps the number and date in a signature widget, outside the page's
    # text: put them first, where the header is read.
    text = f"{stamped}\n{text}" if stamped.strip() else text
    if not text.strip():
        raise SourceError(
            f"{filename}: the PDF has no text layer (a scan?); send a text PDF or .docx"
        )
    return text


def _widget_text(data: bytes) -> str:
    """The text drawn in the appearance of the form widgets (signature fields) of a PDF."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams, LTTextContainer
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdftypes import PDFStream, resolve1
    from pdfminer.psparser import LIT

    manager = PDFResourceManager()
    texts: list[str] = []
    for page in PDFPage.get_pages(io.BytesIO(data)):
        for ref in resolve1(page.annots) or []:
            widget = resolve1(ref)
            kind = resolve1(widget.get("Subtype")) if isinstance(widget, dict) else None
            if kind is not LIT("Widget"):
                continue
            normal = resolve1((resolve1(widget.get("AP")) or {}).get("N"))
            if not isinstance(normal, PDFStream):
                continue
            device = PDFPageAggregator(manager, laparams=LAParams())
            device.begin_page(page, (1, 0, 0, 1, 0, 0))
            resources = resolve1(normal.get("Resources")) or page.resources
            PDFPageInterpreter(manager, device).render_contents(resources, [normal])
            device.end_page(page)
            found = device.get_result()
            texts.extend(t.get_text() for t in found if isinstance(t, LTTextContainer))
    return "".join(texts)


_TABLE_ROW = re.compile(r"^\|(.*)\|\s*$")


def _doc(data: bytes, filename: str) -> str:
    antiword = shutil.which("antiword")
    if antiword is None:
        raise SourceError(
            f"{filename}: legacy Word .doc files cannot be read on this server; open the file "
            "in Word or LibreOffice, save it as .docx and send that"
        )
    try:
        done = subprocess.run(
            [antiword, "-m", "UTF-8.txt", "-w", "0", "-"],
            input=data,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SourceError(f"{filename}: the .doc file took too long to read") from exc
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise SourceError(
            f"{filename}: not a readable Word .doc file ({'; '.join(reason) or 'antiword'}); "
            "save it as .docx and send that"
        )
    text = done.stdout.decode("utf-8", "replace")
    # antiword draws tables as |cell|cell|: cells become columns split by a tab.
    return "\n".join(_untable(line) for line in text.split("\n"))


def _untable(line: str) -> str:
    row = _TABLE_ROW.match(line)
    return "\t".join(c.strip() for c in row.group(1).split("|")) if row else line
