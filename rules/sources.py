"""Gets a document's text out of a file: .txt (UTF-8), .docx, .pdf or legacy Word .doc.

- .docx (python-docx opens it; its XML is walked here): paragraphs and tables in document
  order (the header and the Nơi nhận / signature tables), also inside content controls; text
  as Word shows it (tracked insertions and moves, fields, smart tags; not deletions), text
  boxes, soft line breaks, and Word's list bullets (numbering, not text) written back as `- `.
- The kind is taken from the bytes (`file_kind`), the name only when they say nothing.
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
import unicodedata
import zipfile
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
    """The text of a document file's bytes, read as what they are (see `file_kind`)."""
    kind = file_kind(data, filename)
    if kind == "docx":
        return _checked(_docx(data, filename), filename)
    if kind == "pdf":
        return _checked(_pdf(data, filename), filename)
    if kind == "doc":
        return _checked(_doc(data, filename), filename)
    text = decode_text(data, filename)
    if not text.strip():
        raise _empty(data, filename)
    return text


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003, and Office's encrypted files
_BY_SUFFIX = {".docx": "docx", ".pdf": "pdf", ".doc": "doc"}


def file_kind(data: bytes, filename: str) -> str:
    """"docx", "pdf", "doc" or "txt": what the bytes are (a PDF renamed .docx, a .docx
    renamed .doc are common), else what the name says. A file that is empty, locked with a
    password, RTF or OpenDocument, or of a type not read, is a SourceError saying so."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (*SUFFIXES, "", ".text"):
        raise SourceError(
            f"{filename}: unsupported file type '{suffix}'; send .txt, .docx, .pdf or .doc"
        )
    head = data[:1024]
    if not data.strip(b" \t\r\n\x00"):
        raise _empty(data, filename)
    if head.lstrip().startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        if b"opendocument" in head[:200]:
            raise SourceError(f"{filename}: the file is an OpenDocument (.odt) file; open it "
                              "in LibreOffice or Word, save it as .docx and send that")
        return "docx"
    if head.startswith(_OLE):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise SourceError(f"{filename}: the file is password-protected; open it, remove "
                              "the password (File > Info > Protect Document), save it as "
                              ".docx and send that")
        return "doc"
    if head.lstrip().startswith(b"{\\rtf"):
        raise SourceError(f"{filename}: the file is an RTF file, not a Word document; open "
                          "it in Word or LibreOffice, save it as .docx and send that")
    return _BY_SUFFIX.get(suffix, "txt")


def _empty(data: bytes, filename: str) -> SourceError:
    return SourceError(f"{filename}: the file is empty ({len(data)} bytes, no text): it was "
                       "not saved or not copied whole; send the document again")


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
    # NFC first: decomposed accents (NFD, from some Mac and web tools) are Vietnamese too.
    words = [w.strip(_PUNCTUATION) for w in unicodedata.normalize("NFC", text[:20000]).split()]
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
# Inline wrappers whose runs Word shows: tracked insertions and moves (the text as it reads
# now), hyperlinks, simple fields, content controls, smart tags, custom XML. Not w:del nor
# w:moveFrom (deleted text, the old place of moved text), nor field codes (w:instrText).
_INLINE = frozenset(
    f"{_W}{tag}" for tag in ("ins", "moveTo", "hyperlink", "fldSimple", "sdt", "sdtContent",
                             "smartTag", "customXml", "dir", "bdo")
)
# Block wrappers (a template's content controls, custom XML) around paragraphs and tables.
_BLOCK = frozenset(f"{_W}{tag}" for tag in ("sdt", "sdtContent", "customXml"))
_RUN_TEXT = {f"{_W}tab": "\t", f"{_W}ptab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n",
             f"{_W}noBreakHyphen": "-"}
# Bullets typed with Insert > Symbol (w:sym, a Symbol or Wingdings code point).
_SYMBOLS = {0x2D: "-", 0xB7: "•", 0xA7: "•", 0x6C: "•", 0x6E: "•", 0xFC: "•", 0xD8: "•"}
_BULLETS = tuple("-–—+•*·")
# A block heading in a bulleted list (the whole cell made a list) gets no dash: with one,
# it no longer opened its block.
_HEADING = re.compile(r"^\s*(noi\s*nhan|kinh\s*gui)\b")


def _docx(data: bytes, filename: str) -> str:
    import docx  # python-docx; imported here so that plain-text use does not pay for it

    try:
        document = docx.Document(io.BytesIO(_transitional(data)))
    except MemoryError:
        raise  # the upload pool names its memory limit
    except Exception as exc:  # python-docx raises several unrelated types on a broken file
        raise SourceError(f"{filename}: not a readable .docx file ({type(exc).__name__}): it is "
                          "damaged or incomplete; open it in Word, save it again and send "
                          "that") from exc
    # Document order matters: the header (issuer, Số) and the Nơi nhận/signature block are
    # tables in most templates, between paragraphs of the body. The XML is walked here, not
    # through python-docx's `.text`, which drops the runs of tracked insertions, fields and
    # content controls, and whole tables inside a content control.
    try:
        styles = _styles(document)
        text = "\n".join(_blocks(document.element.body, styles))
    except (AttributeError, TypeError, ValueError, KeyError) as exc:  # parts of odd shapes
        raise SourceError(f"{filename}: not a readable .docx file ({type(exc).__name__}): "
                          "open it in Word, save it as a Word Document (.docx) and send "
                          "that") from exc
    if not text.strip():
        raise _empty(data, filename)
    return text


# Word's "Strict Open XML Document" is the same package in other namespaces.
_STRICT = {
    b"http://purl.oclc.org/ooxml/wordprocessingml/main":
        b"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    b"http://purl.oclc.org/ooxml/officeDocument/relationships":
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    b"http://purl.oclc.org/ooxml/drawingml/main":
        b"http://schemas.openxmlformats.org/drawingml/2006/main",
    b"http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing":
        b"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    b"http://purl.oclc.org/ooxml/officeDocument/extendedProperties":
        b"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
}


def _transitional(data: bytes) -> bytes:
    """A Strict Open XML package rewritten in the usual (transitional) namespaces, which
    python-docx reads; any other package as it is."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as source:
            names = source.namelist()
            rels = source.read("_rels/.rels") if "_rels/.rels" in names else b""
            if b"purl.oclc.org/ooxml" not in rels:
                return data
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
                for info in source.infolist():
                    part = source.read(info.filename)
                    if info.filename.endswith((".xml", ".rels")):
                        for strict, usual in _STRICT.items():
                            part = part.replace(strict, usual)
                    target.writestr(info, part)
            return out.getvalue()
    except (zipfile.BadZipFile, KeyError, OSError, EOFError):
        return data  # python-docx says what is wrong with it


class _Styles:
    """What the document's styles do to the text: which paragraph styles are Word lists, and
    which styles (paragraph or character) show their text in capitals."""

    __slots__ = ("caps", "listed")

    def __init__(self, listed: frozenset[str], caps: frozenset[str]) -> None:
        self.listed, self.caps = listed, caps


def _styles(document: Any) -> _Styles:
    listed: set[str] = set()
    caps: set[str] = set()
    for style in document.styles:
        current, numbered, capital = style, False, None
        while current is not None:
            ppr = getattr(current.element, "pPr", None)
            numbered = numbered or (ppr is not None and ppr.numPr is not None)
            rpr = current.element.find(f"{_W}rPr")
            if capital is None and rpr is not None:
                capital = _switch(rpr, "caps")
            current = getattr(current, "base_style", None)
        if numbered:
            listed.add(style.style_id)
        if capital:
            caps.add(style.style_id)
    return _Styles(frozenset(listed), frozenset(caps))


def _switch(rpr: Any, name: str) -> bool | None:
    """A run property's on/off value (`<w:caps/>` is on, `w:val="0"` off), None if unset."""
    found = rpr.find(f"{_W}{name}")
    if found is None:
        return None
    return found.get(f"{_W}val", "true").lower() not in ("0", "false", "off")


def _blocks(container: Any, styles: _Styles) -> list[str]:
    """The lines of the paragraphs and tables of a body, cell or text box, in order."""
    lines: list[str] = []
    for child in container:
        if child.tag == f"{_W}p":
            lines.extend(_paragraph_lines(child, styles))
        elif child.tag == f"{_W}tbl":
            lines.extend(_table_lines(child, styles))
        elif child.tag in _BLOCK:
            lines.extend(_blocks(child, styles))
    return lines


def _wrapped(parent: Any, tag: str) -> list[Any]:
    """The `tag` children of `parent`, also those wrapped in content controls / custom XML."""
    found: list[Any] = []
    for child in parent:
        if child.tag == f"{_W}{tag}":
            found.append(child)
        elif child.tag in _BLOCK:
            found.extend(_wrapped(child, tag))
    return found


def _table_lines(table: Any, styles: _Styles) -> list[str]:
    """A table's cells: row by row, left to right; but rows joined by a cell merged down
    (a signature beside several rows of items) are read column by column, so that the items
    of all those rows come together and the merged cell once."""
    bands: list[list[tuple[int, int, Any]]] = []  # (column, row, cell) of the cells that start
    above: dict[int, Any] = {}  # grid column -> the cell starting there in the row above
    for number, row in enumerate(_wrapped(table, "tr")):
        column, here, joined = _grid_before(row), {}, False
        starts: list[tuple[int, int, Any]] = []
        for cell in _wrapped(row, "tc"):
            props = cell.find(f"{_W}tcPr")
            merge = props.find(f"{_W}vMerge") if props is not None else None
            span = props.find(f"{_W}gridSpan") if props is not None else None
            if merge is not None and merge.get(f"{_W}val") != "restart" and column in above:
                here[column], joined = above[column], True
            else:
                here[column] = cell
                starts.append((column, number, cell))
            column += _int(span.get(f"{_W}val") if span is not None else None, 1)
        above = here
        if joined and bands:
            bands[-1].extend(starts)
        else:
            bands.append(starts)
    lines: list[str] = []
    for band in bands:
        if len({row for _, row, _ in band}) > 1:
            band = sorted(band, key=lambda start: (start[0], start[1]))
        for _, _, cell in band:
            lines.extend(_blocks(cell, styles))
    return lines


def _grid_before(row: Any) -> int:
    props = row.find(f"{_W}trPr")
    before = props.find(f"{_W}gridBefore") if props is not None else None
    return _int(before.get(f"{_W}val") if before is not None else None, 0)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _paragraph_lines(paragraph: Any, styles: _Styles) -> list[str]:
    """A paragraph's text (soft breaks are new lines), a `- ` for a Word list item, and the
    text of the text boxes anchored in it (once: not again from their VML fallback, nor from
    the paragraphs of an outer text box)."""
    ppr = paragraph.find(f"{_W}pPr")
    style = ppr.find(f"{_W}pStyle") if ppr is not None else None
    caps = style is not None and style.get(f"{_W}val") in styles.caps
    text = "".join(_inline_text(paragraph, styles, caps))
    if (text.strip() and not text.lstrip().startswith(_BULLETS)
            and not _HEADING.match(fold(text)) and _is_list_item(paragraph, styles.listed)):
        text = f"- {text}"
    lines = [text]
    for box in paragraph.iter(f"{_W}txbxContent"):
        if any(a.tag == _MC_FALLBACK for a in box.iterancestors()):
            continue
        if next(box.iterancestors(f"{_W}p"), None) is not paragraph:
            continue  # a box inside a box: read with the inner box's paragraph
        lines.extend(_blocks(box, styles))
    return lines


def _inline_text(element: Any, styles: _Styles, caps: bool) -> list[str]:
    pieces: list[str] = []
    for child in element:
        if child.tag == f"{_W}r":
            pieces.extend(_run_text(child, styles, caps))
        elif child.tag in _INLINE:
            pieces.extend(_inline_text(child, styles, caps))
    return pieces


def _run_text(run: Any, styles: _Styles, caps: bool) -> list[str]:
    """The run's text; in capitals if it is formatted All Caps or Small Caps (directly, by
    its character style, or by its paragraph's style), as Word shows it."""
    rpr = run.find(f"{_W}rPr")
    if rpr is not None:
        style = rpr.find(f"{_W}rStyle")
        if style is not None and style.get(f"{_W}val") in styles.caps:
            caps = True
        for name in ("caps", "smallCaps"):
            if (direct := _switch(rpr, name)) is not None:
                caps = direct
                break
    pieces: list[str] = []
    for child in run:
        if child.tag == f"{_W}t":
            pieces.append(child.text or "")
        elif child.tag in _RUN_TEXT:
            pieces.append(_RUN_TEXT[child.tag])
        elif child.tag == f"{_W}sym":
            code = _hex(child.get(f"{_W}char"))
            pieces.append(_SYMBOLS.get(code & 0xFF, "•") if code else "")
    return [piece.upper() for piece in pieces] if caps else pieces


def _hex(value: str | None) -> int:
    try:
        return int(value or "", 16)
    except ValueError:
        return 0


def _is_list_item(paragraph: Any, listed: frozenset[str]) -> bool:
    ppr = paragraph.find(f"{_W}pPr")
    numbering = ppr.find(f"{_W}numPr") if ppr is not None else None
    if numbering is not None:
        number = numbering.find(f"{_W}numId")
        # numId 0 takes away the numbering a style would give.
        return number is None or number.get(f"{_W}val") != "0"
    style = ppr.find(f"{_W}pStyle") if ppr is not None else None
    return style is not None and style.get(f"{_W}val") in listed


def _pdf(data: bytes, filename: str) -> str:
    try:
        text, images = _pdf_text(data)
        stamped = _widget_text(data)
    except MemoryError:
        raise  # the upload pool names its memory limit
    except Exception as exc:  # pdfminer raises its own types from deep inside on broken files
        if type(exc).__name__ in ("PDFPasswordIncorrect", "PDFEncryptionError"):
            raise SourceError(f"{filename}: the file is password-protected; open it, print "
                              "or export it to a PDF without a password and send that") from exc
        raise SourceError(f"{filename}: not a readable .pdf file ({type(exc).__name__}): it is "
                          "damaged or incomplete; send the file again, or export it again "
                          "as PDF") from exc
    letters = sum(ch.isalpha() for ch in text)
    if images and letters < _SCAN_LETTERS:
        raise SourceError(
            f"{filename}: the PDF is a scan: its pages are images, with only {letters} letters "
            "of text (a page number or a signature stamp); send a text PDF or .docx"
        )
    # E-signing software stamps the number and date in a signature widget, outside the page's
    # text: put them first, where the header is read.
    text = f"{stamped}\n{text}" if stamped.strip() else text
    if not text.strip():
        raise SourceError(
            f"{filename}: the PDF has no text layer (a scan?); send a text PDF or .docx"
        )
    return text


# A real page of a letter holds hundreds of letters; a scan with a page number or an
# e-signature stamp, a few dozen.
_SCAN_LETTERS = 120


def _pdf_text(data: bytes) -> tuple[str, int]:
    """pdfminer's text (as its `extract_text` writes it), each page's Nơi nhận block put in
    reading order (see `_column_order`); and how many images the pages draw."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTContainer, LTImage, LTText, LTTextBox, LTTextLine

    images = 0

    def render(item: Any, out: list[str]) -> None:
        nonlocal images
        if isinstance(item, LTImage):
            images += 1
        if isinstance(item, LTContainer):
            for child in item:
                render(child, out)
        elif isinstance(item, LTText):
            out.append(item.get_text())
        if isinstance(item, LTTextBox):
            out.append("\n")

    pages: list[str] = []
    carried: _Columns | None = None
    for page in extract_pages(io.BytesIO(data)):
        pieces: list[_Piece] = []
        for item in page:
            if isinstance(item, LTTextBox):
                for line in item:
                    if isinstance(line, LTTextLine):
                        pieces.append(_Piece(line.get_text(), line.bbox))
                    else:
                        pieces.append(_Piece("".join(_rendered(render, line)), None))
                pieces.append(_Piece("\n", None))
            else:
                pieces.append(_Piece("".join(_rendered(render, item)), None))
        ordered, carried = _column_order(pieces, carried)
        pages.append("".join(piece.text for piece in ordered) + "\f")
    return "".join(pages), images


def _rendered(render: Any, item: Any) -> list[str]:
    out: list[str] = []
    render(item, out)
    return out


class _Piece:
    """A piece of a page's text: a text line with its box (x0, y0, x1, y1), or other text."""

    __slots__ = ("box", "text")

    def __init__(self, text: str, box: tuple[float, float, float, float] | None) -> None:
        self.text, self.box = text, box


_NOI_NHAN = re.compile(r"^\s*noi\s*nhan\b")


_Columns = tuple[float, float, float]  # where the right column starts to be, starts, is crossed


def _column_order(pieces: list[_Piece], carried: _Columns | None = None,
                  ) -> tuple[list[_Piece], _Columns | None]:
    """The Nơi nhận block of a page as a column, then the signature column beside it; and
    the columns, if the block runs on to the next page.

    pdfminer orders its text boxes by a clustering of their areas: when the signature is
    shorter than the list beside it, the items beside and below the signer's name came after
    it (where the reader's block has ended) and were lost. From the Nơi nhận heading down,
    the lines are split at the start of the right column (the left-most line that starts
    right of the heading by more than a third of the remaining width); the block ends at
    the first line that runs across both columns (an appendix, a footer). A block that
    reaches the foot of its page goes on at the top of the next page (a table row broken
    across pages), in the same columns. A page without a right column beside the heading is
    left as pdfminer gave it."""
    lines = [p for p in pieces if p.box is not None]
    heading = next((p for p in lines if _NOI_NHAN.match(fold(p.text))), None)
    start = _block_start(lines, heading, carried)
    if start is None:
        return pieces, None
    below, (threshold, right_x, across) = start
    left: list[_Piece] = []
    right: list[_Piece] = []
    ended = False
    for piece in below:
        assert piece.box is not None
        if piece.box[0] >= threshold:
            right.append(piece)
        elif piece.box[2] <= across:
            left.append(piece)
        else:
            ended = True  # an appendix, a footer: the block has ended above it
            break
    onward = None if ended else (threshold, right_x, across)
    if not right or (heading is not None and heading not in left):
        return pieces, onward
    band = {id(p) for p in (*left, *right)}
    ordered: list[_Piece] = []
    block = [*left, _Piece("\n", None), *right]  # goes where its first line was
    for piece in pieces:
        if id(piece) not in band:
            ordered.append(piece)
        elif block:
            for line in block:
                ordered.extend([line, _Piece("\n", None)] if line.box else [line])
            block = []
    return ordered, onward


def _block_start(lines: list[_Piece], heading: _Piece | None, carried: _Columns | None,
                 ) -> tuple[list[_Piece], _Columns] | None:
    """The lines of the page from the block's start down, top first, and its columns: from
    the heading, or from the top of a page the block runs on to; None if no block is here."""
    if not lines:
        return None
    right_edge = max(p.box[2] for p in lines if p.box is not None)
    if heading is None or heading.box is None:
        if carried is None:
            return None
        return sorted(lines, key=lambda p: -(p.box[3] if p.box else 0.0)), carried
    left_x, top = heading.box[0], heading.box[3] + (heading.box[3] - heading.box[1])
    threshold = max(heading.box[2], left_x + (right_edge - left_x) / 3)
    # The signature's first line may sit a little higher than the heading; the left column
    # starts at the heading (the body above it is not part of the block).
    below = sorted((p for p in lines if p.box is not None and (
        p.box[3] <= heading.box[3] + 1 or (p.box[0] >= threshold and p.box[3] <= top))),
        key=lambda p: -(p.box[3] if p.box is not None else 0.0))
    right_x = min((p.box[0] for p in below if p.box is not None and p.box[0] >= threshold),
                  default=None)
    if right_x is None:
        return None
    # A line across both columns (to past the middle of the right one: not merely a long
    # item running a little over) ends the block.
    return below, (threshold, right_x, right_x + (right_edge - right_x) / 2)


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
            preexec_fn=_cpu_limit,  # outlives a killed upload worker otherwise
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
    if not text.strip():
        raise _empty(data, filename)
    return "\n".join(_untabled(text.split("\n")))


def _untabled(lines: list[str]) -> list[str]:
    """antiword draws a table as lines of |cell|cell|, row by row. A two-column table (the
    header, the Nơi nhận | signature table) is read column by column, as .docx cells are:
    row by row, a signature merged down beside an item per row came before the items and
    ended the block. Other tables keep their rows, cells split by a tab."""
    out: list[str] = []
    table: list[list[str]] = []
    for line in [*lines, ""]:
        row = _TABLE_ROW.match(line)
        if row:
            table.append([c.strip() for c in row.group(1).split("|")])
            continue
        if table and all(len(cells) == 2 for cells in table):
            out.extend(cells[0] for cells in table if cells[0])
            out.extend(cells[1] for cells in table if cells[1])
        else:
            out.extend("\t".join(cells) for cells in table)
        table = []
        out.append(line)
    return out[:-1]


def _cpu_limit() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
