"""The service's view of the rules engine: read a document, expand its recipients."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rules
from foundation.calendar import VIETNAM
from rules.defaults import DATA, DEFAULT_RULES
from rules.national import directory_at
from rules.outcomes import Outcome
from rules.snapshots import Snapshot, of_folder


def read(text: str) -> rules.Document:
    """The fields and recipient lines the rules engine reads from the text (never raises)."""
    return rules.read_document(text)


class UnroutableError(Exception):
    """The rules engine failed on a document; the message says why (recorded on it)."""


@dataclass(frozen=True)
class RoutingRules:
    """The directory and rule set a service routes with (a province's own, or the shipped).

    With the shipped national data (`national`), each document is read with the directory
    of its own province (rules.choose: sender, issuer, place), `directory` being the home's."""

    directory: rules.Directory
    ruleset: rules.RuleSet
    national: rules.National | None = None
    # Content ids of the data routed with (rules/snapshots.py), recorded with each expansion.
    snapshots: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path | None = None, ruleset: Path | None = None) -> RoutingRules:
        """From files (DOCROUTE_DIRECTORY_PATH, DOCROUTE_RULES_PATH), else the shipped ones."""
        national = None if directory else rules.national_directory()
        return cls(
            directory_at(directory) if directory else rules.default_directory(),
            rules.load_ruleset(ruleset) if ruleset else rules.default_ruleset(),
            national,
            snapshot_ids(directory or DATA, ruleset or DEFAULT_RULES),
        )

    def expand(
        self, document: rules.Document, sender: str | None, as_of: datetime.date | None
    ) -> rules.Expansion:
        """Who receives the document, and why; `UnroutableError` (never anything else) when
        the rules engine cannot read it, so that no text makes routing crash."""
        try:
            directory = self.directory_for(document, sender, as_of)
            return rules.expand(document, directory, self.ruleset, as_of=as_of, sender=sender)
        except Exception as error:  # the boundary: whatever the engine raised, say why
            raise UnroutableError(f"the rules engine could not route this document: "
                                  f"{type(error).__name__}: {error}") from error

    def directory_for(
        self, document: rules.Document, sender: str | None, as_of: datetime.date | None
    ) -> rules.Directory:
        """The directory this document is read with (its own province's, when national)."""
        if self.national is None:
            return self.directory
        return rules.choose(self.national, document, sender, as_of).directory

    def agency_known(self, agency_id: str) -> bool:
        """True when the directory (the country, when national) has this agency id."""
        if self.national is not None:
            return self.national.find(agency_id) is not None
        return self.directory.get(agency_id) is not None


def shipped() -> RoutingRules:
    """The shipped directory and default rule set."""
    return RoutingRules(
        rules.default_directory(),
        rules.default_ruleset(),
        rules.national_directory(),
        snapshot_ids(DATA, DEFAULT_RULES),
    )


def snapshot_ids(directory: Path, ruleset: Path) -> dict[str, str]:
    """The content ids of a directory folder and a rule-set file."""
    return {s.kind: s.id for s in own_snapshots(directory, ruleset)}


def own_snapshots(directory: Path | None, ruleset: Path | None) -> list[Snapshot]:
    """The snapshots of a service's data files (default: the shipped ones)."""
    return [of_folder("directory", directory or DATA), of_folder("rules", ruleset or DEFAULT_RULES)]


def preview(expansion: rules.Expansion) -> dict[str, Any]:
    """The expansion as JSON for a dry run: unresolved lines first, as a clerk fixes them first."""
    view = expansion.to_json()
    lines = view.get("lines", [])
    view["lines"] = sorted(lines, key=lambda line: line.get("outcome") != Outcome.UNRESOLVED)
    view["unresolved"] = [
        line for line in view["lines"] if line.get("outcome") == Outcome.UNRESOLVED
    ]
    return view


@dataclass(frozen=True)
class Match:
    """An agency named by a packet (`From`, `To`), matched to the directory, or why not."""

    agency_id: str | None
    how: str  # "code", "id", "name" or, when agency_id is None, why nothing matched


def find_agency(
    routing: RoutingRules, organ_id: str | None, name: str | None, day: datetime.date | None
) -> Match:
    """The directory agency a packet names: by mã định danh where the directory has one, else
    by its exact name or alias. Never a near name: a guess is not a delivery."""
    directory = routing.directory
    if organ_id:
        for agency in directory:
            if agency.code == organ_id and (day is None or agency.valid_on(day)):
                return Match(agency.id, "code")
        if directory.get(organ_id) is not None:
            return Match(organ_id, "id")
    if not name:
        return Match(None, f"no agency has mã định danh {organ_id!r} and no name was given")
    names = rules.segmenter_for(directory, routing.ruleset).names
    found = names.lookup(routing.ruleset.tokens(name))
    if day is not None:
        found = tuple(i for i in found if (a := directory.get(i)) and a.valid_on(day)) or found
    if len(found) == 1:
        return Match(found[0], "name")
    if found:
        return Match(None, f"{name!r} names {len(found)} agencies: {', '.join(found)}")
    coded = f" or has mã định danh {organ_id}" if organ_id else ""
    return Match(None, f"no agency is named {name!r}{coded}")


PACKET_TO_RULE = "edxml_to"


def with_packet_to(
    view: dict[str, Any], to: list[dict[str, Any]], *, only_to: bool = False
) -> dict[str, Any]:
    """The expansion (as JSON) routed to the union of its recipients and the packet's `To`,
    with the difference both ways under `packet_to` (the sender sees both).

    `only_to`: a packet received from the hub is for the agencies its `To` names; the others
    its Nơi nhận implies were sent their own packets by the issuer, so they are only reported.
    A `To` that matches no directory agency is flagged, never guessed at."""
    listed = view.setdefault("recipients", [])
    implied = {r["id"] for r in listed}
    by_id = {r["id"]: r for r in listed}
    to_ids: list[str] = []
    for org in to:
        agency_id = org.get("agency_id")
        if not agency_id:
            continue
        to_ids.append(agency_id)
        reason = {"line": None, "rule": PACKET_TO_RULE, "rules_version": None, "category": None,
                  "text": f"named in the packet's To ({org.get('organ_id') or org.get('name')})"}
        if agency_id in by_id:
            by_id[agency_id]["reasons"].append(reason)
            continue
        added = {"id": agency_id, "name": org.get("name") or agency_id, "kind": None,
                 "reasons": [reason]}
        listed.append(added)
        by_id[agency_id] = added
    view["packet_to"] = {
        "not_in_to": [{"id": r["id"], "name": r["name"]} for r in listed
                      if r["id"] in implied and r["id"] not in to_ids],
        "not_in_noi_nhan": [o for o in to if o.get("agency_id") and o["agency_id"] not in implied],
        "unmatched": [o for o in to if not o.get("agency_id")],
    }
    if only_to:
        view["recipients"] = [r for r in listed if r["id"] in to_ids]
    return view


def sending_day() -> datetime.date:
    """Today in Vietnam: the day a document being routed now goes out."""
    return datetime.datetime.now(VIETNAM).date()


# How many successors a body may have had between a document's date and its sending.
_SUCCESSION_LIMIT = 10


def on_sending_day(
    view: dict[str, Any], directory: rules.Directory, day: datetime.date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(recipients, abolished): the expansion's recipients as they exist on the day the
    document is sent. A body that no longer exists that day (a document dated before a merger,
    sent after it) is replaced by its successor, with the reason; one with no successor that
    exists that day is not sent to but listed as abolished, for the clerk."""
    chosen: dict[str, dict[str, Any]] = {}
    abolished: list[dict[str, Any]] = []
    for recipient in view.get("recipients", []):
        agency = directory.get(recipient["id"])
        if agency is None or agency.valid_on(day):
            _merge(chosen, recipient)
            continue
        heir = _heir(agency, directory, day)
        ended = f"{agency.name} ended on {agency.valid_to}"
        if heir is None:
            abolished.append({
                "id": agency.id, "name": agency.name, "valid_to": str(agency.valid_to),
                "reason": f"{ended}, before the sending day {day}, and no successor exists "
                          "that day: not sent; the clerk decides who receives it",
            })
            continue
        reason = {
            "line": None, "rule": "successor", "rules_version": view.get("rules_version"),
            "category": None,
            "text": f"successor of {agency.id}: {ended}, before the sending day {day}",
        }
        reasons = [*recipient.get("reasons", []), reason]
        _merge(chosen, {"id": heir.id, "name": heir.name, "kind": heir.kind, "reasons": reasons})
    return list(chosen.values()), abolished


def _heir(
    agency: rules.Agency, directory: rules.Directory, day: datetime.date
) -> rules.Agency | None:
    current = agency
    for _ in range(_SUCCESSION_LIMIT):
        if not current.successor or (nxt := directory.get(current.successor)) is None:
            return None
        if nxt.valid_on(day):
            return nxt
        current = nxt
    return None


def _merge(chosen: dict[str, dict[str, Any]], recipient: dict[str, Any]) -> None:
    if recipient["id"] in chosen:
        chosen[recipient["id"]]["reasons"] = [
            *chosen[recipient["id"]].get("reasons", []), *recipient.get("reasons", [])
        ]
    else:
        chosen[recipient["id"]] = dict(recipient)
