"""The `docroute` command: one Typer app with the rules engine's, the service's and the audit's
commands."""

from __future__ import annotations

import typer

from audit.cli import register as register_audit
from router.service_cli import register as register_service
from rules.cli import register as register_rules

app = typer.Typer(
    name="docroute",
    help="Route official documents to the agencies their Nơi nhận block names.",
    no_args_is_help=True,
)
register_rules(app)
register_service(app)
register_audit(app)


def main() -> None:
    """Entry point of the `docroute` console script."""
    app()
