"""The rows a routing batch writes: collected in memory, then one multi-row INSERT per table.

Tickets go first (INSERT ... RETURNING id, each id matched to its row); the rows that point at a ticket
made in this batch get its id only then. No ORM unit of work: plain Core statements. The rare
updates (a reopened ticket, a bounced reply) are one executemany each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.orm import Session

from router.driver_insert import insert_returning_ids, insert_rows
from router.jsontext import json_text_param
from router.models import (
    ClientIdentity,
    Delivery,
    IdentityClaim,
    Outbox,
    ScanReview,
    SentMessage,
    SlaTimer,
    StaffAlert,
    Submission,
    Ticket,
    TicketHistory,
    cast_table,
)
from router.route_lookup import SentRef, TicketRef

Row = dict[str, Any]


# Built once (each routing batch runs them; building a statement costs more than running it on a small batch).
# Submission events and outbox payloads arrive as JSON text (pydantic's model_dump_json).
_INSERT_TICKETS = insert(cast_table(Ticket))
_INSERT_SUBMISSION = insert(cast_table(Submission)).values(event=json_text_param("event"))
_INSERT_HISTORY = insert(cast_table(TicketHistory))
_INSERT_OUTBOX = insert(cast_table(Outbox)).values(payload=json_text_param("payload"))
_INSERT_ALERT = insert(cast_table(StaffAlert))
_INSERT_TIMER = insert(cast_table(SlaTimer))
_INSERT_SCAN_REVIEW = insert(cast_table(ScanReview))
_INSERT_CLAIM = insert(cast_table(IdentityClaim))
_INSERT_IDENTITY = insert(cast_table(ClientIdentity))


@dataclass
class BatchRows:
    tickets: list[tuple[TicketRef, Row]] = field(default_factory=list)
    # (ticket the row belongs to, if any; the row without its ticket_id yet)
    submissions: list[tuple[TicketRef | None, Row]] = field(default_factory=list)
    history: list[tuple[TicketRef, Row]] = field(default_factory=list)
    outbox: list[tuple[TicketRef, Row]] = field(default_factory=list)
    alerts: list[tuple[TicketRef, Row]] = field(default_factory=list)
    reopened: list[tuple[TicketRef, datetime]] = field(default_factory=list)
    bounced: list[tuple[SentRef, str]] = field(default_factory=list)  # (our sent reply, why)
    identities: list[Row] = field(default_factory=list)  # social accounts linked to a client
    assigned: list[tuple[TicketRef, str]] = field(default_factory=list)  # (ticket handed over, its new queue)
    replied: list[TicketRef] = field(default_factory=list)  # tickets whose wait for the client's reply ended
    timers: list[tuple[TicketRef, Row]] = field(default_factory=list)  # sla_timers of new tickets
    rescheduled: list[tuple[TicketRef, Row]] = field(default_factory=list)  # timers moved by a resumed pause
    scan_reviews: list[tuple[TicketRef, Row]] = field(default_factory=list)  # scans a person must confirm
    claims: list[tuple[TicketRef, Row]] = field(default_factory=list)  # identity claims of chat accounts
    claim_updates: list[Row] = field(default_factory=list)  # claims resolved or tried (router.identity_claims)

    def write(self, session: Session) -> None:
        self._insert_tickets(session)
        self._update_reopened(session)
        self._update_bounced(session)
        self._update_assigned(session)
        self._update_replied(session)
        self._update_claims(session)
        if self.identities:
            insert_rows(session, _INSERT_IDENTITY, self.identities)
        for statement, rows in (
            (_INSERT_SUBMISSION, self.submissions), (_INSERT_HISTORY, self.history), (_INSERT_OUTBOX, self.outbox),
            (_INSERT_ALERT, self.alerts), (_INSERT_TIMER, self.timers), (_INSERT_SCAN_REVIEW, self.scan_reviews),
            (_INSERT_CLAIM, self.claims),
        ):
            if rows:
                insert_rows(session, statement, [_with_ticket_id(row, ticket) for ticket, row in rows])

    def _insert_tickets(self, session: Session) -> None:
        if not self.tickets:
            return
        ids = insert_returning_ids(session, _INSERT_TICKETS, [row for _, row in self.tickets], key="number")
        for (ticket, _), ticket_id in zip(self.tickets, ids, strict=True):
            ticket.id = ticket_id


    def _update_reopened(self, session: Session) -> None:
        if not self.reopened:
            return
        table = cast_table(Ticket)
        statement = update(table).where(table.c.id == bindparam("ticket_id")).values(
            status=bindparam("new_status"), stage=bindparam("new_stage"), closed_at=None,
            reopened_at=bindparam("at"), handler_login=bindparam("new_handler"), dispute_due=bindparam("due"),
            paused_at=None,
        )
        session.execute(statement, [
            {"ticket_id": t.id, "new_status": t.status, "new_stage": t.stage, "at": at, "new_handler": t.handler,
             "due": t.dispute_due}
            for t, at in self.reopened
        ])
        # A new re-review period: the timers of an earlier dispute make way for this one's (inserted next).
        timers = cast_table(SlaTimer)
        session.execute(delete(timers).where(timers.c.clock == "dispute",
                                             timers.c.ticket_id.in_([t.id for t, _ in self.reopened])))

    def _update_replied(self, session: Session) -> None:
        if not self.replied:
            return
        table = cast_table(Ticket)
        statement = update(table).where(table.c.id == bindparam("ticket_id")).values(
            waiting_for_client=False, paused_at=None, first_response_due=bindparam("first"),
            resolution_due=bindparam("resolution"), legal_due=bindparam("legal"))
        session.execute(statement, [
            {"ticket_id": t.id, "first": t.clocks.first_response_due, "resolution": t.clocks.resolution_due,
             "legal": t.clocks.legal_due} for t in self.replied])
        if self.rescheduled:
            timers = cast_table(SlaTimer)
            session.execute(
                update(timers).where(timers.c.ticket_id == bindparam("tid"), timers.c.clock == bindparam("c"),
                                     timers.c.level == bindparam("lv"), timers.c.fired_at.is_(None))
                .values(fire_at=bindparam("at")),
                [{"tid": t.id, "c": row["clock"], "lv": row["level"], "at": row["fire_at"]}
                 for t, row in self.rescheduled])

    def _update_assigned(self, session: Session) -> None:
        if not self.assigned:
            return
        table = cast_table(Ticket)
        statement = update(table).where(table.c.id == bindparam("ticket_id")).values(
            client_id=bindparam("new_client"), assignee_login=bindparam("new_assignee"), queue=bindparam("new_queue"),
            stage=bindparam("new_stage"), handler_login=bindparam("new_handler"),
        )
        session.execute(statement, [
            {"ticket_id": t.id, "new_client": t.client_id, "new_assignee": t.assignee, "new_queue": queue,
             "new_stage": t.stage, "new_handler": t.handler}
            for t, queue in self.assigned
        ])

    def _update_claims(self, session: Session) -> None:
        if not self.claim_updates:
            return
        table = cast_table(IdentityClaim)
        session.execute(update(table).where(table.c.id == bindparam("claim_id")).values(
            status=bindparam("new_status"), attempts=bindparam("new_attempts"), resolved_at=bindparam("at"),
            resolved_by=bindparam("by")), self.claim_updates)

    def _update_bounced(self, session: Session) -> None:
        if not self.bounced:
            return
        sent, deliveries = cast_table(SentMessage), cast_table(Delivery)
        session.execute(
            update(sent).where(sent.c.id == bindparam("sent_id")).values(status="bounced", detail=bindparam("why")),
            [{"sent_id": ref.id, "why": why} for ref, why in self.bounced],
        )
        session.execute(
            update(deliveries).where(deliveries.c.outbox_id == bindparam("outbox")).values(
                status="failed", detail=bindparam("why")),
            [{"outbox": ref.outbox_id, "why": why} for ref, why in self.bounced],
        )


def _with_ticket_id(row: Row, ticket: TicketRef | None) -> Row:
    if ticket is not None:
        assert ticket.id is not None, "tickets are inserted first"
        row["ticket_id"] = ticket.id
    return row
