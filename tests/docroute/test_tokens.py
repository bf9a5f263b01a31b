"""Tokens belong to one office, expire, and can be revoked from the CLI or by an admin."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col, func, select

from docroute.service import Service
from foundation.database import engine_of, single_statement_sessions, transaction
from foundation.errors import ClerkError
from foundation.migrate import migrated_sessions
from foundation.models import ApiToken, Document, OutboxMessage, Role
from foundation.models.clock import utcnow
from foundation.settings import Settings
from foundation.tokens import CallerCache, find_caller, issue_token, revoke_token, token_valid
from tests.conftest import in_process_client, running


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


_SUBMITTED = ("Số: {n}/UBND-VP\nKhánh Hòa, ngày 4 tháng 3 năm 2025\nCÔNG VĂN\nVề việc thử\n\n"
              "Nội dung.\n\nNơi nhận:\n- Sở Nội vụ;\n- Lưu: VT.\n")


async def _stored(service: Service) -> tuple[int, int]:
    """(documents, outbox rows) in the database."""
    async with service.sessions() as session:
        documents = (await session.exec(select(func.count()).select_from(Document))).one()
        messages = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
    return documents, messages


@pytest.mark.parametrize("how", ["revoked", "expired"])
async def test_a_cached_sender_token_revoked_or_expired_is_refused_at_once(
    stack: Settings, how: str
) -> None:
    """The submission route remembers who a token belongs to (no lookup per request), yet a
    token revoked or expired after its first submission is refused from the next one, and
    nothing is stored for it: a new document, a dry run and the first document sent again
    all get 401 (and so does a request refused for itself, as a lookup would answer), on
    both stacks; a valid token keeps submitting."""
    async with running(stack, relay=False, router=False, delivery=False) as service:
        token = await _issue(service, Role.SENDER, "kh.ubnd-tinh", days=1)
        other = await _issue(service, Role.SENDER, "kh.ubnd-tinh")
        async with in_process_client(service) as client:
            def post(n: int, bearer: str, dry: bool = False) -> Any:
                query = "?dry_run=true" if dry else ""
                return client.post(f"/v1/documents{query}", headers=_bearer(bearer),
                                   json={"text": _SUBMITTED.format(n=n)})

            assert (await post(1, token)).status_code == 202  # now cached
            assert (await post(2, token)).status_code == 202  # from the cache
            empty = {"text": " "}
            refused = await client.post("/v1/documents", headers=_bearer(token), json=empty)
            assert (refused.status_code, refused.json()["code"]) == (422, "empty_text")
            before = await _stored(service)
            async with transaction(service.sessions) as session:
                if how == "revoked":
                    await revoke_token(session, token)
                else:
                    await session.exec(update(ApiToken).where(col(ApiToken.expires_at)
                                                              .is_not(None))
                                       .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
            # A refusal of the request itself answers 401 first, as a lookup would (then the
            # token is forgotten: the next request is looked up).
            bad = await client.post("/v1/documents", headers=_bearer(token), json=empty)
            for answer in [bad, await post(3, token), await post(1, token),
                           await post(4, token, dry=True), await post(5, token)]:
                assert answer.status_code == 401, answer.text
                assert answer.json()["code"] == "bad_token"
            assert await _stored(service) == before
            assert (await post(6, other)).status_code == 202


async def test_a_cached_token_is_checked_again_by_a_dry_run(stack: Settings) -> None:
    """A dry run writes nothing that could check the token: a cached caller is checked by a
    lookup of its own, so a revoked token's dry run is a 401 while a valid one previews."""
    async with running(stack, relay=False, router=False, delivery=False) as service:
        token = await _issue(service, Role.SENDER, "kh.ubnd-tinh")
        async with in_process_client(service) as client:
            async def dry() -> int:
                answer = await client.post("/v1/documents?dry_run=true", headers=_bearer(token),
                                           json={"text": _SUBMITTED.format(n=1)})
                return answer.status_code

            assert [await dry(), await dry()] == [200, 200]
            async with transaction(service.sessions) as session:
                await revoke_token(session, token)
            assert await dry() == 401


async def test_caller_cache_keeps_who_not_whether_and_forgets(pg_url: str) -> None:
    """The cache gives a looked-up token's caller back unchecked, forgets the least recently
    used past its size and a token named by `forget`, and never keeps an invalid token."""
    async with migrated_sessions(pg_url) as sessions:
        async with transaction(sessions) as session:
            issued = [await issue_token(session, Role.SENDER, f"kh.o{n}") for n in range(3)]
            await revoke_token(session, issued[2])
        cache = CallerCache(size=2)
        async with sessions() as session:
            first = await cache.look_up(session, issued[0])
            assert first is not None and first.checked
            assert await cache.look_up(session, issued[2]) is None
            assert await cache.look_up(session, "dr_unknown") is None
            assert cache.get(issued[2]) is None and cache.get("dr_unknown") is None
            cached = cache.get(issued[0])
            assert cached is not None and not cached.checked
            assert (cached.token_id, cached.agency_id) == (first.token_id, "kh.o0")
            await cache.look_up(session, issued[1])
            cache.get(issued[0])  # used last: issued[1] is the one forgotten next
            third = await issue_token(session, Role.SENDER, "kh.o3")
            await session.commit()
            await cache.look_up(session, third)
            assert cache.get(issued[1]) is None and cache.get(issued[0]) is not None
            cache.forget(first.token_id)
            assert cache.get(issued[0]) is None
            assert await token_valid(session, first.token_id)
            assert not await token_valid(session, 10_000)
