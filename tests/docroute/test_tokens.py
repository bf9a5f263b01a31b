"""Tokens belong to one office, expire, and can be revoked from the CLI or by an admin."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col

from docroute.service import Service
from foundation.database import transaction
from foundation.errors import ClerkError
from foundation.models import ApiToken, Role
from foundation.models.clock import utcnow
from foundation.tokens import issue_token, revoke_token


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
