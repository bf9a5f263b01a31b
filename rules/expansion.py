"""Expansion: every Kính gửi and Nơi nhận line of a document becomes exactly one outcome.

An outcome is `recipients` (agency ids, each with its reason), `excluded` (with the reason:
an archive copy, the sender's own leaders) or `unresolved` (with the reason a clerk needs:
no such agency, a category empty on that date, an ambiguous name). A partly read line is
`unresolved`, and the agencies it did name still receive the document: a missed agency is
worse than a question to the clerk. Text of a block the reader could not take for a
recipient is an `unresolved` line of category `unread`, never resolved. The recipient list is
the union, each agency once, with every reason that chose it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from rules.directory import Agency, Directory
from rules.document import Document
from rules.lines import LineContext, Part, resolve_item
from rules.names import NameIndex
from rules.notes import split_notes
from rules.outcomes import UNREAD, Outcome
from rules.ruleset import RuleSet
from rules.segments import Segmenter


class UnknownSenderError(ValueError):
    """The sender id given to `expand` names no agency of the directory."""


@dataclass(frozen=True)
class Reason:
    """Why one line chose one agency."""

    line: int
    rule: str
    rules_version: str
    category: str
    text: str
    notes: dict[str, Any] = field(default_factory=dict)
    confidence: str = "exact"

    def to_json(self) -> dict[str, Any]:
        """The reason as JSON."""
        out = {
            "line": self.line,
            "rule": self.rule,
            "rules_version": self.rules_version,
            "category": self.category,
            "confidence": self.confidence,
            "text": self.text,
        }
        if self.notes:
            out["notes"] = self.notes
        return out


@dataclass
class Recipient:
    """One agency that receives the document, with every reason."""

    id: str
    name: str
    kind: str
    reasons: list[Reason]

    def to_json(self) -> dict[str, Any]:
        """The recipient as JSON."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "reasons": [r.to_json() for r in self.reasons],
        }


@dataclass(frozen=True)
class LineOutcome:
    """The outcome of one recipient line."""

    number: int
    section: str
    text: str
    outcome: Outcome
    categories: list[str]
    agencies: list[str]
    notes: dict[str, Any]
    reason: str
    # What each reading of the line gave, with its confidence and the clerk's choices.
    parts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def suggestions(self) -> list[dict[str, Any]]:
        """Bodies offered to the clerk for the unread parts ("did you mean X?"), each once."""
        seen: dict[str, dict[str, Any]] = {}
        for part in self.parts:
            for suggestion in part.get("suggestions", []):
                seen.setdefault(suggestion["id"], {**suggestion, "for": part["text"]})
        return list(seen.values())

    def to_json(self) -> dict[str, Any]:
        """The line as JSON (the stable keys other tools read)."""
        return {
            "line": self.number,
            "section": self.section,
            "text": self.text,
            "outcome": self.outcome,
            "categories": self.categories,
            "agencies": self.agencies,
            "notes": self.notes,
            "reason": self.reason,
            "parts": self.parts,
            "suggestions": self.suggestions,
        }


@dataclass
class Expansion:
    """The whole answer: who receives the document, and what became of every line."""

    document: Document
    as_of: dt.date
    as_of_source: str
    sender: str | None
    sender_source: str
    rules_id: str
    rules_version: str
    directory_id: str
    lines: list[LineOutcome]
    recipients: list[Recipient]

    @property
    def unresolved(self) -> list[LineOutcome]:
        """The lines a clerk must look at."""
        return [line for line in self.lines if line.outcome == Outcome.UNRESOLVED]

    def to_json(self) -> dict[str, Any]:
        """The expansion as JSON (the shape `docroute expand --json` prints)."""
        doc = self.document
        return {
            "document": {
                "number": doc.number,
                "notation": doc.notation,
                "type": doc.doc_type,
                "issuer": doc.issuer or doc.issuer_code,
                "issuer_code": doc.issuer_code,
                "place": doc.place,
                "date": doc.date.isoformat() if doc.date else None,
                "urgency": doc.urgency,
                "subject": doc.subject,
            },
            "as_of": self.as_of.isoformat(),
            "as_of_source": self.as_of_source,
            "sender": self.sender,
            "sender_source": self.sender_source,
            "rules": {"id": self.rules_id, "version": self.rules_version},
            "rules_version": self.rules_version,
            "directory": self.directory_id,
            "lines": [line.to_json() for line in self.lines],
            "recipients": [r.to_json() for r in self.recipients],
            "unresolved": [line.to_json() for line in self.unresolved],
        }


def expand(
    document: Document,
    directory: Directory,
    ruleset: RuleSet,
    as_of: dt.date | None = None,
    sender: str | None = None,
) -> Expansion:
    """Expand the recipient lines of `document` (see the module docstring)."""
    segmenter = segmenter_for(directory, ruleset)
    names = segmenter.names
    day, day_source = _as_of(document, as_of)
    sender_agency, sender_source = _sender(document, directory, names, ruleset, sender)
    context = LineContext(
        directory=directory,
        ruleset=ruleset,
        segmenter=segmenter,
        as_of=day,
        sender=sender_agency,
        document=document,
        foreign_place=None if sender else _foreign_place(document, names, ruleset),
    )
    lines: list[LineOutcome] = []
    parts_by_line: list[list[Part]] = []
    for section, items, unread in (
        ("kinh_gui", document.kinh_gui, document.kinh_gui_unread),
        ("noi_nhan", document.noi_nhan, document.noi_nhan_unread),
    ):
        if section == "noi_nhan":  # "Như trên" needs what Kính gửi gave
            context.kinh_gui_lines = [ln.number for ln in lines if ln.categories != [UNREAD]]
            context.kinh_gui_agencies = list(
                {a.id: a for parts in parts_by_line for p in parts for a in p.agencies}.values()
            )
        for item in items:
            parts, notes = resolve_item(*split_notes(item), context)
            parts_by_line.append(parts)
            lines.append(_outcome(len(lines) + 1, section, item, notes.to_json(), parts))
        for text in unread:  # never resolved: a guess is never a delivery
            parts_by_line.append([])
            lines.append(unread_line(len(lines) + 1, section, text))
    recipients = _union(lines, parts_by_line, ruleset)
    return Expansion(
        document=document,
        as_of=day,
        as_of_source=day_source,
        sender=sender_agency.id if sender_agency else None,
        sender_source=sender_source,
        rules_id=ruleset.id,
        rules_version=ruleset.version,
        directory_id=directory.id,
        lines=lines,
        recipients=recipients,
    )


def segmenter_for(directory: Directory, ruleset: RuleSet) -> Segmenter:
    """The segmenter (and name index) of this directory under this rule set, built once.

    Keyed by the rule set's rules and abbreviations, which `RuleSet.with_policy` shares: a
    policy change needs no new index."""
    cached = directory.cache.get(id(ruleset.rules))
    if cached is not None:
        owner, segmenter = cached
        if (
            owner is ruleset.rules
            and isinstance(segmenter, Segmenter)
            and segmenter.abbreviations is ruleset.abbreviations
        ):
            return segmenter
    segmenter = Segmenter(ruleset, NameIndex(directory, ruleset))
    directory.cache[id(ruleset.rules)] = (ruleset.rules, segmenter)
    return segmenter


def _as_of(document: Document, as_of: dt.date | None) -> tuple[dt.date, str]:
    if as_of is not None:
        return as_of, "given"
    if document.date is not None:
        return document.date, "document date"
    if document.partial_date:
        year, _, month = document.partial_date.partition("-")
        day = dt.date(int(year), int(month or 1), 1)
        return day, f"partial document date {document.partial_date} (day missing): first day used"
    if document.date_hint is not None:
        return document.date_hint, "no date line: the latest date in the text"
    return dt.date.today(), "no date in the document: today"


def _sender(
    document: Document,
    directory: Directory,
    names: NameIndex,
    ruleset: RuleSet,
    sender: str | None,
) -> tuple[Agency | None, str]:
    if sender is not None:
        agency = directory.get(sender)
        if agency is None:
            raise UnknownSenderError(
                f"sender '{sender}' is not an agency of directory '{directory.id}'"
            )
        return agency, "given"
    if document.issuer:
        ids = names.lookup(ruleset.tokens(document.issuer))
        if len(ids) == 1:
            found = directory.get(ids[0])
            return found, f"issuer '{document.issuer}' found in the directory"
    return None, "unknown (pass --sender)"


def _foreign_place(document: Document, names: NameIndex, ruleset: RuleSet) -> str | None:
    """The document's place when it lies outside the directory's province, else None."""
    if not document.place:
        return None
    place = ruleset.tokens(document.place)
    if place in names.places:
        return None
    return document.place


def _outcome(
    number: int, section: str, item: str, notes: dict[str, Any], parts: list[Part]
) -> LineOutcome:
    kinds = {p.outcome for p in parts}
    outcome = (
        Outcome.UNRESOLVED
        if Outcome.UNRESOLVED in kinds or not parts
        else (Outcome.RECIPIENTS if Outcome.RECIPIENTS in kinds else Outcome.EXCLUDED)
    )
    agencies = list({a.id: None for part in parts for a in part.agencies})
    categories: list[str] = []
    for part in parts:
        if part.category not in categories:
            categories.append(part.category)
    reason = line_reason(parts)
    return LineOutcome(
        number,
        section,
        item,
        outcome,
        categories,
        agencies,
        notes,
        reason,
        [p.to_json() for p in parts],
    )


def line_reason(parts: list[Part]) -> str:
    """One sentence for a line: what was not read first (the clerk acts on it), then the rest."""
    if not parts:
        return "nothing on this line names a recipient"
    ordered = sorted(parts, key=lambda p: p.outcome != Outcome.UNRESOLVED)
    texts = list(dict.fromkeys(p.text.rstrip(".") for p in ordered))
    sentence = "; ".join(texts)
    return sentence if sentence.endswith("?") else sentence + "."


_BLOCK_NAMES = {"kinh_gui": "Kính gửi", "noi_nhan": "Nơi nhận"}


def unread_line(number: int, section: str, text: str) -> LineOutcome:
    """A piece of a recipient block the reader could not take for a recipient: the clerk
    sees it with the unresolved lines (outcome `unresolved`, category `unread`)."""
    reason = (
        f"text in the {_BLOCK_NAMES[section]} block that docroute could not read as a "
        "recipient: check whether it names one"
    )
    return LineOutcome(number, section, text, Outcome.UNRESOLVED, [UNREAD], [], {}, reason)


def _union(
    lines: list[LineOutcome], parts_by_line: list[list[Part]], ruleset: RuleSet
) -> list[Recipient]:
    recipients: dict[str, Recipient] = {}
    for line, parts in zip(lines, parts_by_line, strict=True):
        for part in parts:
            # One Reason per distinct text: a broadcast line shares it among its agencies.
            shared: dict[str, Reason] = {}
            for agency in part.agencies:
                recipient = recipients.get(agency.id)
                if recipient is None:
                    recipient = Recipient(agency.id, agency.name, agency.kind, [])
                    recipients[agency.id] = recipient
                text = part.why(agency)
                reason = shared.get(text)
                if reason is None:
                    reason = Reason(
                        line.number,
                        part.rule,
                        ruleset.version,
                        part.category,
                        text,
                        line.notes,
                        part.confidence,
                    )
                    shared[text] = reason
                recipient.reasons.append(reason)
    return list(recipients.values())
