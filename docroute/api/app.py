"""Builds the FastAPI application around a running Service."""

from __future__ import annotations

from fastapi import FastAPI

from docroute.api import (
    channels,
    deliveries,
    documents,
    edxml,
    health,
    revisions,
    snapshots,
    tokens,
)
from docroute.api.audit import api as audit_api
from docroute.api.errors import install_error_handlers
from docroute.api.limits import BodyLimit, NoNulCharacters
from docroute.api.schemas import ERRORS
from docroute.service import Service
from docroute.web import install_web
from docroute.web.apidocs import with_bearer_scheme
from foundation.tokens import CallerCache


def create_app(service: Service) -> FastAPI:
    """The API of the service; start the service before serving requests."""
    app = FastAPI(
        title="docroute",
        summary="Routes official documents to the agencies their Nơi nhận block names.",
        version="0.1.0",
        docs_url=None,  # served offline by docroute.web.apidocs, with the bearer scheme
        redoc_url=None,
    )
    app.state.service = service
    app.state.callers = CallerCache()  # who each token belongs to (docroute.api.deps)
    app.include_router(health.api)
    # Every other route's errors are `{"code", "detail"}` (docroute.api.errors).
    app.include_router(documents.api, responses=ERRORS)
    app.include_router(revisions.api, responses=ERRORS)  # recall, update, replace
    app.include_router(deliveries.api, responses=ERRORS)
    app.include_router(edxml.api, responses=ERRORS)  # /v1/edxml: QCVN 102 packets in
    app.include_router(tokens.api, responses=ERRORS)
    app.include_router(channels.api, responses=ERRORS)
    app.include_router(audit_api, responses=ERRORS)  # /v1/audit/…: reports, replays, history
    app.include_router(snapshots.api, responses=ERRORS)  # /v1/admin/snapshots: versioned data
    install_web(app)  # the pages for people (/, /login, …) and the offline /docs
    with_bearer_scheme(app)
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=service.settings.max_upload_bytes)
    app.add_middleware(NoNulCharacters)
    return app
