"""Outbox rows: what to publish once the routing transaction has committed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from router.models import Outbox

OUTBOUND_PREFIX = "outbound"
TICKET_EVENTS_PREFIX = "tickets.events"


def outbound_subject(channel: str) -> str:
    return f"{OUTBOUND_PREFIX}.{channel}"


def ticket_event_subject(event_type: str) -> str:
    return f"{TICKET_EVENTS_PREFIX}.{event_type}"


async def add_outbox(
    session: AsyncSession, subject: str, payload: dict[str, Any], now: datetime, ticket_id: int | None
) -> Outbox:
    row = Outbox(subject=subject, payload=payload, created_at=now, ticket_id=ticket_id, attempts=0)
    session.add(row)
    await session.flush()  # the id is the Nats-Msg-Id: it must exist before the payload names it
    return row
