"""`docroute directory export | import | activate | diff` and `docroute rules import | activate`.

`export` writes the content-addressed snapshot of a data folder (the shipped national data by
default) as JSON; `import` validates a snapshot as the service would load it and stores it in
the database once, with who imported it; `activate` makes a stored snapshot the one new
documents are routed with (recorded with who and when); `diff` compares two directory
snapshots agency by agency (files, folders, or ids of stored snapshots).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from docroute.snapshot_store import NotStoredError, activate, activations, listing, store, stored
from foundation.database import transaction
from foundation.migrate import migrated_sessions
from foundation.models import DataSnapshot
from foundation.settings import get_settings
from rules.cli import directory_app, rules_app
from rules.defaults import DATA, DEFAULT_RULES
from rules.snapshots import Snapshot, SnapshotError, agencies_of, diff, from_json, of_folder
from rules.snapshots import validate as validate_snapshot


def register(app: typer.Typer) -> None:
    """The commands live under `docroute directory` and `docroute rules` (rules/cli.py)."""
    directory_app.command("export")(export_directory)
    directory_app.command("import")(import_directory)
    directory_app.command("diff")(diff_directories)
    directory_app.command("snapshots")(list_snapshots)
    directory_app.command("activate")(activate_directory)
    rules_app.command("import")(import_rules)
    rules_app.command("activate")(activate_rules)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"docroute: {message}", err=True)
    return typer.Exit(2)


def export_directory(
    path: Annotated[Path, typer.Argument(help="Data folder (default: the shipped data).")] = DATA,
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Print (or write) the snapshot of a directory folder: its files and content id."""
    if not path.exists():
        raise _fail(f"{path}: no such file or folder")
    text = json.dumps(of_folder("directory", path).to_json(), ensure_ascii=False, indent=1)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")


def _read(source: str) -> Snapshot:
    """A snapshot from a JSON export, a data folder, or the id of a stored snapshot."""
    path = Path(source)
    if path.is_dir():
        return of_folder("directory", path)
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise SnapshotError([f"{path}: not readable JSON: {exc}"]) from None
        return from_json(data, str(path))
    found = asyncio.run(_stored(source))
    if found is None:
        raise SnapshotError([f"{source}: no such file, folder or stored snapshot id"])
    return found


async def _stored(snapshot_id: str) -> Snapshot | None:
    async with (
        migrated_sessions(get_settings().database_url) as sessions,
        transaction(sessions) as session,
    ):
        return await stored(session, snapshot_id)


def _import(snapshot: Snapshot, by: str, note: str | None) -> tuple[str, bool, int]:
    size = validate_snapshot(snapshot)

    async def save() -> bool:
        async with (
            migrated_sessions(get_settings().database_url) as sessions,
            transaction(sessions) as session,
        ):
            return await store(session, snapshot, by, note)

    return snapshot.id, asyncio.run(save()), size


def import_directory(
    source: Annotated[str, typer.Argument(help="Snapshot JSON (from export) or data folder.")],
    by: Annotated[str, typer.Option("--by", help="Who imports it (kept with the snapshot).")],
    note: Annotated[str | None, typer.Option(help="Why (kept with the snapshot).")] = None,
) -> None:
    """Validate a directory snapshot and store it in the service's database, once."""
    try:
        snapshot = _read(source)
        if snapshot.kind != "directory":
            raise SnapshotError([f"{source}: a '{snapshot.kind}' snapshot, not a directory"])
        snapshot_id, new, size = _import(snapshot, by, note)
    except SnapshotError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise _fail(f"{source}: not imported") from None
    state = "imported" if new else "already stored"
    typer.echo(f"directory snapshot {snapshot_id}: {state} ({size} agencies) by {by}")


def import_rules(
    path: Annotated[Path, typer.Argument(help="Rule-set file.")] = DEFAULT_RULES,
    by: Annotated[str, typer.Option("--by", help="Who imports it.")] = "",
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
) -> None:
    """Validate a rule-set file and store its snapshot in the service's database, once."""
    if not by:
        raise _fail("--by is required: say who imports the rule set")
    try:
        snapshot_id, new, size = _import(of_folder("rules", path), by, note)
    except (SnapshotError, OSError) as exc:
        for problem in getattr(exc, "problems", [str(exc)]):
            typer.echo(problem, err=True)
        raise _fail(f"{path}: not imported") from None
    state = "imported" if new else "already stored"
    typer.echo(f"rules snapshot {snapshot_id}: {state} ({size} rules) by {by}")


def diff_directories(
    old: Annotated[str, typer.Argument(help="Snapshot JSON, data folder or stored id.")],
    new: Annotated[str, typer.Argument(help="Snapshot JSON, data folder or stored id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Agencies added, removed and changed (with the changed fields) from OLD to NEW."""
    try:
        before, after = agencies_of(_read(old)), agencies_of(_read(new))
    except SnapshotError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise _fail("cannot compare") from None
    result = diff(before, after)
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    for agency_id in result.added:
        typer.echo(f"+ {agency_id}  {after[agency_id].name}")
    for agency_id in result.removed:
        typer.echo(f"- {agency_id}  {before[agency_id].name}")
    for agency_id, fields in result.changed.items():
        typer.echo(f"~ {agency_id}  {', '.join(fields)}")
    typer.echo(
        f"{len(result.added)} added, {len(result.removed)} removed, "
        f"{len(result.changed)} changed"
    )


def list_snapshots() -> None:
    """The stored snapshots, newest first: id, kind, when, by whom; those in force marked."""

    async def rows() -> tuple[list[DataSnapshot], set[str]]:
        async with (
            migrated_sessions(get_settings().database_url) as sessions,
            transaction(sessions) as session,
        ):
            active = await activations(session)
            return await listing(session), {a.snapshot_id for a in active.values()}

    found, active = asyncio.run(rows())
    for row in found:
        note = f"  ({row.note})" if row.note else ""
        when = f"{row.created_at:%Y-%m-%d %H:%M}"
        mark = "  [in force]" if row.id in active else ""
        typer.echo(f"{row.id}  {row.kind:<9} {when} {row.imported_by}{note}{mark}")


def _activate(kind: str, snapshot_id: str, by: str, note: str | None) -> None:
    if not by.strip():
        raise _fail("--by is required: say who activates the snapshot")

    async def save() -> str:
        async with (
            migrated_sessions(get_settings().database_url) as sessions,
            transaction(sessions) as session,
        ):
            row = await activate(session, snapshot_id, by, note, kind)
            return f"{row.activated_at:%Y-%m-%d %H:%M} UTC"

    try:
        when = asyncio.run(save())
    except NotStoredError as error:
        raise _fail(str(error)) from None
    typer.echo(f"{kind} snapshot {snapshot_id}: in force from {when}, activated by {by}; "
               "new documents are routed with it")


def activate_directory(
    snapshot_id: Annotated[str, typer.Argument(help="Id of a stored directory snapshot.")],
    by: Annotated[str, typer.Option("--by", help="Who activates it (kept).")],
    note: Annotated[str | None, typer.Option(help="Why (kept).")] = None,
) -> None:
    """Route new documents with a stored directory snapshot (recorded with who and when)."""
    _activate("directory", snapshot_id, by, note)


def activate_rules(
    snapshot_id: Annotated[str, typer.Argument(help="Id of a stored rule-set snapshot.")],
    by: Annotated[str, typer.Option("--by", help="Who activates it (kept).")],
    note: Annotated[str | None, typer.Option(help="Why (kept).")] = None,
) -> None:
    """Route new documents with a stored rule-set snapshot (recorded with who and when)."""
    _activate("rules", snapshot_id, by, note)
