"""Vietnamese text normalisation shared by the reader, the directory and the rule set.

Clerks write the same body in many ways: with or without diacritics (OCR drops them: `Công TTĐT`
for `Cổng TTĐT`), in NFD or NFC, abbreviated (`UBND`, `Sở TT&TT`, `Đài PT-TH`), with odd spacing.
Everything that is compared is first turned into *tokens*: lower case, accents folded, `đ`→`d`,
`&`→`va`, punctuation dropped except the separators `,` `;` `:`, and abbreviations expanded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

Tokens = tuple[str, ...]

SEPARATORS = frozenset({",", ";", ":", "va", "+"})

_TOKEN = re.compile(r"[a-z0-9]+|[,;:+&]")


def _fold_slow(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("ð", "d")


def _fold_table() -> dict[int, str | int | None]:
    """One C-level `str.translate` table for every Latin letter with marks, and the marks.

    Characters that stay as they are (ASCII, the other letters of those blocks, general
    punctuation) map to themselves: the result is the same, but `str.translate` looks up
    every character of a text that is not all ASCII, and a key missing from the table costs
    it a raised and cleared KeyError. Vietnamese lines mix both kinds: translating them
    took twice as long without these entries (fold was a visible share of reading a
    document in the API's profile)."""
    table: dict[int, str | int | None] = {code: code for code in (
        *range(0x80), *range(0xC0, 0x250), *range(0x1E00, 0x1F00), *range(0x2000, 0x2070))}
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        folded = _fold_slow(chr(code))
        if folded != chr(code).lower() and len(folded) == 1:
            table[code] = folded
    for code in range(0x300, 0x370):  # combining marks left over in NFD text
        table[code] = None
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower-case `text` and strip Vietnamese diacritics (`Cổng` and `Công` both give `cong`)."""
    return text.lower().translate(_FOLD)


def raw_tokens(text: str) -> Tokens:
    """Split folded `text` into word and separator tokens, without expanding abbreviations."""
    return tuple("va" if t == "&" else t for t in _TOKEN.findall(fold(text)))


Span = tuple[int, int]


def spanned_tokens(text: str) -> tuple[Tokens, list[Span]]:
    """Like `raw_tokens` on NFC `text`, with each token's (start, end) in `text`."""
    folded = fold(text)
    origin: Sequence[int] = range(len(text))  # the usual case: one character folds to one
    if len(folded) != len(text):  # a character folded to none or several (a stray mark, "İ")
        pieces = [(i, f) for i, ch in enumerate(text) for f in fold(ch)]
        folded = "".join(f for _, f in pieces)
        origin = [i for i, _ in pieces]
    tokens: list[str] = []
    spans: list[Span] = []
    for match in _TOKEN.finditer(folded):
        token = match.group()
        tokens.append("va" if token == "&" else token)
        spans.append((origin[match.start()], origin[match.end() - 1] + 1))
    return tuple(tokens), spans


class Abbreviations:
    """Expands abbreviations token-wise, longest first (`tt va tt` before `tt`)."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self._table: dict[Tokens, Tokens] = {}
        for short, long in table.items():
            key = raw_tokens(short)
            if key:
                self._table[key] = raw_tokens(long)
        # "GD-ĐT" is written as often as "GD&ĐT": a hyphen (dropped by the tokenizer) in place
        # of the "&" between the parts of an abbreviation reads the same.
        for key, expanded in list(self._table.items()):
            bare = tuple(t for t in key if t != "va")
            if len(bare) > 1 and "va" in key[1:-1]:
                self._table.setdefault(bare, expanded)
        self._longest = max((len(k) for k in self._table), default=0)
        self._firsts = frozenset(k[0] for k in self._table)
        self._glued = _glued_forms(self._table)
        self._glued_prefixes = frozenset(g[:n] for g in self._glued for n in range(1, len(g)))

    def expand(self, tokens: Sequence[str]) -> Tokens:
        """Return `tokens` with every abbreviation replaced by its long form."""
        return self.expand_spanned(tokens, [(0, 0)] * len(tokens))[0]

    def expand_spanned(
        self, tokens: Sequence[str], spans: Sequence[Span]
    ) -> tuple[Tokens, list[Span]]:
        """`expand`, keeping for each output token the span of the source it came from."""
        out: list[str] = []
        out_spans: list[Span] = []
        i = 0
        while i < len(tokens):
            glued = self._glued_at(tokens, i) if tokens[i] in self._glued_prefixes else None
            if glued is not None and tokens[i] in self._firsts:
                exact = next(
                    (n for n in range(min(self._longest, len(tokens) - i), 0, -1)
                     if tuple(tokens[i : i + n]) in self._table),
                    0,
                )
                glued = glued if glued[0] > exact else None  # the longer reading wins
            if glued is not None:
                size, whole = glued
                out.extend(whole)
                out_spans.extend([(spans[i][0], spans[i + size - 1][1])] * len(whole))
                i += size
                continue
            if tokens[i] in self._firsts:  # most words start no abbreviation
                for size in range(min(self._longest, len(tokens) - i), 0, -1):
                    long = self._table.get(tuple(tokens[i : i + size]))
                    if long is not None:
                        out.extend(long)
                        out_spans.extend([(spans[i][0], spans[i + size - 1][1])] * len(long))
                        i += size
                        break
                else:
                    out.append(tokens[i])
                    out_spans.append(spans[i])
                    i += 1
                continue
            out.append(tokens[i])
            out_spans.append(spans[i])
            i += 1
        return tuple(out), out_spans


    def _glued_at(self, tokens: Sequence[str], i: int) -> tuple[int, Tokens] | None:
        """An abbreviation written in pieces from `tokens[i]` (`LĐ-TB-XH`, `VH-TT&DL`,
        `LĐ TB XH`): how many tokens it takes and its long form, or None. Only abbreviations
        made of the initials of their words are read so (`_glued_forms`): wherever the pieces
        are cut, they are cut between words, so the reading cannot change."""
        letters = ""
        found: tuple[int, Tokens] | None = None
        pieces = 0
        for j in range(i, len(tokens)):
            token = tokens[j]
            if token == "va" and pieces:
                continue  # `&` between the pieces
            if not token.isalpha():
                break
            letters += token
            pieces += 1
            if pieces > 1 and letters in self._glued:
                found = (j - i + 1, self._glued[letters])
            if letters not in self._glued_prefixes:
                break
        return found


def _glued_forms(table: Mapping[Tokens, Tokens]) -> dict[str, Tokens]:
    """The abbreviations of `table` whose letters are the initials of their long form's words
    (`LĐTB&XH`: Lao động Thương binh và Xã hội), by those letters (`ldtbxh`); four letters at
    least, so that short keys (`CT`, `VP`) are never glued from stray letters."""
    out: dict[str, Tokens] = {}
    for key, long in table.items():
        letters = "".join(t for t in key if t.isalpha() and t != "va")
        initials = "".join(t[0] for t in long if t.isalpha() and t != "va")
        if len(letters) >= 4 and letters == initials:
            out.setdefault(letters, long)
    return out


def words(tokens: Sequence[str]) -> Tokens:
    """Drop the separator tokens, keeping the words."""
    return tuple(t for t in tokens if t not in {",", ";", ":", "+"})


def joined(tokens: Sequence[str]) -> str:
    """Render tokens as a matchable string: every token followed by one space."""
    return "".join(t + " " for t in tokens)


# Without "vi" and "xi": they are also words ("đơn vị", "xí nghiệp" fold to them).
_ROMAN = frozenset(
    ["i", "ii", "iii", "iv", "v", "vii", "viii", "ix", "x", "xii", "xiii", "xiv", "xv"]
)


def distinguishing(tokens: Sequence[str], table: frozenset[Tokens]) -> tuple[str, ...]:
    """The words of a name that tell one body from another of a similar name, sorted.

    `table` holds the kind and level words (`chi cục` is read before `cục`); numbers and roman
    numerals count too (`Phường 1` is not `Phường 2`, `khu vực II` not `khu vực III`)."""
    plain = words(tokens)
    longest = max((len(t) for t in table), default=0)
    found: list[str] = []
    i = 0
    while i < len(plain):
        for size in range(min(longest, len(plain) - i), 0, -1):
            if tuple(plain[i : i + size]) in table:
                found.append(" ".join(plain[i : i + size]))
                i += size
                break
        else:
            if plain[i].isdigit() or plain[i] in _ROMAN:
                found.append(plain[i].lstrip("0") or "0")
            i += 1
    return tuple(sorted(found))


AccentKey = tuple[str, tuple[str, ...]]


def accent_keys(text: str) -> set[AccentKey]:
    """Each word of `text` as (folded word, its marks sorted): `hòa` and `hoà` are one key,
    `hoa` (marks lost) another. Marks are sorted so that where a tone sits does not count."""
    out: set[AccentKey] = set()
    for word in re.findall(r"\w+", unicodedata.normalize("NFC", text.lower())):
        marks = sorted(ch for ch in unicodedata.normalize("NFD", word) if unicodedata.combining(ch))
        marks += ["đ"] * (word.count("đ") + word.count("ð"))
        out.add((fold(word), tuple(marks)))
    return out
