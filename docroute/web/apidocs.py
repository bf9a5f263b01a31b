"""/docs without the internet: Swagger UI from the vendored swagger-ui-dist files, and the
OpenAPI document with its bearer-token security scheme so calls can be tried from it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse

pages = APIRouter(include_in_schema=False)
ASSETS = "/static/vendor/swagger-ui"


@pages.get("/docs")
async def swagger_ui() -> HTMLResponse:
    """Swagger UI, every file served by docroute itself."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="docroute API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        swagger_ui_parameters={"persistAuthorization": True},
    )


def with_bearer_scheme(app: FastAPI) -> None:
    """The OpenAPI document declares `Authorization: Bearer <token>` for the /v1 calls."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["bearer"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "a token from `docroute tokens issue --role ...`",
        }
        for path, operations in schema.get("paths", {}).items():
            if path.startswith("/v1/") and not path.endswith("/confirm"):
                for operation in operations.values():
                    operation.setdefault("security", [{"bearer": []}])
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
