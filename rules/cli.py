"""`docroute expand`, `docroute directory check` and `docroute rules check`."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from rules.defaults import DATA, DEFAULT_RULES, national_directory
from rules.directory import Directory, DirectoryError, load_directory
from rules.document import Document, read_document
from rules.expansion import UnknownSenderError, expand
from rules.national import directory_at, load_national
from rules.provinces import choose
from rules.report import render
from rules.ruleset import RuleSetError, load_ruleset
from rules.sources import SourceError, text_from_file

directory_app = typer.Typer(help="Agency directory files.", no_args_is_help=True)
rules_app = typer.Typer(help="Rule-set files.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the rules engine's commands to the `docroute` app."""
    app.command("expand")(expand_command)
    app.add_typer(directory_app, name="directory")
    app.add_typer(rules_app, name="rules")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"docroute: {message}", err=True)
    return typer.Exit(2)


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(f"--as-of '{value}' is not a date; write YYYY-MM-DD") from None


def expand_command(
    file: Annotated[Path, typer.Argument(help="The document: .txt (UTF-8), .docx, .pdf or .doc.")],
    directory: Annotated[
        Path | None,
        typer.Option(help="Directory file or folder (default: the shipped national data)."),
    ] = None,
    rules: Annotated[Path, typer.Option(help="Rule-set file.")] = DEFAULT_RULES,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD.")] = None,
    sender: Annotated[str | None, typer.Option(help="Agency id of the sender.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Expand a document's Kính gửi and Nơi nhận lines into agencies, with reasons."""
    day = _date(as_of)
    try:
        document = read_document(text_from_file(file))
        found = _directory_for(document, directory, sender, day)
        ruleset = load_ruleset(rules)
        expansion = expand(document, found, ruleset, as_of=day, sender=sender)
    except (SourceError, UnknownSenderError) as exc:
        raise _fail(str(exc)) from None
    except (DirectoryError, RuleSetError) as exc:
        raise _fail("\n".join(exc.problems)) from None
    if as_json:
        typer.echo(json.dumps(expansion.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(render(expansion))


def _directory_for(
    document: Document, path: Path | None, sender: str | None, day: dt.date | None
) -> Directory:
    """The given directory, else the shipped national data's directory for this document."""
    if path is not None:
        return directory_at(path)
    return choose(national_directory(), document, sender, day).directory


@directory_app.command("check")
def directory_check(
    path: Annotated[
        Path,
        typer.Argument(help="Directory file or folder, or rules/data for the national data."),
    ] = DATA,
) -> None:
    """Validate a directory; errors name the file, the line of the entry and the field.

    On the national data (a folder holding national/provinces.yaml) every province's
    directory is assembled and checked, and the unconfirmed entries are counted per province."""
    if (path / "national" / "provinces.yaml").is_file():
        _national_check(path)
        return
    national_root = path.parent if (path.parent / "national" / "provinces.yaml").is_file() else None
    try:
        # A province's own folder links into the national data: checked assembled with it.
        found = load_directory(path, check_links=national_root is None)
        if national_root is not None and (problems := load_national(national_root).check()[0]):
            raise DirectoryError(problems)
    except DirectoryError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        typer.echo(f"docroute: {len(exc.problems)} problem(s) in {path}", err=True)
        raise typer.Exit(1) from None
    kinds = Counter(a.kind for a in found)
    unconfirmed = sum(1 for a in found if not a.confirmed)
    summary = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    typer.echo(f"{path}: ok, {len(found.agencies)} agencies ({summary}); {unconfirmed} unconfirmed")


def _national_check(root: Path) -> None:
    try:
        national = load_national(root)
        problems, counts = national.check()
    except DirectoryError as exc:
        problems, counts = exc.problems, {}
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        typer.echo(f"docroute: {len(problems)} problem(s) in {root}", err=True)
        raise typer.Exit(1)
    typer.echo("province  entries  unconfirmed")
    for prefix, (entries, unconfirmed) in counts.items():
        typer.echo(f"{prefix:<8} {entries:8d} {unconfirmed:12d}")
    total = sum(e for e, _ in counts.values()), sum(u for _, u in counts.values())
    typer.echo(f"{root}: ok, {len(national.provinces)} provinces and the centre; "
               f"{total[0]} entries, {total[1]} unconfirmed")


@rules_app.command("check")
def rules_check(path: Annotated[Path, typer.Argument(help="Rule-set file.")]) -> None:
    """Validate a rule-set file; errors name the file, the rule and the field."""
    try:
        ruleset = load_ruleset(path)
    except RuleSetError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1) from None
    flags = ", ".join(f"{k}={v}" for k, v in sorted(ruleset.policy.items()))
    typer.echo(
        f"{path}: ok, {ruleset.id} {ruleset.version}, {len(ruleset.rules)} rules; policy {flags}"
    )
