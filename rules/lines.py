"""Resolves one recipient line: each segment of it becomes a `Part` with an outcome and reason.

Every part that names a body carries a confidence: `exact` (the directory's own name), `alias`
(an alias or an abbreviation), `corrected` (a slip that changes no word: a lost diacritic, a
missing space, a doubled letter; the reason says which) or `suggested` (merely close: never
delivered, the line is unresolved and the suggestion is offered to the clerk).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field, replace

from rules.directory import Agency, Directory
from rules.document import Document
from rules.memo import LONGEST, forgetting, text_memo
from rules.notes import Notes
from rules.outcomes import Outcome
from rules.ruleset import ANCHORED_SCOPES, Rule, RuleSet
from rules.segments import Leftover, NameSegment, RuleSegment, Segment, Segmenter, SenderSegment
from rules.selection import Selection, select
from rules.text import AccentKey, Span, Tokens, accent_keys, raw_tokens, words

# Named bodies whose kind is itself a category of the JSON contract.
_KIND_CATEGORY = {
    "ubnd_tinh": "ubnd_tinh",
    "hdnd_tinh": "hdnd_tinh",
    "tinh_uy": "tinh_uy",
    "mttq": "mttq",
}


@dataclass
class LineContext:
    """Everything a line needs to be resolved: the data, the date, the sender."""

    directory: Directory
    ruleset: RuleSet
    segmenter: Segmenter
    as_of: dt.date
    sender: Agency | None
    document: Document
    foreign_place: str | None = None
    kinh_gui_agencies: list[Agency] = field(default_factory=list)
    kinh_gui_lines: list[int] = field(default_factory=list)
    # What each rule selected (relative to which previous body), computed once per document:
    # a line that repeats a category (`Sở Sở Sở ...`) does not scan the directory again.
    selections: dict[tuple[str, str | None], Selection] = field(default_factory=dict)


@dataclass
class Part:
    """What one segment of a line gave: agencies, or an exclusion, or a question."""

    outcome: Outcome
    category: str
    rule: str
    text: str
    agencies: list[Agency] = field(default_factory=list)
    per_agency: dict[str, str] = field(default_factory=dict)
    confidence: str = "exact"
    suggestions: list[Agency] = field(default_factory=list)
    title: str | None = None
    quoted: str = ""
    # How many segments of the line read exactly this way (merged into this one part).
    repeated: int = 1

    def why(self, agency: Agency) -> str:
        """The reason for one agency of this part."""
        return self.per_agency.get(agency.id, self.text)

    def to_json(self) -> dict[str, object]:
        """The part as JSON: what was read, how surely, and what a clerk may choose."""
        out: dict[str, object] = {
            "text": self.quoted,
            "outcome": self.outcome,
            "category": self.category,
            "rule": self.rule,
            "confidence": self.confidence,
            "agencies": [a.id for a in self.agencies],
            "reason": self.text,
        }
        if self.title:
            out["title"] = self.title
        if self.suggestions:
            out["suggestions"] = [{"id": a.id, "name": a.name} for a in self.suggestions]
        if self.repeated > 1:
            out["repeated"] = self.repeated
        return out

    def reading(self) -> tuple[object, ...]:
        """What the part reads, whatever the words: parts that agree on it are one part.
        A question keeps its own words (each is a different question to the clerk)."""
        return (
            self.outcome, self.category, self.rule, self.confidence, self.title,
            tuple(a.id for a in self.agencies), tuple(a.id for a in self.suggestions),
            tuple(sorted(self.per_agency.items())),
            self.text if self.outcome != "recipients" else None,
        )


def merged(parts: list[Part]) -> list[Part]:
    """The parts with repeated readings merged into the first (its words kept, `repeated`
    counted): a line of the same category written over and over gives one part, so what a
    line costs downstream grows with what it says, not with how often it says it."""
    first: dict[tuple[object, ...], Part] = {}
    for part in parts:
        kept = first.setdefault(part.reading(), part)
        if kept is not part:
            kept.repeated += part.repeated
    return list(first.values())


def resolve_line(bare: str, ctx: LineContext) -> list[Part]:
    """The parts of one line (its parenthetical notes already removed)."""
    reading = ctx.segmenter.read(bare)  # the segmenter shares ctx.ruleset's abbreviations
    tokens, spans = reading.tokens, reading.spans
    if ctx.foreign_place and not ctx.segmenter.is_archive(tokens):
        return [
            Part(
                Outcome.UNRESOLVED,
                "named",
                "place",
                (
                    f"the document was issued in '{ctx.foreign_place}', outside the directory "
                    f"'{ctx.directory.id}' ({ctx.directory.province}): "
                    "use that province's directory "
                    "or pass --sender"
                ),
            )
        ]
    segments = ctx.segmenter.cut(reading)
    parts: list[Part] = []
    previous: Agency | None = None
    for segment in segments:
        text = quote(segment, bare, tokens, spans)
        if isinstance(segment, RuleSegment) and segment.rule.action == "as_article":
            for part in _as_article(segment, text, ctx):
                part.quoted = part.quoted or text
                parts.append(part)
            continue
        if isinstance(segment, RuleSegment) and segment.rule.action == "union":
            for part in _union(segment, text, ctx, previous):
                part.quoted = text
                parts.append(part)
            continue
        part = _resolve_segment(segment, text, ctx, previous)
        if isinstance(segment, NameSegment) and part.agencies:
            part = _with_confidence(part, segment, bare, tokens, spans, ctx)
        if isinstance(segment, NameSegment) and segment.title and segment.tokens is tokens:
            part.title = bare[spans[segment.span[0]][0] : spans[segment.body_start - 1][1]]
        part.quoted = text
        parts.append(part)
        if isinstance(segment, NameSegment) and len(part.agencies) == 1:
            previous = part.agencies[0]
    return merged(parts)


def resolve_item(bare: str, notes: Notes, ctx: LineContext) -> tuple[list[Part], Notes]:
    """The parts of one item. A body in brackets is the real recipient: `Bộ Tư pháp (Cục
    Kiểm tra VBQPPL)` is addressed to the Cục; the body before it only says whose unit it is,
    and is offered to the clerk when the unit itself is not in the directory."""
    inner = [o for o in notes.other if ctx.segmenter.names_a_body(ctx.ruleset.tokens(o))]
    if not inner:
        return resolve_line(bare, ctx), notes
    outer_text = " ".join(bare.split()).strip(" ;,.-")
    outer = resolve_line(bare, ctx)
    parents = [a for p in outer for a in p.agencies]
    parts: list[Part] = []
    if not parents:
        # "Phòng KGVX, Phòng TH (VP UBND tỉnh)": words before the bracket that read no body
        # are not a parent to mention; they are put to the clerk, never dropped.
        inner_text = "; ".join(inner)
        for part in outer:
            if part.outcome == Outcome.UNRESOLVED:
                part.text = f"{part.text.rstrip('.?')} (before the bracketed '{inner_text}')"
                parts.append(part)
    for text in inner:
        for part in resolve_line(text, ctx):
            where = f"the unit addressed in brackets after '{outer_text}'"
            if part.outcome == Outcome.UNRESOLVED:
                part.text = f"{part.text.rstrip('.?')} ({where})"
                part.suggestions += [a for a in parents if a not in part.suggestions]
                if part.suggestions:
                    names = " or ".join(a.name for a in part.suggestions)
                    part.text += f"; did you mean {names}?"
                    part.confidence = "suggested"
            else:
                part.text = f"{part.text} ({where})"
            parts.append(part)
    return parts, replace(notes, other=tuple(o for o in notes.other if o not in inner))


def quote(segment: Segment, bare: str, tokens: Tokens, spans: list[Span]) -> str:
    """The clerk's own words for a segment cut from `tokens` (else its folded words).

    A segment of a rewritten line (`TT HĐND, UBND tỉnh` spread to `TT UBND tỉnh`) is quoted
    piece by piece from the tokens it came from; a piece that is only part of an abbreviation
    (`thuong truc` of `TT HĐND`) is given in folded words."""
    if segment.tokens is tokens:
        start, end = segment.span
        return bare[spans[start][0] : spans[end - 1][1]]
    if not segment.origin or len(segment.origin) != len(segment.tokens):
        return segment.text
    pieces: list[str] = []
    taken = [o for o in segment.origin[segment.span[0] : segment.span[1]] if 0 <= o < len(spans)]
    for run in _runs(taken):
        whole = [
            i for i, span in enumerate(spans) if spans[run[0]][0] <= span[0] < spans[run[-1]][1]
        ]
        if set(whole) <= set(run):
            pieces.append(bare[spans[run[0]][0] : spans[run[-1]][1]])
        else:
            pieces.append(" ".join(tokens[i] for i in run))
    return " ".join(pieces)


def _runs(indices: list[int]) -> list[list[int]]:
    """Consecutive runs of token indices, each index once, in order."""
    runs: list[list[int]] = []
    for i in dict.fromkeys(indices):
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _resolve_segment(
    segment: RuleSegment | NameSegment | SenderSegment | Leftover,
    text: str,
    ctx: LineContext,
    previous: Agency | None,
) -> Part:
    if isinstance(segment, Leftover):
        return _leftover(segment, text, ctx)
    if isinstance(segment, SenderSegment):
        return _leaders(segment, text, ctx)
    if isinstance(segment, NameSegment):
        return _named(segment, text, ctx)
    return _rule(segment, text, ctx, previous)


_UBND: Tokens = ("uy", "ban", "nhan", "dan")
_LEVEL_OF_WORD = {"tinh": "tinh", "huyen": "huyen", "xa": "xa"}
# Bare words that always mean the sender itself or its own internal unit ("Lãnh đạo VP",
# "Trưởng phòng"): whatever the sender's kind, they are internal.
_OWN_UNIT_WORDS = frozenset(
    {("co", "quan"), ("don", "vi"), ("van", "phong"), ("phong",), ("trung", "tam")}
)


def _leaders(segment: SenderSegment, text: str, ctx: LineContext) -> Part:
    """A title with a bare body word, read relative to the sender: `CT, các PCT UBND` is the
    People's Committee of the sender's territory (the sender itself, or its superior), the same
    reading as `CT, các PCT UBND tỉnh`; `Lãnh đạo Sở` is the sender when the sender is a Sở."""
    own = Part(
        Outcome.EXCLUDED,
        "leaders",
        "leaders",
        f"'{text}': the sender's own leaders; internal, not a delivery",
    )
    sender, word = ctx.sender, words(segment.word)
    if sender is None or not word:
        return own
    if word[: len(_UBND)] == _UBND or word in (("tinh",), ("huyen",), ("xa",)):
        level = _LEVEL_OF_WORD.get(word[-1])
        body = _committee_of(sender, level, ctx.directory)
        if body is None:
            return Part(
                Outcome.UNRESOLVED,
                "leaders",
                "leaders",
                f"'{text}': no People's Committee "
                f"of that level above the sender {sender.name} in the directory",
            )
        if body.id == sender.id:
            return own
        return Part(
            Outcome.RECIPIENTS,
            _KIND_CATEGORY.get(body.kind, "named"),
            "leaders",
            f"'{text}' names {body.name}, the People's Committee of the sender's territory "
            "(addressed to its leadership)",
            [body],
            title=segment.title,
        )
    if word in _OWN_UNIT_WORDS or words(ctx.ruleset.tokens(sender.name))[: len(word)] == word:
        return own
    return Part(
        Outcome.UNRESOLVED,
        "leaders",
        "leaders",
        f"'{text}': the sender ({sender.name}) is not a body of that kind, so whose leaders "
        "are meant is not clear",
    )


def _units_word_mismatch(segment: RuleSegment, text: str, ctx: LineContext) -> Part | None:
    """`Các phòng thuộc Sở` names the units of a body of the sender's kind: a question when the
    sender is of another kind (`Sở` from UBND tỉnh), as for leaders (`Lãnh đạo Sở`)."""
    said = segment.text.split()
    if "thuoc" not in said or ctx.sender is None:
        return None
    word = tuple(said[len(said) - said[::-1].index("thuoc") :])
    if not word or word in _OWN_UNIT_WORDS - {("van", "phong")}:
        return None
    sender = ctx.sender
    level = _LEVEL_OF_WORD.get(word[-1])
    if level is not None and word in ((word[-1],), (*_UBND, word[-1])):
        fits = sender.kind.startswith("ubnd") and sender.level == level
    else:
        fits = words(ctx.ruleset.tokens(sender.name))[: len(word)] == word
    if fits:
        return None
    return Part(
        Outcome.UNRESOLVED,
        segment.rule.category,
        segment.rule.id,
        f"'{text}': the sender ({sender.name}) is not a body of that kind, so whose units "
        "are meant is not clear",
    )


def _committee_of(sender: Agency, level: str | None, directory: Directory) -> Agency | None:
    """The People's Committee of the sender's territory, or the one above it at `level`."""
    current = directory.get(directory.territory(sender) or "")
    seen: set[str] = set()
    while current is not None and current.id not in seen:
        if level is None or current.level == level:
            return current
        seen.add(current.id)
        current = directory.get(current.area or "")
    return None


def _rule(segment: RuleSegment, text: str, ctx: LineContext, previous: Agency | None) -> Part:
    rule = segment.rule
    if rule.action == "archive":
        return Part(
            Outcome.EXCLUDED,
            rule.category,
            rule.id,
            "archive copy (Lưu: the registry and the drafting unit): never a delivery",
        )
    if rule.action == "as_above":
        return _as_above(rule, ctx)
    if rule.action == "ask":
        return Part(Outcome.UNRESOLVED, rule.category, rule.id,
                    f"'{text}' {rule.description.strip()}")
    if rule.action == "as_article":
        return _as_article(segment, text, ctx)[0]
    if rule.select and rule.select.scope == "under_sender":
        mismatch = _units_word_mismatch(segment, text, ctx)
        if mismatch is not None:
            return mismatch
    if rule.select and rule.select.scope in ANCHORED_SCOPES:
        # An area is read even after its committee ended: its communes say when they did.
        any_day = rule.select.scope == "area_of_next"
        anchors = _prefer_near_sender(
            [a for i in segment.anchor
             if (a := ctx.directory.get(i)) and (any_day or a.valid_on(ctx.as_of))],
            ctx,
        )
        previous = anchors[0] if len(anchors) == 1 else None
    return _selected(rule, text, ctx, previous)


def _union(
    segment: RuleSegment, text: str, ctx: LineContext, previous: Agency | None
) -> list[Part]:
    """`Các sở, ban, ngành, đoàn thể tỉnh`: one part per category rule the phrase joins."""
    rules = [r for i in segment.rule.parts if (r := ctx.ruleset.rule(i)) is not None]
    return [_selected(rule, text, ctx, previous) for rule in rules]


def _selected(rule: Rule, text: str, ctx: LineContext, previous: Agency | None) -> Part:
    key = (rule.id, previous.id if previous is not None else None)
    chosen = ctx.selections.get(key)
    if chosen is None:
        chosen = select(rule, ctx.ruleset, ctx.directory, ctx.as_of, ctx.sender, previous)
        ctx.selections[key] = chosen
    category = rule.category
    if rule.select and rule.select.scope == "children_of_previous" and previous is not None:
        # "TT. Tỉnh ủy và các Ban": the boards belong to the category of their body.
        category = _KIND_CATEGORY.get(previous.kind, "named")
    if not chosen.agencies:
        return Part(Outcome.UNRESOLVED, category, rule.id, f"'{text}' {chosen.empty_reason}")
    why = f"'{text}' read by rule '{rule.id}': {rule.description.strip()}".rstrip(": ")
    if rule.select and rule.select.scope in ANCHORED_SCOPES and previous is not None:
        why = f"{why.rstrip('.')} ({previous.name})"
    per_agency = {
        agency_id: f"{why} (included because policy flag '{flag}' is on)"
        for agency_id, flag in chosen.by_flag.items()
    }
    return Part(Outcome.RECIPIENTS, category, rule.id, why, list(chosen.agencies), per_agency)


def _as_above(rule: Rule, ctx: LineContext) -> Part:
    if not ctx.kinh_gui_lines:
        return Part(
            Outcome.UNRESOLVED,
            rule.category,
            rule.id,
            "'Như trên' refers to Kính gửi, and the document has no Kính gửi block",
        )
    if not ctx.kinh_gui_agencies:
        return Part(
            Outcome.UNRESOLVED,
            rule.category,
            rule.id,
            f"'Như trên': the Kính gửi lines {ctx.kinh_gui_lines} named no agency",
        )
    return Part(
        Outcome.RECIPIENTS,
        rule.category,
        rule.id,
        f"'Như trên': the addressees of Kính gửi (lines {ctx.kinh_gui_lines})",
        list(ctx.kinh_gui_agencies),
    )


def _as_article(segment: RuleSegment, text: str, ctx: LineContext) -> list[Part]:
    """`Như Điều 3`: the bodies named in the article, then one question per body of it that no
    name reads (a misspelt or unknown body, one that ended); the article's `các cơ quan, đơn
    vị có liên quan` formula is no question."""
    rule = segment.rule
    number, clause = segment.number, segment.clause
    where = f"khoản {clause} Điều {number}" if clause is not None else f"Điều {number}"
    if number is None:
        article = None
    elif clause is not None:
        article = ctx.document.clause(number, clause)
    else:
        article = ctx.document.article(number)
    if article is None:
        return [Part(
            Outcome.UNRESOLVED,
            rule.category,
            rule.id,
            f"'{text}': the text has no {where} to read the bodies from",
        )]
    agencies: dict[str, Agency] = {}
    questions: list[Part] = []
    tokens, spans = ctx.ruleset.spanned(article)
    for mention in ctx.segmenter.mentions(tokens):
        start, end = mention.span
        said = article[spans[start][0] : spans[end - 1][1]]
        part = _resolve_segment(mention, said, ctx, None)
        if part.outcome == Outcome.RECIPIENTS:
            agencies.update((a.id, a) for a in part.agencies)
        elif part.outcome == Outcome.UNRESOLVED and not (
            isinstance(mention, RuleSegment) and mention.rule.action == "ask"
        ):
            part.text = f"in {where}, read for '{text}': {part.text}"
            part.quoted = said
            questions.append(part)
    if not agencies:
        return [Part(
            Outcome.UNRESOLVED,
            rule.category,
            rule.id,
            f"'{text}': {where} names no agency of the directory",
        ), *questions]
    return [Part(
        Outcome.RECIPIENTS,
        rule.category,
        rule.id,
        f"'{text}': the bodies named in {where}",
        list(agencies.values()),
    ), *questions]


def _leftover(segment: Leftover, text: str, ctx: LineContext) -> Part:
    """Words read as no body: a question for the clerk, with what they may have meant."""
    found = [ctx.directory.get(i) for i in segment.suggestions]
    suggestions = [a for a in found if a is not None and a.valid_on(ctx.as_of)]
    if segment.why == "not_split":
        why = (
            f"'{text}' is not split at 'và', because not every part of it names a body "
            f"of directory '{ctx.directory.id}' on its own"
        )
    else:
        why = f"no agency named '{text}' in directory '{ctx.directory.id}'"
    if suggestions:
        why += "; did you mean " + " or ".join(a.name for a in suggestions) + "?"
    return Part(
        Outcome.UNRESOLVED,
        "named",
        "named",
        why,
        confidence="suggested" if suggestions else "none",
        suggestions=suggestions,
    )


def _with_confidence(
    part: Part, segment: NameSegment, bare: str, tokens: Tokens, spans: list[Span], ctx: LineContext
) -> Part:
    """The part with how surely its one body was read (exact, alias or corrected)."""
    agency = part.agencies[0]
    start, end = segment.body_start, segment.span[1]
    body = tokens[start:end]
    written = bare[spans[start][0] : spans[end - 1][1]] if segment.tokens is tokens else ""
    if segment.correction:
        part.confidence = "corrected"
        part.text += f" (corrected: {segment.correction} in '{written or segment.text}')"
    elif written and _lost_accents(written, agency):
        part.confidence = "corrected"
        part.text += f" (corrected: diacritics restored in '{written}')"
    elif written and _written_words(written) != words(body):
        part.confidence = "alias"
    elif ctx.segmenter.names.is_official(agency.id, body):
        part.confidence = "exact"
    else:
        part.confidence = "alias"
    return part


@text_memo(8192)  # the same body written the same way, document after document
def _written_words(written: str) -> Tokens:
    """The words of a name as written (abbreviations not expanded)."""
    return words(raw_tokens(written))


def _lost_accents(written: str, agency: Agency) -> bool:
    """Whether a written word is one of the agency's words with its diacritics lost or wrong."""
    if len(written) > LONGEST:
        return _accents_lost(written, agency.name, agency.aliases)
    return _kept_accents_lost(written, agency.name, agency.aliases)


def _accents_lost(written: str, name: str, aliases: tuple[str, ...]) -> bool:
    known, folded = _accents_of(name, aliases)
    return any(key[0] in folded and key not in known for key in accent_keys(written))


# The same body written the same way, document after document: answered once.
_kept_accents_lost = functools.lru_cache(maxsize=8192)(_accents_lost)
forgetting(_kept_accents_lost.cache_clear)


@functools.lru_cache(maxsize=8192)
def _accents_of(name: str, aliases: tuple[str, ...]) -> tuple[set[AccentKey], set[str]]:
    """The accent keys of an agency's words, and their folded forms (computed once)."""
    known = accent_keys(" ".join((name, *aliases)))
    return known, {key[0] for key in known}


def _named(segment: NameSegment, text: str, ctx: LineContext) -> Part:
    candidates = [a for a in (ctx.directory.get(i) for i in segment.agency_ids) if a is not None]
    how = ""
    valid = _prefer_near_sender([a for a in candidates if a.valid_on(ctx.as_of)], ctx)
    if len(valid) > 1:
        valid = _written_exactly(valid, text) or valid
    if len(valid) > 1:
        # A few namesakes are offered to the clerk; many are only counted (naming five of 96
        # communes helps nobody, and a reason names no body the line did not mean).
        offered = valid if len(valid) <= 3 else []
        which = f": {', '.join(a.name for a in offered)}" if offered else "; write which one"
        return Part(
            Outcome.UNRESOLVED,
            "named",
            "named",
            f"'{text}' is ambiguous: it names {len(valid)} agencies{which}",
            confidence="suggested" if offered else "none",
            suggestions=offered,
        )
    if valid:
        return _one_named(segment, text, valid[0], ctx, how)
    return _dated_out(text, candidates, ctx, how)


def _written_exactly(agencies: list[Agency], text: str) -> list[Agency]:
    """Namesakes told apart by their marks: the one body whose words the clerk wrote with
    every diacritic (`xã Thành Hải`, not `xã Thanh Hải`); else none."""
    exact = [a for a in agencies if not _lost_accents(text, a)]
    return exact if len(exact) == 1 else []


def _one_named(segment: NameSegment, text: str, agency: Agency, ctx: LineContext, how: str) -> Part:
    if ctx.sender is not None and agency.id == ctx.sender.id:
        who = "the sender's own leaders" if segment.title else "the sender itself"
        return Part(
            Outcome.EXCLUDED,
            "leaders" if segment.title else _KIND_CATEGORY.get(agency.kind, "named"),
            "leaders" if segment.title else "named",
            f"'{text}': {who} ({agency.name}); internal, not a delivery",
            title=segment.title,
        )
    # A title in front of another body addresses that body ("Thường trực Tỉnh ủy" is Tỉnh ủy).
    title = " (addressed to its leadership)" if segment.title else ""
    return Part(
        Outcome.RECIPIENTS,
        _KIND_CATEGORY.get(agency.kind, "named"),
        "named",
        f"'{text}' names {agency.name}{title}{how}",
        [agency],
        title=segment.title,
    )


def _dated_out(text: str, candidates: list[Agency], ctx: LineContext, how: str) -> Part:
    for agency in candidates:
        chain = ctx.directory.successor_on(agency, ctx.as_of)
        if chain:
            heir = chain[-1]
            path = " → ".join(a.name for a in chain)
            if ctx.sender is not None and heir.id == ctx.sender.id:
                # "UBND tỉnh Ninh Thuận" on a document of the province it merged into.
                return Part(
                    Outcome.EXCLUDED,
                    _KIND_CATEGORY.get(heir.kind, "named"),
                    "named",
                    f"'{text}' names {agency.name}, which ended on {agency.valid_to}; its "
                    f"successor on {ctx.as_of} is {path}: the sender itself; internal, not a "
                    f"delivery{how}",
                )
            return Part(
                Outcome.RECIPIENTS,
                "named",
                "named",
                f"'{text}' names {agency.name}, which ended on {agency.valid_to}; "
                f"its successor on {ctx.as_of} is {path}{how}",
                [heir],
            )
    ended = [a for a in candidates if a.valid_to is not None and a.valid_to < ctx.as_of]
    if ended:
        return Part(
            Outcome.UNRESOLVED,
            "named",
            "named",
            f"'{text}' names {ended[0].name}, which ended on {ended[0].valid_to} "
            f"and has no successor in the directory on {ctx.as_of}",
        )
    later = [a for a in candidates if a.valid_from is not None and a.valid_from > ctx.as_of]
    first = later[0] if later else None
    since = f"only from {first.valid_from}" if first else "not on that date"
    return Part(
        Outcome.UNRESOLVED,
        "named",
        "named",
        f"'{text}' names {first.name if first else 'an agency'}, which exists "
        f"{since}; the document is dated {ctx.as_of}",
    )


def _prefer_near_sender(agencies: list[Agency], ctx: LineContext) -> list[Agency]:
    """Among several bodies of one name, those in the sender's territory (or containing it)."""
    if len(agencies) <= 1 or ctx.sender is None:
        return agencies
    directory = ctx.directory
    sender = ctx.sender
    home = directory.territory(sender)
    near = [
        a
        for a in agencies
        if a.id == sender.id
        or (home is not None and directory.within(a, home))
        or directory.within(sender, directory.territory(a) or "")
    ]
    return near or agencies
