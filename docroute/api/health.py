"""GET /health (the process answers) and GET /ready (database and broker reachable)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from docroute.api.deps import ServiceDep
from docroute.api.schemas import Health, Readiness, answers

api = APIRouter(tags=["health"])
READY_TIMEOUT = 1.0


@api.get("/health", summary="Alive", **answers(Health))
async def health() -> dict[str, str]:
    """Always ok while the process serves requests."""
    return {"status": "ok"}


@api.get("/ready", summary="Database and broker reachable", **answers(Readiness),
         responses={503: {"model": Readiness, "description": "not ready, naming what"}})
async def ready(service: ServiceDep) -> JSONResponse:
    """200 when both the database and the broker answer, 503 naming what does not. A database
    that answers while this process has no free connection to it is `busy`, not
    `unreachable`: an operator then looks at the load, not at the database server."""
    checks: dict[str, Any] = {}
    # A fresh round trip each time, within a second: a pooled connection that died with a
    # restarted database is pinged and replaced, so even a one-second outage shows.
    if await service.database_reachable(timeout=READY_TIMEOUT):
        checks["database"] = "ok"
    else:  # no pooled connection within the second: every one in use, or no database?
        checks["database"] = "busy" if await service.database_answers() else "unreachable"
    checks["broker"] = "ok" if await service.broker.ready() else "unreachable"
    ok = all(value == "ok" for value in checks.values())
    headers = None if ok else {"Retry-After": "5"}
    return JSONResponse(
        {"status": "ready" if ok else "not ready", **checks}, status_code=200 if ok else 503,
        headers=headers,
    )
