"""GET /health (the process answers) and GET /ready (database and broker reachable)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from docroute.api.deps import ServiceDep

api = APIRouter(tags=["health"])


@api.get("/health", summary="Alive")
async def health() -> dict[str, str]:
    """Always ok while the process serves requests."""
    return {"status": "ok"}


@api.get("/ready", summary="Database and broker reachable")
async def ready(service: ServiceDep) -> JSONResponse:
    """200 when both the database and the broker answer, 503 naming what does not."""
    checks: dict[str, Any] = {}
    try:
        async with service.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # any failure means not ready; say which
        checks["database"] = f"unreachable: {error.__class__.__name__}"
    checks["broker"] = "ok" if await service.broker.ready() else "unreachable"
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not ready", **checks}, status_code=200 if ok else 503
    )
