"""Outbox rows: what to publish once the routing transaction has committed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from router.models import Outbox
from router.timeutil import to_utc

OUTBOUND_PREFIX = "outbound"
TICKET_EVENTS_PREFIX = "tickets.events"
ATTACHMENTS_SUBJECT = "attachments.fetch"  # files still on a platform, for the attachments worker
NOTICES_SUBJECT = "notices.staff"  # alerts to staff, emailed by the notify worker


def outbound_subject(channel: str) -> str:
    return f"{OUTBOUND_PREFIX}.{channel}"


# In a query: the outbox rows that are messages to the client (a reply, an acknowledgement, a receipt).
TO_CLIENT = Outbox.subject.startswith(OUTBOUND_PREFIX + ".")


def ticket_event_subject(event_type: str) -> str:
    return f"{TICKET_EVENTS_PREFIX}.{event_type}"


# The row id is known only after the INSERT; the relay stamps it into outbound payloads when it
# publishes (saves a flush and an UPDATE per reply on the routing hot path).
OUTBOX_ID_BY_RELAY = 0


def add_outbox(
    session: Session, subject: str, payload: dict[str, Any], now: datetime, ticket_id: int | None
) -> Outbox:
    row = Outbox(subject=subject, payload=payload, created_at=to_utc(now), ticket_id=ticket_id, attempts=0)
    session.add(row)
    return row


def outbox_row(subject: str, payload_json: str, now: datetime) -> dict[str, Any]:
    """One outbox row for a Core INSERT, the payload as JSON text (the writer fills in the ticket id)."""
    return {"subject": subject, "payload": payload_json, "created_at": to_utc(now), "attempts": 0}


def carries_outbox_id(subject: str) -> bool:
    """Messages delivered once per outbox row (client replies, staff notices) carry the row id."""
    return subject.startswith(OUTBOUND_PREFIX + ".") or subject == NOTICES_SUBJECT


def payload_to_publish(row_id: int, subject: str, payload: dict[str, Any]) -> dict[str, Any]:
    if carries_outbox_id(subject):
        return {**payload, "outbox_id": row_id}
    return payload
