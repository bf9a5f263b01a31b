"""Setting and reading the channel through which each agency receives documents."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.addresses import check_webhook_url
from foundation.errors import ClerkError
from foundation.models import AgencyChannel, ChannelKind
from foundation.models.clock import utcnow

# Starts the part of a failure note that quotes the agency's server (its error body): kept
# for auditors and admins, cut from what senders see (`for_sender`).
AGENCY_ANSWER = " | the agency's server answered: "
REDACTED = " | (the agency's answer is kept for auditors)"


def for_sender(note: str | None) -> str | None:
    """The note without the agency server's own words."""
    if note is None or AGENCY_ANSWER not in note:
        return note
    return note.split(AGENCY_ANSWER, 1)[0] + REDACTED


def posted_to(kind: str, target: str | None) -> bool:
    """Whether docroute POSTs to this channel from inside the deployment: a webhook, or the
    URL of an agency's edXML system (not the hub, which the hub adapter reaches). Such a
    target is checked (`check_posted_target`) and the POSTs are signed with the agency's own
    secret (`foundation.webhook_secrets`)."""
    return kind == ChannelKind.WEBHOOK or (
        kind == ChannelKind.EDXML and target not in (None, "hub"))


def check_posted_target(kind: ChannelKind, target: str | None, *, allow_private: bool) -> None:
    """422 unless a target docroute POSTs to (`posted_to`) is http(s) to a public address
    (`foundation.addresses`). Resolves the host (blocking): async callers run it in a
    thread. Every place that sets a channel (the CLI, the admin page) calls this before
    `set_channel`."""
    if posted_to(kind, target):
        check_webhook_url(target or "", allow_private=allow_private)


async def set_channel(
    session: AsyncSession, agency_id: str, kind: ChannelKind, target: str | None
) -> AgencyChannel:
    """Set the agency's channel after checking the target fits the kind."""
    if kind == ChannelKind.WEBHOOK and not (target or "").startswith(("http://", "https://")):
        raise ClerkError(422, "bad_webhook", "A webhook needs an http:// or https:// URL.")
    if kind == ChannelKind.EMAIL and "@" not in (target or ""):
        raise ClerkError(422, "bad_email", "An e-mail channel needs an address such as a@b.vn.")
    if kind == ChannelKind.EDXML and not (
        target == "hub" or (target or "").startswith(("http://", "https://"))
    ):
        raise ClerkError(422, "bad_edxml_target", "An edxml channel goes to 'hub' (the "
                         "deployment's hub) or to the http(s) URL of the agency's system.")
    if kind == ChannelKind.INBOX:
        target = None
    row = await session.get(AgencyChannel, agency_id)
    if row is None:
        row = AgencyChannel(agency_id=agency_id)
    row.kind, row.target, row.updated_at = kind, target, utcnow()
    session.add(row)
    return row


async def channels_of(session: AsyncSession, agency_ids: set[str]) -> dict[str, AgencyChannel]:
    """The channels of several agencies at once; inbox for those without a row."""
    query = select(AgencyChannel).where(col(AgencyChannel.agency_id).in_(agency_ids))
    found = {row.agency_id: row for row in (await session.exec(query)).all()}
    return {
        agency: found.get(agency) or AgencyChannel(agency_id=agency, kind=ChannelKind.INBOX)
        for agency in agency_ids
    }

