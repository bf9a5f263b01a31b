"""The web interface: server-rendered pages in Vietnamese (Jinja2 + htmx, every asset served
from `static/`), for the sending office, the agencies, the auditors and the admins."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
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
from docroute.web.pages import HERE
from docroute.web.signin import NotSignedInError


def install_web(app: FastAPI) -> None:
    """Mount the pages, the static assets and the offline /docs on the API's app."""
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    modules = (account, sending, sent, inbox, auditing, explaining, replaying, admin, apidocs)
    for module in modules:
        app.include_router(module.pages)

    @app.exception_handler(NotSignedInError)
    async def sign_in_first(request: Request, _error: NotSignedInError) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)
