"""Issuing and checking bearer tokens; only their SHA-256 is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_
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
    query = select(ApiToken).where(
        ApiToken.token_hash == _digest(token), col(ApiToken.revoked_at).is_(None),
        or_(col(ApiToken.expires_at).is_(None), col(ApiToken.expires_at) > utcnow()),
    )
    row = (await session.exec(query)).first()
    if row is None or row.id is None:
        return None
    return Caller(token_id=row.id, role=Role(row.role), agency_id=row.agency_id)


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
