"""FastAPI dependencies: the database session, the running service and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from docroute.service import Service
from foundation.errors import ClerkError
from foundation.models import Role
from foundation.tokens import Caller, find_caller


def get_service(request: Request) -> Service:
    """The service this app belongs to."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


async def get_session(service: ServiceDep) -> AsyncIterator[AsyncSession]:
    """A session for the request."""
    async with service.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def current_caller(request: Request, service: ServiceDep) -> Caller:
    """The caller of a bearer token, or 401 saying what is wrong with the header."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ClerkError(401, "missing_token", "Send 'Authorization: Bearer <token>'.")
    # A session of its own, closed at once: on SQLite an open session holds the write lock,
    # and the route behind this check opens its own transaction. One statement: on
    # PostgreSQL it needs no transaction around it (one round trip, not three).
    async with service.single_statements() as session:
        caller = await find_caller(session, token.strip())
    if caller is None:
        raise ClerkError(401, "bad_token", "The token is unknown or revoked; ask for a new one.")
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


def require(caller: Caller, *roles: Role) -> None:
    """403 unless the caller has one of the roles (admins always pass)."""
    if caller.role != Role.ADMIN and caller.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise ClerkError(
            403, "forbidden", f"A {caller.role.value} token cannot do this; it needs: {allowed}."
        )
