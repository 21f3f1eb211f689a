"""Worker `route`: COMPLAINTS ComplaintEvent -> ticket, history and outbox rows in one transaction.

Nothing is published inside the transaction (transactional outbox); the relay publishes after commit.
"""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from typing import Any

from faststream.nats import NatsBroker, NatsMessage
from nats.aio.msg import Msg
from sqlalchemy.orm import Session

from normalizer.event import ComplaintEvent
from router.routing import Outcome, RouteResult, RoutingPolicy, route_events
from router.timeutil import utcnow
from workers.app.runtime import Database, Runtime
from workers.bus.batching import SettleBehind, submit_batch
from workers.bus.consumers import ConsumerSpec, batch_subscriber
from workers.bus.reliability import Settler
from workers.bus.shunt import jetstream_of
from workers.bus.streams import COMPLAINTS_SUBJECT, OUTBOX_WAKE_SUBJECT

STAGE = "route"
SPEC = ConsumerSpec(durable="route", stream="COMPLAINTS", subject=COMPLAINTS_SUBJECT)
PRODUCES_OUTBOX = (Outcome.CREATED, Outcome.FOLLOW_UP, Outcome.REOPENED)
BATCHES_SETTLING = 1  # batches committing in the background while the next one is pulled and queued


async def route_messages(
    messages: list[Msg], database: Database, runtime: Runtime, settler: Settler
) -> list[RouteResult]:
    return await submit_routing(messages, database, runtime, settler)


def submit_routing(
    messages: list[Msg], database: Database, runtime: Runtime, settler: Settler
) -> Coroutine[Any, Any, list[RouteResult]]:
    """The batch's routing transaction queued now (submit_batch); the coroutine settles it after the commit."""
    calendar = runtime.settings.calendar
    policy = RoutingPolicy.from_days(runtime.settings.dispute_window_days, runtime.settings.sla_policy,
                                     runtime.settings.chat_receipt_quiet_minutes)

    def handle(session: Session, events: Sequence[ComplaintEvent]) -> list[RouteResult]:
        # The transaction begins first (on SQLite: BEGIN IMMEDIATE, the write lock): the routing moment
        # (submissions.routed_at) comes after any wait for another process's transaction, not before it.
        session.connection()
        return route_events(session, events, calendar, utcnow(), policy)

    # Urgent: a client waits for this ticket, not for the relay's or the deliver worker's bookkeeping.
    return submit_batch(messages, ComplaintEvent.model_validate_json, handle, database, settler, urgent=True)


def register(broker: NatsBroker, runtime: Runtime, database: Database) -> None:
    settings = runtime.settings
    settings.calendar.deadlines(utcnow())  # loads the production calendar now, not in the first batch
    # While one batch commits, the next is pulled, decoded and queued behind it: the writer never waits for
    # the round trips between two batches (settling, the next fetch) while complaints are waiting.
    behind = SettleBehind(BATCHES_SETTLING)

    async def settle(routed: Coroutine[Any, Any, list[RouteResult]]) -> None:
        if any(r.outcome in PRODUCES_OUTBOX for r in await routed):
            # A nudge, not a guarantee: the relay also polls, so a lost nudge only delays.
            await broker.publish(b"", OUTBOX_WAKE_SUBJECT)

    # A batch shares one transaction: far fewer commits (fsyncs) than one per event.
    @batch_subscriber(broker, SPEC, runtime.streams.complaints, settings, settings.route_batch,
                      "ComplaintEvent -> ticket + outbox (one DB transaction)")
    async def route_batch(bodies: list[bytes], msg: NatsMessage) -> None:
        messages: list[Msg] = msg.raw_message  # type: ignore[assignment]
        routed = submit_routing(messages, database, runtime, Settler(STAGE, settings, jetstream_of(broker)))
        await behind.start(settle(routed))
