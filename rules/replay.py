"""Replaying a rule or directory change over a past document: who would be added, who removed.

The one recipient diff of docroute: the audit's replay over stored documents (`audit/replays.py`)
compares each document's dispatched agencies with a new expansion through `diff`. Replaying
expands the document again under the new rule set (and directory) as of the *document's* date;
each added agency carries the reasons the new rules give; each removed one, why it no longer
qualifies (from `explain`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rules.directory import Directory
from rules.document import Document
from rules.expansion import Expansion, Reason, expand
from rules.explain import explain
from rules.ruleset import RuleSet


@dataclass(frozen=True)
class Added:
    """An agency the new rules add, with the reasons they give."""

    id: str
    name: str
    kind: str
    reasons: list[Reason]

    def to_json(self) -> dict[str, Any]:
        """As JSON (the keys of a recipient, so a backfill plans it like the router does)."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "reasons": [r.to_json() for r in self.reasons],
        }


@dataclass(frozen=True)
class Removed:
    """An agency the new rules drop, with why it no longer qualifies."""

    id: str
    name: str
    why: str

    def to_json(self) -> dict[str, Any]:
        """As JSON."""
        return {"id": self.id, "name": self.name, "why": self.why}


@dataclass(frozen=True)
class Change:
    """How one document's recipients change from the old expansion to the new one."""

    old_version: str
    new_version: str
    as_of: dt.date
    added: list[Added] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        """Whether the recipient set changes."""
        return bool(self.added or self.removed)

    def to_json(self) -> dict[str, Any]:
        """As JSON."""
        return {
            "old_rules_version": self.old_version,
            "new_rules_version": self.new_version,
            "as_of": self.as_of.isoformat(),
            "added": [a.to_json() for a in self.added],
            "removed": [r.to_json() for r in self.removed],
        }


def replay(
    document: Document,
    old: Expansion,
    directory: Directory,
    ruleset: RuleSet,
) -> Change:
    """Expand `document` again under `ruleset`/`directory` as of the old answer's date and
    sender, and compare."""
    new = expand(document, directory, ruleset, as_of=old.as_of, sender=old.sender)
    before = {r.id: r.name for r in old.recipients}
    return diff(before, old.rules_version, new, directory, ruleset)


def diff(
    before: Mapping[str, str],
    old_version: str | None,
    new: Expansion,
    directory: Directory,
    ruleset: RuleSet,
) -> Change:
    """The difference between the agencies a document went to (`before`: id -> name) and a new
    expansion of it under `ruleset` (the new one)."""
    after = {r.id for r in new.recipients}
    added = [Added(r.id, r.name, r.kind, r.reasons) for r in new.recipients if r.id not in before]
    removed = [
        Removed(agency, name, explain(new, agency, directory, ruleset).summary)
        for agency, name in sorted(before.items())
        if agency not in after
    ]
    return Change(old_version or "", new.rules_version, new.as_of, added, removed)
