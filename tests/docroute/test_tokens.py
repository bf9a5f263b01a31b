"""Tokens belong to one office, expire, and can be revoked from the CLI or by an admin."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col

from docroute.service import Service
from foundation.database import engine_of, single_statement_sessions, transaction
from foundation.errors import ClerkError
from foundation.migrate import migrated_sessions
from foundation.models import ApiToken, Role
from foundation.models.clock import utcnow
from foundation.tokens import find_caller, issue_token, revoke_token


async def _issue(service: Service, role: Role, agency: str | None = None,
                 days: float | None = None) -> str:
    async with transaction(service.sessions) as session:
        return await issue_token(session, role, agency, days)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_sender_token_without_an_office_is_refused(embedded_service: Service) -> None:
    """Issuing a sender (or agency) token without --agency is refused: it could send as any
    office."""
    for role in (Role.SENDER, Role.AGENCY):
        with pytest.raises(ClerkError, match="belongs to one office"):
            await _issue(embedded_service, role)


async def test_expired_and_revoked_tokens_get_401(
    embedded_service: Service, embedded_client: httpx.AsyncClient
) -> None:
    """A token past its expiry is refused; one revoked by an admin through the API is
    refused from the next request; the admin list shows both, never a token."""
    service, client = embedded_service, embedded_client
    expiring = await _issue(service, Role.AUDITOR, days=1)
    assert (await client.get("/v1/audit/scorecard", headers=_bearer(expiring))).status_code \
        == 200
    async with transaction(service.sessions) as session:
        await session.exec(update(ApiToken).where(col(ApiToken.expires_at).is_not(None))
                           .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    refused = await client.get("/v1/audit/scorecard", headers=_bearer(expiring))
    assert refused.status_code == 401
    admin = _bearer(await _issue(service, Role.ADMIN))
    victim = await _issue(service, Role.AGENCY, "kh.so-noi-vu")
    assert (await client.get("/v1/inbox", headers=_bearer(victim))).status_code == 200
    listed = (await client.get("/v1/admin/tokens", headers=admin)).json()["tokens"]
    victim_id = next(t["id"] for t in listed if t["agency_id"] == "kh.so-noi-vu")
    assert victim not in str(listed)
    revoked = await client.post(f"/v1/admin/tokens/{victim_id}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert (await client.get("/v1/inbox", headers=_bearer(victim))).status_code == 401
    forbidden = await client.post(f"/v1/admin/tokens/{victim_id}/revoke",
                                  headers=_bearer(await _issue(service, Role.AUDITOR)))
    assert forbidden.status_code == 403


async def test_revoke_by_the_token_itself(embedded_service: Service, tokens: Any) -> None:
    """`docroute tokens revoke TOKEN` finds the token by its hash; an unknown one is a 404."""
    token = await _issue(embedded_service, Role.AUDITOR)
    async with transaction(embedded_service.sessions) as session:
        row = await revoke_token(session, token)
    assert row.revoked_at is not None
    async with transaction(embedded_service.sessions) as session:
        with pytest.raises(ClerkError, match="No token"):
            await revoke_token(session, "dr_unknown")


async def test_each_lookup_binds_its_own_token_and_time(pg_url: str) -> None:
    """The caller lookup is one statement built once (PostgreSQL, outside a transaction):
    each call finds its own token's caller, and revocation and expiry count at once."""
    async with migrated_sessions(pg_url) as sessions:
        async with transaction(sessions) as session:
            sender = await issue_token(session, Role.SENDER, "kh.ubnd-tinh")
            agency = await issue_token(session, Role.AGENCY, "kh.so-noi-vu", 1)
            admin = await issue_token(session, Role.ADMIN, None)
        lookups = single_statement_sessions(engine_of(sessions))

        async def caller(token: str) -> tuple[Role, str | None] | None:
            async with lookups() as session:
                found = await find_caller(session, token)
            return (found.role, found.agency_id) if found else None

        assert [await caller(t) for t in (sender, agency, admin, "dr_unknown")] == [
            (Role.SENDER, "kh.ubnd-tinh"), (Role.AGENCY, "kh.so-noi-vu"), (Role.ADMIN, None), None]
        async with transaction(sessions) as session:
            await revoke_token(session, admin)
            await session.exec(update(ApiToken).where(col(ApiToken.expires_at).is_not(None))
                               .values(expires_at=utcnow() + dt.timedelta(seconds=1)))
        assert [await caller(t) for t in (sender, agency, admin)] == [
            (Role.SENDER, "kh.ubnd-tinh"), (Role.AGENCY, "kh.so-noi-vu"), None]
        async with transaction(sessions) as session:
            await session.exec(update(ApiToken).where(col(ApiToken.expires_at).is_not(None))
                               .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        assert await caller(agency) is None
