"""The sender protocol: hand a batch of replies to a channel and say what became of each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from router.contracts import OutboundMessage


@dataclass(frozen=True)
class DeliveryResult:
    status: str  # sent | callback | failed
    channel: str
    address: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Contact:
    """The client as a sender needs it (read once per batch, not as an ORM object per reply)."""

    id: int
    preferred_channel: str | None


@dataclass(frozen=True)
class Reply:
    message: OutboundMessage
    client: Contact | None
    ticket_id: int


class Sender(Protocol):
    """Senders that only write to the store record inside the delivery transaction.

    Senders that talk to a platform (email, VK, OK, Telegram: their own issues) send first, outside
    any transaction, and record the results in it. `record` gets every reply of a batch that this
    sender answers and returns one result per reply, in order.
    """

    channel: str

    def record(self, session: Session, replies: Sequence[Reply]) -> list[DeliveryResult]: ...
