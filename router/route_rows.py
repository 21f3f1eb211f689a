"""The rows a routing batch writes: collected in memory, then one multi-row INSERT per table.

Tickets go first (INSERT ... RETURNING id, in parameter order); the rows that point at a ticket
made in this batch get its id only then. No ORM unit of work: plain Core statements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from router.jsontext import json_text_param
from router.models import Outbox, Submission, Ticket, TicketHistory
from router.route_lookup import TicketRef

Row = dict[str, Any]


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


@dataclass
class BatchRows:
    tickets: list[tuple[TicketRef, Row]] = field(default_factory=list)
    # (ticket the row belongs to, if any; the row without its ticket_id yet)
    submissions: list[tuple[TicketRef | None, Row]] = field(default_factory=list)
    history: list[tuple[TicketRef, Row]] = field(default_factory=list)
    outbox: list[tuple[TicketRef, Row]] = field(default_factory=list)

    def write(self, session: Session) -> None:
        self._insert_tickets(session)
        # Submission events and outbox payloads arrive as JSON text (pydantic's model_dump_json).
        statements = (
            (insert(_table(Submission)).values(event=json_text_param("event")), self.submissions),
            (insert(_table(TicketHistory)), self.history),
            (insert(_table(Outbox)).values(payload=json_text_param("payload")), self.outbox),
        )
        for statement, rows in statements:
            if rows:
                session.execute(statement, [_with_ticket_id(row, ticket) for ticket, row in rows])

    def _insert_tickets(self, session: Session) -> None:
        if not self.tickets:
            return
        table = _table(Ticket)
        ids = session.scalars(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [row for _, row in self.tickets],
        ).all()
        for (ticket, _), ticket_id in zip(self.tickets, ids, strict=True):
            ticket.id = ticket_id


def _with_ticket_id(row: Row, ticket: TicketRef | None) -> Row:
    if ticket is not None:
        assert ticket.id is not None, "tickets are inserted first"
        row["ticket_id"] = ticket.id
    return row
