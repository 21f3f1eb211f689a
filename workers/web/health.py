"""GET /healthz (no auth): 200 when the database and NATS JetStream answer, 503 otherwise."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from workers.bus.shunt import jetstream_of

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0

router = APIRouter()


async def _database_ok(request: Request) -> bool:
    database = request.app.state.database
    if database is None:
        return False
    try:
        async with asyncio.timeout(CHECK_TIMEOUT), database.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health: database check failed: %s", type(exc).__name__)
        return False
    return True


async def _nats_ok(request: Request) -> bool:
    broker = request.app.state.broker
    if broker is None:
        return False
    try:
        if not broker.config.connection_state.connection.is_connected:
            return False
        async with asyncio.timeout(CHECK_TIMEOUT):
            await jetstream_of(broker).account_info()
    except Exception as exc:
        log.warning("health: NATS check failed: %s", type(exc).__name__)
        return False
    return True


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    database, nats = await asyncio.gather(_database_ok(request), _nats_ok(request))
    ok = database and nats
    body = {
        "status": "ok" if ok else "unavailable",
        "database": "ok" if database else "unavailable",
        "nats": "ok" if nats else "unavailable",
    }
    return JSONResponse(body, status_code=200 if ok else 503)
