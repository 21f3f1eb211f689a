"""Durable consumers of every worker, created or updated before the subscribers start.

A changed ConsumerConfig is not applied to an existing durable consumer by a plain subscribe,
so the gateway (re)declares them itself at start-up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig

from workers.app.settings import Settings
from workers.bus.decoding import keep_bytes
from workers.bus.reliability import consumer_config

BatchHandler = Callable[[list[bytes], NatsMessage], Awaitable[None]]


@dataclass(frozen=True)
class ConsumerSpec:
    durable: str
    stream: str
    subject: str

    def config(self, settings: Settings) -> ConsumerConfig:
        return replace(consumer_config(settings, self.durable), filter_subject=self.subject)


async def ensure_consumer(js: JetStreamContext, spec: ConsumerSpec, settings: Settings) -> None:
    await js.add_consumer(spec.stream, spec.config(settings))


def batch_subscriber(
    broker: NatsBroker, spec: ConsumerSpec, stream: JStream, settings: Settings, batch_size: int, description: str
) -> Callable[[BatchHandler], object]:
    """The one way a worker subscribes: durable pull consumer, a batch per handler call, manual acks.

    Manual acks everywhere: each stage acks after its work is durable and settles failures itself
    (workers.bus.reliability); FastStream's default (reject on error) would lose the message.
    """
    return broker.subscriber(
        spec.subject,
        stream=stream,
        durable=spec.durable,
        config=spec.config(settings),
        # Short collection window: a lone message waits at most 50 ms for company.
        pull_sub=PullSub(batch_size=batch_size, timeout=0.05, batch=True),
        ack_policy=AckPolicy.MANUAL,
        decoder=keep_bytes,
        title=spec.durable,
        description=description,
    )
