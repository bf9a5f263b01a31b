"""edXML packets to agencies' own systems: the outbox rows addressed to a URL, POSTed there.

Status packets for a sender whose channel is `edxml URL`, and recall requests (status 13) or
update packets for a recipient on such a channel, are queued in the edXML outbox
(`hub_message`, with the URL as `target` and that system's agency as `agency_id`) in the
transaction that records the change, under a key derived from that change: queued once, never
twice. A pass POSTs each due row signed as that agency's webhooks are (`webhook-id` =
`Idempotency-Key` = the row id, `webhook-timestamp`, `webhook-signature`,
`X-Docroute-Signature`): with its channel's own secret (else the deployment's), and the
previous one too while a rotation overlaps, read at each pass so a rotation after queueing
applies; `Content-Type: application/xml`. A 2xx marks it done; a 5xx, a timeout or a refused
connection waits for the next round of the retry schedule (the deliveries' own); a 3xx /
4xx, or a schedule spent, marks it failed with the reason. A
crash between the POST and marking it done means one resend under the same key, which the
receiving system drops as a repeat. A pass holds the `edxml-outbox` lock
(`foundation.singleton`), so two service processes never POST the same row at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Sequence

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from consumers.webhook import TRANSIENT, WebhookChannel, describe
from foundation.channels import channels_of
from foundation.database import SessionFactory, engine_of, transaction
from foundation.hub_outbox import due_for_urls, mark_done, mark_failed
from foundation.models import HubMessage, HubState
from foundation.models.clock import utcnow
from foundation.signing import signed_headers
from foundation.singleton import only_one
from foundation.webhook_secrets import signing_keys

log = structlog.get_logger(__name__)
CONTENT_TYPE = "application/xml; charset=utf-8"
# Says which packet it is without reading it: "edoc" or "status".
KIND_HEADER = "X-Edxml-Message-Type"
PASSES = "edxml-outbox"  # the lock a pass holds: one pass at a time across processes


def packet_request(secret: str | Sequence[str], row_id: str, kind: str, body: bytes
                   ) -> dict[str, str]:
    """The headers of an edXML POST: signed with `secret` (several: one signature each),
    keyed by `row_id`, its kind named."""
    return {**signed_headers(secret, body, row_id, CONTENT_TYPE), KIND_HEADER: kind}


class PacketPoster:
    """POSTs the outbox's packets addressed to URLs (see the module docstring)."""

    def __init__(self, sessions: SessionFactory, poster: WebhookChannel,
                 schedule: Sequence[float]) -> None:
        self.sessions = sessions
        self.poster = poster  # its HTTP session, timeouts and the deployment's secret
        self.schedule = tuple(schedule)

    async def run_once(self) -> dict[str, int]:
        """One pass over the due rows: how many were sent, wait for a later round, failed;
        `skipped` when another process's pass was running (one at a time per database)."""
        counts = {"sent": 0, "retrying": 0, "failed": 0}
        async with only_one(engine_of(self.sessions), PASSES) as mine:
            if not mine:
                return {**counts, "skipped": 1}
            async with self.sessions() as session:
                rows = await due_for_urls(session, utcnow())
                keys = await self._keys(session, (row.agency_id for row in rows))
            outcomes = await asyncio.gather(*(self._post(row, keys) for row in rows))
            for row, (error, transient) in zip(rows, outcomes, strict=True):
                state = await self._record(row.id, error, transient)
                counts[state] += 1
        return counts

    async def _keys(self, session: AsyncSession, agencies: Iterable[str | None]
                    ) -> dict[str, list[str]]:
        """The secrets each agency's POSTs are signed with now, as its webhooks are
        (`signing_keys`: its channel's own secret, else the deployment's, and the previous
        one during a rotation's overlap); an agency without a channel row gets the
        deployment's. One read per pass, however many rows."""
        wanted = {agency for agency in agencies if agency is not None}
        if not wanted:
            return {}
        now = utcnow()
        return {agency: signing_keys(channel, self.poster.secret, now)
                for agency, channel in (await channels_of(session, wanted)).items()}

    async def _post(self, row: HubMessage, keys: dict[str, list[str]]
                    ) -> tuple[str | None, bool]:
        """None when the URL took it, else why not and whether a later round may succeed."""
        assert row.target is not None
        # A row queued before migration 0018 does not say whose system the URL is: signed
        # with the deployment's secret, as it would have been when it was queued.
        secrets = keys.get(row.agency_id or "") or [self.poster.secret]
        headers = packet_request(secrets, row.id, row.kind, row.body)
        try:
            status, detail = await self.poster.post_once(row.target, row.body, headers)
        except TRANSIENT as error:
            return f"edXML POST to {row.target} failed: {describe(error)}", True
        if status >= 300:
            return f"edXML POST to {row.target} refused with HTTP {status}: {detail}", False
        return None, False

    async def _record(self, row_id: str, error: str | None, transient: bool) -> str:
        async with transaction(self.sessions) as session:
            row = await session.get(HubMessage, row_id, with_for_update=True)
            if row is None or row.state != HubState.PENDING:
                return "sent"  # recorded by another pass
            if error is None:
                mark_done(row)
                state = "sent"
            else:
                wait = self.schedule[row.attempts] if row.attempts < len(self.schedule) else None
                final = not transient or wait is None
                retry_at = None if wait is None else utcnow() + dt.timedelta(seconds=wait)
                mark_failed(row, error, final=final, retry_at=retry_at)
                state = "failed" if final else "retrying"
                log.warning("edxml_post_failed", row_id=row.id, target=row.target,
                            error=error, final=final)
            session.add(row)
        return state
