"""Finds the recipient blocks (`Kính gửi`, `Nơi nhận`) and articles in a document's lines.

Each item is returned as written (the dash and the final `;` kept, continuation lines joined),
so that an auditor can recognise it. Real blocks are messy: the block flattened onto one line,
`Nơi nhận` without a colon, items wrapped over several lines, the signature column interleaved,
typists' initials or file paths after `Lưu`.
"""

from __future__ import annotations

import re

from rules.text import fold

_NOT_LETTER = " \t-+•–—*.:;,()[]\"'“”‘’"
_ITEM_START = re.compile(r"^\s*[-+•–—*]\s*")
_NOI_NHAN = re.compile(r"^\W*noi\s*nhan\b\s*:?\s*(.*)$")
_KINH_GUI = re.compile(r"^\W*kinh\s*gui\b\s*:?\s*(.*)$")
_SIGN_PREFIX = re.compile(r"^(TM|KT|TL|TUQ|Q|T/M|K/T)\s*[.:]", re.IGNORECASE)
# Item boundaries inside one physical line: "; - next" or a plain "; next".
_SPLIT = re.compile(r"(?<=;)\s+(?=\S)")
_TAIL_TITLE = re.compile(r"^(?P<item>.*?[;.])\s+(?P<title>(?:(?:TM|KT|TL|TUQ)\.\s*)?\S+\s+\S.*)$")
# A signer's name: two to six capitalised words ("Hồ Tấn Quang"), unlike typists' initials.
_PERSON = re.compile(r"^(?:[A-ZÀ-ỸĐ][a-zà-ỹđ]+\s+){1,5}[A-ZÀ-ỸĐ][a-zà-ỹđ]+$")
_ARTICLE = re.compile(r"^\W*điều\s+(\d+)\s*[.:]", re.IGNORECASE)
_MAX_ITEM_WORDS = 60


def is_signature(line: str) -> bool:
    """Whether a line belongs to the signature block (`KT. GIÁM ĐỐC`, an upper-case title)."""
    if _ITEM_START.match(line):
        return False
    letters = [ch for ch in line if ch.isalpha()]
    return (
        bool(_SIGN_PREFIX.match(line))
        or (len(letters) >= 4 and line.isupper())
        or bool(_PERSON.match(line.strip()))
    )


def heading_keys(lines: list[str]) -> list[str]:
    """Each line's folded start where it could be a heading (`Nơi nhận`, `Kính gửi`), else ''.

    Only lines whose first letter is n or k are folded: folding every line of a long body
    would cost more than all the rest of reading."""
    keys = []
    for line in lines:
        start = line.lstrip(_NOT_LETTER)[:1]
        keys.append(fold(line[:40]) if start in ("N", "n", "K", "k") and len(line) < 400 else "")
    return keys


def noi_nhan(lines: list[str], folded: list[str]) -> tuple[list[str], list[str]]:
    """The items of the last `Nơi nhận` block, and the signature lines found around them.

    `folded` holds `heading_keys(lines)`."""
    start = _last_heading(folded, _NOI_NHAN)
    if start is None:
        return [], []
    first = _NOI_NHAN.match(fold(lines[start]))
    rest = lines[start][len(lines[start]) - len(first.group(1)) :] if first else ""
    items: list[str] = []
    signature: list[str] = []
    _add_pieces(items, signature, rest)
    in_signature = False
    for line in lines[start + 1 :]:
        if not line:
            continue
        if _ITEM_START.match(line):
            _add_pieces(items, signature, line)
        elif is_signature(line):
            in_signature = True
            signature.append(line)
        elif in_signature or not items or len(line.split()) > _MAX_ITEM_WORDS:
            signature.append(line)
            in_signature = True
        else:
            _continue_item(items, line)
    return items, signature


def kinh_gui(lines: list[str], folded: list[str]) -> list[str]:
    """The items of the first `Kính gửi` block (one line, or `- ` items below it)."""
    start = _first_heading(folded, _KINH_GUI)
    if start is None:
        return []
    first = _KINH_GUI.match(fold(lines[start]))
    rest = lines[start][len(lines[start]) - len(first.group(1)) :].strip() if first else ""
    items: list[str] = []
    if rest:
        items.extend(_pieces(rest))
    for line in lines[start + 1 :]:
        if _ITEM_START.match(line) and line.strip(" -+•–—*"):
            items.extend(_pieces(line))
        elif not line:
            if items:
                break
        elif not items and len(line.split()) <= 25 and not is_signature(line):
            items.extend(_pieces(line))
        elif items and not items[-1].rstrip().endswith((";", ".", ":")) and len(line) < 80:
            items[-1] = f"{items[-1]} {line.strip()}"
        else:
            break
    return items


def article(text: str, number: int) -> str | None:
    """The paragraphs of `Điều <number>` up to the next article or the Nơi nhận block."""
    lines = text.split("\n")
    out: list[str] = []
    inside = False
    for line in lines:
        match = _ARTICLE.match(line)
        if match:
            inside = int(match.group(1)) == number
        elif _is_heading(fold(line[:24]), _NOI_NHAN):
            inside = False
        if inside and line:
            out.append(line)
    return " ".join(out) if out else None


def _is_heading(folded_line: str, pattern: re.Pattern[str]) -> bool:
    return bool(folded_line) and pattern.match(folded_line) is not None


def _last_heading(lines: list[str], pattern: re.Pattern[str]) -> int | None:
    found = None
    for i, line in enumerate(lines):
        if _is_heading(line, pattern):
            found = i
    return found


def _first_heading(lines: list[str], pattern: re.Pattern[str]) -> int | None:
    for i, line in enumerate(lines):
        if _is_heading(line, pattern):
            return i
    return None


def _pieces(text: str) -> list[str]:
    return [p.strip() for p in _SPLIT.split(text.strip()) if p.strip(" -+•–—*;.")]


def _add_pieces(items: list[str], signature: list[str], line: str) -> None:
    for piece in _pieces(line):
        if is_signature(piece):
            signature.append(piece)
            continue
        tail = None if _is_archive(piece) else _TAIL_TITLE.match(piece)
        if tail and tail["title"].isupper() and sum(c.isalpha() for c in tail["title"]) >= 6:
            # The signature column, flattened onto the item's line.
            items.append(tail["item"].strip())
            signature.append(tail["title"].strip())
        else:
            items.append(piece)


def _is_archive(item: str) -> bool:
    return fold(item).lstrip(" -+•–—*").startswith("luu")


def _continue_item(items: list[str], line: str) -> None:
    last = items[-1]
    if _is_archive(last) or not last.rstrip().endswith((";", ".")):
        # A wrapped item, or what typists add after "Lưu" (initials, file paths).
        items[-1] = f"{last} {line.strip()}"
    else:
        items.append(line.strip())
