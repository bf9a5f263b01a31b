"""The clerk's decisions on lines the rules left unresolved, applied to a document's expansion.

Before sending, a clerk may resolve an unresolved line in place: name the agency it means, or
say it is not a recipient (with a reason). The router applies those decisions to the rules'
expansion: the line keeps the rules' reason beside the clerk's, and an agency the clerk chose
receives the document with a reason naming the clerk. Nothing the rules read is removed.
"""

from __future__ import annotations

import copy
from typing import Any

import rules
from rules.outcomes import Outcome

AGENCY = "agency"
NOT_RECIPIENT = "not_recipient"


def _matches(line: dict[str, Any], decision: dict[str, Any]) -> bool:
    return bool(
        line.get("line") == decision.get("line")
        and line.get("section") == decision.get("section")
        and line.get("text") == decision.get("text")
    )


def _clerk_reason(decision: dict[str, Any], agency: rules.Agency | None) -> str:
    who = decision.get("by_name") or decision.get("by") or "the clerk"
    if decision.get("action") == AGENCY and agency is not None:
        return f"resolved by {who}: '{decision.get('text')}' means {agency.name}"
    return f"marked not a recipient by {who}: {decision.get('reason') or 'no reason given'}"


def apply_resolutions(
    view: dict[str, Any], decisions: list[dict[str, Any]], directory: rules.Directory
) -> dict[str, Any]:
    """The expansion JSON with the clerk's decisions applied to the lines they name."""
    if not decisions:
        return view
    result = copy.deepcopy(view)
    by_id = {r["id"]: r for r in result.get("recipients", [])}
    for decision in decisions:
        line = next((ln for ln in result.get("lines", []) if _matches(ln, decision)), None)
        if line is None or line.get("outcome") != Outcome.UNRESOLVED:
            continue  # the rules read this line after all, or it is no longer there
        agency = directory.get(str(decision.get("agency_id") or ""))
        reason = _clerk_reason(decision, agency)
        line["clerk"] = {**decision, "reason_text": reason}
        line["rules_reason"] = line.get("reason")
        line["reason"] = reason
        if decision.get("action") == AGENCY and agency is not None:
            line["outcome"] = Outcome.RECIPIENTS
            line["agencies"] = sorted({*line.get("agencies", []), agency.id})
            entry = by_id.setdefault(
                agency.id,
                {"id": agency.id, "name": agency.name, "kind": agency.kind, "reasons": []},
            )
            entry["reasons"].append(
                {
                    "line": line.get("line"),
                    "rule": "clerk",
                    "rules_version": result.get("rules_version"),
                    "category": "clerk",
                    "text": reason,
                    "by": decision.get("by"),
                }
            )
        elif decision.get("action") == NOT_RECIPIENT:
            line["outcome"] = Outcome.EXCLUDED
    result["recipients"] = list(by_id.values())  # new agencies after the rules' own
    return result


def clerk_agencies(decisions: list[dict[str, Any]] | None) -> set[str]:
    """The agencies the clerk named for unresolved lines (they receive the document whatever
    a later rule set reads)."""
    return {
        str(d["agency_id"])
        for d in decisions or []
        if d.get("action") == AGENCY and d.get("agency_id")
    }
