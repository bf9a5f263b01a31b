"""Finds the national motto in a document's header, however its lines are cut.

The right column of the header holds the motto (Nghị định 30/2020, Phụ lục I, fields 1-2):
`CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM` over `Độc lập - Tự do - Hạnh phúc`; a Party document
has `ĐẢNG CỘNG SẢN VIỆT NAM` there (Hướng dẫn 36-HD/VPTW). A narrow column or a PDF's text
layer wraps them (`... CHỦ NGHĨA VIỆT` / `NAM`, `Độc lập - Tự do -` / `Hạnh phúc`), and the
left column's lines come between the pieces. A piece left over is no field of the header:
`NAM` read as the issuer, `Hạnh phúc` as the subject. So each motto is followed word by word
from its start (three words at least: `CỘNG HÒA` alone is also a commune's name) to its end,
over the next cells, and every piece of it is taken out of the cells.
"""

from __future__ import annotations

import re

from rules.text import fold

MOTTOS: tuple[tuple[str, ...], ...] = tuple(
    tuple(re.findall(r"[a-z]+", fold(motto)))
    for motto in (
        "Cộng hòa xã hội chủ nghĩa Việt Nam",
        "Độc lập - Tự do - Hạnh phúc",
        "Đảng Cộng sản Việt Nam",
    )
)
_QUICK = re.compile("xa hoi|doc lap|cong san|cong hoa|chu nghia|tu do|hanh phuc")
_START_WORDS = 3  # words a motto's start needs to be told from a name
_REACH = 6  # cells after a cut motto in which its rest may come
_WORD = re.compile(r"[a-z0-9]+")
_PUNCTUATION = " -–—*_.,:;"


def without_mottos(cells: list[str]) -> list[str]:
    """`cells` with the mottos taken out: a cell that held only motto text becomes empty (so
    the cells keep their places); one that held another column's text before it (columns
    joined by one space) keeps that text."""
    out = list(cells)
    rest: tuple[str, ...] = ()  # the words of a motto still to come
    reach = 0
    for at, cell in enumerate(cells):
        if rest and reach > 0:
            reach -= 1
            cell, rest = _continued(cell, rest)
            if not rest:
                reach = 0
        elif rest:
            rest = ()
        if not rest and (short := _short_start(cell, cells[at + 1 : at + 1 + _REACH])):
            cell, rest, reach = "", short, _REACH
        elif _QUICK.search(fold(cell)):
            cell, started = _started(cell)
            if started:
                rest, reach = started, _REACH
        out[at] = cell
    return out


def _short_start(cell: str, following: list[str]) -> tuple[str, ...]:
    """The rest of a motto whose first word or two make the whole cell (`ĐẢNG` / `CỘNG SẢN
    VIỆT NAM`, `CỘNG HÒA` / `XÃ HỘI ...`), when the cells after it complete it word for word;
    else nothing (`CỘNG HÒA` alone is a commune's name)."""
    spans = _spans(cell) if len(cell) < 20 else None
    if not spans or len(spans) >= _START_WORDS:
        return ()
    words = tuple(w for w, _, _ in spans)
    for motto in MOTTOS:
        if motto[: len(words)] != words:
            continue
        rest = motto[len(words) :]
        for piece in following:
            rest = _continued(piece, rest)[1]
            if not rest:
                return motto[len(words) :]
    return ()


def _spans(cell: str) -> list[tuple[str, int, int]] | None:
    """The words of `cell` folded, with their places in `cell` (None when folding changed its
    length: then nothing is cut)."""
    key = fold(cell)
    if len(key) != len(cell):
        return None
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(key)]


def _continued(cell: str, rest: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The cell without the next words of a motto that a previous cell cut off, and what is
    still to come. The whole cell must be motto text, or it must complete the motto and go
    on with the start of the next one (`NAM Độc lập - Tự do`): `NAM ĐỊNH` is a place."""
    spans = _spans(cell)
    if not spans:
        return cell, rest
    words = tuple(w for w, _, _ in spans)
    if words == rest[: len(words)]:
        return "", rest[len(words) :]
    if words[: len(rest)] == rest:
        after = cell[spans[len(rest) - 1][2] :]
        remaining, started = _started(after)
        if not remaining.strip(_PUNCTUATION):
            return "", started
    return cell, rest


def _started(cell: str) -> tuple[str, tuple[str, ...]]:
    """The cell without the first motto it holds (and the mottos right after it), and the
    words of the motto it cuts off at its end (empty when none is cut off). Of the text
    around the motto, what stands before it is kept (another column joined by one space),
    else what follows it."""
    spans = _spans(cell)
    if spans is None:
        return cell, ()
    words = [w for w, _, _ in spans]
    for k in range(len(words)):
        found = _motto_at(words, k)
        if found is None:
            continue
        at, rest = k + found[0], found[1]
        while not rest and at < len(words) and (more := _motto_at(words, at)) is not None:
            at, rest = at + more[0], more[1]
        before = cell[: spans[k][1]].rstrip(_PUNCTUATION)
        after = cell[spans[at - 1][2] :].strip(_PUNCTUATION)
        return (before or after), rest
    return cell, ()


def _motto_at(words: list[str], k: int) -> tuple[int, tuple[str, ...]] | None:
    """How many words of a motto start at `words[k]`, and the words of it still to come
    when the cell ends inside it; None when no motto starts there with enough words."""
    for motto in MOTTOS:
        size = 0
        while size < len(motto) and k + size < len(words) and words[k + size] == motto[size]:
            size += 1
        if size == len(motto):
            return size, ()
        if size >= _START_WORDS:
            return size, (motto[size:] if k + size == len(words) else ())
    return None
