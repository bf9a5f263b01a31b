"""Cuts one recipient line into segments: category phrases, named bodies, titles, leftovers.

At each position the longest reading wins: a rule phrase (`các sở, ban, ngành`), a directory
name (`Sở Thông tin và Truyền thông`, whose `và` is part of the name), or a title followed by a
body (`TT. Tỉnh ủy`). Between segments stand separators (`,` `;` `và`). What nothing reads is
kept as a leftover span, so that no word of a line is ever silently dropped.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from rules.lists import ListReader
from rules.memo import LONGEST, Memo
from rules.names import NameIndex
from rules.ruleset import ANCHORED_SCOPES, Phrase, Rule, RuleSet
from rules.text import SEPARATORS, Span, Tokens, joined, words


@dataclass(frozen=True)
class Cut:
    """Where a segment stands: `tokens[span[0]:span[1]]` of the tokens it was cut from.

    When the line was rewritten (a list's shared words spread), `origin` gives for each token
    the index of the line's token it came from (-1: none), to quote the clerk's words."""

    tokens: Tokens
    span: tuple[int, int]
    origin: tuple[int, ...] = field(default=(), kw_only=True)

    @property
    def text(self) -> str:
        """The segment's words, folded (callers quote the clerk's own words where they can)."""
        return " ".join(words(self.tokens[self.span[0] : self.span[1]]))


@dataclass(frozen=True)
class RuleSegment(Cut):
    """A category phrase read by a rule; `number` is the `#` of `Như Điều #`, `clause` the
    first `#` of `Như khoản # Điều #` (whose `number` is the article's)."""

    rule: Rule
    number: int | None = None
    # For `children_of_next` (`Các đơn vị thuộc Sở Y tế`) and `area_of_next` (`UBND các xã
    # thuộc huyện Vạn Ninh`): the body named after the phrase.
    anchor: tuple[str, ...] = ()
    clause: int | None = None


@dataclass(frozen=True)
class NameSegment(Cut):
    """A body named in the line; several ids when the name alone is ambiguous.

    `body_start` is where the name begins after a title (`Thường trực` of `Thường trực Tỉnh
    ủy`); `correction` says what slip was undone when the name was not written exactly."""

    agency_ids: tuple[str, ...]
    title: str | None = None
    body_start: int = 0
    correction: str | None = None


@dataclass(frozen=True)
class SenderSegment(Cut):
    """A title with no named body (`Lãnh đạo Sở`, `CT, các PCT UBND`): leaders read relative to
    the sender; `word` is the bare body word after the title (`sở`, `ủy ban nhân dân`), if any."""

    title: str
    word: Tokens = ()


@dataclass(frozen=True)
class Leftover(Cut):
    """Words no rule and no name could read, with the bodies a clerk may have meant.

    `suggestions` are agency ids of close names of the same kind and level, or the bodies
    read on either side of a `và` that could not be split (`Báo X và Đài PT-TH`)."""

    suggestions: tuple[str, ...] = ()
    why: str | None = None


Segment = RuleSegment | NameSegment | SenderSegment | Leftover


@dataclass
class LineReading:
    """A recipient line as a segmenter reads it: its tokens (abbreviations expanded), each
    token's span in the line, and its segments once cut (`Segmenter.cut`).

    Kept together so that the segments are always cut from this very `tokens` object: readers
    tell a segment of the line's own tokens from one of a rewritten line by identity."""

    tokens: Tokens
    spans: list[Span]
    segments: list[Segment] | None = None


# Distinct recipient lines whose readings are kept, all segmenters together (about 3 KB each:
# some 25 MB at most, however many provinces' directories a national service reads with).
KEPT_LINES = 8192


class Segmenter:
    """Cuts token lines into segments with one rule set and one name index."""

    def __init__(self, ruleset: RuleSet, names: NameIndex) -> None:
        self._ruleset = ruleset
        self.names = names
        self.abbreviations = ruleset.abbreviations
        self._rules = _by_first_word((r, p) for r in ruleset for p in r.patterns)
        self._titles = _by_first_word((None, p) for p in ruleset.leader_titles)
        self.lists = ListReader(
            names, ruleset.list_heads, ruleset.list_abbreviations, self._title_end_of
        )

    def read(self, line: str) -> LineReading:
        """The tokens and spans of a recipient line (`RuleSet.spanned`), kept for short lines.
        The reading is shared: callers must not change it."""
        reading = _READINGS.get((self, line))
        if reading is None:
            reading = LineReading(*self._ruleset.spanned(line))
            if len(line) <= LONGEST:
                _READINGS.put((self, line), reading)
        return reading

    def forget(self) -> None:
        """Forget every kept line reading, of all segmenters (tests compare with a cold start)."""
        _READINGS.clear()

    def cut(self, reading: LineReading) -> list[Segment]:
        """The segments of a line read by `read`: `segments` of its tokens, or the whole line
        as one corrected name when cutting it left words unread. Cut once per reading; the list
        is shared: callers must not change it."""
        if reading.segments is None:
            segments = self.segments(reading.tokens)
            if any(isinstance(s, Leftover) for s in segments):
                whole = self.whole_line_correction(reading.tokens)
                if whole is not None:
                    segments = [whole]
            reading.segments = segments
        return reading.segments

    def segments(self, tokens: Tokens) -> list[Segment]:
        """All segments of a line, in order. Their `tokens` are the line's own, unless the line
        was rewritten (a prefix spread over a list: `Các Sở: Nội vụ, Tài chính`)."""
        spread: Tokens = tokens
        origin: tuple[int, ...] = ()
        if self.names.city is not None:
            canonical, city_origin = self.names.city.canonical(tokens)
            if canonical != tokens:
                spread, origin = canonical, city_origin
        rewritten = self.lists.rewrite(spread)
        if rewritten:
            spread, listed = rewritten
            origin = tuple(origin[k] if origin and k >= 0 else k for k in listed)
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
                segment = self._leftover(spread, i, end)
            out.append(segment)
            i = end
        joined_out = self._join_unread(spread, out)
        return [replace(s, origin=origin) for s in joined_out] if origin else joined_out

    def mentions(self, tokens: Tokens) -> list[Segment]:
        """Every rule phrase and body named anywhere in prose (for `Như Điều N`)."""
        text = joined(tokens)
        offsets = _offsets(tokens)
        out: list[Segment] = []
        i = 0
        while i < len(tokens):
            title_end = self._title_end(tokens, text, offsets, i)
            unread = self._unread_name_at(tokens, text, offsets, title_end or i)
            if unread is not None:
                out.append(unread[0])
                i = unread[1]
                continue
            segment, end = self._read_at(tokens, text, offsets, i, after_name=False)
            if segment is None or isinstance(segment, SenderSegment):
                i += 1
                continue
            out.append(segment)
            i = end
        return out

    def _unread_name_at(
        self, tokens: Tokens, text: str, offsets: list[int], start: int
    ) -> tuple[Segment, int] | None:
        """In prose, a kind word that begins words no name reads (`Sở Tư phsp`, `Trung tâm
        Kiểm soát bệnh tật`): one unread body up to the next separator, never the category
        `Sở` plus stray words."""
        if start >= len(tokens) or not any(
            self.names.is_kind(tokens[start : start + n]) for n in (1, 2, 3)
        ):
            return None
        segment, end = self._plain_at(tokens, text, offsets, start, after_name=False)
        if isinstance(segment, NameSegment) or (
            isinstance(segment, RuleSegment) and end - start > 1
        ):
            return None
        end = max(end, start + 1)
        if end >= len(tokens) or tokens[end] in SEPARATORS:
            return None  # a kind word standing alone ("Giám đốc Sở,")
        stop = min(_next_separator(tokens, start), start + _LONGEST_UNREAD_NAME)
        return self._leftover(tokens, start, stop), stop

    def names_a_body(self, tokens: Tokens) -> bool:
        """Whether bracketed words name a body (`Cục Kiểm tra VBQPPL`, `Vụ Ngân sách nhà nước`)
        rather than a note: a directory name, or a word of a kind of body at their head."""
        if any(isinstance(s, NameSegment) for s in self.segments(tokens)):
            return True
        plain = words(tokens)
        return any(
            self.names.is_kind(plain[:n]) and plain[:n] not in _LEVEL_ONLY for n in (1, 2, 3)
        )

    def is_archive(self, tokens: Tokens) -> bool:
        """Whether the line is an archive copy (`Lưu: VT, ...`)."""
        text = joined(tokens)
        return any(
            phrase.regex.match(text)
            for rule in self._ruleset
            if rule.action == "archive"
            for phrase in rule.patterns
        )

    def whole_line_correction(self, tokens: Tokens) -> NameSegment | None:
        """The whole line as one name once a slip is undone (when cutting it left words unread)."""
        start, end = 0, len(tokens)
        while start < end and tokens[start] in SEPARATORS:
            start += 1
        while end > start and tokens[end - 1] in SEPARATORS:
            end -= 1
        found = self.names.corrected(tokens[start:end])
        if found is None:
            return None
        return NameSegment(
            tokens, (start, end), found.agency_ids, body_start=start, correction=found.correction
        )

    def _read_at(
        self, tokens: Tokens, text: str, offsets: list[int], i: int, after_name: bool
    ) -> tuple[Segment | None, int]:
        plain = self._plain_at(tokens, text, offsets, i, after_name)
        title_end = self._title_end(tokens, text, offsets, i)
        if title_end is None:
            return plain
        body, end = self._plain_at(tokens, text, offsets, title_end, after_name)
        if plain[0] is not None and plain[1] >= end:
            return plain
        title = " ".join(tokens[i:title_end])
        if isinstance(body, NameSegment):
            return (
                NameSegment(tokens, (i, end), body.agency_ids, title, title_end, body.correction),
                end,
            )
        sender_end = self._sender_word_end(tokens, title_end)
        alone = title_end == len(tokens) or tokens[title_end] in SEPARATORS
        if (sender_end > title_end and (body is None or sender_end >= end)) or alone:
            # "Lãnh đạo Sở", "Ban Giám đốc": a title with no other body is the sender's own.
            end = max(sender_end, title_end)
            return SenderSegment(tokens, (i, end), title, tokens[title_end:end]), end
        if body is None:
            return plain  # "Trường THPT X" is no title "trưởng": leave the words unread
        if isinstance(body, RuleSegment):
            # "Lãnh đạo các sở": the leaders of a category receive through their bodies.
            return (
                RuleSegment(tokens, (i, end), body.rule, body.number, body.anchor, body.clause),
                end,
            )
        return plain

    def _plain_at(
        self, tokens: Tokens, text: str, offsets: list[int], i: int, after_name: bool
    ) -> tuple[Segment | None, int]:
        best: tuple[Segment | None, int] = (None, i)
        if i >= len(tokens):
            return best
        for rule, phrase in _candidates(self._rules, tokens[i]):
            assert rule is not None
            if rule.select and rule.select.scope == "children_of_previous" and not after_name:
                continue  # "các Ban" reads as the boards of a body only right after one
            match = phrase.regex.match(text, offsets[i])
            if match is None or match.end() == offsets[i]:
                continue
            end = len(tokens) if rule.whole_line else _token_at(offsets, match.end())
            anchor: tuple[str, ...] = ()
            if rule.select and rule.select.scope in ANCHORED_SCOPES:
                body = self._body_at(tokens, end, rule.select.scope == "area_of_next")
                if body is None:
                    continue  # "các đơn vị thuộc" reads as the units of a body only before one
                end, anchor = body
            if end > best[1]:
                # The last number is the article's: "khoản 3 Điều 5" is clause 3 of Điều 5.
                numbers = [int(g) for g in match.groups() if g]
                number = numbers[-1] if numbers else None
                clause = numbers[0] if len(numbers) > 1 else None
                best = (RuleSegment(tokens, (i, end), rule, number, anchor, clause), end)
        name = self.names.longest_at(tokens, i)
        # A name as long as a category phrase is the more specific reading.
        if name is not None and name.end >= best[1]:
            best = (NameSegment(tokens, (i, name.end), name.agency_ids, body_start=i), name.end)
        return best

    def _body_at(
        self, tokens: Tokens, start: int, place: bool
    ) -> tuple[int, tuple[str, ...]] | None:
        """The body named at `start` (its end, its ids). A place (`huyện Vạn Ninh`) names
        its People's Committee when `place`: the area is the committee's territory."""
        body = self.names.longest_at(tokens, start)
        if body is None and place and words(tokens[start : start + 2])[:1] in _PLACE_WORDS:
            named = self.names.longest_at((*_COMMITTEE, *tokens[start:]), 0)
            if named is not None and named.end > len(_COMMITTEE):
                return start + named.end - len(_COMMITTEE), named.agency_ids
        return None if body is None else (body.end, body.agency_ids)

    def _title_end_of(self, tokens: Tokens, i: int) -> int | None:
        return self._title_end(tokens, joined(tokens), _offsets(tokens), i) if tokens else None

    def _title_end(self, tokens: Tokens, text: str, offsets: list[int], i: int) -> int | None:
        longest: int | None = None
        for _, phrase in _candidates(self._titles, tokens[i]):
            match = phrase.regex.match(text, offsets[i])
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

    def _leftover(
        self,
        tokens: Tokens,
        start: int,
        end: int,
        also: tuple[str, ...] = (),
        why: str | None = None,
    ) -> Segment:
        """Unread words: a name once a slip is undone, else a leftover with suggestions."""
        span = tokens[start:end]
        found = self.names.corrected(span)
        if found is not None and not also:
            return NameSegment(
                tokens,
                (start, end),
                found.agency_ids,
                body_start=start,
                correction=found.correction,
            )
        near = self.names.suggest(span)
        # A body read on one side of an unsplit `và` is that side's own reading: offered
        # whatever the kind of the other side; glued words offer only a body of their kind.
        offered = also if why == "not_split" else self.names.of_same_kind(span, also)
        suggestions = tuple(dict.fromkeys((*offered, *near)))
        return Leftover(tokens, (start, end), suggestions, why)

    def _join_unread(self, tokens: Tokens, out: list[Segment]) -> list[Segment]:
        """Join unread words to what they stick to, instead of reading a part of a name.

        Words glued to a reading with no separator make it doubtful: `Sở Tư phsp` is not the
        category `Sở` plus a stray word, `Sở Nội vụ tỉnh Quảng Trị` is not Khánh Hòa's Sở Nội
        vụ, `UBMTTQVN các xã` is not MTTQ tỉnh plus the communes. Words that only restate the
        province (`thuộc tỉnh`, `trên địa bàn tỉnh`, `tỉnh Khánh Hòa`) stay with the category.
        And a line is split at `và` only where each side reads a body: `Bộ Khoa học và Công
        nghệ` is one name, `Báo X và Đài PT-TH` one question (Đài PT-TH suggested)."""
        merged: list[Segment] = []
        for segment in out:
            before = merged[-1] if merged else None
            if before is None or not self._doubtful(before, segment):
                merged.append(segment)
                continue
            if tokens[before.span[1] : segment.span[0]]:
                read = tuple(i for s in (before, segment) for i in _read_ids(s))
                merged[-1] = self._leftover(
                    tokens, before.span[0], segment.span[1], read, "not_split"
                )
            elif isinstance(before, RuleSegment | NameSegment) and self._restates_province(
                tokens, segment
            ):
                merged[-1] = replace(before, span=(before.span[0], segment.span[1]))
            else:
                # "Sở Y tế Nơi nhận" (a reader's slip) offers Sở Y tế to the clerk; after a
                # level word ("Sở Nội vụ tỉnh" + "Quảng Trị") the rest is a place: no offer.
                offer = _read_ids(before) if self._offer_glued(before) else ()
                merged[-1] = self._leftover(tokens, before.span[0], segment.span[1], offer)
        return merged

    def _offer_glued(self, before: Segment) -> bool:
        if not isinstance(before, NameSegment) or len(before.agency_ids) != 1:
            return False
        last = words(before.tokens[before.span[0] : before.span[1]])[-2:]
        return not any(last[-n:] in _LEVEL_ONLY for n in (1, 2))

    def _doubtful(self, before: Segment, segment: Segment) -> bool:
        """Whether two neighbours must be read as one: glued, or split at `và` with a side
        unread."""
        between = segment.tokens[before.span[1] : segment.span[0]]
        unread = isinstance(before, Leftover) or isinstance(segment, Leftover)
        if between:
            sides = (NameSegment, Leftover)
            return (
                unread
                and _only_va(between)
                and isinstance(before, sides)
                and isinstance(segment, sides)
            )
        boards = (
            isinstance(segment, RuleSegment)
            and segment.rule.select is not None
            and (segment.rule.select.scope == "children_of_previous")
        )
        glued_level = isinstance(before, NameSegment) and isinstance(segment, RuleSegment)
        return unread or (glued_level and not boards)

    def _restates_province(self, tokens: Tokens, segment: Segment) -> bool:
        """`thuộc tỉnh`, `trên địa bàn tỉnh Khánh Hòa`, `Khánh Hòa`: the province again."""
        rest = words(tokens[segment.span[0] : segment.span[1]])
        text = joined(rest)
        for phrase in self._ruleset.scope_qualifiers:
            match = phrase.regex.match(text)
            if match:
                rest = rest[_token_at(_offsets(rest), match.end()) :]
                break
        return not rest or rest in self.names.province_places


# A place's People's Committee (`huyện Vạn Ninh` is the area of `UBND huyện Vạn Ninh`).
_COMMITTEE: Tokens = ("uy", "ban", "nhan", "dan")
_PLACE_WORDS = frozenset({("tinh",), ("huyen",), ("quan",), ("thi",), ("thanh",), ("xa",),
                          ("phuong",), ("dac",)})

# The most words of prose taken for one unread body after its kind word.
_LONGEST_UNREAD_NAME = 12

# Words of a level, not of a kind of body: "(phường 1)" in brackets is no unit.
_LEVEL_ONLY: frozenset[Tokens] = frozenset(
    {("tinh",), ("huyen",), ("xa",), ("phuong",), ("quan",), ("thi", "xa"), ("thi", "tran")}
    | {("thanh", "pho"), ("dac", "khu"), ("trung", "uong"), ("khu", "vuc")}
)

_Entry = tuple[Rule | None, Phrase]


def _by_first_word(entries: Iterable[_Entry]) -> dict[str | None, list[_Entry]]:
    """Phrases by the words they can start with (key None: phrases that may start anywhere).

    Rule order is kept within each list, so that the first rule still wins a tie."""
    index: dict[str | None, list[_Entry]] = {}
    for entry in entries:
        for first in entry[1].firsts if entry[1].firsts is not None else (None,):
            index.setdefault(first, []).append(entry)
    return index


def _candidates(index: dict[str | None, list[_Entry]], token: str) -> list[_Entry]:
    anywhere = index.get(None)
    here = index.get(token, [])
    return here + anywhere if anywhere else here


def _offsets(tokens: Tokens) -> list[int]:
    """Character offset of each token in `joined(tokens)`, plus the end."""
    out = [0]
    for token in tokens:
        out.append(out[-1] + len(token) + 1)
    return out


def _token_at(offsets: list[int], char: int) -> int:
    """The index of the token that starts at character `char` (the end of a match)."""
    return bisect.bisect_left(offsets, char, 0, len(offsets) - 1)


def _read_ids(segment: Segment) -> tuple[str, ...]:
    """The bodies a segment read or suggested (offered when a `và` could not be split)."""
    if isinstance(segment, NameSegment):
        return segment.agency_ids
    return segment.suggestions if isinstance(segment, Leftover) else ()


def _only_va(between: Sequence[str]) -> bool:
    return "va" in between and all(t in {"va", "+"} for t in between)


def _next_separator(tokens: Tokens, start: int) -> int:
    for j in range(start, len(tokens)):
        if tokens[j] in SEPARATORS:
            return j
    return len(tokens)


# What a line reads is a pure function of its text and of the segmenter's data: a router reads
# the same lines (agency names, `Lưu: VT`) document after document. Keyed by the segmenter
# itself (by identity), one bound for all of them.
_READINGS: Memo[tuple[Segmenter, str], LineReading] = Memo(KEPT_LINES)
