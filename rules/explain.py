"""Answers the auditor's question: why did (or didn't) agency X get document Y?

`explain` re-reads the lines of an expansion from the agency's side. For a recipient it gives
the lines, rules, rule-set version and directory entry that chose it. For an agency that was
not chosen it gives the categories it belongs to, the lines that came close, and what kept it
out of each: a policy flag that is off, its validity dates, the sender's scope, a name that
was not quite its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from rules.directory import Agency, Directory
from rules.expansion import Expansion, Reason, segmenter_for
from rules.lines import quote
from rules.notes import split_notes
from rules.outcomes import Outcome
from rules.ruleset import ANCHORED_SCOPES, Rule, RuleSet
from rules.segments import Leftover, NameSegment, RuleSegment, Segment
from rules.selection import why_not_selected

NEAR_NAME = 75.0


@dataclass(frozen=True)
class LineVerdict:
    """What one line did about the agency."""

    line: int
    text: str
    verdict: str

    def to_json(self) -> dict[str, Any]:
        """As JSON."""
        return {"line": self.line, "text": self.text, "verdict": self.verdict}


@dataclass(frozen=True)
class Explanation:
    """The answer for one agency and one expansion."""

    agency_id: str
    agency: Agency | None
    received: bool
    summary: str
    rules_version: str
    as_of: str
    reasons: list[Reason] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    lines: list[LineVerdict] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """As JSON (the body of the why / why-not API)."""
        return {
            "agency": self.agency.to_json() if self.agency else {"id": self.agency_id},
            "received": self.received,
            "summary": self.summary,
            "rules_version": self.rules_version,
            "as_of": self.as_of,
            "reasons": [r.to_json() for r in self.reasons],
            "categories": self.categories,
            "lines": [v.to_json() for v in self.lines],
        }


def explain(
    expansion: Expansion, agency_id: str, directory: Directory, ruleset: RuleSet
) -> Explanation:
    """Why `agency_id` is, or is not, a recipient of `expansion`."""
    version, as_of = ruleset.version, expansion.as_of.isoformat()
    agency = directory.get(agency_id)
    if agency is None:
        return Explanation(
            agency_id,
            None,
            False,
            f"no agency '{agency_id}' in directory '{directory.id}'",
            rules_version=version,
            as_of=as_of,
        )
    categories = memberships(agency, ruleset)
    chosen = [r for r in expansion.recipients if r.id == agency_id]
    if chosen:
        lines = sorted({r.line for r in chosen[0].reasons})
        summary = f"{agency.name} receives the document through line(s) {lines}"
        return Explanation(
            agency_id,
            agency,
            True,
            summary,
            reasons=chosen[0].reasons,
            categories=categories,
            rules_version=version,
            as_of=as_of,
        )
    verdicts = _verdicts(expansion, agency, directory, ruleset)
    return Explanation(
        agency_id,
        agency,
        False,
        _summary(agency, categories, verdicts),
        categories=categories,
        lines=verdicts,
        rules_version=version,
        as_of=as_of,
    )


def memberships(agency: Agency, ruleset: RuleSet) -> list[str]:
    """The rules whose category the agency belongs to, whatever the date or the sender."""
    out = []
    for rule in ruleset:
        selector = rule.select
        scopes = ("province", "sender_area")
        if rule.action != "select" or selector is None or selector.scope not in scopes:
            continue
        if selector.level is not None and selector.level != agency.level:
            continue
        if not selector.kinds or agency.kind in selector.kinds:
            out.append(rule.id)
            continue
        for addition in rule.also:
            if agency.kind in addition.kinds:
                state = "on" if ruleset.flag(addition.flag) else "off"
                out.append(f"{rule.id} (only while policy flag '{addition.flag}' is on; {state})")
    return out


def _summary(agency: Agency, categories: list[str], verdicts: list[LineVerdict]) -> str:
    if verdicts:
        return f"{agency.name} is not a recipient: " + "; ".join(
            f"line {v.line}: {v.verdict}" for v in verdicts
        )
    where = ", ".join(categories) if categories else "no category rule"
    return (
        f"{agency.name} is not a recipient: no line of the document names it or a category it "
        f"belongs to (its categories: {where})"
    )


@dataclass(frozen=True)
class _Question:
    """Everything the line-by-line answer needs about one agency and one expansion."""

    agency: Agency
    directory: Directory
    ruleset: RuleSet
    expansion: Expansion
    sender: Agency | None


def _verdicts(
    expansion: Expansion, agency: Agency, directory: Directory, ruleset: RuleSet
) -> list[LineVerdict]:
    segmenter = segmenter_for(directory, ruleset)
    sender = directory.get(expansion.sender) if expansion.sender else None
    question = _Question(agency, directory, ruleset, expansion, sender)
    out: list[LineVerdict] = []
    for line in expansion.lines:
        if line.outcome == Outcome.EXCLUDED and "archive" in line.categories:
            continue
        bare, _ = split_notes(line.text)
        tokens, spans = ruleset.spanned(bare)
        previous: Agency | None = None
        for segment in segmenter.segments(tokens):
            text = quote(segment, bare, tokens, spans)
            verdict = _segment_verdict(segment, text, line.reason, question, previous)
            if verdict:
                out.append(LineVerdict(line.number, line.text, verdict))
            if isinstance(segment, NameSegment) and len(segment.agency_ids) == 1:
                previous = directory.get(segment.agency_ids[0])
    return out


def _segment_verdict(
    segment: Segment, text: str, line_reason: str, question: _Question, previous: Agency | None
) -> str | None:
    agency = question.agency
    if isinstance(segment, RuleSegment):
        select = segment.rule.select
        if select is not None and select.scope in ANCHORED_SCOPES:
            # `thuộc Sở Y tế`, `thuộc huyện Vạn Ninh`: the body named after the phrase.
            anchors = [question.directory.get(i) for i in segment.anchor]
            previous = anchors[0] if len(anchors) == 1 else None
        return _rule_verdict(segment.rule, text, question, previous)
    if isinstance(segment, NameSegment) and agency.id in segment.agency_ids:
        return f"'{text}' names it, but the line was read as: {line_reason}"
    if isinstance(segment, Leftover) and agency.id in segment.suggestions:
        return f"'{text}' is only close to its name: offered to the clerk, never delivered"
    if isinstance(segment, NameSegment | Leftover):
        score = max(
            fuzz.ratio(segment.text, " ".join(question.ruleset.tokens(n)))
            for n in (agency.name, *agency.aliases)
        )
        if score >= NEAR_NAME:
            named = (
                ", ".join(segment.agency_ids) if isinstance(segment, NameSegment) else "no agency"
            )
            return f"'{text}' is close to its name ({score:.0f}/100) but names {named}"
    return None


def _rule_verdict(
    rule: Rule, text: str, question: _Question, previous: Agency | None
) -> str | None:
    if rule.action == "as_above":
        return f"'{text}' means the Kính gửi addressees, and Kính gửi does not name it"
    if rule.action == "union":
        parts = [question.ruleset.rule(i) for i in rule.parts]
        verdicts = [_rule_verdict(r, text, question, previous) for r in parts if r is not None]
        return next((v for v in verdicts if v), None)
    if rule.action != "select":
        return None
    why = why_not_selected(
        rule,
        question.ruleset,
        question.directory,
        question.agency,
        question.expansion.as_of,
        question.sender,
        previous,
    )
    if why is None or (why.startswith("its kind") and "policy flag" not in why):
        return None  # not of this category at all: the line did not come close
    return f"'{text}' (rule '{rule.id}') did not select it: {why}"
