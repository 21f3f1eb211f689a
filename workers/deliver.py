"""Worker `deliver`: OUTBOUND reply -> the channel's sender (idempotent on the outbox id).

A pulled batch is delivered in one transaction with a few queries for the whole batch: outbox ids
already delivered, clients, ticket ids; each sender records its replies together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from faststream.nats import NatsBroker, NatsMessage
from nats.aio.msg import Msg
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from router.contracts import OutboundMessage
from router.models import Client, Delivery, Ticket
from router.timeutil import utcnow
from workers.batching import process_batch
from workers.consumers import ConsumerSpec, batch_subscriber
from workers.reliability import Settler
from workers.runtime import Database, Runtime
from workers.senders.base import Contact, DeliveryResult, Reply, Sender
from workers.senders.registry import sender_for
from workers.shunt import jetstream_of
from workers.streams import OUTBOUND_PREFIX

STAGE = "deliver"
SPEC = ConsumerSpec(durable="deliver", stream="OUTBOUND", subject=f"{OUTBOUND_PREFIX}.*")
BATCH = 256
DUPLICATE = "duplicate"


def _delivered(session: Session, outbox_ids: set[int]) -> set[int]:
    return set(session.scalars(select(Delivery.outbox_id).where(Delivery.outbox_id.in_(outbox_ids))))


def _contacts(session: Session, client_ids: set[int]) -> dict[int, Contact]:
    if not client_ids:
        return {}
    rows = session.execute(select(Client.id, Client.preferred_channel).where(Client.id.in_(client_ids)))
    return {row.id: Contact(row.id, row.preferred_channel) for row in rows}


def _ticket_ids(session: Session, numbers: set[str]) -> dict[str, int]:
    rows = session.execute(select(Ticket.number, Ticket.id).where(Ticket.number.in_(numbers)))
    return {number: ticket_id for number, ticket_id in rows}


def _new_replies(session: Session, messages: Sequence[OutboundMessage]) -> dict[int, Reply]:
    """The replies not delivered yet, by position in the batch (a repeated outbox id counts once)."""
    done = _delivered(session, {m.outbox_id for m in messages})
    contacts = _contacts(session, {m.client_id for m in messages if m.client_id})
    tickets = _ticket_ids(session, {m.ticket_number for m in messages})
    replies: dict[int, Reply] = {}
    for index, message in enumerate(messages):
        if message.outbox_id in done:
            continue
        done.add(message.outbox_id)
        ticket_id = tickets.get(message.ticket_number)
        if ticket_id is None:
            raise LookupError(f"ticket {message.ticket_number} of outbox {message.outbox_id} not found")
        client = contacts.get(message.client_id) if message.client_id else None
        replies[index] = Reply(message, client, ticket_id)
    return replies


def deliver_batch(session: Session, messages: Sequence[OutboundMessage]) -> list[str]:
    """Record each reply with its sender; returns each message's status ('duplicate' if done before)."""
    replies = _new_replies(session, messages)
    by_sender: dict[int, tuple[Sender, list[int]]] = {}
    for index, reply in replies.items():
        sender = sender_for(reply.message.channel, reply.client)
        by_sender.setdefault(id(sender), (sender, []))[1].append(index)
    results: dict[int, DeliveryResult] = {}
    for sender, indexes in by_sender.values():
        recorded = sender.record(session, [replies[i] for i in indexes])
        results.update(zip(indexes, recorded, strict=True))
    _record_deliveries(session, replies, results)
    return [results[i].status if i in results else DUPLICATE for i in range(len(messages))]


def _record_deliveries(session: Session, replies: dict[int, Reply], results: dict[int, DeliveryResult]) -> None:
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {"outbox_id": reply.message.outbox_id, "ticket_id": reply.ticket_id, "channel": results[i].channel,
         "address": results[i].address, "status": results[i].status, "at": now, "detail": results[i].detail}
        for i, reply in replies.items()
    ]
    if rows:
        session.execute(insert(cast(Table, Delivery.__table__)), rows)


def register(broker: NatsBroker, runtime: Runtime, database: Database) -> None:
    settings = runtime.settings

    @batch_subscriber(broker, SPEC, runtime.streams.outbound, settings, BATCH, "OutboundMessage -> channel sender")
    async def deliver_replies(bodies: list[bytes], msg: NatsMessage) -> None:
        messages: list[Msg] = msg.raw_message  # type: ignore[assignment]
        settler = Settler(STAGE, settings, jetstream_of(broker))
        await process_batch(messages, OutboundMessage.model_validate_json, deliver_batch, database, settler)
