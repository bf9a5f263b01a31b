"""`docroute audit ...`: the auditor's commands, on the service's database."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

import rules
from audit import exports, reports
from audit.comparisons import compare
from audit.explanations import explain_stored
from audit.notices import NoticeSender
from audit.reminders import run_once
from audit.replays import replay
from audit.verify import verify_histories
from foundation.audit_settings import get_audit_settings
from foundation.database import SessionFactory
from foundation.errors import ClerkError
from foundation.logs import configure_logging
from foundation.migrate import migrated_sessions
from foundation.models import Document
from foundation.models.clock import utcnow
from foundation.settings import get_settings
from router.data_in_force import RoutingData, in_force_over
from router.recipients import RoutingRules
from rules.national import directory_at

audit_app = typer.Typer(
    help="Audit: missed deliveries, why / why not, replay, history check.", no_args_is_help=True
)
T = TypeVar("T")


def register(app: typer.Typer) -> None:
    """Add `docroute audit` to the app."""
    app.add_typer(audit_app, name="audit")


def _with_sessions(action: Callable[[SessionFactory], Awaitable[T]]) -> T:
    # What these commands print on stdout is their answer: log lines go to stderr.
    configure_logging(get_settings(), to_stderr=True)

    async def go() -> T:
        async with migrated_sessions(get_settings().database_url) as sessions:
            return await action(sessions)

    return asyncio.run(go())


def _fail(message: str) -> typer.Exit:
    typer.echo(f"docroute: {message}", err=True)
    return typer.Exit(2)


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option} '{value}' is not a date; write YYYY-MM-DD") from None


async def _in_force(session: AsyncSession) -> RoutingRules:
    """The directory and rule set in force: the activated snapshots, else the files the
    service routes with (DOCROUTE_DIRECTORY_PATH, DOCROUTE_RULES_PATH)."""
    settings = get_settings()
    return await in_force_over(session, settings.directory_path, settings.rules_path)


def _print(rows: list[Any], as_csv: bool, row_type: type[Any]) -> None:
    if as_csv:
        typer.echo(exports.to_csv(rows, row_type), nl=False)
    else:
        from dataclasses import asdict

        typer.echo(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2))


@audit_app.command("missed")
def missed_command(
    agency: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[str | None, typer.Option(help="agency kind, e.g. dvsn")] = None,
    category: Annotated[str | None, typer.Option(help="e.g. so_ban_nganh")] = None,
    sender: Annotated[str | None, typer.Option()] = None,
    since: Annotated[str | None, typer.Option(help="document date from, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="document date to, YYYY-MM-DD")] = None,
    state: Annotated[
        str | None, typer.Option(help=",".join(reports.Finding))
    ] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV instead of JSON")] = False,
    limit: Annotated[int, typer.Option()] = 1000,
) -> None:
    """Missed, late and unconfirmed deliveries."""
    try:
        findings = reports.parse_findings(state)
        reports.check_kind(kind)
    except ValueError as error:
        raise _fail(f"--{error}") from None
    query = reports.MissedQuery(
        now=utcnow(),
        findings=findings,
        agency=agency,
        category=category,
        sender=sender,
        since=_date(since, "--since"),
        until=_date(until, "--until"),
        limit=limit,
    )

    async def run(sessions: SessionFactory) -> list[reports.MissedRow]:
        async with sessions() as session:
            # The kind's agencies as the data in force has them (an activated snapshot's
            # units included), as the API's kind filter reads them.
            ids = reports.agencies_of_kind((await _in_force(session)).directory, kind)
            return await reports.missed(session, replace(query, agency_ids=ids))

    _print(_with_sessions(run), as_csv, reports.MissedRow)


@audit_app.command("scorecard")
def scorecard_command(
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV instead of JSON")] = False,
) -> None:
    """Per agency: received, confirmed on time, late, rejected, missing."""

    async def run(sessions: SessionFactory) -> list[reports.Score]:
        async with sessions() as session:
            return await reports.scorecard(session, utcnow())

    _print(_with_sessions(run), as_csv, reports.Score)


@audit_app.command("document")
def document_command(document_id: str) -> None:
    """Expected vs dispatched vs confirmed for one document."""

    async def run(sessions: SessionFactory) -> dict[str, Any]:
        async with sessions() as session:
            document = await session.get(Document, document_id)
            if document is None:
                raise _fail(f"no document with id {document_id}")
            return (await reports.document_audit(session, document)).to_json()

    typer.echo(json.dumps(_with_sessions(run), ensure_ascii=False, indent=2))


@audit_app.command("why")
def why_command(
    document_id: str,
    agency: str,
    current: Annotated[
        bool, typer.Option("--current", help="answer with today's data, not the document's")
    ] = False,
) -> None:
    """Why (or why not) AGENCY receives the document: with the directory and rule set it was
    routed with (stored snapshots), or with the ones in force today (--current)."""
    settings = get_settings()
    data = RoutingData(RoutingRules.load(settings.directory_path, settings.rules_path))

    async def run(sessions: SessionFactory) -> dict[str, Any]:
        async with sessions() as session:
            document = await session.get(Document, document_id)
            if document is None:
                raise _fail(f"no document with id {document_id}")
            snapshot = "current" if current else "routed"
            try:
                return await explain_stored(session, data, document, agency, snapshot)
            except ClerkError as error:
                raise _fail(error.message) from None

    typer.echo(json.dumps(_with_sessions(run), ensure_ascii=False, indent=2))


@audit_app.command("replay")
def replay_command(
    since: Annotated[str, typer.Option(help="documents dated from, YYYY-MM-DD")],
    rules_file: Annotated[
        Path | None, typer.Option("--rules", help="the new rule set")
    ] = None,
    directory: Annotated[Path | None, typer.Option(help="a new directory")] = None,
    backfill: Annotated[bool, typer.Option(help="send catch-up deliveries")] = False,
    before: Annotated[str | None, typer.Option(
        "--from", help="stored snapshot id(s), comma-separated, or 'current'")] = None,
    after: Annotated[str | None, typer.Option(
        "--to", help="stored snapshot id(s), comma-separated, or 'current'")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="the answer as JSON on stdout (the default)")
    ] = True,
) -> None:
    """Every past document whose recipients would differ under the new rules (--rules), or
    between two snapshots (--from A --to B: per document, the agencies added and removed)."""
    del as_json  # JSON is the answer either way; the flag says so for scripts that ask
    day = _date(since, "--since")
    assert day is not None
    if before is not None or after is not None:
        if before is None or after is None or rules_file or directory or backfill:
            raise _fail("--from and --to go together, without --rules, --directory, --backfill")
        typer.echo(json.dumps(_compare(before, after, day), ensure_ascii=False, indent=2))
        return
    if rules_file is None:
        raise _fail("give --rules NEW.yaml, or --from SNAPSHOT --to SNAPSHOT")
    try:
        ruleset = rules.load_ruleset(rules_file)
        given = directory_at(directory) if directory else None
    except (rules.RuleSetError, rules.DirectoryError) as error:
        raise _fail("\n".join(error.problems)) from None

    async def run(sessions: SessionFactory) -> Any:
        found = given
        if found is None:  # the directory in force, as the web's replay page takes it
            async with sessions() as session:
                found = (await _in_force(session)).directory
        return await replay(sessions, ruleset, found, day, backfill=backfill, actor="cli")

    result = _with_sessions(run)
    typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))


def _compare(before: str, after: str, day: dt.date) -> dict[str, Any]:
    settings = get_settings()
    data = RoutingData(RoutingRules.load(settings.directory_path, settings.rules_path))

    async def run(sessions: SessionFactory) -> dict[str, Any]:
        try:
            return (await compare(sessions, data, before, after, day)).to_json()
        except ClerkError as error:
            raise _fail(error.message) from None

    return _with_sessions(run)


@audit_app.command("verify")
def verify_command() -> None:
    """Check every delivery's hash-chained history; exit 1 naming each broken event."""

    checked, breaks = _with_sessions(verify_histories)
    for found in breaks:
        typer.echo(str(found), err=True)
    typer.echo(f"{checked} deliveries checked; {len(breaks)} break(s)")
    if breaks:
        raise typer.Exit(1)


@audit_app.command("remind")
def remind_command() -> None:
    """One pass of reminders and escalations (the service runs this every minute)."""
    settings, audit = get_settings(), get_audit_settings()

    async def run(sessions: SessionFactory) -> Any:
        sender = NoticeSender.from_settings(settings, settings.secret())
        try:
            return await run_once(sessions, sender, utcnow(), audit.supervisor)
        finally:
            await sender.close()

    typer.echo(json.dumps(vars(_with_sessions(run))))
