"""Worker `route`: COMPLAINTS ComplaintEvent -> ticket, history and outbox rows in one transaction.

Nothing is published inside the transaction (transactional outbox); the relay publishes after commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from faststream.nats import NatsBroker, NatsMessage
from nats.aio.msg import Msg
from sqlalchemy.orm import Session

from normalizer.event import ComplaintEvent
from router.routing import Outcome, RouteResult, RoutingPolicy, route_events
from router.timeutil import utcnow
from workers.app.runtime import Database, Runtime
from workers.bus.batching import process_batch
from workers.bus.consumers import ConsumerSpec, batch_subscriber
from workers.bus.reliability import Settler
from workers.bus.shunt import jetstream_of
from workers.bus.streams import COMPLAINTS_SUBJECT, OUTBOX_WAKE_SUBJECT

STAGE = "route"
SPEC = ConsumerSpec(durable="route", stream="COMPLAINTS", subject=COMPLAINTS_SUBJECT)
PRODUCES_OUTBOX = (Outcome.CREATED, Outcome.FOLLOW_UP, Outcome.REOPENED)


async def route_messages(
    messages: list[Msg], database: Database, runtime: Runtime, settler: Settler
) -> list[RouteResult]:
    calendar = runtime.settings.calendar
    policy = RoutingPolicy.from_days(runtime.settings.dispute_window_days, runtime.settings.sla_policy)

    def handle(session: Session, events: Sequence[ComplaintEvent]) -> list[RouteResult]:
        # The transaction begins first (on SQLite: BEGIN IMMEDIATE, the write lock): the routing moment
        # (submissions.routed_at) comes after any wait for another process's transaction, not before it.
        session.connection()
        return route_events(session, events, calendar, utcnow(), policy)

    # Urgent: a client waits for this ticket, not for the relay's or the deliver worker's bookkeeping.
    return await process_batch(messages, ComplaintEvent.model_validate_json, handle, database, settler, urgent=True)


def register(broker: NatsBroker, runtime: Runtime, database: Database) -> None:
    settings = runtime.settings
    settings.calendar.deadlines(utcnow())  # loads the production calendar now, not in the first batch

    # A batch shares one transaction: far fewer commits (fsyncs) than one per event.
    @batch_subscriber(broker, SPEC, runtime.streams.complaints, settings, settings.route_batch,
                      "ComplaintEvent -> ticket + outbox (one DB transaction)")
    async def route_batch(bodies: list[bytes], msg: NatsMessage) -> None:
        messages: list[Msg] = msg.raw_message  # type: ignore[assignment]
        results = await route_messages(messages, database, runtime, Settler(STAGE, settings, jetstream_of(broker)))
        if any(r.outcome in PRODUCES_OUTBOX for r in results):
            # A nudge, not a guarantee: the relay also polls, so a lost nudge only delays.
            await broker.publish(b"", OUTBOX_WAKE_SUBJECT)
