"""`docroute users ...`: accounts for people who sign in to the web interface."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from docroute.people import add_person
from docroute.service_cli import _run
from foundation.errors import ClerkError
from foundation.models import Person, Role
from foundation.settings import get_settings
from router.data_in_force import in_force_over

users_app = typer.Typer(help="People who sign in to the web interface.")


def register(app: typer.Typer) -> None:
    """Add the `users` commands to the `docroute` app."""
    app.add_typer(users_app, name="users")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def users_add(
    username: str,
    name: Annotated[str, typer.Option(help="Full name, as shown on pages and in histories.")],
    role: Annotated[Role, typer.Option(help="sender, agency, auditor or admin.")],
    agency: Annotated[str | None, typer.Option(help="Directory id (senders, agencies).")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account (the first admin is made this way; later ones from the admin page)."""
    if agency:  # before the password is asked for
        _run(lambda session: _check_agency(session, agency))
    password = _password(password_stdin)

    async def add(session: AsyncSession) -> str:
        person = await add_person(session, username, name, role, agency, password)
        return f"created {person.username} ({person.role}{', ' + agency if agency else ''})"

    typer.echo(_run(add))


async def _check_agency(session: AsyncSession, agency: str) -> None:
    """422 unless the agency is in the directory in force (an activated snapshot's, else the
    service's files), as the admin page's people form checks it."""
    settings = get_settings()
    routing = await in_force_over(session, settings.directory_path, settings.rules_path)
    if not routing.agency_known(agency):
        raise ClerkError(422, "unknown_agency", f"agency {agency!r} is not in the directory.")


@users_app.command("list")
def users_list() -> None:
    """Every account with its role, agency and lock state."""

    async def rows(session: AsyncSession) -> list[str]:
        people = (await session.exec(select(Person).order_by(Person.username))).all()
        return ["\t".join(_columns(p)) for p in people]

    for line in _run(rows):
        typer.echo(line)


def _columns(person: Person) -> list[str]:
    locked = person.locked_until
    columns = [person.username, person.role, person.agency_id or "-", person.name]
    return columns + ([f"locked until {locked.isoformat()}"] if locked else [])


@users_app.command("unlock")
def users_unlock(username: str) -> None:
    """Lift a lock-out after failed sign-ins."""

    async def unlock(session: AsyncSession) -> str:
        person = (await session.exec(select(Person).where(Person.username == username))).first()
        if person is None:
            raise ClerkError(404, "no_user", f"No account named {username!r}.")
        person.locked_until, person.failed_logins = None, 0
        session.add(person)
        return f"unlocked {username}"

    typer.echo(_run(unlock))
