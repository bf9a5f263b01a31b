"""The running service: database, broker, relay and consumers, in one process or split."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Coroutine, Mapping
from typing import Any

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from audit.notices import NoticeSender
from audit.reminders import remind_forever
from consumers.channel import Channel, Closable
from consumers.delivery import DeliveryWorker
from consumers.edxml_channel import EdxmlChannel
from consumers.edxml_outbound import PacketPoster
from consumers.email import EmailChannel
from consumers.inbox import InboxChannel
from consumers.retries import requeue_forever
from consumers.webhook import WebhookChannel
from docroute.extraction import Extractor, UploadLimits
from docroute.hub import HubPoller, LgspHub
from foundation import pruning, scorecard_days
from foundation.audit_settings import get_audit_settings
from foundation.broker import DELIVERIES, DOCUMENTS, Broker
from foundation.broker.factory import make_broker
from foundation.database import (
    CONNECT_TIMEOUT,
    FreshProbe,
    create_engine,
    reachable,
    session_factory,
    single_statement_sessions,
)
from foundation.kept import KeptAnswer
from foundation.migrate import migrate
from foundation.models.clock import utcnow
from foundation.periodic import every
from foundation.recovery import redrive_unfinished, sweep_forever
from foundation.relay import Relay
from foundation.settings import Settings
from router.data_in_force import RoutingData, keep_base
from router.recipients import RoutingRules, own_snapshots
from router.routing import Router
from rules import Directory

log = structlog.get_logger(__name__)

# How long POST /v1/documents may reuse this process's last read of the activations in force
# (`Service.routing_recent`): reading them per request, in a session of its own, cost the API
# about 1 ms of CPU per document (bench/stages.py), half again what it spent on the rest.
IN_FORCE_FRESH_SECONDS = 1.0


class Service:
    """Everything one docroute process runs; `start` chooses which parts."""

    def __init__(
        self,
        settings: Settings,
        *,
        broker: Broker | None = None,
        channels: Mapping[str, Channel] | None = None,
    ) -> None:
        self.settings = settings
        self.secret = settings.secret()  # refuses to start without one (SettingsError)
        # The service's own files, loaded once: the base under any activated snapshot. A request
        # or a poll that reads or matches agencies asks `routing_now()` instead, so that an
        # admin's activation is seen at once (this stays the files, whatever is in force).
        self.routing = RoutingRules.load(settings.directory_path, settings.rules_path)
        # What new documents are expanded with: an admin's activated snapshots, else the files.
        self.data = RoutingData(self.routing)
        self.engine = create_engine(settings.database_url)
        self.sessions = session_factory(engine=self.engine)
        # Tells a busy pool from a database that does not answer (the API's 503s).
        self.database_probe = FreshProbe(settings.database_url)
        # For lookups of one statement (an API token's caller): no transaction around them.
        self.single_statements = single_statement_sessions(self.engine)
        self.broker = broker or make_broker(settings)
        self.relay = Relay(
            self.sessions,
            self.broker,
            settings.relay_batch,
            settings.relay_idle_seconds,
            skip_locked=settings.on_postgres,
        )
        # Used by the reminder loop.
        self.notices = NoticeSender.from_settings(settings, self.secret)
        self.channels = channels or self._default_channels()
        self.hub_poller = self._hub_poller()
        # edXML packets for agencies' own systems (URLs): one attempt per pass, on the
        # schedule of the deliveries' later rounds.
        self.packet_poster = PacketPoster(self.sessions, WebhookChannel(
            self.secret, attempts=1, timeout=settings.webhook_timeout,
            concurrency=settings.webhook_concurrency), settings.retry_schedule_seconds)
        # Uploads are read off the event loop, in a bounded pool with limits.
        self.extractor = Extractor(UploadLimits(
            uncompressed_bytes=settings.upload_max_uncompressed_bytes,
            pages=settings.upload_max_pages, seconds=settings.upload_seconds,
            memory_bytes=settings.upload_memory_bytes,
        ))
        self._tasks: list[asyncio.Task[None]] = []
        # `routing_recent`'s read of the data in force, shared and kept for a moment.
        self.recent_in_force = KeptAnswer(self.routing_now, IN_FORCE_FRESH_SECONDS)

    def _hub_poller(self) -> HubPoller | None:
        """The exchange with the deployment's hub, when DOCROUTE_HUB_URL is set."""
        s = self.settings
        if not s.hub_url:
            return None
        hub = LgspHub(s.hub_url, s.hub_system_id or "", s.hub_secret or "")
        # Each round matches its packets' agencies with the data in force at that round.
        return HubPoller(self.sessions, hub, self.routing_now, self.relay.nudge)

    def _default_channels(self) -> dict[str, Channel]:
        s = self.settings
        webhook = WebhookChannel(
            self.secret,
            attempts=s.webhook_attempts,
            backoff_seconds=s.webhook_backoff_seconds,
            timeout=s.webhook_timeout,
            concurrency=s.webhook_concurrency,
            allow_private=s.allow_private_webhooks,
        )
        return {
            "inbox": InboxChannel(),
            "webhook": webhook,
            # The directory in force for the packets' codes (this process's read of the last
            # second): an agency an activated snapshot added is named by its mã định danh.
            "edxml": EdxmlChannel(self.sessions, self._directory_in_force, webhook,
                                  s.edxml_system_id),
            "email": EmailChannel(
                s.smtp_host,
                s.smtp_port,
                s.mail_from,
                s.public_url,
                self.secret,
                attempts=s.webhook_attempts,
                backoff_seconds=s.webhook_backoff_seconds,
                link_days=s.confirm_link_days,
                timeout=s.webhook_timeout,
                concurrency=s.webhook_concurrency,
            ),
        }

    async def start(
        self, *, relay: bool = True, router: bool = True, delivery: bool = True
    ) -> None:
        """Migrate, connect, then start the chosen parts."""
        await migrate(self.engine)
        await self._keep_own_data()
        await self.broker.start()
        if self.settings.embedded_queue:
            await redrive_unfinished(self.sessions)
        if relay:
            self._tasks.append(asyncio.create_task(self.relay.run()))
            self._tasks.append(asyncio.create_task(self._reminders()))
            self._tasks.append(asyncio.create_task(requeue_forever(
                self.sessions, self.settings.retry_poll_seconds, self.relay.nudge)))
            if self.hub_poller is not None and self.settings.hub_poll_seconds > 0:
                self._tasks.append(asyncio.create_task(
                    self.hub_poller.run_forever(self.settings.hub_poll_seconds)))
            if self.settings.edxml_outbox_seconds > 0:
                self._tasks.append(asyncio.create_task(every(
                    self.settings.edxml_outbox_seconds, self.packet_poster.run_once,
                    "edxml_outbox_failed")))
            self._tasks.append(asyncio.create_task(sweep_forever(
                self.sessions, self.settings.sweep_every_seconds,
                self.settings.sweep_after_seconds, self.settings.delivery_limit,
                self.relay.nudge)))
            self._tasks.append(asyncio.create_task(self._pruning()))
            self._tasks.append(asyncio.create_task(every(
                self.settings.scorecard_fold_seconds, lambda: scorecard_days.fold(self.sessions),
                "scorecard_fold_failed")))
        if router:
            # The files are only the base here: the router reads the activations in force with
            # each batch and expands with them (`data`).
            router_consumer = Router(self.sessions, self.relay.nudge, self.routing,
                                     healthy=self.database_reachable, data=self.data)
            await self.broker.consume(DOCUMENTS, router_consumer.handle,
                                      healthy=self.database_reachable)
        if delivery:
            worker = DeliveryWorker(self.sessions, self.channels,
                                    self.settings.retry_schedule_seconds,
                                    hold_seconds=self.settings.worst_case_hold_seconds(),
                                    fault_limit=self.settings.delivery_limit,
                                    senders=self.settings.webhook_concurrency)
            await self.broker.consume(
                DELIVERIES, worker.handle, prefetch=self.settings.delivery_prefetch,
                batch_size=self.settings.delivery_batch, healthy=self.database_reachable,
            )
        log.info(
            "service_started",
            relay=relay,
            router=router,
            delivery=delivery,
            broker=type(self.broker).__name__,
            database=self.engine.dialect.name,
        )

    async def routing_now(self, session: AsyncSession | None = None) -> RoutingRules:
        """The directory and rule set new documents are expanded with now: the activated
        snapshots, else the service's files. One read of the activations in force per call
        (a short statement, on `session` when given, else on a session of its own); a pair of
        snapshots is loaded once and kept (`RoutingData`)."""
        if session is not None:
            return await self.data.current(session)
        async with self.sessions() as own:
            return await self.data.current(own)

    async def routing_recent(self) -> RoutingRules:
        """The data in force as this process read it at most IN_FORCE_FRESH_SECONDS ago: for
        the hot path of POST /v1/documents, where a read per request would double the API's
        database work. Callers at the same moment share one read (`routing_now`). An
        activation through this process's API is seen at once (`in_force_changed`); one by
        another process (the CLI, another API process) within IN_FORCE_FRESH_SECONDS."""
        return await self.recent_in_force.get()

    async def _directory_in_force(self) -> Directory:
        """The directory of `routing_recent`: what the edXML channel names agencies with."""
        return (await self.routing_recent()).directory

    def in_force_changed(self) -> None:
        """This process activated a snapshot: `routing_recent` reads the activations again
        (a read in flight began before the activation, so later callers do not join it)."""
        self.recent_in_force.forget()

    async def _keep_own_data(self) -> None:
        """The data files this service routes with, stored as snapshots (once per content):
        a document routed with them stays explainable after they change."""
        s = self.settings
        own = await asyncio.to_thread(own_snapshots, s.directory_path, s.rules_path)
        where = "DOCROUTE_DIRECTORY_PATH / RULES_PATH" if s.directory_path or s.rules_path \
            else "the shipped data"
        added = await keep_base(self.sessions, own, f"docroute ({where})")
        if added:
            log.info("own_data_kept", snapshots=[x.id for x in own], added=added)

    async def database_reachable(self, timeout: float = CONNECT_TIMEOUT) -> bool:
        """True when the database answers (consumers hold their batches while it does not)."""
        return await reachable(self.engine, timeout)

    async def database_answers(self) -> bool:
        """True when the database answers a connection outside the pool (all of the pool's
        may be in use): a probe shared by callers at the same moment, and briefly kept."""
        return await self.database_probe.answers()

    def _pruning(self) -> Coroutine[Any, Any, None]:
        """Sent outbox rows and processed-message ids, deleted after the retention period."""
        keep = dt.timedelta(days=self.settings.retention_days)
        return every(pruning.EVERY_SECONDS, lambda: pruning.prune(self.sessions, utcnow(), keep),
                     "prune_failed")

    def _reminders(self) -> Coroutine[Any, Any, None]:
        """The audit's reminder loop: notices at each receipt deadline, escalations after."""
        audit = get_audit_settings()
        return remind_forever(
            self.sessions, self.notices, audit.remind_every_seconds, audit.supervisor
        )

    async def stop(self) -> None:
        """Stop consuming and publishing, then close connections."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.broker.close()
        if self.hub_poller is not None and isinstance(self.hub_poller.hub, Closable):
            await self.hub_poller.hub.close()
        self.extractor.close()
        for channel in [*self.channels.values(), self.notices, self.packet_poster.poster]:
            if isinstance(channel, Closable):
                with contextlib.suppress(Exception):
                    await channel.close()
        await self.engine.dispose()
        await self.database_probe.dispose()
