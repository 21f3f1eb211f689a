"""The reply side of the pipeline, stage by stage on a real nats-server and database: route complaint events,
relay their replies to the OUTBOUND stream, pull and deliver them exactly as the deliver worker does."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import nats
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from sqlalchemy import select, true

from normalizer.event import ComplaintEvent
from router.calendar import BusinessCalendar
from router.identity_claims import CODE_SUBJECT
from router.models import Outbox
from router.routing import route_events
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.bus.reliability import Settler, consumer_config
from workers.channels.senders.selection import Senders
from workers.stages.deliver import deliver_messages

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@contextlib.asynccontextmanager
async def outbound_streams(nats_url: str) -> AsyncIterator[JetStreamContext]:
    """A JetStream context with the two streams delivery needs (OUTBOUND, and SHUNT for what it gives up)."""
    nc = await nats.connect(nats_url)
    jetstream = nc.jetstream()
    await jetstream.add_stream(StreamConfig(name="OUTBOUND", subjects=["outbound.*"]))
    await jetstream.add_stream(StreamConfig(name="SHUNT", subjects=["shunt.>"]))
    try:
        yield jetstream
    finally:
        await nc.close()


def json_bytes(payload: dict[str, object]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


class Outbound:
    """Routes events, relays their replies to the OUTBOUND stream, pulls them like the deliver worker."""

    def __init__(self, database: Database, js: JetStreamContext, settings: Settings, senders: Senders,
                 codes: bool = False) -> None:
        self.database, self.js, self.settings, self.senders = database, js, settings, senders
        # The one-time codes of identity claims (outbound.identity_code) are relayed too only when asked for:
        # they are not replies (tests/router/test_identity_claims.py follows them to the mailbox).
        self.codes = codes
        self.published = 0
        self.payloads: dict[int, tuple[str, dict[str, Any]]] = {}

    async def route(self, *events: ComplaintEvent, **changes: Any) -> list[int]:
        """The outbox ids of the replies the events made (relayed; `changes` replace fields of each reply)."""
        await self.database.run_transaction(lambda s: route_events(s, events, BusinessCalendar(), NOW))
        async with self.database.sessions() as session:
            rows = (await session.execute(
                select(Outbox.id, Outbox.subject, Outbox.payload).where(
                    Outbox.subject.like("outbound.%"), true() if self.codes else Outbox.subject != CODE_SUBJECT)
                .order_by(Outbox.id).offset(self.published))).all()
        for row_id, subject, payload in rows:
            self.payloads[row_id] = (subject, {**payload, "outbox_id": row_id, **changes})
            await self.relay(row_id)
        self.published += len(rows)
        return [row_id for row_id, _, _ in rows]

    async def relay(self, outbox_id: int) -> None:
        """(Again) the reply on OUTBOUND, as the relay publishes it; a second time: a redelivery of the same reply."""
        subject, payload = self.payloads[outbox_id]
        await self.js.publish(subject, json_bytes(payload))

    async def deliver(self, expected: int) -> list[str]:
        sub = await self.js.pull_subscribe("outbound.*", durable="deliver",
                                           config=consumer_config(self.settings, "deliver"))
        msgs = await sub.fetch(expected, timeout=10)
        assert len(msgs) == expected
        return await deliver_messages(msgs, self.database, self.senders,
                                      Settler("deliver", self.settings, self.js))

    async def pending(self) -> tuple[int, int]:
        info = await self.js.consumer_info("OUTBOUND", "deliver")
        return info.num_pending, info.num_ack_pending
