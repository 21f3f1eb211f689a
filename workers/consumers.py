"""Durable consumers of every worker, created or updated before the subscribers start.

A changed ConsumerConfig is not applied to an existing durable consumer by a plain subscribe,
so the gateway (re)declares them itself at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig

from workers.reliability import consumer_config
from workers.settings import Settings


@dataclass(frozen=True)
class ConsumerSpec:
    durable: str
    stream: str
    subject: str

    def config(self, settings: Settings) -> ConsumerConfig:
        return replace(consumer_config(settings, self.durable), filter_subject=self.subject)


async def ensure_consumer(js: JetStreamContext, spec: ConsumerSpec, settings: Settings) -> None:
    await js.add_consumer(spec.stream, spec.config(settings))
