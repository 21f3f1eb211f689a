"""Worker `deliver`: OUTBOUND reply -> the channel's sender (idempotent on the outbox id).

No transaction is ever open while a platform is talked to. Per pulled batch:
1. plan (one transaction): the outbox ids already delivered, clients and ticket ids for the whole
   batch; store-only senders (call-back tasks) record right here with their deliveries, platform
   senders prepare (read addresses, build the messages);
2. send (no transaction): each platform sender sends what it prepared;
3. record (a second transaction): deliveries and the platform sender's own rows.
A reply that failed temporarily is not recorded: its message is nak'ed with a delay and comes
back; the replies of its batch that went out are recorded and acked, so they are not sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from faststream.nats import NatsBroker, NatsMessage
from nats.aio.msg import Msg
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from router.contracts import OutboundMessage
from router.identity_claims import CODE_SUBJECT
from router.models import Client, Delivery, Ticket
from router.outbox import OUTBOUND_PREFIX
from router.timeutil import utcnow
from workers.app.runtime import Database, Runtime
from workers.bus.batching import _decode_all
from workers.bus.consumers import ConsumerSpec, batch_subscriber
from workers.bus.reliability import Settler, describe
from workers.bus.shunt import jetstream_of
from workers.channels.senders.base import Contact, DeliveryResult, PlatformSender, Reply, Sender, TemporaryFailure
from workers.channels.senders.history import history_row, write_history
from workers.channels.senders.selection import CALLBACK, NO_PLATFORMS, Senders
from workers.stages.identity_code import mail_code

log = logging.getLogger("complaints.deliver")

STAGE = "deliver"
SPEC = ConsumerSpec(durable="deliver", stream="OUTBOUND", subject=f"{OUTBOUND_PREFIX}.*")
BATCH = 256
DUPLICATE = "duplicate"
MARKED_CHUNK = 16  # replies marked "sending" together: at most this many left "uncertain" by a kill
SENDING = "sending"  # a reply going out on a platform that must not get it twice (PlatformSender.resend_safe)
UNCERTAIN = "uncertain"
INTERRUPTED = "отправка прервана (обработчик остановлен во время отправки): ответ мог дойти, повторно не отправлялся"
INTERRUPTED_NOTE = f"Неизвестно, дошёл ли ответ клиенту: {INTERRUPTED}. Проверьте переписку"
RETRY = "retry"


def _delivered(session: Session, outbox_ids: set[int]) -> set[int]:
    """Replies with a final record (a "sending" mark is not one)."""
    return set(session.scalars(select(Delivery.outbox_id).where(Delivery.outbox_id.in_(outbox_ids),
                                                                Delivery.status != SENDING)))


def _settle_interrupted(session: Session, outbox_ids: set[int]) -> set[int]:
    """Replies marked "sending" by an attempt that never recorded its outcome (its process was killed while
    sending): they may have reached the client, so they are recorded "uncertain" with a history entry for
    staff to check, and are not sent again. Returns their outbox ids."""
    rows = session.execute(select(Delivery.id, Delivery.outbox_id, Delivery.ticket_id, Delivery.channel).where(
        Delivery.outbox_id.in_(outbox_ids), Delivery.status == SENDING)).all()
    if not rows:
        return set()
    now = utcnow()
    session.execute(update(Delivery).where(Delivery.id.in_([row.id for row in rows]))
                    .values(status=UNCERTAIN, at=now, detail=INTERRUPTED))
    write_history(session, [history_row(row.ticket_id, now, "reply_uncertain", INTERRUPTED_NOTE)
                            for row in rows if row.ticket_id is not None])
    log.warning("deliver: %d replies interrupted while sending recorded as uncertain", len(rows))
    return {row.outbox_id for row in rows}


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
    outbox_ids = {m.outbox_id for m in messages}
    done = _delivered(session, outbox_ids) | _settle_interrupted(session, outbox_ids)
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


@dataclass
class PlatformWork:
    """Replies a platform sender prepared in the plan transaction, to send outside it."""

    sender: PlatformSender[Any]
    indexes: list[int]
    prepared: list[Any]


@dataclass
class Plan:
    replies: dict[int, Reply]
    statuses: dict[int, str]  # done in the plan transaction: recorded (call-backs) or duplicates
    platform: list[PlatformWork]


def plan_batch(session: Session, messages: Sequence[OutboundMessage], senders: Senders = NO_PLATFORMS) -> Plan:
    """The first transaction: store-only senders record, platform senders prepare."""
    replies = _new_replies(session, messages)
    platforms = {id(sender) for sender in senders.platform.values()}
    store: dict[int, tuple[Sender, list[int]]] = {}
    platform: dict[int, tuple[PlatformSender[Any], list[int]]] = {}
    for index, reply in replies.items():
        sender = senders.for_reply(reply.message.channel, reply.client)
        if id(sender) in platforms:
            platform.setdefault(id(sender), (cast(PlatformSender[Any], sender), []))[1].append(index)
        else:
            store.setdefault(id(sender), (cast(Sender, sender), []))[1].append(index)
    work: list[PlatformWork] = []
    for sender, indexes in platform.values():
        prepared = sender.prepare(session, [replies[i] for i in indexes])
        kept = [(i, item) for i, item in zip(indexes, prepared, strict=True) if item is not None]
        # No address on that platform (e.g. a fax-gateway mail): an operator calls back instead.
        for i in (i for i, item in zip(indexes, prepared, strict=True) if item is None):
            store.setdefault(id(CALLBACK), (CALLBACK, []))[1].append(i)
        if kept:
            work.append(PlatformWork(sender, [i for i, _ in kept], [item for _, item in kept]))
    results: dict[int, DeliveryResult] = {}
    for store_sender, indexes in store.values():
        recorded = store_sender.record(session, [replies[i] for i in indexes])
        results.update(zip(indexes, recorded, strict=True))
    _record_deliveries(session, {i: replies[i] for i in results}, results)
    statuses = {i: result.status for i, result in results.items()}
    statuses.update({i: DUPLICATE for i in range(len(messages)) if i not in replies})
    return Plan(replies, statuses, work)


def mark_sending(session: Session, channel: str, replies: list[Reply]) -> None:
    """Committed with the plan, before anything is sent: the trace a killed attempt leaves."""
    now = utcnow()
    session.execute(insert(cast(Table, Delivery.__table__)), [
        {"outbox_id": reply.message.outbox_id, "ticket_id": reply.ticket_id, "channel": channel, "address": None,
         "status": SENDING, "at": now, "detail": None} for reply in replies])


def _unmark_sending(session: Session, outbox_ids: set[int]) -> None:
    """Nothing was sent (a temporary failure): the reply may be tried again."""
    session.execute(delete(Delivery).where(Delivery.outbox_id.in_(outbox_ids), Delivery.status == SENDING))


def record_sent(session: Session, plan: Plan, outcomes: dict[int, DeliveryResult]) -> None:
    """The second transaction: what became of the replies handed to platforms."""
    # Recorded meanwhile by a redelivered copy on another worker: that record stands.
    done = _delivered(session, {plan.replies[i].message.outbox_id for i in outcomes})
    fresh = {i: result for i, result in outcomes.items() if plan.replies[i].message.outbox_id not in done}
    _unmark_sending(session, {plan.replies[i].message.outbox_id for i in fresh})  # replaced by the outcome
    for work in plan.platform:
        picked = [(i, item) for i, item in zip(work.indexes, work.prepared, strict=True) if i in fresh]
        if picked:
            work.sender.record(session, [item for _, item in picked], [fresh[i] for i, _ in picked])
    _record_deliveries(session, {i: plan.replies[i] for i in fresh}, fresh)


def deliver_batch(session: Session, messages: Sequence[OutboundMessage]) -> list[str]:
    """Store-only delivery in one transaction (no platform senders); each message's status."""
    plan = plan_batch(session, messages)
    assert not plan.platform, "platform senders send outside the transaction: use deliver_messages"
    return [plan.statuses[i] for i in range(len(messages))]


def _record_deliveries(session: Session, replies: dict[int, Reply], results: dict[int, DeliveryResult]) -> None:
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {"outbox_id": reply.message.outbox_id, "ticket_id": reply.ticket_id, "channel": results[i].channel,
         "address": results[i].address, "status": results[i].status, "at": now, "detail": results[i].detail}
        for i, reply in replies.items()
    ]
    if rows:
        session.execute(insert(cast(Table, Delivery.__table__)), rows)


async def deliver_messages(messages: list[Msg], database: Database, senders: Senders, settler: Settler) -> list[str]:
    """Plan, send, record and settle a pulled batch; returns each decodable message's status (the one-time
    codes of identity claims, mailed by workers.stages.identity_code, come first)."""
    codes = [msg for msg in messages if msg.subject == CODE_SUBJECT]
    statuses = [await mail_code(msg, database, senders, settler) for msg in codes]
    replies = [msg for msg in messages if msg.subject != CODE_SUBJECT] if codes else messages
    decoded, undecodable = _decode_all(replies, OutboundMessage.model_validate_json)
    for msg, exc in undecodable:
        await settler.failed(msg, exc)
    return statuses + await _deliver(decoded, database, senders, settler)


async def _deliver(decoded: list[tuple[Msg, OutboundMessage]], database: Database, senders: Senders,
                   settler: Settler) -> list[str]:
    if not decoded:
        return []
    items = [item for _, item in decoded]
    try:
        plan = await database.run_transaction(lambda s: plan_batch(s, items, senders))
    except Exception as exc:
        if len(decoded) == 1:
            await settler.failed(decoded[0][0], exc)
            return [RETRY]
        # One bad reply (e.g. its ticket is unknown) must not hold up the others: one at a time.
        return [status for one in decoded for status in await _deliver([one], database, senders, settler)]
    statuses: list[str] = [plan.statuses.get(i, RETRY) for i in range(len(decoded))]
    for index in plan.statuses:
        await decoded[index][0].ack()

    retry: dict[int, BaseException] = {}
    for work in plan.platform:
        await _send_work(work, plan, decoded, database, settler, statuses, retry)
    if retry:
        unsent = {plan.replies[index].message.outbox_id for index in retry}
        try:
            await database.run_transaction(lambda s: _unmark_sending(s, unsent))
        except Exception as exc:  # left marked: the retry records them "uncertain" instead of sending
            log.error("deliver: %d unsent replies left marked as sending: %s", len(unsent), type(exc).__name__)
    for index, error in retry.items():
        await settler.failed(decoded[index][0], error)
    return statuses


async def _send(sender: PlatformSender[Any], prepared: Sequence[Any]) -> list[DeliveryResult | TemporaryFailure]:
    try:
        return await sender.send(prepared)
    except Exception as exc:  # a sender's own bug: nothing known to be sent, retry (then shunt)
        log.exception("deliver: %s sender failed", sender.channel)
        return [TemporaryFailure(describe(exc))] * len(prepared)


async def _send_work(work: PlatformWork, plan: Plan, decoded: list[tuple[Msg, OutboundMessage]], database: Database,
                     settler: Settler, statuses: list[str], retry: dict[int, BaseException]) -> None:
    """Send a platform's replies and record what became of them; temporary failures go into `retry`.

    A resend-safe platform gets the whole batch in one go. One that must not get a reply twice gets chunks of
    MARKED_CHUNK, each marked "sending" in its own commit first and recorded right after: a process killed in
    between leaves at most one chunk of unknown fate, which the redelivery records "uncertain" for staff to
    check (_settle_interrupted) instead of sending it again.
    """
    marked = not work.sender.resend_safe
    pairs = list(zip(work.indexes, work.prepared, strict=True))
    size = MARKED_CHUNK if marked else max(1, len(pairs))
    for start in range(0, len(pairs), size):
        chunk = pairs[start:start + size]
        if marked:
            replies = [plan.replies[index] for index, _ in chunk]
            try:
                await database.run_transaction(partial(mark_sending, channel=work.sender.channel, replies=replies))
            except Exception as exc:  # not marked, not sent: retried
                retry.update({index: exc for index, _ in chunk})
                continue
        results = await _send(work.sender, [item for _, item in chunk])
        outcomes: dict[int, DeliveryResult] = {}
        for (index, _), result in zip(chunk, results, strict=True):
            if isinstance(result, TemporaryFailure):
                retry[index] = result  # (unmarked with the others before the retry)
            else:
                outcomes[index] = result
        if not outcomes:
            continue
        try:
            await database.run_transaction(partial(record_sent, plan=plan, outcomes=outcomes))
        except Exception as exc:
            # Sent but not recorded: redelivered, and then sent again under the same key (resend-safe) or, still
            # marked, recorded "uncertain" and never resent.
            log.error("deliver: %d replies sent but not recorded: %s", len(outcomes), type(exc).__name__)
            for index in outcomes:
                await settler.failed(decoded[index][0], exc)
            continue
        for index, result in outcomes.items():
            statuses[index] = result.status
            await decoded[index][0].ack()


def register(broker: NatsBroker, runtime: Runtime, database: Database) -> Senders:
    """Subscribes the deliver worker; returns its senders, whose clients the caller closes at stop."""
    settings = runtime.settings
    senders = Senders.from_settings(settings)

    @batch_subscriber(broker, SPEC, runtime.streams.outbound, settings, BATCH, "OutboundMessage -> channel sender")
    async def deliver_replies(bodies: list[bytes], msg: NatsMessage) -> None:
        messages: list[Msg] = msg.raw_message  # type: ignore[assignment]
        await deliver_messages(messages, database, senders, Settler(STAGE, settings, jetstream_of(broker)))

    return senders
