"""What a routing batch needs from the store, read in a handful of queries for the whole batch.

Instead of four SELECTs per event: one for the native ids already routed, one or two for the
clients behind the identities, one for the tickets the events refer to.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from normalizer.event import ComplaintEvent
from router.contracts import Clocks
from router.directory import identity_pairs
from router.models import Client, ClientIdentity, Submission, Ticket
from router.timeutil import aware


@dataclass(frozen=True)
class ClientInfo:
    id: int
    name: str
    manager_login: str | None


@dataclass
class TicketRef:
    """A ticket as routing sees it: from the store, or made earlier in this batch (id set on INSERT)."""

    number: str
    client_id: int | None
    assignee: str | None
    stage: str
    status: str
    clocks: Clocks
    id: int | None = None


@dataclass
class Known:
    """The store's answers for one batch; the batch adds what it creates, in order."""

    seen: set[tuple[str, str]] = field(default_factory=set)
    pairs: dict[uuid.UUID, list[tuple[str, str]]] = field(default_factory=dict)  # identities, by event id
    clients: dict[int, ClientInfo] = field(default_factory=dict)
    identities: dict[tuple[str, str], int] = field(default_factory=dict)
    tickets: dict[str, TicketRef] = field(default_factory=dict)

    def client_of(self, event: ComplaintEvent) -> ClientInfo | None:
        """As directory.find_client_by_identities: the picked client, else the most specific identity."""
        ids = event.identities
        if ids.client_id is not None and ids.client_id in self.clients:
            return self.clients[ids.client_id]
        for pair in self.pairs[event.event_id]:
            if pair in self.identities:
                return self.clients.get(self.identities[pair])
        return None

    def referenced(self, event: ComplaintEvent, client: ClientInfo | None) -> TicketRef | None:
        """The first ticket the event names that belongs to the same client (a number is no proof alone)."""
        client_id = client.id if client else None
        for number in ticket_numbers(event):
            ticket = self.tickets.get(number)
            if ticket is not None and ticket.client_id == client_id:
                return ticket
        return None


def ticket_numbers(event: ComplaintEvent) -> list[str]:
    return [ref for ref in event.thread_refs if ref.startswith("C-")]


def load_known(session: Session, events: Sequence[ComplaintEvent]) -> Known:
    pairs: dict[uuid.UUID, list[tuple[str, str]]] = {}
    for event in events:  # the first of repeated events is the one routed
        pairs.setdefault(event.event_id, identity_pairs(event.identities))
    identities = _identities(session, {pair for event_pairs in pairs.values() for pair in event_pairs})
    client_ids = set(identities.values()) | {e.identities.client_id for e in events if e.identities.client_id}
    return Known(
        seen=_seen(session, {(e.channel.value, e.native_id) for e in events}),
        pairs=pairs,
        clients=_clients(session, client_ids),
        identities=identities,
        tickets=_tickets(session, {n for e in events for n in ticket_numbers(e)}),
    )


def pairs_in(first: InstrumentedAttribute[str], second: InstrumentedAttribute[str],
             pairs: Iterable[tuple[str, str]]) -> ColumnElement[bool]:
    """WHERE (first, second) is one of `pairs`, written so both databases search a (first, second) index.

    A row-value IN, `(a, b) IN (VALUES ...)`, makes SQLite scan the whole index; one
    `a = ? AND b IN (...)` per distinct first value is an index search each.
    """
    grouped: dict[str, list[str]] = {}
    for a, b in pairs:
        grouped.setdefault(a, []).append(b)
    clauses = [and_(first == a, second.in_(bs)) for a, bs in grouped.items()]
    return or_(*clauses) if clauses else false()


def submissions_with(keys: Iterable[tuple[str, str]]) -> ColumnElement[bool]:
    """WHERE (channel, native_id) is one of `keys` (the unique index)."""
    return pairs_in(Submission.channel, Submission.native_id, keys)


def _seen(session: Session, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    if not keys:
        return set()
    rows = session.execute(select(Submission.channel, Submission.native_id).where(submissions_with(keys)))
    return {(channel, native_id) for channel, native_id in rows}


def _identities(session: Session, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    if not pairs:
        return {}
    rows = session.execute(
        select(ClientIdentity.kind, ClientIdentity.value, ClientIdentity.client_id)
        .where(pairs_in(ClientIdentity.kind, ClientIdentity.value, pairs))
    )
    return {(kind, value): client_id for kind, value, client_id in rows}


def _clients(session: Session, ids: Iterable[int]) -> dict[int, ClientInfo]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(select(Client.id, Client.name, Client.manager_login).where(Client.id.in_(wanted)))
    return {row.id: ClientInfo(row.id, row.name, row.manager_login) for row in rows}


def _tickets(session: Session, numbers: set[str]) -> dict[str, TicketRef]:
    if not numbers:
        return {}
    rows = session.execute(
        select(
            Ticket.id, Ticket.number, Ticket.client_id, Ticket.assignee_login, Ticket.stage, Ticket.status,
            Ticket.first_response_due, Ticket.resolution_due, Ticket.legal_due,
        ).where(Ticket.number.in_(numbers))
    )
    return {
        row.number: TicketRef(
            number=row.number, client_id=row.client_id, assignee=row.assignee_login, stage=row.stage,
            status=row.status, id=row.id,
            clocks=Clocks(first_response_due=aware(row.first_response_due),
                          resolution_due=aware(row.resolution_due), legal_due=aware(row.legal_due)),
        )
        for row in rows
    }
