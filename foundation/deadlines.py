"""Receipt deadlines: how long an agency has to confirm a delivery, by the document's urgency.

Nghị định 30/2020/NĐ-CP, Điều 21: an electronic document must be confirmed the day it arrives.
Urgent stamps shorten that. The figures below are docroute's defaults, not a legal table (none
was found that fixes hours per urgency): a province sets its own in the audit settings file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from foundation.calendar import WorkingCalendar

Measure = Literal["working", "clock", "end_of_day"]
URGENCIES = ("hoa_toc_hen_gio", "hoa_toc", "thuong_khan", "khan", "normal")


@dataclass(frozen=True)
class Allowance:
    """Time allowed to confirm: working hours, clock hours, or the end of the working day."""

    measure: Measure
    hours: float = 0.0

    def deadline(self, start: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
        """The deadline for something that arrived at `start`."""
        if self.measure == "clock":
            return start + dt.timedelta(hours=self.hours)
        if self.measure == "working":
            return calendar.add_working_time(start, dt.timedelta(hours=self.hours))
        return calendar.end_of_working_day(start)


@dataclass(frozen=True)
class DeadlinePolicy:
    """The allowance per urgency, and the second deadline after which a delivery escalates."""

    allowances: dict[str, Allowance]
    escalate_after: Allowance

    def receipt_deadline(
        self, arrived: dt.datetime, urgency: str | None, calendar: WorkingCalendar
    ) -> dt.datetime:
        """When a delivery that arrived at `arrived` must be confirmed."""
        allowance = self.allowances.get(urgency or "normal", self.allowances["normal"])
        return allowance.deadline(arrived, calendar)

    def escalation_deadline(self, first: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
        """When an unconfirmed delivery goes to the supervisor, after the first deadline."""
        return self.escalate_after.deadline(first, calendar)


DEFAULT_POLICY = DeadlinePolicy(
    allowances={
        # Hỏa tốc is handled at once, hours of work or not.
        "hoa_toc_hen_gio": Allowance("clock", 1),
        "hoa_toc": Allowance("clock", 2),
        "thuong_khan": Allowance("working", 2),
        "khan": Allowance("working", 4),
        # NĐ 30/2020 Điều 21: confirm the same (working) day.
        "normal": Allowance("end_of_day"),
    },
    # One working day under the default shifts (4 + 3.5 hours).
    escalate_after=Allowance("working", 7.5),
)


def policy_from(data: dict[str, object]) -> DeadlinePolicy:
    """A policy from a mapping (the `deadlines:` part of the audit settings file)."""
    allowances = dict(DEFAULT_POLICY.allowances)
    raw = data.get("allowances")
    for urgency, spec in raw.items() if isinstance(raw, dict) else []:
        if urgency not in URGENCIES:
            raise ValueError(f"deadlines: unknown urgency '{urgency}' (one of {URGENCIES})")
        allowances[urgency] = _allowance(spec, f"deadlines.allowances.{urgency}")
    escalate = data.get("escalate_after")
    return DeadlinePolicy(
        allowances,
        _allowance(escalate, "deadlines.escalate_after")
        if escalate
        else DEFAULT_POLICY.escalate_after,
    )


def _allowance(spec: object, where: str) -> Allowance:
    """`{working: 4}`, `{clock: 2}` or `end_of_day`."""
    if spec == "end_of_day":
        return Allowance("end_of_day")
    if isinstance(spec, dict) and len(spec) == 1:
        ((measure, hours),) = spec.items()
        if measure in ("working", "clock") and isinstance(hours, int | float) and hours > 0:
            return Allowance(measure, float(hours))
    raise ValueError(f"{where}: write end_of_day, {{working: HOURS}} or {{clock: HOURS}}")
