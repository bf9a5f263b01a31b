"""Replaying a rule or directory change over a past document: who would be added, who removed.

The service stores each document's text, date and sender; replaying expands it again under the
new rule set (and directory) as of the *document's* date, and compares recipient sets. Each
added agency carries the reasons the new rules give; each removed one, why it no longer
qualifies (from `explain`).
"""

from __future__ import annotations

import datetime as dt
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
    reasons: list[Reason]

    def to_json(self) -> dict[str, Any]:
        """As JSON."""
        return {"id": self.id, "name": self.name, "reasons": [r.to_json() for r in self.reasons]}


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
    return compare(old, new, directory, ruleset)


def compare(old: Expansion, new: Expansion, directory: Directory, ruleset: RuleSet) -> Change:
    """The difference between two expansions of one document (`ruleset` is the new one)."""
    before = {r.id: r for r in old.recipients}
    after = {r.id: r for r in new.recipients}
    added = [Added(r.id, r.name, r.reasons) for r in new.recipients if r.id not in before]
    removed = [
        Removed(r.id, r.name, explain(new, r.id, directory, ruleset).summary)
        for r in old.recipients
        if r.id not in after
    ]
    return Change(old.rules_version, new.rules_version, new.as_of, added, removed)
