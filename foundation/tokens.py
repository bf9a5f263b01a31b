"""Issuing and checking bearer tokens; only their SHA-256 is stored.

Who a token belongs to (its row's id, role and office) never changes once it is issued;
whether it is still valid (not revoked, not expired) does. `CallerCache` keeps only the
former: a caller taken from it is `checked=False`, and the write it is used for checks the
token's validity in the same statement (`VALID_TOKEN`), so a revocation counts from the
next request exactly as a lookup per request would, without that lookup's round trip.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.errors import ClerkError
from foundation.models import ApiToken, Role
from foundation.models.clock import utcnow


@dataclass(frozen=True)
class Caller:
    """Who is calling: a role and, for agencies and senders, which agency."""

    token_id: int
    role: Role
    agency_id: str | None
    # False when taken from a CallerCache: the token may have been revoked or expired since,
    # and what is done in its name must check it again (`VALID_TOKEN`, `token_valid`).
    checked: bool = True


BAD_TOKEN = "The token is unknown or revoked; ask for a new one."


def bad_token() -> ClerkError:
    """The 401 for a token that is unknown, revoked or expired."""
    return ClerkError(401, "bad_token", BAD_TOKEN)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(
    session: AsyncSession, role: Role, agency_id: str | None,
    expires_in_days: float | None = None,
) -> str:
    """Store a new token's hash and return the token (it cannot be shown again).

    A sender's or an agency's token always belongs to one office: without it a sender
    token could send in any office's name.
    """
    if role in (Role.AGENCY, Role.SENDER) and not agency_id:
        raise ClerkError(422, "agency_required",
                         f"A {role.value} token belongs to one office: give --agency ID.")
    if expires_in_days is not None and expires_in_days <= 0:
        raise ClerkError(422, "bad_expiry", "--expires-in-days must be more than 0.")
    token = "dr_" + secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    session.add(ApiToken(token_hash=_digest(token), role=role, agency_id=agency_id,
                         expires_at=expires))
    await session.flush()
    return token


async def find_caller(session: AsyncSession, token: str) -> Caller | None:
    """The caller a token belongs to, or None when it is unknown, revoked or expired."""
    found = (await session.exec(
        _CALLER, params={"token_hash": _digest(token), "now": utcnow()})).first()
    if found is None:
        return None
    token_id, role, agency_id = found
    if token_id is None:  # a stored row always has its id; the column type allows None
        return None
    return Caller(token_id=token_id, role=Role(role), agency_id=agency_id)


def _unrevoked_unexpired(now: ColumnElement[dt.datetime] | dt.datetime) -> ColumnElement[bool]:
    """A token row neither revoked nor expired at `now`: the one test of a token's validity."""
    return and_(col(ApiToken.revoked_at).is_(None),
                or_(col(ApiToken.expires_at).is_(None), col(ApiToken.expires_at) > now))


# Built once, with parameters: every API request looks its caller up, and building and
# keying the statement each time, then loading an ApiToken object, cost more than the
# round trip's own work in the API's profile. Three columns are all a caller needs.
_CALLER = select(col(ApiToken.id), col(ApiToken.role), col(ApiToken.agency_id)).where(
    col(ApiToken.token_hash) == bindparam("token_hash"), _unrevoked_unexpired(bindparam("now")),
)


def _valid_token(token_id: ColumnElement[int] | int, now: ColumnElement[dt.datetime]
                 ) -> ColumnElement[bool]:
    return exists().where(col(ApiToken.id) == token_id, _unrevoked_unexpired(now))


# True while the token `:token_id` is neither revoked nor expired at `:now`: a condition for a
# statement that acts in a cached caller's name (docroute.submission's insert).
VALID_TOKEN = _valid_token(bindparam("token_id", type_=ApiToken.__table__.c.id.type),  # type: ignore[attr-defined]
                           bindparam("now", type_=ApiToken.__table__.c.expires_at.type))  # type: ignore[attr-defined]


async def token_valid(session: AsyncSession, token_id: int) -> bool:
    """True while the token with this id is neither revoked nor expired."""
    found = await session.exec(select(VALID_TOKEN), params={"token_id": token_id,
                                                            "now": utcnow()})
    return bool(found.one())


class CallerCache:
    """Who each token seen before belongs to, by its hash (at most `size`, the least
    recently used forgotten first). Not whether it is still valid: see the module's doc."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._callers: OrderedDict[str, Caller] = OrderedDict()

    def get(self, token: str) -> Caller | None:
        """The token's caller, unchecked, if it was looked up before; else None."""
        key = _digest(token)
        caller = self._callers.get(key)
        if caller is not None:
            self._callers.move_to_end(key)
        return caller

    async def look_up(self, session: AsyncSession, token: str) -> Caller | None:
        """`find_caller` (checked), remembered for `get`; None when it is not valid now
        (and then forgotten)."""
        key = _digest(token)
        caller = await find_caller(session, token)
        if caller is None:
            self._callers.pop(key, None)
            return None
        self._callers[key] = replace(caller, checked=False)
        self._callers.move_to_end(key)
        while len(self._callers) > self.size:
            self._callers.popitem(last=False)
        return caller

    def forget(self, token_id: int) -> None:
        """Drop the caller of the token with this id (found revoked or expired since): its
        next request is looked up, and refused, before anything else is done."""
        for key in [k for k, caller in self._callers.items() if caller.token_id == token_id]:
            del self._callers[key]


async def revoke_token(session: AsyncSession, which: str) -> ApiToken:
    """Revoke a token named by its id (as `tokens list` shows) or by the token itself."""
    query = select(ApiToken).where(
        col(ApiToken.id) == int(which) if which.isdigit() else
        col(ApiToken.token_hash) == _digest(which))
    row = (await session.exec(query)).first()
    if row is None:
        raise ClerkError(404, "token_not_found", f"No token {which!r} (give its id or the token).")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
    return row


async def list_tokens(session: AsyncSession) -> list[dict[str, Any]]:
    """Every token's id, role, office and dates (never the token: only its hash is kept)."""
    rows = (await session.exec(select(ApiToken).order_by(col(ApiToken.id)))).all()
    return [token_view(row) for row in rows]


def token_view(row: ApiToken) -> dict[str, Any]:
    """A token as shown to admins."""
    def when(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {"id": row.id, "role": row.role, "agency_id": row.agency_id,
            "created_at": when(row.created_at), "expires_at": when(row.expires_at),
            "revoked_at": when(row.revoked_at)}
