"""The `docroute` command: one Typer app that gathers the rules engine's and the service's commands."""

from __future__ import annotations

import typer

from router import service_cli
from rules import cli as rules_cli

app = typer.Typer(
    name="docroute",
    help="Route official documents to the agencies their Nơi nhận block names.",
    no_args_is_help=True,
)
rules_cli.register(app)
service_cli.register(app)


def main() -> None:
    """Entry point of the `docroute` console script."""
    app()
