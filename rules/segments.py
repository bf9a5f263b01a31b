"""Cuts one recipient line into segments: category phrases, named bodies, titles, leftovers.

At each position the longest reading wins: a rule phrase (`các sở, ban, ngành`), a directory
name (`Sở Thông tin và Truyền thông`, whose `và` is part of the name), or a title followed by a
body (`TT. Tỉnh ủy`). Between segments stand separators (`,` `;` `và`). What nothing reads is
kept as a leftover span, so that no word of a line is ever silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from rules.names import NameIndex
from rules.ruleset import Rule, RuleSet
from rules.text import SEPARATORS, Tokens, joined, words


@dataclass(frozen=True)
class RuleSegment:
    """A category phrase read by a rule; `number` is the `#` of `Như Điều #`."""

    rule: Rule
    text: str
    number: int | None = None
    span: tuple[int, int] | None = None


@dataclass(frozen=True)
class NameSegment:
    """A body named in the line; several ids when the name alone is ambiguous."""

    agency_ids: tuple[str, ...]
    text: str
    title: str | None = None
    approximate: bool = False
    span: tuple[int, int] | None = None


@dataclass(frozen=True)
class SenderSegment:
    """A title with no other body (`Lãnh đạo Sở`, `Ban Giám đốc`): the sender's own leaders."""

    text: str
    title: str
    span: tuple[int, int] | None = None


@dataclass(frozen=True)
class Leftover:
    """Words no rule and no name could read."""

    text: str
    span: tuple[int, int] | None = None


Segment = RuleSegment | NameSegment | SenderSegment | Leftover


class Segmenter:
    """Cuts token lines into segments with one rule set and one name index."""

    def __init__(self, ruleset: RuleSet, names: NameIndex) -> None:
        self._ruleset = ruleset
        self._names = names

    def segments(self, tokens: Tokens) -> list[Segment]:
        """All segments of a line, in order; each with its token span unless the line was
        rewritten (a prefix spread over a list)."""
        spread = self._spread_prefix(tokens)
        keep_spans = spread is tokens
        text = joined(spread)
        offsets = _offsets(spread)
        out: list[Segment] = []
        i = 0
        while i < len(spread):
            if spread[i] in SEPARATORS:
                i += 1
                continue
            after_name = bool(out) and isinstance(out[-1], NameSegment)
            segment, end = self._read_at(spread, text, offsets, i, after_name)
            if segment is None:
                end = _next_separator(spread, i)
                segment = self._leftover(spread[i:end])
            out.append(replace(segment, span=(i, end)) if keep_spans else segment)
            i = end
        return out

    def mentions(self, tokens: Tokens) -> list[Segment]:
        """Every rule phrase and body named anywhere in prose (for `Như Điều N`)."""
        text = joined(tokens)
        offsets = _offsets(tokens)
        out: list[Segment] = []
        i = 0
        while i < len(tokens):
            segment, end = self._read_at(tokens, text, offsets, i, after_name=False)
            if segment is None or isinstance(segment, SenderSegment):
                i += 1
                continue
            out.append(segment)
            i = end
        return out

    def whole_line_guess(self, tokens: Tokens) -> NameSegment | None:
        """A near match of the whole line to one name (when cutting it left words unread)."""
        span = words(tokens)
        found = self._names.fuzzy(span)
        if found is None:
            return None
        return NameSegment(found.agency_ids, " ".join(span), approximate=True)

    def _read_at(
        self, tokens: Tokens, text: str, offsets: list[int], i: int, after_name: bool
    ) -> tuple[Segment | None, int]:
        plain = self._plain_at(tokens, text, offsets, i, after_name)
        title_end = self._title_end(text, offsets, i)
        if title_end is None:
            return plain
        body, end = self._plain_at(tokens, text, offsets, title_end, after_name)
        if plain[0] is not None and plain[1] >= end:
            return plain
        title = " ".join(tokens[i:title_end])
        if isinstance(body, NameSegment):
            return NameSegment(body.agency_ids, _text(tokens, i, end), title, body.approximate), end
        sender_end = self._sender_word_end(tokens, title_end)
        alone = title_end == len(tokens) or tokens[title_end] in SEPARATORS
        if (sender_end > title_end and (body is None or sender_end >= end)) or alone:
            # "Lãnh đạo Sở", "Ban Giám đốc": a title with no other body is the sender's own.
            end = max(sender_end, title_end)
            return SenderSegment(_text(tokens, i, end), title), end
        if body is None:
            return plain  # "Trường THPT X" is no title "trưởng": leave the words unread
        if isinstance(body, RuleSegment):
            # "Lãnh đạo các sở": the leaders of a category receive through their bodies.
            return RuleSegment(body.rule, _text(tokens, i, end), body.number), end
        return plain

    def _plain_at(
        self, tokens: Tokens, text: str, offsets: list[int], i: int, after_name: bool
    ) -> tuple[Segment | None, int]:
        best: tuple[Segment | None, int] = (None, i)
        for rule in self._ruleset:
            if rule.select and rule.select.scope == "children_of_previous" and not after_name:
                continue  # "các Ban" reads as the boards of a body only right after one
            for pattern in rule.patterns:
                match = pattern.match(text, offsets[i])
                if match is None or match.end() == offsets[i]:
                    continue
                end = _token_at(offsets, match.end())
                if rule.whole_line:
                    end = len(tokens)
                if end > best[1]:
                    number = int(match.group(1)) if match.groups() and match.group(1) else None
                    best = (RuleSegment(rule, _text(tokens, i, end), number), end)
        name = self._names.longest_at(tokens, i)
        # A name as long as a category phrase is the more specific reading.
        if name is not None and name.end >= best[1]:
            best = (NameSegment(name.agency_ids, _text(tokens, i, name.end)), name.end)
        return best

    def _title_end(self, text: str, offsets: list[int], i: int) -> int | None:
        longest: int | None = None
        for pattern in self._ruleset.leader_titles:
            match = pattern.match(text, offsets[i])
            if match and match.end() > offsets[i]:
                end = _token_at(offsets, match.end())
                longest = max(longest or end, end)
        return longest

    def _sender_word_end(self, tokens: Tokens, start: int) -> int:
        end = start
        acc: list[str] = []
        for j in range(start, min(len(tokens), start + 6)):
            if tokens[j] in SEPARATORS:
                break
            acc.append(tokens[j])
            if tuple(acc) in self._ruleset.sender_words:
                end = j + 1
        return end

    def _leftover(self, span: Tokens) -> Segment:
        found = self._names.fuzzy(span)
        if found is not None:
            return NameSegment(found.agency_ids, " ".join(words(span)), approximate=True)
        return Leftover(" ".join(words(span)))

    def _spread_prefix(self, tokens: Tokens) -> Tokens:
        """`Các Sở: Nội vụ, Tài chính` -> `Sở Nội vụ , Sở Tài chính` when each name exists."""
        if ":" not in tokens:
            return tokens
        colon = tokens.index(":")
        head = tuple(t for t in tokens[:colon] if t != "cac")
        parts = _split(tokens[colon + 1 :])
        if not head or not parts:
            return tokens
        spread: list[str] = []
        for part in parts:
            if self._names.lookup(head + part):
                spread.extend((*head, *part, ","))
                continue
            pieces = _split(part, on=frozenset({"va"}))
            if len(pieces) < 2 or not all(self._names.lookup(head + p) for p in pieces):
                return tokens
            for piece in pieces:
                spread.extend((*head, *piece, ","))
        return tuple(spread[:-1])


def _split(tokens: Sequence[str], on: frozenset[str] = frozenset({",", ";"})) -> list[Tokens]:
    parts: list[Tokens] = []
    current: list[str] = []
    for token in tokens:
        if token in on:
            if current:
                parts.append(tuple(current))
            current = []
        else:
            current.append(token)
    if current:
        parts.append(tuple(current))
    return parts


def _offsets(tokens: Tokens) -> list[int]:
    """Character offset of each token in `joined(tokens)`, plus the end."""
    out = [0]
    for token in tokens:
        out.append(out[-1] + len(token) + 1)
    return out


def _token_at(offsets: list[int], char: int) -> int:
    """The index of the token that starts at character `char` (the end of a match)."""
    lo, hi = 0, len(offsets) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if offsets[mid] < char:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _next_separator(tokens: Tokens, start: int) -> int:
    for j in range(start, len(tokens)):
        if tokens[j] in SEPARATORS:
            return j
    return len(tokens)


def _text(tokens: Tokens, start: int, end: int) -> str:
    return " ".join(words(tokens[start:end]))
