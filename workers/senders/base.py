"""The sender protocol: hand one reply to a channel and say what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from router.contracts import OutboundMessage
from router.models import Client


@dataclass(frozen=True)
class DeliveryResult:
    status: str  # sent | callback | failed
    channel: str
    address: str | None = None
    detail: str | None = None


class Sender(Protocol):
    """Senders that only write to the store record inside the delivery transaction.

    Senders that talk to a platform (email, VK, OK, Telegram: their own issues) send first, outside
    any transaction, and record the result in it.
    """

    channel: str

    def record(
        self, session: Session, message: OutboundMessage, client: Client | None, ticket_id: int
    ) -> DeliveryResult: ...
