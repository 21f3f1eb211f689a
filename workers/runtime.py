"""What every process of the gateway holds: settings, the database and the broker connection."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from faststream.nats import NatsBroker
from nats.js.api import PubAck
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from channels.base import RawSubmission
from normalizer import identities as identity_patterns
from router.store import make_engine, make_sessionmaker, migrate
from workers.nats_embedded import running_embedded_url
from workers.settings import Settings
from workers.streams import Streams, declare_streams, intake_subject


class NatsNotRunning(RuntimeError):
    pass


def resolve_nats_url(settings: Settings) -> str:
    if settings.nats_url:
        return settings.nats_url
    url = running_embedded_url(settings.data_dir)
    if url is None:
        raise NatsNotRunning(
            "NATS is not running: start the gateway with `complaints up` or set NATS_URL to a server"
        )
    return url


def make_broker(url: str, **kwargs: object) -> NatsBroker:
    # Reconnect forever: a worker outlives a NATS restart or a cluster node failover.
    return NatsBroker(servers=url.split(","), max_reconnect_attempts=-1, reconnect_time_wait=0.5, **kwargs)  # type: ignore[arg-type]


@dataclass
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def from_settings(cls, settings: Settings, **engine_kwargs: object) -> Database:
        engine = make_engine(settings.effective_database_url, **engine_kwargs)
        return cls(engine, make_sessionmaker(engine))

    async def migrate(self) -> None:
        await migrate(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()


@dataclass
class Runtime:
    settings: Settings
    streams: Streams = field(init=False)

    def __post_init__(self) -> None:
        self.streams = declare_streams(self.settings.duplicate_window, self.settings.stream_replicas)
        identity_patterns.configure(self.settings.contract_pattern, self.settings.account_pattern)


async def declare_all_streams(broker: NatsBroker, streams: Streams) -> None:
    """Create or update every stream (idempotent): publishers need them before any subscriber starts."""
    from nats.js.api import StreamConfig
    from nats.js.errors import NotFoundError

    js = broker.config.connection_state.stream  # type: ignore[attr-defined]
    for stream in streams.all():
        config: StreamConfig = replace(stream.config, subjects=list(stream.subjects))
        try:
            await js.stream_info(config.name)
            await js.update_stream(config)
        except NotFoundError:
            await js.add_stream(config)


async def publish_submission(broker: NatsBroker, raw: RawSubmission) -> PubAck:
    """Durable hand-off of a channel's submission; returns only after JetStream's PubAck."""
    ack = await broker.publish(
        raw.model_dump_json().encode(),
        intake_subject(raw.channel),
        stream="INTAKE",
        headers={"Nats-Msg-Id": raw.dedup_key, "content-type": "application/json"},
    )
    return ack  # type: ignore[no-any-return]
