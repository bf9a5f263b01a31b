"""Issuing and checking bearer tokens; only their SHA-256 is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, or_
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


# Built once, with parameters: every API request looks its caller up, and building and
# keying the statement each time, then loading an ApiToken object, cost more than the
# round trip's own work in the API's profile. Three columns are all a caller needs.
_CALLER = select(col(ApiToken.id), col(ApiToken.role), col(ApiToken.agency_id)).where(
    col(ApiToken.token_hash) == bindparam("token_hash"), col(ApiToken.revoked_at).is_(None),
    or_(col(ApiToken.expires_at).is_(None), col(ApiToken.expires_at) > bindparam("now")),
)


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
