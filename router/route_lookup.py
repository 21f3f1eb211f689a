"""What a routing batch needs from the store, read in a handful of queries for the whole batch.

Instead of four SELECTs per event: one for the native ids already routed, one for the content ids
(email Message-IDs) already routed, one or two for the clients behind the identities, and, only
when events refer to anything, one each for our sent messages and the client's earlier mails they
name and one for the tickets behind all that.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, bindparam, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from channels.base import CHAT_CHANNELS
from normalizer.event import ComplaintEvent
from router.contracts import Clocks
from router.directory import identity_pairs
from router.models import (
    CONTENT_ID_MAX,
    Client,
    ClientIdentity,
    Outbox,
    SentMessage,
    Staff,
    Submission,
    Ticket,
    cast_table,
)
from router.outbox import TO_CLIENT
from router.sla.policy import Clock
from router.timeutil import aware, to_utc

# The tables' columns, for the statements every routing batch runs: a statement on plain tables runs without the
# ORM's per-execution work (the rows are the same).
_SUBMISSION = cast_table(Submission).c
_IDENTITY = cast_table(ClientIdentity).c
_SENT_MESSAGE = cast_table(SentMessage).c
_STAFF = cast_table(Staff).c
_CLIENT = cast_table(Client).c
_TICKET = cast_table(Ticket).c


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
    last_told_at: datetime | None = None  # when the client was last written to on it (read once, when needed)
    told_read: bool = False

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


def last_told_at(session: Session, ticket_id: int) -> datetime | None:
    """When the client was last written to on the ticket (any reply or notice we queued), if ever."""
    told = session.scalar(select(func.max(Outbox.created_at)).where(Outbox.ticket_id == ticket_id, TO_CLIENT))
    return aware(told) if told is not None else None


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
    return [ref for ref in event.thread_refs if is_message_id(ref) and fits_content_column(ref)]


def content_key(event: ComplaintEvent) -> ContentKey | None:
    """(channel, content id) when the event has one that fits the column (a longer one is not kept)."""
    if event.content_id and fits_content_column(event.content_id):
        return (event.channel.value, event.content_id)
    return None


def fits_content_column(value: str) -> bool:
    """At most CONTENT_ID_MAX bytes of UTF-8, not characters: a unique index entry must fit a PostgreSQL
    b-tree page (2,704 bytes), and 998 four-byte characters (RFC 6532 allows them in a Message-ID) do not."""
    return len(value) <= CONTENT_ID_MAX and len(value.encode("utf-8", "surrogatepass")) <= CONTENT_ID_MAX


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
    clauses = [and_(first == a, second.in_(bs)) for a, bs in _grouped(pairs).items()]
    return or_(*clauses) if clauses else false()


def _grouped(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for a, b in pairs:
        grouped.setdefault(a, []).append(b)
    return grouped


S = TypeVar("S")
_PAIRS_STATEMENTS: dict[tuple[str, int], Any] = {}
_MOST_GROUPS_KEPT = 16  # distinct first values (channels, identity kinds) are few; more are built each time


Column = ColumnElement[str] | InstrumentedAttribute[str]


def with_pairs(name: str, build: Callable[[ColumnElement[bool]], S], first: Column, second: Column,
               pairs: Iterable[tuple[str, str]]) -> tuple[S, dict[str, Any]]:
    """`build(where)` with `where` the pairs_in condition written with bind parameters, and the parameters.

    The statement is built once per `name` and number of distinct first values, then reused: on the small
    batches of a steady load, building a statement and its cache key costs more than running the query.
    `pairs` must not be empty.
    """
    grouped = _grouped(pairs)
    key = (name, len(grouped))
    statement = _PAIRS_STATEMENTS.get(key)
    if statement is None:
        where = or_(*(and_(first == bindparam(f"pair_first_{i}"),
                           second.in_(bindparam(f"pair_second_{i}", expanding=True)))
                      for i in range(len(grouped))))
        statement = build(where)
        if len(grouped) <= _MOST_GROUPS_KEPT:
            _PAIRS_STATEMENTS[key] = statement
    params: dict[str, Any] = {}
    for i, (a, bs) in enumerate(grouped.items()):
        params[f"pair_first_{i}"], params[f"pair_second_{i}"] = a, bs
    return statement, params


def submissions_with(keys: Iterable[tuple[str, str]]) -> ColumnElement[bool]:
    """WHERE (channel, native_id) is one of `keys` (the unique index)."""
    return pairs_in(Submission.channel, Submission.native_id, keys)


def _seen(session: Session, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    if not keys:
        return set()
    statement, params = with_pairs(
        "seen", lambda where: select(_SUBMISSION.channel, _SUBMISSION.native_id).where(where),
        _SUBMISSION.channel, _SUBMISSION.native_id, keys)
    return {(channel, native_id) for channel, native_id in session.execute(statement, params)}


def _seen_content(session: Session, keys: set[ContentKey]) -> set[ContentKey]:
    if not keys:
        return set()
    statement, params = with_pairs(
        "seen_content", lambda where: select(_SUBMISSION.channel, _SUBMISSION.content_id).where(where),
        _SUBMISSION.channel, _SUBMISSION.content_id, keys)
    return {(channel, content_id) for channel, content_id in session.execute(statement, params)
            if content_id is not None}


_SENT = select(_SENT_MESSAGE.message_id, _SENT_MESSAGE.id, _SENT_MESSAGE.outbox_id, _SENT_MESSAGE.ticket_id,
               _SENT_MESSAGE.address, _SENT_MESSAGE.status).where(
    _SENT_MESSAGE.message_id.in_(bindparam("message_ids", expanding=True)))


def _sent(session: Session, message_ids: set[str]) -> dict[str, SentRef]:
    if not message_ids:
        return {}
    rows = session.execute(_SENT, {"message_ids": list(message_ids)})
    return {row.message_id: SentRef(row.id, row.outbox_id, row.ticket_id, row.address, row.status) for row in rows}


def _earlier_mails(session: Session, refs: set[ContentKey]) -> dict[ContentKey, int]:
    """Earlier submissions (with a ticket) whose content id a mail refers to: (channel, id) -> ticket id."""
    if not refs:
        return {}
    statement, params = with_pairs(
        "earlier_mails",
        lambda where: select(_SUBMISSION.channel, _SUBMISSION.content_id, _SUBMISSION.ticket_id)
        .where(where, _SUBMISSION.ticket_id.is_not(None)),
        _SUBMISSION.channel, _SUBMISSION.content_id, refs)
    return {(channel, content_id): ticket_id for channel, content_id, ticket_id in session.execute(statement, params)
            if content_id is not None and ticket_id is not None}


def _identities(session: Session, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    if not pairs:
        return {}
    statement, params = with_pairs(
        "identities",
        lambda where: select(_IDENTITY.kind, _IDENTITY.value, _IDENTITY.client_id).where(where),
        _IDENTITY.kind, _IDENTITY.value, pairs)
    return {(kind, value): client_id for kind, value, client_id in session.execute(statement, params)}


_FIRST_SUBSCRIBER_HEAD = select(_STAFF.login, _STAFF.name).where(
    _STAFF.role == "subscriber_head", _STAFF.active.is_(True)).order_by(_STAFF.login).limit(1)


def first_subscriber_head(session: Session) -> tuple[str, str] | None:
    """(login, name) of the first active head of the subscriber department, who signs for the queue."""
    row = session.execute(_FIRST_SUBSCRIBER_HEAD).first()
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


_CLIENTS = select(_CLIENT.id, _CLIENT.name, _CLIENT.manager_login, _CLIENT.contract_number, _CLIENT.segment).where(
    _CLIENT.id.in_(bindparam("ids", expanding=True)))


def _clients(session: Session, ids: Iterable[int]) -> dict[int, ClientInfo]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(_CLIENTS, {"ids": list(wanted)})
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


_TICKET_CORE_COLUMNS = tuple(attribute.property.columns[0] for attribute in _TICKET_COLUMNS)


_CONVERSATIONS = (select(_TICKET.conversation, *_TICKET_CORE_COLUMNS)
                  .outerjoin(cast_table(Client), _CLIENT.id == _TICKET.client_id)
                  .where(_TICKET.conversation.in_(bindparam("keys", expanding=True)), _TICKET.status == "open")
                  .order_by(_TICKET.id))


def _conversations(session: Session, keys: set[str]) -> dict[str, list[TicketRef]]:
    """The open tickets of each chat conversation, oldest first (one query)."""
    if not keys:
        return {}
    rows = session.execute(_CONVERSATIONS, {"keys": list(keys)})
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
