"""Every error leaves the API as JSON `{"code": ..., "detail": ...}` a clerk can act on."""

from __future__ import annotations

import uuid

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from foundation.database import (
    DATABASE_FAULTS,
    is_outage,
    pool_exhausted,
    refused_value,
    timed_out,
)
from foundation.errors import ClerkError

log = structlog.get_logger(__name__)


# Seconds a client is asked to wait while the database is unreachable, or busy.
RETRY_AFTER = 5


def _problem(status: int, code: str, detail: str, **extra: object) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": str(RETRY_AFTER)}
    return JSONResponse({"code": code, "detail": detail, **extra}, status, headers=headers)


def _unavailable() -> JSONResponse:
    return _problem(503, "database_unavailable",
                    "The service cannot reach its database just now; nothing was changed. "
                    f"Try again in {RETRY_AFTER} seconds.")


def _busy(why: str) -> JSONResponse:
    return _problem(503, "database_busy",
                    f"The service is busy: {why}. Nothing was changed; "
                    f"try again in {RETRY_AFTER} seconds.")


def _field_messages(error: RequestValidationError) -> list[str]:
    messages = []
    for item in error.errors():
        where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        messages.append(f"{where or 'body'}: {item.get('msg', 'invalid')}")
    return messages


def install_error_handlers(app: FastAPI) -> None:
    """Register the JSON error handlers on the app."""

    @app.exception_handler(ClerkError)
    async def clerk_error(_request: Request, error: ClerkError) -> JSONResponse:
        return _problem(error.status, error.code, error.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        messages = _field_messages(error)
        return _problem(422, "invalid_request", "; ".join(messages), errors=messages)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, error: HTTPException) -> JSONResponse:
        return _problem(error.status_code, "http_error", str(error.detail))

    async def database_error(request: Request, error: Exception) -> JSONResponse:
        # Registered per class (not under Exception), so Starlette answers and does not
        # re-raise: an outage is a 503 with Retry-After and a log line, not a traceback.
        service = request.app.state.service
        if refused_value(error):  # a value the database cannot store: the caller's to fix
            log.warning("value_refused_by_database", path=request.url.path, error=repr(error)[:300])
            return _problem(422, "invalid_value", "A value in the request cannot be stored "
                            "(a NUL character, or longer than its field allows); correct it.")
        where = {"path": request.url.path, "error": repr(error)[:300]}
        if pool_exhausted(error):  # the pool says so itself: no probe, which would queue too
            log.warning("database_busy", **where)
            return _busy("all its database connections are in use")
        # A timeout (an outage by is_outage) may be a database gone silent or one slow to
        # connect under a burst: only a probe of its own, outside the pool, tells them apart.
        if timed_out(error) and await service.database_answers():
            log.warning("database_busy", **where)
            return _busy("its database is slow to answer just now")
        if is_outage(error) or not await service.database_reachable():
            log.warning("database_unavailable", **where)
            return _unavailable()
        return await unexpected(request, error)

    for fault in DATABASE_FAULTS:
        app.add_exception_handler(fault, database_error)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, error: Exception) -> JSONResponse:
        reference = uuid.uuid4().hex[:12]
        log.exception("unexpected_error", reference=reference)
        return _problem(
            500, "internal_error", f"Something went wrong on our side; quote reference {reference}."
        )
