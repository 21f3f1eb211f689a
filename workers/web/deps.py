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


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with database_of(request).sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(db_session)]
SettingsDep = Annotated[Settings, Depends(settings_of)]
DatabaseDep = Annotated[Database, Depends(database_of)]
BrokerDep = Annotated[NatsBroker, Depends(broker_of)]
