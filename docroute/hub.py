"""The hub adapter: an LGSP-style REST hub (Lạng Sơn shape, notes §9.2), polled on a schedule.

The port has four verbs (notes §9.4): `send(packet, kind)`, `received(kind)`, `fetch(id)`,
`ack(id, ok)`. `HubPoller.run_once` does one round:

1. sends every pending outbound row of the hub outbox (`hub_message`), marking it done with the
   hub's id in the same transaction as nothing else, so a packet is sent once (the row's id goes
   along as `X-Idempotency-Key`, so a hub that honours it drops a resend after a crash);
2. lists what the hub holds for this system (documents, then statuses), fetches each new one
   and keeps it in the outbox *before* acknowledging it, so nothing fetched is lost;
3. imports the kept packets: a document is routed to the agencies its `To` names, a status
   becomes the delivery's receipt; then tells the hub `done` (or `fail` with the reason).

One foreign packet never stops the others: a packet the hub cannot give (`getEdoc` answers
no packet), one the reader refuses, and one whose import fails in a way docroute did not
foresee are each kept as a failed row with the reason (the auditors' list of refused packets,
`audit.intake_failures`), failed at the hub, and the round goes on with the next. Only the hub
or the database being unreachable ends a round early; what it left is taken up by the next.

Several service processes may poll the same hub for one database: a round holds the
`hub-rounds` lock (`foundation.singleton`: a PostgreSQL advisory lock), so only one round runs
at a time and the others skip their turn; nothing is sent, fetched or imported by two rounds at
once. Import is idempotent besides, keyed by the packet: a packet is kept once per hub id, and
importing it again after a crash finds its document (by DocumentId, or number and date) or its
status report (reporter, document, code, timestamp) already there.
"""

from __future__ import annotations

import asyncio
import base64
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aiohttp
import structlog

import edxml
from docroute.edxml_documents import take_packet
from docroute.edxml_intake import packet_submission
from docroute.edxml_status import receive_status
from foundation.database import SessionFactory, engine_of, is_outage, transaction
from foundation.errors import ClerkError
from foundation.hub_outbox import mark_done, mark_failed, pending, store_failed_fetch, store_inbound
from foundation.models import HubMessage, HubState
from foundation.singleton import only_one
from router import recipients

log = structlog.get_logger(__name__)
KINDS = ("edoc", "status")
ROUNDS = "hub-rounds"  # the name of the lock a round holds
MAX_ATTEMPTS = 10


class HubError(Exception):
    """The hub refused or could not be reached; `transient` says a later round may succeed."""

    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class Hub(Protocol):
    """What docroute needs of a hub."""

    async def send(self, body: bytes, kind: str, key: str) -> str:
        """Send a packet; the hub's id for it."""

    async def received(self, kind: str) -> list[str]:
        """Ids of the packets of this kind waiting for this system."""

    async def fetch(self, hub_id: str) -> bytes:
        """One packet's bytes."""

    async def ack(self, hub_id: str, ok: bool, reason: str | None = None) -> None:
        """Tell the hub the packet was taken (`done`) or could not be (`fail`)."""


class LgspHub:
    """The LGSP REST calls: sendEdoc, syncReceivedEdocList, getEdoc, updateStatus."""

    def __init__(self, base_url: str, system_id: str, secret: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"X-SystemId": system_id, "X-SecretKey": secret}
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout, trust_env=False)
        return self._session

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        try:
            async with self._client().request(method, f"{self.base_url}{path}",
                                              headers=headers, **kwargs) as response:
                text = await response.text()
                if response.status >= 500:
                    raise HubError(f"{path}: HTTP {response.status}")
                try:
                    answer: dict[str, Any] = await response.json(content_type=None)
                except ValueError:
                    raise HubError(f"{path}: HTTP {response.status}, not JSON: {text[:200]}",
                                   transient=False) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise HubError(f"{path}: {type(error).__name__}: {error}") from None
        if response.status >= 400 or not answer.get("success"):
            detail = answer.get("message") or answer.get("data") or text[:200]
            raise HubError(f"{path}: refused ({response.status}): {detail}", transient=False)
        return answer

    async def send(self, body: bytes, kind: str, key: str) -> str:
        """POST /v1/sendEdoc (multipart `edocFile` + `messageType`)."""
        form = aiohttp.FormData()
        form.add_field("messageType", kind)
        form.add_field("edocFile", body, filename=f"{key}.edxml", content_type="application/xml")
        answer = await self._call("POST", "/v1/sendEdoc", data=form,
                                  headers={"X-Idempotency-Key": key})
        return str(answer.get("docId") or (answer.get("data") or {}).get("docId"))

    async def received(self, kind: str) -> list[str]:
        """GET /v1/syncReceivedEdocList?messageType=…"""
        answer = await self._call("GET", "/v1/syncReceivedEdocList", params={"messageType": kind})
        data = answer.get("data")
        items = data if isinstance(data, list) else []
        # An entry without a docId names nothing docroute could fetch: skipped, said once.
        ids = [str(item["docId"]) for item in items
               if isinstance(item, dict) and item.get("docId") not in (None, "")]
        if len(ids) < len(items):
            log.warning("hub_list_entries_without_id", kind=kind, skipped=len(items) - len(ids))
        return ids

    async def fetch(self, hub_id: str) -> bytes:
        """GET /v1/getEdoc?docId=… (the packet base64 in `data.edxml`)."""
        answer = await self._call("GET", "/v1/getEdoc", params={"docId": hub_id})
        try:
            return base64.b64decode(answer["data"]["edxml"], validate=True)
        except (KeyError, TypeError, ValueError):
            raise HubError(f"getEdoc {hub_id}: no base64 packet in data.edxml",
                           transient=False) from None

    async def ack(self, hub_id: str, ok: bool, reason: str | None = None) -> None:
        """POST /v1/updateStatus {docId, status: done|fail}."""
        await self._call("POST", "/v1/updateStatus",
                         json={"docId": hub_id, "status": "done" if ok else "fail",
                               "reason": reason})


class HubPoller:
    """One deployment's exchange with its hub (see the module docstring)."""

    def __init__(self, sessions: SessionFactory, hub: Hub,
                 routing: Callable[[], Awaitable[recipients.RoutingRules]],
                 nudge: Any = None) -> None:
        self.sessions = sessions
        self.hub = hub
        # Asked once per round that has packets to import (`Service.routing_now`): a snapshot
        # activated between rounds matches the next round's senders and `To`, as the router
        # routes with it; a fixed RoutingRules would keep the one of the service's start.
        self.routing = routing
        self.nudge = nudge or (lambda: None)

    async def run_once(self) -> dict[str, int]:
        """One round: send, fetch, import. Returns how many of each; `skipped` when another
        process's round was running (one round at a time per database, see the module
        docstring)."""
        async with only_one(engine_of(self.sessions), ROUNDS) as mine:
            if not mine:
                return {"sent": 0, "fetched": 0, "imported": 0, "skipped": 1}
            counts = {"sent": await self._send(), "fetched": 0, "imported": 0}
            for kind in KINDS:
                counts["fetched"] += await self._fetch(kind)
            counts["imported"] = await self._import()
        return counts

    async def run_forever(self, interval: float) -> None:
        """Rounds every `interval` seconds; a hub that is down is tried again next round."""
        while True:
            try:
                counts = await self.run_once()
                if any(counts.values()):
                    log.info("hub_round", **counts)
            except HubError as error:
                log.warning("hub_unreachable", error=str(error))
            except Exception as error:  # the poller must outlive any one round
                if is_outage(error):
                    log.warning("hub_round_failed", database="unreachable",
                                error=repr(error)[:200])
                else:
                    log.error("hub_round_failed", error=repr(error)[:300],
                              traceback="".join(traceback.format_exception(error))[-4000:])
            await asyncio.sleep(interval)

    async def _send(self) -> int:
        async with self.sessions() as session:
            rows = await pending(session, "out")
        sent = 0
        for row in rows:
            try:
                hub_id = await self.hub.send(row.body, row.kind, row.id)
            except HubError as error:
                await self._update(row.id, lambda r, e=error: mark_failed(
                    r, str(e), final=not e.transient or r.attempts + 1 >= MAX_ATTEMPTS))
                if error.transient:
                    break  # the hub is down: the rest waits for the next round
                continue
            await self._update(row.id, lambda r, h=hub_id: mark_done(r, h))
            sent += 1
        return sent

    async def _update(self, row_id: str, change: Any) -> None:
        async with transaction(self.sessions) as session:
            row = await session.get(HubMessage, row_id)
            if row is not None:
                change(row)
                session.add(row)

    async def _fetch(self, kind: str) -> int:
        fetched = 0
        for hub_id in await self.hub.received(kind):
            async with self.sessions() as session:
                known = await _known(session, hub_id)
            if known is None:
                try:
                    body = await self.hub.fetch(hub_id)
                except HubError as error:
                    if error.transient:
                        raise  # the hub is down: the rest waits for the next round
                    await self._fetch_failed(hub_id, kind, error)
                    continue
                async with transaction(self.sessions) as session:
                    fetched += await store_inbound(session, hub_id, kind, body)
            elif known.state != HubState.PENDING:
                # Kept and imported, but the hub did not hear it: tell it again.
                await self._ack(hub_id, known.state == HubState.DONE, known.error)
        return fetched

    async def _fetch_failed(self, hub_id: str, kind: str, error: HubError) -> None:
        # The hub lists a packet it will not give: kept as a failed row with the reason (the
        # auditors see it), the hub told `fail`, and the round goes on with the next one.
        reason = f"the hub listed this packet but did not give its bytes ({error})"
        log.warning("hub_fetch_failed", hub_id=hub_id, kind=kind, error=str(error))
        async with transaction(self.sessions) as session:
            await store_failed_fetch(session, hub_id, kind, reason)
        await self._ack(hub_id, False, reason)

    async def _ack(self, hub_id: str, ok: bool, reason: str | None) -> None:
        # A hub that refuses one acknowledgement must not stop the round: the row is kept
        # as it stands and the acknowledgement is made again when the hub lists it again.
        try:
            await self.hub.ack(hub_id, ok, reason)
        except HubError as error:
            if error.transient:
                raise
            log.warning("hub_ack_refused", hub_id=hub_id, error=str(error))

    async def _import(self) -> int:
        async with self.sessions() as session:
            rows = await pending(session, "in")
        if not rows:
            return 0
        routing = await self.routing()
        imported = 0
        for row in rows:
            error = await self._import_one(row, routing)
            if error:
                # Failed at the hub with the reason, and said here: a packet no clerk can see
                # must not vanish from the deployment's own view.
                log.warning("hub_import_failed", hub_id=row.hub_id, kind=row.kind, error=error)
            await self._update(row.id, lambda r, e=error: mark_failed(r, e, final=True)
                               if e else mark_done(r))
            imported += error is None
            if row.hub_id:
                try:
                    await self._ack(row.hub_id, error is None, error)
                except HubError as down:
                    # Taken in (or refused) and recorded here; the hub hears it when it lists
                    # the packet again. The other kept packets are still taken in.
                    log.warning("hub_unreachable", error=str(down))
        return imported

    async def _import_one(self, row: HubMessage, routing: recipients.RoutingRules) -> str | None:
        """None when imported, else why not (the hub hears `fail` with it)."""
        try:
            packet = await asyncio.to_thread(edxml.read_packet, row.body)
            async with transaction(self.sessions) as session:
                if isinstance(packet, edxml.StatusPacket):
                    await receive_status(session, packet, routing, "hub")
                    return None
            await self._import_document(packet, routing)
        except edxml.PacketError as error:
            return error.message
        except ClerkError as error:
            return error.message
        except Exception as error:
            if is_outage(error):
                raise  # the database, not the packet: the row stays pending for next round
            return _unforeseen(row, error)
        return None

    async def _import_document(self, packet: edxml.DocumentPacket,
                               routing: recipients.RoutingRules) -> None:
        intake = await asyncio.to_thread(packet_submission, packet, routing)
        intake.fields.packet["via"] = "hub"  # statuses about it go back through the hub
        await take_packet(self.sessions, routing, packet, intake, actor="hub")
        self.nudge()


def _unforeseen(row: HubMessage, error: Exception) -> str:
    """The reason kept for a packet whose import failed in a way docroute did not foresee."""
    # The traceback as plain text: a rendered one (with its locals) costs seconds per packet.
    log.error("hub_import_crashed", hub_id=row.hub_id, kind=row.kind, error=repr(error)[:300],
              traceback="".join(traceback.format_exception(error))[-4000:])
    return (f"docroute could not take this packet in ({type(error).__name__}); its bytes are "
            "kept: give the operators this packet's hub id")


async def _known(session: Any, hub_id: str) -> HubMessage | None:
    from sqlmodel import select

    query = select(HubMessage).where(HubMessage.direction == "in", HubMessage.hub_id == hub_id)
    found: HubMessage | None = (await session.exec(query)).first()
    return found
