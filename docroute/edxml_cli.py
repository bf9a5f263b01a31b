"""`docroute edxml read FILE [--json]` and `docroute edxml write DOCUMENT_ID AGENCY`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

import edxml

edxml_app = typer.Typer(help="edXML (QCVN 102) packets.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the edXML commands to the `docroute` app."""
    app.add_typer(edxml_app, name="edxml")
    app.command("hub-sim")(hub_sim_command)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"docroute: {message}", err=True)
    return typer.Exit(2)


@edxml_app.command("read")
def read_command(
    file: Annotated[Path, typer.Argument(help="The packet (.edxml or .xml).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON tools read.")] = False,
) -> None:
    """Read a document or status packet and print what it says."""
    try:
        data = file.read_bytes()
    except OSError as error:
        raise _fail(f"{file}: cannot read the file: {error.strerror or error}") from None
    try:
        packet = edxml.read_packet(data)
    except edxml.PacketError as error:
        raise _fail(f"{file}: {error.message}") from None
    view = edxml.packet_json(packet)
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    typer.echo("\n".join(_summary(view)))


def _summary(view: dict[str, Any]) -> list[str]:
    sender = view["from"]
    lines = [f"{view['kind']} packet from {sender['name'] or '?'} ({sender['organ_id']})"]
    if view["kind"] == "status":
        response = view["response_for"]
        lines += [f"status {view['status_code']} at {view['timestamp']}",
                  f"about {response['code']} ({response['document_id']})",
                  f"description: {view['description'] or ''}"]
    else:
        lines += [f"number: {view['code']}   date: {view['date']}   place: {view['place']}",
                  f"subject: {view['subject']}",
                  f"priority: {view['priority']}   business type: {view['business_type']}",
                  "To:", *(f"  {o['organ_id']}  {o['name'] or ''}" for o in view["to"]),
                  "Nơi nhận (ToPlaces):", *(f"  {p}" for p in view["to_places"]),
                  "attachments:",
                  *(f"  {a['name']}  {a['content_type']}  {a['size']} bytes"
                    for a in view["attachments"])]
    lines += [f"warning: {w}" for w in view["warnings"]]
    return lines


def hub_sim_command(
    system: Annotated[list[str], typer.Option(
        help="A connected system, ID:SECRET:ORGAN_ID,ORGAN_ID (repeat the option).")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8900,
) -> None:
    """Run a small LGSP-style hub in memory, for tests and demos."""
    import uvicorn

    from docroute.hub_sim import HubState, create_hub_app, parse_system

    try:
        systems = dict(parse_system(spec) for spec in system)
    except ValueError as error:
        raise _fail(f"--system {error}") from None
    uvicorn.run(create_hub_app(HubState(systems)), host=host, port=port, log_level="warning")


@edxml_app.command("write")
def write_command(
    document_id: Annotated[str, typer.Argument(help="The document's id.")],
    agency: Annotated[str, typer.Argument(help="Directory id of the receiving agency.")],
) -> None:
    """Print the edXML packet the `edxml` channel sends this agency for this document."""
    import asyncio

    from consumers.edxml_packets import document_packet
    from foundation.migrate import migrated_sessions
    from foundation.models import Document
    from foundation.settings import get_settings
    from router.data_in_force import in_force_over
    from router.recipients import RoutingRules

    settings = get_settings()

    async def load() -> tuple[RoutingRules, Document | None]:
        async with migrated_sessions(settings.database_url) as sessions, sessions() as session:
            # The directory in force, as the edxml channel names agencies with it.
            routing = await in_force_over(session, settings.directory_path, settings.rules_path)
            return routing, await session.get(Document, document_id)

    routing, document = asyncio.run(load())
    if routing.directory.get(agency) is None:
        raise _fail(f"agency {agency!r} is not in the directory")
    if document is None:
        raise _fail(f"no document has id {document_id!r}")
    packet = document_packet(document, [agency], routing.directory,
                             system_id=settings.edxml_system_id)
    typer.echo(edxml.write_document(packet).decode("utf-8"), nl=False)
