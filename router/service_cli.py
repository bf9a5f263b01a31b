"""Service commands of `docroute` (serve, workers, tokens, agencies, deliveries)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the service's commands to the `docroute` app (filled in by the service work)."""
    del app
