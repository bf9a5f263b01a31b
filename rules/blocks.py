"""Finds the recipient blocks (`Kính gửi`, `Nơi nhận`) and their items, losing nothing.

A block's *region* runs from its heading to the first text that is certainly not recipient
text: the body (for Kính gửi), the end of the signature or an appendix (for Nơi nhận), the end
of the text. Every non-blank character of the region ends up in exactly one place: an item, an
`unread` line (kept for the clerk: the reader could not tell it is a recipient), the signature,
or a bullet/number marker. Items are kept as written (the dash and the final `;` kept,
continuation lines joined) so that an auditor recognises them; number markers (`1.`, `a)`) are
dropped from the item, as they are layout, not words.

Layouts read: bullets `- – — + • * ·` or none; numbered and lettered items; items separated by
newlines, blank lines or lines of blanks; items wrapped over several lines; a bullet alone on its
line; the whole block on one line; headings in capitals, without colon, with the first item on
the heading line; the signature column interleaved or joined onto item lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice

from rules import signature as sig
from rules.layout import MARKER, Cell, iter_cells
from rules.text import fold

_HEAD = {
    "kinh_gui": re.compile(r"^kinh\s*gui\b\s*(:)?\s*"),
    # `Nơi nhận (để thực hiện):`: a note on the heading is part of its label.
    "noi_nhan": re.compile(r"^noi\s*nhan\b\s*(?:\([^()]{1,60}\)\s*(?=:))?(:)?\s*"),
}
_BEFORE_HEADING = " *_-–•"  # bold/italic marks, and a bullet typed before `Nơi nhận:`
_SECOND = frozenset("ơOoƠíIiÍ")  # Nơi, NOI, Kính, KÍNH, Kinh: a cheap test before folding
_QUOTES = "\"'“”‘’«»„"
# Item boundaries inside one physical line: "; - next", "; 2. next", "; b) next".
_SPLIT_MARKED = re.compile(r"(?<=[;.])\s+(?=(?:[-–—+•*·▪●]|\d{1,2}[.)]|[a-zđ]\))\s)")
_SPLIT_PLAIN = re.compile(r"(?<=;)\s+(?=\S)")
_NUMBER_MARKER = re.compile(r"^(?:\d{1,2}[.)]|[a-zđ][.)])\s*")
_ARTICLE = re.compile(r"^\W*điều\s+(\d+)\s*[.:]", re.IGNORECASE)
_CLAUSE = re.compile(r"^\W*(\d{1,2})\s*[.)]\s")
# Where an appendix or attached form starts after the signature (folded, upper-case line).
_APPENDIX = re.compile(
    r"^(?:phu\s*luc|mau\s*(?:so)?\s*\d|mau\s+so|bieu\s*mau|cong\s*hoa\s*xa\s*hoi|"
    r"\(?\s*(?:ban\s*hanh\s*)?kem\s*theo)\b"
)
# Words that open the body of a letter right after Kính gửi (folded).
_BODY_OPENERS = re.compile(
    r"^(?:thuc\s*hien|can\s*cu|theo|tren\s*co\s*so|phuc\s*dap|tra\s*loi|tiep\s*nhan|nham|de\s|"
    r"duoc\s*su|ngay\s*\d|vua\s*qua|hien\s*nay|qua\s|xet\s|sau\s*khi|tiep\s*theo|nhan\s*duoc|"
    r"ve\s*viec|trong\s*thoi\s*gian|thoi\s*gian\s*qua|nhu\s*da)"
)
_BODY_WORDS = re.compile(
    r"\b(?:nhan\s*duoc|nhu\s*sau|tran\s*trong|de\s*nghi|xin\s*bao\s*cao|"
    r"bao\s*cao\s*ket\s*qua|co\s*y\s*kien)\b"
)
# The co-addressees' label inside a Kính gửi block (`Đồng kính gửi: Sở Tư pháp.`): what
# follows it are addressees too, whatever the line before ended with.
_CO_ADDRESSEES = re.compile(r"^[\s*_]*đồng\s+(?:kính\s+)?gửi\s*:", re.IGNORECASE)
_SECTION = re.compile(r"^(?:[IVX]{1,4}\.\s|\d{1,2}\.\s*(?P<word>\w{2,}))")
_ABBREVIATION_END = re.compile(r"(?:^|[\s(])[A-ZĐ]{1,4}\.$")
_TRAILING_NOTE = re.compile(r"\s*\([^()]*\)$")
_MAX_ITEM_WORDS = 60
_MAX_ADDRESS_WORDS = 25


@dataclass
class Block:
    """What one block's region held, every non-blank character of it in exactly one list."""

    items: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    signature: list[str] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    found: bool = False
    ended: bool = False  # the reading stopped before the end of the region (body, appendix)

    def then(self, other: Block) -> Block:
        """This block's lines followed by `other`'s: one list under two headings."""
        return Block(
            items=self.items + other.items,
            unread=self.unread + other.unread,
            signature=self.signature + other.signature,
            markers=self.markers + other.markers,
            region=self.region + other.region,
            found=True,
            ended=other.ended,
        )


def may_start_block(line: str) -> str | None:
    """A cheap test: the section whose heading a raw line may hold (in any column)."""
    if "\t" in line or "   " in line:
        return next(filter(None, map(may_start_block, re.split(r"\t|\s{3,}", line))), None)
    start = line.lstrip(_BEFORE_HEADING + "\xa0")
    if start[:1] not in "KkNn" or start[1:2] not in _SECOND:
        return None
    key = fold(start[:12]).replace(" ", "")
    if key.startswith("noinhan"):
        return "noi_nhan"
    return "kinh_gui" if key.startswith("kinhgui") else None


def heading(text: str, section: str) -> str | None:
    """The text after the heading label when `text` starts a `section` block, else None.

    A label in quotes (a style guide explaining what to write after "Kính gửi") is no
    heading, nor is `Nơi nhận hồ sơ: ...` in a body sentence."""
    start = text.lstrip(_BEFORE_HEADING)
    if not start or start[0] not in "KkNn" or len(start) > 600 or start[1:2] not in _SECOND:
        return None
    match = _HEAD[section].match(fold(start[:80]))
    if match is None or (MARKER.match(text) and not match.group(1)):
        return None  # a bullet before a heading is a typist's slip only with its colon
    rest = start[match.end() :].strip()
    if rest and rest[0] in _QUOTES:
        return None
    if section == "noi_nhan" and rest and not MARKER.match(rest):
        # "Nơi nhận hồ sơ: ..." is a sentence; "Nơi nhận: như trên;" is a block.
        if rest[0].islower() and not rest.endswith((";", ".")):
            return None
        if not match.group(1) and not (rest[0].isupper() or rest.endswith(";")):
            return None
    return rest


_Head = tuple[tuple[int, int], str, str]  # (position, section, text after the label)


def find_blocks(cells: list[Cell]) -> tuple[Block, Block]:
    """The Kính gửi and Nơi nhận blocks of a document's cells."""
    heads = [((i, 0), s, rest) for i, c in enumerate(cells) for s, rest in _heads_of(c.text)]
    ends = [i for (i, _), _, _ in heads] + [len(cells)]

    def region(at: tuple[int, int]) -> Iterator[Cell]:
        return iter(cells[at[0] + 1 : next(i for i in ends if i > at[0])])

    return _choose(heads, region)


def read_blocks(lines: list[str]) -> tuple[Block, Block]:
    """The blocks of a document's normalised lines; the lines are cut into cells only where a
    heading may stand and where a block is read (the body is none of the reader's business)."""
    heads: list[_Head] = []
    for row, line in enumerate(lines):
        if may_start_block(line):
            for cell in iter_cells(lines, (row,)):
                heads.extend(((row, cell.column), s, rest) for s, rest in _heads_of(cell.text))

    def region(at: tuple[int, int]) -> Iterator[Cell]:
        # The rest of the heading's line, then the lines up to the next heading.
        stop = next((pos for pos, _, _ in heads if pos > at), (len(lines), 0))
        same_row = (c for c in iter_cells(lines, (at[0],)) if at[1] < c.column)
        return chain(
            (c for c in same_row if stop[0] > at[0] or c.column < stop[1]),
            iter_cells(lines, range(at[0] + 1, stop[0])),
        )

    return _choose(heads, region)


def _heads_of(text: str) -> list[tuple[str, str]]:
    found = []
    for section in ("kinh_gui", "noi_nhan"):
        rest = heading(text, section)
        if rest is not None:
            found.append((section, rest))
    return found


def _choose(
    heads: list[_Head], region: Callable[[tuple[int, int]], Iterator[Cell]]
) -> tuple[Block, Block]:
    """The document's own blocks among the headings: the first Nơi nhận closed by a signature
    (a form after it has its own), else the last; the first Kính gửi before it."""
    noi_nhan, carried = Block(), Block()
    chosen_at = (1 << 30, 0)
    for index, (at, section, rest) in enumerate(heads):
        if section == "noi_nhan":
            noi_nhan, chosen_at = carried.then(_read_noi_nhan(list(region(at)), rest)), at
            if noi_nhan.signature:
                break
            # `Nơi nhận (để thực hiện):` then `Nơi nhận (để biết):`: one list, two headings.
            following = heads[index + 1][1] if index + 1 < len(heads) else None
            carried = noi_nhan if following == "noi_nhan" and not noi_nhan.ended else Block()
    kinh_gui = Block()
    for at, section, rest in heads:
        if section == "kinh_gui" and at < chosen_at:
            kinh_gui = _read_kinh_gui(region(at), rest)
            break
    return kinh_gui, noi_nhan


class _Items:
    """The items of one block as they are built, with the accounting lists of its `Block`."""

    def __init__(self, block: Block, terminated: bool) -> None:
        self.block = block
        self.terminated = terminated  # the block ends its items with ';'
        self.indent = 0
        self.marked = False  # the block's items carry bullets or numbers
        self.unread_last = False  # the last line read was set aside as unread
        self.unread_indent = 0
        self.numbered = False
        # The marker of an item that ends with ':' (`- Các sở:`): items under it with another
        # marker (`+ Tài chính;`) are its members, joined onto it.
        self.head_marker: str | None = None
        self.labelled = False  # a co-addressees' label ended the last line: items follow

    @property
    def last(self) -> str | None:
        return self.block.items[-1] if self.block.items else None

    def is_open(self) -> bool:
        """Whether the last item runs on onto the next line."""
        return self.last is not None and _runs_on(self.last)

    def continues(self, cell: Cell) -> bool:
        """Whether `cell` (no marker) wraps the last item rather than starting one."""
        if not self.is_open():
            return False
        assert self.last is not None
        text = cell.text
        if self.terminated or self.marked or text[0].islower() or cell.indent > self.indent:
            return True
        return self.last.rstrip().endswith((",", "-", "&", " và", " và các"))

    def add_line(self, text: str, indent: int, titled: bool) -> bool:
        """Add the items of one line; returns whether signature text was found on it."""
        marked = MARKER.match(text) is not None
        splitter = _SPLIT_MARKED if marked else _SPLIT_PLAIN
        if not marked and ":" in text.split(";", 1)[0]:
            splitter = _SPLIT_MARKED  # "Các sở: TC; GD&ĐT;" is one item
        signed = False
        for piece in splitter.split(text):
            piece = piece.strip()
            if not piece:
                continue
            if not MARKER.match(piece) and sig.is_signature(piece, titled or signed):
                tail: int | None = 0
            else:
                tail = sig.signature_tail(piece, titled or signed)
            if tail is not None:
                self.block.signature.append(piece[tail:].strip())
                piece = piece[:tail].strip()
                signed = True
                if not piece:
                    continue
            self._append(piece, indent)
        return signed

    def _append(self, piece: str, indent: int) -> None:
        number = _NUMBER_MARKER.match(piece)
        if number and piece[number.end() :].strip():
            self.block.markers.append(number.group().strip())
            piece = piece[number.end() :]
        if not piece.strip(" -–—+•*·▪●;.,"):
            self.block.markers.append(piece)  # a bullet and a ';' with nothing between
            return
        if not self.block.items:
            self.marked = bool(MARKER.match(piece)) or number is not None
            self.numbered = number is not None and number.group()[0].isdigit()
        kind = "#" if number else _marker_kind(piece)
        if self.head_marker is not None and kind is not None and kind != self.head_marker:
            bullet = MARKER.match(piece)
            cut = bullet.end() if bullet and not number else 0
            if cut:
                self.block.markers.append(piece[:cut].strip())
            self.block.items[-1] = f"{self.block.items[-1]} {piece[cut:].strip()}"
            return
        self.block.items.append(piece)
        self.indent = indent
        self.head_marker = kind if piece.rstrip().endswith(":") else None

    def runs_on(self, text: str) -> bool:
        """In a bulleted list, a line without bullet after `X;` wraps the item at an inner
        `;` (`- Các Bộ: TP;` / `KH&CN;`), or is an item whose bullet was forgotten: joined,
        both read the same and nothing is lost."""
        last = self.last
        return self.marked and last is not None and last.rstrip().endswith((";", "."))

    def revive(self, cell: Cell, blank: bool) -> bool:
        """An upper-case line set aside as unread (`UBND`) that the next line continues in
        lower case (`các xã, phường`): it was an item's start after all."""
        unread = self.block.unread
        if blank or not unread:
            return False
        wraps = cell.text[0].islower() or cell.indent > self.unread_indent
        if not wraps and not (self.terminated and _runs_on(unread[-1])):
            return False
        self.block.items.append(unread.pop())
        self.wrap(cell.text)
        return True

    def set_aside(self, cell: Cell, text: str) -> None:
        """Keep `text` (of `cell`) for the clerk as an unread line."""
        self.block.unread.append(text)
        self.unread_last = True
        self.unread_indent = cell.indent

    def wrap(self, text: str, titled: bool = False) -> bool:
        """Join a continuation line onto the last item; signature text flattened onto its
        end goes to the signature. Returns whether there was some."""
        tail = sig.signature_tail(text, titled)
        if tail is not None:
            self.block.signature.append(text[tail:].strip())
            text = text[:tail].strip()
        self.block.items[-1] = f"{self.block.items[-1]} {text}"
        return tail is not None


def _marker_kind(piece: str) -> str | None:
    """The bullet an item starts with (None: none)."""
    bullet = MARKER.match(piece)
    return piece[0] if bullet and not piece[0].isalnum() else None


def _terminated(cells: list[Cell]) -> bool:
    """Whether the block ends its items with `;` (a note after it, `(Đã ký)`, or the
    signature joined after one space, `Điều 3; PHÓ CHỦ TỊCH`, aside)."""
    texts = [_TRAILING_NOTE.sub("", c.text) for c in cells[:40] if c.text]
    return any(t.endswith(";") or _before_signature(t).endswith(";") for t in texts)


def _before_signature(text: str) -> str:
    tail = sig.signature_tail(text, False) if ";" in text else None
    return text if tail is None else text[:tail].rstrip()


def _read_noi_nhan(region: list[Cell], rest: str) -> Block:
    block = Block(found=True)
    items = _Items(block, _terminated(region) or rest.count(";") > 0)
    state = _Signing()
    if rest:
        block.region.append(rest)
        state.titled = items.add_line(rest, 0, False)
    blank = False
    for cell in region:
        if not cell.text:
            blank = True
            continue
        if not _noi_nhan_line(cell, items, state, blank):
            block.ended = True
            break
        block.region.append(cell.text)
        blank = False
    if state.pending is not None:
        block.unread.append(state.pending)
    return block


@dataclass
class _Signing:
    """Where the reading of a Nơi nhận region stands."""

    titled: bool = False  # an office title of the signature was seen
    named: bool = False  # and the signer's name after it
    pending: str | None = None  # a bullet alone on its line, waiting for its item


def _noi_nhan_line(cell: Cell, items: _Items, state: _Signing, blank: bool) -> bool:
    """Read one line of a Nơi nhận region; False when the region ended before it."""
    block = items.block
    text = cell.text
    if state.pending is not None and (MARKER.match(text) or (state.titled and _signer(text))):
        block.unread.append(state.pending)  # a bullet whose item never came: flagged
        state.pending = None
    elif state.pending is not None:
        text, state.pending = f"{state.pending} {text}", None
    marked = _marked(text, items, blank)
    if marked and MARKER.fullmatch(text + " "):
        state.pending = text  # a bullet alone on its line: the item is on the next
        return True
    after = text[_marker_end(text) :] if marked else text
    if marked and (sig.is_title(after) or sig.is_seal(after, bulleted=True)):
        # A bullet alone in the left column, a signature title in the right one; a lone
        # number there may end the item above (`- Như Điều` / `3.   PHÓ CHỦ TỊCH`).
        lead = text[: len(text) - len(after)].strip()
        if _marked(lead, items, blank):
            state.pending = lead
        else:
            items.wrap(lead)
        block.signature.append(after)
        state.titled = state.titled or sig.is_title(after)
        return True
    if state.named and (_appendix(text) or not (marked and _runs_on_below(items))):
        return False  # the signature is complete and the list closed: what follows is not ours
    if marked:
        items.unread_last = False
        state.titled = items.add_line(text, cell.indent, state.titled) or state.titled
        return True
    return _noi_nhan_plain(cell, items, state, blank)


def _runs_on_below(items: _Items) -> bool:
    """Whether the list goes on after the signer's name: its last item wraps, or the list
    is not finished yet (no `Lưu` item, no full stop). A table flattened onto lines puts the
    signature beside or between the items when the list is the longer column
    (`- Sở Nội vụ;   Trần Văn A` / `- Sở Xây dựng;`, or each cell on a line of its own)."""
    if items.is_open():
        return True
    return not (items.last is None or _closed(items) or any(map(_is_archive, items.block.items)))


def _signer(text: str) -> bool:
    """The signer's name under the titles, no item."""
    return MARKER.match(text) is None and sig.is_name(text, upper_too=True)


def _noi_nhan_plain(cell: Cell, items: _Items, state: _Signing, blank: bool) -> bool:
    """A line of a Nơi nhận region without bullet: signature, wrap, item or unread."""
    text = cell.text
    if sig.is_title(text) or sig.is_seal(text):
        items.block.signature.append(text)
        state.titled = state.titled or sig.is_title(text)
        return True
    was_unread, items.unread_last = items.unread_last, False
    if not blank and items.continues(cell):
        state.titled = items.wrap(text, state.titled) or state.titled
    elif was_unread and items.revive(cell, blank):
        pass
    elif state.titled and sig.is_name(text, upper_too=True):
        items.block.signature.append(text)
        state.named = True
    elif _appendix(text):
        return False
    elif _archive_tail(items.last, text):
        items.wrap(text)
    elif _unreadable(text):
        items.set_aside(cell, text)
    elif not blank and items.runs_on(text):
        state.titled = items.wrap(text, state.titled) or state.titled
    else:
        state.titled = items.add_line(text, cell.indent, state.titled) or state.titled
    return True


def _read_kinh_gui(cells: Iterator[Cell], rest: str) -> Block:
    block = Block(found=True)
    first = list(islice(cells, 12))
    region = chain(first, islice(cells, 68))  # 80 lines at most: a long list is body text
    items = _Items(block, _terminated(first) or rest.endswith(";"))
    state = _Signing()
    blank = False
    if rest:
        block.region.append(rest)
        items.add_line(rest, 0, False)
    for cell in region:
        if not cell.text:
            blank = True
            continue
        pending, text = state.pending, cell.text
        if pending is not None and MARKER.match(text):
            block.unread.append(pending)  # a bullet whose item never came: flagged
            pending = state.pending = None
        elif pending is not None:
            text, state.pending = f"{pending} {text}", None
        marked = _marked(text, items, blank)
        if marked and MARKER.fullmatch(text + " "):
            state.pending = text
        elif not _kinh_gui_line(cell, text, marked, items, blank):
            state.pending = pending  # the bullet stays ours: it is flagged below
            break
        block.region.append(cell.text)
        blank = False
    if state.pending is not None:
        block.unread.append(state.pending)
    return block


def _kinh_gui_line(cell: Cell, text: str, marked: bool, items: _Items, blank: bool) -> bool:
    """Read one line after Kính gửi; False when it is the body of the letter."""
    was_unread, items.unread_last = items.unread_last, False
    label = _CO_ADDRESSEES.match(text)
    if label:
        items.block.markers.append(label.group().strip())
        rest = text[label.end() :].strip()
        if rest:
            items.add_line(rest, cell.indent, False)
        items.labelled = not rest
        return True
    if items.labelled and not _is_prose(text):
        items.labelled = False
        items.add_line(text, cell.indent, False)
        return True
    if marked:
        if _is_body(text, marked, items, blank):
            return False
        items.add_line(text, cell.indent, False)
    elif not blank and not _is_prose(text) and (items.continues(cell) or items.runs_on(text)):
        if _unreadable(text) and not items.is_open():
            items.set_aside(cell, text)
        else:
            items.wrap(text)
    elif was_unread and items.revive(cell, blank):
        pass
    elif _is_body(text, marked, items, blank):
        return False
    elif _unreadable(text) or (blank and _closed(items)):
        items.set_aside(cell, text)
    else:
        items.add_line(text, cell.indent, False)
    return True


def _marker_end(text: str) -> int:
    marker = MARKER.match(text)
    return marker.end() if marker else 0


def _marked(text: str, items: _Items, blank: bool) -> bool:
    """Whether `text` starts with a bullet or number; a lone number right under an unfinished
    item (`- Như Điều` / `3.`) is its end, unless the block numbers its items."""
    marker = MARKER.match(text)
    if marker is None:
        return False
    if text[:1].isdigit() and marker.end() == len(text) and not blank and items.is_open():
        return items.numbered
    return True


def _runs_on(item: str) -> bool:
    """No `;` or `.` at the end, or the `.` of an abbreviation (`- TT.` / `Tỉnh ủy;`)
    outside a Lưu item."""
    end = item.rstrip()
    if end.endswith("."):
        return bool(_ABBREVIATION_END.search(end)) and not _is_archive(end)
    return not end.endswith(";")


def _closed(items: _Items) -> bool:
    last = items.last
    return last is not None and last.rstrip().endswith(".")


def _is_body(text: str, marked: bool, items: _Items, blank: bool) -> bool:
    """Whether a line after Kính gửi is certainly the body of the letter (or its end)."""
    words = text.count(" ") + 1
    if sig.is_title(text) or sig.is_seal(text):
        return True
    if marked:
        return words > _MAX_ITEM_WORDS or (blank and _closed(items) and words > 12)
    if blank and items.marked:
        return True  # a bulleted list, a blank line, then a paragraph: the body
    key = fold(text[:160])
    section = _SECTION.match(text)
    if section and (section.group("word") is None or section.group("word").isupper()):
        return True  # "II. KẾT QUẢ", "1. MỤC ĐÍCH": a heading of the body
    if words > _MAX_ADDRESS_WORDS or _BODY_OPENERS.match(key):
        return True
    if key.startswith(("v/v", "so:", "so ")) and "/" in key:
        return True
    if text.endswith(":") and words >= 4:
        return True
    if _BODY_WORDS.search(fold(re.sub(r"\([^()]*\)", " ", text))):
        return True
    if not items.marked and len(items.block.items) == 1 and _closed(items) and words > 6:
        return True  # "Kính gửi: Sở Y tế, Sở Tài chính." then a sentence: the body
    return bool(items.last is not None and _closed(items) and blank and words > 12)


def _is_prose(text: str) -> bool:
    """A sentence of the body even right under an unfinished item (no blank line between)."""
    words = text.count(" ") + 1
    key = fold(text[:160])
    return (
        words > _MAX_ADDRESS_WORDS
        or (words > 6 and bool(_BODY_OPENERS.match(key)))
        or (text.endswith(":") and words >= 4)
        or bool(_BODY_WORDS.search(key))
    )


def _unreadable(text: str) -> bool:
    """Text with no bullet that the reader cannot take for a recipient with confidence: an
    upper-case run that is no list (`UBND TỈNH`), a lone number, a page mark."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 2:
        return True
    upper = all(ch.isupper() for ch in letters)
    return upper and not text.endswith((";", ",")) and "," not in text and "&" not in text


def _appendix(text: str) -> bool:
    key = fold(text[:60])
    return bool(_APPENDIX.match(key)) and (text.isupper() or key.startswith(("(", "kem")))


def _is_archive(item: str) -> bool:
    return fold(item[:12]).lstrip(" -–—+•*·").startswith("luu")


def _archive_tail(last: str | None, text: str) -> bool:
    """What typists add after `Lưu: VT.` (their initials, a file path) stays in the Lưu item."""
    return last is not None and _is_archive(last) and not text.endswith(";")


def article(text: str, number: int) -> str | None:
    """The paragraphs of `Điều <number>` up to the next article or the Nơi nhận block."""
    out: list[str] = []
    inside = False
    for line in text.split("\n"):
        match = _ARTICLE.match(line)
        if match:
            inside = int(match.group(1)) == number
        elif heading(line, "noi_nhan") is not None:
            inside = False
        if inside and line:
            out.append(line)
    return " ".join(out) if out else None


def clause(text: str, number: int, clause_number: int) -> str | None:
    """Khoản `clause_number` of `Điều <number>` (`1. ...` paragraphs), if the article has it."""
    out: list[str] = []
    inside = False
    in_article = False
    for line in text.split("\n"):
        match = _ARTICLE.match(line)
        if match:
            in_article = int(match.group(1)) == number
            inside = False
            continue
        if heading(line, "noi_nhan") is not None:
            in_article = False
        found = _CLAUSE.match(line) if in_article else None
        if found:
            inside = int(found.group(1)) == clause_number
        if in_article and inside and line:
            out.append(line)
    return " ".join(out) if out else None
