"""Worker `normalize`: INTAKE RawSubmission -> COMPLAINTS ComplaintEvent (pure normalizer in between).

A pulled batch is handled in one call: every submission is normalized and all the events are
sent together; once their PubAcks are in (awaited in the background while the next batch is
normalized), each source message is acked if its own event is stored, or retried/shunted alone.
"""

from __future__ import annotations

from faststream.nats import NatsBroker, NatsMessage
from nats.aio.msg import Msg

from channels.base import RawSubmission
from channels.blobs import BlobStore
from normalizer import normalize
from workers.batching import BatchPublisher, InFlight, Outgoing, SettleBehind, publisher_for
from workers.consumers import ConsumerSpec, batch_subscriber
from workers.reliability import Settler
from workers.runtime import Runtime
from workers.shunt import jetstream_of
from workers.streams import COMPLAINTS_SUBJECT, INTAKE_PREFIX

STAGE = "normalize"
SPEC = ConsumerSpec(durable="normalize", stream="INTAKE", subject=f"{INTAKE_PREFIX}.*")
BATCH = 256
# Batches whose PubAcks may be awaited while the next one is normalized: the stream stores (and
# fsyncs) each event, so waiting idle for them would leave the CPU unused half the time.
SETTLE_DEPTH = 2


def normalized(body: bytes, blobs: BlobStore | None = None) -> Outgoing:
    """The event to publish for one submission (Msg-Id: the event id). Raises on bad input."""
    event = normalize(RawSubmission.model_validate_json(body), blobs=blobs)
    headers = {"Nats-Msg-Id": f"event:{event.event_id}", "Nats-Expected-Stream": "COMPLAINTS",
               "content-type": "application/json"}
    return Outgoing(COMPLAINTS_SUBJECT, event.model_dump_json().encode(), headers)


def _normalized_or_error(body: bytes, blobs: BlobStore | None) -> Outgoing | Exception:
    try:
        return normalized(body, blobs)
    except Exception as exc:
        return exc


async def normalize_messages(
    messages: list[Msg], publisher: BatchPublisher, settler: Settler, behind: SettleBehind,
    blobs: BlobStore | None = None,
) -> None:
    """Normalize and send the batch now; its messages are acked or retried once the PubAcks are in."""
    outcomes = [_normalized_or_error(msg.data, blobs) for msg in messages]
    in_flight = await publisher.send([o for o in outcomes if isinstance(o, Outgoing)])
    await behind.start(_settle(messages, outcomes, in_flight, settler))


async def _settle(
    messages: list[Msg], outcomes: list[Outgoing | Exception], in_flight: InFlight, settler: Settler
) -> None:
    published = iter(await in_flight.results())
    for msg, outcome in zip(messages, outcomes, strict=True):
        result = outcome if isinstance(outcome, Exception) else next(published)
        if isinstance(result, Exception):
            await settler.failed(msg, result)
        else:
            await msg.ack()


def register(broker: NatsBroker, runtime: Runtime) -> None:
    settings = runtime.settings
    behind = SettleBehind(SETTLE_DEPTH)

    # One handler call per pull: far less per-message framework work than a handler per message.
    @batch_subscriber(broker, SPEC, runtime.streams.intake, settings, BATCH, "RawSubmission -> ComplaintEvent")
    async def normalize_submissions(bodies: list[bytes], msg: NatsMessage) -> None:
        messages: list[Msg] = msg.raw_message  # type: ignore[assignment]
        js = jetstream_of(broker)
        await normalize_messages(messages, publisher_for(js), Settler(STAGE, settings, js), behind, settings.blobs)
