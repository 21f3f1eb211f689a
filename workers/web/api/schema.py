"""The OpenAPI document of the REST API, for logged-in staff (handed to API client developers)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.utils import get_openapi

from workers.web.auth import current_staff

router = APIRouter(dependencies=[Depends(current_staff)])


@router.get("/api/openapi.json", include_in_schema=False)
async def openapi(request: Request) -> dict[str, Any]:
    app = request.app
    if app.openapi_schema is None:
        # Routers are included lazily (FastAPI >= 0.16x): filter the document, not app.routes.
        document = get_openapi(
            title="Complaint intake REST API", version="1", routes=app.routes,
            description="Authorization: Bearer <token>. POST /api/v1/feedback needs an Idempotency-Key header.",
        )
        document["paths"] = {path: item for path, item in document["paths"].items() if path.startswith("/api/v1/")}
        app.openapi_schema = document
    schema: dict[str, Any] = app.openapi_schema
    return schema
