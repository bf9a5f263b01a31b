"""`docroute expand`, `docroute directory check` and `docroute rules check`."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from rules.defaults import DEFAULT_DIRECTORY, DEFAULT_RULES
from rules.directory import DirectoryError, load_directory
from rules.document import read_document
from rules.expansion import UnknownSenderError, expand
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
    file: Annotated[Path, typer.Argument(help="The document: .txt (UTF-8), .docx or .pdf.")],
    directory: Annotated[Path, typer.Option(help="Directory file or folder.")] = DEFAULT_DIRECTORY,
    rules: Annotated[Path, typer.Option(help="Rule-set file.")] = DEFAULT_RULES,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD.")] = None,
    sender: Annotated[str | None, typer.Option(help="Agency id of the sender.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Expand a document's Kính gửi and Nơi nhận lines into agencies, with reasons."""
    day = _date(as_of)
    try:
        text = text_from_file(file)
        found = load_directory(directory)
        ruleset = load_ruleset(rules)
        expansion = expand(read_document(text), found, ruleset, as_of=day, sender=sender)
    except (SourceError, UnknownSenderError) as exc:
        raise _fail(str(exc)) from None
    except (DirectoryError, RuleSetError) as exc:
        raise _fail("\n".join(exc.problems)) from None
    if as_json:
        typer.echo(json.dumps(expansion.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(render(expansion))


@directory_app.command("check")
def directory_check(
    path: Annotated[Path, typer.Argument(help="Directory file or folder.")],
) -> None:
    """Validate a directory; errors name the file, the line of the entry and the field."""
    try:
        found = load_directory(path)
    except DirectoryError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        typer.echo(f"docroute: {len(exc.problems)} problem(s) in {path}", err=True)
        raise typer.Exit(1) from None
    kinds = Counter(a.kind for a in found)
    unconfirmed = sum(1 for a in found if not a.confirmed)
    summary = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    typer.echo(f"{path}: ok, {len(found.agencies)} agencies ({summary}); {unconfirmed} unconfirmed")


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
