"""The shapes of the API's answers, for `/openapi.json` (and checked against real answers).

The routes build their answers as plain JSON (dicts from the foundation and the rules engine,
which the CLI prints too); these models describe them as they are, without renaming a key.
Answers carry keys that only some of them have (a clerk's decision on a line, an edXML
packet's fields, a stored expansion written by an older version): each model keeps keys it
does not name (`extra="allow"`), and routes leave out what an answer does not carry
(`response_model_exclude_unset`), so a model never adds a key or drops one.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from foundation.models import DeliveryState
from rules.outcomes import Outcome


class Shape(BaseModel):
    """An answer's JSON object; keys it does not name are kept as they are."""

    model_config = ConfigDict(extra="allow")


class Problem(Shape):
    """Every error: what went wrong, in words a clerk can act on."""

    code: str = Field(description="a stable machine name, e.g. `document_not_found`")
    detail: str = Field(description="what is wrong and what to do")
    errors: list[str] | None = Field(None, description="each invalid field (422 only)")


# Error answers every route may give (each route's own 4xx have the same body).
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": why}
    for status, why in (
        (400, "a parameter has a value the route does not take"),
        (401, "no bearer token, or an unknown, expired or revoked one"),
        (403, "the token's role or office may not do this"),
        (404, "no such document, delivery, agency or snapshot"),
        (409, "the request conflicts with the current state"),
        (413, "the body or upload is over a limit, which the detail names"),
        (415, "the body is not of a type the route reads"),
        (422, "the request's fields or the document's text cannot be used, with why"),
        (503, "the database is unreachable (`database_unavailable`), or answers but every "
              "connection is in use (`database_busy`); retry after `Retry-After` seconds"),
    )
}


def answers(model: Any) -> dict[str, Any]:
    """A route's keyword arguments for answering `model`, keys exactly as built."""
    return {"response_model": model, "response_model_exclude_unset": True}


class Health(Shape):
    """The process answers."""

    status: str


class Readiness(Shape):
    """Whether the database and the broker answer (200) or not (503)."""

    status: str = Field(description="`ready` or `not ready`")
    database: str = Field(description="`ok`, `busy` (it answers, but every connection of "
                          "this process is in use) or `unreachable`")
    broker: str = Field(description="`ok` or `unreachable`")


# --- the rules engine's reading of a document ---------------------------------------------


class Reason(Shape):
    """Why an agency receives a document: the line, rule, rule-set version and category."""

    line: int | None = None
    rule: str | None = None
    rules_version: str | None = None
    category: str | None = None
    confidence: str | None = None
    text: str | None = None
    notes: dict[str, Any] | None = None


class Recipient(Shape):
    """An agency that receives the document, with every reason."""

    id: str
    name: str | None = None
    kind: str | None = None
    reasons: list[Reason] = []


class Suggestion(Shape):
    """A body the clerk may confirm for text that was not read."""

    id: str
    name: str | None = None


class Part(Shape):
    """What one reading of a line gave."""

    text: str | None = None
    outcome: Outcome
    category: str | None = None
    rule: str | None = None
    confidence: str | None = None
    agencies: list[str] = []
    reason: str | None = None
    title: str | None = None
    suggestions: list[Suggestion] | None = None


class Line(Shape):
    """One line of Kính gửi or Nơi nhận and its one outcome."""

    line: int | None = None
    section: str | None = None
    text: str | None = None
    outcome: Outcome
    categories: list[str] = []
    agencies: list[str] = []
    notes: dict[str, Any] = {}
    reason: str | None = None
    parts: list[Part] = []
    suggestions: list[Suggestion] = []


class Preview(Shape):
    """A dry run: who would receive the document, and what became of every line."""

    document: dict[str, Any] = Field(description="number, type, issuer, place, date, ...")
    as_of: str
    as_of_source: str
    sender: str | None
    sender_source: str
    rules: dict[str, Any]
    rules_version: str
    directory: str
    lines: list[Line]
    recipients: list[Recipient]
    unresolved: list[Line]
    abolished: list[dict[str, Any]] = []
    warnings: list[str] = []


class PacketPreview(Preview):
    """A dry run of an edXML packet: its fields, where its text came from, and its `To`."""

    packet: dict[str, Any]
    text_source: str | None = None
    notes: list[str] = []


# --- documents and deliveries ---------------------------------------------------------------


class Submitted(Shape):
    """A document accepted for routing (202), or the same one sent before (200)."""

    id: str
    duplicate: bool
    number: str | None
    date: str | None
    url: str
    warnings: list[str] = []


class PacketSubmitted(Shape):
    """An edXML document packet taken: a new document, a replacement, a recall or update."""

    id: str
    duplicate: bool
    action: str = Field(description="new, replace, recall, update or recipients_added")
    document_id: str | None
    number: str | None
    date: str | None
    text_source: str | None
    notes: list[str]
    url: str


class Replaced(Shape):
    """The new document that replaces an old one."""

    id: str
    replaces: str
    duplicate: bool
    url: str


class Event(Shape):
    """One entry of a delivery's hash-chained history."""

    at: str | None
    kind: str
    value: str | None
    note: str | None
    actor: str | None


class DeliveryView(Shape):
    """A delivery: its state, its receipt, why the agency receives it."""

    id: str
    document_id: str
    agency_id: str
    agency_name: str
    state: DeliveryState
    channel: str | None
    failure: str | None
    receipt: str | None
    receipt_label: str | None
    confirmed: bool
    confirmed_at: str | None
    due_at: str | None
    backfill_of: str | None
    reasons: Any = Field(description="the reasons the router recorded")
    recall: str | None = Field(description="13 asked back, 15 agreed, 16 refused")
    attempt_rounds: int
    next_round_at: str | None
    history: list[Event] | None = None


class StatusAnswer(DeliveryView):
    """The delivery after a reported status; `changed` is false for a repeat."""

    changed: bool


class InboxDocument(Shape):
    """The document of an inbox entry."""

    id: str
    number: str | None
    date: str | None
    subject: str | None
    text: str


class InboxEntry(DeliveryView):
    """A delivery in an agency's inbox, with its document."""

    document: InboxDocument


class Inbox(Shape):
    """An agency's delivered documents, newest first."""

    agency_id: str | None
    deliveries: list[InboxEntry]


class Summary(Shape):
    """A document's deliveries counted."""

    deliveries: int
    delivered: int
    failed: list[str]
    confirmed: list[str]
    not_confirmed: list[str]
    rejected: list[str]
    recall: dict[str, str]


class DocumentView(Shape):
    """A document with its recipients and each delivery's status and history."""

    id: str
    number: str | None
    doc_type: str | None
    issuer: str | None
    date: str | None
    urgency: str | None
    subject: str | None
    sender: str | None
    created_at: str | None
    routed: bool
    replaces: str | None
    recalled_at: str | None
    rules_version: str | None
    warnings: list[str]
    abolished: list[dict[str, Any]]
    unresolved: list[Line]
    edxml: dict[str, Any] | None
    summary: Summary
    deliveries: list[DeliveryView]


class Recalled(Shape):
    """A recall: the agencies asked to give the document back."""

    id: str
    recalled: bool
    asked: list[str]


class Updated(Shape):
    """An update: agencies added, asked back, and told the text changed."""

    id: str
    added: list[str]
    asked_back: list[str]
    updated: list[str]


class Confirmed(Shape):
    """Receipt confirmed from an e-mail's link."""

    delivery_id: str
    receipt: str | None
    changed: bool
    message: str


class StatusReceived(Shape):
    """An edXML status packet recorded."""

    document: str | None
    delivery_id: str | None
    status_code: str
    duplicate: bool
    receipt: str | None
    recall: str | None
    warnings: list[str]


# --- admin -----------------------------------------------------------------------------------


class TokenView(Shape):
    """A token's id, role, office and dates (never its value)."""

    id: int | None
    role: str
    agency_id: str | None
    created_at: str | None
    expires_at: str | None
    revoked_at: str | None


class Tokens(Shape):
    """Every token."""

    tokens: list[TokenView]


class RotatedSecret(Shape):
    """An agency's new webhook or edXML URL secret (shown this once) and until when the old
    one signs."""

    agency_id: str
    secret: str
    previous_valid_until: str | None


class SnapshotRow(Shape):
    """A stored snapshot, without its files."""

    id: str
    kind: str
    imported_by: str | None
    note: str | None
    created_at: str


class SnapshotStored(Shape):
    """A snapshot imported (201) or already stored (200)."""

    id: str
    kind: str
    stored: bool
    size: Any = Field(description="what validation counted (agencies or rules)")


class SnapshotFiles(Shape):
    """A snapshot in the form `docroute directory import` reads."""

    format: Any
    id: str
    kind: str
    files: dict[str, str]


class Activation(Shape):
    """The snapshot in force for one kind, and who activated it."""

    id: str
    activated_by: str | None
    note: str | None
    activated_at: str


class ActiveSnapshots(Shape):
    """Per kind, the activated snapshot in force, or null (the service's own data files)."""

    directory: Activation | None
    rules: Activation | None


class Activated(Shape):
    """A snapshot activated: new documents are routed with it."""

    id: str
    kind: str
    activated_by: str
    activated_at: str


class SnapshotDiff(Shape):
    """Agencies added, removed and changed (with the fields that differ)."""

    added: list[str]
    removed: list[str]
    changed: dict[str, list[str]]


# --- audit -----------------------------------------------------------------------------------


# The missed report's findings and the scorecard's rows are the audit's own records
# (audit.reports.MissedRow and Score, dataclasses): docroute/api/audit.py answers them as they
# are, and their schema is generated from them, not restated here.


class DocumentAudit(Shape):
    """Who the rules expected, who was dispatched to, who confirmed."""

    document_id: str
    rules_version: str | None
    expected: list[str]
    dispatched: list[str]
    confirmed: list[str]
    expected_not_dispatched: list[str]
    backfilled: list[dict[str, Any]]
    dispatched_not_expected: list[str]
    unconfirmed: list[str]
    unresolved_lines: list[Line]


class LineVerdict(Shape):
    """What one line did for the agency asked about."""

    line: int | None
    text: str | None
    verdict: str


class Explanation(Shape):
    """Why (or why not) an agency receives a document."""

    agency: dict[str, Any] = Field(description="the directory entry, or just its id")
    received: bool
    summary: str
    rules_version: str
    as_of: str
    reasons: list[Reason]
    categories: list[str]
    lines: list[LineVerdict]
    delivery: DeliveryView | None
    document_rules_version: str | None
    current_rules_version: str
    backfill: dict[str, Any] | None


class Replay(Shape):
    """A rule set replayed over past documents: those whose recipients would differ."""

    replay_id: str
    rules: dict[str, Any]
    directory: str | None
    since: str
    documents_checked: int
    documents_changed: int
    backfilled: int
    changes: list[dict[str, Any]]


class Comparison(Shape):
    """Two snapshots (ids per kind) compared over documents: those whose recipients differ."""

    before: dict[str, str] = Field(alias="from")
    after: dict[str, str] = Field(alias="to")
    since: str
    documents_checked: int
    documents_changed: int
    changes: list[dict[str, Any]]


class Break(Shape):
    """An edited, inserted or deleted history event."""

    delivery_id: str
    event_id: str | None
    seq: int | None
    kind: str
    detail: str


class Verification(Shape):
    """The hash chains checked."""

    deliveries_checked: int
    intact: bool
    breaks: list[Break]
