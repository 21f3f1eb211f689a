"""Request-scoped access to what the app holds: settings, database sessions, the broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from faststream.nats import NatsBroker
from sqlalchemy.ext.asyncio import AsyncSession

from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.web.errors import ApiError, PageError

SERVICE_DOWN_RU = "Сервис временно недоступен: повторите попытку через минуту."
SERVICE_DOWN_EN = "The service is temporarily unavailable: retry in a minute."


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def database_of(request: Request) -> Database:
    database: Database | None = request.app.state.database
    if database is None:
        raise _unavailable(request)
    return database


def broker_of(request: Request) -> NatsBroker:
    broker: NatsBroker | None = request.app.state.broker
    if broker is None:
        raise _unavailable(request)
    return broker


def _unavailable(request: Request) -> Exception:
    if request.url.path.startswith("/api/"):
        return ApiError(503, SERVICE_DOWN_RU, SERVICE_DOWN_EN, headers={"Retry-After": "30"})
    return PageError(503, SERVICE_DOWN_RU)


# The dependencies are coroutines: FastAPI runs a plain `def` dependency in the thread pool, a hop to a
# worker thread and back on every request, and under load requests queue for the pool's 40 threads.
async def _settings(request: Request) -> Settings:
    return settings_of(request)


async def _database(request: Request) -> Database:
    return database_of(request)


async def _broker(request: Request) -> NatsBroker:
    return broker_of(request)


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with database_of(request).sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(db_session)]
SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_database)]
BrokerDep = Annotated[NatsBroker, Depends(_broker)]
