"""One action's writes: the history row, the client's message, the TicketEvent, alerts. All go into the
caller's session, so they commit (or roll back) together with the ticket's change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from router.alerts import staff_notice
from router.calendar import BusinessCalendar
from router.contracts import (
    Clocks,
    Deadlines,
    OutboundKind,
    OutboundMessage,
    SnapshotClient,
    TicketEvent,
    TicketEventType,
    TicketSnapshot,
)
from router.models import Client, Staff, StaffAlert, Submission, Ticket, TicketHistory
from router.outbox import NOTICES_SUBJECT, OUTBOX_ID_BY_RELAY, add_outbox, outbound_subject, ticket_event_subject
from router.review.access import TicketFacts
from router.sla.policy import SlaPolicy
from router.texts import Signer, greeting_name, staff_letter
from router.timeutil import aware, to_utc
from router.workflow import Stage

NOTE_MAX = 4000


@dataclass
class ActionContext:
    session: Session
    ticket: Ticket
    actor: Staff
    facts: TicketFacts
    now: datetime
    tz: ZoneInfo
    via: str | None = None
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    sla: SlaPolicy = field(default_factory=SlaPolicy)

    @property
    def signer(self) -> Signer:
        return Signer(self.actor.name, self.actor.role)

    def history(self, action: str, from_stage: str | None, note: str | None) -> TicketHistory:
        if self.via:
            note = f"{note} (via {self.via})" if note else f"via {self.via}"
        row = TicketHistory(
            ticket_id=self.ticket.id, at=to_utc(self.now), actor=self.actor.login, action=action,
            from_stage=from_stage, to_stage=self.ticket.stage, note=note[:NOTE_MAX] if note else None,
        )
        self.session.add(row)
        return row

    def send(self, body: str) -> str:
        """A letter to the client, signed by the actor, on the ticket's channel in reply to its latest
        submission there (the deliver worker picks the sender). Returns the text sent."""
        ticket = self.ticket
        client = self.session.get(Client, ticket.client_id) if ticket.client_id is not None else None
        name = greeting_name(client.name, client.segment) if client is not None else None
        text = staff_letter(name, body, self.signer)
        answered = self.session.scalar(
            select(Submission.native_id)
            .where(Submission.ticket_id == ticket.id, Submission.channel == ticket.channel)
            .order_by(Submission.received_at.desc(), Submission.routed_at.desc()).limit(1)
        )
        message = OutboundMessage(
            outbox_id=OUTBOX_ID_BY_RELAY, kind=OutboundKind.ANSWER, channel=ticket.channel,
            ticket_number=ticket.number, client_id=ticket.client_id, in_reply_to=answered, text=text,
        )
        add_outbox(self.session, outbound_subject(ticket.channel), message.model_dump(mode="json"), self.now,
                   ticket.id)
        return text

    def announce(self, kind: TicketEventType, action: str | None = None) -> None:
        ticket = self.ticket
        event = TicketEvent(
            event_id=uuid.uuid4(), type=kind, ticket_number=ticket.number, at=to_utc(self.now),
            client_id=ticket.client_id, assignee=ticket.assignee_login, stage=Stage(ticket.stage),
            channel=ticket.channel, action=action,
            clocks=Clocks(first_response_due=aware(ticket.first_response_due),
                          resolution_due=aware(ticket.resolution_due), legal_due=aware(ticket.legal_due)),
            ticket=snapshot(self.session, ticket),
        )
        add_outbox(self.session, ticket_event_subject(kind), event.model_dump(mode="json"), self.now, ticket.id)

    def alert(self, login: str, kind: str, text: str) -> None:
        """In-app, and by email through the notify worker."""
        self.session.add(StaffAlert(login=login, ticket_id=self.ticket.id, created_at=to_utc(self.now), kind=kind,
                                    text=text, read_at=None))
        notice = staff_notice(login, kind, self.ticket.number, text)
        add_outbox(self.session, NOTICES_SUBJECT, notice.model_dump(mode="json"), self.now, self.ticket.id)

    def settle_alerts(self, *kinds: str) -> None:
        """The alerts of these kinds on this ticket are dealt with: no longer "requires attention"."""
        self.session.execute(update(StaffAlert).where(
            StaffAlert.ticket_id == self.ticket.id, StaffAlert.kind.in_(kinds), StaffAlert.read_at.is_(None),
        ).values(read_at=to_utc(self.now)))


def snapshot(session: Session, ticket: Ticket) -> TicketSnapshot:
    """The ticket as it stands now, for a TicketEvent (the client comes from the session's identity map)."""
    client = session.get(Client, ticket.client_id) if ticket.client_id is not None else None
    return TicketSnapshot(
        number=ticket.number,
        client=SnapshotClient(id=client.id, contract_number=client.contract_number) if client is not None else None,
        assignee=ticket.assignee_login, handler=ticket.handler_login, department=ticket.department,
        stage=Stage(ticket.stage), status="closed" if ticket.status == "closed" else "open",
        channel=ticket.channel, category=ticket.category, subject=ticket.subject, text=ticket.text,
        created_at=aware(ticket.created_at), waiting_for_client=bool(ticket.waiting_for_client),
        director_pending=bool(ticket.director_pending),
        deadlines=Deadlines(
            first_response=aware(ticket.first_response_due), resolution=aware(ticket.resolution_due),
            legal=aware(ticket.legal_due), dispute=aware(ticket.dispute_due) if ticket.dispute_due else None,
            acknowledged_at=aware(ticket.acknowledged_at) if ticket.acknowledged_at is not None else None,
            resolved_at=aware(ticket.resolved_at) if ticket.resolved_at is not None else None,
        ),
    )
