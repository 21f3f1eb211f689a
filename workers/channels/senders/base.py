"""The sender protocols: hand a batch of replies to a channel and say what became of each.

Two kinds of senders:
- a `Sender` only writes to the store (a call-back task): it records inside the delivery
  transaction;
- a `PlatformSender` talks to a platform (email, the chat platforms) and must
  never hold a transaction open while it does: `prepare` reads what it needs in the first
  transaction, `send` talks to the platform outside any transaction, `record` writes what became
  of each reply in a second transaction (deliveries are written by the deliver worker itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from router.contracts import OutboundMessage


@dataclass(frozen=True)
class DeliveryResult:
    status: str  # sent | callback | failed | suppressed
    channel: str
    address: str | None = None
    detail: str | None = None


class TemporaryFailure(Exception):
    """The platform could not take the reply now (SMTP 4xx, connection refused, timeout): retry later."""


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
    """Records inside the delivery transaction; one result per reply, in order."""

    @property
    def channel(self) -> str: ...

    def record(self, session: Session, replies: Sequence[Reply]) -> list[DeliveryResult]: ...


P = TypeVar("P")


class PlatformSender(Protocol[P]):
    """Prepare in one transaction, send outside any, record in a second one.

    `prepare` returns one item per reply, or None for a reply this platform has no address for
    (the deliver worker then hands it to the call-back sender). `send` returns one outcome per
    prepared item: a DeliveryResult, or a TemporaryFailure for a reply to retry later (nothing
    is recorded for it). `record` gets the prepared items that have a DeliveryResult.
    """

    @property
    def channel(self) -> str: ...

    # Whether sending a reply again is harmless: the platform drops a resend (VK's random_id) or the client's
    # mail client does (the same Message-ID). When not, the deliver worker marks a reply "sending" before it
    # goes out, and a reply found still marked after a crash is recorded "uncertain", never sent twice.
    @property
    def resend_safe(self) -> bool: ...

    def prepare(self, session: Session, replies: Sequence[Reply]) -> list[P | None]: ...

    async def send(self, prepared: Sequence[P]) -> list[DeliveryResult | TemporaryFailure]: ...

    def record(self, session: Session, prepared: Sequence[P], results: Sequence[DeliveryResult]) -> None: ...
