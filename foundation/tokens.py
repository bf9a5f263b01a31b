"""Issuing and checking bearer tokens; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.errors import ClerkError
from foundation.models import ApiToken, Role


@dataclass(frozen=True)
class Caller:
    """Who is calling: a role and, for agencies and senders, which agency."""

    token_id: int
    role: Role
    agency_id: str | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(session: AsyncSession, role: Role, agency_id: str | None) -> str:
    """Store a new token's hash and return the token (it cannot be shown again)."""
    if role == Role.AGENCY and not agency_id:
        raise ClerkError(422, "agency_required", "An agency token needs --agency ID.")
    token = "dr_" + secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=_digest(token), role=role, agency_id=agency_id))
    await session.flush()
    return token


async def find_caller(session: AsyncSession, token: str) -> Caller | None:
    """The caller a token belongs to, or None when it is unknown or revoked."""
    query = select(ApiToken).where(
        ApiToken.token_hash == _digest(token), col(ApiToken.revoked_at).is_(None)
    )
    row = (await session.exec(query)).first()
    if row is None or row.id is None:
        return None
    return Caller(token_id=row.id, role=Role(row.role), agency_id=row.agency_id)
