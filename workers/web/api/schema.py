"""The OpenAPI document of the REST API, for logged-in staff (handed to API client developers).

`rest_api_document(app)` is also what `complaints docs` writes to docs/openapi.json: one document.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi

from workers.web.auth import current_staff

TITLE = "Complaint intake REST API"
VERSION = "1"
DESCRIPTION = "Authorization: Bearer <token>. POST /api/v1/feedback needs an Idempotency-Key header."
PATH_PREFIX = "/api/v1/"
SCHEMA_REF = "#/components/schemas/"

router = APIRouter(dependencies=[Depends(current_staff)])


def rest_api_document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of `app`'s REST API: the /api/v1/ paths only (no UI, webhooks or health)."""
    # Routers are included lazily (FastAPI >= 0.16x): filter the document, not app.routes.
    document = get_openapi(title=TITLE, version=VERSION, routes=app.routes, description=DESCRIPTION)
    document["paths"] = {path: item for path, item in document["paths"].items() if path.startswith(PATH_PREFIX)}
    # The staff pages' form bodies would be listed too: keep the schemas the REST paths reach.
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    reached = _referenced(document["paths"], schemas)
    for name in set(schemas) - reached:
        del schemas[name]
    return document


def _referenced(start: Any, schemas: dict[str, Any]) -> set[str]:
    """The names of the component schemas `start` refers to, directly or through other schemas."""
    reached: set[str] = set()
    pending = [start]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
                name = ref.removeprefix(SCHEMA_REF)
                if name not in reached and name in schemas:
                    reached.add(name)
                    pending.append(schemas[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return reached


@router.get("/api/openapi.json", include_in_schema=False)
async def openapi(request: Request) -> dict[str, Any]:
    app: FastAPI = request.app
    if app.openapi_schema is None:
        app.openapi_schema = rest_api_document(app)
    return app.openapi_schema
