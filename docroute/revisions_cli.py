"""`docroute documents recall|update|replace`: the API's revisions, from the command line."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.errors import ClerkError

documents_app = typer.Typer(help="Recall, update or replace a sent document.",
                            no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `docroute documents ...` to the app."""
    app.add_typer(documents_app, name="documents")


def _run(action: Callable[[AsyncSession, Any], Awaitable[Any]]) -> Any:
    from foundation.database import transaction
    from foundation.migrate import migrated_sessions
    from foundation.settings import get_settings
    from router.data_in_force import in_force_over

    settings = get_settings()
    _logs_to_stderr(settings)

    async def go() -> Any:
        async with migrated_sessions(settings.database_url) as sessions, transaction(
            sessions
        ) as session:
            # The data in force (an admin's activated snapshots, else the service's files), as
            # the API's update, recall and replace read it.
            routing = await in_force_over(session, settings.directory_path, settings.rules_path)
            return await action(session, routing)

    try:
        return asyncio.run(go())
    except ClerkError as error:
        typer.echo(f"docroute: {error.message}", err=True)
        raise typer.Exit(2) from None


def _submission(file: Path, sender: str | None) -> Any:
    from docroute.submission import Submission
    from rules.sources import SourceError, text_from_file

    try:
        return Submission(text=text_from_file(file), sender=sender)
    except SourceError as error:
        typer.echo(f"docroute: {error}", err=True)
        raise typer.Exit(2) from None


def _logs_to_stderr(settings: Any) -> None:
    # What these commands print on stdout is their answer (JSON): log lines go to stderr.
    from foundation.logs import configure_logging

    configure_logging(settings, to_stderr=True)


def _echo(answer: Any) -> None:
    typer.echo(json.dumps(answer, ensure_ascii=False, indent=2))


@documents_app.command("recall")
def recall_command(
    document_id: str,
    reason: Annotated[str, typer.Option(help="Why it is asked back (status 13).")],
) -> None:
    """Ask every recipient to give the document back; each answers 15 or 16."""
    from docroute import revisions

    _echo(_run(lambda s, r: revisions.recall(s, document_id, reason, "cli", r)))


@documents_app.command("update")
def update_command(
    document_id: str,
    file: Annotated[Path, typer.Argument(help="The corrected document (.txt, .docx, .pdf).")],
) -> None:
    """Apply a corrected text: added agencies receive it, removed ones are asked back."""
    from docroute import revisions
    from foundation.models import Document

    async def action(session: AsyncSession, routing: Any) -> Any:
        document = await session.get(Document, document_id)
        sender = document.sender if document else None
        return await revisions.update(session, document_id, _submission(file, sender), "cli",
                                      routing)

    _echo(_run(action))
    typer.echo("docroute: the relay of a running service sends the added deliveries", err=True)


@documents_app.command("replace")
def replace_command(
    document_id: str,
    file: Annotated[Path, typer.Argument(help="The replacing document (.txt, .docx, .pdf).")],
) -> None:
    """Submit a new document that replaces this one (linked to it), routed as any other."""
    from docroute.submission import submit
    from foundation.migrate import migrated_sessions
    from foundation.models import Document
    from foundation.settings import get_settings
    from router.data_in_force import in_force_over

    settings = get_settings()
    _logs_to_stderr(settings)

    async def go() -> Any:
        async with migrated_sessions(settings.database_url) as sessions:
            async with sessions() as session:
                old = await session.get(Document, document_id)
                # The data in force, as the API's replace reads it.
                routing = await in_force_over(session, settings.directory_path,
                                              settings.rules_path)
            if old is None:
                raise ClerkError(404, "document_not_found", f"no document has id {document_id!r}")
            document, created = await submit(sessions, _submission(file, old.sender), None, None,
                                             routing, replaces=old.id)
            return {"id": document.id, "replaces": old.id, "duplicate": not created}

    try:
        _echo(asyncio.run(go()))
    except ClerkError as error:
        typer.echo(f"docroute: {error.message}", err=True)
        raise typer.Exit(2) from None
