"""Admin routes for API tokens: list them, revoke one (issuing stays on the CLI, which
prints the token once)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path

from docroute.api.deps import CallerDep, ServiceDep, require
from docroute.api.schemas import Tokens, TokenView, answers
from foundation.database import transaction
from foundation.models import Role
from foundation.tokens import list_tokens, revoke_token, token_view

api = APIRouter(prefix="/v1/admin/tokens", tags=["admin"])


@api.get("", summary="Every token's id, role, office and dates (admin)", **answers(Tokens))
async def tokens(caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    """The tokens, never their values (only hashes are kept)."""
    require(caller, Role.ADMIN)
    async with service.sessions() as session:
        return {"tokens": await list_tokens(session)}


@api.post("/{token_id}/revoke", summary="Revoke a token (admin)", **answers(TokenView))
async def revoke(
    caller: CallerDep, service: ServiceDep,
    # Token ids are PostgreSQL integers: a larger number is a 422 on every stack (SQLite
    # cannot even compare one past 64 bits).
    token_id: int = Path(ge=1, le=2**31 - 1),
) -> dict[str, Any]:
    """Refuse the token from the next request on; revoking twice changes nothing."""
    require(caller, Role.ADMIN)
    async with transaction(service.sessions) as session:
        row = await revoke_token(session, str(token_id))
    return token_view(row)
