"""Turns a rule's selector into the agencies it chooses on a date, relative to the sender."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rules.directory import Agency, Directory
from rules.ruleset import Rule, RuleSet, Selector


@dataclass(frozen=True)
class Selection:
    """What a rule chose, and why some bodies are not in it."""

    agencies: tuple[Agency, ...]
    # Agency id -> the policy flag that brought it in (its kind is not the rule's own).
    by_flag: dict[str, str]
    empty_reason: str | None = None


def select(
    rule: Rule,
    ruleset: RuleSet,
    directory: Directory,
    as_of: dt.date,
    sender: Agency | None,
    previous: Agency | None,
) -> Selection:
    """The agencies `rule` selects on `as_of` (never the sender itself)."""
    selector = rule.select or Selector()
    kinds = set(selector.kinds)
    flag_of_kind: dict[str, str] = {}
    for addition in rule.also:
        if ruleset.flag(addition.flag):
            for kind in addition.kinds - kinds:
                flag_of_kind.setdefault(kind, addition.flag)
    kinds |= set(flag_of_kind)
    pool = directory.of_kinds(kinds) if kinds else list(directory)
    if selector.tags or selector.level is not None:
        pool = [a for a in pool if _fits(a, selector, kinds)]
    candidates = pool
    scoped, scope_problem = _scoped(candidates, selector, directory, sender, previous)
    if scope_problem:
        return Selection((), {}, scope_problem)
    chosen = tuple(a for a in scoped if a.valid_on(as_of) and (sender is None or a.id != sender.id))
    by_flag = {a.id: flag_of_kind[a.kind] for a in chosen if a.kind in flag_of_kind}
    empty = None if chosen else _why_empty(rule, scoped, as_of)
    return Selection(chosen, by_flag, empty)


def _fits(agency: Agency, selector: Selector, kinds: set[str]) -> bool:
    return (
        (not kinds or agency.kind in kinds)
        and (not selector.tags or bool(selector.tags & set(agency.tags)))
        and (selector.level is None or agency.level == selector.level)
    )


def _scoped(
    candidates: list[Agency],
    selector: Selector,
    directory: Directory,
    sender: Agency | None,
    previous: Agency | None,
) -> tuple[list[Agency], str | None]:
    if selector.scope == "country":
        return candidates, None
    if selector.scope == "province":
        return [a for a in candidates if directory.at_home(a)], None
    if selector.scope == "area_of_next":
        territory = directory.territory(previous) if previous is not None else None
        if previous is None or territory != previous.id:
            return [], "names an area, but no single People's Committee's area stands after it"
        return [a for a in candidates if directory.within(a, territory) and a.id != territory], None
    if selector.scope in ("children_of_previous", "children_of_next"):
        if previous is None:
            where = "before" if selector.scope == "children_of_previous" else "after"
            return [], f"names the units of a body, but no single body stands {where} it"
        return [a for a in candidates if a.parent == previous.id], None
    if sender is None:
        return [], "is relative to the sender, and the sender is not known (pass --sender)"
    if selector.scope == "under_sender":
        return [a for a in candidates if a.parent == sender.id], None
    territory = directory.territory(sender)
    top = directory.province_committee
    if territory is None or (top is not None and territory == top.id):
        return [a for a in candidates if directory.at_home(a)], None
    return [a for a in candidates if directory.within(a, territory) and a.id != territory], None


def _why_empty(rule: Rule, scoped: list[Agency], as_of: dt.date) -> str:
    ended = [a.valid_to for a in scoped if a.valid_to is not None and a.valid_to < as_of]
    later = [a.valid_from for a in scoped if a.valid_from is not None and a.valid_from > as_of]
    if ended:
        why = f"has no members on {as_of}: the last of them ended on {max(ended)}"
    elif later:
        why = f"has no members on {as_of}: the first of them begins on {min(later)}"
    else:
        why = f"has no members in the directory on {as_of}"
    return f"{why} ({rule.when_empty})" if rule.when_empty else why


def why_not_selected(
    rule: Rule,
    ruleset: RuleSet,
    directory: Directory,
    agency: Agency,
    as_of: dt.date,
    sender: Agency | None,
    previous: Agency | None,
) -> str | None:
    """What keeps `agency` out of what `rule` selects (None: the rule would select it).

    Checked in the order a clerk would ask: is it of the category at all (or only under a
    policy flag that is off), is it in the scope, does it exist on that date."""
    selector = rule.select or Selector()
    if selector.kinds and agency.kind not in selector.kinds:
        for addition in rule.also:
            if agency.kind in addition.kinds:
                if not ruleset.flag(addition.flag):
                    return (
                        f"its kind '{agency.kind}' counts under rule '{rule.id}' only while "
                        f"policy flag '{addition.flag}' is on, and it is off in rules "
                        f"{ruleset.id} {ruleset.version}"
                    )
                break
        else:
            return f"its kind '{agency.kind}' is not among {sorted(selector.kinds)}"
    if selector.tags and not selector.tags & set(agency.tags):
        return f"it has none of the tags {sorted(selector.tags)}"
    if selector.level is not None and agency.level != selector.level:
        return f"its level is '{agency.level}', the rule selects level '{selector.level}'"
    scoped, problem = _scoped([agency], selector, directory, sender, previous)
    if problem:
        return f"the rule {problem}"
    if not scoped:
        return _outside(selector.scope, previous)
    if sender is not None and agency.id == sender.id:
        return "it is the sender itself"
    if not agency.valid_on(as_of):
        return _dates(agency, as_of)
    return None


def _outside(scope: str, previous: Agency | None) -> str:
    """Why an agency lies outside a rule's scope, naming the body the scope hangs on."""
    if scope == "area_of_next" and previous is not None:
        return f"it lies outside the area of {previous.name}"
    if scope == "children_of_next" and previous is not None:
        return f"it is not a unit under {previous.name}"
    return f"it lies outside the rule's scope '{scope}' for this sender"


def _dates(agency: Agency, as_of: dt.date) -> str:
    if agency.valid_to is not None and agency.valid_to < as_of:
        heir = f" (successor: {agency.successor})" if agency.successor else ""
        return f"it ended on {agency.valid_to}, before the document's date {as_of}{heir}"
    return f"it exists only from {agency.valid_from}, after the document's date {as_of}"
