"""The service's view of the rules engine: read a document, expand its recipients."""

from __future__ import annotations

import datetime
from typing import Any

import rules


def read(text: str) -> rules.Document:
    """The fields and recipient lines the rules engine reads from the text (never raises)."""
    return rules.read_document(text)


def expand(
    document: rules.Document, sender: str | None, as_of: datetime.date | None
) -> rules.Expansion:
    """Who receives the document, and why, with the shipped directory and rule set."""
    return rules.expand(
        document, rules.default_directory(), rules.default_ruleset(), as_of=as_of, sender=sender
    )


def preview(expansion: rules.Expansion) -> dict[str, Any]:
    """The expansion as JSON for a dry run: unresolved lines first, as a clerk fixes them first."""
    view = expansion.to_json()
    lines = view.get("lines", [])
    view["lines"] = sorted(lines, key=lambda line: line.get("outcome") != "unresolved")
    view["unresolved"] = [line for line in view["lines"] if line.get("outcome") == "unresolved"]
    return view


def agency_known(agency_id: str) -> bool:
    """True when the shipped directory has this agency id."""
    return rules.default_directory().get(agency_id) is not None
