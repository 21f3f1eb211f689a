"""The sender protocol: hand one reply to a channel and say what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from router.contracts import OutboundMessage
from router.models import Client


@dataclass(frozen=True)
class DeliveryResult:
    status: str  # sent | callback | failed
    channel: str
    address: str | None = None
    detail: str | None = None


class Sender(Protocol):
    channel: str

    async def send(self, session: AsyncSession, message: OutboundMessage, client: Client | None) -> DeliveryResult:
        ...
