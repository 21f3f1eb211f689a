"""What a routing batch needs from the store, read in a handful of queries for the whole batch.

Instead of four SELECTs per event: one for the native ids already routed, one for the content ids
(email Message-IDs) already routed, one or two for the clients behind the identities, and, only
when events refer to anything, one each for our sent messages and the client's earlier mails they
name and one for the tickets behind all that.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from channels.base import CHAT_CHANNELS
from normalizer.event import ComplaintEvent
from router.contracts import Clocks
from router.directory import identity_pairs
from router.models import CONTENT_ID_MAX, Client, ClientIdentity, SentMessage, Staff, Submission, Ticket
from router.sla.policy import Clock
from router.timeutil import aware, to_utc


@dataclass(frozen=True)
class ClientInfo:
    id: int
    name: str
    manager_login: str | None
    contract_number: str
    segment: str = "individual"  # a business is greeted without its legal name


@dataclass
class TicketRef:
    """A ticket as routing sees it: from the store, or made earlier in this batch (id set on INSERT).

    Beyond what routing decides on, it holds what a TicketEvent's snapshot carries (read in the same query)."""

    number: str
    client_id: int | None
    assignee: str | None
    stage: str
    status: str
    clocks: Clocks
    id: int | None = None
    closed_at: datetime | None = None
    contract_number: str | None = None  # the client's
    channel: str = ""
    subject: str | None = None
    text: str = ""
    category: str | None = None
    created_at: datetime | None = None
    handler: str | None = None
    department: str | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    waiting_for_client: bool = False
    director_pending: bool = False
    paused_at: datetime | None = None  # the clocks' pause while waiting for the client (router.sla.pause)
    dispute_due: datetime | None = None  # the re-review clock of the latest dispute

    def dues(self) -> dict[Clock, datetime]:
        clocks = self.clocks
        return {Clock.FIRST_RESPONSE: clocks.first_response_due, Clock.RESOLUTION: clocks.resolution_due,
                Clock.LEGAL: clocks.legal_due}

    def move(self, dues: dict[Clock, datetime]) -> None:
        """New due moments of some clocks (after a pause)."""
        now = self.dues() | dues
        self.clocks = Clocks(first_response_due=to_utc(now[Clock.FIRST_RESPONSE]),
                             resolution_due=to_utc(now[Clock.RESOLUTION]), legal_due=to_utc(now[Clock.LEGAL]))


@dataclass
class SentRef:
    """One of our own sent replies (sent_messages), as a bounce or a client's answer names it."""

    id: int
    outbox_id: int
    ticket_id: int
    address: str
    status: str


ContentKey = tuple[str, str]  # (channel, content id)


@dataclass
class Known:
    """The store's answers for one batch; the batch adds what it creates, in order."""

    seen: set[tuple[str, str]] = field(default_factory=set)
    pairs: dict[uuid.UUID, list[tuple[str, str]]] = field(default_factory=dict)  # identities, by event id
    clients: dict[int, ClientInfo] = field(default_factory=dict)
    identities: dict[tuple[str, str], int] = field(default_factory=dict)
    tickets: dict[str, TicketRef] = field(default_factory=dict)
    seen_content: set[ContentKey] = field(default_factory=set)
    sent: dict[str, SentRef] = field(default_factory=dict)  # by our Message-ID
    content_tickets: dict[ContentKey, TicketRef] = field(default_factory=dict)  # earlier mails -> ticket
    tickets_by_id: dict[int, TicketRef] = field(default_factory=dict)
    # Chat channels: the open tickets of each conversation, oldest first.
    conversations: dict[str, list[TicketRef]] = field(default_factory=dict)

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
        """The ticket the event continues.

        A reply to a message we sent is proof enough, even from an address not in the directory.
        A ticket number, or the Message-ID of an earlier mail, must belong to the same client (a
        number is no proof alone; a Message-ID may come from a reply-all of someone else).
        """
        ours = self.sent_ref(event)
        if ours is not None and ours.ticket_id in self.tickets_by_id:
            return self.tickets_by_id[ours.ticket_id]
        client_id = client.id if client else None
        for ref in event.thread_refs:
            if is_message_id(ref):
                ticket = self.content_tickets.get((event.channel.value, ref))
            else:
                ticket = self.tickets.get(ref)
            if ticket is not None and ticket.client_id == client_id:
                return ticket
        return None

    def sent_ref(self, event: ComplaintEvent) -> SentRef | None:
        """The first of our sent messages the event refers to (In-Reply-To, References, a bounced original)."""
        for ref in event.thread_refs:
            if ref in self.sent:
                return self.sent[ref]
        return None

    def remember(self, ticket: TicketRef, event: ComplaintEvent) -> None:
        """A mail routed onto `ticket` in this batch: later mails of the batch may refer to it."""
        key = content_key(event)
        if key is not None:
            self.content_tickets[key] = ticket


def conversation_key(event: ComplaintEvent) -> str | None:
    """"<channel>:<peer or chat id>" for a message in a chat channel, else None."""
    if event.channel not in CHAT_CHANNELS or event.reply_to is None:
        return None
    return f"{event.channel.value}:{event.reply_to.address}"[:128]


def ticket_numbers(event: ComplaintEvent) -> list[str]:
    return [ref for ref in event.thread_refs if ref.startswith("C-")]


def is_message_id(ref: str) -> bool:
    return ref.startswith("<") and ref.endswith(">")


def message_ids(event: ComplaintEvent) -> list[str]:
    return [ref for ref in event.thread_refs if is_message_id(ref) and len(ref) <= CONTENT_ID_MAX]


def content_key(event: ComplaintEvent) -> ContentKey | None:
    """(channel, content id) when the event has one that fits the column (a longer one is not kept)."""
    if event.content_id and len(event.content_id) <= CONTENT_ID_MAX:
        return (event.channel.value, event.content_id)
    return None


def load_known(session: Session, events: Sequence[ComplaintEvent]) -> Known:
    pairs: dict[uuid.UUID, list[tuple[str, str]]] = {}
    for event in events:  # the first of repeated events is the one routed
        pairs.setdefault(event.event_id, identity_pairs(event.identities))
    identities = _identities(session, {pair for event_pairs in pairs.values() for pair in event_pairs})
    client_ids = set(identities.values()) | {e.identities.client_id for e in events if e.identities.client_id}
    content_keys = {key for e in events if (key := content_key(e)) is not None}
    refs = {(e.channel.value, ref) for e in events for ref in message_ids(e)}
    sent = _sent(session, {ref for _, ref in refs})
    earlier = _earlier_mails(session, refs)
    tickets = _tickets(session, {n for e in events for n in ticket_numbers(e)},
                       {s.ticket_id for s in sent.values()} | set(earlier.values()))
    conversations = _conversations(session, {chat for e in events if (chat := conversation_key(e)) is not None})
    for open_tickets in conversations.values():
        for ticket in open_tickets:
            tickets.setdefault(ticket.number, ticket)
    by_id = {ticket.id: ticket for ticket in tickets.values() if ticket.id is not None}
    return Known(
        seen=_seen(session, {(e.channel.value, e.native_id) for e in events}),
        pairs=pairs,
        clients=_clients(session, client_ids),
        identities=identities,
        tickets=tickets,
        seen_content=_seen_content(session, content_keys),
        sent=sent,
        content_tickets={key: by_id[ticket_id] for key, ticket_id in earlier.items() if ticket_id in by_id},
        tickets_by_id=by_id,
        conversations={key: [tickets[t.number] for t in open_tickets] for key, open_tickets in conversations.items()},
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


def _seen_content(session: Session, keys: set[ContentKey]) -> set[ContentKey]:
    if not keys:
        return set()
    rows = session.execute(
        select(Submission.channel, Submission.content_id)
        .where(pairs_in(Submission.channel, Submission.content_id, keys))  # type: ignore[arg-type]
    )
    return {(channel, content_id) for channel, content_id in rows if content_id is not None}


def _sent(session: Session, message_ids: set[str]) -> dict[str, SentRef]:
    if not message_ids:
        return {}
    rows = session.execute(
        select(SentMessage.message_id, SentMessage.id, SentMessage.outbox_id, SentMessage.ticket_id,
               SentMessage.address, SentMessage.status)
        .where(SentMessage.message_id.in_(message_ids))
    )
    return {row.message_id: SentRef(row.id, row.outbox_id, row.ticket_id, row.address, row.status) for row in rows}


def _earlier_mails(session: Session, refs: set[ContentKey]) -> dict[ContentKey, int]:
    """Earlier submissions (with a ticket) whose content id a mail refers to: (channel, id) -> ticket id."""
    if not refs:
        return {}
    rows = session.execute(
        select(Submission.channel, Submission.content_id, Submission.ticket_id)
        .where(pairs_in(Submission.channel, Submission.content_id, refs),  # type: ignore[arg-type]
               Submission.ticket_id.is_not(None))
    )
    return {(channel, content_id): ticket_id for channel, content_id, ticket_id in rows
            if content_id is not None and ticket_id is not None}


def _identities(session: Session, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    if not pairs:
        return {}
    rows = session.execute(
        select(ClientIdentity.kind, ClientIdentity.value, ClientIdentity.client_id)
        .where(pairs_in(ClientIdentity.kind, ClientIdentity.value, pairs))
    )
    return {(kind, value): client_id for kind, value, client_id in rows}


def first_subscriber_head(session: Session) -> tuple[str, str] | None:
    """(login, name) of the first active head of the subscriber department, who signs for the queue."""
    row = session.execute(select(Staff.login, Staff.name).where(
        Staff.role == "subscriber_head", Staff.active.is_(True)).order_by(Staff.login).limit(1)).first()
    return (row.login, row.name) if row is not None else None


def active_directors(session: Session) -> list[str]:
    """Logins of the active directors, by login (the first one handles a dispute, as router.review does)."""
    return list(session.scalars(select(Staff.login).where(Staff.role == "director", Staff.active.is_(True))
                                .order_by(Staff.login)))


def clients_by_id(session: Session, ids: Iterable[int]) -> dict[int, ClientInfo]:
    """Clients by id (a scan's client, confirmed by router.scan_review rather than by an identity)."""
    return _clients(session, ids)


def tickets_by_ids(session: Session, ids: set[int]) -> dict[str, TicketRef]:
    """Tickets by id, by number (the ticket of an identity claim, router.identity_claims)."""
    return _tickets(session, set(), ids)


def _clients(session: Session, ids: Iterable[int]) -> dict[int, ClientInfo]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(select(Client.id, Client.name, Client.manager_login, Client.contract_number,
                                  Client.segment).where(Client.id.in_(wanted)))
    return {row.id: ClientInfo(row.id, row.name, row.manager_login, row.contract_number, row.segment)
            for row in rows}


_TICKET_COLUMNS = (
    Ticket.id, Ticket.number, Ticket.client_id, Ticket.assignee_login, Ticket.stage, Ticket.status,
    Ticket.first_response_due, Ticket.resolution_due, Ticket.legal_due, Ticket.closed_at,
    # for the snapshot of the TicketEvents (the client's contract comes by an outer join)
    Ticket.channel, Ticket.subject, Ticket.text, Ticket.category, Ticket.created_at, Ticket.handler_login,
    Ticket.department, Ticket.acknowledged_at, Ticket.resolved_at, Ticket.waiting_for_client,
    Ticket.director_pending, Ticket.paused_at, Ticket.dispute_due, Client.contract_number,
)


def _conversations(session: Session, keys: set[str]) -> dict[str, list[TicketRef]]:
    """The open tickets of each chat conversation, oldest first (one query)."""
    if not keys:
        return {}
    rows = session.execute(
        select(Ticket.conversation, *_TICKET_COLUMNS).outerjoin(Client, Client.id == Ticket.client_id)
        .where(Ticket.conversation.in_(keys), Ticket.status == "open").order_by(Ticket.id)
    )
    found: dict[str, list[TicketRef]] = {}
    for row in rows:
        found.setdefault(row.conversation, []).append(_ticket_ref(row))
    return found


def _tickets(session: Session, numbers: set[str], ids: set[int]) -> dict[str, TicketRef]:
    """The tickets named by number or reached through a Message-ID, by number (one query)."""
    if not numbers and not ids:
        return {}
    wanted = [clause for clause in (Ticket.number.in_(numbers) if numbers else None,
                                    Ticket.id.in_(ids) if ids else None) if clause is not None]
    rows = session.execute(select(*_TICKET_COLUMNS).outerjoin(Client, Client.id == Ticket.client_id)
                           .where(or_(*wanted)))
    return {row.number: _ticket_ref(row) for row in rows}


def _ticket_ref(row: Any) -> TicketRef:
    return TicketRef(
        number=row.number, client_id=row.client_id, assignee=row.assignee_login, stage=row.stage,
        status=row.status, id=row.id,
        clocks=Clocks(first_response_due=aware(row.first_response_due),
                      resolution_due=aware(row.resolution_due), legal_due=aware(row.legal_due)),
        closed_at=aware(row.closed_at) if row.closed_at is not None else None,
        contract_number=row.contract_number, channel=row.channel, subject=row.subject, text=row.text,
        category=row.category, created_at=aware(row.created_at), handler=row.handler_login,
        department=row.department, acknowledged_at=_aware_or_none(row.acknowledged_at),
        resolved_at=_aware_or_none(row.resolved_at), waiting_for_client=bool(row.waiting_for_client),
        director_pending=bool(row.director_pending), paused_at=_aware_or_none(row.paused_at),
        dispute_due=_aware_or_none(row.dispute_due),
    )


def _aware_or_none(value: datetime | None) -> datetime | None:
    return aware(value) if value is not None else None
