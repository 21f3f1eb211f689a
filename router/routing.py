"""route_event(): one complaint event -> submission, ticket, history and outbox rows.

Runs inside the caller's transaction and publishes nothing (transactional outbox): the relay
worker publishes the outbox rows after the commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from normalizer.event import ComplaintEvent
from router.assignment import assign
from router.calendar import BusinessCalendar, Deadlines
from router.contracts import (
    Clocks,
    OutboundKind,
    OutboundMessage,
    TicketEvent,
    TicketEventType,
)
from router.directory import find_client_by_identities
from router.models import Client, Submission, Ticket, TicketHistory
from router.numbering import next_ticket_number
from router.outbox import OUTBOX_ID_BY_RELAY, add_outbox, outbound_subject, ticket_event_subject
from router.texts import acknowledgement, follow_up_received
from router.timeutil import aware, to_utc
from router.workflow import Stage

TICKET_EVENT_NAMESPACE = uuid.UUID("a3c2b1d0-0000-4e5f-8a9b-5eed0000000c")


class Outcome(StrEnum):
    CREATED = "created"
    FOLLOW_UP = "follow_up"
    DUPLICATE = "duplicate"
    AUTO_GENERATED = "auto_generated"


@dataclass(frozen=True)
class RouteResult:
    outcome: Outcome
    ticket_number: str | None = None
    assignee: str | None = None


def _referenced_ticket(session: Session, event: ComplaintEvent, client: Client | None) -> Ticket | None:
    numbers = [ref for ref in event.thread_refs if ref.startswith("C-")]
    if not numbers:
        return None
    tickets = (session.scalars(select(Ticket).where(Ticket.number.in_(numbers)))).all()
    for ticket in tickets:
        # A number alone is no proof of identity: it must be the same client's ticket.
        if client is not None and ticket.client_id == client.id:
            return ticket
        if client is None and ticket.client_id is None:
            return ticket
    return None


def _clocks(ticket: Ticket) -> Clocks:
    return Clocks(
        first_response_due=aware(ticket.first_response_due),
        resolution_due=aware(ticket.resolution_due),
        legal_due=aware(ticket.legal_due),
    )


def _announce(
    session: Session, ticket: Ticket, event: ComplaintEvent, kind: TicketEventType, now: datetime
) -> None:
    ticket_event = TicketEvent(
        event_id=uuid.uuid5(TICKET_EVENT_NAMESPACE, f"{event.event_id}:{kind}"),
        type=kind,
        ticket_number=ticket.number,
        at=now,
        client_id=ticket.client_id,
        assignee=ticket.assignee_login,
        stage=Stage(ticket.stage),
        channel=event.channel.value,
        submission_id=event.submission_id,
        clocks=_clocks(ticket),
    )
    add_outbox(session, ticket_event_subject(kind), ticket_event.model_dump(mode="json"), now, ticket.id)


def _reply(
    session: Session, ticket: Ticket, event: ComplaintEvent, kind: OutboundKind, text: str, now: datetime
) -> None:
    if event.auto_generated:
        return  # never answer a robot
    message = OutboundMessage(
        outbox_id=OUTBOX_ID_BY_RELAY,
        kind=kind,
        channel=event.channel.value,
        ticket_number=ticket.number,
        client_id=ticket.client_id,
        in_reply_to=event.native_id,
        text=text,
    )
    add_outbox(session, outbound_subject(event.channel.value), message.model_dump(mode="json"), now, ticket.id)


def _create_ticket(
    session: Session, event: ComplaintEvent, client: Client | None, calendar: BusinessCalendar,
    now: datetime, parent: Ticket | None,
) -> Ticket:
    assignment = assign(session, client)
    deadlines: Deadlines = calendar.deadlines(now)
    ticket = Ticket(
        number=next_ticket_number(session, now.astimezone(calendar.tz).year),
        client_id=client.id if client else None,
        assignee_login=assignment.assignee,
        queue=assignment.queue,
        stage=Stage.REGISTERED.value,
        status="open",
        channel=event.channel.value,
        subject=event.subject,
        text=event.text,
        category=event.category,
        created_at=to_utc(now),
        first_response_due=to_utc(deadlines.first_response),
        resolution_due=to_utc(deadlines.resolution),
        legal_due=to_utc(deadlines.legal),
        parent_ticket_id=parent.id if parent else None,
    )
    session.add(ticket)
    session.flush()
    note = f"Назначено: {assignment.assignee or 'очередь ' + assignment.queue} ({assignment.reason})"
    if parent is not None:
        note += f"; связана с закрытой претензией {parent.number}"
    session.add(TicketHistory(
        ticket_id=ticket.id, at=to_utc(now), actor=event.operator_id or f"channel:{event.channel.value}",
        action="registered", from_stage=None, to_stage=Stage.REGISTERED.value, note=note,
        submission_id=str(event.submission_id),
    ))
    _announce(session, ticket, event, TicketEventType.CREATED, now)
    name = client.name if client else event.display_name
    _reply(session, ticket, event, OutboundKind.ACKNOWLEDGEMENT,
                 acknowledgement(ticket.number, deadlines, calendar.tz, name), now)
    return ticket


def _add_follow_up(session: Session, ticket: Ticket, event: ComplaintEvent, now: datetime) -> None:
    session.add(TicketHistory(
        ticket_id=ticket.id, at=to_utc(now), actor=event.operator_id or f"channel:{event.channel.value}",
        action="follow_up", from_stage=ticket.stage, to_stage=ticket.stage, note=event.text[:2000],
        submission_id=str(event.submission_id),
    ))
    _announce(session, ticket, event, TicketEventType.FOLLOW_UP, now)
    _reply(session, ticket, event, OutboundKind.FOLLOW_UP_RECEIVED,
                 follow_up_received(ticket.number, event.display_name), now)


def route_event(
    session: Session, event: ComplaintEvent, calendar: BusinessCalendar, now: datetime
) -> RouteResult:
    """The body of the routing transaction. The caller commits (or rolls back) around it.

    Synchronous on purpose: a batch runs in one thread hop (SQLite) or one greenlet (PostgreSQL)
    instead of a hop per statement.
    """
    seen = session.scalar(
        select(Submission.id).where(
            Submission.channel == event.channel.value, Submission.native_id == event.native_id
        )
    )
    if seen is not None:
        return RouteResult(Outcome.DUPLICATE)

    client = find_client_by_identities(session, event.identities)
    submission = Submission(
        id=str(event.submission_id), channel=event.channel.value, native_id=event.native_id,
        received_at=to_utc(event.received_at), routed_at=to_utc(now),
        client_id=client.id if client else None, event=event.model_dump(mode="json"),
    )
    session.add(submission)
    session.flush()  # the unique key catches a concurrent router here

    referenced = _referenced_ticket(session, event, client)
    if referenced is not None and referenced.status == "open":
        submission.ticket_id = referenced.id
        _add_follow_up(session, referenced, event, now)
        return RouteResult(Outcome.FOLLOW_UP, referenced.number, referenced.assignee_login)
    if event.auto_generated:
        return RouteResult(Outcome.AUTO_GENERATED)

    ticket = _create_ticket(session, event, client, calendar, now, parent=referenced)
    submission.ticket_id = ticket.id
    return RouteResult(Outcome.CREATED, ticket.number, ticket.assignee_login)
