"""Service commands of `docroute` (serve, workers, tokens, agencies, deliveries)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import json
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy import make_url
from sqlmodel.ext.asyncio.session import AsyncSession

from docroute.revisions_cli import documents_app as revisions_documents
from foundation.database import transaction
from foundation.deliveries import delivery_view, document_deliveries, retry_delivery
from foundation.errors import ClerkError
from foundation.logs import configure_logging
from foundation.migrate import migrated_sessions
from foundation.models import AgencyChannel, ChannelKind, Role
from foundation.settings import Settings, get_settings

if TYPE_CHECKING:
    import uvicorn

worker_app = typer.Typer(help="Run one stage of the pipeline (PostgreSQL + RabbitMQ).")
tokens_app = typer.Typer(help="API tokens.")
agencies_app = typer.Typer(help="How agencies receive documents.")
deliveries_app = typer.Typer(help="Inspect and re-drive deliveries.")


def register(app: typer.Typer) -> None:
    """Add the service's commands to the `docroute` app."""
    app.command("serve")(serve)
    app.add_typer(worker_app, name="worker")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(agencies_app, name="agencies")
    app.add_typer(deliveries_app, name="deliveries")
    # `docroute documents` is the revisions' group (recall, update, replace); reroute joins it.
    revisions_documents.command("reroute")(documents_reroute)


def freeze_startup_objects() -> None:
    """Keep what start-up built out of the garbage collector's full collections.

    The rules, the directory, the ORM mappers and the imported modules live as long as the
    process; walking them on every full collection was about a tenth of a worker's CPU
    (sampled with py-spy in bench/pipeline.py). Only for a long-running service process:
    frozen objects are never collected.
    """
    gc.collect()
    gc.freeze()


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[
        bool,
        typer.Option(
            help="Also run the router and delivery consumers (--no-workers: API and relay only)."
        ),
    ] = True,
    development: Annotated[
        bool,
        typer.Option(
            "--development",
            help="A local trial: without DOCROUTE_SIGNING_SECRET, sign with a random secret "
            "kept in var/signing-secret (`make run` uses this).",
        ),
    ] = False,
) -> None:
    """Run the API, the relay, the router and the delivery consumers in one process."""
    settings = get_settings()
    if development:
        settings = settings.model_copy(update={"development": True})
    asyncio.run(_serve(settings, host or settings.host, port or settings.port, workers))


async def _serve(settings: Settings, host: str, port: int, workers: bool) -> None:
    import uvicorn

    from docroute.api.app import create_app
    from docroute.service import Service

    configure_logging(settings)
    service = Service(settings)
    await service.start(router=workers, delivery=workers)
    freeze_startup_objects()
    config = uvicorn.Config(
        create_app(service), host=host, port=port, log_config=None, lifespan="off", access_log=False
    )
    server = _server(config)
    _on_stop_signals(lambda: setattr(server, "should_exit", True))
    announce = asyncio.create_task(_announce(server, settings))
    try:
        await server.serve()
    finally:
        announce.cancel()
        await service.stop()


async def _announce(server: uvicorn.Server, settings: Settings) -> None:
    """Once listening, say where, and which database and queue: a clerk who started it from
    another folder sees at once whether it uses the database they meant."""
    while not server.started:
        await asyncio.sleep(0.05)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    queue = "RabbitMQ" if settings.amqp_url else "in-process queue"
    typer.echo(f"docroute listening on http://{host}:{port} (database: {database}; {queue})")


def _server(config: uvicorn.Config) -> uvicorn.Server:
    """A uvicorn server that leaves signals to `_serve`.

    uvicorn's own handling re-raises SIGTERM once the HTTP side has shut down, which killed
    the process before the service stopped its consumers and closed its connections (found
    by the docker-compose rehearsal in tests/test_compose.py: `docker compose stop` sends
    SIGTERM).
    """
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Server(config)


def _on_stop_signals(stop: Callable[[], None]) -> None:
    """Call `stop` on SIGINT (Ctrl-C) or SIGTERM (`docker compose stop`), so that the
    process stops its service before it exits."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)


@worker_app.command("router")
def worker_router() -> None:
    """Consume documents: expand recipients and plan deliveries (runs a relay too)."""
    asyncio.run(_work(router=True))


@worker_app.command("delivery")
def worker_delivery() -> None:
    """Consume deliveries: send them through each agency's channel."""
    asyncio.run(_work(router=False))


async def _work(*, router: bool) -> None:
    from docroute.service import Service

    settings = get_settings()
    configure_logging(settings)
    service = Service(settings)
    stop = asyncio.Event()
    _on_stop_signals(stop.set)
    # Only the router's process relays (and the API's, under `serve`): a delivery worker's
    # only outbox rows are the dead letters of failed deliveries, which those relays publish.
    await service.start(relay=router, router=router, delivery=not router)
    freeze_startup_objects()
    try:
        await stop.wait()
    finally:
        await service.stop()


@asynccontextmanager
async def _admin_session() -> AsyncIterator[AsyncSession]:
    async with migrated_sessions(get_settings().database_url) as sessions, transaction(
        sessions
    ) as session:
        yield session


def _run(action: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        async with _admin_session() as session:
            return await action(session)

    try:
        return asyncio.run(go())
    except ClerkError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(2) from error


@tokens_app.command("issue")
def tokens_issue(
    role: Annotated[Role, typer.Option(help="sender, agency, auditor or admin.")],
    agency: Annotated[
        str | None, typer.Option(help="Directory id of the office (required for sender and "
                                 "agency tokens).")
    ] = None,
    expires_in_days: Annotated[
        float | None, typer.Option(help="Refuse the token after this many days.")
    ] = None,
) -> None:
    """Issue a bearer token and print it (only its hash is kept: it cannot be shown again)."""
    from foundation.tokens import issue_token

    typer.echo(_run(lambda session: issue_token(session, role, agency, expires_in_days)))


@tokens_app.command("revoke")
def tokens_revoke(
    token: Annotated[str, typer.Argument(help="The token's id (see `tokens list`) or the token.")],
) -> None:
    """Revoke a token: it is refused from the next request on."""
    from foundation.tokens import revoke_token

    row = _run(lambda session: revoke_token(session, token))
    typer.echo(f"token {row.id} ({row.role} {row.agency_id or ''}) revoked".replace(" )", ")"))


@tokens_app.command("list")
def tokens_list() -> None:
    """Print every token's id, role, office and dates as JSON (never the tokens)."""
    from foundation.tokens import list_tokens

    typer.echo(json.dumps(_run(list_tokens), indent=2))


@agencies_app.command("set-channel")
def agencies_set_channel(
    agency_id: str,
    kind: Annotated[ChannelKind, typer.Argument(help="inbox, webhook, email or edxml.")],
    target: Annotated[
        str | None, typer.Argument(help="The URL, e-mail address, or 'hub' for edxml.")
    ] = None,
) -> None:
    """Choose how an agency receives documents: `webhook URL`, `email ADDRESS`, `edxml hub`,
    `edxml URL` (its system takes QCVN 102 packets) or `inbox`."""
    from foundation.channels import check_posted_target, set_channel

    # An edXML URL is POSTed to from inside the deployment as a webhook is.
    try:
        check_posted_target(kind, target, allow_private=get_settings().allow_private_webhooks)
    except ClerkError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(2) from error
    from foundation.webhook_secrets import issue_if_missing

    async def action(session: AsyncSession) -> tuple[AgencyChannel, str | None]:
        row = await set_channel(session, agency_id, kind, target)
        return row, issue_if_missing(row)

    row, secret = _run(action)
    typer.echo(f"{row.agency_id}: {row.kind} {row.target or ''}".rstrip())
    if secret is not None:
        # "webhook secret" or "edxml secret": an edXML URL's packets are signed as webhooks are.
        typer.echo(f"{row.kind} secret (shown once; give it to the agency): {secret}")


@agencies_app.command("rotate-secret")
def agencies_rotate_secret(
    agency_id: str,
    overlap_hours: Annotated[float, typer.Option(
        help="How long the old secret still signs beside the new one.")] = 24.0,
) -> None:
    """Give the agency's webhook or edXML URL a new secret (printed once); the old one also
    signs each POST for `--overlap-hours`, so the agency can switch without losing a
    delivery."""
    from foundation.webhook_secrets import rotate

    async def action(session: AsyncSession) -> tuple[AgencyChannel, str]:
        return await rotate(session, agency_id, dt.timedelta(hours=overlap_hours))

    row, secret = _run(action)
    typer.echo(f"{row.agency_id}: new {row.kind} secret (shown once): {secret}")
    typer.echo(f"the previous secret also signs until {row.previous_until:%Y-%m-%d %H:%M} UTC")


@deliveries_app.command("list")
def deliveries_list(document: Annotated[str, typer.Option(help="Document id.")]) -> None:
    """Print the document's deliveries with their state, receipt and history, as JSON."""

    async def action(session: AsyncSession) -> list[dict[str, Any]]:
        rows, history = await document_deliveries(session, document)
        return [delivery_view(d, history[d.id]) for d in rows]

    typer.echo(json.dumps(_run(action), ensure_ascii=False, indent=2))


@deliveries_app.command("dead-letters")
def deliveries_dead_letters() -> None:
    """Print the messages parked in RabbitMQ's dead-letter queues (they stay there).

    Each line is a queue and a message body; `docroute deliveries retry ID` re-drives a
    delivery from the database. (The in-process queue's dead letters live in its process.)
    """
    from foundation.broker import QUEUES
    from foundation.broker.factory import make_broker

    async def peek() -> list[tuple[str, bytes]]:
        broker = make_broker(get_settings())
        await broker.start()
        try:
            return [(queue, body) for queue in QUEUES for body in await broker.dead_letters(queue)]
        finally:
            await broker.close()

    for queue, body in asyncio.run(peek()):
        typer.echo(f"{queue}\t{body.decode(errors='replace')}")


@deliveries_app.command("retry")
def deliveries_retry(delivery_id: str) -> None:
    """Send a failed delivery, or one waiting for a later round, again now (it goes back to
    pending, with a fresh retry schedule, and through the outbox)."""
    row = _run(lambda session: retry_delivery(session, delivery_id, actor="cli"))
    typer.echo(f"{row.id}: queued again for {row.agency_id}")


@deliveries_app.command("redrive")
def deliveries_redrive(
    delivery_ids: Annotated[list[str] | None, typer.Argument(help="Delivery ids.")] = None,
    all_pending: Annotated[
        bool, typer.Option("--all", help="Every delivery planned and not settled.")
    ] = False,
) -> None:
    """Queue planned-but-unsettled deliveries again now (those waiting for a later round
    too); one that already reached its agency is re-sent under the same Idempotency-Key."""
    from foundation.recovery import redrive_deliveries

    if all_pending == bool(delivery_ids):
        typer.echo("error: name delivery ids, or give --all (not both)", err=True)
        raise typer.Exit(2)
    count = _run(lambda session: redrive_deliveries(session, None if all_pending else delivery_ids))
    typer.echo(f"{count} deliveries queued again")


def documents_reroute(document_id: str) -> None:
    """Queue an accepted but unrouted document for the router again (also one whose routing
    failed as often as the delivery limit allows; its last error is printed)."""
    from foundation.recovery import reroute_document

    document = _run(lambda session: reroute_document(session, document_id))
    error = f" (last routing error: {document.routing_error})" if document.routing_error else ""
    typer.echo(f"{document.id}: queued for routing again{error}")
