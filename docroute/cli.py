"""The `docroute` command: one Typer app with the rules engine's, the service's and the audit's
commands."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from docroute.audit_cli import register as register_audit
from docroute.edxml_cli import register as register_edxml
from docroute.people_cli import register as register_people
from docroute.revisions_cli import register as register_revisions
from docroute.service_cli import register as register_service
from docroute.snapshot_cli import register as register_snapshots
from foundation.settings import SettingsError
from rules.cli import register as register_rules

app = typer.Typer(
    name="docroute",
    help="Route official documents to the agencies their Nơi nhận block names.",
    no_args_is_help=True,
)
register_rules(app)
register_snapshots(app)
register_service(app)
register_audit(app)
register_people(app)
register_edxml(app)
register_revisions(app)


def main() -> None:
    """Entry point of the `docroute` console script."""
    try:
        app()
    except ValidationError as error:  # DOCROUTE_* settings that cannot work
        problems = "; ".join(_problem(error.title, detail) for detail in error.errors())
        typer.echo(f"docroute: refused settings: {problems}", err=True)
        raise SystemExit(2) from None
    except SettingsError as error:  # checked when a service starts (the signing secret)
        typer.echo(f"docroute: refused settings: {error}", err=True)
        raise SystemExit(2) from None


def _problem(model: str, detail: ErrorDetails) -> str:
    """One settings error, named by its environment variable when it is one of ours."""
    field = ".".join(map(str, detail["loc"]))
    where = f"DOCROUTE_{field.upper()}" if field and model == "Settings" else field
    message = str(detail["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
