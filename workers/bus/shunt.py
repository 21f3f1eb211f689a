"""SHUNT: where a message goes when a stage cannot process it; visible with its reason and replayable."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import cast

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import PubAck
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ConfigDict

from workers.bus.streams import shunt_subject

SHUNT_STREAM = "SHUNT"
MAX_REASON_CHARS = 4000


class ShuntEnvelope(BaseModel):
    """The shunted message: the original bytes and headers plus why, where from and how often tried."""

    model_config = ConfigDict(extra="forbid")

    stage: str
    reason: str
    origin_subject: str
    origin_stream: str | None
    origin_seq: int | None
    attempts: int
    shunted_at: datetime
    headers: dict[str, str]
    data_b64: str

    @property
    def data(self) -> bytes:
        return base64.b64decode(self.data_b64)

    @property
    def replayable(self) -> bool:
        """Only a message that came from a stream goes back to one."""
        return self.origin_stream is not None

    def preview(self, limit: int = 300) -> str:
        return self.data[:limit].decode("utf-8", "replace")


class ShuntedMessage(BaseModel):
    seq: int
    envelope: ShuntEnvelope


async def shunt(js: JetStreamContext, stage: str, msg: Msg, reason: str, attempts: int) -> PubAck:
    """Publish the message to shunt.<stage>. The caller acks the original only after this returns."""
    meta = msg.metadata if msg.reply else None
    origin_stream = meta.stream if meta else None
    origin_seq = meta.sequence.stream if meta else None
    envelope = ShuntEnvelope(
        stage=stage,
        reason=reason[:MAX_REASON_CHARS],
        origin_subject=msg.subject,
        origin_stream=origin_stream,
        origin_seq=origin_seq,
        attempts=attempts,
        shunted_at=datetime.now(UTC),
        headers=dict(msg.headers or {}),
        data_b64=base64.b64encode(msg.data).decode(),
    )
    # Deduplicated on the origin's position: a crash between this publish and the ack shunts once.
    msg_id = f"shunt:{origin_stream}:{origin_seq}" if origin_seq else None
    return await js.publish(
        shunt_subject(stage),
        envelope.model_dump_json().encode(),
        stream=SHUNT_STREAM,
        headers={"Nats-Msg-Id": msg_id} if msg_id else None,
    )


async def record_at_edge(
    js: JetStreamContext, stage: str, reason: str, origin: str, data: bytes, native_key: str | None = None
) -> PubAck:
    """A SHUNT record written by a channel for input it cannot hand on (no stream message behind it):
    kept with its reason, shown in the quarantine, never replayed. `native_key` (e.g. "<channel>:<native id>")
    deduplicates repeats of the same input."""
    envelope = ShuntEnvelope(
        stage=stage, reason=reason[:4000], origin_subject=origin, origin_stream=None, origin_seq=None,
        attempts=1, shunted_at=datetime.now(UTC),
        headers={"Complaints-Native-Id": native_key} if native_key else {},
        data_b64=base64.b64encode(data).decode(),
    )
    return await js.publish(shunt_subject(stage), envelope.model_dump_json().encode(), stream=SHUNT_STREAM,
                            headers={"Nats-Msg-Id": f"shunt:{native_key}"} if native_key else None)


async def get_shunted(js: JetStreamContext, seq: int) -> ShuntedMessage | None:
    try:
        raw = await js.get_msg(SHUNT_STREAM, seq)
    except NotFoundError:
        return None
    assert raw.data is not None
    return ShuntedMessage(seq=seq, envelope=ShuntEnvelope.model_validate_json(raw.data))


async def list_shunted(js: JetStreamContext, limit: int = 200) -> list[ShuntedMessage]:
    """Oldest first; a replayed message is deleted from the stream and so no longer listed."""
    info = await js.stream_info(SHUNT_STREAM)
    found: list[ShuntedMessage] = []
    if info.state.messages == 0:
        return found
    seq = info.state.first_seq
    while seq <= info.state.last_seq and len(found) < limit:
        item = await get_shunted(js, seq)
        if item is not None:
            found.append(item)
        seq += 1
    return found


class NotReplayable(ValueError):
    """A record a channel wrote at its edge (no stream message behind it): kept to be read and fixed at
    the source, not to be put back on a stream."""


async def replay(js: JetStreamContext, seq: int) -> PubAck:
    """Put the original back on its subject, then remove it from quarantine."""
    item = await get_shunted(js, seq)
    if item is None:
        raise LookupError(f"no shunted message #{seq}")
    env = item.envelope
    if not env.replayable:
        raise NotReplayable(
            f"сообщение №{seq} записано на входе канала ({env.origin_subject}) и не повторяется: "
            "исправьте причину у источника (платформа пришлёт его снова) / recorded at a channel's edge"
        )
    headers = {k: v for k, v in env.headers.items() if not k.startswith("Nats-")}
    original_id = env.headers.get("Nats-Msg-Id", "")
    # A fresh Msg-Id (the original is still inside the dedup window); stages dedupe on the native id.
    headers["Nats-Msg-Id"] = f"replay:{seq}:{original_id}"
    headers["Complaints-Replayed-From"] = str(seq)
    ack = await js.publish(env.origin_subject, env.data, headers=headers)
    await js.delete_msg(SHUNT_STREAM, seq)
    return ack


def jetstream_of(broker: object) -> JetStreamContext:
    """The nats-py JetStream context behind a connected FastStream NatsBroker."""
    return cast(JetStreamContext, broker.config.connection_state.stream)  # type: ignore[attr-defined]
