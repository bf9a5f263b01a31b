"""Lists whose members share words: spread the shared words over every member before reading.

Two grammars of Nơi nhận lines, both rewritten into one member per body, separated by `;`:

- a prefix and a colon: `Các Sở: Nội vụ, Tài chính và Y tế`, `Sở: XD, TC, GD&ĐT` (short forms
  valid only after that prefix come from the rule set's `list_abbreviations`);
- a shared head and a shared tail: `TT HĐND, UBND, UBMTTQVN tỉnh` is `TT HĐND tỉnh; TT UBND
  tỉnh; TT UBMTTQVN tỉnh`, and `HĐND, UBND các xã, phường` reads its tail for both bodies.

A rewritten line keeps, for each of its tokens, the index of the token of the line it came from
(`origin`), so that reasons still quote the clerk's own words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from rules.names import NameIndex
from rules.text import Abbreviations, Tokens, words

Rewritten = tuple[Tokens, tuple[int, ...]]
# A function giving the end of a leader title starting at a position (None: no title there).
TitleEnd = Callable[[Tokens, int], int | None]

_LEVELS: tuple[Tokens, ...] = (
    ("tinh",),
    ("thanh", "pho"),
    ("huyen",),
    ("quan",),
    ("thi", "xa"),
    ("xa",),
    ("phuong",),
    ("thi", "tran"),
    ("dac", "khu"),
)


class ListReader:
    """Finds the shared words of a list line and spreads them over its members."""

    def __init__(
        self,
        names: NameIndex,
        heads: frozenset[Tokens],
        list_abbreviations: Mapping[Tokens, Abbreviations],
        title_end: TitleEnd,
    ) -> None:
        self._names = names
        self._heads = heads
        self._longest_head = max((len(h) for h in heads), default=0)
        self._short = list_abbreviations
        self._title_end = title_end

    def rewrite(self, tokens: Tokens) -> Rewritten | None:
        """The line with its shared words spread, or None when it is no such list."""
        return self._spread_prefix(tokens) or self._distribute(tokens)

    def _spread_prefix(self, tokens: Tokens) -> Rewritten | None:
        """`Các Sở: Nội vụ, Tài chính` -> `Sở Nội vụ ; Sở Tài chính`.

        Spread when a member names a body with the prefix, or when the prefix is a kind of
        body (`Sở: XYZ` asks about `Sở XYZ`; it is never the category `Sở`)."""
        if ":" not in tokens:
            return None
        colon = tokens.index(":")
        head_at = [i for i in range(colon) if tokens[i] not in ("cac", ",")]
        head = tuple(tokens[i] for i in head_at)
        members = _split(tokens, colon + 1, frozenset({",", ";"}))
        if not head or not members:
            return None
        # "Giám đốc các Sở: Y tế, Tài chính": a title before the shared word stays in front of
        # every member; the member's body is looked up with the shared word alone.
        title = self._title_end(head, 0) or 0
        body_head = head[title:]
        if not body_head:
            return None
        out: list[str] = []
        origin: list[int] = []
        resolved = False
        for member in members:
            for piece in self._pieces(body_head, tokens, member):
                named, piece_tokens, piece_origin = piece
                resolved = resolved or named
                out.extend((*head, *piece_tokens, ";"))
                origin.extend((*head_at, *piece_origin, -1))
        if not resolved and not self._names.is_kind(body_head):
            return None
        return tuple(out[:-1]), tuple(origin[:-1])

    def _pieces(
        self, head: Tokens, tokens: Tokens, member: list[int]
    ) -> list[tuple[bool, Tokens, tuple[int, ...]]]:
        """A member as one or more bodies (`Tài chính và Y tế` when each names one)."""
        whole = self._with_short_forms(head, tokens, member)
        if whole[0]:
            return [whole]
        pieces = _split_indices(tokens, member, frozenset({"va"}))
        readings = [self._with_short_forms(head, tokens, p) for p in pieces]
        if len(pieces) > 1 and all(named for named, _, _ in readings):
            return readings
        return [whole]

    def _with_short_forms(
        self, head: Tokens, tokens: Tokens, member: list[int]
    ) -> tuple[bool, Tokens, tuple[int, ...]]:
        """The member's words, expanded by the prefix's short forms when that names a body."""
        plain = tuple(tokens[i] for i in member)
        if self._names.lookup(head + plain):
            return True, plain, tuple(member)
        size = len(head)
        if len(plain) > size and plain[:size] == head and self._names.lookup(plain):
            # "Các Bộ: Bộ Nội vụ": the member repeats the shared word.
            return True, plain[size:], tuple(member[size:])
        short = self._short.get(words(head))
        if short is not None:
            expanded, spans = short.expand_spanned(plain, [(i, i + 1) for i in member])
            if self._names.lookup(head + expanded):
                return True, expanded, _origins(spans)
        return False, plain, tuple(member)

    def _distribute(self, tokens: Tokens) -> Rewritten | None:
        """`TT HĐND, UBND, UBMTTQVN các xã, phường`: the title before the first member and the
        level after the last one belong to every member."""
        while tokens and tokens[-1] in (";", ","):
            tokens = tokens[:-1]  # the item's own end
        if ";" in tokens or ":" in tokens:
            return None
        title = self._title_end(tokens, 0) or 0
        heads: list[tuple[int, int]] = []
        i = title
        while i < len(tokens):
            end = self._head_end(tokens, i)
            if end is None:
                return None
            heads.append((i, end))
            if end < len(tokens) and tokens[end] in (",", "va"):
                i = end + 1
                continue
            break
        tail = heads[-1][1] if heads else len(tokens)
        if len(heads) < 2 or not _is_level_tail(tokens[tail:]):
            return None
        tail_at = [j for j in range(tail, len(tokens)) if tokens[j] != ","]
        out: list[str] = []
        origin: list[int] = []
        for start, end in heads:
            member = [*range(title), *range(start, end), *tail_at]
            out.extend((*(tokens[j] for j in member), ";"))
            origin.extend((*member, -1))
        return tuple(out[:-1]), tuple(origin[:-1])

    def _head_end(self, tokens: Tokens, i: int) -> int | None:
        for size in range(min(self._longest_head, len(tokens) - i), 0, -1):
            if tuple(tokens[i : i + size]) in self._heads:
                return i + size
        return None


def _origins(spans: list[tuple[int, int]]) -> tuple[int, ...]:
    """One line index per expanded token: the tokens of a short form point at the first and
    (its last token) the last token it replaced, so that a quote covers all of them."""
    out = [span[0] for span in spans]
    for k, span in enumerate(spans):
        last_of_group = k + 1 == len(spans) or spans[k + 1] != span
        if last_of_group and k > 0 and spans[k - 1] == span:
            out[k] = span[1] - 1
    return tuple(out)


def _is_level_tail(tail: Sequence[str]) -> bool:
    """`tỉnh`, `huyện Ba Tơ`, `các xã, phường`, `cấp xã`: a level, maybe a place after it."""
    rest = tuple(t for t in tail if t != ",")
    if rest[:1] in (("cac",), ("cap",)):
        rest = rest[1:]
    return any(rest[: len(level)] == level for level in _LEVELS)


def _split(tokens: Tokens, start: int, on: frozenset[str]) -> list[list[int]]:
    return _split_indices(tokens, list(range(start, len(tokens))), on)


def _split_indices(tokens: Tokens, indices: list[int], on: frozenset[str]) -> list[list[int]]:
    parts: list[list[int]] = []
    current: list[int] = []
    for i in indices:
        if tokens[i] in on:
            if current:
                parts.append(current)
            current = []
        else:
            current.append(i)
    if current:
        parts.append(current)
    return parts
