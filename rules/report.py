"""Renders an expansion as a readable table: unresolved lines first, then who and why.

Every reading shows its confidence (exact, alias, corrected, suggested), and an unread name its
suggestions with their ids, so that the clerk can confirm one in a click or a command."""

from __future__ import annotations

from rules.expansion import Expansion, LineOutcome
from rules.outcomes import Outcome

_MARK = {Outcome.RECIPIENTS: " ", Outcome.EXCLUDED: "-", Outcome.UNRESOLVED: "!"}


def render(expansion: Expansion) -> str:
    """The whole report as text."""
    out = _heading(expansion)
    unresolved = expansion.unresolved
    if unresolved:
        out.append(f"!! {len(unresolved)} UNRESOLVED LINE(S): a clerk must decide")
        out.extend(_line(line, detail=True) for line in unresolved)
        out.append("")
    out.append("LINES")
    out.extend(_line(line, detail=False) for line in expansion.lines)
    out.append("")
    out.append(f"RECIPIENTS ({len(expansion.recipients)})")
    for recipient in expansion.recipients:
        lines = ",".join(str(r.line) for r in recipient.reasons)
        out.append(f"  {recipient.id:<34} {recipient.name}  [{recipient.kind}]  line {lines}")
        for reason in recipient.reasons:
            out.append(
                f"      why (line {reason.line}, rule {reason.rule}, {reason.confidence}): "
                f"{reason.text}"
            )
    return "\n".join(out)


def _heading(expansion: Expansion) -> list[str]:
    doc = expansion.document
    number = doc.number or doc.notation or "(no number)"
    return [
        f"Document {number} · {doc.doc_type or 'type unknown'} · {doc.place or 'place unknown'} "
        f"· {doc.date.isoformat() if doc.date else 'no date'}",
        f"As of {expansion.as_of} ({expansion.as_of_source}) · sender "
        f"{expansion.sender or '?'} ({expansion.sender_source})",
        f"Rules {expansion.rules_id} {expansion.rules_version}"
        f" · directory {expansion.directory_id}",
        "",
    ]


def _line(line: LineOutcome, detail: bool) -> str:
    mark = _MARK.get(line.outcome, "?")
    head = f" {mark} {line.number:>2} {line.section:<8} {line.outcome:<10} {line.text}"
    sure = "/".join(dict.fromkeys(str(p["confidence"]) for p in line.parts)) or "-"
    if detail or line.outcome != Outcome.RECIPIENTS:
        choices = [f"{s['id']} ({s['name']})" for s in line.suggestions]
        offer = f"\n        ? did you mean: {'; '.join(choices)}" if choices else ""
        return f"{head}\n        → [{sure}] {line.reason}{offer}"
    count = len(line.agencies)
    noun = "agency" if count == 1 else "agencies"
    more = " …" if count > 6 else ""
    return f"{head}\n        → [{sure}] {count} {noun}: {', '.join(line.agencies[:6])}{more}"
