"""The service's view of the rules engine: read a document, expand its recipients."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rules


def read(text: str) -> rules.Document:
    """The fields and recipient lines the rules engine reads from the text (never raises)."""
    return rules.read_document(text)


@dataclass(frozen=True)
class RoutingRules:
    """The directory and rule set a service routes with (a province's own, or the shipped)."""

    directory: rules.Directory
    ruleset: rules.RuleSet

    @classmethod
    def load(cls, directory: Path | None = None, ruleset: Path | None = None) -> RoutingRules:
        """From files (DOCROUTE_DIRECTORY_PATH, DOCROUTE_RULES_PATH), else the shipped ones."""
        return cls(
            rules.load_directory(directory) if directory else rules.default_directory(),
            rules.load_ruleset(ruleset) if ruleset else rules.default_ruleset(),
        )

    def expand(
        self, document: rules.Document, sender: str | None, as_of: datetime.date | None
    ) -> rules.Expansion:
        """Who receives the document, and why."""
        return rules.expand(document, self.directory, self.ruleset, as_of=as_of, sender=sender)

    def agency_known(self, agency_id: str) -> bool:
        """True when the directory has this agency id."""
        return self.directory.get(agency_id) is not None


def shipped() -> RoutingRules:
    """The shipped directory and default rule set."""
    return RoutingRules(rules.default_directory(), rules.default_ruleset())


def preview(expansion: rules.Expansion) -> dict[str, Any]:
    """The expansion as JSON for a dry run: unresolved lines first, as a clerk fixes them first."""
    view = expansion.to_json()
    lines = view.get("lines", [])
    view["lines"] = sorted(lines, key=lambda line: line.get("outcome") != "unresolved")
    view["unresolved"] = [line for line in view["lines"] if line.get("outcome") == "unresolved"]
    return view
