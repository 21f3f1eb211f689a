"""Worker `normalize`: INTAKE RawSubmission -> COMPLAINTS ComplaintEvent (pure normalizer in between).

A pulled batch is handled in one call: every submission is normalized and all the events are
sent together; once their PubAcks are in (awaited in the background while the next batch is
normalized), each source message is acked if its own event is stored, or retried/shunted alone.

The normalizer gets its configuration (built once from the settings, held by the Runtime) and the
`{Channel: step}` mapping of the channel registry as arguments: it keeps neither itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from faststream.nats import NatsBroker, NatsMessage
from nats.aio.msg import Msg

from channels.base import RawSubmission
from channels.blobs import BlobStore
from normalizer import ComplaintEvent, NormalizerConfig, normalize
from workers.app.runtime import Runtime
from workers.bus.batching import BatchPublisher, InFlight, Publication, SettleBehind, publisher_for
from workers.bus.consumers import ConsumerSpec, batch_subscriber
from workers.bus.reliability import Settler
from workers.bus.shunt import jetstream_of
from workers.bus.streams import COMPLAINTS_SUBJECT, INTAKE_PREFIX
from workers.channels.registry import normalizer_steps

STAGE = "normalize"
SPEC = ConsumerSpec(durable="normalize", stream="INTAKE", subject=f"{INTAKE_PREFIX}.*")
BATCH = 256
# Batches whose PubAcks may be awaited while the next one is normalized: the stream stores (and
# fsyncs) each event, so waiting idle for them would leave the CPU unused half the time.
SETTLE_DEPTH = 2

Normalizer = Callable[[RawSubmission], ComplaintEvent]


def normalizer(config: NormalizerConfig, blobs: BlobStore | None = None) -> Normalizer:
    """normalize() bound to one configuration, the registry's channel steps and the blob store."""
    return partial(normalize, config=config, channel_steps=normalizer_steps(), blobs=blobs)


def normalized(body: bytes, normalize_one: Normalizer) -> Publication:
    """The event to publish for one submission (Msg-Id: the event id). Raises on bad input."""
    event = normalize_one(RawSubmission.model_validate_json(body))
    headers = {"Nats-Msg-Id": f"event:{event.event_id}", "Nats-Expected-Stream": "COMPLAINTS",
               "content-type": "application/json"}
    return Publication(COMPLAINTS_SUBJECT, event.model_dump_json().encode(), headers)


def _normalized_or_error(body: bytes, normalize_one: Normalizer) -> Publication | Exception:
    try:
        return normalized(body, normalize_one)
    except Exception as exc:
        return exc


async def normalize_messages(
    messages: list[Msg], publisher: BatchPublisher, settler: Settler, behind: SettleBehind, normalize_one: Normalizer,
    progress_every: float,
) -> None:
    """Normalize and send the batch now; its messages are acked or retried once the PubAcks are in.

    A batch whose normalizing takes longer than `progress_every` seconds (mails of hostile markup at the
    normalizer's bounds, a second or so each) tells the server its messages are in progress each time that
    much has passed: else they would be delivered again after ack_wait while still being worked on, and a batch
    of such mails would be redone for ever."""
    outcomes: list[Publication | Exception] = []
    since = time.monotonic()
    for msg in messages:
        outcomes.append(_normalized_or_error(msg.data, normalize_one))
        if time.monotonic() - since > progress_every:
            await _in_progress(messages, publisher)
            since = time.monotonic()
    in_flight = await publisher.send([o for o in outcomes if isinstance(o, Publication)])
    await behind.start(_settle(messages, outcomes, in_flight, settler))


async def _in_progress(messages: list[Msg], publisher: BatchPublisher) -> None:
    """Every message of the batch is being worked on (ack_wait starts again); sent now, not after the batch."""
    for msg in messages:
        await msg.in_progress()
    await publisher.flush()


async def _settle(
    messages: list[Msg], outcomes: list[Publication | Exception], in_flight: InFlight, settler: Settler
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
    normalize_one = normalizer(runtime.normalizer_config, settings.blobs)

    # One handler call per pull: far less per-message framework work than a handler per message.
    @batch_subscriber(broker, SPEC, runtime.streams.intake, settings, BATCH, "RawSubmission -> ComplaintEvent")
    async def normalize_submissions(bodies: list[bytes], msg: NatsMessage) -> None:
        messages: list[Msg] = msg.raw_message  # type: ignore[assignment]
        js = jetstream_of(broker)
        await normalize_messages(messages, publisher_for(js), Settler(STAGE, settings, js), behind, normalize_one,
                                 progress_every=settings.ack_wait / 3)
