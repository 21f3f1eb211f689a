"""Worker `deliver`: OUTBOUND reply -> the channel's sender (idempotent on the outbox id)."""

from __future__ import annotations

from faststream import AckPolicy
from faststream.nats import NatsBroker, NatsMessage, PullSub
from nats.aio.msg import Msg
from sqlalchemy import select
from sqlalchemy.orm import Session

from router.contracts import OutboundMessage
from router.models import Client, Delivery, Ticket
from router.timeutil import utcnow
from workers.batching import process_batch
from workers.consumers import ConsumerSpec
from workers.decoding import keep_bytes
from workers.reliability import Settler
from workers.runtime import Database, Runtime
from workers.senders.registry import sender_for
from workers.shunt import jetstream_of
from workers.streams import OUTBOUND_PREFIX

STAGE = "deliver"
SPEC = ConsumerSpec(durable="deliver", stream="OUTBOUND", subject=f"{OUTBOUND_PREFIX}.*")


def deliver_in_session(session: Session, message: OutboundMessage) -> str:
    done = session.scalar(select(Delivery.status).where(Delivery.outbox_id == message.outbox_id))
    if done is not None:
        return "duplicate"
    client = session.get(Client, message.client_id) if message.client_id else None
    ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == message.ticket_number))
    if ticket_id is None:
        raise LookupError(f"ticket {message.ticket_number} of outbox {message.outbox_id} not found")
    result = sender_for(message.channel, client).record(session, message, client, ticket_id)
    session.add(
        Delivery(
            outbox_id=message.outbox_id, ticket_id=ticket_id, channel=result.channel,
            address=result.address, status=result.status, at=utcnow(), detail=result.detail,
        )
    )
    return result.status


def register(broker: NatsBroker, runtime: Runtime, database: Database) -> None:
    settings = runtime.settings

    @broker.subscriber(
        SPEC.subject,
        stream=runtime.streams.outbound,
        durable=SPEC.durable,
        config=SPEC.config(settings),
        pull_sub=PullSub(batch_size=200, timeout=0.05, batch=True),
        ack_policy=AckPolicy.MANUAL,
        decoder=keep_bytes,
        title="deliver",
        description="OutboundMessage -> channel sender",
    )
    async def deliver_replies(bodies: list[bytes], msg: NatsMessage) -> None:
        messages: list[Msg] = msg.raw_message  # type: ignore[assignment]
        settler = Settler(STAGE, settings, jetstream_of(broker))
        await process_batch(messages, OutboundMessage.model_validate_json, deliver_in_session, database, settler)
