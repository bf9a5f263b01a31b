"""FastAPI dependencies: the database session, the running service and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from docroute.service import Service
from foundation.errors import ClerkError
from foundation.models import Role
from foundation.tokens import Caller, CallerCache, bad_token, find_caller, token_valid


async def get_service(request: Request) -> Service:
    """The service this app belongs to (async: FastAPI runs a plain function dependency in
    its thread pool, a thread hop per request for an attribute read)."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


async def get_session(service: ServiceDep) -> AsyncIterator[AsyncSession]:
    """A session for the request."""
    async with service.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def _bearer(request: Request) -> str:
    """The request's bearer token, or 401 saying what is wrong with the header."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ClerkError(401, "missing_token", "Send 'Authorization: Bearer <token>'.")
    return token.strip()


async def current_caller(request: Request, service: ServiceDep) -> Caller:
    """The caller of a bearer token, or 401 saying what is wrong with the header."""
    token = _bearer(request)
    # A session of its own, closed at once: on SQLite an open session holds the write lock,
    # and the route behind this check opens its own transaction. One statement: on
    # PostgreSQL it needs no transaction around it (one round trip, not three).
    async with service.single_statements() as session:
        caller = await find_caller(session, token)
    if caller is None:
        raise bad_token()
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


def callers(request: Request) -> CallerCache:
    """The app's cache of who each token belongs to (foundation.tokens.CallerCache)."""
    state = request.app.state
    if not hasattr(state, "callers"):
        state.callers = CallerCache()
    cache: CallerCache = state.callers
    return cache


async def submitting_caller(request: Request, service: ServiceDep) -> Caller:
    """The caller of a bearer token, for a route whose write checks the token itself: a token
    seen before is not looked up again (`checked` False), the submission's insert refuses it
    if it has been revoked or has expired since (docroute.submission), so revocation counts
    from the next request without a round trip per request. 401 as `current_caller`."""
    token = _bearer(request)
    cache = callers(request)
    if (caller := cache.get(token)) is not None:
        return caller
    async with service.single_statements() as session:
        caller = await cache.look_up(session, token)
    if caller is None:
        raise bad_token()
    return caller


SubmittingCallerDep = Annotated[Caller, Depends(submitting_caller)]


async def token_still_valid(service: Service, caller: Caller) -> bool:
    """Whether the caller's token is still neither revoked nor expired (one lookup)."""
    async with service.single_statements() as session:
        return await token_valid(session, caller.token_id)


async def still_valid(service: Service, caller: Caller) -> None:
    """401 when an unchecked caller's token has been revoked or has expired (for what the
    route does without a write that checks it)."""
    if not caller.checked and not await token_still_valid(service, caller):
        raise bad_token()


def require(caller: Caller, *roles: Role) -> None:
    """403 unless the caller has one of the roles (admins always pass)."""
    if caller.role != Role.ADMIN and caller.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise ClerkError(
            403, "forbidden", f"A {caller.role.value} token cannot do this; it needs: {allowed}."
        )
