"""What a clerk should know about a document as it goes out: the fields it lacks.

A document with no number or no date cannot be recognised when it is sent again (the issuer,
number and date are its identity), and one with no date is routed as of a day taken from
elsewhere. The 202 of a submission, its dry run and the document view all say so, in the
same words, from `document_warnings`.
"""

from __future__ import annotations

import datetime as dt

import rules

UNRECOGNISABLE = (
    "it cannot be recognised if it is sent again (send an Idempotency-Key header to make a "
    "resubmission safe)"
)


def day_from_text(parsed: rules.Document) -> tuple[dt.date | None, str]:
    """The day a document without a date line is routed as of, and where it comes from (the
    rules engine's order: a partial date's first day, else the latest date in the text)."""
    if parsed.partial_date:
        year, _, month = parsed.partial_date.partition("-")
        return dt.date(int(year), int(month or 1), 1), f"partial date {parsed.partial_date}"
    if parsed.date_hint is not None:
        return parsed.date_hint, "date taken from the text"
    return None, "no date in the text: routed as of the day it is processed"


def document_warnings(
    number: str | None, date: dt.date | None, day: dt.date | None, source: str
) -> list[str]:
    """The warnings of a document with this number and date; `day` and `source` say what it
    is routed as of when it has no date."""
    out = []
    if not number:
        out.append(f"the document has no number (Số): {UNRECOGNISABLE}")
    if date is None:
        when = f"{source}: {day:%d/%m/%Y}" if day is not None else source
        out.append(f"the document has no date ({when}): {UNRECOGNISABLE}")
    return out


def stored_warnings(
    number: str | None, date: dt.date | None, expansion: dict[str, object] | None
) -> list[str]:
    """The warnings of a stored document, from the day its stored expansion was routed as of."""
    view = expansion or {}
    as_of, how = view.get("as_of"), str(view.get("as_of_source") or "")
    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else None
    return routed_warnings(number, date, day, how)


def routed_warnings(
    number: str | None, date: dt.date | None, day: dt.date | None, how: str
) -> list[str]:
    """The warnings of a document routed as of `day`, chosen as the rules engine says `how`."""
    if "latest date in the text" in how:
        source = "date taken from the text"
    elif "partial" in how:
        source = "partial date, first day used"
    elif day is None:
        source = "not routed yet"
    else:
        source = "no date in the text: routed as of the day it was processed"
    return document_warnings(number, date, day, source)
