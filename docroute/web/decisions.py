"""The clerk's decisions on unresolved lines, as posted by the preview form.

Each unresolved line `i` of the preview posts `key_i` (section|line|text), `action_i`
(`keep`, `agency`, `suggestion:<agency id>`, `not_recipient`), `agency_i` (a directory
pick, shown as "Name — id") and `reason_i`. A decision that cannot be applied is kept as a
problem sentence shown beside its line, never dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import rules
from docroute.people import SignedIn
from foundation.models.clock import utcnow
from rules.text import fold

SEPARATOR = " — "


@dataclass
class Decisions:
    """Decisions that apply, and a problem sentence per line key for those that do not."""

    applied: list[dict[str, Any]] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    # What the clerk typed or chose, by line key, to show the form again as it was.
    chosen: dict[str, dict[str, str]] = field(default_factory=dict)


def agency_label(agency: rules.Agency) -> str:
    """How an agency appears in the searchable list."""
    return f"{agency.name}{SEPARATOR}{agency.id}"


def valid_on(agency: rules.Agency, day: dt.date | None) -> bool:
    """True when the agency exists on that day (always, without a day)."""
    if day is None:
        return True
    return (agency.valid_from is None or agency.valid_from <= day) and (
        agency.valid_to is None or day <= agency.valid_to
    )


def find_agency(directory: rules.Directory, typed: str) -> rules.Agency | None:
    """The agency a pick names: "Name — id", an id, or a name exactly as listed."""
    typed = typed.strip()
    if not typed:
        return None
    if SEPARATOR in typed:
        return directory.get(typed.rsplit(SEPARATOR, 1)[1].strip())
    if found := directory.get(typed):
        return found
    wanted = fold(typed)
    return next((a for a in directory.agencies.values() if fold(a.name) == wanted), None)


def line_key(line: dict[str, Any]) -> str:
    """A line's identity in the form: its section, number and text."""
    return f"{line.get('section')}|{line.get('line')}|{line.get('text')}"


def read_decisions(
    form: dict[str, str], directory: rules.Directory, me: SignedIn
) -> Decisions:
    """The decisions posted with the preview form."""
    result = Decisions()
    index = 0
    while f"key_{index}" in form:
        key = form[f"key_{index}"]
        chosen = {
            "action": form.get(f"action_{index}", "keep"),
            "agency": form.get(f"agency_{index}", ""),
            "reason": form.get(f"reason_{index}", "").strip(),
        }
        result.chosen[key] = chosen
        decision, problem = _decision(key, chosen, directory, me)
        if decision:
            result.applied.append(decision)
        if problem:
            result.problems[key] = problem
        index += 1
    return result


def _decision(
    key: str, chosen: dict[str, str], directory: rules.Directory, me: SignedIn
) -> tuple[dict[str, Any] | None, str | None]:
    section, _, rest = key.partition("|")
    number, _, text = rest.partition("|")
    base: dict[str, Any] = {
        "section": section, "line": int(number) if number.isdigit() else number, "text": text,
        "by": me.username, "by_name": me.name, "at": utcnow().isoformat(),
    }
    action, _, suggested = chosen["action"].partition(":")  # "suggestion:<agency id>"
    if action in ("agency", "suggestion"):
        typed = chosen["agency"] if action == "agency" else suggested
        agency = find_agency(directory, typed)
        if agency is None:
            return None, (
                f"Không tìm thấy cơ quan '{typed}' trong danh bạ; hãy gõ vài chữ của tên rồi "
                "chọn một cơ quan trong danh sách."
                if typed.strip() else "Hãy chọn một cơ quan trong danh sách cho dòng này."
            )
        decision = {**base, "action": "agency", "agency_id": agency.id}
        return {**decision, "reason": chosen["reason"]}, None
    if action == "not_recipient":
        if not chosen["reason"]:
            return None, "Hãy ghi lý do vì sao dòng này không phải là nơi nhận."
        return {**base, "action": "not_recipient", "reason": chosen["reason"]}, None
    return None, None
