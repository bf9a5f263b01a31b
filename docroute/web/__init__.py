"""The web interface: server-rendered pages in Vietnamese (Jinja2 + htmx, every asset served
from `static/`), for the sending office, the agencies, the auditors and the admins."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from docroute.web import (
    account,
    admin,
    apidocs,
    auditing,
    explaining,
    inbox,
    replaying,
    sending,
    sent,
)
from docroute.web.pages import HERE, render
from docroute.web.signin import NotSignedInError


def install_web(app: FastAPI) -> None:
    """Mount the pages, the static assets and the offline /docs on the API's app."""
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    modules = (account, sending, sent, inbox, auditing, explaining, replaying, admin, apidocs)
    for module in modules:
        app.include_router(module.pages)

    @app.exception_handler(404)
    async def not_found(request: Request, error: Exception) -> Response:
        # A person who mistypes an address gets a page saying what to do; machines (the
        # API's paths) keep the API's JSON.
        if request.url.path.startswith(("/v1/", "/health", "/ready", "/static/")):
            detail = getattr(error, "detail", "Not Found")
            return JSONResponse({"code": "http_error", "detail": str(detail)}, 404)
        message = "Không có trang này; hãy quay lại trang chủ và chọn từ thanh chức năng."
        return render(request, "error.html", 404, message=message)

    @app.exception_handler(NotSignedInError)
    async def sign_in_first(request: Request, _error: NotSignedInError) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)
