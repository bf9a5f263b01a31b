"""Recognises the signature block of a document positively, never by "looks upper-case".

Nghị định 30/2020 (Điều 8, Phụ lục I) lays the signature out as: an authority prefix
(`TM.`, `KT.`, `TL.`, `TUQ.`, `Q.`), the office title (`GIÁM ĐỐC`, `CHỦ TỊCH`), the seal and
signature (in copies: `(Đã ký)`, `(Ký, ghi rõ họ tên, đóng dấu)`; in e-signed files the stamp
`Ký bởi: ...`, `Thời gian ký: ...`) and the signer's name. Upper-case recipient abbreviations
(`KH&CN`, `TT. TU, UBMTTQ`, `VX, TH, KTN.`) are none of these, so they stay recipient text.
"""

from __future__ import annotations

import re
from itertools import pairwise

from rules.memo import text_memo
from rules.text import fold

# Authority prefixes; what follows them is an upper-case title or body ("TM. ỦY BAN NHÂN DÂN").
_PREFIX = re.compile(r"^(?:TM|KT|TL|TUQ|Q|T/M|K/T|T\.M|K\.T|T/L)\s*[.:]?\s+(?=\S)")
# Office titles (folded), the first words of a title line.
_TITLES = (
    "giam doc",
    "pho giam doc",
    "tong giam doc",
    "pho tong giam doc",
    "chu tich",
    "pho chu tich",
    "chanh van phong",
    "pho chanh van phong",
    "chanh thanh tra",
    "pho chanh thanh tra",
    "chanh an",
    "truong ban",
    "pho truong ban",
    "truong phong",
    "pho truong phong",
    "truong doan",
    "bi thu",
    "pho bi thu",
    "chu nhiem",
    "pho chu nhiem",
    "cuc truong",
    "pho cuc truong",
    "vu truong",
    "pho vu truong",
    "bo truong",
    "thu truong",
    "hieu truong",
    "pho hieu truong",
    "vien truong",
    "pho vien truong",
    "chi cuc truong",
    "chi huy truong",
    "ke toan truong",
    "nguoi ky",
    "thu truong co quan",
    "thu truong don vi",
)
_TITLE = re.compile(r"^(?:" + "|".join(sorted(_TITLES, key=len, reverse=True)) + r")\b")
_SEAL = re.compile(
    r"^[(\[]\s*(?:da\s+ky|ky|chu\s+ky|ky\s+ten|ky\s+so|da\s+ky\s+so)\b[^)\]]*[)\]]?$"
)
_STAMP = re.compile(
    r"^(?:ky\s+boi|nguoi\s+ky|thoi\s+gian\s+ky|ngay\s+ky|co\s+quan|email|signed\s+by)\s*:"
)
# Labels of a stamp that a recipient item may start with too.
_ITEM_LABELS = ("email", "co quan")
# First words of bodies written like names ("Báo Nhân Dân", "Văn Phòng Tỉnh Ủy").
_NOT_NAMES = frozenset(
    {
        *("bao", "so", "ban", "dai", "phong", "trung", "cuc", "chi", "cong", "vien", "truong"),
        *("benh", "hoi", "doan", "van", "thanh", "kho", "nhu", "cac", "uy", "tinh", "huyen"),
        *("xa", "phuong", "bo", "toa", "quan", "lien", "tong", "dang", "thuong", "lanh", "luu"),
        *("ubnd", "hdnd", "mttq", "dong", "ong", "ba", "kinh", "noi"),
    }
)


def is_title(text: str) -> bool:
    """An authority prefix with a title or body (`KT. GIÁM ĐỐC`), or an upper-case office
    title (`PHÓ CHÁNH VĂN PHÒNG`), possibly followed by the signer's name."""
    text = text.strip()
    if text.endswith((";", ",")):
        return False  # a recipient item ("- CHỦ TỊCH UBND TỈNH;"), not a title
    prefix = _PREFIX.match(text)
    rest = text[prefix.end() :] if prefix else text
    if not rest or not _is_upper(rest.split(" ", 1)[0]):
        return False
    upper = _upper_part(rest)
    if len(upper) < 2 or not (prefix or _TITLE.match(fold(upper))):
        return False
    name = rest[len(upper) :].strip()
    return not name or is_name(name)


def is_seal(text: str, bulleted: bool = False) -> bool:
    """A seal or signature note (`(Đã ký)`, `(Ký, ghi rõ họ tên)`) or an e-signature stamp.

    A stamp's lines are printed by the signing software and end with no list punctuation:
    `Email: vanthu@...;` ends like a recipient item, so it is one (kept in the list, where
    the rules put a contact address to the clerk), never signature text. After a bullet
    (`bulleted`) only the signing lines themselves are a stamp (`Ký bởi:`, `Thời gian ký:`):
    `- Email: ...` and `- Cơ quan: ...` are items, whatever their end."""
    text = text.strip()
    key = fold(text)
    if _SEAL.match(key):
        return True
    stamp = _STAMP.match(key)
    if stamp is None or text.endswith((";", ",")):
        return False
    return not (bulleted and key.startswith(_ITEM_LABELS))


def is_name(text: str, upper_too: bool = False) -> bool:
    """A signer's name (`Hồ Tấn Quang`; with `upper_too`, `NGUYỄN VĂN AN` as well)."""
    text = text.strip()
    words = text.split()
    if not 2 <= len(words) <= 6 or fold(words[0]) in _NOT_NAMES:
        return False
    if all(w.isalpha() and w[0].isupper() and (w[1:].islower() or len(w) == 1) for w in words):
        return True
    return upper_too and all(w.isalpha() and w.isupper() and len(w) <= 7 for w in words)


def is_signature(text: str, titled: bool) -> bool:
    """Whether `text` is signature text; `titled` says a title has been seen already, after
    which a name (even in capitals) belongs to the signature too."""
    return is_title(text) or is_seal(text) or (titled and is_name(text, upper_too=True))


def signature_tail(text: str, titled: bool) -> int | None:
    """Where signature text starts at the end of a recipient line flattened with the
    signature column (`- Như trên; PHÓ GIÁM ĐỐC`), or None. The head keeps at least a word."""
    if not titled and "(" not in text and not _caps_run(text):
        return None  # no title can start anywhere in it
    for match in re.finditer(r"\s(?=\S)", text):
        tail = text[match.end() :]
        first = tail[:1]
        if not (first.isupper() or first in "([") or not text[: match.start()].strip(" -"):
            continue
        head = text[: match.start()].rstrip()
        named = titled and head.endswith((";", ".")) and is_name(tail)
        if named or is_title(tail) or is_seal(tail):
            return match.end()
    return None


@text_memo(4096)  # the same recipient items, document after document
def _caps_run(text: str) -> bool:
    """Two words in capitals side by side (`GIÁM ĐỐC`, `KT. CHỦ`)."""
    words = text.split()
    return any(_is_upper(a) and _is_upper(b) and len(a) > 1 for a, b in pairwise(words))


def _is_upper(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


def _upper_part(text: str) -> str:
    """The leading words of `text` written in capitals."""
    out: list[str] = []
    for word in text.split(" "):
        if not _is_upper(word) and any(ch.isalpha() for ch in word):
            break
        out.append(word)
    return " ".join(out).strip()
